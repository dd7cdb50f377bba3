//! A 2 GiB (sparse) file through encryption (with the read-back check) and `--decrypt`, in
//! bounded memory: each run's peak RSS, measured on the real process with `/usr/bin/time`,
//! stays under 64 MiB, and the restored file's SHA-256 equals the original's.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

const SIZE: u64 = 2 << 30;
const RSS_LIMIT_KIB: u64 = 64 * 1024;

fn sha256_of(path: &Path) -> (Vec<u8>, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    (hasher.finalize().to_vec(), total)
}

fn measured(args: &[&str]) -> Option<u64> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mdrm-ncg"));
    cmd.args(args);
    let (status, kib) = mdrm_testkit::run_with_peak_rss(&mut cmd)?;
    assert!(status.success(), "mdrm-ncg {args:?} failed");
    Some(kib)
}

#[test]
fn two_gib_sparse_file_round_trips_under_64_mib_rss() {
    let dir = mdrm_testkit::temp_dir();
    let input = dir.path().join("big.bin");
    let file = std::fs::File::create(&input).unwrap();
    file.set_len(SIZE).unwrap();
    // A few non-zero bytes so the content is not trivially all zeros.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = file;
        for at in [0, 12_345_678, SIZE / 2 + 7, SIZE - 3] {
            f.seek(SeekFrom::Start(at)).unwrap();
            let room = (SIZE - at).min(4) as usize;
            f.write_all(&b"mdrm"[..room]).unwrap();
        }
    }
    let ncg = dir.path().join("big.ncg");
    let key = common::key_b64();
    let Some(enc_kib) = measured(&[
        "--site-id",
        "TEST",
        "--contents-id",
        "big",
        "--encryption-key",
        &key,
        "-i",
        input.to_str().unwrap(),
        "-o",
        ncg.to_str().unwrap(),
        "-q",
    ]) else {
        return;
    };
    let restored = dir.path().join("restored.bin");
    let dec_kib = measured(&[
        "--decrypt",
        "--encryption-key",
        &key,
        "-i",
        ncg.to_str().unwrap(),
        "-o",
        restored.to_str().unwrap(),
        "-q",
    ])
    .unwrap();
    eprintln!("peak RSS: encrypt + verify {enc_kib} KiB, decrypt {dec_kib} KiB");
    assert!(
        enc_kib < RSS_LIMIT_KIB,
        "encryption peaked at {enc_kib} KiB"
    );
    assert!(
        dec_kib < RSS_LIMIT_KIB,
        "decryption peaked at {dec_kib} KiB"
    );
    let (a, la) = sha256_of(&input);
    let (b, lb) = sha256_of(&restored);
    assert_eq!(la, SIZE);
    assert_eq!(lb, SIZE);
    assert_eq!(a, b, "restored file differs");
}
