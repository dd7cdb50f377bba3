//! Helpers shared by the mdrm-dash integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod xml;

use std::path::{Path, PathBuf};
use std::process::Command;

pub const KID: &str = mdrm_testkit::PEER_KID;
pub const KEY: &str = mdrm_testkit::PEER_KEY;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdrm-dash"))
}

/// Base64 of hex (for --key-id / --encryption-key).
pub fn b64(hex: &str) -> String {
    keys::to_base64(&mdrm_testkit::hex(hex))
}

/// One run of the binary (shared with the other packager CLIs' tests).
pub use mdrm_testkit::{CliRun as Run, run_cli as run};

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

// ---- Error paths, result documents, logs and config files (errors.rs, log_and_config.rs) ----

/// The result-document checks of the DASH CLI's tests.
pub trait ExpectResult {
    /// Asserts the run ended with `code`: exit status 0/1 and a complete XML result document
    /// (cli.md): exactly the short form on success; ERRORMSG (the code's message), INFO and
    /// WHERE on failure, and the failure logged on stderr.
    fn expect(&self, code: i32) -> &Self;
}

impl ExpectResult for Run {
    fn expect(&self, code: i32) -> &Self {
        let context = format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert_eq!(self.code, code, "{context}");
        assert_eq!(self.ok, code == 0, "exit status; {context}");
        if code == 0 {
            assert_eq!(
                self.stdout,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n<RESULT>0</RESULT>\n</PallyconPackager>\n"
            );
            return self;
        }
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 7, "{context}");
        assert_eq!(lines[0], "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        assert_eq!(lines[1], "<PallyconPackager>");
        assert_eq!(lines[2], format!("<RESULT>{code}</RESULT>"));
        let message = packager::ErrorCode::from_value(code)
            .expect("a documented code")
            .message();
        assert_eq!(self.element("ERRORMSG").as_deref(), Some(message));
        assert!(lines[4].starts_with("<INFO>") && !self.info().is_empty());
        let place = self.element("WHERE").unwrap_or_default();
        assert!(place.starts_with("packager::"), "WHERE {place:?}");
        assert_eq!(lines[6], "</PallyconPackager>");
        assert!(
            self.stderr.contains("Failed file : ") && self.stderr.contains(lines[2]),
            "the failure is logged on stderr; {context}"
        );
        self
    }
}

/// Runs mdrm-dash with `args` in `cwd`.
pub fn run_in<I, S>(cwd: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = bin();
    cmd.args(args).current_dir(cwd);
    run(&mut cmd)
}

/// The flags of a valid external-key job from `input` into `out`.
pub fn job_args(input: &Path, out: &Path) -> Vec<String> {
    vec![
        "--contents-id".into(),
        "test-content".into(),
        "--encryption-key".into(),
        b64(KEY),
        "--key-id".into(),
        b64(KID),
        "-i".into(),
        input.to_str().unwrap().into(),
        "-o".into(),
        out.to_str().unwrap().into(),
    ]
}

/// Names of the entries of a folder, sorted (empty when it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every file under `dir` (relative path -> bytes), sorted by path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// True when the tests run as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A test precondition is missing: SKIPPED, or a failure where tools are required (CI).
pub fn skip(why: &str) {
    assert!(!mdrm_testkit::tools_required(), "required on CI: {why}");
    eprintln!("SKIPPED: {why}");
}

/// A small tmpfs, unmounted on drop.
pub struct SmallTmpfs(pub PathBuf);

impl SmallTmpfs {
    /// Mounts a tmpfs of `size` (e.g. "64k") at `at`; `None` when not allowed (not root).
    pub fn mount(at: PathBuf, size: &str) -> Option<Self> {
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallTmpfs(at))
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The real `mdrm-server` and a scripted bad server (shared with the other CLIs' tests).
#[allow(unused_imports)] // each test target uses a part of this module
pub use mdrm_testkit::servers::{KeyServer, ScriptedServer, server_bin};
