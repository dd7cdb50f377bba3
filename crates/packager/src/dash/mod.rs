//! DASH packaging: manifest model and writer, and the DASH job.

pub mod mpd;
