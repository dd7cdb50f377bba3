//! Streaming access to whole files: top-level boxes one at a time from any `Read + Seek`.
//!
//! `mdat` bodies (and any top-level box over [`limits::MAX_LOADED_BOX`]) are never loaded:
//! they are described by their header and offset and copied from the source when written.

use std::io::{self, Read, Seek, SeekFrom, Write};

use bytes::Bytes;

use crate::decode::decode_one;
use crate::dump::{DumpBox, dump_box};
use crate::header::BoxHeader;
use crate::{AnyBox, DecodeOptions, Diagnostic, Error, FourCC, Result, encode_box_mut, limits};

/// One top-level item of a file.
#[derive(Clone, Debug, PartialEq)]
pub enum TopLevel {
    /// A box decoded into memory.
    Box {
        /// Absolute offset of its header.
        offset: u64,
        /// The box.
        boxed: AnyBox,
    },
    /// A box whose body was not loaded (`mdat`, very large boxes).
    Payload {
        /// Absolute offset of its header.
        offset: u64,
        /// Its header (type, size, size form).
        header: BoxHeader,
    },
}

impl TopLevel {
    /// The box type.
    pub fn kind(&self) -> FourCC {
        match self {
            TopLevel::Box { boxed, .. } => boxed.kind(),
            TopLevel::Payload { header, .. } => header.kind,
        }
    }

    /// Absolute offset of the header.
    pub fn offset(&self) -> u64 {
        match self {
            TopLevel::Box { offset, .. } | TopLevel::Payload { offset, .. } => *offset,
        }
    }
}

fn streamed(kind: FourCC, size: u64) -> bool {
    kind == FourCC::new(b"mdat") || size > limits::MAX_LOADED_BOX
}

/// Reads top-level items one by one (see [`TopLevelReader::next_item`]).
#[derive(Debug)]
pub struct TopLevelReader {
    pos: u64,
    file_size: u64,
    opts: DecodeOptions,
    diagnostics: Vec<Diagnostic>,
}

impl TopLevelReader {
    /// Starts at the beginning of `r` (whose size is measured by seeking to its end).
    pub fn new<R: Seek>(r: &mut R, opts: DecodeOptions) -> Result<Self> {
        let file_size = r.seek(SeekFrom::End(0))?;
        Ok(TopLevelReader {
            pos: 0,
            file_size,
            opts,
            diagnostics: Vec::new(),
        })
    }

    /// Size of the source in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// What the decoder tolerated so far.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Takes the diagnostics collected so far.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// The header of the next top-level box without reading its body, or `None` at the end.
    pub fn peek_header<R: Read + Seek>(&mut self, r: &mut R) -> Result<Option<BoxHeader>> {
        if self.pos >= self.file_size {
            return Ok(None);
        }
        r.seek(SeekFrom::Start(self.pos))?;
        BoxHeader::read(r, self.file_size - self.pos, self.pos)
    }

    /// Skips the next item without reading its body.
    pub fn skip<R: Read + Seek>(&mut self, r: &mut R) -> Result<Option<(u64, BoxHeader)>> {
        let Some(h) = self.peek_header(r)? else {
            return Ok(None);
        };
        let at = self.pos;
        self.pos += h.size;
        Ok(Some((at, h)))
    }

    /// Reads the next item, or `None` at the end of the file.
    pub fn next_item<R: Read + Seek>(&mut self, r: &mut R) -> Result<Option<TopLevel>> {
        let Some(h) = self.peek_header(r)? else {
            return Ok(None);
        };
        let offset = self.pos;
        self.pos += h.size;
        if streamed(h.kind, h.size) {
            return Ok(Some(TopLevel::Payload { offset, header: h }));
        }
        let mut buf = vec![0u8; h.size as usize];
        r.seek(SeekFrom::Start(offset))?;
        r.read_exact(&mut buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => Error::Truncated {
                kind: h.kind,
                offset,
                needed: h.size,
                available: self.file_size - offset,
            },
            _ => Error::Io(e),
        })?;
        let data = Bytes::from(buf);
        let (boxed, _) = decode_one(&data, offset, self.opts, 0, "", &mut self.diagnostics)?;
        Ok(Some(TopLevel::Box { offset, boxed }))
    }

    /// Reads the body of a box that was skipped or streamed into memory (for boxes that are
    /// needed after all, e.g. a `moof` found while indexing).
    pub fn load<R: Read + Seek>(
        &mut self,
        r: &mut R,
        offset: u64,
        header: &BoxHeader,
    ) -> Result<AnyBox> {
        let mut buf = vec![0u8; header.size as usize];
        r.seek(SeekFrom::Start(offset))?;
        r.read_exact(&mut buf)?;
        let (b, _) = decode_one(
            &Bytes::from(buf),
            offset,
            self.opts,
            0,
            "",
            &mut self.diagnostics,
        )?;
        Ok(b)
    }
}

/// A whole file's top-level structure (payloads not loaded).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mp4File {
    /// The top-level items in file order.
    pub items: Vec<TopLevel>,
    /// What the decoder tolerated (boxes kept as raw bytes, and why).
    pub diagnostics: Vec<Diagnostic>,
    /// Size of the source.
    pub file_size: u64,
}

impl Mp4File {
    /// Reads every top-level item of `r`.
    pub fn read<R: Read + Seek>(r: &mut R, opts: DecodeOptions) -> Result<Self> {
        let mut tl = TopLevelReader::new(r, opts)?;
        let mut items = Vec::new();
        while let Some(item) = tl.next_item(r)? {
            items.push(item);
        }
        Ok(Mp4File {
            items,
            file_size: tl.file_size(),
            diagnostics: tl.take_diagnostics(),
        })
    }

    /// The first top-level box of type `T`.
    pub fn get<T: crate::TypedBox>(&self) -> Option<&T> {
        self.items.iter().find_map(|i| match i {
            TopLevel::Box { boxed, .. } => T::from_any(boxed),
            TopLevel::Payload { .. } => None,
        })
    }

    /// Describes every item (see [`crate::dump`]).
    pub fn dump(&self) -> Result<Vec<DumpBox>> {
        self.items
            .iter()
            .map(|i| match i {
                TopLevel::Box { offset, boxed } => dump_box(boxed, *offset),
                TopLevel::Payload { offset, header } => {
                    Ok(DumpBox::payload(header.kind, *offset, header.size))
                }
            })
            .collect()
    }
}

/// Writes one item to `out`, copying payloads from `src`.
pub fn write_item<R: Read + Seek, W: Write>(
    item: &TopLevel,
    src: &mut R,
    out: &mut W,
) -> Result<()> {
    match item {
        TopLevel::Box { boxed, .. } => {
            let mut buf = Vec::new();
            encode_box_mut(&mut boxed.clone(), &mut buf)?;
            out.write_all(&buf)?;
        }
        TopLevel::Payload { offset, header } => {
            let mut h = Vec::with_capacity(16);
            BoxHeader::write(header.kind, header.size, header.form, &mut h);
            out.write_all(&h)?;
            copy_range(
                src,
                offset + header.header_len as u64,
                header.body_len(),
                out,
            )?;
        }
    }
    Ok(())
}

/// Copies `len` bytes at `offset` of `src` to `out` (a clear error if the source is short).
pub fn copy_range<R: Read + Seek, W: Write>(
    src: &mut R,
    offset: u64,
    len: u64,
    out: &mut W,
) -> Result<()> {
    src.seek(SeekFrom::Start(offset))?;
    let copied = io::copy(&mut src.take(len), out)?;
    if copied != len {
        return Err(Error::Truncated {
            kind: FourCC::new(b"mdat"),
            offset: offset + copied,
            needed: len - copied,
            available: 0,
        });
    }
    Ok(())
}

/// Parses `src` box by box and writes every box back to `out`, streaming: memory holds one
/// top-level box at a time and payloads are copied. With a lossless decode (the default) the
/// output is byte-identical to the input. Returns the diagnostics (boxes kept raw, and why).
pub fn rewrite<R: Read + Seek, W: Write>(
    src: &mut R,
    out: &mut W,
    opts: DecodeOptions,
) -> Result<Vec<Diagnostic>> {
    let mut tl = TopLevelReader::new(src, opts)?;
    while let Some(item) = tl.next_item(src)? {
        write_item(&item, src, out)?;
    }
    Ok(tl.take_diagnostics())
}
