//! Limits against hostile input, in one place.

/// Largest elementary-stream packet (PES payload) the demuxer assembles: 64 MiB.
pub const MAX_PES_BYTES: usize = 64 << 20;

/// Most elementary streams a PMT may declare that the demuxer keeps.
pub const MAX_STREAMS: usize = 32;

/// Largest playlist the parser accepts: 16 MiB.
pub const MAX_PLAYLIST_BYTES: usize = 16 << 20;

/// Largest WebVTT file accepted: 64 MiB.
pub const MAX_WEBVTT_BYTES: usize = 64 << 20;

/// Most cues in one WebVTT file.
pub const MAX_WEBVTT_CUES: usize = 1_000_000;

/// Largest access unit the muxer converts: 64 MiB.
pub const MAX_SAMPLE_BYTES: u32 = 64 << 20;
