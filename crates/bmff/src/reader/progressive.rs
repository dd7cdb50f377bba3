//! Samples of a progressive (non-fragmented) track, computed on the fly from the sample
//! tables (`stts`, `ctts`, `stsc`, `stsz`/`stz2`, `stco`/`co64`, `stss`).

use std::io::{Read, Seek, SeekFrom};

use bytes::Bytes;

use super::Sample;
use super::track::Track;
use crate::{
    Co64, Ctts, Error, FourCC, HasChildren, Mdia, Minf, Result, Saio, Saiz, SencSample, Stbl, Stco,
    Stsc, StscEntry, Stss, Stsz, Stts, SttsEntry, Stz2, Trak, limits,
};

#[derive(Clone, Debug)]
enum Sizes {
    Constant { size: u32, count: u64 },
    Table(Vec<u32>),
}

/// The sample tables of one progressive track.
#[derive(Clone, Debug)]
pub(crate) struct ProgressiveTable {
    stts: Vec<SttsEntry>,
    ctts: Option<Ctts>,
    stsc: Vec<StscEntry>,
    sizes: Sizes,
    chunk_offsets: Vec<u64>,
    stss: Option<Vec<u32>>,
    aux: Vec<SencSample>,
}

fn bad(kind: &[u8; 4], id: u32, reason: String) -> Error {
    Error::Invalid {
        kind: FourCC::new(kind),
        offset: 0,
        reason: format!("track {id}: {reason}"),
    }
}

impl ProgressiveTable {
    pub(crate) fn from_trak<R: Read + Seek>(
        trak: &Trak,
        track: &Track,
        src: &mut R,
        file_size: u64,
    ) -> Result<Self> {
        let id = track.id;
        let stbl = trak
            .get::<Mdia>()
            .and_then(|m| m.get::<Minf>())
            .and_then(|m| m.get::<Stbl>())
            .ok_or_else(|| Error::MissingBox {
                kind: FourCC::new(b"stbl"),
                context: format!(" in track {id}"),
            })?;
        let need = |k: &[u8; 4]| Error::MissingBox {
            kind: FourCC::new(k),
            context: format!(" in track {id}"),
        };
        let stts = stbl
            .get::<Stts>()
            .ok_or_else(|| need(b"stts"))?
            .entries
            .clone();
        let stsc = stbl
            .get::<Stsc>()
            .ok_or_else(|| need(b"stsc"))?
            .entries
            .clone();
        let sizes = if let Some(s) = stbl.get::<Stsz>() {
            if s.sample_size == 0 {
                Sizes::Table(s.entry_sizes.clone())
            } else {
                Sizes::Constant {
                    size: s.sample_size,
                    count: s.sample_count as u64,
                }
            }
        } else if let Some(s) = stbl.get::<Stz2>() {
            Sizes::Table(s.entry_sizes.iter().map(|&x| x as u32).collect())
        } else {
            return Err(need(b"stsz"));
        };
        let chunk_offsets: Vec<u64> = if let Some(c) = stbl.get::<Stco>() {
            c.chunk_offsets.iter().map(|&o| o as u64).collect()
        } else if let Some(c) = stbl.get::<Co64>() {
            c.chunk_offsets.clone()
        } else {
            return Err(need(b"stco"));
        };
        let mut t = ProgressiveTable {
            stts,
            ctts: stbl.get::<Ctts>().cloned(),
            stsc,
            sizes,
            chunk_offsets,
            stss: stbl.get::<Stss>().map(|s| s.sample_numbers.clone()),
            aux: Vec::new(),
        };
        t.validate(id, file_size)?;
        if let (Some(saiz), Some(saio), Some(enc)) =
            (stbl.get::<Saiz>(), stbl.get::<Saio>(), track.encryption())
        {
            t.aux = t.read_aux(id, saiz, saio, enc.tenc.default_per_sample_iv_size, src)?;
        }
        Ok(t)
    }

    fn validate(&self, id: u32, file_size: u64) -> Result<()> {
        let count = self.sample_count();
        let timed: u64 = self.stts.iter().map(|e| e.sample_count as u64).sum();
        if timed < count {
            return Err(bad(
                b"stts",
                id,
                format!("times {timed} samples but the track has {count}"),
            ));
        }
        if let Some(ctts) = &self.ctts {
            let n: u64 = ctts.entries.iter().map(|e| e.sample_count as u64).sum();
            if n < count {
                return Err(bad(
                    b"ctts",
                    id,
                    format!("covers {n} samples but the track has {count}"),
                ));
            }
        }
        if count > 0 && self.stsc.first().is_none_or(|e| e.first_chunk != 1) {
            return Err(bad(b"stsc", id, "does not start at chunk 1".into()));
        }
        // Samples the chunks can hold: a count beyond that is a corrupt table.
        let n_chunks = self.chunk_offsets.len() as u64;
        let mut capacity = 0u64;
        for (i, e) in self.stsc.iter().enumerate() {
            let next = self
                .stsc
                .get(i + 1)
                .map_or(n_chunks + 1, |n| n.first_chunk as u64);
            let chunks = next.saturating_sub(e.first_chunk as u64);
            capacity = capacity.saturating_add(chunks.saturating_mul(e.samples_per_chunk as u64));
        }
        if capacity < count {
            return Err(bad(
                b"stsc",
                id,
                format!("chunks hold {capacity} samples but the track has {count}"),
            ));
        }
        if let Sizes::Constant { size: 0, count } = self.sizes
            && count > limits::MAX_EMPTY_ITEMS as u64
        {
            return Err(Error::Limit {
                kind: FourCC::new(b"stsz"),
                offset: 0,
                what: "number of empty samples",
            });
        }
        if let Sizes::Constant { size, count } = self.sizes
            && (size as u64).saturating_mul(count) > file_size
        {
            return Err(bad(
                b"stsz",
                id,
                format!("{count} samples of {size} bytes exceed the file size {file_size}"),
            ));
        }
        Ok(())
    }

    fn read_aux<R: Read + Seek>(
        &self,
        id: u32,
        saiz: &Saiz,
        saio: &Saio,
        iv_size: u8,
        src: &mut R,
    ) -> Result<Vec<SencSample>> {
        let count = saiz.sample_count as u64;
        if count != self.sample_count() {
            return Err(bad(
                b"saiz",
                id,
                format!("{count} records for {} samples", self.sample_count()),
            ));
        }
        let size_of = |i: usize| -> u64 {
            if saiz.default_sample_info_size != 0 {
                saiz.default_sample_info_size as u64
            } else {
                saiz.sample_info_sizes.get(i).copied().unwrap_or(0) as u64
            }
        };
        // One offset for all records, or one per chunk.
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        if saio.offsets.len() == 1 {
            let total: u64 = (0..count as usize).map(size_of).sum();
            ranges.push((saio.offsets[0], total));
        } else if saio.offsets.len() == self.chunk_offsets.len() {
            let mut cursor = Cursor::new(self, id, u64::MAX);
            let mut sample = 0usize;
            let mut per_chunk: Vec<u64> = vec![0; self.chunk_offsets.len()];
            while let Some((_, chunk)) = cursor.next_with_chunk()? {
                per_chunk[chunk as usize - 1] += size_of(sample);
                sample += 1;
            }
            ranges = saio.offsets.iter().copied().zip(per_chunk).collect();
        } else {
            return Err(bad(
                b"saio",
                id,
                format!(
                    "{} offsets fit neither 1 nor the chunk count",
                    saio.offsets.len()
                ),
            ));
        }
        let mut bytes = Vec::new();
        for (off, len) in ranges {
            if len > limits::MAX_LOADED_BOX {
                return Err(Error::Limit {
                    kind: FourCC::new(b"saiz"),
                    offset: off,
                    what: "auxiliary information size",
                });
            }
            let start = bytes.len();
            bytes.resize(start + len as usize, 0);
            src.seek(SeekFrom::Start(off))?;
            src.read_exact(&mut bytes[start..])?;
        }
        let bytes = Bytes::from(bytes);
        let mut out = Vec::with_capacity((count as usize).min(limits::MAX_INITIAL_CAPACITY));
        let mut pos = 0usize;
        for i in 0..count as usize {
            let len = size_of(i) as usize;
            let rec = bytes.slice(pos..pos + len);
            pos += len;
            out.push(crate::boxes::parse_senc_record(&rec, iv_size)?);
        }
        Ok(out)
    }

    pub(crate) fn sample_count(&self) -> u64 {
        match &self.sizes {
            Sizes::Constant { count, .. } => *count,
            Sizes::Table(v) => v.len() as u64,
        }
    }

    pub(crate) fn aux(&self, index: u64) -> Option<&SencSample> {
        self.aux.get(index as usize)
    }

    fn size(&self, index: u64) -> u32 {
        match &self.sizes {
            Sizes::Constant { size, .. } => *size,
            Sizes::Table(v) => v[index as usize],
        }
    }
}

/// Where a [`Cursor`] is, without the table it walks: a walk can stop and resume later.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CursorState {
    index: u64,
    dts: u64,
    stts_i: usize,
    stts_left: u32,
    ctts_i: usize,
    ctts_left: u32,
    stsc_i: usize,
    chunk: u32,
    chunk_left: u32,
    next_offset: u64,
    sdi: u32,
    stss_i: usize,
}

/// Walks a [`ProgressiveTable`] sample by sample.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    t: &'a ProgressiveTable,
    track_id: u32,
    file_size: u64,
    st: CursorState,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(t: &'a ProgressiveTable, track_id: u32, file_size: u64) -> Self {
        Cursor {
            t,
            track_id,
            file_size,
            st: CursorState {
                index: 0,
                dts: 0,
                stts_i: 0,
                stts_left: t.stts.first().map_or(0, |e| e.sample_count),
                ctts_i: 0,
                ctts_left: t
                    .ctts
                    .as_ref()
                    .and_then(|c| c.entries.first())
                    .map_or(0, |e| e.sample_count),
                stsc_i: 0,
                chunk: 0,
                chunk_left: 0,
                next_offset: 0,
                sdi: 1,
                stss_i: 0,
            },
        }
    }

    /// Resumes a walk at `st` (taken from a cursor over the same table).
    pub(crate) fn resume(
        t: &'a ProgressiveTable,
        track_id: u32,
        file_size: u64,
        st: CursorState,
    ) -> Self {
        Cursor {
            t,
            track_id,
            file_size,
            st,
        }
    }

    /// Where the walk is.
    pub(crate) fn state(&self) -> CursorState {
        self.st
    }

    pub(crate) fn next_sample(&mut self) -> Result<Option<Sample>> {
        Ok(self.next_with_chunk()?.map(|(s, _)| s))
    }

    fn next_with_chunk(&mut self) -> Result<Option<(Sample, u32)>> {
        let t = self.t;
        if self.st.index >= t.sample_count() {
            return Ok(None);
        }
        let id = self.track_id;
        while self.st.stts_left == 0 {
            self.st.stts_i += 1;
            let e = t
                .stts
                .get(self.st.stts_i)
                .ok_or_else(|| bad(b"stts", id, "ends before the last sample".into()))?;
            self.st.stts_left = e.sample_count;
        }
        self.st.stts_left -= 1;
        let duration = t.stts[self.st.stts_i].sample_delta;
        let mut cts_offset = 0i64;
        if let Some(ctts) = &t.ctts {
            while self.st.ctts_left == 0 {
                self.st.ctts_i += 1;
                let e = ctts
                    .entries
                    .get(self.st.ctts_i)
                    .ok_or_else(|| bad(b"ctts", id, "ends before the last sample".into()))?;
                self.st.ctts_left = e.sample_count;
            }
            self.st.ctts_left -= 1;
            cts_offset = ctts.offset(&ctts.entries[self.st.ctts_i]);
        }
        while self.st.chunk_left == 0 {
            self.st.chunk += 1;
            let offset = *t
                .chunk_offsets
                .get(self.st.chunk as usize - 1)
                .ok_or_else(|| bad(b"stco", id, "more samples than chunks".into()))?;
            while self
                .t
                .stsc
                .get(self.st.stsc_i + 1)
                .is_some_and(|e| e.first_chunk <= self.st.chunk)
            {
                self.st.stsc_i += 1;
            }
            let e = t.stsc[self.st.stsc_i];
            self.st.chunk_left = e.samples_per_chunk;
            self.st.sdi = e.sample_description_index;
            self.st.next_offset = offset;
        }
        self.st.chunk_left -= 1;
        let size = t.size(self.st.index);
        let offset = self.st.next_offset;
        self.st.next_offset = offset.saturating_add(size as u64);
        if size > limits::MAX_SAMPLE_SIZE {
            return Err(Error::Limit {
                kind: FourCC::new(b"stsz"),
                offset,
                what: "sample size",
            });
        }
        if offset.saturating_add(size as u64) > self.file_size {
            return Err(Error::Truncated {
                kind: FourCC::new(b"mdat"),
                offset,
                needed: size as u64,
                available: self.file_size.saturating_sub(offset),
            });
        }
        let number = self.st.index + 1;
        let is_sync = match &t.stss {
            None => true,
            Some(v) => {
                while v.get(self.st.stss_i).is_some_and(|&n| (n as u64) < number) {
                    self.st.stss_i += 1;
                }
                v.get(self.st.stss_i).is_some_and(|&n| n as u64 == number)
            }
        };
        let s = Sample {
            track_id: id,
            index: self.st.index,
            dts: self.st.dts,
            cts_offset,
            duration,
            is_sync,
            size,
            offset,
            description_index: self.st.sdi,
        };
        self.st.dts += duration as u64;
        self.st.index += 1;
        Ok(Some((s, self.st.chunk)))
    }
}
