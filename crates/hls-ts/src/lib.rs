//! HLS packaging pieces for mdrm: MPEG-TS from ISO-BMFF samples, encryption, playlists.
//!
//! - [`ts`]: 188-byte packets with adaptation fields and PCR, PAT/PMT with CRC-32/MPEG-2, PES
//!   headers with PTS/DTS.
//! - [`es`]: what a track holds ([`EsCodec`]) and the sample conversion ([`EsConverter`]):
//!   H.264/H.265 to Annex B with an access unit delimiter and the parameter sets before every
//!   IDR, AAC to ADTS, AC-3/E-AC-3 as their own stream types.
//! - [`muxer`]: [`TsMuxer`], one program; PAT/PMT at every segment start, PCR on the video
//!   PID, continuity counters running on across segments, random access indicator on key
//!   frames, stuffing in the adaptation field.
//! - [`segment`]: [`TrackTimeline`] (samples on the 90 kHz clock, edit lists applied) and
//!   [`plan_segments`] (cuts at key frames near the target duration; other tracks follow).
//! - [`writer`]: [`TsOutput`], which streams the samples of planned segments from an
//!   [`bmff::reader::Mp4Reader`] through the converters into the muxer, audio and video
//!   interleaved by decode time. Memory does not grow with the input: only the sample index
//!   is held.
//! - [`crypto`]: `METHOD=AES-128` ([`Aes128Writer`], whole segments, PKCS#7) and
//!   `METHOD=SAMPLE-AES` ([`SampleAesEncryptor`]: H.264 slices 1:9 after 32 clear bytes with
//!   emulation prevention re-applied, ADTS/AC-3 frames after 16 clear bytes).
//! - [`playlist`]: media and master m3u8, rendered and parsed; [`webvtt`]: WebVTT segmenting
//!   with `X-TIMESTAMP-MAP`.
//! - [`demux`]: a checking demuxer and SAMPLE-AES decryptor for our own output (tests, the
//!   packager's read-back check, the `ts_demux` fuzz target).
//!
//! ```
//! use hls_ts::ts::psi::{parse_pat, pat_section};
//! let pat = pat_section(1, 1, hls_ts::ts::PMT_PID);
//! assert_eq!(parse_pat(&pat, 0).unwrap(), vec![(1, 0x1000)]);
//! ```

pub mod crypto;
pub mod demux;
mod error;
pub mod es;
pub mod limits;
pub mod muxer;
pub mod playlist;
pub mod segment;
pub mod ts;
pub mod webvtt;
pub mod writer;

pub use crypto::aes128::{Aes128Writer, decrypt_segment, sequence_iv};
pub use crypto::sample_aes::{SampleAesDecryptor, SampleAesEncryptor};
pub use error::{Error, Result};
pub use es::{EsCodec, EsConverter};
pub use muxer::{MuxStream, TsMuxer};
pub use segment::{CutPolicy, PlannedSegment, TS_TIME_OFFSET, TrackTimeline, plan_segments};
pub use writer::{SegmentStats, TsOutput};
