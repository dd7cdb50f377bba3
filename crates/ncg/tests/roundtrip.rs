//! Round trips through the writer and the random-access reader.

mod common;

use std::io::{self, Read, Seek, SeekFrom, Write};

use ncg::{Error, Options, Reader, Writer};
use proptest::prelude::*;

use common::{content, encrypt, header, key, open, options};

const BLOCK_SIZES: [u32; 4] = [4096, 8192, 16384, 65536];

/// File sizes around block multiples, plus 0 and small sizes.
fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        1usize..64,
        0usize..300_000,
        (1usize..6, -2i64..=2).prop_map(|(k, d)| (k as i64 * 16384 + d).max(0) as usize),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Any (offset, length) range read through the random-access reader equals the same range
    /// of the original, for random block sizes and file sizes.
    #[test]
    fn random_ranges_match_original(
        size in sizes(),
        block_index in 0usize..BLOCK_SIZES.len(),
        threads in 1usize..4,
        ranges in prop::collection::vec((0.0f64..1.1, 0usize..70_000), 1..8),
    ) {
        let block_size = BLOCK_SIZES[block_index];
        let data = content(size, 0x5a);
        let k = key();
        let file = encrypt(&data, &header(size as u64, block_size), &k, options(threads));
        let mut reader = open(&file, &k).unwrap();
        prop_assert_eq!(reader.content_len(), size as u64);
        for (frac, len) in ranges {
            let offset = (frac * size as f64) as u64;
            reader.seek(SeekFrom::Start(offset)).unwrap();
            let mut got = Vec::new();
            (&mut reader).take(len as u64).read_to_end(&mut got).unwrap();
            let start = (offset as usize).min(size);
            let end = (start + len).min(size);
            prop_assert!(got == data[start..end], "range {offset}+{len} of {size}, block {block_size}");
        }
    }

    /// Whole-file decryption equals the original whatever the threads and batch sizes, and the
    /// read-back check passes.
    #[test]
    fn decrypt_to_restores_everything(
        size in sizes(),
        block_index in 0usize..BLOCK_SIZES.len(),
        enc_threads in 1usize..5,
        dec_threads in 1usize..5,
        batch_blocks in 1usize..5,
    ) {
        let block_size = BLOCK_SIZES[block_index];
        let data = content(size, 3);
        let k = key();
        let enc = Options { threads: enc_threads, batch_bytes: batch_blocks * block_size as usize };
        let file = encrypt(&data, &header(size as u64, block_size), &k, enc);
        let dec = Options { threads: dec_threads, batch_bytes: 1 };
        let mut out = Vec::new();
        let n = open(&file, &k).unwrap().decrypt_to(&mut out, dec, &mut |_| {}).unwrap();
        prop_assert_eq!(n, size as u64);
        prop_assert!(out == data);
        open(&file, &k).unwrap().compare_with(&mut &data[..], dec, &mut |_| {}).unwrap();
    }

    /// Writing through `Write` in arbitrary pieces gives the same file as `encrypt`.
    #[test]
    fn chunked_writes_equal_one_shot(
        size in 0usize..100_000,
        cuts in prop::collection::vec(0usize..20_000, 0..20),
    ) {
        let data = content(size, 9);
        let k = key();
        let h = header(size as u64, 4096);
        let one_shot = encrypt(&data, &h, &k, options(2));
        let mut w = Writer::new(Vec::new(), &h, &k, options(2)).unwrap();
        let mut rest = &data[..];
        for cut in cuts {
            let n = cut.min(rest.len());
            w.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
        }
        w.write_all(rest).unwrap();
        prop_assert_eq!(w.bytes_written(), size as u64);
        prop_assert!(w.finish().unwrap() == one_shot);
    }
}

/// A reader that hands out at most `max` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    max: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.max).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn short_reads_from_the_input_are_handled() {
    let data = content(50_000, 1);
    let k = key();
    let h = header(data.len() as u64, 4096);
    let expected = encrypt(&data, &h, &k, options(1));
    for max in [1, 7, 4095, 4097] {
        let mut input = Trickle { data: &data, max };
        let mut progress = Vec::new();
        let got = ncg::encrypt(&mut input, Vec::new(), &h, &k, options(1), &mut |n| {
            progress.push(n)
        })
        .unwrap();
        assert!(got == expected, "max {max}");
        assert!(progress.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(progress.last(), Some(&50_000));
    }
}

#[test]
fn input_size_must_match_the_header() {
    let data = content(10_000, 1);
    let k = key();
    let short = header(10_001, 4096);
    assert!(matches!(
        ncg::encrypt(
            &mut &data[..],
            Vec::new(),
            &short,
            &k,
            options(1),
            &mut |_| {}
        ),
        Err(Error::SizeMismatch {
            declared: 10_001,
            actual: 10_000
        })
    ));
    let long = header(9_999, 4096);
    assert!(matches!(
        ncg::encrypt(
            &mut &data[..],
            Vec::new(),
            &long,
            &k,
            options(1),
            &mut |_| {}
        ),
        Err(Error::SizeMismatch {
            declared: 9_999,
            ..
        })
    ));
    let mut w = Writer::new(Vec::new(), &long, &k, options(1)).unwrap();
    assert!(matches!(
        w.write_content(&data),
        Err(Error::SizeMismatch { .. })
    ));
    let w = Writer::new(Vec::new(), &short, &k, options(1)).unwrap();
    assert!(matches!(w.finish(), Err(Error::SizeMismatch { .. })));
}

#[test]
fn seek_semantics_match_a_file() {
    let data = content(20_000, 2);
    let k = key();
    let file = encrypt(&data, &header(20_000, 4096), &k, options(1));
    let mut r = open(&file, &k).unwrap();
    assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), 19_990);
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &data[19_990..]);
    assert_eq!(r.seek(SeekFrom::Current(-5000)).unwrap(), 15_000);
    let mut b = [0u8; 3];
    r.read_exact(&mut b).unwrap();
    assert_eq!(b, data[15_000..15_003]);
    assert_eq!(r.seek(SeekFrom::Start(1 << 40)).unwrap(), 1 << 40);
    assert_eq!(r.read(&mut b).unwrap(), 0);
    assert!(r.seek(SeekFrom::Current(-(1i64 << 41))).is_err());
    assert!(r.seek(SeekFrom::End(-20_001)).is_err());
    // Read block by block too.
    assert_eq!(r.read_block(4).unwrap(), &data[16_384..]);
    assert!(r.read_block(5).is_err());
}

#[test]
fn header_metadata_survives_and_reader_reports_layout() {
    let data = content(5000, 0);
    let k = key();
    let mut h = header(5000, 4096);
    h.key_id = Some(keys::KeyId([0xab; 16]));
    h.set_text_extension(ncg::format::EXTENSION_PACKAGER, "mdrm test");
    let file = encrypt(&data, &h, &k, options(1));
    let r = open(&file, &k).unwrap();
    assert_eq!(r.header(), &h);
    assert_eq!(r.format_version(), (1, 0));
    assert_eq!(r.header().packager(), Some("mdrm test"));
    assert_eq!(
        r.header_len() + 5000 + 2 * 16,
        file.len() as u64,
        "header + content + one tag per block"
    );
    let unverified = ncg::Header::read_unverified(&mut &file[..]).unwrap();
    assert_eq!(unverified, h);
}

#[test]
fn reader_works_on_a_real_file() {
    let dir = mdrm_testkit::temp_dir();
    let path = dir.path().join("x.ncg");
    let data = content(123_457, 4);
    let k = key();
    let file = std::fs::File::create(&path).unwrap();
    let h = header(data.len() as u64, 8192);
    ncg::encrypt(
        &mut &data[..],
        file,
        &h,
        &k,
        Options::default(),
        &mut |_| {},
    )
    .unwrap();
    let mut r = Reader::open(std::fs::File::open(&path).unwrap(), &k).unwrap();
    let mut all = Vec::new();
    r.read_to_end(&mut all).unwrap();
    assert!(all == data);
}

/// The read-back check reports the first differing content offset, in any block of any batch,
/// and a length difference at the shorter length.
#[test]
fn compare_with_reports_the_first_difference() {
    let data = content(3 * 4096 + 100, 5);
    let k = key();
    let file = encrypt(&data, &header(data.len() as u64, 4096), &k, options(2));
    let dec = Options {
        threads: 2,
        batch_bytes: 2 * 4096,
    };
    let compare = |original: &[u8]| {
        open(&file, &k)
            .unwrap()
            .compare_with(&mut &original[..], dec, &mut |_| {})
    };
    compare(&data).unwrap();
    for at in [0, 1, 4095, 4096, 2 * 4096 + 7, 3 * 4096, data.len() - 1] {
        let mut other = data.clone();
        other[at] ^= 0x40;
        let e = compare(&other).unwrap_err();
        assert!(
            matches!(e, Error::ContentMismatch { offset } if offset == at as u64),
            "{at}: {e:?}"
        );
    }
    for len in [0, 4095, 4096, 2 * 4096 + 1, data.len() - 1] {
        let e = compare(&data[..len]).unwrap_err();
        assert!(
            matches!(e, Error::ContentMismatch { offset } if offset == len as u64),
            "{len}: {e:?}"
        );
    }
    let mut longer = data.clone();
    longer.push(0);
    let e = compare(&longer).unwrap_err();
    assert!(matches!(e, Error::ContentMismatch { offset } if offset == data.len() as u64));
}
