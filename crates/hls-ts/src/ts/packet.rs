//! Writing 188-byte transport stream packets: header, adaptation field (PCR, random access
//! indicator, stuffing) and payload, with a continuity counter per PID.

use std::io::{self, Write};

use super::{PACKET_SIZE, SYNC_BYTE};

/// Payload bytes of a packet without adaptation field.
pub const MAX_PAYLOAD: usize = PACKET_SIZE - 4;

/// The continuity counter of one PID: 4 bits, incremented for every packet with payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContinuityCounter(u8);

impl ContinuityCounter {
    /// The value for the next packet, then advance.
    pub fn take_next(&mut self) -> u8 {
        let v = self.0;
        self.0 = (self.0 + 1) & 0x0F;
        v
    }

    /// The value the next packet will carry.
    pub fn peek(self) -> u8 {
        self.0
    }
}

/// What the first packet of a payload unit signals in its adaptation field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitStart {
    /// Program clock reference in 27 MHz ticks (42 bits used: 33-bit base * 300 + extension).
    pub pcr: Option<u64>,
    /// The random access indicator (a key frame or an audio frame starts here).
    pub random_access: bool,
}

/// Splits one payload unit (a PES packet or a PSI section with its pointer field) into packets
/// on `pid` and writes them. The unit is given as `head` followed by `body`, so a PES header
/// and its payload need not be copied together. The last packet is padded with adaptation
/// field stuffing. Returns the number of packets written.
pub fn write_unit<W: Write + ?Sized>(
    out: &mut W,
    pid: u16,
    cc: &mut ContinuityCounter,
    start: UnitStart,
    head: &[u8],
    body: &[u8],
) -> io::Result<u64> {
    let total = head.len() + body.len();
    let mut done = 0usize;
    let mut packets = 0u64;
    let mut first = true;
    let mut buf = [0u8; PACKET_SIZE];
    while first || done < total {
        let flags_needed = first && (start.pcr.is_some() || start.random_access);
        // Adaptation field bytes needed for the flags: length byte + flags byte + PCR.
        let base_af = if flags_needed {
            2 + if start.pcr.is_some() { 6 } else { 0 }
        } else {
            0
        };
        let room = MAX_PAYLOAD - base_af;
        let remaining = total - done;
        let (payload, af_total) = if remaining >= room {
            (room, base_af)
        } else {
            (remaining, MAX_PAYLOAD - remaining)
        };
        buf[0] = SYNC_BYTE;
        buf[1] = (if first { 0x40 } else { 0 }) | ((pid >> 8) as u8 & 0x1F);
        buf[2] = pid as u8;
        let afc = match (af_total > 0, payload > 0) {
            (true, true) => 0x30,
            (true, false) => 0x20,
            (false, _) => 0x10,
        };
        // Packets without payload do not advance the continuity counter.
        let counter = if payload > 0 {
            cc.take_next()
        } else {
            cc.peek()
        };
        buf[3] = afc | counter;
        let mut pos = 4;
        if af_total > 0 {
            buf[pos] = (af_total - 1) as u8;
            pos += 1;
            if af_total > 1 {
                let mut flags = 0u8;
                if first && start.random_access {
                    flags |= 0x40;
                }
                let pcr = if first { start.pcr } else { None };
                if pcr.is_some() {
                    flags |= 0x10;
                }
                buf[pos] = flags;
                pos += 1;
                if let Some(pcr) = pcr {
                    buf[pos..pos + 6].copy_from_slice(&encode_pcr(pcr));
                    pos += 6;
                }
                let end = 4 + af_total;
                buf[pos..end].fill(0xFF);
                pos = end;
            }
        }
        let mut filled = 0;
        while filled < payload {
            let at = done + filled;
            let (src, off) = if at < head.len() {
                (head, at)
            } else {
                (body, at - head.len())
            };
            let n = (payload - filled).min(src.len() - off);
            buf[pos..pos + n].copy_from_slice(&src[off..off + n]);
            pos += n;
            filled += n;
        }
        debug_assert_eq!(pos, PACKET_SIZE);
        out.write_all(&buf)?;
        done += payload;
        packets += 1;
        first = false;
    }
    Ok(packets)
}

/// The 6 bytes of a PCR field: 33-bit base (90 kHz), 6 reserved bits, 9-bit extension.
pub fn encode_pcr(pcr_27mhz: u64) -> [u8; 6] {
    let base = (pcr_27mhz / 300) & super::PTS_MASK;
    let ext = (pcr_27mhz % 300) as u16;
    [
        (base >> 25) as u8,
        (base >> 17) as u8,
        (base >> 9) as u8,
        (base >> 1) as u8,
        (((base & 1) as u8) << 7) | 0x7E | ((ext >> 8) as u8 & 1),
        ext as u8,
    ]
}

/// Decodes a PCR field (27 MHz ticks).
pub fn decode_pcr(b: &[u8; 6]) -> u64 {
    let base = ((b[0] as u64) << 25)
        | ((b[1] as u64) << 17)
        | ((b[2] as u64) << 9)
        | ((b[3] as u64) << 1)
        | ((b[4] as u64) >> 7);
    let ext = (((b[4] & 1) as u64) << 8) | b[5] as u64;
    base * 300 + ext
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(unit_len: usize, start: UnitStart) -> Vec<[u8; PACKET_SIZE]> {
        let body: Vec<u8> = (0..unit_len).map(|i| i as u8).collect();
        let mut out = Vec::new();
        let mut cc = ContinuityCounter::default();
        let n = write_unit(
            &mut out,
            0x100,
            &mut cc,
            start,
            &body[..3.min(unit_len)],
            &body[3.min(unit_len)..],
        )
        .unwrap();
        assert_eq!(out.len() as u64, n * PACKET_SIZE as u64);
        out.chunks(PACKET_SIZE)
            .map(|c| c.try_into().unwrap())
            .collect()
    }

    /// Payload of a packet (after the adaptation field).
    fn payload(p: &[u8; PACKET_SIZE]) -> &[u8] {
        match p[3] & 0x30 {
            0x10 => &p[4..],
            0x30 => &p[5 + p[4] as usize..],
            _ => &[],
        }
    }

    #[test]
    fn every_length_round_trips_with_stuffing() {
        for len in [1, 2, 182, 183, 184, 185, 366, 367, 368, 369, 1000] {
            for start in [
                UnitStart::default(),
                UnitStart {
                    pcr: Some(123_456_789),
                    random_access: true,
                },
            ] {
                let ps = packets(len, start);
                let joined: Vec<u8> = ps.iter().flat_map(|p| payload(p).to_vec()).collect();
                let expect: Vec<u8> = (0..len).map(|i| i as u8).collect();
                assert_eq!(joined, expect, "len {len}");
                for (i, p) in ps.iter().enumerate() {
                    assert_eq!(p[0], SYNC_BYTE);
                    assert_eq!(p[1] & 0x40 != 0, i == 0, "PUSI only on the first packet");
                    assert_eq!(((p[1] as u16 & 0x1F) << 8) | p[2] as u16, 0x100);
                    assert_eq!(p[3] & 0x0F, i as u8 & 0x0F, "continuity counter");
                }
                if start.pcr.is_some() {
                    let p = &ps[0];
                    assert_eq!(p[3] & 0x20, 0x20);
                    assert_eq!(p[5] & 0x50, 0x50, "PCR flag and random access");
                    assert_eq!(decode_pcr(p[6..12].try_into().unwrap()), 123_456_789);
                }
            }
        }
    }

    #[test]
    fn one_byte_of_stuffing_is_a_bare_length() {
        // 183 bytes: an adaptation field of exactly one byte (length 0).
        let ps = packets(183, UnitStart::default());
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0][3] & 0x30, 0x30);
        assert_eq!(ps[0][4], 0);
    }

    #[test]
    fn pcr_round_trip() {
        for v in [
            0u64,
            1,
            299,
            300,
            27_000_000 * 3600,
            ((1 << 33) - 1) * 300 + 299,
        ] {
            assert_eq!(decode_pcr(&encode_pcr(v)), v);
        }
    }
}
