//! Sample entries (the children of `stsd`): visual, audio, WebVTT and TTML.

use bytes::Bytes;

use crate::boxes::{Atom, has_children};
use crate::codec::Codec;
use crate::{AnyBox, FourCC, Result};

macro_rules! fourccs {
    ($($c:literal),*) => { &[$(FourCC::new($c)),*] };
}

/// A visual sample entry (`avc1`, `avc3`, `hvc1`, `hev1`, `vp09`, `av01`, `encv`, ProRes, ...).
///
/// Fields marked reserved or pre-defined are zero in ISO files and carry QuickTime's
/// version/vendor/quality fields in MOV files; they are kept as found.
#[derive(Clone, Debug, PartialEq)]
pub struct VisualSampleEntry {
    /// The entry's code.
    pub kind: FourCC,
    /// Reserved (zero).
    pub reserved: [u8; 6],
    /// Index into `dref` (1).
    pub data_reference_index: u16,
    /// Pre-defined (QuickTime: version).
    pub pre_defined1: u16,
    /// Reserved (QuickTime: revision level).
    pub reserved1: u16,
    /// Pre-defined (QuickTime: vendor, temporal and spatial quality).
    pub pre_defined2: [u8; 12],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// 16.16 pixels per inch (72 dpi).
    pub horizresolution: u32,
    /// 16.16 pixels per inch (72 dpi).
    pub vertresolution: u32,
    /// Reserved (zero).
    pub reserved2: u32,
    /// Frames per sample (1).
    pub frame_count: u16,
    /// Pascal string, 32 bytes.
    pub compressor_name: [u8; 32],
    /// 0x0018 = colour without alpha.
    pub depth: u16,
    /// -1.
    pub pre_defined3: i16,
    /// Codec configuration and other boxes (`avcC`, `btrt`, `pasp`, `colr`, `sinf`, ...).
    pub children: Vec<AnyBox>,
}
has_children!(VisualSampleEntry);

impl Default for VisualSampleEntry {
    fn default() -> Self {
        VisualSampleEntry {
            kind: FourCC::new(b"avc1"),
            reserved: [0; 6],
            data_reference_index: 1,
            pre_defined1: 0,
            reserved1: 0,
            pre_defined2: [0; 12],
            width: 0,
            height: 0,
            horizresolution: 0x0048_0000,
            vertresolution: 0x0048_0000,
            reserved2: 0,
            frame_count: 1,
            compressor_name: [0; 32],
            depth: 0x18,
            pre_defined3: -1,
            children: Vec::new(),
        }
    }
}

impl Atom for VisualSampleEntry {
    const KINDS: &'static [FourCC] = fourccs!(
        b"avc1", b"avc2", b"avc3", b"avc4", b"hvc1", b"hev1", b"dvh1", b"dvhe", b"vp08", b"vp09",
        b"av01", b"encv", b"mp4v", b"apcn", b"apch", b"apcs", b"apco", b"ap4h", b"ap4x", b"jpeg",
        b"mjpa", b"mjpb"
    );
    const CONTAINER: bool = true;
    fn kind(&self) -> FourCC {
        self.kind
    }
    fn set_kind(&mut self, kind: FourCC) {
        self.kind = kind;
    }
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.array("reserved", &mut self.reserved)?;
        c.u16("data_reference_index", &mut self.data_reference_index)?;
        c.u16("pre_defined1", &mut self.pre_defined1)?;
        c.u16("reserved1", &mut self.reserved1)?;
        c.array("pre_defined2", &mut self.pre_defined2)?;
        c.u16("width", &mut self.width)?;
        c.u16("height", &mut self.height)?;
        c.u32("horizresolution", &mut self.horizresolution)?;
        c.u32("vertresolution", &mut self.vertresolution)?;
        c.u32("reserved2", &mut self.reserved2)?;
        c.u16("frame_count", &mut self.frame_count)?;
        c.array("compressor_name", &mut self.compressor_name)?;
        c.u16("depth", &mut self.depth)?;
        c.i16("pre_defined3", &mut self.pre_defined3)?;
        c.children("children", &mut self.children)
    }
}

/// An audio sample entry (`mp4a`, `ac-3`, `ec-3`, `Opus`, `fLaC`, `enca`, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct AudioSampleEntry {
    /// The entry's code.
    pub kind: FourCC,
    /// Reserved (zero).
    pub reserved: [u8; 6],
    /// Index into `dref` (1).
    pub data_reference_index: u16,
    /// 0 in ISO files; QuickTime sound description version 1 or 2.
    pub version: u16,
    /// QuickTime revision level (0).
    pub revision: u16,
    /// QuickTime vendor (0).
    pub vendor: u32,
    /// Channels.
    pub channel_count: u16,
    /// Bits per sample (16).
    pub sample_size: u16,
    /// Pre-defined (QuickTime compression id).
    pub compression_id: i16,
    /// Reserved (QuickTime packet size).
    pub packet_size: u16,
    /// Sample rate, 16.16 fixed point.
    pub sample_rate: u32,
    /// QuickTime version 1 (16 bytes) or 2 (36 bytes) extension, as stored.
    pub qt_extension: Bytes,
    /// Codec configuration and other boxes (`esds`, `dac3`, `dOps`, `btrt`, `sinf`, ...).
    pub children: Vec<AnyBox>,
}
has_children!(AudioSampleEntry);

impl Default for AudioSampleEntry {
    fn default() -> Self {
        AudioSampleEntry {
            kind: FourCC::new(b"mp4a"),
            reserved: [0; 6],
            data_reference_index: 1,
            version: 0,
            revision: 0,
            vendor: 0,
            channel_count: 2,
            sample_size: 16,
            compression_id: 0,
            packet_size: 0,
            sample_rate: 48000 << 16,
            qt_extension: Bytes::new(),
            children: Vec::new(),
        }
    }
}

impl AudioSampleEntry {
    /// The sample rate in Hz (integer part).
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate >> 16
    }
}

impl Atom for AudioSampleEntry {
    const KINDS: &'static [FourCC] = fourccs!(
        b"mp4a", b"ac-3", b"ec-3", b"ac-4", b"Opus", b"fLaC", b"enca", b"alac", b"lpcm", b"ipcm",
        b"fpcm", b".mp3", b"mha1", b"mhm1"
    );
    const CONTAINER: bool = true;
    fn kind(&self) -> FourCC {
        self.kind
    }
    fn set_kind(&mut self, kind: FourCC) {
        self.kind = kind;
    }
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.array("reserved", &mut self.reserved)?;
        c.u16("data_reference_index", &mut self.data_reference_index)?;
        c.u16("version", &mut self.version)?;
        c.u16("revision", &mut self.revision)?;
        c.u32("vendor", &mut self.vendor)?;
        c.u16("channel_count", &mut self.channel_count)?;
        c.u16("sample_size", &mut self.sample_size)?;
        c.i16("compression_id", &mut self.compression_id)?;
        c.u16("packet_size", &mut self.packet_size)?;
        c.u32("sample_rate", &mut self.sample_rate)?;
        let ext = match self.version {
            0 => 0,
            1 => 16,
            2 => 36,
            v => return Err(c.invalid(format!("sound description version {v} is not defined"))),
        };
        c.bytes("qt_extension", ext, &mut self.qt_extension)?;
        c.children("children", &mut self.children)
    }
}

/// WebVTT sample entry (`wvtt`): children `vttC` (configuration) and `vlab` (label).
#[derive(Clone, Debug, PartialEq)]
pub struct WvttSampleEntry {
    /// Reserved (zero).
    pub reserved: [u8; 6],
    /// Index into `dref` (1).
    pub data_reference_index: u16,
    /// `vttC`, `vlab`, `btrt`.
    pub children: Vec<AnyBox>,
}
has_children!(WvttSampleEntry);

impl Default for WvttSampleEntry {
    fn default() -> Self {
        WvttSampleEntry {
            reserved: [0; 6],
            data_reference_index: 1,
            children: Vec::new(),
        }
    }
}

impl Atom for WvttSampleEntry {
    const KINDS: &'static [FourCC] = fourccs!(b"wvtt");
    const CONTAINER: bool = true;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.array("reserved", &mut self.reserved)?;
        c.u16("data_reference_index", &mut self.data_reference_index)?;
        c.children("children", &mut self.children)
    }
}

/// TTML (XML subtitle) sample entry (`stpp`).
#[derive(Clone, Debug, PartialEq)]
pub struct StppSampleEntry {
    /// Reserved (zero).
    pub reserved: [u8; 6],
    /// Index into `dref` (1).
    pub data_reference_index: u16,
    /// XML namespace(s), space-separated.
    pub namespace: Bytes,
    /// Schema location(s).
    pub schema_location: Bytes,
    /// Auxiliary MIME types (images, fonts).
    pub auxiliary_mime_types: Bytes,
    /// Other boxes (`btrt`, ...).
    pub children: Vec<AnyBox>,
}
has_children!(StppSampleEntry);

impl Default for StppSampleEntry {
    fn default() -> Self {
        StppSampleEntry {
            reserved: [0; 6],
            data_reference_index: 1,
            namespace: Bytes::from_static(b"http://www.w3.org/ns/ttml"),
            schema_location: Bytes::new(),
            auxiliary_mime_types: Bytes::new(),
            children: Vec::new(),
        }
    }
}

impl Atom for StppSampleEntry {
    const KINDS: &'static [FourCC] = fourccs!(b"stpp");
    const CONTAINER: bool = true;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.array("reserved", &mut self.reserved)?;
        c.u16("data_reference_index", &mut self.data_reference_index)?;
        c.cstring("namespace", &mut self.namespace)?;
        c.cstring("schema_location", &mut self.schema_location)?;
        c.cstring("auxiliary_mime_types", &mut self.auxiliary_mime_types)?;
        c.children("children", &mut self.children)
    }
}

/// WebVTT configuration (`vttC`): the WebVTT file header text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vttc {
    /// The header text (e.g. `WEBVTT`).
    pub config: Bytes,
}

impl Atom for Vttc {
    const KINDS: &'static [FourCC] = fourccs!(b"vttC");
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.rest("config", &mut self.config)
    }
}

/// WebVTT source label (`vlab`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vlab {
    /// The label text.
    pub source_label: Bytes,
}

impl Atom for Vlab {
    const KINDS: &'static [FourCC] = fourccs!(b"vlab");
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.rest("source_label", &mut self.source_label)
    }
}
