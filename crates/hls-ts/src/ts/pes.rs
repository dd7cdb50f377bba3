//! PES packet headers with PTS and DTS (ISO/IEC 13818-1 section 2.4.3.6), written and parsed.

use crate::error::{Error, Result};

/// `stream_id` of the first video stream.
pub const STREAM_ID_VIDEO: u8 = 0xE0;
/// `stream_id` of the first MPEG audio stream (AAC).
pub const STREAM_ID_AUDIO: u8 = 0xC0;
/// `stream_id` `private_stream_1` (AC-3, E-AC-3).
pub const STREAM_ID_PRIVATE_1: u8 = 0xBD;

/// Longest PES header this module writes (fixed part + PTS + DTS).
pub const MAX_HEADER_LEN: usize = 19;

/// The header fields of a PES packet that our muxer writes and our demuxer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PesHeader {
    /// `stream_id`.
    pub stream_id: u8,
    /// Presentation time stamp (90 kHz, 33 bits).
    pub pts: Option<u64>,
    /// Decoding time stamp, when it differs from the PTS.
    pub dts: Option<u64>,
    /// `data_alignment_indicator`: the payload starts with an access unit.
    pub data_alignment: bool,
}

fn timestamp(prefix: u8, t: u64) -> [u8; 5] {
    let t = t & super::PTS_MASK;
    [
        (prefix << 4) | (((t >> 30) as u8 & 0x07) << 1) | 1,
        (t >> 22) as u8,
        (((t >> 15) as u8) << 1) | 1,
        (t >> 7) as u8,
        ((t as u8) << 1) | 1,
    ]
}

fn read_timestamp(b: &[u8]) -> u64 {
    (((b[0] >> 1) & 0x07) as u64) << 30
        | (b[1] as u64) << 22
        | ((b[2] >> 1) as u64) << 15
        | (b[3] as u64) << 7
        | (b[4] >> 1) as u64
}

impl PesHeader {
    /// Writes the header for a payload of `payload_len` bytes into `out` (cleared first).
    ///
    /// `PES_packet_length` is 0 ("unbounded", allowed for video only) when the packet would
    /// be longer than 65535 bytes; for other streams that is an error.
    pub fn write(&self, payload_len: usize, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        out.extend_from_slice(&[0, 0, 1, self.stream_id]);
        let ts_len = match (self.pts, self.dts) {
            (Some(_), Some(_)) => 10,
            (Some(_), None) => 5,
            (None, None) => 0,
            (None, Some(_)) => {
                return Err(Error::InvalidInput("a PES DTS needs a PTS".into()));
            }
        };
        let after_length = 3 + ts_len + payload_len;
        let length = if after_length <= 0xFFFF {
            after_length as u16
        } else if self.stream_id & 0xF0 == 0xE0 {
            0
        } else {
            return Err(Error::InvalidInput(format!(
                "an audio PES packet of {after_length} bytes exceeds 65535"
            )));
        };
        out.extend_from_slice(&length.to_be_bytes());
        out.push(0x80 | if self.data_alignment { 0x04 } else { 0 });
        let flags = match (self.pts, self.dts) {
            (Some(_), Some(_)) => 0xC0,
            (Some(_), None) => 0x80,
            _ => 0,
        };
        out.push(flags);
        out.push(ts_len as u8);
        match (self.pts, self.dts) {
            (Some(p), Some(d)) => {
                out.extend_from_slice(&timestamp(0b0011, p));
                out.extend_from_slice(&timestamp(0b0001, d));
            }
            (Some(p), None) => out.extend_from_slice(&timestamp(0b0010, p)),
            _ => {}
        }
        Ok(())
    }

    /// Parses a complete PES packet; returns the header and the payload. `offset` and `pid`
    /// name it in errors.
    pub fn parse(data: &[u8], pid: u16) -> Result<(PesHeader, &[u8])> {
        let bad = |reason: &str| Error::Elementary {
            pid,
            reason: format!("PES: {reason}"),
        };
        if data.len() < 9 || data[..3] != [0, 0, 1] {
            return Err(bad("no packet start code prefix"));
        }
        let stream_id = data[3];
        let declared = u16::from_be_bytes([data[4], data[5]]) as usize;
        if data[6] & 0xC0 != 0x80 {
            return Err(bad("not an MPEG-2 PES header"));
        }
        if data[6] & 0x30 != 0 {
            return Err(bad("PES_scrambling_control is set"));
        }
        let data_alignment = data[6] & 0x04 != 0;
        let flags = data[7] >> 6;
        let hlen = data[8] as usize;
        if 9 + hlen > data.len() {
            return Err(bad("header longer than the packet"));
        }
        let h = &data[9..9 + hlen];
        let (pts, dts) = match flags {
            0 => (None, None),
            2 if h.len() >= 5 => (Some(read_timestamp(h)), None),
            3 if h.len() >= 10 => (Some(read_timestamp(h)), Some(read_timestamp(&h[5..]))),
            1 => return Err(bad("PTS_DTS_flags = 01 is forbidden")),
            _ => return Err(bad("PTS/DTS fields truncated")),
        };
        let payload = &data[9 + hlen..];
        let payload = if declared == 0 {
            payload
        } else {
            if declared < 3 + hlen || 6 + declared > data.len() {
                return Err(bad("PES_packet_length disagrees with the data"));
            }
            &data[9 + hlen..6 + declared]
        };
        Ok((
            PesHeader {
                stream_id,
                pts,
                dts,
                data_alignment,
            },
            payload,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        for (pts, dts) in [
            (Some(900_000), Some(896_400)),
            (Some((1 << 33) - 1), None),
            (None, None),
        ] {
            let h = PesHeader {
                stream_id: STREAM_ID_VIDEO,
                pts,
                dts,
                data_alignment: true,
            };
            let mut out = Vec::new();
            h.write(100, &mut out).unwrap();
            out.extend(std::iter::repeat_n(0xAB, 100));
            let (parsed, payload) = PesHeader::parse(&out, 0x100).unwrap();
            assert_eq!(parsed, h);
            assert_eq!(payload.len(), 100);
        }
    }

    #[test]
    fn known_pts_bytes() {
        // PTS 900000 (10 s): 0x21 0x00 0x37 0x77 0x41 (as ffmpeg writes it).
        assert_eq!(timestamp(0b0010, 900_000), [0x21, 0x00, 0x37, 0x77, 0x41]);
    }

    #[test]
    fn long_packets() {
        let mut out = Vec::new();
        let video = PesHeader {
            stream_id: STREAM_ID_VIDEO,
            pts: Some(1),
            dts: None,
            data_alignment: true,
        };
        video.write(70_000, &mut out).unwrap();
        assert_eq!(&out[4..6], &[0, 0], "unbounded video PES");
        let audio = PesHeader {
            stream_id: STREAM_ID_AUDIO,
            ..video
        };
        assert!(audio.write(70_000, &mut out).is_err());
    }
}
