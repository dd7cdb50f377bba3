//! The license token (protocols.md §5.4): base64 of a JSON object with `drm_type`, `site_id`,
//! `user_id`, `cid`, the encrypted `policy`, `timestamp` and `hash`, sent in the
//! `pallycon-customdata-v2` header, so token generators written for that format work unchanged.
//!
//! Verification order: the hash (SHA-256 over access key, drm type, site id, user id, CID,
//! policy text and timestamp, compared in constant time), then the time window, then (by the
//! caller) the policy.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::policy::encrypt_policy;
use super::rejection::Rejection;

/// The request header carrying the token (as with the cloud license service).
pub const TOKEN_HEADER: &str = "pallycon-customdata-v2";
/// The query parameter carrying the token for players that cannot set headers.
pub const TOKEN_QUERY: &str = "token";
/// The `drm_type` this service answers.
pub const DRM_TYPE_CLEARKEY: &str = "ClearKey";
/// Longest token accepted (characters).
pub const MAX_TOKEN_CHARS: usize = 16 * 1024;

#[derive(Deserialize)]
struct TokenJson {
    drm_type: Option<String>,
    site_id: Option<String>,
    user_id: Option<String>,
    cid: Option<String>,
    policy: Option<String>,
    timestamp: Option<String>,
    hash: Option<String>,
    key_rotation: Option<serde_json::Value>,
}

/// A decoded (not yet verified) license token.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseToken {
    /// `drm_type` (the format's default, `PlayReady`, when absent).
    pub drm_type: String,
    /// `site_id`.
    pub site_id: String,
    /// `user_id` (empty when absent).
    pub user_id: String,
    /// `cid`: the content id used when packaging.
    pub cid: String,
    /// `policy`: base64 of the encrypted policy JSON, as sent.
    pub policy: String,
    /// `timestamp`, as sent (it enters the hash as text).
    pub timestamp_text: String,
    /// `timestamp`, parsed.
    pub timestamp: jiff::Timestamp,
    /// `hash`, as sent.
    pub hash: String,
    /// `key_rotation`.
    pub key_rotation: bool,
}

impl std::fmt::Debug for LicenseToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseToken")
            .field("drm_type", &self.drm_type)
            .field("site_id", &self.site_id)
            .field("cid", &self.cid)
            .field("timestamp", &self.timestamp_text)
            .finish_non_exhaustive()
    }
}

/// Decodes base64 in any of the usual alphabets, with or without padding.
pub(crate) fn decode_base64_lenient(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(t).ok())
}

fn required(field: &'static str, v: Option<String>) -> Result<String, Rejection> {
    v.filter(|s| !s.is_empty())
        .ok_or_else(|| Rejection::token_malformed(format!("{field} is missing")))
}

impl LicenseToken {
    /// Decodes a token (base64 JSON). Checks shapes only; nothing is verified yet.
    pub fn decode(text: &str) -> Result<Self, Rejection> {
        if text.len() > MAX_TOKEN_CHARS {
            return Err(Rejection::token_malformed("longer than 16 KiB"));
        }
        let bytes =
            decode_base64_lenient(text).ok_or_else(|| Rejection::token_malformed("not base64"))?;
        let json: TokenJson = serde_json::from_slice(&bytes)
            .map_err(|_| Rejection::token_malformed("not a JSON object of the token format"))?;
        let site_id = required("site_id", json.site_id)?;
        if site_id.len() > 64 || !site_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Rejection::token_malformed(
                "site_id must be printable ASCII without spaces",
            ));
        }
        let cid = required("cid", json.cid)?;
        if cid.len() > 200 {
            return Err(Rejection::token_malformed("cid is longer than 200 bytes"));
        }
        let timestamp_text = required("timestamp", json.timestamp)?;
        let timestamp = timestamp_text.parse().map_err(|_| {
            Rejection::token_malformed("timestamp must be UTC, YYYY-MM-DDThh:mm:ssZ")
        })?;
        let key_rotation = match json.key_rotation {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(_) => {
                return Err(Rejection::token_malformed(
                    "key_rotation must be true or false",
                ));
            }
        };
        Ok(LicenseToken {
            drm_type: json.drm_type.unwrap_or_else(|| "PlayReady".into()),
            site_id,
            user_id: json.user_id.unwrap_or_default(),
            cid,
            policy: required("policy", json.policy)?,
            timestamp_text,
            timestamp,
            hash: required("hash", json.hash)?,
            key_rotation,
        })
    }

    /// SHA-256(access_key + drm_type + site_id + user_id + cid + policy + timestamp).
    pub fn expected_hash(&self, access_key: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [
            access_key,
            &self.drm_type,
            &self.site_id,
            &self.user_id,
            &self.cid,
            &self.policy,
            &self.timestamp_text,
        ] {
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    /// True when the token's `hash` was made with `access_key` over these values (constant
    /// time in the digest comparison).
    pub fn hash_verifies(&self, access_key: &str) -> bool {
        let expected = self.expected_hash(access_key);
        let Some(given) = decode_base64_lenient(&self.hash) else {
            return false;
        };
        given.len() == 32 && bool::from(given.ct_eq(&expected))
    }

    /// Checks the time window: `timestamp` at most `lifetime` ago and at most `skew` ahead.
    pub fn check_time(
        &self,
        now: jiff::Timestamp,
        lifetime: Duration,
        skew: Duration,
    ) -> Result<(), Rejection> {
        let diff = now.as_millisecond() - self.timestamp.as_millisecond();
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if diff > millis(lifetime) {
            return Err(Rejection::token_expired(
                Duration::from_millis(diff.unsigned_abs()),
                lifetime,
            ));
        }
        if -diff > millis(skew) {
            return Err(Rejection::token_not_yet_valid(Duration::from_millis(
                diff.unsigned_abs(),
            )));
        }
        Ok(())
    }
}

/// What a token issuer fills in (tests, demos, `mdrm-server token`).
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    /// `drm_type` (`ClearKey` for this service).
    pub drm_type: &'a str,
    /// `site_id`.
    pub site_id: &'a str,
    /// `user_id` (`LICENSETOKEN` for none).
    pub user_id: &'a str,
    /// `cid`.
    pub cid: &'a str,
    /// The policy JSON, in clear.
    pub policy_json: &'a str,
    /// When the token is issued.
    pub timestamp: jiff::Timestamp,
    /// `key_rotation`.
    pub key_rotation: bool,
}

/// The `timestamp` text of the token format (UTC, whole seconds).
pub fn format_timestamp(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Issues a token the way the format's generators do: encrypt the policy with the site key,
/// hash with the access key, base64 the JSON.
pub fn issue_token(
    req: &TokenRequest<'_>,
    access_key: &str,
    site_key: &str,
) -> Result<String, Rejection> {
    let policy = encrypt_policy(req.policy_json, site_key)?;
    let timestamp = format_timestamp(req.timestamp);
    let mut h = Sha256::new();
    for part in [
        access_key,
        req.drm_type,
        req.site_id,
        req.user_id,
        req.cid,
        &policy,
        &timestamp,
    ] {
        h.update(part.as_bytes());
    }
    let hash = STANDARD.encode(h.finalize());
    let json = serde_json::json!({
        "drm_type": req.drm_type,
        "site_id": req.site_id,
        "user_id": req.user_id,
        "cid": req.cid,
        "policy": policy,
        "timestamp": timestamp,
        "hash": hash,
        "response_format": "original",
        "key_rotation": req.key_rotation,
    });
    Ok(STANDARD.encode(json.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE_KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";
    const ENC_POLICY: &str = "+yyjEeo74B+D2TFV1PlFWPVElO0dPq/hvRsob50lnNSDOukL+smXcsdvcDwfzbZpEw3A1lu8baOAB5yEmsfmfR4qHYV/1pimS1CayzGeDrUVR9N0ob/Qvu6jtJxAazYe";
    const HASH: &str = "UB2+zwwrGLiyHQES/mM2ytAHwD1KiRr/6gshQiuqHFQ=";

    fn vector_token(hash: &str) -> String {
        let json = serde_json::json!({
            "drm_type": "Widevine", "site_id": "ABCD", "user_id": "user1", "cid": "cid-001",
            "policy": ENC_POLICY, "timestamp": "2024-01-01T00:00:00Z", "hash": hash,
        });
        STANDARD.encode(json.to_string())
    }

    #[test]
    fn test_vector_7_10_hash_verifies_with_the_access_key_only() {
        let t = LicenseToken::decode(&vector_token(HASH)).unwrap();
        assert_eq!(STANDARD.encode(t.expected_hash("ACCESSKEY")), HASH);
        assert!(t.hash_verifies("ACCESSKEY"));
        assert!(!t.hash_verifies("ACCESSKEz"));
        // Any change of a hashed value breaks it.
        let mut other = t.clone();
        other.user_id = "user2".into();
        assert!(!other.hash_verifies("ACCESSKEY"));
        let mut other = t.clone();
        other.timestamp_text = "2024-01-01T00:00:01Z".into();
        assert!(!other.hash_verifies("ACCESSKEY"));
        let bad = LicenseToken::decode(&vector_token("AAAA")).unwrap();
        assert!(!bad.hash_verifies("ACCESSKEY"));
    }

    #[test]
    fn issued_tokens_reproduce_the_vector() {
        let req = TokenRequest {
            drm_type: "Widevine",
            site_id: "ABCD",
            user_id: "user1",
            cid: "cid-001",
            policy_json: r#"{"policy_version":2,"playback_policy":{"persistent":false,"license_duration":0}}"#,
            timestamp: "2024-01-01T00:00:00Z".parse().unwrap(),
            key_rotation: false,
        };
        let text = issue_token(&req, "ACCESSKEY", SITE_KEY).unwrap();
        let t = LicenseToken::decode(&text).unwrap();
        assert_eq!(t.policy, ENC_POLICY);
        assert_eq!(t.hash, HASH);
        assert_eq!(t.timestamp_text, "2024-01-01T00:00:00Z");
    }

    #[test]
    fn any_base64_alphabet_is_accepted() {
        let std = vector_token(HASH);
        let bytes = STANDARD.decode(&std).unwrap();
        for text in [
            URL_SAFE_NO_PAD.encode(&bytes),
            URL_SAFE.encode(&bytes),
            format!(" {std}\n"),
        ] {
            assert_eq!(LicenseToken::decode(&text).unwrap().hash, HASH);
        }
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        let enc = |v: serde_json::Value| STANDARD.encode(v.to_string());
        for (text, what) in [
            ("%%%".to_string(), "base64"),
            (STANDARD.encode("[1,2]"), "JSON"),
            (
                enc(
                    serde_json::json!({"cid":"c","policy":"p","timestamp":"2024-01-01T00:00:00Z","hash":"h"}),
                ),
                "site_id",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"AB D","cid":"c","policy":"p","timestamp":"2024-01-01T00:00:00Z","hash":"h"}),
                ),
                "site_id",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"ABCD","policy":"p","timestamp":"2024-01-01T00:00:00Z","hash":"h"}),
                ),
                "cid",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"ABCD","cid":"c","timestamp":"2024-01-01T00:00:00Z","hash":"h"}),
                ),
                "policy",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"ABCD","cid":"c","policy":"p","timestamp":"yesterday","hash":"h"}),
                ),
                "timestamp",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"ABCD","cid":"c","policy":"p","timestamp":"2024-01-01T00:00:00Z"}),
                ),
                "hash",
            ),
            (
                enc(
                    serde_json::json!({"site_id":"ABCD","cid":"c".repeat(201),"policy":"p","timestamp":"2024-01-01T00:00:00Z","hash":"h"}),
                ),
                "cid",
            ),
            ("A".repeat(MAX_TOKEN_CHARS + 1), "16 KiB"),
        ] {
            let e = LicenseToken::decode(&text).unwrap_err();
            assert_eq!(e.code, "TOKEN_MALFORMED");
            assert!(e.message.contains(what), "{what}: {}", e.message);
        }
    }

    #[test]
    fn time_window_is_lifetime_back_and_skew_ahead() {
        let t = LicenseToken::decode(&vector_token(HASH)).unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let (life, skew) = (Duration::from_secs(600), Duration::from_secs(60));
        assert!(t.check_time(at("2024-01-01T00:10:00Z"), life, skew).is_ok());
        let e = t
            .check_time(at("2024-01-01T00:10:01Z"), life, skew)
            .unwrap_err();
        assert_eq!(e.code, "TOKEN_EXPIRED");
        assert!(t.check_time(at("2023-12-31T23:59:00Z"), life, skew).is_ok());
        let e = t
            .check_time(at("2023-12-31T23:58:59Z"), life, skew)
            .unwrap_err();
        assert_eq!(e.code, "TOKEN_NOT_YET_VALID");
    }

    #[test]
    fn defaults_and_debug_hide_the_secret_bearing_fields() {
        let json = serde_json::json!({"site_id":"ABCD","cid":"c","policy":"SECRETPOLICY",
            "timestamp":"2024-01-01T00:00:00Z","hash":"SECRETHASH","key_rotation":true});
        let t = LicenseToken::decode(&STANDARD.encode(json.to_string())).unwrap();
        assert_eq!(t.drm_type, "PlayReady");
        assert_eq!(t.user_id, "");
        assert!(t.key_rotation);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
    }
}
