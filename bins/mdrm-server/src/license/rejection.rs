//! Refusals of the license face: an HTTP status and the JSON body
//! `{error_code, message, current_streams, max_streams}` (the counts only for stream-limit
//! answers, plus `retry_after` seconds when known). Messages never carry a secret, a token or
//! a user id.

use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use csl::{CslError, Refusal};

/// A refused license, release or status request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code for programs (see `docs/license.md`).
    pub code: &'static str,
    /// A message for people.
    pub message: String,
    /// Live streams of the user (stream-limit refusals).
    pub current_streams: Option<u32>,
    /// The limit that applied (stream-limit refusals).
    pub max_streams: Option<u32>,
    /// When retrying can succeed at the earliest.
    pub retry_after: Option<Duration>,
}

impl Rejection {
    /// A rejection without stream counts.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Rejection {
            status,
            code,
            message: message.into(),
            current_streams: None,
            max_streams: None,
            retry_after: None,
        }
    }

    /// 401 `TOKEN_MISSING`: no token in the `pallycon-customdata-v2` header or `token` query.
    pub fn token_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_MISSING",
            "no license token: send it in the pallycon-customdata-v2 header or the token query parameter",
        )
    }

    /// 400 `TOKEN_MALFORMED`: not base64 JSON of the documented shape.
    pub fn token_malformed(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "TOKEN_MALFORMED",
            format!("malformed license token: {}", reason.into()),
        )
    }

    /// 401 `TOKEN_INVALID`: unknown site or a hash that does not verify (one answer for both,
    /// so it does not tell which sites exist).
    pub fn token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_INVALID",
            "the license token does not verify (unknown site, or a hash made with another access key or other values)",
        )
    }

    /// 401 `TOKEN_EXPIRED`: the timestamp is older than the token lifetime.
    pub fn token_expired(age: Duration, lifetime: Duration) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_EXPIRED",
            format!(
                "the license token expired: issued {} s ago, accepted for {} s; get a fresh token",
                age.as_secs(),
                lifetime.as_secs()
            ),
        )
    }

    /// 401 `TOKEN_NOT_YET_VALID`: the timestamp is ahead of this server's clock by more than
    /// the allowed skew.
    pub fn token_not_yet_valid(ahead: Duration) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_NOT_YET_VALID",
            format!(
                "the license token's timestamp is {} s in the future (check the token issuer's clock)",
                ahead.as_secs()
            ),
        )
    }

    /// 400 `TOKEN_DRM_TYPE`: the token was issued for another DRM.
    pub fn wrong_drm_type(got: &str) -> Self {
        let shown: String = got
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        Self::new(
            StatusCode::BAD_REQUEST,
            "TOKEN_DRM_TYPE",
            format!("this endpoint serves drm_type \"ClearKey\"; the token says {shown:?}"),
        )
    }

    /// 400 `POLICY_INVALID`: the policy does not decrypt or is not a v2 policy.
    pub fn policy_invalid(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "POLICY_INVALID",
            format!("invalid license policy: {}", reason.into()),
        )
    }

    /// 403 `LICENSE_EXPIRED`: the policy's `expire_date` has passed.
    pub fn license_expired() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "LICENSE_EXPIRED",
            "the policy's expire_date has passed",
        )
    }

    /// 403 `PERSISTENT_NOT_ALLOWED`: a persistent license asked for with a streaming policy.
    pub fn persistent_not_allowed() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "PERSISTENT_NOT_ALLOWED",
            "a persistent-license was requested but the token's policy is not persistent",
        )
    }

    /// 400 `LICENSE_REQUEST_INVALID`: the body is not a W3C ClearKey license request.
    pub fn request_invalid(reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "LICENSE_REQUEST_INVALID",
            format!("invalid ClearKey license request: {}", reason.into()),
        )
    }

    /// 404 `KEY_NOT_FOUND`: none of the requested key ids is available to this token.
    pub fn key_not_found(asked: usize) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "KEY_NOT_FOUND",
            format!(
                "none of the {asked} requested key ids is available for this site and content id (or allowed by the policy's allowed_track_types)"
            ),
        )
    }

    /// 401 `AUTH_FAILED` for the support endpoints (HTTP Basic site id and access key).
    pub fn auth_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_FAILED",
            "unknown site or wrong access key (HTTP Basic: site id as user, access key as password)",
        )
    }

    /// 500 `INTERNAL`: details go to the log only.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error; see the server log",
        )
    }

    /// A stream-limit (or store-failure) refusal from the limiter.
    pub fn from_refusal(r: &Refusal) -> Self {
        Rejection {
            status: StatusCode::from_u16(r.reason.http_status()).unwrap_or(StatusCode::FORBIDDEN),
            code: r.reason.code(),
            message: r.message(),
            current_streams: r.current_streams,
            max_streams: Some(r.max_streams),
            retry_after: r.retry_after,
        }
    }

    /// A request the limiter rejects whatever the counts (missing user id, bad session id,
    /// bad override, key rotation on a CSL site) or a store failure outside `check`.
    pub fn from_csl(e: &CslError) -> Self {
        Self::new(
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            e.code(),
            e.to_string(),
        )
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let mut v = serde_json::json!({
            "error_code": self.code,
            "message": self.message,
        });
        if self.max_streams.is_some() {
            v["current_streams"] = serde_json::json!(self.current_streams);
            v["max_streams"] = serde_json::json!(self.max_streams);
        }
        if let Some(r) = self.retry_after {
            v["retry_after"] = serde_json::json!(retry_seconds(r));
        }
        v.to_string()
    }
}

/// Whole seconds, rounded up, so a client that waits that long finds the slot free.
fn retry_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(r) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&retry_seconds(r).to_string())
        {
            h.insert(RETRY_AFTER, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csl::RefusalReason;

    #[test]
    fn limit_refusal_is_403_with_the_counts() {
        let r = Refusal {
            reason: RefusalReason::LimitReached,
            current_streams: Some(2),
            max_streams: 2,
            retry_after: Some(Duration::from_millis(1500)),
            fail_mode: None,
            cause: None,
        };
        let rej = Rejection::from_refusal(&r);
        assert_eq!(rej.status, StatusCode::FORBIDDEN);
        let v: serde_json::Value = serde_json::from_str(&rej.body()).unwrap();
        assert_eq!(v["error_code"], "CSL_LIMIT_REACHED");
        assert_eq!(v["current_streams"], 2);
        assert_eq!(v["max_streams"], 2);
        assert_eq!(v["retry_after"], 2);
        assert!(v["message"].as_str().unwrap().contains("2 of 2"));
        let resp = rej.into_response();
        assert_eq!(resp.headers()[RETRY_AFTER], "2");
    }

    #[test]
    fn store_failure_refusal_has_a_distinct_code_and_no_count() {
        let r = Refusal {
            reason: RefusalReason::NewStreamsSuspended,
            current_streams: None,
            max_streams: 3,
            retry_after: None,
            fail_mode: Some(csl::FailMode::OpenForRenewals),
            cause: None,
        };
        let rej = Rejection::from_refusal(&r);
        assert_eq!(rej.status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&rej.body()).unwrap();
        assert_eq!(v["error_code"], "CSL_NEW_STREAMS_SUSPENDED");
        assert!(v["current_streams"].is_null());
        assert_eq!(v["max_streams"], 3);
    }

    #[test]
    fn plain_rejections_carry_code_and_message_only() {
        let v: serde_json::Value =
            serde_json::from_str(&Rejection::token_invalid().body()).unwrap();
        assert_eq!(v["error_code"], "TOKEN_INVALID");
        assert!(v.get("current_streams").is_none());
        assert_eq!(
            Rejection::wrong_drm_type("Wide\"vine<script>").message,
            "this endpoint serves drm_type \"ClearKey\"; the token says \"Widevinescript\""
        );
    }
}
