//! Helpers for the mdrm-ncg integration tests: run the real binary, read its result document.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The 32-byte test CEK (key then IV), base64.
pub(crate) fn key_b64() -> String {
    keys::to_base64(&cek())
}

/// The 32-byte test CEK.
pub(crate) fn cek() -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(5))
}

/// Another valid key.
pub(crate) fn other_key_b64() -> String {
    keys::to_base64(&[0x42u8; 32])
}

/// What one run produced.
pub(crate) struct Run {
    pub(crate) output: Output,
}

impl Run {
    /// stdout as text.
    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// stderr as text.
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The RESULT value of the XML or JSON result document on stdout.
    pub(crate) fn result(&self) -> i32 {
        let out = self.stdout();
        if let Some(start) = out.find("<RESULT>") {
            let rest = &out[start + 8..];
            let end = rest.find("</RESULT>").expect("closing RESULT");
            return rest[..end].parse().expect("numeric RESULT");
        }
        let json: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("stdout is neither XML nor JSON ({e}): {out}"));
        json["RESULT"].as_i64().expect("RESULT") as i32
    }

    /// The INFO element's text (XML form).
    pub(crate) fn info(&self) -> String {
        let out = self.stdout();
        match (out.find("<INFO>"), out.find("</INFO>")) {
            (Some(a), Some(b)) => out[a + 6..b].to_owned(),
            _ => String::new(),
        }
    }

    /// Asserts the run ended with `code`, the matching exit status and a complete document.
    pub(crate) fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.result(),
            code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        let expected_status = if code == 0 { 0 } else { 1 };
        assert_eq!(self.output.status.code(), Some(expected_status));
        self
    }
}

/// Runs mdrm-ncg with `args` in `cwd`.
pub(crate) fn run_in<I, S>(cwd: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_mdrm-ncg"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run mdrm-ncg");
    Run { output }
}

/// Encrypts `input` into `output` with the test key.
pub(crate) fn encrypt(cwd: &Path, input: &Path, output: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec![
        "--site-id".into(),
        "TEST".into(),
        "--contents-id".into(),
        "cid-test".into(),
        "--encryption-key".into(),
        key_b64(),
        "-i".into(),
        input.to_str().unwrap().into(),
        "-o".into(),
        output.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_in(cwd, args)
}

/// Decrypts `input` into `output` with the test key.
pub(crate) fn decrypt(cwd: &Path, input: &Path, output: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec![
        "--decrypt".into(),
        "--encryption-key".into(),
        key_b64(),
        "-i".into(),
        input.to_str().unwrap().into(),
        "-o".into(),
        output.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run_in(cwd, args)
}

/// The independent checker `scripts/verify-ncg.py` (Python + openssl), or `None` when its
/// tools are missing (see mdrm_testkit::tool).
pub(crate) fn verifier() -> Option<PathBuf> {
    mdrm_testkit::tool("python3", None)?;
    mdrm_testkit::tool("openssl", None)?;
    Some(mdrm_testkit::workspace_root().join("scripts/verify-ncg.py"))
}

/// Names of the entries of a folder, sorted.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
