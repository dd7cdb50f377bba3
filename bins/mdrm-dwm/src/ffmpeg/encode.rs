//! The encoders: one `ffmpeg` per recipient reading raw marked frames on stdin and copying
//! every other stream (audio, subtitles, data, chapters, metadata) from the input, with the
//! same frame rate and start time (or, for unevenly spaced frames, each frame's own time),
//! so frame count and timestamps match the input.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::frame_times::frame_ns;
use super::probe::{Family, VideoInfo};
use super::{StderrTail, Tools, mkv_pipe};
use crate::error::{ErrorCode, Failure, Result, fail};

/// Encoder settings chosen for a job.
#[derive(Debug, Clone)]
pub struct EncoderSettings {
    /// The FFmpeg encoder name (`libx264`, `h264_nvenc`, ...).
    pub encoder: String,
    /// Its quality options.
    pub options: Vec<String>,
}

/// ProRes profile number for prores_ks from ffprobe's profile name.
fn prores_profile(name: Option<&str>) -> &'static str {
    match name.unwrap_or("") {
        "Proxy" => "0",
        "LT" => "1",
        "Standard" => "2",
        "4444" => "4",
        "4444 XQ" => "5",
        _ => "3", // HQ
    }
}

impl EncoderSettings {
    /// The documented defaults per family (README "Encoder settings"), with optional
    /// `crf`/`preset` overrides; `nvenc` picks the NVIDIA encoder when the family has one.
    pub fn for_family(
        family: Family,
        video: &VideoInfo,
        crf: Option<u32>,
        preset: Option<&str>,
        nvenc: bool,
    ) -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        if nvenc && let Some(enc) = family.nvenc() {
            let cq = crf.unwrap_or(19).to_string();
            let mut options = s(&["-preset", preset.unwrap_or("p5"), "-tune", "hq"]);
            options.extend(s(&["-rc", "vbr", "-cq", &cq, "-b:v", "0"]));
            return EncoderSettings {
                encoder: enc.into(),
                options,
            };
        }
        let options = match family {
            Family::H264 => {
                let crf = crf.unwrap_or(16).to_string();
                s(&["-preset", preset.unwrap_or("medium"), "-crf", &crf])
            }
            Family::Hevc => {
                let crf = crf.unwrap_or(18).to_string();
                let mut o = s(&["-preset", preset.unwrap_or("medium"), "-crf", &crf]);
                o.extend(s(&["-x265-params", "log-level=error"]));
                o
            }
            Family::Vp9 => {
                let crf = crf.unwrap_or(20).to_string();
                let speed = vp9_speed(preset);
                s(&[
                    "-crf",
                    &crf,
                    "-b:v",
                    "0",
                    "-row-mt",
                    "1",
                    "-deadline",
                    "good",
                ])
                .into_iter()
                .chain(s(&["-cpu-used", speed]))
                .collect()
            }
            Family::ProRes => s(&[
                "-profile:v",
                prores_profile(video.profile.as_deref()),
                "-vendor",
                "apl0",
            ]),
        };
        EncoderSettings {
            encoder: family.encoder().into(),
            options,
        }
    }
}

/// libvpx-vp9 `-cpu-used` for a preset: a number is taken as is, x264 preset names map to
/// the speed of similar cost (medium -> 2).
fn vp9_speed(preset: Option<&str>) -> &str {
    match preset {
        None => "2",
        Some(p) if p.parse::<i32>().is_ok() => p,
        Some("ultrafast" | "superfast") => "8",
        Some("veryfast") => "6",
        Some("faster") => "5",
        Some("fast") => "4",
        Some("slow") => "1",
        Some("slower" | "veryslow" | "placebo") => "0",
        Some(_) => "2",
    }
}

/// The FFmpeg muxer for an output extension.
pub fn muxer_for(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("mov") => "mov",
        Some("mkv") => "matroska",
        Some("webm") => "webm",
        Some("mxf") => "mxf",
        _ => "mp4",
    }
}

/// Everything one encoder process needs.
#[derive(Debug, Clone)]
pub struct EncodeSpec {
    /// The input (for the copied streams).
    pub input: PathBuf,
    /// The input's video stream.
    pub video: VideoInfo,
    /// Encoder and options.
    pub settings: EncoderSettings,
    /// Where to write (a temporary name in the destination folder).
    pub output: PathBuf,
    /// Muxer name.
    pub muxer: &'static str,
    /// Stop after this many frames (the open check).
    pub max_frames: Option<u64>,
    /// Raw frames come from this lavfi source instead of stdin (the open check).
    pub test_source: bool,
}

fn command(tools: &Tools, spec: &EncodeSpec) -> Command {
    let v = &spec.video;
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-v", "error", "-y"]);
    let size = format!("{}x{}", v.width, v.height);
    if spec.test_source {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!(
            "color=c=gray:s={size}:r={}:d=0.5,format={}",
            v.rate, v.pix_fmt.name
        ));
    } else {
        if v.frame_times.is_some() {
            // Frames with their own timestamps (mkv_pipe).
            cmd.args(["-f", "matroska"]);
        } else {
            cmd.args(["-f", "rawvideo", "-pix_fmt", v.pix_fmt.name, "-s", &size]);
            cmd.arg("-framerate").arg(v.rate.to_string());
        }
        for (flag, val) in &v.color_tags {
            cmd.arg(flag).arg(val);
        }
        cmd.args(["-i", "pipe:0"]);
    }
    cmd.arg("-i").arg(&spec.input);
    cmd.args(["-map", "0:v:0", "-map", "1"]);
    cmd.arg("-map").arg(format!("-1:{}", v.index));
    cmd.args(["-c", "copy", "-c:v:0"])
        .arg(&spec.settings.encoder);
    cmd.args(&spec.settings.options);
    for (flag, val) in &v.color_tags {
        cmd.arg(flag).arg(val);
    }
    // Frames arrive at 1/rate (or, unevenly spaced, at their own times from the first frame's);
    // restamp them in the input stream's own time base from its first timestamp, so every
    // frame keeps the input's presentation time exactly.
    let tb = format!("{}/{}", v.time_base.num, v.time_base.den);
    let first = v.frame_times.as_ref().map_or(v.start_pts, |t| t[0]);
    let offset = start_pts_for(v, spec.muxer) + (first - v.start_pts);
    let mut filter = format!("settb={tb},setpts=PTS+{offset}");
    if let Some(sar) = &v.sar {
        filter += &format!(",setsar={}", sar.replace(':', "/"));
    }
    if !spec.test_source {
        cmd.arg("-filter:v:0").arg(filter);
        cmd.arg("-enc_time_base:v:0").arg(&tb);
    }
    if v.family == Some(Family::Hevc)
        && let Some(tag) = v
            .codec_tag
            .as_deref()
            .filter(|t| *t == "hvc1" || *t == "hev1")
        && matches!(spec.muxer, "mp4" | "mov")
    {
        cmd.args(["-tag:v:0", tag]);
    }
    // -copyts keeps every stream's own timestamps (the video's start via -itsoffset); without it
    // each input is shifted to start at 0, and audio that starts earlier than the video (Opus
    // pre-skip, AAC priming) would move against the picture.
    cmd.args([
        "-copyts",
        "-map_metadata",
        "1",
        "-map_chapters",
        "1",
        "-fps_mode:v:0",
        "passthrough",
    ]);
    if let Some(n) = spec.max_frames {
        cmd.arg("-frames:v:0").arg(n.to_string());
    }
    if spec.test_source {
        cmd.args(["-t", "0.5"]);
    }
    cmd.arg("-f").arg(spec.muxer).arg(&spec.output);
    cmd
}

/// The first video timestamp to write so that the output's timestamps equal the input's.
///
/// The Matroska/WebM muxer cannot store negative timestamps: when a copied stream starts
/// before zero (Opus pre-skip, AAC priming) it shifts every stream by that amount, as it did
/// when the input was written. Starting the video that much earlier lands it where it was.
fn start_pts_for(v: &VideoInfo, muxer: &str) -> i64 {
    match (muxer, v.others_start) {
        ("matroska" | "webm", Some(s)) if s < 0.0 => {
            let shift = (-s * v.time_base.den as f64 / v.time_base.num as f64).round() as i64;
            v.start_pts - shift
        }
        _ => v.start_pts,
    }
}

/// Checks that FFmpeg accepts the encoder, options, streams and container, by encoding a
/// few grey frames with the input's other streams into `spec.output` (then removed). A
/// refusal is 52 (cannot open the output), with FFmpeg's reason.
pub fn check_output_opens(tools: &Tools, spec: &EncodeSpec) -> Result<()> {
    let mut spec = spec.clone();
    spec.test_source = true;
    spec.max_frames = Some(3);
    let out = command(tools, &spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let _ = std::fs::remove_file(&spec.output);
    let out = out.map_err(|e| {
        Failure::new(
            ErrorCode::EncoderMissing,
            format!("cannot run {}: {e}", tools.ffmpeg.display()),
        )
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return fail(
            ErrorCode::OutputOpen,
            format!(
                "FFmpeg refuses {} with {} into {}: {}",
                spec.settings.encoder,
                spec.muxer,
                spec.output.display(),
                err.trim().lines().collect::<Vec<_>>().join(" | ")
            ),
        );
    }
    Ok(())
}

/// A running encoder fed by a writer thread.
pub struct Encoder {
    child: Child,
    tx: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<std::io::Result<u64>>>,
    tail: StderrTail,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

impl Encoder {
    /// Starts the encoder process.
    pub fn start(tools: &Tools, spec: &EncodeSpec) -> Result<Encoder> {
        let mut child = command(tools, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Failure::new(
                    ErrorCode::OutputOpen,
                    format!("cannot start {}: {e}", tools.ffmpeg.display()),
                )
            })?;
        let tail = StderrTail::collect(&mut child);
        let stdin = child.stdin.take().expect("piped stdin");
        let (tx, rx) = sync_channel::<Vec<u8>>(2);
        let v = spec.video.clone();
        let writer = std::thread::spawn(move || {
            let mut w = BufWriter::with_capacity(1 << 20, stdin);
            if v.frame_times.is_some() {
                let frame = 1_000_000_000 * v.rate.den / v.rate.num;
                w.write_all(&mkv_pipe::header(v.width, v.height, &v.pix_fmt, frame))?;
            }
            let mut n = 0u64;
            for frame in rx {
                if let Some(times) = &v.frame_times {
                    let ns = frame_ns(times, n, v.rate, v.time_base);
                    w.write_all(&mkv_pipe::frame_prefix(ns, frame.len()))?;
                }
                w.write_all(&frame)?;
                n += 1;
            }
            w.flush()?;
            Ok(n)
        });
        Ok(Encoder {
            child,
            tx: Some(tx),
            writer: Some(writer),
            tail,
        })
    }

    /// Queues one frame; fails (53) when the encoder has stopped taking frames.
    pub fn send(&self, frame: Vec<u8>) -> Result<()> {
        let tx = self.tx.as_ref().expect("send after finish");
        tx.send(frame).map_err(|_| {
            Failure::new(
                ErrorCode::OutputWrite,
                format!("the encoder stopped taking frames: {}", self.tail.text()),
            )
        })
    }

    /// Closes the input, waits for the encoder and returns the frames written (53 on any
    /// failure, with FFmpeg's reason).
    pub fn finish(mut self) -> Result<u64> {
        drop(self.tx.take());
        let written = self.writer.take().map(|w| w.join());
        let status = self.child.wait().map_err(|e| {
            Failure::new(
                ErrorCode::OutputWrite,
                format!("waiting for the encoder: {e}"),
            )
        })?;
        std::thread::sleep(std::time::Duration::from_millis(20));
        let frames = match written {
            Some(Ok(Ok(n))) => n,
            Some(Ok(Err(e))) => {
                return fail(
                    ErrorCode::OutputWrite,
                    format!("writing frames to the encoder: {e} ({})", self.tail.text()),
                );
            }
            _ => return fail(ErrorCode::OutputWrite, "the frame writer thread failed"),
        };
        if !status.success() {
            return fail(
                ErrorCode::OutputWrite,
                format!("the encoder failed ({status}): {}", self.tail.text()),
            );
        }
        Ok(frames)
    }

    /// Kills the encoder (the caller removes its temporary output).
    pub fn abort(mut self) {
        drop(self.tx.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        if self.writer.is_some() {
            drop(self.tx.take());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
