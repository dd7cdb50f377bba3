//! The 32-byte NCG content encryption key: AES-128 key followed by the 16-byte CTR IV.

use std::fmt;

use keys::{ContentKey, Iv, KeyError};
use zeroize::Zeroize;

/// The NCG content encryption key (CEK): a 16-byte AES-128 key and a 16-byte initial counter
/// block, 32 bytes in all, as issued by an NCG license service.
///
/// `Debug` never shows the bytes; the key is wiped from memory on drop (by [`ContentKey`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NcgKey {
    key: ContentKey,
    iv: [u8; 16],
}

impl NcgKey {
    /// A key from its two halves. The IV must have 16 bytes.
    pub fn new(key: ContentKey, iv: Iv) -> Result<Self, KeyError> {
        if iv.len() != 16 {
            return Err(KeyError::Length {
                what: "ncg iv",
                expected: "16",
                got: iv.len(),
            });
        }
        Ok(NcgKey {
            key,
            iv: iv.to_block(),
        })
    }

    /// A key from the 32 raw CEK bytes (key then IV).
    pub fn from_bytes(cek: &[u8; 32]) -> Self {
        let mut k = [0u8; 16];
        k.copy_from_slice(&cek[..16]);
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&cek[16..]);
        let key = ContentKey::new(k);
        k.zeroize();
        NcgKey { key, iv }
    }

    /// Parses the base64 form used by `--encryption-key` (32 bytes: key then IV).
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let (key, iv) = keys::split_key_and_iv(text)?;
        Self::new(key, iv)
    }

    /// Parses the 64-hex-digit form of PallyCon's `external_key.ncg.cek` / `--ncg_cek`.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let mut v = keys::decode_hex("ncg cek", text)?;
        let parsed = <&[u8; 32]>::try_from(v.as_slice())
            .map(Self::from_bytes)
            .map_err(|_| KeyError::Length {
                what: "ncg cek",
                expected: "32",
                got: v.len(),
            });
        v.zeroize();
        parsed
    }

    /// A fresh random key and IV from the OS random number generator.
    pub fn random() -> Result<Self, KeyError> {
        let key = ContentKey::random()?;
        let iv = Iv::random(16)?;
        Self::new(key, iv)
    }

    /// The AES-128 content key.
    pub fn content_key(&self) -> &ContentKey {
        &self.key
    }

    /// The 16-byte initial counter block (public in the sense that it is not a key, but it is
    /// part of the CEK a license service hands out).
    pub fn iv(&self) -> [u8; 16] {
        self.iv
    }

    /// The 32 CEK bytes (key then IV), e.g. as HKDF input. Never log or format them.
    pub(crate) fn cek_bytes(&self) -> CekBytes {
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(self.key.secret_bytes());
        b[16..].copy_from_slice(&self.iv);
        CekBytes(b)
    }
}

impl fmt::Debug for NcgKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NcgKey(<redacted>)")
    }
}

impl Drop for NcgKey {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// A temporary copy of the 32 CEK bytes, wiped on drop.
pub(crate) struct CekBytes(pub(crate) [u8; 32]);

impl Drop for CekBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_redacts() {
        let cek: [u8; 32] = std::array::from_fn(|i| i as u8);
        let b64 = keys::to_base64(&cek);
        let hex = keys::to_hex(&cek);
        let a = NcgKey::from_base64(&b64).unwrap();
        let b = NcgKey::from_hex(&hex).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, NcgKey::from_bytes(&cek));
        assert_eq!(a.iv()[0], 16);
        assert_eq!(a.content_key().secret_bytes()[15], 15);
        assert_eq!(format!("{a:?}"), "NcgKey(<redacted>)");
        assert_eq!(a.cek_bytes().0, cek);
    }

    #[test]
    fn rejects_wrong_lengths() {
        assert!(NcgKey::from_base64(&keys::to_base64(&[0u8; 16])).is_err());
        assert!(NcgKey::from_hex(&"00".repeat(31)).is_err());
        let short_iv = Iv::new8([0; 8]);
        assert!(NcgKey::new(ContentKey::new([0; 16]), short_iv).is_err());
        assert_ne!(NcgKey::random().unwrap(), NcgKey::random().unwrap());
    }
}
