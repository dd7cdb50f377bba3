//! One TS output (a variant or a rendition): its tracks, their converters and the muxer; writes
//! planned segments one after the other, streaming samples from the input.

use std::io::{Read, Seek, Write};

use bmff::reader::Mp4Reader;

use crate::crypto::sample_aes::SampleAesEncryptor;
use crate::error::{Error, Result};
use crate::es::{EsCodec, EsConverter};
use crate::limits::MAX_SAMPLE_BYTES;
use crate::muxer::{MuxStream, TsMuxer};
use crate::segment::{PlannedSegment, TrackTimeline};
use crate::ts::FIRST_ES_PID;

/// What one written segment holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentStats {
    /// Samples written.
    pub samples: u64,
    /// TS packets written.
    pub packets: u64,
}

/// Writes the TS segments of one output.
#[derive(Debug)]
pub struct TsOutput {
    tracks: Vec<TrackTimeline>,
    converters: Vec<EsConverter>,
    muxer: TsMuxer,
    sample: Vec<u8>,
    payload: Vec<u8>,
}

impl TsOutput {
    /// An output muxing `tracks` (with their `codecs`, same order) on PIDs 0x100, 0x101, ...;
    /// with `sample_aes` every stream is SAMPLE-AES encrypted.
    pub fn new(
        tracks: Vec<TrackTimeline>,
        codecs: Vec<EsCodec>,
        sample_aes: Option<SampleAesEncryptor>,
    ) -> Result<Self> {
        if tracks.len() != codecs.len() || tracks.is_empty() {
            return Err(Error::InvalidInput(
                "one codec per track, at least one track".into(),
            ));
        }
        let streams: Vec<MuxStream> = codecs
            .iter()
            .enumerate()
            .map(|(i, c)| MuxStream {
                pid: FIRST_ES_PID + i as u16,
                codec: c.clone(),
                sample_aes: sample_aes.is_some(),
            })
            .collect();
        let converters = tracks
            .iter()
            .zip(codecs)
            .map(|(t, c)| EsConverter::new(c, t.track_id, sample_aes.clone()))
            .collect::<Result<Vec<_>>>()?;
        Ok(TsOutput {
            muxer: TsMuxer::new(&streams)?,
            tracks,
            converters,
            sample: Vec::new(),
            payload: Vec::new(),
        })
    }

    /// The tracks, in PID order.
    pub fn tracks(&self) -> &[TrackTimeline] {
        &self.tracks
    }

    /// Writes one segment: PAT, PMT, then the access units of every track interleaved by
    /// decode time. Segments must be written in order (continuity counters run on).
    pub fn write_segment<R: Read + Seek, W: Write + ?Sized>(
        &mut self,
        reader: &mut Mp4Reader<R>,
        segment: &PlannedSegment,
        out: &mut W,
    ) -> Result<SegmentStats> {
        if segment.ranges.len() != self.tracks.len() {
            return Err(Error::InvalidInput(
                "segment plan does not match the output's tracks".into(),
            ));
        }
        let packets_before = self.muxer.stats().packets;
        self.muxer.write_tables(out)?;
        let mut next: Vec<usize> = segment.ranges.iter().map(|r| r.start).collect();
        let mut samples = 0u64;
        loop {
            // The track whose next sample decodes first (ties: the lower index, video first).
            let mut pick: Option<(usize, i64)> = None;
            for (t, track) in self.tracks.iter().enumerate() {
                if next[t] < segment.ranges[t].end {
                    let dts = track.dts90(&track.samples[next[t]]);
                    if pick.is_none_or(|(_, best)| dts < best) {
                        pick = Some((t, dts));
                    }
                }
            }
            let Some((t, dts)) = pick else { break };
            let track = &self.tracks[t];
            let s = track.samples[next[t]];
            next[t] += 1;
            if s.size > MAX_SAMPLE_BYTES {
                return Err(Error::Limit("sample size (64 MiB)"));
            }
            reader.read_sample(&s, &mut self.sample)?;
            let pts = track.pts90(&s);
            self.payload.clear();
            self.converters[t].convert(&self.sample, s.index, s.is_sync, &mut self.payload)?;
            self.muxer.write_access_unit(
                out,
                t,
                pts as u64,
                dts as u64,
                s.is_sync,
                &self.payload,
            )?;
            samples += 1;
        }
        self.muxer.flush(out)?;
        Ok(SegmentStats {
            samples,
            packets: self.muxer.stats().packets - packets_before,
        })
    }
}
