//! H.265 syntax structures shared by parameter sets and slice headers: short-term reference
//! picture sets (§7.3.7, derivation §7.4.8), and the parts skipped over (profile_tier_level,
//! scaling_list_data, hrd_parameters).

use super::bits::BitReader;
use crate::error::CencError;

/// Most pictures one short-term set can list in each direction (DPB size limit).
const MAX_PICS: usize = 16;

/// One short-term reference picture set: delta POCs and "used by current picture" flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct ShortTermRps {
    num_negative: usize,
    num_positive: usize,
    delta_poc_s0: [i32; MAX_PICS],
    used_s0: [bool; MAX_PICS],
    delta_poc_s1: [i32; MAX_PICS],
    used_s1: [bool; MAX_PICS],
}

impl ShortTermRps {
    fn num_delta_pocs(&self) -> usize {
        self.num_negative + self.num_positive
    }

    /// How many pictures of the set the current picture uses (its part of `NumPicTotalCurr`).
    pub(crate) fn used_count(&self) -> u32 {
        let s0 = self.used_s0[..self.num_negative].iter().filter(|&&u| u);
        let s1 = self.used_s1[..self.num_positive].iter().filter(|&&u| u);
        (s0.count() + s1.count()) as u32
    }

    /// Parses `st_ref_pic_set(idx)` where `idx == previous.len()`; `num_sets` is the SPS's
    /// `num_short_term_ref_pic_sets` (equal to `idx` for a set in a slice header).
    pub(crate) fn parse(
        r: &mut BitReader<'_>,
        num_sets: usize,
        previous: &[ShortTermRps],
    ) -> Result<Self, CencError> {
        let idx = previous.len();
        let inter = idx != 0 && r.flag("inter_ref_pic_set_prediction_flag")?;
        if inter {
            Self::parse_predicted(r, num_sets, previous)
        } else {
            Self::parse_explicit(r)
        }
    }

    fn parse_explicit(r: &mut BitReader<'_>) -> Result<Self, CencError> {
        let mut set = ShortTermRps {
            num_negative: r.ue_max(MAX_PICS as u32, "num_negative_pics")? as usize,
            ..Default::default()
        };
        set.num_positive =
            r.ue_max((MAX_PICS - set.num_negative) as u32, "num_positive_pics")? as usize;
        let mut poc = 0i32;
        for i in 0..set.num_negative {
            poc -= r.ue_max(1 << 15, "delta_poc_s0_minus1")? as i32 + 1;
            set.delta_poc_s0[i] = poc;
            set.used_s0[i] = r.flag("used_by_curr_pic_s0_flag")?;
        }
        poc = 0;
        for i in 0..set.num_positive {
            poc += r.ue_max(1 << 15, "delta_poc_s1_minus1")? as i32 + 1;
            set.delta_poc_s1[i] = poc;
            set.used_s1[i] = r.flag("used_by_curr_pic_s1_flag")?;
        }
        Ok(set)
    }

    /// Inter RPS prediction: the set is derived from a reference set (equations 7-61, 7-62).
    fn parse_predicted(
        r: &mut BitReader<'_>,
        num_sets: usize,
        previous: &[ShortTermRps],
    ) -> Result<Self, CencError> {
        let idx = previous.len();
        let delta_idx = if idx == num_sets {
            r.ue_max(idx as u32 - 1, "delta_idx_minus1")? as usize + 1
        } else {
            1
        };
        let reference = &previous[idx - delta_idx];
        let sign = r.flag("delta_rps_sign")?;
        let abs = r.ue_max(1 << 15, "abs_delta_rps_minus1")? as i32 + 1;
        let delta_rps = if sign { -abs } else { abs };
        let n = reference.num_delta_pocs();
        let mut used = [false; MAX_PICS + 1];
        let mut use_delta = [true; MAX_PICS + 1];
        for j in 0..=n {
            used[j] = r.flag("used_by_curr_pic_flag")?;
            if !used[j] {
                use_delta[j] = r.flag("use_delta_flag")?;
            }
        }
        let mut set = ShortTermRps::default();
        let (rn, rp) = (reference.num_negative, reference.num_positive);
        let mut s0 = PicList::default();
        let mut s1 = PicList::default();
        // Negative pictures (7-61).
        for j in (0..rp).rev() {
            let d = reference.delta_poc_s1[j] + delta_rps;
            if d < 0 && use_delta[rn + j] {
                s0.push(d, used[rn + j]);
            }
        }
        if delta_rps < 0 && use_delta[n] {
            s0.push(delta_rps, used[n]);
        }
        for j in 0..rn {
            let d = reference.delta_poc_s0[j] + delta_rps;
            if d < 0 && use_delta[j] {
                s0.push(d, used[j]);
            }
        }
        // Positive pictures (7-62).
        for j in (0..rn).rev() {
            let d = reference.delta_poc_s0[j] + delta_rps;
            if d > 0 && use_delta[j] {
                s1.push(d, used[j]);
            }
        }
        if delta_rps > 0 && use_delta[n] {
            s1.push(delta_rps, used[n]);
        }
        for j in 0..rp {
            let d = reference.delta_poc_s1[j] + delta_rps;
            if d > 0 && use_delta[rn + j] {
                s1.push(d, used[rn + j]);
            }
        }
        if s0.len + s1.len > MAX_PICS {
            return Err(r.error("inter_ref_pic_set_prediction", "more than 16 pictures"));
        }
        set.num_negative = s0.len;
        set.num_positive = s1.len;
        for i in 0..s0.len {
            (set.delta_poc_s0[i], set.used_s0[i]) = s0.pics[i];
        }
        for i in 0..s1.len {
            (set.delta_poc_s1[i], set.used_s1[i]) = s1.pics[i];
        }
        Ok(set)
    }
}

/// A list of (delta POC, used) pairs being derived; one longer than a set may be, so an
/// overlong derivation is detected rather than truncated.
#[derive(Default)]
struct PicList {
    pics: [(i32, bool); MAX_PICS + 2],
    len: usize,
}

impl PicList {
    fn push(&mut self, delta_poc: i32, used: bool) {
        if self.len < self.pics.len() {
            self.pics[self.len] = (delta_poc, used);
            self.len += 1;
        }
    }
}

/// `profile_tier_level(1, max_sub_layers_minus1)`, skipped.
pub(crate) fn skip_profile_tier_level(
    r: &mut BitReader<'_>,
    max_sub_layers_minus1: u32,
) -> Result<(), CencError> {
    // general_profile_space .. general_level_idc: 2+1+5+32+4+43+1+8 bits.
    r.skip(96, "general_profile_tier_level")?;
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    for i in 0..max_sub_layers_minus1 as usize {
        profile_present[i] = r.flag("sub_layer_profile_present_flag")?;
        level_present[i] = r.flag("sub_layer_level_present_flag")?;
    }
    if max_sub_layers_minus1 > 0 {
        r.skip(
            2 * u64::from(8 - max_sub_layers_minus1),
            "reserved_zero_2bits",
        )?;
    }
    for i in 0..max_sub_layers_minus1 as usize {
        if profile_present[i] {
            r.skip(88, "sub_layer_profile")?;
        }
        if level_present[i] {
            r.skip(8, "sub_layer_level_idc")?;
        }
    }
    Ok(())
}

/// `scaling_list_data()`, skipped.
pub(crate) fn skip_scaling_list_data(r: &mut BitReader<'_>) -> Result<(), CencError> {
    for size_id in 0..4u32 {
        let step = if size_id == 3 { 3 } else { 1 };
        for _matrix_id in (0..6).step_by(step) {
            if !r.flag("scaling_list_pred_mode_flag")? {
                r.ue_max(5, "scaling_list_pred_matrix_id_delta")?;
            } else {
                let coefs = 64.min(1 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.se("scaling_list_dc_coef_minus8")?;
                }
                for _ in 0..coefs {
                    r.se("scaling_list_delta_coef")?;
                }
            }
        }
    }
    Ok(())
}

/// `hrd_parameters(1, max_sub_layers_minus1)` (H.265 E.2.2), skipped.
pub(crate) fn skip_hrd_parameters(
    r: &mut BitReader<'_>,
    max_sub_layers_minus1: u32,
) -> Result<(), CencError> {
    let nal_hrd = r.flag("nal_hrd_parameters_present_flag")?;
    let vcl_hrd = r.flag("vcl_hrd_parameters_present_flag")?;
    let mut sub_pic = false;
    if nal_hrd || vcl_hrd {
        sub_pic = r.flag("sub_pic_hrd_params_present_flag")?;
        if sub_pic {
            r.skip(8 + 5 + 1 + 5, "sub_pic_hrd_params")?;
        }
        r.skip(8, "bit_rate_scale/cpb_size_scale")?;
        if sub_pic {
            r.skip(4, "cpb_size_du_scale")?;
        }
        r.skip(15, "hrd_delay_lengths")?;
    }
    for _ in 0..=max_sub_layers_minus1 {
        let fixed_general = r.flag("fixed_pic_rate_general_flag")?;
        let fixed_within_cvs = fixed_general || r.flag("fixed_pic_rate_within_cvs_flag")?;
        let mut low_delay = false;
        if fixed_within_cvs {
            r.ue("elemental_duration_in_tc_minus1")?;
        } else {
            low_delay = r.flag("low_delay_hrd_flag")?;
        }
        let cpb_cnt = if low_delay {
            1
        } else {
            r.ue_max(31, "cpb_cnt_minus1")? + 1
        };
        for present in [nal_hrd, vcl_hrd] {
            if present {
                for _ in 0..cpb_cnt {
                    r.ue("bit_rate_value_minus1")?;
                    r.ue("cpb_size_value_minus1")?;
                    if sub_pic {
                        r.ue("cpb_size_du_value_minus1")?;
                        r.ue("bit_rate_du_value_minus1")?;
                    }
                    r.skip(1, "cbr_flag")?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny bit writer for hand-built syntax.
    struct Bits(Vec<bool>);
    impl Bits {
        fn ue(&mut self, v: u32) -> &mut Self {
            let x = u64::from(v) + 1;
            let n = 64 - x.leading_zeros();
            for _ in 1..n {
                self.0.push(false);
            }
            for i in (0..n).rev() {
                self.0.push((x >> i) & 1 == 1);
            }
            self
        }
        fn bit(&mut self, b: bool) -> &mut Self {
            self.0.push(b);
            self
        }
        fn bytes(&self) -> Vec<u8> {
            let mut out = vec![0u8; self.0.len().div_ceil(8) + 1];
            for (i, &b) in self.0.iter().enumerate() {
                if b {
                    out[i / 8] |= 0x80 >> (i % 8);
                }
            }
            out
        }
    }

    #[test]
    fn inter_predicted_set_follows_equations_7_61_and_7_62() {
        // Set 0: explicit, negatives -1 (used), -3 (unused); positive +2 (used).
        let mut b = Bits(vec![]);
        b.ue(2).ue(1);
        b.ue(0).bit(true).ue(1).bit(false);
        b.ue(1).bit(true);
        // Set 1: predicted from set 0 with deltaRps = -1; all 4 entries used.
        b.bit(true); // inter_ref_pic_set_prediction_flag
        b.bit(true).ue(0); // delta_rps_sign = 1 (negative), abs_delta_rps_minus1 = 0
        for _ in 0..4 {
            b.bit(true);
        }
        let data = b.bytes();
        let mut r = BitReader::new(&data, "H.265", "test");
        let s0 = ShortTermRps::parse(&mut r, 2, &[]).unwrap();
        assert_eq!((s0.num_negative, s0.num_positive), (2, 1));
        assert_eq!(&s0.delta_poc_s0[..2], &[-1, -3]);
        assert_eq!(s0.used_count(), 2);
        let s1 = ShortTermRps::parse(&mut r, 2, &[s0]).unwrap();
        // Reference pictures shifted by -1: +2 -> +1, (deltaRps itself) -1, -1 -> -2, -3 -> -4.
        assert_eq!(s1.num_negative, 3);
        assert_eq!(&s1.delta_poc_s0[..3], &[-1, -2, -4]);
        assert_eq!(s1.num_positive, 1);
        assert_eq!(s1.delta_poc_s1[0], 1);
        assert_eq!(s1.used_count(), 4);
    }
}
