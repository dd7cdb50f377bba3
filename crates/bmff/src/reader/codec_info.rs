//! What codec a sample entry holds, and its RFC 6381 `codecs` string (for MPD/HLS).

use std::fmt::Write as _;

use crate::{AnyBox, Av1C, AvcC, Esds, FourCC, Frma, HasChildren, HvcC, Sinf, VpcC};

/// The codec family of a sample entry (encrypted entries report their original codec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecKind {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC.
    H265,
    /// VP9.
    Vp9,
    /// AV1.
    Av1,
    /// MPEG-4 audio (AAC).
    Aac,
    /// Dolby AC-3.
    Ac3,
    /// Dolby E-AC-3.
    Eac3,
    /// Opus.
    Opus,
    /// FLAC.
    Flac,
    /// WebVTT in MP4.
    WebVtt,
    /// TTML in MP4.
    Ttml,
    /// Anything else (the sample entry code).
    Other(FourCC),
}

/// The original format of a sample entry: its code, or `frma` for `encv`/`enca`.
pub(crate) fn original_format(entry: &AnyBox) -> FourCC {
    let kind = entry.kind();
    if kind == FourCC::new(b"encv") || kind == FourCC::new(b"enca") {
        let frma = entry
            .children()
            .iter()
            .find_map(|c| c.as_typed::<Sinf>())
            .and_then(|s| s.get::<Frma>());
        if let Some(f) = frma {
            return f.data_format;
        }
    }
    kind
}

impl CodecKind {
    /// The codec of a sample entry.
    pub fn of(entry: &AnyBox) -> CodecKind {
        match &original_format(entry).0 {
            b"avc1" | b"avc2" | b"avc3" | b"avc4" => CodecKind::H264,
            b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => CodecKind::H265,
            b"vp09" => CodecKind::Vp9,
            b"av01" => CodecKind::Av1,
            b"mp4a" => CodecKind::Aac,
            b"ac-3" => CodecKind::Ac3,
            b"ec-3" => CodecKind::Eac3,
            b"Opus" => CodecKind::Opus,
            b"fLaC" => CodecKind::Flac,
            b"wvtt" => CodecKind::WebVtt,
            b"stpp" => CodecKind::Ttml,
            _ => CodecKind::Other(original_format(entry)),
        }
    }
}

fn child<T: crate::TypedBox>(entry: &AnyBox) -> Option<&T> {
    entry.children().iter().find_map(|c| c.as_typed::<T>())
}

/// The RFC 6381 `codecs` parameter of a sample entry (`avc1.64001f`, `mp4a.40.2`,
/// `hvc1.1.6.L93.B0`, ...), or `None` when its configuration box is missing.
pub fn codec_string(entry: &AnyBox) -> Option<String> {
    let fmt = original_format(entry);
    let name = fmt.to_string();
    match CodecKind::of(entry) {
        CodecKind::H264 => {
            let c = child::<AvcC>(entry)?;
            Some(format!(
                "{name}.{:02x}{:02x}{:02x}",
                c.profile_indication, c.profile_compatibility, c.level_indication
            ))
        }
        CodecKind::H265 => {
            let c = child::<HvcC>(entry)?;
            Some(hevc_string(&name, c))
        }
        CodecKind::Vp9 => {
            let c = child::<VpcC>(entry)?;
            Some(format!(
                "vp09.{:02}.{:02}.{:02}",
                c.profile, c.level, c.bit_depth
            ))
        }
        CodecKind::Av1 => {
            let c = child::<Av1C>(entry)?;
            let depth = if c.twelve_bit {
                12
            } else if c.high_bitdepth {
                10
            } else {
                8
            };
            Some(format!(
                "av01.{}.{:02}{}.{:02}",
                c.seq_profile,
                c.seq_level_idx_0,
                if c.seq_tier_0 { 'H' } else { 'M' },
                depth
            ))
        }
        CodecKind::Aac => {
            let esds = child::<Esds>(entry)?;
            let dc = esds.decoder_config()?;
            if dc.object_type_indication != 0x40 {
                return Some(format!("mp4a.{:02x}", dc.object_type_indication));
            }
            let aot = esds
                .decoder_specific_info()
                .and_then(|d| aac_object_type(d))
                .unwrap_or(2);
            Some(format!("mp4a.40.{aot}"))
        }
        CodecKind::Ac3 => Some("ac-3".into()),
        CodecKind::Eac3 => Some("ec-3".into()),
        CodecKind::Opus => Some("opus".into()),
        CodecKind::Flac => Some("flac".into()),
        CodecKind::WebVtt => Some("wvtt".into()),
        CodecKind::Ttml => Some("stpp.ttml.im1t".into()),
        CodecKind::Other(_) => None,
    }
}

/// The audio object type from an AudioSpecificConfig (5 bits; 31 escapes to 32 + 6 bits).
pub(crate) fn aac_object_type(asc: &[u8]) -> Option<u8> {
    let b0 = *asc.first()?;
    let aot = b0 >> 3;
    if aot != 31 {
        return Some(aot);
    }
    let b1 = *asc.get(1)?;
    Some(32 + (((b0 & 7) << 3) | (b1 >> 5)))
}

fn hevc_string(name: &str, c: &HvcC) -> String {
    // ISO/IEC 14496-15 Annex E.3.
    let space = match c.general_profile_space {
        1 => "A",
        2 => "B",
        3 => "C",
        _ => "",
    };
    let compat = c.general_profile_compatibility_flags.reverse_bits();
    let mut s = format!(
        "{name}.{space}{}.{compat:x}.{}{}",
        c.general_profile_idc,
        if c.general_tier_flag { 'H' } else { 'L' },
        c.general_level_idc
    );
    let flags = &c.general_constraint_indicator_flags;
    let keep = flags.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    for b in &flags[..keep] {
        let _ = write!(s, ".{b:X}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_object_types() {
        assert_eq!(aac_object_type(&[0x11, 0x90]), Some(2)); // AAC-LC 48 kHz stereo
        assert_eq!(aac_object_type(&[0x2b, 0x92]), Some(5)); // SBR
        assert_eq!(aac_object_type(&[0xf8, 0x40]), Some(34)); // escape: 32 + 2
    }

    #[test]
    fn hevc_main_profile_string() {
        let c = HvcC {
            general_profile_idc: 1,
            general_profile_compatibility_flags: 0x6000_0000,
            general_level_idc: 93,
            general_constraint_indicator_flags: [0xb0, 0, 0, 0, 0, 0],
            ..Default::default()
        };
        assert_eq!(hevc_string("hvc1", &c), "hvc1.1.6.L93.B0");
    }
}
