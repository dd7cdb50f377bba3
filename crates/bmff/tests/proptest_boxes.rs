//! Property tests: random box trees round-trip through encode/decode; random bytes never
//! make the parser or the reader panic.

use std::io::Cursor;

use bmff::reader::Mp4Reader;
use bmff::*;
use bytes::Bytes;
use proptest::prelude::*;

fn fourcc() -> impl Strategy<Value = FourCC> {
    // Codes that are not registered types, for raw boxes (q-z also made stsz, stts, stss and
    // wvtt, which are decoded as such and failed the round trip on invalid bodies).
    "[x-z]{4}".prop_map(|s| FourCC::new(s.as_bytes().try_into().unwrap()))
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn leaf() -> impl Strategy<Value = AnyBox> {
    prop_oneof![
        (any::<u32>(), any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(ts, d, c, n)| {
            AnyBox::from(Mvhd {
                // The version is derived from the data when writing (64-bit times need 1).
                version: (d > u32::MAX as u64 || c > u32::MAX as u64) as u8,
                timescale: ts,
                duration: d,
                creation_time: c,
                next_track_id: n,
                ..Default::default()
            })
        }),
        proptest::collection::vec((any::<u32>(), any::<u32>()), 0..20).prop_map(|v| {
            AnyBox::from(Stts {
                entries: v
                    .into_iter()
                    .map(|(c, d)| SttsEntry {
                        sample_count: c,
                        sample_delta: d,
                    })
                    .collect(),
            })
        }),
        (
            any::<u32>(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            any::<bool>()
        )
            .prop_map(|(id, b, d, f, m)| AnyBox::from(Tfhd {
                track_id: id,
                base_data_offset: b,
                default_sample_duration: d,
                default_sample_flags: f,
                default_base_is_moof: m,
                ..Default::default()
            })),
        (
            proptest::option::of(any::<i32>()),
            proptest::option::of(any::<u32>()),
            any::<(bool, bool, bool, bool)>(),
            proptest::collection::vec(any::<(u32, u32, u32, i32)>(), 1..30)
        )
            .prop_map(|(off, first, (d, s, f, c), e)| {
                AnyBox::from(Trun {
                    version: 1,
                    data_offset: off,
                    first_sample_flags: first,
                    entries: e
                        .into_iter()
                        .map(|(a, b, x, y)| TrunEntry {
                            duration: d.then_some(a),
                            size: s.then_some(b),
                            flags: f.then_some(x),
                            composition_time_offset: c.then_some(y),
                        })
                        .collect(),
                })
            }),
        (
            any::<[u8; 16]>(),
            proptest::collection::vec(any::<[u8; 16]>(), 0..4),
            bytes(64)
        )
            .prop_map(|(s, k, d)| AnyBox::from(Pssh {
                version: !k.is_empty() as u8,
                system_id: s,
                kids: k,
                data: d,
            })),
        (any::<u8>(), any::<u8>(), any::<[u8; 16]>(), any::<bool>()).prop_map(
            |(c, s, kid, constant)| AnyBox::from(Tenc {
                version: (c & 15 != 0 || s & 15 != 0) as u8,
                default_crypt_byte_block: c & 15,
                default_skip_byte_block: s & 15,
                default_is_protected: 1,
                default_per_sample_iv_size: if constant { 0 } else { 8 },
                default_kid: kid,
                default_constant_iv: constant.then(|| Bytes::from_static(&[7; 16])),
            })
        ),
        (fourcc(), bytes(100)).prop_map(|(k, d)| AnyBox::Unknown(UnknownBox {
            kind: k,
            data: d,
            form: SizeForm::Compact,
        })),
        bytes(50).prop_map(|d| AnyBox::from(Free {
            kind: FourCC::new(b"free"),
            data: d,
        })),
        (
            any::<u8>(),
            proptest::collection::vec(bytes(30), 0..3),
            proptest::collection::vec(bytes(30), 0..3)
        )
            .prop_map(|(p, sps, pps)| AnyBox::from(AvcC {
                configuration_version: 1,
                profile_indication: p,
                length_size_minus_one: 3,
                sequence_parameter_sets: sps,
                picture_parameter_sets: pps,
                ..Default::default()
            })),
        (bytes(20), any::<u32>(), any::<u32>())
            .prop_map(|(asc, a, m)| AnyBox::from(Esds::for_audio(1, asc, a, m))),
        proptest::collection::vec(any::<(bool, u32, u32, bool, u8, u32)>(), 0..5).prop_map(
            |refs| AnyBox::from(Sidx {
                version: 1,
                reference_id: 1,
                timescale: 90000,
                references: refs
                    .into_iter()
                    .map(|(t, s, d, sap, ty, dt)| SidxReference {
                        reference_type: t,
                        referenced_size: s & 0x7fff_ffff,
                        subsegment_duration: d,
                        starts_with_sap: sap,
                        sap_type: ty & 7,
                        sap_delta_time: dt & 0x0fff_ffff,
                    })
                    .collect(),
                ..Default::default()
            })
        ),
    ]
}

fn tree() -> impl Strategy<Value = AnyBox> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|c| AnyBox::from(Moov { children: c })),
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|c| AnyBox::from(Traf { children: c })),
            proptest::collection::vec(inner, 0..4).prop_map(|c| AnyBox::from(VisualSampleEntry {
                width: 640,
                height: 360,
                children: c,
                ..Default::default()
            })),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_trees_round_trip(b in tree()) {
        let mut bytes = Vec::new();
        encode_box(&b, &mut bytes).unwrap();
        let (decoded, diags) = decode_box(&Bytes::from(bytes.clone()), DecodeOptions::default()).unwrap();
        prop_assert!(diags.is_empty(), "{diags:?}");
        prop_assert_eq!(&decoded, &b);
        let mut again = Vec::new();
        encode_box(&decoded, &mut again).unwrap();
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn random_bytes_never_panic_the_parser(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_boxes(&Bytes::from(data.clone()), 0, DecodeOptions::default(), &mut Vec::new());
        let _ = decode_boxes(&Bytes::from(data), 0, DecodeOptions::strict(), &mut Vec::new());
    }

    #[test]
    fn random_box_soup_never_panics_the_reader(
        parts in proptest::collection::vec((prop_oneof![
            Just(*b"moov"), Just(*b"trak"), Just(*b"mdia"), Just(*b"minf"), Just(*b"stbl"),
            Just(*b"stsz"), Just(*b"stco"), Just(*b"stsc"), Just(*b"stts"), Just(*b"tkhd"),
            Just(*b"mdhd"), Just(*b"hdlr"), Just(*b"moof"), Just(*b"traf"), Just(*b"trun"),
            Just(*b"tfhd"), Just(*b"mdat"), Just(*b"mvex"), Just(*b"trex"), Just(*b"stsd")
        ], proptest::collection::vec(any::<u8>(), 0..40)), 0..12)
    ) {
        // Nest each part inside the previous one when it is a container, to reach deep code.
        let mut data = Vec::new();
        for (kind, body) in parts.iter().rev() {
            let mut b = body.clone();
            b.extend_from_slice(&data);
            let mut boxed = ((b.len() + 8) as u32).to_be_bytes().to_vec();
            boxed.extend_from_slice(kind);
            boxed.extend_from_slice(&b);
            data = boxed;
        }
        if let Ok(mut r) = Mp4Reader::open(Cursor::new(data)) {
            let ids: Vec<u32> = r.tracks().iter().map(|t| t.id).collect();
            for id in ids {
                let samples: Vec<_> = r.samples(id).unwrap().take(1000).collect();
                let mut buf = Vec::new();
                for s in samples.into_iter().flatten() {
                    let _ = r.read_sample(&s, &mut buf);
                }
            }
        }
    }

    #[test]
    fn flipped_bytes_in_a_real_index_never_panic(flips in proptest::collection::vec((0usize..9000, any::<u8>()), 1..8)) {
        let path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
        let mut data = std::fs::read(path).unwrap();
        for (at, v) in flips {
            data[at] ^= v | 1;
        }
        if let Ok(mut r) = Mp4Reader::open(Cursor::new(data)) {
            let ids: Vec<u32> = r.tracks().iter().map(|t| t.id).collect();
            for id in ids {
                let samples: Vec<_> = r.samples(id).unwrap().take(5000).collect();
                let mut buf = Vec::new();
                for s in samples.into_iter().flatten().take(50) {
                    let _ = r.read_sample(&s, &mut buf);
                }
            }
        }
    }
}
