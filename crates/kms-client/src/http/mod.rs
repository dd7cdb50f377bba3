//! HTTP plumbing shared by the CPIX client and the CID callback: an agent with timeouts,
//! bounded retries with exponential backoff, and the mapping of failures to [`Error`].

mod cid_callback;
mod cpix_client;

use std::io::ErrorKind;
use std::time::Duration;

use ureq::Agent;
use ureq::http::Response;

use crate::Error;
use crate::http_options::HttpOptions;

pub use cid_callback::{FILE_NAME_PARAMETER, resolve_content_id};
pub use cpix_client::{CpixClient, KmsToken, TOKEN_PLACEHOLDER, cpix_url};

/// Longest server message kept in an error (characters).
const MAX_MESSAGE_CHARS: usize = 300;

/// Builds an agent that reports HTTP error statuses as responses (we read their bodies).
pub(crate) fn agent(opts: &HttpOptions) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(opts.timeout))
        .timeout_connect(Some(opts.connect_timeout))
        .user_agent(opts.user_agent.as_str())
        .max_redirects(5)
        .build()
        .into()
}

/// The outcome of one attempt.
pub(crate) enum Attempt<T> {
    /// Finished (successfully or with an error not worth retrying).
    Done(Result<T, Error>),
    /// Failed in a way another attempt may fix (unreachable, 5xx, 429).
    Retry(Error),
}

/// Runs `attempt` up to `opts.attempts` times, sleeping with exponential backoff between.
pub(crate) fn with_retries<T>(
    opts: &HttpOptions,
    mut attempt: impl FnMut() -> Attempt<T>,
) -> Result<T, Error> {
    let attempts = opts.attempts.max(1);
    let mut last = None;
    for n in 0..attempts {
        let wait = opts.backoff_before(n);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        match attempt() {
            Attempt::Done(r) => return r,
            Attempt::Retry(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one attempt ran"))
}

/// Maps a transport failure; `endpoint` is the URL without secrets.
pub(crate) fn transport_error<T>(e: ureq::Error, endpoint: &str, limit: Duration) -> Attempt<T> {
    let conn = |reason: String| Error::Connection {
        endpoint: endpoint.to_string(),
        reason,
    };
    match e {
        ureq::Error::Timeout(kind) => {
            let err = Error::Timeout {
                endpoint: endpoint.to_string(),
                after: limit,
            };
            // Not even connected: another attempt may reach a recovered server.
            match kind {
                ureq::Timeout::Connect | ureq::Timeout::Resolve => Attempt::Retry(err),
                _ => Attempt::Done(Err(err)),
            }
        }
        ureq::Error::Io(io) => {
            let retry = matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::NotConnected
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
            );
            let err = conn(io.to_string());
            if retry {
                Attempt::Retry(err)
            } else {
                Attempt::Done(Err(err))
            }
        }
        ureq::Error::HostNotFound => Attempt::Retry(conn("host not found".into())),
        ureq::Error::ConnectionFailed => Attempt::Retry(conn("connection failed".into())),
        ureq::Error::BadUri(_) => Attempt::Done(Err(Error::invalid_argument(
            "--kms-url",
            "not a usable http(s) URL",
        ))),
        other => Attempt::Done(Err(conn(other.to_string()))),
    }
}

/// Reads up to `limit` bytes of the body as text (invalid UTF-8 replaced).
pub(crate) fn read_body(
    resp: &mut Response<ureq::Body>,
    limit: u64,
    endpoint: &str,
    timeout: Duration,
) -> Result<String, Error> {
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| match transport_error::<()>(e, endpoint, timeout) {
            Attempt::Done(Err(e)) | Attempt::Retry(e) => e,
            Attempt::Done(Ok(())) => unreachable!("transport_error never succeeds"),
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A short, single-line, printable version of a server message.
pub(crate) fn summarize(text: &str) -> String {
    let mut out: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out
}

fn json_field(v: &serde_json::Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match v.get(n)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// When `body` is JSON (how the cloud KMS and mdrm-server report errors), the server's error
/// code and message; `None` when it is not JSON.
pub(crate) fn json_error(body: &str) -> Option<(Option<String>, String)> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    if !(v.is_object() || v.is_array() || v.is_string()) {
        return None;
    }
    let code = json_field(&v, &["error_code", "errorCode", "code", "status"]);
    let message = json_field(
        &v,
        &["error_message", "errorMessage", "message", "msg", "error"],
    )
    .unwrap_or_else(|| v.to_string());
    Some((code.map(|c| summarize(&c)), summarize(&message)))
}

/// Classifies a non-success HTTP answer: retry 5xx and 429, else report it (2002).
pub(crate) fn status_error<T>(status: u16, body: &str) -> Attempt<T> {
    let (code, message) = json_error(body).unwrap_or_else(|| (None, summarize(body)));
    let err = Error::ServerAnswer {
        status,
        code,
        message,
    };
    if status >= 500 || status == 429 {
        Attempt::Retry(err)
    } else {
        Attempt::Done(Err(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_of_several_shapes() {
        assert_eq!(
            json_error(r#"{"error_code":"AUTH_FAILED","error_message":"no"}"#),
            Some((Some("AUTH_FAILED".into()), "no".into()))
        );
        assert_eq!(
            json_error(r#"{"code":1053,"message":"bad"}"#),
            Some((Some("1053".into()), "bad".into()))
        );
        assert_eq!(json_error(r#"{"x":1}"#), Some((None, r#"{"x":1}"#.into())));
        assert_eq!(json_error("<cpix:CPIX/>"), None);
        assert_eq!(json_error("42"), None);
    }

    #[test]
    fn summaries_are_short_single_lines() {
        let long = "a\nb\t".repeat(400);
        let s = summarize(&long);
        assert!(!s.contains('\n'));
        assert!(s.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn retries_stop_at_the_limit() {
        let opts = HttpOptions {
            attempts: 3,
            backoff: Duration::from_millis(1),
            ..HttpOptions::default()
        };
        let mut n = 0;
        let r: Result<(), Error> = with_retries(&opts, || {
            n += 1;
            status_error(503, "busy")
        });
        assert_eq!(n, 3);
        assert!(matches!(r, Err(Error::ServerAnswer { status: 503, .. })));
        let mut n = 0;
        let r: Result<(), Error> = with_retries(&opts, || {
            n += 1;
            status_error(401, r#"{"error_code":"AUTH_FAILED","error_message":"x"}"#)
        });
        assert_eq!(n, 1);
        assert!(matches!(r, Err(Error::ServerAnswer { status: 401, .. })));
    }
}
