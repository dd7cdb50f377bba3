//! The `-i` values of an HLS job: plain paths, or Bento4-style prefixed specs such as
//! `[+format=webvtt,+language=de]subs_de.vtt` (cli.md), and what each input contributes.

use std::path::{Path, PathBuf};

use crate::error::Error;

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

/// True for an RFC 5646-like language tag (letters, digits and `-`, starting with a letter).
pub fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
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

/// A display name for a language tag (the common ones; the tag itself otherwise).
pub fn language_name(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let name = match primary.as_str() {
        "en" | "eng" => "English",
        "de" | "deu" | "ger" => "Deutsch",
        "fr" | "fra" | "fre" => "Français",
        "es" | "spa" => "Español",
        "it" | "ita" => "Italiano",
        "pt" | "por" => "Português",
        "nl" | "nld" | "dut" => "Nederlands",
        "ja" | "jpn" => "日本語",
        "ko" | "kor" => "한국어",
        "zh" | "zho" | "chi" => "中文",
        "ru" | "rus" => "Русский",
        "ar" | "ara" => "العربية",
        "hi" | "hin" => "हिन्दी",
        "sv" | "swe" => "Svenska",
        "pl" | "pol" => "Polski",
        "tr" | "tur" => "Türkçe",
        _ => return tag.to_owned(),
    };
    name.to_owned()
}

/// The RFC 5646 form of an MP4 track language (ISO 639-2/T): the two-letter code where one
/// exists, `None` for `und`.
pub fn track_language(code: &str) -> Option<String> {
    let two = match code {
        "und" | "" | "zxx" | "mul" => return None,
        "eng" => "en",
        "deu" | "ger" => "de",
        "fra" | "fre" => "fr",
        "spa" => "es",
        "ita" => "it",
        "por" => "pt",
        "nld" | "dut" => "nl",
        "jpn" => "ja",
        "kor" => "ko",
        "zho" | "chi" => "zh",
        "rus" => "ru",
        "ara" => "ar",
        "hin" => "hi",
        "swe" => "sv",
        "pol" => "pl",
        "tur" => "tr",
        other => return is_language_tag(other).then(|| other.to_owned()),
    };
    Some(two.to_owned())
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

    #[test]
    fn languages() {
        assert_eq!(track_language("eng").as_deref(), Some("en"));
        assert_eq!(track_language("und"), None);
        assert_eq!(track_language("fin").as_deref(), Some("fin"));
        assert_eq!(language_name("de"), "Deutsch");
        assert_eq!(language_name("pt-BR"), "Português");
        assert_eq!(language_name("fi"), "fi");
    }
}
