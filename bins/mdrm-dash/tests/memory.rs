//! Peak memory does not grow with the input's length: the 10 s peer source and the same
//! stream looped (stream copy) to 10 minutes are packaged, and the peak RSS of the two runs
//! (measured with /usr/bin/time) must stay within 4 MiB of each other. Keeping a table of
//! every sample for the whole run (about 56 bytes a sample: +5.2 MiB here in all) fails it;
//! what still grows (+2.9 MiB) is the input's index (`moov`) the reader keeps, with copies.

mod common;

use std::process::Command;

use common::{KEY, KID, b64, bin, source};

/// Peak RSS in KiB of packaging `input` (self-check on, like a user's run).
fn peak_rss(input: &std::path::Path, out: &std::path::Path) -> u64 {
    let mut cmd: Command = bin();
    cmd.arg("-i").arg(input).arg("-o").arg(out).arg("-q");
    cmd.args(["--contents-id", "memory", "--segment-duration", "6"]);
    cmd.args(["--encryption-key", &b64(KEY), "--key-id", &b64(KID)]);
    let (status, kib) = mdrm_testkit::run_with_peak_rss(&mut cmd).expect("/usr/bin/time");
    assert!(status.success(), "mdrm-dash failed on {}", input.display());
    kib
}

#[test]
fn peak_memory_does_not_grow_with_the_input_length() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    if mdrm_testkit::tool("time", None).is_none() {
        return;
    }
    let dir = mdrm_testkit::temp_dir();
    let long = dir.path().join("long.mp4");
    let made = Command::new(ffmpeg)
        .args(["-v", "error", "-stream_loop", "59", "-i"])
        .arg(source())
        .args(["-map", "0", "-c", "copy", "-y"])
        .arg(&long)
        .status()
        .expect("run ffmpeg");
    assert!(made.success(), "ffmpeg could not loop the source");

    let short_kib = peak_rss(&source(), &dir.path().join("short_out"));
    let long_kib = peak_rss(&long, &dir.path().join("long_out"));
    assert!(
        long_kib <= short_kib + 4096,
        "peak RSS grows with the input: {short_kib} KiB for 10 s, {long_kib} KiB for 10 min"
    );
}
