//! Keys and key URIs of an HLS job.
//!
//! Keys come from `kms-client` (external `--encryption-key` of 32 bytes = key + IV, the
//! embedded keystore, or a CPIX server). The key URI written into `#EXT-X-KEY` depends on the
//! mode:
//! - FairPlay (SAMPLE-AES, the default): the key server's FairPlay URI when it supplies one,
//!   else `skd://<CID>`;
//! - HLS-NCG (`--use-ncg-drm`): the key server's HLS AES-128 URI, else the license URL with
//!   `site=<site id>&cid=<CID>` appended to its query (the NCG license service hands out the
//!   key for that content);
//! - `--hls-key-uri`: that URI, as given.

use keys::{ContentKey, KeyId, TrackType};
use kms_client::{DrmSystem, EncryptionScheme, KeySet, PackageFormat, SystemId};

use crate::args::JobSettings;
use crate::error::Error;
use crate::key_source::{self, KeyEnvironment};

const AT: &str = "packager::hls::keys";

/// How the package is protected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HlsMode {
    /// HLS-AES for FairPlay: SAMPLE-AES (TS) or cbcs (fMP4) with an `skd://` key URI.
    FairPlay,
    /// HLS-NCG: AES-128 TS whose key the NCG license service delivers.
    Ncg,
    /// Plain AES-128 with a key URI players fetch themselves (ClearKey-style, e.g. hls.js).
    KeyUri {
        /// The URI for `#EXT-X-KEY`.
        uri: String,
        /// Also write the 16-byte key where a relative URI resolves to.
        write_key_file: bool,
    },
}

impl HlsMode {
    /// Whole-segment AES-128 (else SAMPLE-AES).
    pub fn is_aes128(&self) -> bool {
        !matches!(self, HlsMode::FairPlay)
    }
}

/// The key of one media playlist.
#[derive(Clone, Debug)]
pub struct HlsKey {
    /// Its key id.
    pub kid: KeyId,
    /// The content key.
    pub key: ContentKey,
    /// The IV written as `IV=` (and used for encryption).
    pub iv: [u8; 16],
    /// The `#EXT-X-KEY` URI.
    pub uri: String,
}

/// The keys of a job and where they came from.
#[derive(Debug)]
pub struct JobKeys {
    set: KeySet,
    mode: HlsMode,
    content_id: String,
    license_url: String,
    site_id: Option<String>,
    /// One line for the log (never a key).
    pub source: String,
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks a `--hls-key-uri` value: non-empty, no white space, quotes or control characters
/// (it goes into a quoted playlist attribute).
pub fn check_key_uri(uri: &str) -> Result<(), Error> {
    if uri.is_empty()
        || uri
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    {
        return Err(Error::invalid(
            "--hls-key-uri",
            format!("{uri:?} must be a URI without spaces, quotes or control characters"),
            AT,
        ));
    }
    Ok(())
}

/// Fetches the keys for the track classes of the job through [`crate::key_source`].
pub fn acquire(
    settings: &JobSettings,
    mode: &HlsMode,
    content_id: &str,
    track_types: &[TrackType],
    env: &KeyEnvironment,
) -> Result<JobKeys, Error> {
    let at = "packager::hls::keys::acquire";
    let source = key_source::open_source(settings, PackageFormat::Hls, env)?;
    let request = key_source::request(
        settings,
        content_id,
        track_types.to_vec(),
        matches!(mode, HlsMode::FairPlay).then_some(EncryptionScheme::Cbcs),
        match mode {
            HlsMode::FairPlay => vec![DrmSystem::FairPlay],
            HlsMode::Ncg => vec![DrmSystem::HlsAes],
            HlsMode::KeyUri { .. } => Vec::new(),
        },
    )?;
    let set = key_source::fetch(source.as_ref(), &request)?;
    for t in track_types {
        if set.for_track(*t).is_none() {
            return Err(Error::Keys {
                source: kms_client::Error::NoKey {
                    what: format!("no key for track type {}", t.as_str()),
                },
                at,
            });
        }
    }
    Ok(JobKeys {
        set,
        mode: mode.clone(),
        content_id: content_id.to_owned(),
        license_url: settings
            .license_url
            .clone()
            .unwrap_or_else(|| crate::defaults::DEFAULT_LICENSE_URL.to_owned()),
        site_id: settings
            .site_id
            .map(|s| String::from_utf8_lossy(&s).into_owned()),
        source: source.describe(),
    })
}

impl JobKeys {
    /// The key of a media playlist whose tracks are of class `track_type`.
    pub fn for_track(&self, track_type: TrackType) -> Result<HlsKey, Error> {
        let k = self.set.for_track(track_type).ok_or_else(|| Error::Keys {
            source: kms_client::Error::NoKey {
                what: format!("no key for track type {}", track_type.as_str()),
            },
            at: AT,
        })?;
        let uri = match &self.mode {
            HlsMode::FairPlay => k
                .signalling
                .hls_key_uri_for(SystemId::FAIRPLAY)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("skd://{}", percent_encode(&self.content_id))),
            HlsMode::Ncg => match k.signalling.hls_key_uri_for(SystemId::HLS_AES) {
                Some(u) => u.to_owned(),
                None => ncg_key_uri(
                    &self.license_url,
                    self.site_id.as_deref().unwrap_or_default(),
                    &self.content_id,
                ),
            },
            HlsMode::KeyUri { uri, .. } => uri.clone(),
        };
        Ok(HlsKey {
            kid: k.kid,
            key: k.key.clone(),
            iv: k.iv.to_block(),
            uri,
        })
    }
}

/// The HLS-NCG key URI: the license URL with `site=<site id>&cid=<CID>` added to its query.
pub fn ncg_key_uri(license_url: &str, site_id: &str, content_id: &str) -> String {
    let (base, fragment) = match license_url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (license_url, None),
    };
    let sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    let mut uri = format!(
        "{base}{sep}site={}&cid={}",
        percent_encode(site_id),
        percent_encode(content_id)
    );
    if let Some(f) = fragment {
        uri.push('#');
        uri.push_str(f);
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{CliProfile, CommonArgs};

    fn settings(extra: impl FnOnce(&mut CommonArgs)) -> JobSettings {
        let mut a = CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("movie 1/\"x\"".into()),
            encryption_key: Some(keys::to_base64(&(0u8..32).collect::<Vec<_>>())),
            ..CommonArgs::default()
        };
        extra(&mut a);
        a.validate(CliProfile::HLS).unwrap()
    }

    #[test]
    fn key_uris_per_mode() {
        let s = settings(|_| {});
        let cid = s.content_id.clone().unwrap();
        let fp = acquire(
            &s,
            &HlsMode::FairPlay,
            &cid,
            &[TrackType::Hd],
            &KeyEnvironment::default(),
        )
        .unwrap();
        let k = fp.for_track(TrackType::Hd).unwrap();
        assert_eq!(k.uri, "skd://movie%201%2F%22x%22");
        assert_eq!(
            k.key.secret_bytes(),
            &std::array::from_fn::<u8, 16, _>(|i| i as u8)
        );
        assert_eq!(k.iv, std::array::from_fn::<u8, 16, _>(|i| 16 + i as u8));
        assert!(fp.source.starts_with("external key"));
        let ncg = acquire(
            &s,
            &HlsMode::Ncg,
            "c1",
            &[TrackType::All],
            &KeyEnvironment::default(),
        )
        .unwrap();
        assert_eq!(
            ncg.for_track(TrackType::Audio).unwrap().uri,
            format!("{}?site=DEMO&cid=c1", crate::defaults::DEFAULT_LICENSE_URL)
        );
        let uri = HlsMode::KeyUri {
            uri: "../key.bin".into(),
            write_key_file: true,
        };
        let ku = acquire(
            &s,
            &uri,
            "c1",
            &[TrackType::All],
            &KeyEnvironment::default(),
        )
        .unwrap();
        assert_eq!(ku.for_track(TrackType::Sd).unwrap().uri, "../key.bin");
    }

    #[test]
    fn ncg_uri_joins_queries() {
        assert_eq!(
            ncg_key_uri("https://l.example/hls?x=1#f", "AB CD", "é"),
            "https://l.example/hls?x=1&site=AB%20CD&cid=%C3%A9#f"
        );
        assert_eq!(
            ncg_key_uri("https://l.example/k?", "S", "c"),
            "https://l.example/k?site=S&cid=c"
        );
    }

    #[test]
    fn external_key_refuses_multi_key_and_bad_uris() {
        let s = settings(|a| a.multi_key = true);
        let e = acquire(
            &s,
            &HlsMode::FairPlay,
            "c",
            &[TrackType::Hd, TrackType::Audio],
            &KeyEnvironment::default(),
        )
        .unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().contains("--multi-key"), "{}", e.info());
        assert!(check_key_uri("key.bin").is_ok());
        for bad in ["", "a b", "k\"", "k\n"] {
            assert_eq!(check_key_uri(bad).unwrap_err().code().value(), 1102);
        }
    }

    #[test]
    fn embedded_keystore_gives_the_same_key_for_the_same_content() {
        let dir = mdrm_testkit::temp_dir();
        let s = settings(|a| {
            a.encryption_key = None;
            a.keystore = Some(dir.path().join("ks.sqlite"));
        });
        let a = acquire(
            &s,
            &HlsMode::FairPlay,
            "cid-7",
            &[TrackType::Hd],
            &KeyEnvironment::default(),
        )
        .unwrap();
        let b = acquire(
            &s,
            &HlsMode::FairPlay,
            "cid-7",
            &[TrackType::Hd],
            &KeyEnvironment::default(),
        )
        .unwrap();
        let (ka, kb) = (
            a.for_track(TrackType::Hd).unwrap(),
            b.for_track(TrackType::Hd).unwrap(),
        );
        assert_eq!(ka.kid, kb.kid);
        assert_eq!(ka.key, kb.key);
        assert_eq!(ka.iv, kb.iv);
        assert!(a.source.contains("ks.sqlite"), "{}", a.source);
    }
}
