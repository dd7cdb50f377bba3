//! `mdrm-ncg`: package one file into an NCG download container, or `--decrypt` one back.
//!
//! Thin wiring: flags from `packager` (+ `--decrypt`, `--block-size`, `--threads`), the job from
//! `packager::ncg_job`, the result document on stdout, the log on stderr / `--log-file`,
//! exit status 0 or 1.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use indicatif::ProgressDrawTarget;
use packager::cli::{self, Parsed};
use packager::ncg_job::{self, NcgJobOptions};
use packager::progress::{BarProgress, NoProgress, Progress};
use packager::{
    CliProfile, CommonArgs, Error, JobKind, LogTime, PackagingLog, ResultDoc, Verbosity,
};

/// Package one file into an NCG download container, or --decrypt one back.
///
/// External key mode: --encryption-key is 32 bytes in base64 (AES-128 key then IV).
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
    /// Decrypt an NCG file (-i) back into the original file (needs --encryption-key).
    #[arg(long = "decrypt")]
    decrypt: bool,
    /// Block size in bytes: a power of two from 4096 to 16777216 [default: 65536].
    #[arg(long = "block-size", value_name = "BYTES")]
    block_size: Option<u64>,
    /// Worker threads [default: one per CPU core].
    #[arg(long = "threads", value_name = "N")]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let started = now();
    match cli::parse::<NcgCli>(argv.clone()) {
        Ok(Parsed::Help(text) | Parsed::Version(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(args)) => run(args, &started),
        Err(error) => {
            // The flags could not be read: log to stderr only, in the requested format.
            let json = cli::wants_json(&argv);
            let input = cli::first_input(&argv).unwrap_or_default();
            let mut log = PackagingLog::new(JobKind::Ncg)
                .with_terminal(io::stderr(), Verbosity::Normal)
                .with_json(json);
            log.start(&started);
            finish(&mut log, &input, Err(error), json)
        }
    }
}

fn run(args: NcgCli, started: &LogTime) -> ExitCode {
    let json = args.common.json();
    let verbosity = args.common.verbosity();
    let input = args.common.inputs.first().cloned().unwrap_or_default();
    let mut log = PackagingLog::new(JobKind::Ncg)
        .with_terminal(io::stderr(), verbosity)
        .with_json(json);
    let log_file = args
        .common
        .log_file
        .as_deref()
        .map(open_log_file)
        .transpose();
    if let Ok(Some(file)) = &log_file
        && let Ok(file) = file.try_clone()
    {
        log = log.with_file(file);
    }
    log.start(started);
    if !input.as_os_str().is_empty() {
        log.start_file(&input);
    }
    let result = log_file.and_then(|_| {
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
            if verbosity != Verbosity::Quiet && io::stderr().is_terminal() {
                Box::new(BarProgress::new(ProgressDrawTarget::stderr()))
            } else {
                Box::new(NoProgress)
            };
        ncg_job::run(&settings, &options, &mut log, progress.as_mut())
    });
    finish(&mut log, &input, result.map(|_| ()), json)
}

/// Writes the last log line and the result document; returns the exit status.
fn finish(
    log: &mut PackagingLog<'_>,
    input: &Path,
    result: Result<(), Error>,
    json: bool,
) -> ExitCode {
    let doc = ResultDoc::from_result(&result);
    match &result {
        Ok(()) => log.succeed(input),
        Err(_) => log.failed(input, &doc),
    }
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(doc.render(json).as_bytes());
    let _ = stdout.flush();
    ExitCode::from(doc.exit_status())
}

fn open_log_file(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            Error::invalid(
                "--log-file",
                format!("cannot open {} for appending: {e}", path.display()),
                "mdrm-ncg::open_log_file",
            )
        })
}

/// The local wall-clock time for the log's start line.
fn now() -> LogTime {
    let t = jiff::Zoned::now().datetime();
    LogTime {
        year: t.year(),
        month: t.month() as u8,
        day: t.day() as u8,
        hour: t.hour() as u8,
        minute: t.minute() as u8,
        second: t.second() as u8,
    }
}
