//! Language tags: RFC 5646 (BCP 47) forms for manifests and playlists, from MP4 track
//! languages (ISO 639-2/T in `mdhd`) or `+language=` options, and display names.

/// True for an RFC 5646-like language tag (letters, digits and `-`, starting with a letter).
pub fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The ISO 639-2/T (terminology) code for one of the 20 ISO 639-2/B (bibliographic) codes
/// that differ from it (`ger` -> `deu`); other codes unchanged.
fn terminology_code(code: &str) -> &str {
    match code {
        "alb" => "sqi",
        "arm" => "hye",
        "baq" => "eus",
        "bur" => "mya",
        "chi" => "zho",
        "cze" => "ces",
        "dut" => "nld",
        "fre" => "fra",
        "geo" => "kat",
        "ger" => "deu",
        "gre" => "ell",
        "ice" => "isl",
        "mac" => "mkd",
        "mao" => "mri",
        "may" => "msa",
        "per" => "fas",
        "rum" => "ron",
        "slo" => "slk",
        "tib" => "bod",
        "wel" => "cym",
        other => other,
    }
}

/// The language a primary subtag names: ISO 639-1 (two letters) or ISO 639-2/T, /B or 639-3
/// (three letters), any case.
fn lookup(primary: &str) -> Option<isolang::Language> {
    let code = primary.to_ascii_lowercase();
    match code.len() {
        2 => isolang::Language::from_639_1(&code),
        3 => isolang::Language::from_639_3(terminology_code(&code)),
        _ => None,
    }
}

/// A display name for a language tag: the language's own name for itself (ISO 639 autonym,
/// first letter upper-case: `de` -> "Deutsch", `fi` -> "Suomi"), the English name where no
/// autonym is recorded, the tag itself for an unknown language.
pub fn language_name(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag);
    let Some(lang) = lookup(primary) else {
        return tag.to_owned();
    };
    let name = lang.to_autonym().unwrap_or_else(|| lang.to_name());
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => tag.to_owned(),
    }
}

/// The RFC 5646 form of an MP4 track language (ISO 639-2/T or /B): the two-letter ISO 639-1
/// code where one exists (all 184 of them), the three-letter code otherwise, `None` for
/// `und`, `zxx`, `mul` and `mis`.
pub fn track_language(code: &str) -> Option<String> {
    if matches!(code, "und" | "" | "zxx" | "mul" | "mis") {
        return None;
    }
    if let Some(two) = lookup(code)
        .filter(|_| code.len() == 3)
        .and_then(|l| l.to_639_1())
    {
        return Some(two.to_owned());
    }
    is_language_tag(code).then(|| code.to_owned())
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
        assert_eq!(language_name("fi"), "Suomi");
        assert_eq!(language_name("FRA"), "Français");
        assert_eq!(language_name("ger"), "Deutsch");
        assert_eq!(language_name("qaa"), "qaa");
        // Every bibliographic code maps to the same two letters as its terminology code.
        for (b, t, two) in [
            ("wel", "cym", "cy"),
            ("tib", "bod", "bo"),
            ("mao", "mri", "mi"),
        ] {
            assert_eq!(track_language(b).as_deref(), Some(two));
            assert_eq!(track_language(t).as_deref(), Some(two));
        }
        // Less common languages with a two-letter code: Yiddish, Kinyarwanda, Tigrinya.
        assert_eq!(track_language("yid").as_deref(), Some("yi"));
        assert_eq!(track_language("kin").as_deref(), Some("rw"));
        assert_eq!(track_language("tir").as_deref(), Some("ti"));
        assert_eq!(track_language("mis"), None);
    }
}
