//! Inputs found by fuzzing (tests/regressions/): each must be handled without a panic or an
//! unbounded allocation.

use std::io::Cursor;

use bmff::reader::Mp4Reader;
use bmff::{DecodeOptions, decode_boxes};
use bytes::Bytes;

#[test]
fn fuzz_regressions_are_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let _ = decode_boxes(
            &Bytes::from(data.clone()),
            0,
            DecodeOptions::default(),
            &mut Vec::new(),
        );
        if let Ok(mut r) = Mp4Reader::open(Cursor::new(data)) {
            let ids: Vec<u32> = r.tracks().iter().map(|t| t.id).collect();
            let mut buf = Vec::new();
            for id in ids {
                let samples: Vec<_> = r.samples(id).unwrap().take(10_000).collect();
                for s in samples.into_iter().flatten() {
                    let _ = r.read_sample(&s, &mut buf);
                }
            }
        }
        n += 1;
    }
    assert!(n > 0);
}
