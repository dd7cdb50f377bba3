//! The [`KeySource`] API and the choice of source from the packager's flags.

use std::path::PathBuf;

use crate::Error;
use crate::external::ExternalKeys;
use crate::http_options::HttpOptions;
use crate::keyset::{KeyRequest, KeySet};

/// Where a packaging job's content keys come from.
///
/// A trait rather than an enum: the packagers hold a `Box<dyn KeySource>` chosen once from the
/// flags ([`open_key_source`]) and never need to know which kind it is, their tests can supply
/// fixed keys without a database or a server, and a further source (e.g. a cloud KMS with
/// another authentication scheme) is an added type, not a change to every `match`.
///
/// Implementations: [`ExternalKeys`], [`crate::KeystoreSource`] (the default) and
/// [`crate::CpixClient`].
pub trait KeySource: Send + Sync {
    /// The keys for one job: one per track class of `request` (or one shared key), each with
    /// KID, key, IV and any server-supplied signalling.
    fn fetch(&self, request: &KeyRequest) -> Result<KeySet, Error>;

    /// One line for the packaging log saying where keys come from (never a secret).
    fn describe(&self) -> String;
}

/// The output format, which decides the size of an external key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageFormat {
    /// DASH (CENC): `--encryption-key` is the 16-byte key and `--key-id` is required.
    Dash,
    /// HLS: `--encryption-key` is 32 bytes, key then IV.
    Hls,
    /// NCG: `--encryption-key` is 32 bytes, key then IV.
    Ncg,
}

/// The packager flags that decide the key source.
#[derive(Clone, Debug, Default)]
pub struct KeySourceOptions {
    /// Which packager asks (external key sizes differ); `None` is treated as DASH.
    pub format: Option<PackageFormat>,
    /// `--encryption-key` (base64).
    pub encryption_key: Option<String>,
    /// `--key-id` (base64).
    pub key_id: Option<String>,
    /// `--kms-url`: a CPIX key server.
    pub kms_url: Option<String>,
    /// `--site-id`.
    pub site_id: Option<String>,
    /// `--access-key`.
    pub access_key: Option<String>,
    /// A KMS token issued by the key server's console, sent verbatim instead of one built
    /// from `--site-id` + `--access-key` (a (new) flag such as `--kms-token`).
    pub kms_token: Option<String>,
    /// `--keystore`, or the default location the binary computed (XDG data directory).
    pub keystore_path: Option<PathBuf>,
    /// Timeouts and retries for `--kms-url`.
    pub http: HttpOptions,
}

/// Chooses and opens the key source the flags ask for:
/// `--encryption-key` -> [`ExternalKeys`]; else `--kms-url` -> [`crate::CpixClient`]
/// (needs `--site-id` and `--access-key`); else the embedded keystore at `keystore_path`.
///
/// Conflicting or incomplete flags are [`Error::InvalidArgument`] (1102) naming the flag.
pub fn open_key_source(opts: &KeySourceOptions) -> Result<Box<dyn KeySource>, Error> {
    if let Some(key) = &opts.encryption_key {
        if opts.kms_url.is_some() {
            return Err(Error::invalid_argument(
                "--kms-url",
                "cannot be combined with --encryption-key (an external key needs no key server)",
            ));
        }
        let source = match opts.format.unwrap_or(PackageFormat::Dash) {
            PackageFormat::Dash => {
                let kid = opts.key_id.as_deref().ok_or_else(|| {
                    Error::invalid_argument(
                        "--key-id",
                        "required with --encryption-key for DASH (base64 of 16 bytes)",
                    )
                })?;
                ExternalKeys::dash(key, kid)?
            }
            PackageFormat::Hls | PackageFormat::Ncg => {
                ExternalKeys::key_and_iv(key, opts.key_id.as_deref())?
            }
        };
        return Ok(Box::new(source));
    }
    if opts.key_id.is_some() {
        return Err(Error::invalid_argument(
            "--key-id",
            "only valid together with --encryption-key",
        ));
    }
    if let Some(url) = &opts.kms_url {
        return open_cpix(url, opts);
    }
    open_keystore(opts)
}

#[cfg(feature = "http")]
fn open_cpix(url: &str, opts: &KeySourceOptions) -> Result<Box<dyn KeySource>, Error> {
    use crate::ids::{AccessKey, SiteId};
    if let Some(token) = &opts.kms_token {
        if opts.access_key.is_some() {
            return Err(Error::invalid_argument(
                "--access-key",
                "give either a KMS token or --access-key, not both",
            ));
        }
        let site = opts
            .site_id
            .as_deref()
            .map(|s| SiteId::parse("--site-id", s))
            .transpose()?;
        let token = crate::KmsToken::parse("--kms-token", token)?;
        return Ok(Box::new(crate::CpixClient::with_token(
            url,
            site,
            token,
            opts.http.clone(),
        )?));
    }
    let site = opts
        .site_id
        .as_deref()
        .ok_or_else(|| Error::invalid_argument("--site-id", "required with --kms-url"))?;
    let access = opts
        .access_key
        .as_deref()
        .ok_or_else(|| Error::invalid_argument("--access-key", "required with --kms-url"))?;
    let client = crate::CpixClient::new(
        url,
        SiteId::parse("--site-id", site)?,
        AccessKey::parse("--access-key", access)?,
        opts.http.clone(),
    )?;
    Ok(Box::new(client))
}

#[cfg(not(feature = "http"))]
fn open_cpix(_url: &str, _opts: &KeySourceOptions) -> Result<Box<dyn KeySource>, Error> {
    Err(Error::invalid_argument(
        "--kms-url",
        "this build of mdrm has no HTTP client (kms-client feature `http`)",
    ))
}

#[cfg(feature = "keystore")]
fn open_keystore(opts: &KeySourceOptions) -> Result<Box<dyn KeySource>, Error> {
    let path = opts.keystore_path.as_deref().ok_or_else(|| {
        Error::invalid_argument(
            "--keystore",
            "no keystore location (no user data directory found); give --keystore PATH",
        )
    })?;
    Ok(Box::new(crate::KeystoreSource::open(path)?))
}

#[cfg(not(feature = "keystore"))]
fn open_keystore(_opts: &KeySourceOptions) -> Result<Box<dyn KeySource>, Error> {
    Err(Error::invalid_argument(
        "--keystore",
        "this build of mdrm has no embedded keystore (kms-client feature `keystore`)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keys::to_base64;

    fn flag_of(r: Result<Box<dyn KeySource>, Error>) -> &'static str {
        match r {
            Err(Error::InvalidArgument { flag, .. }) => flag,
            Err(e) => panic!("unexpected error {e}"),
            Ok(s) => panic!("unexpected success: {}", s.describe()),
        }
    }

    #[test]
    fn external_key_rules() {
        let k16 = to_base64(&[1; 16]);
        let k32 = to_base64(&[1; 32]);
        let mut o = KeySourceOptions {
            encryption_key: Some(k16.clone()),
            ..Default::default()
        };
        assert_eq!(flag_of(open_key_source(&o)), "--key-id");
        o.key_id = Some(k16.clone());
        assert!(
            open_key_source(&o)
                .unwrap()
                .describe()
                .starts_with("external key")
        );
        o.kms_url = Some("http://127.0.0.1:1/".into());
        assert_eq!(flag_of(open_key_source(&o)), "--kms-url");
        let o = KeySourceOptions {
            format: Some(PackageFormat::Hls),
            encryption_key: Some(k16.clone()),
            ..Default::default()
        };
        assert_eq!(flag_of(open_key_source(&o)), "--encryption-key");
        let o = KeySourceOptions {
            format: Some(PackageFormat::Ncg),
            encryption_key: Some(k32),
            ..Default::default()
        };
        assert!(open_key_source(&o).is_ok());
        let o = KeySourceOptions {
            key_id: Some(k16),
            ..Default::default()
        };
        assert_eq!(flag_of(open_key_source(&o)), "--key-id");
    }

    #[cfg(feature = "http")]
    #[test]
    fn kms_url_needs_site_and_access_key() {
        let mut o = KeySourceOptions {
            kms_url: Some("http://127.0.0.1:8480/".into()),
            ..Default::default()
        };
        assert_eq!(flag_of(open_key_source(&o)), "--site-id");
        o.site_id = Some("TOOLONG".into());
        assert_eq!(flag_of(open_key_source(&o)), "--access-key");
        o.access_key = Some("secret".into());
        assert_eq!(flag_of(open_key_source(&o)), "--site-id");
        o.site_id = Some("DEMO".into());
        assert!(
            open_key_source(&o)
                .unwrap()
                .describe()
                .contains("127.0.0.1:8480")
        );
        o.kms_url = Some("ftp://x/".into());
        assert_eq!(flag_of(open_key_source(&o)), "--kms-url");
        o.kms_url = Some("http://127.0.0.1:8480/".into());
        o.kms_token = Some("console-token".into());
        assert_eq!(flag_of(open_key_source(&o)), "--access-key");
        o.access_key = None;
        o.site_id = None;
        assert!(
            open_key_source(&o)
                .unwrap()
                .describe()
                .contains("KMS token")
        );
        o.kms_token = Some("bad token/with slash".into());
        assert_eq!(flag_of(open_key_source(&o)), "--kms-token");
    }

    #[cfg(feature = "keystore")]
    #[test]
    fn keystore_is_the_default_and_needs_a_path() {
        let o = KeySourceOptions::default();
        assert_eq!(flag_of(open_key_source(&o)), "--keystore");
        let dir = tempfile::tempdir().unwrap();
        let o = KeySourceOptions {
            keystore_path: Some(dir.path().join("ks.sqlite")),
            ..Default::default()
        };
        assert!(
            open_key_source(&o)
                .unwrap()
                .describe()
                .contains("ks.sqlite")
        );
    }
}
