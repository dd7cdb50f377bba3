//! What `ffprobe` says about the input: the video stream to mark and its properties.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use dwm_core::overlay::Matrix;
use serde::Deserialize;

use super::Tools;
use super::pixfmt::PixFmt;
use crate::error::{ErrorCode, Failure, Result, fail};

#[derive(Debug, Deserialize)]
struct ProbeOut {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Debug, Deserialize, Default)]
struct RawDisposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Deserialize)]
struct RawStream {
    index: usize,
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    width: Option<usize>,
    height: Option<usize>,
    pix_fmt: Option<String>,
    r_frame_rate: Option<String>,
    avg_frame_rate: Option<String>,
    start_time: Option<String>,
    start_pts: Option<i64>,
    time_base: Option<String>,
    nb_frames: Option<String>,
    duration: Option<String>,
    color_space: Option<String>,
    color_range: Option<String>,
    color_transfer: Option<String>,
    color_primaries: Option<String>,
    sample_aspect_ratio: Option<String>,
    codec_tag_string: Option<String>,
    #[serde(default)]
    disposition: RawDisposition,
}

#[derive(Debug, Deserialize)]
struct RawFormat {
    format_name: Option<String>,
    duration: Option<String>,
}

/// The codec families mdrm-dwm re-encodes, each with its encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// H.264 -> libx264.
    H264,
    /// H.265 -> libx265.
    Hevc,
    /// VP9 -> libvpx-vp9.
    Vp9,
    /// ProRes -> prores_ks.
    ProRes,
}

impl Family {
    /// The CPU encoder of the family.
    pub fn encoder(self) -> &'static str {
        match self {
            Family::H264 => "libx264",
            Family::Hevc => "libx265",
            Family::Vp9 => "libvpx-vp9",
            Family::ProRes => "prores_ks",
        }
    }

    /// The NVIDIA encoder of the family, if any.
    pub fn nvenc(self) -> Option<&'static str> {
        match self {
            Family::H264 => Some("h264_nvenc"),
            Family::Hevc => Some("hevc_nvenc"),
            _ => None,
        }
    }
}

/// A rational number (frame rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rational {
    /// Numerator.
    pub num: u64,
    /// Denominator (> 0).
    pub den: u64,
}

impl Rational {
    fn parse(s: &str) -> Option<Rational> {
        let (n, d) = s.split_once('/')?;
        let (num, den) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        (num > 0 && den > 0).then_some(Rational { num, den })
    }

    /// As a float.
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// The video stream to mark, as the pipes and encoders need it.
#[derive(Debug, Clone)]
pub struct VideoInfo {
    /// Absolute stream index in the input.
    pub index: usize,
    /// Codec family.
    pub family: Option<Family>,
    /// FFmpeg's codec name.
    pub codec_name: String,
    /// Codec profile (ProRes profile name, H.264 profile, ...).
    pub profile: Option<String>,
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
    /// The decoded pixel format's name.
    pub pix_fmt_name: String,
    /// The pipe format.
    pub pix_fmt: PixFmt,
    /// Frame rate.
    pub rate: Rational,
    /// True when the average and nominal frame rates differ (variable frame rate).
    pub variable_rate: bool,
    /// First presentation time (seconds).
    pub start_time: f64,
    /// The stream's time base (`num/den`).
    pub time_base: Rational,
    /// First presentation time in `time_base` units.
    pub start_pts: i64,
    /// The earliest start time (seconds) among the other streams (copied unchanged), if any.
    pub others_start: Option<f64>,
    /// Frames, exact or estimated.
    pub frames: Option<u64>,
    /// True when `frames` comes from the container's index (not estimated).
    pub frames_exact: bool,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Colour matrix for the overlay.
    pub matrix: Matrix,
    /// Full-range samples.
    pub full_range: bool,
    /// `colorspace`, `color_range`, `color_trc`, `color_primaries` to pass on to the encoder.
    pub color_tags: Vec<(&'static str, String)>,
    /// Sample aspect ratio, when not square.
    pub sar: Option<String>,
    /// Codec tag (e.g. `hvc1`).
    pub codec_tag: Option<String>,
    /// The container's format names (e.g. `mov,mp4,m4a,3gp,3g2,mj2`).
    pub container: String,
    /// Every frame's timestamp (`time_base` units) when they are not evenly spaced at `rate`
    /// from `start_pts` (set by the embedder from [`super::frame_times`]).
    pub frame_times: Option<Arc<Vec<i64>>>,
}

/// Probes `input`: 50 when it is not readable media, 54 without a video stream.
pub fn probe(tools: &Tools, input: &Path) -> Result<VideoInfo> {
    let out = Command::new(&tools.ffprobe)
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(input)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Failure::new(
                ErrorCode::DecoderMissing,
                format!("cannot run {}: {e}", tools.ffprobe.display()),
            )
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return fail(
            ErrorCode::StreamOpen,
            format!(
                "{} cannot be opened as media: {}",
                input.display(),
                err.trim().lines().last().unwrap_or("ffprobe failed")
            ),
        );
    }
    let parsed: ProbeOut = serde_json::from_slice(&out.stdout).map_err(|e| {
        Failure::new(
            ErrorCode::StreamOpen,
            format!("ffprobe output for {}: {e}", input.display()),
        )
    })?;
    from_probe(parsed, input)
}

fn from_probe(p: ProbeOut, input: &Path) -> Result<VideoInfo> {
    let container = p
        .format
        .as_ref()
        .and_then(|f| f.format_name.clone())
        .unwrap_or_default();
    let format_duration = p
        .format
        .as_ref()
        .and_then(|f| f.duration.as_deref())
        .and_then(|d| d.parse::<f64>().ok());
    let chosen = p
        .streams
        .iter()
        .position(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0);
    let others_start = p
        .streams
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != chosen)
        .filter_map(|(_, s)| s.start_time.as_deref()?.parse::<f64>().ok())
        .reduce(f64::min);
    let Some(s) = chosen.map(|i| p.streams.into_iter().nth(i).expect("index from position")) else {
        return fail(
            ErrorCode::NoVideoTrack,
            format!("{} has no video track", input.display()),
        );
    };
    let codec_name = s.codec_name.clone().unwrap_or_default();
    let family = match codec_name.as_str() {
        "h264" => Some(Family::H264),
        "hevc" => Some(Family::Hevc),
        "vp9" => Some(Family::Vp9),
        "prores" => Some(Family::ProRes),
        _ => None,
    };
    let (width, height) = match (s.width, s.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return fail(
                ErrorCode::StreamOpen,
                format!("{}: the video stream has no size", input.display()),
            );
        }
    };
    let pix_fmt_name = s.pix_fmt.clone().unwrap_or_default();
    let (pix_fmt, _) = PixFmt::for_input(&pix_fmt_name)?;
    let r = s.r_frame_rate.as_deref().and_then(Rational::parse);
    let avg = s.avg_frame_rate.as_deref().and_then(Rational::parse);
    let rate = match (avg, r) {
        (Some(a), _) => a,
        (None, Some(r)) => r,
        _ => {
            return fail(
                ErrorCode::StreamOpen,
                format!("{}: the video stream has no frame rate", input.display()),
            );
        }
    };
    let variable_rate = matches!((avg, r), (Some(a), Some(r)) if (a.as_f64() - r.as_f64()).abs() > 0.01 * r.as_f64());
    let duration = s
        .duration
        .as_deref()
        .and_then(|d| d.parse::<f64>().ok())
        .or(format_duration);
    let indexed = s
        .nb_frames
        .as_deref()
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|&n| n > 0);
    let frames_exact = indexed.is_some();
    let frames = indexed.or_else(|| duration.map(|d| (d * rate.as_f64()).round() as u64));
    let start_time: f64 = s
        .start_time
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0);
    let time_base = s
        .time_base
        .as_deref()
        .and_then(Rational::parse)
        .unwrap_or(Rational {
            num: 1,
            den: 90_000,
        });
    let start_pts = s.start_pts.unwrap_or_else(|| {
        (start_time * time_base.den as f64 / time_base.num as f64).round() as i64
    });
    let full_range = pix_fmt.full_range || s.color_range.as_deref() == Some("pc");
    let matrix = match s.color_space.as_deref() {
        Some("bt709") => Matrix::Bt709,
        Some("bt2020nc") | Some("bt2020c") => Matrix::Bt2020,
        Some("smpte170m") | Some("bt470bg") => Matrix::Bt601,
        _ if height >= 720 => Matrix::Bt709,
        _ => Matrix::Bt601,
    };
    let mut color_tags = Vec::new();
    for (flag, v) in [
        ("-colorspace", &s.color_space),
        ("-color_range", &s.color_range),
        ("-color_trc", &s.color_transfer),
        ("-color_primaries", &s.color_primaries),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty() && *v != "unknown") {
            color_tags.push((flag, v.clone()));
        }
    }
    let sar = s
        .sample_aspect_ratio
        .filter(|r| r != "1:1" && r != "0:1" && r != "N/A");
    Ok(VideoInfo {
        index: s.index,
        family,
        codec_name,
        profile: s.profile,
        width,
        height,
        pix_fmt_name,
        pix_fmt,
        rate,
        variable_rate,
        start_time,
        time_base,
        start_pts,
        others_start,
        frames,
        frames_exact,
        duration,
        matrix,
        full_range,
        color_tags,
        sar,
        codec_tag: s.codec_tag_string.filter(|t| !t.starts_with('[')),
        container,
        frame_times: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<VideoInfo> {
        from_probe(serde_json::from_str(json).unwrap(), Path::new("x.mp4"))
    }

    #[test]
    fn picks_the_video_stream_and_rejects_audio_only() {
        let v = parse(
            r#"{"streams":[{"index":0,"codec_type":"audio","codec_name":"aac"},
            {"index":1,"codec_type":"video","codec_name":"mjpeg","width":10,"height":10,"pix_fmt":"yuvj420p","r_frame_rate":"0/0","avg_frame_rate":"0/0","disposition":{"attached_pic":1}},
            {"index":2,"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,"pix_fmt":"yuv420p10le","r_frame_rate":"24000/1001","avg_frame_rate":"24000/1001","nb_frames":"240","color_space":"bt709","codec_tag_string":"hvc1"}],
            "format":{"format_name":"mov,mp4","duration":"10.01"}}"#,
        )
        .unwrap();
        assert_eq!(v.index, 2);
        assert_eq!(v.family, Some(Family::Hevc));
        assert_eq!(v.pix_fmt.depth, 10);
        assert_eq!(
            v.rate,
            Rational {
                num: 24000,
                den: 1001
            }
        );
        assert_eq!(v.frames, Some(240));
        assert_eq!(v.matrix, Matrix::Bt709);
        let e = parse(
            r#"{"streams":[{"index":0,"codec_type":"audio","codec_name":"aac"}],"format":{}}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoVideoTrack);
    }
}
