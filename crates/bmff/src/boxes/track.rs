//! Track-level boxes: `trak`, `tkhd`, `tref`, `edts`, `elst`.

use crate::boxes::{Atom, UNITY_MATRIX, container, i32_array};
use crate::codec::Codec;
use crate::{FourCC, Result};

container!(
    /// Track box.
    Trak,
    b"trak"
);

container!(
    /// Track reference box (children kept as raw bytes).
    Tref,
    b"tref"
);

container!(
    /// Edit box (holds `elst`).
    Edts,
    b"edts"
);

/// Track header.
#[derive(Clone, Debug, PartialEq)]
pub struct Tkhd {
    /// 0 or 1 (64-bit times); raised automatically when needed.
    pub version: u8,
    /// Flags: 1 enabled, 2 in movie, 4 in preview, 8 size is aspect ratio.
    pub flags: u32,
    /// Seconds since 1904.
    pub creation_time: u64,
    /// Seconds since 1904.
    pub modification_time: u64,
    /// Track id (never 0).
    pub track_id: u32,
    /// Reserved (zero).
    pub reserved1: u32,
    /// Duration in the movie timescale.
    pub duration: u64,
    /// Reserved (zero).
    pub reserved2: [u8; 8],
    /// Front-to-back layer.
    pub layer: i16,
    /// Alternate group (tracks of one group are alternatives).
    pub alternate_group: i16,
    /// 8.8 volume (audio: 0x0100).
    pub volume: i16,
    /// Reserved (zero).
    pub reserved3: u16,
    /// Transformation matrix.
    pub matrix: [i32; 9],
    /// Visual width, 16.16 fixed point.
    pub width: u32,
    /// Visual height, 16.16 fixed point.
    pub height: u32,
}

impl Default for Tkhd {
    fn default() -> Self {
        Tkhd {
            version: 0,
            flags: 3,
            creation_time: 0,
            modification_time: 0,
            track_id: 1,
            reserved1: 0,
            duration: 0,
            reserved2: [0; 8],
            layer: 0,
            alternate_group: 0,
            volume: 0,
            reserved3: 0,
            matrix: UNITY_MATRIX,
            width: 0,
            height: 0,
        }
    }
}

impl Atom for Tkhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"tkhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let wide = [self.creation_time, self.modification_time, self.duration]
            .iter()
            .any(|&t| t > u32::MAX as u64);
        let mut v = if wide { 1 } else { self.version };
        c.full_header(&mut v, &mut self.flags)?;
        if v > 1 {
            return Err(c.invalid(format!("version {v} is not defined")));
        }
        self.version = v;
        let w = v == 1;
        c.u64_or_u32("creation_time", w, &mut self.creation_time)?;
        c.u64_or_u32("modification_time", w, &mut self.modification_time)?;
        c.u32("track_id", &mut self.track_id)?;
        c.u32("reserved1", &mut self.reserved1)?;
        c.u64_or_u32("duration", w, &mut self.duration)?;
        c.array("reserved2", &mut self.reserved2)?;
        c.i16("layer", &mut self.layer)?;
        c.i16("alternate_group", &mut self.alternate_group)?;
        c.i16("volume", &mut self.volume)?;
        c.u16("reserved3", &mut self.reserved3)?;
        i32_array(c, "matrix", &mut self.matrix)?;
        c.u32("width", &mut self.width)?;
        c.u32("height", &mut self.height)
    }
}

/// One edit of an edit list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ElstEntry {
    /// Duration of this edit in the movie timescale.
    pub segment_duration: u64,
    /// Start time in the media (track timescale); -1 = empty edit.
    pub media_time: i64,
    /// Integer part of the rate (1).
    pub media_rate_integer: i16,
    /// Fraction part of the rate (0).
    pub media_rate_fraction: i16,
}

/// Edit list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Elst {
    /// 0 or 1 (64-bit); raised automatically when needed.
    pub version: u8,
    /// The edits.
    pub entries: Vec<ElstEntry>,
}

impl Atom for Elst {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"elst")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let wide = self
            .entries
            .iter()
            .any(|e| e.segment_duration > u32::MAX as u64 || i32::try_from(e.media_time).is_err());
        crate::boxes::versioned(c, &mut self.version, wide)?;
        let w = self.version == 1;
        let n = c.count("entry_count", crate::codec::Width::U32, self.entries.len())?;
        c.list(
            "entries",
            n,
            if w { 20 } else { 12 },
            &mut self.entries,
            |c, e| {
                c.u64_or_u32("segment_duration", w, &mut e.segment_duration)?;
                c.i64_or_i32("media_time", w, &mut e.media_time)?;
                c.i16("media_rate_integer", &mut e.media_rate_integer)?;
                c.i16("media_rate_fraction", &mut e.media_rate_fraction)
            },
        )
    }
}
