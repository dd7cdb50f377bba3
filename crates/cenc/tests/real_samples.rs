//! Encryption of real H.264 and H.265 access units (from the shared and generated test media)
//! in all four schemes: subsample rules, round trip, and independent decryption of the
//! protected bytes with the `openssl` command line tool.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use cenc::{
    EncryptorConfig, IvPolicy, Pattern, SampleAuxInfo, SampleDecryptor, SampleEncryptor, Scheme,
    Subsample, TrackCodec,
};
use common::{Video, escaped_len, nal_units, samples, test_file, traced_slice_header_ends};
use keys::{ContentKey, Iv, KeyId};
use mdrm_testkit::{PEER_IV_CBCS, PEER_IV_CENC, PEER_KEY, PEER_KID};

struct Stream {
    video: Video,
    nals: Vec<Vec<u8>>,
    samples: Vec<Vec<u8>>,
    /// Clear bytes (length prefix + NAL header + slice header) of each slice, in order, from
    /// ffmpeg's trace_headers.
    traced_clear: Vec<usize>,
}

fn stream(video: Video) -> Option<Stream> {
    let ffmpeg = mdrm_testkit::ffmpeg()?;
    let file = test_file(video)?;
    let nals = nal_units(&ffmpeg, &file, video);
    let ends = traced_slice_header_ends(&ffmpeg, &file, video);
    let traced_clear = nals
        .iter()
        .filter(|n| video.is_slice(n))
        .zip(&ends)
        .map(|(n, &bits)| 4 + escaped_len(n, bits))
        .collect();
    let samples = samples(&nals, video, 4);
    Some(Stream {
        video,
        nals,
        samples,
        traced_clear,
    })
}

fn key() -> ContentKey {
    ContentKey::from_hex(PEER_KEY).unwrap()
}

fn codec(s: &Stream) -> TrackCodec {
    let sets: Vec<&[u8]> = s
        .nals
        .iter()
        .filter(|n| s.video.is_parameter_set(n))
        .map(Vec::as_slice)
        .collect();
    match s.video {
        Video::H264 => TrackCodec::avc(4, &sets).unwrap(),
        Video::H265 => TrackCodec::hevc(4, &sets).unwrap(),
    }
}

fn encryptor(s: &Stream, scheme: Scheme) -> SampleEncryptor {
    let iv = match scheme {
        Scheme::Cbcs => IvPolicy::Constant(Iv::from_hex(PEER_IV_CBCS).unwrap().to_block()),
        Scheme::Cbc1 => IvPolicy::Counter16(Iv::from_hex(PEER_IV_CBCS).unwrap().to_block()),
        _ => IvPolicy::Counter8(
            Iv::from_hex(PEER_IV_CENC)
                .unwrap()
                .as_bytes()
                .try_into()
                .unwrap(),
        ),
    };
    SampleEncryptor::new(EncryptorConfig {
        scheme,
        kid: KeyId::from_hex(PEER_KID).unwrap(),
        key: key(),
        iv,
        pattern: None,
        codec: codec(s),
    })
    .unwrap()
}

/// (start, end) of each protected range.
fn ranges(subs: &[Subsample]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    for s in subs {
        at += usize::from(s.clear_bytes);
        let end = at + s.protected_bytes as usize;
        if end > at {
            out.push((at, end));
        }
        at = end;
    }
    out
}

fn round_trip(video: Video, scheme: Scheme) {
    let Some(s) = stream(video) else {
        return;
    };
    let mut enc = encryptor(&s, scheme);
    let info = enc.track_info();
    let dec = SampleDecryptor::new(scheme, &key(), info.pattern, info.constant_iv).unwrap();
    let mut aux = SampleAuxInfo::default();
    let mut slice = 0;
    let mut senc = Vec::new();
    for (i, plain) in s.samples.iter().enumerate() {
        let mut sample = plain.clone();
        enc.encrypt_sample(&mut sample, &mut aux).unwrap();
        let covered: usize = aux
            .subsamples
            .iter()
            .map(|e| usize::from(e.clear_bytes) + e.protected_bytes as usize)
            .sum();
        assert_eq!(covered, sample.len(), "sample {i}: map covers the sample");
        let protected = ranges(&aux.subsamples);
        // Bytes outside the protected ranges are untouched.
        let mut at = 0;
        for &(start, end) in &protected {
            assert_eq!(
                sample[at..start],
                plain[at..start],
                "sample {i}: clear bytes"
            );
            if end - start >= 16 {
                assert_ne!(
                    sample[start..end],
                    plain[start..end],
                    "sample {i}: encrypted"
                );
            }
            at = end;
        }
        assert_eq!(sample[at..], plain[at..]);
        if scheme == Scheme::Cbcs {
            // Protected data starts right after each slice header (as ffmpeg traced it).
            let mut nal_at = 0;
            let mut expected = Vec::new();
            while nal_at < plain.len() {
                let len = u32::from_be_bytes(plain[nal_at..nal_at + 4].try_into().unwrap());
                let nal = &plain[nal_at + 4..nal_at + 4 + len as usize];
                if video.is_slice(nal) {
                    let clear = s.traced_clear[slice];
                    slice += 1;
                    if clear < 4 + nal.len() {
                        expected.push((nal_at + clear, nal_at + 4 + nal.len()));
                    }
                }
                nal_at += 4 + len as usize;
            }
            assert_eq!(protected, expected, "sample {i}: cbcs ranges");
        } else {
            for e in &aux.subsamples {
                assert_eq!(e.protected_bytes % 16, 0, "sample {i}: {scheme} alignment");
            }
        }
        senc.clear();
        aux.write_senc_entry(enc.senc_layout(), &mut senc).unwrap();
        let mut back = SampleAuxInfo::default();
        back.read_senc_entry(enc.senc_layout(), &senc).unwrap();
        dec.decrypt_sample(&mut sample, &back).unwrap();
        assert_eq!(&sample, plain, "sample {i}: decrypts to the original");
    }
    assert!(s.samples.len() >= 250);
}

#[test]
fn h264_real_samples_round_trip_cenc() {
    round_trip(Video::H264, Scheme::Cenc);
}

#[test]
fn h264_real_samples_round_trip_cbcs() {
    round_trip(Video::H264, Scheme::Cbcs);
}

#[test]
fn h264_real_samples_round_trip_cens_and_cbc1() {
    round_trip(Video::H264, Scheme::Cens);
    round_trip(Video::H264, Scheme::Cbc1);
}

#[test]
fn h265_real_samples_round_trip_cenc() {
    round_trip(Video::H265, Scheme::Cenc);
}

#[test]
fn h265_real_samples_round_trip_cbcs() {
    round_trip(Video::H265, Scheme::Cbcs);
}

#[test]
fn h265_real_samples_round_trip_cens_and_cbc1() {
    round_trip(Video::H265, Scheme::Cens);
    round_trip(Video::H265, Scheme::Cbc1);
}

/// `openssl enc -d` of `input` with the peer key.
fn openssl_decrypt(openssl: &Path, cipher: &str, iv: &[u8; 16], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(openssl)
        .args(["enc", "-d", cipher, "-nopad", "-K", PEER_KEY, "-iv"])
        .arg(keys::to_hex(iv))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl failed");
    out.stdout
}

/// The protected bytes of the first samples, decrypted by OpenSSL (an independent AES
/// implementation): CTR over the concatenated ranges of a sample for `cenc` (the key stream
/// runs on across subsamples), CBC over the 1-in-10 encrypted blocks of each range for
/// `cbcs` (restarting from the constant IV).
fn openssl_check(video: Video) {
    let Some(openssl) = mdrm_testkit::tool("openssl", None) else {
        return;
    };
    let Some(s) = stream(video) else {
        return;
    };
    for scheme in [Scheme::Cenc, Scheme::Cbcs] {
        let mut enc = encryptor(&s, scheme);
        let mut aux = SampleAuxInfo::default();
        for plain in s.samples.iter().take(12) {
            let mut sample = plain.clone();
            enc.encrypt_sample(&mut sample, &mut aux).unwrap();
            let protected = ranges(&aux.subsamples);
            if scheme == Scheme::Cenc {
                let gather = |b: &[u8]| -> Vec<u8> {
                    protected
                        .iter()
                        .flat_map(|&(a, z)| b[a..z].to_vec())
                        .collect()
                };
                let iv = aux.iv.unwrap().to_block();
                let clear = openssl_decrypt(&openssl, "-aes-128-ctr", &iv, &gather(&sample));
                assert_eq!(clear, gather(plain));
            } else {
                let iv = Iv::from_hex(PEER_IV_CBCS).unwrap().to_block();
                for &(a, z) in &protected {
                    let blocks = |b: &[u8]| -> Vec<u8> {
                        b[a..z]
                            .chunks(16)
                            .step_by(10)
                            .filter(|c| c.len() == 16)
                            .flatten()
                            .copied()
                            .collect()
                    };
                    let clear = openssl_decrypt(&openssl, "-aes-128-cbc", &iv, &blocks(&sample));
                    assert_eq!(clear, blocks(plain));
                    // The 9 skipped blocks and the partial tail are untouched.
                    for (k, chunk) in sample[a..z].chunks(16).enumerate() {
                        if k % 10 != 0 || chunk.len() < 16 {
                            assert_eq!(chunk, &plain[a + 16 * k..a + 16 * k + chunk.len()]);
                        }
                    }
                }
            }
        }
        assert_eq!(
            enc.track_info().pattern,
            if scheme == Scheme::Cbcs {
                Pattern::VIDEO_1_9
            } else {
                Pattern::NONE
            }
        );
    }
}

#[test]
fn h264_protected_bytes_decrypt_with_openssl() {
    openssl_check(Video::H264);
}

#[test]
fn h265_protected_bytes_decrypt_with_openssl() {
    openssl_check(Video::H265);
}
