//! H.264/AVC: the SPS, PPS and slice header fields that decide where slice data starts
//! (ITU-T H.264 §7.3.2.1.1, §7.3.2.2, §7.3.3).

use super::bits::{BitReader, ceil_log2};
use super::{NalKind, ParameterSetTable, SliceHeaderSize};
use crate::error::CencError;

const CODEC: &str = "H.264";

/// NAL unit types (H.264 Table 7-1).
const NAL_SLICE: u8 = 1;
const NAL_PARTITION_A: u8 = 2;
const NAL_PARTITION_C: u8 = 4;
const NAL_IDR: u8 = 5;
const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;

/// Slice types (`slice_type % 5`).
const SLICE_P: u32 = 0;
const SLICE_B: u32 = 1;
const SLICE_I: u32 = 2;
const SLICE_SP: u32 = 3;
const SLICE_SI: u32 = 4;

/// The SPS fields slice headers depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sps {
    chroma_array_type: u32,
    separate_colour_plane: bool,
    log2_max_frame_num: u32,
    poc_type: u32,
    log2_max_poc_lsb: u32,
    delta_pic_order_always_zero: bool,
    frame_mbs_only: bool,
    pic_size_in_map_units: u32,
}

/// The PPS fields slice headers depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pps {
    sps_id: u32,
    entropy_coding_mode: bool,
    bottom_field_pic_order_in_frame_present: bool,
    num_slice_groups_minus1: u32,
    slice_group_map_type: u32,
    slice_group_change_rate: u32,
    num_ref_idx_l0_default_minus1: u32,
    num_ref_idx_l1_default_minus1: u32,
    weighted_pred: bool,
    weighted_bipred_idc: u32,
    deblocking_filter_control_present: bool,
    redundant_pic_cnt_present: bool,
}

/// H.264 parameter-set state and slice header parser.
///
/// Feed it the SPS/PPS of the sample entry (`avcC`) with
/// [`add_parameter_set`](Self::add_parameter_set), then every NAL unit of every sample in
/// decoding order with [`classify`](Self::classify): in-band SPS/PPS update the state.
#[derive(Clone, Debug)]
pub struct AvcParser {
    sps: ParameterSetTable<Sps>,
    pps: ParameterSetTable<Pps>,
}

impl Default for AvcParser {
    fn default() -> Self {
        Self::new()
    }
}

impl AvcParser {
    /// An empty parser.
    pub fn new() -> Self {
        AvcParser {
            sps: ParameterSetTable::new(32),
            pps: ParameterSetTable::new(256),
        }
    }

    /// Stores an SPS or PPS NAL unit (other NAL types are ignored).
    pub fn add_parameter_set(&mut self, nal: &[u8]) -> Result<(), CencError> {
        self.classify(nal).map(|_| ())
    }

    /// Classifies one NAL unit (escaped bytes, header first): parameter sets update the state,
    /// slices get their header size.
    pub fn classify(&mut self, nal: &[u8]) -> Result<NalKind, CencError> {
        let Some(&header) = nal.first() else {
            return Ok(NalKind::NonVcl);
        };
        match header & 0x1f {
            NAL_SPS => {
                if !self.sps.is_same(nal) {
                    let (id, sps) = parse_sps(nal)?;
                    self.sps.insert(id, nal, sps);
                }
                Ok(NalKind::NonVcl)
            }
            NAL_PPS => {
                if !self.pps.is_same(nal) {
                    let (id, pps) = parse_pps(nal)?;
                    self.pps.insert(id, nal, pps);
                }
                Ok(NalKind::NonVcl)
            }
            NAL_SLICE | NAL_IDR => self.slice_header(nal).map(NalKind::Slice),
            // Data partitions (Extended profile only) are VCL but kept clear: always valid.
            NAL_PARTITION_A..=NAL_PARTITION_C => Ok(NalKind::ClearVcl),
            _ => Ok(NalKind::NonVcl),
        }
    }

    fn slice_header(&self, nal: &[u8]) -> Result<SliceHeaderSize, CencError> {
        let mut r = BitReader::new(nal, CODEC, "slice header");
        r.skip(1, "forbidden_zero_bit")?;
        let nal_ref_idc = r.bits(2, "nal_ref_idc")?;
        let nal_unit_type = r.bits(5, "nal_unit_type")?;
        let idr = nal_unit_type == u32::from(NAL_IDR);

        r.ue("first_mb_in_slice")?;
        let slice_type = r.ue_max(9, "slice_type")? % 5;
        let pps_id = r.ue_max(255, "pic_parameter_set_id")?;
        let pps = self.pps.get(pps_id).ok_or(CencError::MissingParameterSet {
            codec: CODEC,
            unit: "slice header",
            kind: "PPS",
            id: pps_id,
        })?;
        let sps = self
            .sps
            .get(pps.sps_id)
            .ok_or(CencError::MissingParameterSet {
                codec: CODEC,
                unit: "PPS",
                kind: "SPS",
                id: pps.sps_id,
            })?;

        if sps.separate_colour_plane {
            r.skip(2, "colour_plane_id")?;
        }
        r.skip(u64::from(sps.log2_max_frame_num), "frame_num")?;
        let mut field_pic = false;
        if !sps.frame_mbs_only {
            field_pic = r.flag("field_pic_flag")?;
            if field_pic {
                r.skip(1, "bottom_field_flag")?;
            }
        }
        if idr {
            r.ue("idr_pic_id")?;
        }
        if sps.poc_type == 0 {
            r.skip(u64::from(sps.log2_max_poc_lsb), "pic_order_cnt_lsb")?;
            if pps.bottom_field_pic_order_in_frame_present && !field_pic {
                r.se("delta_pic_order_cnt_bottom")?;
            }
        }
        if sps.poc_type == 1 && !sps.delta_pic_order_always_zero {
            r.se("delta_pic_order_cnt[0]")?;
            if pps.bottom_field_pic_order_in_frame_present && !field_pic {
                r.se("delta_pic_order_cnt[1]")?;
            }
        }
        if pps.redundant_pic_cnt_present {
            r.ue("redundant_pic_cnt")?;
        }
        if slice_type == SLICE_B {
            r.skip(1, "direct_spatial_mv_pred_flag")?;
        }
        let mut l0 = pps.num_ref_idx_l0_default_minus1;
        let mut l1 = pps.num_ref_idx_l1_default_minus1;
        if matches!(slice_type, SLICE_P | SLICE_SP | SLICE_B)
            && r.flag("num_ref_idx_active_override_flag")?
        {
            l0 = r.ue_max(31, "num_ref_idx_l0_active_minus1")?;
            if slice_type == SLICE_B {
                l1 = r.ue_max(31, "num_ref_idx_l1_active_minus1")?;
            }
        }
        // nal_unit_type 20/21 (MVC) never reaches here: those NAL units stay clear.
        ref_pic_list_modification(&mut r, slice_type)?;
        if (pps.weighted_pred && matches!(slice_type, SLICE_P | SLICE_SP))
            || (pps.weighted_bipred_idc == 1 && slice_type == SLICE_B)
        {
            pred_weight_table(&mut r, slice_type, sps.chroma_array_type, l0, l1)?;
        }
        if nal_ref_idc != 0 {
            dec_ref_pic_marking(&mut r, idr)?;
        }
        if pps.entropy_coding_mode && !matches!(slice_type, SLICE_I | SLICE_SI) {
            r.ue_max(2, "cabac_init_idc")?;
        }
        r.se("slice_qp_delta")?;
        if matches!(slice_type, SLICE_SP | SLICE_SI) {
            if slice_type == SLICE_SP {
                r.skip(1, "sp_for_switch_flag")?;
            }
            r.se("slice_qs_delta")?;
        }
        if pps.deblocking_filter_control_present {
            let idc = r.ue_max(6, "disable_deblocking_filter_idc")?;
            if idc != 1 {
                r.se("slice_alpha_c0_offset_div2")?;
                r.se("slice_beta_offset_div2")?;
            }
        }
        if pps.num_slice_groups_minus1 > 0 && (3..=5).contains(&pps.slice_group_map_type) {
            let units = sps.pic_size_in_map_units / pps.slice_group_change_rate + 1;
            r.skip(u64::from(ceil_log2(units)), "slice_group_change_cycle")?;
        }
        Ok(SliceHeaderSize {
            rbsp_bits: r.rbsp_bits(),
            bytes: r.escaped_bytes(),
        })
    }
}

fn ref_pic_list_modification(r: &mut BitReader<'_>, slice_type: u32) -> Result<(), CencError> {
    let lists = match slice_type {
        SLICE_I | SLICE_SI => 0,
        SLICE_B => 2,
        _ => 1,
    };
    for _ in 0..lists {
        if r.flag("ref_pic_list_modification_flag")? {
            // At most one command per reference index (32) plus the terminating 3.
            let mut ended = false;
            for _ in 0..=32 {
                match r.ue("modification_of_pic_nums_idc")? {
                    0 | 1 => {
                        r.ue("abs_diff_pic_num_minus1")?;
                    }
                    2 => {
                        r.ue("long_term_pic_num")?;
                    }
                    3 => {
                        ended = true;
                        break;
                    }
                    _ => return Err(r.error("modification_of_pic_nums_idc", "out of range")),
                }
            }
            if !ended {
                return Err(r.error("modification_of_pic_nums_idc", "too many commands"));
            }
        }
    }
    Ok(())
}

fn pred_weight_table(
    r: &mut BitReader<'_>,
    slice_type: u32,
    chroma_array_type: u32,
    l0: u32,
    l1: u32,
) -> Result<(), CencError> {
    r.ue_max(7, "luma_log2_weight_denom")?;
    if chroma_array_type != 0 {
        r.ue_max(7, "chroma_log2_weight_denom")?;
    }
    let lists: &[u32] = if slice_type == SLICE_B {
        &[l0, l1]
    } else {
        &[l0]
    };
    for &count_minus1 in lists {
        for _ in 0..=count_minus1 {
            if r.flag("luma_weight_flag")? {
                r.se("luma_weight")?;
                r.se("luma_offset")?;
            }
            if chroma_array_type != 0 && r.flag("chroma_weight_flag")? {
                for _ in 0..2 {
                    r.se("chroma_weight")?;
                    r.se("chroma_offset")?;
                }
            }
        }
    }
    Ok(())
}

fn dec_ref_pic_marking(r: &mut BitReader<'_>, idr: bool) -> Result<(), CencError> {
    if idr {
        r.skip(1, "no_output_of_prior_pics_flag")?;
        r.skip(1, "long_term_reference_flag")?;
        return Ok(());
    }
    if r.flag("adaptive_ref_pic_marking_mode_flag")? {
        // Bounded: a picture can hold at most a few dozen marking operations.
        for _ in 0..=66 {
            let op = r.ue("memory_management_control_operation")?;
            match op {
                0 => return Ok(()),
                1 => {
                    r.ue("difference_of_pic_nums_minus1")?;
                }
                2 => {
                    r.ue("long_term_pic_num")?;
                }
                3 => {
                    r.ue("difference_of_pic_nums_minus1")?;
                    r.ue("long_term_frame_idx")?;
                }
                4 => {
                    r.ue("max_long_term_frame_idx_plus1")?;
                }
                5 => {}
                6 => {
                    r.ue("long_term_frame_idx")?;
                }
                _ => {
                    return Err(r.error("memory_management_control_operation", "out of range"));
                }
            }
        }
        return Err(r.error("memory_management_control_operation", "too many operations"));
    }
    Ok(())
}

/// Profiles whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1).
fn has_chroma_info(profile_idc: u32) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Result<(), CencError> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se("delta_scale")?;
            if !(-128..=127).contains(&delta) {
                return Err(r.error("delta_scale", "out of range"));
            }
            next = (last + delta + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

fn parse_sps(nal: &[u8]) -> Result<(u32, Sps), CencError> {
    let mut r = BitReader::new(nal, CODEC, "SPS");
    r.skip(8, "nal_unit_header")?;
    let profile_idc = r.bits(8, "profile_idc")?;
    r.skip(16, "constraint_flags/level_idc")?;
    let id = r.ue_max(31, "seq_parameter_set_id")?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    if has_chroma_info(profile_idc) {
        chroma_format_idc = r.ue_max(3, "chroma_format_idc")?;
        if chroma_format_idc == 3 {
            separate_colour_plane = r.flag("separate_colour_plane_flag")?;
        }
        r.ue_max(6, "bit_depth_luma_minus8")?;
        r.ue_max(6, "bit_depth_chroma_minus8")?;
        r.skip(1, "qpprime_y_zero_transform_bypass_flag")?;
        if r.flag("seq_scaling_matrix_present_flag")? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag("seq_scaling_list_present_flag")? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let log2_max_frame_num = r.ue_max(12, "log2_max_frame_num_minus4")? + 4;
    let poc_type = r.ue_max(2, "pic_order_cnt_type")?;
    let mut log2_max_poc_lsb = 0;
    let mut delta_pic_order_always_zero = false;
    if poc_type == 0 {
        log2_max_poc_lsb = r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")? + 4;
    } else if poc_type == 1 {
        delta_pic_order_always_zero = r.flag("delta_pic_order_always_zero_flag")?;
        r.se("offset_for_non_ref_pic")?;
        r.se("offset_for_top_to_bottom_field")?;
        let n = r.ue_max(255, "num_ref_frames_in_pic_order_cnt_cycle")?;
        for _ in 0..n {
            r.se("offset_for_ref_frame")?;
        }
    }
    r.ue("max_num_ref_frames")?;
    r.skip(1, "gaps_in_frame_num_value_allowed_flag")?;
    let width_mbs = r.ue_max(1 << 16, "pic_width_in_mbs_minus1")? + 1;
    let height_map_units = r.ue_max(1 << 16, "pic_height_in_map_units_minus1")? + 1;
    let frame_mbs_only = r.flag("frame_mbs_only_flag")?;
    let sps = Sps {
        chroma_array_type: if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        },
        separate_colour_plane,
        log2_max_frame_num,
        poc_type,
        log2_max_poc_lsb,
        delta_pic_order_always_zero,
        frame_mbs_only,
        pic_size_in_map_units: width_mbs.saturating_mul(height_map_units),
    };
    Ok((id, sps))
}

fn parse_pps(nal: &[u8]) -> Result<(u32, Pps), CencError> {
    let mut r = BitReader::new(nal, CODEC, "PPS");
    r.skip(8, "nal_unit_header")?;
    let id = r.ue_max(255, "pic_parameter_set_id")?;
    let sps_id = r.ue_max(31, "seq_parameter_set_id")?;
    let entropy_coding_mode = r.flag("entropy_coding_mode_flag")?;
    let bottom_field_pic_order_in_frame_present =
        r.flag("bottom_field_pic_order_in_frame_present_flag")?;
    let num_slice_groups_minus1 = r.ue_max(7, "num_slice_groups_minus1")?;
    let mut slice_group_map_type = 0;
    let mut slice_group_change_rate = 1;
    if num_slice_groups_minus1 > 0 {
        slice_group_map_type = r.ue_max(6, "slice_group_map_type")?;
        match slice_group_map_type {
            0 => {
                for _ in 0..=num_slice_groups_minus1 {
                    r.ue("run_length_minus1")?;
                }
            }
            2 => {
                for _ in 0..num_slice_groups_minus1 {
                    r.ue("top_left")?;
                    r.ue("bottom_right")?;
                }
            }
            3..=5 => {
                r.skip(1, "slice_group_change_direction_flag")?;
                slice_group_change_rate = r.ue_max(1 << 24, "slice_group_change_rate_minus1")? + 1;
            }
            6 => {
                let units = r.ue_max(1 << 24, "pic_size_in_map_units_minus1")? + 1;
                let bits = ceil_log2(num_slice_groups_minus1 + 1);
                r.skip(u64::from(units) * u64::from(bits), "slice_group_id")?;
            }
            _ => {}
        }
    }
    let num_ref_idx_l0_default_minus1 = r.ue_max(31, "num_ref_idx_l0_default_active_minus1")?;
    let num_ref_idx_l1_default_minus1 = r.ue_max(31, "num_ref_idx_l1_default_active_minus1")?;
    let weighted_pred = r.flag("weighted_pred_flag")?;
    let weighted_bipred_idc = r.bits(2, "weighted_bipred_idc")?;
    r.se("pic_init_qp_minus26")?;
    r.se("pic_init_qs_minus26")?;
    r.se("chroma_qp_index_offset")?;
    let deblocking_filter_control_present = r.flag("deblocking_filter_control_present_flag")?;
    r.skip(1, "constrained_intra_pred_flag")?;
    let redundant_pic_cnt_present = r.flag("redundant_pic_cnt_present_flag")?;
    let pps = Pps {
        sps_id,
        entropy_coding_mode,
        bottom_field_pic_order_in_frame_present,
        num_slice_groups_minus1,
        slice_group_map_type,
        slice_group_change_rate,
        num_ref_idx_l0_default_minus1,
        num_ref_idx_l1_default_minus1,
        weighted_pred,
        weighted_bipred_idc,
        deblocking_filter_control_present,
        redundant_pic_cnt_present,
    };
    Ok((id, pps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;

    // Parameter sets of `source_h264_aac_360p_10s.mp4` (x264, High profile, CABAC, weighted
    // prediction); field values cross-checked with ffmpeg's trace_headers output.
    const SPS: &str = "6764001eacd940a02ff97011000003000100000300320f162d96";
    const PPS: &str = "68efbcb0";

    fn parser() -> AvcParser {
        let mut p = AvcParser::new();
        p.add_parameter_set(&hex(SPS)).unwrap();
        p.add_parameter_set(&hex(PPS)).unwrap();
        p
    }

    #[test]
    fn parameter_sets_of_a_real_stream() {
        let p = parser();
        let sps = p.sps.get(0).unwrap();
        assert_eq!(sps.log2_max_frame_num, 4);
        assert_eq!(sps.log2_max_poc_lsb, 6);
        assert_eq!(sps.pic_size_in_map_units, 40 * 23);
        assert!(sps.frame_mbs_only);
        let pps = p.pps.get(0).unwrap();
        assert!(pps.entropy_coding_mode);
        assert!(pps.weighted_pred);
        assert_eq!(pps.weighted_bipred_idc, 2);
    }

    #[test]
    fn idr_slice_header_length_matches_ffmpeg_trace() {
        // First bytes of the stream's IDR slice; trace_headers puts slice_beta_offset_div2 at
        // bit 41 (1 bit) and cabac_alignment_one_bit from 42: header = 42 bits -> 6 bytes.
        let p = parser();
        let nal = hex("658884002bff90f04461a6412425c9c5");
        match p.clone().classify(&nal).unwrap() {
            NalKind::Slice(h) => {
                assert_eq!(h.rbsp_bits, 42);
                assert_eq!(h.bytes, 6);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn slice_with_unknown_pps_is_a_typed_error() {
        let mut p = AvcParser::new();
        let e = p.classify(&hex("658884002bff")).unwrap_err();
        assert!(matches!(
            e,
            CencError::MissingParameterSet {
                codec: "H.264",
                unit: "slice header",
                kind: "PPS",
                id: 0
            }
        ));
    }

    #[test]
    fn truncated_parameter_sets_are_errors() {
        let mut p = AvcParser::new();
        let sps = hex(SPS);
        for n in 1..8 {
            assert!(p.add_parameter_set(&sps[..n]).is_err(), "{n}");
        }
    }
}
