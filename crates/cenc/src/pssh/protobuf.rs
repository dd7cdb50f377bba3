//! The few protobuf wire-format pieces Widevine PSSH data needs (varints and
//! length-delimited fields, proto2).

use crate::error::CencError;

/// Wire type of varint fields.
pub(crate) const VARINT: u8 = 0;
/// Wire type of 64-bit fixed fields.
const FIXED64: u8 = 1;
/// Wire type of length-delimited fields (bytes, strings, messages).
pub(crate) const LEN: u8 = 2;
/// Wire type of 32-bit fixed fields.
const FIXED32: u8 = 5;

/// Appends `v` as a base-128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a field tag.
pub(crate) fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

/// Appends a length-delimited field.
pub(crate) fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a varint field.
pub(crate) fn put_uint(out: &mut Vec<u8>, field: u32, v: u64) {
    put_tag(out, field, VARINT);
    put_varint(out, v);
}

/// One decoded field.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A varint.
    Varint(u64),
    /// Length-delimited bytes.
    Bytes(&'a [u8]),
    /// A fixed-width value (skipped by Widevine's schema).
    Fixed,
}

fn error(reason: &str) -> CencError {
    CencError::Pssh {
        system: "Widevine",
        reason: reason.to_owned(),
    }
}

/// Reads fields one by one.
pub(crate) struct FieldReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> FieldReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        FieldReader { data, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, CencError> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = *self
                .data
                .get(self.pos)
                .ok_or_else(|| error("truncated varint"))?;
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(error("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(error("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CencError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| error("field runs past the end of the data"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next `(field number, value)`, or `None` at the end.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, Value<'a>)>, CencError> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let field = u32::try_from(tag >> 3).map_err(|_| error("field number too large"))?;
        if field == 0 {
            return Err(error("field number 0"));
        }
        let value = match (tag & 7) as u8 {
            VARINT => Value::Varint(self.varint()?),
            FIXED64 => {
                self.take(8)?;
                Value::Fixed
            }
            LEN => {
                let n = usize::try_from(self.varint()?).map_err(|_| error("length too large"))?;
                Value::Bytes(self.take(n)?)
            }
            FIXED32 => {
                self.take(4)?;
                Value::Fixed
            }
            _ => return Err(error("unsupported protobuf wire type (groups)")),
        };
        Ok(Some((field, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbcs_varint_matches_protocols_2_1() {
        // 'cbcs' as a varint is F3 C6 89 9B 06; with the field-9 tag: 48 F3 C6 89 9B 06.
        let mut out = Vec::new();
        put_uint(&mut out, 9, u64::from(u32::from_be_bytes(*b"cbcs")));
        assert_eq!(out, [0x48, 0xF3, 0xC6, 0x89, 0x9B, 0x06]);
        let mut r = FieldReader::new(&out);
        assert_eq!(
            r.next_field().unwrap(),
            Some((9, Value::Varint(0x6362_6373)))
        );
        assert_eq!(r.next_field().unwrap(), None);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [&[0x12, 0x05, 1][..], &[0x08, 0x80], &[0x0b], &[0x00, 0x01]] {
            let mut r = FieldReader::new(bad);
            assert!(r.next_field().is_err(), "{bad:?}");
        }
        let big = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ];
        assert!(FieldReader::new(&big).next_field().is_err());
    }
}
