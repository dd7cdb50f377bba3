//! The codec of a track and how its samples are split into clear and protected ranges.

use std::ops::Range;

use crate::error::CencError;
use crate::nal::{AvcParser, HevcParser, NalSubsampleMapper, VideoParser};
use crate::subsample::Subsample;

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

    /// VP9: not supported yet (its CENC binding needs the uncompressed-header size of every
    /// frame of a superframe). Always an [`CencError::UnsupportedCodec`] error, which the
    /// packager reports as error 1102.
    pub fn vp9() -> Result<Self, CencError> {
        Err(CencError::UnsupportedCodec {
            codec: "VP9",
            reason: "VP9 subsample encryption (uncompressed header parsing) is not implemented",
        })
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
            Kind::Audio(a) => a.name(),
        }
    }

    /// True for video (subsample encryption, 1:9 pattern by default for pattern schemes).
    pub fn is_video(&self) -> bool {
        matches!(self.kind, Kind::Nal { .. })
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
    fn vp9_and_av1_are_typed_unsupported_errors() {
        for e in [
            TrackCodec::vp9().unwrap_err(),
            TrackCodec::av1().unwrap_err(),
        ] {
            assert!(matches!(e, CencError::UnsupportedCodec { .. }), "{e}");
        }
        assert_eq!(TrackCodec::audio(AudioCodec::Eac3).name(), "E-AC-3");
        assert!(!TrackCodec::audio(AudioCodec::Aac).is_video());
        assert!(TrackCodec::avc(4, &[]).unwrap().is_video());
        assert!(TrackCodec::hevc(3, &[]).is_err());
    }
}
