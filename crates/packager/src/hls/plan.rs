//! Which media playlists an HLS package has, from the inputs' tracks.
//!
//! - Each video track is a variant (`#EXT-X-STREAM-INF`).
//! - Audio-only inputs become audio renditions (`#EXT-X-MEDIA:TYPE=AUDIO`, one group per
//!   codec) and the variants are video only. Without audio-only inputs, each variant carries
//!   the first audio track of its own input muxed into its TS.
//! - Without any video, each audio track is an audio-only variant.
//! - WebVTT inputs become subtitle renditions (`TYPE=SUBTITLES`, group `subs`).
//! - fMP4 (`split_audio`): media playlists are never muxed; without audio-only inputs the first
//!   audio track of the first input that has one becomes the audio rendition.

use std::fs::File;
use std::path::PathBuf;

use bmff::reader::{Mp4Reader, Track};
use hls_ts::TrackTimeline;
use hls_ts::webvtt::WebVtt;
use keys::TrackType;

use super::inputs::{InputSpec, language_name, track_language};
use crate::error::Error;

/// An opened MP4 input.
pub struct MediaInput {
    /// Its `-i` spec.
    pub spec: InputSpec,
    /// The reader (index loaded).
    pub reader: Mp4Reader<File>,
    /// File size in bytes.
    pub size: u64,
}

/// A parsed WebVTT input.
pub struct SubtitleInput {
    /// Its `-i` spec.
    pub spec: InputSpec,
    /// The cues.
    pub vtt: WebVtt,
}

/// What a media playlist is in the master playlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenditionKind {
    /// A variant (`#EXT-X-STREAM-INF`): video, with or without muxed audio, or audio only.
    Variant,
    /// An audio rendition.
    Audio,
    /// A subtitle rendition.
    Subtitles,
}

/// One media playlist of the package.
pub struct Rendition {
    /// Folder name inside the package (also its name in logs).
    pub name: String,
    /// Its role.
    pub kind: RenditionKind,
    /// Index into the MP4 inputs (or into the subtitle inputs for subtitles).
    pub input: usize,
    /// The tracks, video first (empty for subtitles).
    pub tracks: Vec<TrackTimeline>,
    /// RFC 6381 codec strings of the tracks.
    pub codecs: Vec<String>,
    /// `LANGUAGE`.
    pub language: Option<String>,
    /// `NAME` (renditions).
    pub label: String,
    /// Width and height (video).
    pub resolution: Option<(u32, u32)>,
    /// Frames per second (video).
    pub frame_rate: Option<f64>,
    /// Audio channels.
    pub channels: Option<u16>,
    /// The key class of its tracks.
    pub track_type: TrackType,
}

impl Rendition {
    /// True when it holds a video track.
    pub fn has_video(&self) -> bool {
        self.resolution.is_some()
    }
}

fn media_err(path: &std::path::Path, e: hls_ts::Error) -> Error {
    Error::Hls {
        path: path.to_path_buf(),
        source: e,
        at: "packager::hls::plan::build",
    }
}

fn unique(names: &mut Vec<String>, base: String) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    names.push(name.clone());
    name
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Frames per second from the most common sample duration.
fn frame_rate(t: &TrackTimeline) -> Option<f64> {
    let mut durations: Vec<u32> = t
        .samples
        .iter()
        .map(|s| s.duration)
        .filter(|&d| d > 0)
        .collect();
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    let median = durations[durations.len() / 2];
    Some(t.timescale as f64 / median as f64)
}

/// The plan and the lines it logs.
pub struct Plan {
    /// Media playlists: variants first, then audio, then subtitle renditions.
    pub renditions: Vec<Rendition>,
    /// Notes for the log (tracks not packaged and why).
    pub notes: Vec<String>,
}

/// Builds the renditions of the package; `split_audio` keeps audio out of the variants.
pub fn build(
    media: &[MediaInput],
    subtitles: &[SubtitleInput],
    split_audio: bool,
) -> Result<Plan, Error> {
    let mut notes = Vec::new();
    let mut names = Vec::new();
    let has_video = media
        .iter()
        .any(|m| m.reader.tracks().iter().any(Track::is_video));
    let audio_only: Vec<bool> = media
        .iter()
        .map(|m| {
            let t = m.reader.tracks();
            !t.iter().any(Track::is_video) && t.iter().any(Track::is_audio)
        })
        .collect();
    let any_audio_only = audio_only.iter().any(|&a| a);
    let separate_audio = has_video && (any_audio_only || split_audio);
    // fMP4 without audio-only inputs: the audio rendition comes from this input.
    let audio_source = (split_audio && has_video && !any_audio_only)
        .then(|| {
            media
                .iter()
                .position(|m| m.reader.tracks().iter().any(Track::is_audio))
        })
        .flatten();
    let mut variants = Vec::new();
    let mut audios = Vec::new();
    for (i, m) in media.iter().enumerate() {
        let path = &m.spec.path;
        let load = |id: u32| TrackTimeline::load(&m.reader, id).map_err(|e| media_err(path, e));
        let tracks = m.reader.tracks();
        for t in tracks.iter().filter(|t| !t.is_video() && !t.is_audio()) {
            notes.push(format!(
                "{}: track {} ({}) is not packaged: only video and audio tracks are (side-load WebVTT subtitles with -i)",
                path.display(),
                t.id,
                t.handler
            ));
        }
        let audio_tracks: Vec<&Track> = tracks.iter().filter(|t| t.is_audio()).collect();
        let language_of = |t: &Track| {
            m.spec
                .language
                .clone()
                .or_else(|| track_language(&t.language))
        };
        for v in tracks.iter().filter(|t| t.is_video()) {
            let video = load(v.id)?;
            let (w, h) = v.dimensions().map_or((0, 0), |(w, h)| (w as u32, h as u32));
            let mut timelines = vec![video];
            let mut codecs = vec![codec_string(v, path)?];
            let mut channels = None;
            if !separate_audio && let Some(a) = audio_tracks.first() {
                timelines.push(load(a.id)?);
                codecs.push(codec_string(a, path)?);
                channels = a.audio_format().map(|(c, _)| c);
                for extra in audio_tracks.iter().skip(1) {
                    notes.push(format!(
                        "{}: audio track {} is not packaged: the variant muxes the first audio track (give other languages as separate audio-only inputs)",
                        path.display(),
                        extra.id
                    ));
                }
            } else if separate_audio && !audio_tracks.is_empty() && audio_source != Some(i) {
                notes.push(format!(
                    "{}: its audio tracks are not packaged: the audio renditions come from the audio-only inputs",
                    path.display()
                ));
            }
            let fps = frame_rate(&timelines[0]);
            variants.push(Rendition {
                name: unique(&mut names, format!("video_{h}p")),
                kind: RenditionKind::Variant,
                input: i,
                tracks: timelines,
                codecs,
                language: None,
                label: format!("{w}x{h}"),
                resolution: Some((w, h)),
                frame_rate: fps,
                channels,
                track_type: TrackType::for_video_height(h),
            });
        }
        let own_audio = audio_source == Some(i);
        if !has_video || audio_only[i] || own_audio {
            let take = if own_audio { 1 } else { audio_tracks.len() };
            for extra in audio_tracks.iter().skip(take) {
                notes.push(format!(
                    "{}: audio track {} is not packaged: the audio rendition is the first audio track (give other languages as separate audio-only inputs)",
                    path.display(),
                    extra.id
                ));
            }
            for a in audio_tracks.iter().take(take) {
                let language = language_of(a);
                let label = m
                    .spec
                    .name
                    .clone()
                    .or_else(|| language.as_deref().map(language_name))
                    .unwrap_or_else(|| format!("Audio {}", audios.len() + 1));
                audios.push(Rendition {
                    name: unique(
                        &mut names,
                        format!("audio_{}", safe(language.as_deref().unwrap_or("und"))),
                    ),
                    kind: if has_video {
                        RenditionKind::Audio
                    } else {
                        RenditionKind::Variant
                    },
                    input: i,
                    tracks: vec![load(a.id)?],
                    codecs: vec![codec_string(a, path)?],
                    language,
                    label,
                    resolution: None,
                    frame_rate: None,
                    channels: a.audio_format().map(|(c, _)| c),
                    track_type: TrackType::Audio,
                });
            }
        }
    }
    if variants.is_empty() && audios.is_empty() {
        return Err(Error::invalid(
            "-i",
            "no video or audio track to package in the inputs",
            "packager::hls::plan::build",
        ));
    }
    let mut renditions = variants;
    renditions.extend(audios);
    for (i, s) in subtitles.iter().enumerate() {
        let language = s.spec.language.clone();
        renditions.push(Rendition {
            name: unique(
                &mut names,
                format!("subs_{}", safe(language.as_deref().unwrap_or("und"))),
            ),
            kind: RenditionKind::Subtitles,
            input: i,
            tracks: Vec::new(),
            codecs: vec!["wvtt".into()],
            label: s
                .spec
                .name
                .clone()
                .or_else(|| language.as_deref().map(language_name))
                .unwrap_or_else(|| format!("Subtitles {}", i + 1)),
            language,
            resolution: None,
            frame_rate: None,
            channels: None,
            track_type: TrackType::All,
        });
    }
    Ok(Plan { renditions, notes })
}

fn codec_string(t: &Track, path: &std::path::Path) -> Result<String, Error> {
    t.codec_string().ok_or_else(|| {
        media_err(
            path,
            hls_ts::Error::CodecConfig {
                track_id: t.id,
                reason: format!("no codec configuration for {}", t.original_format()),
            },
        )
    })
}

/// Paths of every input, for checks against the output.
pub fn input_paths(media: &[MediaInput], subtitles: &[SubtitleInput]) -> Vec<PathBuf> {
    media
        .iter()
        .map(|m| m.spec.path.clone())
        .chain(subtitles.iter().map(|s| s.spec.path.clone()))
        .collect()
}
