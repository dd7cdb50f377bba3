//! Protection schemes and encryption patterns (ISO/IEC 23001-7 §10).

use std::fmt;

use crate::error::{CencError, FourCcText};

/// One of the four Common Encryption schemes (the `schm` box's `scheme_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// AES-128 CTR, every protected byte encrypted, per-sample IVs of 8 or 16 bytes.
    Cenc,
    /// AES-128 CBC, every protected whole block encrypted, per-sample 16-byte IVs.
    Cbc1,
    /// AES-128 CTR with a crypt:skip block pattern.
    Cens,
    /// AES-128 CBC with a crypt:skip block pattern and (normally) a constant IV.
    Cbcs,
}

impl Scheme {
    /// The four-character code (`cenc`, `cbc1`, `cens`, `cbcs`).
    pub fn fourcc(self) -> [u8; 4] {
        match self {
            Scheme::Cenc => *b"cenc",
            Scheme::Cbc1 => *b"cbc1",
            Scheme::Cens => *b"cens",
            Scheme::Cbcs => *b"cbcs",
        }
    }

    /// The scheme of a four-character code.
    pub fn from_fourcc(code: [u8; 4]) -> Result<Self, CencError> {
        match &code {
            b"cenc" => Ok(Scheme::Cenc),
            b"cbc1" => Ok(Scheme::Cbc1),
            b"cens" => Ok(Scheme::Cens),
            b"cbcs" => Ok(Scheme::Cbcs),
            _ => Err(CencError::UnsupportedScheme(FourCcText(code))),
        }
    }

    /// True for the CTR schemes (`cenc`, `cens`), false for the CBC ones.
    pub fn is_ctr(self) -> bool {
        matches!(self, Scheme::Cenc | Scheme::Cens)
    }

    /// True for the pattern schemes (`cens`, `cbcs`), which use `tenc` version 1.
    pub fn uses_pattern(self) -> bool {
        matches!(self, Scheme::Cens | Scheme::Cbcs)
    }

    /// The `tenc` box version for this scheme: 1 for pattern schemes, else 0.
    pub fn tenc_version(self) -> u8 {
        u8::from(self.uses_pattern())
    }

    /// Whether the protected part of each video subsample must be a multiple of 16 bytes.
    ///
    /// ISO/IEC 23001-7 requires it for `cbc1` and `cens`; CMAF for `cenc`. For `cbcs` the
    /// protected range starts right after the slice header instead.
    pub fn aligns_protected_ranges(self) -> bool {
        !matches!(self, Scheme::Cbcs)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Cenc => "cenc",
            Scheme::Cbc1 => "cbc1",
            Scheme::Cens => "cens",
            Scheme::Cbcs => "cbcs",
        })
    }
}

/// A crypt:skip block pattern (`tenc` v1 `default_crypt_byte_block` / `default_skip_byte_block`).
///
/// Within each protected range, `crypt` 16-byte blocks are encrypted, then `skip` blocks are
/// left clear, repeating. A trailing group with fewer than `crypt` whole blocks stays clear.
/// `0:0` means "no pattern": every block of the range is processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Pattern {
    crypt: u8,
    skip: u8,
}

impl Pattern {
    /// No pattern (`0:0`): every block is encrypted. Used for audio and non-pattern schemes.
    pub const NONE: Pattern = Pattern { crypt: 0, skip: 0 };
    /// The `1:9` pattern used for `cbcs` (and `cens`) video.
    pub const VIDEO_1_9: Pattern = Pattern { crypt: 1, skip: 9 };

    /// A pattern of `crypt` encrypted then `skip` clear blocks; both must fit in 4 bits and a
    /// pattern that skips must also encrypt.
    pub fn new(crypt: u8, skip: u8) -> Result<Self, CencError> {
        if crypt > 15 || skip > 15 {
            return Err(CencError::InvalidConfig(
                "pattern block counts must be 0..=15 (4-bit tenc fields)",
            ));
        }
        if crypt == 0 && skip != 0 {
            return Err(CencError::InvalidConfig(
                "a pattern with skip blocks needs at least one crypt block",
            ));
        }
        Ok(Pattern { crypt, skip })
    }

    /// Parses the `tenc`/`seig` pattern byte (crypt in the high nibble, skip in the low one).
    pub fn from_byte(b: u8) -> Result<Self, CencError> {
        Pattern::new(b >> 4, b & 0x0f)
    }

    /// The `tenc`/`seig` pattern byte.
    pub fn to_byte(self) -> u8 {
        (self.crypt << 4) | self.skip
    }

    /// Encrypted blocks per pattern period.
    pub fn crypt_blocks(self) -> u8 {
        self.crypt
    }

    /// Clear blocks per pattern period.
    pub fn skip_blocks(self) -> u8 {
        self.skip
    }

    /// True for `0:0` (every block processed).
    pub fn is_none(self) -> bool {
        self.crypt == 0
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.crypt, self.skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourcc_round_trip_and_unknown_scheme() {
        for s in [Scheme::Cenc, Scheme::Cbc1, Scheme::Cens, Scheme::Cbcs] {
            assert_eq!(Scheme::from_fourcc(s.fourcc()).unwrap(), s);
            assert_eq!(s.to_string().as_bytes(), &s.fourcc());
        }
        let e = Scheme::from_fourcc(*b"piff").unwrap_err();
        assert_eq!(e.to_string(), "unsupported protection scheme 'piff'");
        let e = Scheme::from_fourcc([0, 1, 2, 3]).unwrap_err();
        assert_eq!(e.to_string(), "unsupported protection scheme '0x00010203'");
    }

    #[test]
    fn pattern_byte_matches_tenc_examples() {
        // protocols.md §1.5: cbcs video pattern byte 0x19, audio 0x00.
        assert_eq!(Pattern::VIDEO_1_9.to_byte(), 0x19);
        assert_eq!(Pattern::NONE.to_byte(), 0x00);
        assert_eq!(Pattern::from_byte(0x19).unwrap(), Pattern::VIDEO_1_9);
        assert!(Pattern::from_byte(0x05).is_err());
        assert!(Pattern::new(16, 0).is_err());
        assert_eq!(Scheme::Cbcs.tenc_version(), 1);
        assert_eq!(Scheme::Cenc.tenc_version(), 0);
    }
}
