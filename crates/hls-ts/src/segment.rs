//! Segmenting: a track's samples on the 90 kHz MPEG-TS clock ([`TrackTimeline`]), and where
//! segments start ([`plan_segments`]): at key frames near the target duration for the main
//! track (via `bmff::fragment::plan_cuts`), the other tracks following by presentation time.

use std::io::{Read, Seek};
use std::ops::Range;

use bmff::fragment::{plan_cuts, split_at};
use bmff::reader::{Mp4Reader, Sample};

use crate::error::{Error, Result};
use crate::ts::PTS_HZ;

/// PTS of presentation time zero in our output: 10 s, so that decode times of B-frame video
/// and AAC priming before zero stay positive. WebVTT's `X-TIMESTAMP-MAP` maps `LOCAL` 0 to it.
pub const TS_TIME_OFFSET: u64 = 10 * PTS_HZ;

/// One track's samples with their times on the MPEG-TS clock.
///
/// Presentation times follow the edit list (an initial empty edit delays the track, the first
/// media edit's `media_time` is presentation zero) and are offset by [`TS_TIME_OFFSET`].
/// Decode times are shifted back, if needed, so that no DTS exceeds its PTS.
#[derive(Clone, Debug)]
pub struct TrackTimeline {
    /// The input track.
    pub track_id: u32,
    /// Its timescale.
    pub timescale: u32,
    /// Its samples in decoding order (the index; sample data stays in the file).
    pub samples: Vec<Sample>,
    /// Presentation offset in track ticks: subtracted from composition times.
    media_start: i64,
    /// Delay from an initial empty edit, in 90 kHz ticks.
    delay90: i64,
    /// How far decode times are moved back (track ticks) so that DTS <= PTS.
    dts_shift: i64,
}

fn to_90k(ticks: i64, timescale: u32) -> i64 {
    (ticks as i128 * PTS_HZ as i128).div_euclid(timescale as i128) as i64
}

impl TrackTimeline {
    /// Reads the sample index of `track_id`.
    pub fn load<R: Read + Seek>(reader: &Mp4Reader<R>, track_id: u32) -> Result<Self> {
        let track = reader.track(track_id)?;
        let samples: Vec<Sample> = reader.samples(track_id)?.collect::<bmff::Result<_>>()?;
        if samples.is_empty() {
            return Err(Error::Timing {
                track_id,
                reason: "the track has no samples".into(),
            });
        }
        let movie_timescale = reader.movie_timescale().max(1);
        let mut delay_movie = 0i64;
        let mut media_start = 0i64;
        for e in &track.edit_list {
            if e.media_time < 0 {
                delay_movie += e.segment_duration as i64;
            } else {
                media_start = e.media_time;
                break;
            }
        }
        let dts_shift = samples
            .iter()
            .map(|s| -s.cts_offset)
            .max()
            .unwrap_or(0)
            .max(0);
        let t = TrackTimeline {
            track_id,
            timescale: track.timescale,
            samples,
            media_start,
            delay90: to_90k(delay_movie, movie_timescale),
            dts_shift,
        };
        let first = t.dts90(&t.samples[0]);
        if first < 0 {
            return Err(Error::Timing {
                track_id,
                reason: format!(
                    "its first decode time lies {:.3} s before presentation start, more than the {} s the MPEG-TS timeline leaves",
                    (TS_TIME_OFFSET as i64 - first) as f64 / PTS_HZ as f64,
                    TS_TIME_OFFSET / PTS_HZ
                ),
            });
        }
        Ok(t)
    }

    /// Presentation time of `s` in 90 kHz ticks (with [`TS_TIME_OFFSET`]).
    pub fn pts90(&self, s: &Sample) -> i64 {
        TS_TIME_OFFSET as i64 + self.delay90 + to_90k(s.cts() - self.media_start, self.timescale)
    }

    /// Decode time of `s` in 90 kHz ticks.
    pub fn dts90(&self, s: &Sample) -> i64 {
        TS_TIME_OFFSET as i64
            + self.delay90
            + to_90k(
                s.dts as i64 - self.dts_shift - self.media_start,
                self.timescale,
            )
    }

    /// Seconds covered by the samples of `range` (sum of their durations).
    pub fn duration_of(&self, range: &Range<usize>) -> f64 {
        let ticks: u64 = self.samples[range.clone()]
            .iter()
            .map(|s| s.duration as u64)
            .sum();
        ticks as f64 / self.timescale as f64
    }

    /// The first sample index at or after `from` whose presentation time is at or after `t`.
    fn first_at_or_after(&self, from: usize, t: i64) -> usize {
        from + self.samples[from..].partition_point(|s| self.pts90(s) < t)
    }
}

/// Where the segments of an output start.
#[derive(Clone, Copy, Debug)]
pub enum CutPolicy<'a> {
    /// Cut the main track at its key frames nearest to multiples of this many seconds.
    Target(f64),
    /// Start segments at these presentation times (90 kHz, as returned in
    /// [`PlannedSegment::start90`] of another output), so renditions line up with a variant.
    At(&'a [i64]),
}

/// One planned segment.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedSegment {
    /// The samples of each track (in the order of the tracks given to [`plan_segments`]).
    pub ranges: Vec<Range<usize>>,
    /// Presentation time of its first main-track sample (90 kHz).
    pub start90: i64,
    /// Its duration in seconds (the main track's samples).
    pub duration: f64,
}

/// Plans the segments of one output holding `tracks`, `tracks[main]` deciding the cuts.
/// The other tracks' samples go to the segment whose time span holds their presentation time
/// (samples before the first cut to the first segment, after the last to the last).
pub fn plan_segments(
    tracks: &[TrackTimeline],
    main: usize,
    policy: CutPolicy<'_>,
) -> Result<Vec<PlannedSegment>> {
    let m = tracks
        .get(main)
        .ok_or_else(|| Error::InvalidInput("main track index out of range".into()))?;
    let main_ranges: Vec<Range<usize>> = match policy {
        CutPolicy::Target(secs) => {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(Error::InvalidInput(format!(
                    "segment duration {secs} is not a positive number of seconds"
                )));
            }
            let target = (secs * m.timescale as f64).round().max(1.0) as u64;
            split_at(&m.samples, &plan_cuts(&m.samples, target))
        }
        CutPolicy::At(starts) => {
            let mut ranges = Vec::new();
            let mut start = 0usize;
            for &t in starts.iter().skip(1) {
                let mut idx = m.first_at_or_after(start, t);
                // Video: a segment must start with a key frame.
                while idx < m.samples.len() && !m.samples[idx].is_sync {
                    idx += 1;
                }
                if idx > start && idx < m.samples.len() {
                    ranges.push(start..idx);
                    start = idx;
                }
            }
            ranges.push(start..m.samples.len());
            ranges
        }
    };
    let starts: Vec<i64> = main_ranges
        .iter()
        .map(|r| m.pts90(&m.samples[r.start]))
        .collect();
    let mut cursors = vec![0usize; tracks.len()];
    let mut out = Vec::with_capacity(main_ranges.len());
    for (i, r) in main_ranges.iter().enumerate() {
        let last = i + 1 == main_ranges.len();
        let mut ranges = Vec::with_capacity(tracks.len());
        for (t, track) in tracks.iter().enumerate() {
            if t == main {
                ranges.push(r.clone());
                continue;
            }
            let from = cursors[t];
            let to = if last {
                track.samples.len()
            } else {
                track.first_at_or_after(from, starts[i + 1])
            };
            cursors[t] = to;
            ranges.push(from..to);
        }
        out.push(PlannedSegment {
            ranges,
            start90: starts[i],
            duration: m.duration_of(r),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(id: u32, timescale: u32, n: usize, dur: u32, gop: usize, cto: i64) -> TrackTimeline {
        TrackTimeline {
            track_id: id,
            timescale,
            samples: (0..n)
                .map(|i| Sample {
                    track_id: id,
                    index: i as u64,
                    dts: i as u64 * dur as u64,
                    cts_offset: cto,
                    duration: dur,
                    is_sync: i % gop == 0,
                    size: 10,
                    offset: 0,
                    description_index: 1,
                })
                .collect(),
            media_start: cto,
            delay90: 0,
            dts_shift: 0,
        }
    }

    #[test]
    fn video_cuts_at_key_frames_and_audio_follows() {
        // 10 s of 25 fps video with 2 s GOPs, 48 kHz AAC.
        let video = track(1, 12800, 250, 512, 50, 1024);
        let audio = track(2, 48000, 469, 1024, 1, 0);
        assert_eq!(video.pts90(&video.samples[0]), TS_TIME_OFFSET as i64);
        assert_eq!(video.dts90(&video.samples[0]), TS_TIME_OFFSET as i64 - 7200);
        let plan =
            plan_segments(&[video.clone(), audio.clone()], 0, CutPolicy::Target(4.0)).unwrap();
        let v: Vec<_> = plan.iter().map(|s| s.ranges[0].clone()).collect();
        assert_eq!(v, [0..100, 100..200, 200..250]);
        assert_eq!(plan[0].duration, 4.0);
        assert_eq!(plan[2].duration, 2.0);
        // Audio split at 4 s and 8 s presentation time: frame 188 starts at 4.0107 s.
        let a: Vec<_> = plan.iter().map(|s| s.ranges[1].clone()).collect();
        assert_eq!(a, [0..188, 188..375, 375..469]);
        // A rendition planned on the variant's starts lines up with it.
        let starts: Vec<i64> = plan.iter().map(|s| s.start90).collect();
        let alone = plan_segments(&[audio], 0, CutPolicy::At(&starts)).unwrap();
        let a2: Vec<_> = alone.iter().map(|s| s.ranges[0].clone()).collect();
        assert_eq!(a2, a);
        assert!((alone[0].duration - 188.0 * 1024.0 / 48000.0).abs() < 1e-9);
    }

    #[test]
    fn bad_targets() {
        let video = track(1, 12800, 10, 512, 5, 0);
        assert!(plan_segments(std::slice::from_ref(&video), 0, CutPolicy::Target(0.0)).is_err());
        assert!(plan_segments(&[video], 3, CutPolicy::Target(1.0)).is_err());
    }
}
