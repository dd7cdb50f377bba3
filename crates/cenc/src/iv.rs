//! How an encryptor picks the IV of each sample.

use keys::Iv;

use crate::error::CencError;

/// The IV of each sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IvPolicy {
    /// 8-byte per-sample IVs: the first sample gets `start`, each next one the previous + 1
    /// (as a 64-bit big-endian number). For `cenc`/`cens`; the usual choice.
    Counter8([u8; 8]),
    /// 16-byte per-sample IVs: the first sample gets `start`, each next one the previous plus
    /// the number of 16-byte key stream blocks the previous sample used (at least 1), as a
    /// 128-bit number, so counter blocks never repeat. For `cenc`/`cens`/`cbc1`.
    Counter16([u8; 16]),
    /// One constant 16-byte IV for every sample (`cbcs`; written once, in `tenc`).
    Constant([u8; 16]),
}

impl IvPolicy {
    /// [`IvPolicy::Counter8`] from a random start (OS random number generator).
    pub fn random_counter8() -> Result<Self, CencError> {
        let mut b = [0u8; 8];
        keys::fill_random(&mut b)?;
        Ok(IvPolicy::Counter8(b))
    }

    /// [`IvPolicy::Counter16`] from a random start.
    pub fn random_counter16() -> Result<Self, CencError> {
        let mut b = [0u8; 16];
        keys::fill_random(&mut b)?;
        Ok(IvPolicy::Counter16(b))
    }

    /// [`IvPolicy::Constant`] with a random IV.
    pub fn random_constant() -> Result<Self, CencError> {
        let mut b = [0u8; 16];
        keys::fill_random(&mut b)?;
        Ok(IvPolicy::Constant(b))
    }

    /// `Per_Sample_IV_Size` for `tenc`: 8, 16, or 0 for a constant IV.
    pub fn per_sample_iv_size(&self) -> u8 {
        match self {
            IvPolicy::Counter8(_) => 8,
            IvPolicy::Counter16(_) => 16,
            IvPolicy::Constant(_) => 0,
        }
    }

    /// The constant IV, if any (`tenc` `default_constant_IV`).
    pub fn constant_iv(&self) -> Option<Iv> {
        match self {
            IvPolicy::Constant(iv) => Some(Iv::new16(*iv)),
            _ => None,
        }
    }
}

/// The running IV of an encryptor.
#[derive(Clone, Debug)]
pub(crate) struct IvSequence {
    policy: IvPolicy,
}

impl IvSequence {
    pub(crate) fn new(policy: IvPolicy) -> Self {
        IvSequence { policy }
    }

    /// The IV for the next sample: `Some` per-sample IV to record, and the 16-byte block to
    /// start the cipher with.
    pub(crate) fn current(&self) -> (Option<Iv>, [u8; 16]) {
        match self.policy {
            IvPolicy::Counter8(iv) => {
                let iv = Iv::new8(iv);
                (Some(iv), iv.to_block())
            }
            IvPolicy::Counter16(iv) => (Some(Iv::new16(iv)), iv),
            IvPolicy::Constant(iv) => (None, iv),
        }
    }

    /// Moves on after a sample that used `blocks` key stream / cipher blocks.
    pub(crate) fn advance(&mut self, blocks: u64) {
        match &mut self.policy {
            IvPolicy::Counter8(iv) => *iv = u64::from_be_bytes(*iv).wrapping_add(1).to_be_bytes(),
            IvPolicy::Counter16(iv) => {
                let next = u128::from_be_bytes(*iv).wrapping_add(u128::from(blocks.max(1)));
                *iv = next.to_be_bytes();
            }
            IvPolicy::Constant(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_advance_like_shaka_and_bento4() {
        let mut s = IvSequence::new(IvPolicy::Counter8([0, 0, 0, 0, 0, 0, 0, 0xff]));
        s.advance(1000);
        assert_eq!(s.current().0.unwrap().as_bytes(), &[0, 0, 0, 0, 0, 0, 1, 0]);
        let mut s = IvSequence::new(IvPolicy::Counter8([0xff; 8]));
        s.advance(1);
        assert_eq!(s.current().1, [0; 16]);

        // 16-byte IVs advance by the blocks used, carrying into the high half.
        let mut start = [0u8; 16];
        start[8..].copy_from_slice(&u64::MAX.to_be_bytes());
        let mut s = IvSequence::new(IvPolicy::Counter16(start));
        s.advance(3);
        let mut expect = [0u8; 16];
        expect[7] = 1;
        expect[15] = 2;
        assert_eq!(s.current().1, expect);
        s.advance(0);
        expect[15] = 3;
        assert_eq!(s.current().1, expect);

        let mut s = IvSequence::new(IvPolicy::Constant([7; 16]));
        s.advance(5);
        assert_eq!(s.current(), (None, [7; 16]));
        assert_eq!(IvPolicy::Constant([7; 16]).per_sample_iv_size(), 0);
        assert_ne!(
            IvPolicy::random_counter8().unwrap(),
            IvPolicy::random_counter8().unwrap()
        );
    }
}
