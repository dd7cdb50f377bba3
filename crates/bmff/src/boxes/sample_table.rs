//! Sample table boxes: `stsd`, `stts`, `ctts`, `stsc`, `stsz`, `stz2`, `stco`, `co64`, `stss`,
//! `sdtp`, `sgpd`, `sbgp`.

use bytes::Bytes;

use crate::boxes::{Atom, full_v0, has_children};
use crate::codec::{Codec, Width};
use crate::{AnyBox, FourCC, Result};

/// Sample descriptions: one sample entry per codec configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stsd {
    /// Version (0; 1 is used by some audio entries in QuickTime).
    pub version: u8,
    /// The sample entries (`avc1`, `mp4a`, `encv`, ...).
    pub children: Vec<AnyBox>,
}
has_children!(Stsd);

impl Atom for Stsd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stsd")];
    const CONTAINER: bool = true;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut flags = 0;
        c.full_header(&mut self.version, &mut flags)?;
        let n = c.count("entry_count", Width::U32, self.children.len())?;
        c.children("entries", &mut self.children)?;
        if c.decoding() && (n != self.children.len() || flags != 0) {
            c.noncanonical(format!(
                "entry_count {n} (flags {flags:#x}) but {} entries",
                self.children.len()
            ));
        }
        Ok(())
    }
}

/// One run of the decoding time-to-sample table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SttsEntry {
    /// Consecutive samples with this duration.
    pub sample_count: u32,
    /// Their duration.
    pub sample_delta: u32,
}

/// Decoding time to sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stts {
    /// Runs of equal durations.
    pub entries: Vec<SttsEntry>,
}

impl Atom for Stts {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stts")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.entries.len())?;
        c.list("entries", n, 8, &mut self.entries, |c, e| {
            c.u32("sample_count", &mut e.sample_count)?;
            c.u32("sample_delta", &mut e.sample_delta)
        })
    }
}

/// One run of the composition offset table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CttsEntry {
    /// Consecutive samples with this offset.
    pub sample_count: u32,
    /// Composition minus decode time (read as unsigned in version 0 boxes, see [`Ctts::offset`]).
    pub sample_offset: i32,
}

/// Composition time to sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ctts {
    /// 0 (unsigned offsets) or 1 (signed).
    pub version: u8,
    /// Runs of equal offsets.
    pub entries: Vec<CttsEntry>,
}

impl Ctts {
    /// The offset of `e` as the box's version defines it.
    pub fn offset(&self, e: &CttsEntry) -> i64 {
        if self.version == 0 {
            e.sample_offset as u32 as i64
        } else {
            e.sample_offset as i64
        }
    }
}

impl Atom for Ctts {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"ctts")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut flags = 0;
        c.full_header(&mut self.version, &mut flags)?;
        let n = c.count("entry_count", Width::U32, self.entries.len())?;
        c.list("entries", n, 8, &mut self.entries, |c, e| {
            c.u32("sample_count", &mut e.sample_count)?;
            c.i32("sample_offset", &mut e.sample_offset)
        })
    }
}

/// One run of the sample-to-chunk table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StscEntry {
    /// First chunk (1-based) of this run.
    pub first_chunk: u32,
    /// Samples in each chunk of the run.
    pub samples_per_chunk: u32,
    /// Sample description (1-based) of those samples.
    pub sample_description_index: u32,
}

/// Sample to chunk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stsc {
    /// Runs of chunks.
    pub entries: Vec<StscEntry>,
}

impl Atom for Stsc {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stsc")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.entries.len())?;
        c.list("entries", n, 12, &mut self.entries, |c, e| {
            c.u32("first_chunk", &mut e.first_chunk)?;
            c.u32("samples_per_chunk", &mut e.samples_per_chunk)?;
            c.u32("sample_description_index", &mut e.sample_description_index)
        })
    }
}

/// Sample sizes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stsz {
    /// Size of every sample when they are all equal, else 0.
    pub sample_size: u32,
    /// Number of samples (equals `entry_sizes.len()` when `sample_size` is 0).
    pub sample_count: u32,
    /// Per-sample sizes when `sample_size` is 0.
    pub entry_sizes: Vec<u32>,
}

impl Atom for Stsz {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stsz")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.u32("sample_size", &mut self.sample_size)?;
        if self.sample_size == 0 {
            let n = c.count("sample_count", Width::U32, self.entry_sizes.len())?;
            self.sample_count = n as u32;
            c.list("entry_sizes", n, 4, &mut self.entry_sizes, |c, s| {
                c.u32("size", s)
            })
        } else {
            self.entry_sizes.clear();
            c.u32("sample_count", &mut self.sample_count)
        }
    }
}

/// Compact sample sizes (4, 8 or 16 bits each).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stz2 {
    /// Bits per entry: 4, 8 or 16.
    pub field_size: u8,
    /// Per-sample sizes.
    pub entry_sizes: Vec<u16>,
}

impl Atom for Stz2 {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stz2")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.bits(4, |b| {
            b.reserved(24, 0)?;
            b.field("field_size", 8, &mut self.field_size)
        })?;
        let n = c.count("sample_count", Width::U32, self.entry_sizes.len())?;
        match self.field_size {
            16 => c.list("entry_sizes", n, 2, &mut self.entry_sizes, |c, s| {
                c.u16("size", s)
            }),
            8 => c.list("entry_sizes", n, 1, &mut self.entry_sizes, |c, s| {
                let mut b = *s as u8;
                if !c.decoding() && *s > 0xff {
                    return Err(c.invalid("size does not fit 8 bits"));
                }
                c.u8("size", &mut b)?;
                *s = b as u16;
                Ok(())
            }),
            4 => {
                // Two entries per byte, high nibble first; an odd count is padded.
                let mut pairs: Vec<u8> = Vec::new();
                if !c.decoding() {
                    if self.entry_sizes.iter().any(|&s| s > 15) {
                        return Err(c.invalid("size does not fit 4 bits"));
                    }
                    pairs = self
                        .entry_sizes
                        .chunks(2)
                        .map(|p| ((p[0] as u8) << 4) | p.get(1).copied().unwrap_or(0) as u8)
                        .collect();
                }
                let bytes = n.div_ceil(2);
                c.list("entry_pairs", bytes, 1, &mut pairs, |c, p| c.u8("pair", p))?;
                if c.decoding() {
                    self.entry_sizes = pairs
                        .iter()
                        .flat_map(|p| [(p >> 4) as u16, (p & 15) as u16])
                        .take(n)
                        .collect();
                }
                Ok(())
            }
            other => Err(c.invalid(format!("field_size {other} is not 4, 8 or 16"))),
        }
    }
}

/// Chunk offsets, 32-bit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stco {
    /// File offset of each chunk.
    pub chunk_offsets: Vec<u32>,
}

impl Atom for Stco {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stco")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.chunk_offsets.len())?;
        c.list("chunk_offsets", n, 4, &mut self.chunk_offsets, |c, o| {
            c.u32("offset", o)
        })
    }
}

/// Chunk offsets, 64-bit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Co64 {
    /// File offset of each chunk.
    pub chunk_offsets: Vec<u64>,
}

impl Atom for Co64 {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"co64")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.chunk_offsets.len())?;
        c.list("chunk_offsets", n, 8, &mut self.chunk_offsets, |c, o| {
            c.u64("offset", o)
        })
    }
}

/// Sync samples (key frames), 1-based sample numbers. Absent = every sample is a sync sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stss {
    /// Sample numbers, increasing.
    pub sample_numbers: Vec<u32>,
}

impl Atom for Stss {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"stss")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.sample_numbers.len())?;
        c.list("sample_numbers", n, 4, &mut self.sample_numbers, |c, s| {
            c.u32("sample_number", s)
        })
    }
}

/// Independent and disposable samples: one byte of dependency flags per sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sdtp {
    /// Per sample: is_leading (2 bits), sample_depends_on (2), sample_is_depended_on (2),
    /// sample_has_redundancy (2).
    pub entries: Vec<u8>,
}

impl Atom for Sdtp {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"sdtp")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.list_to_end("entries", 1, &mut self.entries, |c, e| {
            c.bits(1, |b| {
                let (mut l, mut d, mut i, mut r) = (*e >> 6, (*e >> 4) & 3, (*e >> 2) & 3, *e & 3);
                b.field("is_leading", 2, &mut l)?;
                b.field("depends_on", 2, &mut d)?;
                b.field("is_depended_on", 2, &mut i)?;
                b.field("has_redundancy", 2, &mut r)?;
                *e = (l << 6) | (d << 4) | (i << 2) | r;
                Ok(())
            })
        })
    }
}

/// Sample group description: the descriptions that `sbgp` entries point to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sgpd {
    /// 0, 1 or 2. Version 0 entries have a type-specific size and are kept whole in
    /// `v0_entries`; versions 1 and 2 list each entry.
    pub version: u8,
    /// Grouping type (`seig`, `roll`, ...).
    pub grouping_type: FourCC,
    /// Version 1+: the size of every entry, or 0 when each entry carries its own length.
    pub default_length: u32,
    /// Version 2+: default sample description index.
    pub default_sample_description_index: u32,
    /// Version 1+: the entries (payload bytes).
    pub entries: Vec<Bytes>,
    /// Version 0: the entry count.
    pub v0_entry_count: u32,
    /// Version 0: all entries' bytes.
    pub v0_entries: Bytes,
}

impl Sgpd {
    /// A version 1 `sgpd` of `grouping_type` with these entries (fixed length when all
    /// entries have the same size).
    pub fn new(grouping_type: &[u8; 4], entries: Vec<Bytes>) -> Self {
        let len = entries.first().map_or(0, |e| e.len());
        let same = entries.iter().all(|e| e.len() == len);
        Sgpd {
            version: 1,
            grouping_type: FourCC::new(grouping_type),
            default_length: if same { len as u32 } else { 0 },
            entries,
            ..Default::default()
        }
    }
}

impl Atom for Sgpd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"sgpd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut flags = 0;
        c.full_header(&mut self.version, &mut flags)?;
        c.fourcc("grouping_type", &mut self.grouping_type)?;
        if self.version == 0 {
            c.u32("entry_count", &mut self.v0_entry_count)?;
            return c.rest("entries", &mut self.v0_entries);
        }
        c.u32("default_length", &mut self.default_length)?;
        if self.version >= 2 {
            c.u32(
                "default_sample_description_index",
                &mut self.default_sample_description_index,
            )?;
        }
        let n = c.count("entry_count", Width::U32, self.entries.len())?;
        let fixed = self.default_length as usize;
        c.list(
            "entries",
            n,
            if fixed == 0 { 4 } else { fixed },
            &mut self.entries,
            |c, e| {
                let len = if fixed == 0 {
                    let mut l = e.len() as u32;
                    c.u32("description_length", &mut l)?;
                    l as usize
                } else {
                    fixed
                };
                c.bytes("entry", len, e)
            },
        )
    }
}

/// One run of a sample-to-group table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SbgpEntry {
    /// Consecutive samples in this group.
    pub sample_count: u32,
    /// 1-based index into `sgpd` (in a `traf`, 0x10001+ for the fragment's own `sgpd`); 0 = none.
    pub group_description_index: u32,
}

/// Sample to group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sbgp {
    /// Grouping type (`seig`, ...).
    pub grouping_type: FourCC,
    /// Version 1 parameter (present iff `Some`).
    pub grouping_type_parameter: Option<u32>,
    /// Runs.
    pub entries: Vec<SbgpEntry>,
}

impl Atom for Sbgp {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"sbgp")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut v = self.grouping_type_parameter.is_some() as u8;
        let mut flags = 0;
        c.full_header(&mut v, &mut flags)?;
        c.fourcc("grouping_type", &mut self.grouping_type)?;
        c.opt(v == 1, &mut self.grouping_type_parameter, |c, p| {
            c.u32("grouping_type_parameter", p)
        })?;
        let n = c.count("entry_count", Width::U32, self.entries.len())?;
        c.list("entries", n, 8, &mut self.entries, |c, e| {
            c.u32("sample_count", &mut e.sample_count)?;
            c.u32("group_description_index", &mut e.group_description_index)
        })
    }
}
