//! The codec of a `bmff` track, as the encryptor needs it.

use bmff::reader::{CodecKind, Track};
use bmff::{AvcC, HvcC};

use crate::codec::{AudioCodec, TrackCodec};
use crate::error::CencError;

/// The [`TrackCodec`] of `track`'s first sample entry: H.264/H.265 with the parameter sets of
/// `avcC`/`hvcC` (VPS, SPS, PPS), VP9, or whole-sample audio (AAC, AC-3, E-AC-3, Opus).
/// Other codecs are [`CencError::UnsupportedCodec`].
pub fn track_codec(track: &Track) -> Result<TrackCodec, CencError> {
    let entry = track.sample_entry().ok_or_else(|| CencError::Track {
        track: track.id,
        reason: "no sample entry".into(),
    })?;
    let config = |what: &str| CencError::Track {
        track: track.id,
        reason: format!("sample entry {} has no {what}", entry.kind()),
    };
    let child = |k: &[u8; 4]| {
        entry
            .children()
            .iter()
            .find(|c| c.kind() == bmff::FourCC::new(k))
    };
    match track.codec() {
        CodecKind::H264 => {
            let c = child(b"avcC")
                .and_then(|b| b.as_typed::<AvcC>())
                .ok_or_else(|| config("avcC"))?;
            let sets: Vec<&[u8]> = c
                .sequence_parameter_sets
                .iter()
                .chain(&c.picture_parameter_sets)
                .map(|b| &b[..])
                .collect();
            TrackCodec::avc(c.nal_length_size(), &sets)
        }
        CodecKind::H265 => {
            let c = child(b"hvcC")
                .and_then(|b| b.as_typed::<HvcC>())
                .ok_or_else(|| config("hvcC"))?;
            // Parameter sets in dependency order: VPS, SPS, PPS.
            let sets: Vec<&[u8]> = [32u8, 33, 34]
                .iter()
                .flat_map(|&t| c.nal_units_of_type(t))
                .map(|b| &b[..])
                .collect();
            TrackCodec::hevc(c.nal_length_size(), &sets)
        }
        CodecKind::Vp9 => Ok(TrackCodec::vp9()),
        CodecKind::Av1 => TrackCodec::av1(),
        CodecKind::Aac => Ok(TrackCodec::audio(AudioCodec::Aac)),
        CodecKind::Ac3 => Ok(TrackCodec::audio(AudioCodec::Ac3)),
        CodecKind::Eac3 => Ok(TrackCodec::audio(AudioCodec::Eac3)),
        CodecKind::Opus => Ok(TrackCodec::audio(AudioCodec::Opus)),
        _ => Err(CencError::UnsupportedCodec {
            codec: "this codec",
            reason: "only H.264, H.265, VP9, AAC, AC-3, E-AC-3 and Opus tracks can be encrypted",
        }),
    }
}
