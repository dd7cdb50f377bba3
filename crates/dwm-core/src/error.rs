//! The one error type of `dwm-core`.

/// Everything that can go wrong in the watermark DSP. Messages never contain key material.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DwmError {
    /// The watermark key is too short to be a secret.
    #[error("watermark key: expected at least {min} bytes, got {got}")]
    KeyTooShort {
        /// Minimum length in bytes.
        min: usize,
        /// Length given.
        got: usize,
    },
    /// A DWM ID outside the range the payload can carry (1..=2^32-1).
    #[error("DWM ID {0} is outside 1..=4294967295")]
    BadId(u64),
    /// A frame is too small (or has an impossible layout) for the watermark.
    #[error("frame geometry: {0}")]
    Geometry(String),
    /// A plane's buffer is shorter than its width, height and stride say.
    #[error("plane buffer too short: need {need} samples, got {got}")]
    PlaneTooShort {
        /// Samples needed.
        need: usize,
        /// Samples present.
        got: usize,
    },
    /// Two planes that must match (size, bit depth) do not.
    #[error("plane mismatch: {0}")]
    PlaneMismatch(String),
    /// Unsupported bit depth (8 to 16 bits are supported).
    #[error("unsupported bit depth {0} (8..=16 supported)")]
    BitDepth(u8),
    /// Visible overlay settings are invalid.
    #[error("visible watermark: {0}")]
    OverlaySettings(String),
    /// The visible overlay image is larger than the size rule allows (or larger than the frame).
    #[error(
        "visible watermark image {img_w}x{img_h} is too large for a {frame_w}x{frame_h} frame (at most {max_percent}% of the frame's pixel area, and inside the frame)"
    )]
    OverlayTooLarge {
        /// Image width.
        img_w: u32,
        /// Image height.
        img_h: u32,
        /// Frame width.
        frame_w: u32,
        /// Frame height.
        frame_h: u32,
        /// The area limit in percent.
        max_percent: u32,
    },
    /// The visible overlay image is too small to be seen (or empty).
    #[error("visible watermark image {img_w}x{img_h} is too small (at least {min}x{min} pixels)")]
    OverlayTooSmall {
        /// Image width.
        img_w: u32,
        /// Image height.
        img_h: u32,
        /// Minimum side in pixels.
        min: u32,
    },
    /// The RGBA buffer does not hold width x height x 4 bytes.
    #[error("RGBA image: expected {need} bytes, got {got}")]
    RgbaSize {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// Non-blind detection could not register the captured frame to the original.
    #[error("registration failed: {0}")]
    Registration(String),
}

/// Result alias of `dwm-core`.
pub type Result<T> = std::result::Result<T, DwmError>;
