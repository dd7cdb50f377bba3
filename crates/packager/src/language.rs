//! Language tags: RFC 5646 (BCP 47) forms for manifests and playlists, from MP4 track
//! languages (ISO 639-2/T in `mdhd`) or `+language=` options, and display names.

/// True for an RFC 5646-like language tag (letters, digits and `-`, starting with a letter).
pub fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
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

/// The RFC 5646 form of an MP4 track language (ISO 639-2/T or /B): the two-letter ISO 639-1
/// code where one exists (the common streaming languages are listed), the code itself
/// otherwise, `None` for `und`.
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
        "fin" => "fi",
        "dan" => "da",
        "nor" => "no",
        "nob" => "nb",
        "nno" => "nn",
        "isl" | "ice" => "is",
        "ces" | "cze" => "cs",
        "slk" | "slo" => "sk",
        "slv" => "sl",
        "hrv" => "hr",
        "srp" => "sr",
        "bos" => "bs",
        "bul" => "bg",
        "ron" | "rum" => "ro",
        "hun" => "hu",
        "ell" | "gre" => "el",
        "ukr" => "uk",
        "bel" => "be",
        "lit" => "lt",
        "lav" => "lv",
        "est" => "et",
        "heb" => "he",
        "fas" | "per" => "fa",
        "urd" => "ur",
        "ben" => "bn",
        "tam" => "ta",
        "tel" => "te",
        "mar" => "mr",
        "guj" => "gu",
        "kan" => "kn",
        "mal" => "ml",
        "pan" => "pa",
        "tha" => "th",
        "vie" => "vi",
        "ind" => "id",
        "msa" | "may" => "ms",
        "tgl" => "tl",
        "swa" => "sw",
        "afr" => "af",
        "cat" => "ca",
        "eus" | "baq" => "eu",
        "glg" => "gl",
        "cym" | "wel" => "cy",
        "gle" => "ga",
        "sqi" | "alb" => "sq",
        "mkd" | "mac" => "mk",
        "kat" | "geo" => "ka",
        "hye" | "arm" => "hy",
        "aze" => "az",
        "kaz" => "kk",
        "uzb" => "uz",
        "mon" => "mn",
        "khm" => "km",
        "lao" => "lo",
        "mya" | "bur" => "my",
        "nep" => "ne",
        "sin" => "si",
        "amh" => "am",
        "som" => "so",
        "yor" => "yo",
        "zul" => "zu",
        "xho" => "xh",
        "hau" => "ha",
        "ibo" => "ig",
        "lat" => "la",
        "epo" => "eo",
        "ltz" => "lb",
        "mlt" => "mt",
        other => return is_language_tag(other).then(|| other.to_owned()),
    };
    Some(two.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(track_language("eng").as_deref(), Some("en"));
        assert_eq!(track_language("und"), None);
        assert_eq!(track_language("fin").as_deref(), Some("fi"));
        assert_eq!(track_language("cze").as_deref(), Some("cs"));
        // No two-letter code: the three-letter one is the RFC 5646 form.
        assert_eq!(track_language("fil").as_deref(), Some("fil"));
        assert_eq!(language_name("de"), "Deutsch");
        assert_eq!(language_name("pt-BR"), "Português");
        assert_eq!(language_name("fi"), "fi");
    }
}
