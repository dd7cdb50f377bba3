//! Media-level boxes: `mdia`, `mdhd`, `hdlr`, `minf`, media headers, `dinf`/`dref`, `stbl`.

use bytes::Bytes;

use crate::boxes::{Atom, container, full_v0, has_children, versioned};
use crate::codec::{Codec, Width};
use crate::{AnyBox, FourCC, Result};

container!(
    /// Media box.
    Mdia,
    b"mdia"
);
container!(
    /// Media information box.
    Minf,
    b"minf"
);
container!(
    /// Data information box.
    Dinf,
    b"dinf"
);
container!(
    /// Sample table box.
    Stbl,
    b"stbl"
);

/// Media header: timescale, duration, language.
#[derive(Clone, Debug, PartialEq)]
pub struct Mdhd {
    /// 0 or 1 (64-bit times); raised automatically when needed.
    pub version: u8,
    /// Seconds since 1904.
    pub creation_time: u64,
    /// Seconds since 1904.
    pub modification_time: u64,
    /// Units per second of this track's times.
    pub timescale: u32,
    /// Duration in `timescale` units.
    pub duration: u64,
    /// ISO 639-2/T language packed as three 5-bit letters (see [`Mdhd::language_code`]).
    pub language: u16,
    /// Pre-defined (zero).
    pub pre_defined: u16,
}

impl Default for Mdhd {
    fn default() -> Self {
        Mdhd {
            version: 0,
            creation_time: 0,
            modification_time: 0,
            timescale: 1000,
            duration: 0,
            language: Mdhd::pack_language("und"),
            pre_defined: 0,
        }
    }
}

impl Mdhd {
    /// The language as three lowercase letters (`und` when unset or not ISO-packed).
    pub fn language_code(&self) -> String {
        if self.language == 0 || self.language < 0x400 {
            return "und".into();
        }
        (0..3)
            .map(|i| {
                let c = ((self.language >> (10 - 5 * i)) & 0x1f) as u8;
                (c + 0x60) as char
            })
            .collect()
    }

    /// Packs a three-letter ISO 639-2/T code (other input gives `und`).
    pub fn pack_language(code: &str) -> u16 {
        let b = code.as_bytes();
        if b.len() != 3 || !b.iter().all(|c| c.is_ascii_lowercase()) {
            return Mdhd::pack_language("und");
        }
        b.iter()
            .fold(0u16, |acc, &c| (acc << 5) | (c - 0x60) as u16)
    }
}

impl Atom for Mdhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"mdhd")];
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
        c.bits(2, |b| {
            b.reserved(1, 0)?;
            b.field("language", 15, &mut self.language)
        })?;
        let code = self.language_code();
        c.annotate("language_code", || code);
        c.u16("pre_defined", &mut self.pre_defined)
    }
}

/// Handler reference: the track's media type (`vide`, `soun`, `text`, `subt`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hdlr {
    /// Pre-defined (QuickTime: component type `mhlr`/`dhlr`).
    pub pre_defined: u32,
    /// The handler type.
    pub handler_type: FourCC,
    /// Reserved (QuickTime: manufacturer, flags, mask).
    pub reserved: [u8; 12],
    /// The name, as stored (normally UTF-8 with a terminating NUL).
    pub name: Bytes,
}

impl Hdlr {
    /// A handler of `handler_type` with a NUL-terminated `name`.
    pub fn new(handler_type: &[u8; 4], name: &str) -> Self {
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        Hdlr {
            handler_type: FourCC::new(handler_type),
            name: Bytes::from(n),
            ..Default::default()
        }
    }

    /// The name as text, without the terminating NUL.
    pub fn name_str(&self) -> String {
        let n = self.name.strip_suffix(&[0]).unwrap_or(&self.name);
        String::from_utf8_lossy(n).into_owned()
    }
}

impl Atom for Hdlr {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"hdlr")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.u32("pre_defined", &mut self.pre_defined)?;
        c.fourcc("handler_type", &mut self.handler_type)?;
        c.array("reserved", &mut self.reserved)?;
        c.rest("name", &mut self.name)
    }
}

/// Video media header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vmhd {
    /// Composition mode (0 = copy).
    pub graphics_mode: u16,
    /// Colour for the graphics mode.
    pub opcolor: [u16; 3],
}

impl Atom for Vmhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"vmhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let (mut v, mut f) = (0u8, 1u32);
        c.full_header(&mut v, &mut f)?;
        c.u16("graphics_mode", &mut self.graphics_mode)?;
        let mut v = self.opcolor.to_vec();
        c.list("opcolor", 3, 2, &mut v, |c, x| c.u16("value", x))?;
        self.opcolor.copy_from_slice(&v);
        Ok(())
    }
}

/// Sound media header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Smhd {
    /// Stereo balance, 8.8 fixed point.
    pub balance: i16,
    /// Reserved.
    pub reserved: u16,
}

impl Atom for Smhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"smhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.i16("balance", &mut self.balance)?;
        c.u16("reserved", &mut self.reserved)
    }
}

/// Subtitle media header (empty full box).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sthd;

impl Atom for Sthd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"sthd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)
    }
}

/// Null media header (empty full box; text and other tracks).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nmhd;

impl Atom for Nmhd {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"nmhd")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)
    }
}

/// Data reference box: where the media data is (`url ` entries).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dref {
    /// Entries (`url `/`urn `).
    pub children: Vec<AnyBox>,
}
has_children!(Dref);

impl Dref {
    /// A `dref` with one self-contained `url ` entry (media in the same file).
    pub fn self_contained() -> Self {
        Dref {
            children: vec![AnyBox::Url(Url {
                flags: 1,
                location: Bytes::new(),
            })],
        }
    }
}

impl Atom for Dref {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"dref")];
    const CONTAINER: bool = true;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        let n = c.count("entry_count", Width::U32, self.children.len())?;
        c.children("entries", &mut self.children)?;
        if c.decoding() && n != self.children.len() {
            c.noncanonical(format!(
                "entry_count {n} but {} entries",
                self.children.len()
            ));
        }
        Ok(())
    }
}

/// Data entry URL box (flag 1 = media in this file, no location).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Url {
    /// 1 = self-contained.
    pub flags: u32,
    /// The location (NUL-terminated URL) when not self-contained, as stored.
    pub location: Bytes,
}

impl Atom for Url {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"url ")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut v = 0;
        c.full_header(&mut v, &mut self.flags)?;
        c.rest("location", &mut self.location)
    }
}

/// Data entry URN box.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Urn {
    /// Flags.
    pub flags: u32,
    /// Name and location strings, as stored.
    pub data: Bytes,
}

impl Atom for Urn {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"urn ")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut v = 0;
        c.full_header(&mut v, &mut self.flags)?;
        c.rest("name_and_location", &mut self.data)
    }
}
