//! The ClearKey license flow in a real browser: `mdrm-dash` packages the test clip with keys
//! from the running `mdrm-server` (CPIX key service) and the server's license URL in the MPD;
//! Shaka Player in headless Chromium (`tests/browser/csl-scenario.mjs`) then plays it as three
//! devices of one user against the server's `POST /license/clearkey`, with CSL at max 2 and a
//! short renewal interval: devices 1 and 2 play and renew by application heartbeat, device 3 is
//! refused (HTTP 403 `CSL_LIMIT_REACHED`), device 1's tab closes without a goodbye, and one lease
//! later device 3 plays. A checker polls the status endpoint all along: never more than 2.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::ServerFiles;
use common::license::{LicenseClient, STREAMING, token};
use serde_json::Value;

const RENEWAL_INTERVAL_MS: u64 = 4000;

/// `mdrm-dash`, built next to this test's binary by `cargo test --workspace` (one workspace,
/// one target folder). `None` (skipped) when it is missing and tools are not required.
fn mdrm_dash() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let bin = dir.join(format!("mdrm-dash{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        return Some(bin);
    }
    if std::env::var_os("MDRM_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!(
            "{} is missing: build it (cargo build -p mdrm-dash)",
            bin.display()
        );
    }
    eprintln!("SKIPPED: mdrm-dash is not built (cargo build -p mdrm-dash)");
    None
}

fn package(dash: &Path, server_url: &str, creds: &common::Credentials, out: &Path) {
    let source = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let license_url = format!("{server_url}/license/clearkey");
    let run = Command::new(dash)
        .arg("-i")
        .arg(&source)
        .arg("-o")
        .arg(out)
        .args(["--contents-id", "movie-1", "--site-id", &creds.site_id])
        .args(["--access-key", &creds.access_key, "--kms-url", server_url])
        .args(["--license-url", &license_url])
        .output()
        .expect("run mdrm-dash");
    assert!(
        run.status.success(),
        "mdrm-dash failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let mpd = std::fs::read_to_string(out.join("manifest.mpd")).unwrap();
    assert!(
        mpd.contains(&license_url),
        "no license URL in the MPD:\n{mpd}"
    );
}

fn ok_heartbeats(sample: &Value) -> usize {
    sample["heartbeats"]
        .as_array()
        .map_or(0, |h| h.iter().filter(|b| b["status"] == 200).count())
}

fn assert_played(name: &str, s: &Value, license_url: &str) {
    assert_eq!(s["errors"], serde_json::json!([]), "{name}: {s}");
    assert!(s["firstPlayingAt"].is_number(), "{name} never played: {s}");
    assert!(s["decodedFrames"].as_u64().unwrap_or(0) > 0, "{name}: {s}");
    assert!(
        s["currentTime"].as_f64().unwrap_or(0.0) > 1.0,
        "{name}: {s}"
    );
    assert_eq!(s["keySystem"], "org.w3.clearkey", "{name}: {s}");
    // The license URL came from the MPD mdrm-dash wrote.
    assert_eq!(s["licenseUrlUsed"], license_url, "{name}: {s}");
    assert_eq!(s["licenseAnswers"][0]["status"], 200, "{name}: {s}");
}

#[test]
fn shaka_player_plays_an_mdrm_dash_package_with_heartbeat_renewals_and_csl() {
    let Some(dash) = mdrm_dash() else { return };
    let Some(play_mjs) = mdrm_testkit::browser_play() else {
        return;
    };
    let node_modules = play_mjs.parent().unwrap().join("node_modules");
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let interval = format!("{RENEWAL_INTERVAL_MS}ms");
    let server = files.start(&[
        "--csl-max-streams",
        "2",
        "--csl-renewal-interval",
        &interval,
    ]);
    let license_url = format!("{}/license/clearkey", server.url());
    let media = files.dir.path().join("dash");
    package(&dash, &server.url(), &creds, &media);

    let user = "browser-viewer";
    let tokens: Vec<String> = (0..3)
        .map(|_| token(&creds, user, "movie-1", STREAMING))
        .collect();
    let tokens_file = files.dir.path().join("tokens.json");
    std::fs::write(&tokens_file, serde_json::to_string(&tokens).unwrap()).unwrap();

    let client = LicenseClient::new(&server.url());
    let stop = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicU64::new(0));
    let checker = {
        let (c, creds, stop, max_seen) = (client, creds.clone(), stop.clone(), max_seen.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                max_seen.fetch_max(c.current_streams(&creds, user), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let report_file = files.dir.path().join("report.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/csl-scenario.mjs");
    let run = Command::new("node")
        .arg(&script)
        .arg("--dir")
        .arg(&media)
        .args(["--manifest", "manifest.mpd", "--timeout", "40"])
        .arg("--tokens")
        .arg(&tokens_file)
        .args(["--lease-ms", &RENEWAL_INTERVAL_MS.to_string()])
        .arg("--node-modules")
        .arg(&node_modules)
        .arg("--out")
        .arg(&report_file)
        .output()
        .expect("run node");
    stop.store(true, Ordering::SeqCst);
    checker.join().unwrap();
    assert!(
        run.status.success(),
        "csl-scenario.mjs failed ({}):\n{}\nserver log:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr),
        server.log_text()
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();

    // Devices 1 and 2 play; the first license answers count 1 and 2.
    assert_played("device 1", &report["device1Start"], &license_url);
    assert_played("device 2", &report["device2Start"], &license_url);
    assert_eq!(report["device1Start"]["licenseAnswers"][0]["streams"], "1");
    assert_eq!(report["device2Start"]["licenseAnswers"][0]["streams"], "2");

    // Device 3 is refused with the documented JSON body, and does not play.
    let refused = &report["device3Refused"];
    assert!(
        refused["firstPlayingAt"].is_null(),
        "device 3 played: {refused}"
    );
    let err = &refused["errors"][0];
    assert_eq!(err["httpStatus"], 403, "{refused}");
    assert_eq!(err["body"]["error_code"], "CSL_LIMIT_REACHED", "{refused}");
    assert_eq!(err["body"]["current_streams"], 2, "{refused}");
    assert_eq!(err["body"]["max_streams"], 2, "{refused}");

    // The application heartbeat renews: the same request again, counted as the same stream.
    for name in ["device1Renewals", "device2Renewals"] {
        let s = &report[name];
        assert!(ok_heartbeats(s) >= 2, "{name}: {s}");
        assert_eq!(s["errors"], serde_json::json!([]), "{name}: {s}");
        for h in s["heartbeats"].as_array().unwrap() {
            assert_eq!(h["status"], 200, "{name}: {h}");
            assert!(h["keys"].as_u64().unwrap_or(0) >= 1, "{name}: {h}");
            assert!(h["streams"] == "1" || h["streams"] == "2", "{name}: {h}");
        }
    }

    // Device 1 went silent: one lease later device 3 plays and renews, device 2 never stopped.
    assert_played("device 3 (retry)", &report["device3Admitted"], &license_url);
    assert!(
        ok_heartbeats(&report["device3AdmittedRenewals"]) >= 1,
        "{report}"
    );
    let d2 = &report["device2End"];
    assert_eq!(d2["errors"], serde_json::json!([]), "{d2}");
    assert_eq!(d2["stoppedByRefusal"], false, "{d2}");
    assert!(
        d2["heartbeats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["status"] == 200),
        "{d2}"
    );
    assert!(
        ok_heartbeats(d2) > ok_heartbeats(&report["device2Renewals"]),
        "{d2}"
    );

    let max = max_seen.load(Ordering::SeqCst);
    assert!(max <= 2, "{max} streams live at once, limit 2");
    assert_eq!(max, 2, "the limit was never reached");
}
