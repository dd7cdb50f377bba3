//! The `-i` arguments of a DASH job: media files, and side-loaded subtitles given Bento4-style
//! (`[+format=webvtt,+language=de]subs_de.vtt`).

use std::path::{Path, PathBuf};

use crate::error::Error;

const AT: &str = "packager::dash::inputs::parse_input";

/// One input of a DASH job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// An MP4 file whose tracks are packaged.
    Media(PathBuf),
    /// A WebVTT file served side-loaded in its language.
    WebVtt {
        /// The file.
        path: PathBuf,
        /// Its language (BCP 47 / ISO 639), `und` when not given.
        language: String,
    },
}

impl InputSpec {
    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            InputSpec::Media(p) | InputSpec::WebVtt { path: p, .. } => p,
        }
    }
}

fn valid_language(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 35
        && l.split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Parses one `-i` value.
pub fn parse_input(arg: &Path) -> Result<InputSpec, Error> {
    let text = arg.to_string_lossy();
    let (options, path) = match text.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((opts, rest)) => (Some(opts.to_string()), PathBuf::from(rest)),
        None => (None, arg.to_path_buf()),
    };
    let mut format = None;
    let mut language = None;
    if let Some(opts) = options {
        for opt in opts.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let opt = opt.strip_prefix('+').unwrap_or(opt);
            let (key, value) = opt.split_once('=').ok_or_else(|| {
                Error::invalid("-i", format!("option {opt:?} must be +name=value"), AT)
            })?;
            match key {
                "format" => format = Some(value.to_ascii_lowercase()),
                "language" => {
                    if !valid_language(value) {
                        return Err(Error::invalid(
                            "-i",
                            format!("language {value:?} is not a language tag"),
                            AT,
                        ));
                    }
                    language = Some(value.to_string());
                }
                other => {
                    return Err(Error::invalid(
                        "-i",
                        format!("unknown option {other:?} (known: format, language)"),
                        AT,
                    ));
                }
            }
        }
        if path.as_os_str().is_empty() {
            return Err(Error::invalid("-i", "no file after the [options]", AT));
        }
    }
    let is_vtt = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vtt"));
    let format = format.unwrap_or_else(|| if is_vtt { "webvtt" } else { "mp4" }.into());
    match format.as_str() {
        "webvtt" => Ok(InputSpec::WebVtt {
            path,
            language: language.unwrap_or_else(|| "und".into()),
        }),
        "mp4" if language.is_some() => Err(Error::invalid(
            "-i",
            "+language applies to side-loaded subtitles; MP4 tracks carry their own",
            AT,
        )),
        "mp4" => Ok(InputSpec::Media(path)),
        other => Err(Error::invalid(
            "-i",
            format!("unknown format {other:?} (known: webvtt, mp4)"),
            AT,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_media_and_subtitle_specs() {
        assert_eq!(
            parse_input(Path::new("movie.mp4")).unwrap(),
            InputSpec::Media("movie.mp4".into())
        );
        assert_eq!(
            parse_input(Path::new("[+format=webvtt,+language=de]subs de.vtt")).unwrap(),
            InputSpec::WebVtt {
                path: "subs de.vtt".into(),
                language: "de".into()
            }
        );
        assert_eq!(
            parse_input(Path::new("x.vtt")).unwrap(),
            InputSpec::WebVtt {
                path: "x.vtt".into(),
                language: "und".into()
            }
        );
        for bad in [
            "[+format=srt]a.srt",
            "[+language=de de]a.vtt",
            "[+colour=red]a.vtt",
            "[+format=webvtt]",
            "[language]a.vtt",
        ] {
            let e = parse_input(Path::new(bad)).unwrap_err();
            assert_eq!(e.code().value(), 1102, "{bad}");
        }
    }
}
