//! Sample-by-sample decryption of all four schemes.

use keys::{ContentKey, Iv};

use crate::aux_info::SampleAuxInfo;
use crate::crypto::{DecryptKey, EncryptKey, RangeCipher};
use crate::error::CencError;
use crate::scheme::{Pattern, Scheme};
use crate::subsample::{check_coverage, protected_ranges};

/// Decrypts samples of one key in place from their `senc` records.
///
/// The same subsample and pattern logic as [`SampleEncryptor`](crate::SampleEncryptor):
/// an empty subsample list means the whole sample is protected (whole blocks only for the
/// CBC schemes). With the wrong key the output is garbage, never a panic.
#[derive(Clone)]
pub struct SampleDecryptor {
    scheme: Scheme,
    pattern: Pattern,
    constant_iv: Option<Iv>,
    key: SchemeKey,
}

/// The expanded key in the direction the scheme needs.
#[derive(Clone)]
enum SchemeKey {
    /// CTR decrypts by encrypting the counter blocks.
    Ctr(EncryptKey),
    /// CBC decrypts with the inverse cipher.
    Cbc(DecryptKey),
}

impl std::fmt::Debug for SampleDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleDecryptor")
            .field("scheme", &self.scheme)
            .field("pattern", &self.pattern)
            .field("constant_iv", &self.constant_iv)
            .finish_non_exhaustive()
    }
}

impl SampleDecryptor {
    /// A decryptor for `scheme` with `key`. `pattern` comes from `tenc`/`seig` v1 (it is
    /// ignored for `cenc` and `cbc1`, where those bits are reserved); `constant_iv` from
    /// `tenc` when its per-sample IV size is 0.
    pub fn new(
        scheme: Scheme,
        key: &ContentKey,
        pattern: Pattern,
        constant_iv: Option<Iv>,
    ) -> Result<Self, CencError> {
        let pattern = if scheme.uses_pattern() {
            pattern
        } else {
            Pattern::NONE
        };
        let key = if scheme.is_ctr() {
            SchemeKey::Ctr(EncryptKey::new(key))
        } else {
            SchemeKey::Cbc(DecryptKey::new(key))
        };
        Ok(SampleDecryptor {
            scheme,
            pattern,
            constant_iv,
            key,
        })
    }

    /// Decrypts `sample` in place. `aux.iv` overrides the constant IV when present.
    pub fn decrypt_sample(&self, sample: &mut [u8], aux: &SampleAuxInfo) -> Result<(), CencError> {
        if !aux.subsamples.is_empty() {
            check_coverage(&aux.subsamples, sample.len())?;
        }
        let iv = aux.iv.or(self.constant_iv).ok_or(CencError::MissingIv)?;
        let block = iv.to_block();
        let ranges = protected_ranges(&aux.subsamples, sample.len());
        let mut cipher = match &self.key {
            SchemeKey::Ctr(k) => RangeCipher::ctr(k, block, self.pattern),
            SchemeKey::Cbc(k) => {
                RangeCipher::cbc_decrypt(k, block, self.pattern, self.scheme == Scheme::Cbcs)
            }
        };
        cipher.apply_all(sample, ranges);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subsample::Subsample;
    use mdrm_testkit::hex;

    fn key() -> ContentKey {
        ContentKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
    }

    /// protocols.md §7.2 (computed with a stock AES library): cenc, 8-byte IV, two subsamples.
    #[test]
    fn cenc_subsample_vector_7_2() {
        let aux = SampleAuxInfo {
            iv: Some(Iv::from_hex("0001020304050607").unwrap()),
            subsamples: vec![Subsample::new(20, 48), Subsample::new(16, 16)],
        };
        let plain: Vec<u8> = (0u8..100).collect();
        let cipher = hex("000102030405060708090a0b0c0d0e0f10111213\
             89d79520cecaaea52410c932ae7de386343ce1a6a87c7a7af5a78f903d0c9c60\
             2821a454b88dfca45423907b4db8b1a3\
             4445464748494a4b4c4d4e4f50515253\
             1baa4623e69786ceac5d6c19fb4593a6");
        let dec = SampleDecryptor::new(Scheme::Cenc, &key(), Pattern::NONE, None).unwrap();
        let mut s = cipher.clone();
        dec.decrypt_sample(&mut s, &aux).unwrap();
        assert_eq!(s, plain);
    }

    /// protocols.md §7.3: cbcs 1:9 over a 180-byte protected range; a second identical
    /// subsample encrypts identically because the IV restarts.
    #[test]
    fn cbcs_pattern_vector_7_3() {
        let iv = Iv::from_hex("00112233445566778899aabbccddeeff").unwrap();
        let range: Vec<u8> = (0u8..180).collect();
        let expected = hex("76d0627da1d290436e21a4af7fca94b7\
             101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\
             303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f\
             505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f\
             707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f\
             909192939495969798999a9b9c9d9e9f\
             67f97d6dde1cc8ccd922d8bb16fc401a\
             b0b1b2b3");
        let mut sample = [vec![0xEE; 5], range.clone(), vec![0xDD; 3], range.clone()].concat();
        let aux = SampleAuxInfo {
            iv: None,
            subsamples: vec![Subsample::new(5, 180), Subsample::new(3, 180)],
        };
        let dec = SampleDecryptor::new(Scheme::Cbcs, &key(), Pattern::VIDEO_1_9, Some(iv)).unwrap();
        let mut encrypted = sample.clone();
        // Encrypt with the engine directly (the encryptor needs a NAL track for subsamples).
        let k = EncryptKey::new(&key());
        RangeCipher::cbc_encrypt(&k, iv.to_block(), Pattern::VIDEO_1_9, true).apply_all(
            &mut encrypted,
            protected_ranges(&aux.subsamples, sample.len()),
        );
        assert_eq!(&encrypted[5..185], &expected[..]);
        assert_eq!(&encrypted[188..], &expected[..]);
        dec.decrypt_sample(&mut encrypted, &aux).unwrap();
        assert_eq!(encrypted, sample);
        sample.truncate(10);
        assert!(matches!(
            dec.decrypt_sample(&mut sample, &aux),
            Err(CencError::SubsampleMismatch { .. })
        ));
    }

    #[test]
    fn missing_iv_is_an_error() {
        let dec = SampleDecryptor::new(Scheme::Cenc, &key(), Pattern::NONE, None).unwrap();
        let mut s = vec![0u8; 16];
        assert!(matches!(
            dec.decrypt_sample(&mut s, &SampleAuxInfo::default()),
            Err(CencError::MissingIv)
        ));
    }
}
