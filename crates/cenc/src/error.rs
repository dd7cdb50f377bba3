//! The crate's error type.

use std::fmt;

/// A four-character code shown as text when printable, else as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCcText(pub [u8; 4]);

impl fmt::Display for FourCcText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            for &b in &self.0 {
                write!(f, "{}", b as char)?;
            }
            Ok(())
        } else {
            write!(f, "0x{}", keys::to_hex(&self.0))
        }
    }
}

impl fmt::Debug for FourCcText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{self}'")
    }
}

/// Everything that can go wrong in this crate. Messages never contain key bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CencError {
    /// The encryption or decryption settings contradict each other or the scheme's rules.
    #[error("invalid encryption settings: {0}")]
    InvalidConfig(&'static str),

    /// The protection scheme four-character code is not one of cenc, cbc1, cens, cbcs.
    #[error("unsupported protection scheme '{0}'")]
    UnsupportedScheme(FourCcText),

    /// The codec has no subsample encryption rules implemented (packager error 1102).
    #[error("codec {codec} is not supported for encryption: {reason}")]
    UnsupportedCodec {
        /// The codec's name (e.g. "AV1").
        codec: &'static str,
        /// Why it is not supported.
        reason: &'static str,
    },

    /// A length-prefixed sample is malformed (NAL length running past the sample end, ...).
    #[error("{codec} sample: {reason} (at byte {offset} of the sample)")]
    MalformedSample {
        /// The codec's name.
        codec: &'static str,
        /// Byte offset in the sample where the problem starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },

    /// A parameter set or slice header could not be parsed.
    #[error("{codec} {unit}: {element}: {problem}")]
    Bitstream {
        /// The codec's name.
        codec: &'static str,
        /// The syntax structure being parsed (e.g. "SPS", "slice header").
        unit: &'static str,
        /// The syntax element being read.
        element: &'static str,
        /// What is wrong with it ("truncated", "out of range", ...).
        problem: &'static str,
    },

    /// A slice refers to a parameter set that was never seen (not in the sample entry,
    /// not in band before it).
    #[error("{codec} {unit} refers to {kind} id {id}, which was never sent")]
    MissingParameterSet {
        /// The codec's name.
        codec: &'static str,
        /// The referring structure ("slice header", "PPS").
        unit: &'static str,
        /// "SPS", "PPS" or "VPS".
        kind: &'static str,
        /// The id referred to.
        id: u32,
    },

    /// The subsample map does not cover the sample exactly.
    #[error("subsamples cover {covered} bytes but the sample has {sample_len}")]
    SubsampleMismatch {
        /// Sample length in bytes.
        sample_len: usize,
        /// Sum of clear and protected bytes of the subsample entries.
        covered: u64,
    },

    /// A sample has no IV: none in its record and no constant IV configured.
    #[error("sample has no IV: no per-sample IV and no constant IV")]
    MissingIv,

    /// An IV has the wrong size for where it is used.
    #[error("IV of {got} bytes where {expected} are required")]
    IvSize {
        /// Size required.
        expected: u8,
        /// Size found.
        got: usize,
    },

    /// Sample auxiliary information (`senc` entry) is truncated or inconsistent.
    #[error("sample encryption record: {0}")]
    AuxInfo(&'static str),

    /// The per-sample record is too large for `saiz` (sizes are one byte).
    #[error("sample encryption record of {size} bytes exceeds the 255 bytes saiz can describe")]
    AuxInfoTooLarge {
        /// Bytes the record would need.
        size: usize,
    },

    /// PSSH data could not be built or parsed.
    #[error("{system} PSSH data: {reason}")]
    Pssh {
        /// The DRM system ("Widevine", "PlayReady", ...).
        system: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// Key material could not be parsed or generated.
    #[error(transparent)]
    Key(#[from] keys::KeyError),

    /// Reading or writing the MP4 structure failed.
    #[error(transparent)]
    Mp4(#[from] bmff::Error),

    /// A track cannot be encrypted or decrypted as asked (which track, and why).
    #[error("track {track}: {reason}")]
    Track {
        /// Track id.
        track: u32,
        /// What is wrong.
        reason: String,
    },

    /// No key was given for a key id the content uses.
    #[error("no key for KID {0}")]
    NoKey(keys::KeyId),
}
