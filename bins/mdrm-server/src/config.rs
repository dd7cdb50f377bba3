//! Settings: the optional settings file (TOML, or JSON when the name ends in `.json`), merged
//! under the command-line flags, over the defaults.
//!
//! ```toml
//! bind = "127.0.0.1"
//! port = 8480
//! database = "/var/lib/mdrm/keystore.sqlite"     # relative paths: from this file's folder
//! secret_file = "/etc/mdrm/server-secret.key"
//! public_url = "https://drm.example.com"          # base of URLs written into answers
//! log_format = "json"                             # or "text"
//! playready_la_url = "https://pr.example.com/rightsmanager.asmx"
//! widevine_provider = "example"
//!
//! [[sites]]
//! site_id = "DEMO"
//! access_key = "..."     # the file then holds secrets: keep it mode 0600
//! site_key = "..."       # 32 characters
//!
//! [license]                                      # the license face: see license::settings
//! csl_store = "redis://127.0.0.1:6379/0"
//! ```

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use kms_client::defaults::{DEFAULT_BIND, DEFAULT_PORT};
use kms_client::{AccessKey, SiteId};
use serde::Deserialize;

use crate::error::ServerError;
use crate::license::settings::{FileLicenseSettings, LicenseFlags, LicenseSettings};
use crate::logging::LogFormat;
use crate::sites::{SiteCredentials, SiteKey};

/// One `[[sites]]` entry of the settings file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteEntry {
    site_id: String,
    access_key: String,
    site_key: String,
}

/// The settings file as written (every field optional).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    bind: Option<String>,
    port: Option<u16>,
    database: Option<PathBuf>,
    secret_file: Option<PathBuf>,
    public_url: Option<String>,
    log_format: Option<LogFormat>,
    playready_la_url: Option<String>,
    widevine_provider: Option<String>,
    #[serde(default)]
    sites: Vec<SiteEntry>,
    license: Option<FileLicenseSettings>,
    #[serde(skip)]
    dir: PathBuf,
}

impl std::fmt::Debug for FileSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileSettings({} sites)", self.sites.len())
    }
}

/// Parser messages may quote the offending value (possibly a secret): keep only those that
/// quote field names.
fn safe_message(msg: &str) -> &str {
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        msg
    } else {
        "wrong syntax or value type"
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

impl FileSettings {
    /// Reads a settings file. Error messages never quote values from it.
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let err = |reason: String| ServerError::Config {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut settings: FileSettings = if json {
            serde_json::from_str(&text).map_err(|e| {
                let m = e.to_string();
                let m = m.split(" at line").next().unwrap_or("");
                err(format!(
                    "line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    safe_message(m)
                ))
            })?
        } else {
            toml::from_str(&text).map_err(|e| {
                let (line, col) = line_col(&text, e.span().map_or(0, |s| s.start));
                err(format!(
                    "line {line}, column {col}: {}",
                    safe_message(e.message())
                ))
            })?
        };
        settings.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(settings)
    }

    fn path(&self, p: &Option<PathBuf>) -> Option<PathBuf> {
        p.as_ref().map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                self.dir.join(p)
            }
        })
    }
}

/// Values given on the command line (each overrides the settings file).
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--db`.
    pub database: Option<PathBuf>,
    /// `--secret-file`.
    pub secret_file: Option<PathBuf>,
    /// `--public-url`.
    pub public_url: Option<String>,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
    /// `--playready-la-url`.
    pub playready_la_url: Option<String>,
    /// `--widevine-provider`.
    pub widevine_provider: Option<String>,
    /// The license face's flags (`--csl-*`, `--token-lifetime`).
    pub license: LicenseFlags,
}

/// Where files live by default (computed by the binary from the XDG data directory).
#[derive(Debug, Clone)]
pub struct DefaultPaths {
    /// The keystore database.
    pub database: Option<PathBuf>,
    /// The server secret.
    pub secret_file: Option<PathBuf>,
}

/// The settings in force.
#[derive(Debug)]
pub struct Settings {
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port to listen on.
    pub port: u16,
    /// The keystore database.
    pub database: PathBuf,
    /// The server secret file.
    pub secret_file: PathBuf,
    /// Base of URLs written into answers (e.g. the ClearKey license URL).
    pub public_url: String,
    /// Log format.
    pub log_format: LogFormat,
    /// PlayReady `LA_URL` written into PlayReady headers.
    pub playready_la_url: Option<String>,
    /// Widevine `provider` written into Widevine PSSH data.
    pub widevine_provider: Option<String>,
    /// Sites from the settings file (added or updated at start).
    pub sites: Vec<SiteCredentials>,
    /// The license face: CSL store, fail mode, per-site policies, token window.
    pub license: LicenseSettings,
}

fn check_url(what: &str, url: &str) -> Result<(), ServerError> {
    let l = url.to_ascii_lowercase();
    if (l.starts_with("http://") || l.starts_with("https://")) && !url.contains(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(ServerError::InvalidArgument {
            what: what.into(),
            reason: "must be an http:// or https:// URL".into(),
        })
    }
}

impl Settings {
    /// Merges flags over the file over the defaults, validating everything.
    pub fn resolve(
        flags: FlagSettings,
        file: Option<FileSettings>,
        defaults: DefaultPaths,
    ) -> Result<Self, ServerError> {
        let mut file = file.unwrap_or_default();
        let license = LicenseSettings::resolve(flags.license, file.license.take())?;
        let bind_text = flags
            .bind
            .or(file.bind.clone())
            .unwrap_or_else(|| DEFAULT_BIND.to_string());
        let bind: IpAddr = bind_text
            .parse()
            .map_err(|_| ServerError::InvalidArgument {
                what: "--bind".into(),
                reason: "not an IP address (e.g. 127.0.0.1 or 0.0.0.0)".into(),
            })?;
        let port = flags.port.or(file.port).unwrap_or(DEFAULT_PORT);
        let no_dir = |what: &str| ServerError::InvalidArgument {
            what: what.into(),
            reason: "no user data directory found; give the path".into(),
        };
        let database = flags
            .database
            .or_else(|| file.path(&file.database))
            .or(defaults.database)
            .ok_or_else(|| no_dir("--db"))?;
        let secret_file = flags
            .secret_file
            .or_else(|| file.path(&file.secret_file))
            .or(defaults.secret_file)
            .ok_or_else(|| no_dir("--secret-file"))?;
        let host = match bind {
            IpAddr::V6(a) => format!("[{a}]"),
            IpAddr::V4(a) => a.to_string(),
        };
        let public_url = flags
            .public_url
            .or(file.public_url.clone())
            .unwrap_or_else(|| format!("http://{host}:{port}"));
        check_url("--public-url", &public_url)?;
        let playready_la_url = flags.playready_la_url.or(file.playready_la_url.clone());
        if let Some(u) = &playready_la_url {
            check_url("--playready-la-url", u)?;
        }
        let mut sites = Vec::with_capacity(file.sites.len());
        for s in &file.sites {
            let site_id = SiteId::parse("sites.site_id", &s.site_id).map_err(invalid)?;
            sites.push(SiteCredentials {
                access_key: AccessKey::parse("sites.access_key", &s.access_key).map_err(invalid)?,
                site_key: SiteKey::parse(&s.site_key)?,
                site_id,
            });
        }
        Ok(Settings {
            bind,
            port,
            database,
            secret_file,
            public_url: public_url.trim_end_matches('/').to_string(),
            log_format: flags
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            playready_la_url,
            widevine_provider: flags.widevine_provider.or(file.widevine_provider.clone()),
            sites,
            license,
        })
    }

    /// The ClearKey license URL this server answers on (written into ClearKey signalling).
    pub fn clearkey_license_url(&self) -> String {
        format!("{}/license/clearkey", self.public_url)
    }
}

fn invalid(e: kms_client::Error) -> ServerError {
    match e {
        kms_client::Error::InvalidArgument { flag, reason } => ServerError::InvalidArgument {
            what: flag.to_string(),
            reason,
        },
        other => ServerError::InvalidArgument {
            what: "settings".into(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> DefaultPaths {
        DefaultPaths {
            database: Some("/d/keystore.sqlite".into()),
            secret_file: Some("/d/server-secret.key".into()),
        }
    }

    #[test]
    fn defaults_apply() {
        let s = Settings::resolve(FlagSettings::default(), None, defaults()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1");
        assert_eq!(s.port, 8480);
        assert_eq!(s.public_url, "http://127.0.0.1:8480");
        assert_eq!(
            s.clearkey_license_url(),
            kms_client::defaults::DEFAULT_LICENSE_URL
        );
        let none = DefaultPaths {
            database: None,
            secret_file: None,
        };
        assert!(Settings::resolve(FlagSettings::default(), None, none).is_err());
    }

    #[test]
    fn file_then_flags_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mdrm.toml");
        std::fs::write(
            &p,
            r#"port = 9000
database = "db/keys.sqlite"
[[sites]]
site_id = "DEMO"
access_key = "AccessKeyFromFile"
site_key = "0123456789abcdef0123456789abcdef"
"#,
        )
        .unwrap();
        let file = FileSettings::load(&p).unwrap();
        let flags = FlagSettings {
            port: Some(9100),
            ..Default::default()
        };
        let s = Settings::resolve(flags, Some(file), defaults()).unwrap();
        assert_eq!(s.port, 9100);
        assert_eq!(s.database, dir.path().join("db/keys.sqlite"));
        assert_eq!(s.sites.len(), 1);
        assert_eq!(s.sites[0].site_id.as_str(), "DEMO");
    }

    #[test]
    fn errors_never_quote_values() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.toml", "port = \"SecretLookingValue\"\n"),
            ("b.json", r#"{"port": "SecretLookingValue"}"#),
            (
                "c.toml",
                "[[sites]]\nsite_id = \"DEMO\"\naccess_key = \"SecretLookingValue\"\nsite_key = \"SecretLookingValue\"\n",
            ),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let msg = match FileSettings::load(&p) {
                Err(e) => e.to_string(),
                Ok(f) => Settings::resolve(FlagSettings::default(), Some(f), defaults())
                    .unwrap_err()
                    .to_string(),
            };
            assert!(!msg.contains("SecretLooking"), "{name}: {msg}");
        }
        let p = dir.path().join("d.toml");
        std::fs::write(&p, "prot = 1\n").unwrap();
        let msg = FileSettings::load(&p).unwrap_err().to_string();
        assert!(
            msg.contains("unknown field") && msg.contains("line 1"),
            "{msg}"
        );
    }
}
