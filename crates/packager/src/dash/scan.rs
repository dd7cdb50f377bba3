//! Streaming passes over a track's sample table: what the job needs to know about a track and
//! where its segments start, kept in memory that grows with the number of segments, never with
//! the number of samples.

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::ops::Range;

use bmff::fragment::{CutPlanner, SegmentSplitter};
use bmff::reader::Mp4Reader;

/// Totals of one track, from one pass over its samples.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrackScan {
    /// Samples.
    pub(crate) count: u64,
    /// Bytes of sample data.
    pub(crate) bytes: u64,
    /// Sum of the sample durations (track timescale).
    pub(crate) ticks: u64,
    /// Decode time of the first sample.
    pub(crate) first_dts: u64,
    /// Composition offset of the first sample.
    pub(crate) first_cts_offset: i64,
    /// How many samples have each duration (for the frame rate).
    pub(crate) durations: BTreeMap<u32, u64>,
    /// Where this track's own segments would start (relative decode times), planned for the
    /// target duration: used when it is the reference track.
    pub(crate) cuts: Vec<u64>,
}

/// Scans `track_id`, planning cuts for segments of `target` ticks.
pub(crate) fn scan_track<R: Read + Seek>(
    reader: &Mp4Reader<R>,
    track_id: u32,
    target: u64,
) -> bmff::Result<TrackScan> {
    let mut scan = TrackScan::default();
    let mut planner = CutPlanner::new(target);
    for s in reader.samples(track_id)? {
        let s = s?;
        if scan.count == 0 {
            scan.first_dts = s.dts;
            scan.first_cts_offset = s.cts_offset;
        }
        scan.count += 1;
        scan.bytes += s.size as u64;
        scan.ticks += s.duration as u64;
        *scan.durations.entry(s.duration).or_default() += 1;
        planner.push(&s);
    }
    scan.cuts = planner.finish();
    Ok(scan)
}

/// One segment of a track, as planned before it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlannedSegment {
    /// Its samples' indices in the track.
    pub(crate) range: Range<usize>,
    /// Decode time of its first sample.
    pub(crate) first_dts: u64,
    /// True when its first sample is a sync sample.
    pub(crate) starts_with_sync: bool,
}

/// A track's segments at `cuts` (relative decode times, increasing), and for each cut the
/// composition offset of the first sample at or after it (0 when there is none).
pub(crate) fn plan_segments<R: Read + Seek>(
    reader: &Mp4Reader<R>,
    track_id: u32,
    cuts: &[u64],
) -> bmff::Result<(Vec<PlannedSegment>, Vec<i64>)> {
    let mut splitter = SegmentSplitter::new(cuts.to_vec());
    let mut firsts = Vec::with_capacity(cuts.len() + 1);
    let mut cut_offsets = Vec::with_capacity(cuts.len());
    let mut first_dts = None;
    for s in reader.samples(track_id)? {
        let s = s?;
        let rel = s.dts - *first_dts.get_or_insert(s.dts);
        while cut_offsets.len() < cuts.len() && cuts[cut_offsets.len()] <= rel {
            cut_offsets.push(s.cts_offset);
        }
        if splitter.push(&s) {
            firsts.push((s.dts, s.is_sync));
        }
    }
    cut_offsets.resize(cuts.len(), 0);
    let segments = splitter
        .finish()
        .into_iter()
        .zip(firsts)
        .map(|(range, (first_dts, starts_with_sync))| PlannedSegment {
            range,
            first_dts,
            starts_with_sync,
        })
        .collect();
    Ok((segments, cut_offsets))
}
