//! From input tracks to Representations and AdaptationSets: which tracks are packaged, their
//! ids, their key class, and how they group.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bmff::reader::{CodecKind, Track};
use keys::TrackType;

use super::mpd::ContentType;
use super::scan::TrackScan;
use crate::error::Error;

/// What a packaged track is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Video,
    Audio,
    /// TTML in MP4 (`stpp`), packaged clear with `--subtitles`.
    Ttml,
}

/// One input track that becomes a Representation.
pub(crate) struct SourceTrack {
    pub(crate) input: usize,
    pub(crate) path: PathBuf,
    pub(crate) track: Track,
    pub(crate) kind: Kind,
    /// Totals from one pass over its samples (no per-sample table is kept).
    pub(crate) scan: TrackScan,
    /// Average bit rate in bit/s.
    pub(crate) avg_bitrate: u64,
    /// The key class (`SD`, `HD`, `AUDIO`, ...); `None` for clear tracks.
    pub(crate) key_class: Option<TrackType>,
    /// Representation id (also the folder of its segments).
    pub(crate) id: String,
}

impl SourceTrack {
    pub(crate) fn new(
        input: usize,
        path: PathBuf,
        track: Track,
        kind: Kind,
        scan: TrackScan,
    ) -> Self {
        let seconds = scan.ticks as f64 / track.timescale as f64;
        let avg_bitrate = if seconds > 0.0 {
            (scan.bytes as f64 * 8.0 / seconds) as u64
        } else {
            0
        };
        let key_class = match kind {
            Kind::Video => Some(TrackType::for_video_height(
                track.dimensions().map_or(0, |(_, h)| h as u32),
            )),
            Kind::Audio => Some(TrackType::Audio),
            Kind::Ttml => None,
        };
        SourceTrack {
            input,
            path,
            track,
            kind,
            scan,
            avg_bitrate,
            key_class,
            id: String::new(),
        }
    }

    /// Seconds of media.
    pub(crate) fn duration_seconds(&self) -> f64 {
        self.scan.ticks as f64 / self.track.timescale as f64
    }

    /// The language for the MPD in RFC 5646 form (`None` when undetermined).
    pub(crate) fn language(&self) -> Option<String> {
        crate::language::track_language(&self.track.language)
    }

    pub(crate) fn content_type(&self) -> ContentType {
        match self.kind {
            Kind::Video => ContentType::Video,
            Kind::Audio => ContentType::Audio,
            Kind::Ttml => ContentType::Text,
        }
    }
}

/// Classifies an input track: `Ok(None)` when it is not packaged (with the reason for the
/// log), an error when it cannot be.
pub(crate) fn classify(
    path: &std::path::Path,
    track: &Track,
    subtitles: bool,
) -> Result<Result<Kind, String>, Error> {
    let at = "packager::dash::layout::classify";
    let refuse = |reason: String| Error::Track {
        path: path.to_path_buf(),
        track: track.id,
        reason,
        at,
    };
    if track.encryption().is_some() {
        return Err(refuse(
            "is already encrypted; package clear input (decrypt it first with mdrm-box decrypt)"
                .into(),
        ));
    }
    let codec = track.codec();
    if track.is_video() {
        return match codec {
            CodecKind::H264 | CodecKind::H265 | CodecKind::Vp9 => Ok(Ok(Kind::Video)),
            other => Err(refuse(format!(
                "video codec {other:?} is not supported for DASH-CENC (H.264, H.265, VP9)"
            ))),
        };
    }
    if track.is_audio() {
        return match codec {
            CodecKind::Aac | CodecKind::Ac3 | CodecKind::Eac3 | CodecKind::Opus => {
                Ok(Ok(Kind::Audio))
            }
            other => Err(refuse(format!(
                "audio codec {other:?} is not supported for DASH-CENC (AAC, AC-3, E-AC-3, Opus)"
            ))),
        };
    }
    if codec == CodecKind::Ttml {
        return Ok(if subtitles {
            Ok(Kind::Ttml)
        } else {
            Err("TTML subtitles skipped (give --subtitles to include them)".into())
        });
    }
    Ok(Err(format!(
        "{} track ({}) skipped: not audio, video or TTML",
        track.handler,
        track.original_format()
    )))
}

/// Gives every track a unique, descriptive Representation id.
pub(crate) fn assign_ids(tracks: &mut [SourceTrack]) {
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for t in tracks.iter_mut() {
        let kbps = t.avg_bitrate.div_ceil(1000);
        let base = match t.kind {
            Kind::Video => {
                let (w, h) = t.track.dimensions().unwrap_or((0, 0));
                format!("video_{w}x{h}_{kbps}k")
            }
            Kind::Audio => format!(
                "audio_{}_{kbps}k",
                t.language().unwrap_or_else(|| "und".into())
            ),
            Kind::Ttml => format!("text_{}", t.language().unwrap_or_else(|| "und".into())),
        };
        let n = used.entry(base.clone()).or_insert(0);
        *n += 1;
        t.id = if *n == 1 { base } else { format!("{base}_{n}") };
    }
}

/// Groups track indices into AdaptationSets: video by key class when keys differ per class
/// (one set otherwise), audio by language and codec, subtitles by language.
pub(crate) fn group_refs(tracks: &[&SourceTrack], multi_key: bool) -> Vec<Vec<usize>> {
    let mut groups: BTreeMap<(Kind, String, String), Vec<usize>> = BTreeMap::new();
    for (i, t) in tracks.iter().enumerate() {
        let key = match t.kind {
            Kind::Video => (
                Kind::Video,
                if multi_key {
                    t.key_class
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default()
                } else {
                    String::new()
                },
                String::new(),
            ),
            Kind::Audio => (
                Kind::Audio,
                t.language().unwrap_or_default(),
                format!("{:?}", t.track.codec()),
            ),
            Kind::Ttml => (Kind::Ttml, t.language().unwrap_or_default(), String::new()),
        };
        groups.entry(key).or_default().push(i);
    }
    groups.into_values().collect()
}
