//! SAMPLE-AES for MPEG-TS (Apple, "MPEG-2 Stream Encryption Format for HTTP Live Streaming"):
//! AES-128-CBC without padding, the chain restarting from the IV at every NAL unit and every
//! audio frame.
//!
//! - H.264 slices (NAL types 1 and 5) longer than 48 bytes: the first 32 bytes (NAL header
//!   included) clear, then one 16-byte block encrypted and up to 144 bytes clear, repeated; a
//!   last piece of 16 bytes or less stays clear. The pattern runs over the NAL unit as it is
//!   stored (with its emulation prevention bytes); afterwards the whole NAL unit is escaped
//!   again, because the cipher text may contain start-code-like sequences. Decryption removes
//!   that outer escaping first.
//! - Audio frames (ADTS AAC after the ADTS header; AC-3/E-AC-3 syncframes from their start):
//!   16 bytes clear, then every whole 16-byte block encrypted, the remainder clear.

use aes::{Aes128Dec, Aes128Enc};
use cipher::array::Array;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use keys::ContentKey;

use crate::es::nal::{add_emulation_prevention, avc, avc_type, remove_emulation_prevention};

/// Clear bytes at the start of an encrypted video NAL unit.
pub const VIDEO_CLEAR_LEAD: usize = 32;
/// A video NAL unit is encrypted only when it is longer than this.
pub const VIDEO_MIN_ENCRYPTED_LEN: usize = 48;
/// Clear bytes at the start of an audio frame's protected part.
pub const AUDIO_CLEAR_LEAD: usize = 16;
/// Clear bytes between two encrypted video blocks (nine blocks).
const VIDEO_SKIP: usize = 144;
const BLOCK: usize = 16;

/// True for the H.264 NAL units SAMPLE-AES encrypts (slices, types 1 and 5, over 48 bytes).
pub fn is_encrypted_avc_nal(nal: &[u8]) -> bool {
    matches!(avc_type(nal), avc::SLICE | avc::IDR) && nal.len() > VIDEO_MIN_ENCRYPTED_LEN
}

/// Offsets of the encrypted blocks of a video NAL unit of `len` bytes.
fn video_blocks(len: usize) -> impl Iterator<Item = usize> {
    let mut pos = VIDEO_CLEAR_LEAD;
    std::iter::from_fn(move || {
        while pos < len {
            let rem = len - pos;
            if rem > BLOCK {
                let at = pos;
                pos += BLOCK + VIDEO_SKIP.min(rem - BLOCK);
                return Some(at);
            }
            pos = len;
        }
        None
    })
}

/// Offsets of the encrypted blocks of an audio frame's protected part of `len` bytes.
fn audio_blocks(len: usize) -> impl Iterator<Item = usize> {
    let whole = len.saturating_sub(AUDIO_CLEAR_LEAD) / BLOCK;
    (0..whole).map(|i| AUDIO_CLEAR_LEAD + i * BLOCK)
}

/// Encrypts NAL units and audio frames with one key and IV.
#[derive(Clone)]
pub struct SampleAesEncryptor {
    cipher: Aes128Enc,
    iv: [u8; 16],
}

impl std::fmt::Debug for SampleAesEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SampleAesEncryptor(<key redacted>)")
    }
}

impl SampleAesEncryptor {
    /// An encryptor for `key` with the 16-byte `iv` of the `#EXT-X-KEY` tag.
    pub fn new(key: &ContentKey, iv: [u8; 16]) -> Self {
        SampleAesEncryptor {
            cipher: Aes128Enc::new(&Array::from(*key.secret_bytes())),
            iv,
        }
    }

    fn cbc(&self, data: &mut [u8], blocks: impl Iterator<Item = usize>) {
        let mut chain = self.iv;
        for at in blocks {
            let block = &mut data[at..at + BLOCK];
            for (b, c) in block.iter_mut().zip(chain) {
                *b ^= c;
            }
            let mut a = Array::try_from(&*block).expect("16 bytes");
            self.cipher.encrypt_block(&mut a);
            block.copy_from_slice(&a);
            chain.copy_from_slice(&a);
        }
    }

    /// Applies the video pattern to a NAL unit in place (no escaping; see
    /// [`SampleAesEncryptor::encrypt_avc_nal`]).
    pub fn encrypt_nal_pattern(&self, nal: &mut [u8]) {
        let len = nal.len();
        self.cbc(nal, video_blocks(len));
    }

    /// Appends `nal` to `out` in its SAMPLE-AES form: encrypted and escaped again when it is
    /// an H.264 slice over 48 bytes, unchanged otherwise. `scratch` is reused between calls.
    pub fn encrypt_avc_nal(&self, nal: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        if !is_encrypted_avc_nal(nal) {
            out.extend_from_slice(nal);
            return;
        }
        scratch.clear();
        scratch.extend_from_slice(nal);
        self.encrypt_nal_pattern(scratch);
        add_emulation_prevention(scratch, out);
    }

    /// Encrypts an audio frame's protected part in place: the raw AAC frame after its ADTS
    /// header, or a whole AC-3/E-AC-3 syncframe.
    pub fn encrypt_audio_frame(&self, frame: &mut [u8]) {
        let len = frame.len();
        self.cbc(frame, audio_blocks(len));
    }
}

/// Reverses [`SampleAesEncryptor`].
#[derive(Clone)]
pub struct SampleAesDecryptor {
    cipher: Aes128Dec,
    iv: [u8; 16],
}

impl std::fmt::Debug for SampleAesDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SampleAesDecryptor(<key redacted>)")
    }
}

impl SampleAesDecryptor {
    /// A decryptor for `key` and `iv`.
    pub fn new(key: &ContentKey, iv: [u8; 16]) -> Self {
        SampleAesDecryptor {
            cipher: Aes128Dec::new(&Array::from(*key.secret_bytes())),
            iv,
        }
    }

    fn cbc(&self, data: &mut [u8], blocks: impl Iterator<Item = usize>) {
        let mut chain = self.iv;
        for at in blocks {
            let block = &mut data[at..at + BLOCK];
            let cipher_text: [u8; 16] = (&*block).try_into().expect("16 bytes");
            let mut a = Array::from(cipher_text);
            self.cipher.decrypt_block(&mut a);
            for ((b, p), c) in block.iter_mut().zip(a).zip(chain) {
                *b = p ^ c;
            }
            chain = cipher_text;
        }
    }

    /// Reverses the video pattern in place (on a NAL unit whose outer escaping is removed).
    pub fn decrypt_nal_pattern(&self, nal: &mut [u8]) {
        let len = nal.len();
        self.cbc(nal, video_blocks(len));
    }

    /// Appends the clear form of a NAL unit as read from an Annex B stream: for an H.264
    /// slice over 48 bytes, the outer escaping is removed and the pattern decrypted; anything
    /// else is copied.
    pub fn decrypt_avc_nal(&self, nal: &[u8], out: &mut Vec<u8>) {
        if !is_encrypted_avc_nal(nal) {
            out.extend_from_slice(nal);
            return;
        }
        let start = out.len();
        remove_emulation_prevention(nal, out);
        self.decrypt_nal_pattern(&mut out[start..]);
    }

    /// Decrypts an audio frame's protected part in place.
    pub fn decrypt_audio_frame(&self, frame: &mut [u8]) {
        let len = frame.len();
        self.cbc(frame, audio_blocks(len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;

    fn key() -> ContentKey {
        ContentKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
    }

    const IV: [u8; 16] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];

    #[test]
    fn video_vector_of_protocols_md_7_9() {
        let mut nal: Vec<u8> = (0..200usize)
            .map(|k| {
                if k == 0 {
                    0x65
                } else {
                    ((5 * (k - 1) + 1) % 256) as u8
                }
            })
            .collect();
        let clear = nal.clone();
        let enc = SampleAesEncryptor::new(&key(), IV);
        enc.encrypt_nal_pattern(&mut nal);
        assert_eq!(&nal[29..32], &hex("8d9297")[..]);
        assert_eq!(&nal[32..48], &hex("85e8be48a7b83fc61286deae2e9c22e1")[..]);
        assert_eq!(&nal[48..], &clear[48..], "only one block is encrypted");
        assert_eq!(&nal[..32], &clear[..32]);
        let dec = SampleAesDecryptor::new(&key(), IV);
        dec.decrypt_nal_pattern(&mut nal);
        assert_eq!(nal, clear);
    }

    #[test]
    fn audio_vector_of_protocols_md_7_9() {
        let mut frame: Vec<u8> = (0..50usize).map(|k| ((11 * k + 3) % 256) as u8).collect();
        let clear = frame.clone();
        SampleAesEncryptor::new(&key(), IV).encrypt_audio_frame(&mut frame);
        assert_eq!(
            frame,
            hex(
                "030e19242f3a45505b66717c87929da8 62801342fbf16de7b10c588a6a1b27c9 353d36a80e5d6f33ec4b14c69c3baa5a 131e"
            )
        );
        SampleAesDecryptor::new(&key(), IV).decrypt_audio_frame(&mut frame);
        assert_eq!(frame, clear);
    }

    #[test]
    fn block_positions() {
        assert_eq!(video_blocks(48).count(), 0);
        assert_eq!(video_blocks(49).collect::<Vec<_>>(), [32]);
        // 32 + 16 + 144 = 192: the next block starts at 192 if more than 16 bytes remain.
        assert_eq!(video_blocks(208).collect::<Vec<_>>(), [32]);
        assert_eq!(video_blocks(209).collect::<Vec<_>>(), [32, 192]);
        assert_eq!(audio_blocks(31).count(), 0);
        assert_eq!(audio_blocks(32).collect::<Vec<_>>(), [16]);
        assert_eq!(audio_blocks(63).collect::<Vec<_>>(), [16, 32]);
    }

    #[test]
    fn escaped_slices_round_trip() {
        let enc = SampleAesEncryptor::new(&key(), IV);
        let dec = SampleAesDecryptor::new(&key(), IV);
        let mut scratch = Vec::new();
        for len in [10usize, 48, 49, 300, 5000] {
            let nal: Vec<u8> = (0..len)
                .map(|i| if i == 0 { 0x41 } else { (i % 5) as u8 })
                .collect();
            let mut out = Vec::new();
            enc.encrypt_avc_nal(&nal, &mut out, &mut scratch);
            if len <= 48 {
                assert_eq!(out, nal);
            }
            let mut back = Vec::new();
            dec.decrypt_avc_nal(&out, &mut back);
            assert_eq!(back, nal, "len {len}");
        }
        // Parameter sets stay clear whatever their size.
        let sps = vec![0x67; 100];
        let mut out = Vec::new();
        enc.encrypt_avc_nal(&sps, &mut out, &mut scratch);
        assert_eq!(out, sps);
    }
}
