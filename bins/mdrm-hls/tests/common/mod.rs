//! Helpers shared by the mdrm-hls integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const KEY: &str = mdrm_testkit::PEER_KEY;
pub const IV: &str = mdrm_testkit::PEER_IV_CBCS;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdrm-hls"))
}

/// `--encryption-key` for HLS: base64 of key (16) + IV (16).
pub fn key_and_iv_b64() -> String {
    keys::to_base64(&mdrm_testkit::hex(&format!("{KEY}{IV}")))
}

/// One run of the binary (shared with the other packager CLIs' tests).
pub use mdrm_testkit::{CliRun as Run, run_cli as run};

/// Packages `inputs` (paths or `[+...]` specs) with the fixed test key and IV into `out`.
pub fn package(inputs: &[String], out: &Path, extra: &[&str]) -> Run {
    let mut cmd = bin();
    for i in inputs {
        cmd.arg("-i").arg(i);
    }
    cmd.arg("-o").arg(out);
    cmd.args(["--contents-id", "test-content"]);
    cmd.args(["--encryption-key", &key_and_iv_b64()]);
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

/// A generated test file, or `None` (skipped) without ffmpeg.
pub fn media(name: &str) -> Option<PathBuf> {
    Some(mdrm_testkit::generated_media()?.join(name))
}

/// The path as a `-i` value.
pub fn arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Media playlist folders (holding index.m3u8) of a package, sorted.
pub fn rendition_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("index.m3u8").is_file())
        .collect();
    v.sort();
    v
}

/// Segment files (`segment_*.ts`) of a rendition folder, in order.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .collect();
    v.sort();
    v
}

/// Runs `verify-hls-aes.sh ORIGINAL PLAYLIST` with ffmpeg `ffmpeg`; (passed, output).
pub fn verify_hls_aes(
    ffmpeg: &Path,
    ffprobe: &Path,
    original: &Path,
    playlist: &Path,
) -> (bool, String) {
    let out = Command::new(mdrm_testkit::tools_dir().join("verify-hls-aes.sh"))
        .arg(original)
        .arg(playlist)
        .env("FFMPEG", ffmpeg)
        .env("FFPROBE", ffprobe)
        .output()
        .expect("run verify-hls-aes.sh");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `(size, md5)` of every packet/frame ffmpeg's framemd5 muxer reports for `args`.
pub fn framemd5(ffmpeg: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(args)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{},{}", f[4], f[5])
        })
        .collect()
}
