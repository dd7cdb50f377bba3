//! The AES engines behind every scheme, working in place on the protected ranges of a sample.
//!
//! - CTR (`cenc`, `cens`): `ctr::Ctr64BE<Aes128>`, so the low 64 bits of the counter block
//!   count blocks and wrap without carrying into the high half, as Shaka Packager does. The key
//!   stream runs on across all protected ranges of one sample (and, with a pattern, across the
//!   encrypted blocks only).
//! - CBC (`cbc1`, `cbcs`): `cbc::Encryptor`/`Decryptor`. The chain runs through the encrypted
//!   blocks only; `cbcs` restarts it from the IV at every protected range, `cbc1` does not.
//!   Partial trailing blocks stay clear.
//!
//! AES itself is the `aes` crate, which picks AES-NI (x86) or the ARMv8 crypto extensions at
//! run time; [`aes_hardware_accelerated`] reports whether it did.

use std::ops::Range;

use aes::{Aes128Dec, Aes128Enc};
use cipher::array::Array;
use cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit, StreamCipher};
use ctr::CtrCore;
use keys::ContentKey;

use crate::scheme::Pattern;
use crate::subsample::BLOCK;

type CtrCipher = cipher::StreamCipherCoreWrapper<CtrCore<Aes128Enc, ctr::flavors::Ctr64BE>>;

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
        use cipher::BlockCipherEncrypt;
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
fn crypt_groups(
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

/// AES-CTR over the protected `ranges` of `data`, key stream continuous across them.
/// Returns the number of 16-byte key stream blocks started (for 16-byte IV advancing).
pub(crate) fn ctr_apply(
    key: &EncryptKey,
    counter: [u8; 16],
    data: &mut [u8],
    ranges: impl Iterator<Item = Range<usize>>,
    pattern: Pattern,
) -> u64 {
    let mut ctr =
        CtrCipher::from_core(CtrCore::inner_iv_init(key.0.clone(), &Array::from(counter)));
    let mut bytes: u64 = 0;
    for range in ranges {
        for g in crypt_groups(range, pattern, true) {
            bytes += (g.end - g.start) as u64;
            ctr.apply_keystream(&mut data[g]);
        }
    }
    bytes.div_ceil(BLOCK as u64)
}

/// AES-CBC encryption of the protected `ranges` of `data`, chained through encrypted blocks
/// only. `reset_per_range`: restart from `iv` at every range (`cbcs`) or chain on (`cbc1`).
pub(crate) fn cbc_encrypt(
    key: &EncryptKey,
    iv: [u8; 16],
    data: &mut [u8],
    ranges: impl Iterator<Item = Range<usize>>,
    pattern: Pattern,
    reset_per_range: bool,
) {
    let iv = Array::from(iv);
    let mut enc = cbc::Encryptor::inner_iv_init(key.0.clone(), &iv);
    for range in ranges {
        if reset_per_range {
            enc = cbc::Encryptor::inner_iv_init(key.0.clone(), &iv);
        }
        for g in crypt_groups(range, pattern, false) {
            let (blocks, _) = Array::slice_as_chunks_mut(&mut data[g]);
            enc.encrypt_blocks(blocks);
        }
    }
}

/// AES-CBC decryption, the inverse of [`cbc_encrypt`].
pub(crate) fn cbc_decrypt(
    key: &DecryptKey,
    iv: [u8; 16],
    data: &mut [u8],
    ranges: impl Iterator<Item = Range<usize>>,
    pattern: Pattern,
    reset_per_range: bool,
) {
    let iv = Array::from(iv);
    let mut dec = cbc::Decryptor::inner_iv_init(key.0.clone(), &iv);
    for range in ranges {
        if reset_per_range {
            dec = cbc::Decryptor::inner_iv_init(key.0.clone(), &iv);
        }
        for g in crypt_groups(range, pattern, false) {
            let (blocks, _) = Array::slice_as_chunks_mut(&mut data[g]);
            dec.decrypt_blocks(blocks);
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
            let blocks = ctr_apply(&k, ctr, &mut data, ranges.into_iter(), Pattern::NONE);
            assert_eq!(data, expected, "split {split:?}");
            assert_eq!(blocks, 4);
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
        cbc_encrypt(
            &EncryptKey::new(&k),
            iv,
            &mut data,
            std::iter::once(0..64),
            Pattern::NONE,
            true,
        );
        assert_eq!(data, ct);
        cbc_decrypt(
            &DecryptKey::new(&k),
            iv,
            &mut data,
            std::iter::once(0..64),
            Pattern::NONE,
            true,
        );
        assert_eq!(data, hex(NIST_PT));
    }

    /// The `aes` crate's run-time detection agrees with the CPU flags the kernel reports.
    #[test]
    fn hardware_aes_detection_matches_cpu_flags() {
        let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else {
            eprintln!("SKIPPED: no /proc/cpuinfo");
            return;
        };
        let has_aes = cpuinfo.lines().any(|l| {
            (l.starts_with("flags") || l.starts_with("Features"))
                && l.split_whitespace().any(|f| f == "aes")
        });
        assert_eq!(aes_hardware_accelerated(), has_aes);
    }
}
