//! Encoding boxes to bytes, with an optional recorder that describes every field (the dumper).

use bytes::Bytes;

use crate::codec::{Bits, BitsMode, Codec, Width};
use crate::dump::Value;
use crate::header::{BoxHeader, SizeForm};
use crate::{AnyBox, Error, FourCC, Result};

/// Receives a description of every field while a box is encoded (see [`crate::dump`]).
pub(crate) trait Recorder {
    fn field(&mut self, name: &'static str, v: Value);
    fn begin_list(&mut self, name: &'static str);
    fn begin_item(&mut self);
    fn end_item(&mut self);
    fn end_list(&mut self);
    fn begin_children(&mut self, name: &'static str);
    fn end_children(&mut self);
    fn begin_box(&mut self, kind: FourCC, offset: u64, raw: bool);
    fn end_box(&mut self, size: u64);
    const ACTIVE: bool;
}

/// The recorder of plain encoding: records nothing.
pub(crate) struct NoRecord;

impl Recorder for NoRecord {
    const ACTIVE: bool = false;
    fn field(&mut self, _: &'static str, _: Value) {}
    fn begin_list(&mut self, _: &'static str) {}
    fn begin_item(&mut self) {}
    fn end_item(&mut self) {}
    fn end_list(&mut self) {}
    fn begin_children(&mut self, _: &'static str) {}
    fn end_children(&mut self) {}
    fn begin_box(&mut self, _: FourCC, _: u64, _: bool) {}
    fn end_box(&mut self, _: u64) {}
}

pub(crate) struct Encoder<'a, R: Recorder> {
    pub(crate) out: &'a mut Vec<u8>,
    /// Absolute offset of `out[0]` in the final output.
    pub(crate) base: u64,
    pub(crate) kind: FourCC,
    pub(crate) rec: &'a mut R,
}

impl<R: Recorder> Encoder<'_, R> {
    fn put(&mut self, name: &'static str, n: usize, v: u64, shown: impl FnOnce() -> Value) {
        let b = v.to_be_bytes();
        self.out.extend_from_slice(&b[8 - n..]);
        if R::ACTIVE {
            self.rec.field(name, shown());
        }
    }
}

impl<R: Recorder> Codec for Encoder<'_, R> {
    fn decoding(&self) -> bool {
        false
    }
    fn kind(&self) -> FourCC {
        self.kind
    }
    fn offset(&self) -> u64 {
        self.base + self.out.len() as u64
    }
    fn remaining(&self) -> u64 {
        0
    }
    fn u8(&mut self, name: &'static str, v: &mut u8) -> Result<()> {
        let x = *v as u64;
        self.put(name, 1, x, || Value::UInt(x));
        Ok(())
    }
    fn u16(&mut self, name: &'static str, v: &mut u16) -> Result<()> {
        let x = *v as u64;
        self.put(name, 2, x, || Value::UInt(x));
        Ok(())
    }
    fn u24(&mut self, name: &'static str, v: &mut u32) -> Result<()> {
        if *v > 0xff_ffff {
            return Err(Error::Encode {
                kind: self.kind,
                reason: format!("{name} = {} does not fit 24 bits", *v),
            });
        }
        let x = *v as u64;
        self.put(name, 3, x, || Value::UInt(x));
        Ok(())
    }
    fn u32(&mut self, name: &'static str, v: &mut u32) -> Result<()> {
        let x = *v as u64;
        self.put(name, 4, x, || Value::UInt(x));
        Ok(())
    }
    fn u64(&mut self, name: &'static str, v: &mut u64) -> Result<()> {
        let x = *v;
        self.put(name, 8, x, || Value::UInt(x));
        Ok(())
    }
    fn u16_signed(&mut self, name: &'static str, v: &mut u16) -> Result<()> {
        let x = *v;
        self.put(name, 2, x as u64, || Value::Int(x as i16 as i64));
        Ok(())
    }
    fn u32_signed(&mut self, name: &'static str, v: &mut u32) -> Result<()> {
        let x = *v;
        self.put(name, 4, x as u64, || Value::Int(x as i32 as i64));
        Ok(())
    }
    fn u64_signed(&mut self, name: &'static str, v: &mut u64) -> Result<()> {
        let x = *v;
        self.put(name, 8, x, || Value::Int(x as i64));
        Ok(())
    }
    fn fourcc(&mut self, name: &'static str, v: &mut FourCC) -> Result<()> {
        self.out.extend_from_slice(&v.0);
        if R::ACTIVE {
            self.rec.field(name, Value::FourCC(*v));
        }
        Ok(())
    }
    fn array<const N: usize>(&mut self, name: &'static str, v: &mut [u8; N]) -> Result<()> {
        self.out.extend_from_slice(v);
        if R::ACTIVE {
            self.rec
                .field(name, Value::Bytes(Bytes::copy_from_slice(v)));
        }
        Ok(())
    }
    fn bytes(&mut self, name: &'static str, len: usize, v: &mut Bytes) -> Result<()> {
        if v.len() != len {
            return Err(Error::Encode {
                kind: self.kind,
                reason: format!("{name} has {} bytes, its length field says {len}", v.len()),
            });
        }
        self.rest(name, v)
    }
    fn rest(&mut self, name: &'static str, v: &mut Bytes) -> Result<()> {
        self.out.extend_from_slice(v);
        if R::ACTIVE {
            self.rec.field(name, Value::Bytes(v.clone()));
        }
        Ok(())
    }
    fn cstring(&mut self, name: &'static str, v: &mut Bytes) -> Result<()> {
        if v.contains(&0) {
            return Err(Error::Encode {
                kind: self.kind,
                reason: format!("{name} contains a NUL byte"),
            });
        }
        self.out.extend_from_slice(v);
        self.out.push(0);
        if R::ACTIVE {
            self.rec
                .field(name, Value::Text(String::from_utf8_lossy(v).into_owned()));
        }
        Ok(())
    }
    fn bits(&mut self, nbytes: usize, f: impl FnOnce(&mut Bits) -> Result<()>) -> Result<()> {
        let mut bits = Bits::new(BitsMode::Encode, nbytes, 0, R::ACTIVE);
        f(&mut bits)?;
        let value = bits.finish(self.kind)?;
        let b = value.to_be_bytes();
        self.out.extend_from_slice(&b[8 - nbytes..]);
        if let Some(rec) = bits.record.take() {
            for (name, v) in rec {
                self.rec.field(name, Value::UInt(v));
            }
        }
        Ok(())
    }
    fn count(&mut self, name: &'static str, width: Width, len: usize) -> Result<usize> {
        if len as u64 > width.max() {
            return Err(Error::Encode {
                kind: self.kind,
                reason: format!("{name}: {len} entries do not fit a {width:?} count"),
            });
        }
        let n = match width {
            Width::U8 => 1,
            Width::U16 => 2,
            Width::U32 => 4,
        };
        self.put(name, n, len as u64, || Value::UInt(len as u64));
        Ok(len)
    }
    fn list<T: Default>(
        &mut self,
        name: &'static str,
        n: usize,
        _min_item: usize,
        v: &mut Vec<T>,
        mut f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        if n != v.len() {
            return Err(Error::Encode {
                kind: self.kind,
                reason: format!("{name}: count {n} but {} entries", v.len()),
            });
        }
        self.rec.begin_list(name);
        for item in v.iter_mut() {
            self.rec.begin_item();
            f(self, item)?;
            self.rec.end_item();
        }
        self.rec.end_list();
        Ok(())
    }
    fn list_to_end_var<T: Default>(
        &mut self,
        name: &'static str,
        v: &mut Vec<T>,
        f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        let n = v.len();
        self.list(name, n, 0, v, f)
    }
    fn expandable(
        &mut self,
        size_len: &mut u8,
        body: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let declared = (*size_len).clamp(1, 4) as usize;
        let start = self.out.len();
        self.out.resize(start + declared, 0);
        if R::ACTIVE {
            self.rec.field("size_len", Value::UInt(declared as u64));
        }
        body(self)?;
        let len = self.out.len() - start - declared;
        let needed = match len {
            0..=0x7f => 1,
            0x80..=0x3fff => 2,
            0x4000..=0x1f_ffff => 3,
            0x20_0000..=0x0fff_ffff => 4,
            _ => {
                return Err(Error::Encode {
                    kind: self.kind,
                    reason: "descriptor longer than 2^28 bytes".into(),
                });
            }
        };
        let n = declared.max(needed);
        if n > declared {
            self.out
                .splice(start..start, std::iter::repeat_n(0u8, n - declared));
        }
        for i in 0..n {
            let shift = 7 * (n - 1 - i);
            let more = if i + 1 < n { 0x80 } else { 0 };
            self.out[start + i] = ((len >> shift) & 0x7f) as u8 | more;
        }
        *size_len = n as u8;
        Ok(())
    }
    fn children(&mut self, name: &'static str, v: &mut Vec<AnyBox>) -> Result<()> {
        self.rec.begin_children(name);
        for b in v.iter_mut() {
            encode_with(b, self.out, self.base, self.rec)?;
        }
        self.rec.end_children();
        Ok(())
    }
    fn noncanonical(&mut self, _: String) {}
    fn annotate(&mut self, name: &'static str, text: impl FnOnce() -> String) {
        if R::ACTIVE {
            self.rec.field(name, Value::Text(text()));
        }
    }
}

/// Encodes `b` (header and body) at the end of `out`; `base` is the absolute offset of `out[0]`.
pub(crate) fn encode_with<R: Recorder>(
    b: &mut AnyBox,
    out: &mut Vec<u8>,
    base: u64,
    rec: &mut R,
) -> Result<()> {
    let kind = b.kind();
    let start = out.len();
    let form = match b {
        AnyBox::Unknown(u) => u.form,
        _ => SizeForm::Compact,
    };
    rec.begin_box(kind, base + start as u64, matches!(b, AnyBox::Unknown(_)));
    BoxHeader::write(kind, 0, form, out);
    {
        let mut enc = Encoder {
            out,
            base,
            kind,
            rec,
        };
        b.codec_body(&mut enc)?;
    }
    let size = (out.len() - start) as u64;
    match form {
        SizeForm::Compact if size <= u32::MAX as u64 => {
            out[start..start + 4].copy_from_slice(&(size as u32).to_be_bytes());
        }
        SizeForm::Compact => {
            // Too big for 32 bits: switch to a 64-bit largesize header.
            let size = size + 8;
            out.splice(start + 8..start + 8, size.to_be_bytes());
            out[start..start + 4].copy_from_slice(&1u32.to_be_bytes());
        }
        SizeForm::Large => {
            out[start + 8..start + 16].copy_from_slice(&size.to_be_bytes());
        }
        SizeForm::ToEnd => {}
    }
    rec.end_box((out.len() - start) as u64);
    Ok(())
}

/// Encodes only the body of `b` (no header) into `out`.
pub(crate) fn encode_body(b: &mut AnyBox, out: &mut Vec<u8>) -> Result<()> {
    let kind = b.kind();
    let mut rec = NoRecord;
    let mut enc = Encoder {
        out,
        base: 0,
        kind,
        rec: &mut rec,
    };
    b.codec_body(&mut enc)
}

/// Appends the encoding of `b` (header and body) to `out`.
///
/// Encoding needs the box mutably only because one codec definition serves both directions;
/// this clones it. Use [`encode_box_mut`] on a box you own to avoid the copy.
pub fn encode_box(b: &AnyBox, out: &mut Vec<u8>) -> Result<()> {
    encode_box_mut(&mut b.clone(), out)
}

/// Appends the encoding of `b` to `out` without copying it (the box is not changed).
pub fn encode_box_mut(b: &mut AnyBox, out: &mut Vec<u8>) -> Result<()> {
    encode_with(b, out, 0, &mut NoRecord)
}

/// The encoded size of `b` in bytes (header included).
pub fn encoded_size(b: &AnyBox) -> Result<u64> {
    let mut v = Vec::new();
    encode_box(b, &mut v)?;
    Ok(v.len() as u64)
}

/// Encodes a structure that is not a box with `f` (the counterpart of `decode_record`).
pub(crate) fn encode_record(
    kind: FourCC,
    out: &mut Vec<u8>,
    f: impl FnOnce(&mut Encoder<'_, NoRecord>) -> Result<()>,
) -> Result<()> {
    let mut rec = NoRecord;
    let mut enc = Encoder {
        out,
        base: 0,
        kind,
        rec: &mut rec,
    };
    f(&mut enc)
}
