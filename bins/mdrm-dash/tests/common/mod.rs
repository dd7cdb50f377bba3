//! Helpers shared by the mdrm-dash integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod xml;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const KID: &str = mdrm_testkit::PEER_KID;
pub const KEY: &str = mdrm_testkit::PEER_KEY;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdrm-dash"))
}

/// Base64 of hex (for --key-id / --encryption-key).
pub fn b64(hex: &str) -> String {
    keys::to_base64(&mdrm_testkit::hex(hex))
}

/// The result of one run: exit status, RESULT code, stdout, stderr.
pub struct Run {
    pub ok: bool,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("run mdrm-dash");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = stdout
        .split("<RESULT>")
        .nth(1)
        .and_then(|r| r.split("</RESULT>").next())
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(i32::MIN);
    Run {
        ok: out.status.success(),
        code,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Packages `inputs` with the fixed test key into `out` with extra flags.
pub fn package(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Run {
    let mut cmd = bin();
    cmd.arg("-i").args(inputs).arg("-o").arg(out);
    cmd.args(["--contents-id", "test-content"]);
    cmd.args(["--encryption-key", &b64(KEY), "--key-id", &b64(KID)]);
    cmd.args(extra);
    let r = run(&mut cmd);
    assert!(
        r.ok && r.code == 0,
        "packaging failed: {}\n{}",
        r.stdout,
        r.stderr
    );
    r
}

pub fn source() -> PathBuf {
    mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")
}

/// Every representation folder (holding init.mp4) of a package.
pub fn representation_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("init.mp4").is_file())
        .collect();
    v.sort();
    v
}

/// Runs verify-cenc.sh (ffmpeg 8) on one representation folder.
pub fn verify_cenc(original: &Path, rep: &Path, kid: &str, key: &str) -> (bool, String) {
    let out = Command::new(mdrm_testkit::tools_dir().join("verify-cenc.sh"))
        .arg(original)
        .arg(rep)
        .arg(kid)
        .arg(key)
        .env("FFMPEG", mdrm_testkit::ffmpeg8().unwrap())
        .env("FFPROBE", mdrm_testkit::ffprobe8().unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Plays a manifest with browser-play; returns (exit ok, JSON report).
pub fn play(
    player: &str,
    dir: &Path,
    manifest: &str,
    keys: &[String],
) -> (bool, serde_json::Value) {
    let script = mdrm_testkit::browser_play().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .args([
            "--player",
            player,
            "--manifest",
            manifest,
            "--seconds",
            "3",
            "--timeout",
            "40",
        ])
        .arg("--dir")
        .arg(dir);
    for k in keys {
        cmd.args(["--key", k]);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "browser-play gave no report: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}
