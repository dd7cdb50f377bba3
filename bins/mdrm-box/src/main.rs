//! `mdrm-box`: inspect, rewrite and fragment MP4 files.
//!
//! - `mdrm-box dump FILE [--json] [--full]`: the box tree with every field.
//! - `mdrm-box info FILE [--json]`: tracks, codecs, durations, sample counts, encryption.
//! - `mdrm-box rewrite IN OUT`: parse and write back (byte-identical for well-formed files).
//! - `mdrm-box fragment IN OUTDIR [--segment-duration S]`: init + media segments per track.
//! - `mdrm-box decrypt IN OUT --key KID:KEY...`: a clear fragmented MP4 from an encrypted one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod fragment;
mod info;

#[derive(Parser)]
#[command(
    name = "mdrm-box",
    version,
    about = "Inspect, rewrite and fragment MP4 files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the box tree with every field.
    Dump {
        /// The MP4 file.
        file: std::path::PathBuf,
        /// Print JSON (stable format, see docs/mdrm-box.md).
        #[arg(long)]
        json: bool,
        /// Show every entry of long tables in the text form (default: the first 10).
        #[arg(long)]
        full: bool,
    },
    /// Print tracks, codecs, durations, sample counts and encryption.
    Info {
        /// The MP4 file.
        file: std::path::PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Parse and write back.
    Rewrite {
        /// Input file.
        input: std::path::PathBuf,
        /// Output file (written under a temporary name, renamed when complete).
        output: std::path::PathBuf,
    },
    /// Write an init segment and media segments per track.
    Fragment {
        /// Input file (progressive or fragmented MP4).
        input: std::path::PathBuf,
        /// Output folder (created; must not contain a previous run's segments).
        outdir: std::path::PathBuf,
        /// Target segment duration in seconds (cuts at the nearest sync sample).
        #[arg(long, default_value_t = 4.0)]
        segment_duration: f64,
        /// Write an `styp` box at the start of each media segment.
        #[arg(long)]
        styp: bool,
        /// Write a `sidx` box in each media segment.
        #[arg(long)]
        sidx: bool,
    },
    /// Decrypt a CENC (cenc, cbcs, cens, cbc1) file into a clear fragmented MP4.
    Decrypt {
        /// Encrypted input.
        input: std::path::PathBuf,
        /// Clear output file (written under a temporary name, renamed when complete).
        output: std::path::PathBuf,
        /// KID:KEY, 32 hex digits each (repeat for several keys).
        #[arg(long = "key", value_name = "KID:KEY", required = true)]
        keys: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dump { file, json, full } => commands::dump(&file, json, full),
        Command::Info { file, json } => commands::info(&file, json),
        Command::Rewrite { input, output } => commands::rewrite(&input, &output),
        Command::Fragment {
            input,
            outdir,
            segment_duration,
            styp,
            sidx,
        } => commands::fragment(&input, &outdir, segment_duration, styp, sidx),
        Command::Decrypt {
            input,
            output,
            keys,
        } => commands::decrypt(&input, &output, &keys),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mdrm-box: {e}");
            ExitCode::FAILURE
        }
    }
}
