//! VP9 per its CENC binding ("VP Codec ISO Media File Format Binding", Common Encryption):
//! every frame of a sample (a superframe holds several) keeps its uncompressed header clear and
//! protects the rest with a 16-byte-aligned protected size; the superframe index stays clear.
//! The uncompressed header is parsed (VP9 bitstream specification §6.2) to find its size; it
//! depends on the sizes of the reference frames, which the parser tracks.

use std::ops::Range;

use crate::error::CencError;
use crate::nal::bits::BitReader;
use crate::subsample::{Subsample, SubsampleBuilder};

const CODEC: &str = "VP9";
const UNIT: &str = "uncompressed header";
/// Most frames in a superframe.
const MAX_FRAMES: usize = 8;

/// Where the frames of a VP9 sample are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Superframe {
    sizes: [usize; MAX_FRAMES],
    count: usize,
    /// Bytes of the superframe index at the end of the sample (0 for a single frame).
    pub index_size: usize,
}

impl Superframe {
    /// Splits a sample: one frame, or the frames listed by a valid superframe index (Annex B).
    pub fn parse(sample: &[u8]) -> Self {
        let single = Superframe {
            sizes: [sample.len(), 0, 0, 0, 0, 0, 0, 0],
            count: 1,
            index_size: 0,
        };
        let Some(&marker) = sample.last() else {
            return single;
        };
        if marker & 0xe0 != 0xc0 {
            return single;
        }
        let frames = usize::from(marker & 7) + 1;
        let size_bytes = usize::from((marker >> 3) & 3) + 1;
        let index_size = 2 + size_bytes * frames;
        if sample.len() < index_size || sample[sample.len() - index_size] != marker {
            return single;
        }
        let index = &sample[sample.len() - index_size + 1..sample.len() - 1];
        let mut sizes = [0usize; MAX_FRAMES];
        for (i, entry) in index.chunks_exact(size_bytes).enumerate() {
            sizes[i] = entry
                .iter()
                .rev()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        }
        let total: usize = sizes[..frames].iter().sum();
        if total + index_size != sample.len() {
            return single;
        }
        Superframe {
            sizes,
            count: frames,
            index_size,
        }
    }

    /// The frame sizes, in order.
    pub fn frame_sizes(&self) -> &[usize] {
        &self.sizes[..self.count]
    }
}

/// The parsed facts of one frame's uncompressed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp9FrameHeader {
    /// Bits of the uncompressed header, up to and including `header_size_in_bytes`.
    pub bits: u64,
    /// Bytes of the uncompressed header including its trailing bits: the clear part.
    pub bytes: usize,
    /// A `show_existing_frame` header (no frame data follows).
    pub show_existing_frame: bool,
}

/// VP9 uncompressed header parser with the reference frame sizes it needs.
///
/// Feed it every frame of the track in decoding order.
#[derive(Clone, Debug, Default)]
pub struct Vp9Parser {
    ref_sizes: [Option<(u32, u32)>; 8],
}

impl Vp9Parser {
    /// A parser that has seen no frame yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the uncompressed header of one frame and updates the reference frame sizes.
    pub fn parse_frame(&mut self, frame: &[u8]) -> Result<Vp9FrameHeader, CencError> {
        let mut r = BitReader::raw(frame, CODEC, UNIT);
        if r.bits(2, "frame_marker")? != 2 {
            return Err(r.error("frame_marker", "is not 2"));
        }
        let low = r.bits(1, "profile_low_bit")?;
        let profile = (r.bits(1, "profile_high_bit")? << 1) | low;
        if profile == 3 {
            r.skip(1, "reserved_zero")?;
        }
        if r.flag("show_existing_frame")? {
            r.skip(3, "frame_to_show_map_idx")?;
            return Ok(Vp9FrameHeader {
                bits: r.rbsp_bits(),
                bytes: r.escaped_bytes(),
                show_existing_frame: true,
            });
        }
        let key_frame = !r.flag("frame_type")?;
        let show_frame = r.flag("show_frame")?;
        let error_resilient = r.flag("error_resilient_mode")?;
        let (width, height, refresh) = if key_frame {
            frame_sync_code(&mut r)?;
            color_config(&mut r, profile)?;
            let size = frame_size(&mut r)?;
            render_size(&mut r)?;
            (size.0, size.1, 0xff)
        } else {
            let intra_only = !show_frame && r.flag("intra_only")?;
            if !error_resilient {
                r.skip(2, "reset_frame_context")?;
            }
            if intra_only {
                frame_sync_code(&mut r)?;
                if profile > 0 {
                    color_config(&mut r, profile)?;
                }
                let refresh = r.bits(8, "refresh_frame_flags")?;
                let size = frame_size(&mut r)?;
                render_size(&mut r)?;
                (size.0, size.1, refresh)
            } else {
                let refresh = r.bits(8, "refresh_frame_flags")?;
                let mut refs = [0usize; 3];
                for idx in &mut refs {
                    *idx = r.bits(3, "ref_frame_idx")? as usize;
                    r.skip(1, "ref_frame_sign_bias")?;
                }
                let mut size = None;
                for idx in refs {
                    if r.flag("found_ref")? {
                        size = Some(self.ref_sizes[idx].ok_or_else(|| {
                            r.error("found_ref", "reference frame never decoded")
                        })?);
                        break;
                    }
                }
                let size = match size {
                    Some(s) => s,
                    None => frame_size(&mut r)?,
                };
                render_size(&mut r)?;
                r.skip(1, "allow_high_precision_mv")?;
                if !r.flag("is_filter_switchable")? {
                    r.skip(2, "raw_interpolation_filter")?;
                }
                (size.0, size.1, refresh)
            }
        };
        if !error_resilient {
            r.skip(2, "refresh_frame_context/frame_parallel_decoding_mode")?;
        }
        r.skip(2, "frame_context_idx")?;
        loop_filter_params(&mut r)?;
        quantization_params(&mut r)?;
        segmentation_params(&mut r)?;
        tile_info(&mut r, width)?;
        if r.bits(16, "header_size_in_bytes")? == 0 {
            return Err(r.error("header_size_in_bytes", "is zero"));
        }
        for (i, slot) in self.ref_sizes.iter_mut().enumerate() {
            if refresh & (1 << i) != 0 {
                *slot = Some((width, height));
            }
        }
        Ok(Vp9FrameHeader {
            bits: r.rbsp_bits(),
            bytes: r.escaped_bytes(),
            show_existing_frame: false,
        })
    }
}

fn frame_sync_code(r: &mut BitReader<'_>) -> Result<(), CencError> {
    if r.bits(24, "frame_sync_code")? != 0x49_83_42 {
        return Err(r.error("frame_sync_code", "is not 0x498342"));
    }
    Ok(())
}

fn color_config(r: &mut BitReader<'_>, profile: u32) -> Result<(), CencError> {
    if profile >= 2 {
        r.skip(1, "ten_or_twelve_bit")?;
    }
    let color_space = r.bits(3, "color_space")?;
    let chroma_bits = profile == 1 || profile == 3;
    if color_space != 7 {
        r.skip(1, "color_range")?;
        if chroma_bits {
            r.skip(3, "subsampling_x/subsampling_y/reserved_zero")?;
        }
    } else if chroma_bits {
        r.skip(1, "reserved_zero")?;
    }
    Ok(())
}

fn frame_size(r: &mut BitReader<'_>) -> Result<(u32, u32), CencError> {
    let w = r.bits(16, "frame_width_minus_1")? + 1;
    let h = r.bits(16, "frame_height_minus_1")? + 1;
    Ok((w, h))
}

fn render_size(r: &mut BitReader<'_>) -> Result<(), CencError> {
    if r.flag("render_and_frame_size_different")? {
        r.skip(32, "render_width_minus_1/render_height_minus_1")?;
    }
    Ok(())
}

fn loop_filter_params(r: &mut BitReader<'_>) -> Result<(), CencError> {
    r.skip(9, "loop_filter_level/loop_filter_sharpness")?;
    if r.flag("loop_filter_delta_enabled")? && r.flag("loop_filter_delta_update")? {
        for _ in 0..4 {
            if r.flag("update_ref_delta")? {
                r.skip(7, "loop_filter_ref_deltas")?;
            }
        }
        for _ in 0..2 {
            if r.flag("update_mode_delta")? {
                r.skip(7, "loop_filter_mode_deltas")?;
            }
        }
    }
    Ok(())
}

fn quantization_params(r: &mut BitReader<'_>) -> Result<(), CencError> {
    r.skip(8, "base_q_idx")?;
    for _ in 0..3 {
        if r.flag("delta_coded")? {
            r.skip(5, "delta_q")?;
        }
    }
    Ok(())
}

fn segmentation_params(r: &mut BitReader<'_>) -> Result<(), CencError> {
    if !r.flag("segmentation_enabled")? {
        return Ok(());
    }
    if r.flag("segmentation_update_map")? {
        for _ in 0..7 {
            read_prob(r)?;
        }
        if r.flag("segmentation_temporal_update")? {
            for _ in 0..3 {
                read_prob(r)?;
            }
        }
    }
    if r.flag("segmentation_update_data")? {
        r.skip(1, "segmentation_abs_or_delta_update")?;
        const BITS: [u64; 4] = [8, 6, 2, 0];
        const SIGNED: [bool; 4] = [true, true, false, false];
        for _segment in 0..8 {
            for feature in 0..4 {
                if r.flag("feature_enabled")? {
                    r.skip(BITS[feature], "feature_value")?;
                    if SIGNED[feature] {
                        r.skip(1, "feature_sign")?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn read_prob(r: &mut BitReader<'_>) -> Result<(), CencError> {
    if r.flag("prob_coded")? {
        r.skip(8, "prob")?;
    }
    Ok(())
}

fn tile_info(r: &mut BitReader<'_>, width: u32) -> Result<(), CencError> {
    let mi_cols = (width + 7) >> 3;
    let sb64_cols = (mi_cols + 7) >> 3;
    let mut min_log2 = 0;
    while (64u32 << min_log2) < sb64_cols {
        min_log2 += 1;
    }
    let mut max_log2 = 1;
    while (sb64_cols >> max_log2) >= 4 {
        max_log2 += 1;
    }
    max_log2 -= 1;
    let mut log2 = min_log2;
    while log2 < max_log2 && r.flag("increment_tile_cols_log2")? {
        log2 += 1;
    }
    if r.flag("tile_rows_log2")? {
        r.skip(1, "increment_tile_rows_log2")?;
    }
    Ok(())
}

/// Builds subsample maps for the samples of one VP9 track.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vp9SubsampleMapper {
    parser: Vp9Parser,
}

impl Vp9SubsampleMapper {
    /// Builds the map of `sample` into `out`, handing each protected range to `on_protected`
    /// as soon as it is known. Protected sizes are always multiples of 16 (the binding needs
    /// every frame's counter to start on a block boundary).
    pub(crate) fn map_streaming(
        &mut self,
        sample: &mut [u8],
        out: &mut Vec<Subsample>,
        mut on_protected: impl FnMut(&mut [u8], Range<usize>),
    ) -> Result<(), CencError> {
        let layout = Superframe::parse(sample);
        let mut builder = SubsampleBuilder::new(out, true);
        let mut at = 0;
        for &size in layout.frame_sizes() {
            let end = at + size;
            let header = self.parser.parse_frame(&sample[at..end])?;
            let clear = header.bytes.min(size);
            let protected = builder.add(clear, size - clear)?;
            if protected > 0 {
                on_protected(sample, end - protected..end);
            }
            at = end;
        }
        builder.add(layout.index_size, 0)?;
        builder.finish();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superframe_index_is_recognised_and_validated() {
        // Two frames of 3 and 2 bytes, 1-byte sizes: marker 0b110_00_001 = 0xc1.
        let sample = [1, 2, 3, 4, 5, 0xc1, 3, 2, 0xc1];
        let s = Superframe::parse(&sample);
        assert_eq!(s.frame_sizes(), &[3, 2]);
        assert_eq!(s.index_size, 4);
        // Sizes that do not add up: a single frame.
        let bad = [1, 2, 3, 4, 0xc1, 3, 2, 0xc1];
        assert_eq!(Superframe::parse(&bad).frame_sizes(), &[8]);
        assert_eq!(Superframe::parse(&[]).frame_sizes(), &[0]);
    }

    #[test]
    fn headers_of_a_libvpx_key_frame_and_inter_frame() {
        // Key frame 320x180 (ffmpeg trace_headers: header_size_in_bytes at bit 124, trailing
        // bits to 144): bits 140, 18 bytes.
        let key = mdrm_testkit::hex("824983420013f00b360438241c18420009307fd9fa3c771f");
        let mut p = Vp9Parser::new();
        let h = p.parse_frame(&key).unwrap();
        assert_eq!((h.bits, h.bytes), (140, 18));
        assert_eq!(p.ref_sizes[3], Some((320, 180)));
        // The next frame (trace: last zero_bit at 79) takes its size from reference 0.
        let inter = mdrm_testkit::hex("86004092f031250000c4785e2369ab3e0a6cca1476baefbd");
        let h = p.parse_frame(&inter).unwrap();
        assert_eq!(h.bytes, 10);
        // Without the key frame, its reference slot was never filled: a typed error.
        let e = Vp9Parser::new().parse_frame(&inter).unwrap_err();
        assert_eq!(
            e.to_string(),
            "VP9 uncompressed header: found_ref: reference frame never decoded"
        );
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let mut p = Vp9Parser::new();
            let _ = p.parse_frame(&data);
            let _ = Superframe::parse(&data);
            let mut out = Vec::new();
            let mut sample = data.clone();
            let _ = Vp9SubsampleMapper::default().map_streaming(&mut sample, &mut out, |_, _| {});
        }
    }
}
