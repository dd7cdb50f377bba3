//! Round trips of every shared test file through the real binary, checked by the independent
//! verifier (scripts/verify-ncg.py: Python hashlib/hmac + `openssl enc -aes-128-ctr`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{decrypt, encrypt, entries, verifier};

/// Every file under the shared test media folder.
fn all_test_media() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![mdrm_testkit::testmedia_dir()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 8, "shared test media missing: {out:?}");
    out
}

fn independent_check(ncg: &Path, original: &Path) {
    let Some(script) = verifier() else { return };
    let out = Command::new("python3")
        .arg(script)
        .arg(ncg)
        .arg("--key")
        .arg(common::key_b64())
        .arg("--original")
        .arg(original)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify-ncg.py rejected {}: {}",
        ncg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let header: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(header["site_id"], "TEST");
    assert_eq!(header["content_id"], "cid-test");
    assert_eq!(
        header["original_name"],
        original.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(
        header["original_size"].as_u64().unwrap(),
        std::fs::metadata(original).unwrap().len()
    );
}

#[test]
fn every_test_media_file_round_trips_byte_identical() {
    let dir = mdrm_testkit::temp_dir();
    for (n, original) in all_test_media().iter().enumerate() {
        let name = original.file_name().unwrap().to_str().unwrap();
        let ncg = dir.path().join(format!("{n}/{name}.ncg"));
        encrypt(dir.path(), original, &ncg, &[]).expect(0);
        independent_check(&ncg, original);
        let back = dir.path().join(format!("{n}/back/"));
        decrypt(dir.path(), &ncg, &back, &[]).expect(0);
        let restored = back.join(name);
        assert!(
            std::fs::read(&restored).unwrap() == std::fs::read(original).unwrap(),
            "{name} differs after the round trip"
        );
        let mut expected = vec!["back".to_string(), format!("{name}.ncg")];
        expected.sort();
        assert_eq!(entries(&dir.path().join(n.to_string())), expected);
    }
}

#[test]
fn block_sizes_at_both_limits_and_empty_files() {
    let dir = mdrm_testkit::temp_dir();
    let source = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    for bs in ["4096", "16777216"] {
        let ncg = dir.path().join(format!("bs{bs}.ncg"));
        encrypt(
            dir.path(),
            &source,
            &ncg,
            &["--block-size", bs, "--threads", "3"],
        )
        .expect(0);
        independent_check(&ncg, &source);
        let back = dir.path().join(format!("bs{bs}.mp4"));
        decrypt(dir.path(), &ncg, &back, &["--threads", "1"]).expect(0);
        assert!(std::fs::read(&back).unwrap() == std::fs::read(&source).unwrap());
    }
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let ncg = dir.path().join("empty.ncg");
    encrypt(dir.path(), &empty, &ncg, &[]).expect(0);
    independent_check(&ncg, &empty);
    let back = dir.path().join("empty.out");
    decrypt(dir.path(), &ncg, &back, &[]).expect(0);
    assert_eq!(std::fs::read(&back).unwrap(), b"");
}

#[test]
fn default_output_locations() {
    let dir = mdrm_testkit::temp_dir();
    let input = dir.path().join("clip.mp4");
    std::fs::copy(
        mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4"),
        &input,
    )
    .unwrap();
    // Without -o: a folder named after the input's stem, in the current folder.
    let run = common::run_in(
        dir.path(),
        [
            "--site-id",
            "TEST",
            "--contents-id",
            "c",
            "--encryption-key",
            &common::key_b64(),
            "-i",
            "clip.mp4",
        ],
    );
    run.expect(0);
    let ncg = dir.path().join("clip/clip.mp4.ncg");
    assert!(ncg.is_file());
    // --decrypt without -o: the original name in the current folder (here a fresh one).
    let out_dir = dir.path().join("restore");
    std::fs::create_dir(&out_dir).unwrap();
    common::run_in(
        &out_dir,
        [
            "--decrypt",
            "--encryption-key",
            &common::key_b64(),
            "-i",
            ncg.to_str().unwrap(),
        ],
    )
    .expect(0);
    assert!(std::fs::read(out_dir.join("clip.mp4")).unwrap() == std::fs::read(&input).unwrap());
}
