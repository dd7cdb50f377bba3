//! The CPIX key-server client (`--kms-url`): the cloud KMS API shape, also spoken by
//! `mdrm-server`.

use super::{Attempt, agent, read_body, status_error, transport_error, with_retries};
use crate::cpix::{limits::MAX_DOCUMENT_BYTES, parse, write};
use crate::defaults::DEFAULT_CPIX_PATH;
use crate::exchange::{build_key_request, read_key_answer};
use crate::http_options::HttpOptions;
use crate::ids::{AccessKey, SiteId};
use crate::keyset::{KeyRequest, KeySet};
use crate::source::KeySource;
use crate::{Error, enc_token};

/// The placeholder a `--kms-url` may contain where the token goes.
pub const TOKEN_PLACEHOLDER: &str = "{enc-token}";

/// The request URL for `base` (a `--kms-url`) and `token`:
/// - `{enc-token}` in `base` is replaced by the token;
/// - a bare server (`http://host:port` or `.../`) gets [`DEFAULT_CPIX_PATH`] + token;
/// - any other path gets `/` + token appended (`.../getKey` and `.../getKey/` both work).
///
/// A query string in `base` is kept after the path.
pub fn cpix_url(base: &str, token: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::invalid_argument("--kms-url", why.to_string());
    let lower = base.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &base[7..]
    } else if lower.starts_with("https://") {
        &base[8..]
    } else {
        return Err(bad("must be an http:// or https:// URL"));
    };
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(bad("must name a host"));
    }
    if base.contains(TOKEN_PLACEHOLDER) {
        return Ok(base.replace(TOKEN_PLACEHOLDER, token));
    }
    let (without_query, query) = match base.find('?') {
        Some(i) => (&base[..i], &base[i..]),
        None => (base, ""),
    };
    let scheme_len = base.len() - rest.len();
    let path_start = without_query[scheme_len..]
        .find('/')
        .map(|i| i + scheme_len);
    let url = match path_start {
        None => format!("{without_query}{DEFAULT_CPIX_PATH}{token}"),
        Some(i) if &without_query[i..] == "/" => {
            format!("{}{DEFAULT_CPIX_PATH}{token}", &without_query[..i])
        }
        Some(_) if without_query.ends_with('/') => format!("{without_query}{token}"),
        Some(_) => format!("{without_query}/{token}"),
    };
    Ok(format!("{url}{query}"))
}

/// Gets keys from a CPIX key server: `POST <url>/<enc-token>` with a CPIX 2.3 document.
///
/// Authentication is the enc-token built from `--site-id` + `--access-key`
/// ([`crate::enc_token`]). A JSON answer is an error (2002) whatever its HTTP status; so is
/// any non-2xx answer. Unreachable servers and 5xx/429 answers are retried with backoff
/// ([`HttpOptions`]).
pub struct CpixClient {
    base: String,
    auth: Auth,
    http: HttpOptions,
    agent: ureq::Agent,
}

/// How the client authenticates.
enum Auth {
    /// The token is built from site id and access key.
    Credentials(SiteId, AccessKey),
    /// A token issued elsewhere (e.g. the cloud console), sent verbatim.
    Token(Option<SiteId>, KmsToken),
}

/// An enc-token issued by a key server's console. `Debug` is redacted, memory wiped on drop.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct KmsToken(String);

impl KmsToken {
    /// Validates a token: 1 to 2048 characters usable in a URL path segment
    /// (letters, digits, `-_.~+=`).
    pub fn parse(flag: &'static str, text: &str) -> Result<Self, Error> {
        let t = text.trim();
        let ok = !t.is_empty()
            && t.len() <= enc_token::MAX_TOKEN_CHARS
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~+=".contains(&b));
        if !ok {
            return Err(Error::invalid_argument(
                flag,
                "a KMS token is 1-2048 characters of A-Z a-z 0-9 - _ . ~ + =",
            ));
        }
        Ok(KmsToken(t.to_string()))
    }
}

impl std::fmt::Debug for KmsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KmsToken(<redacted>)")
    }
}

impl Auth {
    fn site(&self) -> String {
        match self {
            Auth::Credentials(s, _) | Auth::Token(Some(s), _) => format!("site {s}"),
            Auth::Token(None, _) => "KMS token".to_string(),
        }
    }

    fn token(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(match self {
            Auth::Credentials(s, k) => enc_token::encode(s, k),
            Auth::Token(_, t) => t.0.clone(),
        })
    }
}

impl std::fmt::Debug for CpixClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CpixClient({}, {})", self.base, self.auth.site())
    }
}

impl CpixClient {
    /// A client for the key server at `kms_url` (see [`cpix_url`] for the accepted forms).
    pub fn new(
        kms_url: &str,
        site_id: SiteId,
        access_key: AccessKey,
        http: HttpOptions,
    ) -> Result<Self, Error> {
        Self::build(kms_url, Auth::Credentials(site_id, access_key), http)
    }

    /// A client that sends `token` (issued by the key server's console) verbatim instead of
    /// one built from site id and access key. `site_id` only labels the log line.
    pub fn with_token(
        kms_url: &str,
        site_id: Option<SiteId>,
        token: KmsToken,
        http: HttpOptions,
    ) -> Result<Self, Error> {
        Self::build(kms_url, Auth::Token(site_id, token), http)
    }

    fn build(kms_url: &str, auth: Auth, http: HttpOptions) -> Result<Self, Error> {
        // Validate the URL form now so a typo is a 1102 before any work starts.
        cpix_url(kms_url, "t")?;
        Ok(CpixClient {
            base: kms_url.to_string(),
            auth,
            agent: agent(&http),
            http,
        })
    }

    /// Posts one CPIX document and returns the answer's text (after retries).
    pub fn exchange(&self, request_xml: &str) -> Result<String, Error> {
        let token = self.auth.token();
        let url = zeroize::Zeroizing::new(cpix_url(&self.base, &token)?);
        let endpoint = self.base.replace(TOKEN_PLACEHOLDER, "…");
        with_retries(&self.http, || {
            let sent = self
                .agent
                .post(url.as_str())
                .header("Content-Type", "application/xml")
                .header("Accept", "application/xml")
                .header("X-Speke-Version", "2.0")
                .send(request_xml);
            let mut resp = match sent {
                Ok(r) => r,
                Err(e) => return transport_error(e, &endpoint, self.http.timeout),
            };
            let status = resp.status().as_u16();
            let body = match read_body(
                &mut resp,
                MAX_DOCUMENT_BYTES as u64,
                &endpoint,
                self.http.timeout,
            ) {
                Ok(b) => b,
                Err(e) => return Attempt::Done(Err(e)),
            };
            if !(200..300).contains(&status) {
                return status_error(status, &body);
            }
            // The cloud KMS reports errors as JSON, even with status 200.
            if let Some((code, message)) = super::json_error(&body) {
                return Attempt::Done(Err(Error::ServerAnswer {
                    status,
                    code,
                    message,
                }));
            }
            Attempt::Done(Ok(body))
        })
    }
}

impl KeySource for CpixClient {
    fn fetch(&self, request: &KeyRequest) -> Result<KeySet, Error> {
        let (doc, sent) = build_key_request(request)?;
        let answer = self.exchange(&write(&doc))?;
        let parsed = parse(&answer)?;
        read_key_answer(&parsed, &sent)
    }

    fn describe(&self) -> String {
        format!("CPIX key server {} ({})", self.base, self.auth.site())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        let t = "TOKEN";
        assert_eq!(
            cpix_url("http://127.0.0.1:8480", t).unwrap(),
            "http://127.0.0.1:8480/v2/cpix/pallycon/getKey/TOKEN"
        );
        assert_eq!(
            cpix_url("http://127.0.0.1:8480/", t).unwrap(),
            "http://127.0.0.1:8480/v2/cpix/pallycon/getKey/TOKEN"
        );
        assert_eq!(
            cpix_url("https://kms.example.com/v1/cpix/pallycon/getKey/", t).unwrap(),
            "https://kms.example.com/v1/cpix/pallycon/getKey/TOKEN"
        );
        assert_eq!(
            cpix_url("https://kms.example.com/cpix/pallycon/getKey", t).unwrap(),
            "https://kms.example.com/cpix/pallycon/getKey/TOKEN"
        );
        assert_eq!(
            cpix_url(
                "https://kms.example.com/cpix/getKey?enc-token={enc-token}",
                t
            )
            .unwrap(),
            "https://kms.example.com/cpix/getKey?enc-token=TOKEN"
        );
        assert_eq!(
            cpix_url("http://h/keys?x=1", t).unwrap(),
            "http://h/keys/TOKEN?x=1"
        );
        for bad in [
            "ftp://h/",
            "http://",
            "http:///x",
            "127.0.0.1:8480",
            "http://a b/",
        ] {
            assert!(
                matches!(
                    cpix_url(bad, t),
                    Err(Error::InvalidArgument {
                        flag: "--kms-url",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn describe_and_debug_never_show_the_access_key() {
        let c = CpixClient::new(
            "http://127.0.0.1:8480/",
            SiteId::parse("s", "DEMO").unwrap(),
            AccessKey::parse("a", "TopSecretAccessKey").unwrap(),
            HttpOptions::default(),
        )
        .unwrap();
        assert!(!c.describe().contains("TopSecret"));
        assert!(!format!("{c:?}").contains("TopSecret"));
    }
}
