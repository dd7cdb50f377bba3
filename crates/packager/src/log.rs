//! The packaging log of cli.md, written to the sinks the binary provides:
//!
//! ```text
//! NCG Packaging start (2026-11-23 07:02:00)
//! Start Packaging Ncg movie.mp4
//! ...one line per step...
//! Succeed packaging movie.mp4
//! ```
//! and on failure `Failed file : <path>` followed by the result document.
//!
//! The terminal sink (stderr) honours `-q`/`-v`; the log file (`--log-file`, appended) always
//! gets every line. A failing sink never fails the job: logging is best effort.

use std::fmt;
use std::io::Write;
use std::path::Path;

use crate::result_doc::ResultDoc;

/// Which packaging CLI is logging (decides the line prefixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// mdrm-ncg.
    Ncg,
    /// mdrm-dash.
    Dash,
    /// mdrm-hls.
    Hls,
}

impl JobKind {
    /// `NCG`, `DASH` or `HLS` (start line).
    pub fn prefix(self) -> &'static str {
        match self {
            JobKind::Ncg => "NCG",
            JobKind::Dash => "DASH",
            JobKind::Hls => "HLS",
        }
    }

    /// `Ncg`, `Dash` or `Hls` (`Start Packaging <Name>` line).
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Ncg => "Ncg",
            JobKind::Dash => "Dash",
            JobKind::Hls => "Hls",
        }
    }
}

/// How much goes to the terminal sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// `-q`: only failures.
    Quiet,
    /// Default: start, steps, result.
    #[default]
    Normal,
    /// `-v`: also detail lines.
    Verbose,
}

/// A local wall-clock time for the start line (`YYYY-MM-DD HH:MM:SS`). The binary reads the
/// clock and time zone; the library only formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogTime {
    /// Year, e.g. 2026.
    pub year: i16,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
    /// Hour 0-23.
    pub hour: u8,
    /// Minute 0-59.
    pub minute: u8,
    /// Second 0-59.
    pub second: u8,
}

impl fmt::Display for LogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Failure,
    Info,
    Detail,
}

/// The packaging log of one run.
pub struct PackagingLog<'a> {
    kind: JobKind,
    verbosity: Verbosity,
    terminal: Option<Box<dyn Write + 'a>>,
    file: Option<Box<dyn Write + 'a>>,
    json: bool,
}

impl<'a> PackagingLog<'a> {
    /// A log with no sinks yet.
    pub fn new(kind: JobKind) -> Self {
        PackagingLog {
            kind,
            verbosity: Verbosity::Normal,
            terminal: None,
            file: None,
            json: false,
        }
    }

    /// Adds the terminal sink (normally stderr) with its verbosity.
    pub fn with_terminal(mut self, sink: impl Write + 'a, verbosity: Verbosity) -> Self {
        self.terminal = Some(Box::new(sink));
        self.verbosity = verbosity;
        self
    }

    /// Adds the log file sink (every line, whatever the verbosity).
    pub fn with_file(mut self, sink: impl Write + 'a) -> Self {
        self.file = Some(Box::new(sink));
        self
    }

    /// Writes the result document in the log as JSON instead of XML (`--json`).
    pub fn with_json(mut self, json: bool) -> Self {
        self.json = json;
        self
    }

    fn line(&mut self, level: Level, text: &str) {
        let to_terminal = match self.verbosity {
            Verbosity::Quiet => level == Level::Failure,
            Verbosity::Normal => level <= Level::Info,
            Verbosity::Verbose => true,
        };
        if to_terminal && let Some(t) = self.terminal.as_mut() {
            let _ = writeln!(t, "{text}");
            let _ = t.flush();
        }
        if let Some(f) = self.file.as_mut() {
            let _ = writeln!(f, "{text}");
            let _ = f.flush();
        }
    }

    /// `<PREFIX> Packaging start (YYYY-MM-DD HH:MM:SS)`.
    pub fn start(&mut self, time: &LogTime) {
        let text = format!("{} Packaging start ({time})", self.kind.prefix());
        self.line(Level::Info, &text);
    }

    /// `Start Packaging <Name> <file name>`.
    pub fn start_file(&mut self, input: &Path) {
        let text = format!("Start Packaging {} {}", self.kind.name(), file_name(input));
        self.line(Level::Info, &text);
    }

    /// One step line (normal verbosity).
    pub fn step(&mut self, text: &str) {
        self.line(Level::Info, text);
    }

    /// A detail line (terminal only with `-v`; always in the log file).
    pub fn detail(&mut self, text: &str) {
        self.line(Level::Detail, text);
    }

    /// `Succeed packaging <file name>`.
    pub fn succeed(&mut self, input: &Path) {
        let text = format!("Succeed packaging {}", file_name(input));
        self.line(Level::Info, &text);
    }

    /// `Failed file : <path>` followed by the result document (shown even with `-q`).
    pub fn failed(&mut self, input: &Path, doc: &ResultDoc) {
        let text = format!("Failed file : {}", input.display());
        self.line(Level::Failure, &text);
        let rendered = doc.render(self.json);
        self.line(Level::Failure, rendered.trim_end());
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A sink whose contents the test can read after the log is dropped.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    const TIME: LogTime = LogTime {
        year: 2026,
        month: 11,
        day: 23,
        hour: 7,
        minute: 2,
        second: 0,
    };

    fn run(verbosity: Verbosity, fail: bool) -> (String, String) {
        let (term, file) = (Shared::default(), Shared::default());
        {
            let mut log = PackagingLog::new(JobKind::Ncg)
                .with_terminal(term.clone(), verbosity)
                .with_file(file.clone());
            log.start(&TIME);
            log.start_file(Path::new("/media/movie.mp4"));
            log.step("Input: 100 bytes");
            log.detail("AES hardware");
            if fail {
                let e = Error::invalid("--site-id", "bad", "here");
                log.failed(Path::new("/media/movie.mp4"), &ResultDoc::from_error(&e));
            } else {
                log.succeed(Path::new("/media/movie.mp4"));
            }
        }
        (term.text(), file.text())
    }

    #[test]
    fn success_log_format() {
        let (term, file) = run(Verbosity::Normal, false);
        assert_eq!(
            term,
            "NCG Packaging start (2026-11-23 07:02:00)\nStart Packaging Ncg movie.mp4\nInput: 100 bytes\nSucceed packaging movie.mp4\n"
        );
        assert_eq!(
            file,
            "NCG Packaging start (2026-11-23 07:02:00)\nStart Packaging Ncg movie.mp4\nInput: 100 bytes\nAES hardware\nSucceed packaging movie.mp4\n"
        );
        let (verbose, _) = run(Verbosity::Verbose, false);
        assert_eq!(verbose, file);
    }

    #[test]
    fn failure_log_has_path_and_result_document_even_when_quiet() {
        let (term, file) = run(Verbosity::Quiet, true);
        assert!(
            term.starts_with("Failed file : /media/movie.mp4\n<?xml"),
            "{term}"
        );
        assert!(term.contains("<RESULT>1102</RESULT>"));
        assert!(term.trim_end().ends_with("</PallyconPackager>"));
        assert!(file.starts_with("NCG Packaging start"));
        assert!(file.contains("Failed file : /media/movie.mp4\n<?xml"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(JobKind::Dash.prefix(), "DASH");
        assert_eq!(JobKind::Hls.name(), "Hls");
    }
}
