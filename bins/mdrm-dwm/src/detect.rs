//! `mdrm-dwm detect`: blind detection on a suspect file, or non-blind detection from one
//! captured frame and the original video.

use std::path::{Path, PathBuf};

use dwm_core::nonblind::{
    Registration, Thumbnail, detect_with_original, match_score, single_frame_active_area,
};
use dwm_core::{BlindDetector, Detection, DwmId, Plane, Verdict, WatermarkKey};

use crate::credentials::Credentials;
use crate::error::{ErrorCode, Failure, Result, fail, from_core};
use crate::ffmpeg::Tools;
use crate::ffmpeg::decode::{DecodeSpec, Decoder};
use crate::ffmpeg::probe;
use crate::image::{PngError, read_luma};
use crate::progress::Progress;
use crate::registry::{self, JobRecord, Recipient};

/// Seconds of video between looks when stopping early.
const LOOK_EVERY: f64 = 10.0;
/// Centre crops tried when matching thumbnails (a capture of a cropped leak).
const THUMB_CROPS: [f32; 4] = [0.0, 0.025, 0.05, 0.075];
/// Frames on each side of the best thumbnail match that are registered too: in a zoom or
/// pan, a crop of one frame looks like a neighbouring frame at thumbnail size.
const NEIGHBOURS: u64 = 10;

/// How to detect.
#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    /// The suspect file (blind detection).
    pub file: Option<PathBuf>,
    /// A captured frame (non-blind).
    pub frame: Option<PathBuf>,
    /// The original video (non-blind).
    pub original: Option<PathBuf>,
    /// Time of the captured frame in the original (skips the frame search).
    pub time: Option<f64>,
    /// Start of the analysed span (seconds).
    pub start: Option<f64>,
    /// Length of the analysed span (seconds).
    pub duration: Option<f64>,
    /// Analyse the whole span even after an ID is found.
    pub full: bool,
    /// Use the demo key.
    pub demo: bool,
    /// Credentials file.
    pub credentials: PathBuf,
    /// Registry file.
    pub registry: PathBuf,
    /// Report the raw bit error rate against this ID (evaluation).
    pub expect_id: Option<u32>,
    /// Show a progress bar.
    pub progress: bool,
}

/// The outcome of a detection.
#[derive(Debug, Clone)]
pub struct DetectReport {
    /// `blind` or `non-blind`.
    pub mode: &'static str,
    /// The detector's result.
    pub detection: Detection,
    /// The analysed span (seconds, presentation time).
    pub span: (f64, f64),
    /// The recipient holding the ID, when known.
    pub recipient: Option<Recipient>,
    /// Embedding jobs recorded for the ID.
    pub jobs: Vec<JobRecord>,
    /// Why the registry could not be asked, if so.
    pub registry_note: Option<String>,
    /// Non-blind: the registration found.
    pub registration: Option<Registration>,
    /// Raw bit error rate against `expect_id`.
    pub expected_ber: Option<f32>,
}

/// Blind (a suspect file) or non-blind (a captured frame and the original).
enum Mode<'a> {
    Blind(&'a Path),
    NonBlind(&'a Path, &'a Path),
}

fn key_and_creds(opts: &DetectOptions) -> Result<(WatermarkKey, Credentials)> {
    if opts.demo {
        return Ok((WatermarkKey::demo(), Credentials::demo()));
    }
    let c = Credentials::load(&opts.credentials)?;
    Ok((c.watermark_key()?, c))
}

fn check_file(path: &Path, what: &str) -> Result<()> {
    match std::fs::File::open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(
            ErrorCode::InputMissing,
            format!("{what} {} not found", path.display()),
        ),
        Err(e) => fail(
            ErrorCode::InputUnreadable,
            format!("{what} {}: {e}", path.display()),
        ),
    }
}

/// Runs a detection.
pub fn run(opts: &DetectOptions, tools: &Tools, log: &mut dyn FnMut(&str)) -> Result<DetectReport> {
    // Arguments first: a wrong combination is reported before any file is touched.
    let mode = match (&opts.frame, &opts.original, &opts.file) {
        (Some(frame), Some(original), _) => Mode::NonBlind(frame, original),
        (Some(_), None, _) | (None, Some(_), _) => {
            return fail(
                ErrorCode::Configuration,
                "--frame and --original go together",
            );
        }
        (None, None, Some(file)) => Mode::Blind(file),
        (None, None, None) => {
            return fail(
                ErrorCode::Configuration,
                "give a file to analyse, or --frame with --original",
            );
        }
    };
    let (key, creds) = key_and_creds(opts)?;
    let mut report = match mode {
        Mode::NonBlind(frame, original) => non_blind(opts, tools, &key, frame, original, log)?,
        Mode::Blind(file) => blind(opts, tools, &key, file, log)?,
    };
    if let Some(e) = opts.expect_id {
        let id = DwmId::new(u64::from(e)).map_err(|e| from_core(e, "--expect-id"))?;
        report.expected_ber = Some(report.detection.raw_ber_against(&key, id));
    }
    if let Verdict::Identified(id) = report.detection.verdict {
        match registry::open(&creds, &opts.registry) {
            Ok(reg) => {
                report.recipient = reg.by_id(id.value()).unwrap_or(None);
                report.jobs = reg
                    .jobs()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|j| j.dwm_id == id.value())
                    .collect();
            }
            Err(e) => report.registry_note = Some(e.to_string()),
        }
    }
    Ok(report)
}

fn blind(
    opts: &DetectOptions,
    tools: &Tools,
    key: &WatermarkKey,
    file: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<DetectReport> {
    check_file(file, "input")?;
    let video = probe::probe(tools, file)?;
    let (w, h) = (video.width, video.height);
    let fps = video.rate.as_f64();
    let mut det = BlindDetector::new(key, w, h).map_err(|e| from_core(e, "detector"))?;
    let mut spec = DecodeSpec::new(file.to_path_buf(), video.index, "gray", w * h);
    spec.start = opts.start;
    spec.duration = opts.duration;
    let total = opts
        .duration
        .or(video.duration.map(|d| d - opts.start.unwrap_or(0.0)))
        .map(|d| (d * fps).round().max(0.0) as u64);
    let progress = Progress::new(opts.progress, total, "frames");
    let mut dec = Decoder::start(tools, &spec)?;
    let look_frames = (LOOK_EVERY * fps).round().max(1.0) as usize;
    let mut last: Option<Detection> = None;
    while let Some(frame) = crate::stop_aware(dec.next_frame())? {
        if crate::STOP.load(std::sync::atomic::Ordering::Relaxed) {
            dec.stop();
            return fail(ErrorCode::StoppedByUser, "stopped by the user");
        }
        let plane = Plane::new(&frame[..], w, h, 8).map_err(|e| from_core(e, "frame"))?;
        det.push(&plane).map_err(|e| from_core(e, "frame"))?;
        last = None;
        progress.set(det.frames() as u64);
        if !opts.full && det.frames().is_multiple_of(look_frames) {
            let d = det.detect();
            let found = matches!(d.verdict, Verdict::Identified(_));
            last = Some(d);
            if found {
                log(&format!(
                    "identified after {:.1} s of video; stopping early (--full analyses everything)",
                    det.frames() as f64 / fps
                ));
                dec.stop();
                break;
            }
        }
    }
    progress.finish();
    if det.frames() == 0 {
        return fail(
            ErrorCode::StreamRead,
            format!("no frames decoded from {}", file.display()),
        );
    }
    let detection = match last {
        Some(d) => d,
        None => det.detect(),
    };
    let start = video.start_time + opts.start.unwrap_or(0.0);
    Ok(DetectReport {
        mode: "blind",
        span: (start, start + detection.frames as f64 / fps),
        detection,
        recipient: None,
        jobs: Vec::new(),
        registry_note: None,
        registration: None,
        expected_ber: None,
    })
}

fn non_blind(
    opts: &DetectOptions,
    tools: &Tools,
    key: &WatermarkKey,
    frame: &Path,
    original: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<DetectReport> {
    let (cap, cw, ch) = read_luma(frame).map_err(|e| {
        let code = match e {
            PngError::Missing => ErrorCode::InputMissing,
            PngError::Unreadable(_) => ErrorCode::InputUnreadable,
            PngError::NotPng(_) | PngError::Corrupt(_) => ErrorCode::StreamOpen,
        };
        Failure::new(code, format!("captured frame {}: {e}", frame.display()))
    })?;
    let cap_plane = Plane::new(&cap[..], cw, ch, 8).map_err(|e| from_core(e, "capture"))?;
    check_file(original, "original")?;
    let video = probe::probe(tools, original)?;
    let (w, h) = (video.width, video.height);
    let fps = video.rate.as_f64();
    let active = crate::active::estimate(tools, original, &video)?;
    let cap_thumb = Thumbnail::new(&cap_plane, single_frame_active_area(&cap_plane))
        .map_err(|e| from_core(e, "capture"))?;
    // One pass over the original (or the frame at --time): keep the best-matching frame.
    let mut spec = DecodeSpec::new(original.to_path_buf(), video.index, "gray", w * h);
    match opts.time {
        Some(t) => {
            spec.start = Some(t);
            spec.max_frames = Some(1);
        }
        None => {
            spec.start = opts.start;
            spec.duration = opts.duration;
        }
    }
    let mut dec = Decoder::start(tools, &spec)?;
    // Pass 1: thumbnail similarity of every frame (best over a few centre crops).
    let mut best_thumb: Option<(f32, u64)> = None;
    let mut n = 0u64;
    let progress = Progress::new(
        opts.progress && opts.time.is_none(),
        video.frames,
        "frames searched",
    );
    while let Some(f) = crate::stop_aware(dec.next_frame())? {
        if crate::STOP.load(std::sync::atomic::Ordering::Relaxed) {
            dec.stop();
            return fail(ErrorCode::StoppedByUser, "stopped by the user");
        }
        let plane = Plane::new(&f[..], w, h, 8).map_err(|e| from_core(e, "frame"))?;
        let mut score = f32::NEG_INFINITY;
        for crop in THUMB_CROPS {
            let t =
                Thumbnail::with_crop(&plane, active, crop).map_err(|e| from_core(e, "frame"))?;
            score = score.max(t.similarity(&cap_thumb));
        }
        if best_thumb.is_none_or(|b| score > b.0) {
            best_thumb = Some((score, n));
        }
        n += 1;
        progress.set(n);
    }
    progress.finish();
    let Some((score, best_index)) = best_thumb else {
        return fail(
            ErrorCode::StreamRead,
            format!("no frames decoded from {}", original.display()),
        );
    };
    // Pass 2: register the best match and its neighbours; keep the best registration.
    let base = opts.time.unwrap_or(opts.start.unwrap_or(0.0));
    let (first, count) = if opts.time.is_some() {
        (0, 1)
    } else {
        let first = best_index.saturating_sub(NEIGHBOURS);
        (first, best_index + NEIGHBOURS + 1 - first)
    };
    let mut spec = DecodeSpec::new(original.to_path_buf(), video.index, "gray", w * h);
    if opts.time.is_none() && first > 0 {
        spec.start = Some(base + (first as f64 - 0.25) / fps);
    } else {
        spec.start = Some(base).filter(|b| *b > 0.0);
    }
    spec.max_frames = Some(count);
    let mut dec = Decoder::start(tools, &spec)?;
    let mut best: Option<(f32, u64, Vec<u8>)> = None;
    let mut k = 0u64;
    while let Some(frame) = crate::stop_aware(dec.next_frame())? {
        let plane = Plane::new(&frame[..], w, h, 8).map_err(|e| from_core(e, "original"))?;
        let m = match_score(&cap_plane, &plane, active)
            .map_err(|e| Failure::new(ErrorCode::StreamRead, format!("registration: {e}")))?;
        if best.as_ref().is_none_or(|b| m > b.0) {
            best = Some((m, first + k, frame));
        }
        k += 1;
    }
    let Some((_, index, orig)) = best else {
        return fail(
            ErrorCode::StreamRead,
            "the matching frame could not be decoded again",
        );
    };
    let t =
        base + if opts.time.is_some() {
            0.0
        } else {
            index as f64 / fps
        } + video.start_time;
    log(&format!(
        "matching original frame at {} (similarity {score:.3})",
        crate::report::hms(t)
    ));
    let orig_plane = Plane::new(&orig[..], w, h, 8).map_err(|e| from_core(e, "original"))?;
    let (detection, reg) = detect_with_original(key, &cap_plane, &orig_plane, active)
        .map_err(|e| Failure::new(ErrorCode::StreamRead, format!("registration: {e}")))?;
    Ok(DetectReport {
        mode: "non-blind",
        span: (t, t + 1.0 / fps),
        detection,
        recipient: None,
        jobs: Vec::new(),
        registry_note: None,
        registration: Some(reg),
        expected_ber: None,
    })
}
