//! The job layer shared by mdrm's packaging CLIs (`mdrm-ncg` now, `mdrm-dash`/`mdrm-hls`
//! later), following `../shared/docs/cli.md`:
//!
//! - [`CommonArgs`]: the common flags as a clap `Args` struct each CLI flattens, validated into
//!   [`JobSettings`] with the documented codes; [`cli::parse`] runs clap without letting it
//!   print or exit, maps its errors to 1101/1102/1103 and merges `--config-file` (JSON/XML).
//! - [`Error`] and [`ErrorCode`]: every failure and its numeric code, mapped in one place.
//! - [`ResultDoc`]: the `PallyconPackager` result document (XML or `--json`).
//! - [`PackagingLog`]: the packaging log, written to sinks the binary provides.
//! - [`output`]: atomic output files and folders (staging name, rename at the end).
//! - [`progress`]: progress events; a terminal bar the binary may choose.
//! - [`key_source`]: the seam to the key source (external keys now; `kms-client` later).
//! - [`ncg_job`]: the NCG job (encrypt, verify, `--decrypt`).
//! - [`runner`]: the wiring every packaging binary shares (parse, log, run, report).
//! - [`hls`]: the HLS job (TS with SAMPLE-AES or AES-128, playlists, WebVTT, self-check).
//!
//! The library never prints, exits or reads the environment: binaries pass writers, paths and
//! the clock in.

mod args;
pub mod cli;
pub mod config;
pub mod dash;
pub mod defaults;
mod error;
mod error_code;
pub mod hls;
pub mod input;
mod joined_files;
pub mod key_source;
pub mod language;
mod log;
pub mod ncg_job;
pub mod output;
pub mod progress;
mod result_doc;
pub mod runner;

pub use args::{CliProfile, CommonArgs, JobSettings, KeyMode, Secret};
pub use error::{Error, NAME_MAX, OutputStage, PATH_MAX};
pub use error_code::ErrorCode;
pub use log::{JobKind, LogTime, PackagingLog, Verbosity};
pub use result_doc::ResultDoc;
