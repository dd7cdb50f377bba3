//! Property tests: encrypt-then-decrypt is the identity for random samples, random subsample
//! layouts, random patterns and all schemes; random NAL-unit samples get valid maps; wrong
//! keys and garbage never panic.

use cenc::nal::{AvcParser, HevcParser};
use cenc::{
    AudioCodec, CencError, EncryptorConfig, IvPolicy, Pattern, SampleAuxInfo, SampleDecryptor,
    SampleEncryptor, Scheme, Subsample, TrackCodec,
};
use keys::{ContentKey, Iv, KeyId};
use mdrm_testkit::hex;
use proptest::prelude::*;

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![
        Just(Scheme::Cenc),
        Just(Scheme::Cbc1),
        Just(Scheme::Cens),
        Just(Scheme::Cbcs)
    ]
}

fn pattern() -> impl Strategy<Value = Pattern> {
    (0u8..=15, 0u8..=15).prop_map(|(c, s)| {
        if c == 0 {
            Pattern::NONE
        } else {
            Pattern::new(c, s).unwrap()
        }
    })
}

fn iv_policy(scheme: Scheme, iv: [u8; 16], short: bool) -> IvPolicy {
    match scheme {
        Scheme::Cbcs => IvPolicy::Constant(iv),
        Scheme::Cbc1 => IvPolicy::Counter16(iv),
        _ if short => IvPolicy::Counter8(iv[..8].try_into().unwrap()),
        _ => IvPolicy::Counter16(iv),
    }
}

/// A subsample map covering `len` bytes, cut from arbitrary piece sizes.
fn layout(len: usize, pieces: &[(u16, u16)]) -> Vec<Subsample> {
    let mut rest = len;
    let mut out = Vec::new();
    for &(c, p) in pieces {
        let c = usize::from(c).min(rest);
        rest -= c;
        let p = usize::from(p).min(rest);
        rest -= p;
        out.push(Subsample::new(c as u16, p as u32));
    }
    if rest > 0 || out.is_empty() {
        out.push(Subsample::new(0, rest as u32));
    }
    out
}

fn protected_mask(len: usize, subs: &[Subsample]) -> Vec<bool> {
    if subs.is_empty() {
        return vec![true; len];
    }
    let mut mask = Vec::with_capacity(len);
    for s in subs {
        mask.extend(std::iter::repeat_n(false, usize::from(s.clear_bytes)));
        mask.extend(std::iter::repeat_n(true, s.protected_bytes as usize));
    }
    mask
}

fn encryptor(
    scheme: Scheme,
    key: [u8; 16],
    iv: IvPolicy,
    pattern: Option<Pattern>,
    codec: TrackCodec,
) -> SampleEncryptor {
    SampleEncryptor::new(EncryptorConfig {
        scheme,
        kid: KeyId([0xab; 16]),
        key: ContentKey::new(key),
        iv,
        pattern,
        codec,
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any sample, any layout (or none), any pattern, every scheme: decrypt(encrypt(x)) == x,
    /// and clear bytes are never touched.
    #[test]
    fn encrypt_then_decrypt_is_identity(
        scheme in scheme(),
        pattern in pattern(),
        key in any::<[u8; 16]>(),
        iv in any::<[u8; 16]>(),
        short_iv in any::<bool>(),
        whole in any::<bool>(),
        samples in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..1500),
             proptest::collection::vec((0u16..300, 0u16..700), 0..8)),
            1..4),
    ) {
        let pattern = scheme.uses_pattern().then_some(pattern);
        let policy = iv_policy(scheme, iv, short_iv);
        let mut enc = encryptor(scheme, key, policy, pattern, TrackCodec::audio(AudioCodec::Aac));
        let info = enc.track_info();
        let dec = SampleDecryptor::new(scheme, &ContentKey::new(key), info.pattern, info.constant_iv).unwrap();
        let mut aux = SampleAuxInfo::default();
        for (plain, pieces) in samples {
            aux.subsamples = if whole { vec![] } else { layout(plain.len(), &pieces) };
            let mut data = plain.clone();
            enc.encrypt_sample_with_subsamples(&mut data, &mut aux).unwrap();
            let mask = protected_mask(plain.len(), &aux.subsamples);
            for (i, protected) in mask.iter().enumerate() {
                if !protected {
                    prop_assert_eq!(data[i], plain[i]);
                }
            }
            dec.decrypt_sample(&mut data, &aux).unwrap();
            prop_assert_eq!(&data, &plain);
        }
    }

    /// Decrypting with the wrong key (or garbage IVs and maps) returns garbage, never panics.
    #[test]
    fn wrong_key_never_panics(
        scheme in scheme(),
        pattern in pattern(),
        key in any::<[u8; 16]>(),
        iv in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        pieces in proptest::collection::vec((any::<u16>(), any::<u16>()), 0..6),
        exact in any::<bool>(),
    ) {
        let dec = SampleDecryptor::new(scheme, &ContentKey::new(key), pattern, Some(Iv::new16(iv))).unwrap();
        let mut aux = SampleAuxInfo {
            iv: None,
            subsamples: if exact { layout(data.len(), &pieces) } else {
                pieces.iter().map(|&(c, p)| Subsample::new(c, u32::from(p))).collect()
            },
        };
        let mut buf = data.clone();
        match dec.decrypt_sample(&mut buf, &aux) {
            Ok(()) => {}
            Err(CencError::SubsampleMismatch { .. }) => prop_assert_eq!(&buf, &data),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
        aux.iv = Some(Iv::new8(iv[..8].try_into().unwrap()));
        let _ = dec.decrypt_sample(&mut buf, &aux);
    }
}

/// One NAL unit of a generated sample.
#[derive(Clone, Debug)]
enum Unit {
    /// A non-VCL unit (SEI) of this many payload bytes.
    Sei(usize),
    /// Slice `k` of the prefixes below, followed by this many random bytes.
    Slice(usize, usize),
}

/// Real slice NAL unit starts (whole slice header inside) and their header sizes, from the
/// test streams (see the crate's unit tests and `tests/slice_headers.rs`).
struct Codec {
    parameter_sets: &'static [&'static str],
    slices: &'static [(&'static str, usize)],
    sei_header: &'static [u8],
}

const H264: Codec = Codec {
    parameter_sets: &[
        "6764001eacd940a02ff97011000003000100000300320f162d96",
        "68efbcb0",
    ],
    // IDR I (42 bits -> 6 bytes), P (45 bits -> 6), B (36 bits -> 5).
    slices: &[
        ("658884002bff90f04461a641", 6),
        ("419a221884ff6e00b7ce5c6f", 6),
        ("019e4145fffae9c633cafd4f", 5),
    ],
    sei_header: &[0x06],
};

const H265: Codec = Codec {
    parameter_sets: &[
        "40010c01ffff01600000030090000003000003003f959809",
        "42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321",
        "4401c172b46240",
    ],
    // IDR_N_LP (112 bits -> 14 bytes), TRAIL_R P (144 bits -> 18).
    slices: &[
        ("2801af1930c6914592ef624a4080b36e868753bc", 14),
        ("0201d0294be10c20a1861fe24c9b4be7c8c44f19f97e1ace", 18),
    ],
    sei_header: &[0x4e, 0x01],
};

fn unit() -> impl Strategy<Value = Unit> {
    prop_oneof![
        3 => (0usize..300).prop_map(Unit::Sei),
        1 => (70_000usize..70_100).prop_map(Unit::Sei),
        4 => (0usize..3, 0usize..2000).prop_map(|(k, n)| Unit::Slice(k, n)),
    ]
}

/// Where one unit sits in a generated sample.
struct Span {
    start: usize,
    /// Bytes from `start` that must stay clear (length prefix, NAL and slice headers).
    keep: usize,
    /// Length prefix + NAL unit.
    total: usize,
    slice: bool,
}

/// Builds a sample; returns it and where each unit is.
fn build(codec: &Codec, units: &[Unit], len_size: usize, fill: u8) -> (Vec<u8>, Vec<Span>) {
    let mut sample = Vec::new();
    let mut spans = Vec::new();
    for u in units {
        let (nal, keep, slice) = match u {
            Unit::Sei(n) => {
                let mut nal = codec.sei_header.to_vec();
                nal.extend(std::iter::repeat_n(fill | 1, *n));
                (nal, usize::MAX, false)
            }
            Unit::Slice(k, n) => {
                let (prefix, header) = codec.slices[k % codec.slices.len()];
                let mut nal = hex(prefix);
                nal.extend((0..*n).map(|i| (i as u8).wrapping_mul(31) ^ fill));
                (nal, header, true)
            }
        };
        if nal.len() >= 1 << (8 * len_size) {
            continue;
        }
        let start = sample.len();
        sample.extend_from_slice(&(nal.len() as u64).to_be_bytes()[8 - len_size..]);
        sample.extend_from_slice(&nal);
        let total = len_size + nal.len();
        spans.push(Span {
            start,
            keep: keep.saturating_add(len_size).min(total),
            total,
            slice,
        });
    }
    (sample, spans)
}

fn nal_round_trip(
    codec: &Codec,
    hevc: bool,
    scheme: Scheme,
    len_size: usize,
    units: &[Unit],
    fill: u8,
) -> Result<(), TestCaseError> {
    let sets: Vec<Vec<u8>> = codec.parameter_sets.iter().map(|s| hex(s)).collect();
    let refs: Vec<&[u8]> = sets.iter().map(Vec::as_slice).collect();
    let track = if hevc {
        TrackCodec::hevc(len_size as u8, &refs).unwrap()
    } else {
        TrackCodec::avc(len_size as u8, &refs).unwrap()
    };
    let key = [0x5a; 16];
    let mut enc = encryptor(scheme, key, iv_policy(scheme, [3; 16], true), None, track);
    let info = enc.track_info();
    let dec = SampleDecryptor::new(
        scheme,
        &ContentKey::new(key),
        info.pattern,
        info.constant_iv,
    )
    .unwrap();
    let (plain, spans) = build(codec, units, len_size, fill);
    let mut data = plain.clone();
    let mut aux = SampleAuxInfo::default();
    enc.encrypt_sample(&mut data, &mut aux).unwrap();
    let mask = protected_mask(plain.len(), &aux.subsamples);
    prop_assert_eq!(mask.len(), plain.len());
    for &Span {
        start,
        keep,
        total,
        slice,
    } in &spans
    {
        // Length prefix, NAL header and slice header (or the whole non-VCL unit) are clear.
        prop_assert!(mask[start..start + keep].iter().all(|p| !p));
        prop_assert_eq!(&data[start..start + keep], &plain[start..start + keep]);
        let protected = mask[start..start + total].iter().filter(|&&p| p).count();
        if !slice {
            prop_assert_eq!(protected, 0);
        } else if scheme == Scheme::Cbcs {
            prop_assert_eq!(protected, total - keep);
        } else {
            prop_assert_eq!(protected, (total - keep) / 16 * 16);
        }
    }
    for s in &aux.subsamples {
        if scheme != Scheme::Cbcs {
            prop_assert_eq!(s.protected_bytes % 16, 0);
        }
    }
    dec.decrypt_sample(&mut data, &aux).unwrap();
    prop_assert_eq!(data, plain);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random H.264 samples (SEI and slice units, 1/2/4-byte lengths): headers and non-VCL
    /// units stay clear, slice data is protected per the scheme's rules, and it round-trips.
    #[test]
    fn h264_random_samples(scheme in scheme(), len_size in prop_oneof![Just(1usize), Just(2), Just(4)],
                           units in proptest::collection::vec(unit(), 0..8), fill in any::<u8>()) {
        nal_round_trip(&H264, false, scheme, len_size, &units, fill)?;
    }

    /// The same for H.265.
    #[test]
    fn h265_random_samples(scheme in scheme(), len_size in prop_oneof![Just(1usize), Just(2), Just(4)],
                           units in proptest::collection::vec(unit(), 0..8), fill in any::<u8>()) {
        nal_round_trip(&H265, true, scheme, len_size, &units, fill)?;
    }

    /// Parsers fed garbage after real parameter sets return errors, never panic.
    #[test]
    fn nal_parsers_never_panic(nals in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..20)) {
        let mut avc = AvcParser::new();
        let mut hevc = HevcParser::new();
        for ps in H264.parameter_sets {
            avc.add_parameter_set(&hex(ps)).unwrap();
        }
        for ps in H265.parameter_sets {
            hevc.add_parameter_set(&hex(ps)).unwrap();
        }
        for nal in &nals {
            let _ = avc.classify(nal);
            let _ = hevc.classify(nal);
        }
    }

    /// Garbage samples, possibly after a valid slice that gets encrypted first: the encryptor
    /// fails cleanly and restores the sample exactly, in every scheme.
    #[test]
    fn failed_samples_are_restored(scheme in scheme(), valid_first in any::<bool>(),
                                   garbage in proptest::collection::vec(any::<u8>(), 0..300)) {
        let sets: Vec<Vec<u8>> = H264.parameter_sets.iter().map(|s| hex(s)).collect();
        let refs: Vec<&[u8]> = sets.iter().map(Vec::as_slice).collect();
        let mut enc = encryptor(scheme, [1; 16], iv_policy(scheme, [2; 16], true), None,
                                TrackCodec::avc(4, &refs).unwrap());
        let mut data = Vec::new();
        if valid_first {
            let (slice, _) = build(&H264, &[Unit::Slice(0, 500)], 4, 7);
            data.extend_from_slice(&slice);
        }
        data.extend_from_slice(&garbage);
        let mut buf = data.clone();
        let mut aux = SampleAuxInfo::default();
        if enc.encrypt_sample(&mut buf, &mut aux).is_err() {
            prop_assert_eq!(&buf, &data);
            prop_assert!(aux.subsamples.is_empty());
        }
    }
}
