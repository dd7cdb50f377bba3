//! NAL-unit video (H.264, H.265): length-prefixed sample splitting, parameter-set state and
//! slice header sizes, and the subsample map rules of protocols.md §1.4.
//!
//! - Non-VCL NAL units (parameter sets, SEI, AUD, ...) stay entirely clear.
//! - A slice keeps its length prefix, NAL header and slice header clear (rounded up to whole
//!   bytes, counted in the escaped stream); the slice data after it is protected.
//! - `cenc`, `cens`, `cbc1`: the protected part of each NAL unit is cut down to a multiple of
//!   16 bytes, the remainder joining the clear part (Shaka's rule).
//! - Clear runs merge into the next entry and are split at 65535 bytes.

mod avc;
pub(crate) mod bits;
mod hevc;
mod hevc_sets;

pub use avc::AvcParser;
pub use hevc::HevcParser;

use std::ops::Range;

use crate::error::CencError;
use crate::subsample::{Subsample, SubsampleBuilder};

/// What one NAL unit is, for encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NalKind {
    /// Not coded picture data (parameter sets, SEI, delimiters, ...): stays clear.
    NonVcl,
    /// Coded picture data this crate keeps clear (H.264 data partitions, H.265 reserved VCL
    /// types and layers above 0). Leaving VCL data clear is always valid CENC.
    ClearVcl,
    /// A slice whose NAL header + slice header take `SliceHeaderSize::bytes` bytes.
    Slice(SliceHeaderSize),
}

/// Where a slice's data starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceHeaderSize {
    /// Bits of NAL header + slice header in the RBSP (emulation-prevention bytes removed),
    /// the position ffmpeg's `trace_headers` reports. For H.265 this includes the
    /// `byte_alignment()` bits; for H.264 it excludes the CABAC alignment bits.
    pub rbsp_bits: u64,
    /// Bytes of NAL header + slice header in the escaped NAL unit, a partial last byte counted
    /// whole: the clear part of the NAL unit (without its length prefix).
    pub bytes: usize,
}

/// Parameter sets of one kind, by id, with their raw bytes so repeats are not re-parsed.
#[derive(Clone, Debug)]
pub(crate) struct ParameterSetTable<T> {
    entries: Vec<Option<(Vec<u8>, T)>>,
}

impl<T> ParameterSetTable<T> {
    pub(crate) fn new(ids: usize) -> Self {
        ParameterSetTable {
            entries: std::iter::repeat_with(|| None).take(ids).collect(),
        }
    }

    /// True when exactly these bytes are already stored (under any id).
    pub(crate) fn is_same(&self, nal: &[u8]) -> bool {
        self.entries.iter().flatten().any(|(raw, _)| raw == nal)
    }

    pub(crate) fn insert(&mut self, id: u32, nal: &[u8], value: T) {
        let Some(slot) = self.entries.get_mut(id as usize) else {
            return;
        };
        match slot {
            Some((raw, v)) => {
                raw.clear();
                raw.extend_from_slice(nal);
                *v = value;
            }
            None => *slot = Some((nal.to_vec(), value)),
        }
    }

    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        self.entries
            .get(id as usize)
            .and_then(Option::as_ref)
            .map(|(_, v)| v)
    }
}

/// The NAL unit whose length field starts at `pos`: (first byte, end) of its body.
fn nal_bounds(
    sample: &[u8],
    pos: usize,
    nal_length_size: usize,
) -> Result<(usize, usize), CencError> {
    let fail = |reason| CencError::MalformedSample {
        codec: "NAL",
        offset: pos,
        reason,
    };
    let len_bytes = sample
        .get(pos..pos + nal_length_size)
        .ok_or_else(|| fail("truncated NAL unit length"))?;
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let body = pos + nal_length_size;
    let end = body
        .checked_add(len)
        .filter(|&end| end <= sample.len())
        .ok_or_else(|| fail("NAL unit length runs past the end of the sample"))?;
    Ok((body, end))
}

/// Iterates over the NAL units of a length-prefixed sample: `(offset of the length field,
/// NAL unit bytes)`. Stops with an error when a length runs past the end.
pub fn length_prefixed_nal_units(
    sample: &[u8],
    nal_length_size: u8,
) -> impl Iterator<Item = Result<(usize, &[u8]), CencError>> {
    let n = usize::from(nal_length_size);
    let mut pos = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= sample.len() {
            return None;
        }
        let start = pos;
        match nal_bounds(sample, pos, n) {
            Ok((body, end)) => {
                pos = end;
                Some(Ok((start, &sample[body..end])))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

/// A parser for one of the NAL-unit codecs.
#[derive(Clone, Debug)]
pub(crate) enum VideoParser {
    Avc(AvcParser),
    Hevc(HevcParser),
}

impl VideoParser {
    fn classify(&mut self, nal: &[u8]) -> Result<NalKind, CencError> {
        match self {
            VideoParser::Avc(p) => p.classify(nal),
            VideoParser::Hevc(p) => p.classify(nal),
        }
    }
}

/// Builds subsample maps for the samples of one NAL-unit video track.
#[derive(Clone, Debug)]
pub(crate) struct NalSubsampleMapper {
    parser: VideoParser,
    nal_length_size: u8,
}

impl NalSubsampleMapper {
    /// A mapper for samples with `nal_length_size`-byte length prefixes (1, 2 or 4).
    pub(crate) fn new(parser: VideoParser, nal_length_size: u8) -> Result<Self, CencError> {
        if !matches!(nal_length_size, 1 | 2 | 4) {
            return Err(CencError::InvalidConfig(
                "NAL unit length size must be 1, 2 or 4 bytes",
            ));
        }
        Ok(NalSubsampleMapper {
            parser,
            nal_length_size,
        })
    }

    /// Builds the subsample map of `sample` into `out`, NAL unit by NAL unit, handing each
    /// protected range to `on_protected` as soon as it is known (so the caller can encrypt
    /// it while its bytes are still in cache). On error, `out` holds a partial map and the
    /// ranges already handed out are the caller's to undo.
    pub(crate) fn map_streaming(
        &mut self,
        sample: &mut [u8],
        align_protected: bool,
        out: &mut Vec<Subsample>,
        mut on_protected: impl FnMut(&mut [u8], Range<usize>),
    ) -> Result<(), CencError> {
        let prefix = usize::from(self.nal_length_size);
        let mut builder = SubsampleBuilder::new(out, align_protected);
        let mut pos = 0;
        while pos < sample.len() {
            let (body, end) = nal_bounds(sample, pos, prefix)?;
            let nal_len = end - body;
            let (clear, protected) = match self.parser.classify(&sample[body..end])? {
                NalKind::Slice(h) => (prefix + h.bytes, nal_len - h.bytes),
                NalKind::NonVcl | NalKind::ClearVcl => (prefix + nal_len, 0),
            };
            let protected = builder.add(clear, protected)?;
            if protected > 0 {
                on_protected(sample, end - protected..end);
            }
            pos = end;
        }
        builder.finish();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_unit_splitting() {
        let sample = [0, 2, 0xAA, 0xBB, 0, 0, 0, 1, 0xCC];
        let units: Vec<_> = length_prefixed_nal_units(&sample, 2)
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            units,
            vec![(0, &[0xAA, 0xBB][..]), (4, &[][..]), (6, &[0xCC][..])]
        );
        let bad = [0, 5, 1, 2];
        let r: Vec<_> = length_prefixed_nal_units(&bad, 2).collect();
        assert_eq!(r.len(), 1);
        assert!(r[0].is_err());
        let r: Vec<_> = length_prefixed_nal_units(&[0, 0, 1], 4).collect();
        assert!(matches!(
            r[..],
            [Err(CencError::MalformedSample { offset: 0, .. })]
        ));
    }

    #[test]
    fn length_size_must_be_1_2_or_4() {
        for n in [0u8, 3, 5, 8] {
            assert!(NalSubsampleMapper::new(VideoParser::Avc(AvcParser::new()), n).is_err());
        }
    }
}
