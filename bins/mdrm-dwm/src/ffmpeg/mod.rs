//! FFmpeg, used as two executables with raw frames over pipes: `ffprobe` to read the input's
//! streams, one `ffmpeg` decoding the input once, and one `ffmpeg` per recipient encoding
//! the marked frames while copying every other stream from the input.

pub mod decode;
pub mod encode;
pub mod frame_times;
pub mod hwaccel;
mod mkv_pipe;
pub mod pixfmt;
pub mod probe;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::error::{ErrorCode, Failure, Result};

/// The FFmpeg executables and what they offer.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The `ffmpeg` executable.
    pub ffmpeg: PathBuf,
    /// The `ffprobe` executable.
    pub ffprobe: PathBuf,
    encoders: Vec<String>,
}

impl Tools {
    /// Finds the executables (given paths, else on `PATH`) and lists ffmpeg's encoders.
    /// A missing ffmpeg is 200, a missing ffprobe 201.
    pub fn locate(ffmpeg: Option<&Path>, ffprobe: Option<&Path>) -> Result<Self> {
        let find = |given: Option<&Path>, name: &str, code: ErrorCode| -> Result<PathBuf> {
            let p = match given {
                Some(p) => p.to_path_buf(),
                None => which(name).ok_or_else(|| {
                    Failure::new(code, format!("`{name}` not found on PATH (install FFmpeg)"))
                })?,
            };
            if !p.is_file() {
                return Err(Failure::new(code, format!("{} not found", p.display())));
            }
            Ok(p)
        };
        let ffmpeg = find(ffmpeg, "ffmpeg", ErrorCode::EncoderMissing)?;
        let ffprobe = find(ffprobe, "ffprobe", ErrorCode::DecoderMissing)?;
        let out = Command::new(&ffmpeg)
            .args(["-hide_banner", "-encoders"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                Failure::new(
                    ErrorCode::EncoderMissing,
                    format!("cannot run {}: {e}", ffmpeg.display()),
                )
            })?;
        let encoders = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let flags = it.next()?;
                let name = it.next()?;
                (flags.len() == 6 && flags.starts_with('V')).then(|| name.to_string())
            })
            .collect();
        Ok(Tools {
            ffmpeg,
            ffprobe,
            encoders,
        })
    }

    /// True when ffmpeg lists the video encoder `name`.
    pub fn has_encoder(&self, name: &str) -> bool {
        self.encoders.iter().any(|e| e == name)
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The last lines a child wrote on stderr (collected by a thread), for error messages.
#[derive(Debug, Clone, Default)]
pub struct StderrTail(Arc<Mutex<Vec<String>>>);

impl StderrTail {
    /// Starts collecting `child`'s stderr.
    pub fn collect(child: &mut Child) -> Self {
        let tail = StderrTail::default();
        if let Some(mut err) = child.stderr.take() {
            let t = tail.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = err.read_to_end(&mut buf);
                let text = String::from_utf8_lossy(&buf);
                let mut lines = t.0.lock().unwrap_or_else(|p| p.into_inner());
                lines.extend(text.lines().map(str::to_string));
                let n = lines.len();
                if n > 20 {
                    lines.drain(..n - 20);
                }
            });
        }
        tail
    }

    /// The collected lines joined (may be incomplete until the child's stderr closed).
    pub fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).join(" | ")
    }
}
