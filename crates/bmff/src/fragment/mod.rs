//! Fragmenting: progressive (or fragmented) MP4 to an init segment plus media segments,
//! one track per output stream, cut at sync samples near a target duration.
//!
//! The pieces are usable separately, so an encrypting packager can add its boxes:
//! - [`plan_cuts`] / [`split_at`]: where segments start ([`CutPlanner`] / [`SegmentSplitter`]:
//!   the same in one pass, without a table of every sample);
//! - [`init_segment`]: `ftyp` + `moov` (with `mvex`, empty sample tables) for one track;
//! - [`MediaSegment`]: builds the `moof` of a run of samples and lays out `styp`/`sidx`/
//!   `moof`/`mdat` headers with correct `trun` data offsets (and `saio` offsets, when an
//!   encryptor added `senc`);
//! - [`Fragmenter`]: the whole job for clear output, streaming sample data from the input.

mod init;
mod media;
mod plan;
mod stream_plan;
mod writer;

pub use init::{InitOptions, encode_init, init_segment};
pub use media::{MediaSegment, SegmentLayout};
pub use plan::{plan_cuts, split_at};
pub use stream_plan::{CutPlanner, SegmentSplitter};
pub use writer::{Fragmenter, SegmentInfo};
