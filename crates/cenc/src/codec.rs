//! The codec of a track and how its samples are split into clear and protected ranges.

use std::ops::Range;

use crate::error::CencError;
use crate::nal::{AvcParser, HevcParser, NalSubsampleMapper, VideoParser};
use crate::subsample::Subsample;
use crate::vp9::Vp9SubsampleMapper;

/// Audio codecs, all encrypted as whole samples (no subsamples).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AudioCodec {
    /// MPEG-4 AAC (`mp4a`).
    Aac,
    /// Dolby AC-3 (`ac-3`).
    Ac3,
    /// Dolby E-AC-3 (`ec-3`).
    Eac3,
    /// Opus (`Opus`).
    Opus,
}

impl AudioCodec {
    fn name(self) -> &'static str {
        match self {
            AudioCodec::Aac => "AAC",
            AudioCodec::Ac3 => "AC-3",
            AudioCodec::Eac3 => "E-AC-3",
            AudioCodec::Opus => "Opus",
        }
    }
}

#[derive(Clone, Debug)]
enum Kind {
    Nal {
        name: &'static str,
        mapper: NalSubsampleMapper,
    },
    Vp9(Vp9SubsampleMapper),
    Audio(AudioCodec),
}

/// A track's codec with the state needed to build subsample maps (parameter sets for
/// H.264/H.265). Build one per track and hand it to
/// [`EncryptorConfig`](crate::EncryptorConfig).
#[derive(Clone, Debug)]
pub struct TrackCodec {
    kind: Kind,
}

impl TrackCodec {
    /// H.264 with `nal_length_size`-byte NAL lengths (`avcC` `lengthSizeMinusOne + 1`) and the
    /// SPS/PPS NAL units of the sample entry.
    pub fn avc(nal_length_size: u8, parameter_sets: &[&[u8]]) -> Result<Self, CencError> {
        let mut parser = AvcParser::new();
        for ps in parameter_sets {
            parser.add_parameter_set(ps)?;
        }
        Ok(TrackCodec {
            kind: Kind::Nal {
                name: "H.264",
                mapper: NalSubsampleMapper::new(VideoParser::Avc(parser), nal_length_size)?,
            },
        })
    }

    /// H.265 with `nal_length_size`-byte NAL lengths (`hvcC` `lengthSizeMinusOne + 1`) and the
    /// VPS/SPS/PPS NAL units of the sample entry's arrays.
    pub fn hevc(nal_length_size: u8, parameter_sets: &[&[u8]]) -> Result<Self, CencError> {
        let mut parser = HevcParser::new();
        for ps in parameter_sets {
            parser.add_parameter_set(ps)?;
        }
        Ok(TrackCodec {
            kind: Kind::Nal {
                name: "H.265",
                mapper: NalSubsampleMapper::new(VideoParser::Hevc(parser), nal_length_size)?,
            },
        })
    }

    /// An audio codec: whole-sample encryption.
    pub fn audio(codec: AudioCodec) -> Self {
        TrackCodec {
            kind: Kind::Audio(codec),
        }
    }

    /// VP9 (`vp09`): each frame of a sample (or of its superframe) keeps its uncompressed
    /// header clear; protected sizes are multiples of 16 in every scheme, as the VP9 CENC
    /// binding requires; the superframe index stays clear. The reference frame sizes the
    /// headers depend on are tracked from the samples themselves.
    pub fn vp9() -> Self {
        TrackCodec {
            kind: Kind::Vp9(Vp9SubsampleMapper::default()),
        }
    }

    /// AV1: not supported yet (its CENC binding needs tile positions from the frame header).
    /// Always an [`CencError::UnsupportedCodec`] error, which the packager reports as 1102.
    pub fn av1() -> Result<Self, CencError> {
        Err(CencError::UnsupportedCodec {
            codec: "AV1",
            reason: "AV1 subsample encryption (frame header and tile parsing) is not implemented",
        })
    }

    /// The codec's name ("H.264", "AAC", ...).
    pub fn name(&self) -> &'static str {
        match &self.kind {
            Kind::Nal { name, .. } => name,
            Kind::Vp9(_) => "VP9",
            Kind::Audio(a) => a.name(),
        }
    }

    /// True for video (subsample encryption, 1:9 pattern by default for pattern schemes).
    pub fn is_video(&self) -> bool {
        matches!(self.kind, Kind::Nal { .. } | Kind::Vp9(_))
    }

    /// Builds the subsample map of `sample` into `out` (left empty for whole-sample codecs),
    /// handing each protected range to `on_protected` as soon as it is known.
    pub(crate) fn map_streaming(
        &mut self,
        sample: &mut [u8],
        align_protected: bool,
        out: &mut Vec<Subsample>,
        mut on_protected: impl FnMut(&mut [u8], Range<usize>),
    ) -> Result<(), CencError> {
        match &mut self.kind {
            Kind::Nal { mapper, .. } => {
                mapper.map_streaming(sample, align_protected, out, on_protected)
            }
            Kind::Vp9(mapper) => mapper.map_streaming(sample, out, on_protected),
            Kind::Audio(_) => {
                out.clear();
                let len = sample.len();
                on_protected(sample, 0..len);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn av1_is_a_typed_unsupported_error() {
        let e = TrackCodec::av1().unwrap_err();
        assert!(
            matches!(e, CencError::UnsupportedCodec { codec: "AV1", .. }),
            "{e}"
        );
        assert!(TrackCodec::vp9().is_video());
        assert_eq!(TrackCodec::vp9().name(), "VP9");
        assert_eq!(TrackCodec::audio(AudioCodec::Eac3).name(), "E-AC-3");
        assert!(!TrackCodec::audio(AudioCodec::Aac).is_video());
        assert!(TrackCodec::avc(4, &[]).unwrap().is_video());
        assert!(TrackCodec::hevc(3, &[]).is_err());
    }
}
