//! Key derivation: the content key is used for AES-CTR only; the key check value, the header
//! MAC key and the block tag key come from HKDF-SHA-256 (RFC 5869) with distinct labels.
//!
//! ```text
//! PRK      = HKDF-Extract(salt = none, IKM = key (16) || IV (16))
//! KCV      = HKDF-Expand(PRK, "mdrm-ncg v1 key check",                 16)
//! K_header = HKDF-Expand(PRK, "mdrm-ncg v1 header mac" || file id (16), 32)
//! K_block  = HKDF-Expand(PRK, "mdrm-ncg v1 block tag"  || file id (16), 32)
//! ```
//!
//! The key check value depends on the key alone, so a damaged file id is reported as header
//! damage, not as a wrong key; the MAC keys are per file.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::format::{HEADER_MAC_LEN, KCV_LEN, KCV_OFFSET};
use crate::key::NcgKey;

/// HKDF label of the key check value.
pub const LABEL_KEY_CHECK: &[u8] = b"mdrm-ncg v1 key check";
/// HKDF label of the header MAC key.
pub const LABEL_HEADER_MAC: &[u8] = b"mdrm-ncg v1 header mac";
/// HKDF label of the block tag key.
pub const LABEL_BLOCK_TAG: &[u8] = b"mdrm-ncg v1 block tag";

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The values derived from one (CEK, file id) pair. Wiped on drop.
pub(crate) struct DerivedKeys {
    pub(crate) key_check: [u8; KCV_LEN],
    pub(crate) header_key: [u8; 32],
    pub(crate) block_key: [u8; 32],
}

impl DerivedKeys {
    /// Runs the KDF of the module docs.
    pub(crate) fn derive(key: &NcgKey, file_id: &[u8; 16]) -> Self {
        let cek = key.cek_bytes();
        let hk = Hkdf::<Sha256>::new(None, &cek.0);
        let mut out = DerivedKeys {
            key_check: [0; KCV_LEN],
            header_key: [0; 32],
            block_key: [0; 32],
        };
        // Lengths of 16 and 32 bytes are far below HKDF-SHA-256's limit of 8160 bytes.
        let lengths_ok = hk.expand(LABEL_KEY_CHECK, &mut out.key_check).is_ok()
            && hk
                .expand_multi_info(&[LABEL_HEADER_MAC, file_id], &mut out.header_key)
                .is_ok()
            && hk
                .expand_multi_info(&[LABEL_BLOCK_TAG, file_id], &mut out.block_key)
                .is_ok();
        debug_assert!(lengths_ok);
        out
    }

    /// The key check value of `key` alone (no file id needed).
    pub(crate) fn key_check_value(key: &NcgKey) -> [u8; KCV_LEN] {
        let cek = key.cek_bytes();
        let mut kcv = [0u8; KCV_LEN];
        let ok = Hkdf::<Sha256>::new(None, &cek.0)
            .expand(LABEL_KEY_CHECK, &mut kcv)
            .is_ok();
        debug_assert!(ok);
        kcv
    }

    /// Checks the MAC at the end of complete header bytes (constant time).
    pub(crate) fn verify_header_mac(&self, header: &[u8]) -> bool {
        let mut mac = new_hmac(&self.header_key);
        mac.update(&header[..KCV_OFFSET]);
        mac.update(&header[KCV_OFFSET + KCV_LEN..header.len() - HEADER_MAC_LEN]);
        mac.verify_slice(&header[header.len() - HEADER_MAC_LEN..])
            .is_ok()
    }

    /// The header MAC of complete header bytes: HMAC-SHA-256 under the header key of every
    /// byte except the key check value and the MAC itself.
    pub(crate) fn header_mac(&self, header: &[u8]) -> [u8; HEADER_MAC_LEN] {
        let mut mac = new_hmac(&self.header_key);
        mac.update(&header[..KCV_OFFSET]);
        mac.update(&header[KCV_OFFSET + KCV_LEN..header.len() - HEADER_MAC_LEN]);
        mac.finalize().into_bytes().into()
    }
}

impl Drop for DerivedKeys {
    fn drop(&mut self) {
        self.key_check.zeroize();
        self.header_key.zeroize();
        self.block_key.zeroize();
    }
}

/// An HMAC-SHA-256 instance keyed with a 32-byte key.
pub(crate) fn new_hmac(key: &[u8; 32]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length.
        Err(_) => unreachable!("HMAC rejected a 32-byte key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5869 test case 1 through the same HKDF construction (guards the crate wiring).
    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0bu8; 22];
        let salt = mdrm_testkit::hex("000102030405060708090a0b0c");
        let info = mdrm_testkit::hex("f0f1f2f3f4f5f6f7f8f9");
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(Some(&salt), &ikm)
            .expand(&info, &mut okm)
            .unwrap();
        assert_eq!(
            okm.to_vec(),
            mdrm_testkit::hex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
    }

    #[test]
    fn labels_give_distinct_keys_and_file_id_matters() {
        let key = NcgKey::from_bytes(&[7; 32]);
        let a = DerivedKeys::derive(&key, &[1; 16]);
        let b = DerivedKeys::derive(&key, &[2; 16]);
        assert_ne!(a.header_key, a.block_key);
        assert_ne!(a.key_check[..], a.header_key[..16]);
        assert_eq!(a.key_check, b.key_check, "the KCV depends on the key only");
        assert_ne!(a.header_key, b.header_key);
        assert_ne!(a.block_key, b.block_key);
        let other = NcgKey::from_bytes(&[8; 32]);
        assert_ne!(a.key_check, DerivedKeys::derive(&other, &[1; 16]).key_check);
    }
}
