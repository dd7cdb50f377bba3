//! `mdrm-ncg`: package one file into an NCG download container, or `--decrypt` one back.
//!
//! Thin wiring: flags from `packager` (+ `--decrypt`, `--block-size`, `--threads`), the job from
//! `packager::ncg_job`, the invocation's life (log, result document, exit status) from
//! `packager::runner`.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use indicatif::ProgressDrawTarget;
use packager::ncg_job::{self, NcgJobOptions};
use packager::progress::{BarProgress, NoProgress, Progress};
use packager::runner::{self, PackagerCli};
use packager::{CliProfile, CommonArgs, JobKind, Verbosity};

/// Package one file into an NCG download container, or --decrypt one back.
///
/// External key mode: --encryption-key is 32 bytes in base64 (AES-128 key then IV). Without
/// it, keys come from the embedded keystore (default) or a key server (--kms-url).
/// The result document goes to stdout; the packaging log to stderr.
#[derive(Parser, Debug)]
#[command(
    name = "mdrm-ncg",
    version,
    after_help = "Output (-o): a path ending in .ncg is the output file; any other path is a folder that \
receives <input file name>.ncg; default: a folder named after the input's stem.\n\
With --decrypt: an existing folder (or a path ending in /) receives the original file name \
stored in the NCG header; any other path is the output file; default: the original name in \
the current folder.\n\
The format is mdrm's open NCG container (docs/ncg-format.md), not INKA's proprietary NCG."
)]
struct NcgCli {
    #[command(flatten)]
    common: CommonArgs,
    /// Decrypt an NCG file (-i) back into the original file.
    #[arg(long = "decrypt")]
    decrypt: bool,
    /// Block size in bytes: a power of two from 4096 to 16777216 [default: 65536].
    #[arg(long = "block-size", value_name = "BYTES")]
    block_size: Option<u64>,
    /// Worker threads [default: one per CPU core].
    #[arg(long = "threads", value_name = "N")]
    threads: Option<usize>,
}

impl PackagerCli for NcgCli {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

fn main() -> ExitCode {
    let started = runner::local_time();
    let env =
        runner::key_environment(directories::BaseDirs::new().map(|d| d.data_dir().to_path_buf()));
    let outcome = runner::run_cli::<NcgCli, _, _>(
        JobKind::Ncg,
        std::env::args_os().collect(),
        &started,
        io::stderr,
        |args, log| {
            let profile = if args.decrypt {
                CliProfile::NCG_DECRYPT
            } else {
                CliProfile::NCG
            };
            let settings = args.common.validate(profile)?;
            let options = NcgJobOptions {
                decrypt: args.decrypt,
                block_size: args.block_size,
                threads: args.threads.unwrap_or(0),
                packager: format!("mdrm-ncg {}", env!("CARGO_PKG_VERSION")),
            };
            let mut progress: Box<dyn Progress> =
                if settings.verbosity != Verbosity::Quiet && io::stderr().is_terminal() {
                    Box::new(BarProgress::new(ProgressDrawTarget::stderr()))
                } else {
                    Box::new(NoProgress)
                };
            ncg_job::run(&settings, &options, &env, log, progress.as_mut()).map(|_| ())
        },
    );
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(outcome.stdout.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(outcome.status)
}
