//! hls.js in headless Chromium (`shared/tools/browser-play`) plays what mdrm-hls writes:
//! the AES-128 ladder (key file written by `--write-key-file`, switching rungs) and a
//! SAMPLE-AES TS stream (key URI pointed at a local key file in a test copy of the playlist:
//! the `skd://` FairPlay URI needs Safari).

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs browser-play; returns its JSON report.
fn play(play_mjs: &Path, dir: &Path, manifest: &str, seconds: u32) -> serde_json::Value {
    let out = Command::new("node")
        .arg(play_mjs)
        .args(["--player", "hlsjs", "--dir"])
        .arg(dir)
        .args([
            "--manifest",
            manifest,
            "--seconds",
            &seconds.to_string(),
            "--verbose",
        ])
        .output()
        .expect("run browser-play");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn requested(report: &serde_json::Value) -> Vec<String> {
    report["requests"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["status"] == 200)
                .filter_map(|r| r["path"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn hlsjs_plays_the_aes128_ladder_and_switches_rungs() {
    let Some(play_mjs) = mdrm_testkit::browser_play() else {
        return;
    };
    let Some(dir) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("ladder");
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
    package(
        &inputs,
        &out,
        &["--hls-key-uri", "../key.bin", "--write-key-file"],
    );
    let report = play(&play_mjs, &out, "master.m3u8", 8);
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(
        report["totalVideoFrames"].as_u64().unwrap() > 50,
        "{report:#}"
    );
    // The rung switch: hls.js starts on the first (lowest) variant with its conservative
    // default bandwidth estimate; the local server's bandwidth then forces it up. Segments
    // of at least two rungs are fetched and the top rung is what ends up decoded.
    let paths = requested(&report);
    let rungs: std::collections::BTreeSet<&str> = paths
        .iter()
        .filter(|p| p.ends_with(".ts") && p.starts_with("/video_"))
        .filter_map(|p| p.split('/').nth(1))
        .collect();
    assert!(rungs.len() >= 2, "no rung switch: {paths:?}");
    assert!(rungs.contains("video_360p"), "{paths:?}");
    assert_eq!(report["decodedHeight"], 720, "{report:#}");
    assert!(paths.iter().any(|p| p == "/key.bin"), "{paths:?}");

    // Forced switches through hls.js's API (`hls.currentLevel`): lowest, highest, middle rung;
    // each must become the decoded picture size.
    let (ok, text) = mdrm_testkit::force_rung_switches("hlsjs", &out, "master.m3u8", None)
        .expect("browser-play is installed");
    let forced: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("switch.mjs: {text}"));
    assert!(ok, "{forced:#}");
    assert_eq!(
        forced["heights"],
        serde_json::json!([360, 720, 540]),
        "{forced:#}"
    );
}

#[test]
fn hlsjs_plays_sample_aes_ts() {
    let Some(play_mjs) = mdrm_testkit::browser_play() else {
        return;
    };
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("fairplay");
    package(&[arg(&src)], &out, &[]);
    let rendition = rendition_dirs(&out).remove(0);
    let name = rendition
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    std::fs::write(rendition.join("key.bin"), mdrm_testkit::hex(KEY)).unwrap();
    let playlist = std::fs::read_to_string(rendition.join("index.m3u8")).unwrap();
    let local = playlist
        .replace(",URI=\"skd://test-content\",", ",URI=\"key.bin\",")
        .replace(
            ",KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"",
            "",
        );
    assert!(
        local.contains("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"key.bin\""),
        "{local}"
    );
    std::fs::write(rendition.join("local.m3u8"), local).unwrap();
    let report = play(&play_mjs, &out, &format!("{name}/local.m3u8"), 5);
    assert_eq!(report["ok"], true, "{report:#}");
    assert!(
        report["totalVideoFrames"].as_u64().unwrap() > 50,
        "{report:#}"
    );

    // The control: with a wrong key hls.js cannot play it.
    std::fs::write(rendition.join("key.bin"), [0u8; 16]).unwrap();
    let report = play(&play_mjs, &out, &format!("{name}/local.m3u8"), 3);
    assert_ne!(report["ok"], true, "played with a wrong key: {report:#}");
}
