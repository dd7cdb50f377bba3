//! Box-level acceptance: fragmented + encrypted output of every H.264/HEVC/AAC test file,
//! in cenc and cbcs, decrypts with an independent tool (`verify-cenc.sh`, ffmpeg 8) to the
//! original packets, and stops verifying when one byte is flipped; the encrypted files of
//! GPAC and Bento4 (shared/testmedia/peers) decrypt with our decryptor to the source packets.

use std::fs::File;
use std::io::{BufReader, BufWriter, Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use bmff::fragment::Fragmenter;
use bmff::reader::Mp4Reader;
use bmff::{DecodeOptions, FourCC};
use cenc::mp4::{
    FragmentEncryptor, KeyMap, TrackDecryptor, decrypt_to_fragmented, protect_init, track_codec,
};
use cenc::pssh::PsshInfo;
use cenc::{EncryptorConfig, IvPolicy, Scheme};
use keys::{ContentKey, KeyId};

const KID: &str = mdrm_testkit::PEER_KID;
const KEY: &str = mdrm_testkit::PEER_KEY;

fn open(path: &Path) -> Mp4Reader<BufReader<File>> {
    Mp4Reader::open(BufReader::new(File::open(path).unwrap()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Fragments and encrypts every track of `input` into `dir/track<ID>/{init.mp4,<n>.m4s}`.
fn package(input: &Path, dir: &Path, scheme: Scheme) -> Vec<PathBuf> {
    let mut reader = open(input);
    let kid = KeyId::from_hex(KID).unwrap();
    let key = ContentKey::from_hex(KEY).unwrap();
    let ids: Vec<u32> = reader.tracks().iter().map(|t| t.id).collect();
    let mut out = Vec::new();
    for id in ids {
        let track = reader.track(id).unwrap().clone();
        let codec = track_codec(&track).unwrap();
        let iv = match scheme {
            Scheme::Cbcs => IvPolicy::Constant(
                keys::Iv::from_hex(mdrm_testkit::PEER_IV_CBCS)
                    .unwrap()
                    .to_block(),
            ),
            _ => IvPolicy::random_counter8().unwrap(),
        };
        let mut enc = FragmentEncryptor::new(EncryptorConfig {
            scheme,
            kid,
            key: key.clone(),
            iv,
            pattern: None,
            codec,
        })
        .unwrap();
        let info = enc.track_info();
        let tdir = dir.join(format!("track{id}"));
        std::fs::create_dir_all(&tdir).unwrap();
        let mut frag = Fragmenter::new(&mut reader, id, 2.0).unwrap();
        let init = frag
            .init_segment_with(|_, moov| protect_init(moov, &info, &[PsshInfo::common(&[kid])]))
            .unwrap();
        std::fs::write(tdir.join("init.mp4"), init).unwrap();
        let mut n = 0;
        loop {
            let path = tdir.join(format!("{}.m4s", n + 1));
            let mut w = BufWriter::new(File::create(&path).unwrap());
            let written = frag
                .write_next_with(&mut w, |seg, data, samples| {
                    let sizes: Vec<u32> = samples.iter().map(|s| s.size).collect();
                    enc.encrypt_segment(seg, data, &sizes)
                })
                .unwrap();
            w.flush().unwrap();
            drop(w);
            if written.is_none() {
                std::fs::remove_file(&path).unwrap();
                break;
            }
            n += 1;
        }
        assert!(n >= 2);
        out.push(tdir);
    }
    out
}

fn verify_cenc(original: &Path, encrypted: &Path) -> (bool, String) {
    let ffmpeg = mdrm_testkit::ffmpeg8().unwrap();
    let ffprobe = mdrm_testkit::ffprobe8().unwrap();
    let out = Command::new(mdrm_testkit::tools_dir().join("verify-cenc.sh"))
        .arg(original)
        .arg(encrypted)
        .arg(KID)
        .arg(KEY)
        .env("FFMPEG", ffmpeg)
        .env("FFPROBE", ffprobe)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn inputs() -> Vec<PathBuf> {
    let mut v = vec![mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")];
    if let Some(g) = mdrm_testkit::generated_media() {
        for f in [
            "hevc_aac_360p_10s.mp4",
            "ladder_360p.mp4",
            "ladder_720p.mp4",
            "ladder_audio.mp4",
            "h264_aac_360p_10s_frag.mp4",
        ] {
            v.push(g.join(f));
        }
    }
    v
}

#[test]
fn encrypted_output_passes_independent_decryption_in_both_schemes() {
    if mdrm_testkit::ffmpeg8().is_none() {
        return;
    }
    let tmp = mdrm_testkit::temp_dir();
    for input in inputs() {
        for scheme in [Scheme::Cenc, Scheme::Cbcs] {
            let dir = tmp.path().join(format!(
                "{}-{scheme:?}",
                input.file_stem().unwrap().to_string_lossy()
            ));
            for tdir in package(&input, &dir, scheme) {
                let (ok, log) = verify_cenc(&input, &tdir);
                assert!(
                    ok,
                    "{} {scheme:?} {}:\n{log}",
                    input.display(),
                    tdir.display()
                );
                // Our own output reads back in strict mode.
                let mut joined = std::fs::read(tdir.join("init.mp4")).unwrap();
                let mut n = 1;
                while let Ok(b) = std::fs::read(tdir.join(format!("{n}.m4s"))) {
                    joined.extend(b);
                    n += 1;
                }
                Mp4Reader::open_with(Cursor::new(joined), DecodeOptions::strict())
                    .unwrap_or_else(|e| panic!("{}: strict read-back: {e}", tdir.display()));
            }
        }
    }
}

#[test]
fn a_flipped_byte_fails_independent_verification() {
    if mdrm_testkit::ffmpeg8().is_none() {
        return;
    }
    let tmp = mdrm_testkit::temp_dir();
    let input = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let dirs = package(&input, tmp.path(), Scheme::Cenc);
    let video = &dirs[0];
    let seg = video.join("2.m4s");
    let mut data = std::fs::read(&seg).unwrap();
    let at = data.len() - 1000; // inside mdat, in encrypted slice data
    data[at] ^= 0x55;
    std::fs::write(&seg, data).unwrap();
    let (ok, log) = verify_cenc(&input, video);
    assert!(!ok, "verification passed a corrupted file:\n{log}");
    assert!(log.contains("FAIL"), "{log}");
}

fn keys() -> KeyMap {
    let mut m = KeyMap::new();
    m.insert(
        KeyId::from_hex(KID).unwrap(),
        ContentKey::from_hex(KEY).unwrap(),
    );
    m
}

/// Each sample of every peer-encrypted file decrypts to the source's sample.
#[test]
fn peer_files_decrypt_to_the_source_samples() {
    let source_path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let mut source = open(&source_path);
    let mut expected: Vec<Vec<Vec<u8>>> = Vec::new();
    for id in [1u32, 2] {
        let samples: Vec<_> = source
            .samples(id)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut v = Vec::new();
        for s in samples {
            let mut buf = Vec::new();
            source.read_sample(&s, &mut buf).unwrap();
            v.push(buf);
        }
        expected.push(v);
    }
    for name in [
        "mp4box_cenc.mp4",
        "mp4box_cenc_frag.mp4",
        "mp4box_cbcs.mp4",
        "bento4_cenc.mp4",
        "bento4_cbcs.mp4",
        "bento4_cenc_nonfrag.mp4",
    ] {
        let mut r = open(&mdrm_testkit::peers_dir().join(name));
        let tracks = r.tracks().to_vec();
        for (ti, t) in tracks.iter().enumerate() {
            let info = t
                .encryption()
                .unwrap_or_else(|| panic!("{name}: not encrypted"));
            let mut dec = TrackDecryptor::new(t.id, &info, &keys()).unwrap();
            let samples: Vec<_> = r.samples(t.id).unwrap().collect::<Result<_, _>>().unwrap();
            assert_eq!(samples.len(), expected[ti].len(), "{name} track {}", t.id);
            let left_clear = name == "bento4_cenc_nonfrag.mp4";
            for s in &samples {
                let mut buf = Vec::new();
                r.read_sample(s, &mut buf).unwrap();
                let record = t.sample_encryption(s.index).unwrap();
                if left_clear {
                    // Bento4 marked the track encrypted but left the samples clear: a verifier
                    // must notice rather than decrypt garbage (peers/README.md).
                    assert!(record.is_none());
                    assert!(dec.needs_records());
                    assert!(dec.decrypt_sample(&mut buf.clone(), None, None).is_err());
                } else {
                    dec.decrypt_sample(&mut buf, record, None)
                        .unwrap_or_else(|e| panic!("{name} sample {}: {e}", s.index));
                }
                assert!(
                    buf == expected[ti][s.index as usize],
                    "{name} track {} sample {} differs after decryption",
                    t.id,
                    s.index
                );
            }
        }
    }
}

/// The whole-file decryptor's output has the source's packets (size and md5, per ffmpeg).
#[test]
fn decrypted_files_have_the_source_packets_per_ffmpeg() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg8() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let source = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let packets = |file: &Path, map: &str| -> Vec<String> {
        let out = Command::new(&ffmpeg)
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(file)
            .args(["-map", map, "-c", "copy", "-f", "framemd5", "-"])
            .output()
            .unwrap();
        assert!(out.status.success(), "ffmpeg failed on {}", file.display());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                format!("{},{}", f[4], f[5])
            })
            .collect()
    };
    for name in [
        "mp4box_cenc.mp4",
        "mp4box_cbcs.mp4",
        "bento4_cenc.mp4",
        "bento4_cbcs.mp4",
    ] {
        let mut r = open(&mdrm_testkit::peers_dir().join(name));
        let out_path = tmp.path().join(format!("clear-{name}"));
        let mut out = BufWriter::new(File::create(&out_path).unwrap());
        let report = decrypt_to_fragmented(&mut r, &keys(), &mut out).unwrap();
        out.flush().unwrap();
        assert_eq!(report.decrypted.len(), 2, "{name}: {report:?}");
        for map in ["0:v", "0:a"] {
            assert_eq!(
                packets(&source, map),
                packets(&out_path, map),
                "{name} {map}"
            );
        }
        // The clear output has no protection boxes left.
        let clear = open(&out_path);
        assert!(clear.tracks().iter().all(|t| t.encryption().is_none()));
        assert_eq!(
            clear.tracks()[0].sample_entry().unwrap().kind(),
            FourCC::new(b"avc1")
        );
    }
}
