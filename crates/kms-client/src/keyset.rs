//! What a packager asks for ([`KeyRequest`]) and what it gets back ([`KeySet`]).

use keys::{ContentKey, Iv, KeyId, TrackType};

use crate::drm::{DrmSystem, SystemId};
use crate::ids::{ContentId, SiteId};

/// The Common Encryption scheme the keys will be used with (CPIX `commonEncryptionScheme`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncryptionScheme {
    /// AES-CTR (`cenc`).
    Cenc,
    /// AES-CBC with pattern (`cbcs`), also HLS SAMPLE-AES.
    Cbcs,
}

impl EncryptionScheme {
    /// The four-character code.
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionScheme::Cenc => "cenc",
            EncryptionScheme::Cbcs => "cbcs",
        }
    }

    /// Parses `cenc` / `cbcs` (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "cenc" => Some(EncryptionScheme::Cenc),
            "cbcs" => Some(EncryptionScheme::Cbcs),
            _ => None,
        }
    }
}

/// One packaging job's key needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRequest {
    /// The service site (required for the CPIX server; the embedded keystore files keys under
    /// [`crate::defaults::LOCAL_SITE_ID`] without one).
    pub site_id: Option<SiteId>,
    /// The content id: the same CID always gets the same keys.
    pub content_id: ContentId,
    /// The track classes of the job (e.g. audio, SD, HD). With `multi_key` each gets its own
    /// key; without it they share one key of [`TrackType::All`].
    pub track_types: Vec<TrackType>,
    /// One key per track class instead of one key for everything (`--multi-key`).
    pub multi_key: bool,
    /// DRM systems whose signalling (PSSH, HLS key lines) the key server should supply.
    pub drm_systems: Vec<DrmSystem>,
    /// The scheme the keys will be used with, when known.
    pub scheme: Option<EncryptionScheme>,
}

impl KeyRequest {
    /// A single-key request for `content_id` with no DRM signalling.
    pub fn single(site_id: Option<SiteId>, content_id: ContentId) -> Self {
        KeyRequest {
            site_id,
            content_id,
            track_types: vec![TrackType::All],
            multi_key: false,
            drm_systems: Vec::new(),
            scheme: None,
        }
    }

    /// The distinct track types keys are issued for: `[All]` without multi-key, else the
    /// requested classes in a stable order (an empty list means `[All]`).
    pub fn key_track_types(&self) -> Vec<TrackType> {
        if !self.multi_key {
            return vec![TrackType::All];
        }
        let mut v = self.track_types.clone();
        v.sort();
        v.dedup();
        if v.is_empty() {
            v.push(TrackType::All);
        }
        v
    }
}

/// Which playlist an HLS signalling line belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Playlist {
    /// The media playlist (`#EXT-X-KEY`).
    Media,
    /// The master/multivariant playlist (`#EXT-X-SESSION-KEY`).
    Master,
}

/// A complete `pssh` box supplied by the key server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsshBox {
    /// The DRM system it is for.
    pub system_id: SystemId,
    /// The whole box, header included.
    pub bytes: Vec<u8>,
}

/// Signalling the key server supplied for one key. Everything is optional: a packager builds
/// what is missing itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signalling {
    /// `pssh` boxes to put in the init segment and the MPD (`cenc:pssh`).
    pub pssh: Vec<PsshBox>,
    /// XML fragments to put inside the MPD `ContentProtection` element, per system.
    pub content_protection: Vec<(SystemId, String)>,
    /// The PlayReady Object (`mspr:pro`), when supplied.
    pub playready_pro: Option<Vec<u8>>,
    /// Complete `#EXT-X-KEY` / `#EXT-X-SESSION-KEY` lines, per system and playlist.
    pub hls_lines: Vec<(SystemId, Playlist, String)>,
    /// Key URIs for `#EXT-X-KEY:URI=...` (CPIX `URIExtXKey`; e.g. `skd://...` for FairPlay).
    pub hls_key_uris: Vec<(SystemId, String)>,
}

impl Signalling {
    /// True when the server supplied nothing.
    pub fn is_empty(&self) -> bool {
        *self == Signalling::default()
    }

    /// The `pssh` box for `system`, if supplied.
    pub fn pssh_for(&self, system: SystemId) -> Option<&[u8]> {
        self.pssh
            .iter()
            .find(|p| p.system_id == system)
            .map(|p| p.bytes.as_slice())
    }

    /// The key URI for `system`, if supplied.
    pub fn hls_key_uri_for(&self, system: SystemId) -> Option<&str> {
        self.hls_key_uris
            .iter()
            .find(|(s, _)| *s == system)
            .map(|(_, u)| u.as_str())
    }
}

/// The key for one track class. `Debug` never shows the key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackKey {
    /// The track class this key encrypts ([`TrackType::All`] for a single key).
    pub track_type: TrackType,
    /// The key id written into `tenc`, the MPD and PSSH boxes.
    pub kid: KeyId,
    /// The 16-byte AES content key.
    pub key: ContentKey,
    /// A 16-byte IV (HLS AES-128 and NCG use it; CENC packagers may derive per-sample IVs).
    pub iv: Iv,
    /// DRM signalling supplied by the key server (empty for external keys and the keystore).
    pub signalling: Signalling,
}

/// The keys of one packaging job, one per track class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<TrackKey>,
}

impl KeySet {
    /// Wraps keys (at least one; one per track type).
    pub fn new(keys: Vec<TrackKey>) -> Self {
        KeySet { keys }
    }

    /// All keys.
    pub fn keys(&self) -> &[TrackKey] {
        &self.keys
    }

    /// The key for a track of class `track_type`: its own key, else the shared
    /// [`TrackType::All`] key.
    pub fn for_track(&self, track_type: TrackType) -> Option<&TrackKey> {
        self.keys
            .iter()
            .find(|k| k.track_type == track_type)
            .or_else(|| self.keys.iter().find(|k| k.track_type == TrackType::All))
    }

    /// The key with id `kid`.
    pub fn by_kid(&self, kid: KeyId) -> Option<&TrackKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: TrackType, b: u8) -> TrackKey {
        TrackKey {
            track_type: t,
            kid: KeyId([b; 16]),
            key: ContentKey::new([b; 16]),
            iv: Iv::new16([b; 16]),
            signalling: Signalling::default(),
        }
    }

    #[test]
    fn key_track_types_follow_multi_key() {
        let mut r = KeyRequest::single(None, ContentId::parse("x", "cid").unwrap());
        r.track_types = vec![TrackType::Hd, TrackType::Audio, TrackType::Hd];
        assert_eq!(r.key_track_types(), vec![TrackType::All]);
        r.multi_key = true;
        assert_eq!(r.key_track_types(), vec![TrackType::Audio, TrackType::Hd]);
        r.track_types.clear();
        assert_eq!(r.key_track_types(), vec![TrackType::All]);
    }

    #[test]
    fn for_track_falls_back_to_all() {
        let set = KeySet::new(vec![key(TrackType::All, 1), key(TrackType::Hd, 2)]);
        assert_eq!(set.for_track(TrackType::Hd).unwrap().kid, KeyId([2; 16]));
        assert_eq!(set.for_track(TrackType::Sd).unwrap().kid, KeyId([1; 16]));
        let set = KeySet::new(vec![key(TrackType::Hd, 2)]);
        assert!(set.for_track(TrackType::Audio).is_none());
        assert!(format!("{set:?}").contains("ContentKey(<redacted>)"));
    }
}
