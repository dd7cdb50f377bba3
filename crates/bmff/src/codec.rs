//! The one definition of every box: a bidirectional field codec.
//!
//! A box type describes its body once, as a sequence of calls on a [`Codec`]:
//!
//! ```ignore
//! fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
//!     c.u32("timescale", &mut self.timescale)?;
//!     c.u64_or_u32("duration", self.version == 1, &mut self.duration)
//! }
//! ```
//!
//! The same function *reads* the fields when `c` is the decoder, *writes* them when `c` is the
//! encoder, and *describes* them (name, value, offset) when `c` is the dumper behind
//! `mdrm-box dump`. Parsing, writing and dumping therefore cannot drift apart, and sizes are
//! never computed by hand: the encoder measures what it wrote.
//!
//! Version numbers and flag bits that only say which optional fields are present are derived
//! from the data when writing (see the full-box helpers of each box), so they cannot contradict it.

use bytes::Bytes;

use crate::{AnyBox, Error, FourCC, Result};

/// Width of a count field that precedes a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 8-bit count.
    U8,
    /// 16-bit count.
    U16,
    /// 32-bit count.
    U32,
}

impl Width {
    pub(crate) fn max(self) -> u64 {
        match self {
            Width::U8 => u8::MAX as u64,
            Width::U16 => u16::MAX as u64,
            Width::U32 => u32::MAX as u64,
        }
    }
}

/// One direction of the codec: decoding, encoding or dumping a box body.
///
/// Every method takes the field's name (used by the dumper and in error messages) and a
/// mutable reference to the field: decoders store into it, encoders and dumpers read it.
pub trait Codec: Sized {
    /// True while reading a box, false while writing or dumping one.
    fn decoding(&self) -> bool;

    /// The type of the box being coded (for error messages).
    fn kind(&self) -> FourCC;

    /// Absolute offset of the next byte (in the input when decoding, in the output otherwise).
    fn offset(&self) -> u64;

    /// Bytes left in the box body. Only meaningful while decoding; writers return 0.
    fn remaining(&self) -> u64;

    /// Whether an optional trailing part is present: while decoding, whether bytes remain;
    /// while writing, `present` (whether the value holds it).
    fn more(&self, present: bool) -> bool {
        if self.decoding() {
            self.remaining() > 0
        } else {
            present
        }
    }

    /// An unsigned 8-bit field.
    fn u8(&mut self, name: &'static str, v: &mut u8) -> Result<()>;
    /// An unsigned 16-bit field.
    fn u16(&mut self, name: &'static str, v: &mut u16) -> Result<()>;
    /// An unsigned 24-bit field (held in a `u32`).
    fn u24(&mut self, name: &'static str, v: &mut u32) -> Result<()>;
    /// An unsigned 32-bit field.
    fn u32(&mut self, name: &'static str, v: &mut u32) -> Result<()>;
    /// An unsigned 64-bit field.
    fn u64(&mut self, name: &'static str, v: &mut u64) -> Result<()>;

    /// A signed 16-bit field.
    fn i16(&mut self, name: &'static str, v: &mut i16) -> Result<()> {
        let mut u = *v as u16;
        self.u16_signed(name, &mut u)?;
        *v = u as i16;
        Ok(())
    }
    /// A signed 32-bit field.
    fn i32(&mut self, name: &'static str, v: &mut i32) -> Result<()> {
        let mut u = *v as u32;
        self.u32_signed(name, &mut u)?;
        *v = u as i32;
        Ok(())
    }
    /// A signed 64-bit field.
    fn i64(&mut self, name: &'static str, v: &mut i64) -> Result<()> {
        let mut u = *v as u64;
        self.u64_signed(name, &mut u)?;
        *v = u as i64;
        Ok(())
    }
    #[doc(hidden)]
    fn u16_signed(&mut self, name: &'static str, v: &mut u16) -> Result<()>;
    #[doc(hidden)]
    fn u32_signed(&mut self, name: &'static str, v: &mut u32) -> Result<()>;
    #[doc(hidden)]
    fn u64_signed(&mut self, name: &'static str, v: &mut u64) -> Result<()>;

    /// A field of 64 bits when `wide`, else 32 bits (version 1 vs version 0 boxes).
    fn u64_or_u32(&mut self, name: &'static str, wide: bool, v: &mut u64) -> Result<()> {
        if wide {
            return self.u64(name, v);
        }
        let mut n = u32::try_from(*v).map_err(|_| Error::Encode {
            kind: self.kind(),
            reason: format!("{name} = {} does not fit a version 0 (32-bit) field", *v),
        })?;
        self.u32(name, &mut n)?;
        *v = n as u64;
        Ok(())
    }

    /// A signed field of 64 bits when `wide`, else 32 bits.
    fn i64_or_i32(&mut self, name: &'static str, wide: bool, v: &mut i64) -> Result<()> {
        if wide {
            return self.i64(name, v);
        }
        let mut n = i32::try_from(*v).map_err(|_| Error::Encode {
            kind: self.kind(),
            reason: format!("{name} = {} does not fit a 32-bit field", *v),
        })?;
        self.i32(name, &mut n)?;
        *v = n as i64;
        Ok(())
    }

    /// A four-character code.
    fn fourcc(&mut self, name: &'static str, v: &mut FourCC) -> Result<()> {
        self.array(name, &mut v.0)
    }

    /// A fixed number of bytes.
    fn array<const N: usize>(&mut self, name: &'static str, v: &mut [u8; N]) -> Result<()>;

    /// Exactly `len` bytes.
    fn bytes(&mut self, name: &'static str, len: usize, v: &mut Bytes) -> Result<()>;

    /// Every byte left in the box body.
    fn rest(&mut self, name: &'static str, v: &mut Bytes) -> Result<()>;

    /// A NUL-terminated string (stored without the NUL).
    fn cstring(&mut self, name: &'static str, v: &mut Bytes) -> Result<()>;

    /// A group of bit fields packed into `nbytes` bytes, most significant bit first.
    fn bits(&mut self, nbytes: usize, f: impl FnOnce(&mut Bits) -> Result<()>) -> Result<()>;

    /// A count field of `width` for a list of `len` items. Returns the count read (decoding)
    /// or `len` after writing it (encoding; an error if it does not fit `width`).
    fn count(&mut self, name: &'static str, width: Width, len: usize) -> Result<usize>;

    /// `n` items, each coded by `f`. `min_item` is the smallest encoded size of one item: a
    /// count whose items cannot fit in the bytes left is rejected before any allocation.
    fn list<T: Default>(
        &mut self,
        name: &'static str,
        n: usize,
        min_item: usize,
        v: &mut Vec<T>,
        f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()>;

    /// Items of `item_size` bytes filling the rest of the box (no count field).
    fn list_to_end<T: Default>(
        &mut self,
        name: &'static str,
        item_size: usize,
        v: &mut Vec<T>,
        f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        let n = if self.decoding() {
            let rem = self.remaining() as usize;
            if !rem.is_multiple_of(item_size) {
                self.noncanonical(format!(
                    "{name}: {rem} bytes is not a whole number of {item_size}-byte items"
                ));
            }
            rem / item_size
        } else {
            v.len()
        };
        self.list(name, n, item_size, v, f)
    }

    /// An optional part, present when `present` (derived from flags or version).
    fn opt<T: Default>(
        &mut self,
        present: bool,
        v: &mut Option<T>,
        f: impl FnOnce(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        if self.decoding() {
            if present {
                let mut x = T::default();
                f(self, &mut x)?;
                *v = Some(x);
            } else {
                *v = None;
            }
            Ok(())
        } else {
            match v {
                Some(x) if present => f(self, x),
                None if !present => Ok(()),
                _ => Err(Error::Encode {
                    kind: self.kind(),
                    reason: "optional field presence disagrees with its flag".into(),
                }),
            }
        }
    }

    /// Items of varying size filling the rest of the body (or of the enclosing
    /// [`Codec::expandable`] region).
    fn list_to_end_var<T: Default>(
        &mut self,
        name: &'static str,
        v: &mut Vec<T>,
        f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()>;

    /// An MPEG-4 systems descriptor length ("expandable" size: 1 to 4 bytes of 7 bits with a
    /// continuation bit) followed by a body of that length, coded by `body`. `size_len` is the
    /// number of length bytes: writers may pad (`80 80 80 xx`), and the count is kept so the
    /// body is written back identically; a longer body widens it as needed.
    fn expandable(
        &mut self,
        size_len: &mut u8,
        body: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()>;

    /// Child boxes filling the rest of the body.
    fn children(&mut self, name: &'static str, v: &mut Vec<AnyBox>) -> Result<()>;

    /// A derived, human-readable annotation shown by the dumper only (e.g. a packed language
    /// code as text); not part of the encoding.
    fn annotate(&mut self, _name: &'static str, _text: impl FnOnce() -> String) {}

    /// Records that the box was decoded but cannot be written back byte for byte (reason).
    /// The decoder then keeps the box as raw bytes. Ignored when writing.
    fn noncanonical(&mut self, reason: String);

    /// An error about the current box.
    fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::Invalid {
            kind: self.kind(),
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// Reads/writes the version and flags of a full box. When writing, `version` and `flags`
    /// are the values derived from the data; when reading they are replaced by the file's.
    fn full_header(&mut self, version: &mut u8, flags: &mut u32) -> Result<()> {
        self.u8("version", version)?;
        self.u24("flags", flags)
    }
}

/// Mode of a [`Bits`] group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BitsMode {
    Decode,
    Encode,
}

/// A group of bit fields (see [`Codec::bits`]).
#[derive(Debug)]
pub struct Bits {
    mode: BitsMode,
    value: u64,
    used: u32,
    total: u32,
    pub(crate) record: Option<Vec<(&'static str, u64)>>,
    pub(crate) noncanonical: Option<String>,
}

impl Bits {
    pub(crate) fn new(mode: BitsMode, nbytes: usize, value: u64, record: bool) -> Self {
        Bits {
            mode,
            value,
            used: 0,
            total: nbytes as u32 * 8,
            record: record.then(Vec::new),
            noncanonical: None,
        }
    }

    pub(crate) fn finish(&self, kind: FourCC) -> Result<u64> {
        if self.used != self.total {
            return Err(Error::Encode {
                kind,
                reason: format!("bit group uses {} of {} bits", self.used, self.total),
            });
        }
        Ok(self.value)
    }

    fn raw(&mut self, bits: u32, v: u64) -> Result<u64> {
        if bits == 0 || self.used + bits > self.total {
            return Err(Error::InvalidArgument("bit field overruns its group"));
        }
        let shift = self.total - self.used - bits;
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        self.used += bits;
        match self.mode {
            BitsMode::Decode => Ok((self.value >> shift) & mask),
            BitsMode::Encode => {
                if v & !mask != 0 {
                    return Err(Error::InvalidArgument("value too large for its bit field"));
                }
                self.value |= v << shift;
                Ok(v)
            }
        }
    }

    /// A field of `bits` bits.
    pub fn field<T: BitValue>(&mut self, name: &'static str, bits: u32, v: &mut T) -> Result<()> {
        let got = self.raw(bits, v.to_u64())?;
        *v = T::from_u64(got);
        if let Some(r) = &mut self.record {
            r.push((name, got));
        }
        Ok(())
    }

    /// A one-bit flag.
    pub fn flag(&mut self, name: &'static str, v: &mut bool) -> Result<()> {
        let mut n = *v as u8;
        self.field(name, 1, &mut n)?;
        *v = n != 0;
        Ok(())
    }

    /// Reserved bits with the value the specification requires (all ones or zero). A file
    /// with other bits there is read but marked as not writable byte for byte.
    pub fn reserved(&mut self, bits: u32, canonical: u64) -> Result<()> {
        let got = self.raw(bits, canonical)?;
        if self.mode == BitsMode::Decode && got != canonical && self.noncanonical.is_none() {
            self.noncanonical = Some(format!(
                "reserved bits are {got:#x}, the specification requires {canonical:#x}"
            ));
        }
        Ok(())
    }
}

/// Integer types usable as bit fields.
pub trait BitValue: Copy {
    /// Widens to u64.
    fn to_u64(self) -> u64;
    /// Narrows from u64 (the value fits by construction).
    fn from_u64(v: u64) -> Self;
}

macro_rules! bit_value {
    ($($t:ty),*) => {$(
        impl BitValue for $t {
            fn to_u64(self) -> u64 { self as u64 }
            fn from_u64(v: u64) -> Self { v as $t }
        }
    )*};
}
bit_value!(u8, u16, u32, u64);
