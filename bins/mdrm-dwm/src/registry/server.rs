//! The recipient registry of `mdrm-server` (named by `server=` in the credentials): serial IDs
//! handed out by the server, so every machine embedding for the same site draws from one
//! sequence and any of them can name the recipient of a detected ID.
//!
//! HTTP with HTTP Basic authentication (site id, access key) against the server's
//! `/dwm/recipients` and `/dwm/jobs` (see `mdrm-server`'s `dwm_registry`). Failures: 322 when
//! the server cannot be reached, 324 when it rejects the credentials, 314/316 as the local
//! registry, 326 when the server has no registry (404), 323 for other error answers (with the
//! server's code and message), 325 for an answer that is not the expected JSON. Nothing falls
//! back silently to the local registry: IDs handed out from two places would collide.

use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use dwm_registry_api::RecipientQuery;

use super::{JobRecord, Recipient, RecipientRegistry, check_name};
use crate::credentials::Credentials;
use crate::error::{ErrorCode, Failure, Result, fail};

/// Time limit of one request.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Largest answer read (bytes).
const MAX_ANSWER: u64 = 64 << 20;

/// The server-backed registry.
pub struct ServerRegistry {
    base: String,
    site: String,
    authorization: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for ServerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerRegistry")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The server's JSON error body.
#[derive(Deserialize)]
struct ApiError {
    error_code: String,
    error_message: String,
}

impl ServerRegistry {
    /// Checks the URL (321 when invalid); nothing is sent yet.
    pub fn new(url: &str, creds: &Credentials) -> Result<Self> {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.split("://").nth(1).is_some_and(|rest| {
                let host = rest.split('/').next().unwrap_or("");
                !host.is_empty() && !host.contains(char::is_whitespace)
            });
        if !ok {
            return fail(
                ErrorCode::ServerUrl,
                format!("server URL {url:?} is not an http(s) URL"),
            );
        }
        let pair = format!("{}:{}", creds.site_id, creds.access_key.expose());
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("mdrm-dwm/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(ServerRegistry {
            base: url.trim_end_matches('/').to_string(),
            site: creds.site_id.clone(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
            agent,
        })
    }

    /// Sends one request (a JSON body for POST, query pairs for GET) and returns the status
    /// and body text.
    fn call(
        &self,
        path: &str,
        body: Option<String>,
        query: &[(&str, &str)],
    ) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let sent = match body {
            Some(b) => self
                .agent
                .post(&url)
                .header("Authorization", &self.authorization)
                .header("Content-Type", "application/json")
                .send(b),
            None => self
                .agent
                .get(&url)
                .header("Authorization", &self.authorization)
                .query_pairs(query.iter().copied())
                .call(),
        };
        let mut resp = sent.map_err(|e| {
            Failure::new(
                ErrorCode::ServerConnect,
                format!("cannot reach the server at {url}: {e}"),
            )
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| {
                Failure::new(
                    ErrorCode::ServerConnect,
                    format!("reading the answer of {url}: {e}"),
                )
            })?;
        match status {
            200..=299 => Ok((status, text)),
            401 | 403 => fail(
                ErrorCode::ServerAuth,
                format!(
                    "the server rejected site {:?} with this access key ({})",
                    self.site,
                    server_message(&text)
                ),
            ),
            404 => fail(
                ErrorCode::ServerRegistryUnavailable,
                format!(
                    "the server at {} has no DWM recipient registry ({url}: 404); remove the `server=` line to use the local registry",
                    self.base
                ),
            ),
            _ => Err(self.refusal(status, &text)),
        }
    }

    /// An error answer: 314/316 for the registry's own refusals, 323 otherwise.
    fn refusal(&self, status: u16, text: &str) -> Failure {
        let code = serde_json::from_str::<ApiError>(text)
            .ok()
            .map(|e| e.error_code);
        let code = match code.as_deref() {
            Some("RECIPIENT_EXISTS") => ErrorCode::RecipientExists,
            Some("ID_SPACE_EXHAUSTED") => ErrorCode::IdSpaceExhausted,
            Some("BAD_NAME") => ErrorCode::RecipientName,
            _ => ErrorCode::ServerError,
        };
        Failure::new(
            code,
            format!("the server answered {status}: {}", server_message(text)),
        )
    }

    fn json<T: DeserializeOwned>(&self, path: &str, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| {
            Failure::new(
                ErrorCode::ServerResponse,
                format!("the server's answer to {path} is not the expected JSON: {e}"),
            )
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        let (_, text) = self.call(path, None, query)?;
        self.json(path, &text)
    }

    /// The one recipient `key=value` selects (the server answers a list of zero or one).
    fn lookup(&self, key: &str, value: &str) -> Result<Option<Recipient>> {
        let found: Vec<Recipient> = self.get("/dwm/recipients", &[(key, value)])?;
        let query = match key {
            "name" => RecipientQuery {
                name: Some(value.to_string()),
                dwm_id: None,
            },
            _ => RecipientQuery {
                name: None,
                dwm_id: value.parse().ok(),
            },
        };
        // An older server ignores the query and sends everyone: pick the match either way.
        Ok(found.into_iter().find(|r| query.matches(r)))
    }
}

/// The server's `code: message` from a JSON error body, or a short excerpt of the body.
fn server_message(text: &str) -> String {
    match serde_json::from_str::<ApiError>(text) {
        Ok(e) => format!("{}: {}", e.error_code, e.error_message),
        Err(_) => text.chars().filter(|c| !c.is_control()).take(200).collect(),
    }
}

impl RecipientRegistry for ServerRegistry {
    fn add(&mut self, name: &str) -> Result<Recipient> {
        check_name(name)?;
        let body = serde_json::json!({ "name": name }).to_string();
        let (_, text) = self.call("/dwm/recipients", Some(body), &[])?;
        self.json("/dwm/recipients", &text)
    }
    fn list(&self) -> Result<Vec<Recipient>> {
        self.get("/dwm/recipients", &[])
    }
    fn by_name(&self, name: &str) -> Result<Option<Recipient>> {
        self.lookup("name", name)
    }
    fn by_id(&self, dwm_id: u32) -> Result<Option<Recipient>> {
        self.lookup("dwm_id", &dwm_id.to_string())
    }
    fn record_job(&mut self, job: JobRecord) -> Result<()> {
        let body = serde_json::to_string(&job)
            .map_err(|e| Failure::new(ErrorCode::InternalState, format!("job record: {e}")))?;
        self.call("/dwm/jobs", Some(body), &[]).map(|_| ())
    }
    fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.get("/dwm/jobs", &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::parse(
            "site_id=TEST\nsite_key=unit-test-site-key-0123\naccess_key=dGVzdA==\n",
            std::path::Path::new("credentials"),
        )
        .unwrap()
    }

    #[test]
    fn bad_urls_are_321_and_an_unreachable_server_322() {
        for bad in ["ftp://x", "https://", "drm.example"] {
            assert_eq!(
                ServerRegistry::new(bad, &creds()).unwrap_err().code,
                ErrorCode::ServerUrl,
                "{bad}"
            );
        }
        // A port nothing listens on (bound, then closed).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = ServerRegistry::new(&format!("http://127.0.0.1:{port}"), &creds()).unwrap();
        assert_eq!(r.list().unwrap_err().code, ErrorCode::ServerConnect);
        assert_eq!(r.site, "TEST");
    }

    #[test]
    fn error_answers_keep_the_servers_code_and_message() {
        let r = ServerRegistry::new("http://127.0.0.1:9", &creds()).unwrap();
        let f = r.refusal(
            409,
            r#"{"error_code":"RECIPIENT_EXISTS","error_message":"taken"}"#,
        );
        assert_eq!(f.code, ErrorCode::RecipientExists);
        assert!(
            f.message.contains("RECIPIENT_EXISTS: taken"),
            "{}",
            f.message
        );
        assert_eq!(r.refusal(500, "oops").code, ErrorCode::ServerError);
        assert_eq!(
            r.json::<Vec<Recipient>>("/x", "not json").unwrap_err().code,
            ErrorCode::ServerResponse
        );
    }
}
