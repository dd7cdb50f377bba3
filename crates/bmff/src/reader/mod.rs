//! Streaming sample reader for progressive and fragmented MP4 files.
//!
//! [`Mp4Reader::open`] reads the top-level structure once: it keeps `moov` (the index) and,
//! for fragmented files, a compact per-sample table built from every `moof`; it never reads
//! `mdat`. Samples are then iterated per track ([`Mp4Reader::samples`]) or across tracks in
//! file order ([`Mp4Reader::samples_in_file_order`]), and their bytes are read on demand
//! ([`Mp4Reader::read_sample`]).
//!
//! ```no_run
//! # fn main() -> bmff::Result<()> {
//! let mut reader = bmff::reader::Mp4Reader::open(std::fs::File::open("in.mp4")?)?;
//! let video = reader.tracks().iter().find(|t| t.is_video()).unwrap().id;
//! let samples: Vec<_> = reader.samples(video)?.collect::<bmff::Result<_>>()?;
//! let mut buf = Vec::new();
//! reader.read_sample(&samples[0], &mut buf)?;
//! # Ok(()) }
//! ```

mod codec_info;
mod fragmented;
mod progressive;
mod track;

use std::io::{Read, Seek, SeekFrom};

pub use codec_info::{CodecKind, codec_string};
pub use track::{EncryptionInfo, Track};

use crate::file::{TopLevel, TopLevelReader};
use crate::{
    AnyBox, DecodeOptions, Diagnostic, Error, FourCC, HasChildren, Moov, Mvex, Mvhd, Result,
    SencSample, Trak, limits,
};
use fragmented::FragmentIndex;
use progressive::ProgressiveTable;

/// One sample: where it is and when it plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Track id.
    pub track_id: u32,
    /// 0-based index within the track.
    pub index: u64,
    /// Decode time in the track timescale.
    pub dts: u64,
    /// Composition time minus decode time.
    pub cts_offset: i64,
    /// Duration in the track timescale.
    pub duration: u32,
    /// True for a sync sample (key frame).
    pub is_sync: bool,
    /// Size in bytes.
    pub size: u32,
    /// Absolute file offset of the first byte.
    pub offset: u64,
    /// 1-based index of the sample entry in `stsd`.
    pub description_index: u32,
}

impl Sample {
    /// Composition (presentation) time in the track timescale, before edit lists.
    pub fn cts(&self) -> i64 {
        self.dts as i64 + self.cts_offset
    }
}

/// Where a track's samples come from.
#[derive(Clone, Debug)]
pub(crate) enum SampleTable {
    Progressive(ProgressiveTable),
    Fragmented(fragmented::TrackFragments),
}

/// Reads tracks and samples from an MP4 file.
#[derive(Debug)]
pub struct Mp4Reader<R> {
    src: R,
    moov: Moov,
    tracks: Vec<Track>,
    file_size: u64,
    fragmented: bool,
    diagnostics: Vec<Diagnostic>,
    ftyp: Option<crate::FileType>,
}

impl<R: Read + Seek> Mp4Reader<R> {
    /// Opens `src`, reading its index (never the media data).
    pub fn open(src: R) -> Result<Self> {
        Self::open_with(src, DecodeOptions::reading())
    }

    /// Opens `src` with explicit decode options (e.g. strict, to verify our own output).
    pub fn open_with(mut src: R, opts: DecodeOptions) -> Result<Self> {
        let mut tl = TopLevelReader::new(&mut src, opts)?;
        let file_size = tl.file_size();
        let mut moov: Option<Moov> = None;
        let mut ftyp = None;
        let mut index = FragmentIndex::default();
        while let Some(h) = tl.peek_header(&mut src)? {
            match &h.kind.0 {
                b"moov" | b"moof" | b"ftyp" => {
                    let Some(item) = tl.next_item(&mut src)? else {
                        break;
                    };
                    let TopLevel::Box { offset, boxed } = item else {
                        return Err(Error::Limit {
                            kind: h.kind,
                            offset: item.offset(),
                            what: "index box size",
                        });
                    };
                    match boxed {
                        AnyBox::Moov(m) => {
                            if moov.is_some() {
                                return Err(Error::Invalid {
                                    kind: h.kind,
                                    offset,
                                    reason: "a second moov box".into(),
                                });
                            }
                            moov = Some(m);
                        }
                        AnyBox::Moof(m) => index.add_moof(m, offset, h.size)?,
                        AnyBox::FileType(f) => ftyp = Some(f),
                        other => {
                            return Err(Error::Invalid {
                                kind: other.kind(),
                                offset,
                                reason: "not decodable as its registered type".into(),
                            });
                        }
                    }
                }
                _ => {
                    tl.skip(&mut src)?;
                }
            }
        }
        let moov = moov.ok_or_else(|| Error::MissingBox {
            kind: FourCC::new(b"moov"),
            context: " (not an MP4 file, or truncated before its index)".into(),
        })?;
        let fragmented = moov.get::<Mvex>().is_some() || !index.is_empty();
        let mut tracks = Vec::new();
        for trak in moov.all::<Trak>() {
            if tracks.len() >= limits::MAX_TRACKS {
                return Err(Error::Limit {
                    kind: FourCC::new(b"trak"),
                    offset: 0,
                    what: "number of tracks",
                });
            }
            let mut track = Track::from_trak(trak)?;
            let table = if fragmented {
                let trex = moov
                    .get::<Mvex>()
                    .and_then(|m| m.all::<crate::Trex>().find(|t| t.track_id == track.id))
                    .cloned()
                    .unwrap_or_default();
                SampleTable::Fragmented(index.track(&track, &trex, file_size)?)
            } else {
                SampleTable::Progressive(ProgressiveTable::from_trak(
                    trak, &track, &mut src, file_size,
                )?)
            };
            track.set_table(table);
            tracks.push(track);
        }
        Ok(Mp4Reader {
            src,
            moov,
            tracks,
            file_size,
            fragmented,
            diagnostics: tl.take_diagnostics(),
            ftyp,
        })
    }

    /// The tracks, in `moov` order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The track with this id.
    pub fn track(&self, id: u32) -> Result<&Track> {
        self.tracks
            .iter()
            .find(|t| t.id == id)
            .ok_or(Error::InvalidArgument("no track with this id"))
    }

    /// The movie box (the index).
    pub fn moov(&self) -> &Moov {
        &self.moov
    }

    /// The file type box, if present.
    pub fn ftyp(&self) -> Option<&crate::FileType> {
        self.ftyp.as_ref()
    }

    /// The movie timescale.
    pub fn movie_timescale(&self) -> u32 {
        self.moov.get::<Mvhd>().map_or(1000, |m| m.timescale)
    }

    /// True for fragmented files (samples in `moof`s).
    pub fn is_fragmented(&self) -> bool {
        self.fragmented
    }

    /// Size of the file in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// What the decoder tolerated while reading the index.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The samples of one track in decode order.
    pub fn samples(&self, track_id: u32) -> Result<SampleIter<'_>> {
        let t = self.track(track_id)?;
        Ok(SampleIter::new(t, self.file_size))
    }

    /// The samples of one track from `position` on (taken with [`SampleIter::position`] from
    /// an iterator over the same track of this reader): a walk that pauses, e.g. to read the
    /// bytes of the samples it has seen, resumes in O(1) without keeping a borrow of the
    /// reader or a table of every sample.
    pub fn samples_from(&self, position: &SamplePosition) -> Result<SampleIter<'_>> {
        let t = self.track(position.track_id)?;
        let inner = match (t.table(), position.at) {
            (SampleTable::Progressive(p), At::Progressive(st)) => SampleIterInner::Progressive(
                progressive::Cursor::resume(p, t.id, self.file_size, st),
            ),
            (SampleTable::Fragmented(f), At::Fragmented(i)) => {
                SampleIterInner::Fragmented(fragmented::Cursor::resume(f, t.id, i))
            }
            _ => {
                return Err(Error::InvalidArgument(
                    "sample position from another kind of track",
                ));
            }
        };
        Ok(SampleIter {
            track_id: t.id,
            inner,
            done: position.done,
        })
    }

    /// The samples of every track merged in file-offset order (the order of `mdat`).
    pub fn samples_in_file_order(&self) -> FileOrderIter<'_> {
        let iters = self
            .tracks
            .iter()
            .map(|t| SampleIter::new(t, self.file_size).peekable())
            .collect();
        FileOrderIter { iters }
    }

    /// The encryption parameters (`senc` record) of a sample, for encrypted input.
    pub fn sample_encryption(&self, sample: &Sample) -> Result<Option<&SencSample>> {
        self.track(sample.track_id)?.sample_encryption(sample.index)
    }

    /// Reads a sample's bytes into `buf` (replacing its contents).
    pub fn read_sample(&mut self, sample: &Sample, buf: &mut Vec<u8>) -> Result<()> {
        buf.clear();
        buf.resize(sample.size as usize, 0);
        self.read_at(sample.offset, buf)
    }

    /// Reads the bytes of `samples` back to back into `buf` (replacing its contents), reading
    /// runs of adjacent samples with one read each.
    pub fn read_samples(&mut self, samples: &[Sample], buf: &mut Vec<u8>) -> Result<()> {
        let total: u64 = samples.iter().map(|s| s.size as u64).sum();
        buf.clear();
        buf.resize(total as usize, 0);
        let mut at = 0usize;
        let mut i = 0;
        while i < samples.len() {
            let start = samples[i].offset;
            let mut len = samples[i].size as u64;
            let mut j = i + 1;
            while j < samples.len() && samples[j].offset == start + len {
                len += samples[j].size as u64;
                j += 1;
            }
            self.read_at(start, &mut buf[at..at + len as usize])?;
            at += len as usize;
            i = j;
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes at absolute `offset`.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|e| e > self.file_size) {
            return Err(Error::Truncated {
                kind: FourCC::new(b"mdat"),
                offset,
                needed: buf.len() as u64,
                available: self.file_size.saturating_sub(offset),
            });
        }
        self.src.seek(SeekFrom::Start(offset))?;
        self.src.read_exact(buf)?;
        Ok(())
    }

    /// The underlying source.
    pub fn source_mut(&mut self) -> &mut R {
        &mut self.src
    }
}

/// Iterator over one track's samples (see [`Mp4Reader::samples`]).
#[derive(Debug)]
pub struct SampleIter<'a> {
    track_id: u32,
    inner: SampleIterInner<'a>,
    done: bool,
}

/// Where a [`SampleIter`] is: the next sample it yields. Resume with
/// [`Mp4Reader::samples_from`]; it holds no borrow and is a few words, whatever the track's
/// length.
#[derive(Clone, Copy, Debug)]
pub struct SamplePosition {
    track_id: u32,
    at: At,
    done: bool,
}

#[derive(Clone, Copy, Debug)]
enum At {
    Progressive(progressive::CursorState),
    Fragmented(usize),
}

#[derive(Debug)]
enum SampleIterInner<'a> {
    Progressive(progressive::Cursor<'a>),
    Fragmented(fragmented::Cursor<'a>),
}

impl<'a> SampleIter<'a> {
    fn new(t: &'a Track, file_size: u64) -> Self {
        let inner = match t.table() {
            SampleTable::Progressive(p) => {
                SampleIterInner::Progressive(progressive::Cursor::new(p, t.id, file_size))
            }
            SampleTable::Fragmented(f) => {
                SampleIterInner::Fragmented(fragmented::Cursor::new(f, t.id))
            }
        };
        SampleIter {
            track_id: t.id,
            inner,
            done: false,
        }
    }

    /// Where the iterator is: the next sample it yields (resume with
    /// [`Mp4Reader::samples_from`]).
    pub fn position(&self) -> SamplePosition {
        SamplePosition {
            track_id: self.track_id,
            at: match &self.inner {
                SampleIterInner::Progressive(c) => At::Progressive(c.state()),
                SampleIterInner::Fragmented(c) => At::Fragmented(c.state()),
            },
            done: self.done,
        }
    }
}

impl Iterator for SampleIter<'_> {
    type Item = Result<Sample>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = match &mut self.inner {
            SampleIterInner::Progressive(c) => c.next_sample(),
            SampleIterInner::Fragmented(c) => c.next_sample(),
        };
        match r {
            Ok(Some(s)) => Some(Ok(s)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Iterator over every track's samples in file order (see [`Mp4Reader::samples_in_file_order`]).
#[derive(Debug)]
pub struct FileOrderIter<'a> {
    iters: Vec<std::iter::Peekable<SampleIter<'a>>>,
}

impl Iterator for FileOrderIter<'_> {
    type Item = Result<Sample>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<(usize, u64)> = None;
        for (i, it) in self.iters.iter_mut().enumerate() {
            match it.peek() {
                Some(Ok(s)) if best.is_none_or(|(_, o)| s.offset < o) => {
                    best = Some((i, s.offset));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) => return it.next(),
                None => {}
            }
        }
        let (i, _) = best?;
        self.iters[i].next()
    }
}
