//! Decryption of encrypted MP4 input (ours and other packagers'), for verification and for
//! `mdrm-box decrypt`.

use std::collections::HashMap;
use std::io::{Read, Seek, Write};

use bmff::fragment::{InitOptions, MediaSegment, encode_init, init_segment, plan_cuts, split_at};
use bmff::reader::{EncryptionInfo, Mp4Reader, Sample, Track};
use bmff::{HasChildren, Mvhd, SencSample};
use keys::{ContentKey, Iv, KeyId};

use super::boxes::unprotect_sample_entry;
use crate::aux_info::SampleAuxInfo;
use crate::decryptor::SampleDecryptor;
use crate::error::CencError;
use crate::scheme::{Pattern, Scheme};
use crate::subsample::Subsample;

/// Content keys by key id.
pub type KeyMap = HashMap<KeyId, ContentKey>;

/// Decrypts the samples of one encrypted track.
pub struct TrackDecryptor {
    track: u32,
    scheme: Scheme,
    constant_iv: Option<Iv>,
    per_sample_iv_size: u8,
    default_kid: KeyId,
    decryptors: HashMap<KeyId, SampleDecryptor>,
    aux: SampleAuxInfo,
}

impl TrackDecryptor {
    /// A decryptor for a track with these encryption parameters; `keys` must hold every KID
    /// the track uses (checked per sample).
    pub fn new(track: u32, info: &EncryptionInfo, keys: &KeyMap) -> Result<Self, CencError> {
        let scheme = Scheme::from_fourcc(info.scheme.0)?;
        let t = &info.tenc;
        let pattern = Pattern::new(t.default_crypt_byte_block, t.default_skip_byte_block)?;
        let constant_iv = t
            .default_constant_iv
            .as_ref()
            .map(|b| Iv::from_slice(b))
            .transpose()?;
        let mut decryptors = HashMap::new();
        for (kid, key) in keys {
            decryptors.insert(
                *kid,
                SampleDecryptor::new(scheme, key, pattern, constant_iv)?,
            );
        }
        Ok(TrackDecryptor {
            track,
            scheme,
            constant_iv,
            per_sample_iv_size: t.default_per_sample_iv_size,
            default_kid: KeyId(t.default_kid),
            decryptors,
            aux: SampleAuxInfo::default(),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// True when samples need a per-sample IV (so a missing `senc` record means the
    /// packager left the sample clear).
    pub fn needs_records(&self) -> bool {
        self.per_sample_iv_size > 0
    }

    /// Decrypts `data` in place: `record` is the sample's `senc` entry (absent with a constant
    /// IV and no subsamples), `kid` its key id (the default KID unless a `seig` group says
    /// otherwise).
    pub fn decrypt_sample(
        &mut self,
        data: &mut [u8],
        record: Option<&SencSample>,
        kid: Option<KeyId>,
    ) -> Result<(), CencError> {
        let kid = kid.unwrap_or(self.default_kid);
        let dec = self.decryptors.get(&kid).ok_or(CencError::NoKey(kid))?;
        self.aux.subsamples.clear();
        self.aux.iv = None;
        match record {
            Some(r) => {
                if r.iv_len > 0 {
                    self.aux.iv = Some(Iv::from_slice(r.iv())?);
                }
                self.aux.subsamples.extend(
                    r.subsamples
                        .iter()
                        .map(|s| Subsample::new(s.clear, s.protected)),
                );
            }
            None if self.per_sample_iv_size > 0 => {
                return Err(CencError::Track {
                    track: self.track,
                    reason: "a sample has no encryption record (senc/saiz) but the track uses per-sample IVs".into(),
                });
            }
            None => {}
        }
        if self.aux.iv.is_none() && self.constant_iv.is_none() {
            return Err(CencError::MissingIv);
        }
        dec.decrypt_sample(data, &self.aux)
    }
}

/// What [`decrypt_to_fragmented`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecryptReport {
    /// Tracks decrypted (id, scheme).
    pub decrypted: Vec<(u32, String)>,
    /// Tracks that were clear to begin with.
    pub clear: Vec<u32>,
    /// Tracks marked encrypted whose samples carry no encryption records although the
    /// scheme needs them: their packager left the samples clear (copied unchanged).
    pub marked_but_clear: Vec<u32>,
    /// Samples written per track.
    pub samples: Vec<(u32, u64)>,
}

/// Decrypts every track of `reader` with `keys` and writes one clear fragmented MP4 to `out`:
/// an init segment with the original sample entries, then each track's samples in fragments
/// of about two seconds. Sample bytes, order and timing are kept.
pub fn decrypt_to_fragmented<R: Read + Seek, W: Write>(
    reader: &mut Mp4Reader<R>,
    keys: &KeyMap,
    out: &mut W,
) -> Result<DecryptReport, CencError> {
    let mut report = DecryptReport::default();
    let mut tracks: Vec<Track> = reader.tracks().to_vec();
    let mut decryptors: Vec<Option<TrackDecryptor>> = Vec::new();
    for t in &mut tracks {
        match t.encryption() {
            None => {
                report.clear.push(t.id);
                decryptors.push(None);
            }
            Some(info) => {
                let dec = TrackDecryptor::new(t.id, &info, keys)?;
                let has_records =
                    (0..t.sample_count).any(|i| matches!(t.sample_encryption(i), Ok(Some(_))));
                if dec.needs_records() && !has_records {
                    report.marked_but_clear.push(t.id);
                    decryptors.push(None);
                } else {
                    report.decrypted.push((t.id, info.scheme.to_string()));
                    decryptors.push(Some(dec));
                }
            }
        }
        t.sample_entries = t
            .sample_entries
            .iter()
            .map(unprotect_sample_entry)
            .collect();
    }
    let mvhd = reader.moov().require::<Mvhd>()?.clone();
    let refs: Vec<&Track> = tracks.iter().collect();
    let (ftyp, moov) = init_segment(&mvhd, &refs, reader.moov(), &InitOptions::default())?;
    out.write_all(&encode_init(&ftyp, &moov)?)
        .map_err(bmff::Error::from)?;
    let mut sequence = 0u32;
    let mut buf = Vec::new();
    for (t, dec) in tracks.iter().zip(decryptors.iter_mut()) {
        let samples: Vec<Sample> = reader.samples(t.id)?.collect::<bmff::Result<_>>()?;
        let cuts = plan_cuts(&samples, 2 * t.timescale as u64);
        for range in split_at(&samples, &cuts) {
            let run = &samples[range];
            reader.read_samples(run, &mut buf)?;
            if let Some(dec) = dec.as_mut() {
                let mut pos = 0usize;
                for s in run {
                    let end = pos + s.size as usize;
                    let record = t.sample_encryption(s.index)?;
                    let kid = t.sample_key_id(s.index).map(KeyId);
                    dec.decrypt_sample(&mut buf[pos..end], record, kid)?;
                    pos = end;
                }
            }
            sequence += 1;
            let mut seg = MediaSegment::new(t.id, run, sequence);
            let (header, _) = seg.finish()?;
            out.write_all(&header).map_err(bmff::Error::from)?;
            out.write_all(&buf).map_err(bmff::Error::from)?;
        }
        report.samples.push((t.id, samples.len() as u64));
    }
    Ok(report)
}
