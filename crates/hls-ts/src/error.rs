//! The crate's one error type.

/// Everything that can go wrong muxing, encrypting, writing playlists, or reading TS back.
///
/// Variants name the track and sample, the TS byte offset, or the playlist/WebVTT line where
/// the problem was found. No variant carries key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The MP4 input could not be read.
    #[error("MP4 input: {0}")]
    Mp4(#[from] bmff::Error),

    /// The track's codec cannot be carried the way it was asked for.
    #[error("track {track_id}: {codec} is not supported {context}")]
    UnsupportedCodec {
        /// The input track.
        track_id: u32,
        /// The codec (sample entry code or name).
        codec: String,
        /// Where it is not supported, e.g. "in MPEG-TS" or "with SAMPLE-AES in MPEG-TS".
        context: String,
    },

    /// The track's codec configuration (`avcC`, `hvcC`, `esds`, ...) is missing or invalid.
    #[error("track {track_id}: invalid codec configuration: {reason}")]
    CodecConfig {
        /// The input track.
        track_id: u32,
        /// What is wrong.
        reason: String,
    },

    /// A sample cannot be converted (NAL length beyond the sample, oversized audio frame, ...).
    #[error("track {track_id}, sample {index}: {reason}")]
    InvalidSample {
        /// The input track.
        track_id: u32,
        /// 0-based sample index in decode order.
        index: u64,
        /// What is wrong.
        reason: String,
    },

    /// A track's timing cannot be expressed on the 33-bit 90 kHz MPEG-TS clock.
    #[error("track {track_id}: {reason}")]
    Timing {
        /// The input track.
        track_id: u32,
        /// What is wrong.
        reason: String,
    },

    /// Invalid arguments from the caller (no tracks, duplicate PIDs, ...).
    #[error("invalid use: {0}")]
    InvalidInput(String),

    /// An MPEG-TS stream is malformed (demuxer).
    #[error("MPEG-TS at byte {offset}: {reason}")]
    Ts {
        /// Byte offset of the packet (or section) in the stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },

    /// An elementary stream read back from TS is malformed (demuxer).
    #[error("MPEG-TS PID {pid:#x}: {reason}")]
    Elementary {
        /// The PID of the stream.
        pid: u16,
        /// What is wrong.
        reason: String,
    },

    /// Full-segment AES-128 decryption failed: wrong length or PKCS#7 padding (wrong key or IV).
    #[error("AES-128 segment: {0}")]
    Aes128(&'static str),

    /// A playlist line cannot be parsed.
    #[error("playlist line {line}: {reason}")]
    Playlist {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },

    /// A WebVTT file cannot be parsed.
    #[error("WebVTT line {line}: {reason}")]
    WebVtt {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },

    /// A limit against hostile input was exceeded ([`crate::limits`]).
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
}

/// Shorthand for `Result<T, hls_ts::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
