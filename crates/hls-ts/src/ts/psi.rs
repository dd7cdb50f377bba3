//! Program-specific information: the Program Association Table and the Program Map Table,
//! written as one section each (with CRC-32/MPEG-2) and parsed back.

use super::StreamType;
use super::crc::crc32_mpeg2;
use crate::error::{Error, Result};

/// Largest section that fits one packet after the pointer field.
pub const MAX_SECTION_IN_PACKET: usize = super::packet::MAX_PAYLOAD - 1;

/// One elementary stream of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PmtStream {
    /// Its stream type.
    pub stream_type: StreamType,
    /// The PID carrying it.
    pub pid: u16,
    /// The ES descriptors (the `ES_info` bytes).
    pub descriptors: Vec<u8>,
}

/// A Program Map Table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pmt {
    /// The program number.
    pub program_number: u16,
    /// Version (5 bits).
    pub version: u8,
    /// The PID carrying the PCR.
    pub pcr_pid: u16,
    /// Program-level descriptors.
    pub program_descriptors: Vec<u8>,
    /// The elementary streams.
    pub streams: Vec<PmtStream>,
}

/// Writes the common long-form section around `body` and appends the CRC.
fn section(table_id: u8, id: u16, version: u8, body: &[u8]) -> Vec<u8> {
    // section_length counts from after the length field to the end of the CRC.
    let section_length = 5 + body.len() + 4;
    let mut s = Vec::with_capacity(3 + section_length);
    s.push(table_id);
    s.push(0xB0 | ((section_length >> 8) as u8 & 0x0F));
    s.push(section_length as u8);
    s.extend_from_slice(&id.to_be_bytes());
    s.push(0xC0 | ((version & 0x1F) << 1) | 0x01); // current_next_indicator
    s.push(0); // section_number
    s.push(0); // last_section_number
    s.extend_from_slice(body);
    let crc = crc32_mpeg2(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

/// The PAT section announcing one program.
pub fn pat_section(transport_stream_id: u16, program_number: u16, pmt_pid: u16) -> Vec<u8> {
    let mut body = Vec::with_capacity(4);
    body.extend_from_slice(&program_number.to_be_bytes());
    body.extend_from_slice(&(0xE000 | pmt_pid).to_be_bytes());
    section(0x00, transport_stream_id, 0, &body)
}

/// The PMT section.
pub fn pmt_section(pmt: &Pmt) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    body.extend_from_slice(&(0xE000 | pmt.pcr_pid).to_be_bytes());
    let plen = u16::try_from(pmt.program_descriptors.len())
        .ok()
        .filter(|&l| l < 0x400)
        .ok_or_else(|| Error::InvalidInput("program descriptors too long".into()))?;
    body.extend_from_slice(&(0xF000 | plen).to_be_bytes());
    body.extend_from_slice(&pmt.program_descriptors);
    for s in &pmt.streams {
        body.push(s.stream_type.0);
        body.extend_from_slice(&(0xE000 | s.pid).to_be_bytes());
        let len = u16::try_from(s.descriptors.len())
            .ok()
            .filter(|&l| l < 0x400)
            .ok_or_else(|| Error::InvalidInput("ES descriptors too long".into()))?;
        body.extend_from_slice(&(0xF000 | len).to_be_bytes());
        body.extend_from_slice(&s.descriptors);
    }
    let s = section(0x02, pmt.program_number, pmt.version, &body);
    if s.len() > MAX_SECTION_IN_PACKET {
        return Err(Error::InvalidInput(format!(
            "the PMT is {} bytes; it must fit one TS packet ({MAX_SECTION_IN_PACKET})",
            s.len()
        )));
    }
    Ok(s)
}

/// A parsed long-form section: table id, id field, version and the body between the header
/// and the CRC.
struct Section<'a> {
    table_id: u8,
    id: u16,
    version: u8,
    body: &'a [u8],
}

/// Checks the section syntax and CRC of `data` (starting at `table_id`), at stream `offset`.
fn parse_section(data: &[u8], offset: u64) -> Result<Section<'_>> {
    let bad = |reason: &str| Error::Ts {
        offset,
        reason: reason.to_owned(),
    };
    if data.len() < 3 {
        return Err(bad("PSI section header truncated"));
    }
    if data[1] & 0x80 == 0 {
        return Err(bad("PSI section without section_syntax_indicator"));
    }
    let len = (((data[1] & 0x0F) as usize) << 8) | data[2] as usize;
    if len < 9 || 3 + len > data.len() {
        return Err(bad("PSI section_length out of range"));
    }
    let whole = &data[..3 + len];
    if crc32_mpeg2(whole) != 0 {
        return Err(bad("PSI section CRC mismatch"));
    }
    Ok(Section {
        table_id: data[0],
        id: u16::from_be_bytes([data[3], data[4]]),
        version: (data[5] >> 1) & 0x1F,
        body: &whole[8..whole.len() - 4],
    })
}

/// Parses a PAT section: `(program_number, pmt_pid)` pairs (program 0, the network PID, is
/// skipped).
pub fn parse_pat(data: &[u8], offset: u64) -> Result<Vec<(u16, u16)>> {
    let s = parse_section(data, offset)?;
    if s.table_id != 0 {
        return Err(Error::Ts {
            offset,
            reason: format!("PAT has table_id {:#04x}", s.table_id),
        });
    }
    if s.body.len() % 4 != 0 {
        return Err(Error::Ts {
            offset,
            reason: "PAT body is not a whole number of entries".into(),
        });
    }
    Ok(s.body
        .chunks_exact(4)
        .map(|e| {
            (
                u16::from_be_bytes([e[0], e[1]]),
                u16::from_be_bytes([e[2], e[3]]) & 0x1FFF,
            )
        })
        .filter(|(p, _)| *p != 0)
        .collect())
}

/// Parses a PMT section.
pub fn parse_pmt(data: &[u8], offset: u64) -> Result<Pmt> {
    let s = parse_section(data, offset)?;
    let bad = |reason: &str| Error::Ts {
        offset,
        reason: format!("PMT: {reason}"),
    };
    if s.table_id != 2 {
        return Err(bad("table_id is not 2"));
    }
    let b = s.body;
    if b.len() < 4 {
        return Err(bad("truncated"));
    }
    let pcr_pid = u16::from_be_bytes([b[0], b[1]]) & 0x1FFF;
    let plen = (u16::from_be_bytes([b[2], b[3]]) & 0x0FFF) as usize;
    if 4 + plen > b.len() {
        return Err(bad("program_info_length beyond the section"));
    }
    let program_descriptors = b[4..4 + plen].to_vec();
    let mut rest = &b[4 + plen..];
    let mut streams = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Err(bad("truncated ES entry"));
        }
        let len = (u16::from_be_bytes([rest[3], rest[4]]) & 0x0FFF) as usize;
        if 5 + len > rest.len() {
            return Err(bad("ES_info_length beyond the section"));
        }
        if streams.len() >= crate::limits::MAX_STREAMS {
            return Err(Error::Limit("elementary streams in a PMT"));
        }
        streams.push(PmtStream {
            stream_type: StreamType(rest[0]),
            pid: u16::from_be_bytes([rest[1], rest[2]]) & 0x1FFF,
            descriptors: rest[5..5 + len].to_vec(),
        });
        rest = &rest[5 + len..];
    }
    Ok(Pmt {
        program_number: s.id,
        version: s.version,
        pcr_pid,
        program_descriptors,
        streams,
    })
}

/// Descriptors: builders for the ones our output writes and a reader for any.
pub mod descriptors {
    /// `tag | length | body` .
    pub fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut d = Vec::with_capacity(2 + body.len());
        d.push(tag);
        d.push(body.len() as u8);
        d.extend_from_slice(body);
        d
    }

    /// `private_data_indicator_descriptor` (tag 0x0F) with a four-character code, e.g. `zavc`.
    pub fn private_data_indicator(code: &[u8; 4]) -> Vec<u8> {
        descriptor(0x0F, code)
    }

    /// `registration_descriptor` (tag 0x05): a format identifier and additional bytes.
    pub fn registration(format_identifier: &[u8; 4], additional: &[u8]) -> Vec<u8> {
        let mut body = format_identifier.to_vec();
        body.extend_from_slice(additional);
        descriptor(0x05, &body)
    }

    /// The `(tag, body)` pairs of a descriptor loop; stops at the first truncated one.
    pub fn iter(mut data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
        std::iter::from_fn(move || {
            if data.len() < 2 {
                return None;
            }
            let (tag, len) = (data[0], data[1] as usize);
            if 2 + len > data.len() {
                return None;
            }
            let body = &data[2..2 + len];
            data = &data[2 + len..];
            Some((tag, body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pat_round_trip_and_known_bytes() {
        let s = pat_section(1, 1, 0x1000);
        // Header, then program 1 -> PMT PID 0x1000.
        assert_eq!(
            &s[..12],
            &[
                0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00
            ]
        );
        assert_eq!(crc32_mpeg2(&s), 0);
        assert_eq!(parse_pat(&s, 0).unwrap(), vec![(1, 0x1000)]);
    }

    #[test]
    fn pmt_round_trip_with_sample_aes_descriptors() {
        let mut aac = descriptors::private_data_indicator(b"aacd");
        aac.extend(descriptors::registration(
            b"apad",
            &[b'z', b'a', b'a', b'c', 0, 0, 1, 2, 0x12, 0x10],
        ));
        // The AAC-LC example of protocols.md section 4.3.
        assert_eq!(
            aac,
            [
                0x0F, 0x04, b'a', b'a', b'c', b'd', 0x05, 0x0E, b'a', b'p', b'a', b'd', b'z', b'a',
                b'a', b'c', 0, 0, 1, 2, 0x12, 0x10
            ]
        );
        let pmt = Pmt {
            program_number: 1,
            version: 0,
            pcr_pid: 0x100,
            program_descriptors: Vec::new(),
            streams: vec![
                PmtStream {
                    stream_type: StreamType::SAMPLE_AES_H264,
                    pid: 0x100,
                    descriptors: descriptors::private_data_indicator(b"zavc"),
                },
                PmtStream {
                    stream_type: StreamType::SAMPLE_AES_AAC,
                    pid: 0x101,
                    descriptors: aac,
                },
            ],
        };
        let s = pmt_section(&pmt).unwrap();
        assert_eq!(parse_pmt(&s, 0).unwrap(), pmt);
        let tags: Vec<u8> = descriptors::iter(&pmt.streams[1].descriptors)
            .map(|(t, _)| t)
            .collect();
        assert_eq!(tags, [0x0F, 0x05]);
    }

    #[test]
    fn corrupt_sections_are_errors() {
        let mut s = pat_section(1, 1, 0x1000);
        s[9] ^= 1;
        assert!(parse_pat(&s, 0).is_err());
        assert!(parse_pat(&[0, 0xB0], 0).is_err());
        assert!(parse_pmt(&pat_section(1, 1, 0x1000), 0).is_err());
        let big = Pmt {
            program_number: 1,
            version: 0,
            pcr_pid: 0x100,
            program_descriptors: vec![0; 200],
            streams: Vec::new(),
        };
        assert!(pmt_section(&big).is_err(), "must fit one packet");
    }
}
