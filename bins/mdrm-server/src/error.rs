//! The server's error type (start-up, configuration, site management).

use std::path::PathBuf;

/// What can stop `mdrm-server` from starting or a `site` command from completing.
/// Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The settings file cannot be read or is invalid.
    #[error("settings file {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A command-line or settings value is invalid.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The flag or setting.
        what: String,
        /// What is wrong (never a secret's value).
        reason: String,
    },
    /// The server secret file cannot be created, read or used.
    #[error("server secret {path}: {reason}")]
    Secret {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A sealed site secret does not open with this server secret.
    #[error(
        "site {site_id}: sealed credentials do not open with this server secret (wrong --secret-file?)"
    )]
    Unseal {
        /// The site.
        site_id: String,
    },
    /// The keystore failed.
    #[error(transparent)]
    Keystore(#[from] kms_client::Error),
    /// The listening socket cannot be opened.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// A concurrent-stream-limiting setting is invalid (including CSL and key rotation on one
    /// site), or the CSL store cannot be opened.
    #[error(transparent)]
    Csl(#[from] csl::CslError),
    /// The DWM recipient registry database cannot be opened or used.
    #[error("DWM recipient registry {path}: {reason}")]
    Registry {
        /// The database file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Serving failed.
    #[error("server stopped: {0}")]
    Serve(String),
}
