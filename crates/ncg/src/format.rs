//! Constants of the NCG 1.x byte layout and the limits every reader enforces
//! (see `docs/ncg-format.md`).

use crate::error::{Error, Result};

/// The 8 magic bytes every NCG file starts with (`\x89NCG\r\n\x1a\n`): the high byte and the
/// line-ending bytes make text-mode transfers and truncation visible, as in PNG.
pub const MAGIC: [u8; 8] = [0x89, b'N', b'C', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Major version written and read by this crate. A different major version is rejected.
pub const VERSION_MAJOR: u8 = 1;
/// Minor version written by this crate. Readers accept any minor version of their major.
pub const VERSION_MINOR: u8 = 0;

/// Cipher suite 1: AES-128-CTR body, HMAC-SHA-256 truncated to 128 bits per block,
/// HMAC-SHA-256 header MAC, HKDF-SHA-256 key derivation.
pub const CIPHER_SUITE_AES128_CTR_HMAC_SHA256: u8 = 1;

/// Flag bit 0: the key id field carries the key service's KID.
pub const FLAG_KEY_ID_PRESENT: u16 = 0x0001;
/// Flag bits 8..15 are critical: a reader must reject a file with one it does not know.
pub const FLAGS_CRITICAL_MASK: u16 = 0xFF00;
/// Flag bits this version defines.
pub const FLAGS_KNOWN: u16 = FLAG_KEY_ID_PRESENT;

/// Extension record types with bit 15 set are critical (reject when unknown).
pub const EXTENSION_CRITICAL_BIT: u16 = 0x8000;
/// Extension 0x0001: content provider / source (UTF-8), as in the NCG SDK's `source` field.
pub const EXTENSION_SOURCE: u16 = 0x0001;
/// Extension 0x0002: the software that wrote the file (UTF-8).
pub const EXTENSION_PACKAGER: u16 = 0x0002;

/// Smallest block size (4 KiB).
pub const MIN_BLOCK_SIZE: u32 = 4 * 1024;
/// Largest block size (16 MiB).
pub const MAX_BLOCK_SIZE: u32 = 16 * 1024 * 1024;
/// Block size used when the caller does not choose one (64 KiB: a seek decrypts and
/// verifies at most 64 KiB before the first byte; tags cost 0.024 % of the body).
pub const DEFAULT_BLOCK_SIZE: u32 = 64 * 1024;

/// Length of the per-block integrity tag.
pub const TAG_LEN: usize = 16;
/// Length of the key check value.
pub const KCV_LEN: usize = 16;
/// Length of the header MAC.
pub const HEADER_MAC_LEN: usize = 32;

/// Length of the fixed part before the content id (magic .. site id).
pub const FIXED_LEN: usize = 89;
/// Offset of the key check value inside the header.
pub const KCV_OFFSET: usize = 16;
/// Offset of the file id (HKDF context of the MAC keys) inside the header.
pub const FILE_ID_OFFSET: usize = 53;
/// Length of the prefix a reader checks before reading the rest of the header
/// (magic, version, flags, header length, key check value).
pub const PREFIX_LEN: usize = 32;

/// Content id length limits in bytes (UTF-8).
pub const MAX_CONTENT_ID_LEN: usize = 200;
/// Longest license URL in bytes.
pub const MAX_LICENSE_URL_LEN: usize = 4096;
/// Longest original file name in bytes (a single path component).
pub const MAX_FILE_NAME_LEN: usize = 1024;
/// Longest MIME type / container hint in bytes.
pub const MAX_MIME_LEN: usize = 255;
/// Longest header a reader accepts (1 MiB); bounds memory on hostile input.
pub const MAX_HEADER_LEN: u32 = 1024 * 1024;
/// Smallest possible header: fixed part, 1-byte content id, empty strings, empty
/// extension area and MAC.
pub const MIN_HEADER_LEN: u32 = (FIXED_LEN + 1 + 1 + 2 + 2 + 1 + 4 + HEADER_MAC_LEN) as u32;

/// Checks that `size` is a power of two between [`MIN_BLOCK_SIZE`] and [`MAX_BLOCK_SIZE`].
pub fn validate_block_size(size: u64) -> Result<u32> {
    if size.is_power_of_two() && (MIN_BLOCK_SIZE as u64..=MAX_BLOCK_SIZE as u64).contains(&size) {
        Ok(size as u32)
    } else {
        Err(Error::InvalidBlockSize { size })
    }
}

/// Number of blocks for `size` bytes of content.
pub fn block_count(size: u64, block_size: u32) -> u64 {
    size.div_ceil(u64::from(block_size))
}

/// Total NCG file length for a header of `header_len` bytes and `size` bytes of content,
/// or `None` on overflow.
pub fn file_len(header_len: u32, size: u64, block_size: u32) -> Option<u64> {
    block_count(size, block_size)
        .checked_mul(TAG_LEN as u64)?
        .checked_add(size)?
        .checked_add(u64::from(header_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_size_limits() {
        assert!(validate_block_size(4096).is_ok());
        assert!(validate_block_size(16 << 20).is_ok());
        assert!(validate_block_size(65536).is_ok());
        for bad in [0, 1, 2048, 4095, 4097, 12288, 32 << 20, u64::MAX] {
            assert!(
                matches!(validate_block_size(bad), Err(Error::InvalidBlockSize { size }) if size == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(block_count(0, 4096), 0);
        assert_eq!(block_count(1, 4096), 1);
        assert_eq!(block_count(4096, 4096), 1);
        assert_eq!(block_count(4097, 4096), 2);
        assert_eq!(file_len(200, 4097, 4096), Some(200 + 4097 + 32));
        assert_eq!(file_len(200, u64::MAX, 4096), None);
        assert_eq!(MIN_HEADER_LEN, 132);
    }
}
