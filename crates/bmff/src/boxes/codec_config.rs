//! Codec configuration boxes inside sample entries: `avcC`, `hvcC`, `vpcC`, `av1C`, `esds`,
//! `dac3`, `dec3`, `dOps`, and `btrt`, `pasp`, `colr`.

use bytes::Bytes;

use crate::boxes::{Atom, full_v0};
use crate::codec::{Codec, Width};
use crate::{FourCC, Result};

/// A parameter set or other NAL unit prefixed by a 16-bit length.
fn nal_u16<C: Codec>(c: &mut C, s: &mut Bytes) -> Result<()> {
    let mut len = u16::try_from(s.len()).map_err(|_| c.invalid("NAL unit over 65535 bytes"))?;
    c.u16("length", &mut len)?;
    c.bytes("nal_unit", len as usize, s)
}

/// H.264 decoder configuration (`avcC`, ISO/IEC 14496-15 §5.3.3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AvcC {
    /// 1.
    pub configuration_version: u8,
    /// profile_idc.
    pub profile_indication: u8,
    /// Constraint flags byte.
    pub profile_compatibility: u8,
    /// level_idc.
    pub level_indication: u8,
    /// NAL length size minus one (0, 1 or 3).
    pub length_size_minus_one: u8,
    /// Sequence parameter sets.
    pub sequence_parameter_sets: Vec<Bytes>,
    /// Picture parameter sets.
    pub picture_parameter_sets: Vec<Bytes>,
    /// High-profile extension (chroma format, bit depths, SPS extensions), when present.
    pub ext: Option<AvcCExt>,
}

/// The high-profile part of `avcC`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AvcCExt {
    /// chroma_format_idc.
    pub chroma_format: u8,
    /// bit_depth_luma_minus8.
    pub bit_depth_luma_minus8: u8,
    /// bit_depth_chroma_minus8.
    pub bit_depth_chroma_minus8: u8,
    /// SPS extension NAL units.
    pub sequence_parameter_set_ext: Vec<Bytes>,
}

impl AvcC {
    /// Bytes of the NAL length prefix in samples (1, 2 or 4).
    pub fn nal_length_size(&self) -> u8 {
        self.length_size_minus_one + 1
    }
}

impl Atom for AvcC {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"avcC")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u8("configuration_version", &mut self.configuration_version)?;
        c.u8("profile_indication", &mut self.profile_indication)?;
        c.u8("profile_compatibility", &mut self.profile_compatibility)?;
        c.u8("level_indication", &mut self.level_indication)?;
        c.bits(1, |b| {
            b.reserved(6, 0x3f)?;
            b.field("length_size_minus_one", 2, &mut self.length_size_minus_one)
        })?;
        let mut nsps = u8::try_from(self.sequence_parameter_sets.len())
            .ok()
            .filter(|&n| n < 32)
            .ok_or_else(|| c.invalid("more than 31 SPS"))?;
        c.bits(1, |b| {
            b.reserved(3, 7)?;
            b.field("num_of_sequence_parameter_sets", 5, &mut nsps)
        })?;
        c.list(
            "sequence_parameter_sets",
            nsps as usize,
            2,
            &mut self.sequence_parameter_sets,
            nal_u16,
        )?;
        let npps = c.count(
            "num_of_picture_parameter_sets",
            Width::U8,
            self.picture_parameter_sets.len(),
        )?;
        c.list(
            "picture_parameter_sets",
            npps,
            2,
            &mut self.picture_parameter_sets,
            nal_u16,
        )?;
        let present = c.more(self.ext.is_some());
        c.opt(present, &mut self.ext, |c, e| {
            c.bits(1, |b| {
                b.reserved(6, 0x3f)?;
                b.field("chroma_format", 2, &mut e.chroma_format)
            })?;
            c.bits(1, |b| {
                b.reserved(5, 0x1f)?;
                b.field("bit_depth_luma_minus8", 3, &mut e.bit_depth_luma_minus8)
            })?;
            c.bits(1, |b| {
                b.reserved(5, 0x1f)?;
                b.field("bit_depth_chroma_minus8", 3, &mut e.bit_depth_chroma_minus8)
            })?;
            let n = c.count(
                "num_of_sequence_parameter_set_ext",
                Width::U8,
                e.sequence_parameter_set_ext.len(),
            )?;
            c.list(
                "sequence_parameter_set_ext",
                n,
                2,
                &mut e.sequence_parameter_set_ext,
                nal_u16,
            )
        })
    }
}

/// One array of NAL units in `hvcC`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HvcCArray {
    /// All NAL units of this type are in the array (none in the stream).
    pub array_completeness: bool,
    /// NAL unit type (32 VPS, 33 SPS, 34 PPS, 39/40 SEI).
    pub nal_unit_type: u8,
    /// The NAL units.
    pub nal_units: Vec<Bytes>,
}

/// H.265 decoder configuration (`hvcC`, ISO/IEC 14496-15 §8.3.3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HvcC {
    /// 1.
    pub configuration_version: u8,
    /// general_profile_space (2 bits).
    pub general_profile_space: u8,
    /// general_tier_flag.
    pub general_tier_flag: bool,
    /// general_profile_idc (5 bits).
    pub general_profile_idc: u8,
    /// general_profile_compatibility_flags.
    pub general_profile_compatibility_flags: u32,
    /// general_constraint_indicator_flags (48 bits).
    pub general_constraint_indicator_flags: [u8; 6],
    /// general_level_idc.
    pub general_level_idc: u8,
    /// min_spatial_segmentation_idc (12 bits).
    pub min_spatial_segmentation_idc: u16,
    /// parallelismType (2 bits).
    pub parallelism_type: u8,
    /// chroma_format_idc (2 bits).
    pub chroma_format_idc: u8,
    /// bit_depth_luma_minus8 (3 bits).
    pub bit_depth_luma_minus8: u8,
    /// bit_depth_chroma_minus8 (3 bits).
    pub bit_depth_chroma_minus8: u8,
    /// avgFrameRate (frames per 256 s), 0 = unspecified.
    pub avg_frame_rate: u16,
    /// constantFrameRate (2 bits).
    pub constant_frame_rate: u8,
    /// numTemporalLayers (3 bits).
    pub num_temporal_layers: u8,
    /// temporalIdNested.
    pub temporal_id_nested: bool,
    /// NAL length size minus one (2 bits).
    pub length_size_minus_one: u8,
    /// Parameter set and SEI arrays.
    pub arrays: Vec<HvcCArray>,
}

impl HvcC {
    /// Bytes of the NAL length prefix in samples (1, 2 or 4).
    pub fn nal_length_size(&self) -> u8 {
        self.length_size_minus_one + 1
    }

    /// The NAL units of `nal_unit_type` across all arrays.
    pub fn nal_units_of_type(&self, nal_unit_type: u8) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_unit_type == nal_unit_type)
            .flat_map(|a| a.nal_units.iter())
    }
}

impl Atom for HvcC {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"hvcC")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u8("configuration_version", &mut self.configuration_version)?;
        c.bits(1, |b| {
            b.field("general_profile_space", 2, &mut self.general_profile_space)?;
            b.flag("general_tier_flag", &mut self.general_tier_flag)?;
            b.field("general_profile_idc", 5, &mut self.general_profile_idc)
        })?;
        c.u32(
            "general_profile_compatibility_flags",
            &mut self.general_profile_compatibility_flags,
        )?;
        c.array(
            "general_constraint_indicator_flags",
            &mut self.general_constraint_indicator_flags,
        )?;
        c.u8("general_level_idc", &mut self.general_level_idc)?;
        c.bits(2, |b| {
            b.reserved(4, 0xf)?;
            b.field(
                "min_spatial_segmentation_idc",
                12,
                &mut self.min_spatial_segmentation_idc,
            )
        })?;
        c.bits(1, |b| {
            b.reserved(6, 0x3f)?;
            b.field("parallelism_type", 2, &mut self.parallelism_type)
        })?;
        c.bits(1, |b| {
            b.reserved(6, 0x3f)?;
            b.field("chroma_format_idc", 2, &mut self.chroma_format_idc)
        })?;
        c.bits(1, |b| {
            b.reserved(5, 0x1f)?;
            b.field("bit_depth_luma_minus8", 3, &mut self.bit_depth_luma_minus8)
        })?;
        c.bits(1, |b| {
            b.reserved(5, 0x1f)?;
            b.field(
                "bit_depth_chroma_minus8",
                3,
                &mut self.bit_depth_chroma_minus8,
            )
        })?;
        c.u16("avg_frame_rate", &mut self.avg_frame_rate)?;
        c.bits(1, |b| {
            b.field("constant_frame_rate", 2, &mut self.constant_frame_rate)?;
            b.field("num_temporal_layers", 3, &mut self.num_temporal_layers)?;
            b.flag("temporal_id_nested", &mut self.temporal_id_nested)?;
            b.field("length_size_minus_one", 2, &mut self.length_size_minus_one)
        })?;
        let n = c.count("num_of_arrays", Width::U8, self.arrays.len())?;
        c.list("arrays", n, 3, &mut self.arrays, |c, a| {
            c.bits(1, |b| {
                b.flag("array_completeness", &mut a.array_completeness)?;
                b.reserved(1, 0)?;
                b.field("nal_unit_type", 6, &mut a.nal_unit_type)
            })?;
            let k = c.count("num_nalus", Width::U16, a.nal_units.len())?;
            c.list("nal_units", k, 2, &mut a.nal_units, nal_u16)
        })
    }
}

/// VP9 codec configuration (`vpcC` version 1, VP Codec ISO Media File Format Binding).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VpcC {
    /// Profile (0-3).
    pub profile: u8,
    /// Level (e.g. 31 = 3.1).
    pub level: u8,
    /// Bit depth (8, 10, 12).
    pub bit_depth: u8,
    /// Chroma subsampling (0-3).
    pub chroma_subsampling: u8,
    /// Full-range video.
    pub video_full_range_flag: bool,
    /// ISO/IEC 23001-8 colour primaries.
    pub colour_primaries: u8,
    /// Transfer characteristics.
    pub transfer_characteristics: u8,
    /// Matrix coefficients.
    pub matrix_coefficients: u8,
    /// Codec initialisation data (empty for VP9).
    pub codec_initialization_data: Bytes,
}

impl Atom for VpcC {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"vpcC")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let (mut v, mut f) = (1u8, 0u32);
        c.full_header(&mut v, &mut f)?;
        if v != 1 {
            return Err(c.invalid(format!("vpcC version {v} is not supported (only 1)")));
        }
        c.u8("profile", &mut self.profile)?;
        c.u8("level", &mut self.level)?;
        c.bits(1, |b| {
            b.field("bit_depth", 4, &mut self.bit_depth)?;
            b.field("chroma_subsampling", 3, &mut self.chroma_subsampling)?;
            b.flag("video_full_range_flag", &mut self.video_full_range_flag)
        })?;
        c.u8("colour_primaries", &mut self.colour_primaries)?;
        c.u8(
            "transfer_characteristics",
            &mut self.transfer_characteristics,
        )?;
        c.u8("matrix_coefficients", &mut self.matrix_coefficients)?;
        let mut len = u16::try_from(self.codec_initialization_data.len())
            .map_err(|_| c.invalid("codec initialisation data over 65535 bytes"))?;
        c.u16("codec_initialization_data_size", &mut len)?;
        c.bytes(
            "codec_initialization_data",
            len as usize,
            &mut self.codec_initialization_data,
        )
    }
}

/// AV1 codec configuration (`av1C`, AV1 Codec ISO Media File Format Binding §2.3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Av1C {
    /// seq_profile (3 bits).
    pub seq_profile: u8,
    /// seq_level_idx_0 (5 bits).
    pub seq_level_idx_0: u8,
    /// seq_tier_0.
    pub seq_tier_0: bool,
    /// high_bitdepth.
    pub high_bitdepth: bool,
    /// twelve_bit.
    pub twelve_bit: bool,
    /// monochrome.
    pub monochrome: bool,
    /// chroma_subsampling_x.
    pub chroma_subsampling_x: bool,
    /// chroma_subsampling_y.
    pub chroma_subsampling_y: bool,
    /// chroma_sample_position (2 bits).
    pub chroma_sample_position: u8,
    /// initial_presentation_delay_minus_one, when present (4 bits).
    pub initial_presentation_delay_minus_one: Option<u8>,
    /// Configuration OBUs (sequence header, metadata).
    pub config_obus: Bytes,
}

impl Atom for Av1C {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"av1C")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.bits(1, |b| {
            b.reserved(1, 1)?; // marker
            b.reserved(7, 1) // version
        })?;
        c.bits(1, |b| {
            b.field("seq_profile", 3, &mut self.seq_profile)?;
            b.field("seq_level_idx_0", 5, &mut self.seq_level_idx_0)
        })?;
        c.bits(1, |b| {
            b.flag("seq_tier_0", &mut self.seq_tier_0)?;
            b.flag("high_bitdepth", &mut self.high_bitdepth)?;
            b.flag("twelve_bit", &mut self.twelve_bit)?;
            b.flag("monochrome", &mut self.monochrome)?;
            b.flag("chroma_subsampling_x", &mut self.chroma_subsampling_x)?;
            b.flag("chroma_subsampling_y", &mut self.chroma_subsampling_y)?;
            b.field(
                "chroma_sample_position",
                2,
                &mut self.chroma_sample_position,
            )
        })?;
        let mut present = self.initial_presentation_delay_minus_one.is_some();
        let mut delay = self.initial_presentation_delay_minus_one.unwrap_or(0);
        c.bits(1, |b| {
            b.reserved(3, 0)?;
            b.flag("initial_presentation_delay_present", &mut present)?;
            b.field("initial_presentation_delay_minus_one", 4, &mut delay)
        })?;
        if c.decoding() {
            self.initial_presentation_delay_minus_one = present.then_some(delay);
            if !present && delay != 0 {
                c.noncanonical("reserved delay bits are not zero".into());
            }
        }
        c.rest("config_obus", &mut self.config_obus)
    }
}

/// An MPEG-4 systems descriptor inside `esds`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Descriptor {
    /// Tag (3 ES, 4 DecoderConfig, 5 DecoderSpecificInfo, 6 SLConfig).
    pub tag: u8,
    /// Bytes used by the size field (writers pad to 4; kept for identical output).
    pub size_len: u8,
    /// The body.
    pub body: DescriptorBody,
}

/// Body of a [`Descriptor`].
#[derive(Clone, Debug, PartialEq)]
pub enum DescriptorBody {
    /// ES_Descriptor (tag 3).
    Es(EsDescriptor),
    /// DecoderConfigDescriptor (tag 4).
    DecoderConfig(DecoderConfigDescriptor),
    /// Any other descriptor's bytes (DecoderSpecificInfo = AudioSpecificConfig for AAC).
    Raw(Bytes),
}

impl Default for DescriptorBody {
    fn default() -> Self {
        DescriptorBody::Raw(Bytes::new())
    }
}

/// ES_Descriptor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EsDescriptor {
    /// ES_ID.
    pub es_id: u16,
    /// dependsOn_ES_ID when streamDependenceFlag is set.
    pub depends_on_es_id: Option<u16>,
    /// URL when URL_Flag is set (length-prefixed).
    pub url: Option<Bytes>,
    /// OCR_ES_Id when OCRstreamFlag is set.
    pub ocr_es_id: Option<u16>,
    /// streamPriority (5 bits).
    pub stream_priority: u8,
    /// Nested descriptors (DecoderConfig, SLConfig, ...).
    pub descriptors: Vec<Descriptor>,
}

/// DecoderConfigDescriptor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecoderConfigDescriptor {
    /// objectTypeIndication (0x40 = MPEG-4 Audio / AAC).
    pub object_type_indication: u8,
    /// streamType (6 bits; 5 = audio).
    pub stream_type: u8,
    /// upStream.
    pub up_stream: bool,
    /// bufferSizeDB (24 bits).
    pub buffer_size_db: u32,
    /// maxBitrate.
    pub max_bitrate: u32,
    /// avgBitrate.
    pub avg_bitrate: u32,
    /// Nested descriptors (DecoderSpecificInfo).
    pub descriptors: Vec<Descriptor>,
}

fn descriptor<C: Codec>(c: &mut C, d: &mut Descriptor) -> Result<()> {
    c.u8("tag", &mut d.tag)?;
    if c.decoding() {
        d.body = match d.tag {
            3 => DescriptorBody::Es(EsDescriptor::default()),
            4 => DescriptorBody::DecoderConfig(DecoderConfigDescriptor::default()),
            _ => DescriptorBody::Raw(Bytes::new()),
        };
    }
    let body = &mut d.body;
    c.expandable(&mut d.size_len, |c| match body {
        DescriptorBody::Es(es) => es_descriptor(c, es),
        DescriptorBody::DecoderConfig(dc) => decoder_config(c, dc),
        DescriptorBody::Raw(b) => c.rest("data", b),
    })
}

fn es_descriptor<C: Codec>(c: &mut C, es: &mut EsDescriptor) -> Result<()> {
    c.u16("es_id", &mut es.es_id)?;
    let mut dep = es.depends_on_es_id.is_some();
    let mut url = es.url.is_some();
    let mut ocr = es.ocr_es_id.is_some();
    c.bits(1, |b| {
        b.flag("stream_dependence_flag", &mut dep)?;
        b.flag("url_flag", &mut url)?;
        b.flag("ocr_stream_flag", &mut ocr)?;
        b.field("stream_priority", 5, &mut es.stream_priority)
    })?;
    c.opt(dep, &mut es.depends_on_es_id, |c, v| {
        c.u16("depends_on_es_id", v)
    })?;
    c.opt(url, &mut es.url, |c, u| {
        let mut len = u8::try_from(u.len()).map_err(|_| c.invalid("URL over 255 bytes"))?;
        c.u8("url_length", &mut len)?;
        c.bytes("url", len as usize, u)
    })?;
    c.opt(ocr, &mut es.ocr_es_id, |c, v| c.u16("ocr_es_id", v))?;
    c.list_to_end_var("descriptors", &mut es.descriptors, descriptor)
}

fn decoder_config<C: Codec>(c: &mut C, dc: &mut DecoderConfigDescriptor) -> Result<()> {
    c.u8("object_type_indication", &mut dc.object_type_indication)?;
    c.bits(1, |b| {
        b.field("stream_type", 6, &mut dc.stream_type)?;
        b.flag("up_stream", &mut dc.up_stream)?;
        b.reserved(1, 1)
    })?;
    c.u24("buffer_size_db", &mut dc.buffer_size_db)?;
    c.u32("max_bitrate", &mut dc.max_bitrate)?;
    c.u32("avg_bitrate", &mut dc.avg_bitrate)?;
    c.list_to_end_var("descriptors", &mut dc.descriptors, descriptor)
}

/// Elementary stream descriptor box (`esds`): MPEG-4 audio configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Esds {
    /// Normally one ES_Descriptor.
    pub descriptors: Vec<Descriptor>,
}

impl Esds {
    /// The ES_Descriptor.
    pub fn es(&self) -> Option<&EsDescriptor> {
        self.descriptors.iter().find_map(|d| match &d.body {
            DescriptorBody::Es(es) => Some(es),
            _ => None,
        })
    }

    /// The DecoderConfigDescriptor.
    pub fn decoder_config(&self) -> Option<&DecoderConfigDescriptor> {
        self.es()?.descriptors.iter().find_map(|d| match &d.body {
            DescriptorBody::DecoderConfig(dc) => Some(dc),
            _ => None,
        })
    }

    /// The DecoderSpecificInfo bytes (the AudioSpecificConfig for AAC).
    pub fn decoder_specific_info(&self) -> Option<&Bytes> {
        self.decoder_config()?
            .descriptors
            .iter()
            .find_map(|d| match (&d.body, d.tag) {
                (DescriptorBody::Raw(b), 5) => Some(b),
                _ => None,
            })
    }

    /// An `esds` for an MPEG-4 audio stream with this AudioSpecificConfig.
    pub fn for_audio(
        es_id: u16,
        audio_specific_config: Bytes,
        avg_bitrate: u32,
        max_bitrate: u32,
    ) -> Self {
        Esds {
            descriptors: vec![Descriptor {
                tag: 3,
                size_len: 1,
                body: DescriptorBody::Es(EsDescriptor {
                    es_id,
                    descriptors: vec![
                        Descriptor {
                            tag: 4,
                            size_len: 1,
                            body: DescriptorBody::DecoderConfig(DecoderConfigDescriptor {
                                object_type_indication: 0x40,
                                stream_type: 5,
                                max_bitrate,
                                avg_bitrate,
                                descriptors: vec![Descriptor {
                                    tag: 5,
                                    size_len: 1,
                                    body: DescriptorBody::Raw(audio_specific_config),
                                }],
                                ..Default::default()
                            }),
                        },
                        Descriptor {
                            tag: 6,
                            size_len: 1,
                            body: DescriptorBody::Raw(Bytes::from_static(&[2])),
                        },
                    ],
                    ..Default::default()
                }),
            }],
        }
    }
}

impl Atom for Esds {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"esds")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        full_v0(c)?;
        c.list_to_end_var("descriptors", &mut self.descriptors, descriptor)
    }
}

/// AC-3 specific box (`dac3`, ETSI TS 102 366 Annex F).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dac3 {
    /// Sample rate code.
    pub fscod: u8,
    /// Bit stream identification.
    pub bsid: u8,
    /// Bit stream mode.
    pub bsmod: u8,
    /// Audio coding mode (channel layout).
    pub acmod: u8,
    /// LFE channel present.
    pub lfeon: bool,
    /// Bit rate code.
    pub bit_rate_code: u8,
}

impl Atom for Dac3 {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"dac3")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.bits(3, |b| {
            b.field("fscod", 2, &mut self.fscod)?;
            b.field("bsid", 5, &mut self.bsid)?;
            b.field("bsmod", 3, &mut self.bsmod)?;
            b.field("acmod", 3, &mut self.acmod)?;
            b.flag("lfeon", &mut self.lfeon)?;
            b.field("bit_rate_code", 5, &mut self.bit_rate_code)?;
            b.reserved(5, 0)
        })
    }
}

/// One independent substream of `dec3`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ec3Substream {
    /// Sample rate code.
    pub fscod: u8,
    /// Bit stream identification.
    pub bsid: u8,
    /// Associated service.
    pub asvc: bool,
    /// Bit stream mode.
    pub bsmod: u8,
    /// Audio coding mode.
    pub acmod: u8,
    /// LFE present.
    pub lfeon: bool,
    /// Number of dependent substreams.
    pub num_dep_sub: u8,
    /// Channel locations of the dependent substreams (9 bits), when any.
    pub chan_loc: u16,
}

/// E-AC-3 specific box (`dec3`, ETSI TS 102 366 Annex F).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dec3 {
    /// Data rate in kbit/s (13 bits).
    pub data_rate: u16,
    /// Independent substreams.
    pub substreams: Vec<Ec3Substream>,
    /// Bytes after the substreams (Atmos extension flags), as stored.
    pub extension: Bytes,
}

impl Atom for Dec3 {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"dec3")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut num_ind_sub = self.substreams.len().saturating_sub(1) as u8;
        if !c.decoding() && !(1..=8).contains(&self.substreams.len()) {
            return Err(c.invalid("dec3 needs 1 to 8 independent substreams"));
        }
        c.bits(2, |b| {
            b.field("data_rate", 13, &mut self.data_rate)?;
            b.field("num_ind_sub", 3, &mut num_ind_sub)
        })?;
        c.list(
            "substreams",
            num_ind_sub as usize + 1,
            3,
            &mut self.substreams,
            |c, s| {
                c.bits(2, |b| {
                    b.field("fscod", 2, &mut s.fscod)?;
                    b.field("bsid", 5, &mut s.bsid)?;
                    b.reserved(1, 0)?;
                    b.flag("asvc", &mut s.asvc)?;
                    b.field("bsmod", 3, &mut s.bsmod)?;
                    b.field("acmod", 3, &mut s.acmod)?;
                    b.flag("lfeon", &mut s.lfeon)
                })?;
                let mut hi = (s.chan_loc >> 8) as u8;
                c.bits(1, |b| {
                    b.reserved(3, 0)?;
                    b.field("num_dep_sub", 4, &mut s.num_dep_sub)?;
                    b.field("chan_loc_high_bit", 1, &mut hi)
                })?;
                if s.num_dep_sub > 0 {
                    let mut lo = s.chan_loc as u8;
                    c.u8("chan_loc_low_bits", &mut lo)?;
                    s.chan_loc = ((hi as u16) << 8) | lo as u16;
                } else if c.decoding() && hi != 0 {
                    c.noncanonical("reserved bit after num_dep_sub is set".into());
                }
                Ok(())
            },
        )?;
        c.rest("extension", &mut self.extension)
    }
}

/// Channel mapping of an Opus stream (family != 0).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpusChannelMapping {
    /// Number of Opus streams.
    pub stream_count: u8,
    /// Number of coupled (stereo) streams.
    pub coupled_count: u8,
    /// One entry per output channel.
    pub channel_mapping: Vec<u8>,
}

/// Opus specific box (`dOps`, Opus in ISOBMFF §4.3.2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DOps {
    /// 0.
    pub version: u8,
    /// Output channels.
    pub output_channel_count: u8,
    /// Samples to discard at the start (48 kHz).
    pub pre_skip: u16,
    /// Original input sample rate.
    pub input_sample_rate: u32,
    /// Output gain, Q7.8 dB.
    pub output_gain: i16,
    /// Channel mapping family.
    pub channel_mapping_family: u8,
    /// Mapping table when the family is not 0.
    pub mapping: Option<OpusChannelMapping>,
}

impl Atom for DOps {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"dOps")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u8("version", &mut self.version)?;
        c.u8("output_channel_count", &mut self.output_channel_count)?;
        c.u16("pre_skip", &mut self.pre_skip)?;
        c.u32("input_sample_rate", &mut self.input_sample_rate)?;
        c.i16("output_gain", &mut self.output_gain)?;
        c.u8("channel_mapping_family", &mut self.channel_mapping_family)?;
        let channels = self.output_channel_count as usize;
        c.opt(
            self.channel_mapping_family != 0,
            &mut self.mapping,
            |c, m| {
                c.u8("stream_count", &mut m.stream_count)?;
                c.u8("coupled_count", &mut m.coupled_count)?;
                c.list(
                    "channel_mapping",
                    channels,
                    1,
                    &mut m.channel_mapping,
                    |c, x| c.u8("channel", x),
                )
            },
        )
    }
}

/// Bit rate box (`btrt`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Btrt {
    /// Decoder buffer size in bytes.
    pub buffer_size_db: u32,
    /// Maximum rate in bit/s over any one-second window.
    pub max_bitrate: u32,
    /// Average rate in bit/s.
    pub avg_bitrate: u32,
}

impl Atom for Btrt {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"btrt")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u32("buffer_size_db", &mut self.buffer_size_db)?;
        c.u32("max_bitrate", &mut self.max_bitrate)?;
        c.u32("avg_bitrate", &mut self.avg_bitrate)
    }
}

/// Pixel aspect ratio (`pasp`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pasp {
    /// Horizontal spacing.
    pub h_spacing: u32,
    /// Vertical spacing.
    pub v_spacing: u32,
}

impl Atom for Pasp {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"pasp")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u32("h_spacing", &mut self.h_spacing)?;
        c.u32("v_spacing", &mut self.v_spacing)
    }
}

/// Colour information (`colr`): `nclx` (ISO), `nclc` (QuickTime) or an ICC profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Colr {
    /// `nclx`, `nclc`, `rICC` or `prof`.
    pub colour_type: FourCC,
    /// Colour primaries (nclx/nclc).
    pub colour_primaries: u16,
    /// Transfer characteristics (nclx/nclc).
    pub transfer_characteristics: u16,
    /// Matrix coefficients (nclx/nclc).
    pub matrix_coefficients: u16,
    /// Full range (nclx).
    pub full_range_flag: bool,
    /// ICC profile (rICC/prof).
    pub icc_profile: Bytes,
}

impl Atom for Colr {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"colr")];
    const ESSENTIAL: bool = false;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.fourcc("colour_type", &mut self.colour_type)?;
        match &self.colour_type.0 {
            b"nclx" | b"nclc" => {
                c.u16("colour_primaries", &mut self.colour_primaries)?;
                c.u16(
                    "transfer_characteristics",
                    &mut self.transfer_characteristics,
                )?;
                c.u16("matrix_coefficients", &mut self.matrix_coefficients)?;
                if self.colour_type == FourCC::new(b"nclx") {
                    c.bits(1, |b| {
                        b.flag("full_range_flag", &mut self.full_range_flag)?;
                        b.reserved(7, 0)
                    })?;
                }
                Ok(())
            }
            _ => c.rest("icc_profile", &mut self.icc_profile),
        }
    }
}

/// Field handling (`fiel`, QuickTime): progressive (1 field) or interlaced (2) and the order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fiel {
    /// 1 = progressive, 2 = interlaced.
    pub fields: u8,
    /// Field order / detail (0 for progressive).
    pub detail: u8,
}

impl Atom for Fiel {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"fiel")];
    const ESSENTIAL: bool = false;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u8("fields", &mut self.fields)?;
        c.u8("detail", &mut self.detail)
    }
}

/// Clean aperture (`clap`): the displayed area as fractions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clap {
    /// cleanApertureWidthN.
    pub width_n: u32,
    /// cleanApertureWidthD.
    pub width_d: u32,
    /// cleanApertureHeightN.
    pub height_n: u32,
    /// cleanApertureHeightD.
    pub height_d: u32,
    /// horizOffN.
    pub horiz_off_n: u32,
    /// horizOffD.
    pub horiz_off_d: u32,
    /// vertOffN.
    pub vert_off_n: u32,
    /// vertOffD.
    pub vert_off_d: u32,
}

impl Atom for Clap {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"clap")];
    const ESSENTIAL: bool = false;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.u32("width_n", &mut self.width_n)?;
        c.u32("width_d", &mut self.width_d)?;
        c.u32("height_n", &mut self.height_n)?;
        c.u32("height_d", &mut self.height_d)?;
        c.u32("horiz_off_n", &mut self.horiz_off_n)?;
        c.u32("horiz_off_d", &mut self.horiz_off_d)?;
        c.u32("vert_off_n", &mut self.vert_off_n)?;
        c.u32("vert_off_d", &mut self.vert_off_d)
    }
}
