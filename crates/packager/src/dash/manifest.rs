//! The MPD of a finished package, and `keys.json`.

use std::collections::HashMap;
use std::path::Path;

use bmff::Pasp;
use bmff::reader::CodecKind;
use keys::KeyId;
use kms_client::TrackKey;

use super::layout::{self, Kind, SourceTrack};
use super::mpd::{
    AdaptationSet, Addressing, ContentType, Mpd, Representation, SegmentTemplate, timeline,
};
use super::protection::KeySignalling;
use super::write::WrittenSegment;
use crate::error::{Error, OutputStage};

/// A written Representation.
pub(crate) struct RepresentationOutput<'a> {
    pub(crate) track: &'a SourceTrack,
    pub(crate) key: Option<KeyId>,
    pub(crate) segments: Vec<WrittenSegment>,
}

/// A side-loaded WebVTT file in the package.
pub(crate) struct VttOutput {
    pub(crate) id: String,
    pub(crate) language: String,
    pub(crate) bytes: u64,
    pub(crate) duration: f64,
}

/// Peak bit rate over the segments (the last, usually short, one only when it is alone).
fn peak_bandwidth(segs: &[WrittenSegment], timescale: u32) -> u64 {
    let rate = |s: &WrittenSegment| {
        if s.duration == 0 {
            0.0
        } else {
            s.size as f64 * 8.0 * timescale as f64 / s.duration as f64
        }
    };
    let counted = if segs.len() > 1 {
        &segs[..segs.len() - 1]
    } else {
        segs
    };
    counted.iter().map(rate).fold(0.0, f64::max).ceil() as u64
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The most common sample duration as a frame rate (`25`, `30000/1001`).
fn frame_rate(t: &SourceTrack) -> Option<String> {
    let (&d, _) = t.scan.durations.iter().max_by_key(|(d, n)| (**n, **d))?;
    if d == 0 {
        return None;
    }
    let (num, den) = (t.track.timescale as u64, d as u64);
    let g = gcd(num, den);
    Some(if den / g == 1 {
        format!("{}", num / g)
    } else {
        format!("{}/{}", num / g, den / g)
    })
}

fn sar(t: &SourceTrack) -> String {
    let pasp = t
        .track
        .sample_entry()
        .and_then(|e| e.children().iter().find_map(|c| c.as_typed::<Pasp>()));
    match pasp {
        Some(p) if p.h_spacing > 0 && p.v_spacing > 0 => {
            let g = gcd(p.h_spacing as u64, p.v_spacing as u64);
            format!("{}:{}", p.h_spacing as u64 / g, p.v_spacing as u64 / g)
        }
        _ => "1:1".into(),
    }
}

fn representation(o: &RepresentationOutput<'_>) -> Representation {
    let t = o.track;
    let (width, height) = t
        .track
        .dimensions()
        .map_or((None, None), |(w, h)| (Some(w as u32), Some(h as u32)));
    let video = t.kind == Kind::Video;
    let audio = t.track.audio_format();
    Representation {
        id: t.id.clone(),
        bandwidth: peak_bandwidth(&o.segments, t.track.timescale).max(1),
        codecs: t
            .track
            .codec_string()
            .unwrap_or_else(|| match t.track.codec() {
                CodecKind::Ttml => "stpp".into(),
                _ => t.track.original_format().to_string(),
            }),
        width: if video { width } else { None },
        height: if video { height } else { None },
        frame_rate: if video { frame_rate(t) } else { None },
        sar: video.then(|| sar(t)),
        audio_sampling_rate: if t.kind == Kind::Audio {
            audio.map(|a| a.1)
        } else {
            None
        },
        channels: if t.kind == Kind::Audio {
            audio.map(|a| a.0)
        } else {
            None
        },
        addressing: Addressing::Template(SegmentTemplate {
            timescale: t.track.timescale,
            initialization: "$RepresentationID$/init.mp4".into(),
            media: "$RepresentationID$/$Number$.m4s".into(),
            start_number: 1,
            timeline: timeline(
                &o.segments
                    .iter()
                    .map(|s| (s.start, s.duration))
                    .collect::<Vec<_>>(),
            ),
        }),
    }
}

/// Builds the MPD: one AdaptationSet per group (see `layout::group`), WebVTT sets last.
pub(crate) fn build(
    outputs: &[RepresentationOutput<'_>],
    vtts: &[VttOutput],
    signals: &HashMap<KeyId, KeySignalling>,
    duration: f64,
    target: f64,
    multi_key: bool,
) -> Mpd {
    let tracks: Vec<&SourceTrack> = outputs.iter().map(|o| o.track).collect();
    let groups = layout::group_refs(&tracks, multi_key);
    let mut sets = Vec::new();
    for (id, members) in groups.iter().enumerate() {
        let first = &outputs[members[0]];
        let t = first.track;
        let content_type = t.content_type();
        let mime = match t.kind {
            Kind::Video => "video/mp4",
            Kind::Audio => "audio/mp4",
            Kind::Ttml => "application/mp4",
        };
        let content_protection = first
            .key
            .and_then(|k| signals.get(&k))
            .map(|s| s.descriptors.clone())
            .unwrap_or_default();
        sets.push(AdaptationSet {
            id: id as u32,
            content_type,
            mime_type: mime.into(),
            lang: if t.kind == Kind::Video {
                None
            } else {
                t.language()
            },
            role: (t.kind == Kind::Ttml).then(|| "subtitle".into()),
            supplemental: Vec::new(),
            content_protection,
            representations: members
                .iter()
                .map(|&i| representation(&outputs[i]))
                .collect(),
        });
    }
    // Video split by key class: let players switch between those sets.
    let video_ids: Vec<u32> = sets
        .iter()
        .filter(|a| a.content_type == ContentType::Video)
        .map(|a| a.id)
        .collect();
    if video_ids.len() > 1 {
        for a in sets
            .iter_mut()
            .filter(|a| a.content_type == ContentType::Video)
        {
            let others: Vec<String> = video_ids
                .iter()
                .filter(|&&i| i != a.id)
                .map(|i| i.to_string())
                .collect();
            a.supplemental.push((
                "urn:mpeg:dash:adaptation-set-switching:2016".into(),
                others.join(","),
            ));
        }
    }
    for v in vtts {
        sets.push(AdaptationSet {
            id: sets.len() as u32,
            content_type: ContentType::Text,
            mime_type: "text/vtt".into(),
            lang: (v.language != "und").then(|| v.language.clone()),
            role: Some("subtitle".into()),
            supplemental: Vec::new(),
            content_protection: Vec::new(),
            representations: vec![Representation {
                id: v.id.clone(),
                bandwidth: if v.duration > 0.0 {
                    ((v.bytes as f64 * 8.0 / v.duration).ceil() as u64).max(1)
                } else {
                    1
                },
                // The plain `text/vtt` file is no ISO-BMFF track: no codecs string.
                codecs: String::new(),
                width: None,
                height: None,
                frame_rate: None,
                sar: None,
                audio_sampling_rate: None,
                channels: None,
                addressing: Addressing::BaseUrl(format!("{}/subtitles.vtt", v.id)),
            }],
        });
    }
    let max_segment = outputs
        .iter()
        .flat_map(|o| {
            o.segments
                .iter()
                .map(|s| s.duration as f64 / o.track.track.timescale as f64)
        })
        .fold(0.0, f64::max);
    Mpd {
        duration,
        max_segment_duration: max_segment,
        min_buffer_time: target.min(max_segment.max(1.0)),
        adaptation_sets: sets,
    }
}

/// Writes `keys.json`: a W3C ClearKey JWK set (usable as a license answer) with hex forms.
pub(crate) fn write_keys_json(path: &Path, keys: &[Option<TrackKey>]) -> Result<(), Error> {
    let mut seen = Vec::new();
    let mut entries = Vec::new();
    for k in keys.iter().flatten() {
        if seen.contains(&k.kid) {
            continue;
        }
        seen.push(k.kid);
        entries.push(serde_json::json!({
            "kty": "oct",
            "kid": k.kid.to_base64url(),
            "k": keys::to_base64url(k.key.secret_bytes()),
            "kid_hex": k.kid.to_hex(),
            "key_hex": keys::to_hex(k.key.secret_bytes()),
            "track_type": k.track_type.as_str(),
        }));
    }
    let doc = serde_json::json!({ "keys": entries, "type": "temporary" });
    let text = serde_json::to_string_pretty(&doc).expect("JSON of plain values");
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
        stage: OutputStage::Write,
        at: "packager::dash::manifest::write_keys_json",
    })
}
