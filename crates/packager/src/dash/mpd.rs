//! The DASH manifest (MPD): a typed model, its XML rendering and a parser for reading our
//! own manifests back (the self-check) and other packagers' simple VOD manifests.
//!
//! Shape: one static Period, one AdaptationSet per content kind (all video rungs together,
//! audio per language, each subtitle language), `SegmentTemplate` with `$RepresentationID$`
//! and `$Number$` and a `SegmentTimeline`, ContentProtection descriptors per AdaptationSet
//! (`../shared/docs/protocols.md` §3).

use std::fmt::Write as _;

use keys::KeyId;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// DASH-IF ClearKey scheme.
pub const CLEARKEY_SCHEME: &str = "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e";
/// Widevine system id as a scheme URI.
pub const WIDEVINE_SCHEME: &str = "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed";
/// PlayReady system id as a scheme URI.
pub const PLAYREADY_SCHEME: &str = "urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95";
/// W3C common PSSH system id as a scheme URI.
pub const COMMON_SCHEME: &str = "urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b";
/// The generic CENC descriptor.
pub const MP4PROTECTION_SCHEME: &str = "urn:mpeg:dash:mp4protection:2011";

/// The kind of content of an AdaptationSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentType {
    /// Video.
    Video,
    /// Audio.
    Audio,
    /// Subtitles.
    Text,
}

impl ContentType {
    fn as_str(self) -> &'static str {
        match self {
            ContentType::Video => "video",
            ContentType::Audio => "audio",
            ContentType::Text => "text",
        }
    }
}

/// A ContentProtection descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentProtection {
    /// `urn:mpeg:dash:mp4protection:2011` with the scheme (`cenc`/`cbcs`) and default KID.
    Mp4Protection {
        /// `cenc` or `cbcs`.
        scheme: String,
        /// The AdaptationSet's key id.
        default_kid: KeyId,
    },
    /// A DRM system with its `pssh` box (base64) and, for PlayReady, the PlayReady Object.
    System {
        /// `urn:uuid:...`.
        scheme_id_uri: String,
        /// `value` attribute (`Widevine`, `MSPR 2.0`), if any.
        value: Option<String>,
        /// Base64 of the whole `pssh` box.
        pssh: Option<String>,
        /// Base64 of the PlayReady Object (`mspr:pro`).
        pro: Option<String>,
    },
    /// DASH-IF ClearKey with its license URL (`dashif:Laurl`).
    ClearKey {
        /// License acquisition URL.
        laurl: String,
    },
}

/// One entry of a SegmentTimeline: `r + 1` segments of duration `d` starting at `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Start time (always written, so every entry is self-describing).
    pub t: u64,
    /// Duration.
    pub d: u64,
    /// Repeat count (0 = one segment).
    pub r: u32,
}

/// Compresses per-segment (start, duration) pairs into timeline entries.
pub fn timeline(segments: &[(u64, u64)]) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::new();
    for &(t, d) in segments {
        if let Some(last) = out.last_mut()
            && last.d == d
            && last.t + last.d * (last.r as u64 + 1) == t
        {
            last.r += 1;
            continue;
        }
        out.push(TimelineEntry { t, d, r: 0 });
    }
    out
}

/// `SegmentTemplate` of a Representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentTemplate {
    /// Units per second of `t`/`d`.
    pub timescale: u32,
    /// Initialization URL template.
    pub initialization: String,
    /// Media URL template.
    pub media: String,
    /// Number of the first segment.
    pub start_number: u64,
    /// The segments.
    pub timeline: Vec<TimelineEntry>,
}

impl SegmentTemplate {
    /// Every segment as (number, start, duration).
    pub fn segments(&self) -> Vec<(u64, u64, u64)> {
        let mut out = Vec::new();
        let mut n = self.start_number;
        for e in &self.timeline {
            for i in 0..=e.r as u64 {
                out.push((n, e.t + i * e.d, e.d));
                n += 1;
            }
        }
        out
    }

    /// The URL of segment `number` for representation `id`.
    pub fn media_url(&self, id: &str, number: u64) -> String {
        expand(&self.media, id, Some(number))
    }

    /// The URL of the init segment for representation `id`.
    pub fn init_url(&self, id: &str) -> String {
        expand(&self.initialization, id, None)
    }
}

fn expand(template: &str, id: &str, number: Option<u64>) -> String {
    let mut s = template.replace("$RepresentationID$", id);
    if let Some(n) = number {
        s = s.replace("$Number$", &n.to_string());
    }
    s
}

/// How a Representation's media is addressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// Init + numbered segments.
    Template(SegmentTemplate),
    /// One whole file (side-loaded WebVTT).
    BaseUrl(String),
}

/// A Representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Representation {
    /// Identifier (also the folder of its segments).
    pub id: String,
    /// Peak bit rate over any segment, bits per second.
    pub bandwidth: u64,
    /// RFC 6381 codecs string.
    pub codecs: String,
    /// Video width.
    pub width: Option<u32>,
    /// Video height.
    pub height: Option<u32>,
    /// Frame rate (`25`, `30000/1001`).
    pub frame_rate: Option<String>,
    /// Sample aspect ratio (`1:1`).
    pub sar: Option<String>,
    /// Audio sampling rate.
    pub audio_sampling_rate: Option<u32>,
    /// Audio channels.
    pub channels: Option<u16>,
    /// Segment addressing.
    pub addressing: Addressing,
}

/// An AdaptationSet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdaptationSet {
    /// Identifier.
    pub id: u32,
    /// Kind.
    pub content_type: ContentType,
    /// MIME type (`video/mp4`, `audio/mp4`, `application/mp4`, `text/vtt`).
    pub mime_type: String,
    /// ISO 639 language.
    pub lang: Option<String>,
    /// `Role` value (`main`, `subtitle`).
    pub role: Option<String>,
    /// `SupplementalProperty` (scheme, value) pairs, e.g. adaptation-set switching.
    pub supplemental: Vec<(String, String)>,
    /// Protection descriptors (empty = clear).
    pub content_protection: Vec<ContentProtection>,
    /// The Representations.
    pub representations: Vec<Representation>,
}

/// A static (VOD) MPD with one Period.
#[derive(Clone, Debug, PartialEq)]
pub struct Mpd {
    /// Whole duration in seconds.
    pub duration: f64,
    /// Longest segment in seconds.
    pub max_segment_duration: f64,
    /// Minimum buffer time in seconds.
    pub min_buffer_time: f64,
    /// The AdaptationSets.
    pub adaptation_sets: Vec<AdaptationSet>,
}

/// ISO 8601 duration with millisecond precision (`PT1M2.345S`).
pub fn iso_duration(seconds: f64) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let s = rest as f64 / 1000.0;
    let mut out = String::from("PT");
    if h > 0 {
        let _ = write!(out, "{h}H");
    }
    if m > 0 {
        let _ = write!(out, "{m}M");
    }
    let _ = write!(out, "{s}S");
    out
}

/// Parses an ISO 8601 duration of the `PTnHnMnS` form (days and larger units are refused).
pub fn parse_iso_duration(text: &str) -> Option<f64> {
    let rest = text.strip_prefix("PT")?;
    let mut total = 0.0;
    let mut num = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' | '.' => num.push(c),
            'H' | 'M' | 'S' => {
                let v: f64 = num.parse().ok()?;
                total += v * match c {
                    'H' => 3600.0,
                    'M' => 60.0,
                    _ => 1.0,
                };
                num.clear();
            }
            _ => return None,
        }
    }
    num.is_empty().then_some(total)
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

impl Mpd {
    fn uses(&self, f: impl Fn(&ContentProtection) -> bool) -> bool {
        self.adaptation_sets
            .iter()
            .any(|a| a.content_protection.iter().any(&f))
    }

    /// The manifest as XML.
    pub fn render(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.push_str("<!-- Generated by mdrm -->\n");
        s.push_str("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"");
        s.push_str(" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
        s.push_str(" xsi:schemaLocation=\"urn:mpeg:dash:schema:mpd:2011 DASH-MPD.xsd\"");
        if self.uses(|_| true) {
            s.push_str(" xmlns:cenc=\"urn:mpeg:cenc:2013\"");
        }
        if self.uses(|c| matches!(c, ContentProtection::System { pro: Some(_), .. })) {
            s.push_str(" xmlns:mspr=\"urn:microsoft:playready\"");
        }
        if self.uses(|c| matches!(c, ContentProtection::ClearKey { .. })) {
            s.push_str(" xmlns:dashif=\"https://dashif.org/CPS\"");
        }
        let _ = writeln!(
            s,
            " profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" \
             mediaPresentationDuration=\"{}\" maxSegmentDuration=\"{}\" minBufferTime=\"{}\">",
            iso_duration(self.duration),
            iso_duration(self.max_segment_duration),
            iso_duration(self.min_buffer_time)
        );
        let _ = writeln!(s, "  <Period id=\"0\" start=\"PT0S\">");
        for a in &self.adaptation_sets {
            render_adaptation_set(&mut s, a);
        }
        s.push_str("  </Period>\n</MPD>\n");
        s
    }
}

fn render_adaptation_set(s: &mut String, a: &AdaptationSet) {
    let _ = write!(
        s,
        "    <AdaptationSet id=\"{}\" contentType=\"{}\" mimeType=\"{}\"",
        a.id,
        a.content_type.as_str(),
        esc(&a.mime_type)
    );
    if let Some(l) = &a.lang {
        let _ = write!(s, " lang=\"{}\"", esc(l));
    }
    if a.content_type != ContentType::Text {
        s.push_str(" segmentAlignment=\"true\" startWithSAP=\"1\"");
    }
    s.push_str(">\n");
    for cp in &a.content_protection {
        render_protection(s, cp);
    }
    if let Some(r) = &a.role {
        let _ = writeln!(
            s,
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"{}\"/>",
            esc(r)
        );
    }
    for (scheme, value) in &a.supplemental {
        let _ = writeln!(
            s,
            "      <SupplementalProperty schemeIdUri=\"{}\" value=\"{}\"/>",
            esc(scheme),
            esc(value)
        );
    }
    for r in &a.representations {
        render_representation(s, r);
    }
    s.push_str("    </AdaptationSet>\n");
}

fn render_protection(s: &mut String, cp: &ContentProtection) {
    match cp {
        ContentProtection::Mp4Protection {
            scheme,
            default_kid,
        } => {
            let _ = writeln!(
                s,
                "      <ContentProtection schemeIdUri=\"{MP4PROTECTION_SCHEME}\" value=\"{}\" cenc:default_KID=\"{default_kid}\"/>",
                esc(scheme)
            );
        }
        ContentProtection::System {
            scheme_id_uri,
            value,
            pssh,
            pro,
        } => {
            let _ = write!(
                s,
                "      <ContentProtection schemeIdUri=\"{}\"",
                esc(scheme_id_uri)
            );
            if let Some(v) = value {
                let _ = write!(s, " value=\"{}\"", esc(v));
            }
            s.push_str(">\n");
            if let Some(p) = pssh {
                let _ = writeln!(s, "        <cenc:pssh>{p}</cenc:pssh>");
            }
            if let Some(p) = pro {
                let _ = writeln!(s, "        <mspr:pro>{p}</mspr:pro>");
            }
            s.push_str("      </ContentProtection>\n");
        }
        ContentProtection::ClearKey { laurl } => {
            let _ = writeln!(
                s,
                "      <ContentProtection schemeIdUri=\"{CLEARKEY_SCHEME}\" value=\"ClearKey1.0\">\n        <dashif:Laurl>{}</dashif:Laurl>\n      </ContentProtection>",
                esc(laurl)
            );
        }
    }
}

fn render_representation(s: &mut String, r: &Representation) {
    let _ = write!(
        s,
        "      <Representation id=\"{}\" bandwidth=\"{}\"",
        esc(&r.id),
        r.bandwidth,
    );
    // A side-loaded text file (`text/vtt`) has no codecs string.
    if !r.codecs.is_empty() {
        let _ = write!(s, " codecs=\"{}\"", esc(&r.codecs));
    }
    if let (Some(w), Some(h)) = (r.width, r.height) {
        let _ = write!(s, " width=\"{w}\" height=\"{h}\"");
    }
    if let Some(f) = &r.frame_rate {
        let _ = write!(s, " frameRate=\"{f}\"");
    }
    if let Some(sar) = &r.sar {
        let _ = write!(s, " sar=\"{sar}\"");
    }
    if let Some(rate) = r.audio_sampling_rate {
        let _ = write!(s, " audioSamplingRate=\"{rate}\"");
    }
    s.push_str(">\n");
    if let Some(ch) = r.channels {
        let _ = writeln!(
            s,
            "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{ch}\"/>"
        );
    }
    match &r.addressing {
        Addressing::BaseUrl(u) => {
            let _ = writeln!(s, "        <BaseURL>{}</BaseURL>", esc(u));
        }
        Addressing::Template(t) => {
            let _ = writeln!(
                s,
                "        <SegmentTemplate timescale=\"{}\" initialization=\"{}\" media=\"{}\" startNumber=\"{}\">",
                t.timescale,
                esc(&t.initialization),
                esc(&t.media),
                t.start_number
            );
            s.push_str("          <SegmentTimeline>\n");
            for e in &t.timeline {
                let _ = write!(s, "            <S t=\"{}\" d=\"{}\"", e.t, e.d);
                if e.r > 0 {
                    let _ = write!(s, " r=\"{}\"", e.r);
                }
                s.push_str("/>\n");
            }
            s.push_str("          </SegmentTimeline>\n        </SegmentTemplate>\n");
        }
    }
    s.push_str("      </Representation>\n");
}

/// Why a manifest could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("manifest: {0}")]
pub struct MpdError(pub String);

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, MpdError> {
    for a in e.attributes() {
        let a = a.map_err(|x| MpdError(x.to_string()))?;
        let key: &str = a.key.as_ref();
        if key == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| MpdError(x.to_string()))?
                .into_owned();
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn num<T: std::str::FromStr>(v: Option<String>, what: &str) -> Result<Option<T>, MpdError> {
    v.map(|s| {
        s.parse()
            .map_err(|_| MpdError(format!("{what}: not a number: {s:?}")))
    })
    .transpose()
}

fn need<T>(v: Option<T>, what: &str) -> Result<T, MpdError> {
    v.ok_or_else(|| MpdError(format!("missing {what}")))
}

impl Mpd {
    /// Parses a static single-Period manifest with SegmentTemplate/SegmentTimeline or BaseURL
    /// addressing (what [`Mpd::render`] writes).
    pub fn parse(xml: &str) -> Result<Mpd, MpdError> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut mpd = Mpd {
            duration: 0.0,
            max_segment_duration: 0.0,
            min_buffer_time: 0.0,
            adaptation_sets: Vec::new(),
        };
        let mut saw_mpd = false;
        let mut text_target: Option<&'static str> = None;
        let mut text = String::new();
        loop {
            let ev = reader
                .read_event()
                .map_err(|e| MpdError(format!("not well-formed XML: {e}")))?;
            match ev {
                Event::Eof => break,
                ev @ (Event::Start(_) | Event::Empty(_)) => {
                    let is_start = matches!(ev, Event::Start(_));
                    let (Event::Start(e) | Event::Empty(e)) = ev else {
                        unreachable!("matched above")
                    };
                    let qname = e.name();
                    let local_name = qname.local_name();
                    let (name, local): (&str, &str) = (qname.as_ref(), local_name.as_ref());
                    match (name, local) {
                        (_, "MPD") => {
                            saw_mpd = true;
                            if attr(&e, "type")?.as_deref() != Some("static") {
                                return Err(MpdError("only static MPDs are supported".into()));
                            }
                            mpd.duration = attr(&e, "mediaPresentationDuration")?
                                .as_deref()
                                .and_then(parse_iso_duration)
                                .ok_or_else(|| {
                                    MpdError("missing or bad mediaPresentationDuration".into())
                                })?;
                            mpd.max_segment_duration = attr(&e, "maxSegmentDuration")?
                                .as_deref()
                                .and_then(parse_iso_duration)
                                .unwrap_or(0.0);
                            mpd.min_buffer_time = attr(&e, "minBufferTime")?
                                .as_deref()
                                .and_then(parse_iso_duration)
                                .unwrap_or(0.0);
                        }
                        (_, "AdaptationSet") => {
                            let ct = match attr(&e, "contentType")?.as_deref() {
                                Some("video") => ContentType::Video,
                                Some("audio") => ContentType::Audio,
                                Some("text") => ContentType::Text,
                                other => {
                                    return Err(MpdError(format!("unknown contentType {other:?}")));
                                }
                            };
                            mpd.adaptation_sets.push(AdaptationSet {
                                id: num(attr(&e, "id")?, "AdaptationSet@id")?.unwrap_or(0),
                                content_type: ct,
                                mime_type: attr(&e, "mimeType")?.unwrap_or_default(),
                                lang: attr(&e, "lang")?,
                                role: None,
                                supplemental: Vec::new(),
                                content_protection: Vec::new(),
                                representations: Vec::new(),
                            });
                        }
                        (_, "SupplementalProperty") => {
                            if let Some(a) = mpd.adaptation_sets.last_mut() {
                                a.supplemental.push((
                                    attr(&e, "schemeIdUri")?.unwrap_or_default(),
                                    attr(&e, "value")?.unwrap_or_default(),
                                ));
                            }
                        }
                        (_, "Role") => {
                            if let Some(a) = mpd.adaptation_sets.last_mut() {
                                a.role = attr(&e, "value")?;
                            }
                        }
                        (_, "ContentProtection") => {
                            let a = mpd.adaptation_sets.last_mut().ok_or_else(|| {
                                MpdError("ContentProtection outside an AdaptationSet".into())
                            })?;
                            let scheme = need(attr(&e, "schemeIdUri")?, "schemeIdUri")?;
                            let cp = if scheme.eq_ignore_ascii_case(MP4PROTECTION_SCHEME) {
                                let kid = need(attr(&e, "cenc:default_KID")?, "cenc:default_KID")?;
                                ContentProtection::Mp4Protection {
                                    scheme: attr(&e, "value")?.unwrap_or_default(),
                                    default_kid: KeyId::from_hex(&kid).map_err(|_| {
                                        MpdError(format!("bad default_KID {kid:?}"))
                                    })?,
                                }
                            } else if scheme.eq_ignore_ascii_case(CLEARKEY_SCHEME) {
                                ContentProtection::ClearKey {
                                    laurl: String::new(),
                                }
                            } else {
                                ContentProtection::System {
                                    scheme_id_uri: scheme.to_ascii_lowercase(),
                                    value: attr(&e, "value")?,
                                    pssh: None,
                                    pro: None,
                                }
                            };
                            a.content_protection.push(cp);
                        }
                        ("cenc:pssh", _) if is_start => text_target = Some("pssh"),
                        ("mspr:pro", _) if is_start => text_target = Some("pro"),
                        (_, "laurl") | (_, "Laurl") if is_start => text_target = Some("laurl"),
                        (_, "BaseURL") if is_start => text_target = Some("baseurl"),
                        (_, "Representation") => {
                            let a = mpd.adaptation_sets.last_mut().ok_or_else(|| {
                                MpdError("Representation outside an AdaptationSet".into())
                            })?;
                            a.representations.push(Representation {
                                id: need(attr(&e, "id")?, "Representation@id")?,
                                bandwidth: need(
                                    num(attr(&e, "bandwidth")?, "bandwidth")?,
                                    "bandwidth",
                                )?,
                                codecs: attr(&e, "codecs")?.unwrap_or_default(),
                                width: num(attr(&e, "width")?, "width")?,
                                height: num(attr(&e, "height")?, "height")?,
                                frame_rate: attr(&e, "frameRate")?,
                                sar: attr(&e, "sar")?,
                                audio_sampling_rate: num(
                                    attr(&e, "audioSamplingRate")?,
                                    "audioSamplingRate",
                                )?,
                                channels: None,
                                addressing: Addressing::BaseUrl(String::new()),
                            });
                        }
                        (_, "AudioChannelConfiguration") => {
                            if let Some(r) = last_rep(&mut mpd) {
                                r.channels = num(attr(&e, "value")?, "channels")?;
                            }
                        }
                        (_, "SegmentTemplate") => {
                            let r = last_rep(&mut mpd).ok_or_else(|| {
                                MpdError("SegmentTemplate outside a Representation".into())
                            })?;
                            r.addressing = Addressing::Template(SegmentTemplate {
                                timescale: num(attr(&e, "timescale")?, "timescale")?.unwrap_or(1),
                                initialization: need(
                                    attr(&e, "initialization")?,
                                    "initialization",
                                )?,
                                media: need(attr(&e, "media")?, "media")?,
                                start_number: num(attr(&e, "startNumber")?, "startNumber")?
                                    .unwrap_or(1),
                                timeline: Vec::new(),
                            });
                        }
                        (_, "S") => {
                            let Some(Representation {
                                addressing: Addressing::Template(t),
                                ..
                            }) = last_rep(&mut mpd)
                            else {
                                return Err(MpdError("S outside a SegmentTimeline".into()));
                            };
                            let d: u64 = need(num(attr(&e, "d")?, "S@d")?, "S@d")?;
                            let next = t
                                .timeline
                                .last()
                                .map_or(0, |p| p.t + p.d * (p.r as u64 + 1));
                            let r: i64 = num(attr(&e, "r")?, "S@r")?.unwrap_or(0);
                            if r < 0 {
                                return Err(MpdError(
                                    "negative S@r is not supported in VOD".into(),
                                ));
                            }
                            t.timeline.push(TimelineEntry {
                                t: num(attr(&e, "t")?, "S@t")?.unwrap_or(next),
                                d,
                                r: r as u32,
                            });
                        }
                        _ => {}
                    }
                }
                Event::Text(t) if text_target.is_some() => {
                    text.push_str(&t.xml10_content());
                }
                Event::GeneralRef(r) if text_target.is_some() => {
                    let entity = format!("&{};", &*r);
                    let resolved = quick_xml::escape::unescape(&entity)
                        .map_err(|e| MpdError(format!("bad entity {entity}: {e}")))?;
                    text.push_str(&resolved);
                }
                Event::End(_) => {
                    if let Some(kind) = text_target.take() {
                        set_text(&mut mpd, kind, std::mem::take(&mut text).trim().to_string());
                    }
                }
                _ => {}
            }
        }
        if !saw_mpd {
            return Err(MpdError("no MPD element".into()));
        }
        Ok(mpd)
    }
}

fn set_text(mpd: &mut Mpd, kind: &str, value: String) {
    if kind == "baseurl" {
        if let Some(r) = last_rep(mpd) {
            r.addressing = Addressing::BaseUrl(value);
        }
        return;
    }
    let Some(cp) = mpd
        .adaptation_sets
        .last_mut()
        .and_then(|a| a.content_protection.last_mut())
    else {
        return;
    };
    match (kind, cp) {
        ("pssh", ContentProtection::System { pssh, .. }) => *pssh = Some(value),
        ("pro", ContentProtection::System { pro, .. }) => *pro = Some(value),
        ("laurl", ContentProtection::ClearKey { laurl }) => *laurl = value,
        _ => {}
    }
}

fn last_rep(mpd: &mut Mpd) -> Option<&mut Representation> {
    mpd.adaptation_sets.last_mut()?.representations.last_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mpd {
        let kid = KeyId::from_hex("abba271e8bcf552bbd2e86a434a9a5d9").unwrap();
        Mpd {
            duration: 10.021,
            max_segment_duration: 4.0,
            min_buffer_time: 2.0,
            adaptation_sets: vec![
                AdaptationSet {
                    id: 0,
                    content_type: ContentType::Video,
                    mime_type: "video/mp4".into(),
                    lang: None,
                    role: Some("main".into()),
                    supplemental: vec![(
                        "urn:mpeg:dash:adaptation-set-switching:2016".into(),
                        "1".into(),
                    )],
                    content_protection: vec![
                        ContentProtection::Mp4Protection {
                            scheme: "cenc".into(),
                            default_kid: kid,
                        },
                        ContentProtection::System {
                            scheme_id_uri: PLAYREADY_SCHEME.into(),
                            value: Some("MSPR 2.0".into()),
                            pssh: Some("AAAA".into()),
                            pro: Some("BBBB".into()),
                        },
                        ContentProtection::ClearKey {
                            laurl: "http://127.0.0.1:8480/license/clearkey?a=1&b=2".into(),
                        },
                    ],
                    representations: vec![Representation {
                        id: "video_640x360".into(),
                        bandwidth: 900_000,
                        codecs: "avc1.64001e".into(),
                        width: Some(640),
                        height: Some(360),
                        frame_rate: Some("25".into()),
                        sar: Some("1:1".into()),
                        audio_sampling_rate: None,
                        channels: None,
                        addressing: Addressing::Template(SegmentTemplate {
                            timescale: 12800,
                            initialization: "$RepresentationID$/init.mp4".into(),
                            media: "$RepresentationID$/$Number$.m4s".into(),
                            start_number: 1,
                            timeline: timeline(&[(0, 51200), (51200, 51200), (102400, 25600)]),
                        }),
                    }],
                },
                AdaptationSet {
                    id: 1,
                    content_type: ContentType::Text,
                    mime_type: "text/vtt".into(),
                    lang: Some("en".into()),
                    role: Some("subtitle".into()),
                    supplemental: vec![],
                    content_protection: vec![],
                    representations: vec![Representation {
                        id: "text_en".into(),
                        bandwidth: 256,
                        codecs: String::new(),
                        width: None,
                        height: None,
                        frame_rate: None,
                        sar: None,
                        audio_sampling_rate: None,
                        channels: None,
                        addressing: Addressing::BaseUrl("text_en/subs.vtt".into()),
                    }],
                },
            ],
        }
    }

    #[test]
    fn timeline_compresses_equal_runs() {
        let t = timeline(&[(0, 4), (4, 4), (8, 4), (12, 2)]);
        assert_eq!(
            t,
            vec![
                TimelineEntry { t: 0, d: 4, r: 2 },
                TimelineEntry { t: 12, d: 2, r: 0 }
            ]
        );
    }

    #[test]
    fn render_then_parse_is_identity() {
        let m = sample();
        let xml = m.render();
        assert!(xml.contains("mediaPresentationDuration=\"PT10.021S\""));
        assert!(xml.contains("cenc:default_KID=\"abba271e-8bcf-552b-bd2e-86a434a9a5d9\""));
        assert!(xml.contains("&amp;b=2"));
        let back = Mpd::parse(&xml).unwrap();
        assert_eq!(back, m);
        let Addressing::Template(t) = &back.adaptation_sets[0].representations[0].addressing else {
            panic!()
        };
        assert_eq!(
            t.segments(),
            vec![(1, 0, 51200), (2, 51200, 51200), (3, 102400, 25600)]
        );
        assert_eq!(t.media_url("v", 2), "v/2.m4s");
    }

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration(3725.5), "PT1H2M5.5S");
        assert_eq!(iso_duration(0.0), "PT0S");
        assert_eq!(parse_iso_duration("PT1H2M5.5S"), Some(3725.5));
        assert_eq!(parse_iso_duration("P1D"), None);
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        for bad in [
            "",
            "<MPD",
            "<x/>",
            "<MPD type=\"dynamic\"/>",
            "<MPD type=\"static\"/>",
        ] {
            assert!(Mpd::parse(bad).is_err(), "{bad}");
        }
    }
}
