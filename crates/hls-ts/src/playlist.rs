//! HLS playlists (RFC 8216): media and master playlists as data, rendered to m3u8 text, and
//! parsed back (our own output, for the read-back check and tests).

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::limits::MAX_PLAYLIST_BYTES;

/// `METHOD` of an `#EXT-X-KEY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMethod {
    /// Whole segments, AES-128-CBC with PKCS#7.
    Aes128,
    /// SAMPLE-AES (TS elementary streams, or fMP4 cbcs).
    SampleAes,
}

impl KeyMethod {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMethod::Aes128 => "AES-128",
            KeyMethod::SampleAes => "SAMPLE-AES",
        }
    }
}

/// An `#EXT-X-KEY` (or `#EXT-X-SESSION-KEY`) tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTag {
    /// `METHOD`.
    pub method: KeyMethod,
    /// `URI` (never empty).
    pub uri: String,
    /// `IV`, when written explicitly.
    pub iv: Option<[u8; 16]>,
    /// `KEYFORMAT` (absent = `identity`).
    pub key_format: Option<String>,
    /// `KEYFORMATVERSIONS`.
    pub key_format_versions: Option<String>,
}

impl KeyTag {
    /// The tag line, `#EXT-X-KEY:` or (for a master playlist) `#EXT-X-SESSION-KEY:`.
    pub fn line(&self, session: bool) -> String {
        let mut s = format!(
            "#EXT-X-{}KEY:METHOD={},URI=\"{}\"",
            if session { "SESSION-" } else { "" },
            self.method.as_str(),
            self.uri
        );
        if let Some(iv) = self.iv {
            let _ = write!(s, ",IV=0x{}", keys::to_hex(&iv));
        }
        if let Some(f) = &self.key_format {
            let _ = write!(s, ",KEYFORMAT=\"{f}\"");
        }
        if let Some(v) = &self.key_format_versions {
            let _ = write!(s, ",KEYFORMATVERSIONS=\"{v}\"");
        }
        s
    }

    fn parse(attrs: &Attributes, line: usize) -> Result<Self> {
        let method = match attrs.get("METHOD") {
            Some("AES-128") => KeyMethod::Aes128,
            Some("SAMPLE-AES") => KeyMethod::SampleAes,
            other => {
                return Err(Error::Playlist {
                    line,
                    reason: format!("unsupported key METHOD {other:?}"),
                });
            }
        };
        let uri = attrs.get("URI").ok_or_else(|| Error::Playlist {
            line,
            reason: "key tag without URI".into(),
        })?;
        let iv = match attrs.get("IV") {
            Some(v) => {
                let hex = v
                    .strip_prefix("0x")
                    .or_else(|| v.strip_prefix("0X"))
                    .unwrap_or(v);
                let bytes = keys::decode_hex("IV", hex).map_err(|_| Error::Playlist {
                    line,
                    reason: "IV is not hexadecimal".into(),
                })?;
                Some(<[u8; 16]>::try_from(bytes).map_err(|_| Error::Playlist {
                    line,
                    reason: "IV is not 128 bits".into(),
                })?)
            }
            None => None,
        };
        Ok(KeyTag {
            method,
            uri: uri.to_owned(),
            iv,
            key_format: attrs.get("KEYFORMAT").map(str::to_owned),
            key_format_versions: attrs.get("KEYFORMATVERSIONS").map(str::to_owned),
        })
    }
}

/// One segment of a media playlist.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentEntry {
    /// `#EXTINF` duration in seconds.
    pub duration: f64,
    /// Its URI, relative to the playlist.
    pub uri: String,
}

/// A VOD media playlist.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaPlaylist {
    /// `#EXT-X-MEDIA-SEQUENCE` of the first segment.
    pub media_sequence: u64,
    /// Key tags that apply to every segment.
    pub keys: Vec<KeyTag>,
    /// `#EXT-X-MAP` URI (fragmented MP4 init segment).
    pub map: Option<String>,
    /// The segments.
    pub segments: Vec<SegmentEntry>,
}

/// Durations are written with millisecond precision.
fn rounded(d: f64) -> f64 {
    (d * 1000.0).round() / 1000.0
}

impl MediaPlaylist {
    /// `#EXT-X-TARGETDURATION`: the longest segment duration (as written) rounded up.
    pub fn target_duration(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| rounded(s.duration).ceil() as u64)
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// The protocol version the playlist needs: 3 for decimal durations, 5 for `KEYFORMAT`,
    /// 6 for `#EXT-X-MAP`.
    pub fn version(&self) -> u8 {
        let mut v = 3;
        if self.keys.iter().any(|k| k.key_format.is_some()) {
            v = 5;
        }
        if self.map.is_some() {
            v = 6;
        }
        v
    }

    /// Total duration in seconds (as written).
    pub fn duration(&self) -> f64 {
        self.segments.iter().map(|s| rounded(s.duration)).sum()
    }

    /// The m3u8 text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "#EXTM3U");
        let _ = writeln!(s, "#EXT-X-VERSION:{}", self.version());
        let _ = writeln!(s, "#EXT-X-TARGETDURATION:{}", self.target_duration());
        let _ = writeln!(s, "#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence);
        let _ = writeln!(s, "#EXT-X-PLAYLIST-TYPE:VOD");
        let _ = writeln!(s, "#EXT-X-INDEPENDENT-SEGMENTS");
        if let Some(map) = &self.map {
            let _ = writeln!(s, "#EXT-X-MAP:URI=\"{map}\"");
        }
        for k in &self.keys {
            let _ = writeln!(s, "{}", k.line(false));
        }
        for seg in &self.segments {
            let _ = writeln!(s, "#EXTINF:{:.3},", rounded(seg.duration));
            let _ = writeln!(s, "{}", seg.uri);
        }
        let _ = writeln!(s, "#EXT-X-ENDLIST");
        s
    }

    /// Parses a media playlist (key tags before the first segment apply to all segments; a
    /// key change in mid-playlist is rejected).
    pub fn parse(text: &str) -> Result<Self> {
        let lines = check_text(text)?;
        let mut p = MediaPlaylist {
            media_sequence: 0,
            keys: Vec::new(),
            map: None,
            segments: Vec::new(),
        };
        let mut pending: Option<f64> = None;
        let mut ended = false;
        for (n, line) in lines {
            if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
                p.media_sequence = v.trim().parse().map_err(|_| Error::Playlist {
                    line: n,
                    reason: "bad media sequence".into(),
                })?;
            } else if let Some(v) = line.strip_prefix("#EXT-X-KEY:") {
                if !p.segments.is_empty() {
                    return Err(Error::Playlist {
                        line: n,
                        reason: "key tags after the first segment are not supported".into(),
                    });
                }
                let attrs = Attributes::parse(v, n)?;
                if attrs.get("METHOD") != Some("NONE") {
                    p.keys.push(KeyTag::parse(&attrs, n)?);
                }
            } else if let Some(v) = line.strip_prefix("#EXT-X-MAP:") {
                let attrs = Attributes::parse(v, n)?;
                p.map = attrs.get("URI").map(str::to_owned);
            } else if let Some(v) = line.strip_prefix("#EXTINF:") {
                let d = v.split(',').next().unwrap_or("").trim();
                let d: f64 = d.parse().map_err(|_| Error::Playlist {
                    line: n,
                    reason: format!("bad EXTINF duration {d:?}"),
                })?;
                if !(d.is_finite() && d >= 0.0) {
                    return Err(Error::Playlist {
                        line: n,
                        reason: "negative or infinite EXTINF".into(),
                    });
                }
                pending = Some(d);
            } else if line == "#EXT-X-ENDLIST" {
                ended = true;
            } else if line.starts_with('#') || line.is_empty() {
                continue;
            } else {
                let duration = pending.take().ok_or_else(|| Error::Playlist {
                    line: n,
                    reason: "segment URI without #EXTINF".into(),
                })?;
                p.segments.push(SegmentEntry {
                    duration,
                    uri: line.to_owned(),
                });
            }
        }
        if !ended {
            return Err(Error::Playlist {
                line: 0,
                reason: "no #EXT-X-ENDLIST (not a VOD playlist)".into(),
            });
        }
        Ok(p)
    }
}

/// `TYPE` of an `#EXT-X-MEDIA` rendition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenditionType {
    /// `AUDIO`.
    Audio,
    /// `SUBTITLES`.
    Subtitles,
}

/// An `#EXT-X-MEDIA` rendition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendition {
    /// `TYPE`.
    pub kind: RenditionType,
    /// `GROUP-ID`.
    pub group_id: String,
    /// `NAME`.
    pub name: String,
    /// `LANGUAGE` (RFC 5646 tag).
    pub language: Option<String>,
    /// `DEFAULT=YES`.
    pub default: bool,
    /// `AUTOSELECT=YES`.
    pub autoselect: bool,
    /// `CHANNELS` (audio).
    pub channels: Option<String>,
    /// Its media playlist.
    pub uri: String,
}

impl Rendition {
    fn line(&self) -> String {
        let mut s = format!(
            "#EXT-X-MEDIA:TYPE={},GROUP-ID=\"{}\",NAME=\"{}\"",
            match self.kind {
                RenditionType::Audio => "AUDIO",
                RenditionType::Subtitles => "SUBTITLES",
            },
            self.group_id,
            self.name
        );
        if let Some(l) = &self.language {
            let _ = write!(s, ",LANGUAGE=\"{l}\"");
        }
        let yes = |b: bool| if b { "YES" } else { "NO" };
        let _ = write!(
            s,
            ",DEFAULT={},AUTOSELECT={}",
            yes(self.default),
            yes(self.autoselect)
        );
        if self.kind == RenditionType::Subtitles {
            s.push_str(",FORCED=NO");
        }
        if let Some(c) = &self.channels {
            let _ = write!(s, ",CHANNELS=\"{c}\"");
        }
        let _ = write!(s, ",URI=\"{}\"", self.uri);
        s
    }
}

/// An `#EXT-X-STREAM-INF` variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// `BANDWIDTH`: peak bits per second, renditions included.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH`.
    pub average_bandwidth: u64,
    /// `CODECS`, every codec of the variant and its renditions.
    pub codecs: String,
    /// `RESOLUTION`.
    pub resolution: Option<(u32, u32)>,
    /// `FRAME-RATE`.
    pub frame_rate: Option<f64>,
    /// `AUDIO` group.
    pub audio: Option<String>,
    /// `SUBTITLES` group.
    pub subtitles: Option<String>,
    /// Its media playlist.
    pub uri: String,
}

/// A master (multivariant) playlist.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterPlaylist {
    /// `#EXT-X-VERSION`.
    pub version: u8,
    /// `#EXT-X-SESSION-KEY` tags (let players fetch keys early).
    pub session_keys: Vec<KeyTag>,
    /// Audio and subtitle renditions.
    pub renditions: Vec<Rendition>,
    /// The variants.
    pub variants: Vec<Variant>,
}

impl MasterPlaylist {
    /// The m3u8 text. Every variant says `CLOSED-CAPTIONS=NONE` (we never carry CEA-608/708
    /// captions), which strict clients require when captions are absent.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "#EXTM3U");
        let _ = writeln!(s, "#EXT-X-VERSION:{}", self.version);
        let _ = writeln!(s, "#EXT-X-INDEPENDENT-SEGMENTS");
        for k in &self.session_keys {
            let _ = writeln!(s, "{}", k.line(true));
        }
        for r in &self.renditions {
            let _ = writeln!(s, "{}", r.line());
        }
        for v in &self.variants {
            let mut line = format!(
                "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
                v.bandwidth, v.average_bandwidth, v.codecs
            );
            if let Some((w, h)) = v.resolution {
                let _ = write!(line, ",RESOLUTION={w}x{h}");
            }
            if let Some(f) = v.frame_rate {
                let _ = write!(line, ",FRAME-RATE={f:.3}");
            }
            if let Some(a) = &v.audio {
                let _ = write!(line, ",AUDIO=\"{a}\"");
            }
            if let Some(t) = &v.subtitles {
                let _ = write!(line, ",SUBTITLES=\"{t}\"");
            }
            line.push_str(",CLOSED-CAPTIONS=NONE");
            let _ = writeln!(s, "{line}");
            let _ = writeln!(s, "{}", v.uri);
        }
        s
    }

    /// Parses a master playlist.
    pub fn parse(text: &str) -> Result<Self> {
        let lines = check_text(text)?;
        let mut m = MasterPlaylist {
            version: 1,
            session_keys: Vec::new(),
            renditions: Vec::new(),
            variants: Vec::new(),
        };
        let mut pending: Option<(Attributes, usize)> = None;
        for (n, line) in lines {
            if let Some(v) = line.strip_prefix("#EXT-X-VERSION:") {
                m.version = v.trim().parse().map_err(|_| Error::Playlist {
                    line: n,
                    reason: "bad version".into(),
                })?;
            } else if let Some(v) = line.strip_prefix("#EXT-X-SESSION-KEY:") {
                m.session_keys
                    .push(KeyTag::parse(&Attributes::parse(v, n)?, n)?);
            } else if let Some(v) = line.strip_prefix("#EXT-X-MEDIA:") {
                let a = Attributes::parse(v, n)?;
                let need = |k: &str| {
                    a.get(k).map(str::to_owned).ok_or_else(|| Error::Playlist {
                        line: n,
                        reason: format!("EXT-X-MEDIA without {k}"),
                    })
                };
                let kind = match a.get("TYPE") {
                    Some("AUDIO") => RenditionType::Audio,
                    Some("SUBTITLES") => RenditionType::Subtitles,
                    other => {
                        return Err(Error::Playlist {
                            line: n,
                            reason: format!("unsupported rendition TYPE {other:?}"),
                        });
                    }
                };
                m.renditions.push(Rendition {
                    kind,
                    group_id: need("GROUP-ID")?,
                    name: need("NAME")?,
                    language: a.get("LANGUAGE").map(str::to_owned),
                    default: a.get("DEFAULT") == Some("YES"),
                    autoselect: a.get("AUTOSELECT") == Some("YES"),
                    channels: a.get("CHANNELS").map(str::to_owned),
                    uri: need("URI")?,
                });
            } else if let Some(v) = line.strip_prefix("#EXT-X-STREAM-INF:") {
                pending = Some((Attributes::parse(v, n)?, n));
            } else if line.starts_with('#') || line.is_empty() {
                continue;
            } else {
                let (a, at) = pending.take().ok_or_else(|| Error::Playlist {
                    line: n,
                    reason: "URI without #EXT-X-STREAM-INF".into(),
                })?;
                let num = |k: &str| -> Result<Option<u64>> {
                    a.get(k)
                        .map(|v| {
                            v.parse().map_err(|_| Error::Playlist {
                                line: at,
                                reason: format!("bad {k}"),
                            })
                        })
                        .transpose()
                };
                let resolution = match a.get("RESOLUTION") {
                    Some(r) => {
                        let (w, h) = r.split_once('x').ok_or_else(|| Error::Playlist {
                            line: at,
                            reason: "bad RESOLUTION".into(),
                        })?;
                        Some((
                            w.parse().map_err(|_| Error::Playlist {
                                line: at,
                                reason: "bad RESOLUTION".into(),
                            })?,
                            h.parse().map_err(|_| Error::Playlist {
                                line: at,
                                reason: "bad RESOLUTION".into(),
                            })?,
                        ))
                    }
                    None => None,
                };
                m.variants.push(Variant {
                    bandwidth: num("BANDWIDTH")?.ok_or_else(|| Error::Playlist {
                        line: at,
                        reason: "EXT-X-STREAM-INF without BANDWIDTH".into(),
                    })?,
                    average_bandwidth: num("AVERAGE-BANDWIDTH")?.unwrap_or(0),
                    codecs: a.get("CODECS").unwrap_or_default().to_owned(),
                    resolution,
                    frame_rate: a.get("FRAME-RATE").and_then(|f| f.parse().ok()),
                    audio: a.get("AUDIO").map(str::to_owned),
                    subtitles: a.get("SUBTITLES").map(str::to_owned),
                    uri: line.to_owned(),
                });
            }
        }
        Ok(m)
    }
}

/// True when `text` is a master playlist (has variants or renditions).
pub fn is_master(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("#EXT-X-STREAM-INF:") || l.starts_with("#EXT-X-MEDIA:"))
}

/// Checks the size and `#EXTM3U` header; returns the numbered, trimmed lines.
fn check_text(text: &str) -> Result<Vec<(usize, &str)>> {
    if text.len() > MAX_PLAYLIST_BYTES {
        return Err(Error::Limit("playlist size (16 MiB)"));
    }
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r').trim()))
        .collect();
    if lines.first().map(|(_, l)| *l) != Some("#EXTM3U") {
        return Err(Error::Playlist {
            line: 1,
            reason: "does not start with #EXTM3U".into(),
        });
    }
    Ok(lines)
}

/// An attribute list (`KEY=VALUE,KEY="quoted, value"`).
#[derive(Debug)]
struct Attributes(Vec<(String, String)>);

impl Attributes {
    fn parse(text: &str, line: usize) -> Result<Self> {
        let mut out = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let (key, after) = rest.split_once('=').ok_or_else(|| Error::Playlist {
                line,
                reason: format!("attribute without '=' in {rest:?}"),
            })?;
            let (value, after) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"').ok_or_else(|| Error::Playlist {
                    line,
                    reason: "unterminated quoted string".into(),
                })?;
                (&q[..end], &q[end + 1..])
            } else {
                match after.find(',') {
                    Some(i) => (&after[..i], &after[i..]),
                    None => (after, ""),
                }
            };
            out.push((key.trim().to_owned(), value.to_owned()));
            rest = after.trim_start_matches(',').trim_start();
        }
        Ok(Attributes(out))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media() -> MediaPlaylist {
        MediaPlaylist {
            media_sequence: 0,
            keys: vec![KeyTag {
                method: KeyMethod::SampleAes,
                uri: "skd://cid-1".into(),
                iv: Some([0xAB; 16]),
                key_format: Some("com.apple.streamingkeydelivery".into()),
                key_format_versions: Some("1".into()),
            }],
            map: None,
            segments: vec![
                SegmentEntry {
                    duration: 6.0,
                    uri: "segment_00000.ts".into(),
                },
                SegmentEntry {
                    duration: 6.0004,
                    uri: "segment_00001.ts".into(),
                },
                SegmentEntry {
                    duration: 2.5,
                    uri: "segment_00002.ts".into(),
                },
            ],
        }
    }

    #[test]
    fn media_playlist_text() {
        let text = media().render();
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:5\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://cid-1\",IV=0xabababababababababababababababab,KEYFORMAT=\"com.apple.streamingkeydelivery\",KEYFORMATVERSIONS=\"1\"\n\
             #EXTINF:6.000,\nsegment_00000.ts\n#EXTINF:6.000,\nsegment_00001.ts\n#EXTINF:2.500,\nsegment_00002.ts\n#EXT-X-ENDLIST\n"
        );
        let back = MediaPlaylist::parse(&text).unwrap();
        assert_eq!(back.keys, media().keys);
        assert_eq!(back.segments.len(), 3);
        assert!(!is_master(&text));
    }

    #[test]
    fn target_duration_is_the_ceiling_of_the_longest() {
        let mut p = media();
        p.segments[1].duration = 6.0006;
        assert_eq!(p.target_duration(), 7);
        p.keys[0].key_format = None;
        assert_eq!(p.version(), 3);
        p.map = Some("init.mp4".into());
        assert_eq!(p.version(), 6);
    }

    #[test]
    fn master_round_trip() {
        let m = MasterPlaylist {
            version: 5,
            session_keys: vec![],
            renditions: vec![
                Rendition {
                    kind: RenditionType::Audio,
                    group_id: "audio".into(),
                    name: "English".into(),
                    language: Some("en".into()),
                    default: true,
                    autoselect: true,
                    channels: Some("2".into()),
                    uri: "audio_en/index.m3u8".into(),
                },
                Rendition {
                    kind: RenditionType::Subtitles,
                    group_id: "subs".into(),
                    name: "Deutsch, untertitelt".into(),
                    language: Some("de".into()),
                    default: false,
                    autoselect: true,
                    channels: None,
                    uri: "subs_de/index.m3u8".into(),
                },
            ],
            variants: vec![Variant {
                bandwidth: 1_111_200,
                average_bandwidth: 1_009_418,
                codecs: "avc1.64001e,mp4a.40.2".into(),
                resolution: Some((640, 360)),
                frame_rate: Some(25.0),
                audio: Some("audio".into()),
                subtitles: Some("subs".into()),
                uri: "video_360p/index.m3u8".into(),
            }],
        };
        let text = m.render();
        assert!(text.contains(
            "#EXT-X-STREAM-INF:BANDWIDTH=1111200,AVERAGE-BANDWIDTH=1009418,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO=\"audio\",SUBTITLES=\"subs\",CLOSED-CAPTIONS=NONE\nvideo_360p/index.m3u8\n"
        ), "{text}");
        assert!(is_master(&text));
        assert_eq!(MasterPlaylist::parse(&text).unwrap(), m);
    }

    #[test]
    fn bad_playlists() {
        assert!(MediaPlaylist::parse("not a playlist").is_err());
        assert!(MediaPlaylist::parse("#EXTM3U\nseg.ts\n#EXT-X-ENDLIST\n").is_err());
        assert!(MediaPlaylist::parse("#EXTM3U\n#EXTINF:1,\nseg.ts\n").is_err());
        assert!(
            MediaPlaylist::parse(
                "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\",IV=0x12\n#EXT-X-ENDLIST\n"
            )
            .is_err()
        );
        assert!(
            MasterPlaylist::parse("#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\"\nv.m3u8\n").is_err()
        );
    }
}
