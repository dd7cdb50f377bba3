//! Encrypting one media segment of a fragmented track.

use bmff::fragment::MediaSegment;
use bmff::{HasChildren, Saio, Sbgp, SbgpEntry, SencBuilder, Sgpd};
use keys::{ContentKey, KeyId};

use super::boxes::seig_entry;
use crate::aux_info::SampleAuxInfo;
use crate::encryptor::{EncryptorConfig, SampleEncryptor, TrackEncryptionInfo};
use crate::error::CencError;

/// Encrypts a track's media segments in order, adding each segment's `senc`, `saiz` and
/// `saio` (pointing into `senc`; [`MediaSegment::finish`] fixes the offset).
///
/// Feed every segment of the track, in order: the encryptor carries the IV sequence and the
/// parameter-set state across segments. After [`FragmentEncryptor::rotate_key`], segments
/// also carry a `seig` sample group (`sgpd` + `sbgp`) naming the new KID.
pub struct FragmentEncryptor {
    enc: SampleEncryptor,
    default_kid: KeyId,
    current_kid: KeyId,
    aux: SampleAuxInfo,
    subsamples: Vec<bmff::Subsample>,
}

impl FragmentEncryptor {
    /// An encryptor for one track; `config.kid` becomes the `tenc` default KID.
    pub fn new(config: EncryptorConfig) -> Result<Self, CencError> {
        let kid = config.kid;
        Ok(FragmentEncryptor {
            enc: SampleEncryptor::new(config)?,
            default_kid: kid,
            current_kid: kid,
            aux: SampleAuxInfo::default(),
            subsamples: Vec::new(),
        })
    }

    /// What the init segment's `tenc` must say (the default KID).
    pub fn track_info(&self) -> TrackEncryptionInfo {
        let mut info = self.enc.track_info();
        info.kid = self.default_kid;
        info
    }

    /// Uses `kid`/`key` from the next segment on (key rotation: one key per segment or
    /// period; segments under a KID other than the default carry a `seig` group).
    pub fn rotate_key(&mut self, kid: KeyId, key: &ContentKey) {
        self.enc.rotate_key(kid, key);
        self.current_kid = kid;
    }

    /// Encrypts, in place, the samples of `segment` whose bytes are `data` (the segment's
    /// samples back to back, `sizes` bytes each) and adds the encryption boxes to its `traf`.
    pub fn encrypt_segment(
        &mut self,
        segment: &mut MediaSegment,
        data: &mut [u8],
        sizes: &[u32],
    ) -> Result<(), CencError> {
        let info = self.enc.track_info();
        let layout = info.senc_layout();
        let mut senc = SencBuilder::new(layout.subsamples);
        let mut any_record = false;
        let mut pos = 0usize;
        for &size in sizes {
            let end = pos + size as usize;
            let sample = data.get_mut(pos..end).ok_or(CencError::AuxInfo(
                "segment data is shorter than its sample sizes",
            ))?;
            self.enc.encrypt_sample(sample, &mut self.aux)?;
            self.subsamples.clear();
            self.subsamples
                .extend(self.aux.subsamples.iter().map(|s| bmff::Subsample {
                    clear: s.clear_bytes,
                    protected: s.protected_bytes,
                }));
            let iv = self.aux.iv.as_ref().map_or(&[][..], |iv| iv.as_bytes());
            any_record |= !iv.is_empty() || layout.subsamples;
            senc.push(iv, &self.subsamples)?;
            pos = end;
        }
        if pos != data.len() {
            return Err(CencError::AuxInfo(
                "segment data is longer than its sample sizes",
            ));
        }
        let traf = segment.traf_mut();
        if self.current_kid != self.default_kid {
            let mut entry_info = info;
            entry_info.kid = self.current_kid;
            let entry = seig_entry(&entry_info).to_bytes()?;
            traf.push(Sgpd::new(b"seig", vec![entry]));
            traf.push(Sbgp {
                grouping_type: bmff::FourCC::new(b"seig"),
                grouping_type_parameter: None,
                entries: vec![SbgpEntry {
                    sample_count: sizes.len() as u32,
                    group_description_index: 0x1_0001,
                }],
            });
        }
        // Constant IV without subsamples (cbcs audio): every record is empty, so no
        // auxiliary information is written at all, as the specification allows.
        if any_record {
            let (senc, saiz) = senc.finish();
            traf.push(saiz);
            traf.push(Saio {
                version: 0,
                aux_info: None,
                offsets: vec![0],
            });
            traf.push(senc);
        }
        Ok(())
    }
}
