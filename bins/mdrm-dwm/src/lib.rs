//! `mdrm-dwm`: distributor watermarking with FFmpeg — the job runner behind the binary.
//!
//! FFmpeg runs as executables with raw frames over pipes (see the README for why): one
//! decoder per input, one encoder per recipient, `dwm-core` in between.

pub mod active;
pub mod credentials;
pub mod detect;
pub mod embed;
pub mod error;
pub mod ffmpeg;
pub mod frame;
pub mod image;
pub mod jobfile;
pub mod progress;
pub mod registry;
pub mod report;

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the Ctrl-C/SIGTERM handler: loops stop, temporary outputs are removed, exit 10.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Turns a decoder failure caused by Ctrl-C (which also stops the FFmpeg children) into
/// "stopped by the user".
pub fn stop_aware<T>(r: error::Result<T>) -> error::Result<T> {
    match r {
        Err(_) if STOP.load(Ordering::Relaxed) => {
            error::fail(error::ErrorCode::StoppedByUser, "stopped by the user")
        }
        other => other,
    }
}
