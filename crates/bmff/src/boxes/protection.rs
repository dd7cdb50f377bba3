//! Common Encryption boxes (ISO/IEC 23001-7): `sinf`, `frma`, `schm`, `schi`, `tenc`, `pssh`,
//! `senc`, `saiz`, `saio`, and the `seig` sample group entry.

use bytes::Bytes;

use crate::boxes::{Atom, container, versioned};
use crate::codec::{Codec, Width};
use crate::decode::decode_record;
use crate::encode::encode_record;
use crate::{FourCC, Result};

container!(
    /// Protection scheme information (`frma`, `schm`, `schi`).
    Sinf,
    b"sinf"
);
container!(
    /// Scheme information (holds `tenc`).
    Schi,
    b"schi"
);

/// Original format: the sample entry type before encryption (`avc1`, `mp4a`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frma {
    /// The original sample entry code.
    pub data_format: FourCC,
}

impl Atom for Frma {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"frma")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.fourcc("data_format", &mut self.data_format)
    }
}

/// Scheme type: `cenc`, `cbcs`, `cens`, `cbc1`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schm {
    /// The scheme.
    pub scheme_type: FourCC,
    /// 0x00010000 for version 1.0.
    pub scheme_version: u32,
    /// Optional URI (flag 1).
    pub scheme_uri: Option<Bytes>,
}

impl Atom for Schm {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"schm")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let (mut v, mut f) = (0u8, self.scheme_uri.is_some() as u32);
        c.full_header(&mut v, &mut f)?;
        c.fourcc("scheme_type", &mut self.scheme_type)?;
        c.u32("scheme_version", &mut self.scheme_version)?;
        c.opt(f & 1 != 0, &mut self.scheme_uri, |c, u| {
            c.cstring("scheme_uri", u)
        })
    }
}

/// Track encryption defaults (`tenc`): KID, IV size, pattern, constant IV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tenc {
    /// 0 (`cenc`, `cbc1`) or 1 (pattern schemes); raised to 1 when a pattern is set.
    pub version: u8,
    /// Encrypted blocks per pattern (version 1).
    pub default_crypt_byte_block: u8,
    /// Clear blocks per pattern (version 1).
    pub default_skip_byte_block: u8,
    /// 1 = samples are encrypted.
    pub default_is_protected: u8,
    /// 0, 8 or 16: bytes of per-sample IV in `senc`.
    pub default_per_sample_iv_size: u8,
    /// Default key id.
    pub default_kid: [u8; 16],
    /// Constant IV (when protected and the per-sample IV size is 0).
    pub default_constant_iv: Option<Bytes>,
}

impl Atom for Tenc {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"tenc")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let pattern = self.default_crypt_byte_block != 0 || self.default_skip_byte_block != 0;
        versioned(c, &mut self.version, pattern)?;
        let mut reserved = 0u8;
        c.u8("reserved", &mut reserved)?;
        if self.version == 0 {
            let mut r = 0u8;
            c.u8("reserved2", &mut r)?;
        } else {
            c.bits(1, |b| {
                b.field(
                    "default_crypt_byte_block",
                    4,
                    &mut self.default_crypt_byte_block,
                )?;
                b.field(
                    "default_skip_byte_block",
                    4,
                    &mut self.default_skip_byte_block,
                )
            })?;
        }
        c.u8("default_is_protected", &mut self.default_is_protected)?;
        c.u8(
            "default_per_sample_iv_size",
            &mut self.default_per_sample_iv_size,
        )?;
        c.array("default_kid", &mut self.default_kid)?;
        let constant = self.default_is_protected == 1 && self.default_per_sample_iv_size == 0;
        c.opt(constant, &mut self.default_constant_iv, |c, iv| {
            let mut len = u8::try_from(iv.len()).map_err(|_| c.invalid("constant IV too long"))?;
            c.u8("default_constant_iv_size", &mut len)?;
            c.bytes("default_constant_iv", len as usize, iv)
        })
    }
}

/// Protection system specific header (`pssh`): DRM system id, KIDs (version 1), data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pssh {
    /// 0 or 1; 1 whenever KIDs are listed.
    pub version: u8,
    /// DRM system id (Widevine `edef8ba9-...`, PlayReady `9a04f079-...`, common `1077efec-...`).
    pub system_id: [u8; 16],
    /// Key ids (version 1).
    pub kids: Vec<[u8; 16]>,
    /// System-specific data.
    pub data: Bytes,
}

impl Atom for Pssh {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"pssh")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut v = if self.kids.is_empty() {
            self.version
        } else {
            1
        };
        let mut f = 0;
        c.full_header(&mut v, &mut f)?;
        if v > 1 {
            return Err(c.invalid(format!("pssh version {v} is not defined")));
        }
        self.version = v;
        c.array("system_id", &mut self.system_id)?;
        if v == 1 {
            let n = c.count("kid_count", Width::U32, self.kids.len())?;
            c.list("kids", n, 16, &mut self.kids, |c, k| c.array("kid", k))?;
        }
        let mut len =
            u32::try_from(self.data.len()).map_err(|_| c.invalid("pssh data over 4 GiB"))?;
        c.u32("data_size", &mut len)?;
        c.bytes("data", len as usize, &mut self.data)
    }
}

/// A subsample: clear bytes followed by protected bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Subsample {
    /// BytesOfClearData.
    pub clear: u16,
    /// BytesOfProtectedData.
    pub protected: u32,
}

/// The encryption parameters of one sample, as stored in `senc`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SencSample {
    /// Per-sample IV bytes (the first `iv_len`; none with a constant IV).
    pub iv: [u8; 16],
    /// 0, 8 or 16.
    pub iv_len: u8,
    /// Subsamples (empty = the whole sample is protected).
    pub subsamples: Vec<Subsample>,
}

impl SencSample {
    /// The IV (empty with a constant IV).
    pub fn iv(&self) -> &[u8] {
        &self.iv[..self.iv_len as usize]
    }
}

/// `senc` flag: subsample information present.
pub const SENC_USE_SUBSAMPLES: u32 = 0x2;

/// PIFF-style parameter override in `senc` (flag 1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SencOverride {
    /// AlgorithmID (24 bits).
    pub algorithm_id: u32,
    /// IV size.
    pub iv_size: u8,
    /// KID.
    pub kid: [u8; 16],
}

/// Sample encryption box: per-sample IVs and subsample maps.
///
/// The records' layout depends on the IV size from `tenc` (or `seig`), so they are kept as
/// bytes here; [`Senc::samples`] decodes them given that size, and [`SencBuilder`] writes them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Senc {
    /// Subsample maps are present (flag 2).
    pub use_subsamples: bool,
    /// PIFF parameter override (flag 1).
    pub override_params: Option<SencOverride>,
    /// Number of records.
    pub sample_count: u32,
    /// The records.
    pub data: Bytes,
}

fn senc_sample<C: Codec>(
    c: &mut C,
    s: &mut SencSample,
    iv_size: u8,
    subsamples: bool,
) -> Result<()> {
    match iv_size {
        0 => {}
        8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&s.iv[..8]);
            c.array("iv", &mut a)?;
            s.iv[..8].copy_from_slice(&a);
        }
        16 => c.array("iv", &mut s.iv)?,
        n => return Err(c.invalid(format!("per-sample IV size {n} is not 0, 8 or 16"))),
    }
    s.iv_len = iv_size;
    if subsamples {
        let n = c.count("subsample_count", Width::U16, s.subsamples.len())?;
        c.list("subsamples", n, 6, &mut s.subsamples, |c, x| {
            c.u16("clear", &mut x.clear)?;
            c.u32("protected", &mut x.protected)
        })?;
    }
    Ok(())
}

impl Senc {
    /// Decodes the records with the given per-sample IV size (0, 8 or 16).
    pub fn samples(&self, iv_size: u8) -> Result<Vec<SencSample>> {
        let iv_size = self.override_params.as_ref().map_or(iv_size, |o| o.iv_size);
        let n = self.sample_count as usize;
        let sub = self.use_subsamples;
        decode_record(FourCC::new(b"senc"), self.data.clone(), |c| {
            let mut v = Vec::new();
            c.list("samples", n, iv_size as usize, &mut v, |c, s| {
                senc_sample(c, s, iv_size, sub)
            })?;
            Ok(v)
        })
    }

    /// Offset of the first record from the start of the box (for `saio`).
    pub fn first_record_offset(&self) -> u64 {
        // header 8 + version/flags 4 + [override 20] + sample_count 4
        16 + if self.override_params.is_some() {
            20
        } else {
            0
        }
    }
}

impl Atom for Senc {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"senc")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut v = 0u8;
        let mut f = (self.override_params.is_some() as u32)
            | if self.use_subsamples {
                SENC_USE_SUBSAMPLES
            } else {
                0
            };
        c.full_header(&mut v, &mut f)?;
        self.use_subsamples = f & SENC_USE_SUBSAMPLES != 0;
        c.opt(f & 1 != 0, &mut self.override_params, |c, o| {
            c.u24("algorithm_id", &mut o.algorithm_id)?;
            c.u8("iv_size", &mut o.iv_size)?;
            c.array("kid", &mut o.kid)
        })?;
        c.u32("sample_count", &mut self.sample_count)?;
        c.rest("records", &mut self.data)
    }
}

/// Builds a `senc` record by record, without an allocation per sample, and keeps the record
/// sizes for `saiz`.
#[derive(Clone, Debug, Default)]
pub struct SencBuilder {
    data: Vec<u8>,
    sizes: Vec<u8>,
    use_subsamples: bool,
    scratch: SencSample,
}

impl SencBuilder {
    /// A builder; `use_subsamples` when records carry subsample maps (video).
    pub fn new(use_subsamples: bool) -> Self {
        SencBuilder {
            use_subsamples,
            ..Default::default()
        }
    }

    /// Appends one sample's record.
    pub fn push(&mut self, iv: &[u8], subsamples: &[Subsample]) -> Result<()> {
        let start = self.data.len();
        let s = &mut self.scratch;
        let n = iv.len().min(16);
        s.iv[..n].copy_from_slice(&iv[..n]);
        s.subsamples.clear();
        s.subsamples.extend_from_slice(subsamples);
        let sub = self.use_subsamples;
        encode_record(FourCC::new(b"senc"), &mut self.data, |c| {
            senc_sample(c, s, iv.len() as u8, sub)
        })?;
        let size = u8::try_from(self.data.len() - start).map_err(|_| crate::Error::Encode {
            kind: FourCC::new(b"senc"),
            reason: "one sample's encryption record exceeds 255 bytes (too many subsamples)".into(),
        })?;
        self.sizes.push(size);
        Ok(())
    }

    /// Number of records so far.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The `senc` box and the matching `saiz` box.
    pub fn finish(self) -> (Senc, Saiz) {
        let n = self.sizes.len() as u32;
        let default = match self.sizes.first() {
            Some(&s) if self.sizes.iter().all(|&x| x == s) => s,
            _ => 0,
        };
        let saiz = Saiz {
            aux_info: None,
            default_sample_info_size: default,
            sample_count: n,
            sample_info_sizes: if default == 0 { self.sizes } else { Vec::new() },
        };
        let senc = Senc {
            use_subsamples: self.use_subsamples,
            override_params: None,
            sample_count: n,
            data: Bytes::from(self.data),
        };
        (senc, saiz)
    }
}

/// `aux_info_type` and its parameter (present in `saiz`/`saio` when flag 1 is set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxInfoType {
    /// Usually the scheme (`cenc`, `cbcs`).
    pub aux_info_type: FourCC,
    /// Parameter (0).
    pub aux_info_type_parameter: u32,
}

fn aux_info<C: Codec>(c: &mut C, a: &mut AuxInfoType) -> Result<()> {
    c.fourcc("aux_info_type", &mut a.aux_info_type)?;
    c.u32("aux_info_type_parameter", &mut a.aux_info_type_parameter)
}

/// Sample auxiliary information sizes (the size of each `senc` record).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saiz {
    /// Explicit type (flag 1).
    pub aux_info: Option<AuxInfoType>,
    /// Size of every record, or 0 when sizes are listed.
    pub default_sample_info_size: u8,
    /// Number of samples.
    pub sample_count: u32,
    /// Per-sample sizes when the default is 0.
    pub sample_info_sizes: Vec<u8>,
}

impl Atom for Saiz {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"saiz")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let (mut v, mut f) = (0u8, self.aux_info.is_some() as u32);
        c.full_header(&mut v, &mut f)?;
        c.opt(f & 1 != 0, &mut self.aux_info, aux_info)?;
        c.u8(
            "default_sample_info_size",
            &mut self.default_sample_info_size,
        )?;
        if self.default_sample_info_size == 0 {
            let n = c.count("sample_count", Width::U32, self.sample_info_sizes.len())?;
            self.sample_count = n as u32;
            c.list(
                "sample_info_sizes",
                n,
                1,
                &mut self.sample_info_sizes,
                |c, s| c.u8("size", s),
            )
        } else {
            c.u32("sample_count", &mut self.sample_count)
        }
    }
}

/// Sample auxiliary information offsets (where the `senc` records start).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Saio {
    /// 0 (32-bit offsets) or 1 (64-bit); raised automatically when needed.
    pub version: u8,
    /// Explicit type (flag 1).
    pub aux_info: Option<AuxInfoType>,
    /// Offsets (one in a `traf`: relative to the same base as `trun` data offsets).
    pub offsets: Vec<u64>,
}

impl Atom for Saio {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"saio")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let wide = self.offsets.iter().any(|&o| o > u32::MAX as u64);
        let mut v = if wide { 1 } else { self.version };
        let mut f = self.aux_info.is_some() as u32;
        c.full_header(&mut v, &mut f)?;
        if v > 1 {
            return Err(c.invalid(format!("saio version {v} is not defined")));
        }
        self.version = v;
        c.opt(f & 1 != 0, &mut self.aux_info, aux_info)?;
        let n = c.count("entry_count", Width::U32, self.offsets.len())?;
        let w = v == 1;
        c.list(
            "offsets",
            n,
            if w { 8 } else { 4 },
            &mut self.offsets,
            |c, o| c.u64_or_u32("offset", w, o),
        )
    }
}

/// A `seig` sample group entry (CencSampleEncryptionInformationGroupEntry): the encryption
/// parameters of a group of samples (key rotation).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeigEntry {
    /// Encrypted blocks per pattern.
    pub crypt_byte_block: u8,
    /// Clear blocks per pattern.
    pub skip_byte_block: u8,
    /// 1 = protected.
    pub is_protected: u8,
    /// Per-sample IV size.
    pub per_sample_iv_size: u8,
    /// Key id.
    pub kid: [u8; 16],
    /// Constant IV (protected with IV size 0).
    pub constant_iv: Option<Bytes>,
}

fn seig<C: Codec>(c: &mut C, e: &mut SeigEntry) -> Result<()> {
    let mut reserved = 0u8;
    c.u8("reserved", &mut reserved)?;
    c.bits(1, |b| {
        b.field("crypt_byte_block", 4, &mut e.crypt_byte_block)?;
        b.field("skip_byte_block", 4, &mut e.skip_byte_block)
    })?;
    c.u8("is_protected", &mut e.is_protected)?;
    c.u8("per_sample_iv_size", &mut e.per_sample_iv_size)?;
    c.array("kid", &mut e.kid)?;
    let constant = e.is_protected == 1 && e.per_sample_iv_size == 0;
    c.opt(constant, &mut e.constant_iv, |c, iv| {
        let mut len = u8::try_from(iv.len()).map_err(|_| c.invalid("constant IV too long"))?;
        c.u8("constant_iv_size", &mut len)?;
        c.bytes("constant_iv", len as usize, iv)
    })
}

impl SeigEntry {
    /// Decodes an `sgpd` entry of grouping type `seig`.
    pub fn parse(entry: &Bytes) -> Result<Self> {
        decode_record(FourCC::new(b"seig"), entry.clone(), |c| {
            let mut e = SeigEntry::default();
            seig(c, &mut e)?;
            Ok(e)
        })
    }

    /// Encodes the entry for an `sgpd`.
    pub fn to_bytes(&self) -> Result<Bytes> {
        let mut out = Vec::with_capacity(37);
        let mut e = self.clone();
        encode_record(FourCC::new(b"seig"), &mut out, |c| seig(c, &mut e))?;
        Ok(Bytes::from(out))
    }
}

/// Parses one `senc`-format record stored elsewhere (located by `saiz`/`saio`); subsamples
/// are present when the record is longer than the IV.
pub fn parse_senc_record(rec: &Bytes, iv_size: u8) -> Result<SencSample> {
    let sub = rec.len() > iv_size as usize;
    decode_record(FourCC::new(b"senc"), rec.clone(), |c| {
        let mut s = SencSample::default();
        senc_sample(c, &mut s, iv_size, sub)?;
        Ok(s)
    })
}
