//! `--hls-format fmp4`: fragmented MP4 (CMAF) media playlists encrypted with `cbcs`, written
//! by the DASH job's representation writer (`cenc::mp4` box layer) and listed with
//! `#EXT-X-MAP` and a SAMPLE-AES key tag. One track per media playlist (fMP4 renditions are
//! never muxed).

use std::fs::File;

use bmff::fragment::plan_cuts;
use bmff::reader::{Mp4Reader, Sample};
use hls_ts::playlist::{MediaPlaylist, SegmentEntry};
use kms_client::{Signalling, TrackKey};

use super::Counter;
use super::keys::HlsKey;
use super::plan::Rendition;
use super::ts::{
    MEDIA_PLAYLIST, TsProtection, WrittenRendition, WrittenSegment, key_tag, write_text,
};
use crate::dash::layout::{Kind, SourceTrack};
use crate::dash::scan::{plan_segments, scan_track};
use crate::dash::write::{Protection, write_representation};
use crate::error::Error;
use crate::progress::NoProgress;

/// Name of the init segment in every fMP4 rendition folder.
pub(crate) const INIT_SEGMENT: &str = "init.mp4";

/// Segment boundaries in seconds: `plan_cuts` on the samples of `samples` (the reference
/// track: the first video track).
pub(crate) fn cut_seconds(samples: &[Sample], timescale: u32, target: f64) -> Vec<f64> {
    let ts = timescale as f64;
    plan_cuts(samples, (target * ts).round() as u64)
        .into_iter()
        .map(|c| c as f64 / ts)
        .collect()
}

/// Writes the init segment, the cbcs media segments and the media playlist of a one-track
/// `rendition` into `dir` (which must not exist yet).
pub(crate) fn write_rendition(
    dir: &std::path::Path,
    rendition: &Rendition,
    input: &std::path::Path,
    reader: &mut Mp4Reader<File>,
    key: &HlsKey,
    cuts: &[f64],
    counter: &mut Counter<'_>,
) -> Result<WrittenRendition, Error> {
    let at = "packager::hls::fmp4::write_rendition";
    let timeline = &rendition.tracks[0];
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.id == timeline.track_id)
        .cloned()
        .ok_or_else(|| Error::Unexpected {
            what: format!(
                "track {} vanished from {}",
                timeline.track_id,
                input.display()
            ),
            at,
        })?;
    let kind = if track.is_video() {
        Kind::Video
    } else {
        Kind::Audio
    };
    let media_err = |source| Error::Media {
        path: input.to_path_buf(),
        source,
        at,
    };
    let ts = track.timescale as f64;
    // The scan's own cut plan is not used here (the rendition follows `cuts`); any sane target.
    let scan = scan_track(reader, track.id, (6.0 * ts).round() as u64).map_err(media_err)?;
    let cuts: Vec<u64> = cuts.iter().map(|s| (s * ts).round() as u64).collect();
    let (plan, _) = plan_segments(reader, track.id, &cuts).map_err(media_err)?;
    let mut source = SourceTrack::new(rendition.input, input.to_path_buf(), track, kind, scan);
    source.id.clone_from(&rendition.name);
    let track_key = TrackKey {
        track_type: rendition.track_type,
        kid: key.kid,
        key: key.key.clone(),
        iv: keys::Iv::new16(key.iv),
        signalling: Signalling::default(),
    };
    let mut done = 0;
    let segments = write_representation(
        reader,
        &source,
        &plan,
        Some(Protection {
            scheme: cenc::Scheme::Cbcs,
            key: &track_key,
            psshs: &[],
        }),
        dir,
        &mut NoProgress,
        &mut done,
    )?;
    counter.add(timeline.samples.iter().map(|s| s.size as u64).sum());
    let segments: Vec<WrittenSegment> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| WrittenSegment {
            name: format!("{}.m4s", i + 1),
            bytes: s.size,
            duration: s.duration as f64 / ts,
        })
        .collect();
    let starts90 = {
        let mut t = 0i64;
        segments
            .iter()
            .map(|s| {
                let start = t;
                t += (s.duration * 90_000.0).round() as i64;
                start
            })
            .collect()
    };
    let playlist = MediaPlaylist {
        media_sequence: 0,
        keys: vec![key_tag(key, TsProtection::SampleAes)],
        map: Some(INIT_SEGMENT.into()),
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
        starts90,
        playlist,
    })
}
