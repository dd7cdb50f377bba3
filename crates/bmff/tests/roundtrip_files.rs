//! Lossless round trip of every MP4/M4S file in the shared test media (and the generated
//! media, when ffmpeg is available): parse then write must be byte-identical.
//!
//! The decoder keeps a box as raw bytes when its typed model could not write it back byte
//! for byte; such fallbacks are diagnostics. Every file must round-trip exactly, and every
//! fallback must be listed in `KNOWN_NONCANONICAL` with its reason (none are expected).

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

use bmff::file::rewrite;
use bmff::{DecodeOptions, Diagnostic};

/// (file name, box path, reason substring): fallbacks known and explained.
const KNOWN_NONCANONICAL: &[(&str, &str, &str)] = &[];

fn media_files() -> Vec<PathBuf> {
    let mut files = mdrm_testkit::files_with_extension(
        &mdrm_testkit::testmedia_dir(),
        &["mp4", "m4s", "m4a", "m4v", "mov", "cmfv", "cmfa"],
    );
    if let Some(generated) = mdrm_testkit::generated_media() {
        files.extend(mdrm_testkit::files_with_extension(
            &generated,
            &["mp4", "m4s", "mov"],
        ));
    }
    assert!(!files.is_empty(), "no test media found");
    files
}

fn round_trip(path: &Path) -> (Vec<u8>, Vec<Diagnostic>) {
    let mut src = BufReader::new(File::open(path).unwrap());
    let mut out = Vec::new();
    let diags = rewrite(
        &mut src,
        &mut Cursor::new(&mut out),
        DecodeOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (out, diags)
}

#[test]
fn every_test_file_round_trips_byte_for_byte() {
    let mut unexplained = Vec::new();
    for path in media_files() {
        let original = std::fs::read(&path).unwrap();
        let (written, diags) = round_trip(&path);
        assert_eq!(
            written.len(),
            original.len(),
            "{}: size differs after round trip",
            path.display()
        );
        if let Some(i) = written.iter().zip(&original).position(|(a, b)| a != b) {
            panic!("{}: first difference at byte {i}", path.display());
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for d in diags {
            let known = KNOWN_NONCANONICAL
                .iter()
                .any(|(f, p, r)| *f == name && d.path == *p && d.reason.contains(r));
            if !known {
                unexplained.push(format!("{name}: {} at {}: {}", d.path, d.offset, d.reason));
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "boxes kept raw that the typed model should handle:\n{}",
        unexplained.join("\n")
    );
}
