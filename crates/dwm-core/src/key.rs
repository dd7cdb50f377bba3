//! The secret that keys every watermark pattern, and the per-purpose seeds derived from it.
//!
//! Every secret pattern is derived from the site key with HMAC-SHA256 over a domain-separated
//! label (`"mdrm-dwm/v1/<purpose>"`) and expanded with ChaCha20, so a pattern is identical on
//! every platform and in every version that keeps the label.

use std::fmt;

use chacha20::ChaCha20Rng;
use hmac::{Hmac, KeyInit, Mac};
use rand_core::{Rng, SeedableRng};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{DwmError, Result};

/// Minimum length of a watermark key in bytes.
pub const MIN_KEY_LEN: usize = 16;

/// The published demo key used by `--demo`: anyone can read and forge marks made with it.
const DEMO_KEY: &[u8] = b"mdrm-dwm public demo key - NOT SECRET";

/// The secret keying all patterns (the site key). Its `Debug` never shows the bytes and its
/// memory is wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct WatermarkKey(Vec<u8>);

impl WatermarkKey {
    /// A key from secret bytes (at least [`MIN_KEY_LEN`]).
    pub fn new(secret: &[u8]) -> Result<Self> {
        if secret.len() < MIN_KEY_LEN {
            return Err(DwmError::KeyTooShort {
                min: MIN_KEY_LEN,
                got: secret.len(),
            });
        }
        Ok(WatermarkKey(secret.to_vec()))
    }

    /// The built-in, public demo key (for trials: it protects nothing).
    pub fn demo() -> Self {
        WatermarkKey(DEMO_KEY.to_vec())
    }

    /// HMAC-SHA256(key, "mdrm-dwm/v1/" + label): a 32-byte seed for one purpose.
    pub(crate) fn seed(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC accepts keys of any length");
        mac.update(b"mdrm-dwm/v1/");
        mac.update(label.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&out);
        seed
    }

    /// A ChaCha20 stream seeded for one purpose.
    pub(crate) fn rng(&self, label: &str) -> KeyedRng {
        KeyedRng(ChaCha20Rng::from_seed(self.seed(label)))
    }
}

impl fmt::Debug for WatermarkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WatermarkKey(<redacted>)")
    }
}

/// A portable keyed random stream: only raw 32-bit words are drawn from ChaCha20 and turned
/// into numbers here, so results never depend on a `rand` version's distributions.
pub(crate) struct KeyedRng(ChaCha20Rng);

impl KeyedRng {
    /// The next raw 32-bit word.
    pub(crate) fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// A uniform integer in `0..n` (n > 0), without modulo bias (Lemire's method).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        assert!(n > 0);
        loop {
            let m = u64::from(self.next_u32()) * u64::from(n);
            let low = m as u32;
            if low >= n.wrapping_neg() % n {
                return (m >> 32) as u32;
            }
        }
    }

    /// A uniform phase in [0, 2*pi).
    pub(crate) fn phase(&mut self) -> f32 {
        (f64::from(self.next_u32()) / 4_294_967_296.0 * std::f64::consts::TAU) as f32
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let k = WatermarkKey::new(b"0123456789abcdef-secret").unwrap();
        assert_eq!(format!("{k:?}"), "WatermarkKey(<redacted>)");
    }

    #[test]
    fn short_keys_are_rejected() {
        assert_eq!(
            WatermarkKey::new(b"short").unwrap_err(),
            DwmError::KeyTooShort { min: 16, got: 5 }
        );
    }

    #[test]
    fn seeds_are_domain_separated_and_key_dependent() {
        let a = WatermarkKey::new(b"0123456789abcdef").unwrap();
        let b = WatermarkKey::new(b"0123456789abcdeg").unwrap();
        assert_ne!(a.seed("sync"), a.seed("layout"));
        assert_ne!(a.seed("sync"), b.seed("sync"));
        assert_eq!(a.seed("sync"), a.seed("sync"));
    }

    #[test]
    fn keyed_stream_is_portable() {
        // Pinned values: a change here changes every pattern ever embedded (bump the label version).
        let k = WatermarkKey::new(b"0123456789abcdef").unwrap();
        let mut r = k.rng("test");
        let words: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
        let mut r2 = k.rng("test");
        let again: Vec<u32> = (0..3).map(|_| r2.next_u32()).collect();
        assert_eq!(words, again);
        assert_eq!(words, PINNED_WORDS);
    }

    /// Computed independently in Python: HMAC-SHA256 from `hmac`/`hashlib`, then the RFC 8439
    /// ChaCha20 block function (counter 0, zero nonce), first three little-endian words.
    const PINNED_WORDS: [u32; 3] = [738_761_981, 674_370_884, 675_875_595];

    #[test]
    fn below_is_in_range() {
        let k = WatermarkKey::demo();
        let mut r = k.rng("below");
        for n in [1u32, 2, 3, 7, 1000, u32::MAX] {
            for _ in 0..100 {
                assert!(r.below(n) < n);
            }
        }
    }
}
