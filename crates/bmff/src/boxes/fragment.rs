//! Movie fragment boxes: `moof`, `mfhd`, `traf`, `tfhd`, `tfdt`, `trun`, and `sidx`.

use crate::boxes::{Atom, container, full_v0, versioned};
use crate::codec::{Codec, Width};
use crate::{FourCC, Result};

container!(
    /// Movie fragment box.
    Moof,
    b"moof"
);
container!(
    /// Track fragment box.
    Traf,
    b"traf"
);

/// Movie fragment header: the fragment's sequence number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mfhd {
    /// Sequence number (1-based, increasing).
    pub sequence_number: u32,
}

impl Atom for Mfhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"mfhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.u32("sequence_number", &mut self.sequence_number)
    }
}

/// `tfhd` flag: base data offset present.
pub const TFHD_BASE_DATA_OFFSET: u32 = 0x1;
/// `tfhd` flag: sample description index present.
pub const TFHD_SAMPLE_DESCRIPTION_INDEX: u32 = 0x2;
/// `tfhd` flag: default sample duration present.
pub const TFHD_DEFAULT_SAMPLE_DURATION: u32 = 0x8;
/// `tfhd` flag: default sample size present.
pub const TFHD_DEFAULT_SAMPLE_SIZE: u32 = 0x10;
/// `tfhd` flag: default sample flags present.
pub const TFHD_DEFAULT_SAMPLE_FLAGS: u32 = 0x20;
/// `tfhd` flag: the fragment has no samples, only duration.
pub const TFHD_DURATION_IS_EMPTY: u32 = 0x10000;
/// `tfhd` flag: data offsets are relative to the start of the `moof`.
pub const TFHD_DEFAULT_BASE_IS_MOOF: u32 = 0x20000;

/// Track fragment header. Its flags are derived from which optional fields are set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tfhd {
    /// The track.
    pub track_id: u32,
    /// Explicit base offset for data offsets.
    pub base_data_offset: Option<u64>,
    /// Sample description (1-based).
    pub sample_description_index: Option<u32>,
    /// Default duration of the fragment's samples.
    pub default_sample_duration: Option<u32>,
    /// Default size.
    pub default_sample_size: Option<u32>,
    /// Default sample flags.
    pub default_sample_flags: Option<u32>,
    /// No samples, only a duration.
    pub duration_is_empty: bool,
    /// Data offsets are relative to the `moof` (CMAF and DASH use this).
    pub default_base_is_moof: bool,
}

impl Tfhd {
    /// The flags this box is written with.
    pub fn flags(&self) -> u32 {
        let mut f = 0;
        let mut set = |cond: bool, bit: u32| {
            if cond {
                f |= bit
            }
        };
        set(self.base_data_offset.is_some(), TFHD_BASE_DATA_OFFSET);
        set(
            self.sample_description_index.is_some(),
            TFHD_SAMPLE_DESCRIPTION_INDEX,
        );
        set(
            self.default_sample_duration.is_some(),
            TFHD_DEFAULT_SAMPLE_DURATION,
        );
        set(self.default_sample_size.is_some(), TFHD_DEFAULT_SAMPLE_SIZE);
        set(
            self.default_sample_flags.is_some(),
            TFHD_DEFAULT_SAMPLE_FLAGS,
        );
        set(self.duration_is_empty, TFHD_DURATION_IS_EMPTY);
        set(self.default_base_is_moof, TFHD_DEFAULT_BASE_IS_MOOF);
        f
    }
}

impl Atom for Tfhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"tfhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let (mut v, mut f) = (0u8, self.flags());
        c.full_header(&mut v, &mut f)?;
        self.duration_is_empty = f & TFHD_DURATION_IS_EMPTY != 0;
        self.default_base_is_moof = f & TFHD_DEFAULT_BASE_IS_MOOF != 0;
        c.u32("track_id", &mut self.track_id)?;
        c.opt(
            f & TFHD_BASE_DATA_OFFSET != 0,
            &mut self.base_data_offset,
            |c, x| c.u64("base_data_offset", x),
        )?;
        c.opt(
            f & TFHD_SAMPLE_DESCRIPTION_INDEX != 0,
            &mut self.sample_description_index,
            |c, x| c.u32("sample_description_index", x),
        )?;
        c.opt(
            f & TFHD_DEFAULT_SAMPLE_DURATION != 0,
            &mut self.default_sample_duration,
            |c, x| c.u32("default_sample_duration", x),
        )?;
        c.opt(
            f & TFHD_DEFAULT_SAMPLE_SIZE != 0,
            &mut self.default_sample_size,
            |c, x| c.u32("default_sample_size", x),
        )?;
        c.opt(
            f & TFHD_DEFAULT_SAMPLE_FLAGS != 0,
            &mut self.default_sample_flags,
            |c, x| c.u32("default_sample_flags", x),
        )
    }
}

/// Track fragment decode time: the decode time of the fragment's first sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tfdt {
    /// 0 or 1 (64-bit); raised automatically when needed.
    pub version: u8,
    /// Decode time in the track's timescale.
    pub base_media_decode_time: u64,
}

impl Atom for Tfdt {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"tfdt")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        versioned(
            c,
            &mut self.version,
            self.base_media_decode_time > u32::MAX as u64,
        )?;
        c.u64_or_u32(
            "base_media_decode_time",
            self.version == 1,
            &mut self.base_media_decode_time,
        )
    }
}

/// `trun` flag: data offset present.
pub const TRUN_DATA_OFFSET: u32 = 0x1;
/// `trun` flag: first sample flags present.
pub const TRUN_FIRST_SAMPLE_FLAGS: u32 = 0x4;
/// `trun` flag: per-sample duration.
pub const TRUN_SAMPLE_DURATION: u32 = 0x100;
/// `trun` flag: per-sample size.
pub const TRUN_SAMPLE_SIZE: u32 = 0x200;
/// `trun` flag: per-sample flags.
pub const TRUN_SAMPLE_FLAGS: u32 = 0x400;
/// `trun` flag: per-sample composition time offset.
pub const TRUN_SAMPLE_CTO: u32 = 0x800;

/// One sample of a track run; absent fields take the `tfhd`/`trex` defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrunEntry {
    /// Duration.
    pub duration: Option<u32>,
    /// Size in bytes.
    pub size: Option<u32>,
    /// Sample flags.
    pub flags: Option<u32>,
    /// Composition time offset (signed in version 1).
    pub composition_time_offset: Option<i32>,
}

/// Track run: a run of contiguous samples. Flags are derived from the fields that are set;
/// every entry must set the same fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trun {
    /// 0 (unsigned composition offsets) or 1 (signed).
    pub version: u8,
    /// Offset of the first sample's data from the base (the `moof` start with
    /// default-base-is-moof).
    pub data_offset: Option<i32>,
    /// Flags of the first sample (overrides the default; used to mark the key frame).
    pub first_sample_flags: Option<u32>,
    /// The samples.
    pub entries: Vec<TrunEntry>,
}

impl Trun {
    /// The flags this box is written with.
    pub fn flags(&self) -> u32 {
        let mut f = 0;
        if self.data_offset.is_some() {
            f |= TRUN_DATA_OFFSET;
        }
        if self.first_sample_flags.is_some() {
            f |= TRUN_FIRST_SAMPLE_FLAGS;
        }
        if let Some(e) = self.entries.first() {
            if e.duration.is_some() {
                f |= TRUN_SAMPLE_DURATION;
            }
            if e.size.is_some() {
                f |= TRUN_SAMPLE_SIZE;
            }
            if e.flags.is_some() {
                f |= TRUN_SAMPLE_FLAGS;
            }
            if e.composition_time_offset.is_some() {
                f |= TRUN_SAMPLE_CTO;
            }
        }
        f
    }
}

impl Atom for Trun {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"trun")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut f = self.flags();
        c.full_header(&mut self.version, &mut f)?;
        let n = c.count("sample_count", Width::U32, self.entries.len())?;
        c.opt(f & TRUN_DATA_OFFSET != 0, &mut self.data_offset, |c, x| {
            c.i32("data_offset", x)
        })?;
        c.opt(
            f & TRUN_FIRST_SAMPLE_FLAGS != 0,
            &mut self.first_sample_flags,
            |c, x| c.u32("first_sample_flags", x),
        )?;
        let per = [
            TRUN_SAMPLE_DURATION,
            TRUN_SAMPLE_SIZE,
            TRUN_SAMPLE_FLAGS,
            TRUN_SAMPLE_CTO,
        ]
        .iter()
        .filter(|&&b| f & b != 0)
        .count();
        c.list("samples", n, per * 4, &mut self.entries, |c, e| {
            c.opt(f & TRUN_SAMPLE_DURATION != 0, &mut e.duration, |c, x| {
                c.u32("duration", x)
            })?;
            c.opt(f & TRUN_SAMPLE_SIZE != 0, &mut e.size, |c, x| {
                c.u32("size", x)
            })?;
            c.opt(f & TRUN_SAMPLE_FLAGS != 0, &mut e.flags, |c, x| {
                c.u32("flags", x)
            })?;
            c.opt(
                f & TRUN_SAMPLE_CTO != 0,
                &mut e.composition_time_offset,
                |c, x| c.i32("composition_time_offset", x),
            )
        })
    }
}

/// One reference of a segment index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SidxReference {
    /// true: the reference points to another `sidx`; false: to media.
    pub reference_type: bool,
    /// Bytes referenced (31 bits).
    pub referenced_size: u32,
    /// Duration in the `sidx` timescale.
    pub subsegment_duration: u32,
    /// The subsegment starts with a stream access point.
    pub starts_with_sap: bool,
    /// SAP type (3 bits).
    pub sap_type: u8,
    /// SAP delta time (28 bits).
    pub sap_delta_time: u32,
}

/// Segment index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sidx {
    /// 0 or 1 (64-bit times); raised automatically when needed.
    pub version: u8,
    /// Track (stream) the index describes.
    pub reference_id: u32,
    /// Units per second.
    pub timescale: u32,
    /// Presentation time of the first sample.
    pub earliest_presentation_time: u64,
    /// Bytes from the end of this box to the first referenced byte.
    pub first_offset: u64,
    /// Reserved (zero).
    pub reserved: u16,
    /// The references.
    pub references: Vec<SidxReference>,
}

impl Atom for Sidx {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"sidx")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let wide = self.earliest_presentation_time > u32::MAX as u64
            || self.first_offset > u32::MAX as u64;
        versioned(c, &mut self.version, wide)?;
        let w = self.version == 1;
        c.u32("reference_id", &mut self.reference_id)?;
        c.u32("timescale", &mut self.timescale)?;
        c.u64_or_u32(
            "earliest_presentation_time",
            w,
            &mut self.earliest_presentation_time,
        )?;
        c.u64_or_u32("first_offset", w, &mut self.first_offset)?;
        c.u16("reserved", &mut self.reserved)?;
        let n = c.count("reference_count", Width::U16, self.references.len())?;
        c.list("references", n, 12, &mut self.references, |c, r| {
            c.bits(4, |b| {
                b.flag("reference_type", &mut r.reference_type)?;
                b.field("referenced_size", 31, &mut r.referenced_size)
            })?;
            c.u32("subsegment_duration", &mut r.subsegment_duration)?;
            c.bits(4, |b| {
                b.flag("starts_with_sap", &mut r.starts_with_sap)?;
                b.field("sap_type", 3, &mut r.sap_type)?;
                b.field("sap_delta_time", 28, &mut r.sap_delta_time)
            })
        })
    }
}

/// Sample flags (ISO/IEC 14496-12 §8.8.3.1), as used in `trex`, `tfhd` and `trun`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleFlags(pub u32);

impl SampleFlags {
    /// Flags of a sync sample (key frame): depends on no other sample.
    pub const SYNC: SampleFlags = SampleFlags(0x0200_0000);
    /// Flags of a non-sync sample: depends on others, `sample_is_non_sync_sample` set.
    pub const NON_SYNC: SampleFlags = SampleFlags(0x0101_0000);

    /// `sample_is_non_sync_sample` is clear.
    pub fn is_sync(self) -> bool {
        self.0 & 0x0001_0000 == 0
    }
    /// `sample_depends_on` (2 bits).
    pub fn depends_on(self) -> u8 {
        ((self.0 >> 24) & 3) as u8
    }
}
