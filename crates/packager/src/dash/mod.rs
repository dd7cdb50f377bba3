//! DASH packaging: the MPD model and writer, and the DASH-CENC job (`mdrm-dash`).

mod inputs;
mod job;
mod layout;
mod manifest;
pub mod mpd;
mod protection;
mod scan;
mod verify;
mod write;

pub use inputs::{InputSpec, parse_input};
pub use job::{DashOptions, DashOutput, run};
