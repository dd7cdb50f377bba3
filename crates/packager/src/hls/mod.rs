//! The HLS packaging job (`mdrm-hls`): MP4 inputs (and side-loaded WebVTT) to an HLS package
//! in one output folder, written atomically:
//!
//! ```text
//! <out>/master.m3u8
//! <out>/video_720p/index.m3u8, segment_00000.ts, ...      one folder per media playlist
//! <out>/audio_en/index.m3u8, ...                           (audio renditions, when separate)
//! <out>/subs_de/index.m3u8, segment_00000.vtt, ...         (subtitle renditions)
//! ```
//!
//! Protection ([`HlsMode`]): SAMPLE-AES for FairPlay (default), HLS-NCG AES-128, or AES-128 with
//! a key URI of the user's (`--hls-key-uri`, optionally writing the key file). Which media
//! playlists exist is decided in [`plan`]; the key URIs in [`keys`].

mod fmp4;
pub mod inputs;
pub mod keys;
mod master;
pub mod plan;
mod subtitles;
mod ts;
mod verify;

use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};

use bmff::reader::Mp4Reader;
use hls_ts::playlist::{KeyMethod, KeyTag};
use hls_ts::webvtt::WebVtt;
use hls_ts::{CutPolicy, TS_TIME_OFFSET};

pub use keys::HlsMode;
pub use master::MASTER_PLAYLIST;
pub use ts::{FAIRPLAY_KEY_FORMAT, MEDIA_PLAYLIST};

use crate::args::JobSettings;
use crate::error::{Error, OutputStage};
use crate::input::open_input;
use crate::key_source::{self, KeyEnvironment};
use crate::log::PackagingLog;
use crate::output::StagedDir;
use crate::progress::Progress;
use inputs::{InputFormat, parse_input};
use plan::{MediaInput, RenditionKind, SubtitleInput};
use ts::{TsProtection, WrittenRendition};

const AT: &str = "packager::hls::run";

/// The segment format (`--hls-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HlsFormat {
    /// MPEG-2 transport stream segments (default).
    Ts,
    /// Fragmented MP4 (CMAF) segments with `cbcs` and `#EXT-X-MAP`.
    Fmp4,
}

/// HLS-specific settings of a job (the common ones are in [`JobSettings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HlsJobOptions {
    /// How the package is protected.
    pub mode: HlsMode,
    /// The segment format.
    pub format: HlsFormat,
}

/// Default `--segment-duration` in seconds.
pub const DEFAULT_SEGMENT_DURATION: f64 = 6.0;

/// Byte counts for the progress bar.
pub(crate) struct Counter<'a> {
    progress: &'a mut dyn Progress,
    done: u64,
}

impl Counter<'_> {
    pub(crate) fn add(&mut self, n: u64) {
        self.done += n;
        self.progress.advance(self.done);
    }
}

/// Checks the combination of HLS options (before anything is read).
pub fn check_options(settings: &JobSettings, options: &HlsJobOptions) -> Result<(), Error> {
    match (&options.mode, options.format) {
        (HlsMode::Ncg, HlsFormat::Fmp4) => {
            return Err(Error::invalid(
                "--hls-format",
                "fmp4 cannot be combined with --use-ncg-drm (HLS-NCG is AES-128 MPEG-TS)",
                AT,
            ));
        }
        (HlsMode::KeyUri { .. }, HlsFormat::Fmp4) => {
            return Err(Error::invalid(
                "--hls-format",
                "fmp4 cannot be combined with --hls-key-uri (AES-128 with a key URI is written as MPEG-TS)",
                AT,
            ));
        }
        _ => {}
    }
    if let HlsMode::KeyUri { uri, .. } = &options.mode {
        keys::check_key_uri(uri)?;
    }
    if options.mode == HlsMode::Ncg && settings.site_id.is_none() {
        return Err(Error::invalid(
            "--site-id",
            "required with --use-ncg-drm (exactly 4 bytes)",
            AT,
        ));
    }
    Ok(())
}

/// Runs the job; returns the package folder. Step lines go to `log`, byte counts to
/// `progress`. The caller writes the start/succeed/failed lines and the result document.
pub fn run(
    settings: &JobSettings,
    options: &HlsJobOptions,
    env: &KeyEnvironment,
    log: &mut PackagingLog<'_>,
    progress: &mut dyn Progress,
) -> Result<PathBuf, Error> {
    check_options(settings, options)?;
    if settings.inputs.is_empty() {
        return Err(Error::invalid("-i", "an input file is required", AT));
    }
    let target = settings
        .segment_duration
        .unwrap_or(DEFAULT_SEGMENT_DURATION);
    let (mut media, subtitles) = open_inputs(settings, log)?;
    let fmp4 = options.format == HlsFormat::Fmp4;
    let plan = plan::build(&media, &subtitles, fmp4)?;
    for note in &plan.notes {
        log.step(note);
    }
    let first_input = &settings.inputs[0];
    let out_path = output_path(settings.output.as_deref(), &media, &subtitles, first_input);
    refuse_inputs_inside_output(&out_path, &plan::input_paths(&media, &subtitles))?;
    let key_files = key_file_targets(&options.mode, &plan.renditions)?;

    let first_name = media
        .first()
        .map(|m| m.spec.path.as_path())
        .or_else(|| subtitles.first().map(|s| s.spec.path.as_path()))
        .unwrap_or(first_input);
    let content_id = key_source::content_id(settings, first_name)?;
    let mut track_types: Vec<keys_crate::TrackType> = plan
        .renditions
        .iter()
        .filter(|r| r.kind != RenditionKind::Subtitles)
        .map(|r| r.track_type)
        .collect();
    track_types.sort();
    track_types.dedup();
    let job_keys = keys::acquire(settings, &options.mode, &content_id, &track_types, env)?;
    log.step(&format!("Content id {content_id}"));
    log.step(&format!("Keys: {}", job_keys.source));
    let ts_offset = if fmp4 { 0 } else { TS_TIME_OFFSET };
    let fmp4_cuts = plan
        .renditions
        .iter()
        .find(|r| r.has_video())
        .or_else(|| plan.renditions.iter().find(|r| !r.tracks.is_empty()))
        .filter(|_| fmp4)
        .map(|r| fmp4::cut_seconds(&r.tracks[0].samples, r.tracks[0].timescale, target))
        .unwrap_or_default();
    let protection = if options.mode.is_aes128() {
        TsProtection::Aes128
    } else {
        TsProtection::SampleAes
    };
    log.step(&format!(
        "Protection: {}",
        match &options.mode {
            HlsMode::FairPlay if fmp4 => "cbcs (HLS-AES for FairPlay), fragmented MP4",
            HlsMode::FairPlay => "SAMPLE-AES (HLS-AES for FairPlay), MPEG-TS",
            HlsMode::Ncg => "AES-128 (HLS-NCG), MPEG-TS",
            HlsMode::KeyUri { .. } => "AES-128 with the --hls-key-uri key URI, MPEG-TS",
        }
    ));

    let staged = StagedDir::create(&out_path, settings.overwrite)?;
    let root = staged.path().to_path_buf();
    let total: u64 = plan
        .renditions
        .iter()
        .flat_map(|r| &r.tracks)
        .flat_map(|t| t.samples.iter().map(|s| s.size as u64))
        .sum();
    progress.start("packaging", total);
    let mut counter = Counter { progress, done: 0 };
    let mut written: Vec<WrittenRendition> = Vec::new();
    let mut media_keys = Vec::new();
    let mut reference: Option<Vec<i64>> = None;
    let result = (|| -> Result<(), Error> {
        for r in &plan.renditions {
            let dir = root.join(&r.name);
            let media_rendition = fmp4 && r.kind != RenditionKind::Subtitles;
            if !media_rendition {
                fs::create_dir(&dir).map_err(|source| Error::Output {
                    path: out_path.join(&r.name),
                    source,
                    stage: OutputStage::Create,
                    at: AT,
                })?;
            }
            let w = match r.kind {
                RenditionKind::Subtitles => {
                    let vtt = &subtitles[r.input].vtt;
                    let end = written.first().map_or(vtt.end(), |w| w.playlist.duration());
                    let starts =
                        subtitles::segment_starts(reference.as_deref(), ts_offset, target, end);
                    media_keys.push(None);
                    subtitles::write_rendition(&dir, vtt, &starts, end, ts_offset)?
                }
                _ => {
                    let key = job_keys.for_track(r.track_type)?;
                    let policy = match (&reference, r.has_video()) {
                        (Some(starts), false) => CutPolicy::At(starts),
                        _ => CutPolicy::Target(target),
                    };
                    let input = &mut media[r.input];
                    let w = if fmp4 {
                        fmp4::write_rendition(
                            &dir,
                            r,
                            &input.spec.path,
                            &mut input.reader,
                            &key,
                            &fmp4_cuts,
                            &mut counter,
                        )?
                    } else {
                        ts::write_rendition(&dir, r, input, &key, protection, policy, &mut counter)?
                    };
                    if reference.is_none() && r.has_video() {
                        reference = Some(w.starts90.clone());
                    }
                    media_keys.push(Some(key));
                    w
                }
            };
            log.step(&format!(
                "{}: {} segments, target duration {} s, {:.3} s, codecs {}",
                r.name,
                w.segments.len(),
                w.playlist.target_duration(),
                w.playlist.duration(),
                r.codecs.join(",")
            ));
            written.push(w);
        }
        Ok(())
    })();
    counter.progress.finish();
    result?;

    let session_keys = session_keys(&options.mode, &written);
    let version = written
        .iter()
        .map(|w| w.playlist.version())
        .max()
        .unwrap_or(3);
    let master = master::build(&plan.renditions, &written, session_keys, version);
    ts::write_text(&root.join(MASTER_PLAYLIST), &master.render())?;
    log.step(&format!(
        "{MASTER_PLAYLIST}: {} variant streams, {} renditions",
        master.variants.len(),
        master.renditions.len()
    ));
    if let Some(k) = media_keys.iter().flatten().next() {
        for rel in &key_files {
            write_key_file(&root, rel, &out_path, k)?;
            log.step(&format!("Key file {} (16 bytes)", rel.display()));
        }
    }

    if settings.verify {
        let total: u64 = written
            .iter()
            .flat_map(|w| &w.segments)
            .map(|s| s.bytes)
            .sum();
        counter.progress.start("verifying", total);
        counter.done = 0;
        let checked = (|| -> Result<(), Error> {
            for (i, r) in plan.renditions.iter().enumerate() {
                let dir = root.join(&r.name);
                match (&media_keys[i], r.kind) {
                    (None, _) => verify::subtitle_rendition(&dir, &subtitles[r.input].vtt)?,
                    (Some(key), _) if fmp4 => verify::fmp4_rendition(
                        &dir,
                        r,
                        &mut media[r.input].reader,
                        &written[i],
                        key,
                        &mut counter,
                    )?,
                    (Some(key), _) => verify::ts_rendition(
                        &dir,
                        r,
                        &mut media[r.input].reader,
                        &written[i],
                        key,
                        protection,
                        &mut counter,
                    )?,
                }
            }
            verify::master(&root, &plan.renditions, &master)
        })();
        counter.progress.finish();
        checked?;
        log.step("Verified: read every segment back, decrypted it and compared it with the input");
    }
    let final_path = staged.commit()?;
    log.step(&format!("Output {}", final_path.display()));
    Ok(final_path)
}

use ::keys as keys_crate;

/// Opens the MP4 inputs (codes 1201/1202/1207 and 1102 for non-MP4) and parses the WebVTT ones.
fn open_inputs(
    settings: &JobSettings,
    log: &mut PackagingLog<'_>,
) -> Result<(Vec<MediaInput>, Vec<SubtitleInput>), Error> {
    let mut media = Vec::new();
    let mut subtitles = Vec::new();
    for value in &settings.inputs {
        let spec = parse_input(value)?;
        let input = open_input(&spec.path)?;
        let media_err = |source| Error::Hls {
            path: spec.path.clone(),
            source,
            at: "packager::hls::open_inputs",
        };
        match spec.format {
            InputFormat::Mp4 => {
                let reader =
                    Mp4Reader::open(input.file).map_err(|e| media_err(hls_ts::Error::Mp4(e)))?;
                log.step(&format!(
                    "Input {}: {}",
                    spec.path.display(),
                    describe_tracks(&reader)
                ));
                media.push(MediaInput {
                    spec,
                    reader,
                    size: input.size,
                });
            }
            InputFormat::WebVtt => {
                let bytes = fs::read(&spec.path).map_err(|source| Error::Input {
                    path: spec.path.clone(),
                    source,
                    at: "packager::hls::open_inputs",
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    media_err(hls_ts::Error::WebVtt {
                        line: 0,
                        reason: "not UTF-8".into(),
                    })
                })?;
                let vtt = WebVtt::parse(&text).map_err(media_err)?;
                log.step(&format!(
                    "Input {}: WebVTT, {} cues, language {}",
                    spec.path.display(),
                    vtt.cues.len(),
                    spec.language.as_deref().unwrap_or("und")
                ));
                subtitles.push(SubtitleInput { spec, vtt });
            }
        }
    }
    Ok((media, subtitles))
}

fn describe_tracks(reader: &Mp4Reader<File>) -> String {
    let parts: Vec<String> = reader
        .tracks()
        .iter()
        .map(|t| {
            let codec = t
                .codec_string()
                .unwrap_or_else(|| t.original_format().to_string());
            if let Some((w, h)) = t.dimensions() {
                format!("track {} video {codec} {w}x{h}", t.id)
            } else if let Some((ch, rate)) = t.audio_format() {
                format!(
                    "track {} audio {codec} {rate} Hz {ch} ch ({})",
                    t.id, t.language
                )
            } else {
                format!("track {} {} {codec}", t.id, t.handler)
            }
        })
        .collect();
    parts.join(", ")
}

/// `-o`, else a folder named after the first input's stem in the current folder.
fn output_path(
    output: Option<&Path>,
    media: &[MediaInput],
    subtitles: &[SubtitleInput],
    first: &Path,
) -> PathBuf {
    if let Some(o) = output {
        return o.to_path_buf();
    }
    let path = media
        .first()
        .map(|m| &m.spec.path)
        .or(subtitles.first().map(|s| &s.spec.path))
        .map_or(first, |p| p.as_path());
    PathBuf::from(path.file_stem().unwrap_or(path.as_os_str()))
}

/// An absolute, `..`-free form of `p` (existing prefix resolved through the file system).
fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = fs::canonicalize(p) {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            absolute(parent).join(name)
        }
        _ => std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// `--overwrite` replaces the output folder: refuse one that holds an input.
fn refuse_inputs_inside_output(out: &Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let out_abs = absolute(out);
    for i in inputs {
        if absolute(i).starts_with(&out_abs) {
            return Err(Error::invalid(
                "-o",
                format!(
                    "{} is inside the output folder {}; choose another output folder",
                    i.display(),
                    out.display()
                ),
                AT,
            ));
        }
    }
    Ok(())
}

/// Percent-decodes a relative URI path.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where `--write-key-file` puts the key: the relative key URI resolved against every media
/// playlist's folder, as paths relative to the package root (deduplicated).
fn key_file_targets(mode: &HlsMode, renditions: &[plan::Rendition]) -> Result<Vec<PathBuf>, Error> {
    let HlsMode::KeyUri {
        uri,
        write_key_file: true,
    } = mode
    else {
        return Ok(Vec::new());
    };
    let bad = |why: &str| {
        Err(Error::invalid(
            "--write-key-file",
            format!("--hls-key-uri {uri:?} {why}"),
            AT,
        ))
    };
    if uri.contains("://")
        || uri.starts_with('/')
        || uri.contains(['?', '#', '\\'])
        || uri.contains(':')
    {
        return bad(
            "is not a relative path, so the key file's place is unknown (give a relative URI such as ../key.bin)",
        );
    }
    let Some(decoded) = percent_decode(uri) else {
        return bad("has an invalid percent escape");
    };
    let mut targets: Vec<PathBuf> = Vec::new();
    for r in renditions
        .iter()
        .filter(|r| r.kind != RenditionKind::Subtitles)
    {
        let mut parts: Vec<String> = vec![r.name.clone()];
        for c in Path::new(&decoded).components() {
            match c {
                Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return bad("resolves outside the output folder");
                    }
                }
                _ => return bad("is not a relative path"),
            }
        }
        let Some(last) = parts.last() else {
            return bad("resolves to the output folder itself");
        };
        if last == MEDIA_PLAYLIST || last == MASTER_PLAYLIST || last.starts_with("segment_") {
            return bad("would overwrite a playlist or segment");
        }
        if parts.len() == 1 && renditions.iter().any(|o| &o.name == last) {
            return bad("would overwrite a rendition folder");
        }
        let p: PathBuf = parts.iter().collect();
        if !targets.contains(&p) {
            targets.push(p);
        }
    }
    Ok(targets)
}

fn write_key_file(root: &Path, rel: &Path, out: &Path, key: &keys::HlsKey) -> Result<(), Error> {
    let at = "packager::hls::write_key_file";
    let path = root.join(rel);
    let fail = |stage| {
        let shown = out.join(rel);
        move |source| Error::Output {
            path: shown,
            source,
            stage,
            at,
        }
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(fail(OutputStage::Create))?;
    }
    let mut f = File::create_new(&path).map_err(fail(OutputStage::Create))?;
    std::io::Write::write_all(&mut f, key.key.secret_bytes()).map_err(fail(OutputStage::Write))?;
    f.sync_data().map_err(fail(OutputStage::Write))
}

/// `#EXT-X-SESSION-KEY` tags for FairPlay, one per distinct key tag of the media playlists.
fn session_keys(mode: &HlsMode, written: &[WrittenRendition]) -> Vec<KeyTag> {
    if *mode != HlsMode::FairPlay {
        return Vec::new();
    }
    let mut out: Vec<KeyTag> = Vec::new();
    for k in written.iter().flat_map(|w| &w.playlist.keys) {
        if k.method == KeyMethod::SampleAes && !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}
