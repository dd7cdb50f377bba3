//! DASH packaging: the MPD model and writer, and the DASH-CENC job (`mdrm-dash`).

mod inputs;
mod job;
pub(crate) mod layout;
mod manifest;
pub mod mpd;
mod protection;
pub(crate) mod scan;
mod verify;
pub(crate) mod write;

pub use inputs::{InputSpec, parse_input};
pub use job::{DashOptions, DashOutput, run};
