//! Subsample entries (`senc` `BytesOfClearData` / `BytesOfProtectedData`) and the rules that
//! build a valid list from clear/protected pieces.

use std::ops::Range;

use crate::error::CencError;

/// AES block size in bytes.
pub(crate) const BLOCK: usize = 16;

/// One subsample: `clear_bytes` left in the clear, then `protected_bytes` encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Subsample {
    /// `BytesOfClearData` (u16 on the wire).
    pub clear_bytes: u16,
    /// `BytesOfProtectedData` (u32 on the wire).
    pub protected_bytes: u32,
}

impl Subsample {
    /// A subsample of `clear_bytes` clear then `protected_bytes` protected bytes.
    pub fn new(clear_bytes: u16, protected_bytes: u32) -> Self {
        Subsample {
            clear_bytes,
            protected_bytes,
        }
    }
}

/// Checks that `subsamples` cover exactly `sample_len` bytes.
pub(crate) fn check_coverage(subsamples: &[Subsample], sample_len: usize) -> Result<(), CencError> {
    let covered: u64 = subsamples
        .iter()
        .map(|s| u64::from(s.clear_bytes) + u64::from(s.protected_bytes))
        .sum();
    if covered != sample_len as u64 {
        return Err(CencError::SubsampleMismatch {
            sample_len,
            covered,
        });
    }
    Ok(())
}

/// The protected byte ranges of a sample: each subsample's protected part, or the whole
/// sample when there are no subsamples. Call [`check_coverage`] first.
pub(crate) fn protected_ranges(
    subsamples: &[Subsample],
    sample_len: usize,
) -> impl Iterator<Item = Range<usize>> + Clone + '_ {
    let whole = subsamples.is_empty().then_some(0..sample_len);
    let mut offset = 0usize;
    let parts = subsamples.iter().filter_map(move |s| {
        let start = offset + usize::from(s.clear_bytes);
        let end = start + s.protected_bytes as usize;
        offset = end;
        (end > start).then_some(start..end)
    });
    whole.into_iter().chain(parts)
}

/// Builds a subsample list from a sequence of (clear, protected) pieces, applying the rules
/// of protocols.md §1.4 (Shaka's `SubsampleOrganizer`):
/// - optional alignment: `protected % 16` bytes move from the protected part to the clear part;
/// - pieces with no protected bytes merge into the clear count of the next entry, and a clear
///   tail becomes a final `(clear, 0)` entry;
/// - clear runs over 65535 bytes are split into `(65535, 0)` entries.
pub(crate) struct SubsampleBuilder<'a> {
    out: &'a mut Vec<Subsample>,
    align: bool,
    pending_clear: usize,
}

impl<'a> SubsampleBuilder<'a> {
    /// Starts a list in `out` (cleared first).
    pub(crate) fn new(out: &'a mut Vec<Subsample>, align_protected: bool) -> Self {
        out.clear();
        SubsampleBuilder {
            out,
            align: align_protected,
            pending_clear: 0,
        }
    }

    /// Adds `clear` bytes followed by `protected` bytes; returns the protected byte count
    /// after alignment (those bytes end where the piece ends).
    pub(crate) fn add(&mut self, clear: usize, protected: usize) -> Result<usize, CencError> {
        let (mut clear, mut protected) = (clear, protected);
        if self.align {
            let misalign = protected % BLOCK;
            clear += misalign;
            protected -= misalign;
        }
        self.pending_clear += clear;
        if protected == 0 {
            return Ok(0);
        }
        let count = u32::try_from(protected).map_err(|_| CencError::MalformedSample {
            codec: "subsample",
            offset: 0,
            reason: "protected range exceeds 4 GiB",
        })?;
        self.push(count);
        Ok(protected)
    }

    fn push(&mut self, protected: u32) {
        while self.pending_clear > usize::from(u16::MAX) {
            self.out.push(Subsample::new(u16::MAX, 0));
            self.pending_clear -= usize::from(u16::MAX);
        }
        // Fits: the loop above left at most u16::MAX.
        let clear = self.pending_clear as u16;
        self.out.push(Subsample::new(clear, protected));
        self.pending_clear = 0;
    }

    /// Flushes the clear tail, if any.
    pub(crate) fn finish(mut self) {
        if self.pending_clear > 0 {
            while self.pending_clear > usize::from(u16::MAX) {
                self.out.push(Subsample::new(u16::MAX, 0));
                self.pending_clear -= usize::from(u16::MAX);
            }
            let clear = self.pending_clear as u16;
            self.out.push(Subsample::new(clear, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(align: bool, pieces: &[(usize, usize)]) -> Vec<Subsample> {
        let mut out = vec![Subsample::new(1, 1)];
        let mut b = SubsampleBuilder::new(&mut out, align);
        for &(c, p) in pieces {
            b.add(c, p).unwrap();
        }
        b.finish();
        out
    }

    #[test]
    fn clear_pieces_merge_into_the_next_entry_and_tail() {
        let s = build(false, &[(10, 0), (5, 100), (7, 0), (3, 0)]);
        assert_eq!(s, vec![Subsample::new(15, 100), Subsample::new(10, 0)]);
    }

    #[test]
    fn alignment_moves_the_remainder_into_the_clear_part() {
        // 5 + 100: 100 % 16 = 4 bytes move into the clear part.
        let s = build(true, &[(5, 100), (2, 10)]);
        assert_eq!(s, vec![Subsample::new(9, 96), Subsample::new(12, 0)]);
    }

    #[test]
    fn long_clear_runs_split_at_u16_max() {
        let s = build(false, &[(70_000, 0), (1, 32), (140_000, 0)]);
        assert_eq!(
            s,
            vec![
                Subsample::new(65535, 0),
                Subsample::new(4466, 32),
                Subsample::new(65535, 0),
                Subsample::new(65535, 0),
                Subsample::new(8930, 0),
            ]
        );
        let total: usize = s
            .iter()
            .map(|e| e.clear_bytes as usize + e.protected_bytes as usize)
            .sum();
        assert_eq!(total, 70_000 + 33 + 140_000);
    }

    #[test]
    fn coverage_and_ranges() {
        let subs = [
            Subsample::new(2, 3),
            Subsample::new(0, 0),
            Subsample::new(1, 4),
        ];
        check_coverage(&subs, 10).unwrap();
        assert!(check_coverage(&subs, 11).is_err());
        let r: Vec<_> = protected_ranges(&subs, 10).collect();
        assert_eq!(r, vec![2..5, 6..10]);
        let r: Vec<_> = protected_ranges(&[], 7).collect();
        assert_eq!(r, vec![0..7]);
    }
}
