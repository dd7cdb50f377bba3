//! Subtitle renditions: a side-loaded WebVTT file cut into segments that line up with the
//! first variant, each with `X-TIMESTAMP-MAP`, listed in their own media playlist.

use std::path::Path;

use hls_ts::playlist::{MediaPlaylist, SegmentEntry};
use hls_ts::webvtt::WebVtt;

use super::ts::{MEDIA_PLAYLIST, WrittenRendition, WrittenSegment, segment_name, write_text};
use crate::error::Error;

/// Segment start times in seconds: the variant's (from its 90 kHz starts and the timeline's
/// zero), or every `target` seconds up to `end` when there is no variant to follow.
pub(crate) fn segment_starts(
    variant_starts90: Option<&[i64]>,
    zero90: u64,
    target: f64,
    end: f64,
) -> Vec<f64> {
    let mut starts: Vec<f64> = match variant_starts90 {
        Some(s) => s
            .iter()
            .map(|&t| (t - zero90 as i64) as f64 / 90_000.0)
            .collect(),
        None => {
            let n = ((end / target).ceil() as usize).max(1);
            (0..n).map(|i| i as f64 * target).collect()
        }
    };
    if starts.is_empty() {
        starts.push(0.0);
    }
    starts[0] = 0.0;
    starts
}

/// Writes the WebVTT segments and their playlist into `dir`. `end` is the presentation's
/// length in seconds (the last segment reaches it, or the last cue if that is later);
/// `mpegts` is the 90 kHz time of presentation zero in the media segments.
pub(crate) fn write_rendition(
    dir: &Path,
    vtt: &WebVtt,
    starts: &[f64],
    end: f64,
    mpegts: u64,
) -> Result<WrittenRendition, Error> {
    let texts = vtt.segments(starts, mpegts);
    let end = end.max(vtt.end());
    let mut segments = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let name = segment_name(i, texts.len(), "vtt");
        write_text(&dir.join(&name), text)?;
        let next = starts.get(i + 1).copied().unwrap_or(end);
        segments.push(WrittenSegment {
            name,
            bytes: text.len() as u64,
            duration: (next - starts[i]).max(0.0),
        });
    }
    let playlist = MediaPlaylist {
        media_sequence: 0,
        keys: Vec::new(),
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
        starts90: Vec::new(),
        playlist,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_follow_the_variant_or_the_target() {
        assert_eq!(
            segment_starts(Some(&[900_000, 1_440_000]), 900_000, 6.0, 10.0),
            [0.0, 6.0]
        );
        assert_eq!(segment_starts(None, 900_000, 4.0, 10.0), [0.0, 4.0, 8.0]);
        assert_eq!(segment_starts(None, 900_000, 4.0, 0.0), [0.0]);
    }
}
