//! `mdrm-dwm embed`: decode the input once, mark each frame for every recipient, encode one
//! output per recipient, record each job.
//!
//! A failure that concerns one recipient (unknown name, its encoder failing, its file not
//! renamable) is recorded in that recipient's outcome and the others go on; a failure of the
//! job itself (bad job file, input, credentials) stops everything. No output is left under a
//! final name unless it is complete: encoders write to a hidden temporary name in the
//! destination folder, renamed at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use dwm_core::overlay::{self, PreparedOverlay, Schedule, YuvLayout};
use dwm_core::{DwmId, Embedder, FrameGeometry, MarkPattern, WatermarkKey};
use rayon::prelude::*;

use crate::credentials::Credentials;
use crate::error::{ErrorCode, Failure, Result, fail, from_core};
use crate::ffmpeg::Tools;
use crate::ffmpeg::decode::{DecodeSpec, Decoder};
use crate::ffmpeg::encode::{EncodeSpec, Encoder, EncoderSettings, check_output_opens, muxer_for};
use crate::ffmpeg::frame_times::{self, FrameTiming};
use crate::ffmpeg::hwaccel;
use crate::ffmpeg::probe::{self, VideoInfo};
use crate::frame::{FrameMarker, Overlay, RawSample};
use crate::image::{PngError, read_rgba};
use crate::jobfile::{Job, VisibleSpec};
use crate::progress::Progress;
use crate::registry::{self, JobRecord};

/// How to run an embedding job.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// The job file.
    pub job: PathBuf,
    /// Use the demo key and burn "DEMO" into the output.
    pub demo: bool,
    /// The credentials file (ignored with `demo`).
    pub credentials: PathBuf,
    /// The local registry file.
    pub registry: PathBuf,
    /// Use NVIDIA decode/encode when available.
    pub hwaccel: bool,
    /// Override the encoder's CRF/CQ.
    pub crf: Option<u32>,
    /// Override the encoder's preset.
    pub preset: Option<String>,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// What happened for one recipient.
#[derive(Debug, Clone)]
pub struct RecipientOutcome {
    /// The recipient's name.
    pub name: String,
    /// The DWM ID embedded (when registered).
    pub dwm_id: Option<u32>,
    /// The output file (when written).
    pub output: Option<PathBuf>,
    /// Frames written.
    pub frames: u64,
    /// The failure, when it failed.
    pub error: Option<Failure>,
}

/// The result of a job that ran (some recipients may still have failed).
#[derive(Debug, Clone)]
pub struct EmbedReport {
    /// The job's content id.
    pub content_id: String,
    /// The input file.
    pub input: PathBuf,
    /// Frames decoded.
    pub frames: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// One entry per recipient, in job order.
    pub outcomes: Vec<RecipientOutcome>,
}

impl EmbedReport {
    /// The code the process ends with: 0, or the first recipient failure's.
    pub fn code(&self) -> ErrorCode {
        self.outcomes
            .iter()
            .find_map(|o| o.error.as_ref().map(|e| e.code))
            .unwrap_or(ErrorCode::Success)
    }
}

/// A recipient being encoded.
struct Active {
    index: usize,
    mark: MarkPattern,
    encoder: Option<Encoder>,
    temp: PathBuf,
    output: PathBuf,
}

fn check_input(input: &Path) -> Result<()> {
    match std::fs::metadata(input) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(
            ErrorCode::InputMissing,
            format!("input {} not found", input.display()),
        ),
        Err(e) => fail(
            ErrorCode::InputUnreadable,
            format!("input {}: {e}", input.display()),
        ),
        Ok(m) if !m.is_file() => fail(
            ErrorCode::InputUnreadable,
            format!("input {} is not a file", input.display()),
        ),
        Ok(_) => std::fs::File::open(input).map(|_| ()).map_err(|e| {
            Failure::new(
                ErrorCode::InputUnreadable,
                format!("input {}: {e}", input.display()),
            )
        }),
    }
}

fn check_output_folder(output: &Path) -> Result<PathBuf> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return fail(
            ErrorCode::OutputFolder,
            format!("output folder {} does not exist", dir.display()),
        );
    }
    let probe = dir.join(format!(".mdrm-dwm-write-test-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(|e| {
        Failure::new(
            ErrorCode::OutputFolder,
            format!("output folder {} is not writable: {e}", dir.display()),
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(dir)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn temp_name(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.part-{}", std::process::id()))
}

fn load_overlay(spec: &VisibleSpec, video: &VideoInfo, layout: YuvLayout) -> Result<Overlay> {
    let img = read_rgba(&spec.image).map_err(|e| {
        let code = match e {
            PngError::Missing => ErrorCode::VisibleImageMissing,
            PngError::NotPng(_) => ErrorCode::VisibleImageFormat,
            PngError::Unreadable(_) | PngError::Corrupt(_) => ErrorCode::VisibleImageInvalid,
        };
        Failure::new(
            code,
            format!("visible watermark image {}: {e}", spec.image.display()),
        )
    })?;
    overlay::check_size(
        img.width(),
        img.height(),
        video.width as u32,
        video.height as u32,
    )
    .map_err(|e| {
        from_core(
            e,
            &format!("visible watermark image {}", spec.image.display()),
        )
    })?;
    let image = PreparedOverlay::new(&img, spec.alpha, layout)
        .map_err(|e| from_core(e, "visible watermark"))?;
    let schedule = Schedule::new(spec.positions.clone(), spec.interval, spec.disappear)
        .map_err(|e| from_core(e, "visible watermark"))?;
    Ok(Overlay { image, schedule })
}

/// Runs a job. `log` receives progress lines (the binary prints them on stderr).
pub fn run(opts: &EmbedOptions, tools: &Tools, log: &mut dyn FnMut(&str)) -> Result<EmbedReport> {
    let started = Instant::now();
    let job = Job::load(&opts.job)?;
    let (creds, key) = if opts.demo {
        (Credentials::demo(), WatermarkKey::demo())
    } else {
        let c = Credentials::load(&opts.credentials)?;
        let k = c.watermark_key()?;
        (c, k)
    };
    let mut reg = registry::open(&creds, &opts.registry)?;
    check_input(&job.input)?;
    let out_dir = check_output_folder(&job.output)?;
    let video = probe::probe(tools, &job.input)?;
    let Some(family) = video.family else {
        return fail(
            ErrorCode::UnsupportedCodec,
            format!(
                "video codec {:?} is not supported (H.264, H.265, VP9 and ProRes are)",
                video.codec_name
            ),
        );
    };
    if !tools.has_encoder(family.encoder()) {
        return fail(
            ErrorCode::EncoderMissing,
            format!(
                "FFmpeg at {} has no {} encoder (needed for {})",
                tools.ffmpeg.display(),
                family.encoder(),
                video.codec_name
            ),
        );
    }
    log(&format!(
        "input {}: {} {}x{} {} at {} fps, {} frames",
        job.input.display(),
        video.codec_name,
        video.width,
        video.height,
        video.pix_fmt_name,
        video.rate,
        video.frames.map_or("?".into(), |f| f.to_string())
    ));
    let mut video = video;
    match frame_times::frame_timing(tools, &job.input, &video)? {
        FrameTiming::Even => {}
        FrameTiming::Uneven(times) => {
            log(&format!(
                "frames are not evenly spaced (variable frame rate or a gap): all {} keep their own timestamps",
                times.len()
            ));
            video.frame_times = Some(Arc::new(times));
        }
        FrameTiming::Unknown if video.variable_rate => log(
            "warning: variable frame rate input without packet timestamps; output frames are timed at the average rate",
        ),
        FrameTiming::Unknown => {}
    }
    if video.pix_fmt.name != video.pix_fmt_name {
        log(&format!(
            "pixel format {} is carried as {}",
            video.pix_fmt_name, video.pix_fmt.name
        ));
    }
    let hw = if opts.hwaccel {
        let hw = hwaccel::detect(tools, family, &job.input);
        for n in &hw.notes {
            log(n);
        }
        hw
    } else {
        hwaccel::HwAccel::default()
    };
    let layout = YuvLayout {
        chroma_shift_x: video.pix_fmt.shift_x,
        chroma_shift_y: video.pix_fmt.shift_y,
        bit_depth: video.pix_fmt.depth,
        matrix: video.matrix,
        full_range: video.full_range,
    };
    let mut overlays = Vec::new();
    if let Some(v) = &job.visible {
        overlays.push(load_overlay(v, &video, layout)?);
    }
    if opts.demo {
        let img = overlay::demo_text(video.width, video.height);
        let image =
            PreparedOverlay::new(&img, 1.0, layout).map_err(|e| from_core(e, "demo text"))?;
        let pos = (
            ((video.width - image.width()) / 2) as i64,
            ((video.height - image.height()) / 2) as i64,
        );
        let schedule = Schedule::new(vec![pos], 0.0, 0.0).map_err(|e| from_core(e, "demo text"))?;
        overlays.push(Overlay { image, schedule });
        log("demo mode: public demo key, \"DEMO\" burnt into the picture");
    }
    let active = crate::active::estimate(tools, &job.input, &video)?;
    let geometry = FrameGeometry {
        width: video.width,
        height: video.height,
        active,
    };
    geometry
        .check()
        .map_err(|e| from_core(e, "the input's picture"))?;
    if active.w != video.width || active.h != video.height {
        log(&format!(
            "active picture {}x{} at ({}, {}) (bars excluded)",
            active.w, active.h, active.x, active.y
        ));
    }
    let embedder = Embedder::new(&key);
    let settings =
        EncoderSettings::for_family(family, &video, opts.crf, opts.preset.as_deref(), hw.encode);
    let muxer = muxer_for(&job.output);

    // Resolve recipients; unknown ones fail alone.
    let mut outcomes: Vec<RecipientOutcome> = Vec::new();
    let mut active_list: Vec<Active> = Vec::new();
    for name in &job.recipients {
        let mut outcome = RecipientOutcome {
            name: name.clone(),
            dwm_id: None,
            output: None,
            frames: 0,
            error: None,
        };
        let prepared = (|| -> Result<Active> {
            let r = reg.by_name(name)?.ok_or_else(|| {
                Failure::new(
                    ErrorCode::UnknownRecipient,
                    format!("recipient {name:?} is not registered (mdrm-dwm recipients add)"),
                )
            })?;
            outcome.dwm_id = Some(r.dwm_id);
            let id = DwmId::new(u64::from(r.dwm_id)).map_err(|e| from_core(e, "registry"))?;
            let output = job.output_for(name, r.dwm_id)?;
            if same_file(&output, &job.input) {
                return fail(
                    ErrorCode::OutputIsInput,
                    format!("output {} is the input", output.display()),
                );
            }
            let mark = embedder
                .mark(id, geometry)
                .map_err(|e| from_core(e, "embedder"))?;
            Ok(Active {
                index: outcomes.len(),
                mark,
                encoder: None,
                temp: temp_name(&output),
                output,
            })
        })();
        match prepared {
            Ok(a) => active_list.push(a),
            Err(e) => {
                log(&format!("recipient {name:?}: {e}"));
                outcome.error = Some(e);
            }
        }
        outcomes.push(outcome);
    }
    if active_list.is_empty() {
        return Ok(EmbedReport {
            content_id: job.content_id,
            input: job.input,
            frames: 0,
            seconds: started.elapsed().as_secs_f64(),
            outcomes,
        });
    }
    let spec_for = |a: &Active| EncodeSpec {
        input: job.input.clone(),
        video: video.clone(),
        settings: settings.clone(),
        output: a.temp.clone(),
        muxer,
        max_frames: None,
        test_source: false,
    };
    check_output_opens(tools, &spec_for(&active_list[0]))?;
    for a in &mut active_list {
        a.encoder = Some(Encoder::start(tools, &spec_for(a))?);
    }
    log(&format!(
        "encoding {} output(s) with {} {} into {}",
        active_list.len(),
        settings.encoder,
        settings.options.join(" "),
        out_dir.display()
    ));

    let mut spec = DecodeSpec::new(
        job.input.clone(),
        video.index,
        video.pix_fmt.name,
        video.pix_fmt.frame_bytes(video.width, video.height),
    );
    spec.hwaccel = hw.decode;
    let marker = FrameMarker {
        embedder: &embedder,
        geometry,
        fmt: video.pix_fmt,
        overlays: &overlays,
    };
    let progress = Progress::new(opts.progress, video.frames, "frames");
    let result = if video.pix_fmt.depth > 8 {
        frame_loop::<u16>(
            tools,
            &spec,
            &marker,
            &mut active_list,
            &mut outcomes,
            &video,
            &progress,
        )
    } else {
        frame_loop::<u8>(
            tools,
            &spec,
            &marker,
            &mut active_list,
            &mut outcomes,
            &video,
            &progress,
        )
    };
    progress.finish();
    let frames = match result {
        Ok(n) => n,
        Err(e) => {
            for a in active_list {
                if let Some(enc) = a.encoder {
                    enc.abort();
                }
                let _ = std::fs::remove_file(&a.temp);
            }
            return Err(e);
        }
    };

    // Finish each encoder, check, rename, record.
    for a in active_list {
        let o = &mut outcomes[a.index];
        let Some(enc) = a.encoder else {
            let _ = std::fs::remove_file(&a.temp);
            continue; // already failed during the loop
        };
        let done = (|| -> Result<u64> {
            let n = enc.finish()?;
            if n != frames {
                return fail(
                    ErrorCode::OutputWrite,
                    format!("{n} of {frames} frames reached the encoder"),
                );
            }
            std::fs::rename(&a.temp, &a.output).map_err(|e| {
                Failure::new(
                    ErrorCode::OutputWrite,
                    format!(
                        "cannot move the finished file to {}: {e}",
                        a.output.display()
                    ),
                )
            })?;
            let rec = JobRecord {
                account_id: job.account_id.clone(),
                content_id: job.content_id.clone(),
                recipient: o.name.clone(),
                dwm_id: a.mark.id().value(),
                output: a
                    .output
                    .canonicalize()
                    .unwrap_or(a.output.clone())
                    .display()
                    .to_string(),
                time: registry::now(),
            };
            if let Err(e) = reg.record_job(rec) {
                let _ = std::fs::remove_file(&a.output);
                return Err(e);
            }
            Ok(n)
        })();
        match done {
            Ok(n) => {
                o.frames = n;
                o.output = Some(a.output.canonicalize().unwrap_or(a.output.clone()));
            }
            Err(e) => {
                let _ = std::fs::remove_file(&a.temp);
                log(&format!("recipient {:?}: {e}", o.name));
                o.error = Some(e);
            }
        }
    }
    Ok(EmbedReport {
        content_id: job.content_id,
        input: job.input,
        frames,
        seconds: started.elapsed().as_secs_f64(),
        outcomes,
    })
}

/// Decodes every frame, marks it for each recipient (in parallel) and feeds the encoders.
/// An encoder that stops taking frames fails its recipient alone.
fn frame_loop<T: RawSample>(
    tools: &Tools,
    spec: &DecodeSpec,
    marker: &FrameMarker<'_>,
    active: &mut [Active],
    outcomes: &mut [RecipientOutcome],
    video: &VideoInfo,
    progress: &Progress,
) -> Result<u64> {
    let mut dec = Decoder::start(tools, spec)?;
    let fps = video.rate.as_f64();
    let mut n = 0u64;
    while let Some(raw) = crate::stop_aware(dec.next_frame())? {
        if crate::STOP.load(Ordering::Relaxed) {
            dec.stop();
            return fail(ErrorCode::StoppedByUser, "stopped by the user");
        }
        let frame = marker.prepare::<T>(&raw, n as f64 / fps)?;
        let marked: Vec<Option<Result<Vec<u8>>>> = active
            .par_iter()
            .map(|a| a.encoder.as_ref().map(|_| marker.mark(&frame, &a.mark)))
            .collect();
        for (a, m) in active.iter_mut().zip(marked) {
            let Some(m) = m else { continue };
            let sent = m.and_then(|bytes| a.encoder.as_ref().expect("active").send(bytes));
            if let Err(e) = sent {
                // This recipient's encoder failed: collect its reason, drop it, go on.
                let reason = a.encoder.take().map(|enc| enc.finish());
                let e = match reason {
                    Some(Err(f)) => f,
                    _ => e,
                };
                let _ = std::fs::remove_file(&a.temp);
                outcomes[a.index].error = Some(e);
            }
        }
        n += 1;
        progress.set(n);
        if active.iter().all(|a| a.encoder.is_none()) {
            dec.stop();
            return Ok(n);
        }
    }
    if video.frames_exact
        && let Some(expected) = video.frames
        && n < expected
    {
        return fail(
            ErrorCode::StreamRead,
            format!(
                "the input is truncated or damaged: {n} of the {expected} frames its index lists could be decoded"
            ),
        );
    }
    Ok(n)
}
