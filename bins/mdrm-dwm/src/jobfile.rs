//! The embedding job file `dwm_info.json` (`cli.md`), parsed field by field so that each
//! problem gets its own code (301 syntax, 306-310 fields, 312 missing, 230 visible settings).
//! Relative paths are relative to the job file's folder.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{ErrorCode, Failure, Result, fail};

/// Container extensions an output may have (the input's container family is kept).
pub const OUTPUT_EXTENSIONS: [&str; 6] = ["mp4", "m4v", "mov", "mkv", "webm", "mxf"];

/// The visible watermark part of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleSpec {
    /// The PNG image.
    pub image: PathBuf,
    /// Global opacity, 0.01..=1.0.
    pub alpha: f32,
    /// Positions (top-left corner, luma pixels), cycling every `interval`.
    pub positions: Vec<(i64, i64)>,
    /// Seconds between position changes (0: never change).
    pub interval: f64,
    /// Seconds after each change when the image disappears (0: never).
    pub disappear: f64,
}

/// A validated job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `account_id`.
    pub account_id: String,
    /// `content_id`.
    pub content_id: String,
    /// The input video.
    pub input: PathBuf,
    /// The output template: each recipient's file is `<stem>_<recipient>_<id>.<ext>` next to it.
    pub output: PathBuf,
    /// The visible watermark, if any.
    pub visible: Option<VisibleSpec>,
    /// Recipient names, in job order.
    pub recipients: Vec<String>,
}

impl Job {
    /// Reads and validates the job file at `path`.
    pub fn load(path: &Path) -> Result<Job> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fail(
                    ErrorCode::JobFileMissing,
                    format!("job file {} not found", path.display()),
                );
            }
            Err(e) => {
                return fail(
                    ErrorCode::JobFileSyntax,
                    format!("job file {}: {e}", path.display()),
                );
            }
        };
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::new(
                ErrorCode::JobFileSyntax,
                format!("job file {} is not valid JSON: {e}", path.display()),
            )
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_value(&value, base)
    }

    /// Validates a parsed job; relative paths are resolved against `base`.
    pub fn from_value(v: &Value, base: &Path) -> Result<Job> {
        let Some(obj) = v.as_object() else {
            return fail(
                ErrorCode::JobFileSyntax,
                "the job file is not a JSON object",
            );
        };
        let text = |name: &str, code: ErrorCode, max: usize| -> Result<String> {
            match obj.get(name) {
                Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= max => Ok(s.clone()),
                Some(Value::String(s)) if s.len() > max => {
                    fail(code, format!("`{name}` is longer than {max} bytes"))
                }
                Some(_) => fail(code, format!("`{name}` must be a non-empty string")),
                None => fail(code, format!("`{name}` is missing")),
            }
        };
        let account_id = text("account_id", ErrorCode::JobAccountId, 200)?;
        let content_id = text("content_id", ErrorCode::JobContentId, 200)?;
        let input = base.join(text("input", ErrorCode::JobInput, 4096)?);
        let output = base.join(text("output", ErrorCode::JobOutput, 4096)?);
        let ext = output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if output.file_stem().is_none() || output.file_name().is_none() {
            return fail(ErrorCode::JobOutput, "`output` has no file name");
        }
        match ext {
            Some(e) if OUTPUT_EXTENSIONS.contains(&e.as_str()) => {}
            _ => {
                return fail(
                    ErrorCode::JobOutput,
                    format!(
                        "`output` must end in one of {}",
                        OUTPUT_EXTENSIONS.map(|e| format!(".{e}")).join(", ")
                    ),
                );
            }
        }
        let recipients = match obj.get("recipients") {
            Some(Value::Array(a)) if !a.is_empty() => {
                let mut names = Vec::with_capacity(a.len());
                for r in a {
                    let Some(n) = r.as_str() else {
                        return fail(
                            ErrorCode::JobRecipients,
                            "`recipients` must list names (strings)",
                        );
                    };
                    if names.iter().any(|x: &String| x == n) {
                        return fail(
                            ErrorCode::JobRecipients,
                            format!("recipient {n:?} is listed twice"),
                        );
                    }
                    names.push(n.to_string());
                }
                names
            }
            Some(_) => {
                return fail(
                    ErrorCode::JobRecipients,
                    "`recipients` must be a non-empty list of names",
                );
            }
            None => return fail(ErrorCode::JobRecipients, "`recipients` is missing"),
        };
        let visible = match obj.get("visible_watermark") {
            None | Some(Value::Null) => None,
            Some(w) => parse_visible(w, base)?,
        };
        Ok(Job {
            account_id,
            content_id,
            input,
            output,
            visible,
            recipients,
        })
    }

    /// The output file of one recipient: `<stem>_<recipient>_<id>.<ext>` (40 when the name
    /// cannot be formed).
    pub fn output_for(&self, recipient: &str, dwm_id: u32) -> Result<PathBuf> {
        let stem = self
            .output
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| Failure::new(ErrorCode::BadOutputName, "output stem is not UTF-8"))?;
        let ext = self
            .output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("mp4");
        let name = format!("{stem}_{recipient}_{dwm_id}.{ext}");
        if name.len() > 255 {
            return fail(
                ErrorCode::BadOutputName,
                format!("output file name for {recipient:?} is longer than 255 bytes"),
            );
        }
        Ok(self.output.with_file_name(name))
    }
}

fn settings(msg: impl Into<String>) -> Failure {
    Failure::new(ErrorCode::VisibleSettings, msg)
}

fn parse_visible(w: &Value, base: &Path) -> Result<Option<VisibleSpec>> {
    let Some(o) = w.as_object() else {
        return Err(settings("`visible_watermark` must be an object"));
    };
    match o.get("type").and_then(Value::as_str) {
        Some("none") => return Ok(None),
        Some("image") => {}
        Some(t) => {
            return Err(settings(format!(
                "visible_watermark.type {t:?} is not \"image\" or \"none\""
            )));
        }
        None => return Err(settings("visible_watermark.type is missing")),
    }
    let image = o
        .get("image")
        .and_then(|i| i.get("filename"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| settings("visible_watermark.image.filename is missing"))?;
    let alpha = match o.get("alpha") {
        None => 1.0,
        Some(a) => a
            .as_f64()
            .filter(|a| (0.01..=1.0).contains(a))
            .ok_or_else(|| settings("visible_watermark.alpha must be a number in 0.01..1.0"))?,
    };
    let positions = match o.get("position") {
        None => vec![(0, 0)],
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|p| {
                let x = p.get("x").and_then(Value::as_i64);
                let y = p.get("y").and_then(Value::as_i64);
                match (x, y) {
                    (Some(x), Some(y)) => Ok((x, y)),
                    _ => Err(settings(
                        "visible_watermark.position entries must be {\"x\": int, \"y\": int}",
                    )),
                }
            })
            .collect::<Result<Vec<_>>>()?,
        Some(_) => {
            return Err(settings(
                "visible_watermark.position must be a non-empty list",
            ));
        }
    };
    let timing = o.get("timing");
    let time_field = |name: &str| -> Result<f64> {
        match timing.and_then(|t| t.get(name)) {
            None | Some(Value::Null) => Ok(0.0),
            Some(Value::String(s)) => parse_hms(s).ok_or_else(|| {
                settings(format!(
                    "visible_watermark.timing.{name} {s:?} is not HH:MM:SS"
                ))
            }),
            Some(_) => Err(settings(format!(
                "visible_watermark.timing.{name} must be a \"HH:MM:SS\" string"
            ))),
        }
    };
    let interval = time_field("interval")?;
    let disappear = time_field("disappear")?;
    Ok(Some(VisibleSpec {
        image: base.join(image),
        alpha: alpha as f32,
        positions,
        interval,
        disappear,
    }))
}

/// Parses `HH:MM:SS` (fractional seconds allowed) into seconds.
pub fn parse_hms(s: &str) -> Option<f64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return None;
    };
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    if !digits(h) || !digits(m) || m.len() != 2 {
        return None;
    }
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    if !digits(whole) || whole.len() != 2 || !(frac.is_empty() || digits(frac)) {
        return None;
    }
    let (h, m): (f64, f64) = (h.parse().ok()?, m.parse().ok()?);
    let sec: f64 = sec.parse().ok()?;
    if m >= 60.0 || sec >= 60.0 {
        return None;
    }
    Some(h * 3600.0 + m * 60.0 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "account_id": "acc-1",
            "content_id": "film-42",
            "input": "in/movie.mp4",
            "output": "out/movie.mp4",
            "recipients": ["alice", "bob"],
            "visible_watermark": {
                "type": "image",
                "image": {"filename": "logo.png"},
                "alpha": 0.5,
                "position": [{"x": 10, "y": 20}, {"x": 1800, "y": 900}],
                "timing": {"interval": "00:00:10", "disappear": "00:00:04"}
            }
        })
    }

    fn code_of(v: Value) -> ErrorCode {
        Job::from_value(&v, Path::new("/jobs")).unwrap_err().code
    }

    #[test]
    fn good_job() {
        let j = Job::from_value(&good(), Path::new("/jobs")).unwrap();
        assert_eq!(j.input, Path::new("/jobs/in/movie.mp4"));
        assert_eq!(
            j.output_for("alice", 1).unwrap(),
            Path::new("/jobs/out/movie_alice_1.mp4")
        );
        let v = j.visible.unwrap();
        assert_eq!((v.interval, v.disappear, v.alpha), (10.0, 4.0, 0.5));
        assert_eq!(v.image, Path::new("/jobs/logo.png"));
    }

    #[test]
    fn field_errors_have_their_codes() {
        let with = |k: &str, val: Value| {
            let mut v = good();
            v[k] = val;
            v
        };
        let without = |k: &str| {
            let mut v = good();
            v.as_object_mut().unwrap().remove(k);
            v
        };
        assert_eq!(code_of(without("account_id")), ErrorCode::JobAccountId);
        assert_eq!(
            code_of(with("account_id", json!(""))),
            ErrorCode::JobAccountId
        );
        assert_eq!(
            code_of(with("content_id", json!(7))),
            ErrorCode::JobContentId
        );
        assert_eq!(code_of(without("input")), ErrorCode::JobInput);
        assert_eq!(
            code_of(with("output", json!("out/movie.avi"))),
            ErrorCode::JobOutput
        );
        assert_eq!(code_of(without("output")), ErrorCode::JobOutput);
        assert_eq!(
            code_of(with("recipients", json!([]))),
            ErrorCode::JobRecipients
        );
        assert_eq!(
            code_of(with("recipients", json!(["a", "a"]))),
            ErrorCode::JobRecipients
        );
        assert_eq!(
            code_of(with("recipients", json!([1]))),
            ErrorCode::JobRecipients
        );
        assert_eq!(code_of(json!([1, 2])), ErrorCode::JobFileSyntax);
    }

    #[test]
    fn visible_settings_errors_are_230() {
        let mut v = good();
        v["visible_watermark"]["alpha"] = json!(1.5);
        assert_eq!(code_of(v), ErrorCode::VisibleSettings);
        let mut v = good();
        v["visible_watermark"]["type"] = json!("text");
        assert_eq!(code_of(v), ErrorCode::VisibleSettings);
        let mut v = good();
        v["visible_watermark"]["timing"]["interval"] = json!("10s");
        assert_eq!(code_of(v), ErrorCode::VisibleSettings);
        let mut v = good();
        v["visible_watermark"]["position"] = json!([]);
        assert_eq!(code_of(v), ErrorCode::VisibleSettings);
        let mut v = good();
        v["visible_watermark"]["image"] = json!({});
        assert_eq!(code_of(v), ErrorCode::VisibleSettings);
        let mut v = good();
        v["visible_watermark"] = json!({"type": "none"});
        assert!(
            Job::from_value(&v, Path::new("/"))
                .unwrap()
                .visible
                .is_none()
        );
    }

    #[test]
    fn hms() {
        assert_eq!(parse_hms("00:00:10"), Some(10.0));
        assert_eq!(parse_hms("01:02:03.5"), Some(3723.5));
        assert_eq!(parse_hms("100:00:00"), Some(360_000.0));
        for bad in [
            "10", "00:60:00", "00:00:60", "0:0:1", "aa:bb:cc", "00:00:1.", "",
        ] {
            assert_eq!(parse_hms(bad), None, "{bad}");
        }
    }

    #[test]
    fn long_output_names_are_40() {
        let j = Job::from_value(&good(), Path::new("/jobs")).unwrap();
        let long = "n".repeat(250);
        assert_eq!(
            j.output_for(&long, 1).unwrap_err().code,
            ErrorCode::BadOutputName
        );
    }
}
