//! The read-back self-check of a written DASH package (on by default, `--no-verify` skips
//! it): the MPD as written is parsed, and every init segment and every listed media segment
//! is read back in strict mode and compared with what the input holds.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use bmff::file::{TopLevel, TopLevelReader};
use bmff::reader::{Mp4Reader, SampleIter};
use bmff::{
    AnyBox, DecodeOptions, HasChildren, Mfhd, Moof, Pssh, Saio, Saiz, Senc, Tfdt, Tfhd, Traf, Trun,
    encode_box, encoded_size,
};
use keys::KeyId;

use super::manifest::RepresentationOutput;
use super::mpd::{Addressing, ContentProtection, Mpd};
use super::protection::KeySignalling;
use crate::error::Error;

const AT: &str = "packager::dash::verify::check";

fn fail(reason: impl Into<String>) -> Error {
    Error::Verify {
        reason: reason.into(),
        at: AT,
    }
}

/// What one Representation must contain.
pub(crate) struct Expectation<'r> {
    id: String,
    kid: Option<KeyId>,
    /// Base64 of the `pssh` boxes the init segment and the MPD must both carry.
    pssh: BTreeSet<String>,
    /// Per segment: start, duration, number of samples.
    segments: Vec<(u64, u64, u32)>,
    /// The input track's samples, read segment by segment for their sizes.
    samples: SampleIter<'r>,
}

impl<'r> Expectation<'r> {
    /// What `o`, written from a track of `input`, must contain.
    pub(crate) fn of<R: Read + Seek>(
        o: &RepresentationOutput<'_>,
        input: &'r Mp4Reader<R>,
        signals: &HashMap<KeyId, KeySignalling>,
    ) -> Result<Self, Error> {
        let segments = o
            .segments
            .iter()
            .map(|s| (s.start, s.duration, s.samples))
            .collect();
        let samples = input
            .samples(o.track.track.id)
            .map_err(|e| fail(format!("{}: input samples: {e}", o.track.id)))?;
        let pssh = o
            .key
            .and_then(|k| signals.get(&k))
            .map(|s| {
                s.descriptors
                    .iter()
                    .filter_map(|d| match d {
                        ContentProtection::System { pssh: Some(p), .. } => Some(p.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Expectation {
            id: o.track.id.clone(),
            kid: o.key,
            pssh,
            segments,
            samples,
        })
    }

    /// The sizes of the input's next `n` samples.
    fn next_sizes(&mut self, n: u32) -> Result<Vec<u32>, Error> {
        let sizes = (&mut self.samples)
            .take(n as usize)
            .map(|s| s.map(|s| s.size))
            .collect::<bmff::Result<Vec<u32>>>()
            .map_err(|e| fail(format!("{}: input samples: {e}", self.id)))?;
        if sizes.len() != n as usize {
            return Err(fail(format!(
                "{}: the input has fewer samples than were written",
                self.id
            )));
        }
        Ok(sizes)
    }
}

/// Checks the package in `dir` against `expect`.
pub(crate) fn check(
    dir: &Path,
    manifest: &str,
    expect: &mut [Expectation<'_>],
) -> Result<(), Error> {
    let xml = std::fs::read_to_string(dir.join(manifest))
        .map_err(|e| fail(format!("cannot read {manifest}: {e}")))?;
    let mpd = Mpd::parse(&xml).map_err(|e| fail(e.to_string()))?;
    let mut seen = BTreeSet::new();
    for set in &mpd.adaptation_sets {
        let kid = set.content_protection.iter().find_map(|c| match c {
            ContentProtection::Mp4Protection { default_kid, .. } => Some(*default_kid),
            _ => None,
        });
        let mpd_pssh: BTreeSet<String> = set
            .content_protection
            .iter()
            .filter_map(|c| match c {
                ContentProtection::System { pssh: Some(p), .. } => Some(p.clone()),
                _ => None,
            })
            .collect();
        for rep in &set.representations {
            match &rep.addressing {
                Addressing::BaseUrl(url) => {
                    let data = std::fs::read(dir.join(url))
                        .map_err(|e| fail(format!("{url} listed in the MPD: {e}")))?;
                    let body = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&data);
                    if !body.starts_with(b"WEBVTT") {
                        return Err(fail(format!("{url} is not WebVTT")));
                    }
                }
                Addressing::Template(tpl) => {
                    let e = expect.iter_mut().find(|e| e.id == rep.id).ok_or_else(|| {
                        fail(format!("MPD lists unknown representation {}", rep.id))
                    })?;
                    if kid != e.kid {
                        return Err(fail(format!(
                            "{}: MPD default_KID {kid:?}, expected {:?}",
                            rep.id, e.kid
                        )));
                    }
                    if mpd_pssh != e.pssh {
                        return Err(fail(format!(
                            "{}: MPD cenc:pssh differ from the keys' PSSH",
                            rep.id
                        )));
                    }
                    check_representation(dir, &rep.id, tpl, e)?;
                    seen.insert(rep.id.clone());
                }
            }
        }
    }
    for e in expect.iter() {
        if !seen.contains(&e.id) {
            return Err(fail(format!(
                "representation {} is missing from the MPD",
                e.id
            )));
        }
    }
    Ok(())
}

fn check_representation(
    dir: &Path,
    id: &str,
    tpl: &super::mpd::SegmentTemplate,
    e: &mut Expectation<'_>,
) -> Result<(), Error> {
    let init_path = dir.join(tpl.init_url(id));
    let init =
        std::fs::read(&init_path).map_err(|err| fail(format!("{}: {err}", init_path.display())))?;
    let reader = Mp4Reader::open_with(Cursor::new(&init), DecodeOptions::strict())
        .map_err(|err| fail(format!("{id}/init: {err}")))?;
    let track = reader
        .tracks()
        .first()
        .ok_or_else(|| fail(format!("{id}/init: no track")))?;
    let enc = track.encryption();
    if enc.as_ref().map(|x| KeyId(x.tenc.default_kid)) != e.kid {
        return Err(fail(format!(
            "{id}/init: tenc KID differs from the MPD's default_KID"
        )));
    }
    let init_pssh: BTreeSet<String> = reader
        .moov()
        .all::<Pssh>()
        .map(|p| {
            let mut b = Vec::new();
            encode_box(&AnyBox::from(p.clone()), &mut b).expect("a parsed pssh encodes");
            keys::to_base64(&b)
        })
        .collect();
    if init_pssh != e.pssh {
        return Err(fail(format!(
            "{id}/init: pssh boxes differ from the MPD's cenc:pssh"
        )));
    }
    let iv_size = enc.as_ref().map(|x| x.tenc.default_per_sample_iv_size);
    let listed = tpl.segments();
    if listed.len() != e.segments.len() {
        return Err(fail(format!(
            "{id}: MPD lists {} segments, {} were written",
            listed.len(),
            e.segments.len()
        )));
    }
    let mut expected_start = e.segments.first().map_or(0, |s| s.0);
    for (i, (number, t, d)) in listed.iter().enumerate() {
        let (start, duration, count) = e.segments[i];
        let (start, duration) = (&start, &duration);
        let sizes = &e.next_sizes(count)?;
        let name = tpl.media_url(id, *number);
        if *t != *start || *d != *duration || *t != expected_start {
            return Err(fail(format!(
                "{name}: MPD says t={t} d={d}, written t={start} d={duration}, continuity expects t={expected_start}"
            )));
        }
        expected_start = t + d;
        check_segment(dir, &name, *number, track.id, *t, *d, sizes, iv_size)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn check_segment(
    dir: &Path,
    name: &str,
    number: u64,
    track_id: u32,
    t: u64,
    d: u64,
    sizes: &[u32],
    iv_size: Option<u8>,
) -> Result<(), Error> {
    let path = dir.join(name);
    let file = File::open(&path).map_err(|err| fail(format!("{name}: {err}")))?;
    let mut src = BufReader::new(file);
    let mut tl = TopLevelReader::new(&mut src, DecodeOptions::strict())
        .map_err(|err| fail(format!("{name}: {err}")))?;
    let mut moof: Option<(Moof, u64)> = None;
    let mut mdat: Option<u64> = None;
    while let Some(item) = tl
        .next_item(&mut src)
        .map_err(|err| fail(format!("{name}: {err}")))?
    {
        match item {
            TopLevel::Box {
                boxed: AnyBox::Moof(m),
                offset,
            } => {
                if moof.is_some() {
                    return Err(fail(format!("{name}: more than one moof")));
                }
                moof = Some((m, offset));
            }
            TopLevel::Payload { header, .. } if header.kind == bmff::FourCC::new(b"mdat") => {
                if moof.is_none() || mdat.is_some() {
                    return Err(fail(format!("{name}: mdat out of place")));
                }
                mdat = Some(header.body_len());
            }
            TopLevel::Box { boxed, .. } if matches!(&boxed.kind().0, b"styp" | b"sidx") => {}
            other => return Err(fail(format!("{name}: unexpected {} box", other.kind()))),
        }
    }
    let (moof, _) = moof.ok_or_else(|| fail(format!("{name}: no moof")))?;
    let mdat_len = mdat.ok_or_else(|| fail(format!("{name}: no mdat")))?;
    let bad = |what: String| fail(format!("{name}: {what}"));
    if moof.get::<Mfhd>().map(|m| m.sequence_number as u64) != Some(number) {
        return Err(bad("mfhd sequence number is not the segment number".into()));
    }
    let traf = moof.get::<Traf>().ok_or_else(|| bad("no traf".into()))?;
    let tfhd = traf.get::<Tfhd>().ok_or_else(|| bad("no tfhd".into()))?;
    if tfhd.track_id != track_id {
        return Err(bad(format!(
            "tfhd track {} is not {track_id}",
            tfhd.track_id
        )));
    }
    if traf.get::<Tfdt>().map(|x| x.base_media_decode_time) != Some(t) {
        return Err(bad(format!("tfdt is not the MPD's t={t}")));
    }
    let trun = traf.get::<Trun>().ok_or_else(|| bad("no trun".into()))?;
    let got_sizes: Vec<u32> = trun
        .entries
        .iter()
        .map(|x| x.size.or(tfhd.default_sample_size).unwrap_or(0))
        .collect();
    if got_sizes != sizes {
        return Err(bad(format!(
            "{} samples with sizes that differ from the input's {}",
            got_sizes.len(),
            sizes.len()
        )));
    }
    let dur: u64 = trun
        .entries
        .iter()
        .map(|x| x.duration.or(tfhd.default_sample_duration).unwrap_or(0) as u64)
        .sum();
    if dur != d {
        return Err(bad(format!("samples last {dur}, the MPD says {d}")));
    }
    let payload: u64 = sizes.iter().map(|&s| s as u64).sum();
    if mdat_len != payload {
        return Err(bad(format!(
            "mdat holds {mdat_len} bytes for {payload} bytes of samples"
        )));
    }
    let moof_size = encoded_size(&AnyBox::from(moof.clone())).map_err(|e| bad(e.to_string()))?;
    let mdat_header = if mdat_len + 8 > u32::MAX as u64 {
        16
    } else {
        8
    };
    if trun.data_offset != Some((moof_size + mdat_header) as i32) {
        return Err(bad(
            "trun data offset does not point at the mdat payload".into()
        ));
    }
    if let Some(iv_size) = iv_size {
        check_encryption(&moof, traf, sizes, iv_size).map_err(bad)?;
    }
    Ok(())
}

/// `senc` records match the samples, `saiz` their sizes and `saio` their place.
fn check_encryption(moof: &Moof, traf: &Traf, sizes: &[u32], iv_size: u8) -> Result<(), String> {
    let Some(senc) = traf.get::<Senc>() else {
        // Allowed only for a constant IV without subsamples (cbcs audio).
        return if iv_size == 0 && traf.get::<Saiz>().is_none() {
            Ok(())
        } else {
            Err("encrypted samples without senc".into())
        };
    };
    let records = senc.samples(iv_size).map_err(|e| e.to_string())?;
    if records.len() != sizes.len() {
        return Err(format!(
            "senc has {} records for {} samples",
            records.len(),
            sizes.len()
        ));
    }
    for (i, (r, &size)) in records.iter().zip(sizes).enumerate() {
        if !r.subsamples.is_empty() {
            let covered: u64 = r
                .subsamples
                .iter()
                .map(|s| s.clear as u64 + s.protected as u64)
                .sum();
            if covered != size as u64 {
                return Err(format!(
                    "sample {i}: subsamples cover {covered} of {size} bytes"
                ));
            }
        }
    }
    let saiz = traf.get::<Saiz>().ok_or("senc without saiz")?;
    if saiz.sample_count as usize != sizes.len() {
        return Err("saiz sample count differs from trun".into());
    }
    for (i, r) in records.iter().enumerate() {
        let want = r.iv_len as usize
            + if senc.use_subsamples {
                2 + 6 * r.subsamples.len()
            } else {
                0
            };
        let got = if saiz.default_sample_info_size != 0 {
            saiz.default_sample_info_size as usize
        } else {
            saiz.sample_info_sizes[i] as usize
        };
        if want != got {
            return Err(format!(
                "saiz size {got} for a {want}-byte senc record ({i})"
            ));
        }
    }
    let saio = traf.get::<Saio>().ok_or("senc without saio")?;
    let mut off = 8u64;
    let mut found = None;
    for child in &moof.children {
        if let AnyBox::Traf(t) = child {
            let mut inner = off + 8;
            for c in &t.children {
                if let AnyBox::Senc(s) = c {
                    found = Some(inner + s.first_record_offset());
                }
                inner += encoded_size(c).map_err(|e| e.to_string())?;
            }
        }
        off += encoded_size(child).map_err(|e| e.to_string())?;
    }
    if saio.offsets.first().copied() != found {
        return Err("saio does not point at the senc records".into());
    }
    Ok(())
}
