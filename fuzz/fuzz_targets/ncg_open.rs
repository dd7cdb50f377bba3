//! Fuzzes the NCG header parser and the reader.
//!
//! 1. The input as an NCG file: the unverified header parser and the keyed reader must return
//!    errors, never panic, and never read past what they validated.
//! 2. A valid NCG file built from the input, with one byte changed at a position the input
//!    chooses: opening and decrypting must fail whenever a byte changed, and give back exactly
//!    the original content when none did. Random-access reads must match the original.
#![no_main]

use std::io::{Cursor, Read, Seek, SeekFrom};

use libfuzzer_sys::fuzz_target;
use ncg::{Header, NcgKey, Options, Reader, SiteId};

const PARAMS: usize = 8;

fuzz_target!(|data: &[u8]| {
    let key = NcgKey::from_bytes(&[0x42; 32]);

    // 1. Arbitrary bytes.
    let _ = Header::read_unverified(&mut &data[..]);
    if let Ok(mut reader) = Reader::open(Cursor::new(data), &key) {
        let mut out = Vec::new();
        let _ = reader.read_to_end(&mut out);
    }

    // 2. A valid file made from the input, then damaged (or not).
    if data.len() < PARAMS {
        return;
    }
    let (params, content) = data.split_at(PARAMS);
    let Ok(mut header) = Header::new(SiteId(*b"FUZZ"), "fuzz", content.len() as u64) else {
        return;
    };
    header.block_size = 4096 << (params[0] % 3);
    header.file_id = [params[1]; 16];
    header.packaged_at = 0;
    let options = Options {
        threads: 1 + usize::from(params[2] % 3),
        batch_bytes: 4096 * (1 + usize::from(params[3] % 4)),
    };
    let file = ncg::encrypt(&mut &content[..], Vec::new(), &header, &key, options, &mut |_| {})
        .expect("encrypting valid input cannot fail");
    let pos = u32::from_le_bytes([params[4], params[5], params[6], 0]) as usize;
    let flip = params[7];
    let mut damaged = file.clone();
    let changed = pos < file.len() && flip != 0;
    if changed {
        damaged[pos] ^= flip;
    }
    let outcome = Reader::open(Cursor::new(&damaged), &key).and_then(|mut r| {
        let mut out = Vec::new();
        r.decrypt_to(&mut out, options, &mut |_| {}).map(|_| out)
    });
    match (changed, outcome) {
        (false, Ok(out)) => assert!(out == content, "round trip differs"),
        (false, Err(e)) => panic!("a valid file was rejected: {e}"),
        (true, Ok(_)) => panic!("changing byte {pos} with {flip:#04x} went unnoticed"),
        (true, Err(_)) => {}
    }

    // Random access on the valid file.
    let mut reader = Reader::open(Cursor::new(&file), &key).expect("valid file opens");
    for (i, &p) in params.iter().enumerate() {
        let offset = (u64::from(p) * 977 * (i as u64 + 1)) % (content.len() as u64 + 10);
        reader.seek(SeekFrom::Start(offset)).expect("seek");
        let mut got = Vec::new();
        (&mut reader)
            .take(5000)
            .read_to_end(&mut got)
            .expect("read valid file");
        let start = (offset as usize).min(content.len());
        let end = (start + 5000).min(content.len());
        assert!(got == content[start..end], "range {offset}+5000 differs");
    }
});
