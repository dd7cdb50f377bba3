//! The crate's error type.

use crate::FourCC;

/// Everything that can go wrong reading or writing ISO-BMFF.
///
/// Variants name the box type and the absolute byte offset where the problem was found, so a
/// user can open the file in a hex editor and see it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the underlying file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The data ends before a field or box that must be there.
    #[error(
        "truncated {kind} at offset {offset}: {needed} more bytes needed, {available} available"
    )]
    Truncated {
        /// The box being read.
        kind: FourCC,
        /// Absolute offset of the read that failed.
        offset: u64,
        /// Bytes the read needed.
        needed: u64,
        /// Bytes left in the box or file.
        available: u64,
    },

    /// A box header declares a size that is impossible or overruns its parent.
    #[error("box {kind} at offset {offset} has size {size}, which {reason}")]
    BadSize {
        /// The box with the bad size.
        kind: FourCC,
        /// Absolute offset of its header.
        offset: u64,
        /// The declared size.
        size: u64,
        /// Why it is wrong.
        reason: &'static str,
    },

    /// A box's fields end before its declared size: unread bytes remain.
    #[error("box {kind} at offset {offset}: {left} bytes left unread after its last field")]
    UnderDecode {
        /// The box.
        kind: FourCC,
        /// Absolute offset of the box.
        offset: u64,
        /// Bytes not consumed.
        left: u64,
    },

    /// A field holds a value the specification does not allow.
    #[error("box {kind} at offset {offset}: {reason}")]
    Invalid {
        /// The box.
        kind: FourCC,
        /// Absolute offset of the field or box.
        offset: u64,
        /// What is wrong, citing the rule.
        reason: String,
    },

    /// A count or size exceeds a safety limit (see [`crate::limits`]).
    #[error("box {kind} at offset {offset}: {what} exceeds the limit")]
    Limit {
        /// The box.
        kind: FourCC,
        /// Absolute offset.
        offset: u64,
        /// What exceeded which limit.
        what: &'static str,
    },

    /// A box that must be present is missing.
    #[error("missing {kind} box{context}")]
    MissingBox {
        /// The missing box type.
        kind: FourCC,
        /// Where it was expected (" in trak 2", or empty).
        context: String,
    },

    /// A box type the strict parser does not know (strict mode only).
    #[error("unknown box {kind} at offset {offset} (strict mode)")]
    UnknownBox {
        /// The unknown type.
        kind: FourCC,
        /// Absolute offset.
        offset: u64,
    },

    /// A value cannot be written in the format's field (e.g. a count over 2^32-1).
    #[error("cannot encode {kind}: {reason}")]
    Encode {
        /// The box being written.
        kind: FourCC,
        /// Why.
        reason: String,
    },

    /// The caller asked for something impossible (unknown track id, bad option).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),

    /// The file uses a feature this crate does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Result with the crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
