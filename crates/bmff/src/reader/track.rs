//! A track as the reader presents it.

use crate::reader::SampleTable;
use crate::reader::codec_info::{CodecKind, codec_string, original_format};
use crate::{
    AnyBox, AudioSampleEntry, Edts, Elst, ElstEntry, Error, FourCC, HasChildren, Hdlr, Mdhd, Mdia,
    Minf, Result, Schi, Schm, SencSample, Sinf, Stbl, Stsd, Tenc, Tkhd, Trak, VisualSampleEntry,
};

/// How a track is encrypted (from the first sample entry's `sinf`).
#[derive(Clone, Debug, PartialEq)]
pub struct EncryptionInfo {
    /// `cenc`, `cbcs`, `cens` or `cbc1`.
    pub scheme: FourCC,
    /// The scheme version (0x00010000).
    pub scheme_version: u32,
    /// The codec before encryption (`avc1`, `mp4a`, ...).
    pub original_format: FourCC,
    /// Default KID, IV size, pattern and constant IV.
    pub tenc: Tenc,
}

/// One track: identity, timing, codec configuration and (internally) its sample table.
#[derive(Clone, Debug)]
pub struct Track {
    /// Track id.
    pub id: u32,
    /// Handler type (`vide`, `soun`, `text`, `subt`, ...).
    pub handler: FourCC,
    /// Handler name.
    pub handler_name: String,
    /// Units per second of the track's times.
    pub timescale: u32,
    /// Duration in `timescale` units.
    pub duration: u64,
    /// ISO 639-2/T language (`und` when unset).
    pub language: String,
    /// The sample entries of `stsd` (usually one).
    pub sample_entries: Vec<AnyBox>,
    /// The edit list (empty when there is none).
    pub edit_list: Vec<ElstEntry>,
    /// Number of samples.
    pub sample_count: u64,
    /// The whole `trak` box as read (sample tables included).
    pub trak: Trak,
    table: Option<SampleTable>,
}

fn missing(kind: &[u8; 4], id: u32) -> Error {
    Error::MissingBox {
        kind: FourCC::new(kind),
        context: format!(" in track {id}"),
    }
}

impl Track {
    pub(crate) fn from_trak(trak: &Trak) -> Result<Self> {
        let tkhd = trak.get::<Tkhd>().ok_or_else(|| missing(b"tkhd", 0))?;
        let id = tkhd.track_id;
        let mdia = trak.get::<Mdia>().ok_or_else(|| missing(b"mdia", id))?;
        let mdhd = mdia.get::<Mdhd>().ok_or_else(|| missing(b"mdhd", id))?;
        let hdlr = mdia.get::<Hdlr>().ok_or_else(|| missing(b"hdlr", id))?;
        let stsd = mdia
            .get::<Minf>()
            .and_then(|m| m.get::<Stbl>())
            .and_then(|s| s.get::<Stsd>())
            .ok_or_else(|| missing(b"stsd", id))?;
        if mdhd.timescale == 0 {
            return Err(Error::Invalid {
                kind: FourCC::new(b"mdhd"),
                offset: 0,
                reason: format!("track {id} has timescale 0"),
            });
        }
        let edit_list = trak
            .get::<Edts>()
            .and_then(|e| e.get::<Elst>())
            .map(|e| e.entries.clone())
            .unwrap_or_default();
        Ok(Track {
            id,
            handler: hdlr.handler_type,
            handler_name: hdlr.name_str(),
            timescale: mdhd.timescale,
            duration: mdhd.duration,
            language: mdhd.language_code(),
            sample_entries: stsd.children.clone(),
            edit_list,
            sample_count: 0,
            trak: trak.clone(),
            table: None,
        })
    }

    pub(crate) fn set_table(&mut self, table: SampleTable) {
        match &table {
            SampleTable::Progressive(p) => self.sample_count = p.sample_count(),
            SampleTable::Fragmented(f) => {
                self.sample_count = f.samples.len() as u64;
                if let (Some(first), Some(last)) = (f.samples.first(), f.samples.last()) {
                    let end = last.dts + last.duration as u64;
                    self.duration = self.duration.max(end - first.dts.min(end));
                }
            }
        }
        self.table = Some(table);
    }

    pub(crate) fn table(&self) -> &SampleTable {
        self.table
            .as_ref()
            .expect("a track returned by the reader has its sample table")
    }

    /// True for video tracks.
    pub fn is_video(&self) -> bool {
        self.handler == FourCC::new(b"vide")
    }

    /// True for audio tracks.
    pub fn is_audio(&self) -> bool {
        self.handler == FourCC::new(b"soun")
    }

    /// True for subtitle/text tracks.
    pub fn is_subtitle(&self) -> bool {
        matches!(&self.handler.0, b"subt" | b"text" | b"sbtl")
    }

    /// The first sample entry.
    pub fn sample_entry(&self) -> Option<&AnyBox> {
        self.sample_entries.first()
    }

    /// The codec of the first sample entry.
    pub fn codec(&self) -> CodecKind {
        self.sample_entry()
            .map_or(CodecKind::Other(FourCC::default()), CodecKind::of)
    }

    /// The original sample entry code (`frma` for encrypted entries).
    pub fn original_format(&self) -> FourCC {
        self.sample_entry()
            .map_or(FourCC::default(), original_format)
    }

    /// The RFC 6381 `codecs` string of the first sample entry.
    pub fn codec_string(&self) -> Option<String> {
        self.sample_entry().and_then(codec_string)
    }

    /// Width and height in pixels (video).
    pub fn dimensions(&self) -> Option<(u16, u16)> {
        self.sample_entry()?
            .as_typed::<VisualSampleEntry>()
            .map(|v| (v.width, v.height))
    }

    /// Channels and sample rate (audio).
    pub fn audio_format(&self) -> Option<(u16, u32)> {
        self.sample_entry()?
            .as_typed::<AudioSampleEntry>()
            .map(|a| (a.channel_count, a.sample_rate_hz()))
    }

    /// The encryption parameters, when the first sample entry is `encv`/`enca`.
    pub fn encryption(&self) -> Option<EncryptionInfo> {
        let entry = self.sample_entry()?;
        let sinf = entry.children().iter().find_map(|c| c.as_typed::<Sinf>())?;
        let schm = sinf.get::<Schm>()?;
        let tenc = sinf.get::<Schi>()?.get::<Tenc>()?;
        Some(EncryptionInfo {
            scheme: schm.scheme_type,
            scheme_version: schm.scheme_version,
            original_format: original_format(entry),
            tenc: tenc.clone(),
        })
    }

    /// The `senc` record of sample `index`, for encrypted input with auxiliary information.
    pub fn sample_encryption(&self, index: u64) -> Result<Option<&SencSample>> {
        Ok(match self.table() {
            SampleTable::Progressive(p) => p.aux(index),
            SampleTable::Fragmented(f) => f.aux(index),
        })
    }

    /// The `seig` KID override of sample `index` (key rotation), if any.
    pub fn sample_key_id(&self, index: u64) -> Option<[u8; 16]> {
        match self.table() {
            SampleTable::Fragmented(f) => f.key_id(index),
            SampleTable::Progressive(_) => None,
        }
        .or_else(|| self.encryption().map(|e| e.tenc.default_kid))
    }

    /// Media time where presentation starts according to the edit list (0 without one).
    pub fn edit_media_start(&self) -> i64 {
        self.edit_list
            .iter()
            .find(|e| e.media_time >= 0)
            .map_or(0, |e| e.media_time)
    }
}
