//! DRM system identifiers (CPIX `DRMSystem@systemId`, PSSH system ids).

/// A 16-byte DRM system id: the one type shared with `cenc`.
pub use keys::SystemId;

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
