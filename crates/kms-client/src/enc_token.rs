//! The `enc-token` path segment that authenticates a packager to the key server.
//!
//! Construction (the shape of the cloud KMS's published Anevia example token): the base64 of
//! the UTF-8 JSON object `{"site_id": "<site id>", "access_key": "<access key>"}`.
//! The JSON's optional white space is chosen so that the base64 text uses letters and digits
//! only (no `+`, `/`, `-`, `_` or `=` padding): the token is then the same in the standard and
//! the URL-safe alphabet and is always one plain URL path segment. (If no spacing gives that,
//! the URL-safe alphabet without padding is used.) Decoding accepts every base64 alphabet,
//! padded or not, and any JSON spacing, so tokens copied from elsewhere work too.
//!
//! The token is a secret: it is never logged and never appears in an error message.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use zeroize::Zeroize;

use crate::Error;
use crate::ids::{AccessKey, SiteId};

#[derive(Deserialize)]
struct TokenBody {
    site_id: String,
    access_key: String,
}

/// Longest token accepted for decoding (characters).
pub const MAX_TOKEN_CHARS: usize = 2048;

/// Spacings tried per position when looking for a letters-and-digits token.
const SPACINGS: usize = 16;

fn json_with_spacing(site: &str, key: &str, sp: [usize; 4]) -> Vec<u8> {
    let pad = |n: usize| " ".repeat(n);
    format!(
        "{{{}\"site_id\":{}{site},{}\"access_key\":{key}{}}}",
        pad(sp[0]),
        pad(sp[1]),
        pad(sp[2]),
        pad(sp[3])
    )
    .into_bytes()
}

/// Builds the token for `site_id` + `access_key` (see the module docs).
pub fn encode(site_id: &SiteId, access_key: &AccessKey) -> String {
    // JSON string literals, escaped.
    let site = serde_json::to_string(site_id.as_str()).expect("strings serialise");
    let mut key = serde_json::to_string(access_key.expose_secret()).expect("strings serialise");
    let mut token = None;
    'search: for a in 0..SPACINGS {
        for b in 0..SPACINGS {
            for c in 0..SPACINGS {
                for d in 0..SPACINGS {
                    let mut json = json_with_spacing(&site, &key, [a, b, c, d]);
                    if json.len().is_multiple_of(3) {
                        let t = STANDARD.encode(&json);
                        if t.bytes().all(|x| x.is_ascii_alphanumeric()) {
                            json.zeroize();
                            token = Some(t);
                            break 'search;
                        }
                    }
                    json.zeroize();
                }
            }
        }
    }
    let token = token.unwrap_or_else(|| {
        let mut json = json_with_spacing(&site, &key, [0; 4]);
        let t = URL_SAFE_NO_PAD.encode(&json);
        json.zeroize();
        t
    });
    key.zeroize();
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
        let key = AccessKey::parse("a", "a+b/c==?&\"x\\").unwrap();
        let t = encode(&site, &key);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()), "{t}");
        let (s, k) = decode(&t).unwrap();
        assert_eq!(s, site);
        assert_eq!(k, key);
    }

    proptest::proptest! {
        #[test]
        fn tokens_of_alphanumeric_keys_are_letters_and_digits(
            site in "[A-Z0-9]{4}",
            key in "[A-Za-z0-9]{1,100}",
        ) {
            // Only the bytes '>', '?', '~' can make a '+' or '/' (their low six bits are all
            // ones); spacing moves them off the offsets where they would.
            let site = SiteId::parse("s", &site).unwrap();
            let key = AccessKey::parse("a", &key).unwrap();
            let t = encode(&site, &key);
            proptest::prop_assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()), "{}", t);
            for engine in [&STANDARD, &URL_SAFE_NO_PAD] {
                let json = engine.decode(&t).unwrap();
                let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
                proptest::prop_assert_eq!(v["site_id"].as_str(), Some(site.as_str()));
                proptest::prop_assert_eq!(v["access_key"].as_str(), Some(key.expose_secret()));
            }
        }

        #[test]
        fn any_printable_key_round_trips_in_one_path_segment(
            site in "[!-~]{4}",
            key in "[!-~]{1,100}",
        ) {
            let site = SiteId::parse("s", &site).unwrap();
            let key = AccessKey::parse("a", &key).unwrap();
            let t = encode(&site, &key);
            proptest::prop_assert!(
                t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{}",
                t
            );
            let (s, k) = decode(&t).unwrap();
            proptest::prop_assert_eq!(s, site);
            proptest::prop_assert_eq!(k, key);
        }
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
