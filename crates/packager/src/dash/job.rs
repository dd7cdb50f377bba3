//! The DASH-CENC job: inputs -> tracks -> aligned segments -> encryption -> MPD -> self-check.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bmff::reader::Mp4Reader;
use cenc::Scheme;
use keys::{KeyId, TrackType};
use kms_client::{DrmSystem, EncryptionScheme, PackageFormat};

use super::inputs::{InputSpec, parse_input};
use super::layout::{self, Kind, SourceTrack};
use super::manifest::{self, RepresentationOutput, VttOutput};
use super::protection::{KeySignalling, signalling};
use super::scan::{PlannedSegment, plan_segments, scan_track};
use super::verify::{self, Expectation};
use super::write::{Protection, write_representation};
use crate::args::JobSettings;
use crate::defaults::DEFAULT_LICENSE_URL;
use crate::error::{Error, OutputStage};
use crate::input::open_input;
use crate::key_source::{self, KeyEnvironment};
use crate::log::PackagingLog;
use crate::output::{StagedDir, check_output_keeps_inputs};
use crate::progress::Progress;

const AT: &str = "packager::dash::job::run";

/// DASH-specific settings (the common ones are in [`JobSettings`]).
#[derive(Clone, Debug)]
pub struct DashOptions {
    /// `--protection-scheme`: `cenc` (default) or `cbcs`.
    pub scheme: Scheme,
    /// `--subtitles`: include MP4-embedded TTML (`stpp`) tracks.
    pub subtitles: bool,
    /// `--write-clearkey-json`: write `keys.json` (KIDs and keys) next to the MPD.
    pub write_clearkey_json: bool,
    /// Name of the manifest in the output folder.
    pub manifest_name: String,
}

impl Default for DashOptions {
    fn default() -> Self {
        DashOptions {
            scheme: Scheme::Cenc,
            subtitles: false,
            write_clearkey_json: false,
            manifest_name: "manifest.mpd".into(),
        }
    }
}

/// What a finished job produced.
#[derive(Clone, Debug)]
pub struct DashOutput {
    /// The output folder.
    pub path: PathBuf,
    /// The MPD inside it.
    pub manifest: PathBuf,
    /// Representations written.
    pub representations: usize,
    /// Media segments written.
    pub segments: usize,
    /// Time spent writing the package.
    pub packaging_time: Duration,
    /// Time spent in the read-back self-check (zero with `--no-verify`).
    pub verify_time: Duration,
}

/// The default output folder: the first input's stem, in the current directory.
fn default_output(first: &Path) -> PathBuf {
    PathBuf::from(
        first
            .file_stem()
            .map(|s| s.to_os_string())
            .unwrap_or_else(|| "dash".into()),
    )
}

/// Runs the job. Step lines go to `log`, sample counts to `progress`.
pub fn run(
    settings: &JobSettings,
    opts: &DashOptions,
    env: &KeyEnvironment,
    log: &mut PackagingLog<'_>,
    progress: &mut dyn Progress,
) -> Result<DashOutput, Error> {
    let started = Instant::now();
    if !matches!(opts.scheme, Scheme::Cenc | Scheme::Cbcs) {
        return Err(Error::invalid(
            "--protection-scheme",
            "must be cenc or cbcs",
            AT,
        ));
    }
    let specs: Vec<InputSpec> = settings
        .inputs
        .iter()
        .map(|p| parse_input(p))
        .collect::<Result<_, _>>()?;
    let media: Vec<PathBuf> = specs
        .iter()
        .filter_map(|s| match s {
            InputSpec::Media(p) => Some(p.clone()),
            InputSpec::WebVtt { .. } => None,
        })
        .collect();
    if media.is_empty() {
        return Err(Error::invalid(
            "-i",
            "at least one MP4 input is required (subtitles alone are not a presentation)",
            AT,
        ));
    }

    let out_path = settings
        .output
        .clone()
        .unwrap_or_else(|| default_output(&media[0]));
    let input_paths: Vec<&Path> = specs.iter().map(InputSpec::path).collect();
    check_output_keeps_inputs(&out_path, &input_paths)?;
    let target = settings.segment_duration.unwrap_or(6.0);

    // Inputs and their tracks.
    let mut readers = Vec::with_capacity(media.len());
    let mut tracks: Vec<SourceTrack> = Vec::new();
    for (i, path) in media.iter().enumerate() {
        let input = open_input(path)?;
        let reader =
            Mp4Reader::open(BufReader::with_capacity(1 << 16, input.file)).map_err(|source| {
                Error::Media {
                    path: path.clone(),
                    source,
                    at: AT,
                }
            })?;
        for t in reader.tracks() {
            match layout::classify(path, t, opts.subtitles)? {
                Ok(kind) => {
                    // One streaming pass: totals and planned cuts, no table of samples.
                    let scan =
                        scan_track(&reader, t.id, (target * t.timescale as f64).round() as u64)
                            .map_err(|source| Error::Media {
                                path: path.clone(),
                                source,
                                at: AT,
                            })?;
                    if scan.count == 0 {
                        log.step(&format!(
                            "{} track {}: no samples, skipped",
                            path.display(),
                            t.id
                        ));
                        continue;
                    }
                    tracks.push(SourceTrack::new(i, path.clone(), t.clone(), kind, scan));
                }
                Err(reason) => log.step(&format!("{} track {}: {reason}", path.display(), t.id)),
            }
        }
        readers.push(reader);
    }
    if !tracks.iter().any(|t| t.kind != Kind::Ttml) {
        return Err(Error::invalid(
            "-i",
            "the inputs hold no audio or video track to package",
            AT,
        ));
    }
    layout::assign_ids(&mut tracks);
    for t in &tracks {
        log.step(&format!(
            "Track {} of {}: {} {}{} -> {}",
            t.track.id,
            t.path.display(),
            match t.kind {
                Kind::Video => "video",
                Kind::Audio => "audio",
                Kind::Ttml => "subtitles",
            },
            t.track
                .codec_string()
                .unwrap_or_else(|| t.track.original_format().to_string()),
            t.track
                .dimensions()
                .map(|(w, h)| format!(" {w}x{h}"))
                .unwrap_or_default(),
            t.id
        ));
    }

    // Keys.
    let content_id = key_source::content_id(settings, &media[0])?;
    let source = key_source::open_source(settings, PackageFormat::Dash, env)?;
    log.step(&format!(
        "Keys: {} (content id {content_id})",
        source.describe()
    ));
    let mut classes: Vec<TrackType> = tracks.iter().filter_map(|t| t.key_class).collect();
    classes.sort();
    classes.dedup();
    let request = key_source::request(
        settings,
        &content_id,
        classes,
        Some(match opts.scheme {
            Scheme::Cbcs => EncryptionScheme::Cbcs,
            _ => EncryptionScheme::Cenc,
        }),
        vec![
            DrmSystem::Widevine,
            DrmSystem::PlayReady,
            DrmSystem::ClearKey,
        ],
    )?;
    let keyset = key_source::fetch(source.as_ref(), &request)?;
    let license_url = settings
        .license_url
        .clone()
        .unwrap_or_else(|| DEFAULT_LICENSE_URL.to_owned());
    let mut signals: HashMap<KeyId, KeySignalling> = HashMap::new();
    let mut track_keys = Vec::with_capacity(tracks.len());
    for t in &tracks {
        let key = match t.key_class {
            None => None,
            Some(class) => {
                let key = keyset.for_track(class).ok_or_else(|| Error::Keys {
                    source: kms_client::Error::NoKey {
                        what: format!("no key for track class {}", class.as_str()),
                    },
                    at: AT,
                })?;
                if let std::collections::hash_map::Entry::Vacant(slot) = signals.entry(key.kid) {
                    slot.insert(signalling(key, opts.scheme, &content_id, &license_url)?);
                }
                Some(key.clone())
            }
        };
        track_keys.push(key);
    }
    log.detail(&format!(
        "Crypto: {}, AES {}",
        match opts.scheme {
            Scheme::Cbcs => "cbcs (AES-128 CBC, 1:9 pattern, constant IV per key)",
            _ => "cenc (AES-128 CTR, random 8-byte IV counter per track)",
        },
        if cenc::aes_hardware_accelerated() {
            "hardware-accelerated"
        } else {
            "in software"
        }
    ));
    if signals.len() > 1 {
        log.step(&format!("{} keys, one per track class", signals.len()));
    }

    // Segment boundaries: the sync samples of the reference track (the first video track,
    // else the first audio track), as presentation times in seconds (after each track's edit
    // list), applied to every track: an AAC track whose edit list skips its priming samples is
    // cut where its presentation reaches the video's key frame, as Shaka Packager does.
    let reference = tracks
        .iter()
        .position(|t| t.kind == Kind::Video)
        .or_else(|| tracks.iter().position(|t| t.kind == Kind::Audio))
        .expect("there is an audio or video track");
    let media_err = |t: &SourceTrack| {
        let path = t.path.clone();
        move |source| Error::Media {
            path,
            source,
            at: AT,
        }
    };
    let reference_cuts = tracks[reference].scan.cuts.clone();
    let (reference_plan, cut_offsets) = {
        let r = &tracks[reference];
        plan_segments(&readers[r.input], r.track.id, &reference_cuts).map_err(media_err(r))?
    };
    let cut_seconds: Vec<f64> = {
        let r = &tracks[reference];
        let first_dts = r.scan.first_dts as i64;
        let edit = r.track.edit_media_start();
        reference_cuts
            .iter()
            .zip(&cut_offsets)
            .map(|(&c, &cts_offset)| {
                // The key frame's presentation time: its composition offset (B-frame delay)
                // in, the edit list's start out.
                (c as i64 + first_dts + cts_offset - edit) as f64 / r.track.timescale as f64
            })
            .collect()
    };
    log.step(&format!(
        "Segments: {} per representation, target {target} s, cut at key frames of {}",
        cut_seconds.len() + 1,
        tracks[reference].id
    ));

    // Output.
    let staged = StagedDir::create(&out_path, settings.overwrite)?;
    let total: u64 = tracks.iter().map(|t| t.scan.count).sum();
    progress.start("packaging", total);
    let mut done = 0u64;
    let mut outputs = Vec::with_capacity(tracks.len());
    for (t, key) in tracks.iter().zip(&track_keys) {
        let ts = t.track.timescale as f64;
        let plan = if t.id == tracks[reference].id {
            reference_plan.clone()
        } else {
            // Back from presentation time to this track's relative decode time.
            let edit = t.track.edit_media_start();
            let first_dts = t.scan.first_dts as i64;
            let first_cts_offset = t.scan.first_cts_offset;
            let cuts: Vec<u64> = cut_seconds
                .iter()
                .map(|s| {
                    ((s * ts).round() as i64 + edit - first_cts_offset - first_dts).max(0) as u64
                })
                .collect();
            plan_segments(&readers[t.input], t.track.id, &cuts)
                .map_err(media_err(t))?
                .0
        };
        if t.kind == Kind::Video && t.id != tracks[reference].id {
            check_alignment(t, &plan, &tracks[reference])?;
        }
        let protection = key.as_ref().map(|k| Protection {
            scheme: opts.scheme,
            key: k,
            psshs: &signals[&k.kid].psshs,
        });
        let segments = write_representation(
            &mut readers[t.input],
            t,
            &plan,
            protection,
            &staged.path().join(&t.id),
            progress,
            &mut done,
        )
        .map_err(|e| staged.final_error(e))?;
        log.detail(&format!(
            "Representation {}: {} segments, {} bytes, {}",
            t.id,
            segments.len(),
            segments.iter().map(|s| s.size).sum::<u64>(),
            key.as_ref()
                .map_or_else(|| "clear".to_owned(), |k| format!("KID {}", k.kid))
        ));
        outputs.push(RepresentationOutput {
            track: t,
            key: key.as_ref().map(|k| k.kid),
            segments,
        });
    }
    progress.finish();

    // Side-loaded subtitles.
    let duration = tracks
        .iter()
        .map(|t| t.duration_seconds())
        .fold(0.0, f64::max);
    let mut vtts = Vec::new();
    for spec in &specs {
        if let InputSpec::WebVtt { path, language } = spec {
            vtts.push(
                copy_vtt(path, language, staged.path(), vtts.len(), duration)
                    .map_err(|e| staged.final_error(e))?,
            );
        }
    }

    // Manifest.
    let mpd = manifest::build(
        &outputs,
        &vtts,
        &signals,
        duration,
        target,
        settings.multi_key,
    );
    let manifest_path = staged.path().join(&opts.manifest_name);
    std::fs::write(&manifest_path, mpd.render())
        .map_err(|source| Error::Output {
            path: manifest_path.clone(),
            source,
            stage: OutputStage::Write,
            at: AT,
        })
        .map_err(|e| staged.final_error(e))?;
    if opts.write_clearkey_json {
        manifest::write_keys_json(&staged.path().join("keys.json"), &track_keys)
            .map_err(|e| staged.final_error(e))?;
        log.step("Wrote keys.json (KIDs and content keys: keep it secret)");
    }
    let segment_count: usize = outputs.iter().map(|o| o.segments.len()).sum();
    let packaging_time = started.elapsed();

    // Self-check of what is on disk.
    let verify_time = if settings.verify {
        let t0 = Instant::now();
        let mut expectations: Vec<Expectation<'_>> = outputs
            .iter()
            .map(|o| Expectation::of(o, &readers[o.track.input], &signals))
            .collect::<Result<_, _>>()?;
        verify::check(staged.path(), &opts.manifest_name, &mut expectations)?;
        let spent = t0.elapsed();
        log.step(&format!(
            "Self-check passed: {} representations, {segment_count} segments ({} ms)",
            outputs.len(),
            spent.as_millis()
        ));
        spent
    } else {
        log.step("Self-check skipped (--no-verify)");
        Duration::ZERO
    };
    let path = staged.commit()?;
    log.step(&format!(
        "Wrote {} ({} representations, {segment_count} segments)",
        path.join(&opts.manifest_name).display(),
        outputs.len() + vtts.len()
    ));
    Ok(DashOutput {
        manifest: path.join(&opts.manifest_name),
        path,
        representations: outputs.len() + vtts.len(),
        segments: segment_count,
        packaging_time,
        verify_time,
    })
}

/// Every segment of a video rung must start with a key frame at the reference's cut times.
fn check_alignment(
    t: &SourceTrack,
    plan: &[PlannedSegment],
    reference: &SourceTrack,
) -> Result<(), Error> {
    for segment in plan {
        if !segment.starts_with_sync {
            return Err(Error::Track {
                path: t.path.clone(),
                track: t.track.id,
                reason: format!(
                    "key frames are not aligned with {} (no key frame at {:.3} s); encode every \
                     rung with the same fixed, closed GOP",
                    reference.path.display(),
                    segment.first_dts as f64 / t.track.timescale as f64
                ),
                at: "packager::dash::job::check_alignment",
            });
        }
    }
    Ok(())
}

/// Checks and copies a side-loaded WebVTT file into the package.
fn copy_vtt(
    path: &Path,
    language: &str,
    stage: &Path,
    index: usize,
    duration: f64,
) -> Result<VttOutput, Error> {
    let at = "packager::dash::job::copy_vtt";
    let mut input = open_input(path)?;
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut input.file, &mut text).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
        at,
    })?;
    let body = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
    if !(body.starts_with(b"WEBVTT")
        && body
            .get(6)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')))
    {
        return Err(Error::invalid(
            "-i",
            format!("{}: not a WebVTT file (no WEBVTT header)", path.display()),
            at,
        ));
    }
    let id = if index == 0 {
        format!("text_{language}")
    } else {
        format!("text_{language}_{}", index + 1)
    };
    let dir = stage.join(&id);
    let out_err = |source| Error::Output {
        path: dir.clone(),
        source,
        stage: OutputStage::Write,
        at,
    };
    std::fs::create_dir(&dir).map_err(out_err)?;
    std::fs::write(dir.join("subtitles.vtt"), &text).map_err(out_err)?;
    Ok(VttOutput {
        id,
        language: language.to_owned(),
        bytes: text.len() as u64,
        duration,
    })
}
