//! The sample reader yields exactly the packets ffmpeg's mov demuxer sees: for every track of
//! every test file, the sequence of (size, md5 of the bytes) is equal.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use bmff::reader::Mp4Reader;
use md5::{Digest, Md5};

fn media_files() -> Vec<PathBuf> {
    let mut files = mdrm_testkit::files_with_extension(&mdrm_testkit::testmedia_dir(), &["mp4"]);
    if let Some(g) = mdrm_testkit::generated_media() {
        files.extend(mdrm_testkit::files_with_extension(&g, &["mp4"]));
    }
    files
}

/// (size, md5) per packet of ffmpeg stream `index`.
fn ffmpeg_packets(ffmpeg: &Path, file: &Path, index: usize) -> Vec<(u32, String)> {
    let out = Command::new(ffmpeg)
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(file)
        .args([
            "-map",
            &format!("0:{index}"),
            "-c",
            "copy",
            "-f",
            "framemd5",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg failed on {}", file.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[4].parse().unwrap(), f[5].to_string())
        })
        .collect()
}

#[test]
fn samples_match_ffmpeg_packets() {
    // ffmpeg 8: Debian's 5.1 rejects encrypted fragments it has no key for.
    let Some(ffmpeg) = mdrm_testkit::ffmpeg8() else {
        return;
    };
    let mut checked = 0;
    for path in media_files() {
        // Bento4's cbcs file carries a second avcC that ffmpeg refuses (peers/README.md).
        if path.file_name().unwrap() == "bento4_cbcs.mp4" {
            continue;
        }
        let mut reader = Mp4Reader::open(BufReader::new(File::open(&path).unwrap()))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ids: Vec<u32> = reader.tracks().iter().map(|t| t.id).collect();
        for (index, id) in ids.into_iter().enumerate() {
            let samples: Vec<_> = reader
                .samples(id)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut ours = Vec::new();
            let mut buf = Vec::new();
            for s in &samples {
                reader.read_sample(s, &mut buf).unwrap();
                ours.push((s.size, hex(&Md5::digest(&buf))));
            }
            let theirs = ffmpeg_packets(&ffmpeg, &path, index);
            assert_eq!(
                ours.len(),
                theirs.len(),
                "{} track {id}: sample count",
                path.display()
            );
            if let Some(i) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
                panic!("{} track {id}: sample {i} differs", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} tracks checked");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
