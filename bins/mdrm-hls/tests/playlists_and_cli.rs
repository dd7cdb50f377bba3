//! Playlists strict clients accept, the key URI rules, and the CLI contract shared with
//! mdrm-dash: result document and codes, log, atomic output, inputs never modified.

mod common;

use std::path::Path;

use common::*;
use hls_ts::playlist::{MasterPlaylist, MediaPlaylist};

fn ladder_with_subs(out: &Path, extra: &[&str]) -> Option<()> {
    let dir = mdrm_testkit::generated_media()?;
    let mut inputs: Vec<String> = [
        "ladder_360p.mp4",
        "ladder_540p.mp4",
        "ladder_720p.mp4",
        "ladder_audio.mp4",
    ]
    .iter()
    .map(|r| arg(&dir.join(r)))
    .collect();
    inputs.push(format!(
        "[+format=webvtt,+language=en]{}",
        dir.join("subs_en.vtt").display()
    ));
    package(&inputs, out, extra);
    Some(())
}

#[test]
fn master_lists_every_attribute_strict_clients_need() {
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("ladder");
    if ladder_with_subs(&out, &[]).is_none() {
        return;
    }
    let text = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    let master = MasterPlaylist::parse(&text).unwrap();
    assert_eq!(master.variants.len(), 3, "{text}");
    let stream_inf: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF:"))
        .collect();
    for (line, (res, codec)) in stream_inf.iter().zip([
        ("640x360", "avc1.64001e"),
        ("960x540", "avc1.64001f"),
        ("1280x720", "avc1.64001f"),
    ]) {
        // CODECS names the audio too; RESOLUTION, FRAME-RATE, measured AVERAGE-BANDWIDTH.
        assert!(
            line.contains(&format!("CODECS=\"{codec},mp4a.40.2\"")),
            "{line}"
        );
        assert!(line.contains(&format!("RESOLUTION={res}")), "{line}");
        assert!(line.contains("FRAME-RATE=25.000"), "{line}");
        assert!(line.contains("AUDIO=\"audio\""), "{line}");
        assert!(line.contains("SUBTITLES=\"subs\""), "{line}");
        assert!(line.contains("CLOSED-CAPTIONS=NONE"), "{line}");
        let (peak, avg) = (attr(line, "BANDWIDTH"), attr(line, "AVERAGE-BANDWIDTH"));
        assert!(avg > 0 && avg <= peak, "{line}");
    }
    // AVERAGE-BANDWIDTH is measured: video bytes + audio bytes over the duration.
    let bytes = |d: &str| -> u64 {
        segments(&out.join(d))
            .iter()
            .map(|s| std::fs::metadata(s).unwrap().len())
            .sum()
    };
    let duration = |d: &str| {
        let t = std::fs::read_to_string(out.join(d).join("index.m3u8")).unwrap();
        MediaPlaylist::parse(&t).unwrap().duration()
    };
    let expected = (bytes("video_720p") as f64 * 8.0 / duration("video_720p")).ceil()
        + (bytes("audio_und") as f64 * 8.0 / duration("audio_und")).ceil();
    let avg720 = attr(stream_inf[2], "AVERAGE-BANDWIDTH") as f64;
    // Within rounding of the playlist durations (millisecond precision).
    assert!(
        (avg720 - expected).abs() / expected < 1e-4,
        "{avg720} vs {expected}"
    );

    // Renditions: audio and segmented subtitles referenced from the master.
    assert!(
        text.contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\""),
        "{text}"
    );
    assert!(
        text.contains(
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\""
        ),
        "{text}"
    );
    assert!(text.contains("URI=\"subs_en/index.m3u8\""));
    let subs = std::fs::read_to_string(out.join("subs_en/index.m3u8")).unwrap();
    let subs = MediaPlaylist::parse(&subs).unwrap();
    assert!(subs.segments.len() >= 2, "subtitles are segmented");
    for s in &subs.segments {
        let vtt = std::fs::read_to_string(out.join("subs_en").join(&s.uri)).unwrap();
        assert!(vtt.starts_with("WEBVTT"));
        assert!(
            vtt.contains("X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000"),
            "{vtt}"
        );
    }

    // Media playlists: the tags a VOD playlist needs, TARGETDURATION = ceil(longest).
    for d in rendition_dirs(&out) {
        let t = std::fs::read_to_string(d.join("index.m3u8")).unwrap();
        for tag in [
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            "#EXT-X-ENDLIST",
            "#EXT-X-INDEPENDENT-SEGMENTS",
        ] {
            assert!(t.contains(tag), "{}: {tag}", d.display());
        }
        let p = MediaPlaylist::parse(&t).unwrap();
        let longest = p.segments.iter().map(|s| s.duration).fold(0.0, f64::max);
        assert!(t.contains(&format!("#EXT-X-TARGETDURATION:{}", longest.ceil() as u64)));
    }
}

#[test]
fn key_file_goes_where_the_relative_uri_resolves_and_only_when_asked() {
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let key = mdrm_testkit::hex(KEY);
    let with = tmp.path().join("with");
    package(
        &[arg(&src)],
        &with,
        &["--hls-key-uri", "../keys/k%20ey.bin", "--write-key-file"],
    );
    assert_eq!(std::fs::read(with.join("keys/k ey.bin")).unwrap(), key);
    let without = tmp.path().join("without");
    package(
        &[arg(&src)],
        &without,
        &["--hls-key-uri", "https://keys.example/k?id=1"],
    );
    let files: Vec<_> = walk(&without);
    assert!(
        files.iter().all(|f| std::fs::read(f).unwrap() != key),
        "no key file"
    );
    let t = std::fs::read_to_string(rendition_dirs(&without)[0].join("index.m3u8")).unwrap();
    assert!(t.contains("#EXT-X-KEY:METHOD=AES-128,URI=\"https://keys.example/k?id=1\",IV=0x"));
    // A key file needs a relative URI inside the package.
    for bad in [
        "https://keys.example/k",
        "../../outside.bin",
        "/abs/key.bin",
    ] {
        let r = run(bin()
            .args(["-i", &arg(&src), "-o"])
            .arg(tmp.path().join("bad"))
            .args(["--contents-id", "c", "--encryption-key", &key_and_iv_b64()])
            .args(["--hls-key-uri", bad, "--write-key-file"]));
        assert_eq!(r.code, 1102, "{bad}: {}", r.stdout);
        assert!(r.stdout.contains("--write-key-file"), "{}", r.stdout);
        assert!(!tmp.path().join("bad").exists());
    }
}

/// A numeric attribute of an `#EXT-X-STREAM-INF` line.
fn attr(line: &str, name: &str) -> u64 {
    let (_, attrs) = line.split_once(':').unwrap();
    attrs
        .split(',')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap()
        .parse()
        .unwrap()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn errors_have_codes_and_leave_nothing_behind() {
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("out");
    let base = |cmd: &mut std::process::Command| {
        cmd.arg("-o").arg(&out).args(["--contents-id", "c"]);
    };
    // No arguments.
    assert_eq!(run(&mut bin()).code, 1101);
    // Missing input.
    let mut c = bin();
    c.args([
        "-i",
        "/nonexistent/x.mp4",
        "--encryption-key",
        &key_and_iv_b64(),
    ]);
    base(&mut c);
    let r = run(&mut c);
    assert_eq!((r.ok, r.code), (false, 1201), "{}", r.stdout);
    assert!(r.stderr.contains("Failed file"), "{}", r.stderr);
    // Not an MP4: 1102, nothing written, input unchanged.
    let junk = tmp.path().join("junk.mp4");
    std::fs::write(&junk, b"this is not an mp4 file at all").unwrap();
    let mut c = bin();
    c.args(["-i", &arg(&junk), "--encryption-key", &key_and_iv_b64()]);
    base(&mut c);
    let r = run(&mut c);
    assert_eq!(r.code, 1102, "{}", r.stdout);
    assert!(r.stdout.contains("<INFO>") && r.stdout.contains("<WHERE>"));
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        b"this is not an mp4 file at all"
    );
    // A 16-byte external key: HLS needs 32 (key + IV).
    let mut c = bin();
    c.args([
        "-i",
        &arg(&src),
        "--encryption-key",
        &keys::to_base64(&[1u8; 16]),
    ]);
    base(&mut c);
    assert_eq!(run(&mut c).code, 1102);
    // HLS-NCG needs --site-id; fmp4 cannot be NCG.
    let mut c = bin();
    c.args([
        "-i",
        &arg(&src),
        "--encryption-key",
        &key_and_iv_b64(),
        "--use-ncg-drm",
    ]);
    base(&mut c);
    let r = run(&mut c);
    assert_eq!(r.code, 1102);
    assert!(r.stdout.contains("--site-id"), "{}", r.stdout);
    let mut c = bin();
    c.args(["-i", &arg(&src), "--encryption-key", &key_and_iv_b64()])
        .args(["--use-ncg-drm", "--site-id", "DEMO", "--hls-format", "fmp4"]);
    base(&mut c);
    assert_eq!(run(&mut c).code, 1102);
    // Nothing left anywhere in the output's parent folder.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "junk.mp4")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // An existing output folder needs --overwrite.
    package(&[arg(&src)], &out, &[]);
    let mut c = bin();
    c.args(["-i", &arg(&src), "--encryption-key", &key_and_iv_b64()]);
    base(&mut c);
    let r = run(&mut c);
    assert!(!r.ok && r.code != 0, "{}", r.stdout);
    package(&[arg(&src)], &out, &["--overwrite"]);
}

#[test]
fn log_file_json_result_and_secrets() {
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let log = tmp.path().join("p.log");
    let mut c = bin();
    c.args(["-i", &arg(&src), "--contents-id", "c", "--json"])
        .args(["--encryption-key", &key_and_iv_b64()])
        .arg("-o")
        .arg(tmp.path().join("o"))
        .arg("--log-file")
        .arg(&log);
    let out = c.output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["RESULT"], 0, "{doc}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("Start Packaging Hls h264_aac_360p_10s.mp4"),
        "{text}"
    );
    assert!(
        text.contains("Succeed packaging h264_aac_360p_10s.mp4"),
        "{text}"
    );
    assert!(text.contains("Verified"), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for secret in [key_and_iv_b64(), KEY.to_owned()] {
        assert!(!text.contains(&secret) && !stderr.contains(&secret));
    }
}
