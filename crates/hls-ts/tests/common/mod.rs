//! Helpers for the hls-ts integration tests: package an MP4's tracks into TS segments with the
//! library, and read source samples for comparisons.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use bmff::reader::Mp4Reader;
use hls_ts::es::nal::{avc_type, split_length_prefixed};
use hls_ts::{CutPolicy, EsCodec, PlannedSegment, SampleAesEncryptor, TrackTimeline, TsOutput};
use keys::ContentKey;

/// The test key of the peer files.
pub(crate) fn key() -> ContentKey {
    ContentKey::from_hex(mdrm_testkit::PEER_KEY).unwrap()
}

/// The test IV.
pub(crate) fn iv() -> [u8; 16] {
    mdrm_testkit::hex(mdrm_testkit::PEER_IV_CBCS)
        .try_into()
        .unwrap()
}

/// A generated test file, or `None` (skipped) without ffmpeg.
pub(crate) fn media(name: &str) -> Option<PathBuf> {
    Some(mdrm_testkit::generated_media()?.join(name))
}

/// The result of packaging one file.
pub(crate) struct Packaged {
    /// The segments' bytes.
    pub(crate) segments: Vec<Vec<u8>>,
    /// The plan they were written from.
    pub(crate) plan: Vec<PlannedSegment>,
    /// The track ids, in PID order.
    pub(crate) track_ids: Vec<u32>,
}

impl Packaged {
    /// All segments concatenated (one continuous TS).
    pub(crate) fn joined(&self) -> Vec<u8> {
        self.segments.concat()
    }
}

/// Packages every track of `path` (video first) into TS segments of about `target` seconds.
pub(crate) fn package(path: &Path, target: f64, sample_aes: bool) -> Packaged {
    let mut reader = Mp4Reader::open(File::open(path).unwrap()).unwrap();
    let mut ids: Vec<(bool, u32)> = reader
        .tracks()
        .iter()
        .map(|t| (!t.is_video(), t.id))
        .collect();
    ids.sort();
    let track_ids: Vec<u32> = ids.into_iter().map(|(_, id)| id).collect();
    let timelines: Vec<TrackTimeline> = track_ids
        .iter()
        .map(|&id| TrackTimeline::load(&reader, id).unwrap())
        .collect();
    let codecs: Vec<EsCodec> = track_ids
        .iter()
        .map(|&id| EsCodec::from_reader(&mut reader, id).unwrap())
        .collect();
    let plan = hls_ts::plan_segments(&timelines, 0, CutPolicy::Target(target)).unwrap();
    let enc = sample_aes.then(|| SampleAesEncryptor::new(&key(), iv()));
    let mut out = TsOutput::new(timelines, codecs, enc).unwrap();
    let segments = plan
        .iter()
        .map(|seg| {
            let mut buf = Vec::new();
            out.write_segment(&mut reader, seg, &mut buf).unwrap();
            buf
        })
        .collect();
    Packaged {
        segments,
        plan,
        track_ids,
    }
}

/// The samples of a track of `path`, in decoding order.
pub(crate) fn source_samples(path: &Path, track_id: u32) -> Vec<Vec<u8>> {
    let mut reader = Mp4Reader::open(File::open(path).unwrap()).unwrap();
    let samples: Vec<_> = reader
        .samples(track_id)
        .unwrap()
        .collect::<bmff::Result<_>>()
        .unwrap();
    samples
        .iter()
        .map(|s| {
            let mut buf = Vec::new();
            reader.read_sample(s, &mut buf).unwrap();
            buf
        })
        .collect()
}

/// The slice NAL units (H.264 types 1 to 5) of a length-prefixed sample.
pub(crate) fn slices_of_sample(sample: &[u8]) -> Vec<Vec<u8>> {
    split_length_prefixed(sample, 4)
        .map(|n| n.unwrap())
        .filter(|n| (1..=5).contains(&avc_type(n)))
        .map(|n| n.to_vec())
        .collect()
}

/// Writes `data` to a file in `dir` and returns its path.
pub(crate) fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `(size, md5)` of every frame ffmpeg's framemd5 muxer reports for `args` (input args then
/// map), e.g. decoded frames.
pub(crate) fn framemd5(ffmpeg: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(args)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{},{}", f[4], f[5])
        })
        .collect()
}
