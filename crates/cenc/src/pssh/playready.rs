//! PlayReady: the WRMHEADER (PlayReady Header Specification, versions 4.0 to 4.3), the
//! PlayReady Object that carries it (protocols.md §2.2), and the `mspr:pro` MPD value.
//!
//! - KIDs are written as base64 of the little-endian GUID byte order.
//! - `CHECKSUM` (AES-CTR keys only): the first 8 bytes of AES-128-ECB(content key, GUID KID).
//! - The XML is UTF-16LE without BOM inside a record of type 1.

use keys::{ContentKey, KeyId, decode_base64, to_base64};
use quick_xml::XmlVersion;
use quick_xml::events::Event;

use super::PsshInfo;
use crate::crypto::EncryptKey;
use crate::error::CencError;
use crate::scheme::Scheme;

const XMLNS: &str = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader";
/// PlayReady Object record type of a rights management header.
const RECORD_RM_HEADER: u16 = 1;
/// Microsoft's recommended ceiling for a PlayReady Object.
const MAX_PRO_BYTES: usize = 15 * 1024;

/// The WRMHEADER `version` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WrmHeaderVersion {
    /// 4.0.0.0: one key, AES-CTR (PlayReady 1+).
    V4_0,
    /// 4.1.0.0: one key in `PROTECTINFO/KID` attributes (PlayReady 2+).
    V4_1,
    /// 4.2.0.0: several keys in `PROTECTINFO/KIDS` (PlayReady 3+).
    V4_2,
    /// 4.3.0.0: like 4.2, and `ALGID="AESCBC"` is allowed (PlayReady 4+, needed for cbcs).
    V4_3,
}

impl WrmHeaderVersion {
    fn as_str(self) -> &'static str {
        match self {
            WrmHeaderVersion::V4_0 => "4.0.0.0",
            WrmHeaderVersion::V4_1 => "4.1.0.0",
            WrmHeaderVersion::V4_2 => "4.2.0.0",
            WrmHeaderVersion::V4_3 => "4.3.0.0",
        }
    }

    fn parse(s: &str) -> Result<Self, CencError> {
        match s {
            "4.0.0.0" => Ok(WrmHeaderVersion::V4_0),
            "4.1.0.0" => Ok(WrmHeaderVersion::V4_1),
            "4.2.0.0" => Ok(WrmHeaderVersion::V4_2),
            "4.3.0.0" => Ok(WrmHeaderVersion::V4_3),
            _ => Err(error(format!("unsupported WRMHEADER version {s:?}"))),
        }
    }
}

/// The `ALGID` of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlayReadyAlgorithm {
    /// `AESCTR` (cenc, cens).
    AesCtr,
    /// `AESCBC` (cbcs, cbc1; header 4.3 only).
    AesCbc,
}

impl PlayReadyAlgorithm {
    fn as_str(self) -> &'static str {
        match self {
            PlayReadyAlgorithm::AesCtr => "AESCTR",
            PlayReadyAlgorithm::AesCbc => "AESCBC",
        }
    }

    fn parse(s: &str) -> Result<Self, CencError> {
        match s {
            "AESCTR" => Ok(PlayReadyAlgorithm::AesCtr),
            "AESCBC" => Ok(PlayReadyAlgorithm::AesCbc),
            _ => Err(error(format!("unsupported ALGID {s:?}"))),
        }
    }
}

/// One key of a PlayReady header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayReadyKid {
    /// The KID (normal byte order; written as a little-endian GUID).
    pub kid: KeyId,
    /// `ALGID` (optional from 4.2 on).
    pub algorithm: Option<PlayReadyAlgorithm>,
    /// `CHECKSUM`: first 8 bytes of AES-ECB(key, GUID KID); only for AES-CTR.
    pub checksum: Option<[u8; 8]>,
}

impl PlayReadyKid {
    /// A key entry with its checksum computed from the content key (for AES-CTR; Shaka
    /// leaves it out for AES-CBC, and so do we).
    pub fn new(kid: KeyId, key: &ContentKey, algorithm: PlayReadyAlgorithm) -> Self {
        let checksum = (algorithm == PlayReadyAlgorithm::AesCtr).then(|| checksum(kid, key));
        PlayReadyKid {
            kid,
            algorithm: Some(algorithm),
            checksum,
        }
    }
}

/// The PlayReady `CHECKSUM` of a key.
fn checksum(kid: KeyId, key: &ContentKey) -> [u8; 8] {
    let mut block = kid.to_playready_guid_bytes();
    EncryptKey::new(key).encrypt_block(&mut block);
    let mut out = [0u8; 8];
    out.copy_from_slice(&block[..8]);
    out
}

/// A PlayReady rights management header (WRMHEADER).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayReadyHeader {
    /// The header version.
    pub version: WrmHeaderVersion,
    /// The keys (exactly one for 4.0 and 4.1).
    pub kids: Vec<PlayReadyKid>,
    /// `LA_URL`: the license acquisition URL (`--license-url`).
    pub la_url: Option<String>,
    /// `LUI_URL`: the license UI URL.
    pub lui_url: Option<String>,
    /// `DS_ID`: the domain service id.
    pub ds_id: Option<String>,
    /// `CUSTOMATTRIBUTES`: inner XML, written as is.
    pub custom_attributes: Option<String>,
}

fn error(reason: String) -> CencError {
    CencError::Pssh {
        system: "PlayReady",
        reason,
    }
}

fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

impl PlayReadyHeader {
    /// The header Shaka Packager writes for `scheme`: 4.0 with `AESCTR` and `CHECKSUM` for a
    /// single key with `cenc`/`cens`, 4.2 listing every key for several keys, 4.3 with
    /// `ALGID="AESCBC"` for `cbcs`/`cbc1`.
    pub fn for_keys(
        scheme: Scheme,
        keys: &[(KeyId, &ContentKey)],
        la_url: Option<&str>,
    ) -> Result<Self, CencError> {
        if keys.is_empty() {
            return Err(error("at least one key is needed".into()));
        }
        let (version, algorithm) = match (scheme.is_ctr(), keys.len()) {
            (true, 1) => (WrmHeaderVersion::V4_0, PlayReadyAlgorithm::AesCtr),
            (true, _) => (WrmHeaderVersion::V4_2, PlayReadyAlgorithm::AesCtr),
            (false, _) => (WrmHeaderVersion::V4_3, PlayReadyAlgorithm::AesCbc),
        };
        Ok(PlayReadyHeader {
            version,
            kids: keys
                .iter()
                .map(|(kid, key)| PlayReadyKid::new(*kid, key, algorithm))
                .collect(),
            la_url: la_url.map(str::to_owned),
            lui_url: None,
            ds_id: None,
            custom_attributes: None,
        })
    }

    /// The WRMHEADER XML (attributes in alphabetical order, every element closed).
    pub fn to_xml(&self) -> Result<String, CencError> {
        self.check()?;
        let mut x = format!(
            "<WRMHEADER xmlns=\"{XMLNS}\" version=\"{}\"><DATA>",
            self.version.as_str()
        );
        match self.version {
            WrmHeaderVersion::V4_0 => {
                let k = &self.kids[0];
                x.push_str(
                    "<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>",
                );
                x.push_str(&to_base64(&k.kid.to_playready_guid_bytes()));
                x.push_str("</KID>");
                if let Some(c) = &k.checksum {
                    x.push_str("<CHECKSUM>");
                    x.push_str(&to_base64(c));
                    x.push_str("</CHECKSUM>");
                }
            }
            WrmHeaderVersion::V4_1 => {
                x.push_str("<PROTECTINFO>");
                push_kid_element(&mut x, &self.kids[0]);
                x.push_str("</PROTECTINFO>");
            }
            WrmHeaderVersion::V4_2 | WrmHeaderVersion::V4_3 => {
                x.push_str("<PROTECTINFO><KIDS>");
                for k in &self.kids {
                    push_kid_element(&mut x, k);
                }
                x.push_str("</KIDS></PROTECTINFO>");
            }
        }
        for (name, value) in [
            ("LA_URL", &self.la_url),
            ("LUI_URL", &self.lui_url),
            ("DS_ID", &self.ds_id),
        ] {
            if let Some(v) = value {
                x.push_str(&format!("<{name}>{}</{name}>", escape(v)));
            }
        }
        if let Some(c) = &self.custom_attributes {
            x.push_str(&format!("<CUSTOMATTRIBUTES>{c}</CUSTOMATTRIBUTES>"));
        }
        x.push_str("</DATA></WRMHEADER>");
        Ok(x)
    }

    fn check(&self) -> Result<(), CencError> {
        let single = matches!(
            self.version,
            WrmHeaderVersion::V4_0 | WrmHeaderVersion::V4_1
        );
        if self.kids.is_empty() || (single && self.kids.len() != 1) {
            return Err(error(format!(
                "header {} needs {} key(s), has {}",
                self.version.as_str(),
                if single {
                    "exactly one"
                } else {
                    "at least one"
                },
                self.kids.len()
            )));
        }
        for k in &self.kids {
            if k.algorithm == Some(PlayReadyAlgorithm::AesCbc)
                && self.version != WrmHeaderVersion::V4_3
            {
                return Err(error("ALGID AESCBC needs header version 4.3".into()));
            }
            if self.version == WrmHeaderVersion::V4_0
                && k.algorithm != Some(PlayReadyAlgorithm::AesCtr)
            {
                return Err(error("header 4.0 needs ALGID AESCTR".into()));
            }
        }
        Ok(())
    }

    /// The PlayReady Object: `Length u32 LE | RecordCount u16 LE | type 1 record` with the
    /// XML as UTF-16LE.
    pub fn to_pro(&self) -> Result<Vec<u8>, CencError> {
        let xml: Vec<u8> = self
            .to_xml()?
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let total = 6 + 4 + xml.len();
        if total > MAX_PRO_BYTES {
            return Err(error(format!(
                "PlayReady Object of {total} bytes exceeds {MAX_PRO_BYTES}"
            )));
        }
        let mut pro = Vec::with_capacity(total);
        pro.extend_from_slice(&(total as u32).to_le_bytes());
        pro.extend_from_slice(&1u16.to_le_bytes());
        pro.extend_from_slice(&RECORD_RM_HEADER.to_le_bytes());
        pro.extend_from_slice(&(xml.len() as u16).to_le_bytes());
        pro.extend_from_slice(&xml);
        Ok(pro)
    }

    /// The `mspr:pro` value of the MPD: base64 of the PlayReady Object.
    pub fn mspr_pro_base64(&self) -> Result<String, CencError> {
        Ok(to_base64(&self.to_pro()?))
    }

    /// The PSSH (version 0, data = PlayReady Object).
    pub fn to_pssh(&self) -> Result<PsshInfo, CencError> {
        PsshInfo::playready(self)
    }

    /// Reads the header from a PlayReady Object (the first type-1 record).
    pub fn from_pro(pro: &[u8]) -> Result<Self, CencError> {
        let short = || error("PlayReady Object truncated".into());
        let head = pro.get(..6).ok_or_else(short)?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if len as usize != pro.len() {
            return Err(error(format!(
                "PlayReady Object length field says {len} bytes, data has {}",
                pro.len()
            )));
        }
        let count = u16::from_le_bytes([head[4], head[5]]);
        let mut pos = 6;
        for _ in 0..count {
            let head = pro.get(pos..pos + 4).ok_or_else(short)?;
            let kind = u16::from_le_bytes([head[0], head[1]]);
            let n = usize::from(u16::from_le_bytes([head[2], head[3]]));
            let value = pro.get(pos + 4..pos + 4 + n).ok_or_else(short)?;
            pos += 4 + n;
            if kind == RECORD_RM_HEADER {
                if n % 2 != 0 {
                    return Err(error("odd-length UTF-16 header record".into()));
                }
                let units: Vec<u16> = value
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let xml = String::from_utf16(&units)
                    .map_err(|_| error("header record is not valid UTF-16".into()))?;
                return Self::from_xml(xml.trim_start_matches('\u{feff}'));
            }
        }
        Err(error("no rights management header record".into()))
    }

    /// Parses WRMHEADER XML of versions 4.0 to 4.3.
    pub fn from_xml(xml: &str) -> Result<Self, CencError> {
        parse_xml(xml)
    }
}

fn push_kid_element(x: &mut String, k: &PlayReadyKid) {
    x.push_str("<KID");
    if let Some(a) = k.algorithm {
        x.push_str(&format!(" ALGID=\"{}\"", a.as_str()));
    }
    if let Some(c) = &k.checksum {
        x.push_str(&format!(" CHECKSUM=\"{}\"", to_base64(c)));
    }
    x.push_str(&format!(
        " VALUE=\"{}\"></KID>",
        to_base64(&k.kid.to_playready_guid_bytes())
    ));
}

fn guid_kid(b64: &str) -> Result<KeyId, CencError> {
    let bytes = decode_base64("PlayReady KID", b64)?;
    let guid: [u8; 16] = bytes
        .try_into()
        .map_err(|v: Vec<u8>| error(format!("KID of {} bytes, expected 16", v.len())))?;
    Ok(KeyId::from_playready_guid_bytes(guid))
}

fn checksum_bytes(b64: &str) -> Result<[u8; 8], CencError> {
    let bytes = decode_base64("PlayReady CHECKSUM", b64)?;
    bytes
        .try_into()
        .map_err(|v: Vec<u8>| error(format!("CHECKSUM of {} bytes, expected 8", v.len())))
}

fn xml_error(e: impl std::fmt::Display) -> CencError {
    error(format!("XML: {e}"))
}

/// Walks the XML, tracking the element path.
fn parse_xml(xml: &str) -> Result<PlayReadyHeader, CencError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut version = None;
    let mut kids: Vec<PlayReadyKid> = Vec::new();
    let mut header = PlayReadyHeader {
        version: WrmHeaderVersion::V4_0,
        kids: Vec::new(),
        la_url: None,
        lui_url: None,
        ds_id: None,
        custom_attributes: None,
    };
    // 4.0 keeps KID, CHECKSUM and ALGID in separate elements.
    let (mut v40_kid, mut v40_checksum, mut v40_algid) = (None, None, None);
    loop {
        let event = reader.read_event().map_err(xml_error)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_owned();
                if path.is_empty() {
                    if name != "WRMHEADER" {
                        return Err(error(format!("root element is {name}, not WRMHEADER")));
                    }
                    for a in e.attributes() {
                        let a = a.map_err(xml_error)?;
                        if a.key.local_name().as_ref() == "version" {
                            let v = a
                                .normalized_value(XmlVersion::Implicit1_0)
                                .map_err(xml_error)?;
                            version = Some(WrmHeaderVersion::parse(&v)?);
                        }
                    }
                }
                if name == "KID"
                    && path
                        .last()
                        .is_some_and(|p| p == "PROTECTINFO" || p == "KIDS")
                {
                    kids.push(kid_from_attributes(e)?);
                }
                if matches!(event, Event::Start(_)) {
                    path.push(name);
                    text.clear();
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                text.push('&');
                text.push_str(&r.xml10_content());
                text.push(';');
            }
            Event::CData(c) => text.push_str(&quick_xml::escape::escape(c.as_ref())),
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str);
                let value = quick_xml::escape::unescape(text.trim())
                    .map_err(xml_error)?
                    .into_owned();
                match (parent, name.as_str()) {
                    (Some("DATA"), "KID") => v40_kid = Some(guid_kid(&value)?),
                    (Some("DATA"), "CHECKSUM") => v40_checksum = Some(checksum_bytes(&value)?),
                    (Some("PROTECTINFO"), "ALGID") => {
                        v40_algid = Some(PlayReadyAlgorithm::parse(&value)?);
                    }
                    (Some("DATA"), "LA_URL") => header.la_url = Some(value),
                    (Some("DATA"), "LUI_URL") => header.lui_url = Some(value),
                    (Some("DATA"), "DS_ID") => header.ds_id = Some(value),
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    header.version = version.ok_or_else(|| error("WRMHEADER has no version".into()))?;
    if header.version == WrmHeaderVersion::V4_0 {
        let kid = v40_kid.ok_or_else(|| error("header 4.0 without DATA/KID".into()))?;
        kids.push(PlayReadyKid {
            kid,
            algorithm: v40_algid,
            checksum: v40_checksum,
        });
    }
    header.kids = kids;
    header.custom_attributes = inner_xml(xml, "CUSTOMATTRIBUTES");
    header.check()?;
    Ok(header)
}

fn kid_from_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<PlayReadyKid, CencError> {
    let mut kid = None;
    let mut algorithm = None;
    let mut checksum = None;
    for a in e.attributes() {
        let a = a.map_err(xml_error)?;
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(xml_error)?;
        match a.key.local_name().as_ref() {
            "VALUE" => kid = Some(guid_kid(&v)?),
            "ALGID" => algorithm = Some(PlayReadyAlgorithm::parse(&v)?),
            "CHECKSUM" => checksum = Some(checksum_bytes(&v)?),
            _ => {}
        }
    }
    Ok(PlayReadyKid {
        kid: kid.ok_or_else(|| error("KID element without VALUE".into()))?,
        algorithm,
        checksum,
    })
}

/// The raw inner XML of the first `<name>` element, if any.
fn inner_xml(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::test_box::{parse_pssh_box, pssh_box};
    use super::super::{PsshData, SystemId};
    use super::*;
    use proptest::prelude::*;

    fn shaka_key() -> (KeyId, ContentKey) {
        (
            KeyId(*b"keyid1~~~~~~~~~~"),
            ContentKey::new(*b"contentkey1~~~~~"),
        )
    }

    /// Shaka `pssh_generator_unittest.cc` kExpectedPlayReadyPsshWithCtrKey (protocols.md §7.5):
    /// box 0x226, PRO 0x206, record 0x1FC; KID aXllazFkfn5+fn5+fn5+fg==, CHECKSUM uFY/OirQj/U=.
    #[test]
    fn shaka_playready_cenc_box() {
        let (kid, key) = shaka_key();
        let h = PlayReadyHeader::for_keys(Scheme::Cenc, &[(kid, &key)], None).unwrap();
        let xml = h.to_xml().unwrap();
        assert_eq!(
            xml,
            "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" \
             version=\"4.0.0.0\"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID>\
             </PROTECTINFO><KID>aXllazFkfn5+fn5+fn5+fg==</KID><CHECKSUM>uFY/OirQj/U=</CHECKSUM>\
             </DATA></WRMHEADER>"
        );
        let b = pssh_box(&h.to_pssh().unwrap());
        assert_eq!(b.len(), 0x226);
        assert_eq!(
            &b[..12],
            &[0, 0, 2, 0x26, b'p', b's', b's', b'h', 0, 0, 0, 0]
        );
        assert_eq!(&b[12..28], &SystemId::PLAYREADY.0);
        // DataSize, PRO length (LE), record count, record type, record length.
        assert_eq!(&b[28..42], &[0, 0, 2, 6, 6, 2, 0, 0, 1, 0, 1, 0, 0xfc, 1]);
        let parsed = parse_pssh_box(&b);
        assert_eq!(parsed.decode().unwrap(), PsshData::PlayReady(h.clone()));
        assert_eq!(parsed.all_kids().unwrap(), vec![kid]);
    }

    /// Shaka kExpectedPlayReadyPsshWithCbcKey: header 4.3, ALGID AESCBC, no checksum;
    /// box 0x1DE, PRO 0x1BE, record 0x1B4.
    #[test]
    fn shaka_playready_cbcs_box() {
        let (kid, key) = shaka_key();
        let h = PlayReadyHeader::for_keys(Scheme::Cbcs, &[(kid, &key)], None).unwrap();
        assert_eq!(
            h.to_xml().unwrap(),
            "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" \
             version=\"4.3.0.0\"><DATA><PROTECTINFO><KIDS><KID ALGID=\"AESCBC\" \
             VALUE=\"aXllazFkfn5+fn5+fn5+fg==\"></KID></KIDS></PROTECTINFO></DATA></WRMHEADER>"
        );
        let b = pssh_box(&h.to_pssh().unwrap());
        assert_eq!(b.len(), 0x1de);
        assert_eq!(
            &b[28..42],
            &[0, 0, 1, 0xbe, 0xbe, 1, 0, 0, 1, 0, 1, 0, 0xb4, 1]
        );
        assert_eq!(PlayReadyHeader::from_pro(&b[32..]).unwrap(), h);
    }

    /// PallyCon's CPIX PlayReady PSSH (protocols.md §7.5): the decoded WRMHEADER parses, and
    /// our writer reproduces it byte for byte (box 706, PRO 674, record 664 bytes).
    #[test]
    fn pallycon_header_round_trips() {
        let xml = "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader\" \
                   version=\"4.0.0.0\"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID>\
                   </PROTECTINFO><KID>PHXqEucjArxEdLK5dsQ76w==</KID><CHECKSUM>/F7B1fH2e0c=</CHECKSUM>\
                   <LA_URL>https://testtokyo.pallycon.com/ri/playready/licenseManager.do</LA_URL>\
                   </DATA></WRMHEADER>";
        let h = PlayReadyHeader::from_xml(xml).unwrap();
        assert_eq!(
            h.kids[0].kid,
            KeyId::from_hex("12ea753c-23e7-bc02-4474-b2b976c43beb").unwrap()
        );
        assert_eq!(
            h.la_url.as_deref(),
            Some("https://testtokyo.pallycon.com/ri/playready/licenseManager.do")
        );
        assert_eq!(h.to_xml().unwrap(), xml);
        let pro = h.to_pro().unwrap();
        assert_eq!(pro.len(), 674);
        assert_eq!(u16::from_le_bytes([pro[8], pro[9]]), 664);
        assert_eq!(pssh_box(&h.to_pssh().unwrap()).len(), 706);
        assert_eq!(h.mspr_pro_base64().unwrap(), keys::to_base64(&pro));
    }

    #[test]
    fn multi_key_and_escaping() {
        let k1 = ContentKey::new([1; 16]);
        let k2 = ContentKey::new([2; 16]);
        let url = "https://lic.example/pr?a=1&b=<2>";
        let h = PlayReadyHeader::for_keys(
            Scheme::Cenc,
            &[(KeyId([1; 16]), &k1), (KeyId([2; 16]), &k2)],
            Some(url),
        )
        .unwrap();
        assert_eq!(h.version, WrmHeaderVersion::V4_2);
        let xml = h.to_xml().unwrap();
        assert!(xml.contains("<LA_URL>https://lic.example/pr?a=1&amp;b=&lt;2&gt;</LA_URL>"));
        let back = PlayReadyHeader::from_xml(&xml).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.kids[1].checksum, Some(checksum(KeyId([2; 16]), &k2)));
    }

    #[test]
    fn invalid_headers_are_typed_errors() {
        let (kid, key) = shaka_key();
        let mut h = PlayReadyHeader::for_keys(Scheme::Cbcs, &[(kid, &key)], None).unwrap();
        h.version = WrmHeaderVersion::V4_2;
        assert!(h.to_xml().is_err());
        assert!(PlayReadyHeader::for_keys(Scheme::Cenc, &[], None).is_err());
        for bad in [
            "",
            "<X/>",
            "<WRMHEADER version=\"9\"></WRMHEADER>",
            "<WRMHEADER version=\"4.0.0.0\"><DATA></DATA></WRMHEADER>",
            "<WRMHEADER version=\"4.3.0.0\"><DATA><PROTECTINFO><KIDS><KID VALUE=\"AAA=\"></KID></KIDS></PROTECTINFO></DATA></WRMHEADER>",
        ] {
            assert!(PlayReadyHeader::from_xml(bad).is_err(), "{bad}");
        }
        assert!(PlayReadyHeader::from_pro(&[1, 2, 3]).is_err());
        assert!(PlayReadyHeader::from_pro(&[6, 0, 0, 0, 0, 0]).is_err());
    }

    proptest! {
        #[test]
        fn pro_parsing_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = PlayReadyHeader::from_pro(&data);
        }

        #[test]
        fn headers_round_trip(kids in proptest::collection::vec(any::<[u8; 16]>(), 1..4),
                              cbc in any::<bool>(),
                              url in proptest::option::of("[a-z:/.&<>?=]{0,30}")) {
            let key = ContentKey::new([7; 16]);
            let pairs: Vec<(KeyId, &ContentKey)> = kids.iter().map(|k| (KeyId(*k), &key)).collect();
            let scheme = if cbc { Scheme::Cbcs } else { Scheme::Cenc };
            let h = PlayReadyHeader::for_keys(scheme, &pairs, url.as_deref()).unwrap();
            prop_assert_eq!(PlayReadyHeader::from_pro(&h.to_pro().unwrap()).unwrap(), h);
        }
    }
}
