//! WebVTT for HLS: parse a side-loaded `.vtt` file and cut it into segments, each a complete
//! WebVTT file with an `X-TIMESTAMP-MAP` that maps cue time zero onto the MPEG-TS timeline.

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::limits::{MAX_WEBVTT_BYTES, MAX_WEBVTT_CUES};

/// One cue.
#[derive(Clone, Debug, PartialEq)]
pub struct Cue {
    /// The cue identifier line, if any.
    pub id: Option<String>,
    /// Start in seconds.
    pub start: f64,
    /// End in seconds.
    pub end: f64,
    /// Cue settings after the end time (`line:0 align:start`, ...), as written.
    pub settings: String,
    /// The cue text lines.
    pub payload: String,
}

/// A parsed WebVTT file.
#[derive(Clone, Debug, PartialEq)]
pub struct WebVtt {
    /// `STYLE` and `REGION` blocks, which every segment repeats before its cues.
    pub header_blocks: Vec<String>,
    /// The cues in file order.
    pub cues: Vec<Cue>,
}

fn timestamp(text: &str, line: usize) -> Result<f64> {
    let bad = || Error::WebVtt {
        line,
        reason: format!("bad timestamp {text:?}"),
    };
    let (hms, ms) = text.split_once('.').ok_or_else(bad)?;
    if ms.len() != 3 || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let parts: Vec<&str> = hms.split(':').collect();
    let nums: Vec<u64> = parts
        .iter()
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                Err(bad())
            } else {
                p.parse::<u64>().map_err(|_| bad())
            }
        })
        .collect::<Result<_>>()?;
    let (h, m, s) = match nums.as_slice() {
        [m, s] => (0, *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(bad()),
    };
    if m > 59 || s > 59 {
        return Err(bad());
    }
    Ok((h * 3600 + m * 60 + s) as f64 + ms.parse::<u64>().map_err(|_| bad())? as f64 / 1000.0)
}

/// `HH:MM:SS.mmm`.
pub fn format_timestamp(secs: f64) -> String {
    let total_ms = (secs.max(0.0) * 1000.0).round() as u64;
    let (h, rest) = (total_ms / 3_600_000, total_ms % 3_600_000);
    format!(
        "{h:02}:{:02}:{:02}.{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    )
}

impl WebVtt {
    /// Parses WebVTT text (a UTF-8 BOM is allowed).
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_WEBVTT_BYTES {
            return Err(Error::Limit("WebVTT size (64 MiB)"));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
        let first = lines.first().copied().unwrap_or("");
        if !(first == "WEBVTT" || first.starts_with("WEBVTT ") || first.starts_with("WEBVTT\t")) {
            return Err(Error::WebVtt {
                line: 1,
                reason: "does not start with WEBVTT".into(),
            });
        }
        // Blocks separated by blank lines; the first (header) block is dropped.
        let mut blocks: Vec<(usize, Vec<&str>)> = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let mut start = 0;
        for (i, l) in lines.iter().enumerate().skip(1) {
            if l.trim().is_empty() {
                if !current.is_empty() {
                    blocks.push((start, std::mem::take(&mut current)));
                }
            } else {
                if current.is_empty() {
                    start = i + 1;
                }
                current.push(l);
            }
        }
        if !current.is_empty() {
            blocks.push((start, current));
        }
        let mut vtt = WebVtt {
            header_blocks: Vec::new(),
            cues: Vec::new(),
        };
        let mut in_header = true;
        for (line, block) in blocks {
            // The header block is whatever follows the WEBVTT line without a blank line.
            if line == 2 && in_header && !block.iter().any(|l| l.contains("-->")) {
                continue;
            }
            in_header = false;
            let first = block[0];
            if first.starts_with("NOTE") {
                continue;
            }
            if first.starts_with("STYLE") || first.starts_with("REGION") {
                if !vtt.cues.is_empty() {
                    return Err(Error::WebVtt {
                        line,
                        reason: "STYLE/REGION blocks must come before the first cue".into(),
                    });
                }
                vtt.header_blocks.push(block.join("\n"));
                continue;
            }
            let (id, timing_at) = if first.contains("-->") {
                (None, 0)
            } else {
                (Some(first.to_owned()), 1)
            };
            let timing = block.get(timing_at).ok_or_else(|| Error::WebVtt {
                line,
                reason: "cue without timing line".into(),
            })?;
            let tline = line + timing_at;
            let (a, rest) = timing.split_once("-->").ok_or_else(|| Error::WebVtt {
                line: tline,
                reason: "cue timing line without -->".into(),
            })?;
            let rest = rest.trim_start();
            let (b, settings) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let cue = Cue {
                id,
                start: timestamp(a.trim(), tline)?,
                end: timestamp(b.trim(), tline)?,
                settings: settings.trim().to_owned(),
                payload: block[timing_at + 1..].join("\n"),
            };
            if cue.end < cue.start {
                return Err(Error::WebVtt {
                    line: tline,
                    reason: "cue ends before it starts".into(),
                });
            }
            if vtt.cues.len() >= MAX_WEBVTT_CUES {
                return Err(Error::Limit("WebVTT cues"));
            }
            vtt.cues.push(cue);
        }
        Ok(vtt)
    }

    /// The end of the last cue, in seconds.
    pub fn end(&self) -> f64 {
        self.cues.iter().map(|c| c.end).fold(0.0, f64::max)
    }

    /// One WebVTT file per segment. Segment `i` spans `starts[i]..starts[i + 1]` (the last one
    /// to infinity), in seconds of presentation time; a cue goes into every segment it
    /// overlaps (cue times are not changed). `mpegts` is the 90 kHz time of presentation
    /// zero in the media segments ([`crate::segment::TS_TIME_OFFSET`] for our TS).
    pub fn segments(&self, starts: &[f64], mpegts: u64) -> Vec<String> {
        let mut out = Vec::with_capacity(starts.len());
        for (i, &from) in starts.iter().enumerate() {
            let to = starts.get(i + 1).copied().unwrap_or(f64::INFINITY);
            let from = if i == 0 { f64::NEG_INFINITY } else { from };
            let mut s = String::from("WEBVTT\n");
            let _ = writeln!(s, "X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000");
            s.push('\n');
            for b in &self.header_blocks {
                s.push_str(b);
                s.push_str("\n\n");
            }
            for c in &self.cues {
                let overlaps =
                    c.start < to && (c.end > from || (c.end == c.start && c.start >= from));
                if !overlaps {
                    continue;
                }
                if let Some(id) = &c.id {
                    let _ = writeln!(s, "{id}");
                }
                let _ = write!(
                    s,
                    "{} --> {}",
                    format_timestamp(c.start),
                    format_timestamp(c.end)
                );
                if !c.settings.is_empty() {
                    let _ = write!(s, " {}", c.settings);
                }
                s.push('\n');
                if !c.payload.is_empty() {
                    s.push_str(&c.payload);
                    s.push('\n');
                }
                s.push('\n');
            }
            out.push(s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\u{feff}WEBVTT - test\nKind: captions\n\nSTYLE\n::cue { color: yellow }\n\nNOTE a comment\n\n1\n00:00:01.000 --> 00:00:03.500 line:0\nHello\nworld\n\n00:05.000 --> 00:00:07.000\nSecond\n\n3\n00:00:05.900 --> 00:00:09.000\nAcross\n";

    #[test]
    fn parse_and_segment() {
        let v = WebVtt::parse(SAMPLE).unwrap();
        assert_eq!(v.header_blocks, ["STYLE\n::cue { color: yellow }"]);
        assert_eq!(v.cues.len(), 3);
        assert_eq!(v.cues[0].id.as_deref(), Some("1"));
        assert_eq!(v.cues[0].settings, "line:0");
        assert_eq!(v.cues[0].payload, "Hello\nworld");
        assert_eq!(v.cues[1].start, 5.0);
        assert_eq!(v.end(), 9.0);
        let segs = v.segments(&[0.0, 6.0], 900_000);
        assert_eq!(segs.len(), 2);
        assert!(
            segs[0]
                .starts_with("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\nSTYLE\n")
        );
        assert!(segs[0].contains("00:00:01.000 --> 00:00:03.500 line:0\nHello\nworld\n"));
        assert!(segs[0].contains("Across"), "overlapping cue in both");
        assert!(segs[1].contains("Across"));
        assert!(!segs[1].contains("Hello"));
        assert!(segs[1].contains("Second"), "5-7 s overlaps 6 s");
        // Every segment parses again.
        for s in &segs {
            WebVtt::parse(s).unwrap();
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp(3725.5), "01:02:05.500");
        assert_eq!(timestamp("01:02:05.500", 1).unwrap(), 3725.5);
        assert_eq!(timestamp("02:05.500", 1).unwrap(), 125.5);
        for bad in ["1:2", "00:61.000", "00:00:01,000", "aa:00.000", "00:00.1"] {
            assert!(timestamp(bad, 1).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_files() {
        assert!(WebVtt::parse("").is_err());
        assert!(WebVtt::parse("WEBVTTX\n").is_err());
        assert!(WebVtt::parse("WEBVTT\n\n00:01.000 -> 00:02.000\nx\n").is_err());
        assert!(WebVtt::parse("WEBVTT\n\n00:03.000 --> 00:02.000\nx\n").is_err());
        assert!(WebVtt::parse("WEBVTT\n\n1\n").is_err());
    }
}
