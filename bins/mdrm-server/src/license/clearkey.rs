//! The W3C EME ClearKey license exchange (protocols.md §2.4): request
//! `{"kids":["<base64url>"],"type":"temporary"}`, answer a JSON Web Key set
//! `{"keys":[{"kty":"oct","kid":"...","k":"..."}],"type":"temporary"}`.

use keys::{ContentKey, KeyId};
use serde::Deserialize;

use super::rejection::Rejection;
use super::token::decode_base64_lenient;

/// Most key ids one request may ask for.
pub const MAX_KIDS: usize = 64;
/// Largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The license type of the request (and of the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionType {
    /// `temporary`: a streaming license.
    #[default]
    Temporary,
    /// `persistent-license`: an offline license.
    PersistentLicense,
}

impl SessionType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Temporary => "temporary",
            Self::PersistentLicense => "persistent-license",
        }
    }
}

/// A parsed ClearKey license request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearKeyRequest {
    /// The key ids asked for, without duplicates, in request order.
    pub kids: Vec<KeyId>,
    /// The session type.
    pub session_type: SessionType,
    /// `session_id` (mdrm extension for apps that rewrite the body).
    pub session_id: Option<String>,
    /// `renewal_ticket` (mdrm extension for apps that rewrite the body).
    pub renewal_ticket: Option<String>,
}

#[derive(Deserialize)]
struct RequestJson {
    kids: Option<Vec<serde_json::Value>>,
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    session_id: Option<String>,
    renewal_ticket: Option<String>,
}

/// Parses a request body. Unknown fields are accepted.
pub fn parse_request(body: &[u8]) -> Result<ClearKeyRequest, Rejection> {
    let json: RequestJson = serde_json::from_slice(body).map_err(|_| {
        Rejection::request_invalid(
            "the body must be JSON like {\"kids\":[\"<base64url>\"],\"type\":\"temporary\"}",
        )
    })?;
    let raw = json
        .kids
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Rejection::request_invalid("kids is missing or empty"))?;
    if raw.len() > MAX_KIDS {
        return Err(Rejection::request_invalid(format!(
            "more than {MAX_KIDS} kids"
        )));
    }
    let mut kids = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        let bytes = v
            .as_str()
            .and_then(decode_base64_lenient)
            .ok_or_else(|| Rejection::request_invalid(format!("kids[{i}] is not base64url")))?;
        let kid = KeyId(
            <[u8; 16]>::try_from(bytes.as_slice())
                .map_err(|_| Rejection::request_invalid(format!("kids[{i}] is not 16 bytes")))?,
        );
        if !kids.contains(&kid) {
            kids.push(kid);
        }
    }
    let session_type = match json.kind.as_ref().and_then(|v| v.as_str()) {
        None | Some("temporary") => SessionType::Temporary,
        Some("persistent-license") => SessionType::PersistentLicense,
        Some(_) => {
            return Err(Rejection::request_invalid(
                "type must be temporary or persistent-license",
            ));
        }
    };
    Ok(ClearKeyRequest {
        kids,
        session_type,
        session_id: json.session_id,
        renewal_ticket: json.renewal_ticket,
    })
}

/// The JSON Web Key set answering `keys` (in the given order).
pub fn answer(keys: &[(KeyId, ContentKey)], session_type: SessionType) -> String {
    let keys: Vec<serde_json::Value> = keys
        .iter()
        .map(|(kid, key)| {
            serde_json::json!({
                "kty": "oct",
                "kid": kid.to_base64url(),
                "k": keys::to_base64url(key.secret_bytes()),
            })
        })
        .collect();
    serde_json::json!({ "keys": keys, "type": session_type.as_str() }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_2_4_example_round_trips() {
        let r =
            parse_request(br#"{"kids":["nrQFDeRLSAKTLifXUIPiZg"],"type":"temporary","extra":1}"#)
                .unwrap();
        assert_eq!(
            r.kids,
            [KeyId::from_hex("9eb4050d-e44b-4802-932e-27d75083e266").unwrap()]
        );
        assert_eq!(r.session_type, SessionType::Temporary);
        let key = ContentKey::from_hex("166634c675823c235a4a9446fad52e4d").unwrap();
        let a = answer(&[(r.kids[0], key)], r.session_type);
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"keys":[{"kty":"oct","kid":"nrQFDeRLSAKTLifXUIPiZg","k":"FmY0xnWCPCNaSpRG-tUuTQ"}],"type":"temporary"})
        );
    }

    #[test]
    fn duplicates_padding_and_extensions() {
        let r = parse_request(
            br#"{"kids":["nrQFDeRLSAKTLifXUIPiZg==","nrQFDeRLSAKTLifXUIPiZg"],"type":"persistent-license","session_id":"s1","renewal_ticket":"t"}"#,
        )
        .unwrap();
        assert_eq!(r.kids.len(), 1);
        assert_eq!(r.session_type, SessionType::PersistentLicense);
        assert_eq!(r.session_id.as_deref(), Some("s1"));
        assert_eq!(r.renewal_ticket.as_deref(), Some("t"));
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        for (body, what) in [
            (&b"kids"[..], "JSON"),
            (br#"{"type":"temporary"}"#, "kids"),
            (br#"{"kids":[]}"#, "kids"),
            (br#"{"kids":[1]}"#, "kids[0]"),
            (br#"{"kids":["AAAA"]}"#, "16 bytes"),
            (
                br#"{"kids":["nrQFDeRLSAKTLifXUIPiZg"],"type":"forever"}"#,
                "type",
            ),
        ] {
            let e = parse_request(body).unwrap_err();
            assert_eq!(e.code, "LICENSE_REQUEST_INVALID");
            assert!(e.message.contains(what), "{what}: {}", e.message);
        }
        let many: Vec<String> = (0..=MAX_KIDS)
            .map(|i| KeyId([i as u8; 16]).to_base64url())
            .collect();
        let body = serde_json::json!({ "kids": many }).to_string();
        assert!(parse_request(body.as_bytes()).is_err());
    }
}
