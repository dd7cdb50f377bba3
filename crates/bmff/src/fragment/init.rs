//! Init segments: `ftyp` + `moov` with `mvex` and empty sample tables, for one track.

use crate::reader::Track;
use crate::{
    AnyBox, Dinf, Dref, Edts, FileType, FourCC, HasChildren, Hdlr, Mdhd, Mdia, Mehd, Minf, Moov,
    Mvex, Mvhd, Nmhd, Pssh, Result, Smhd, Stbl, Stco, Sthd, Stsc, Stsd, Stsz, Stts, Tkhd, Trak,
    Trex, Vmhd,
};

/// Options of an init segment.
#[derive(Clone, Debug, Default)]
pub struct InitOptions {
    /// Whole duration of the presentation in the movie timescale, written as `mehd`
    /// (omitted when 0).
    pub fragment_duration: u64,
    /// Copy `pssh` boxes of the input `moov`.
    pub keep_pssh: bool,
}

/// The `ftyp` and `moov` of an init segment for `tracks` (one, for DASH/CMAF; several for a
/// single-file fragmented MP4) of a movie with `mvhd`.
///
/// Each track keeps its header, edit list, handler, media header and sample entries; its
/// sample tables are empty and `mvex/trex` announces fragments.
pub fn init_segment(
    mvhd: &Mvhd,
    tracks: &[&Track],
    input_moov: &Moov,
    opts: &InitOptions,
) -> Result<(FileType, Moov)> {
    let ftyp = FileType::new(b"ftyp", b"iso6", 0, &[b"iso6", b"mp41", b"dash", b"cmfc"]);
    let mut moov = Moov::default();
    moov.push(Mvhd {
        duration: 0,
        next_track_id: tracks.iter().map(|t| t.id).max().unwrap_or(0) + 1,
        ..mvhd.clone()
    });
    if opts.keep_pssh {
        for p in input_moov.all::<Pssh>() {
            moov.push(p.clone());
        }
    }
    for track in tracks {
        moov.push(init_trak(track)?);
    }
    let mut mvex = Mvex::default();
    if opts.fragment_duration > 0 {
        mvex.push(Mehd {
            version: 0,
            fragment_duration: opts.fragment_duration,
        });
    }
    for track in tracks {
        mvex.push(Trex {
            track_id: track.id,
            default_sample_description_index: 1,
            ..Default::default()
        });
    }
    moov.push(mvex);
    Ok((ftyp, moov))
}

fn init_trak(track: &Track) -> Result<Trak> {
    let src = &track.trak;
    let src_mdia = src.require::<Mdia>()?;
    let src_minf = src_mdia.require::<Minf>()?;
    let mut trak = Trak::default();
    trak.push(Tkhd {
        duration: 0,
        ..src.require::<Tkhd>()?.clone()
    });
    if let Some(edts) = src.get::<Edts>() {
        trak.push(edts.clone());
    }
    let mut mdia = Mdia::default();
    mdia.push(Mdhd {
        duration: 0,
        ..src_mdia.require::<Mdhd>()?.clone()
    });
    mdia.push(src_mdia.require::<Hdlr>()?.clone());
    let mut minf = Minf::default();
    // The media header that matches the handler.
    let header = src_minf.children.iter().find(|b| {
        matches!(
            &b.kind().0,
            b"vmhd" | b"smhd" | b"sthd" | b"nmhd" | b"hmhd" | b"gmhd"
        )
    });
    match header {
        Some(h) => minf.children.push(h.clone()),
        None if track.is_video() => minf.push(Vmhd::default()),
        None if track.is_audio() => minf.push(Smhd::default()),
        None if track.handler == FourCC::new(b"subt") => minf.push(Sthd),
        None => minf.push(Nmhd),
    }
    let mut dinf = Dinf::default();
    dinf.push(Dref::self_contained());
    minf.push(dinf);
    let mut stbl = Stbl::default();
    stbl.push(Stsd {
        version: 0,
        children: track.sample_entries.clone(),
    });
    stbl.push(Stts::default());
    stbl.push(Stsc::default());
    stbl.push(Stsz::default());
    stbl.push(Stco::default());
    minf.push(stbl);
    mdia.push(minf);
    trak.push(mdia);
    Ok(trak)
}

/// Encodes an init segment to bytes.
pub fn encode_init(ftyp: &FileType, moov: &Moov) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    crate::encode_box(&AnyBox::from(ftyp.clone()), &mut out)?;
    crate::encode_box(&AnyBox::from(moov.clone()), &mut out)?;
    Ok(out)
}
