//! Bad input: wrong keys, damaged headers and bodies, reordered, foreign and truncated blocks.

mod common;

use std::io::{Read, Seek, SeekFrom};

use ncg::{Error, NcgKey, Options};

use common::{content, encrypt, header, key, open, options};

const SIZE: usize = 4096 * 5 + 1000;

fn sample() -> (Vec<u8>, Vec<u8>) {
    let data = content(SIZE, 0x33);
    let file = encrypt(&data, &header(SIZE as u64, 4096), &key(), options(2));
    (data, file)
}

fn header_len(file: &[u8]) -> usize {
    u32::from_be_bytes(file[12..16].try_into().unwrap()) as usize
}

fn record_offset(file: &[u8], index: usize) -> usize {
    header_len(file) + index * (4096 + 16)
}

fn read_all(file: &[u8], k: &NcgKey) -> ncg::Result<Vec<u8>> {
    let mut out = Vec::new();
    open(file, k)?.decrypt_to(&mut out, Options::default(), &mut |_| {})?;
    Ok(out)
}

#[test]
fn wrong_key_or_iv_is_refused_at_open() {
    let (_, file) = sample();
    let good: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(7));
    for byte in [0, 15, 16, 31] {
        let mut bad = good;
        bad[byte] ^= 1;
        assert!(
            matches!(open(&file, &NcgKey::from_bytes(&bad)), Err(Error::WrongKey)),
            "flipped CEK byte {byte}"
        );
    }
    let msg = open(&file, &NcgKey::from_bytes(&[0; 32]))
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("wrong key"), "{msg}");
}

#[test]
fn every_header_byte_is_protected() {
    let (_, file) = sample();
    let k = key();
    let h = header_len(&file);
    for pos in 0..h {
        for mask in [0x01u8, 0x80] {
            let mut bad = file.clone();
            bad[pos] ^= mask;
            let err = open(&bad, &k).err().unwrap_or_else(|| {
                panic!("flipping header byte {pos} with {mask:#x} went unnoticed")
            });
            let ok = match pos {
                0..=7 => matches!(err, Error::NotNcg),
                8 => matches!(err, Error::UnsupportedVersion { .. }),
                // The header length: damage can also read as a truncated file.
                12..=15 => matches!(err, Error::HeaderIntegrity | Error::Truncated { .. }),
                _ => matches!(err, Error::HeaderIntegrity),
            };
            assert!(ok, "byte {pos} mask {mask:#x}: {err}");
        }
    }
}

#[test]
fn flipped_body_byte_names_its_block_and_spares_the_others() {
    let (data, file) = sample();
    let k = key();
    for index in 0..6usize {
        let data_len = if index == 5 { 1000 } else { 4096 };
        // A byte in the ciphertext, then a byte in the tag.
        for within in [0, data_len - 1, data_len, data_len + 15] {
            let mut bad = file.clone();
            bad[record_offset(&file, index) + within] ^= 0x04;
            let mut r = open(&bad, &k).unwrap();
            // Other blocks still read fine.
            let other = (index + 1) % 6;
            r.seek(SeekFrom::Start(other as u64 * 4096)).unwrap();
            let mut b = [0u8; 10];
            r.read_exact(&mut b).unwrap();
            assert_eq!(b, data[other * 4096..other * 4096 + 10]);
            // The damaged one fails, naming the block, through Read too.
            r.seek(SeekFrom::Start(index as u64 * 4096 + 5)).unwrap();
            let io_err = r.read(&mut b).unwrap_err();
            assert_eq!(io_err.kind(), std::io::ErrorKind::InvalidData);
            match Error::from_io(&io_err) {
                Some(Error::BlockIntegrity { index: i, .. }) => assert_eq!(*i, index as u64),
                other => panic!("{other:?}"),
            }
            let msg = io_err.to_string();
            assert!(msg.contains(&format!("block {index}")), "{msg}");
            match read_all(&bad, &k) {
                Err(Error::BlockIntegrity {
                    index: i,
                    file_offset,
                    file_end,
                }) => {
                    assert_eq!(i, index as u64);
                    assert_eq!(file_offset, record_offset(&file, index) as u64);
                    assert_eq!(file_end - file_offset, data_len as u64 + 16);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn swapped_blocks_are_detected() {
    let (_, file) = sample();
    let mut bad = file.clone();
    let (a, b) = (record_offset(&file, 1), record_offset(&file, 2));
    let rec = 4096 + 16;
    bad[a..a + rec].copy_from_slice(&file[b..b + rec]);
    bad[b..b + rec].copy_from_slice(&file[a..a + rec]);
    assert!(matches!(
        read_all(&bad, &key()),
        Err(Error::BlockIntegrity { index: 1, .. })
    ));
}

#[test]
fn blocks_from_another_file_with_the_same_key_are_detected() {
    let data = content(SIZE, 0x33);
    let k = key();
    let h = header(SIZE as u64, 4096);
    let file = encrypt(&data, &h, &k, options(1));
    // Same key, same metadata and content; only the random file id differs.
    let mut h2 = h.clone();
    h2.file_id[0] ^= 1;
    let other = encrypt(&data, &h2, &k, options(1));
    let mut mixed = file.clone();
    let at = record_offset(&file, 3);
    mixed[at..at + 4112].copy_from_slice(&other[at..at + 4112]);
    assert!(matches!(
        read_all(&mixed, &k),
        Err(Error::BlockIntegrity { index: 3, .. })
    ));
}

#[test]
fn truncated_or_extended_files_are_refused_at_open() {
    let (_, file) = sample();
    let k = key();
    let h = header_len(&file);
    for len in [
        0,
        10,
        31,
        32,
        h - 1,
        h,
        h + 100,
        record_offset(&file, 5),
        file.len() - 1,
    ] {
        match open(&file[..len], &k) {
            Err(Error::Truncated { expected, actual }) => {
                assert_eq!(actual, len as u64, "len {len}");
                assert!(expected > actual);
            }
            other => panic!("len {len}: {:?}", other.err()),
        }
    }
    let mut longer = file.clone();
    longer.push(0);
    assert!(matches!(open(&longer, &k), Err(Error::TrailingData { .. })));
    assert!(matches!(open(b"", &k), Err(Error::Truncated { .. })));
}

#[test]
fn not_ncg_input_is_refused() {
    let mp4 =
        std::fs::read(mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")).unwrap();
    assert!(matches!(open(&mp4, &key()), Err(Error::NotNcg)));
}

#[test]
fn errors_never_show_key_material() {
    let (_, file) = sample();
    let k = key();
    let hex = keys::to_hex(k.content_key().secret_bytes());
    let b64 = keys::to_base64(k.content_key().secret_bytes());
    let mut bad = file.clone();
    let at = record_offset(&file, 0);
    bad[at] ^= 1;
    let errors = [
        open(&file, &NcgKey::from_bytes(&[1; 32])).err().unwrap(),
        read_all(&bad, &k).err().unwrap(),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&hex) && !text.contains(&b64), "{text}");
    }
}
