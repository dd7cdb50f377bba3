//! Where segments start, found in one pass over a track's samples without holding them: the
//! streaming forms of [`plan_cuts`](super::plan_cuts) and [`split_at`](super::split_at), with
//! the same results, in memory that grows with the number of segments only.

use std::collections::VecDeque;
use std::ops::Range;

use crate::reader::Sample;

/// [`plan_cuts`](super::plan_cuts) fed one sample at a time, in decode order.
#[derive(Clone, Debug)]
pub struct CutPlanner {
    target: u64,
    first_dts: Option<u64>,
    /// Relative end (decode time + duration) of the last sample fed.
    end: u64,
    /// Largest relative decode time fed.
    latest: u64,
    cuts: Vec<u64>,
    last: u64,
    k: u64,
    /// The sync sample nearest to the current goal so far.
    best: Option<u64>,
    /// A settled candidate and the sync time that settled it: committed once a later sample
    /// proves the stream's end is farther from the goal.
    pending: Option<(u64, u64)>,
    /// Sync times not yet considered (only while a candidate is pending).
    queue: VecDeque<u64>,
}

impl CutPlanner {
    /// A planner for segments of about `target` ticks.
    pub fn new(target: u64) -> Self {
        CutPlanner {
            target: target.max(1),
            first_dts: None,
            end: 0,
            latest: 0,
            cuts: Vec::new(),
            last: 0,
            k: 1,
            best: None,
            pending: None,
            queue: VecDeque::new(),
        }
    }

    /// Feeds the next sample.
    pub fn push(&mut self, s: &Sample) {
        let first = *self.first_dts.get_or_insert(s.dts);
        let rel = s.dts.saturating_sub(first);
        self.end = rel + s.duration as u64;
        self.latest = self.latest.max(rel);
        if s.is_sync && rel > 0 {
            self.queue.push_back(rel);
        }
        self.drain();
    }

    /// The cut times (relative decode times of the sync samples that start segments 2, 3...).
    pub fn finish(mut self) -> Vec<u64> {
        if self.first_dts.is_none() {
            return Vec::new();
        }
        // Everything is fed: the end is known, so a pending candidate can be decided.
        loop {
            if let Some((b, s)) = self.pending.take() {
                if self.ends_nearer(b) {
                    return self.cuts;
                }
                self.commit(b);
                self.best = Some(s);
            }
            match self.queue.pop_front() {
                Some(s) => self.consider(s),
                None => break,
            }
        }
        if let Some(t) = self.best
            && !self.ends_nearer(t)
            && t > self.last
        {
            self.cuts.push(t);
        }
        self.cuts
    }

    fn goal(&self) -> u64 {
        self.k.saturating_mul(self.target)
    }

    fn ends_nearer(&self, t: u64) -> bool {
        let goal = self.goal();
        self.end.abs_diff(goal) <= t.abs_diff(goal)
    }

    fn commit(&mut self, t: u64) {
        if t > self.last {
            self.cuts.push(t);
            self.last = t;
        }
        self.k = (self.last + self.target / 2) / self.target + 1;
    }

    fn drain(&mut self) {
        loop {
            if let Some((b, s)) = self.pending {
                let goal = self.goal();
                // Committed only once the end (at or after the latest sample) is surely
                // farther from the goal than `b`; else the stream may end nearer.
                if self.latest < goal || self.latest - goal <= b.abs_diff(goal) {
                    return;
                }
                self.pending = None;
                self.commit(b);
                self.best = Some(s);
            }
            match self.queue.pop_front() {
                Some(s) => self.consider(s),
                None => return,
            }
        }
    }

    fn consider(&mut self, s: u64) {
        let goal = self.goal();
        match self.best {
            Some(b) if s.abs_diff(goal) >= b.abs_diff(goal) => {
                // `b` is the nearest; `s` starts the search for the next goal.
                self.best = None;
                self.pending = Some((b, s));
            }
            _ => self.best = Some(s),
        }
    }
}

/// [`split_at`](super::split_at) fed one sample at a time, in decode order.
#[derive(Clone, Debug)]
pub struct SegmentSplitter {
    cuts: Vec<u64>,
    next_cut: usize,
    first_dts: Option<u64>,
    start: usize,
    count: usize,
    ranges: Vec<Range<usize>>,
}

impl SegmentSplitter {
    /// A splitter at `cuts` (relative decode times, as [`split_at`](super::split_at) takes).
    pub fn new(cuts: Vec<u64>) -> Self {
        SegmentSplitter {
            cuts,
            next_cut: 0,
            first_dts: None,
            start: 0,
            count: 0,
            ranges: Vec::new(),
        }
    }

    /// Feeds the next sample; true when it starts a segment (the first sample does).
    pub fn push(&mut self, s: &Sample) -> bool {
        let first = *self.first_dts.get_or_insert(s.dts);
        let rel = s.dts.saturating_sub(first);
        let n = self.count;
        let mut starts = n == 0;
        while self.cuts.get(self.next_cut).is_some_and(|&c| rel >= c) {
            if n > self.start {
                self.ranges.push(self.start..n);
                self.start = n;
                starts = true;
            }
            self.next_cut += 1;
        }
        self.count += 1;
        starts
    }

    /// The sample index ranges of the segments.
    pub fn finish(mut self) -> Vec<Range<usize>> {
        if self.count > 0 {
            self.ranges.push(self.start..self.count);
        }
        self.ranges
    }
}

#[cfg(test)]
mod tests {
    use super::super::{plan_cuts, split_at};
    use super::*;
    use proptest::prelude::*;

    fn samples(steps: &[(u32, bool)], first_dts: u64) -> Vec<Sample> {
        let mut dts = first_dts;
        steps
            .iter()
            .enumerate()
            .map(|(i, &(duration, is_sync))| {
                let s = Sample {
                    track_id: 1,
                    index: i as u64,
                    dts,
                    cts_offset: 0,
                    duration,
                    is_sync,
                    size: 1,
                    offset: i as u64,
                    description_index: 1,
                };
                dts += duration as u64;
                s
            })
            .collect()
    }

    fn planned(s: &[Sample], target: u64) -> Vec<u64> {
        let mut p = CutPlanner::new(target);
        s.iter().for_each(|x| p.push(x));
        p.finish()
    }

    fn split(s: &[Sample], cuts: &[u64]) -> (Vec<Range<usize>>, Vec<usize>) {
        let mut sp = SegmentSplitter::new(cuts.to_vec());
        let starts = s
            .iter()
            .enumerate()
            .filter_map(|(i, x)| sp.push(x).then_some(i))
            .collect();
        (sp.finish(), starts)
    }

    #[test]
    fn matches_the_table_forms_on_regular_gops() {
        let steps: Vec<(u32, bool)> = (0..250).map(|i| (512, i % 50 == 0)).collect();
        let s = samples(&steps, 1000);
        for target in [2 * 12800, 4 * 12800, 6 * 12800, 100] {
            let cuts = plan_cuts(&s, target);
            assert_eq!(planned(&s, target), cuts);
            let (ranges, starts) = split(&s, &cuts);
            assert_eq!(ranges, split_at(&s, &cuts));
            assert_eq!(starts, ranges.iter().map(|r| r.start).collect::<Vec<_>>());
        }
        assert!(planned(&[], 10).is_empty());
        assert!(split(&[], &[5]).0.is_empty());
    }

    proptest! {
        #[test]
        fn same_cuts_and_ranges_as_the_table_forms(
            steps in proptest::collection::vec((0u32..40, proptest::bool::weighted(0.3)), 0..120),
            target in 1u64..200,
            first in 0u64..1000,
            extra in proptest::collection::vec(0u64..2000, 0..6),
        ) {
            let s = samples(&steps, first);
            let cuts = plan_cuts(&s, target);
            prop_assert_eq!(planned(&s, target), cuts.clone());
            let (ranges, starts) = split(&s, &cuts);
            prop_assert_eq!(&ranges, &split_at(&s, &cuts));
            prop_assert_eq!(starts, ranges.iter().map(|r| r.start).collect::<Vec<_>>());
            // Cuts from another track: any increasing times.
            let mut other = extra.clone();
            other.sort();
            prop_assert_eq!(split(&s, &other).0, split_at(&s, &other));
        }
    }
}
