//! Sample reader: opening, iterating every track's samples and reading them never panics.
#![no_main]

use std::io::Cursor;

use bmff::reader::Mp4Reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = Mp4Reader::open(Cursor::new(data.to_vec())) {
        let ids: Vec<u32> = r.tracks().iter().map(|t| t.id).collect();
        let mut buf = Vec::new();
        for id in ids {
            let samples: Vec<_> = match r.samples(id) {
                Ok(it) => it.take(10_000).collect(),
                Err(_) => continue,
            };
            for s in samples.into_iter().flatten() {
                let _ = r.read_sample(&s, &mut buf);
                let _ = r.sample_encryption(&s);
            }
        }
    }
});
