//! Movie-level boxes: `moov`, `mvhd`, `mvex`, `mehd`, `trex`.

use bytes::Bytes;

use crate::boxes::{Atom, UNITY_MATRIX, container, full_v0, i32_array, versioned};
use crate::codec::Codec;
use crate::{FourCC, Result};

container!(
    /// Movie box: the presentation's metadata (`mvhd`, `trak`s, `mvex`, `udta`, `pssh`, ...).
    Moov,
    b"moov"
);

container!(
    /// Movie extends box: present in fragmented files (`mehd`, `trex` per track).
    Mvex,
    b"mvex"
);

/// Movie header.
#[derive(Clone, Debug, PartialEq)]
pub struct Mvhd {
    /// 0 (32-bit times) or 1 (64-bit); raised to 1 automatically when needed.
    pub version: u8,
    /// Seconds since 1904-01-01 UTC.
    pub creation_time: u64,
    /// Seconds since 1904-01-01 UTC.
    pub modification_time: u64,
    /// Units per second of the durations in this box.
    pub timescale: u32,
    /// Duration of the longest track (0 in fragmented files' init segments).
    pub duration: u64,
    /// Playback rate, 16.16 fixed point (0x00010000 = 1.0).
    pub rate: i32,
    /// Volume, 8.8 fixed point (0x0100 = 1.0).
    pub volume: i16,
    /// Reserved (zero).
    pub reserved: [u8; 10],
    /// Transformation matrix.
    pub matrix: [i32; 9],
    /// Pre-defined (zero).
    pub pre_defined: [u8; 24],
    /// Next free track id.
    pub next_track_id: u32,
}

impl Default for Mvhd {
    fn default() -> Self {
        Mvhd {
            version: 0,
            creation_time: 0,
            modification_time: 0,
            timescale: 1000,
            duration: 0,
            rate: 0x10000,
            volume: 0x100,
            reserved: [0; 10],
            matrix: UNITY_MATRIX,
            pre_defined: [0; 24],
            next_track_id: 1,
        }
    }
}

impl Atom for Mvhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"mvhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let wide = [self.creation_time, self.modification_time, self.duration]
            .iter()
            .any(|&t| t > u32::MAX as u64);
        versioned(c, &mut self.version, wide)?;
        let w = self.version == 1;
        c.u64_or_u32("creation_time", w, &mut self.creation_time)?;
        c.u64_or_u32("modification_time", w, &mut self.modification_time)?;
        c.u32("timescale", &mut self.timescale)?;
        c.u64_or_u32("duration", w, &mut self.duration)?;
        c.i32("rate", &mut self.rate)?;
        c.i16("volume", &mut self.volume)?;
        c.array("reserved", &mut self.reserved)?;
        i32_array(c, "matrix", &mut self.matrix)?;
        c.array("pre_defined", &mut self.pre_defined)?;
        c.u32("next_track_id", &mut self.next_track_id)
    }
}

/// Movie extends header: the whole duration of a fragmented movie.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mehd {
    /// 0 or 1 (64-bit); raised automatically when needed.
    pub version: u8,
    /// Duration in the `mvhd` timescale.
    pub fragment_duration: u64,
}

impl Atom for Mehd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"mehd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        versioned(
            c,
            &mut self.version,
            self.fragment_duration > u32::MAX as u64,
        )?;
        c.u64_or_u32(
            "fragment_duration",
            self.version == 1,
            &mut self.fragment_duration,
        )
    }
}

/// Track extends: per-track defaults for fragments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trex {
    /// The track.
    pub track_id: u32,
    /// Default sample description index (1-based).
    pub default_sample_description_index: u32,
    /// Default sample duration.
    pub default_sample_duration: u32,
    /// Default sample size.
    pub default_sample_size: u32,
    /// Default sample flags (see [`crate::SampleFlags`]).
    pub default_sample_flags: u32,
}

impl Atom for Trex {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"trex")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.u32("track_id", &mut self.track_id)?;
        c.u32(
            "default_sample_description_index",
            &mut self.default_sample_description_index,
        )?;
        c.u32("default_sample_duration", &mut self.default_sample_duration)?;
        c.u32("default_sample_size", &mut self.default_sample_size)?;
        c.u32("default_sample_flags", &mut self.default_sample_flags)
    }
}

/// `free`, `skip` or `wide`: padding whose content is ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Free {
    /// `free`, `skip` or `wide`.
    pub kind: FourCC,
    /// The padding bytes.
    pub data: Bytes,
}

impl Atom for Free {
    const KINDS: &'static [FourCC] = &[
        FourCC::new(b"free"),
        FourCC::new(b"skip"),
        FourCC::new(b"wide"),
    ];
    const ESSENTIAL: bool = false;
    fn kind(&self) -> FourCC {
        if self.kind == FourCC::default() {
            Self::KINDS[0]
        } else {
            self.kind
        }
    }
    fn set_kind(&mut self, kind: FourCC) {
        self.kind = kind;
    }
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.rest("data", &mut self.data)
    }
}
