//! The AES engines behind every scheme, working in place on the protected ranges of a sample.
//!
//! - CTR (`cenc`, `cens`): the counter block's low 64 bits count blocks and wrap without
//!   carrying into the high half, as Shaka Packager does (`ctr::Ctr64BE` semantics). The key
//!   stream runs on across all protected ranges of one sample (and, with a pattern, across
//!   the encrypted blocks only). Key stream is generated in batches of the AES backend's
//!   parallel width (8 blocks with AES-NI, 30 with VAES) and XORed in 16-byte words.
//! - CBC (`cbc1`, `cbcs`): the chain runs through the encrypted blocks only; `cbcs` restarts
//!   it from the IV at every protected range, `cbc1` does not. Partial trailing blocks stay
//!   clear. Decryption runs the backend's parallel path across pattern gaps.
//!
//! Both run inside one `aes` backend call per sample, so the CPU feature dispatch is not
//! repeated per block. AES itself is the `aes` crate, which picks AES-NI/VAES (x86) or the
//! ARMv8 crypto extensions at run time; [`aes_hardware_accelerated`] reports whether it did.

mod cbc;
mod ctr;

use std::ops::Range;

use aes::{Aes128Dec, Aes128Enc};
use cipher::array::Array;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use keys::ContentKey;

use crate::scheme::Pattern;
use crate::subsample::BLOCK;

/// True when AES runs on the CPU's AES instructions (AES-NI on x86-64, the crypto extensions
/// on AArch64), false when the `aes` crate fell back to its constant-time software code.
///
/// The `aes` crate decides this once, at run time (`cpufeatures`); this function asks it.
pub fn aes_hardware_accelerated() -> bool {
    aes::hardware_accelerated()
}

/// Expanded encryption round keys of one content key.
#[derive(Clone)]
pub(crate) struct EncryptKey(Aes128Enc);

impl EncryptKey {
    pub(crate) fn new(key: &ContentKey) -> Self {
        EncryptKey(Aes128Enc::new(&Array::from(*key.secret_bytes())))
    }

    /// Encrypts one 16-byte block (used by the PlayReady checksum).
    pub(crate) fn encrypt_block(&self, block: &mut [u8; 16]) {
        let mut b = Array::from(*block);
        self.0.encrypt_block(&mut b);
        block.copy_from_slice(&b);
    }
}

/// Expanded decryption round keys of one content key.
#[derive(Clone)]
pub(crate) struct DecryptKey(Aes128Dec);

impl DecryptKey {
    pub(crate) fn new(key: &ContentKey) -> Self {
        DecryptKey(Aes128Dec::new(&Array::from(*key.secret_bytes())))
    }
}

/// The parts of `range` that a pattern encrypts, in order.
///
/// `partial_tail`: whether a trailing partial block is processed when there is no pattern
/// (true for CTR, false for CBC).
pub(crate) fn crypt_groups(
    range: Range<usize>,
    pattern: Pattern,
    partial_tail: bool,
) -> impl Iterator<Item = Range<usize>> {
    let len = range.end - range.start;
    let (group, period) = if pattern.is_none() {
        let whole = if partial_tail {
            len
        } else {
            len / BLOCK * BLOCK
        };
        (whole, whole.max(1))
    } else {
        let crypt = usize::from(pattern.crypt_blocks()) * BLOCK;
        (crypt, crypt + usize::from(pattern.skip_blocks()) * BLOCK)
    };
    let start = range.start;
    (0..len)
        .step_by(period)
        .take_while(move |&off| group > 0 && off + group <= len)
        .map(move |off| start + off..start + off + group)
}

/// One AES block.
pub(crate) type AesBlock = aes::Block;

/// XORs 16 bytes of key stream (or chain value) into `data`.
#[inline(always)]
pub(crate) fn xor16(data: &mut [u8], with: &[u8; 16]) {
    let d: &mut [u8; 16] = data.try_into().expect("16-byte block");
    *d = (u128::from_ne_bytes(*d) ^ u128::from_ne_bytes(*with)).to_ne_bytes();
}

/// Processes the protected ranges of one sample one at a time, in order, carrying the scheme's
/// state from range to range: the CTR key stream position, or the CBC chain (restarted from
/// the IV at each range for `cbcs`, carried on for `cbc1`).
pub(crate) struct RangeCipher<'k> {
    mode: Mode<'k>,
    pattern: Pattern,
    blocks: u64,
}

enum Mode<'k> {
    Ctr(&'k EncryptKey, ctr::Keystream),
    CbcEncrypt(&'k EncryptKey, Chain),
    CbcDecrypt(&'k DecryptKey, Chain),
}

/// A CBC chain value and the IV it restarts from.
struct Chain {
    iv: [u8; 16],
    value: [u8; 16],
    reset_per_range: bool,
}

impl Chain {
    fn new(iv: [u8; 16], reset_per_range: bool) -> Self {
        Chain {
            iv,
            value: iv,
            reset_per_range,
        }
    }

    fn start_range(&mut self) -> &mut [u8; 16] {
        if self.reset_per_range {
            self.value = self.iv;
        }
        &mut self.value
    }
}

impl<'k> RangeCipher<'k> {
    /// AES-CTR from `counter` (CTR is its own inverse).
    pub(crate) fn ctr(key: &'k EncryptKey, counter: [u8; 16], pattern: Pattern) -> Self {
        RangeCipher {
            mode: Mode::Ctr(key, ctr::Keystream::new(counter)),
            pattern,
            blocks: 0,
        }
    }

    /// AES-CBC encryption from `iv`; `reset_per_range` for `cbcs`.
    pub(crate) fn cbc_encrypt(
        key: &'k EncryptKey,
        iv: [u8; 16],
        pattern: Pattern,
        reset_per_range: bool,
    ) -> Self {
        RangeCipher {
            mode: Mode::CbcEncrypt(key, Chain::new(iv, reset_per_range)),
            pattern,
            blocks: 0,
        }
    }

    /// AES-CBC decryption from `iv`; `reset_per_range` for `cbcs`.
    pub(crate) fn cbc_decrypt(
        key: &'k DecryptKey,
        iv: [u8; 16],
        pattern: Pattern,
        reset_per_range: bool,
    ) -> Self {
        RangeCipher {
            mode: Mode::CbcDecrypt(key, Chain::new(iv, reset_per_range)),
            pattern,
            blocks: 0,
        }
    }

    /// Processes the next protected range.
    pub(crate) fn apply(&mut self, range: &mut [u8]) {
        let pattern = self.pattern;
        match &mut self.mode {
            Mode::Ctr(key, ks) => {
                key.0.encrypt_with_backend(ctr::CtrRangeJob {
                    data: range,
                    keystream: ks,
                    pattern,
                });
                self.blocks = ks.blocks();
            }
            Mode::CbcEncrypt(key, chain) => {
                let blocks = &mut self.blocks;
                key.0.encrypt_with_backend(cbc::CbcEncryptRange {
                    data: range,
                    chain: chain.start_range(),
                    pattern,
                    blocks,
                });
            }
            Mode::CbcDecrypt(key, chain) => {
                let blocks = &mut self.blocks;
                key.0.decrypt_with_backend(cbc::CbcDecryptRange {
                    data: range,
                    chain: chain.start_range(),
                    pattern,
                    blocks,
                });
            }
        }
    }

    /// 16-byte blocks processed so far (CTR: key stream blocks started), for IV advancing.
    pub(crate) fn blocks(&self) -> u64 {
        self.blocks
    }

    /// Processes every range of `ranges` (positions in `data`) in order.
    pub(crate) fn apply_all(
        &mut self,
        data: &mut [u8],
        ranges: impl Iterator<Item = Range<usize>>,
    ) {
        for r in ranges {
            self.apply(&mut data[r]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;

    fn key(h: &str) -> ContentKey {
        ContentKey::from_hex(h).unwrap()
    }

    fn groups(len: usize, p: Pattern, partial: bool) -> Vec<Range<usize>> {
        crypt_groups(100..100 + len, p, partial).collect()
    }

    #[test]
    fn pattern_groups() {
        // 1:9 over 11 blocks + 4 bytes: blocks 0 and 10 (protocols.md 7.3).
        assert_eq!(
            groups(180, Pattern::VIDEO_1_9, false),
            vec![100..116, 260..276]
        );
        // Shaka's mock pattern test (crypt 2, skip 1), 7 blocks: 0-1 and 3-4; block 6 stays
        // clear because fewer than 2 blocks remain.
        assert_eq!(
            groups(112, Pattern::new(2, 1).unwrap(), false),
            vec![100..132, 148..180]
        );
        assert_eq!(groups(37, Pattern::NONE, false), vec![100..132]);
        assert_eq!(groups(37, Pattern::NONE, true), vec![100..137]);
        assert!(groups(15, Pattern::NONE, false).is_empty());
        assert!(groups(0, Pattern::NONE, true).is_empty());
        assert!(groups(15, Pattern::VIDEO_1_9, false).is_empty());
    }

    /// NIST SP 800-38A, F.5.1 CTR-AES128.Encrypt (also Shaka `aes_cryptor_unittest.cc`,
    /// protocols.md §7.1).
    const NIST_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const NIST_CTR: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    const NIST_PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                           30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    const NIST_CTR_CT: &str = "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
                               5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee";

    #[test]
    fn nist_ctr_f51_whole_and_split_at_arbitrary_points() {
        let k = EncryptKey::new(&key(NIST_KEY));
        let ctr: [u8; 16] = hex(NIST_CTR).try_into().unwrap();
        let expected = hex(NIST_CTR_CT);
        // Splits from protocols.md §7.1 (Shaka's subsample test): the key stream continues.
        let splits: [&[usize]; 4] = [
            &[64],
            &[13, 51],
            &[3, 16, 45],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9],
        ];
        for split in splits {
            let mut data = hex(NIST_PT);
            let mut ranges = Vec::new();
            let mut at = 0;
            for &n in split {
                ranges.push(at..at + n);
                at += n;
            }
            let mut c = RangeCipher::ctr(&k, ctr, Pattern::NONE);
            c.apply_all(&mut data, ranges.into_iter());
            assert_eq!(data, expected, "split {split:?}");
            assert_eq!(c.blocks(), 4);
        }
    }

    /// NIST SP 800-38A, F.2.1 CBC-AES128.Encrypt and F.2.2 CBC-AES128.Decrypt.
    #[test]
    fn nist_cbc_f21_f22() {
        let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let ct = hex(
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                      73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        let mut data = hex(NIST_PT);
        let k = key(NIST_KEY);
        let ek = EncryptKey::new(&k);
        RangeCipher::cbc_encrypt(&ek, iv, Pattern::NONE, true).apply(&mut data);
        assert_eq!(data, ct);
        let dk = DecryptKey::new(&k);
        RangeCipher::cbc_decrypt(&dk, iv, Pattern::NONE, true).apply(&mut data);
        assert_eq!(data, hex(NIST_PT));
    }

    type RefCtr = ::ctr::Ctr64BE<aes::Aes128>;

    fn reference_ctr(key: &[u8; 16], counter: &[u8; 16], data: &mut [u8]) {
        use cipher::{KeyIvInit, StreamCipher};
        RefCtr::new(&Array::from(*key), &Array::from(*counter)).apply_keystream(data);
    }

    /// The counter's low 64 bits wrap without carrying (Shaka's
    /// `128BitIVBoundaryCaseEncryption`, protocols.md §1.2), exactly like `ctr::Ctr64BE`.
    #[test]
    fn ctr_low_half_wraps_like_shaka() {
        let key = [9u8; 16];
        let mut counter = [0u8; 16];
        counter[8..].copy_from_slice(&[0xff; 8]);
        counter[0] = 0x42;
        let mut ours = vec![0u8; 48];
        let mut reference = ours.clone();
        let k = EncryptKey::new(&ContentKey::new(key));
        RangeCipher::ctr(&k, counter, Pattern::NONE).apply(&mut ours);
        reference_ctr(&key, &counter, &mut reference);
        assert_eq!(ours, reference);
        // Block 1 is the key stream of 42 00.. 00 (low half wrapped to zero, high unchanged).
        let mut wrapped = [0u8; 16];
        wrapped[0] = 0x42;
        let mut block = [0u8; 16];
        reference_ctr(&key, &wrapped, &mut block);
        assert_eq!(&ours[16..32], &block);
    }

    proptest::proptest! {
        /// Batched CTR equals the RustCrypto `ctr` crate over the concatenated ranges.
        #[test]
        fn batched_ctr_matches_ctr_crate(
            key in proptest::prelude::any::<[u8; 16]>(),
            counter in proptest::prelude::any::<[u8; 16]>(),
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            cuts in proptest::collection::vec(0usize..3000, 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            let ranges: Vec<Range<usize>> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
            let mut ours = data.clone();
            let k = EncryptKey::new(&ContentKey::new(key));
            let mut c = RangeCipher::ctr(&k, counter, Pattern::NONE);
            c.apply_all(&mut ours, ranges.into_iter());
            let mut reference = data.clone();
            reference_ctr(&key, &counter, &mut reference);
            proptest::prop_assert_eq!(ours, reference);
            proptest::prop_assert_eq!(c.blocks(), data.len().div_ceil(16) as u64);
        }

        /// CBC over whole blocks equals the RustCrypto `cbc` crate, both ways.
        #[test]
        fn cbc_matches_cbc_crate(
            key in proptest::prelude::any::<[u8; 16]>(),
            iv in proptest::prelude::any::<[u8; 16]>(),
            blocks in 0usize..200,
            seed in proptest::prelude::any::<u8>(),
        ) {
            use cipher::{BlockModeEncrypt, KeyIvInit};
            let data: Vec<u8> = (0..blocks * 16).map(|i| (i as u8).wrapping_mul(seed)).collect();
            let k = ContentKey::new(key);
            let mut ours = data.clone();
            let ek = EncryptKey::new(&k);
            RangeCipher::cbc_encrypt(&ek, iv, Pattern::NONE, true).apply(&mut ours);
            let mut reference = data.clone();
            let (chunks, _) = Array::slice_as_chunks_mut(&mut reference);
            ::cbc::Encryptor::<aes::Aes128>::new(&Array::from(key), &Array::from(iv))
                .encrypt_blocks(chunks);
            proptest::prop_assert_eq!(&ours, &reference);
            let dk = DecryptKey::new(&k);
            RangeCipher::cbc_decrypt(&dk, iv, Pattern::NONE, true).apply(&mut ours);
            proptest::prop_assert_eq!(ours, data);
        }
    }

    /// The `aes` crate's run-time detection agrees with the CPU flags the kernel reports.
    #[test]
    #[cfg(target_os = "linux")]
    fn hardware_aes_detection_matches_cpu_flags() {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").expect("Linux has /proc/cpuinfo");
        let has_aes = cpuinfo.lines().any(|l| {
            (l.starts_with("flags") || l.starts_with("Features"))
                && l.split_whitespace().any(|f| f == "aes")
        });
        assert_eq!(aes_hardware_accelerated(), has_aes);
    }
}
