//! Validated identifiers and credentials: site id, content id, access key.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;

/// Longest content id accepted (bytes of UTF-8), as in the cloud packagers.
pub const MAX_CONTENT_ID_BYTES: usize = 200;

/// Longest access key accepted (bytes).
pub const MAX_ACCESS_KEY_BYTES: usize = 256;

/// A service site id: exactly 4 printable ASCII characters (no space), e.g. `DEMO`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(String);

impl SiteId {
    /// Validates `text` as a site id; `flag` names the argument in the error (e.g. `--site-id`).
    pub fn parse(flag: &'static str, text: &str) -> Result<Self, Error> {
        let ok = text.len() == 4 && text.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Error::invalid_argument(
                flag,
                "a site id is exactly 4 printable ASCII characters",
            ));
        }
        Ok(SiteId(text.to_string()))
    }

    /// The site id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteId({})", self.0)
    }
}

/// A content id (CID): 1 to 200 bytes of UTF-8 without control characters.
///
/// The same CID always gets the same keys from a keystore or key server.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(String);

impl ContentId {
    /// Validates `text` as a content id; `flag` names the argument in the error.
    pub fn parse(flag: &'static str, text: &str) -> Result<Self, Error> {
        if text.is_empty() || text.len() > MAX_CONTENT_ID_BYTES {
            return Err(Error::invalid_argument(
                flag,
                format!("a content id has 1 to {MAX_CONTENT_ID_BYTES} bytes"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                flag,
                "a content id must not contain control characters",
            ));
        }
        Ok(ContentId(text.to_string()))
    }

    /// The content id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({:?})", self.0)
    }
}

/// The secret that authenticates a packager to the key server (`--access-key`).
///
/// `Debug` is redacted and the memory is wiped on drop; read it with
/// [`AccessKey::expose_secret`], a name that is easy to audit.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AccessKey(String);

impl AccessKey {
    /// Validates an access key: 1 to 256 printable ASCII characters.
    pub fn parse(flag: &'static str, text: &str) -> Result<Self, Error> {
        let t = text.trim();
        let ok = !t.is_empty()
            && t.len() <= MAX_ACCESS_KEY_BYTES
            && t.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(Error::invalid_argument(
                flag,
                format!("an access key is 1 to {MAX_ACCESS_KEY_BYTES} printable ASCII characters"),
            ));
        }
        Ok(AccessKey(t.to_string()))
    }

    /// The secret text. Never log or format it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_id_is_four_printable_bytes() {
        assert_eq!(SiteId::parse("--site-id", "DEMO").unwrap().as_str(), "DEMO");
        for bad in ["", "ABC", "ABCDE", "AB D", "ÄBC", "AB\tC"] {
            let e = SiteId::parse("--site-id", bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidArgument {
                        flag: "--site-id",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn content_id_limits() {
        assert!(ContentId::parse("--contents-id", "movie-0001").is_ok());
        assert!(ContentId::parse("--contents-id", "Film über Köln").is_ok());
        assert!(ContentId::parse("--contents-id", &"a".repeat(200)).is_ok());
        assert!(ContentId::parse("--contents-id", &"a".repeat(201)).is_err());
        assert!(ContentId::parse("--contents-id", "").is_err());
        assert!(ContentId::parse("--contents-id", "a\nb").is_err());
    }

    #[test]
    fn access_key_debug_and_errors_hide_the_value() {
        let k = AccessKey::parse("--access-key", "s3cr3tAccessKey").unwrap();
        assert_eq!(format!("{k:?}"), "AccessKey(<redacted>)");
        let e = AccessKey::parse("--access-key", "s3cr3t with space").unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }
}
