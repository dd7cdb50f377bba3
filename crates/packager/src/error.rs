//! The crate's one error type and THE place where failures become result codes.
//!
//! Every packaging failure is an [`Error`] variant that says what failed (which argument, which
//! file, which stage of writing) and carries the lower crate's typed error. [`Error::code`] is
//! the only mapping to the numeric codes of `../shared/docs/cli.md`: it matches variants and
//! `io::ErrorKind`s, never message text.

use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error_code::ErrorCode;

/// The longest file name component most file systems accept (Linux `NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// The longest path Linux accepts (`PATH_MAX`, including the terminating NUL).
pub const PATH_MAX: usize = 4096;

/// Which step of producing the output failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputStage {
    /// Creating the output folder or the temporary file.
    Create,
    /// Writing or flushing the temporary file.
    Write,
    /// Renaming the finished file into place.
    Finalize,
}

/// A packaging job failure. Messages never contain key material or access keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line was empty.
    #[error("no arguments given (try --help)")]
    NoArguments,
    /// An argument has an invalid value (or a required one is missing).
    #[error("{arg}: {reason}")]
    InvalidArgument {
        /// The flag, e.g. `--site-id`.
        arg: String,
        /// What is wrong (never the value of a secret flag).
        reason: String,
        /// Module and function that decided.
        at: &'static str,
    },
    /// A flag came without its value, or with the wrong number of values.
    #[error("{arg}: {reason}")]
    WrongValueCount {
        /// The flag.
        arg: String,
        /// What is wrong.
        reason: String,
        /// Module and function that decided.
        at: &'static str,
    },
    /// The config file cannot be read or holds an unusable setting.
    #[error("--config-file {}: {reason}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
        /// Module and function that decided.
        at: &'static str,
    },
    /// Opening or reading an input file failed.
    #[error("input {}: {source}", path.display())]
    Input {
        /// The input file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
        /// Module and function that failed.
        at: &'static str,
    },
    /// The size of an input file cannot be determined.
    #[error("input {}: cannot read the file size: {reason}", path.display())]
    InputSize {
        /// The input file.
        path: PathBuf,
        /// Why not.
        reason: String,
        /// Module and function that failed.
        at: &'static str,
    },
    /// Creating, writing or finishing the output failed.
    #[error("output {}: {source}", path.display())]
    Output {
        /// The output (final) path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
        /// Which step failed.
        stage: OutputStage,
        /// Module and function that failed.
        at: &'static str,
    },
    /// A block size flag is not a power of two between 4 KiB and 16 MiB.
    #[error("{arg}: invalid block size {size}: must be a power of two between 4096 and 16777216")]
    InvalidBlockSize {
        /// The flag, e.g. `--block-size`.
        arg: String,
        /// The rejected value.
        size: u64,
        /// Module and function that decided.
        at: &'static str,
    },
    /// The output path exceeds a file-system limit (checked before any work).
    #[error("output {}: {}", path.display(), if *component_too_long { "a file or folder name is longer than 255 bytes" } else { "the path is longer than 4095 bytes" })]
    OutputPathLimit {
        /// The output path.
        path: PathBuf,
        /// True when one component is too long (else the whole path).
        component_too_long: bool,
        /// Module and function that decided.
        at: &'static str,
    },
    /// The output exists and is not empty, and `--overwrite` was not given.
    #[error("output {} already exists and is not empty (use --overwrite to replace it)", path.display())]
    OutputExists {
        /// The existing output.
        path: PathBuf,
        /// Module and function that decided.
        at: &'static str,
    },
    /// No key could be obtained from the configured key source.
    #[error("{reason}")]
    KeySource {
        /// What is missing or failed.
        reason: String,
        /// Module and function that decided.
        at: &'static str,
    },
    /// The NCG writer or reader failed (a write failure names the output, anything else the
    /// input).
    #[error("{}: {source}", ncg_subject(path, output, source).display())]
    Ncg {
        /// The file being read (input for encryption, `.ncg` file for decryption).
        path: PathBuf,
        /// The output path, for write failures.
        output: PathBuf,
        /// The NCG error.
        source: ncg::Error,
        /// Module and function that failed.
        at: &'static str,
    },
    /// Getting keys failed (key server, keystore, CID callback, key material).
    #[error("keys: {source}")]
    Keys {
        /// The key source's error.
        source: kms_client::Error,
        /// Module and function that failed.
        at: &'static str,
    },
    /// An input is not usable media (not ISO-BMFF, truncated, inconsistent tables).
    #[error("input {}: {source}", path.display())]
    Media {
        /// The input file.
        path: PathBuf,
        /// What the MP4 reader found.
        source: bmff::Error,
        /// Module and function that failed.
        at: &'static str,
    },
    /// A track cannot be packaged as asked (unsupported codec, unaligned key frames, ...).
    #[error("input {} track {track}: {reason}", path.display())]
    Track {
        /// The input file.
        path: PathBuf,
        /// Track id.
        track: u32,
        /// What is wrong.
        reason: String,
        /// Module and function that decided.
        at: &'static str,
    },
    /// Encrypting a track failed.
    #[error("input {} track {track}: {source}", path.display())]
    Encryption {
        /// The input file.
        path: PathBuf,
        /// Track id.
        track: u32,
        /// The encryptor's error.
        source: cenc::CencError,
        /// Module and function that failed.
        at: &'static str,
    },
    /// An input cannot be muxed to HLS (unsupported codec, malformed sample, invalid
    /// side-loaded WebVTT file).
    #[error("input {}: {source}", path.display())]
    Hls {
        /// The input file.
        path: PathBuf,
        /// What the HLS library found.
        source: hls_ts::Error,
        /// Module and function that failed.
        at: &'static str,
    },
    /// The read-back self-check found the written package inconsistent (a bug: report it).
    #[error("self-check of the written package failed: {reason}")]
    Verify {
        /// What is inconsistent.
        reason: String,
        /// Module and function that found it.
        at: &'static str,
    },
    /// Something that should not happen (a bug).
    #[error("{what}")]
    Unexpected {
        /// What happened.
        what: String,
        /// Module and function that noticed.
        at: &'static str,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(arg: impl Into<String>, reason: impl Into<String>, at: &'static str) -> Self {
        Error::InvalidArgument {
            arg: arg.into(),
            reason: reason.into(),
            at,
        }
    }

    /// The result code of this failure (the one mapping of the crate).
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::NoArguments => ErrorCode::NoArguments,
            Error::InvalidArgument { .. }
            | Error::Config { .. }
            | Error::OutputExists { .. }
            | Error::KeySource { .. } => ErrorCode::InvalidArgument,
            Error::WrongValueCount { .. } => ErrorCode::WrongValueCount,
            Error::InvalidBlockSize { .. } => ErrorCode::InvalidBlockSize,
            Error::Input { source, .. } => input_io_code(source),
            Error::InputSize { .. } => ErrorCode::InputSizeUnreadable,
            Error::Output {
                path,
                source,
                stage,
                ..
            } => output_io_code(path, source, *stage),
            Error::OutputPathLimit {
                component_too_long, ..
            } => {
                if *component_too_long {
                    ErrorCode::OutputNameTooLong
                } else {
                    ErrorCode::OutputPathTooLong
                }
            }
            Error::Ncg { source, output, .. } => ncg_code(source, output),
            Error::Keys { source, .. } => keys_code(source),
            Error::Media { source, .. } => media_code(source),
            Error::Track { .. } => ErrorCode::InvalidArgument,
            Error::Encryption { source, .. } => encryption_code(source),
            Error::Hls { source, .. } => hls_code(source),
            Error::Verify { .. } => ErrorCode::Unexpected,
            Error::Unexpected { .. } => ErrorCode::Unexpected,
        }
    }

    /// Details for the result document's INFO: which argument or file and why. Never secrets.
    pub fn info(&self) -> String {
        self.to_string()
    }

    /// Where the failure was decided (module and function), for WHERE.
    pub fn location(&self) -> &'static str {
        match self {
            Error::NoArguments => "packager::cli::parse",
            Error::InvalidArgument { at, .. }
            | Error::WrongValueCount { at, .. }
            | Error::Config { at, .. }
            | Error::Input { at, .. }
            | Error::InputSize { at, .. }
            | Error::Output { at, .. }
            | Error::OutputPathLimit { at, .. }
            | Error::InvalidBlockSize { at, .. }
            | Error::OutputExists { at, .. }
            | Error::KeySource { at, .. }
            | Error::Ncg { at, .. }
            | Error::Keys { at, .. }
            | Error::Media { at, .. }
            | Error::Track { at, .. }
            | Error::Encryption { at, .. }
            | Error::Hls { at, .. }
            | Error::Verify { at, .. }
            | Error::Unexpected { at, .. } => at,
        }
    }
}

/// Codes for failures reading an input.
fn input_io_code(e: &io::Error) -> ErrorCode {
    match e.kind() {
        io::ErrorKind::NotFound => ErrorCode::InputNotFound,
        _ => ErrorCode::InputNotAccessible,
    }
}

/// Codes for failures creating or writing the output.
fn output_io_code(path: &Path, e: &io::Error, stage: OutputStage) -> ErrorCode {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            ErrorCode::OutputNoSpace
        }
        // ENAMETOOLONG: one component over NAME_MAX, or the whole path over PATH_MAX.
        io::ErrorKind::InvalidFilename if has_long_component(path) => ErrorCode::OutputNameTooLong,
        io::ErrorKind::InvalidFilename => ErrorCode::OutputPathTooLong,
        _ if stage == OutputStage::Finalize => ErrorCode::OutputMoveFailed,
        // Other failures to create or write the output (permissions, read-only file system,
        // a file where a folder should be): "cannot create output file/folder"; INFO says why.
        _ => ErrorCode::OutputPathTooLong,
    }
}

/// Codes for NCG writer and reader failures.
fn ncg_code(e: &ncg::Error, output: &Path) -> ErrorCode {
    match e {
        ncg::Error::InvalidBlockSize { .. } => ErrorCode::InvalidBlockSize,
        ncg::Error::WrongKey => ErrorCode::InvalidPrivateKey,
        ncg::Error::Read(io) => input_io_code(io),
        ncg::Error::Write(io) => output_io_code(output, io, OutputStage::Write),
        // The input changed size while it was read.
        ncg::Error::SizeMismatch { .. } => ErrorCode::InputSizeUnreadable,
        // Invalid or damaged NCG input, or header fields out of range.
        ncg::Error::NotNcg
        | ncg::Error::UnsupportedVersion { .. }
        | ncg::Error::UnsupportedFeature { .. }
        | ncg::Error::InvalidField { .. }
        | ncg::Error::MalformedHeader { .. }
        | ncg::Error::HeaderIntegrity
        | ncg::Error::BlockIntegrity { .. }
        | ncg::Error::Truncated { .. }
        | ncg::Error::TrailingData { .. } => ErrorCode::InvalidArgument,
        // The read-back check found different content: a bug or failing hardware.
        ncg::Error::ContentMismatch { .. } => ErrorCode::Unexpected,
        _ => ErrorCode::Unexpected,
    }
}

/// Codes for key-source failures (cli.md: 2001 no connection/timeout, 2002 the server
/// answered an error, 2004 no key in the answer, 2005 invalid key material).
fn keys_code(e: &kms_client::Error) -> ErrorCode {
    use kms_client::Error as K;
    match e {
        K::InvalidArgument { .. } => ErrorCode::InvalidArgument,
        K::Connection { .. } | K::Timeout { .. } | K::Keystore { .. } => {
            ErrorCode::KeyServerUnreachable
        }
        K::ServerAnswer { .. } => ErrorCode::KeyServerError,
        K::NoKey { .. } => ErrorCode::NoPrivateKey,
        K::InvalidKey { .. } | K::MalformedCpix { .. } => ErrorCode::InvalidPrivateKey,
        _ => ErrorCode::Unexpected,
    }
}

/// Codes for unusable media: 1102 (invalid input), except I/O failures reading it.
fn media_code(e: &bmff::Error) -> ErrorCode {
    match e {
        bmff::Error::Io(io) => input_io_code(io),
        _ => ErrorCode::InvalidArgument,
    }
}

/// Codes for encryption failures: bad or unsupported input is 1102; anything else is a bug.
fn encryption_code(e: &cenc::CencError) -> ErrorCode {
    use cenc::CencError as C;
    match e {
        C::UnsupportedCodec { .. }
        | C::MalformedSample { .. }
        | C::Bitstream { .. }
        | C::MissingParameterSet { .. }
        | C::AuxInfoTooLarge { .. }
        | C::Track { .. } => ErrorCode::InvalidArgument,
        C::Mp4(m) => media_code(m),
        _ => ErrorCode::Unexpected,
    }
}

/// Codes for HLS muxing failures: reading failures by their OS error, unusable content is
/// 1102; the library's own invariants (bad buffer sizes) are bugs.
fn hls_code(e: &hls_ts::Error) -> ErrorCode {
    match e {
        hls_ts::Error::Io(io) => input_io_code(io),
        hls_ts::Error::Mp4(m) => media_code(m),
        hls_ts::Error::InvalidInput(_) | hls_ts::Error::Aes128(_) => ErrorCode::Unexpected,
        _ => ErrorCode::InvalidArgument,
    }
}

/// True when a component of `path` is longer than [`NAME_MAX`] bytes.
pub(crate) fn has_long_component(path: &Path) -> bool {
    path.components().any(|c| match c {
        Component::Normal(name) => name.as_encoded_bytes().len() > NAME_MAX,
        _ => false,
    })
}

/// The file an NCG error is about: the output for a failed write, else the input.
fn ncg_subject<'a>(input: &'a Path, output: &'a Path, source: &ncg::Error) -> &'a Path {
    if matches!(source, ncg::Error::Write(_)) {
        output
    } else {
        input
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(path: &str, kind: io::ErrorKind, stage: OutputStage) -> Error {
        Error::Output {
            path: path.into(),
            source: io::Error::from(kind),
            stage,
            at: "test",
        }
    }

    #[test]
    fn output_errors_map_by_kind_and_stage() {
        use io::ErrorKind::*;
        let long_name = format!("/tmp/{}", "n".repeat(300));
        let cases = [
            (output("/o", StorageFull, OutputStage::Write), 1205),
            (output("/o", QuotaExceeded, OutputStage::Create), 1205),
            (output("/o", FileTooLarge, OutputStage::Write), 1205),
            (
                output(&long_name, InvalidFilename, OutputStage::Create),
                1204,
            ),
            (output("/a/b", InvalidFilename, OutputStage::Create), 1203),
            (output("/o", PermissionDenied, OutputStage::Create), 1203),
            (output("/o", PermissionDenied, OutputStage::Finalize), 1206),
            (output("/o", IsADirectory, OutputStage::Finalize), 1206),
        ];
        for (e, code) in cases {
            assert_eq!(e.code().value(), code, "{e:?}");
            assert_eq!(e.location(), "test");
        }
    }

    #[test]
    fn input_and_argument_errors() {
        let missing = Error::Input {
            path: "x".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
            at: "a",
        };
        assert_eq!(missing.code(), ErrorCode::InputNotFound);
        let denied = Error::Input {
            path: "x".into(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
            at: "a",
        };
        assert_eq!(denied.code(), ErrorCode::InputNotAccessible);
        assert_eq!(Error::NoArguments.code(), ErrorCode::NoArguments);
        let bad = Error::invalid("--site-id", "must be exactly 4 bytes", "here");
        assert_eq!(bad.code(), ErrorCode::InvalidArgument);
        assert_eq!(bad.info(), "--site-id: must be exactly 4 bytes");
        assert_eq!(bad.location(), "here");
        let limit = Error::OutputPathLimit {
            path: "p".into(),
            component_too_long: true,
            at: "a",
        };
        assert_eq!(limit.code(), ErrorCode::OutputNameTooLong);
    }

    #[test]
    fn ncg_errors_map_by_variant() {
        let ncg = |source| Error::Ncg {
            path: "in".into(),
            output: "out".into(),
            source,
            at: "t",
        };
        let io = |k| io::Error::from(k);
        let cases = [
            (ncg(ncg::Error::InvalidBlockSize { size: 3 }), 2003),
            (ncg(ncg::Error::WrongKey), 2005),
            (ncg(ncg::Error::HeaderIntegrity), 1102),
            (
                ncg(ncg::Error::BlockIntegrity {
                    index: 1,
                    file_offset: 2,
                    file_end: 3,
                }),
                1102,
            ),
            (
                ncg(ncg::Error::Truncated {
                    expected: 2,
                    actual: 1,
                }),
                1102,
            ),
            (ncg(ncg::Error::NotNcg), 1102),
            (ncg(ncg::Error::Read(io(io::ErrorKind::NotFound))), 1201),
            (ncg(ncg::Error::Read(io(io::ErrorKind::Other))), 1202),
            (ncg(ncg::Error::Write(io(io::ErrorKind::StorageFull))), 1205),
            (
                ncg(ncg::Error::SizeMismatch {
                    declared: 1,
                    actual: 2,
                }),
                1207,
            ),
            (ncg(ncg::Error::ContentMismatch { offset: 0 }), -1),
        ];
        for (e, code) in cases {
            assert_eq!(e.code().value(), code, "{e}");
        }
    }
}
