//! JSON error answers shared by every face: `{"error_code": "...", "error_message": "..."}`.
//!
//! The cloud KMS's own clients treat a JSON body as an error; kms-client maps it to 2002 with
//! this code and message. Messages never carry a secret.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code for programs (`AUTH_FAILED`, `BAD_CPIX`, ...).
    pub code: &'static str,
    /// A message for people.
    pub message: String,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401: unknown site, wrong access key or unreadable token (one answer for all three, so
    /// it does not tell which sites exist).
    pub fn auth_failed() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_FAILED",
            "unknown site or wrong access key",
        )
    }

    /// 400: the request document is unusable.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: understood but not supported.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "UNSUPPORTED", message)
    }

    /// 500: our fault (details go to the log, not to the client).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error; see the server log",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::json!({ "error_code": self.code, "error_message": self.message }).to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(CONTENT_TYPE, "application/json")],
            self.body(),
        )
            .into_response()
    }
}
