//! CPIX 2.3 documents (DASH-IF Content Protection Information Exchange), as used by the
//! "encryptor consumer" workflow of SPEKE v2 and the cloud KMS: the packager posts a document
//! describing what it needs, the key server returns it with keys and signalling filled in.
//!
//! One model serves both directions: [`parse()`] reads requests (in `mdrm-server`) and answers
//! (in the client), [`write()`] writes both. Unknown elements and attributes are ignored so newer
//! documents still parse; what is read is validated (UUIDs, base64, key and IV sizes) and every
//! failure is a typed [`crate::Error`], never a panic. Encrypted keys (`DeliveryDataList`,
//! `pskc:EncryptedValue`) are recognised but not decrypted.

mod dom;
pub mod limits;
mod parse;
mod track_rules;
mod write;

use keys::{ContentKey, Iv, KeyId};

use crate::drm::SystemId;

pub use parse::parse;
pub use track_rules::{TrackSet, VideoClassPixels, rule_tracks, usage_rule_for};
pub use write::write;

/// The CPIX namespace.
pub const NS_CPIX: &str = "urn:dashif:org:cpix";
/// The PSKC namespace (key values).
pub const NS_PSKC: &str = "urn:ietf:params:xml:ns:keyprov:pskc";
/// The SPEKE v1 namespace (`speke:ProtectionHeader` and friends).
pub const NS_SPEKE: &str = "urn:aws:amazon:com:speke";

/// A CPIX document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpixDocument {
    /// `CPIX@contentId` (2.3), else `CPIX@id` (SPEKE v1 and the cloud KMS).
    pub content_id: Option<String>,
    /// `CPIX@version` (e.g. `2.3`).
    pub version: Option<String>,
    /// `ContentKeyList`.
    pub content_keys: Vec<CpixContentKey>,
    /// `DRMSystemList`.
    pub drm_systems: Vec<CpixDrmSystem>,
    /// `ContentKeyPeriodList` (key rotation).
    pub key_periods: Vec<CpixKeyPeriod>,
    /// `ContentKeyUsageRuleList`.
    pub usage_rules: Vec<CpixUsageRule>,
    /// True when a `DeliveryDataList` is present (keys travel encrypted to a recipient).
    pub has_delivery_data: bool,
}

impl CpixDocument {
    /// The content key with id `kid`.
    pub fn content_key(&self, kid: KeyId) -> Option<&CpixContentKey> {
        self.content_keys.iter().find(|k| k.kid == kid)
    }

    /// The DRM system entries for key `kid`.
    pub fn drm_systems_for(&self, kid: KeyId) -> impl Iterator<Item = &CpixDrmSystem> {
        self.drm_systems.iter().filter(move |d| d.kid == kid)
    }

    /// The usage rules for key `kid`.
    pub fn usage_rules_for(&self, kid: KeyId) -> impl Iterator<Item = &CpixUsageRule> {
        self.usage_rules.iter().filter(move |r| r.kid == kid)
    }
}

/// The secret value of a `ContentKey`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum KeySecret {
    /// No `Data` element: a request ("please generate"), or an answer without the key.
    #[default]
    Absent,
    /// `pskc:PlainValue`: the 16-byte key in clear.
    Plain(ContentKey),
    /// `pskc:EncryptedValue`: encrypted to a recipient's document key (not supported here).
    Encrypted,
}

/// A `ContentKey` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpixContentKey {
    /// `@kid`.
    pub kid: KeyId,
    /// `@explicitIV` (16 bytes).
    pub explicit_iv: Option<Iv>,
    /// `@commonEncryptionScheme` as written (`cenc`, `cbcs`, ...).
    pub scheme: Option<String>,
    /// The key value.
    pub secret: KeySecret,
}

impl CpixContentKey {
    /// A key element without value (as in a request).
    pub fn request(kid: KeyId) -> Self {
        CpixContentKey {
            kid,
            explicit_iv: None,
            scheme: None,
            secret: KeySecret::Absent,
        }
    }
}

/// A signalling child of `DRMSystem`: absent, present but empty ("fill this in"), or filled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Signal {
    /// The element is not there.
    #[default]
    Absent,
    /// The element is there and empty: a request for the value.
    Requested,
    /// The element carries a value (base64-decoded).
    Value(Vec<u8>),
}

impl Signal {
    /// The decoded value, if any.
    pub fn value(&self) -> Option<&[u8]> {
        match self {
            Signal::Value(v) => Some(v),
            _ => None,
        }
    }

    /// True unless absent.
    pub fn is_present(&self) -> bool {
        !matches!(self, Signal::Absent)
    }
}

/// A `DRMSystem` element: signalling for one key and one DRM system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpixDrmSystem {
    /// `@kid`.
    pub kid: KeyId,
    /// `@systemId`.
    pub system_id: SystemId,
    /// `PSSH`: a complete pssh box.
    pub pssh: Signal,
    /// `ContentProtectionData`: XML to put inside the MPD `ContentProtection` element.
    pub content_protection_data: Signal,
    /// `URIExtXKey`: the `#EXT-X-KEY` URI.
    pub uri_ext_x_key: Signal,
    /// `HLSSignalingData` with `playlist="media"` (or no `playlist`): the `#EXT-X-KEY` line.
    pub hls_media: Signal,
    /// `HLSSignalingData` with `playlist="master"`: the `#EXT-X-SESSION-KEY` line.
    pub hls_master: Signal,
    /// `SmoothStreamingProtectionHeaderData`: the PlayReady Object.
    pub smooth_streaming_header: Signal,
    /// `speke:ProtectionHeader` (SPEKE v1 and the cloud KMS): the PlayReady Object.
    pub speke_protection_header: Signal,
}

impl CpixDrmSystem {
    /// An entry with every signalling element absent.
    pub fn new(kid: KeyId, system_id: SystemId) -> Self {
        CpixDrmSystem {
            kid,
            system_id,
            pssh: Signal::Absent,
            content_protection_data: Signal::Absent,
            uri_ext_x_key: Signal::Absent,
            hls_media: Signal::Absent,
            hls_master: Signal::Absent,
            smooth_streaming_header: Signal::Absent,
            speke_protection_header: Signal::Absent,
        }
    }
}

/// A `ContentKeyPeriod` (key rotation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpixKeyPeriod {
    /// `@id`.
    pub id: String,
    /// `@index`.
    pub index: Option<u64>,
}

/// A `VideoFilter`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoFilter {
    /// `@minPixels`.
    pub min_pixels: Option<u64>,
    /// `@maxPixels`.
    pub max_pixels: Option<u64>,
}

/// An `AudioFilter`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AudioFilter {
    /// `@minChannels`.
    pub min_channels: Option<u32>,
    /// `@maxChannels`.
    pub max_channels: Option<u32>,
}

/// A `ContentKeyUsageRule`: which tracks a key encrypts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpixUsageRule {
    /// `@kid`.
    pub kid: KeyId,
    /// `@intendedTrackType` (e.g. `ALL`, `AUDIO`, `SD`, `HD`, `UHD1`, `UHD2`, `VIDEO`, `SD+HD`).
    pub intended_track_type: Option<String>,
    /// `KeyPeriodFilter@periodId` values.
    pub period_ids: Vec<String>,
    /// `VideoFilter` elements.
    pub video_filters: Vec<VideoFilter>,
    /// `AudioFilter` elements.
    pub audio_filters: Vec<AudioFilter>,
}
