//! The per-sample encryption record: the IV and subsample map of one sample, as carried in a
//! `senc` entry (and sized by `saiz`). Plain byte functions; the boxes live in `bmff`.

use keys::Iv;

use crate::error::CencError;
use crate::subsample::Subsample;

/// `senc` flag: the entries carry subsample maps.
pub const SENC_FLAG_SUBSAMPLES: u32 = 0x00_0002;

/// The IV and subsample map of one sample (one `senc` entry).
///
/// Reuse one value across samples: [`SampleEncryptor`](crate::SampleEncryptor) and
/// [`SampleAuxInfo::read_senc_entry`] clear and refill it without reallocating.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleAuxInfo {
    /// The per-sample IV; `None` when the track uses a constant IV.
    pub iv: Option<Iv>,
    /// The subsample map; empty means the whole sample is protected.
    pub subsamples: Vec<Subsample>,
}

/// How the `senc` entries of a track are laid out: the per-sample IV size (from `tenc` or
/// `seig`) and whether entries carry subsample maps (`senc` flag 0x2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SencLayout {
    /// `Per_Sample_IV_Size`: 0 (constant IV), 8 or 16.
    pub per_sample_iv_size: u8,
    /// Whether entries carry a subsample map.
    pub subsamples: bool,
}

impl SencLayout {
    /// A layout, checking that the IV size is 0, 8 or 16.
    pub fn new(per_sample_iv_size: u8, subsamples: bool) -> Result<Self, CencError> {
        if !matches!(per_sample_iv_size, 0 | 8 | 16) {
            return Err(CencError::IvSize {
                expected: 16,
                got: usize::from(per_sample_iv_size),
            });
        }
        Ok(SencLayout {
            per_sample_iv_size,
            subsamples,
        })
    }

    /// The layout implied by a `senc` box's flags.
    pub fn from_senc_flags(per_sample_iv_size: u8, flags: u32) -> Result<Self, CencError> {
        Self::new(per_sample_iv_size, flags & SENC_FLAG_SUBSAMPLES != 0)
    }

    /// The `senc` flags for this layout.
    pub fn senc_flags(self) -> u32 {
        if self.subsamples {
            SENC_FLAG_SUBSAMPLES
        } else {
            0
        }
    }
}

impl SampleAuxInfo {
    /// Bytes of this record in a `senc` entry: IV, then `2 + 6 * count` when subsamples are on.
    pub fn encoded_len(&self, layout: SencLayout) -> usize {
        let subs = if layout.subsamples {
            2 + 6 * self.subsamples.len()
        } else {
            0
        };
        usize::from(layout.per_sample_iv_size) + subs
    }

    /// The `saiz` `sample_info_size` of this record (one byte), or an error when it is larger.
    pub fn saiz_size(&self, layout: SencLayout) -> Result<u8, CencError> {
        let size = self.encoded_len(layout);
        u8::try_from(size).map_err(|_| CencError::AuxInfoTooLarge { size })
    }

    /// Appends this record's `senc` entry bytes to `out`.
    pub fn write_senc_entry(&self, layout: SencLayout, out: &mut Vec<u8>) -> Result<(), CencError> {
        let iv_size = usize::from(layout.per_sample_iv_size);
        match (&self.iv, iv_size) {
            (None, 0) => {}
            (Some(iv), n) if iv.len() == n => out.extend_from_slice(iv.as_bytes()),
            (iv, _) => {
                return Err(CencError::IvSize {
                    expected: layout.per_sample_iv_size,
                    got: iv.map_or(0, |iv| iv.len()),
                });
            }
        }
        if layout.subsamples {
            let count = u16::try_from(self.subsamples.len())
                .map_err(|_| CencError::AuxInfo("more than 65535 subsamples"))?;
            out.extend_from_slice(&count.to_be_bytes());
            for s in &self.subsamples {
                out.extend_from_slice(&s.clear_bytes.to_be_bytes());
                out.extend_from_slice(&s.protected_bytes.to_be_bytes());
            }
        } else if !self.subsamples.is_empty() {
            return Err(CencError::AuxInfo(
                "record has subsamples but the senc layout has none",
            ));
        }
        Ok(())
    }

    /// Reads one `senc` entry from the start of `data` into `self` (reusing its buffer) and
    /// returns the number of bytes consumed.
    pub fn read_senc_entry(&mut self, layout: SencLayout, data: &[u8]) -> Result<usize, CencError> {
        let iv_size = usize::from(layout.per_sample_iv_size);
        let iv_bytes = data
            .get(..iv_size)
            .ok_or(CencError::AuxInfo("truncated IV"))?;
        self.iv = match iv_size {
            0 => None,
            _ => Some(Iv::from_slice(iv_bytes)?),
        };
        self.subsamples.clear();
        let mut pos = iv_size;
        if layout.subsamples {
            let count = data
                .get(pos..pos + 2)
                .ok_or(CencError::AuxInfo("truncated subsample count"))?;
            let count = usize::from(u16::from_be_bytes([count[0], count[1]]));
            pos += 2;
            let table = data
                .get(pos..pos + 6 * count)
                .ok_or(CencError::AuxInfo("truncated subsample table"))?;
            self.subsamples.reserve(count);
            for e in table.chunks_exact(6) {
                self.subsamples.push(Subsample::new(
                    u16::from_be_bytes([e[0], e[1]]),
                    u32::from_be_bytes([e[2], e[3], e[4], e[5]]),
                ));
            }
            pos += 6 * count;
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdrm_testkit::hex;
    use proptest::prelude::*;

    #[test]
    fn senc_record_of_protocols_7_2() {
        // protocols.md §7.2: IV 0001020304050607, subsamples (20, 48), (16, 16); saiz 22.
        let aux = SampleAuxInfo {
            iv: Some(Iv::from_hex("0001020304050607").unwrap()),
            subsamples: vec![Subsample::new(20, 48), Subsample::new(16, 16)],
        };
        let layout = SencLayout::new(8, true).unwrap();
        let mut out = Vec::new();
        aux.write_senc_entry(layout, &mut out).unwrap();
        assert_eq!(
            out,
            hex("0001020304050607 0002 0014 00000030 0010 00000010")
        );
        assert_eq!(aux.saiz_size(layout).unwrap(), 22);
        let mut back = SampleAuxInfo::default();
        assert_eq!(back.read_senc_entry(layout, &out).unwrap(), out.len());
        assert_eq!(back, aux);
    }

    #[test]
    fn saiz_sizes_of_protocols_1_5() {
        // cenc video, 8-byte IV, 3 subsamples = 28; cenc audio = 8; cbcs video, 1 subsample = 8.
        let three = SampleAuxInfo {
            iv: Some(Iv::new8([0; 8])),
            subsamples: vec![Subsample::default(); 3],
        };
        assert_eq!(
            three.saiz_size(SencLayout::new(8, true).unwrap()).unwrap(),
            28
        );
        let audio = SampleAuxInfo {
            iv: Some(Iv::new8([0; 8])),
            subsamples: vec![],
        };
        assert_eq!(
            audio.saiz_size(SencLayout::new(8, false).unwrap()).unwrap(),
            8
        );
        let cbcs = SampleAuxInfo {
            iv: None,
            subsamples: vec![Subsample::default()],
        };
        assert_eq!(
            cbcs.saiz_size(SencLayout::new(0, true).unwrap()).unwrap(),
            8
        );
        let many = SampleAuxInfo {
            iv: Some(Iv::new8([0; 8])),
            subsamples: vec![Subsample::default(); 41],
        };
        assert!(matches!(
            many.saiz_size(SencLayout::new(8, true).unwrap()),
            Err(CencError::AuxInfoTooLarge { size: 256 })
        ));
    }

    #[test]
    fn inconsistent_records_are_rejected() {
        let layout = SencLayout::new(8, false).unwrap();
        let no_iv = SampleAuxInfo::default();
        assert!(no_iv.write_senc_entry(layout, &mut Vec::new()).is_err());
        let mut r = SampleAuxInfo::default();
        assert!(r.read_senc_entry(layout, &[1, 2, 3]).is_err());
        let subs = SencLayout::new(0, true).unwrap();
        assert!(r.read_senc_entry(subs, &[0, 2, 0, 0, 0, 0, 0, 1]).is_err());
        assert!(SencLayout::new(4, true).is_err());
    }

    proptest! {
        #[test]
        fn senc_entries_round_trip(
            iv16 in any::<bool>(),
            iv in any::<[u8; 16]>(),
            subs in proptest::collection::vec(any::<(u16, u32)>(), 0..50),
            with_subs in any::<bool>(),
        ) {
            let size = if iv16 { 16 } else { 8 };
            let layout = SencLayout::new(size, with_subs).unwrap();
            let aux = SampleAuxInfo {
                iv: Some(Iv::from_slice(&iv[..usize::from(size)]).unwrap()),
                subsamples: if with_subs {
                    subs.iter().map(|&(c, p)| Subsample::new(c, p)).collect()
                } else {
                    vec![]
                },
            };
            let mut out = vec![0xAA];
            aux.write_senc_entry(layout, &mut out).unwrap();
            prop_assert_eq!(out.len(), 1 + aux.encoded_len(layout));
            let mut back = SampleAuxInfo::default();
            prop_assert_eq!(back.read_senc_entry(layout, &out[1..]).unwrap(), out.len() - 1);
            prop_assert_eq!(back, aux);
        }

        #[test]
        fn reading_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64),
                                        size in prop_oneof![Just(0u8), Just(8u8), Just(16u8)],
                                        subs in any::<bool>()) {
            let mut r = SampleAuxInfo::default();
            let _ = r.read_senc_entry(SencLayout::new(size, subs).unwrap(), &data);
        }
    }
}
