//! Tail bounds that turn a correlation score into a false-alarm probability.
//!
//! Under "no mark made with this key", every term of the synchronisation correlation is
//! `a_k cos(phi_k)` with `phi_k` uniform and independent (the keyed phases are independent of
//! any content made without the key). Bernstein's inequality then bounds the chance that the
//! normalised sum reaches `z`, whatever the content, with no distributional assumption.

/// Bernstein bound on P(sum >= z * sqrt(V)) for independent zero-mean terms bounded by `b`
/// with total variance `V`: exp(-z^2 / (2 (1 + b z / (3 sqrt V)))). Returns ln of the bound.
pub(crate) fn ln_bernstein_tail(z: f64, b_over_sqrt_v: f64) -> f64 {
    if z <= 0.0 {
        return 0.0;
    }
    -(z * z) / (2.0 * (1.0 + b_over_sqrt_v * z / 3.0))
}

/// `min(1, hypotheses * exp(ln_tail))`: a union bound over all hypotheses tried.
pub(crate) fn union_bound(ln_tail: f64, hypotheses: f64) -> f64 {
    (ln_tail + hypotheses.ln()).exp().min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_is_close_to_gaussian_for_many_small_terms() {
        // b/sqrt(V) -> 0: exp(-z^2/2).
        let ln = ln_bernstein_tail(6.0, 1e-6);
        assert!((ln + 18.0).abs() < 1e-3);
    }

    #[test]
    fn bound_holds_empirically() {
        // Sum of 400 cosines of uniform phases; check the bound at z = 3 over many draws.
        let n = 400;
        let mut s = 12345u64;
        let mut hits = 0;
        let trials = 20000;
        for _ in 0..trials {
            let mut sum = 0f64;
            for _ in 0..n {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let ph = (s >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU;
                sum += ph.cos();
            }
            if sum / (n as f64 / 2.0).sqrt() >= 3.0 {
                hits += 1;
            }
        }
        let bound = ln_bernstein_tail(3.0, 1.0 / (n as f64 / 2.0).sqrt()).exp();
        assert!(f64::from(hits) / f64::from(trials) <= bound);
    }

    #[test]
    fn union_bound_saturates() {
        assert_eq!(union_bound(0.0, 10.0), 1.0);
        assert!((union_bound((1e-9f64).ln(), 1000.0) - 1e-6).abs() < 1e-12);
    }
}
