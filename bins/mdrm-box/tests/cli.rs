//! `mdrm-box` through the real binary on real media.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdrm-box"))
}

fn media_files() -> Vec<PathBuf> {
    let mut v = mdrm_testkit::files_with_extension(&mdrm_testkit::testmedia_dir(), &["mp4"]);
    if let Some(g) = mdrm_testkit::generated_media() {
        v.extend(mdrm_testkit::files_with_extension(&g, &["mp4"]));
    }
    v
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run mdrm-box");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rewrite_is_byte_identical_for_every_test_file() {
    let tmp = mdrm_testkit::temp_dir();
    for f in media_files() {
        let out = tmp.path().join("out.mp4");
        let (ok, _, err) = run(bin().arg("rewrite").arg(&f).arg(&out));
        assert!(ok, "{}: {err}", f.display());
        assert!(
            std::fs::read(&out).unwrap() == std::fs::read(&f).unwrap(),
            "{} differs after rewrite",
            f.display()
        );
    }
}

fn check_unique_fields(v: &Value, path: &str) {
    // serde_json keeps the last of duplicate keys, so compare with the raw box description.
    if let Some(children) = v["children"].as_array() {
        for c in children {
            check_unique_fields(c, &format!("{path}/{}", c["type"].as_str().unwrap()));
        }
    }
    for key in ["type", "offset", "size", "raw", "fields", "children"] {
        assert!(v.get(key).is_some(), "{path}: missing {key}");
    }
}

#[test]
fn dump_json_is_valid_and_describes_every_box() {
    for f in media_files() {
        let (ok, out, err) = run(bin().arg("dump").arg("--json").arg(&f));
        assert!(ok, "{}: {err}", f.display());
        let v: Value = serde_json::from_str(&out).expect("valid JSON");
        let boxes = v.as_array().expect("a list of top-level boxes");
        // Top-level boxes tile the file.
        let mut end = 0;
        for b in boxes {
            assert_eq!(b["offset"].as_u64().unwrap(), end, "{}", f.display());
            end += b["size"].as_u64().unwrap();
            check_unique_fields(b, b["type"].as_str().unwrap());
        }
        assert_eq!(end, std::fs::metadata(&f).unwrap().len());
    }
    // Field names within a box are unique (so the JSON object loses nothing).
    let (_, text, _) = run(bin()
        .arg("dump")
        .arg(mdrm_testkit::peers_dir().join("mp4box_cbcs.mp4")));
    let mut seen: HashSet<String> = HashSet::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') && t.contains("offset=") {
            current = t.to_string();
            seen.clear();
        } else if let Some((name, _)) = t.split_once(" = ") {
            assert!(
                seen.insert(name.to_string()),
                "{current}: field {name} twice"
            );
        }
    }
}

#[test]
fn dump_shows_protection_fields() {
    let (ok, out, _) = run(bin()
        .arg("dump")
        .arg(mdrm_testkit::peers_dir().join("mp4box_cbcs.mp4")));
    assert!(ok);
    assert!(out.contains("scheme_type = cbcs"));
    assert!(out.contains("default_kid = [16] abba271e8bcf552bbd2e86a434a9a5d9"));
    assert!(out.contains("default_constant_iv = [16] d5fbd6b82ed93e4ef98ae40931ee33b7"));
    assert!(out.contains("language_code = \"und\""));
}

#[test]
fn info_reports_tracks_codecs_and_encryption() {
    let (ok, out, err) = run(bin()
        .arg("info")
        .arg("--json")
        .arg(mdrm_testkit::peers_dir().join("mp4box_cenc.mp4")));
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let tracks = v["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0]["codec"], "avc1.64001e");
    assert_eq!(tracks[0]["width"], 640);
    assert_eq!(tracks[0]["samples"], 250);
    assert_eq!(tracks[0]["sync_samples"], 5);
    assert_eq!(tracks[1]["codec"], "mp4a.40.2");
    assert_eq!(tracks[1]["sample_rate"], 48000);
    assert_eq!(tracks[0]["encryption"]["scheme"], "cenc");
    assert_eq!(
        tracks[0]["encryption"]["kid"],
        "abba271e-8bcf-552b-bd2e-86a434a9a5d9"
    );
    let (ok, text, _) = run(bin()
        .arg("info")
        .arg(mdrm_testkit::peers_dir().join("mp4box_cbcs.mp4")));
    assert!(ok);
    assert!(text.contains("encryption: cbcs KID abba271e-8bcf-552b-bd2e-86a434a9a5d9"));
    assert!(text.contains("pattern 1:9"));
}

#[test]
fn bad_input_gives_a_clear_error_not_a_panic() {
    let tmp = mdrm_testkit::temp_dir();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "this is not an mp4 file at all, just text").unwrap();
    for sub in ["dump", "info"] {
        let (ok, _, err) = run(bin().arg(sub).arg(&text));
        assert!(!ok);
        assert!(err.starts_with("mdrm-box: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (ok, _, err) = run(bin().arg("info").arg(tmp.path().join("missing.mp4")));
    assert!(!ok);
    assert!(err.contains("No such file"), "{err}");
    // A failed fragment run leaves nothing at the output path.
    let out = tmp.path().join("out");
    let (ok, _, _) = run(bin().arg("fragment").arg(&text).arg(&out));
    assert!(!ok);
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".mdrm-box"))
        .collect();
    assert!(leftovers.is_empty(), "staging folder left behind");
}

fn framemd5(ffmpeg: &Path, file: &Path, map: &str, with_times: bool) -> Vec<String> {
    let out = Command::new(ffmpeg)
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
            if with_times {
                l.to_string()
            } else {
                // size and hash only
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                format!("{},{}", f[4], f[5])
            }
        })
        .collect()
}

fn join(dir: &Path, out: &Path) -> usize {
    let mut data = std::fs::read(dir.join("init.mp4")).unwrap();
    let mut n = 1;
    while let Ok(seg) = std::fs::read(dir.join(format!("{n}.m4s"))) {
        data.extend(seg);
        n += 1;
    }
    std::fs::write(out, data).unwrap();
    n - 1
}

#[test]
fn fragmented_output_has_the_same_packets_as_the_input() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    let Some(ffprobe) = mdrm_testkit::ffprobe() else {
        return;
    };
    let Some(generated) = mdrm_testkit::generated_media() else {
        return;
    };
    let inputs = [
        mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4"),
        generated.join("hevc_aac_360p_10s.mp4"),
        generated.join("ladder_720p.mp4"),
        generated.join("ladder_audio.mp4"),
    ];
    let tmp = mdrm_testkit::temp_dir();
    for (i, input) in inputs.iter().enumerate() {
        for (styp_sidx, seconds) in [(false, "4"), (true, "2")] {
            let out = tmp.path().join(format!("out{i}-{styp_sidx}"));
            let mut cmd = bin();
            cmd.arg("fragment")
                .arg(input)
                .arg(&out)
                .args(["--segment-duration", seconds]);
            if styp_sidx {
                cmd.args(["--styp", "--sidx"]);
            }
            let (ok, _, err) = run(&mut cmd);
            assert!(ok, "{}: {err}", input.display());
            let tracks: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
            assert!(!tracks.is_empty());
            for t in tracks {
                let joined = tmp.path().join("joined.mp4");
                let segments = join(&t.path(), &joined);
                assert!(segments >= 2, "{}: {segments} segments", t.path().display());
                let probe = Command::new(&ffprobe)
                    .args(["-v", "error", "-show_streams"])
                    .arg(&joined)
                    .output()
                    .unwrap();
                assert!(
                    probe.status.success(),
                    "ffprobe rejects {}",
                    t.path().display()
                );
                let probe = String::from_utf8_lossy(&probe.stdout);
                let is_video = probe.contains("codec_type=video");
                let map = if is_video { "0:v" } else { "0:a" };
                // Video: identical framemd5 lines (timestamps included); audio: identical
                // packets (ffmpeg 5.1 ignores the priming edit list of fragmented audio).
                assert_eq!(
                    framemd5(&ffmpeg, input, map, is_video),
                    framemd5(&ffmpeg, &joined, map, is_video),
                    "{} {map}",
                    t.path().display()
                );
            }
        }
    }
}

#[test]
fn segments_start_with_key_frames_and_are_aligned_across_tracks() {
    let tmp = mdrm_testkit::temp_dir();
    let input = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let out = tmp.path().join("out");
    let (ok, _, err) = run(bin()
        .arg("fragment")
        .arg(&input)
        .arg(&out)
        .args(["--segment-duration", "4"]));
    assert!(ok, "{err}");
    let mut starts: Vec<Vec<f64>> = Vec::new();
    for track in ["track1", "track2"] {
        let dir = out.join(track);
        let mut times = Vec::new();
        for n in 1..=3 {
            let mut data = std::fs::read(dir.join("init.mp4")).unwrap();
            data.extend(std::fs::read(dir.join(format!("{n}.m4s"))).unwrap());
            let reader = bmff_reader(data);
            let t = &reader.tracks()[0];
            let first = reader.samples(t.id).unwrap().next().unwrap().unwrap();
            assert!(
                first.is_sync,
                "{track} segment {n} starts with a non-sync sample"
            );
            times.push(first.dts as f64 / t.timescale as f64);
        }
        starts.push(times);
    }
    assert_eq!(starts[0], vec![0.0, 4.0, 8.0]);
    for (v, a) in starts[0].iter().zip(&starts[1]) {
        assert!(
            (v - a).abs() < 0.03,
            "audio segment starts {a} s, video {v} s"
        );
    }
}

fn bmff_reader(data: Vec<u8>) -> bmff::reader::Mp4Reader<std::io::Cursor<Vec<u8>>> {
    bmff::reader::Mp4Reader::open(std::io::Cursor::new(data)).unwrap()
}

#[test]
fn decrypt_restores_peer_files_and_reports_clear_tracks() {
    let tmp = mdrm_testkit::temp_dir();
    let key = format!("{}:{}", mdrm_testkit::PEER_KID, mdrm_testkit::PEER_KEY);
    let source = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let source_reader = bmff_reader(std::fs::read(&source).unwrap());
    let out = tmp.path().join("clear.mp4");
    let (ok, text, err) = run(bin()
        .arg("decrypt")
        .arg(mdrm_testkit::peers_dir().join("bento4_cbcs.mp4"))
        .arg(&out)
        .args(["--key", &key]));
    assert!(ok, "{err}");
    assert!(text.contains("track 1: decrypted (cbcs)"), "{text}");
    let mut clear = bmff_reader(std::fs::read(&out).unwrap());
    let mut src = source_reader;
    for id in [1, 2] {
        let a: Vec<_> = src.samples(id).unwrap().map(|s| s.unwrap()).collect();
        let b: Vec<_> = clear.samples(id).unwrap().map(|s| s.unwrap()).collect();
        assert_eq!(a.len(), b.len());
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (s, t) in a.iter().zip(&b) {
            src.read_sample(s, &mut x).unwrap();
            clear.read_sample(t, &mut y).unwrap();
            assert!(x == y, "track {id} sample {} differs", s.index);
        }
    }
    // Bento4's non-fragmented file is marked encrypted but clear: the tool says so.
    let (ok, text, _) = run(bin()
        .arg("decrypt")
        .arg(mdrm_testkit::peers_dir().join("bento4_cenc_nonfrag.mp4"))
        .arg(tmp.path().join("x.mp4"))
        .args(["--key", &key]));
    assert!(ok);
    assert!(text.contains("WARNING: marked encrypted"), "{text}");
    // A wrong key for the KID is an error naming the KID, not garbage output.
    let (ok, _, err) = run(bin()
        .arg("decrypt")
        .arg(mdrm_testkit::peers_dir().join("mp4box_cenc.mp4"))
        .arg(tmp.path().join("y.mp4"))
        .args([
            "--key",
            "00000000000000000000000000000001:69eaa802a6763af979e8d1940fb88392",
        ]));
    assert!(!ok);
    assert!(
        err.contains("no key for KID abba271e-8bcf-552b-bd2e-86a434a9a5d9"),
        "{err}"
    );
    assert!(!tmp.path().join("y.mp4").exists());
}
