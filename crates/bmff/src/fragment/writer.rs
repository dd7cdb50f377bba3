//! The whole fragmenting job for clear output: init segment and media segments of one track,
//! sample data streamed from the input in bounded pieces.

use std::borrow::Cow;
use std::io::{Read, Seek, Write};
use std::ops::Range;

use super::init::{InitOptions, encode_init, init_segment};
use super::media::MediaSegment;
use super::plan::{plan_cuts, split_at};
use crate::reader::{Mp4Reader, Sample, SamplePosition};
use crate::{HasChildren, Mvhd, Result};

/// Largest piece of sample data read at once.
const COPY_CHUNK: usize = 1 << 20;

/// What was written for one media segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    /// 1-based segment number (also the `mfhd` sequence number).
    pub number: u32,
    /// Index of its first sample in the track.
    pub first_sample: u64,
    /// Samples in the segment.
    pub sample_count: u32,
    /// Decode time of the first sample (track timescale).
    pub start_dts: u64,
    /// Duration (track timescale).
    pub duration: u64,
    /// Bytes written.
    pub size: u64,
}

/// Fragments one track of an [`Mp4Reader`].
#[derive(Debug)]
pub struct Fragmenter<'a, R> {
    reader: &'a mut Mp4Reader<R>,
    track_id: u32,
    samples: Cow<'a, [Sample]>,
    /// Without a table: where the next segment's samples start in the track.
    stream: Option<SamplePosition>,
    ranges: Vec<Range<usize>>,
    /// The samples of the segment being written.
    current: Vec<Sample>,
    next: usize,
    styp: bool,
    sidx: bool,
    buf: Vec<u8>,
}

impl<'a, R: Read + Seek> Fragmenter<'a, R> {
    /// Fragments `track_id` with segments cut at sync samples near `target_seconds`.
    pub fn new(reader: &'a mut Mp4Reader<R>, track_id: u32, target_seconds: f64) -> Result<Self> {
        let timescale = reader.track(track_id)?.timescale;
        let samples: Vec<Sample> = reader.samples(track_id)?.collect::<Result<_>>()?;
        let target = (target_seconds.max(0.001) * timescale as f64).round() as u64;
        let cuts = plan_cuts(&samples, target);
        Self::with_cuts(reader, track_id, samples, &cuts)
    }

    /// Fragments `track_id` at given segment start times (relative decode times in the track
    /// timescale; e.g. the cuts of another track, for aligned segments). `samples` are the
    /// track's samples, owned or borrowed (a caller that keeps the table need not copy it).
    pub fn with_cuts(
        reader: &'a mut Mp4Reader<R>,
        track_id: u32,
        samples: impl Into<Cow<'a, [Sample]>>,
        cuts: &[u64],
    ) -> Result<Self> {
        let samples = samples.into();
        let ranges = split_at(&samples, cuts);
        Ok(Fragmenter {
            reader,
            track_id,
            samples,
            stream: None,
            ranges,
            current: Vec::new(),
            next: 0,
            styp: false,
            sidx: false,
            buf: Vec::new(),
        })
    }

    /// Fragments `track_id` into segments of the given sample index ranges (consecutive, from
    /// sample 0, e.g. from a [`SegmentSplitter`](super::SegmentSplitter)) without a table of
    /// the track's samples: each segment's samples are read from the input's index as it is
    /// written, so memory does not grow with the track's length.
    pub fn streaming(
        reader: &'a mut Mp4Reader<R>,
        track_id: u32,
        ranges: Vec<Range<usize>>,
    ) -> Result<Self> {
        let mut expected = 0usize;
        for r in &ranges {
            if r.start != expected || r.end <= r.start {
                return Err(crate::Error::InvalidArgument(
                    "segment ranges must be consecutive, non-empty and start at sample 0",
                ));
            }
            expected = r.end;
        }
        let stream = Some(reader.samples(track_id)?.position());
        Ok(Fragmenter {
            reader,
            track_id,
            samples: Cow::Borrowed(&[]),
            stream,
            ranges,
            current: Vec::new(),
            next: 0,
            styp: false,
            sidx: false,
            buf: Vec::new(),
        })
    }

    /// Writes an `styp` at the start of every media segment.
    pub fn styp(mut self, on: bool) -> Self {
        self.styp = on;
        self
    }

    /// Writes a `sidx` in every media segment.
    pub fn sidx(mut self, on: bool) -> Self {
        self.sidx = on;
        self
    }

    /// Number of media segments.
    pub fn segment_count(&self) -> usize {
        self.ranges.len()
    }

    /// The init segment's bytes.
    pub fn init_segment(&self) -> Result<Vec<u8>> {
        self.init_segment_with(|_, _| Ok::<(), crate::Error>(()))
    }

    /// The init segment's bytes, after `edit` changed its `ftyp`/`moov` (e.g. an encryptor
    /// protecting the sample entries and adding `pssh` boxes).
    pub fn init_segment_with<E, F>(&self, edit: F) -> std::result::Result<Vec<u8>, E>
    where
        E: From<crate::Error>,
        F: FnOnce(&mut crate::FileType, &mut crate::Moov) -> std::result::Result<(), E>,
    {
        let mvhd = self.reader.moov().require::<Mvhd>()?;
        let track = self.reader.track(self.track_id)?;
        let movie_duration = track.duration * mvhd.timescale as u64 / track.timescale as u64;
        let (mut ftyp, mut moov) = init_segment(
            mvhd,
            &[track],
            self.reader.moov(),
            &InitOptions {
                fragment_duration: movie_duration,
                keep_pssh: true,
            },
        )?;
        edit(&mut ftyp, &mut moov)?;
        Ok(encode_init(&ftyp, &moov)?)
    }

    /// The samples of the track, in decode order (empty for [`Fragmenter::streaming`]).
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The samples of the last segment written.
    pub fn segment_samples(&self) -> &[Sample] {
        &self.current
    }

    /// The sample ranges of the media segments.
    pub fn segments(&self) -> &[Range<usize>] {
        &self.ranges
    }

    /// Writes the next media segment to `out`; `None` after the last. Sample data is copied
    /// in bounded pieces, never the whole segment at once.
    pub fn write_next<W: Write>(&mut self, out: &mut W) -> Result<Option<SegmentInfo>> {
        let Some(mut seg) = self.next_segment()? else {
            return Ok(None);
        };
        let (header, layout) = seg.finish()?;
        out.write_all(&header)?;
        copy_samples(self.reader, &self.current, &mut self.buf, out)?;
        Ok(Some(self.info(layout.total_len)))
    }

    /// Writes the next media segment after `transform` changed its samples' bytes in place
    /// (the segment's samples back to back) and its boxes (e.g. encryption). The segment's
    /// bytes are held in memory while transformed.
    pub fn write_next_with<W, E, F>(
        &mut self,
        out: &mut W,
        transform: F,
    ) -> std::result::Result<Option<SegmentInfo>, E>
    where
        W: Write,
        E: From<crate::Error>,
        F: FnOnce(&mut MediaSegment, &mut [u8], &[Sample]) -> std::result::Result<(), E>,
    {
        let Some(mut seg) = self.next_segment()? else {
            return Ok(None);
        };
        self.reader.read_samples(&self.current, &mut self.buf)?;
        transform(&mut seg, &mut self.buf, &self.current)?;
        seg.set_payload_len(self.buf.len() as u64);
        let (header, layout) = seg.finish()?;
        out.write_all(&header).map_err(crate::Error::from)?;
        out.write_all(&self.buf).map_err(crate::Error::from)?;
        Ok(Some(self.info(layout.total_len)))
    }

    /// Loads the next segment's samples into `current`.
    fn load(&mut self, range: Range<usize>) -> Result<()> {
        self.current.clear();
        match &mut self.stream {
            None => self.current.extend_from_slice(&self.samples[range]),
            Some(pos) => {
                let mut it = self.reader.samples_from(pos)?;
                for _ in range {
                    let s = it.next().ok_or(crate::Error::InvalidArgument(
                        "segment ranges beyond the track's samples",
                    ))??;
                    self.current.push(s);
                }
                *pos = it.position();
            }
        }
        Ok(())
    }

    fn next_segment(&mut self) -> Result<Option<MediaSegment>> {
        let Some(range) = self.ranges.get(self.next).cloned() else {
            return Ok(None);
        };
        self.load(range)?;
        self.next += 1;
        let number = self.next as u32;
        let samples = &self.current[..];
        let duration: u64 = samples.iter().map(|s| s.duration as u64).sum();
        let mut seg = MediaSegment::new(self.track_id, samples, number);
        if self.styp {
            seg = seg.with_styp();
        }
        if self.sidx {
            let timescale = self.reader.track(self.track_id)?.timescale;
            let earliest = samples.iter().map(|s| s.cts()).min().unwrap_or(0).max(0) as u64;
            seg = seg.with_sidx(
                self.track_id,
                timescale,
                earliest,
                u32::try_from(duration).unwrap_or(u32::MAX),
            );
        }
        Ok(Some(seg))
    }

    fn info(&self, size: u64) -> SegmentInfo {
        let samples = &self.current[..];
        SegmentInfo {
            number: self.next as u32,
            first_sample: samples[0].index,
            sample_count: samples.len() as u32,
            start_dts: samples[0].dts,
            duration: samples.iter().map(|s| s.duration as u64).sum(),
            size,
        }
    }
}

/// Copies the bytes of `samples` to `out`, reading contiguous runs together in pieces of at
/// most 1 MiB.
pub(crate) fn copy_samples<R: Read + Seek, W: Write>(
    reader: &mut Mp4Reader<R>,
    samples: &[Sample],
    buf: &mut Vec<u8>,
    out: &mut W,
) -> Result<()> {
    let mut i = 0;
    while i < samples.len() {
        let start = samples[i].offset;
        let mut end = start + samples[i].size as u64;
        let mut j = i + 1;
        while j < samples.len() && samples[j].offset == end && (end - start) < COPY_CHUNK as u64 {
            end += samples[j].size as u64;
            j += 1;
        }
        let mut pos = start;
        while pos < end {
            let n = ((end - pos) as usize).min(COPY_CHUNK);
            buf.resize(n, 0);
            reader.read_at(pos, &mut buf[..n])?;
            out.write_all(&buf[..n])?;
            pos += n as u64;
        }
        i = j;
    }
    Ok(())
}
