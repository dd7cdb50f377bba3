//! DRM system identifiers (CPIX `DRMSystem@systemId`, PSSH system ids).

use std::fmt;

use keys::KeyId;

/// A 16-byte DRM system id. Unknown ids round-trip; known ones print their name in `Debug`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SystemId(pub [u8; 16]);

impl SystemId {
    /// Widevine `edef8ba9-79d6-4ace-a3c8-27dcd51d21ed`.
    pub const WIDEVINE: SystemId = SystemId([
        0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce, 0xa3, 0xc8, 0x27, 0xdc, 0xd5, 0x1d, 0x21,
        0xed,
    ]);
    /// PlayReady `9a04f079-9840-4286-ab92-e65be0885f95`.
    pub const PLAYREADY: SystemId = SystemId([
        0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f,
        0x95,
    ]);
    /// FairPlay Streaming `94ce86fb-07ff-4f43-adb8-93d2fa968ca2`.
    pub const FAIRPLAY: SystemId = SystemId([
        0x94, 0xce, 0x86, 0xfb, 0x07, 0xff, 0x4f, 0x43, 0xad, 0xb8, 0x93, 0xd2, 0xfa, 0x96, 0x8c,
        0xa2,
    ]);
    /// W3C common PSSH / ClearKey `1077efec-c0b2-4d02-ace3-3c1e52e2fb4b`.
    pub const CLEARKEY: SystemId = SystemId([
        0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb,
        0x4b,
    ]);
    /// DASH-IF ClearKey ContentProtection scheme `e2719d58-a985-b3c9-781a-b030af78d30e`
    /// (accepted as ClearKey in CPIX documents).
    pub const CLEARKEY_DASHIF: SystemId = SystemId([
        0xe2, 0x71, 0x9d, 0x58, 0xa9, 0x85, 0xb3, 0xc9, 0x78, 0x1a, 0xb0, 0x30, 0xaf, 0x78, 0xd3,
        0x0e,
    ]);
    /// The vendor-specific "HLS AES-128 / NCG" system of the cloud KMS
    /// `81376844-f976-481e-a84e-cc25d39b0b33`.
    pub const HLS_AES: SystemId = SystemId([
        0x81, 0x37, 0x68, 0x44, 0xf9, 0x76, 0x48, 0x1e, 0xa8, 0x4e, 0xcc, 0x25, 0xd3, 0x9b, 0x0b,
        0x33,
    ]);

    /// Parses the UUID text form (any case, dashes optional).
    pub fn parse(text: &str) -> Option<Self> {
        KeyId::from_hex(text).ok().map(|k| SystemId(k.0))
    }

    /// The name of a known system, `None` for others.
    pub fn name(&self) -> Option<&'static str> {
        Some(match *self {
            SystemId::WIDEVINE => "Widevine",
            SystemId::PLAYREADY => "PlayReady",
            SystemId::FAIRPLAY => "FairPlay",
            SystemId::CLEARKEY => "ClearKey",
            SystemId::CLEARKEY_DASHIF => "ClearKey (DASH-IF)",
            SystemId::HLS_AES => "HLS AES-128/NCG",
            _ => return None,
        })
    }
}

impl fmt::Display for SystemId {
    /// Lowercase UUID form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&KeyId(self.0), f)
    }
}

impl fmt::Debug for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "SystemId({n})"),
            None => write!(f, "SystemId({self})"),
        }
    }
}

/// The DRM systems a packager can ask the key server to signal for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DrmSystem {
    /// Google Widevine (DASH, HLS fMP4).
    Widevine,
    /// Microsoft PlayReady (DASH).
    PlayReady,
    /// Apple FairPlay Streaming (HLS SAMPLE-AES / fMP4 cbcs).
    FairPlay,
    /// W3C ClearKey (DASH; mdrm-server's own license service).
    ClearKey,
    /// Plain HLS AES-128 / NCG keys managed by the key server.
    HlsAes,
}

impl DrmSystem {
    /// The CPIX system id requested for this DRM.
    pub fn system_id(self) -> SystemId {
        match self {
            DrmSystem::Widevine => SystemId::WIDEVINE,
            DrmSystem::PlayReady => SystemId::PLAYREADY,
            DrmSystem::FairPlay => SystemId::FAIRPLAY,
            DrmSystem::ClearKey => SystemId::CLEARKEY,
            DrmSystem::HlsAes => SystemId::HLS_AES,
        }
    }

    /// The DRM a system id stands for (both ClearKey ids map to [`DrmSystem::ClearKey`]).
    pub fn from_system_id(id: SystemId) -> Option<Self> {
        Some(match id {
            SystemId::WIDEVINE => DrmSystem::Widevine,
            SystemId::PLAYREADY => DrmSystem::PlayReady,
            SystemId::FAIRPLAY => DrmSystem::FairPlay,
            SystemId::CLEARKEY | SystemId::CLEARKEY_DASHIF => DrmSystem::ClearKey,
            SystemId::HLS_AES => DrmSystem::HlsAes,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_the_registry_text() {
        assert_eq!(
            SystemId::WIDEVINE.to_string(),
            "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
        );
        assert_eq!(
            SystemId::PLAYREADY.to_string(),
            "9a04f079-9840-4286-ab92-e65be0885f95"
        );
        assert_eq!(
            SystemId::FAIRPLAY.to_string(),
            "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
        );
        assert_eq!(
            SystemId::CLEARKEY.to_string(),
            "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
        );
        assert_eq!(
            SystemId::CLEARKEY_DASHIF.to_string(),
            "e2719d58-a985-b3c9-781a-b030af78d30e"
        );
        assert_eq!(
            SystemId::HLS_AES.to_string(),
            "81376844-f976-481e-a84e-cc25d39b0b33"
        );
        assert_eq!(
            SystemId::parse("9A04F079-9840-4286-AB92-E65BE0885F95"),
            Some(SystemId::PLAYREADY)
        );
        assert_eq!(format!("{:?}", SystemId::WIDEVINE), "SystemId(Widevine)");
    }

    #[test]
    fn drm_round_trip() {
        for d in [
            DrmSystem::Widevine,
            DrmSystem::PlayReady,
            DrmSystem::FairPlay,
            DrmSystem::ClearKey,
            DrmSystem::HlsAes,
        ] {
            assert_eq!(DrmSystem::from_system_id(d.system_id()), Some(d));
        }
        assert_eq!(
            DrmSystem::from_system_id(SystemId::CLEARKEY_DASHIF),
            Some(DrmSystem::ClearKey)
        );
    }
}
