//! `--hwaccel`: NVIDIA decode (CUDA/NVDEC) and encode (NVENC) when FFmpeg reports them and
//! they actually work on this machine; CPU otherwise, with a log line saying why.

use std::path::Path;
use std::process::{Command, Stdio};

use super::Tools;
use super::probe::Family;

/// What the hardware offers for one job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HwAccel {
    /// Decode with `-hwaccel cuda`.
    pub decode: bool,
    /// Encode with the family's NVENC encoder.
    pub encode: bool,
    /// Log lines explaining the choice.
    pub notes: Vec<String>,
}

fn runs(tools: &Tools, args: &[&str], input: Option<&Path>) -> Result<(), String> {
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-v", "error"]);
    for a in args {
        if *a == "INPUT" {
            if let Some(i) = input {
                cmd.arg(i);
            }
        } else {
            cmd.arg(a);
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.trim().lines().last().unwrap_or("failed").to_string())
    }
}

/// Checks NVDEC/NVENC for `family` and `input`: listed by FFmpeg, then a one-frame trial.
pub fn detect(tools: &Tools, family: Family, input: &Path) -> HwAccel {
    let mut hw = HwAccel::default();
    let hwaccels = Command::new(&tools.ffmpeg)
        .args(["-hide_banner", "-hwaccels"])
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    if hwaccels.lines().any(|l| l.trim() == "cuda") {
        match runs(
            tools,
            &[
                "-hwaccel",
                "cuda",
                "-i",
                "INPUT",
                "-frames:v",
                "1",
                "-f",
                "null",
                "-",
            ],
            Some(input),
        ) {
            Ok(()) => {
                hw.decode = true;
                hw.notes.push("decoding on the GPU (CUDA/NVDEC)".into());
            }
            Err(e) => hw.notes.push(format!(
                "CUDA decoding listed by FFmpeg but not usable ({e}); decoding on the CPU"
            )),
        }
    } else {
        hw.notes
            .push("FFmpeg has no CUDA hwaccel; decoding on the CPU".into());
    }
    match family.nvenc() {
        Some(enc) if tools.has_encoder(enc) => {
            match runs(
                tools,
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    "color=c=black:s=256x144:d=0.2",
                    "-c:v",
                    enc,
                    "-f",
                    "null",
                    "-",
                ],
                None,
            ) {
                Ok(()) => {
                    hw.encode = true;
                    hw.notes.push(format!("encoding on the GPU ({enc})"));
                }
                Err(e) => hw.notes.push(format!(
                    "{enc} listed by FFmpeg but not usable ({e}); encoding on the CPU ({})",
                    family.encoder()
                )),
            }
        }
        Some(enc) => hw.notes.push(format!(
            "FFmpeg has no {enc}; encoding on the CPU ({})",
            family.encoder()
        )),
        None => hw.notes.push(format!(
            "no NVENC encoder for this codec; encoding on the CPU ({})",
            family.encoder()
        )),
    }
    hw
}
