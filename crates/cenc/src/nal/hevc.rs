//! H.265/HEVC: the VPS/SPS/PPS fields that slice segment headers depend on and the slice
//! segment header itself, up to its `byte_alignment()` (ITU-T H.265 §7.3.2.2, §7.3.2.3,
//! §7.3.6, §7.3.7).

use super::bits::{BitReader, ceil_log2};
use super::hevc_sets::{
    ShortTermRps, skip_hrd_parameters, skip_profile_tier_level, skip_scaling_list_data,
};
use super::{NalKind, ParameterSetTable, SliceHeaderSize};
use crate::error::CencError;

const CODEC: &str = "H.265";

/// NAL unit types (H.265 Table 7-1).
const NAL_RASL_R: u8 = 9;
const NAL_BLA_W_LP: u8 = 16;
const NAL_IDR_W_RADL: u8 = 19;
const NAL_IDR_N_LP: u8 = 20;
const NAL_CRA: u8 = 21;
const NAL_RSV_IRAP_23: u8 = 23;
const NAL_RSV_VCL_31: u8 = 31;
const NAL_VPS: u8 = 32;
const NAL_SPS: u8 = 33;
const NAL_PPS: u8 = 34;

/// Slice types.
const SLICE_B: u32 = 0;
const SLICE_P: u32 = 1;

/// The SPS fields slice headers depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sps {
    chroma_array_type: u32,
    separate_colour_plane: bool,
    log2_max_poc_lsb: u32,
    pic_size_in_ctbs: u32,
    st_rps: Vec<ShortTermRps>,
    long_term_ref_pics_present: bool,
    num_long_term_ref_pics_sps: u32,
    /// Bit i: `used_by_curr_pic_lt_sps_flag[i]`.
    used_by_curr_pic_lt_sps: u32,
    temporal_mvp_enabled: bool,
    sao_enabled: bool,
    motion_vector_resolution_control_idc: u32,
}

/// The PPS fields slice headers depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pps {
    sps_id: u32,
    dependent_slice_segments_enabled: bool,
    output_flag_present: bool,
    num_extra_slice_header_bits: u32,
    cabac_init_present: bool,
    num_ref_idx_l0_default_minus1: u32,
    num_ref_idx_l1_default_minus1: u32,
    slice_chroma_qp_offsets_present: bool,
    weighted_pred: bool,
    weighted_bipred: bool,
    tiles_enabled: bool,
    entropy_coding_sync_enabled: bool,
    loop_filter_across_slices_enabled: bool,
    deblocking_filter_override_enabled: bool,
    deblocking_filter_disabled: bool,
    lists_modification_present: bool,
    slice_segment_header_extension_present: bool,
    chroma_qp_offset_list_enabled: bool,
    slice_act_qp_offsets_present: bool,
    curr_pic_ref_enabled: bool,
}

/// H.265 parameter-set state and slice segment header parser.
///
/// Feed it the VPS/SPS/PPS of the sample entry (`hvcC` arrays) with
/// [`add_parameter_set`](Self::add_parameter_set), then every NAL unit of every sample in
/// decoding order with [`classify`](Self::classify): in-band parameter sets update the state.
/// Slices resolve their PPS, the PPS its SPS; a missing one is a typed error.
#[derive(Clone, Debug)]
pub struct HevcParser {
    vps: ParameterSetTable<()>,
    sps: ParameterSetTable<Sps>,
    pps: ParameterSetTable<Pps>,
}

impl Default for HevcParser {
    fn default() -> Self {
        Self::new()
    }
}

impl HevcParser {
    /// An empty parser.
    pub fn new() -> Self {
        HevcParser {
            vps: ParameterSetTable::new(16),
            sps: ParameterSetTable::new(16),
            pps: ParameterSetTable::new(64),
        }
    }

    /// Stores a VPS, SPS or PPS NAL unit (other NAL types are ignored).
    pub fn add_parameter_set(&mut self, nal: &[u8]) -> Result<(), CencError> {
        self.classify(nal).map(|_| ())
    }

    /// Classifies one NAL unit (escaped bytes, 2-byte header first): parameter sets update the
    /// state, slices get their header size.
    pub fn classify(&mut self, nal: &[u8]) -> Result<NalKind, CencError> {
        let Some(header) = nal.get(..2) else {
            return Ok(NalKind::NonVcl);
        };
        let nal_type = (header[0] >> 1) & 0x3f;
        let layer_id = ((header[0] & 1) << 5) | (header[1] >> 3);
        if layer_id > 0 {
            // Layered extensions (SHVC, MV-HEVC) use other parameter-set syntax: their NAL
            // units stay clear and their parameter sets are not tracked.
            return Ok(if nal_type <= NAL_RSV_VCL_31 {
                NalKind::ClearVcl
            } else {
                NalKind::NonVcl
            });
        }
        match nal_type {
            0..=NAL_RASL_R | NAL_BLA_W_LP..=NAL_CRA => {
                self.slice_header(nal, nal_type).map(NalKind::Slice)
            }
            // Reserved VCL types have no defined syntax yet: keep them clear.
            0..=NAL_RSV_VCL_31 => Ok(NalKind::ClearVcl),
            NAL_VPS => {
                if !self.vps.is_same(nal) {
                    let mut r = BitReader::new(nal, CODEC, "VPS");
                    r.skip(16, "nal_unit_header")?;
                    let id = r.bits(4, "vps_video_parameter_set_id")?;
                    self.vps.insert(id, nal, ());
                }
                Ok(NalKind::NonVcl)
            }
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
            _ => Ok(NalKind::NonVcl),
        }
    }

    fn slice_header(&self, nal: &[u8], nal_type: u8) -> Result<SliceHeaderSize, CencError> {
        let mut r = BitReader::new(nal, CODEC, "slice segment header");
        r.skip(16, "nal_unit_header")?;
        let first_slice_segment_in_pic = r.flag("first_slice_segment_in_pic_flag")?;
        if (NAL_BLA_W_LP..=NAL_RSV_IRAP_23).contains(&nal_type) {
            r.skip(1, "no_output_of_prior_pics_flag")?;
        }
        let pps_id = r.ue_max(63, "slice_pic_parameter_set_id")?;
        let pps = self.pps.get(pps_id).ok_or(CencError::MissingParameterSet {
            codec: CODEC,
            unit: "slice segment header",
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
        let mut dependent_slice_segment = false;
        if !first_slice_segment_in_pic {
            if pps.dependent_slice_segments_enabled {
                dependent_slice_segment = r.flag("dependent_slice_segment_flag")?;
            }
            r.skip(
                u64::from(ceil_log2(sps.pic_size_in_ctbs)),
                "slice_segment_address",
            )?;
        }
        if !dependent_slice_segment {
            independent_slice_fields(&mut r, sps, pps, nal_type)?;
        }
        if pps.tiles_enabled || pps.entropy_coding_sync_enabled {
            let n = r.ue_max(sps.pic_size_in_ctbs, "num_entry_point_offsets")?;
            if n > 0 {
                let len = r.ue_max(31, "offset_len_minus1")? + 1;
                r.skip(u64::from(n) * u64::from(len), "entry_point_offset_minus1")?;
            }
        }
        if pps.slice_segment_header_extension_present {
            let n = r.ue_max(256, "slice_segment_header_extension_length")?;
            r.skip(u64::from(n) * 8, "slice_segment_header_extension_data_byte")?;
        }
        // byte_alignment(): a one bit, then zero bits up to the byte boundary.
        if !r.flag("alignment_bit_equal_to_one")? {
            return Err(r.error("alignment_bit_equal_to_one", "is zero"));
        }
        while !r.byte_aligned() {
            r.skip(1, "alignment_bit_equal_to_zero")?;
        }
        Ok(SliceHeaderSize {
            rbsp_bits: r.rbsp_bits(),
            bytes: r.escaped_bytes(),
        })
    }
}

/// The slice segment header fields present when `dependent_slice_segment_flag` is 0.
fn independent_slice_fields(
    r: &mut BitReader<'_>,
    sps: &Sps,
    pps: &Pps,
    nal_type: u8,
) -> Result<(), CencError> {
    r.skip(
        u64::from(pps.num_extra_slice_header_bits),
        "slice_reserved_flag",
    )?;
    let slice_type = r.ue_max(2, "slice_type")?;
    if pps.output_flag_present {
        r.skip(1, "pic_output_flag")?;
    }
    if sps.separate_colour_plane {
        r.skip(2, "colour_plane_id")?;
    }
    let mut num_pic_total_curr = u32::from(pps.curr_pic_ref_enabled);
    let mut slice_temporal_mvp = false;
    if nal_type != NAL_IDR_W_RADL && nal_type != NAL_IDR_N_LP {
        r.skip(u64::from(sps.log2_max_poc_lsb), "slice_pic_order_cnt_lsb")?;
        let num_sets = sps.st_rps.len();
        let rps = if !r.flag("short_term_ref_pic_set_sps_flag")? {
            ShortTermRps::parse(r, num_sets, &sps.st_rps)?
        } else {
            if num_sets == 0 {
                return Err(r.error("short_term_ref_pic_set_sps_flag", "SPS has no sets"));
            }
            let bits = ceil_log2(num_sets as u32);
            let idx = r.bits(bits, "short_term_ref_pic_set_idx")? as usize;
            *sps.st_rps
                .get(idx)
                .ok_or_else(|| r.error("short_term_ref_pic_set_idx", "out of range"))?
        };
        num_pic_total_curr += rps.used_count();
        if sps.long_term_ref_pics_present {
            num_pic_total_curr += long_term_pictures(r, sps)?;
        }
        if sps.temporal_mvp_enabled {
            slice_temporal_mvp = r.flag("slice_temporal_mvp_enabled_flag")?;
        }
    }
    let (mut sao_luma, mut sao_chroma) = (false, false);
    if sps.sao_enabled {
        sao_luma = r.flag("slice_sao_luma_flag")?;
        if sps.chroma_array_type != 0 {
            sao_chroma = r.flag("slice_sao_chroma_flag")?;
        }
    }
    if slice_type == SLICE_P || slice_type == SLICE_B {
        let b = slice_type == SLICE_B;
        let mut l0 = pps.num_ref_idx_l0_default_minus1;
        let mut l1 = pps.num_ref_idx_l1_default_minus1;
        if r.flag("num_ref_idx_active_override_flag")? {
            l0 = r.ue_max(14, "num_ref_idx_l0_active_minus1")?;
            if b {
                l1 = r.ue_max(14, "num_ref_idx_l1_active_minus1")?;
            }
        }
        if pps.lists_modification_present && num_pic_total_curr > 1 {
            let bits = ceil_log2(num_pic_total_curr);
            let lists: &[u32] = if b { &[l0, l1] } else { &[l0] };
            for &count_minus1 in lists {
                if r.flag("ref_pic_list_modification_flag")? {
                    r.skip(u64::from(count_minus1 + 1) * u64::from(bits), "list_entry")?;
                }
            }
        }
        if b {
            r.skip(1, "mvd_l1_zero_flag")?;
        }
        if pps.cabac_init_present {
            r.skip(1, "cabac_init_flag")?;
        }
        if slice_temporal_mvp {
            let collocated_from_l0 = if b {
                r.flag("collocated_from_l0_flag")?
            } else {
                true
            };
            if (collocated_from_l0 && l0 > 0) || (!collocated_from_l0 && l1 > 0) {
                r.ue_max(14, "collocated_ref_idx")?;
            }
        }
        if (pps.weighted_pred && slice_type == SLICE_P) || (pps.weighted_bipred && b) {
            if pps.curr_pic_ref_enabled {
                return Err(r.error(
                    "pred_weight_table",
                    "weighted prediction with current-picture referencing (SCC) is not supported",
                ));
            }
            let both = [l0, l1];
            let lists = if b { &both[..] } else { &both[..1] };
            pred_weight_table(r, sps.chroma_array_type, lists)?;
        }
        r.ue_max(4, "five_minus_max_num_merge_cand")?;
        if sps.motion_vector_resolution_control_idc == 2 {
            r.skip(1, "use_integer_mv_flag")?;
        }
    }
    r.se("slice_qp_delta")?;
    if pps.slice_chroma_qp_offsets_present {
        r.se("slice_cb_qp_offset")?;
        r.se("slice_cr_qp_offset")?;
    }
    if pps.slice_act_qp_offsets_present {
        r.se("slice_act_y_qp_offset")?;
        r.se("slice_act_cb_qp_offset")?;
        r.se("slice_act_cr_qp_offset")?;
    }
    if pps.chroma_qp_offset_list_enabled {
        r.skip(1, "cu_chroma_qp_offset_enabled_flag")?;
    }
    let override_flag =
        pps.deblocking_filter_override_enabled && r.flag("deblocking_filter_override_flag")?;
    let mut deblocking_disabled = pps.deblocking_filter_disabled;
    if override_flag {
        deblocking_disabled = r.flag("slice_deblocking_filter_disabled_flag")?;
        if !deblocking_disabled {
            r.se("slice_beta_offset_div2")?;
            r.se("slice_tc_offset_div2")?;
        }
    }
    if pps.loop_filter_across_slices_enabled && (sao_luma || sao_chroma || !deblocking_disabled) {
        r.skip(1, "slice_loop_filter_across_slices_enabled_flag")?;
    }
    Ok(())
}

/// The long-term reference picture fields; returns how many are used by the current picture.
fn long_term_pictures(r: &mut BitReader<'_>, sps: &Sps) -> Result<u32, CencError> {
    let num_sps = if sps.num_long_term_ref_pics_sps > 0 {
        r.ue_max(sps.num_long_term_ref_pics_sps, "num_long_term_sps")?
    } else {
        0
    };
    let num_pics = r.ue_max(32, "num_long_term_pics")?;
    let mut used = 0;
    for i in 0..num_sps + num_pics {
        if i < num_sps {
            let idx = if sps.num_long_term_ref_pics_sps > 1 {
                r.bits(ceil_log2(sps.num_long_term_ref_pics_sps), "lt_idx_sps")?
            } else {
                0
            };
            if idx >= sps.num_long_term_ref_pics_sps {
                return Err(r.error("lt_idx_sps", "out of range"));
            }
            used += (sps.used_by_curr_pic_lt_sps >> idx) & 1;
        } else {
            r.skip(u64::from(sps.log2_max_poc_lsb), "poc_lsb_lt")?;
            used += u32::from(r.flag("used_by_curr_pic_lt_flag")?);
        }
        if r.flag("delta_poc_msb_present_flag")? {
            r.ue("delta_poc_msb_cycle_lt")?;
        }
    }
    Ok(used)
}

fn pred_weight_table(
    r: &mut BitReader<'_>,
    chroma_array_type: u32,
    lists: &[u32],
) -> Result<(), CencError> {
    r.ue_max(7, "luma_log2_weight_denom")?;
    if chroma_array_type != 0 {
        r.se("delta_chroma_log2_weight_denom")?;
    }
    for &count_minus1 in lists {
        let n = count_minus1 as usize + 1;
        let mut luma = [false; 16];
        let mut chroma = [false; 16];
        for flag in luma.iter_mut().take(n) {
            *flag = r.flag("luma_weight_flag")?;
        }
        if chroma_array_type != 0 {
            for flag in chroma.iter_mut().take(n) {
                *flag = r.flag("chroma_weight_flag")?;
            }
        }
        for i in 0..n {
            if luma[i] {
                r.se("delta_luma_weight")?;
                r.se("luma_offset")?;
            }
            if chroma[i] {
                for _ in 0..2 {
                    r.se("delta_chroma_weight")?;
                    r.se("delta_chroma_offset")?;
                }
            }
        }
    }
    Ok(())
}

fn parse_sps(nal: &[u8]) -> Result<(u32, Sps), CencError> {
    let mut r = BitReader::new(nal, CODEC, "SPS");
    r.skip(16, "nal_unit_header")?;
    r.skip(4, "sps_video_parameter_set_id")?;
    let max_sub_layers_minus1 = r.bits(3, "sps_max_sub_layers_minus1")?;
    if max_sub_layers_minus1 > 6 {
        return Err(r.error("sps_max_sub_layers_minus1", "out of range"));
    }
    r.skip(1, "sps_temporal_id_nesting_flag")?;
    skip_profile_tier_level(&mut r, max_sub_layers_minus1)?;
    let id = r.ue_max(15, "sps_seq_parameter_set_id")?;
    let chroma_format_idc = r.ue_max(3, "chroma_format_idc")?;
    let separate_colour_plane = chroma_format_idc == 3 && r.flag("separate_colour_plane_flag")?;
    let width = r.ue_max(1 << 16, "pic_width_in_luma_samples")?;
    let height = r.ue_max(1 << 16, "pic_height_in_luma_samples")?;
    if r.flag("conformance_window_flag")? {
        for _ in 0..4 {
            r.ue("conf_win_offset")?;
        }
    }
    r.ue_max(8, "bit_depth_luma_minus8")?;
    r.ue_max(8, "bit_depth_chroma_minus8")?;
    let log2_max_poc_lsb = r.ue_max(12, "log2_max_pic_order_cnt_lsb_minus4")? + 4;
    let all_sub_layers = r.flag("sps_sub_layer_ordering_info_present_flag")?;
    let first = if all_sub_layers {
        0
    } else {
        max_sub_layers_minus1
    };
    for _ in first..=max_sub_layers_minus1 {
        r.ue_max(15, "sps_max_dec_pic_buffering_minus1")?;
        r.ue("sps_max_num_reorder_pics")?;
        r.ue("sps_max_latency_increase_plus1")?;
    }
    let min_cb_log2 = r.ue_max(3, "log2_min_luma_coding_block_size_minus3")? + 3;
    let ctb_log2 = min_cb_log2 + r.ue_max(3, "log2_diff_max_min_luma_coding_block_size")?;
    if ctb_log2 > 7 {
        return Err(r.error("log2_diff_max_min_luma_coding_block_size", "out of range"));
    }
    r.ue("log2_min_luma_transform_block_size_minus2")?;
    r.ue("log2_diff_max_min_luma_transform_block_size")?;
    r.ue("max_transform_hierarchy_depth_inter")?;
    r.ue("max_transform_hierarchy_depth_intra")?;
    if r.flag("scaling_list_enabled_flag")? && r.flag("sps_scaling_list_data_present_flag")? {
        skip_scaling_list_data(&mut r)?;
    }
    r.skip(1, "amp_enabled_flag")?;
    let sao_enabled = r.flag("sample_adaptive_offset_enabled_flag")?;
    if r.flag("pcm_enabled_flag")? {
        r.skip(8, "pcm_sample_bit_depth")?;
        r.ue("log2_min_pcm_luma_coding_block_size_minus3")?;
        r.ue("log2_diff_max_min_pcm_luma_coding_block_size")?;
        r.skip(1, "pcm_loop_filter_disabled_flag")?;
    }
    let num_sets = r.ue_max(64, "num_short_term_ref_pic_sets")? as usize;
    let mut st_rps = Vec::with_capacity(num_sets);
    for idx in 0..num_sets {
        let set = ShortTermRps::parse(&mut r, num_sets, &st_rps[..idx])?;
        st_rps.push(set);
    }
    let long_term_ref_pics_present = r.flag("long_term_ref_pics_present_flag")?;
    let mut num_long_term_ref_pics_sps = 0;
    let mut used_by_curr_pic_lt_sps = 0u32;
    if long_term_ref_pics_present {
        num_long_term_ref_pics_sps = r.ue_max(32, "num_long_term_ref_pics_sps")?;
        for i in 0..num_long_term_ref_pics_sps {
            r.skip(u64::from(log2_max_poc_lsb), "lt_ref_pic_poc_lsb_sps")?;
            if r.flag("used_by_curr_pic_lt_sps_flag")? {
                used_by_curr_pic_lt_sps |= 1 << i;
            }
        }
    }
    let temporal_mvp_enabled = r.flag("sps_temporal_mvp_enabled_flag")?;
    r.skip(1, "strong_intra_smoothing_enabled_flag")?;
    if r.flag("vui_parameters_present_flag")? {
        skip_vui(&mut r, max_sub_layers_minus1)?;
    }
    let mut motion_vector_resolution_control_idc = 0;
    if r.flag("sps_extension_present_flag")? {
        let range = r.flag("sps_range_extension_flag")?;
        let multilayer = r.flag("sps_multilayer_extension_flag")?;
        let ext_3d = r.flag("sps_3d_extension_flag")?;
        let scc = r.flag("sps_scc_extension_flag")?;
        r.skip(4, "sps_extension_4bits")?;
        if range {
            r.skip(9, "sps_range_extension")?;
        }
        if multilayer {
            r.skip(1, "inter_view_mv_vert_constraint_flag")?;
        }
        if scc {
            if ext_3d {
                return Err(r.error(
                    "sps_scc_extension",
                    "SCC after a 3D extension is not supported",
                ));
            }
            r.skip(1, "sps_curr_pic_ref_enabled_flag")?;
            if r.flag("palette_mode_enabled_flag")? {
                r.ue("palette_max_size")?;
                r.ue("delta_palette_max_predictor_size")?;
                if r.flag("sps_palette_predictor_initializers_present_flag")? {
                    return Err(r.error("sps_palette_predictor_initializers", "not supported"));
                }
            }
            motion_vector_resolution_control_idc =
                r.bits(2, "motion_vector_resolution_control_idc")?;
        }
    }
    let ctb = 1u32 << ctb_log2;
    let pic_size_in_ctbs = width.div_ceil(ctb) * height.div_ceil(ctb);
    let sps = Sps {
        chroma_array_type: if separate_colour_plane {
            0
        } else {
            chroma_format_idc
        },
        separate_colour_plane,
        log2_max_poc_lsb,
        pic_size_in_ctbs,
        st_rps,
        long_term_ref_pics_present,
        num_long_term_ref_pics_sps,
        used_by_curr_pic_lt_sps,
        temporal_mvp_enabled,
        sao_enabled,
        motion_vector_resolution_control_idc,
    };
    Ok((id, sps))
}

/// `vui_parameters()` (H.265 E.2.1), skipped.
fn skip_vui(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Result<(), CencError> {
    if r.flag("aspect_ratio_info_present_flag")? && r.bits(8, "aspect_ratio_idc")? == 255 {
        r.skip(32, "sar_width/sar_height")?;
    }
    if r.flag("overscan_info_present_flag")? {
        r.skip(1, "overscan_appropriate_flag")?;
    }
    if r.flag("video_signal_type_present_flag")? {
        r.skip(4, "video_format/video_full_range_flag")?;
        if r.flag("colour_description_present_flag")? {
            r.skip(24, "colour_description")?;
        }
    }
    if r.flag("chroma_loc_info_present_flag")? {
        r.ue("chroma_sample_loc_type_top_field")?;
        r.ue("chroma_sample_loc_type_bottom_field")?;
    }
    r.skip(3, "neutral_chroma/field_seq/frame_field_info_present")?;
    if r.flag("default_display_window_flag")? {
        for _ in 0..4 {
            r.ue("def_disp_win_offset")?;
        }
    }
    if r.flag("vui_timing_info_present_flag")? {
        r.skip(64, "vui_num_units_in_tick/vui_time_scale")?;
        if r.flag("vui_poc_proportional_to_timing_flag")? {
            r.ue("vui_num_ticks_poc_diff_one_minus1")?;
        }
        if r.flag("vui_hrd_parameters_present_flag")? {
            skip_hrd_parameters(r, max_sub_layers_minus1)?;
        }
    }
    if r.flag("bitstream_restriction_flag")? {
        r.skip(
            3,
            "tiles_fixed/mvs_over_pic_boundaries/restricted_ref_pic_lists",
        )?;
        r.ue("min_spatial_segmentation_idc")?;
        r.ue("max_bytes_per_pic_denom")?;
        r.ue("max_bits_per_min_cu_denom")?;
        r.ue("log2_max_mv_length_horizontal")?;
        r.ue("log2_max_mv_length_vertical")?;
    }
    Ok(())
}

fn parse_pps(nal: &[u8]) -> Result<(u32, Pps), CencError> {
    let mut r = BitReader::new(nal, CODEC, "PPS");
    r.skip(16, "nal_unit_header")?;
    let id = r.ue_max(63, "pps_pic_parameter_set_id")?;
    let sps_id = r.ue_max(15, "pps_seq_parameter_set_id")?;
    let dependent_slice_segments_enabled = r.flag("dependent_slice_segments_enabled_flag")?;
    let output_flag_present = r.flag("output_flag_present_flag")?;
    let num_extra_slice_header_bits = r.bits(3, "num_extra_slice_header_bits")?;
    r.skip(1, "sign_data_hiding_enabled_flag")?;
    let cabac_init_present = r.flag("cabac_init_present_flag")?;
    let num_ref_idx_l0_default_minus1 = r.ue_max(14, "num_ref_idx_l0_default_active_minus1")?;
    let num_ref_idx_l1_default_minus1 = r.ue_max(14, "num_ref_idx_l1_default_active_minus1")?;
    r.se("init_qp_minus26")?;
    r.skip(1, "constrained_intra_pred_flag")?;
    let transform_skip_enabled = r.flag("transform_skip_enabled_flag")?;
    if r.flag("cu_qp_delta_enabled_flag")? {
        r.ue("diff_cu_qp_delta_depth")?;
    }
    r.se("pps_cb_qp_offset")?;
    r.se("pps_cr_qp_offset")?;
    let slice_chroma_qp_offsets_present = r.flag("pps_slice_chroma_qp_offsets_present_flag")?;
    let weighted_pred = r.flag("weighted_pred_flag")?;
    let weighted_bipred = r.flag("weighted_bipred_flag")?;
    r.skip(1, "transquant_bypass_enabled_flag")?;
    let tiles_enabled = r.flag("tiles_enabled_flag")?;
    let entropy_coding_sync_enabled = r.flag("entropy_coding_sync_enabled_flag")?;
    if tiles_enabled {
        let columns = r.ue_max(1 << 10, "num_tile_columns_minus1")?;
        let rows = r.ue_max(1 << 10, "num_tile_rows_minus1")?;
        if !r.flag("uniform_spacing_flag")? {
            for _ in 0..columns {
                r.ue("column_width_minus1")?;
            }
            for _ in 0..rows {
                r.ue("row_height_minus1")?;
            }
        }
        r.skip(1, "loop_filter_across_tiles_enabled_flag")?;
    }
    let loop_filter_across_slices_enabled = r.flag("pps_loop_filter_across_slices_enabled_flag")?;
    let mut deblocking_filter_override_enabled = false;
    let mut deblocking_filter_disabled = false;
    if r.flag("deblocking_filter_control_present_flag")? {
        deblocking_filter_override_enabled = r.flag("deblocking_filter_override_enabled_flag")?;
        deblocking_filter_disabled = r.flag("pps_deblocking_filter_disabled_flag")?;
        if !deblocking_filter_disabled {
            r.se("pps_beta_offset_div2")?;
            r.se("pps_tc_offset_div2")?;
        }
    }
    if r.flag("pps_scaling_list_data_present_flag")? {
        skip_scaling_list_data(&mut r)?;
    }
    let lists_modification_present = r.flag("lists_modification_present_flag")?;
    r.ue("log2_parallel_merge_level_minus2")?;
    let slice_segment_header_extension_present =
        r.flag("slice_segment_header_extension_present_flag")?;
    let mut chroma_qp_offset_list_enabled = false;
    let mut slice_act_qp_offsets_present = false;
    let mut curr_pic_ref_enabled = false;
    if r.flag("pps_extension_present_flag")? {
        let range = r.flag("pps_range_extension_flag")?;
        let multilayer = r.flag("pps_multilayer_extension_flag")?;
        let ext_3d = r.flag("pps_3d_extension_flag")?;
        let scc = r.flag("pps_scc_extension_flag")?;
        r.skip(4, "pps_extension_4bits")?;
        if range {
            if transform_skip_enabled {
                r.ue("log2_max_transform_skip_block_size_minus2")?;
            }
            r.skip(1, "cross_component_prediction_enabled_flag")?;
            chroma_qp_offset_list_enabled = r.flag("chroma_qp_offset_list_enabled_flag")?;
            if chroma_qp_offset_list_enabled {
                r.ue("diff_cu_chroma_qp_offset_depth")?;
                let n = r.ue_max(5, "chroma_qp_offset_list_len_minus1")? + 1;
                for _ in 0..n {
                    r.se("cb_qp_offset_list")?;
                    r.se("cr_qp_offset_list")?;
                }
            }
            r.ue("log2_sao_offset_scale_luma")?;
            r.ue("log2_sao_offset_scale_chroma")?;
        }
        if scc {
            if multilayer || ext_3d {
                return Err(r.error(
                    "pps_scc_extension",
                    "SCC after a multilayer or 3D extension is not supported",
                ));
            }
            curr_pic_ref_enabled = r.flag("pps_curr_pic_ref_enabled_flag")?;
            if r.flag("residual_adaptive_colour_transform_enabled_flag")? {
                slice_act_qp_offsets_present = r.flag("pps_slice_act_qp_offsets_present_flag")?;
            }
        }
    }
    let pps = Pps {
        sps_id,
        dependent_slice_segments_enabled,
        output_flag_present,
        num_extra_slice_header_bits,
        cabac_init_present,
        num_ref_idx_l0_default_minus1,
        num_ref_idx_l1_default_minus1,
        slice_chroma_qp_offsets_present,
        weighted_pred,
        weighted_bipred,
        tiles_enabled,
        entropy_coding_sync_enabled,
        loop_filter_across_slices_enabled,
        deblocking_filter_override_enabled,
        deblocking_filter_disabled,
        lists_modification_present,
        slice_segment_header_extension_present,
        chroma_qp_offset_list_enabled,
        slice_act_qp_offsets_present,
        curr_pic_ref_enabled,
    };
    Ok((id, pps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;

    // Parameter sets of make-test-media.sh's hevc_aac_360p_10s.mp4 (x265, Main, 640x360, WPP).
    const VPS: &str = "40010c01ffff01600000030090000003000003003f959809";
    const SPS: &str =
        "42010101600000030090000003000003003fa00502016965959a4932bc05a02000000300200000030321";
    const PPS: &str = "4401c172b46240";

    fn parser() -> HevcParser {
        let mut p = HevcParser::new();
        for ps in [VPS, SPS, PPS] {
            p.add_parameter_set(&hex(ps)).unwrap();
        }
        p
    }

    #[test]
    fn parameter_sets_of_a_real_stream() {
        let p = parser();
        let sps = p.sps.get(0).unwrap();
        // 640x360 with 64x64 CTBs: 10 x 6 CTBs.
        assert_eq!(sps.pic_size_in_ctbs, 60);
        assert_eq!(sps.log2_max_poc_lsb, 8);
        assert!(sps.sao_enabled);
        assert!(sps.temporal_mvp_enabled);
        let pps = p.pps.get(0).unwrap();
        assert!(pps.entropy_coding_sync_enabled);
        assert!(pps.weighted_pred);
        assert!(p.vps.get(0).is_some());
    }

    #[test]
    fn missing_sps_is_a_typed_error() {
        let mut p = HevcParser::new();
        p.add_parameter_set(&hex(PPS)).unwrap();
        let e = p
            .classify(&hex("2801af1930c6914592ef624a4080"))
            .unwrap_err();
        assert!(matches!(
            e,
            CencError::MissingParameterSet {
                codec: "H.265",
                unit: "PPS",
                kind: "SPS",
                id: 0
            }
        ));
    }
}
