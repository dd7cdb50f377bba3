//! The input video's frame timestamps, read from its packets (no decoding), so that an input
//! whose frames are not evenly spaced (variable frame rate, a gap left by a cut) keeps every
//! timestamp in the outputs.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Tools;
use super::probe::{Rational, VideoInfo};
use crate::error::{ErrorCode, Failure, Result, fail};

/// How the input's frames are timed.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameTiming {
    /// Evenly spaced at the stream's frame rate from its start: the encoders restamp frames
    /// from their index.
    Even,
    /// The presentation timestamps (stream time base, ascending) of the frames the decoder
    /// will output.
    Uneven(Vec<i64>),
    /// Some packet has no timestamp.
    Unknown,
}

/// Reads the video's packet timestamps (a demux pass, no decoding) and classifies them.
pub fn frame_timing(tools: &Tools, input: &Path, v: &VideoInfo) -> Result<FrameTiming> {
    let out = Command::new(&tools.ffprobe)
        .args(["-v", "error", "-select_streams"])
        .arg(v.index.to_string())
        .args(["-show_entries", "packet=pts,flags", "-of", "csv=p=0"])
        .arg(input)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Failure::new(
                ErrorCode::DecoderMissing,
                format!("cannot run {}: {e}", tools.ffprobe.display()),
            )
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return fail(
            ErrorCode::StreamOpen,
            format!(
                "{}: reading the video packets failed: {}",
                input.display(),
                err.trim().lines().last().unwrap_or("ffprobe failed")
            ),
        );
    }
    let Some(mut pts) = parse_packets(&String::from_utf8_lossy(&out.stdout)) else {
        return Ok(FrameTiming::Unknown);
    };
    pts.sort_unstable();
    Ok(if evenly_spaced(&pts, v.start_pts, v.rate, v.time_base) {
        FrameTiming::Even
    } else {
        FrameTiming::Uneven(pts)
    })
}

/// `pts,flags` lines: the timestamps of the packets the decoder outputs (those flagged `D`,
/// discarded by an edit list, left out); `None` when one has no timestamp.
fn parse_packets(csv: &str) -> Option<Vec<i64>> {
    let mut pts = Vec::new();
    for line in csv.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (t, flags) = line.split_once(',').unwrap_or((line, ""));
        if flags.contains('D') {
            continue;
        }
        pts.push(t.parse::<i64>().ok()?);
    }
    (!pts.is_empty()).then_some(pts)
}

/// True when frame `i` is at `start + i / rate` (in `tb` units, within one unit of rounding):
/// exactly where index-based restamping puts it.
fn evenly_spaced(pts: &[i64], start: i64, rate: Rational, tb: Rational) -> bool {
    let (num, den) = (
        i128::from(rate.den) * i128::from(tb.den),
        i128::from(rate.num) * i128::from(tb.num),
    );
    pts.iter().enumerate().all(|(i, &p)| {
        let expected = i128::from(start) + (2 * i as i128 * num + den) / (2 * den);
        (i128::from(p) - expected).abs() <= 1
    })
}

/// The timestamp of frame `n` in nanoseconds from the first frame: from the list, or past its
/// end (a decoder that outputs more frames than packets) one nominal frame apart.
pub fn frame_ns(times: &[i64], n: u64, rate: Rational, tb: Rational) -> u64 {
    let first = times[0];
    let ns = |ticks: i128| -> u64 {
        let v = (ticks * 1_000_000_000 * i128::from(tb.num) * 2 + i128::from(tb.den))
            / (2 * i128::from(tb.den));
        v.max(0) as u64
    };
    match times.get(n as usize) {
        Some(&p) => ns(i128::from(p - first)),
        None => {
            let last = ns(i128::from(times[times.len() - 1] - first));
            let beyond = (n as usize + 1 - times.len()) as u64;
            last + beyond * 1_000_000_000 * rate.den / rate.num
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R25: Rational = Rational { num: 25, den: 1 };
    const TB: Rational = Rational {
        num: 1,
        den: 12_800,
    };

    #[test]
    fn even_spacing_within_rounding_is_recognised() {
        let even: Vec<i64> = (0..100).map(|i| 1024 + i * 512).collect();
        assert!(evenly_spaced(&even, 1024, R25, TB));
        let ntsc = Rational {
            num: 30_000,
            den: 1001,
        };
        let ms = Rational { num: 1, den: 1000 };
        let rounded: Vec<i64> = (0..300)
            .map(|i| (i as f64 * 1001.0 / 30.0).round() as i64)
            .collect();
        assert!(evenly_spaced(&rounded, 0, ntsc, ms));
        let mut gap = even.clone();
        gap[99] += 1536;
        assert!(!evenly_spaced(&gap, 1024, R25, TB));
        assert!(!evenly_spaced(&even, 0, R25, TB));
    }

    #[test]
    fn packets_without_a_time_or_discarded_are_handled() {
        assert_eq!(
            parse_packets("0,K__\n512,___\n-512,_D_\n"),
            Some(vec![0, 512])
        );
        assert_eq!(parse_packets("0,K__\nN/A,___\n"), None);
        assert_eq!(parse_packets(""), None);
    }

    #[test]
    fn nanoseconds_from_the_first_frame_and_past_the_list() {
        let t = [1024, 1536, 3584];
        assert_eq!(frame_ns(&t, 0, R25, TB), 0);
        assert_eq!(frame_ns(&t, 1, R25, TB), 40_000_000);
        assert_eq!(frame_ns(&t, 2, R25, TB), 200_000_000);
        assert_eq!(frame_ns(&t, 4, R25, TB), 280_000_000);
        let tb90k = Rational {
            num: 1,
            den: 90_000,
        };
        // 1/90000 s is not a whole number of nanoseconds: rounded to the nearest.
        assert_eq!(frame_ns(&[0, 1], 1, R25, tb90k), 11_111);
    }
}
