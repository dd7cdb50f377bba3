//! Samples of fragmented files: every `moof` is indexed once into a compact per-sample table.

use super::Sample;
use super::track::Track;
use crate::{
    Error, FourCC, HasChildren, Moof, Result, Sbgp, SeigEntry, Senc, SencSample, Sgpd, Tfdt, Tfhd,
    Traf, Trex, Trun, limits,
};

/// The `moof` boxes of a file, in order, until the tracks are built.
#[derive(Debug, Default)]
pub(crate) struct FragmentIndex {
    moofs: Vec<(u64, u64, Moof)>,
}

/// One sample of a fragmented track.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FragSample {
    pub(crate) offset: u64,
    pub(crate) dts: u64,
    pub(crate) size: u32,
    pub(crate) duration: u32,
    pub(crate) cts_offset: i32,
    pub(crate) flags: u32,
    pub(crate) description_index: u32,
    /// Index+1 into `seig` (0 = track default).
    pub(crate) group: u32,
}

/// All samples of one fragmented track.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrackFragments {
    pub(crate) samples: Vec<FragSample>,
    aux: Vec<SencSample>,
    seig: Vec<SeigEntry>,
}

impl TrackFragments {
    pub(crate) fn aux(&self, index: u64) -> Option<&SencSample> {
        self.aux.get(index as usize)
    }

    pub(crate) fn key_id(&self, index: u64) -> Option<[u8; 16]> {
        let g = self.samples.get(index as usize)?.group;
        (g > 0).then(|| self.seig.get(g as usize - 1).map(|e| e.kid))?
    }
}

fn invalid(kind: &[u8; 4], offset: u64, reason: String) -> Error {
    Error::Invalid {
        kind: FourCC::new(kind),
        offset,
        reason,
    }
}

impl FragmentIndex {
    pub(crate) fn add_moof(&mut self, moof: Moof, offset: u64, size: u64) -> Result<()> {
        self.moofs.push((offset, size, moof));
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.moofs.is_empty()
    }

    /// Builds the sample table of `track` from every `moof`.
    pub(crate) fn track(
        &self,
        track: &Track,
        trex: &Trex,
        file_size: u64,
    ) -> Result<TrackFragments> {
        let iv_size = track
            .encryption()
            .map(|e| e.tenc.default_per_sample_iv_size);
        let mut out = TrackFragments::default();
        let mut dts = 0u64;
        for (moof_offset, _size, moof) in &self.moofs {
            // Without explicit bases, each traf's data follows the previous traf's.
            let mut prev_end = *moof_offset;
            for traf in moof.all::<Traf>() {
                let tfhd = traf.get::<Tfhd>().ok_or_else(|| Error::MissingBox {
                    kind: FourCC::new(b"tfhd"),
                    context: format!(" in moof at {moof_offset}"),
                })?;
                let base = if let Some(b) = tfhd.base_data_offset {
                    b
                } else if tfhd.default_base_is_moof {
                    *moof_offset
                } else {
                    prev_end
                };
                let mine = tfhd.track_id == track.id;
                let sdi = tfhd
                    .sample_description_index
                    .unwrap_or(trex.default_sample_description_index);
                let def_dur = tfhd
                    .default_sample_duration
                    .unwrap_or(trex.default_sample_duration);
                let def_size = tfhd.default_sample_size.unwrap_or(trex.default_sample_size);
                let def_flags = tfhd
                    .default_sample_flags
                    .unwrap_or(trex.default_sample_flags);
                if mine && let Some(t) = traf.get::<Tfdt>() {
                    dts = t.base_media_decode_time;
                }
                let first_in_traf = out.samples.len();
                let mut data = base;
                for trun in traf.all::<Trun>() {
                    if let Some(o) = trun.data_offset {
                        data = base.checked_add_signed(o as i64).ok_or_else(|| {
                            invalid(b"trun", *moof_offset, "data offset before the file".into())
                        })?;
                    }
                    for (i, e) in trun.entries.iter().enumerate() {
                        let size = e.size.unwrap_or(def_size);
                        if size > limits::MAX_SAMPLE_SIZE {
                            return Err(Error::Limit {
                                kind: FourCC::new(b"trun"),
                                offset: *moof_offset,
                                what: "sample size",
                            });
                        }
                        let duration = e.duration.unwrap_or(def_dur);
                        let flags = match (i, trun.first_sample_flags) {
                            (0, Some(f)) => f,
                            _ => e.flags.unwrap_or(def_flags),
                        };
                        let cto = e.composition_time_offset.unwrap_or(0);
                        if data.saturating_add(size as u64) > file_size {
                            return Err(Error::Truncated {
                                kind: FourCC::new(b"mdat"),
                                offset: data,
                                needed: size as u64,
                                available: file_size.saturating_sub(data),
                            });
                        }
                        if mine {
                            // Every sample but empty ones occupies a byte of the file.
                            if out.samples.len() as u64
                                >= file_size + limits::MAX_EMPTY_ITEMS as u64
                            {
                                return Err(Error::Limit {
                                    kind: FourCC::new(b"trun"),
                                    offset: *moof_offset,
                                    what: "number of samples",
                                });
                            }
                            out.samples.push(FragSample {
                                offset: data,
                                dts,
                                size,
                                duration,
                                cts_offset: cto,
                                flags,
                                description_index: sdi,
                                group: 0,
                            });
                            dts += duration as u64;
                        }
                        data += size as u64;
                    }
                    // An unsigned (version 0) offset is stored as its bit pattern.
                    if mine && trun.version == 0 {
                        for s in &mut out.samples[first_in_traf..] {
                            if s.cts_offset < 0 {
                                return Err(invalid(
                                    b"trun",
                                    *moof_offset,
                                    "version 0 composition offset over 2^31".into(),
                                ));
                            }
                        }
                    }
                }
                prev_end = data;
                if mine {
                    let n = out.samples.len() - first_in_traf;
                    if let (Some(senc), Some(iv)) = (traf.get::<Senc>(), iv_size) {
                        add_aux(&mut out.aux, senc, iv, n, first_in_traf, *moof_offset)?;
                    }
                    add_groups(&mut out, traf, first_in_traf)?;
                }
            }
        }
        Ok(out)
    }
}

fn add_aux(
    aux: &mut Vec<SencSample>,
    senc: &Senc,
    iv_size: u8,
    n: usize,
    first: usize,
    at: u64,
) -> Result<()> {
    let records = senc.samples(iv_size)?;
    if records.len() != n {
        return Err(invalid(
            b"senc",
            at,
            format!("{} records for {n} samples", records.len()),
        ));
    }
    aux.resize(first, SencSample::default());
    aux.extend(records);
    Ok(())
}

fn add_groups(out: &mut TrackFragments, traf: &Traf, first: usize) -> Result<()> {
    let seig = FourCC::new(b"seig");
    let Some(sbgp) = traf.all::<Sbgp>().find(|s| s.grouping_type == seig) else {
        return Ok(());
    };
    let local: Vec<SeigEntry> = traf
        .all::<Sgpd>()
        .filter(|s| s.grouping_type == seig)
        .flat_map(|s| s.entries.iter())
        .map(SeigEntry::parse)
        .collect::<Result<_>>()?;
    let base = out.seig.len() as u32;
    out.seig.extend(local.iter().cloned());
    let mut i = first;
    for e in &sbgp.entries {
        let group = match e.group_description_index {
            0 => 0,
            g if g > 0x10000 => base + (g - 0x10000),
            _ => 0, // movie-level sgpd: not used by packagers we read
        };
        for _ in 0..e.sample_count {
            if let Some(s) = out.samples.get_mut(i) {
                s.group = group;
            }
            i += 1;
        }
    }
    Ok(())
}

/// Walks a [`TrackFragments`].
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    t: &'a TrackFragments,
    track_id: u32,
    index: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(t: &'a TrackFragments, track_id: u32) -> Self {
        Cursor {
            t,
            track_id,
            index: 0,
        }
    }

    /// Resumes a walk at sample `index`.
    pub(crate) fn resume(t: &'a TrackFragments, track_id: u32, index: usize) -> Self {
        Cursor { t, track_id, index }
    }

    /// Index of the next sample.
    pub(crate) fn state(&self) -> usize {
        self.index
    }

    pub(crate) fn next_sample(&mut self) -> Result<Option<Sample>> {
        let Some(s) = self.t.samples.get(self.index) else {
            return Ok(None);
        };
        let sample = Sample {
            track_id: self.track_id,
            index: self.index as u64,
            dts: s.dts,
            cts_offset: s.cts_offset as i64,
            duration: s.duration,
            is_sync: crate::SampleFlags(s.flags).is_sync(),
            size: s.size,
            offset: s.offset,
            description_index: s.description_index,
        };
        self.index += 1;
        Ok(Some(sample))
    }
}
