//! Key acquisition for packaging jobs: the one seam between the CLIs and `kms-client`.
//!
//! External keys (`--encryption-key`), the embedded keystore (the default: no server, no
//! account) and a CPIX key server (`--kms-url`) all come through [`open_source`]; the content
//! id comes from `--contents-id` or the CID callback ([`content_id`]).

use std::path::{Path, PathBuf};

use keys::{KeyId, TrackType};
use kms_client::{
    ContentId, EncryptionScheme, HttpOptions, KeyRequest, KeySet, KeySource, KeySourceOptions,
    PackageFormat, SiteId,
};
use ncg::NcgKey;
use zeroize::Zeroizing;

use crate::args::{JobSettings, KeyMode};
use crate::error::Error;

/// What the binary knows and the library may not look up itself.
#[derive(Clone, Debug, Default)]
pub struct KeyEnvironment {
    /// The embedded keystore's default location (the user's data directory), used when
    /// `--keystore` is not given.
    pub default_keystore: Option<PathBuf>,
}

/// Opens the key source the job's flags ask for.
pub fn open_source(
    settings: &JobSettings,
    format: PackageFormat,
    env: &KeyEnvironment,
) -> Result<Box<dyn KeySource>, Error> {
    let at = "packager::key_source::open_source";
    let mut opts = KeySourceOptions {
        format: Some(format),
        site_id: settings
            .site_id
            .map(|s| String::from_utf8_lossy(&s).into_owned()),
        access_key: settings.access_key.as_ref().map(|a| a.expose().to_owned()),
        http: HttpOptions::default(),
        ..KeySourceOptions::default()
    };
    // Held in wiped buffers only while the source is opened.
    let external: Option<(Zeroizing<String>, Option<String>)>;
    match &settings.key_mode {
        KeyMode::External { key, key_id } => {
            external = Some((
                Zeroizing::new(keys::to_base64(key)),
                key_id.map(|k| keys::to_base64(k.as_bytes())),
            ));
        }
        KeyMode::Kms { url, keystore } => {
            external = None;
            opts.kms_url = url.clone();
            opts.keystore_path = keystore.clone().or_else(|| env.default_keystore.clone());
            if url.is_none() && opts.keystore_path.is_none() {
                return Err(Error::invalid(
                    "--keystore",
                    "no keystore location: give --keystore PATH",
                    at,
                ));
            }
        }
    }
    if let Some((key, kid)) = &external {
        opts.encryption_key = Some(key.as_str().to_owned());
        opts.key_id = kid.clone();
    }
    let source = kms_client::open_key_source(&opts).map_err(|source| Error::Keys { source, at });
    if let Some(k) = opts.encryption_key.as_mut() {
        zeroize::Zeroize::zeroize(k);
    }
    source
}

/// The content id of the job: `--contents-id`, else the CID callback's answer for `input`'s
/// file name, else 1102.
pub fn content_id(settings: &JobSettings, input: &Path) -> Result<String, Error> {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    kms_client::resolve_content_id(
        settings.content_id.as_deref(),
        settings.cid_callback_url.as_deref(),
        &name,
        &HttpOptions::default(),
    )
    .map(|c| c.as_str().to_owned())
    .map_err(|source| Error::Keys {
        source,
        at: "packager::key_source::content_id",
    })
}

/// The key request of a job.
pub fn request(
    settings: &JobSettings,
    content_id: &str,
    track_types: Vec<TrackType>,
    scheme: Option<EncryptionScheme>,
    drm_systems: Vec<kms_client::DrmSystem>,
) -> Result<KeyRequest, Error> {
    let at = "packager::key_source::request";
    let keys_err = |source| Error::Keys { source, at };
    let site_id = settings
        .site_id
        .map(|s| SiteId::parse("--site-id", &String::from_utf8_lossy(&s)))
        .transpose()
        .map_err(keys_err)?;
    Ok(KeyRequest {
        site_id,
        content_id: ContentId::parse("--contents-id", content_id).map_err(keys_err)?,
        track_types,
        multi_key: settings.multi_key,
        drm_systems,
        scheme,
    })
}

/// Fetches the keys of `request` from `source`.
pub fn fetch(source: &dyn KeySource, request: &KeyRequest) -> Result<KeySet, Error> {
    source.fetch(request).map_err(|source| Error::Keys {
        source,
        at: "packager::key_source::fetch",
    })
}

/// An NCG content key and what the log may say about it.
#[derive(Debug)]
pub struct NcgKeyMaterial {
    /// Key and IV.
    pub key: NcgKey,
    /// The key id (`--key-id`, or the key source's KID).
    pub key_id: Option<KeyId>,
    /// One line for the log saying where the key came from (never the key).
    pub source: String,
}

/// The 32-byte NCG key (key + IV) for this job and content id.
pub fn ncg_key(
    settings: &JobSettings,
    content_id: &str,
    env: &KeyEnvironment,
) -> Result<NcgKeyMaterial, Error> {
    let at = "packager::key_source::ncg_key";
    let source = open_source(settings, PackageFormat::Ncg, env)?;
    let req = request(
        settings,
        content_id,
        vec![TrackType::All],
        None,
        vec![kms_client::DrmSystem::HlsAes],
    )?;
    let set = fetch(source.as_ref(), &req)?;
    let k = set.for_track(TrackType::All).ok_or_else(|| Error::Keys {
        source: kms_client::Error::NoKey {
            what: "no key for the whole content".into(),
        },
        at,
    })?;
    let key = NcgKey::new(k.key.clone(), k.iv).map_err(|e| Error::Unexpected {
        what: format!("NCG key: {e}"),
        at,
    })?;
    let external = matches!(settings.key_mode, KeyMode::External { .. });
    Ok(NcgKeyMaterial {
        key,
        key_id: (!external
            || matches!(
                &settings.key_mode,
                KeyMode::External {
                    key_id: Some(_),
                    ..
                }
            ))
        .then_some(k.kid),
        source: source.describe(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{CliProfile, CommonArgs};

    fn settings(external: bool, keystore: Option<PathBuf>) -> JobSettings {
        CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("c".into()),
            encryption_key: external.then(|| keys::to_base64(&[9u8; 32])),
            keystore,
            ..CommonArgs::default()
        }
        .validate(CliProfile::NCG)
        .unwrap()
    }

    #[test]
    fn external_key_is_used() {
        let m = ncg_key(&settings(true, None), "c", &KeyEnvironment::default()).unwrap();
        assert_eq!(m.key, NcgKey::from_bytes(&[9u8; 32]));
        assert!(!m.source.contains("CQkJ"));
        assert_eq!(m.key_id, None);
    }

    #[test]
    fn embedded_keystore_gives_the_same_key_twice() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(false, Some(dir.path().join("ks.sqlite")));
        let a = ncg_key(&s, "movie-1", &KeyEnvironment::default()).unwrap();
        let b = ncg_key(&s, "movie-1", &KeyEnvironment::default()).unwrap();
        let c = ncg_key(&s, "movie-2", &KeyEnvironment::default()).unwrap();
        assert_eq!(a.key, b.key);
        assert_eq!(a.key_id, b.key_id);
        assert_ne!(a.key, c.key);
        assert!(a.key_id.is_some());
    }

    #[test]
    fn missing_content_id_without_callback_is_1102() {
        let mut s = settings(true, None);
        s.content_id = None;
        let e = content_id(&s, Path::new("m.mp4")).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert_eq!(
            content_id(&settings(true, None), Path::new("m.mp4")).unwrap(),
            "c"
        );
    }

    #[test]
    fn unreachable_key_server_is_2001() {
        let port = mdrm_testkit::free_port();
        let s = CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("c".into()),
            access_key: Some(keys::to_base64(b"secret-access-key")),
            kms_url: Some(format!("http://127.0.0.1:{port}/v2/cpix/pallycon/getKey/")),
            ..CommonArgs::default()
        }
        .validate(CliProfile::NCG)
        .unwrap();
        let e = ncg_key(&s, "c", &KeyEnvironment::default()).unwrap_err();
        assert_eq!(e.code().value(), 2001, "{e}");
        assert!(!e.info().contains("secret-access-key"));
    }
}
