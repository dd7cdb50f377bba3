//! The crate's one error type.

use std::time::Duration;

/// Everything that can go wrong in `csl`: bad requests, bad configuration, store failures.
///
/// Messages never contain secrets (store passwords) or user ids. Each variant has a stable
/// code ([`CslError::code`]) and a suggested HTTP status ([`CslError::http_status`]) so a
/// service maps it in one `match`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CslError {
    /// CSL is enabled for the site but the license token carries no usable `user_id`.
    #[error(
        "site {site}: a user_id is required when concurrent stream limiting is enabled (absent, empty or the anonymous placeholder)"
    )]
    MissingUserId {
        /// The site whose policy requires it.
        site: String,
    },
    /// CSL applies to the request but no session id was given.
    #[error("a session id is required for a streaming license under concurrent stream limiting")]
    MissingSessionId,
    /// The session id is empty, too long or holds characters outside printable ASCII.
    #[error("invalid session id: {reason}")]
    InvalidSessionId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A policy value (site configuration or token override) is out of range.
    #[error("invalid CSL policy: {field} {reason}")]
    InvalidPolicy {
        /// The field (`max_streams_per_user`, `renewal_interval`, `grace`, `max_stream_per_user`).
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
    /// CSL and key rotation are both enabled on one site (a start-up configuration error;
    /// also raised when a token asks for key rotation on a CSL site).
    #[error("site {site}: concurrent stream limiting and key rotation cannot both be enabled")]
    KeyRotationConflict {
        /// The site.
        site: String,
    },
    /// The store specification (`memory` or `redis://...`) is not valid.
    #[error("invalid CSL store specification: {reason}")]
    InvalidStoreSpec {
        /// What is wrong (never the password).
        reason: String,
    },
    /// The store could not be reached (connection refused, dropped, reconnecting).
    #[error("CSL store unavailable: {detail}")]
    StoreUnavailable {
        /// The underlying cause, without credentials.
        detail: String,
    },
    /// The store did not answer within the per-call deadline.
    #[error("CSL store did not answer within {deadline:?}")]
    StoreTimeout {
        /// The deadline that ran out.
        deadline: Duration,
    },
    /// The store answered, but with an error or a reply of the wrong shape.
    #[error("CSL store error: {detail}")]
    StoreProtocol {
        /// The server's error text or what was wrong with the reply.
        detail: String,
    },
}

impl CslError {
    /// True for the failures of the store itself (the ones a [`crate::FailMode`] decides on).
    pub fn is_store_failure(&self) -> bool {
        matches!(
            self,
            Self::StoreUnavailable { .. } | Self::StoreTimeout { .. } | Self::StoreProtocol { .. }
        )
    }

    /// Stable machine-readable code, e.g. `"CSL_USER_ID_REQUIRED"` (see `docs/csl.md`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingUserId { .. } => "CSL_USER_ID_REQUIRED",
            Self::MissingSessionId => "CSL_SESSION_ID_REQUIRED",
            Self::InvalidSessionId { .. } => "CSL_SESSION_ID_INVALID",
            Self::InvalidPolicy { .. } => "CSL_POLICY_INVALID",
            Self::KeyRotationConflict { .. } => "CSL_KEY_ROTATION_CONFLICT",
            Self::InvalidStoreSpec { .. } => "CSL_STORE_SPEC_INVALID",
            Self::StoreUnavailable { .. } => "CSL_STORE_UNAVAILABLE",
            Self::StoreTimeout { .. } => "CSL_STORE_TIMEOUT",
            Self::StoreProtocol { .. } => "CSL_STORE_ERROR",
        }
    }

    /// Stable numeric code (71xx request/configuration errors, 72xx store errors).
    pub fn number(&self) -> u16 {
        match self {
            Self::MissingUserId { .. } => 7101,
            Self::MissingSessionId => 7102,
            Self::InvalidSessionId { .. } => 7103,
            Self::InvalidPolicy { .. } => 7104,
            Self::KeyRotationConflict { .. } => 7105,
            Self::InvalidStoreSpec { .. } => 7106,
            Self::StoreUnavailable { .. } => 7201,
            Self::StoreTimeout { .. } => 7202,
            Self::StoreProtocol { .. } => 7203,
        }
    }

    /// Suggested HTTP status for a license service: 400 for a bad request or token,
    /// 500 for configuration, 503 for store failures.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MissingUserId { .. }
            | Self::MissingSessionId
            | Self::InvalidSessionId { .. }
            | Self::InvalidPolicy { .. }
            | Self::KeyRotationConflict { .. } => 400,
            Self::InvalidStoreSpec { .. } => 500,
            Self::StoreUnavailable { .. }
            | Self::StoreTimeout { .. }
            | Self::StoreProtocol { .. } => 503,
        }
    }
}
