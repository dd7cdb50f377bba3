//! A bit reader over an escaped NAL unit that removes emulation-prevention bytes on the fly
//! and counts positions both in the RBSP (bits) and in the escaped byte stream (bytes). Also
//! used without escaping for VP9 headers.

use crate::error::CencError;

/// Reads Exp-Golomb and fixed-width fields from a NAL unit (header included).
///
/// RBSP bits are buffered 64 at a time (most-significant first), so a field costs a shift
/// rather than a loop over its bits.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next escaped byte to load.
    pos: usize,
    /// Consecutive zero bytes among the last loaded bytes (emulation-prevention detection).
    zeros: u8,
    /// Whether 0x000003 sequences carry emulation-prevention bytes (H.264/H.265, not VP9).
    escaped: bool,
    /// Unread RBSP bits, most significant first, and how many of them are valid.
    cache: u64,
    cache_bits: u32,
    /// RBSP bits consumed so far.
    rbsp_bits: u64,
    codec: &'static str,
    unit: &'static str,
}

impl<'a> BitReader<'a> {
    /// A reader over `nal` (escaped bytes); `codec`/`unit` name it in errors.
    pub(crate) fn new(nal: &'a [u8], codec: &'static str, unit: &'static str) -> Self {
        BitReader {
            data: nal,
            pos: 0,
            zeros: 0,
            escaped: true,
            cache: 0,
            cache_bits: 0,
            rbsp_bits: 0,
            codec,
            unit,
        }
    }

    /// A reader over plain (unescaped) bytes.
    pub(crate) fn raw(data: &'a [u8], codec: &'static str, unit: &'static str) -> Self {
        BitReader {
            escaped: false,
            ..Self::new(data, codec, unit)
        }
    }

    /// An error naming `element` of this unit.
    pub(crate) fn error(&self, element: &'static str, problem: &'static str) -> CencError {
        CencError::Bitstream {
            codec: self.codec,
            unit: self.unit,
            element,
            problem,
        }
    }

    /// Loads RBSP bytes until the cache holds more than 56 bits or the data ends.
    fn refill(&mut self) {
        while self.cache_bits <= 56 {
            // 0x000003 inside a NAL unit: the 03 is an emulation-prevention byte, not RBSP.
            if self.escaped && self.zeros >= 2 && self.data.get(self.pos) == Some(&3) {
                self.pos += 1;
                self.zeros = 0;
            }
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            self.pos += 1;
            self.zeros = if b == 0 {
                self.zeros.saturating_add(1)
            } else {
                0
            };
            self.cache |= u64::from(b) << (56 - self.cache_bits);
            self.cache_bits += 8;
        }
    }

    /// `u(n)` for n <= 32.
    #[inline]
    pub(crate) fn bits(&mut self, n: u32, element: &'static str) -> Result<u32, CencError> {
        debug_assert!(n <= 32);
        if n == 0 {
            return Ok(0);
        }
        if self.cache_bits < n {
            self.refill();
            if self.cache_bits < n {
                return Err(self.error(element, "truncated"));
            }
        }
        let v = (self.cache >> (64 - n)) as u32;
        self.cache <<= n;
        self.cache_bits -= n;
        self.rbsp_bits += u64::from(n);
        Ok(v)
    }

    /// One bit.
    #[inline]
    pub(crate) fn flag(&mut self, element: &'static str) -> Result<bool, CencError> {
        Ok(self.bits(1, element)? == 1)
    }

    /// Skips `n` bits.
    #[inline]
    pub(crate) fn skip(&mut self, mut n: u64, element: &'static str) -> Result<(), CencError> {
        while n > 0 {
            let step = n.min(32) as u32;
            self.bits(step, element)?;
            n -= u64::from(step);
        }
        Ok(())
    }

    /// `ue(v)`: unsigned Exp-Golomb, values up to 2^32 - 2.
    #[inline]
    pub(crate) fn ue(&mut self, element: &'static str) -> Result<u32, CencError> {
        if self.cache_bits < 32 {
            self.refill();
        }
        let zeros = self.cache.leading_zeros();
        if zeros >= self.cache_bits {
            return Err(if self.cache_bits >= 32 {
                self.error(element, "Exp-Golomb code longer than 32 bits")
            } else {
                self.error(element, "truncated")
            });
        }
        if zeros > 31 {
            return Err(self.error(element, "Exp-Golomb code longer than 32 bits"));
        }
        self.bits(zeros + 1, element)?;
        let rest = self.bits(zeros, element)?;
        Ok(((1u64 << zeros) - 1 + u64::from(rest)) as u32)
    }

    /// `ue(v)` that must not exceed `max`.
    #[inline]
    pub(crate) fn ue_max(&mut self, max: u32, element: &'static str) -> Result<u32, CencError> {
        let v = self.ue(element)?;
        if v > max {
            return Err(self.error(element, "out of range"));
        }
        Ok(v)
    }

    /// `se(v)`: signed Exp-Golomb.
    #[inline]
    pub(crate) fn se(&mut self, element: &'static str) -> Result<i32, CencError> {
        let k = i64::from(self.ue(element)?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        Ok(v as i32)
    }

    /// True when the next bit starts a byte.
    pub(crate) fn byte_aligned(&self) -> bool {
        self.rbsp_bits.is_multiple_of(8)
    }

    /// RBSP bits consumed (emulation-prevention bytes excluded), NAL header included.
    pub(crate) fn rbsp_bits(&self) -> u64 {
        self.rbsp_bits
    }

    /// Escaped bytes holding every bit consumed so far (a partly read byte counts whole;
    /// emulation-prevention bytes before it count too, one right after it does not).
    pub(crate) fn escaped_bytes(&self) -> usize {
        let wanted = self.rbsp_bits.div_ceil(8);
        if !self.escaped {
            return wanted as usize;
        }
        let (mut seen, mut zeros, mut i) = (0u64, 0u8, 0usize);
        while seen < wanted && i < self.data.len() {
            if zeros >= 2 && self.data[i] == 3 {
                zeros = 0;
                i += 1;
                continue;
            }
            zeros = if self.data[i] == 0 {
                zeros.saturating_add(1)
            } else {
                0
            };
            seen += 1;
            i += 1;
        }
        i
    }
}

/// `Ceil(Log2(x))`, 0 for x <= 1.
pub(crate) fn ceil_log2(x: u32) -> u32 {
    if x <= 1 {
        0
    } else {
        32 - (x - 1).leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_and_fixed_fields() {
        // 1 | 010 | 011 | 00100 | 00101 | 1011 -> ue 0, ue 1, ue 2, ue 3, se -2, u4 11
        let data = [0b1010_0110, 0b0100_0010, 0b1101_1000];
        let mut r = BitReader::new(&data, "test", "unit");
        assert_eq!(r.ue("a").unwrap(), 0);
        assert_eq!(r.ue("b").unwrap(), 1);
        assert_eq!(r.ue("c").unwrap(), 2);
        assert_eq!(r.ue("d").unwrap(), 3);
        assert_eq!(r.se("e").unwrap(), -2);
        assert_eq!(r.bits(4, "f").unwrap(), 0b1011);
        assert_eq!(r.rbsp_bits(), 21);
        assert_eq!(r.escaped_bytes(), 3);
        assert!(!r.byte_aligned());
        let e = r.bits(8, "g").unwrap_err();
        assert_eq!(e.to_string(), "test unit: g: truncated");
    }

    #[test]
    fn emulation_prevention_bytes_are_skipped_but_counted_in_escaped_bytes() {
        // 00 00 03 01: RBSP 00 00 01.
        let data = [0x00, 0x00, 0x03, 0x01, 0xff];
        let mut r = BitReader::new(&data, "t", "u");
        assert_eq!(r.bits(24, "x").unwrap(), 1);
        assert_eq!(r.rbsp_bits(), 24);
        assert_eq!(r.escaped_bytes(), 4);
        // An 03 right after the last consumed byte is not yet counted.
        let data = [0x00, 0x00, 0x03, 0x00];
        let mut r = BitReader::new(&data, "t", "u");
        assert_eq!(r.bits(16, "x").unwrap(), 0);
        assert_eq!(r.escaped_bytes(), 2);
        // Two escapes in a row: RBSP 00 00 00 00 02.
        let data = [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x02];
        let mut r = BitReader::new(&data, "t", "u");
        assert_eq!(r.bits(32, "x").unwrap(), 0);
        assert_eq!(r.bits(8, "y").unwrap(), 2);
        assert_eq!(r.escaped_bytes(), 7);
        assert_eq!(r.rbsp_bits(), 40);
    }

    #[test]
    fn overlong_exp_golomb_is_an_error() {
        let data = [0u8; 8];
        let mut r = BitReader::new(&data, "t", "u");
        assert!(r.ue("x").is_err());
        assert_eq!(ceil_log2(1), 0);
        assert_eq!(ceil_log2(2), 1);
        assert_eq!(ceil_log2(3), 2);
        assert_eq!(ceil_log2(920), 10);
    }
}
