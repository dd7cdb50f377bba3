//! The credentials file (`~/.mdrm/credentials`): `key=value` lines.
//!
//! ```text
//! # mdrm credentials
//! site_id=ABCD
//! site_key=<secret, at least 16 bytes: keys the watermark patterns>
//! access_key=<base64: proves ownership of the recipient registry>
//! key_file=/path/to/dwm.key     (optional: the watermark key is this file's bytes instead)
//! server=https://drm.example    (optional: use mdrm-server's recipient registry)
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use dwm_core::WatermarkKey;

use crate::error::{ErrorCode, Failure, Result, fail};

/// A secret string whose `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret text (audit every use).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Parsed and validated credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The 4-byte site id.
    pub site_id: String,
    /// The site key (watermark key unless `key_file` is given).
    pub site_key: Secret,
    /// The access key (base64).
    pub access_key: Secret,
    /// A file holding the watermark key.
    pub key_file: Option<PathBuf>,
    /// The server whose recipient registry to use.
    pub server: Option<String>,
}

/// The built-in demo site id (`--demo`).
pub const DEMO_SITE_ID: &str = "DEMO";

impl Credentials {
    /// Reads and validates `path` (302 missing, 303 malformed, 304 bad values).
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fail(
                    ErrorCode::CredentialsMissing,
                    format!("credentials file {} not found", path.display()),
                );
            }
            Err(e) => {
                return fail(
                    ErrorCode::CredentialsMissing,
                    format!("credentials file {}: {e}", path.display()),
                );
            }
        };
        let text = String::from_utf8(text).map_err(|_| {
            Failure::new(
                ErrorCode::CredentialsSyntax,
                format!("credentials file {} is not UTF-8 text", path.display()),
            )
        })?;
        Self::parse(&text, path)
    }

    /// Parses credentials text (`path` only names it in messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let (mut site_id, mut site_key, mut access_key, mut key_file, mut server) =
            (None, None, None, None, None);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return fail(
                    ErrorCode::CredentialsSyntax,
                    format!("{} line {}: expected key=value", path.display(), n + 1),
                );
            };
            let (k, v) = (k.trim(), v.trim().to_string());
            let slot = match k {
                "site_id" => &mut site_id,
                "site_key" => &mut site_key,
                "access_key" => &mut access_key,
                "key_file" => &mut key_file,
                "server" => &mut server,
                other => {
                    return fail(
                        ErrorCode::CredentialsSyntax,
                        format!(
                            "{} line {}: unknown key `{other}` (expected site_id, site_key, access_key, key_file, server)",
                            path.display(),
                            n + 1
                        ),
                    );
                }
            };
            if slot.replace(v).is_some() {
                return fail(
                    ErrorCode::CredentialsSyntax,
                    format!("{} line {}: `{k}` given twice", path.display(), n + 1),
                );
            }
        }
        let need = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty()).ok_or_else(|| {
                Failure::new(
                    ErrorCode::CredentialsValue,
                    format!("{}: `{name}` is missing", path.display()),
                )
            })
        };
        let site_id = need(site_id, "site_id")?;
        let site_key = need(site_key, "site_key")?;
        let access_key = need(access_key, "access_key")?;
        if site_id.len() != 4 {
            return fail(
                ErrorCode::CredentialsValue,
                format!(
                    "{}: site_id must be exactly 4 bytes (got {})",
                    path.display(),
                    site_id.len()
                ),
            );
        }
        if site_key.len() < dwm_core::MIN_KEY_LEN {
            return fail(
                ErrorCode::CredentialsValue,
                format!(
                    "{}: site_key must be at least {} bytes",
                    path.display(),
                    dwm_core::MIN_KEY_LEN
                ),
            );
        }
        if keys::decode_base64("access key", &access_key).is_err() {
            return fail(
                ErrorCode::CredentialsValue,
                format!("{}: access_key is not base64", path.display()),
            );
        }
        let key_file = key_file.filter(|s| !s.is_empty()).map(|f| {
            let p = PathBuf::from(f);
            match path.parent() {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            }
        });
        Ok(Credentials {
            site_id,
            site_key: Secret(site_key),
            access_key: Secret(access_key),
            key_file,
            server: server.filter(|s| !s.is_empty()),
        })
    }

    /// The watermark key: the key file's bytes when one is named (31 when missing), else the
    /// site key.
    pub fn watermark_key(&self) -> Result<WatermarkKey> {
        let bytes = match &self.key_file {
            Some(f) => std::fs::read(f).map_err(|e| {
                Failure::new(
                    ErrorCode::KeyFileMissing,
                    format!("key file {}: {e}", f.display()),
                )
            })?,
            None => self.site_key.expose().as_bytes().to_vec(),
        };
        WatermarkKey::new(&bytes)
            .map_err(|e| Failure::new(ErrorCode::CredentialsValue, format!("watermark key: {e}")))
    }

    /// The demo credentials used by `--demo` (public key, demo site).
    pub fn demo() -> Self {
        Credentials {
            site_id: DEMO_SITE_ID.into(),
            site_key: Secret("mdrm-dwm public demo key - NOT SECRET".into()),
            access_key: Secret("ZGVtbw==".into()),
            key_file: None,
            server: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Credentials> {
        Credentials::parse(t, Path::new("/x/credentials"))
    }

    const GOOD: &str = "site_id=ABCD\nsite_key=0123456789abcdef0123\naccess_key=c2VjcmV0\n";

    #[test]
    fn good_file_parses_and_debug_hides_secrets() {
        let c = parse(&format!("# comment\n\n{GOOD}")).unwrap();
        assert_eq!(c.site_id, "ABCD");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("0123456789abcdef") && !dbg.contains("c2VjcmV0"),
            "{dbg}"
        );
        assert!(c.watermark_key().is_ok());
    }

    #[test]
    fn errors_have_their_codes() {
        assert_eq!(
            parse("site_id ABCD").unwrap_err().code,
            ErrorCode::CredentialsSyntax
        );
        assert_eq!(
            parse("colour=red").unwrap_err().code,
            ErrorCode::CredentialsSyntax
        );
        assert_eq!(
            parse(&format!("{GOOD}site_id=ABCD")).unwrap_err().code,
            ErrorCode::CredentialsSyntax
        );
        assert_eq!(
            parse("site_id=ABCD\naccess_key=eA==").unwrap_err().code,
            ErrorCode::CredentialsValue
        );
        assert_eq!(
            parse(&GOOD.replace("ABCD", "ABCDE")).unwrap_err().code,
            ErrorCode::CredentialsValue
        );
        assert_eq!(
            parse(&GOOD.replace("0123456789abcdef0123", "short"))
                .unwrap_err()
                .code,
            ErrorCode::CredentialsValue
        );
        assert_eq!(
            parse(&GOOD.replace("c2VjcmV0", "not base64!"))
                .unwrap_err()
                .code,
            ErrorCode::CredentialsValue
        );
        let e = parse(&GOOD.replace("c2VjcmV0", "not base64!")).unwrap_err();
        assert!(
            !e.message.contains("not base64!"),
            "secret echoed: {}",
            e.message
        );
    }

    #[test]
    fn key_file_is_relative_to_the_credentials_and_missing_is_31() {
        let c = parse(&format!("{GOOD}key_file=dwm.key\n")).unwrap();
        assert_eq!(c.key_file.as_deref(), Some(Path::new("/x/dwm.key")));
        assert_eq!(
            c.watermark_key().unwrap_err().code,
            ErrorCode::KeyFileMissing
        );
    }
}
