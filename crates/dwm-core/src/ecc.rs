//! Rate-1/3, constraint-length-7 convolutional code (generators 133, 171, 165 octal, as in
//! 3GPP) with zero tail, and a soft-decision Viterbi decoder.
//!
//! Symbols are antipodal: a coded bit 1 is sent as +1, a 0 as -1. Soft inputs are any real
//! numbers whose sign is the hard decision and whose size is the reliability.

use crate::params::{CONSTRAINT, RATE_INV};

const GENERATORS: [u32; RATE_INV] = [0o133, 0o171, 0o165];
const MEMORY: usize = CONSTRAINT - 1;
const STATES: usize = 1 << MEMORY;

/// Encodes `info` bits (0/1) followed by `MEMORY` zero tail bits: `(info.len() + 6) * 3` bits.
pub(crate) fn encode(info: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity((info.len() + MEMORY) * RATE_INV);
    let mut state = 0u32;
    for &b in info.iter().chain(std::iter::repeat_n(&0u8, MEMORY)) {
        let reg = (u32::from(b & 1) << MEMORY) | state;
        for g in GENERATORS {
            out.push(((reg & g).count_ones() & 1) as u8);
        }
        state = reg >> 1;
    }
    out
}

/// The result of Viterbi decoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    /// The information bits (tail removed).
    pub(crate) info: Vec<u8>,
    /// Correlation of the soft input with the decoded codeword, divided by the sum of the
    /// magnitudes (1.0 = every symbol agreed with full weight).
    pub(crate) agreement: f32,
}

/// Decodes soft symbols (length a multiple of 3, at least the tail) to the most likely
/// information bits, ending in the zero state.
pub(crate) fn viterbi(soft: &[f32]) -> Decoded {
    assert!(soft.len().is_multiple_of(RATE_INV) && soft.len() >= MEMORY * RATE_INV);
    let steps = soft.len() / RATE_INV;
    // expected[reg] = the three antipodal symbols produced by register value `reg`.
    let mut expected = [[0f32; RATE_INV]; STATES * 2];
    for (reg, e) in expected.iter_mut().enumerate() {
        for (j, g) in GENERATORS.iter().enumerate() {
            e[j] = if (reg as u32 & g).count_ones() & 1 == 1 {
                1.0
            } else {
                -1.0
            };
        }
    }
    const NEG: f32 = f32::NEG_INFINITY;
    let mut metric = [NEG; STATES];
    metric[0] = 0.0;
    let mut decisions = vec![[0u8; STATES]; steps];
    for t in 0..steps {
        let sym = &soft[t * RATE_INV..(t + 1) * RATE_INV];
        let mut next = [NEG; STATES];
        for ns in 0..STATES {
            let b = ns >> (MEMORY - 1);
            for lsb in 0..2usize {
                let reg = ((ns << 1) | lsb) & (2 * STATES - 1);
                let s = reg & (STATES - 1);
                let reg_full = (b << MEMORY) | s;
                debug_assert_eq!(reg_full >> 1, ns);
                if metric[s] == NEG {
                    continue;
                }
                let e = &expected[reg_full];
                let m = metric[s] + e[0] * sym[0] + e[1] * sym[1] + e[2] * sym[2];
                if m > next[ns] {
                    next[ns] = m;
                    decisions[t][ns] = lsb as u8;
                }
            }
        }
        metric = next;
    }
    // Trace back from the zero state (the tail forces it).
    let mut bits = vec![0u8; steps];
    let mut ns = 0usize;
    for t in (0..steps).rev() {
        bits[t] = (ns >> (MEMORY - 1)) as u8;
        let lsb = decisions[t][ns] as usize;
        ns = ((ns << 1) | lsb) & (STATES - 1);
    }
    bits.truncate(steps - MEMORY);
    let total: f32 = soft.iter().map(|v| v.abs()).sum();
    let agreement = if total > 0.0 { metric[0] / total } else { 0.0 };
    Decoded {
        info: bits,
        agreement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn to_soft(code: &[u8]) -> Vec<f32> {
        code.iter()
            .map(|&c| if c == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    #[test]
    fn known_codeword_prefix() {
        // A single 1 followed by zeros emits the generator taps, newest bit first.
        let c = encode(&[1]);
        assert_eq!(c.len(), 21);
        // reg = 1000000b at t=0: bit 6 of each generator.
        assert_eq!(&c[..3], &[1, 1, 1]);
    }

    #[test]
    fn free_distance_is_fifteen() {
        // Weight of the impulse response is the code's free distance (15 for 133/171/165).
        let w: u32 = encode(&[1]).iter().map(|&b| u32::from(b)).sum();
        assert_eq!(w, 15);
    }

    proptest! {
        #[test]
        fn clean_round_trip(info in proptest::collection::vec(0u8..2, 1..80)) {
            let d = viterbi(&to_soft(&encode(&info)));
            prop_assert_eq!(&d.info, &info);
            prop_assert!((d.agreement - 1.0).abs() < 1e-5);
        }

        #[test]
        fn corrects_seven_scattered_errors(info in proptest::collection::vec(0u8..2, 64),
                                           offset in 0usize..30) {
            // d_free = 15: isolated hard errors (one per 10 trellis steps) are always corrected.
            let mut soft = to_soft(&encode(&info));
            for i in 0..7 { soft[i * 30 + offset] = -soft[i * 30 + offset]; }
            prop_assert_eq!(viterbi(&soft).info, info);
        }
    }
}
