//! Where segments start.

use std::ops::Range;

use crate::reader::Sample;

/// Start times (decode times in the track timescale) of every segment after the first,
/// choosing for each multiple of `target` ticks the sync sample nearest to it (ties go to
/// the earlier sample). With every sample a sync sample (audio), cuts land on the sample
/// nearest each multiple. Times are relative to the track's first decode time.
pub fn plan_cuts(samples: &[Sample], target: u64) -> Vec<u64> {
    let Some(first) = samples.first() else {
        return Vec::new();
    };
    let target = target.max(1);
    let syncs: Vec<u64> = samples
        .iter()
        .filter(|s| s.is_sync)
        .map(|s| s.dts - first.dts)
        .filter(|&t| t > 0)
        .collect();
    let last_sample = samples.last().expect("not empty");
    let end = last_sample.dts + last_sample.duration as u64 - first.dts;
    let mut cuts = Vec::new();
    let mut last = 0u64;
    let mut k = 1u64;
    let mut i = 0usize; // first candidate after `last`
    while i < syncs.len() {
        let goal = k.saturating_mul(target);
        // Advance to the candidate nearest to `goal` among those after `last`.
        let mut best = i;
        while best + 1 < syncs.len() && syncs[best + 1].abs_diff(goal) < syncs[best].abs_diff(goal)
        {
            best += 1;
        }
        let t = syncs[best];
        if end.abs_diff(goal) <= t.abs_diff(goal) {
            break; // ending the stream is nearer to the goal than any further cut
        }
        if t > last {
            cuts.push(t);
            last = t;
        }
        i = best + 1;
        // The next goal is the first multiple of `target` beyond half a target after the cut,
        // so long GOPs do not produce catch-up segments.
        k = (last + target / 2) / target + 1;
    }
    cuts
}

/// Splits `samples` into segments starting at the given times (relative decode times, as
/// returned by [`plan_cuts`], possibly from another track converted to this timescale).
/// A segment starts at the first sample whose decode time is at or after its cut time.
pub fn split_at(samples: &[Sample], cuts: &[u64]) -> Vec<Range<usize>> {
    let Some(first) = samples.first() else {
        return Vec::new();
    };
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0usize;
    for &cut in cuts {
        let idx = start + samples[start..].partition_point(|s| s.dts - first.dts < cut);
        if idx > start && idx < samples.len() {
            ranges.push(start..idx);
            start = idx;
        }
    }
    ranges.push(start..samples.len());
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(n: usize, gop: usize, dur: u32) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                track_id: 1,
                index: i as u64,
                dts: i as u64 * dur as u64,
                cts_offset: 0,
                duration: dur,
                is_sync: i % gop == 0,
                size: 1,
                offset: i as u64,
                description_index: 1,
            })
            .collect()
    }

    #[test]
    fn cuts_at_each_gop_multiple() {
        // 25 fps, 2 s GOPs, 10 s; 6 s target -> cuts at 6 s only (nearest GOP to 12 s is 8 s).
        let s = video(250, 50, 512);
        let ts = 12800;
        assert_eq!(plan_cuts(&s, 6 * ts), vec![6 * ts]);
        assert_eq!(plan_cuts(&s, 2 * ts), [2, 4, 6, 8].map(|x| x * ts).to_vec());
        let r = split_at(&s, &plan_cuts(&s, 4 * ts));
        assert_eq!(r, vec![0..100, 100..200, 200..250]);
    }

    #[test]
    fn long_gops_do_not_cause_catch_up_cuts() {
        // GOP 10 s, target 4 s -> one cut per GOP.
        let s = video(1000, 250, 512);
        assert_eq!(
            plan_cuts(&s, 4 * 12800),
            vec![10 * 12800, 20 * 12800, 30 * 12800]
        );
    }

    #[test]
    fn audio_cuts_at_nearest_sample() {
        let mut s = video(470, 1, 1024);
        for x in &mut s {
            x.is_sync = true;
        }
        let cuts = plan_cuts(&s, 2 * 48000);
        assert_eq!(cuts[0], 96256); // 94 * 1024, nearest to 96000
        let r = split_at(&s, &[96000]);
        assert_eq!(r[0], 0..94);
    }
}
