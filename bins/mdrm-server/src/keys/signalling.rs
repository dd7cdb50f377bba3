//! DRM signalling the key service puts into CPIX answers: PSSH boxes (Widevine, PlayReady,
//! W3C common/ClearKey), PlayReady Objects, MPD `ContentProtection` content and HLS key lines
//! (protocols.md sections 2-4).

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use keys::{ContentKey, KeyId, to_base64, to_hex};
use kms_client::{EncryptionScheme, SystemId};

/// What signalling depends on besides the key.
#[derive(Clone, Debug, Default)]
pub struct SignallingSettings {
    /// The ClearKey license URL written into ClearKey `ContentProtectionData`.
    pub clearkey_license_url: String,
    /// PlayReady `LA_URL`, when there is a PlayReady license server.
    pub playready_la_url: Option<String>,
    /// Widevine `provider` field, when the Widevine license service wants one.
    pub widevine_provider: Option<String>,
}

/// A version 0/1 `pssh` box.
fn pssh_box(system: SystemId, kids: &[KeyId], data: &[u8]) -> Vec<u8> {
    let version: u8 = if kids.is_empty() { 0 } else { 1 };
    let mut b = Vec::with_capacity(32 + 4 + 16 * kids.len() + data.len());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(b"pssh");
    b.extend_from_slice(&[version, 0, 0, 0]);
    b.extend_from_slice(&system.0);
    if version == 1 {
        b.extend_from_slice(&(kids.len() as u32).to_be_bytes());
        kids.iter().for_each(|k| b.extend_from_slice(k.as_bytes()));
    }
    b.extend_from_slice(&(data.len() as u32).to_be_bytes());
    b.extend_from_slice(data);
    let size = b.len() as u32;
    b[..4].copy_from_slice(&size.to_be_bytes());
    b
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn proto_bytes(field: u8, value: &[u8], out: &mut Vec<u8>) {
    out.push((field << 3) | 2);
    varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

/// `WidevinePsshData`: key_id, provider (if set), content_id, protection_scheme for cbcs.
pub fn widevine_pssh_data(
    kid: KeyId,
    content_id: &str,
    scheme: Option<EncryptionScheme>,
    provider: Option<&str>,
) -> Vec<u8> {
    let mut d = Vec::new();
    proto_bytes(2, kid.as_bytes(), &mut d);
    if let Some(p) = provider {
        proto_bytes(3, p.as_bytes(), &mut d);
    }
    proto_bytes(4, content_id.as_bytes(), &mut d);
    if scheme == Some(EncryptionScheme::Cbcs) {
        d.push(9 << 3);
        varint(u64::from(u32::from_be_bytes(*b"cbcs")), &mut d);
    }
    d
}

/// The Widevine `pssh` box (version 0).
pub fn widevine_pssh(
    kid: KeyId,
    content_id: &str,
    scheme: Option<EncryptionScheme>,
    provider: Option<&str>,
) -> Vec<u8> {
    pssh_box(
        SystemId::WIDEVINE,
        &[],
        &widevine_pssh_data(kid, content_id, scheme, provider),
    )
}

/// The W3C common (ClearKey) `pssh` box: version 1, KID list, no data.
pub fn common_pssh(kids: &[KeyId]) -> Vec<u8> {
    pssh_box(SystemId::CLEARKEY, kids, &[])
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

/// PlayReady `CHECKSUM`: the first 8 bytes of AES-128-ECB(key, KID in GUID byte order).
pub fn playready_checksum(kid: KeyId, key: &ContentKey) -> [u8; 8] {
    let cipher = Aes128::new_from_slice(key.secret_bytes()).expect("16-byte key");
    let mut block = aes::Block::from(kid.to_playready_guid_bytes());
    cipher.encrypt_block(&mut block);
    let mut out = [0u8; 8];
    out.copy_from_slice(&block[..8]);
    out
}

/// The WRMHEADER: version 4.0.0.0 (AESCTR, with checksum) for cenc, 4.3.0.0 (AESCBC) for cbcs.
pub fn playready_header(
    kid: KeyId,
    key: &ContentKey,
    scheme: Option<EncryptionScheme>,
    la_url: Option<&str>,
) -> String {
    let kid_b64 = to_base64(&kid.to_playready_guid_bytes());
    let la = la_url
        .map(|u| format!("<LA_URL>{}</LA_URL>", xml_escape(u)))
        .unwrap_or_default();
    let ns = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader";
    if scheme == Some(EncryptionScheme::Cbcs) {
        format!(
            r#"<WRMHEADER xmlns="{ns}" version="4.3.0.0"><DATA><PROTECTINFO><KIDS><KID ALGID="AESCBC" VALUE="{kid_b64}"></KID></KIDS></PROTECTINFO>{la}</DATA></WRMHEADER>"#
        )
    } else {
        let checksum = to_base64(&playready_checksum(kid, key));
        format!(
            r#"<WRMHEADER xmlns="{ns}" version="4.0.0.0"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>{kid_b64}</KID><CHECKSUM>{checksum}</CHECKSUM>{la}</DATA></WRMHEADER>"#
        )
    }
}

/// The PlayReady Object: one Rights Management Header record (UTF-16LE), little-endian sizes.
pub fn playready_object(header: &str) -> Vec<u8> {
    let utf16: Vec<u8> = header.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let total = 10 + utf16.len();
    let mut pro = Vec::with_capacity(total);
    pro.extend_from_slice(&(total as u32).to_le_bytes());
    pro.extend_from_slice(&1u16.to_le_bytes());
    pro.extend_from_slice(&1u16.to_le_bytes());
    pro.extend_from_slice(&(utf16.len() as u16).to_le_bytes());
    pro.extend_from_slice(&utf16);
    pro
}

/// The PlayReady `pssh` box (version 0) around a PlayReady Object.
pub fn playready_pssh(pro: &[u8]) -> Vec<u8> {
    pssh_box(SystemId::PLAYREADY, &[], pro)
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for CIDs in URIs).
pub fn percent_encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// The FairPlay key URI: `skd://<CID>` (as the HLS packager writes it, cli.md).
pub fn fairplay_uri(content_id: &str) -> String {
    format!("skd://{}", percent_encode(content_id))
}

/// `#EXT-X-KEY` (media) or `#EXT-X-SESSION-KEY` (master) for FairPlay.
pub fn fairplay_hls_line(content_id: &str, master: bool) -> String {
    let tag = if master {
        "#EXT-X-SESSION-KEY"
    } else {
        "#EXT-X-KEY"
    };
    format!(
        r#"{tag}:METHOD=SAMPLE-AES,URI="{}",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1""#,
        fairplay_uri(content_id)
    )
}

/// `#EXT-X-KEY` / `#EXT-X-SESSION-KEY` for Widevine in HLS (fMP4 cbcs): the PSSH as a data URI.
pub fn widevine_hls_line(pssh: &[u8], kid: KeyId, master: bool) -> String {
    let tag = if master {
        "#EXT-X-SESSION-KEY"
    } else {
        "#EXT-X-KEY"
    };
    format!(
        r#"{tag}:METHOD=SAMPLE-AES,URI="data:text/plain;base64,{}",KEYID=0x{},KEYFORMAT="urn:uuid:{}",KEYFORMATVERSIONS="1""#,
        to_base64(pssh),
        to_hex(kid.as_bytes()),
        SystemId::WIDEVINE
    )
}

/// `#EXT-X-KEY` / `#EXT-X-SESSION-KEY` for PlayReady in HLS: the PRO as a UTF-16 data URI.
pub fn playready_hls_line(pro: &[u8], master: bool) -> String {
    let tag = if master {
        "#EXT-X-SESSION-KEY"
    } else {
        "#EXT-X-KEY"
    };
    format!(
        r#"{tag}:METHOD=SAMPLE-AES,URI="data:text/plain;charset=UTF-16;base64,{}",KEYFORMAT="com.microsoft.playready",KEYFORMATVERSIONS="1""#,
        to_base64(pro)
    )
}

/// `ContentProtectionData` for Widevine: the `cenc:pssh` element.
pub fn widevine_content_protection(pssh: &[u8]) -> String {
    format!("<cenc:pssh>{}</cenc:pssh>", to_base64(pssh))
}

/// `ContentProtectionData` for PlayReady: `mspr:pro` and `cenc:pssh`.
pub fn playready_content_protection(pro: &[u8], pssh: &[u8]) -> String {
    format!(
        "<mspr:pro>{}</mspr:pro><cenc:pssh>{}</cenc:pssh>",
        to_base64(pro),
        to_base64(pssh)
    )
}

/// `ContentProtectionData` for the W3C common system: `cenc:pssh`.
pub fn common_content_protection(pssh: &[u8]) -> String {
    format!("<cenc:pssh>{}</cenc:pssh>", to_base64(pssh))
}

/// `ContentProtectionData` for DASH-IF ClearKey: the license URL (`dashif:Laurl`).
pub fn clearkey_content_protection(license_url: &str) -> String {
    format!("<dashif:Laurl>{}</dashif:Laurl>", xml_escape(license_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrm_of_pro(pro: &[u8]) -> String {
        let units: Vec<u16> = pro[10..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap()
    }

    #[test]
    fn playready_matches_shaka_vectors() {
        // protocols.md 7.5: KID "keyid1~~~~~~~~~~", key "contentkey1~~~~~" ->
        // header KID aXllazFkfn5+fn5+fn5+fg==, CHECKSUM uFY/OirQj/U=.
        let kid = KeyId(*b"keyid1~~~~~~~~~~");
        let key = ContentKey::new(*b"contentkey1~~~~~");
        let h = playready_header(kid, &key, Some(EncryptionScheme::Cenc), None);
        assert!(h.contains("<KID>aXllazFkfn5+fn5+fn5+fg==</KID>"), "{h}");
        assert!(h.contains("<CHECKSUM>uFY/OirQj/U=</CHECKSUM>"), "{h}");
        let pro = playready_object(&h);
        assert_eq!(
            u32::from_le_bytes(pro[0..4].try_into().unwrap()) as usize,
            pro.len()
        );
        assert_eq!(wrm_of_pro(&pro), h);
        let pssh = playready_pssh(&pro);
        assert_eq!(
            u32::from_be_bytes(pssh[0..4].try_into().unwrap()) as usize,
            pssh.len()
        );
        assert_eq!(&pssh[12..28], &SystemId::PLAYREADY.0);
        let cbcs = playready_header(
            kid,
            &key,
            Some(EncryptionScheme::Cbcs),
            Some("https://a/?x=1&y=2"),
        );
        assert!(cbcs.contains(r#"version="4.3.0.0""#));
        assert!(cbcs.contains(r#"ALGID="AESCBC" VALUE="aXllazFkfn5+fn5+fn5+fg==""#));
        assert!(!cbcs.contains("CHECKSUM"));
        assert!(cbcs.contains("<LA_URL>https://a/?x=1&amp;y=2</LA_URL>"));
    }

    #[test]
    fn playready_checksum_of_the_published_cloud_kms_example() {
        // protocols.md 5.3: KID 12ea753c-..., key SzC1qc1cEpyFU6t/lL7Byw== -> /F7B1fH2e0c=.
        let kid = KeyId::from_hex("12ea753c-23e7-bc02-4474-b2b976c43beb").unwrap();
        let key = ContentKey::from_base64("SzC1qc1cEpyFU6t/lL7Byw==").unwrap();
        assert_eq!(to_base64(&playready_checksum(kid, &key)), "/F7B1fH2e0c=");
    }

    #[test]
    fn widevine_pssh_layout() {
        // Like the cloud KMS example (protocols.md 7.6) minus algorithm and track type.
        let kid = KeyId::from_hex("12ea753c23e7bc024474b2b976c43beb").unwrap();
        let d = widevine_pssh_data(kid, "cpix-test-cid", None, Some("inkaentworks"));
        let mut expected = vec![0x12, 0x10];
        expected.extend_from_slice(kid.as_bytes());
        expected.extend_from_slice(&[0x1a, 0x0c]);
        expected.extend_from_slice(b"inkaentworks");
        expected.extend_from_slice(&[0x22, 0x0d]);
        expected.extend_from_slice(b"cpix-test-cid");
        assert_eq!(d, expected);
        let cbcs = widevine_pssh_data(kid, "c", Some(EncryptionScheme::Cbcs), None);
        assert!(cbcs.ends_with(&[0x48, 0xF3, 0xC6, 0x89, 0x9B, 0x06]));
        let b = widevine_pssh(kid, "c", None, None);
        assert_eq!(&b[12..28], &SystemId::WIDEVINE.0);
        assert_eq!(b[8], 0);
    }

    #[test]
    fn common_pssh_matches_shaka_example() {
        // protocols.md 2.5.
        let b = common_pssh(&[KeyId(*b"1234567890123456")]);
        assert_eq!(
            to_base64(&b),
            "AAAANHBzc2gBAAAAEHfv7MCyTQKs4zweUuL7SwAAAAExMjM0NTY3ODkwMTIzNDU2AAAAAA=="
        );
    }

    proptest::proptest! {
        #[test]
        fn boxes_are_well_formed_for_any_input(
            kid in proptest::prelude::any::<[u8; 16]>(),
            key in proptest::prelude::any::<[u8; 16]>(),
            cid in "[ -~]{1,200}",
            cbcs in proptest::prelude::any::<bool>(),
            la in proptest::option::of("https://[a-z.]{1,30}/[ -~]{0,40}"),
        ) {
            let (kid, key) = (KeyId(kid), ContentKey::new(key));
            let scheme = Some(if cbcs { EncryptionScheme::Cbcs } else { EncryptionScheme::Cenc });
            let header = playready_header(kid, &key, scheme, la.as_deref());
            let pro = playready_object(&header);
            proptest::prop_assert_eq!(u32::from_le_bytes(pro[0..4].try_into().unwrap()) as usize, pro.len());
            proptest::prop_assert_eq!(u16::from_le_bytes([pro[8], pro[9]]) as usize, pro.len() - 10);
            proptest::prop_assert_eq!(wrm_of_pro(&pro), header);
            for b in [playready_pssh(&pro), widevine_pssh(kid, &cid, scheme, None), common_pssh(&[kid])] {
                proptest::prop_assert_eq!(u32::from_be_bytes(b[0..4].try_into().unwrap()) as usize, b.len());
                proptest::prop_assert_eq!(&b[4..8], b"pssh");
            }
        }
    }

    #[test]
    fn hls_lines() {
        assert_eq!(
            fairplay_hls_line("movie 1", false),
            r#"#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://movie%201",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1""#
        );
        assert!(fairplay_hls_line("m", true).starts_with("#EXT-X-SESSION-KEY:"));
        let l = widevine_hls_line(&[1, 2], KeyId([0xab; 16]), false);
        assert!(l.contains("KEYID=0xabab"), "{l}");
        assert!(l.contains("urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"));
        assert_eq!(
            clearkey_content_protection("http://h/l?a=1&b=2"),
            "<dashif:Laurl>http://h/l?a=1&amp;b=2</dashif:Laurl>"
        );
    }
}
