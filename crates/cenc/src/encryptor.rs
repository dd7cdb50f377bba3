//! Sample-by-sample encryption of one track.

use keys::{ContentKey, Iv, KeyId};

use crate::aux_info::{SampleAuxInfo, SencLayout};
use crate::codec::TrackCodec;
use crate::crypto::{DecryptKey, EncryptKey, RangeCipher};
use crate::error::CencError;
use crate::iv::{IvPolicy, IvSequence};
use crate::scheme::{Pattern, Scheme};
use crate::subsample::{check_coverage, protected_ranges};
use std::ops::Range;

/// Everything an encryptor needs for one track.
#[derive(Clone, Debug)]
pub struct EncryptorConfig {
    /// The protection scheme.
    pub scheme: Scheme,
    /// The key's id (`tenc` `default_KID`).
    pub kid: KeyId,
    /// The content key.
    pub key: ContentKey,
    /// How IVs are chosen.
    pub iv: IvPolicy,
    /// The crypt:skip pattern; `None` picks the default: 1:9 for video and 0:0 (every block)
    /// for audio with `cbcs`/`cens`, none for `cenc`/`cbc1`.
    pub pattern: Option<Pattern>,
    /// The codec, with its parameter sets.
    pub codec: TrackCodec,
}

/// What the `tenc` box (or a `seig` group entry) of an encrypted track must say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackEncryptionInfo {
    /// The protection scheme (`schm`).
    pub scheme: Scheme,
    /// `default_KID`.
    pub kid: KeyId,
    /// `default_crypt_byte_block` / `default_skip_byte_block` (0:0 for tenc v0).
    pub pattern: Pattern,
    /// `default_Per_Sample_IV_Size` (0 with a constant IV).
    pub per_sample_iv_size: u8,
    /// `default_constant_IV` when `per_sample_iv_size` is 0.
    pub constant_iv: Option<Iv>,
    /// Whether `senc` entries carry subsample maps (video).
    pub subsamples: bool,
}

impl TrackEncryptionInfo {
    /// The `tenc` version: 1 for pattern schemes (`cens`, `cbcs`), else 0.
    pub fn tenc_version(&self) -> u8 {
        self.scheme.tenc_version()
    }

    /// The layout of this track's `senc` entries.
    pub fn senc_layout(&self) -> SencLayout {
        SencLayout {
            per_sample_iv_size: self.per_sample_iv_size,
            subsamples: self.subsamples,
        }
    }
}

/// Encrypts the samples of one track in place, in decoding order, and produces each sample's
/// `senc` record. Holds the track's parameter-set state, so feed it every sample.
///
/// One pass per sample: each NAL unit is parsed and its protected range encrypted right away,
/// while its bytes are in cache. No allocation per sample: the subsample list of the caller's
/// [`SampleAuxInfo`] is reused. On error the sample is restored (the ranges already encrypted
/// are decrypted again) and left as it was.
#[derive(Clone)]
pub struct SampleEncryptor {
    scheme: Scheme,
    kid: KeyId,
    key: EncryptKey,
    /// CBC schemes: the inverse cipher, to restore a sample whose map failed half way.
    undo_key: Option<DecryptKey>,
    /// Ranges encrypted so far in the current sample (reused buffer).
    done: Vec<Range<usize>>,
    pattern: Pattern,
    iv: IvSequence,
    constant_iv: Option<Iv>,
    per_sample_iv_size: u8,
    codec: TrackCodec,
}

impl std::fmt::Debug for SampleEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleEncryptor")
            .field("scheme", &self.scheme)
            .field("kid", &self.kid)
            .field("pattern", &self.pattern)
            .field("codec", &self.codec.name())
            .finish_non_exhaustive()
    }
}

impl SampleEncryptor {
    /// An encryptor; checks that scheme, IV policy and pattern fit together.
    pub fn new(config: EncryptorConfig) -> Result<Self, CencError> {
        let EncryptorConfig {
            scheme,
            kid,
            key,
            iv,
            pattern,
            codec,
        } = config;
        match (scheme, iv) {
            (Scheme::Cenc | Scheme::Cens, IvPolicy::Constant(_)) => {
                return Err(CencError::InvalidConfig(
                    "cenc and cens need per-sample IVs: a constant IV would repeat the key stream",
                ));
            }
            (Scheme::Cbc1, IvPolicy::Counter8(_) | IvPolicy::Constant(_)) => {
                return Err(CencError::InvalidConfig(
                    "cbc1 needs 16-byte per-sample IVs",
                ));
            }
            (Scheme::Cbcs, IvPolicy::Counter8(_) | IvPolicy::Counter16(_)) => {
                return Err(CencError::InvalidConfig("cbcs uses a constant 16-byte IV"));
            }
            _ => {}
        }
        let pattern = match (scheme.uses_pattern(), pattern) {
            (false, None) => Pattern::NONE,
            (false, Some(p)) if p.is_none() => Pattern::NONE,
            (false, Some(_)) => {
                return Err(CencError::InvalidConfig(
                    "cenc and cbc1 have no crypt:skip pattern",
                ));
            }
            (true, Some(p)) => p,
            (true, None) if codec.is_video() => Pattern::VIDEO_1_9,
            (true, None) => Pattern::NONE,
        };
        Ok(SampleEncryptor {
            scheme,
            kid,
            key: EncryptKey::new(&key),
            undo_key: (!scheme.is_ctr()).then(|| DecryptKey::new(&key)),
            done: Vec::new(),
            pattern,
            constant_iv: iv.constant_iv(),
            per_sample_iv_size: iv.per_sample_iv_size(),
            iv: IvSequence::new(iv),
            codec,
        })
    }

    /// The values the track's `tenc` must carry.
    pub fn track_info(&self) -> TrackEncryptionInfo {
        TrackEncryptionInfo {
            scheme: self.scheme,
            kid: self.kid,
            pattern: self.pattern,
            per_sample_iv_size: self.per_sample_iv_size,
            constant_iv: self.constant_iv,
            subsamples: self.codec.is_video(),
        }
    }

    /// The layout of the `senc` entries this encryptor produces.
    pub fn senc_layout(&self) -> SencLayout {
        self.track_info().senc_layout()
    }

    /// Switches to another key from the next sample on (key rotation: one key per fragment or
    /// period; signal it with a `seig` group and a `pssh` in that fragment). The IV sequence
    /// continues.
    pub fn rotate_key(&mut self, kid: KeyId, key: &ContentKey) {
        self.kid = kid;
        self.key = EncryptKey::new(key);
        if !self.scheme.is_ctr() {
            self.undo_key = Some(DecryptKey::new(key));
        }
    }

    /// Encrypts `sample` in place and fills `out` with its IV and subsample map.
    pub fn encrypt_sample(
        &mut self,
        sample: &mut [u8],
        out: &mut SampleAuxInfo,
    ) -> Result<(), CencError> {
        let align = self.scheme.aligns_protected_ranges();
        let (iv, block) = self.iv.current();
        let mut cipher = cipher(self.scheme, &self.key, self.pattern, block);
        let done = &mut self.done;
        done.clear();
        let mapped = self
            .codec
            .map_streaming(sample, align, &mut out.subsamples, |s, range| {
                cipher.apply(&mut s[range.clone()]);
                done.push(range);
            });
        if let Err(e) = mapped {
            self.undo(block, sample);
            out.subsamples.clear();
            out.iv = None;
            return Err(e);
        }
        out.iv = iv;
        self.iv.advance(cipher.blocks());
        Ok(())
    }

    /// Encrypts `sample` in place with the subsample map already in `out.subsamples` (empty:
    /// the whole sample) instead of one derived from the codec, and sets `out.iv`. For
    /// callers that keep an existing map, e.g. when re-encrypting a decrypted file. The
    /// codec's parameter-set state is not updated.
    pub fn encrypt_sample_with_subsamples(
        &mut self,
        sample: &mut [u8],
        out: &mut SampleAuxInfo,
    ) -> Result<(), CencError> {
        check_coverage_if_mapped(&out.subsamples, sample.len())?;
        let (iv, block) = self.iv.current();
        let mut cipher = cipher(self.scheme, &self.key, self.pattern, block);
        cipher.apply_all(sample, protected_ranges(&out.subsamples, sample.len()));
        out.iv = iv;
        self.iv.advance(cipher.blocks());
        Ok(())
    }

    /// Restores the ranges of `self.done` after a failed sample.
    fn undo(&self, block: [u8; 16], sample: &mut [u8]) {
        let ranges = self.done.iter().cloned();
        match (self.scheme, &self.undo_key) {
            (Scheme::Cbc1 | Scheme::Cbcs, Some(k)) => {
                let reset = self.scheme == Scheme::Cbcs;
                RangeCipher::cbc_decrypt(k, block, self.pattern, reset).apply_all(sample, ranges);
            }
            // CTR is its own inverse.
            _ => RangeCipher::ctr(&self.key, block, self.pattern).apply_all(sample, ranges),
        }
    }
}

/// The scheme's cipher for one sample starting from `block` (counter or IV).
fn cipher(scheme: Scheme, key: &EncryptKey, pattern: Pattern, block: [u8; 16]) -> RangeCipher<'_> {
    match scheme {
        Scheme::Cenc | Scheme::Cens => RangeCipher::ctr(key, block, pattern),
        Scheme::Cbc1 => RangeCipher::cbc_encrypt(key, block, pattern, false),
        Scheme::Cbcs => RangeCipher::cbc_encrypt(key, block, pattern, true),
    }
}

/// An empty map means "whole sample"; a non-empty one must cover the sample exactly.
fn check_coverage_if_mapped(
    subsamples: &[crate::Subsample],
    sample_len: usize,
) -> Result<(), CencError> {
    if subsamples.is_empty() {
        Ok(())
    } else {
        check_coverage(subsamples, sample_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::AudioCodec;
    use crate::decryptor::SampleDecryptor;
    use mdrm_testkit::hex;

    fn key() -> ContentKey {
        ContentKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
    }

    fn config(scheme: Scheme, iv: IvPolicy) -> EncryptorConfig {
        EncryptorConfig {
            scheme,
            kid: KeyId([0x11; 16]),
            key: key(),
            iv,
            pattern: None,
            codec: TrackCodec::audio(AudioCodec::Aac),
        }
    }

    #[test]
    fn invalid_combinations_are_rejected() {
        let bad = [
            config(Scheme::Cenc, IvPolicy::Constant([0; 16])),
            config(Scheme::Cens, IvPolicy::Constant([0; 16])),
            config(Scheme::Cbc1, IvPolicy::Counter8([0; 8])),
            config(Scheme::Cbcs, IvPolicy::Counter8([0; 8])),
            EncryptorConfig {
                pattern: Some(Pattern::VIDEO_1_9),
                ..config(Scheme::Cenc, IvPolicy::Counter8([0; 8]))
            },
        ];
        for c in bad {
            assert!(
                matches!(SampleEncryptor::new(c), Err(CencError::InvalidConfig(_))),
                "accepted"
            );
        }
    }

    /// protocols.md §7.4: cbcs audio, whole blocks from the constant IV, 5 bytes left clear.
    #[test]
    fn cbcs_audio_vector_7_4() {
        let iv: [u8; 16] = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
        let mut enc = SampleEncryptor::new(config(Scheme::Cbcs, IvPolicy::Constant(iv))).unwrap();
        let mut sample =
            hex("0104070a0d101316191c1f2225282b2e3134373a3d404346494c4f5255585b5e6164676a6d");
        let mut aux = SampleAuxInfo::default();
        enc.encrypt_sample(&mut sample, &mut aux).unwrap();
        assert_eq!(
            sample,
            hex("1808aaa0b615969c76e36e49f774ec965db9ac1808f46e4f5e34cfe7760772ef6164676a6d")
        );
        assert_eq!(aux, SampleAuxInfo::default());
        let info = enc.track_info();
        assert_eq!(info.pattern, Pattern::NONE);
        assert_eq!(info.tenc_version(), 1);
        assert_eq!(info.per_sample_iv_size, 0);
        assert_eq!(info.constant_iv, Some(Iv::new16(iv)));
        assert!(!info.subsamples);
    }

    #[test]
    fn cenc_audio_uses_consecutive_ivs_and_decrypts() {
        let mut enc = SampleEncryptor::new(config(
            Scheme::Cenc,
            IvPolicy::Counter8([0, 0, 0, 0, 0, 0, 0, 9]),
        ))
        .unwrap();
        let dec = SampleDecryptor::new(Scheme::Cenc, &key(), Pattern::NONE, None).unwrap();
        let mut aux = SampleAuxInfo::default();
        for i in 0..3u8 {
            let plain: Vec<u8> = (0..37).map(|b| b ^ i).collect();
            let mut s = plain.clone();
            enc.encrypt_sample(&mut s, &mut aux).unwrap();
            assert_ne!(s, plain);
            assert_eq!(aux.iv.unwrap().as_bytes(), &[0, 0, 0, 0, 0, 0, 0, 9 + i]);
            dec.decrypt_sample(&mut s, &aux).unwrap();
            assert_eq!(s, plain);
        }
    }

    #[test]
    fn key_rotation_changes_kid_and_cipher() {
        let mut enc =
            SampleEncryptor::new(config(Scheme::Cenc, IvPolicy::Counter8([0; 8]))).unwrap();
        let mut a = vec![0u8; 32];
        let mut aux = SampleAuxInfo::default();
        enc.encrypt_sample(&mut a, &mut aux).unwrap();
        let key2 = ContentKey::new([0x42; 16]);
        enc.rotate_key(KeyId([0x22; 16]), &key2);
        assert_eq!(enc.track_info().kid, KeyId([0x22; 16]));
        let mut b = vec![0u8; 32];
        enc.encrypt_sample(&mut b, &mut aux).unwrap();
        let dec = SampleDecryptor::new(Scheme::Cenc, &key2, Pattern::NONE, None).unwrap();
        dec.decrypt_sample(&mut b, &aux).unwrap();
        assert_eq!(b, vec![0u8; 32]);
        assert!(!format!("{enc:?}").contains("0x42"));
    }
}
