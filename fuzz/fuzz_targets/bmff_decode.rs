//! Box parser: never panics, and whatever it decodes (losslessly) writes back to the exact
//! input bytes.
#![no_main]

use bmff::{DecodeOptions, decode_boxes, encode_box};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    let mut diags = Vec::new();
    if let Ok(boxes) = decode_boxes(&input, 0, DecodeOptions::default(), &mut diags) {
        let mut out = Vec::with_capacity(data.len());
        for b in &boxes {
            encode_box(b, &mut out).expect("a decoded box encodes");
        }
        assert_eq!(out, data, "lossless decode must write back the input");
    }
    let _ = decode_boxes(&input, 0, DecodeOptions::strict(), &mut Vec::new());
});
