//! Full-segment encryption for `#EXT-X-KEY:METHOD=AES-128` (RFC 8216 section 5.2): the whole
//! segment file with AES-128-CBC and PKCS#7 padding. The IV is the `IV` attribute, or else the
//! segment's media sequence number as a 128-bit big-endian integer ([`sequence_iv`]).

use std::io::{self, Write};

use aes::Aes128;
use cipher::array::Array;
use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use keys::ContentKey;

use crate::error::{Error, Result};

const BLOCK: usize = 16;
/// Bytes collected before a batch is encrypted and written.
const BATCH: usize = 64 * 1024;

/// The IV of a segment without an `IV` attribute: its media sequence number, big-endian, in
/// the low-order bytes of 16.
pub fn sequence_iv(media_sequence: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[8..].copy_from_slice(&media_sequence.to_be_bytes());
    iv
}

/// A writer that AES-128-CBC-encrypts everything written through it and pads with PKCS#7 in
/// [`Aes128Writer::finish`]. Memory use is one batch (64 KiB) whatever the segment size.
pub struct Aes128Writer<W: Write> {
    inner: W,
    cbc: cbc::Encryptor<Aes128>,
    pending: Vec<u8>,
    written: u64,
}

impl<W: Write> std::fmt::Debug for Aes128Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aes128Writer")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Aes128Writer<W> {
    /// Encrypts into `inner` with `key` and `iv`.
    pub fn new(inner: W, key: &ContentKey, iv: [u8; 16]) -> Self {
        Aes128Writer {
            inner,
            cbc: cbc::Encryptor::<Aes128>::new(&Array::from(*key.secret_bytes()), &Array::from(iv)),
            pending: Vec::with_capacity(BATCH + BLOCK),
            written: 0,
        }
    }

    fn encrypt_whole_blocks(&mut self) -> io::Result<()> {
        let whole = self.pending.len() / BLOCK * BLOCK;
        if whole == 0 {
            return Ok(());
        }
        let (blocks, _) = Array::slice_as_chunks_mut(&mut self.pending[..whole]);
        self.cbc.encrypt_blocks(blocks);
        self.inner.write_all(&self.pending[..whole])?;
        self.written += whole as u64;
        self.pending.drain(..whole);
        Ok(())
    }

    /// Pads, encrypts the last block(s), flushes, and returns the inner writer and the number
    /// of cipher-text bytes written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.encrypt_whole_blocks()?;
        let pad = BLOCK - self.pending.len() % BLOCK;
        self.pending.extend(std::iter::repeat_n(pad as u8, pad));
        self.encrypt_whole_blocks()?;
        self.inner.flush()?;
        Ok((self.inner, self.written))
    }
}

impl<W: Write> Write for Aes128Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= BATCH {
            self.encrypt_whole_blocks()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Whole blocks can go out; the tail waits for `finish` (padding).
        self.encrypt_whole_blocks()?;
        self.inner.flush()
    }
}

/// Decrypts a whole AES-128 segment in place and removes the PKCS#7 padding.
pub fn decrypt_segment(data: &mut Vec<u8>, key: &ContentKey, iv: [u8; 16]) -> Result<()> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return Err(Error::Aes128(
            "the length is not a positive multiple of 16 bytes",
        ));
    }
    let mut dec =
        cbc::Decryptor::<Aes128>::new(&Array::from(*key.secret_bytes()), &Array::from(iv));
    let (blocks, _) = Array::slice_as_chunks_mut(&mut data[..]);
    dec.decrypt_blocks(blocks);
    let pad = *data.last().expect("not empty") as usize;
    if pad == 0 || pad > BLOCK || data[data.len() - pad..].iter().any(|&b| b as usize != pad) {
        return Err(Error::Aes128(
            "invalid PKCS#7 padding (wrong key or IV, or damaged data)",
        ));
    }
    data.truncate(data.len() - pad);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;

    fn key() -> ContentKey {
        ContentKey::from_hex("000102030405060708090a0b0c0d0e0f").unwrap()
    }

    #[test]
    fn vector_of_protocols_md_7_8() {
        let mut plain = b"HLS AES-128 test segment payload".to_vec();
        plain.extend_from_slice(&[0x47; 3]);
        let iv = sequence_iv(5);
        assert_eq!(iv, hex("00000000000000000000000000000005")[..]);
        let mut w = Aes128Writer::new(Vec::new(), &key(), iv);
        w.write_all(&plain).unwrap();
        let (mut out, n) = w.finish().unwrap();
        assert_eq!(n, 48);
        assert_eq!(
            out,
            hex(
                "750a0c756d6b92412da5bedde3770ed4 78f3a383ac9d9d6bbe1922484820e247 2e2f7a161f7b81391f525f75392c3bf8"
            )
        );
        decrypt_segment(&mut out, &key(), iv).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn any_write_pattern_round_trips() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
        for len in [0usize, 1, 15, 16, 17, 188, 65_536, 65_537, 300_000] {
            let mut w = Aes128Writer::new(Vec::new(), &key(), [9; 16]);
            for chunk in data[..len].chunks(188) {
                w.write_all(chunk).unwrap();
            }
            let (mut out, n) = w.finish().unwrap();
            assert_eq!(out.len() as u64, n);
            assert_eq!(out.len(), (len / 16 + 1) * 16, "PKCS#7 always pads");
            decrypt_segment(&mut out, &key(), [9; 16]).unwrap();
            assert_eq!(out, &data[..len]);
        }
    }

    #[test]
    fn wrong_key_or_damage_is_detected_by_padding() {
        let mut w = Aes128Writer::new(Vec::new(), &key(), [1; 16]);
        w.write_all(&[0x47; 376]).unwrap();
        let (out, _) = w.finish().unwrap();
        // A wrong key gives random padding: almost always invalid, never the plain text.
        let mut rejected = 0;
        for b in 0..8u8 {
            let mut copy = out.clone();
            match decrypt_segment(&mut copy, &ContentKey::new([b; 16]), [1; 16]) {
                Err(_) => rejected += 1,
                Ok(()) => assert_ne!(copy, [0x47; 376]),
            }
        }
        assert!(rejected >= 6, "{rejected} of 8 wrong keys rejected");
        let mut copy = out.clone();
        copy.pop();
        assert!(decrypt_segment(&mut copy, &key(), [1; 16]).is_err());
    }
}
