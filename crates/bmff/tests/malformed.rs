//! Bad input gives a typed error naming the box, never a panic or a huge allocation.

use std::io::Cursor;

use bmff::reader::Mp4Reader;
use bmff::{DecodeOptions, Error, decode_box, decode_boxes};
use bytes::Bytes;

/// A box with `body` (the test assembler).
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// A full box with version/flags.
fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    b.extend_from_slice(body);
    bx(kind, &b)
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn stsz_count_of_four_billion_in_a_tiny_box_is_rejected_before_allocating() {
    let mut body = 0u32.to_be_bytes().to_vec(); // sample_size 0 -> a table follows
    body.extend_from_slice(&u32::MAX.to_be_bytes()); // sample_count 2^32-1
    body.extend_from_slice(&[0u8; 1000]);
    let stsz = full(b"stsz", 0, 0, &body);
    let err = decode_box(&Bytes::from(stsz), DecodeOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Limit { kind, .. } if kind == bmff::FourCC::new(b"stsz")),
        "{err}"
    );
}

#[test]
fn child_overrunning_its_parent_is_a_size_error_with_offset() {
    // moov holding a child that claims 1000 bytes.
    let mut child = 1000u32.to_be_bytes().to_vec();
    child.extend_from_slice(b"mvhd");
    child.extend_from_slice(&[0u8; 20]);
    let moov = bx(b"moov", &child);
    let err = decode_box(&Bytes::from(moov), DecodeOptions::default()).unwrap_err();
    match err {
        Error::BadSize {
            kind, offset, size, ..
        } => {
            assert_eq!(kind, bmff::FourCC::new(b"mvhd"));
            assert_eq!(offset, 8);
            assert_eq!(size, 1000);
        }
        e => panic!("unexpected {e}"),
    }
}

#[test]
fn size_smaller_than_header_is_rejected() {
    let err = decode_boxes(
        &Bytes::from_static(b"\0\0\0\x04free"),
        0,
        DecodeOptions::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadSize { .. }), "{err}");
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    let mut b = bx(b"free", b"");
    for _ in 0..100 {
        b = bx(b"moov", &b);
    }
    let err = decode_box(&Bytes::from(b), DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Limit { .. }), "{err}");
}

#[test]
fn strict_mode_rejects_unknown_boxes_and_normal_mode_keeps_them() {
    let moov = bx(b"moov", &bx(b"zzzz", b"payload"));
    let err = decode_box(&Bytes::from(moov.clone()), DecodeOptions::strict()).unwrap_err();
    assert!(matches!(err, Error::UnknownBox { .. }), "{err}");
    let (b, _) = decode_box(&Bytes::from(moov.clone()), DecodeOptions::default()).unwrap();
    let mut out = Vec::new();
    bmff::encode_box(&b, &mut out).unwrap();
    assert_eq!(out, moov);
}

#[test]
fn leftover_bytes_inside_a_known_box_are_an_error() {
    // mfhd has 4 bytes after version/flags; give it 6.
    let mfhd = full(b"mfhd", 0, 0, &[0, 0, 0, 1, 9, 9]);
    let err = decode_box(&Bytes::from(mfhd), DecodeOptions::default()).unwrap_err();
    assert!(matches!(err, Error::UnderDecode { left: 2, .. }), "{err}");
}

#[test]
fn a_file_without_moov_is_a_clear_error() {
    let data = cat(&[bx(b"ftyp", b"isom\0\0\0\0"), bx(b"mdat", &[0u8; 64])]);
    let err = Mp4Reader::open(Cursor::new(data)).unwrap_err();
    assert!(
        matches!(err, Error::MissingBox { kind, .. } if kind == bmff::FourCC::new(b"moov")),
        "{err}"
    );
}

#[test]
fn constant_sample_size_with_an_absurd_count_is_rejected() {
    let stsz = full(b"stsz", 0, 0, &[0, 0, 0x10, 0, 0xff, 0xff, 0xff, 0xff]);
    let stco = full(b"stco", 0, 0, &[0, 0, 0, 1, 0, 0, 0, 0]);
    let stsc = full(
        b"stsc",
        0,
        0,
        &[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1],
    );
    let stts = full(
        b"stts",
        0,
        0,
        &[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1],
    );
    let stsd = full(b"stsd", 0, 0, &[0, 0, 0, 0]);
    let stbl = bx(b"stbl", &cat(&[stsd, stts, stsc, stsz, stco]));
    let hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0vide\0\0\0\0\0\0\0\0\0\0\0\0v\0");
    let mut mdhd_body = vec![0u8; 8];
    mdhd_body.extend_from_slice(&1000u32.to_be_bytes());
    mdhd_body.extend_from_slice(&[0, 0, 0, 0, 0x55, 0xc4, 0, 0]);
    let mdhd = full(b"mdhd", 0, 0, &mdhd_body);
    let minf = bx(b"minf", &stbl);
    let mdia = bx(b"mdia", &cat(&[mdhd, hdlr, minf]));
    let mut tkhd_body = vec![0u8; 80];
    tkhd_body[11] = 1; // track id 1
    let tkhd = full(b"tkhd", 0, 3, &tkhd_body);
    let trak = bx(b"trak", &cat(&[tkhd, mdia]));
    let file = cat(&[bx(b"moov", &trak), bx(b"mdat", &[0u8; 100])]);
    let err = Mp4Reader::open(Cursor::new(file)).unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("exceed the file size"), "{err}");
}

/// Every prefix of a real file opens with an error or reads consistently; none panics.
#[test]
fn truncated_real_files_never_panic() {
    let path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let data = std::fs::read(&path).unwrap();
    let mut cuts: Vec<usize> = (0..12_000).step_by(97).collect();
    cuts.extend((12_000..data.len()).step_by(50_021));
    for cut in cuts {
        let prefix = data[..cut].to_vec();
        if let Ok(mut r) = Mp4Reader::open(Cursor::new(prefix)) {
            let ids: Vec<u32> = r.tracks().iter().map(|t| t.id).collect();
            let mut buf = Vec::new();
            for id in ids {
                let samples: Vec<_> = r.samples(id).unwrap().collect();
                for s in samples.into_iter().flatten() {
                    let _ = r.read_sample(&s, &mut buf);
                }
            }
        }
    }
}

#[test]
fn truncated_mdat_gives_a_truncation_error_naming_the_offset() {
    let path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let data = std::fs::read(&path).unwrap();
    let prefix = data[..data.len() / 2].to_vec();
    // The moov is at the front, so the index opens but mdat ends early.
    match Mp4Reader::open(Cursor::new(prefix)) {
        Err(Error::BadSize { kind, .. }) => assert_eq!(kind, bmff::FourCC::new(b"mdat")),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a file cut in half must not open cleanly"),
    }
}
