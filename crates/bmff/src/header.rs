//! Box headers: `size u32 | type 4cc | [largesize u64]`.

use std::io::Read;

use crate::{Error, FourCC, Result};

/// How a box's size was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum SizeForm {
    /// 32-bit size (the canonical form when the box is under 4 GiB).
    #[default]
    Compact,
    /// `size == 1` followed by a 64-bit `largesize`.
    Large,
    /// `size == 0`: the box extends to the end of the file (last top-level box only).
    ToEnd,
}

/// A parsed box header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxHeader {
    /// Box type.
    pub kind: FourCC,
    /// Total size including the header; for [`SizeForm::ToEnd`], up to the end of the parent.
    pub size: u64,
    /// Bytes of header (8 or 16).
    pub header_len: u8,
    /// How the size was written.
    pub form: SizeForm,
}

impl BoxHeader {
    /// Size of the body (after the header).
    pub fn body_len(&self) -> u64 {
        self.size - self.header_len as u64
    }

    /// Parses a header from the start of `data`, whose box must fit in `available` bytes (the
    /// rest of the parent or file); `offset` is the absolute position, for errors.
    pub fn parse(data: &[u8], available: u64, offset: u64) -> Result<BoxHeader> {
        let trunc = |needed: u64| Error::Truncated {
            kind: FourCC::new(b"\0\0\0\0"),
            offset,
            needed,
            available,
        };
        if data.len() < 8 || available < 8 {
            return Err(trunc(8));
        }
        let size32 = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let kind = FourCC([data[4], data[5], data[6], data[7]]);
        let (size, header_len, form) = match size32 {
            0 => (available, 8u8, SizeForm::ToEnd),
            1 => {
                if data.len() < 16 || available < 16 {
                    return Err(Error::Truncated {
                        kind,
                        offset,
                        needed: 16,
                        available,
                    });
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[8..16]);
                (u64::from_be_bytes(b), 16u8, SizeForm::Large)
            }
            n => (n as u64, 8u8, SizeForm::Compact),
        };
        if size < header_len as u64 {
            return Err(Error::BadSize {
                kind,
                offset,
                size,
                reason: "is smaller than its own header",
            });
        }
        if size > available {
            return Err(Error::BadSize {
                kind,
                offset,
                size,
                reason: "overruns its parent box or the file",
            });
        }
        Ok(BoxHeader {
            kind,
            size,
            header_len,
            form,
        })
    }

    /// Reads a header from a stream; `Ok(None)` at a clean end of stream. `available` is the
    /// number of bytes from the header's start to the end of the file.
    pub fn read<R: Read>(r: &mut R, available: u64, offset: u64) -> Result<Option<BoxHeader>> {
        let mut buf = [0u8; 16];
        let n = read_up_to(r, &mut buf[..8])?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(Error::Truncated {
                kind: FourCC::new(b"\0\0\0\0"),
                offset,
                needed: 8,
                available: n as u64,
            });
        }
        if buf[0..4] == [0, 0, 0, 1] {
            let m = read_up_to(r, &mut buf[8..16])?;
            if m < 8 {
                return Err(Error::Truncated {
                    kind: FourCC([buf[4], buf[5], buf[6], buf[7]]),
                    offset,
                    needed: 16,
                    available: 8 + m as u64,
                });
            }
        }
        BoxHeader::parse(&buf, available, offset).map(Some)
    }

    /// Writes a header for a box of `size` total bytes in the given form.
    pub fn write(kind: FourCC, size: u64, form: SizeForm, out: &mut Vec<u8>) {
        match form {
            SizeForm::Compact => {
                out.extend_from_slice(&(size as u32).to_be_bytes());
                out.extend_from_slice(&kind.0);
            }
            SizeForm::Large => {
                out.extend_from_slice(&1u32.to_be_bytes());
                out.extend_from_slice(&kind.0);
                out.extend_from_slice(&size.to_be_bytes());
            }
            SizeForm::ToEnd => {
                out.extend_from_slice(&0u32.to_be_bytes());
                out.extend_from_slice(&kind.0);
            }
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(crate) fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compact_large_and_to_end() {
        let h = BoxHeader::parse(b"\0\0\0\x10moov", 100, 0).unwrap();
        assert_eq!((h.size, h.header_len, h.form), (16, 8, SizeForm::Compact));
        let mut large = b"\0\0\0\x01mdat".to_vec();
        large.extend_from_slice(&40u64.to_be_bytes());
        let h = BoxHeader::parse(&large, 100, 0).unwrap();
        assert_eq!((h.size, h.header_len, h.form), (40, 16, SizeForm::Large));
        let h = BoxHeader::parse(b"\0\0\0\0mdat", 77, 0).unwrap();
        assert_eq!((h.size, h.form), (77, SizeForm::ToEnd));
    }

    #[test]
    fn rejects_overrun_and_undersize() {
        assert!(matches!(
            BoxHeader::parse(b"\0\0\x10\0moov", 100, 5),
            Err(Error::BadSize { offset: 5, .. })
        ));
        assert!(matches!(
            BoxHeader::parse(b"\0\0\0\x04moov", 100, 0),
            Err(Error::BadSize { .. })
        ));
        assert!(matches!(
            BoxHeader::parse(b"\0\0\0", 100, 0),
            Err(Error::Truncated { .. })
        ));
    }
}
