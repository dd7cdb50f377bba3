//! DRM system identifiers: the `pssh` box's `SystemID` and CPIX `DRMSystem@systemId`.

use std::fmt;

use crate::{KeyError, KeyId};

/// A 16-byte DRM system id. Open: unknown ids round-trip; known ones print their name in
/// `Debug`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SystemId(pub [u8; 16]);

impl SystemId {
    /// Widevine, `edef8ba9-79d6-4ace-a3c8-27dcd51d21ed`.
    pub const WIDEVINE: SystemId = SystemId([
        0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce, 0xa3, 0xc8, 0x27, 0xdc, 0xd5, 0x1d, 0x21,
        0xed,
    ]);
    /// PlayReady, `9a04f079-9840-4286-ab92-e65be0885f95`.
    pub const PLAYREADY: SystemId = SystemId([
        0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f,
        0x95,
    ]);
    /// FairPlay Streaming, `94ce86fb-07ff-4f43-adb8-93d2fa968ca2` (CPIX/DASH signalling only).
    pub const FAIRPLAY: SystemId = SystemId([
        0x94, 0xce, 0x86, 0xfb, 0x07, 0xff, 0x4f, 0x43, 0xad, 0xb8, 0x93, 0xd2, 0xfa, 0x96, 0x8c,
        0xa2,
    ]);
    /// W3C common PSSH format, used by ClearKey: `1077efec-c0b2-4d02-ace3-3c1e52e2fb4b`.
    pub const CLEARKEY: SystemId = SystemId([
        0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02, 0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb,
        0x4b,
    ]);
    /// The same id as [`SystemId::CLEARKEY`], under the name of the W3C "common" PSSH format.
    pub const COMMON: SystemId = SystemId::CLEARKEY;
    /// DASH-IF ClearKey ContentProtection scheme `e2719d58-a985-b3c9-781a-b030af78d30e`
    /// (accepted as ClearKey in CPIX documents).
    pub const CLEARKEY_DASHIF: SystemId = SystemId([
        0xe2, 0x71, 0x9d, 0x58, 0xa9, 0x85, 0xb3, 0xc9, 0x78, 0x1a, 0xb0, 0x30, 0xaf, 0x78, 0xd3,
        0x0e,
    ]);
    /// The vendor-specific "HLS AES-128 / NCG" system of the cloud KMS,
    /// `81376844-f976-481e-a84e-cc25d39b0b33`.
    pub const HLS_AES: SystemId = SystemId([
        0x81, 0x37, 0x68, 0x44, 0xf9, 0x76, 0x48, 0x1e, 0xa8, 0x4e, 0xcc, 0x25, 0xd3, 0x9b, 0x0b,
        0x33,
    ]);

    /// Parses the UUID text form (any case, dashes optional).
    pub fn from_uuid(text: &str) -> Result<Self, KeyError> {
        Ok(SystemId(KeyId::from_hex(text)?.0))
    }

    /// [`SystemId::from_uuid`], `None` on malformed text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::from_uuid(text).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_uuids() {
        for (id, text) in [
            (SystemId::WIDEVINE, "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"),
            (SystemId::PLAYREADY, "9a04f079-9840-4286-ab92-e65be0885f95"),
            (SystemId::FAIRPLAY, "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"),
            (SystemId::CLEARKEY, "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"),
            (
                SystemId::CLEARKEY_DASHIF,
                "e2719d58-a985-b3c9-781a-b030af78d30e",
            ),
            (SystemId::HLS_AES, "81376844-f976-481e-a84e-cc25d39b0b33"),
        ] {
            assert_eq!(id.to_string(), text);
            assert_eq!(
                SystemId::parse(&text.to_uppercase().replace('-', "")),
                Some(id)
            );
            assert!(id.name().is_some());
        }
        assert_eq!(SystemId::COMMON, SystemId::CLEARKEY);
        assert_eq!(format!("{:?}", SystemId::COMMON), "SystemId(ClearKey)");
        let other = SystemId([7; 16]);
        assert_eq!(other.name(), None);
        assert_eq!(
            format!("{other:?}"),
            "SystemId(07070707-0707-0707-0707-070707070707)"
        );
        assert!(SystemId::parse("not a uuid").is_none());
    }
}
