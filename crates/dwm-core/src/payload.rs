//! The payload: a 32-bit DWM ID followed by a 32-bit keyed check, protected by the
//! convolutional code of [`crate::ecc`].
//!
//! The check is the first 32 bits of HMAC-SHA256(key-derived check key, ID). Without the key
//! nobody can compute the check of another ID (forging), and a noisy read passes the check by
//! chance with probability 2^-32 per decoding attempt.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ecc;
use crate::error::{DwmError, Result};
use crate::key::WatermarkKey;
use crate::params::{CHECK_BITS, CODED_BITS, ID_BITS, INFO_BITS};

/// A distributor watermark ID: a serial number 1..=2^32-1 (0 is reserved for "none").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DwmId(u32);

impl DwmId {
    /// The largest ID the payload carries.
    pub const MAX: u64 = u32::MAX as u64;

    /// An ID from a number, checked against 1..=2^32-1.
    pub fn new(value: u64) -> Result<Self> {
        if value == 0 || value > Self::MAX {
            return Err(DwmError::BadId(value));
        }
        Ok(DwmId(value as u32))
    }

    /// The number.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for DwmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Probability that a decoding attempt on noise (or on a mark made with another key, or on a
/// mix of two IDs) passes the check: 2^-32.
pub const CHECK_FALSE_PASS: f64 = 1.0 / 4_294_967_296.0;

fn check_of(key: &WatermarkKey, id: u32) -> u32 {
    let check_key = key.seed("check");
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&check_key).expect("any key length works");
    mac.update(&id.to_be_bytes());
    let out = mac.finalize().into_bytes();
    u32::from_be_bytes([out[0], out[1], out[2], out[3]])
}

/// The information bits (ID, then check), most significant bit first.
pub(crate) fn info_bits(key: &WatermarkKey, id: DwmId) -> [u8; INFO_BITS] {
    let mut bits = [0u8; INFO_BITS];
    let check = check_of(key, id.0);
    for (i, b) in bits[..ID_BITS].iter_mut().enumerate() {
        *b = ((id.0 >> (ID_BITS - 1 - i)) & 1) as u8;
    }
    for (i, b) in bits[ID_BITS..].iter_mut().enumerate() {
        *b = ((check >> (CHECK_BITS - 1 - i)) & 1) as u8;
    }
    bits
}

/// The coded bits (0/1) carried by the data part of the tile.
pub(crate) fn codeword(key: &WatermarkKey, id: DwmId) -> Vec<u8> {
    let c = ecc::encode(&info_bits(key, id));
    debug_assert_eq!(c.len(), CODED_BITS);
    c
}

/// The outcome of decoding soft coded bits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PayloadRead {
    /// The ID, when the check passed.
    pub(crate) id: Option<DwmId>,
    /// Viterbi agreement (see [`ecc::Decoded::agreement`]).
    pub(crate) agreement: f32,
    /// Fraction of coded bits whose hard decision disagrees with the re-encoded result
    /// (the raw bit error rate before error correction, when the decoded ID is right).
    pub(crate) raw_ber: f32,
}

/// Decodes soft coded bits and verifies the keyed check.
pub(crate) fn decode(key: &WatermarkKey, soft: &[f32]) -> PayloadRead {
    let d = ecc::viterbi(soft);
    let mut id = 0u32;
    for &b in &d.info[..ID_BITS] {
        id = (id << 1) | u32::from(b);
    }
    let mut check = 0u32;
    for &b in &d.info[ID_BITS..] {
        check = (check << 1) | u32::from(b);
    }
    let recoded = ecc::encode(&d.info);
    let raw_ber = raw_error_rate(soft, &recoded);
    let ok = id != 0 && check == check_of(key, id);
    PayloadRead {
        id: ok.then_some(DwmId(id)),
        agreement: d.agreement,
        raw_ber,
    }
}

/// Fraction of soft values whose sign disagrees with `bits` (1 = positive).
pub(crate) fn raw_error_rate(soft: &[f32], bits: &[u8]) -> f32 {
    let errors = soft
        .iter()
        .zip(bits)
        .filter(|&(&s, &b)| (s > 0.0) != (b == 1))
        .count();
    errors as f32 / soft.len().max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soft(bits: &[u8]) -> Vec<f32> {
        bits.iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    #[test]
    fn id_range() {
        assert!(DwmId::new(0).is_err());
        assert!(DwmId::new(1).is_ok());
        assert!(DwmId::new(u64::from(u32::MAX)).is_ok());
        assert_eq!(DwmId::new(1 << 32).unwrap_err(), DwmError::BadId(1 << 32));
    }

    #[test]
    fn round_trip_with_the_right_key() {
        let key = WatermarkKey::new(b"round-trip-key-0123").unwrap();
        for v in [1u64, 2, 77, 123_456_789, u64::from(u32::MAX)] {
            let id = DwmId::new(v).unwrap();
            let read = decode(&key, &soft(&codeword(&key, id)));
            assert_eq!(read.id, Some(id));
            assert_eq!(read.raw_ber, 0.0);
        }
    }

    #[test]
    fn the_check_fails_with_another_key() {
        let a = WatermarkKey::new(b"key-a-0123456789").unwrap();
        let b = WatermarkKey::new(b"key-b-0123456789").unwrap();
        let id = DwmId::new(42).unwrap();
        assert_eq!(decode(&b, &soft(&codeword(&a, id))).id, None);
    }

    #[test]
    fn mixing_two_ids_never_yields_a_third() {
        // Averaging two copies: symbols that differ cancel out.
        let key = WatermarkKey::new(b"collusion-key-0123").unwrap();
        for (x, y) in [(1u64, 2u64), (5, 6), (100, 1000)] {
            let cx = soft(&codeword(&key, DwmId::new(x).unwrap()));
            let cy = soft(&codeword(&key, DwmId::new(y).unwrap()));
            let mix: Vec<f32> = cx.iter().zip(&cy).map(|(a, b)| (a + b) / 2.0).collect();
            let got = decode(&key, &mix).id.map(|i| u64::from(i.value()));
            assert!(got.is_none() || got == Some(x) || got == Some(y), "{got:?}");
        }
    }
}
