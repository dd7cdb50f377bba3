//! Widevine PSSH data: the `WidevinePsshData` protobuf (proto2; field numbers from Shaka
//! Packager's `widevine_pssh_data.proto`, protocols.md §2.1).

use keys::KeyId;

use super::protobuf::{FieldReader, Value, put_bytes, put_uint};
use crate::error::CencError;
use crate::scheme::Scheme;

const ALGORITHM: u32 = 1;
const KEY_ID: u32 = 2;
const PROVIDER: u32 = 3;
const CONTENT_ID: u32 = 4;
const TRACK_TYPE: u32 = 5;
const POLICY: u32 = 6;
const CRYPTO_PERIOD_INDEX: u32 = 7;
const GROUPED_LICENSE: u32 = 8;
const PROTECTION_SCHEME: u32 = 9;

/// `WidevinePsshData`. Fields are written in field-number order; unknown fields are skipped
/// when decoding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WidevinePsshData {
    /// Field 1, `algorithm` (0 unencrypted, 1 AESCTR; deprecated, PallyCon still writes 1).
    pub algorithm: Option<u32>,
    /// Field 2, `key_id`, repeated.
    pub key_ids: Vec<KeyId>,
    /// Field 3, `provider` (e.g. "inkaentworks" for PallyCon).
    pub provider: Option<String>,
    /// Field 4, `content_id` (PallyCon puts the CID, UTF-8, here).
    pub content_id: Option<Vec<u8>>,
    /// Field 5, `track_type` (deprecated: "SD", "HD", "AUDIO", ...).
    pub track_type: Option<String>,
    /// Field 6, `policy`.
    pub policy: Option<String>,
    /// Field 7, `crypto_period_index` (key rotation).
    pub crypto_period_index: Option<u32>,
    /// Field 8, `grouped_license`.
    pub grouped_license: Option<Vec<u8>>,
    /// Field 9, `protection_scheme`: the scheme four-character code as a big-endian u32;
    /// absent means `cenc`.
    pub protection_scheme: Option<u32>,
}

fn error(reason: String) -> CencError {
    CencError::Pssh {
        system: "Widevine",
        reason,
    }
}

fn utf8(field: &str, b: &[u8]) -> Result<String, CencError> {
    String::from_utf8(b.to_vec()).map_err(|_| error(format!("{field} is not UTF-8")))
}

fn uint32(field: &str, v: u64) -> Result<u32, CencError> {
    u32::try_from(v).map_err(|_| error(format!("{field} exceeds 32 bits")))
}

impl WidevinePsshData {
    /// Shaka Packager's minimal data: the KIDs, plus `protection_scheme` for every scheme
    /// but `cenc`.
    pub fn new(key_ids: &[KeyId], scheme: Scheme) -> Self {
        let mut data = WidevinePsshData {
            key_ids: key_ids.to_vec(),
            ..Default::default()
        };
        data.set_scheme(scheme);
        data
    }

    /// Sets `protection_scheme` (omitted for `cenc`, its default).
    pub fn set_scheme(&mut self, scheme: Scheme) {
        self.protection_scheme = match scheme {
            Scheme::Cenc => None,
            s => Some(u32::from_be_bytes(s.fourcc())),
        };
    }

    /// The protection scheme the data declares (`cenc` when absent).
    pub fn scheme(&self) -> Result<Scheme, CencError> {
        match self.protection_scheme {
            None => Ok(Scheme::Cenc),
            Some(v) => Scheme::from_fourcc(v.to_be_bytes()),
        }
    }

    /// The protobuf bytes (the `pssh` box data).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(a) = self.algorithm {
            put_uint(&mut out, ALGORITHM, u64::from(a));
        }
        for k in &self.key_ids {
            put_bytes(&mut out, KEY_ID, &k.0);
        }
        if let Some(p) = &self.provider {
            put_bytes(&mut out, PROVIDER, p.as_bytes());
        }
        if let Some(c) = &self.content_id {
            put_bytes(&mut out, CONTENT_ID, c);
        }
        if let Some(t) = &self.track_type {
            put_bytes(&mut out, TRACK_TYPE, t.as_bytes());
        }
        if let Some(p) = &self.policy {
            put_bytes(&mut out, POLICY, p.as_bytes());
        }
        if let Some(i) = self.crypto_period_index {
            put_uint(&mut out, CRYPTO_PERIOD_INDEX, u64::from(i));
        }
        if let Some(g) = &self.grouped_license {
            put_bytes(&mut out, GROUPED_LICENSE, g);
        }
        if let Some(s) = self.protection_scheme {
            put_uint(&mut out, PROTECTION_SCHEME, u64::from(s));
        }
        out
    }

    /// Decodes protobuf bytes.
    pub fn decode(data: &[u8]) -> Result<Self, CencError> {
        let mut out = WidevinePsshData::default();
        let mut r = FieldReader::new(data);
        while let Some((field, value)) = r.next_field()? {
            match (field, value) {
                (ALGORITHM, Value::Varint(v)) => out.algorithm = Some(uint32("algorithm", v)?),
                (KEY_ID, Value::Bytes(b)) => {
                    let kid = <[u8; 16]>::try_from(b)
                        .map_err(|_| error(format!("key_id of {} bytes, expected 16", b.len())))?;
                    out.key_ids.push(KeyId(kid));
                }
                (PROVIDER, Value::Bytes(b)) => out.provider = Some(utf8("provider", b)?),
                (CONTENT_ID, Value::Bytes(b)) => out.content_id = Some(b.to_vec()),
                (TRACK_TYPE, Value::Bytes(b)) => out.track_type = Some(utf8("track_type", b)?),
                (POLICY, Value::Bytes(b)) => out.policy = Some(utf8("policy", b)?),
                (CRYPTO_PERIOD_INDEX, Value::Varint(v)) => {
                    out.crypto_period_index = Some(uint32("crypto_period_index", v)?);
                }
                (GROUPED_LICENSE, Value::Bytes(b)) => out.grouped_license = Some(b.to_vec()),
                (PROTECTION_SCHEME, Value::Varint(v)) => {
                    out.protection_scheme = Some(uint32("protection_scheme", v)?);
                }
                (ALGORITHM..=PROTECTION_SCHEME, _) => {
                    return Err(error(format!("field {field} has the wrong wire type")));
                }
                _ => {} // fields added to the proto later
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_box::{parse_pssh_box, pssh_box};
    use super::super::{PsshData, PsshInfo};
    use super::*;
    use mdrm_testkit::hex;
    use proptest::prelude::*;

    fn kid1() -> KeyId {
        KeyId(*b"keyid1~~~~~~~~~~")
    }
    fn kid2() -> KeyId {
        KeyId(*b"keyid2~~~~~~~~~~")
    }

    /// Shaka `pssh_generator_unittest.cc` kExpectedWidevinePssh / kExpectedWidevinePsshCbcs
    /// (protocols.md §7.6).
    #[test]
    fn shaka_widevine_boxes_cenc_and_cbcs() {
        let cenc = pssh_box(&PsshInfo::widevine(&WidevinePsshData::new(
            &[kid1(), kid2()],
            Scheme::Cenc,
        )));
        let mut expected =
            hex("00000044 70737368 00000000 EDEF8BA979D64ACEA3C827DCD51D21ED 00000024");
        expected.extend_from_slice(&[0x12, 0x10]);
        expected.extend_from_slice(b"keyid1~~~~~~~~~~");
        expected.extend_from_slice(&[0x12, 0x10]);
        expected.extend_from_slice(b"keyid2~~~~~~~~~~");
        assert_eq!(cenc, expected);

        let cbcs = pssh_box(&PsshInfo::widevine(&WidevinePsshData::new(
            &[kid1(), kid2()],
            Scheme::Cbcs,
        )));
        expected[3] = 0x4a;
        expected[31] = 0x2a;
        expected.extend_from_slice(&hex("48F3C6899B06"));
        assert_eq!(cbcs, expected);

        let parsed = parse_pssh_box(&cbcs);
        let PsshData::Widevine(w) = parsed.decode().unwrap() else {
            panic!("not Widevine");
        };
        assert_eq!(w.key_ids, vec![kid1(), kid2()]);
        assert_eq!(w.scheme().unwrap(), Scheme::Cbcs);
        assert_eq!(parsed.all_kids().unwrap(), vec![kid1(), kid2()]);
    }

    /// PallyCon's VOD Widevine PSSH data (protocols.md §7.6): algorithm, KID, provider,
    /// content id, track type.
    #[test]
    fn pallycon_widevine_data() {
        let data = hex(
            "0801 1210 12ea753c23e7bc024474b2b976c43beb 1a0c 696e6b61656e74776f726b73 \
             220d 637069782d746573742d636964 2a02 4844",
        );
        assert_eq!(data.len(), 0x35);
        let w = WidevinePsshData::decode(&data).unwrap();
        assert_eq!(w.algorithm, Some(1));
        assert_eq!(
            w.key_ids,
            vec![KeyId::from_hex("12ea753c-23e7-bc02-4474-b2b976c43beb").unwrap()]
        );
        assert_eq!(w.provider.as_deref(), Some("inkaentworks"));
        assert_eq!(w.content_id.as_deref(), Some(&b"cpix-test-cid"[..]));
        assert_eq!(w.track_type.as_deref(), Some("HD"));
        assert_eq!(w.scheme().unwrap(), Scheme::Cenc);
        assert_eq!(w.encode(), data);
    }

    #[test]
    fn bad_data_is_a_typed_error() {
        let e = WidevinePsshData::decode(&hex("1203010203")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Widevine PSSH data: key_id of 3 bytes, expected 16"
        );
        assert!(WidevinePsshData::decode(&hex("1001")).is_err());
        // An unknown field (15, varint) is skipped.
        let w = WidevinePsshData::decode(&hex("7801")).unwrap();
        assert_eq!(w, WidevinePsshData::default());
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(
            kids in proptest::collection::vec(any::<[u8; 16]>(), 0..5),
            provider in proptest::option::of("[a-z]{0,12}"),
            content_id in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            period in proptest::option::of(any::<u32>()),
            scheme in prop_oneof![Just(Scheme::Cenc), Just(Scheme::Cbcs), Just(Scheme::Cens)],
        ) {
            let mut w = WidevinePsshData::new(
                &kids.iter().map(|k| KeyId(*k)).collect::<Vec<_>>(), scheme);
            w.provider = provider;
            w.content_id = content_id;
            w.crypto_period_index = period;
            let back = WidevinePsshData::decode(&w.encode()).unwrap();
            prop_assert_eq!(back, w);
        }

        #[test]
        fn decoding_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = WidevinePsshData::decode(&data);
        }
    }
}
