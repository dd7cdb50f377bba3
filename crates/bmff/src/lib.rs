//! ISO Base Media File Format (MP4) boxes.
