//! VP9: uncompressed header sizes checked against ffmpeg's `trace_headers` on streams made by
//! libvpx (two-pass 8-bit with hidden alt-ref frames in superframes, and 10-bit profile 2),
//! and the CENC binding's subsample rules checked on every sample in cenc and cbcs.

use std::path::{Path, PathBuf};
use std::process::Command;

use cenc::vp9::{Superframe, Vp9Parser};
use cenc::{
    EncryptorConfig, IvPolicy, SampleAuxInfo, SampleDecryptor, SampleEncryptor, Scheme, TrackCodec,
};
use keys::{ContentKey, KeyId};

fn ffmpeg_ok(ffmpeg: &Path, args: &[&str]) {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Encodes 2.5 s of test pattern as VP9 in IVF: two-pass 8-bit (superframes) or 10-bit.
fn encode(ffmpeg: &Path, dir: &Path, ten_bit: bool) -> PathBuf {
    let out = dir.join(if ten_bit { "p2.ivf" } else { "p0.ivf" });
    let log = dir.join("pass");
    let src = "testsrc2=size=640x360:rate=25:duration=2.5";
    let common = [
        "-f",
        "lavfi",
        "-i",
        src,
        "-c:v",
        "libvpx-vp9",
        "-b:v",
        "400k",
        "-g",
        "50",
        "-auto-alt-ref",
        "1",
        "-lag-in-frames",
        "16",
        "-tile-columns",
        "1",
        "-threads",
        "1",
    ];
    let log = log.to_str().unwrap();
    if ten_bit {
        let mut a = common.to_vec();
        a.extend([
            "-pix_fmt",
            "yuv420p10le",
            "-f",
            "ivf",
            out.to_str().unwrap(),
        ]);
        ffmpeg_ok(ffmpeg, &a);
    } else {
        let mut a = common.to_vec();
        a.extend(["-pass", "1", "-passlogfile", log, "-f", "null", "-"]);
        ffmpeg_ok(ffmpeg, &a);
        let mut a = common.to_vec();
        a.extend([
            "-pass",
            "2",
            "-passlogfile",
            log,
            "-f",
            "ivf",
            out.to_str().unwrap(),
        ]);
        ffmpeg_ok(ffmpeg, &a);
    }
    out
}

/// The frames (samples) of an IVF file.
fn ivf_samples(path: &Path) -> Vec<Vec<u8>> {
    let d = std::fs::read(path).unwrap();
    assert_eq!(&d[..4], b"DKIF");
    let mut pos = usize::from(u16::from_le_bytes([d[6], d[7]]));
    let mut out = Vec::new();
    while pos + 12 <= d.len() {
        let n = u32::from_le_bytes(d[pos..pos + 4].try_into().unwrap()) as usize;
        out.push(d[pos + 12..pos + 12 + n].to_vec());
        pos += 12 + n;
    }
    out
}

/// Bytes of every frame's uncompressed header (with trailing bits) per trace_headers.
fn traced_header_bytes(ffmpeg: &Path, path: &Path) -> Vec<usize> {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-nostdin", "-i"])
        .arg(path)
        .args(["-c", "copy", "-bsf:v", "trace_headers", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    let mut ends = Vec::new();
    let mut in_frame = false;
    let mut end = 0u64;
    for line in text.lines() {
        let Some(i) = line.find("[trace_headers @ ") else {
            continue;
        };
        let Some(close) = line[i..].find("] ") else {
            continue;
        };
        let body = line[i + close + 2..].trim();
        let mut parts = body.split_whitespace();
        match parts.next().unwrap_or("").parse::<u64>() {
            Ok(pos) if in_frame => {
                parts.next();
                let bits = parts.next().filter(|b| *b != "=").map_or(0, str::len);
                end = end.max(pos + bits as u64);
            }
            Ok(_) => {}
            Err(_) => {
                if in_frame {
                    ends.push(end.div_ceil(8) as usize);
                }
                in_frame = body == "Frame";
                end = 0;
            }
        }
    }
    if in_frame {
        ends.push(end.div_ceil(8) as usize);
    }
    ends
}

fn check_stream(ffmpeg: &Path, path: &Path) -> (usize, usize) {
    let samples = ivf_samples(path);
    let traced = traced_header_bytes(ffmpeg, path);
    let mut parser = Vp9Parser::new();
    let (mut frames, mut superframes) = (0, 0);
    for s in &samples {
        let layout = Superframe::parse(s);
        superframes += usize::from(layout.index_size > 0);
        let mut at = 0;
        for &size in layout.frame_sizes() {
            let h = parser.parse_frame(&s[at..at + size]).unwrap();
            assert_eq!(h.bytes, traced[frames], "frame {frames}");
            frames += 1;
            at += size;
        }
    }
    assert_eq!(frames, traced.len());

    for scheme in [Scheme::Cenc, Scheme::Cbcs] {
        let key = ContentKey::new([0x3c; 16]);
        let iv = match scheme {
            Scheme::Cbcs => IvPolicy::Constant([9; 16]),
            _ => IvPolicy::Counter8([9; 8]),
        };
        let mut enc = SampleEncryptor::new(EncryptorConfig {
            scheme,
            kid: KeyId([1; 16]),
            key: key.clone(),
            iv,
            pattern: None,
            codec: TrackCodec::vp9(),
        })
        .unwrap();
        let info = enc.track_info();
        assert!(info.subsamples);
        let dec = SampleDecryptor::new(scheme, &key, info.pattern, info.constant_iv).unwrap();
        let mut headers = Vp9Parser::new();
        let mut aux = SampleAuxInfo::default();
        for plain in &samples {
            let mut s = plain.clone();
            enc.encrypt_sample(&mut s, &mut aux).unwrap();
            // Expected map: per frame, header clear and the rest cut to whole blocks; index clear.
            let layout = Superframe::parse(plain);
            let mut mask = vec![false; plain.len()];
            let mut at = 0;
            for &size in layout.frame_sizes() {
                let h = headers.parse_frame(&plain[at..at + size]).unwrap();
                let protected = (size - h.bytes) / 16 * 16;
                mask[at + size - protected..at + size].fill(true);
                at += size;
            }
            let mut got = Vec::with_capacity(plain.len());
            for e in &aux.subsamples {
                got.extend(std::iter::repeat_n(false, usize::from(e.clear_bytes)));
                got.extend(std::iter::repeat_n(true, e.protected_bytes as usize));
                assert_eq!(e.protected_bytes % 16, 0);
            }
            assert_eq!(got, mask, "{scheme} subsample map");
            for (i, &p) in mask.iter().enumerate() {
                if !p {
                    assert_eq!(s[i], plain[i]);
                }
            }
            dec.decrypt_sample(&mut s, &aux).unwrap();
            assert_eq!(&s, plain);
        }
    }
    (frames, superframes)
}

#[test]
fn vp9_headers_match_trace_headers_and_samples_round_trip() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    let dir = mdrm_testkit::temp_dir();
    let (frames, superframes) = check_stream(&ffmpeg, &encode(&ffmpeg, dir.path(), false));
    assert!(frames > 60, "{frames} frames");
    assert!(
        superframes > 0,
        "the two-pass stream has hidden alt-ref frames"
    );
    let (frames, _) = check_stream(&ffmpeg, &encode(&ffmpeg, dir.path(), true));
    assert!(frames > 60);
}
