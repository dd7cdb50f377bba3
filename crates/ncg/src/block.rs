//! Per-block encryption and integrity tags, and their parallel application to a batch of
//! consecutive block records (`ciphertext || tag`) held in one buffer.
//!
//! Block `i` covers content bytes `[i * B, min((i + 1) * B, size))`. Its AES-128-CTR keystream
//! starts at counter `IV + i * B / 16` (128-bit big-endian, wrapping), so the body is exactly
//! the AES-128-CTR encryption of the whole content with the key and IV, cut into blocks.
//! Its tag is `HMAC-SHA-256(K_block, header_mac || u64be(i) || ciphertext)[..16]`.

use aes::Aes128;
use cipher::{InnerIvInit, KeyInit, StreamCipher};
use hmac::Mac;

use crate::format::{HEADER_MAC_LEN, TAG_LEN};
use crate::kdf::{DerivedKeys, HmacSha256, new_hmac};
use crate::key::NcgKey;

type Aes128Ctr = ctr::Ctr128BE<Aes128>;

/// Everything needed to seal or open any block of one file.
#[derive(Clone)]
pub(crate) struct BlockCrypto {
    aes: Aes128,
    iv: u128,
    /// HMAC keyed with `K_block` that has already absorbed the header MAC.
    tag_prefix: HmacSha256,
    blocks_per_counter_step: u128,
}

impl BlockCrypto {
    pub(crate) fn new(
        key: &NcgKey,
        derived: &DerivedKeys,
        header_mac: &[u8; HEADER_MAC_LEN],
        block_size: u32,
    ) -> Self {
        let aes = Aes128::new(key.content_key().secret_bytes().into());
        let mut tag_prefix = new_hmac(&derived.block_key);
        tag_prefix.update(header_mac);
        BlockCrypto {
            aes,
            iv: u128::from_be_bytes(key.iv()),
            tag_prefix,
            blocks_per_counter_step: u128::from(block_size / 16),
        }
    }

    fn keystream(&self, index: u64) -> Aes128Ctr {
        let counter = self
            .iv
            .wrapping_add(u128::from(index).wrapping_mul(self.blocks_per_counter_step));
        Aes128Ctr::from_core(ctr::CtrCore::inner_iv_init(
            self.aes.clone(),
            &counter.to_be_bytes().into(),
        ))
    }

    fn tag_mac(&self, index: u64, ciphertext: &[u8]) -> HmacSha256 {
        let mut mac = self.tag_prefix.clone();
        mac.update(&index.to_be_bytes());
        mac.update(ciphertext);
        mac
    }

    /// Encrypts `data` in place and writes its tag.
    pub(crate) fn seal(&self, index: u64, data: &mut [u8], tag: &mut [u8]) {
        self.keystream(index).apply_keystream(data);
        let full = self.tag_mac(index, data).finalize().into_bytes();
        tag.copy_from_slice(&full[..TAG_LEN]);
    }

    /// Verifies the tag of the ciphertext in `data` (constant time), then decrypts in place.
    /// Returns false (leaving `data` encrypted) when the tag does not match.
    pub(crate) fn open(&self, index: u64, data: &mut [u8], tag: &[u8]) -> bool {
        if self
            .tag_mac(index, data)
            .verify_truncated_left(tag)
            .is_err()
        {
            return false;
        }
        self.keystream(index).apply_keystream(data);
        true
    }
}

/// Splits a buffer of consecutive records into `(index, data, tag)` triples. Every record but
/// the last holds `block_size` data bytes; the last may be shorter.
fn records(
    buf: &mut [u8],
    block_size: usize,
    first_index: u64,
) -> impl Iterator<Item = (u64, &mut [u8], &mut [u8])> {
    buf.chunks_mut(block_size + TAG_LEN)
        .zip(first_index..)
        .map(|(record, index)| {
            let split = record.len() - TAG_LEN;
            let (data, tag) = record.split_at_mut(split);
            (index, data, tag)
        })
}

/// Splits `buf` into at most `threads` runs of whole records and calls `work` on each run in
/// its own scoped thread (or inline when one thread suffices). `work` gets the run's first
/// block index and returns a value; the values are returned in block order.
fn for_each_run<T: Send>(
    buf: &mut [u8],
    block_size: usize,
    first_index: u64,
    threads: usize,
    work: impl Fn(&mut [u8], u64) -> T + Sync,
) -> Vec<T> {
    let record_len = block_size + TAG_LEN;
    let n_records = buf.len().div_ceil(record_len);
    let runs = threads.clamp(1, n_records.max(1));
    if runs == 1 {
        return vec![work(buf, first_index)];
    }
    let per_run = n_records.div_ceil(runs);
    std::thread::scope(|scope| {
        let handles: Vec<_> = buf
            .chunks_mut(per_run * record_len)
            .zip((first_index..).step_by(per_run))
            .map(|(run, index)| {
                let work = &work;
                scope.spawn(move || work(run, index))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Encrypts and tags every record of `buf` in place (plaintext in the data part, the tag part
/// is overwritten), using up to `threads` threads.
pub(crate) fn seal_records(
    crypto: &BlockCrypto,
    buf: &mut [u8],
    block_size: usize,
    first_index: u64,
    threads: usize,
) {
    for_each_run(buf, block_size, first_index, threads, |run, index| {
        for (i, data, tag) in records(run, block_size, index) {
            crypto.seal(i, data, tag);
        }
    });
}

/// Verifies and decrypts every record of `buf` in place. Returns the lowest failing block
/// index, if any (blocks after a failure in the same run are left undecrypted).
pub(crate) fn open_records(
    crypto: &BlockCrypto,
    buf: &mut [u8],
    block_size: usize,
    first_index: u64,
    threads: usize,
) -> Result<(), u64> {
    let failures = for_each_run(buf, block_size, first_index, threads, |run, index| {
        for (i, data, tag) in records(run, block_size, index) {
            if !crypto.open(i, data, tag) {
                return Some(i);
            }
        }
        None
    });
    match failures.into_iter().flatten().min() {
        Some(i) => Err(i),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypto(block_size: u32) -> BlockCrypto {
        let key = NcgKey::from_bytes(&[0x11; 32]);
        let derived = DerivedKeys::derive(&key, &[0x22; 16]);
        BlockCrypto::new(&key, &derived, &[0x33; 32], block_size)
    }

    /// The body is the plain AES-128-CTR stream: NIST SP 800-38A F.5.1 through block 0.
    #[test]
    fn block_zero_is_nist_ctr() {
        let mut cek = [0u8; 32];
        cek[..16].copy_from_slice(&mdrm_testkit::hex("2b7e151628aed2a6abf7158809cf4f3c"));
        cek[16..].copy_from_slice(&mdrm_testkit::hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"));
        let key = NcgKey::from_bytes(&cek);
        let derived = DerivedKeys::derive(&key, &[0; 16]);
        let c = BlockCrypto::new(&key, &derived, &[0; 32], 4096);
        let mut data =
            mdrm_testkit::hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let mut tag = [0u8; 16];
        c.seal(0, &mut data, &mut tag);
        assert_eq!(
            data,
            mdrm_testkit::hex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff")
        );
    }

    /// Block i's keystream continues block i-1's, including across the 128-bit wrap.
    #[test]
    fn blocks_continue_one_ctr_stream_and_wrap() {
        let mut cek = [0xffu8; 32];
        cek[..16].copy_from_slice(&[5; 16]);
        let key = NcgKey::from_bytes(&cek);
        let derived = DerivedKeys::derive(&key, &[0; 16]);
        let c = BlockCrypto::new(&key, &derived, &[0; 32], 4096);
        let mut whole = vec![0u8; 3 * 4096];
        c.keystream(0).apply_keystream(&mut whole);
        let mut tag = [0u8; 16];
        for i in 0..3usize {
            let mut part = vec![0u8; 4096];
            c.seal(i as u64, &mut part, &mut tag);
            assert_eq!(part, whole[i * 4096..(i + 1) * 4096]);
        }
    }

    #[test]
    fn open_detects_any_flip_and_wrong_index() {
        let c = crypto(4096);
        let plain: Vec<u8> = (0..100u8).collect();
        let mut data = plain.clone();
        let mut tag = [0u8; 16];
        c.seal(7, &mut data, &mut tag);
        let sealed = data.clone();
        assert!(!c.open(8, &mut data.clone(), &tag), "index is bound");
        for pos in [0, 50, 99] {
            let mut d = sealed.clone();
            d[pos] ^= 1;
            assert!(!c.open(7, &mut d, &tag));
        }
        let mut bad_tag = tag;
        bad_tag[15] ^= 0x80;
        assert!(!c.open(7, &mut data.clone(), &bad_tag));
        assert!(c.open(7, &mut data, &tag));
        assert_eq!(data, plain);
    }

    #[test]
    fn parallel_runs_equal_serial_and_report_lowest_failure() {
        let bs = 4096;
        let c = crypto(bs as u32);
        let content: Vec<u8> = (0..(bs * 9 + 123)).map(|i| (i % 253) as u8).collect();
        let layout = |content: &[u8]| {
            let mut buf = Vec::new();
            for chunk in content.chunks(bs) {
                buf.extend_from_slice(chunk);
                buf.extend_from_slice(&[0u8; TAG_LEN]);
            }
            buf
        };
        let mut serial = layout(&content);
        seal_records(&c, &mut serial, bs, 40, 1);
        for threads in [2, 3, 4, 16] {
            let mut par = layout(&content);
            seal_records(&c, &mut par, bs, 40, threads);
            assert!(par == serial, "threads {threads}: parallel output differs");
            let mut opened = par.clone();
            open_records(&c, &mut opened, bs, 40, threads).unwrap();
            let data: Vec<u8> = opened
                .chunks(bs + TAG_LEN)
                .flat_map(|r| r[..r.len() - TAG_LEN].to_vec())
                .collect();
            assert!(data == content, "threads {threads}: decrypted data differs");
        }
        let mut damaged = serial.clone();
        damaged[(bs + TAG_LEN) * 6 + 10] ^= 1;
        damaged[(bs + TAG_LEN) * 8 + 10] ^= 1;
        assert_eq!(open_records(&c, &mut damaged, bs, 40, 3), Err(46));
        let mut empty: Vec<u8> = Vec::new();
        seal_records(&c, &mut empty, bs, 0, 4);
        assert_eq!(open_records(&c, &mut empty, bs, 0, 4), Ok(()));
    }
}
