//! Protection System Specific Header data: system ids, the contents of a `pssh` box, and
//! builders/parsers for Widevine, PlayReady and the W3C common (ClearKey) format.
//!
//! The `pssh` box framing itself belongs to `bmff`; [`PsshInfo`] is what goes into it.

mod playready;
mod protobuf;
mod widevine;

use keys::KeyId;

pub use playready::{PlayReadyAlgorithm, PlayReadyHeader, PlayReadyKid, WrmHeaderVersion};
pub use widevine::WidevinePsshData;

use crate::error::CencError;

/// A DRM system id (the `pssh` box's `SystemID`): the one type shared with `kms-client`.
pub use keys::SystemId;

/// The contents of one `pssh` box: system id, KIDs (box version 1 when non-empty) and the
/// system-specific data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsshInfo {
    /// `SystemID`.
    pub system_id: SystemId,
    /// `KID`s of a version-1 box; empty for version 0.
    pub kids: Vec<KeyId>,
    /// `Data`.
    pub data: Vec<u8>,
}

/// The data of a `pssh` box, decoded according to its system.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PsshData {
    /// Widevine protobuf.
    Widevine(WidevinePsshData),
    /// PlayReady Object with a rights management header.
    PlayReady(PlayReadyHeader),
    /// W3C common / ClearKey: the KIDs are in the box, the data is empty.
    Common,
    /// Another system: the data is opaque.
    Unknown,
}

impl PsshInfo {
    /// The `pssh` box version these contents need: 1 with KIDs, else 0.
    pub fn box_version(&self) -> u8 {
        u8::from(!self.kids.is_empty())
    }

    /// The W3C common PSSH (also the ClearKey one): system `1077efec-...`, version 1, the
    /// KIDs, empty data.
    pub fn common(kids: &[KeyId]) -> Self {
        PsshInfo {
            system_id: SystemId::COMMON,
            kids: kids.to_vec(),
            data: Vec::new(),
        }
    }

    /// A version-0 Widevine PSSH.
    pub fn widevine(data: &WidevinePsshData) -> Self {
        PsshInfo {
            system_id: SystemId::WIDEVINE,
            kids: Vec::new(),
            data: data.encode(),
        }
    }

    /// A version-0 PlayReady PSSH (data = PlayReady Object).
    pub fn playready(header: &PlayReadyHeader) -> Result<Self, CencError> {
        Ok(PsshInfo {
            system_id: SystemId::PLAYREADY,
            kids: Vec::new(),
            data: header.to_pro()?,
        })
    }

    /// Decodes the data according to the system id.
    pub fn decode(&self) -> Result<PsshData, CencError> {
        match self.system_id {
            SystemId::WIDEVINE => Ok(PsshData::Widevine(WidevinePsshData::decode(&self.data)?)),
            SystemId::PLAYREADY => Ok(PsshData::PlayReady(PlayReadyHeader::from_pro(&self.data)?)),
            SystemId::COMMON => {
                if self.data.is_empty() {
                    Ok(PsshData::Common)
                } else {
                    Err(CencError::Pssh {
                        system: "Common",
                        reason: format!("data must be empty, found {} bytes", self.data.len()),
                    })
                }
            }
            _ => Ok(PsshData::Unknown),
        }
    }

    /// Every KID this PSSH names: the box's KIDs, plus those inside Widevine or PlayReady data.
    pub fn all_kids(&self) -> Result<Vec<KeyId>, CencError> {
        let mut kids = self.kids.clone();
        let inner: Vec<KeyId> = match self.decode()? {
            PsshData::Widevine(w) => w.key_ids,
            PsshData::PlayReady(p) => p.kids.iter().map(|k| k.kid).collect(),
            _ => Vec::new(),
        };
        for k in inner {
            if !kids.contains(&k) {
                kids.push(k);
            }
        }
        Ok(kids)
    }
}

#[cfg(test)]
pub(crate) mod test_box {
    //! Test-only `pssh` box framing, to compare with published whole boxes.
    use super::*;

    /// Serialises `info` as a complete `pssh` box.
    pub(crate) fn pssh_box(info: &PsshInfo) -> Vec<u8> {
        let mut body = vec![info.box_version(), 0, 0, 0];
        body.extend_from_slice(&info.system_id.0);
        if !info.kids.is_empty() {
            body.extend_from_slice(&(info.kids.len() as u32).to_be_bytes());
            for k in &info.kids {
                body.extend_from_slice(&k.0);
            }
        }
        body.extend_from_slice(&(info.data.len() as u32).to_be_bytes());
        body.extend_from_slice(&info.data);
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(b"pssh");
        out.extend_from_slice(&body);
        out
    }

    /// Parses a complete `pssh` box.
    pub(crate) fn parse_pssh_box(b: &[u8]) -> PsshInfo {
        assert_eq!(&b[4..8], b"pssh");
        assert_eq!(
            u32::from_be_bytes(b[..4].try_into().unwrap()) as usize,
            b.len()
        );
        let version = b[8];
        let system_id = SystemId(b[12..28].try_into().unwrap());
        let mut pos = 28;
        let mut kids = Vec::new();
        if version == 1 {
            let n = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
            pos += 4;
            for _ in 0..n {
                kids.push(KeyId(b[pos..pos + 16].try_into().unwrap()));
                pos += 16;
            }
        }
        let size = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 4;
        assert_eq!(pos + size, b.len());
        PsshInfo {
            system_id,
            kids,
            data: b[pos..].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_box::*;
    use super::*;
    use keys::decode_base64;

    #[test]
    fn system_ids_print_as_uuid_and_name() {
        assert_eq!(
            SystemId::WIDEVINE.to_string(),
            "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"
        );
        assert_eq!(
            SystemId::from_uuid("9a04f079-9840-4286-ab92-e65be0885f95").unwrap(),
            SystemId::PLAYREADY
        );
        assert_eq!(format!("{:?}", SystemId::COMMON), "SystemId(ClearKey)");
        let other = SystemId([1; 16]);
        assert_eq!(
            format!("{other:?}"),
            "SystemId(01010101-0101-0101-0101-010101010101)"
        );
        assert_eq!(
            SystemId::FAIRPLAY.to_string(),
            "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"
        );
    }

    /// protocols.md §2.5 (Shaka test data): common PSSH with KID "1234567890123456".
    #[test]
    fn common_pssh_matches_published_box() {
        let kid = KeyId(*b"1234567890123456");
        let info = PsshInfo::common(&[kid]);
        let expected = decode_base64(
            "t",
            "AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAExMjM0NTY3ODkwMTIzNDU2AAAAAA==",
        )
        .unwrap();
        assert_eq!(pssh_box(&info), expected);
        let back = parse_pssh_box(&expected);
        assert_eq!(back, info);
        assert_eq!(back.decode().unwrap(), PsshData::Common);
        assert_eq!(back.all_kids().unwrap(), vec![kid]);
    }

    /// Shaka `pssh_generator_unittest.cc` kExpectedCommonPssh: two KIDs.
    #[test]
    fn common_pssh_with_two_kids_matches_shaka() {
        let info = PsshInfo::common(&[KeyId(*b"keyid1~~~~~~~~~~"), KeyId(*b"keyid2~~~~~~~~~~")]);
        let b = pssh_box(&info);
        assert_eq!(b.len(), 0x44);
        assert_eq!(
            &b[..12],
            &[0, 0, 0, 0x44, b'p', b's', b's', b'h', 1, 0, 0, 0]
        );
        assert_eq!(&b[28..32], &[0, 0, 0, 2]);
        assert_eq!(&b[64..], &[0, 0, 0, 0]);
    }

    #[test]
    fn common_pssh_with_data_is_rejected_and_unknown_systems_pass() {
        let mut info = PsshInfo::common(&[]);
        info.data = vec![1];
        assert!(info.decode().is_err());
        let other = PsshInfo {
            system_id: SystemId([9; 16]),
            kids: vec![],
            data: vec![1, 2, 3],
        };
        assert_eq!(other.decode().unwrap(), PsshData::Unknown);
    }
}
