//! Playback in real players: headless Chromium with Shaka Player and dash.js (ClearKey) through
//! `shared/tools/browser-play`, for cenc and cbcs (both play in this Chromium, see its README);
//! a wrong key fails; forced bitrate switches on the ladder change the decoded resolution.

mod common;

use common::*;

fn key() -> String {
    format!("{KID}:{KEY}")
}

#[test]
fn plays_in_shaka_and_dashjs_in_both_schemes_and_fails_with_a_wrong_key() {
    if mdrm_testkit::browser_play().is_none() {
        return;
    }
    let tmp = mdrm_testkit::temp_dir();
    for scheme in ["cenc", "cbcs"] {
        let out = tmp.path().join(scheme);
        package(&[source()], &out, &["--protection-scheme", scheme]);
        for player in ["shaka", "dashjs"] {
            let (ok, report) = play(player, &out, "manifest.mpd", &[key()]);
            assert!(ok, "{scheme} {player}: {report}");
            assert!(report["checks"]["framesDecoded"] == true, "{report}");
            assert!(report["checks"]["timeAdvanced"] == true, "{report}");
            assert!(report["decodedHeight"] == 360, "{report}");
        }
    }
    // A wrong key must fail (the check can fail).
    let wrong = format!("{KID}:00112233445566778899aabbccddeeff");
    for player in ["shaka", "dashjs"] {
        let (ok, report) = play(
            player,
            &tmp.path().join("cenc"),
            "manifest.mpd",
            std::slice::from_ref(&wrong),
        );
        assert!(!ok, "{player} played with a wrong key: {report}");
        assert!(report["errorCount"].as_u64().unwrap_or(0) > 0, "{report}");
    }
}

#[test]
fn ladder_plays_and_switches_rungs_when_forced() {
    if mdrm_testkit::browser_play().is_none() {
        return;
    }
    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("ladder");
    package(
        &[
            g.join("ladder_360p.mp4"),
            g.join("ladder_540p.mp4"),
            g.join("ladder_720p.mp4"),
            g.join("ladder_audio.mp4"),
        ],
        &out,
        &["--segment-duration", "2"],
    );
    let (ok, report) = play("dashjs", &out, "manifest.mpd", &[key()]);
    assert!(ok, "dash.js on the ladder: {report}");
    let (ok, text) = mdrm_testkit::force_rung_switches("shaka", &out, "manifest.mpd", Some(&key()))
        .expect("browser-play is installed");
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("switch.mjs: {text}"));
    assert!(ok, "{report}");
    assert_eq!(
        report["rungs"],
        serde_json::json!([360, 540, 720]),
        "{report}"
    );
    assert_eq!(
        report["heights"],
        serde_json::json!([360, 720, 540]),
        "{report}"
    );
}
