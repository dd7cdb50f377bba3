//! The crate's one error type.

use std::io;

/// Everything that can go wrong while writing or reading an NCG file.
///
/// Messages name the field, block or byte offset that failed and never contain key material.
/// Input and output I/O failures are separate variants ([`Error::Read`], [`Error::Write`]) so a
/// caller can tell which side failed without looking at the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data does not start with the NCG magic bytes.
    #[error("not an NCG file (magic bytes missing)")]
    NotNcg,
    /// The file was written by an incompatible (newer major) version of the format.
    #[error("unsupported NCG format version {major}.{minor} (this reader reads 1.x)")]
    UnsupportedVersion {
        /// Major version found in the file.
        major: u8,
        /// Minor version found in the file.
        minor: u8,
    },
    /// The header asks for a feature this reader does not implement (critical flag bit,
    /// critical extension record or unknown cipher suite).
    #[error("unsupported NCG feature: {what}")]
    UnsupportedFeature {
        /// What was found (e.g. "critical extension 0x8003").
        what: String,
    },
    /// The block size is not a power of two between 4 KiB and 16 MiB.
    #[error("invalid block size {size}: must be a power of two between 4096 and 16777216")]
    InvalidBlockSize {
        /// The rejected block size in bytes.
        size: u64,
    },
    /// A header field given to the writer is out of range.
    #[error("invalid header field {field}: {reason}")]
    InvalidField {
        /// The field (e.g. "content id").
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The header is structurally invalid (lengths that do not add up, bad UTF-8, ...).
    #[error("malformed NCG header: {field}: {reason}")]
    MalformedHeader {
        /// The field where parsing failed.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The key (or IV) does not belong to this file: the key check value differs.
    #[error("wrong key: the key and IV do not match this file (key check value differs)")]
    WrongKey,
    /// The header was modified after it was written (header MAC mismatch with the right key).
    #[error("header integrity check failed: the NCG header was modified or damaged")]
    HeaderIntegrity,
    /// A body block failed its integrity check (modified, damaged, reordered or from another file).
    #[error(
        "integrity check failed for block {index} (file bytes {file_offset}..{file_end}): the block was modified, damaged or moved"
    )]
    BlockIntegrity {
        /// Zero-based block index.
        index: u64,
        /// Offset of the block record (ciphertext then tag) in the NCG file.
        file_offset: u64,
        /// End of the block record in the NCG file (exclusive).
        file_end: u64,
    },
    /// The file is shorter than its header says.
    #[error("truncated NCG file: expected {expected} bytes, found {actual}")]
    Truncated {
        /// Length the header implies.
        expected: u64,
        /// Length found.
        actual: u64,
    },
    /// The file is longer than its header says.
    #[error("unexpected data after the NCG body: expected {expected} bytes, found {actual}")]
    TrailingData {
        /// Length the header implies.
        expected: u64,
        /// Length found.
        actual: u64,
    },
    /// The writer was given a different number of bytes than the header declared.
    #[error("input size changed: header declares {declared} bytes, {actual} were given")]
    SizeMismatch {
        /// Size written into the header.
        declared: u64,
        /// Bytes actually supplied (or at least that many, when more).
        actual: u64,
    },
    /// A read-back check found decrypted content that differs from the original.
    #[error("read-back check failed: decrypted content differs from the original at byte {offset}")]
    ContentMismatch {
        /// First differing content byte (or the shorter length, when the lengths differ).
        offset: u64,
    },
    /// Reading the input (plaintext for the writer, the NCG file for the reader) failed.
    #[error("read failed: {0}")]
    Read(#[source] io::Error),
    /// Writing the output failed.
    #[error("write failed: {0}")]
    Write(#[source] io::Error),
}

impl Error {
    /// Wraps this error in an [`io::Error`] (for the `Read`/`Write` trait impls), keeping plain
    /// I/O errors as they are so their kind survives.
    pub fn into_io(self) -> io::Error {
        match self {
            Error::Read(e) | Error::Write(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }

    /// The NCG error carried inside an [`io::Error`] produced by this crate's `Read`, `Write`
    /// or `Seek` implementations, if any.
    pub fn from_io(err: &io::Error) -> Option<&Error> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<Error>())
    }
}

/// Short alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
