//! The one error type of the crate.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while getting content keys.
///
/// The variants are grouped so a packager maps them to the documented exit codes
/// (`../shared/docs/cli.md`) in one `match`:
///
/// | variant | code |
/// |---|---|
/// | [`Error::InvalidArgument`] | 1102 (INFO: the flag) |
/// | [`Error::Connection`], [`Error::Timeout`], [`Error::Keystore`] | 2001 |
/// | [`Error::ServerAnswer`] | 2002 (INFO: status, server code and message) |
/// | [`Error::NoKey`] | 2004 |
/// | [`Error::InvalidKey`], [`Error::MalformedCpix`] | 2005 |
/// | [`Error::Internal`] | -1 |
///
/// No message ever contains a content key, an access key or an authentication token:
/// URLs are shown without their token segment and values are named, never shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A command-line value is missing, malformed or conflicts with another (1102).
    #[error("invalid argument {flag}: {reason}")]
    InvalidArgument {
        /// The flag as the user typed it, e.g. `--site-id`.
        flag: &'static str,
        /// What is wrong with it (never the value of a secret).
        reason: String,
    },
    /// The key server (or CID callback) could not be reached: DNS, connect, TLS, I/O (2001).
    #[error("cannot reach {endpoint}: {reason}")]
    Connection {
        /// The URL with any token removed.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// The key server (or CID callback) did not answer in time (2001).
    #[error("no answer from {endpoint} within {after:?}")]
    Timeout {
        /// The URL with any token removed.
        endpoint: String,
        /// The time limit that was hit.
        after: Duration,
    },
    /// The embedded keystore could not be opened, read or written (2001: the embedded
    /// keystore stands in for the key server).
    #[error("keystore {path}: {reason}")]
    Keystore {
        /// The database file.
        path: PathBuf,
        /// What failed (SQLite or file-system message).
        reason: String,
    },
    /// The key server answered with an error (2002).
    #[error("key server error (HTTP {status}{}): {message}", code.as_deref().map(|c| format!(", code {c}")).unwrap_or_default())]
    ServerAnswer {
        /// The HTTP status of the answer.
        status: u16,
        /// The server's own error code, when its answer carries one.
        code: Option<String>,
        /// The server's message (shortened to a few hundred characters).
        message: String,
    },
    /// The answer holds no usable content key for what was asked (2004).
    #[error("no content key in the answer: {what}")]
    NoKey {
        /// Which key is missing (track type, KID).
        what: String,
    },
    /// The answer holds key material of the wrong size or encoding (2005).
    #[error("invalid key material in the answer: {what}")]
    InvalidKey {
        /// Which value is wrong and how (never the value itself).
        what: String,
    },
    /// A CPIX document is not well-formed XML or breaks the CPIX structure (2005 when it is
    /// a key server's answer; a bad request when mdrm-server parses it).
    #[error("malformed CPIX document: {reason}")]
    MalformedCpix {
        /// What is wrong, naming the element or attribute.
        reason: String,
    },
    /// Something that should never happen, such as the OS random number generator failing (-1).
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid_argument(flag: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            flag,
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Error::MalformedCpix {
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_key(what: impl Into<String>) -> Self {
        Error::InvalidKey { what: what.into() }
    }

    pub(crate) fn no_key(what: impl Into<String>) -> Self {
        Error::NoKey { what: what.into() }
    }

    pub(crate) fn random() -> Self {
        Error::Internal {
            reason: "the OS random number generator failed".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_answer_message_names_status_and_code() {
        let e = Error::ServerAnswer {
            status: 401,
            code: Some("AUTH_FAILED".into()),
            message: "unknown site or wrong access key".into(),
        };
        assert_eq!(
            e.to_string(),
            "key server error (HTTP 401, code AUTH_FAILED): unknown site or wrong access key"
        );
        let e = Error::ServerAnswer {
            status: 500,
            code: None,
            message: "boom".into(),
        };
        assert_eq!(e.to_string(), "key server error (HTTP 500): boom");
    }
}
