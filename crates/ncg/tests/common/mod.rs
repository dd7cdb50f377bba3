//! Helpers shared by the ncg integration tests.

#![allow(dead_code)]

use std::io::Cursor;

use ncg::{Header, NcgKey, Options, Reader, SiteId};

/// Deterministic test content of `len` bytes.
pub(crate) fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}

/// The key used by most tests.
pub(crate) fn key() -> NcgKey {
    NcgKey::from_bytes(&std::array::from_fn(|i| (i as u8).wrapping_mul(7)))
}

/// A header for `len` bytes with the given block size.
pub(crate) fn header(len: u64, block_size: u32) -> Header {
    let mut h = Header::new(SiteId(*b"TEST"), "test-content", len).unwrap();
    h.block_size = block_size;
    h.original_name = "movie.mp4".into();
    h.mime_type = "video/mp4".into();
    h.license_url = "https://license.example/ncg".into();
    h
}

/// Small batches so even small files span several batches.
pub(crate) fn options(threads: usize) -> Options {
    Options {
        threads,
        batch_bytes: 3 * 4096,
    }
}

/// Encrypts `data` into an in-memory NCG file.
pub(crate) fn encrypt(data: &[u8], header: &Header, key: &NcgKey, options: Options) -> Vec<u8> {
    ncg::encrypt(
        &mut &data[..],
        Vec::new(),
        header,
        key,
        options,
        &mut |_| {},
    )
    .unwrap()
}

/// Opens an in-memory NCG file.
pub(crate) fn open<'a>(file: &'a [u8], key: &NcgKey) -> ncg::Result<Reader<Cursor<&'a [u8]>>> {
    Reader::open(Cursor::new(file), key)
}
