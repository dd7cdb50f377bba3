//! The DWM error codes (`cli.md`, table in `docs/dwm.md`) and the failure type that carries
//! one. A code is chosen where the cause is known, never by matching message text.

use std::fmt;

/// Every numeric code `mdrm-dwm` can end with. The process exit status is the code when it
/// fits in the 8 bits Unix passes on (codes up to 255), and 255 otherwise; the exact code is
/// always printed (`error <code>: ...` on stderr, `"code"` in `--json` output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0: success.
    Success,
    /// 1: unexpected error (a bug: please report it).
    Unknown,
    /// 2: out of memory.
    OutOfMemory,
    /// 10: stopped by the user (Ctrl-C, SIGTERM); temporary outputs were removed.
    StoppedByUser,
    /// 30: the credentials do not match the owner of the recipient registry.
    AccessKeyCheck,
    /// 31: the key file named in the credentials is missing or unreadable.
    KeyFileMissing,
    /// 40: an output file name cannot be formed (too long, forbidden characters).
    BadOutputName,
    /// 41: the input file does not exist.
    InputMissing,
    /// 42: the input file exists but cannot be read.
    InputUnreadable,
    /// 43: the output folder does not exist or is not writable.
    OutputFolder,
    /// 50: the input cannot be opened as media (not a video file, corrupt header).
    StreamOpen,
    /// 51: decoding failed part-way through the input.
    StreamRead,
    /// 52: the output cannot be opened (the encoder or muxer refused the settings).
    OutputOpen,
    /// 53: writing the output failed (encoder or muxer error, disk full, rename failed).
    OutputWrite,
    /// 54: the input has no video track.
    NoVideoTrack,
    /// 100: invalid command-line values or combination.
    Configuration,
    /// 150: the embedder cannot be initialised for this input (picture too small, bad key).
    EmbedderInit,
    /// 151: a DWM ID outside 1..=4294967295.
    BadSymbol,
    /// 200: FFmpeg, or the encoder library the input's codec needs, is missing.
    EncoderMissing,
    /// 201: FFprobe, or a decoder for the input, is missing.
    DecoderMissing,
    /// 210: a hardware decoder failed to initialise (never raised: mdrm-dwm falls back to CPU).
    DecoderDevice,
    /// 220: the input's video codec (or pixel format) is not supported.
    UnsupportedCodec,
    /// 230: the visible watermark settings are invalid.
    VisibleSettings,
    /// 231: the visible watermark image file is missing.
    VisibleImageMissing,
    /// 232: the visible watermark image cannot be decoded.
    VisibleImageInvalid,
    /// 233: the visible watermark image is not a PNG file.
    VisibleImageFormat,
    /// 234: the visible watermark image is too large (over 5% of the frame) or too small.
    VisibleImageSize,
    /// 301: the job file is not valid JSON (or not readable).
    JobFileSyntax,
    /// 302: the credentials file is missing.
    CredentialsMissing,
    /// 303: the credentials file is malformed.
    CredentialsSyntax,
    /// 304: a credentials value is missing or invalid.
    CredentialsValue,
    /// 305: the local recipient registry is unreadable or corrupt.
    RegistryCorrupt,
    /// 306: `account_id` is missing or invalid.
    JobAccountId,
    /// 307: `content_id` is missing or invalid.
    JobContentId,
    /// 308: `input` is missing or invalid.
    JobInput,
    /// 309: `output` is missing or invalid (no file name, unsupported container extension).
    JobOutput,
    /// 310: `recipients` is missing, empty, or lists a name twice.
    JobRecipients,
    /// 311: a recipient is not registered.
    UnknownRecipient,
    /// 312: the job file does not exist.
    JobFileMissing,
    /// 313: a recipient name is invalid.
    RecipientName,
    /// 314: the recipient is already registered.
    RecipientExists,
    /// 315: an output file would overwrite the input.
    OutputIsInput,
    /// 316: the registry has used up all 2^32-1 DWM IDs.
    IdSpaceExhausted,
    /// 321: the server URL in the credentials is invalid.
    ServerUrl,
    /// 322: the server cannot be reached.
    ServerConnect,
    /// 323: the server answered with an error.
    ServerError,
    /// 324: the server rejected the credentials.
    ServerAuth,
    /// 325: the server's answer is invalid.
    ServerResponse,
    /// 326: the server has no DWM recipient registry (it answers 404 for it).
    ServerRegistryUnavailable,
    /// 331: inconsistent internal state (registry lock, job record).
    InternalState,
    /// 401: unknown command or option.
    UnknownCommand,
}

impl ErrorCode {
    /// Every code, in table order.
    pub const ALL: [ErrorCode; 51] = [
        ErrorCode::Success,
        ErrorCode::Unknown,
        ErrorCode::OutOfMemory,
        ErrorCode::StoppedByUser,
        ErrorCode::AccessKeyCheck,
        ErrorCode::KeyFileMissing,
        ErrorCode::BadOutputName,
        ErrorCode::InputMissing,
        ErrorCode::InputUnreadable,
        ErrorCode::OutputFolder,
        ErrorCode::StreamOpen,
        ErrorCode::StreamRead,
        ErrorCode::OutputOpen,
        ErrorCode::OutputWrite,
        ErrorCode::NoVideoTrack,
        ErrorCode::Configuration,
        ErrorCode::EmbedderInit,
        ErrorCode::BadSymbol,
        ErrorCode::EncoderMissing,
        ErrorCode::DecoderMissing,
        ErrorCode::DecoderDevice,
        ErrorCode::UnsupportedCodec,
        ErrorCode::VisibleSettings,
        ErrorCode::VisibleImageMissing,
        ErrorCode::VisibleImageInvalid,
        ErrorCode::VisibleImageFormat,
        ErrorCode::VisibleImageSize,
        ErrorCode::JobFileSyntax,
        ErrorCode::CredentialsMissing,
        ErrorCode::CredentialsSyntax,
        ErrorCode::CredentialsValue,
        ErrorCode::RegistryCorrupt,
        ErrorCode::JobAccountId,
        ErrorCode::JobContentId,
        ErrorCode::JobInput,
        ErrorCode::JobOutput,
        ErrorCode::JobRecipients,
        ErrorCode::UnknownRecipient,
        ErrorCode::JobFileMissing,
        ErrorCode::RecipientName,
        ErrorCode::RecipientExists,
        ErrorCode::OutputIsInput,
        ErrorCode::IdSpaceExhausted,
        ErrorCode::ServerUrl,
        ErrorCode::ServerConnect,
        ErrorCode::ServerError,
        ErrorCode::ServerAuth,
        ErrorCode::ServerResponse,
        ErrorCode::ServerRegistryUnavailable,
        ErrorCode::InternalState,
        ErrorCode::UnknownCommand,
    ];

    /// The numeric code.
    pub fn code(self) -> u16 {
        use ErrorCode::*;
        match self {
            Success => 0,
            Unknown => 1,
            OutOfMemory => 2,
            StoppedByUser => 10,
            AccessKeyCheck => 30,
            KeyFileMissing => 31,
            BadOutputName => 40,
            InputMissing => 41,
            InputUnreadable => 42,
            OutputFolder => 43,
            StreamOpen => 50,
            StreamRead => 51,
            OutputOpen => 52,
            OutputWrite => 53,
            NoVideoTrack => 54,
            Configuration => 100,
            EmbedderInit => 150,
            BadSymbol => 151,
            EncoderMissing => 200,
            DecoderMissing => 201,
            DecoderDevice => 210,
            UnsupportedCodec => 220,
            VisibleSettings => 230,
            VisibleImageMissing => 231,
            VisibleImageInvalid => 232,
            VisibleImageFormat => 233,
            VisibleImageSize => 234,
            JobFileSyntax => 301,
            CredentialsMissing => 302,
            CredentialsSyntax => 303,
            CredentialsValue => 304,
            RegistryCorrupt => 305,
            JobAccountId => 306,
            JobContentId => 307,
            JobInput => 308,
            JobOutput => 309,
            JobRecipients => 310,
            UnknownRecipient => 311,
            JobFileMissing => 312,
            RecipientName => 313,
            RecipientExists => 314,
            OutputIsInput => 315,
            IdSpaceExhausted => 316,
            ServerUrl => 321,
            ServerConnect => 322,
            ServerError => 323,
            ServerAuth => 324,
            ServerResponse => 325,
            ServerRegistryUnavailable => 326,
            InternalState => 331,
            UnknownCommand => 401,
        }
    }

    /// The one-line meaning of the code.
    pub fn meaning(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Success => "success",
            Unknown => "unexpected error (a bug: please report it)",
            OutOfMemory => "out of memory",
            StoppedByUser => "stopped by the user; temporary outputs removed",
            AccessKeyCheck => "access key check failed: the credentials do not own this registry",
            KeyFileMissing => "the key file named in the credentials is missing or unreadable",
            BadOutputName => "an output file name cannot be formed",
            InputMissing => "input file not found",
            InputUnreadable => "input file not readable",
            OutputFolder => "output folder missing or not writable",
            StreamOpen => "cannot open the input as media",
            StreamRead => "decoding the input failed",
            OutputOpen => "cannot open the output (encoder or muxer refused)",
            OutputWrite => "writing the output failed",
            NoVideoTrack => "the input has no video track",
            Configuration => "invalid command-line values",
            EmbedderInit => "the watermark embedder cannot be initialised for this input",
            BadSymbol => "DWM ID out of range (1..4294967295)",
            EncoderMissing => "FFmpeg or the needed encoder is missing",
            DecoderMissing => "FFprobe or the needed decoder is missing",
            DecoderDevice => "hardware decoder initialisation failed",
            UnsupportedCodec => "unsupported video codec or pixel format",
            VisibleSettings => "invalid visible watermark settings",
            VisibleImageMissing => "visible watermark image not found",
            VisibleImageInvalid => "visible watermark image cannot be decoded",
            VisibleImageFormat => "visible watermark image is not a PNG file",
            VisibleImageSize => {
                "visible watermark image too large (over 5% of the frame) or too small"
            }
            JobFileSyntax => "job file is not valid JSON",
            CredentialsMissing => "credentials file not found",
            CredentialsSyntax => "credentials file malformed",
            CredentialsValue => "credentials value missing or invalid",
            RegistryCorrupt => "recipient registry unreadable or corrupt",
            JobAccountId => "job file: account_id missing or invalid",
            JobContentId => "job file: content_id missing or invalid",
            JobInput => "job file: input missing or invalid",
            JobOutput => "job file: output missing or invalid",
            JobRecipients => "job file: recipients missing, empty or repeated",
            UnknownRecipient => "recipient not registered",
            JobFileMissing => "job file not found",
            RecipientName => "invalid recipient name",
            RecipientExists => "recipient already registered",
            OutputIsInput => "an output would overwrite the input",
            IdSpaceExhausted => "no DWM IDs left in the registry",
            ServerUrl => "invalid server URL",
            ServerConnect => "cannot reach the server",
            ServerError => "the server answered with an error",
            ServerAuth => "the server rejected the credentials",
            ServerResponse => "invalid answer from the server",
            ServerRegistryUnavailable => "the server has no DWM recipient registry",
            InternalState => "inconsistent internal state",
            UnknownCommand => "unknown command or option",
        }
    }

    /// The process exit status for this code (Unix keeps 8 bits).
    pub fn exit_status(self) -> u8 {
        u8::try_from(self.code()).unwrap_or(255)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A failure: the code and a message saying what failed (never containing secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error {}: {message}", code.code())]
pub struct Failure {
    /// The code.
    pub code: ErrorCode,
    /// What went wrong, naming the file, field or value (not secrets).
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Shorthand for `Err(Failure::new(code, message))`.
pub fn fail<T>(code: ErrorCode, message: impl Into<String>) -> Result<T> {
    Err(Failure::new(code, message))
}

/// Result alias of `mdrm-dwm`.
pub type Result<T> = std::result::Result<T, Failure>;

/// Maps a DSP error to the code of the place it comes from.
pub fn from_core(e: dwm_core::DwmError, context: &str) -> Failure {
    use dwm_core::DwmError as E;
    let code = match &e {
        E::KeyTooShort { .. } => ErrorCode::CredentialsValue,
        E::BadId(_) => ErrorCode::BadSymbol,
        E::OverlaySettings(_) => ErrorCode::VisibleSettings,
        E::OverlayTooLarge { .. } | E::OverlayTooSmall { .. } => ErrorCode::VisibleImageSize,
        E::RgbaSize { .. } => ErrorCode::VisibleImageInvalid,
        E::Geometry(_) | E::BitDepth(_) => ErrorCode::EmbedderInit,
        _ => ErrorCode::Unknown,
    };
    Failure::new(code, format!("{context}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_in_the_documented_ranges() {
        let mut seen = HashSet::new();
        for c in &ErrorCode::ALL {
            assert!(seen.insert(c.code()), "duplicate {c:?}");
            let n = c.code();
            assert!(
                matches!(n, 0..=2 | 10 | 30 | 31 | 40..=43 | 50..=54 | 100 | 150 | 151
                    | 200 | 201 | 210 | 220 | 230..=234 | 301..=316 | 321..=326 | 331 | 401),
                "{n} outside cli.md's ranges"
            );
            assert!(!c.meaning().is_empty());
        }
        assert_eq!(seen.len(), 51);
    }

    #[test]
    fn exit_status_keeps_small_codes_and_saturates_large_ones() {
        assert_eq!(ErrorCode::NoVideoTrack.exit_status(), 54);
        assert_eq!(ErrorCode::UnsupportedCodec.exit_status(), 220);
        assert_eq!(ErrorCode::JobFileMissing.exit_status(), 255);
    }

    #[test]
    fn every_code_appears_in_the_docs_table() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/dwm.md"))
                .expect("docs/dwm.md");
        for c in &ErrorCode::ALL {
            let row = format!("| {} | {} |", c.code(), c.meaning());
            assert!(doc.contains(&row), "docs/dwm.md lacks the row `{row}`");
        }
    }
}
