//! Init-segment protection boxes.

use bmff::{
    AnyBox, AudioSampleEntry, FourCC, Frma, HasChildren, Mdia, Minf, Moov, Pssh, Schi, Schm,
    SeigEntry, Sinf, Stbl, Stsd, Tenc, Trak, VisualSampleEntry,
};
use bytes::Bytes;
use keys::KeyId;

use crate::encryptor::TrackEncryptionInfo;
use crate::error::CencError;
use crate::pssh::{PsshInfo, SystemId};

/// The `tenc` box for a track's encryption parameters (version 1 for pattern schemes).
pub fn tenc_box(info: &TrackEncryptionInfo) -> Tenc {
    Tenc {
        version: info.tenc_version(),
        default_crypt_byte_block: info.pattern.crypt_blocks(),
        default_skip_byte_block: info.pattern.skip_blocks(),
        default_is_protected: 1,
        default_per_sample_iv_size: info.per_sample_iv_size,
        default_kid: *info.kid.as_bytes(),
        default_constant_iv: info
            .constant_iv
            .map(|iv| Bytes::copy_from_slice(iv.as_bytes())),
    }
}

/// The `seig` sample group entry (key rotation) for the same parameters.
pub fn seig_entry(info: &TrackEncryptionInfo) -> SeigEntry {
    let t = tenc_box(info);
    SeigEntry {
        crypt_byte_block: t.default_crypt_byte_block,
        skip_byte_block: t.default_skip_byte_block,
        is_protected: 1,
        per_sample_iv_size: t.default_per_sample_iv_size,
        kid: t.default_kid,
        constant_iv: t.default_constant_iv,
    }
}

/// The encrypted form of a sample entry: `encv` (visual) or `enca` (audio) with `sinf`
/// (`frma` = the original code, `schm`, `schi/tenc`) appended as the last child.
pub fn protect_sample_entry(
    entry: &AnyBox,
    info: &TrackEncryptionInfo,
) -> Result<AnyBox, CencError> {
    let original = entry.kind();
    let mut sinf = Sinf::default();
    sinf.push(Frma {
        data_format: original,
    });
    sinf.push(Schm {
        scheme_type: FourCC(info.scheme.fourcc()),
        scheme_version: 0x0001_0000,
        scheme_uri: None,
    });
    let mut schi = Schi::default();
    schi.push(tenc_box(info));
    sinf.push(schi);
    let mut out = entry.clone();
    match &mut out {
        AnyBox::Visual(v) => {
            v.kind = FourCC::new(b"encv");
            v.push(sinf);
        }
        AnyBox::Audio(a) => {
            a.kind = FourCC::new(b"enca");
            a.push(sinf);
        }
        other => {
            return Err(CencError::UnsupportedCodec {
                codec: "sample entry",
                reason: if other.kind() == FourCC::new(b"encv")
                    || other.kind() == FourCC::new(b"enca")
                {
                    "the track is already encrypted"
                } else {
                    "only visual and audio sample entries are encrypted (subtitles stay clear)"
                },
            });
        }
    }
    Ok(out)
}

/// The clear form of an `encv`/`enca` entry: the `frma` code back, `sinf` removed. Clear
/// entries are returned unchanged.
pub fn unprotect_sample_entry(entry: &AnyBox) -> AnyBox {
    let mut out = entry.clone();
    let restore = |children: &mut Vec<AnyBox>, kind: &mut FourCC| {
        if let Some(f) = children
            .iter()
            .find_map(|c| c.as_typed::<Sinf>())
            .and_then(|s| s.get::<Frma>())
        {
            *kind = f.data_format;
        }
        children.retain(|c| c.kind() != FourCC::new(b"sinf"));
    };
    match &mut out {
        AnyBox::Visual(VisualSampleEntry { kind, children, .. })
        | AnyBox::Audio(AudioSampleEntry { kind, children, .. }) => restore(children, kind),
        _ => {}
    }
    out
}

/// Frames PSSH contents as a `pssh` box.
pub fn pssh_box(info: &PsshInfo) -> Pssh {
    Pssh {
        version: info.box_version(),
        system_id: info.system_id.0,
        kids: info.kids.iter().map(|k| *k.as_bytes()).collect(),
        data: Bytes::from(info.data.clone()),
    }
}

/// The contents of a `pssh` box.
pub fn pssh_info(b: &Pssh) -> PsshInfo {
    PsshInfo {
        system_id: SystemId(b.system_id),
        kids: b.kids.iter().map(|k| KeyId(*k)).collect(),
        data: b.data.to_vec(),
    }
}

/// Protects the init segment `moov` of one track: every sample entry becomes `encv`/`enca`
/// with `sinf`, and `psshs` replace any `pssh` boxes (placed after `mvhd`).
pub fn protect_init(
    moov: &mut Moov,
    info: &TrackEncryptionInfo,
    psshs: &[PsshInfo],
) -> Result<(), CencError> {
    for trak in moov.all_mut::<Trak>() {
        let stsd = trak
            .get_mut::<Mdia>()
            .and_then(|m| m.get_mut::<Minf>())
            .and_then(|m| m.get_mut::<Stbl>())
            .and_then(|s| s.get_mut::<Stsd>())
            .ok_or(bmff::Error::MissingBox {
                kind: FourCC::new(b"stsd"),
                context: " in the init segment".into(),
            })?;
        for entry in &mut stsd.children {
            *entry = protect_sample_entry(entry, info)?;
        }
    }
    moov.remove_all::<Pssh>();
    let at = moov
        .children
        .iter()
        .position(|b| b.kind() == FourCC::new(b"mvhd"))
        .map_or(0, |i| i + 1);
    for (i, p) in psshs.iter().enumerate() {
        moov.children.insert(at + i, pssh_box(p).into());
    }
    Ok(())
}
