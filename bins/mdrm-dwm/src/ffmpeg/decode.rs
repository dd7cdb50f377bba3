//! The decoder: one `ffmpeg` writing raw frames of one video stream to a pipe, read on a
//! thread into a small bounded queue (so decoding overlaps the DSP and the encoders).

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, sync_channel};

use super::{StderrTail, Tools};
use crate::error::{ErrorCode, Failure, Result, fail};

/// What to decode.
#[derive(Debug, Clone)]
pub struct DecodeSpec {
    /// The input file.
    pub input: PathBuf,
    /// Absolute index of the video stream.
    pub stream: usize,
    /// Pixel format of the raw frames (`gray` for detection).
    pub pix_fmt: String,
    /// Bytes of one raw frame.
    pub frame_bytes: usize,
    /// Decode with `-hwaccel cuda`.
    pub hwaccel: bool,
    /// Start time (seconds, input option `-ss`).
    pub start: Option<f64>,
    /// Duration to decode (seconds).
    pub duration: Option<f64>,
    /// A filter chain applied before the frames are written (e.g. a scale for thumbnails).
    pub filter: Option<String>,
    /// Decode only key frames.
    pub keyframes_only: bool,
    /// Stop after this many frames.
    pub max_frames: Option<u64>,
}

impl DecodeSpec {
    /// Decodes the whole stream in `pix_fmt`.
    pub fn new(input: PathBuf, stream: usize, pix_fmt: &str, frame_bytes: usize) -> Self {
        DecodeSpec {
            input,
            stream,
            pix_fmt: pix_fmt.to_string(),
            frame_bytes,
            hwaccel: false,
            start: None,
            duration: None,
            filter: None,
            keyframes_only: false,
            max_frames: None,
        }
    }
}

/// A running decoder.
pub struct Decoder {
    child: Child,
    frames: Receiver<std::io::Result<Vec<u8>>>,
    tail: StderrTail,
    done: bool,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").finish_non_exhaustive()
    }
}

impl Decoder {
    /// Starts `ffmpeg` for `spec`.
    pub fn start(tools: &Tools, spec: &DecodeSpec) -> Result<Decoder> {
        let mut cmd = Command::new(&tools.ffmpeg);
        cmd.args(["-nostdin", "-hide_banner", "-v", "error"]);
        if spec.hwaccel {
            cmd.args(["-hwaccel", "cuda"]);
        }
        if spec.keyframes_only {
            cmd.args(["-skip_frame", "nokey"]);
        }
        if let Some(s) = spec.start {
            cmd.arg("-ss").arg(format!("{s:.6}"));
        }
        if let Some(d) = spec.duration {
            cmd.arg("-t").arg(format!("{d:.6}"));
        }
        cmd.arg("-i").arg(&spec.input);
        cmd.arg("-map").arg(format!("0:{}", spec.stream));
        if let Some(f) = &spec.filter {
            cmd.arg("-vf").arg(f);
        }
        if let Some(n) = spec.max_frames {
            cmd.arg("-frames:v").arg(n.to_string());
        }
        cmd.args(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt"])
            .arg(&spec.pix_fmt)
            .arg("pipe:1");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| {
            Failure::new(
                ErrorCode::EncoderMissing,
                format!("cannot run {}: {e}", tools.ffmpeg.display()),
            )
        })?;
        let tail = StderrTail::collect(&mut child);
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = sync_channel(3);
        let size = spec.frame_bytes;
        std::thread::spawn(move || read_frames(stdout, size, tx));
        Ok(Decoder {
            child,
            frames: rx,
            tail,
            done: false,
        })
    }

    /// The next frame, or `None` at the end of the stream (then the decoder's exit status is
    /// checked: 201 when FFmpeg has no decoder for the codec, 51 for other failures).
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        match self.frames.recv() {
            Ok(Ok(frame)) => Ok(Some(frame)),
            Ok(Err(e)) => {
                self.done = true;
                let _ = self.child.kill();
                let _ = self.child.wait();
                fail(
                    ErrorCode::StreamRead,
                    format!("reading decoded frames: {e} ({})", self.tail.text()),
                )
            }
            Err(_) => {
                self.done = true;
                let status = self
                    .child
                    .wait()
                    .map_err(|e| Failure::new(ErrorCode::StreamRead, format!("decoder: {e}")))?;
                if status.success() {
                    return Ok(None);
                }
                // Give the stderr thread a moment to collect the last lines.
                std::thread::sleep(std::time::Duration::from_millis(50));
                let text = self.tail.text();
                let code = if text.contains("Decoder") && text.contains("not found")
                    || text.contains("No decoder")
                {
                    ErrorCode::DecoderMissing
                } else {
                    ErrorCode::StreamRead
                };
                fail(code, format!("decoding failed ({status}): {text}"))
            }
        }
    }

    /// Stops the decoder early.
    pub fn stop(mut self) {
        self.done = true;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_frames(
    stdout: ChildStdout,
    size: usize,
    tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
) {
    let mut r = BufReader::with_capacity(1 << 20, stdout);
    loop {
        let mut frame = vec![0u8; size];
        let mut got = 0;
        while got < size {
            match r.read(&mut frame[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if got == 0 {
            return; // clean end of stream
        }
        if got < size {
            let _ = tx.send(Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("truncated frame ({got} of {size} bytes)"),
            )));
            return;
        }
        if tx.send(Ok(frame)).is_err() {
            return; // the consumer stopped
        }
    }
}
