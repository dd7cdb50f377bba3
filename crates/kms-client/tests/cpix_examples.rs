//! Published CPIX answers (cloud KMS and AWS SPEKE documentation) through the parser and the
//! packager-side answer reader, checking the facts listed in protocols.md 5.3.
//!
//! The fixtures are the documents as published (sources cited at the top of each file). Where
//! the documentation elides a value ("..." or "[...]"), the document as published must be
//! refused with a typed error naming the element, and the same document with the elided
//! values left empty must give the published facts.

use std::path::PathBuf;

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use keys::{ContentKey, KeyId, TrackType, decode_base64, to_base64};
use kms_client::cpix::{KeySecret, Signal, parse};
use kms_client::{Error, Playlist, SystemId, read_key_answer};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The document with the documentation's elisions emptied.
fn without_elisions(doc: &str, elided: &[&str]) -> String {
    let mut d = doc.to_string();
    for e in elided {
        assert!(d.contains(e), "fixture no longer contains {e}");
        d = d.replace(e, "");
    }
    d
}

/// (system id, data) of a pssh box, checking its structure.
fn pssh_data(b: &[u8]) -> (SystemId, Vec<u8>) {
    assert_eq!(&b[4..8], b"pssh");
    assert_eq!(
        u32::from_be_bytes(b[0..4].try_into().unwrap()) as usize,
        b.len()
    );
    assert_eq!(b[8], 0, "version 0 box");
    let mut sys = [0u8; 16];
    sys.copy_from_slice(&b[12..28]);
    let len = u32::from_be_bytes(b[28..32].try_into().unwrap()) as usize;
    assert_eq!(32 + len, b.len());
    (SystemId(sys), b[32..].to_vec())
}

/// The WRMHEADER XML of a PlayReady Object (little-endian PRO, record type 1, UTF-16LE).
fn wrm_header(pro: &[u8]) -> String {
    let total = u32::from_le_bytes(pro[0..4].try_into().unwrap()) as usize;
    assert_eq!(total, pro.len());
    assert_eq!(u16::from_le_bytes([pro[4], pro[5]]), 1, "one record");
    assert_eq!(
        u16::from_le_bytes([pro[6], pro[7]]),
        1,
        "rights management header"
    );
    let len = u16::from_le_bytes([pro[8], pro[9]]) as usize;
    let units: Vec<u16> = pro[10..10 + len]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap() + open.len();
    let end = start + s[start..].find(close).unwrap();
    &s[start..end]
}

/// PlayReady CHECKSUM: first 8 bytes of AES-128-ECB(key, KID in GUID byte order), base64.
fn playready_checksum(kid: KeyId, key: &ContentKey) -> String {
    let cipher = Aes128::new_from_slice(key.secret_bytes()).unwrap();
    let mut block = aes::Block::from(kid.to_playready_guid_bytes());
    cipher.encrypt_block(&mut block);
    to_base64(&block[..8])
}

#[test]
fn cloud_kms_dash_vod_answer_gives_the_published_facts() {
    let published = fixture("cloudkms_dash_vod_response.xml");
    let e = parse(&published).unwrap_err();
    assert!(
        matches!(&e, Error::MalformedCpix { reason } if reason.contains("ContentProtectionData")),
        "{e}"
    );

    let doc = parse(&without_elisions(&published, &["qAUAAAEAAQCeB...A="])).unwrap();
    assert_eq!(doc.content_id.as_deref(), Some("cpix-test-cid"));
    let kid = KeyId::from_hex("12ea753c-23e7-bc02-4474-b2b976c43beb").unwrap();
    let ck = doc.content_key(kid).expect("the published KID");
    assert_eq!(ck.explicit_iv.unwrap().as_bytes(), b"0123456789abcdef");
    let KeySecret::Plain(key) = &ck.secret else {
        panic!("plain key expected")
    };
    assert_eq!(
        key,
        &ContentKey::from_base64("SzC1qc1cEpyFU6t/lL7Byw==").unwrap()
    );

    // Widevine PSSH data = 08 01 | 12 10 <kid> | 1A 0C "inkaentworks" | 22 0D "cpix-test-cid" | 2A 02 "HD".
    let wv = doc
        .drm_systems_for(kid)
        .find(|d| d.system_id == SystemId::WIDEVINE)
        .unwrap();
    let (sys, data) = pssh_data(wv.pssh.value().unwrap());
    assert_eq!(sys, SystemId::WIDEVINE);
    let mut expected = vec![0x08, 0x01, 0x12, 0x10];
    expected.extend_from_slice(kid.as_bytes());
    expected.extend_from_slice(&[0x1a, 0x0c]);
    expected.extend_from_slice(b"inkaentworks");
    expected.extend_from_slice(&[0x22, 0x0d]);
    expected.extend_from_slice(b"cpix-test-cid");
    expected.extend_from_slice(&[0x2a, 0x02]);
    expected.extend_from_slice(b"HD");
    assert_eq!(data, expected);

    // PlayReady header 4.0.0.0 with the swapped KID, its checksum and the LA_URL.
    let pr = doc
        .drm_systems_for(kid)
        .find(|d| d.system_id == SystemId::PLAYREADY)
        .unwrap();
    assert_eq!(pr.content_protection_data, Signal::Requested);
    let pssh = pr.pssh.value().unwrap();
    assert_eq!(pssh.len(), 706, "box size of protocols.md 7.5");
    let (sys, pro) = pssh_data(pssh);
    assert_eq!(sys, SystemId::PLAYREADY);
    assert_eq!(pro.len(), 674);
    let xml = wrm_header(&pro);
    assert!(xml.contains(r#"version="4.0.0.0""#), "{xml}");
    assert_eq!(between(&xml, "<KID>", "</KID>"), "PHXqEucjArxEdLK5dsQ76w==");
    assert_eq!(between(&xml, "<CHECKSUM>", "</CHECKSUM>"), "/F7B1fH2e0c=");
    assert_eq!(
        between(&xml, "<LA_URL>", "</LA_URL>"),
        "https://testtokyo.pallycon.com/ri/playready/licenseManager.do"
    );
    // An independent check that KID and key were read right: the checksum the server
    // computed from them matches ours.
    assert_eq!(playready_checksum(kid, key), "/F7B1fH2e0c=");

    // Through the packager's reader: a single-key answer with a replaced KID serves all tracks.
    let sent = vec![(TrackType::All, KeyId([9; 16]))];
    let set = read_key_answer(&doc, &sent).unwrap();
    let k = set.for_track(TrackType::Hd).unwrap();
    assert_eq!(k.kid, kid);
    assert_eq!(&k.key, key);
    assert_eq!(k.iv.as_bytes(), b"0123456789abcdef");
    assert_eq!(k.signalling.pssh.len(), 2);
    assert!(k.signalling.pssh_for(SystemId::WIDEVINE).is_some());
    assert_eq!(k.signalling.pssh_for(SystemId::PLAYREADY).unwrap(), pssh);
}

#[test]
fn cloud_kms_hls_vod_answer_gives_key_uris() {
    let published = fixture("cloudkms_hls_vod_response.xml");
    let e = parse(&published).unwrap_err();
    assert!(
        matches!(&e, Error::MalformedCpix { reason } if reason.contains("HLSSignalingData")),
        "{e}"
    );
    let doc = parse(&without_elisions(
        &published,
        &["I0VYVC1YLUtFWTpN...DA1", "I0VYVC1YLVNFU...DU="],
    ))
    .unwrap();
    let sent = vec![(TrackType::All, KeyId([1; 16]))];
    let set = read_key_answer(&doc, &sent).unwrap();
    let k = &set.keys()[0];
    assert_eq!(k.kid.to_string(), "12ea753c-23e7-bc02-4474-b2b976c43beb");
    // 32-byte NCG/HLS key = key (16) + IV (16): here 16 ASCII hex digits + "0123456789abcdef".
    assert_eq!(k.key.secret_bytes(), b"848DD01399DF473A");
    assert_eq!(k.iv.as_bytes(), b"0123456789abcdef");
    // FairPlay: skd:// + base64 of the KID in normal byte order (protocols.md 2.3).
    assert_eq!(
        k.signalling.hls_key_uri_for(SystemId::FAIRPLAY),
        Some("skd://Eup1PCPnvAJEdLK5dsQ76w==")
    );
    assert_eq!(
        to_base64(k.kid.as_bytes()),
        "Eup1PCPnvAJEdLK5dsQ76w==",
        "the skd URI carries the KID"
    );
    assert_eq!(
        k.signalling.hls_key_uri_for(SystemId::HLS_AES),
        Some(
            "https://testtokyo.pallycon.com/ri/hlskeyPackager.do?sid=DEMO&filename=cpix-test-cid&cid=cpix-test-cid"
        )
    );
    assert!(
        k.signalling.hls_lines.is_empty(),
        "elided lines were emptied"
    );
}

#[test]
fn cloud_kms_live_answer_with_usage_rule_and_period() {
    let doc = parse(&without_elisions(
        &fixture("cloudkms_dash_live_response.xml"),
        &["qAUAAAEAAQCeB...A="],
    ))
    .unwrap();
    assert_eq!(doc.key_periods[0].index, Some(128));
    assert_eq!(
        doc.usage_rules[0].intended_track_type.as_deref(),
        Some("HD")
    );
    assert_eq!(
        doc.usage_rules[0].video_filters[0].min_pixels,
        Some(921_600)
    );
    // Multi-key request for SD + HD: the HD key exists, SD has none (2004).
    let hd_set = read_key_answer(&doc, &[(TrackType::Hd, KeyId([1; 16]))]).unwrap();
    let hd = &hd_set.keys()[0];
    assert_eq!(hd.kid.to_string(), "6bac8ec3-0ee3-379f-3d21-290b3a2bc9c3");
    let e = read_key_answer(
        &doc,
        &[
            (TrackType::Sd, KeyId([1; 16])),
            (TrackType::Hd, KeyId([2; 16])),
        ],
    );
    // A single key in the answer serves SD too (cloud KMS v1 behaviour) ...
    assert!(e.is_ok());
    // ... the live Widevine PSSH carries CID + zero-padded period index (protocols.md 5.3).
    let (_, data) = pssh_data(hd.signalling.pssh_for(SystemId::WIDEVINE).unwrap());
    let needle = b"cpix-test-cid0000000000000080";
    assert!(data.windows(needle.len()).any(|w| w == needle));
    let xml = wrm_header(&pssh_data(hd.signalling.pssh_for(SystemId::PLAYREADY).unwrap()).1);
    assert!(xml.contains("<PERIOD_INDEX>128</PERIOD_INDEX>"), "{xml}");
}

#[test]
fn speke_v2_answer_overriding_the_kid() {
    let published = fixture("speke_v2_kid_override_response.xml");
    let e = parse(&published).unwrap_err();
    assert!(matches!(e, Error::MalformedCpix { .. }), "{e}");
    let doc = parse(&without_elisions(
        &published,
        &[
            "Ifa2V5LWl[...]nNB",
            "oIARIQeSI[...]Nd2l",
            "RoNd2lkZXZ[...]Nib",
            "AAAAanBzc[...]A==",
        ],
    ))
    .unwrap();
    assert_eq!(doc.content_id.as_deref(), Some("abc123"));
    assert_eq!(doc.version.as_deref(), Some("2.3"));
    let ck = &doc.content_keys[0];
    assert_eq!(ck.scheme.as_deref(), Some("cbcs"));
    assert_eq!(ck.kid.to_string(), "22222222-2222-2222-2222-222222222222");
    let wv = &doc.drm_systems[0];
    assert_eq!(wv.hls_media, Signal::Requested);
    assert_eq!(wv.hls_master, Signal::Requested);
    // The request proposed 1111...; the answer's usage rule (VIDEO) maps the new KID to every
    // video class, and the audio class has no key in a multi-key job (2004).
    let sent = vec![(TrackType::Hd, KeyId([0x11; 16]))];
    let set = read_key_answer(&doc, &sent).unwrap();
    let k = &set.keys()[0];
    assert_eq!(k.kid, KeyId([0x22; 16]));
    assert_eq!(
        k.key,
        ContentKey::from_base64("5dGAgwGuUYu4dHeHtNlxJw==").unwrap()
    );
    assert_eq!(
        k.iv.as_bytes(),
        &decode_base64("iv", "OFj2IjCsPJFfMAxmQxLGPw==").unwrap()[..]
    );
}

#[test]
fn speke_v1_vod_answer_with_hls_and_dash_signalling() {
    let doc = parse(&fixture("speke_v1_vod_response.xml")).unwrap();
    assert_eq!(doc.content_id.as_deref(), Some("abc123"));
    let set = read_key_answer(&doc, &[(TrackType::All, KeyId([0x98; 16]))]).unwrap();
    let k = &set.keys()[0];
    assert_eq!(k.kid.to_string(), "98ee5596-cd3e-a20d-163a-e382420c6eff");
    let uri = "https://7k4ytuxq5d.execute-api.us-west-2.amazonaws.com/EkeStage/client/abc123/98ee5596-cd3e-a20d-163a-e382420c6eff";
    assert_eq!(k.signalling.hls_key_uri_for(SystemId::HLS_AES), Some(uri));
    assert_eq!(k.signalling.hls_key_uri_for(SystemId::FAIRPLAY), Some(uri));
    let (_, wv) = pssh_data(k.signalling.pssh_for(SystemId::WIDEVINE).unwrap());
    assert!(wv.windows(13).any(|w| w == b"widevine_test"));
    // speke:ProtectionHeader = the PlayReady Object: a 4.0.0.0 header with a 16-byte KID.
    // (The published example's PlayReady and Widevine data name other KIDs than its
    // ContentKey: sample values pasted from different requests. The client passes server
    // signalling through as given.)
    let pro = k.signalling.playready_pro.as_ref().unwrap();
    let xml = wrm_header(pro);
    assert!(xml.contains(r#"version="4.0.0.0""#), "{xml}");
    let header_kid = decode_base64("kid", between(&xml, "<KID>", "</KID>")).unwrap();
    assert_eq!(header_kid.len(), 16);
    assert_eq!(
        between(&xml, "<LA_URL>", "</LA_URL>"),
        "http://playready.directtaps.net/pr/svc/rightsmanager.asmx?PlayRight=1&amp;amp;amp;UseSimpleNonPersistentLicense=1"
    );
    // SPEKE v1 has no HLSSignalingData; speke:KeyFormat is ignored.
    assert!(
        k.signalling
            .hls_lines
            .iter()
            .all(|l| l.1 != Playlist::Media)
    );
}

#[test]
fn cloud_kms_anevia_answer_checksum_matches_key() {
    let doc = parse(&fixture("cloudkms_anevia_dash_response.xml")).unwrap();
    let set = read_key_answer(&doc, &[(TrackType::All, KeyId([1; 16]))]).unwrap();
    let k = &set.keys()[0];
    assert_eq!(k.kid.to_string(), "cbc2eedd-4284-fd94-c17b-0d6fb56c146b");
    let xml = wrm_header(&pssh_data(k.signalling.pssh_for(SystemId::PLAYREADY).unwrap()).1);
    assert_eq!(
        between(&xml, "<CHECKSUM>", "</CHECKSUM>"),
        playready_checksum(k.kid, &k.key)
    );
}
