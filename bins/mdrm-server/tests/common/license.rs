//! License-face test support: tokens made the way token generators make them, and a small
//! HTTP client for the license, release and status endpoints.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use keys::KeyId;
use kms_client::{Keystore, StoredKey};
use mdrm_server::license::token::{TokenRequest, issue_token};

use super::{Credentials, ServerFiles};

/// A streaming policy with no limits of its own.
pub(crate) const STREAMING: &str =
    r#"{"policy_version":2,"playback_policy":{"persistent":false,"license_duration":0}}"#;

/// A ClearKey token for `user` and `cid`, issued now.
pub(crate) fn token(creds: &Credentials, user: &str, cid: &str, policy: &str) -> String {
    token_with(
        creds,
        "ClearKey",
        user,
        cid,
        policy,
        jiff::Timestamp::now(),
        false,
    )
}

/// A token with every field chosen.
pub(crate) fn token_with(
    creds: &Credentials,
    drm_type: &str,
    user: &str,
    cid: &str,
    policy: &str,
    timestamp: jiff::Timestamp,
    key_rotation: bool,
) -> String {
    issue_token(
        &TokenRequest {
            drm_type,
            site_id: &creds.site_id,
            user_id: user,
            cid,
            policy_json: policy,
            timestamp,
            key_rotation,
        },
        &creds.access_key,
        &creds.site_key,
    )
    .unwrap()
}

/// Keys for (site, cid, labels) in the server's keystore, created when missing (as a packager
/// using the shared keystore or the CPIX key service would).
pub(crate) fn content_keys(
    files: &ServerFiles,
    site: &str,
    cid: &str,
    labels: &[&str],
) -> Vec<StoredKey> {
    Keystore::open(&files.db())
        .unwrap()
        .get_or_create(site, cid, labels)
        .unwrap()
}

/// The ClearKey request body for `kids`.
pub(crate) fn kids_body(kids: &[KeyId]) -> String {
    let kids: Vec<String> = kids.iter().map(|k| k.to_base64url()).collect();
    serde_json::json!({ "kids": kids, "type": "temporary" }).to_string()
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub(crate) fn code(&self) -> String {
        self.json()["error_code"].as_str().unwrap_or("").to_string()
    }
    /// The `mdrm-streams-current` header as a number.
    pub(crate) fn streams(&self) -> Option<u32> {
        self.header("mdrm-streams-current")
            .and_then(|v| v.parse().ok())
    }
}

/// A client of one server's license face.
#[derive(Clone)]
pub(crate) struct LicenseClient {
    base: String,
    agent: ureq::Agent,
}

impl LicenseClient {
    pub(crate) fn new(base: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build();
        LicenseClient {
            base: base.to_string(),
            agent: ureq::Agent::new_with_config(config),
        }
    }

    fn read(mut resp: ureq::http::Response<ureq::Body>) -> Answer {
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        Answer {
            status: resp.status().as_u16(),
            headers,
            body: resp.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    /// `POST <path>` with headers and a body.
    pub(crate) fn post(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut req = self.agent.post(&format!("{}{}", self.base, path_and_query));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send(body).expect("HTTP exchange"))
    }

    /// A license request: token in the header, optional session id and renewal ticket.
    pub(crate) fn license(
        &self,
        token: &str,
        session: Option<&str>,
        ticket: Option<&str>,
        kids: &[KeyId],
    ) -> Answer {
        let mut h = vec![
            ("pallycon-customdata-v2", token),
            ("content-type", "application/json"),
        ];
        if let Some(s) = session {
            h.push(("mdrm-session-id", s));
        }
        if let Some(t) = ticket {
            h.push(("mdrm-renewal-ticket", t));
        }
        self.post("/license/clearkey", &h, &kids_body(kids))
    }

    /// An explicit stop.
    pub(crate) fn release(&self, token: &str, session: Option<&str>) -> Answer {
        let mut h = vec![("pallycon-customdata-v2", token)];
        if let Some(s) = session {
            h.push(("mdrm-session-id", s));
        }
        self.post("/license/clearkey/release", &h, "")
    }

    /// The support status of `user` (HTTP Basic with site id and access key).
    pub(crate) fn status(&self, site: &str, access_key: &str, user: &str) -> Answer {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{site}:{access_key}"));
        let url = format!("{}/license/csl/status?user_id={user}", self.base);
        let resp = self
            .agent
            .get(&url)
            .header("authorization", &format!("Basic {auth}"))
            .call()
            .expect("HTTP exchange");
        Self::read(resp)
    }

    /// The user's current stream count from the status endpoint.
    pub(crate) fn current_streams(&self, creds: &Credentials, user: &str) -> u64 {
        let a = self.status(&creds.site_id, &creds.access_key, user);
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["current_streams"].as_u64().unwrap()
    }
}
