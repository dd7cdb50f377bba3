//! Decoding boxes from bytes.

use bytes::Bytes;

use crate::codec::{Bits, BitsMode, Codec, Width};
use crate::header::{BoxHeader, SizeForm};
use crate::{AnyBox, Error, FourCC, Result, UnknownBox, limits};

/// How tolerant the parser is (see `style.md` item 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Boxes that fail to decode are kept as raw bytes (with a diagnostic); only a broken
    /// box structure (sizes) is an error.
    Permissive,
    /// Packaging input: known boxes must decode (metadata boxes may fall back to raw bytes);
    /// unknown boxes are kept as raw bytes.
    #[default]
    Normal,
    /// Verification of our own output: unknown boxes, decode failures and anything that
    /// could not be written back byte for byte are errors.
    Strict,
}

/// Options of a decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// How tolerant to be.
    pub strictness: Strictness,
    /// Guarantee a byte-identical write back: every typed box that would not re-encode to
    /// its input bytes is kept as raw bytes instead (with a diagnostic). Costs one extra
    /// encode of each leaf box; the sample reader turns it off.
    pub lossless: bool,
    /// Set internally while decoding the children of a sample entry in strict mode.
    unknown_in_sample_entries: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            strictness: Strictness::Normal,
            lossless: true,
            unknown_in_sample_entries: false,
        }
    }
}

impl DecodeOptions {
    /// Options for verifying our own output.
    pub fn strict() -> Self {
        DecodeOptions {
            strictness: Strictness::Strict,
            lossless: true,
            unknown_in_sample_entries: false,
        }
    }

    /// Options for reading input fast (no round-trip guarantee).
    pub fn reading() -> Self {
        DecodeOptions {
            strictness: Strictness::Normal,
            lossless: false,
            unknown_in_sample_entries: false,
        }
    }
}

/// Something the decoder noticed and tolerated: a box kept as raw bytes, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Absolute offset of the box header.
    pub offset: u64,
    /// Path of box types from the top, e.g. `moov/trak/mdia/minf/stbl/stsd/avc1/avcC`.
    pub path: String,
    /// What was wrong or could not be modelled.
    pub reason: String,
}

pub(crate) struct Decoder<'a> {
    data: Bytes,
    pos: usize,
    base: u64,
    kind: FourCC,
    opts: DecodeOptions,
    depth: usize,
    path: String,
    diags: &'a mut Vec<Diagnostic>,
    noncanonical: Option<String>,
}

impl<'a> Decoder<'a> {
    fn trunc(&self, needed: usize) -> Error {
        Error::Truncated {
            kind: self.kind,
            offset: self.base + self.pos as u64,
            needed: needed as u64,
            available: (self.data.len() - self.pos) as u64,
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.data.len() - self.pos < n {
            return Err(self.trunc(n));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn take_bytes(&mut self, n: usize) -> Result<Bytes> {
        if self.data.len() - self.pos < n {
            return Err(self.trunc(n));
        }
        let b = self.data.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(b)
    }

    fn be(&mut self, n: usize) -> Result<u64> {
        let s = self.take(n)?;
        Ok(s.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }
}

impl Codec for Decoder<'_> {
    fn decoding(&self) -> bool {
        true
    }
    fn kind(&self) -> FourCC {
        self.kind
    }
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    fn remaining(&self) -> u64 {
        (self.data.len() - self.pos) as u64
    }
    fn u8(&mut self, _: &'static str, v: &mut u8) -> Result<()> {
        *v = self.be(1)? as u8;
        Ok(())
    }
    fn u16(&mut self, _: &'static str, v: &mut u16) -> Result<()> {
        *v = self.be(2)? as u16;
        Ok(())
    }
    fn u24(&mut self, _: &'static str, v: &mut u32) -> Result<()> {
        *v = self.be(3)? as u32;
        Ok(())
    }
    fn u32(&mut self, _: &'static str, v: &mut u32) -> Result<()> {
        *v = self.be(4)? as u32;
        Ok(())
    }
    fn u64(&mut self, _: &'static str, v: &mut u64) -> Result<()> {
        *v = self.be(8)?;
        Ok(())
    }
    fn u16_signed(&mut self, n: &'static str, v: &mut u16) -> Result<()> {
        self.u16(n, v)
    }
    fn u32_signed(&mut self, n: &'static str, v: &mut u32) -> Result<()> {
        self.u32(n, v)
    }
    fn u64_signed(&mut self, n: &'static str, v: &mut u64) -> Result<()> {
        self.u64(n, v)
    }
    fn array<const N: usize>(&mut self, _: &'static str, v: &mut [u8; N]) -> Result<()> {
        v.copy_from_slice(self.take(N)?);
        Ok(())
    }
    fn bytes(&mut self, _: &'static str, len: usize, v: &mut Bytes) -> Result<()> {
        *v = self.take_bytes(len)?;
        Ok(())
    }
    fn rest(&mut self, _: &'static str, v: &mut Bytes) -> Result<()> {
        let n = self.data.len() - self.pos;
        *v = self.take_bytes(n)?;
        Ok(())
    }
    fn cstring(&mut self, name: &'static str, v: &mut Bytes) -> Result<()> {
        let found = self.data[self.pos..].iter().position(|&b| b == 0);
        match found {
            Some(n) => {
                *v = self.take_bytes(n)?;
                self.pos += 1;
            }
            None => {
                self.noncanonical(format!("{name}: string is not NUL-terminated"));
                let n = self.data.len() - self.pos;
                *v = self.take_bytes(n)?;
            }
        }
        Ok(())
    }
    fn bits(&mut self, nbytes: usize, f: impl FnOnce(&mut Bits) -> Result<()>) -> Result<()> {
        let value = self.be(nbytes)?;
        let mut bits = Bits::new(BitsMode::Decode, nbytes, value, false);
        f(&mut bits)?;
        if let Some(r) = bits.noncanonical.take() {
            self.noncanonical(r);
        }
        Ok(())
    }
    fn count(&mut self, _: &'static str, width: Width, _len: usize) -> Result<usize> {
        let n = match width {
            Width::U8 => self.be(1)?,
            Width::U16 => self.be(2)?,
            Width::U32 => self.be(4)?,
        };
        Ok(n as usize)
    }
    fn list<T: Default>(
        &mut self,
        _: &'static str,
        n: usize,
        min_item: usize,
        v: &mut Vec<T>,
        mut f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        let need = n.checked_mul(min_item);
        let too_many_empty = min_item == 0 && n > limits::MAX_EMPTY_ITEMS;
        if too_many_empty || need.is_none_or(|need| need > self.data.len() - self.pos) {
            return Err(Error::Limit {
                kind: self.kind,
                offset: self.offset(),
                what: "entry count (more entries than bytes left in the box)",
            });
        }
        v.clear();
        v.reserve(n.min(limits::MAX_INITIAL_CAPACITY));
        for _ in 0..n {
            let mut item = T::default();
            f(self, &mut item)?;
            v.push(item);
        }
        Ok(())
    }
    fn list_to_end_var<T: Default>(
        &mut self,
        _: &'static str,
        v: &mut Vec<T>,
        mut f: impl FnMut(&mut Self, &mut T) -> Result<()>,
    ) -> Result<()> {
        v.clear();
        while self.pos < self.data.len() {
            let before = self.pos;
            let mut item = T::default();
            f(self, &mut item)?;
            v.push(item);
            if self.pos == before {
                return Err(self.invalid("an item of a list occupies no bytes"));
            }
        }
        Ok(())
    }
    fn expandable(
        &mut self,
        size_len: &mut u8,
        body: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let mut len = 0usize;
        let mut n = 0u8;
        loop {
            let b = self.be(1)? as u8;
            n += 1;
            len = (len << 7) | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                break;
            }
            if n == 4 {
                return Err(self.invalid("descriptor size longer than 4 bytes"));
            }
        }
        *size_len = n;
        if self.data.len() - self.pos < len {
            return Err(self.trunc(len));
        }
        let end = self.pos + len;
        let whole = std::mem::replace(&mut self.data, Bytes::new());
        self.data = whole.slice(..end);
        let r = body(self);
        let consumed = self.pos;
        self.data = whole;
        r?;
        if consumed != end {
            return Err(self.invalid(format!(
                "descriptor body has {} bytes left unread",
                end - consumed
            )));
        }
        Ok(())
    }
    fn children(&mut self, _: &'static str, v: &mut Vec<AnyBox>) -> Result<()> {
        v.clear();
        while self.pos < self.data.len() {
            let left = self.data.len() - self.pos;
            if left < 8 {
                self.noncanonical(format!("{left} stray bytes after the last child box"));
                let _ = self.take_bytes(left)?;
                break;
            }
            let (b, used) = decode_child(self)?;
            v.push(b);
            self.pos += used;
        }
        Ok(())
    }
    fn noncanonical(&mut self, reason: String) {
        if self.noncanonical.is_none() {
            self.noncanonical = Some(reason);
        }
    }
}

/// Decodes the child box starting at the decoder's position; returns it and its size.
fn decode_child(parent: &mut Decoder<'_>) -> Result<(AnyBox, usize)> {
    let data = parent.data.slice(parent.pos..);
    let offset = parent.base + parent.pos as u64;
    // Codec-specific extension boxes inside sample entries are passed through from the
    // input verbatim; strict mode accepts them there (and only there) as raw bytes.
    let mut opts = parent.opts;
    if opts.strictness == Strictness::Strict && crate::boxes::is_sample_entry(parent.kind) {
        opts.unknown_in_sample_entries = true;
    }
    let path = if parent.path.is_empty() {
        String::new()
    } else {
        parent.path.clone()
    };
    decode_one(&data, offset, opts, parent.depth + 1, &path, parent.diags)
}

/// Decodes one box from the start of `data` (header included). `offset` is the absolute
/// position of `data[0]`. Returns the box and the number of bytes it occupies.
pub(crate) fn decode_one(
    data: &Bytes,
    offset: u64,
    opts: DecodeOptions,
    depth: usize,
    parent_path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<(AnyBox, usize)> {
    let h = BoxHeader::parse(data, data.len() as u64, offset)?;
    let size = usize::try_from(h.size).map_err(|_| Error::BadSize {
        kind: h.kind,
        offset,
        size: h.size,
        reason: "does not fit in memory on this platform",
    })?;
    if depth > limits::MAX_DEPTH {
        return Err(Error::Limit {
            kind: h.kind,
            offset,
            what: "box nesting depth",
        });
    }
    let body = data.slice(h.header_len as usize..size);
    let path = if parent_path.is_empty() {
        h.kind.to_string()
    } else {
        format!("{parent_path}/{}", h.kind)
    };
    let raw = |body: Bytes| {
        AnyBox::Unknown(UnknownBox {
            kind: h.kind,
            data: body,
            form: h.form,
        })
    };
    let Some(mut typed) = AnyBox::new_typed(h.kind) else {
        if opts.strictness == Strictness::Strict && !opts.unknown_in_sample_entries {
            return Err(Error::UnknownBox {
                kind: h.kind,
                offset,
            });
        }
        return Ok((raw(body), size));
    };
    let mut dec = Decoder {
        data: body.clone(),
        pos: 0,
        base: offset + h.header_len as u64,
        kind: h.kind,
        opts,
        depth,
        path: path.clone(),
        diags,
        noncanonical: None,
    };
    let result = typed.codec_body(&mut dec).and_then(|()| {
        if dec.pos != dec.data.len() {
            Err(Error::UnderDecode {
                kind: h.kind,
                offset,
                left: (dec.data.len() - dec.pos) as u64,
            })
        } else {
            Ok(())
        }
    });
    let mut noncanonical = dec.noncanonical.take();
    match result {
        Ok(()) => {}
        Err(e) => {
            let tolerate = match opts.strictness {
                Strictness::Permissive => true,
                Strictness::Normal => !typed.is_essential(),
                Strictness::Strict => false,
            };
            if !tolerate {
                return Err(e);
            }
            diags.push(Diagnostic {
                offset,
                path,
                reason: format!("kept as raw bytes: {e}"),
            });
            return Ok((raw(body), size));
        }
    }
    if h.form != SizeForm::Compact && noncanonical.is_none() {
        noncanonical = Some(format!("{:?} size form for a box under 4 GiB", h.form));
    }
    if opts.lossless && noncanonical.is_none() && !typed.has_children() {
        let mut out = Vec::with_capacity(size);
        crate::encode::encode_body(&mut typed, &mut out)?;
        if out != body {
            let at = out.iter().zip(body.iter()).position(|(a, b)| a != b);
            noncanonical = Some(match at {
                Some(i) => format!("re-encoding differs at body byte {i}"),
                None => format!(
                    "re-encoding has {} bytes, the input {}",
                    out.len(),
                    body.len()
                ),
            });
        }
    }
    match noncanonical {
        None => Ok((typed, size)),
        Some(reason) if opts.lossless || opts.strictness == Strictness::Strict => {
            if opts.strictness == Strictness::Strict {
                return Err(Error::Invalid {
                    kind: h.kind,
                    offset,
                    reason: format!("not canonical: {reason}"),
                });
            }
            diags.push(Diagnostic {
                offset,
                path,
                reason: format!("kept as raw bytes to preserve them: {reason}"),
            });
            Ok((raw(body), size))
        }
        Some(_) => Ok((typed, size)),
    }
}

/// Decodes a sequence of boxes filling `data` (e.g. a whole small file, or a `moof`).
/// `offset` is the absolute position of `data[0]`.
pub fn decode_boxes(
    data: &Bytes,
    offset: u64,
    opts: DecodeOptions,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<AnyBox>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let (b, used) = decode_one(&data.slice(pos..), offset + pos as u64, opts, 0, "", diags)?;
        out.push(b);
        pos += used;
    }
    Ok(out)
}

/// Decodes exactly one box occupying all of `data`.
pub fn decode_box(data: &Bytes, opts: DecodeOptions) -> Result<(AnyBox, Vec<Diagnostic>)> {
    let mut diags = Vec::new();
    let (b, used) = decode_one(data, 0, opts, 0, "", &mut diags)?;
    if used != data.len() {
        return Err(Error::UnderDecode {
            kind: b.kind(),
            offset: 0,
            left: (data.len() - used) as u64,
        });
    }
    Ok((b, diags))
}

/// Decodes a structure that is not a box (e.g. the records inside `senc` or an `sgpd` entry)
/// from all of `data` with `f`; `kind` names it in errors.
pub(crate) fn decode_record<T>(
    kind: FourCC,
    data: Bytes,
    f: impl FnOnce(&mut Decoder<'_>) -> Result<T>,
) -> Result<T> {
    let mut diags = Vec::new();
    let mut d = Decoder {
        data,
        pos: 0,
        base: 0,
        kind,
        opts: DecodeOptions::reading(),
        depth: 0,
        path: String::new(),
        diags: &mut diags,
        noncanonical: None,
    };
    let v = f(&mut d)?;
    if d.pos != d.data.len() {
        return Err(Error::UnderDecode {
            kind,
            offset: d.pos as u64,
            left: (d.data.len() - d.pos) as u64,
        });
    }
    Ok(v)
}
