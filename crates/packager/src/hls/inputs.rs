//! The `-i` values of an HLS job: plain paths, or Bento4-style prefixed specs such as
//! `[+format=webvtt,+language=de]subs_de.vtt` (cli.md), and what each input contributes.

use std::path::{Path, PathBuf};

use crate::error::Error;
pub use crate::language::{is_language_tag, language_name, track_language};

const AT: &str = "packager::hls::inputs::parse_input";

/// What an input file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// An MP4 file (progressive or fragmented).
    Mp4,
    /// A side-loaded WebVTT subtitle file.
    WebVtt,
}

/// One `-i` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// The file.
    pub path: PathBuf,
    /// Its format: `+format=`, else from the extension (`.vtt` = WebVTT, anything else MP4).
    pub format: InputFormat,
    /// `+language=`: overrides the tracks' language (RFC 5646 tag).
    pub language: Option<String>,
    /// `+name=`: the rendition name shown by players.
    pub name: Option<String>,
}

/// Parses one `-i` value.
pub fn parse_input(value: &Path) -> Result<InputSpec, Error> {
    let text = value.to_string_lossy();
    let mut spec = InputSpec {
        path: value.to_path_buf(),
        format: InputFormat::Mp4,
        language: None,
        name: None,
    };
    let mut format = None;
    if let Some(rest) = text.strip_prefix('[')
        && let Some((inside, path)) = rest.split_once(']')
    {
        if path.is_empty() {
            return Err(Error::invalid(
                "-i",
                format!("{text:?} names no file after ']'"),
                AT,
            ));
        }
        spec.path = PathBuf::from(path);
        for item in inside.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, val) = item
                .strip_prefix('+')
                .and_then(|i| i.split_once('='))
                .ok_or_else(|| {
                    Error::invalid(
                        "-i",
                        format!("{item:?} in {text:?} is not of the form +key=value"),
                        AT,
                    )
                })?;
            match key {
                "format" => {
                    format = Some(match val.to_ascii_lowercase().as_str() {
                        "webvtt" | "vtt" => InputFormat::WebVtt,
                        "mp4" => InputFormat::Mp4,
                        other => {
                            return Err(Error::invalid(
                                "-i",
                                format!("+format={other} is not supported (webvtt or mp4)"),
                                AT,
                            ));
                        }
                    })
                }
                "language" => {
                    if !is_language_tag(val) {
                        return Err(Error::invalid(
                            "-i",
                            format!("+language={val:?} is not a language tag such as en or pt-BR"),
                            AT,
                        ));
                    }
                    spec.language = Some(val.to_owned());
                }
                "name" => {
                    if val.is_empty() || val.contains(['"', '\n', '\r']) {
                        return Err(Error::invalid(
                            "-i",
                            format!(
                                "+name={val:?} must be non-empty, without quotes or line breaks"
                            ),
                            AT,
                        ));
                    }
                    spec.name = Some(val.to_owned());
                }
                other => {
                    return Err(Error::invalid(
                        "-i",
                        format!("unknown input option +{other} (format, language, name)"),
                        AT,
                    ));
                }
            }
        }
    }
    spec.format = format.unwrap_or_else(|| {
        if spec
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("vtt"))
        {
            InputFormat::WebVtt
        } else {
            InputFormat::Mp4
        }
    });
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_prefixed_inputs() {
        let s = parse_input(Path::new("movie.mp4")).unwrap();
        assert_eq!((s.format, s.language), (InputFormat::Mp4, None));
        assert_eq!(
            parse_input(Path::new("subs.VTT")).unwrap().format,
            InputFormat::WebVtt
        );
        let s = parse_input(Path::new("[+format=webvtt,+language=de]subs_de.vtt")).unwrap();
        assert_eq!(s.path, PathBuf::from("subs_de.vtt"));
        assert_eq!(s.format, InputFormat::WebVtt);
        assert_eq!(s.language.as_deref(), Some("de"));
        let s = parse_input(Path::new("[+language=pt-BR, +name=Português (BR)]a.mp4")).unwrap();
        assert_eq!(s.name.as_deref(), Some("Português (BR)"));
        assert_eq!(s.format, InputFormat::Mp4);
    }

    #[test]
    fn bad_specs_are_1102_naming_the_option() {
        for bad in [
            "[+format=srt]a.srt",
            "[+language=e n]a.vtt",
            "[+colour=red]a.mp4",
            "[format=webvtt]a.vtt",
            "[+language=de]",
            "[+name=a\"b]a.mp4",
        ] {
            let e = parse_input(Path::new(bad)).unwrap_err();
            assert_eq!(e.code().value(), 1102, "{bad}");
            assert!(e.info().starts_with("-i"), "{}", e.info());
        }
    }
}
