//! Writing the MPEG-TS media playlists of a package: segments (AES-128 or SAMPLE-AES) and the
//! playlist that lists them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use hls_ts::playlist::{KeyMethod, KeyTag, MediaPlaylist, SegmentEntry};
use hls_ts::{Aes128Writer, CutPolicy, EsCodec, SampleAesEncryptor, TsOutput};

use super::Counter;
use super::keys::HlsKey;
use super::plan::{MediaInput, Rendition};
use crate::error::{Error, OutputStage};

/// `KEYFORMAT` of FairPlay key tags.
pub const FAIRPLAY_KEY_FORMAT: &str = "com.apple.streamingkeydelivery";
/// Name of every media playlist inside its rendition folder.
pub const MEDIA_PLAYLIST: &str = "index.m3u8";
const BUFFER: usize = 256 * 1024;

/// One written segment.
#[derive(Clone, Debug)]
pub(crate) struct WrittenSegment {
    /// File name inside the rendition folder.
    pub(crate) name: String,
    /// Size in bytes (as stored, encrypted).
    pub(crate) bytes: u64,
    /// Duration in seconds.
    pub(crate) duration: f64,
}

/// A written media playlist.
#[derive(Clone, Debug)]
pub(crate) struct WrittenRendition {
    /// Its segments.
    pub(crate) segments: Vec<WrittenSegment>,
    /// Presentation start of each segment (90 kHz), for renditions to line up with.
    pub(crate) starts90: Vec<i64>,
    /// The playlist as written.
    pub(crate) playlist: MediaPlaylist,
}

impl WrittenRendition {
    /// Peak segment bit rate in bits per second.
    pub(crate) fn peak_bandwidth(&self) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.duration > 0.0)
            .map(|s| (s.bytes as f64 * 8.0 / s.duration).ceil() as u64)
            .max()
            .unwrap_or(0)
    }

    /// Average bit rate over the whole playlist.
    pub(crate) fn average_bandwidth(&self) -> u64 {
        let bytes: u64 = self.segments.iter().map(|s| s.bytes).sum();
        let secs: f64 = self.segments.iter().map(|s| s.duration).sum();
        if secs > 0.0 {
            (bytes as f64 * 8.0 / secs).ceil() as u64
        } else {
            0
        }
    }
}

/// How segments are protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TsProtection {
    /// `METHOD=AES-128`.
    Aes128,
    /// `METHOD=SAMPLE-AES` with FairPlay's key format.
    SampleAes,
}

/// The key tag of a media playlist.
pub(crate) fn key_tag(key: &HlsKey, protection: TsProtection) -> KeyTag {
    match protection {
        TsProtection::Aes128 => KeyTag {
            method: KeyMethod::Aes128,
            uri: key.uri.clone(),
            iv: Some(key.iv),
            key_format: None,
            key_format_versions: None,
        },
        TsProtection::SampleAes => KeyTag {
            method: KeyMethod::SampleAes,
            uri: key.uri.clone(),
            iv: Some(key.iv),
            key_format: Some(FAIRPLAY_KEY_FORMAT.into()),
            key_format_versions: Some("1".into()),
        },
    }
}

/// Segment file names: `segment_00000.ts`, wider when there are more than 100000.
pub(crate) fn segment_name(index: usize, count: usize, ext: &str) -> String {
    let width = count.saturating_sub(1).to_string().len().max(5);
    format!("segment_{index:0width$}.{ext}")
}

/// Writes the TS segments and the media playlist of `rendition` into `dir`.
pub(crate) fn write_rendition(
    dir: &Path,
    rendition: &Rendition,
    input: &mut MediaInput,
    key: &HlsKey,
    protection: TsProtection,
    policy: CutPolicy<'_>,
    progress: &mut Counter<'_>,
) -> Result<WrittenRendition, Error> {
    let at = "packager::hls::ts::write_rendition";
    let reader = &mut input.reader;
    let media = |source| Error::Hls {
        path: input.spec.path.clone(),
        source,
        at,
    };
    let plan = hls_ts::plan_segments(&rendition.tracks, 0, policy).map_err(media)?;
    let codecs = rendition
        .tracks
        .iter()
        .map(|t| EsCodec::from_reader(reader, t.track_id))
        .collect::<Result<Vec<_>, _>>()
        .map_err(media)?;
    let sample_aes =
        (protection == TsProtection::SampleAes).then(|| SampleAesEncryptor::new(&key.key, key.iv));
    let mut out = TsOutput::new(rendition.tracks.clone(), codecs, sample_aes).map_err(media)?;
    let mut segments = Vec::with_capacity(plan.len());
    for (i, seg) in plan.iter().enumerate() {
        let name = segment_name(i, plan.len(), "ts");
        let path = dir.join(&name);
        let out_err = |stage| {
            let path = path.clone();
            move |source| Error::Output {
                path,
                source,
                stage,
                at,
            }
        };
        let file = File::create_new(&path).map_err(out_err(OutputStage::Create))?;
        let mut buf = BufWriter::with_capacity(BUFFER, file);
        let written = match protection {
            TsProtection::Aes128 => {
                let mut w = Aes128Writer::new(&mut buf, &key.key, key.iv);
                out.write_segment(reader, seg, &mut w)
                    .and_then(|_| w.finish().map_err(hls_ts::Error::Io))
                    .map(|(_, n)| n)
            }
            TsProtection::SampleAes => out
                .write_segment(reader, seg, &mut buf)
                .map(|s| s.packets * 188),
        };
        let bytes = written.map_err(|e| match e {
            hls_ts::Error::Io(io) => out_err(OutputStage::Write)(io),
            other => media(other),
        })?;
        let file = buf
            .into_inner()
            .map_err(|e| out_err(OutputStage::Write)(e.into_error()))?;
        file.sync_data().map_err(out_err(OutputStage::Write))?;
        let sample_bytes: u64 = seg
            .ranges
            .iter()
            .zip(&rendition.tracks)
            .map(|(r, t)| {
                t.samples[r.clone()]
                    .iter()
                    .map(|s| s.size as u64)
                    .sum::<u64>()
            })
            .sum();
        progress.add(sample_bytes);
        segments.push(WrittenSegment {
            name,
            bytes,
            duration: seg.duration,
        });
    }
    let playlist = MediaPlaylist {
        media_sequence: 0,
        keys: vec![key_tag(key, protection)],
        map: None,
        segments: segments
            .iter()
            .map(|s| SegmentEntry {
                duration: s.duration,
                uri: s.name.clone(),
            })
            .collect(),
    };
    write_text(&dir.join(MEDIA_PLAYLIST), &playlist.render())?;
    Ok(WrittenRendition {
        segments,
        starts90: plan.iter().map(|s| s.start90).collect(),
        playlist,
    })
}

/// Writes a small text file (a playlist) in the staging folder.
pub(crate) fn write_text(path: &Path, text: &str) -> Result<(), Error> {
    let at = "packager::hls::ts::write_text";
    let fail = |stage| {
        move |source| Error::Output {
            path: path.to_path_buf(),
            source,
            stage,
            at,
        }
    };
    let mut f = File::create_new(path).map_err(fail(OutputStage::Create))?;
    f.write_all(text.as_bytes())
        .map_err(fail(OutputStage::Write))?;
    f.sync_data().map_err(fail(OutputStage::Write))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort() {
        assert_eq!(segment_name(0, 3, "ts"), "segment_00000.ts");
        assert_eq!(segment_name(123_456, 200_000, "m4s"), "segment_123456.m4s");
        assert_eq!(segment_name(7, 200_000, "ts"), "segment_000007.ts");
    }
}
