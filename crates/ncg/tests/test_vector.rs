//! The test vector of `docs/ncg-format.md` section "Test vector": the same inputs must give
//! exactly the published header, key check value and file hash.

use std::io::Cursor;

use keys::KeyId;
use ncg::{Header, NcgKey, Options, Reader, SiteId};
use sha2::{Digest, Sha256};

fn vector_key() -> NcgKey {
    let mut cek = [0u8; 32];
    cek[..16].copy_from_slice(&mdrm_testkit::hex("2b7e151628aed2a6abf7158809cf4f3c"));
    cek[16..].copy_from_slice(&mdrm_testkit::hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
    NcgKey::from_bytes(&cek)
}

fn vector_content() -> Vec<u8> {
    (0..10_000u32).map(|i| (i % 251) as u8).collect()
}

fn vector_header() -> Header {
    let mut h = Header::new(SiteId(*b"TEST"), "ncg-test-vector-1", 10_000).unwrap();
    h.license_url = "https://license.example/ncg".into();
    h.original_name = "vector.bin".into();
    h.mime_type = "application/octet-stream".into();
    h.block_size = 4096;
    h.packaged_at = 1_700_000_000;
    h.key_id = Some(KeyId::from_hex("abba271e8bcf552bbd2e86a434a9a5d9").unwrap());
    h.file_id
        .copy_from_slice(&mdrm_testkit::hex("00112233445566778899aabbccddeeff"));
    h.set_text_extension(ncg::format::EXTENSION_SOURCE, "mdrm test vector");
    h
}

fn vector_file(threads: usize) -> Vec<u8> {
    let options = Options {
        threads,
        batch_bytes: 4096,
    };
    ncg::encrypt(
        &mut &vector_content()[..],
        Vec::new(),
        &vector_header(),
        &vector_key(),
        options,
        &mut |_| {},
    )
    .unwrap()
}

/// The published values (docs/ncg-format.md, "Test vector"), checked independently with
/// `scripts/verify-ncg.py` (Python hashlib/hmac + `openssl enc -aes-128-ctr`).
const HEADER_HEX: &str = concat!(
    "894e43470d0a1a0a01000001000000e5bd78f2c1e3bca6981e941b1e11bbbebb01000010000000000000002710",
    "000000006553f10000112233445566778899aabbccddeeffabba271e8bcf552bbd2e86a434a9a5d954455354",
    "116e63672d746573742d766563746f722d31001b68747470733a2f2f6c6963656e73652e6578616d706c652f",
    "6e6367000a766563746f722e62696e186170706c69636174696f6e2f6f637465742d73747265616d00000014",
    "000100106d64726d207465737420766563746f7269409bd741d0db42dcd59dbd0eb62189eb6b5fa9045289fa",
    "2393daa01ee6d86b",
);
const KEY_CHECK_VALUE: &str = "bd78f2c1e3bca6981e941b1e11bbbebb";
const FILE_LEN: usize = 10_277;
const FILE_SHA256: &str = "3b7a27471aa583bff9a3a2d9898a2cda27ecb23bf258b4da1edf1bcbc9e42822";
const BODY_CIPHERTEXT_SHA256: &str =
    "c13e3183af801e364bb235386828de9d79ca14f8ec13e962ed025b8386148433";
const TAGS: [&str; 3] = [
    "3e5b98b4bee1ce4beb246328d74ba43c",
    "68903314703c552e7aeb56e813eb1646",
    "58f04e4f9d6882a9742a1533b41e77f9",
];

#[test]
fn writer_reproduces_the_published_vector() {
    for threads in [1, 3] {
        let file = vector_file(threads);
        assert_eq!(file.len(), FILE_LEN);
        let header = mdrm_testkit::hex(HEADER_HEX);
        assert_eq!(keys::to_hex(&file[..header.len()]), HEADER_HEX);
        assert_eq!(keys::to_hex(&file[16..32]), KEY_CHECK_VALUE);
        assert_eq!(keys::to_hex(&Sha256::digest(&file)), FILE_SHA256);
        let mut ciphertext = Vec::new();
        for (i, record) in file[header.len()..].chunks(4096 + 16).enumerate() {
            let (ct, tag) = record.split_at(record.len() - 16);
            assert_eq!(keys::to_hex(tag), TAGS[i], "tag of block {i}");
            ciphertext.extend_from_slice(ct);
        }
        assert_eq!(
            keys::to_hex(&Sha256::digest(&ciphertext)),
            BODY_CIPHERTEXT_SHA256
        );
    }
}

#[test]
fn reader_decrypts_the_published_vector() {
    let file = vector_file(1);
    let mut reader = Reader::open(Cursor::new(&file), &vector_key()).unwrap();
    assert_eq!(reader.header(), &vector_header());
    let mut out = Vec::new();
    reader
        .decrypt_to(&mut out, Options::default(), &mut |_| {})
        .unwrap();
    assert_eq!(out, vector_content());
}

/// The first 16 ciphertext bytes are the NIST SP 800-38A F.5.1 keystream XOR the content:
/// the body is plain AES-128-CTR with the key and IV.
#[test]
fn body_starts_with_the_nist_keystream() {
    let file = vector_file(1);
    let keystream = mdrm_testkit::hex("ec8cdf7398607cb0f2d21675ea9ea1e4");
    let header_len = HEADER_HEX.len() / 2;
    let content = vector_content();
    for i in 0..16 {
        assert_eq!(file[header_len + i], content[i] ^ keystream[i]);
    }
}

/// The independent implementation (scripts/verify-ncg.py: Python hashlib/hmac for HKDF and the
/// MACs, `openssl enc -aes-128-ctr` for the body) accepts the vector file and reports the same
/// ciphertext hash.
#[test]
fn independent_verifier_accepts_the_vector() {
    if mdrm_testkit::tool("python3", None).is_none()
        || mdrm_testkit::tool("openssl", None).is_none()
    {
        return;
    }
    let dir = mdrm_testkit::temp_dir();
    let file = dir.path().join("vector.ncg");
    let original = dir.path().join("vector.bin");
    std::fs::write(&file, vector_file(1)).unwrap();
    std::fs::write(&original, vector_content()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(mdrm_testkit::workspace_root().join("scripts/verify-ncg.py"))
        .arg(&file)
        .arg("--key")
        .arg("K34VFiiu0qar9xWICc9PPPDx8vP09fb3+Pn6+/z9/v8=")
        .arg("--original")
        .arg(&original)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(BODY_CIPHERTEXT_SHA256), "{text}");
    assert!(
        text.contains("\"content_id\": \"ncg-test-vector-1\""),
        "{text}"
    );
}
