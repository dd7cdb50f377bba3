//! ISO-BMFF samples to MPEG-TS PES payloads.

use super::EsCodec;
use super::ac3::split_syncframes;
use super::nal::{avc, avc_type, hevc, hevc_type, split_length_prefixed};
use crate::crypto::sample_aes::SampleAesEncryptor;
use crate::error::{Error, Result};

const START_CODE: [u8; 4] = [0, 0, 0, 1];
/// H.264 access unit delimiter: primary_pic_type 7 (any slice type), stop bit.
const AVC_AUD: [u8; 2] = [0x09, 0xF0];
/// H.265 access unit delimiter: type 35, layer 0, tid 1; pic_type 2 (I, P, B), stop bit.
const HEVC_AUD: [u8; 3] = [0x46, 0x01, 0x50];

/// Converts the samples of one track, in decoding order, into PES payloads.
#[derive(Debug)]
pub struct EsConverter {
    codec: EsCodec,
    track_id: u32,
    encryptor: Option<SampleAesEncryptor>,
    scratch: Vec<u8>,
}

impl EsConverter {
    /// A converter for `codec` (of input track `track_id`); with an encryptor the output is
    /// SAMPLE-AES. H.265 has no SAMPLE-AES form in MPEG-TS and is refused with one.
    pub fn new(
        codec: EsCodec,
        track_id: u32,
        encryptor: Option<SampleAesEncryptor>,
    ) -> Result<Self> {
        if encryptor.is_some() && !codec.supports_sample_aes() {
            return Err(Error::UnsupportedCodec {
                track_id,
                codec: codec.name().into(),
                context: "with SAMPLE-AES in MPEG-TS (use fragmented MP4 with cbcs)".into(),
            });
        }
        Ok(EsConverter {
            codec,
            track_id,
            encryptor,
            scratch: Vec::new(),
        })
    }

    /// The codec.
    pub fn codec(&self) -> &EsCodec {
        &self.codec
    }

    /// True when the output is SAMPLE-AES encrypted.
    pub fn encrypted(&self) -> bool {
        self.encryptor.is_some()
    }

    /// Appends the PES payload for sample `index` (`is_sync`: a key frame) to `out`.
    pub fn convert(
        &mut self,
        sample: &[u8],
        index: u64,
        is_sync: bool,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let bad = |reason: String| Error::InvalidSample {
            track_id: self.track_id,
            index,
            reason,
        };
        match &self.codec {
            EsCodec::H264 {
                nal_length_size,
                parameter_sets,
            } => {
                let mut has_sps = false;
                let mut has_idr = false;
                for nal in split_length_prefixed(sample, *nal_length_size) {
                    let nal = nal.map_err(bad)?;
                    match avc_type(nal) {
                        avc::SPS => has_sps = true,
                        avc::IDR => has_idr = true,
                        _ => {}
                    }
                }
                out.extend_from_slice(&START_CODE);
                out.extend_from_slice(&AVC_AUD);
                if (has_idr || is_sync) && !has_sps {
                    for ps in parameter_sets {
                        out.extend_from_slice(&START_CODE);
                        out.extend_from_slice(ps);
                    }
                }
                for nal in split_length_prefixed(sample, *nal_length_size) {
                    let nal = nal.map_err(bad)?;
                    if nal.is_empty() || avc_type(nal) == avc::AUD {
                        continue;
                    }
                    out.extend_from_slice(&START_CODE);
                    match &self.encryptor {
                        Some(enc) => enc.encrypt_avc_nal(nal, out, &mut self.scratch),
                        None => out.extend_from_slice(nal),
                    }
                }
            }
            EsCodec::H265 {
                nal_length_size,
                parameter_sets,
            } => {
                let mut has_sps = false;
                let mut has_irap = false;
                for nal in split_length_prefixed(sample, *nal_length_size) {
                    let t = hevc_type(nal.map_err(bad)?);
                    has_sps |= t == hevc::SPS;
                    has_irap |= (hevc::IRAP_FIRST..=hevc::IRAP_LAST).contains(&t);
                }
                out.extend_from_slice(&START_CODE);
                out.extend_from_slice(&HEVC_AUD);
                if (has_irap || is_sync) && !has_sps {
                    for ps in parameter_sets {
                        out.extend_from_slice(&START_CODE);
                        out.extend_from_slice(ps);
                    }
                }
                for nal in split_length_prefixed(sample, *nal_length_size) {
                    let nal = nal.map_err(bad)?;
                    if nal.is_empty() || hevc_type(nal) == hevc::AUD {
                        continue;
                    }
                    out.extend_from_slice(&START_CODE);
                    out.extend_from_slice(nal);
                }
            }
            EsCodec::Aac(config) => {
                let header = config.adts_header(sample.len()).map_err(bad)?;
                out.extend_from_slice(&header);
                let start = out.len();
                out.extend_from_slice(sample);
                if let Some(enc) = &self.encryptor {
                    enc.encrypt_audio_frame(&mut out[start..]);
                }
            }
            EsCodec::Ac3 { .. } | EsCodec::Eac3 { .. } => {
                let start = out.len();
                out.extend_from_slice(sample);
                if let Some(enc) = &self.encryptor {
                    let mut pos = start;
                    for frame in split_syncframes(sample) {
                        let len = frame.map_err(bad)?.len();
                        enc.encrypt_audio_frame(&mut out[pos..pos + len]);
                        pos += len;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sample_aes::SampleAesDecryptor;
    use crate::es::AacConfig;
    use crate::es::nal::split_annexb;
    use bytes::Bytes;
    use keys::ContentKey;

    fn lp(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| {
                let mut v = (n.len() as u32).to_be_bytes().to_vec();
                v.extend_from_slice(n);
                v
            })
            .collect()
    }

    fn avc() -> EsCodec {
        EsCodec::H264 {
            nal_length_size: 4,
            parameter_sets: vec![
                Bytes::from_static(&[0x67, 0x64, 0x00, 0x1e]),
                Bytes::from_static(&[0x68, 0xeb]),
            ],
        }
    }

    #[test]
    fn idr_gets_aud_and_parameter_sets() {
        let mut c = EsConverter::new(avc(), 1, None).unwrap();
        let idr = [0x65u8, 0x88, 0x84];
        let sei = [0x06u8, 0x05, 0x01];
        let old_aud = [0x09u8, 0x10];
        let mut out = Vec::new();
        c.convert(&lp(&[&old_aud, &sei, &idr]), 0, true, &mut out)
            .unwrap();
        let nals: Vec<&[u8]> = split_annexb(&out).collect();
        assert_eq!(
            nals,
            [
                &AVC_AUD[..],
                &[0x67, 0x64, 0x00, 0x1e][..],
                &[0x68, 0xeb][..],
                &sei[..],
                &idr[..]
            ]
        );
        // A non-IDR frame: AUD and the slice only.
        out.clear();
        c.convert(&lp(&[&[0x41, 0x9a]]), 1, false, &mut out)
            .unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x41, 0x9a]);
        // In-band parameter sets are not duplicated.
        out.clear();
        c.convert(&lp(&[&[0x67, 1], &[0x68, 2], &idr]), 2, true, &mut out)
            .unwrap();
        assert_eq!(split_annexb(&out).count(), 4);
    }

    #[test]
    fn broken_framing_names_the_sample() {
        let mut c = EsConverter::new(avc(), 7, None).unwrap();
        let e = c
            .convert(&[0, 0, 0, 9, 0x65], 42, true, &mut Vec::new())
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidSample {
                    track_id: 7,
                    index: 42,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn sample_aes_video_and_audio_decrypt_back() {
        let key = ContentKey::new([3; 16]);
        let enc = SampleAesEncryptor::new(&key, [4; 16]);
        let dec = SampleAesDecryptor::new(&key, [4; 16]);
        let slice: Vec<u8> = std::iter::once(0x65)
            .chain((0..500).map(|i| (i * 3) as u8))
            .collect();
        let mut c = EsConverter::new(avc(), 1, Some(enc.clone())).unwrap();
        let mut out = Vec::new();
        c.convert(&lp(&[&slice]), 0, true, &mut out).unwrap();
        let nals: Vec<&[u8]> = split_annexb(&out).collect();
        assert_ne!(nals[3], &slice[..]);
        let mut back = Vec::new();
        dec.decrypt_avc_nal(nals[3], &mut back);
        assert_eq!(back, slice);

        let aac = EsCodec::Aac(AacConfig::parse(&[0x11, 0x90]).unwrap());
        let mut c = EsConverter::new(aac, 2, Some(enc)).unwrap();
        let frame: Vec<u8> = (0..100u8).collect();
        let mut out = Vec::new();
        c.convert(&frame, 0, true, &mut out).unwrap();
        assert_eq!(out.len(), 107);
        assert_eq!(&out[7..23], &frame[..16], "16 clear bytes after the header");
        assert_ne!(&out[23..], &frame[16..]);
        dec.decrypt_audio_frame(&mut out[7..]);
        assert_eq!(&out[7..], &frame[..]);
    }

    #[test]
    fn hevc_has_no_sample_aes_in_ts() {
        let hevc = EsCodec::H265 {
            nal_length_size: 4,
            parameter_sets: Vec::new(),
        };
        let enc = SampleAesEncryptor::new(&ContentKey::new([0; 16]), [0; 16]);
        assert!(matches!(
            EsConverter::new(hevc, 1, Some(enc)),
            Err(Error::UnsupportedCodec { .. })
        ));
    }
}
