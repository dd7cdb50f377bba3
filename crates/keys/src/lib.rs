//! Key material shared by mdrm's crates.
//!
//! - [`KeyId`]: a 16-byte key identifier (public; prints as a UUID).
//! - [`ContentKey`]: a 16-byte AES-128 content key. Its `Debug` never shows the bytes and its
//!   memory is wiped on drop, so a key cannot leak into logs or error messages by accident.
//!   Read the bytes with [`ContentKey::secret_bytes`], a name that is easy to audit.
//! - [`Iv`]: an 8- or 16-byte initialisation vector.
//! - [`TrackType`]: the track classes keys are issued for (one key per class with multi-key).
//!
//! Parsing accepts the encodings the packager CLIs use (hex, with or without UUID dashes;
//! standard and URL-safe base64, padded or not). Errors name the field, never its value.
//!
//! ```
//! use keys::{ContentKey, KeyId};
//! let kid = KeyId::from_hex("abba271e-8bcf-552b-bd2e-86a434a9a5d9").unwrap();
//! assert_eq!(kid.to_string(), "abba271e-8bcf-552b-bd2e-86a434a9a5d9");
//! let key = ContentKey::from_base64("aeqoAqZ2Ovl56NGUD7iDkg==").unwrap();
//! assert_eq!(format!("{key:?}"), "ContentKey(<redacted>)");
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::{Zeroize, ZeroizeOnDrop};

mod system_id;

pub use system_id::SystemId;

/// Errors from parsing or generating key material. Messages name the field, never its value.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The decoded value has the wrong number of bytes.
    #[error("{what}: expected {expected} bytes, got {got}")]
    Length {
        /// Which value (e.g. "key id").
        what: &'static str,
        /// Bytes expected.
        expected: &'static str,
        /// Bytes found after decoding.
        got: usize,
    },
    /// The text is neither valid hex nor valid base64.
    #[error("{what}: not valid {encoding}")]
    Encoding {
        /// Which value.
        what: &'static str,
        /// The encoding that was expected.
        encoding: &'static str,
    },
    /// The operating system's random number generator failed.
    #[error("OS random number generator failed")]
    Random,
}

/// Decodes hex text, ignoring dashes (UUID form) and surrounding white space.
pub fn decode_hex(what: &'static str, text: &str) -> Result<Vec<u8>, KeyError> {
    let digits: Vec<u8> = text.trim().bytes().filter(|&b| b != b'-').collect();
    let bad = KeyError::Encoding {
        what,
        encoding: "hex",
    };
    if !digits.len().is_multiple_of(2) {
        return Err(bad);
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(bad.clone()),
            }
        })
        .collect()
}

/// Decodes base64 in any of the usual alphabets (standard or URL-safe, padded or not).
pub fn decode_base64(what: &'static str, text: &str) -> Result<Vec<u8>, KeyError> {
    let t = text.trim();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        if let Ok(v) = engine.decode(t) {
            return Ok(v);
        }
    }
    Err(KeyError::Encoding {
        what,
        encoding: "base64",
    })
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Standard base64 (with padding) of `bytes`.
pub fn to_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// URL-safe base64 without padding (the JWK / ClearKey form).
pub fn to_base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn exact<const N: usize>(
    what: &'static str,
    expected: &'static str,
    v: Vec<u8>,
) -> Result<[u8; N], KeyError> {
    let got = v.len();
    v.try_into().map_err(|_| KeyError::Length {
        what,
        expected,
        got,
    })
}

/// Fills `buf` from the operating system's random number generator.
pub fn fill_random(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buf).map_err(|_| KeyError::Random)
}

/// A 16-byte key identifier (KID). Public information: prints as a UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct KeyId(pub [u8; 16]);

impl KeyId {
    /// Parses 32 hex digits (UUID dashes allowed).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Ok(KeyId(exact("key id", "16", decode_hex("key id", text)?)?))
    }

    /// Parses base64 (any alphabet, padded or not) of 16 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        Ok(KeyId(exact(
            "key id",
            "16",
            decode_base64("key id", text)?,
        )?))
    }

    /// A random KID from the OS random number generator.
    pub fn random() -> Result<Self, KeyError> {
        let mut b = [0u8; 16];
        fill_random(&mut b)?;
        Ok(KeyId(b))
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// 32 lowercase hex digits, no dashes.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// URL-safe base64 without padding (W3C ClearKey `kid`).
    pub fn to_base64url(&self) -> String {
        to_base64url(&self.0)
    }

    /// The bytes in PlayReady's little-endian GUID order (first three groups byte-swapped).
    pub fn to_playready_guid_bytes(&self) -> [u8; 16] {
        let b = self.0;
        [
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15],
        ]
    }

    /// The inverse of [`KeyId::to_playready_guid_bytes`].
    pub fn from_playready_guid_bytes(g: [u8; 16]) -> Self {
        // The swap is its own inverse.
        KeyId(KeyId(g).to_playready_guid_bytes())
    }
}

impl fmt::Display for KeyId {
    /// UUID form: `8-4-4-4-12` lowercase hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.to_hex();
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A 16-byte AES-128 content key. `Debug` is redacted; the memory is zeroed on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ContentKey([u8; 16]);

impl ContentKey {
    /// Wraps raw key bytes.
    pub fn new(bytes: [u8; 16]) -> Self {
        ContentKey(bytes)
    }

    /// Parses 32 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let mut v = decode_hex("content key", text)?;
        let r = exact("content key", "16", v.clone());
        v.zeroize();
        Ok(ContentKey(r?))
    }

    /// Parses base64 (any alphabet) of 16 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let mut v = decode_base64("content key", text)?;
        let r = exact("content key", "16", v.clone());
        v.zeroize();
        Ok(ContentKey(r?))
    }

    /// A fresh random key from the OS random number generator.
    pub fn random() -> Result<Self, KeyError> {
        let mut b = [0u8; 16];
        fill_random(&mut b)?;
        Ok(ContentKey(b))
    }

    /// The secret key bytes. Never log or format them.
    pub fn secret_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(<redacted>)")
    }
}

/// An initialisation vector of 8 or 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iv {
    len: u8,
    bytes: [u8; 16],
}

impl Iv {
    /// An IV from a slice of 8 or 16 bytes.
    pub fn from_slice(b: &[u8]) -> Result<Self, KeyError> {
        if b.len() != 8 && b.len() != 16 {
            return Err(KeyError::Length {
                what: "iv",
                expected: "8 or 16",
                got: b.len(),
            });
        }
        let mut bytes = [0u8; 16];
        bytes[..b.len()].copy_from_slice(b);
        Ok(Iv {
            len: b.len() as u8,
            bytes,
        })
    }

    /// A 16-byte IV.
    pub fn new16(bytes: [u8; 16]) -> Self {
        Iv { len: 16, bytes }
    }

    /// An 8-byte IV.
    pub fn new8(b: [u8; 8]) -> Self {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&b);
        Iv { len: 8, bytes }
    }

    /// Parses hex of 8 or 16 bytes.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        Self::from_slice(&decode_hex("iv", text)?)
    }

    /// Parses base64 of 8 or 16 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        Self::from_slice(&decode_base64("iv", text)?)
    }

    /// A random IV of `len` (8 or 16) bytes.
    pub fn random(len: usize) -> Result<Self, KeyError> {
        let mut b = [0u8; 16];
        fill_random(&mut b[..len.min(16)])?;
        Self::from_slice(&b[..len])
    }

    /// The IV bytes (8 or 16).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The IV padded with zeros to 16 bytes (an 8-byte IV becomes the CTR counter block).
    pub fn to_block(&self) -> [u8; 16] {
        self.bytes
    }

    /// 8 or 16.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: an IV has 8 or 16 bytes.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Debug for Iv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iv({})", to_hex(self.as_bytes()))
    }
}

/// Parses the 32-byte external key of HLS and NCG (`--encryption-key`): key (16) then IV (16).
pub fn split_key_and_iv(text: &str) -> Result<(ContentKey, Iv), KeyError> {
    let mut v = decode_base64("encryption key", text)?;
    if v.len() != 32 {
        let got = v.len();
        v.zeroize();
        return Err(KeyError::Length {
            what: "encryption key",
            expected: "32",
            got,
        });
    }
    let mut k = [0u8; 16];
    k.copy_from_slice(&v[..16]);
    let iv = Iv::from_slice(&v[16..])?;
    v.zeroize();
    let key = ContentKey::new(k);
    k.zeroize();
    Ok((key, iv))
}

/// The track classes content keys are issued for (PallyCon/CPIX naming).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TrackType {
    /// One key for every track.
    All,
    /// Audio tracks.
    Audio,
    /// Video up to 576 lines.
    Sd,
    /// Video up to 1080 lines.
    Hd,
    /// Video up to 2160 lines.
    Uhd1,
    /// Video above 2160 lines.
    Uhd2,
}

impl TrackType {
    /// The name used in CPIX usage rules and the keystore (`ALL`, `AUDIO`, `SD`, `HD`, `UHD1`, `UHD2`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrackType::All => "ALL",
            TrackType::Audio => "AUDIO",
            TrackType::Sd => "SD",
            TrackType::Hd => "HD",
            TrackType::Uhd1 => "UHD1",
            TrackType::Uhd2 => "UHD2",
        }
    }

    /// Parses the names of [`TrackType::as_str`] (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ALL" => TrackType::All,
            "AUDIO" => TrackType::Audio,
            "SD" => TrackType::Sd,
            "HD" => TrackType::Hd,
            "UHD1" => TrackType::Uhd1,
            "UHD2" => TrackType::Uhd2,
            _ => return None,
        })
    }

    /// The class of a video track of `height` lines (SD <= 576 < HD <= 1080 < UHD1 <= 2160 < UHD2).
    pub fn for_video_height(height: u32) -> Self {
        match height {
            0..=576 => TrackType::Sd,
            577..=1080 => TrackType::Hd,
            1081..=2160 => TrackType::Uhd1,
            _ => TrackType::Uhd2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn playready_guid_swap_matches_published_example() {
        // protocols.md 7.5 (PallyCon doc): 12ea753c-23e7-bc02-4474-b2b976c43beb -> PHXqEucjArxEdLK5dsQ76w==
        let kid = KeyId::from_hex("12ea753c-23e7-bc02-4474-b2b976c43beb").unwrap();
        assert_eq!(
            to_base64(&kid.to_playready_guid_bytes()),
            "PHXqEucjArxEdLK5dsQ76w=="
        );
    }

    #[test]
    fn clearkey_base64url_matches_published_example() {
        // protocols.md 7.7
        let kid = KeyId::from_hex("9eb4050d-e44b-4802-932e-27d75083e266").unwrap();
        assert_eq!(kid.to_base64url(), "nrQFDeRLSAKTLifXUIPiZg");
        let key = ContentKey::from_hex("166634c675823c235a4a9446fad52e4d").unwrap();
        assert_eq!(to_base64url(key.secret_bytes()), "FmY0xnWCPCNaSpRG-tUuTQ");
        assert_eq!(
            ContentKey::from_base64("FmY0xnWCPCNaSpRG-tUuTQ").unwrap(),
            key
        );
    }

    #[test]
    fn errors_never_contain_the_value() {
        let secret = "00112233445566778899aabbccddeeff00";
        let e = ContentKey::from_hex(secret).unwrap_err();
        assert!(!e.to_string().contains("0011"), "{e}");
        assert_eq!(format!("{e}"), "content key: expected 16 bytes, got 17");
        let e = ContentKey::from_base64("!!!").unwrap_err();
        assert_eq!(e.to_string(), "content key: not valid base64");
    }

    #[test]
    fn external_32_byte_key_splits_into_key_and_iv() {
        let raw: Vec<u8> = (0u8..32).collect();
        let (k, iv) = split_key_and_iv(&to_base64(&raw)).unwrap();
        assert_eq!(&k.secret_bytes()[..], &raw[..16]);
        assert_eq!(iv.as_bytes(), &raw[16..]);
        assert!(split_key_and_iv(&to_base64(&raw[..16])).is_err());
    }

    #[test]
    fn track_type_for_height() {
        assert_eq!(TrackType::for_video_height(360), TrackType::Sd);
        assert_eq!(TrackType::for_video_height(720), TrackType::Hd);
        assert_eq!(TrackType::for_video_height(2160), TrackType::Uhd1);
        assert_eq!(TrackType::for_video_height(4320), TrackType::Uhd2);
        assert_eq!(TrackType::parse("uhd1"), Some(TrackType::Uhd1));
    }

    proptest! {
        #[test]
        fn kid_text_forms_round_trip(b in any::<[u8; 16]>()) {
            let kid = KeyId(b);
            prop_assert_eq!(KeyId::from_hex(&kid.to_string()).unwrap(), kid);
            prop_assert_eq!(KeyId::from_hex(&kid.to_hex()).unwrap(), kid);
            prop_assert_eq!(KeyId::from_base64(&kid.to_base64url()).unwrap(), kid);
            prop_assert_eq!(KeyId::from_base64(&to_base64(&b)).unwrap(), kid);
            prop_assert_eq!(KeyId::from_playready_guid_bytes(kid.to_playready_guid_bytes()), kid);
        }

        #[test]
        fn parsers_never_panic(s in ".{0,64}") {
            let _ = KeyId::from_hex(&s);
            let _ = KeyId::from_base64(&s);
            let _ = ContentKey::from_hex(&s);
            let _ = Iv::from_base64(&s);
            let _ = split_key_and_iv(&s);
        }
    }
}
