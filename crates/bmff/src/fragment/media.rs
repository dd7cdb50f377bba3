//! Media segments: `[styp] [sidx] moof mdat` for a run of samples of one track.

use crate::reader::Sample;
use crate::{
    AnyBox, FileType, HasChildren, Mfhd, Moof, Result, Saio, SampleFlags, Senc, Sidx,
    SidxReference, Tfdt, Tfhd, Traf, Trun, TrunEntry, encode_box, encoded_size,
};

/// One media segment of one track, before its payload is written.
///
/// Build it with [`MediaSegment::new`], let an encryptor add boxes to the `traf`
/// ([`MediaSegment::traf_mut`]), then [`MediaSegment::finish`] to get the header bytes; the
/// `mdat` payload (the samples' bytes, [`MediaSegment::payload_len`] of them) follows them.
#[derive(Clone, Debug)]
pub struct MediaSegment {
    /// `styp`, when wanted.
    pub styp: Option<FileType>,
    /// `sidx`, when wanted (its sizes are filled in by [`MediaSegment::finish`]).
    pub sidx: Option<Sidx>,
    /// The movie fragment.
    pub moof: Moof,
    payload_len: u64,
}

/// Where things ended up in a finished segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentLayout {
    /// Bytes before the `mdat` payload (styp + sidx + moof + mdat header).
    pub header_len: u64,
    /// Size of the `moof` box.
    pub moof_size: u64,
    /// Total segment size.
    pub total_len: u64,
}

impl MediaSegment {
    /// The fragment for `samples` (consecutive samples of one track) with this sequence number.
    pub fn new(track_id: u32, samples: &[Sample], sequence_number: u32) -> Self {
        let first_dts = samples.first().map_or(0, |s| s.dts);
        let all_sync = samples.iter().all(|s| s.is_sync);
        let only_first_sync = samples.first().is_some_and(|s| s.is_sync)
            && samples.iter().skip(1).all(|s| !s.is_sync);
        let same_duration = samples
            .first()
            .filter(|f| samples.iter().all(|s| s.duration == f.duration))
            .map(|f| f.duration);
        let any_cto = samples.iter().any(|s| s.cts_offset != 0);
        let negative_cto = samples.iter().any(|s| s.cts_offset < 0);

        let mut tfhd = Tfhd {
            track_id,
            default_base_is_moof: true,
            default_sample_duration: same_duration,
            ..Default::default()
        };
        let mut trun = Trun {
            version: negative_cto as u8,
            data_offset: Some(0),
            ..Default::default()
        };
        let per_sample_flags = if all_sync {
            tfhd.default_sample_flags = Some(SampleFlags::SYNC.0);
            false
        } else if only_first_sync {
            tfhd.default_sample_flags = Some(SampleFlags::NON_SYNC.0);
            trun.first_sample_flags = Some(SampleFlags::SYNC.0);
            false
        } else {
            true
        };
        trun.entries = samples
            .iter()
            .map(|s| TrunEntry {
                duration: same_duration.is_none().then_some(s.duration),
                size: Some(s.size),
                flags: per_sample_flags.then_some(if s.is_sync {
                    SampleFlags::SYNC.0
                } else {
                    SampleFlags::NON_SYNC.0
                }),
                composition_time_offset: any_cto.then_some(s.cts_offset as i32),
            })
            .collect();
        let mut traf = Traf::default();
        traf.push(tfhd);
        traf.push(Tfdt {
            version: 1,
            base_media_decode_time: first_dts,
        });
        traf.push(trun);
        let mut moof = Moof::default();
        moof.push(Mfhd { sequence_number });
        moof.push(traf);
        MediaSegment {
            styp: None,
            sidx: None,
            moof,
            payload_len: samples.iter().map(|s| s.size as u64).sum(),
        }
    }

    /// Adds an `styp` (`msdh`, compatible `msdh`, `msix`).
    pub fn with_styp(mut self) -> Self {
        self.styp = Some(FileType::new(b"styp", b"msdh", 0, &[b"msdh", b"msix"]));
        self
    }

    /// Adds a `sidx` with one reference covering this segment.
    pub fn with_sidx(
        mut self,
        track_id: u32,
        timescale: u32,
        earliest_presentation_time: u64,
        duration: u32,
    ) -> Self {
        self.sidx = Some(Sidx {
            version: 1,
            reference_id: track_id,
            timescale,
            earliest_presentation_time,
            first_offset: 0,
            reserved: 0,
            references: vec![SidxReference {
                reference_type: false,
                referenced_size: 0,
                subsegment_duration: duration,
                starts_with_sap: true,
                sap_type: 1,
                sap_delta_time: 0,
            }],
        });
        self
    }

    /// The track fragment (to add `senc`, `saiz`, `saio`, `sbgp`, `sgpd`).
    pub fn traf_mut(&mut self) -> &mut Traf {
        self.moof
            .get_mut::<Traf>()
            .expect("a media segment has a traf")
    }

    /// The track fragment.
    pub fn traf(&self) -> &Traf {
        self.moof.get::<Traf>().expect("a media segment has a traf")
    }

    /// Bytes of sample data in the `mdat`.
    pub fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// Sets the payload size (when an encryptor changes sample sizes, which CENC never does).
    pub fn set_payload_len(&mut self, len: u64) {
        self.payload_len = len;
    }

    /// Fixes the `trun` data offset, the `saio` offset (pointing at the `senc` records) and
    /// the `sidx` size, and returns the bytes that precede the payload.
    pub fn finish(&mut self) -> Result<(Vec<u8>, SegmentLayout)> {
        let mdat_header: u64 = if self.payload_len + 8 > u32::MAX as u64 {
            16
        } else {
            8
        };
        // Offsets inside the moof do not depend on the values being patched (fixed widths).
        let senc_records = self.senc_record_offset()?;
        let moof_size = encoded_size(&AnyBox::from(self.moof.clone()))?;
        {
            let traf = self.traf_mut();
            if let Some(trun) = traf.get_mut::<Trun>() {
                trun.data_offset = Some(i32::try_from(moof_size + mdat_header).map_err(|_| {
                    crate::Error::Encode {
                        kind: crate::FourCC::new(b"trun"),
                        reason: "moof larger than 2 GiB".into(),
                    }
                })?);
            }
            if let (Some(off), Some(saio)) = (senc_records, traf.get_mut::<Saio>()) {
                saio.offsets = vec![off];
            }
        }
        let mut out = Vec::new();
        if let Some(styp) = &self.styp {
            encode_box(&AnyBox::from(styp.clone()), &mut out)?;
        }
        if let Some(sidx) = &mut self.sidx {
            let size = moof_size + mdat_header + self.payload_len;
            for r in &mut sidx.references {
                r.referenced_size = u32::try_from(size).map_err(|_| crate::Error::Encode {
                    kind: crate::FourCC::new(b"sidx"),
                    reason: "segment larger than 2^31 bytes".into(),
                })?;
            }
            encode_box(&AnyBox::from(sidx.clone()), &mut out)?;
        }
        let before = out.len();
        encode_box(&AnyBox::from(self.moof.clone()), &mut out)?;
        debug_assert_eq!((out.len() - before) as u64, moof_size);
        crate::BoxHeader::write(
            crate::FourCC::new(b"mdat"),
            mdat_header + self.payload_len,
            if mdat_header == 16 {
                crate::SizeForm::Large
            } else {
                crate::SizeForm::Compact
            },
            &mut out,
        );
        let header_len = out.len() as u64;
        Ok((
            out,
            SegmentLayout {
                header_len,
                moof_size,
                total_len: header_len + self.payload_len,
            },
        ))
    }

    /// Offset of the first `senc` record from the start of the `moof`, if there is a `senc`.
    fn senc_record_offset(&self) -> Result<Option<u64>> {
        let mut off = 8u64; // moof header
        for child in &self.moof.children {
            if let AnyBox::Traf(traf) = child {
                let mut inner = off + 8; // traf header
                for c in &traf.children {
                    if let AnyBox::Senc(senc) = c {
                        return Ok(Some(inner + senc.first_record_offset()));
                    }
                    inner += encoded_size(c)?;
                }
            }
            off += encoded_size(child)?;
        }
        Ok(None)
    }

    /// The `senc` of the fragment, if an encryptor added one.
    pub fn senc(&self) -> Option<&Senc> {
        self.traf().get::<Senc>()
    }
}
