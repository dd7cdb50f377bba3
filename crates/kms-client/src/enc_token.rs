//! The `enc-token` path segment that authenticates a packager to the key server.
//!
//! Construction (the shape of the cloud KMS's published Anevia example token):
//! `enc-token = base64url-without-padding( UTF-8 JSON {"site_id": "<site id>", "access_key": "<access key>"} )`.
//! The URL-safe alphabet keeps the token a single path segment. Decoding accepts every base64
//! alphabet, padded or not, so tokens copied from elsewhere work too. The token is a secret:
//! it is never logged and never appears in an error message.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::Error;
use crate::ids::{AccessKey, SiteId};

#[derive(Serialize, Deserialize)]
struct TokenBody {
    site_id: String,
    access_key: String,
}

/// Longest token accepted for decoding (characters).
pub const MAX_TOKEN_CHARS: usize = 2048;

/// Builds the token for `site_id` + `access_key`.
pub fn encode(site_id: &SiteId, access_key: &AccessKey) -> String {
    let mut body = TokenBody {
        site_id: site_id.as_str().to_string(),
        access_key: access_key.expose_secret().to_string(),
    };
    let mut json = serde_json::to_vec(&body).expect("two strings always serialise");
    body.access_key.zeroize();
    let token = URL_SAFE_NO_PAD.encode(&json);
    json.zeroize();
    token
}

/// Reads a token back. The error never says more than "not a valid token".
pub fn decode(token: &str) -> Result<(SiteId, AccessKey), Error> {
    let bad = || Error::invalid_argument("enc-token", "not a valid token");
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Err(bad());
    }
    let mut json = keys::decode_base64("enc-token", token).map_err(|_| bad())?;
    let parsed: Result<TokenBody, _> = serde_json::from_slice(&json);
    json.zeroize();
    let mut body = parsed.map_err(|_| bad())?;
    let site = SiteId::parse("enc-token", &body.site_id).map_err(|_| bad());
    let key = AccessKey::parse("enc-token", &body.access_key).map_err(|_| bad());
    body.access_key.zeroize();
    Ok((site?, key?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_url_safety() {
        let site = SiteId::parse("s", "DEMO").unwrap();
        let key = AccessKey::parse("a", "a+b/c==?&\"x").unwrap();
        let t = encode(&site, &key);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{t}"
        );
        let (s, k) = decode(&t).unwrap();
        assert_eq!(s, site);
        assert_eq!(k, key);
    }

    #[test]
    fn reads_the_published_anevia_example_token() {
        // protocols.md 5.3 / the cloud KMS CPIX API guide (Anevia request URL example).
        let t = "eyJzaXRlX2lkIjoiREVNTyIsICJhY2Nlc3Nfa2V5IjoiZHNJb2xjN2gxRzhUVW1JMTdiWXd4aFV1TkZvRmNlNzJjeDllTU9rNjJ3YjhWTjJQZGdwV1lISXhTRVg5ZjBIaSJ9";
        let (s, k) = decode(t).unwrap();
        assert_eq!(s.as_str(), "DEMO");
        assert_eq!(k.expose_secret().len(), 64);
    }

    #[test]
    fn garbage_is_rejected_without_echo() {
        for t in ["", "!!!", "e30", "bm90IGpzb24", &"A".repeat(5000)] {
            let e = decode(t).unwrap_err();
            assert_eq!(
                e.to_string(),
                "invalid argument enc-token: not a valid token"
            );
        }
    }
}
