//! The common life of a packaging CLI invocation, so each binary is only its flags and its
//! job: parse (help/version/errors), open the log (stderr and `--log-file`), write the start
//! and end lines, run the job, and build the result document. The binary prints the
//! document on stdout and exits with the status.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use crate::args::CommonArgs;
use crate::cli::{self, Parsed};
use crate::error::Error;
use crate::log::{JobKind, LogTime, PackagingLog, Verbosity};
use crate::result_doc::ResultDoc;

/// A packaging CLI's parser type: it flattens [`CommonArgs`].
pub trait PackagerCli: CommandFactory + FromArgMatches {
    /// The common flags.
    fn common(&self) -> &CommonArgs;
}

/// What the binary does after the run: print `stdout` and exit with `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The result document (or help/version text).
    pub stdout: String,
    /// Process exit status (0 success, 1 failure).
    pub status: u8,
}

/// Runs one invocation. `stderr` makes the terminal log sink; `job` runs with the parsed
/// arguments and the log, and returns the input it worked on for the closing line.
pub fn run_cli<C, W, F>(
    kind: JobKind,
    argv: Vec<OsString>,
    started: &LogTime,
    stderr: impl Fn() -> W,
    job: F,
) -> Outcome
where
    C: PackagerCli,
    W: Write + 'static,
    F: FnOnce(C, &mut PackagingLog<'_>) -> Result<(), Error>,
{
    match cli::parse::<C>(argv.clone()) {
        Ok(Parsed::Help(text) | Parsed::Version(text)) => Outcome {
            stdout: text,
            status: 0,
        },
        Ok(Parsed::Run(args)) => {
            let common = args.common();
            let json = common.json();
            let verbosity = common.verbosity();
            let input = common.inputs.first().cloned().unwrap_or_default();
            let mut log = PackagingLog::new(kind)
                .with_terminal(stderr(), verbosity)
                .with_json(json);
            let log_file = common.log_file.as_deref().map(open_log_file).transpose();
            if let Ok(Some(file)) = &log_file
                && let Ok(file) = file.try_clone()
            {
                log = log.with_file(file);
            }
            log.start(started);
            if !input.as_os_str().is_empty() {
                log.start_file(&input);
            }
            let result = log_file.and_then(|_| job(args, &mut log));
            finish(&mut log, &input, result, json)
        }
        Err(error) => {
            // The flags could not be read: log to stderr only, in the requested format.
            let json = cli::wants_json(&argv);
            let input = cli::first_input(&argv).unwrap_or_default();
            let mut log = PackagingLog::new(kind)
                .with_terminal(stderr(), Verbosity::Normal)
                .with_json(json);
            log.start(started);
            finish(&mut log, &input, Err(error), json)
        }
    }
}

fn finish(
    log: &mut PackagingLog<'_>,
    input: &Path,
    result: Result<(), Error>,
    json: bool,
) -> Outcome {
    let doc = ResultDoc::from_result(&result);
    match &result {
        Ok(()) => log.succeed(input),
        Err(_) => log.failed(input, &doc),
    }
    Outcome {
        stdout: doc.render(json),
        status: doc.exit_status(),
    }
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
                "packager::runner::open_log_file",
            )
        })
}

/// The key environment of a packager binary: the embedded keystore's default location under
/// the user's data directory (`<data dir>/mdrm/keystore.sqlite`), which the binary passes.
pub fn key_environment(data_dir: Option<PathBuf>) -> crate::key_source::KeyEnvironment {
    crate::key_source::KeyEnvironment {
        default_keystore: data_dir.map(|d| {
            d.join(kms_client::defaults::DATA_DIR_NAME)
                .join(kms_client::defaults::KEYSTORE_FILE_NAME)
        }),
    }
}

/// The local wall-clock time, for the log's start line.
pub fn local_time() -> LogTime {
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
