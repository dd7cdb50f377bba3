//! Elementary streams as MPEG-TS carries them: what codec a track holds ([`EsCodec`]), and the
//! conversion of ISO-BMFF samples into PES payloads ([`EsConverter`]): H.264/H.265 from
//! length-prefixed NAL units to Annex B with an access unit delimiter and the parameter sets
//! before every IDR, AAC raw frames to ADTS, AC-3/E-AC-3 syncframes as they are; each with
//! SAMPLE-AES applied when asked.

pub mod aac;
pub mod ac3;
mod convert;
pub mod nal;

use std::io::{Read, Seek};

use bmff::reader::{CodecKind, Mp4Reader, Track};
use bmff::{AnyBox, AvcC, Esds, HvcC, TypedBox};
use bytes::Bytes;

pub use aac::AacConfig;
pub use convert::EsConverter;

use crate::error::{Error, Result};
use crate::ts::StreamType;
use crate::ts::pes::{STREAM_ID_AUDIO, STREAM_ID_PRIVATE_1, STREAM_ID_VIDEO};
use crate::ts::psi::descriptors;

/// A codec MPEG-TS can carry, with what the muxer needs of its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EsCodec {
    /// H.264.
    H264 {
        /// Bytes of each NAL unit length prefix in the samples (1 to 4).
        nal_length_size: u8,
        /// SPS then PPS NAL units from `avcC`, inserted before every IDR.
        parameter_sets: Vec<Bytes>,
    },
    /// H.265.
    H265 {
        /// Bytes of each NAL unit length prefix (1 to 4).
        nal_length_size: u8,
        /// The NAL units of `hvcC`'s arrays in order (VPS, SPS, PPS, SEI), inserted before
        /// every IRAP picture.
        parameter_sets: Vec<Bytes>,
    },
    /// AAC, carried as ADTS.
    Aac(AacConfig),
    /// AC-3.
    Ac3 {
        /// The first bytes of the first syncframe (SAMPLE-AES audio setup data).
        setup: Vec<u8>,
    },
    /// E-AC-3.
    Eac3 {
        /// The `dec3` box body (SAMPLE-AES audio setup data).
        setup: Vec<u8>,
    },
}

/// Bytes of the first AC-3 syncframe used as SAMPLE-AES setup data (syncinfo and the start of
/// bsi, what players parse for sample rate and channels).
const AC3_SETUP_BYTES: usize = 10;

fn child<T: TypedBox>(entry: &AnyBox) -> Option<&T> {
    entry.children().iter().find_map(|c| c.as_typed::<T>())
}

impl EsCodec {
    /// The codec of `track_id` in `reader`. For AC-3 the first sample is read (its header is
    /// the SAMPLE-AES setup data).
    pub fn from_reader<R: Read + Seek>(reader: &mut Mp4Reader<R>, track_id: u32) -> Result<Self> {
        let track = reader.track(track_id)?.clone();
        let codec = Self::from_track(&track)?;
        if let EsCodec::Ac3 { .. } = codec {
            let first = reader
                .samples(track_id)?
                .next()
                .transpose()?
                .ok_or_else(|| Error::CodecConfig {
                    track_id,
                    reason: "the AC-3 track has no samples".into(),
                })?;
            let mut buf = Vec::new();
            reader.read_sample(&first, &mut buf)?;
            buf.truncate(AC3_SETUP_BYTES);
            return Ok(EsCodec::Ac3 { setup: buf });
        }
        Ok(codec)
    }

    /// The codec of a track, from its first sample entry (AC-3 setup data left empty; see
    /// [`EsCodec::from_reader`]).
    pub fn from_track(track: &Track) -> Result<Self> {
        let id = track.id;
        let entry = track.sample_entry().ok_or_else(|| Error::CodecConfig {
            track_id: id,
            reason: "no sample entry".into(),
        })?;
        let bad = |reason: &str| Error::CodecConfig {
            track_id: id,
            reason: reason.to_owned(),
        };
        if track.encryption().is_some() {
            return Err(Error::UnsupportedCodec {
                track_id: id,
                codec: format!("encrypted {}", track.original_format()),
                context: "as input (decrypt it first)".into(),
            });
        }
        if track.sample_entries.len() > 1 {
            return Err(Error::UnsupportedCodec {
                track_id: id,
                codec: format!("{} sample entries", track.sample_entries.len()),
                context: "(several sample descriptions in one track)".into(),
            });
        }
        match track.codec() {
            CodecKind::H264 => {
                let c = child::<AvcC>(entry).ok_or_else(|| bad("no avcC box"))?;
                let mut parameter_sets: Vec<Bytes> = c.sequence_parameter_sets.clone();
                parameter_sets.extend(c.picture_parameter_sets.iter().cloned());
                Ok(EsCodec::H264 {
                    nal_length_size: c.nal_length_size(),
                    parameter_sets,
                })
            }
            CodecKind::H265 => {
                let c = child::<HvcC>(entry).ok_or_else(|| bad("no hvcC box"))?;
                let parameter_sets = c
                    .arrays
                    .iter()
                    .flat_map(|a| a.nal_units.iter().cloned())
                    .collect();
                Ok(EsCodec::H265 {
                    nal_length_size: c.nal_length_size(),
                    parameter_sets,
                })
            }
            CodecKind::Aac => {
                let esds = child::<Esds>(entry).ok_or_else(|| bad("no esds box"))?;
                let dc = esds
                    .decoder_config()
                    .ok_or_else(|| bad("esds without DecoderConfigDescriptor"))?;
                if !matches!(dc.object_type_indication, 0x40 | 0x66 | 0x67 | 0x68) {
                    return Err(Error::UnsupportedCodec {
                        track_id: id,
                        codec: format!("mp4a object type {:#04x}", dc.object_type_indication),
                        context: "in MPEG-TS (AAC only)".into(),
                    });
                }
                let asc = esds
                    .decoder_specific_info()
                    .ok_or_else(|| bad("esds without AudioSpecificConfig"))?;
                let config = AacConfig::parse(asc).map_err(|e| bad(&e))?;
                config.check_adts().map_err(|e| Error::UnsupportedCodec {
                    track_id: id,
                    codec: "this AAC configuration".into(),
                    context: format!("in MPEG-TS: {e}"),
                })?;
                Ok(EsCodec::Aac(config))
            }
            CodecKind::Ac3 => Ok(EsCodec::Ac3 { setup: Vec::new() }),
            CodecKind::Eac3 => {
                let dec3 = entry
                    .children()
                    .iter()
                    .find(|c| c.kind() == bmff::FourCC::new(b"dec3"))
                    .ok_or_else(|| bad("no dec3 box"))?;
                let mut raw = Vec::new();
                bmff::encode_box(dec3, &mut raw)?;
                let header = if raw.len() >= 8 && raw[..4] == [0, 0, 0, 1] {
                    16
                } else {
                    8
                };
                Ok(EsCodec::Eac3 {
                    setup: raw.get(header..).unwrap_or_default().to_vec(),
                })
            }
            other => Err(Error::UnsupportedCodec {
                track_id: id,
                codec: codec_name(other, track),
                context: "in MPEG-TS (H.264, H.265, AAC, AC-3 and E-AC-3 are)".into(),
            }),
        }
    }

    /// A short codec name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            EsCodec::H264 { .. } => "H.264",
            EsCodec::H265 { .. } => "H.265",
            EsCodec::Aac(_) => "AAC",
            EsCodec::Ac3 { .. } => "AC-3",
            EsCodec::Eac3 { .. } => "E-AC-3",
        }
    }

    /// True for H.264 and H.265.
    pub fn is_video(&self) -> bool {
        matches!(self, EsCodec::H264 { .. } | EsCodec::H265 { .. })
    }

    /// True when SAMPLE-AES in MPEG-TS is defined for this codec (all but H.265).
    pub fn supports_sample_aes(&self) -> bool {
        !matches!(self, EsCodec::H265 { .. })
    }

    /// The PMT `stream_type`.
    pub fn stream_type(&self, sample_aes: bool) -> StreamType {
        match (self, sample_aes) {
            (EsCodec::H264 { .. }, false) => StreamType::H264,
            (EsCodec::H264 { .. }, true) => StreamType::SAMPLE_AES_H264,
            (EsCodec::H265 { .. }, _) => StreamType::H265,
            (EsCodec::Aac(_), false) => StreamType::AAC_ADTS,
            (EsCodec::Aac(_), true) => StreamType::SAMPLE_AES_AAC,
            (EsCodec::Ac3 { .. }, false) => StreamType::AC3,
            (EsCodec::Ac3 { .. }, true) => StreamType::SAMPLE_AES_AC3,
            (EsCodec::Eac3 { .. }, false) => StreamType::EAC3,
            (EsCodec::Eac3 { .. }, true) => StreamType::SAMPLE_AES_EAC3,
        }
    }

    /// The PES `stream_id`.
    pub fn stream_id(&self) -> u8 {
        match self {
            EsCodec::H264 { .. } | EsCodec::H265 { .. } => STREAM_ID_VIDEO,
            EsCodec::Aac(_) => STREAM_ID_AUDIO,
            EsCodec::Ac3 { .. } | EsCodec::Eac3 { .. } => STREAM_ID_PRIVATE_1,
        }
    }

    /// The PMT ES descriptors: the AC-3/E-AC-3 registration for clear streams, and for
    /// SAMPLE-AES the private data indicator plus, for audio, the `apad` registration with the
    /// audio setup information.
    pub fn descriptors(&self, sample_aes: bool) -> Vec<u8> {
        if !sample_aes {
            return match self {
                EsCodec::Ac3 { .. } => descriptors::registration(b"AC-3", &[]),
                EsCodec::Eac3 { .. } => descriptors::registration(b"EAC3", &[]),
                _ => Vec::new(),
            };
        }
        let (indicator, audio_type, setup): (&[u8; 4], &[u8; 4], &[u8]) = match self {
            EsCodec::H264 { .. } => return descriptors::private_data_indicator(b"zavc"),
            EsCodec::H265 { .. } => return Vec::new(),
            EsCodec::Aac(c) => (b"aacd", c.sample_aes_audio_type(), &c.asc),
            EsCodec::Ac3 { setup } => (b"ac3d", b"zac3", setup),
            EsCodec::Eac3 { setup } => (b"ec3d", b"zec3", setup),
        };
        let mut d = descriptors::private_data_indicator(indicator);
        // audio_setup_information: type, priming (0), version (1), length, setup data.
        let setup = &setup[..setup.len().min(255 - 12)];
        let mut info = audio_type.to_vec();
        info.extend_from_slice(&[0, 0, 1, setup.len() as u8]);
        info.extend_from_slice(setup);
        d.extend(descriptors::registration(b"apad", &info));
        d
    }
}

fn codec_name(kind: CodecKind, track: &Track) -> String {
    match kind {
        CodecKind::Other(_) => track.original_format().to_string(),
        k => format!("{k:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_types_and_descriptors() {
        let aac = EsCodec::Aac(AacConfig::parse(&[0x12, 0x10]).unwrap());
        assert_eq!(aac.stream_type(true), StreamType::SAMPLE_AES_AAC);
        assert_eq!(aac.stream_type(false), StreamType::AAC_ADTS);
        // protocols.md 4.3's example.
        assert_eq!(
            aac.descriptors(true),
            mdrm_testkit::hex("0F04 61616364 050E 61706164 7A616163 0000 01 02 1210")
        );
        assert!(aac.descriptors(false).is_empty());
        let avc = EsCodec::H264 {
            nal_length_size: 4,
            parameter_sets: Vec::new(),
        };
        assert_eq!(avc.descriptors(true), mdrm_testkit::hex("0F04 7A617663"));
        assert_eq!(avc.stream_id(), 0xE0);
        assert!(
            !EsCodec::H265 {
                nal_length_size: 4,
                parameter_sets: Vec::new()
            }
            .supports_sample_aes()
        );
    }
}
