//! Reading MPEG-TS back: a demuxer that checks packet structure (sync bytes, continuity
//! counters, PAT/PMT CRCs, PES headers) and returns the PES packets of every elementary
//! stream, plus the SAMPLE-AES decryption of their payloads. Written to verify our own output
//! (tests, the packager's read-back check) and hardened for arbitrary input (fuzzed).

use std::collections::HashMap;

use crate::crypto::sample_aes::SampleAesDecryptor;
use crate::error::{Error, Result};
use crate::es::aac::AdtsHeader;
use crate::es::ac3::split_syncframes;
use crate::es::nal::split_annexb;
use crate::limits::MAX_PES_BYTES;
use crate::ts::packet::decode_pcr;
use crate::ts::pes::PesHeader;
use crate::ts::psi::{self, Pmt};
use crate::ts::{PACKET_SIZE, PAT_PID, SYNC_BYTE, StreamType};

/// One PES packet of an elementary stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PesUnit {
    /// The PID it came on.
    pub pid: u16,
    /// Presentation time stamp (90 kHz).
    pub pts: Option<u64>,
    /// Decode time stamp, when present.
    pub dts: Option<u64>,
    /// The random access indicator of its first packet.
    pub random_access: bool,
    /// The PCR carried in its first packet (27 MHz).
    pub pcr: Option<u64>,
    /// The PES payload.
    pub data: Vec<u8>,
    /// Byte offset of its first packet in the stream.
    pub offset: u64,
}

/// A continuity counter that did not follow its predecessor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContinuityError {
    /// The PID.
    pub pid: u16,
    /// Byte offset of the packet.
    pub offset: u64,
    /// The counter expected.
    pub expected: u8,
    /// The counter found.
    pub found: u8,
}

/// What the demuxer noticed besides the streams.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TsReport {
    /// Packets read.
    pub packets: u64,
    /// PAT sections read.
    pub pat_sections: u64,
    /// PMT sections read.
    pub pmt_sections: u64,
    /// Continuity counter errors.
    pub continuity_errors: Vec<ContinuityError>,
    /// Every PCR: (PID, byte offset, value in 27 MHz ticks).
    pub pcrs: Vec<(u16, u64, u64)>,
    /// Other problems that did not stop demuxing (at most 100 kept).
    pub issues: Vec<String>,
}

impl TsReport {
    fn issue(&mut self, text: String) {
        if self.issues.len() < 100 {
            self.issues.push(text);
        }
    }
}

#[derive(Debug)]
struct PesAssembly {
    buf: Vec<u8>,
    offset: u64,
    random_access: bool,
    pcr: Option<u64>,
}

/// A streaming MPEG-TS demuxer for one program.
#[derive(Debug, Default)]
pub struct TsDemuxer {
    offset: u64,
    partial: Vec<u8>,
    pmt_pid: Option<u16>,
    pmt: Option<Pmt>,
    psi: HashMap<u16, (Vec<u8>, u64)>,
    pes: HashMap<u16, PesAssembly>,
    last_cc: HashMap<u16, u8>,
    units: Vec<PesUnit>,
    report: TsReport,
}

impl TsDemuxer {
    /// A demuxer at stream offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The program's PMT, once read.
    pub fn pmt(&self) -> Option<&Pmt> {
        self.pmt.as_ref()
    }

    /// What was noticed so far.
    pub fn report(&self) -> &TsReport {
        &self.report
    }

    /// The PES packets completed so far (removed from the demuxer).
    pub fn take_units(&mut self) -> Vec<PesUnit> {
        std::mem::take(&mut self.units)
    }

    /// Feeds bytes; any length (a partial packet is kept for the next call).
    pub fn push(&mut self, mut data: &[u8]) -> Result<()> {
        if !self.partial.is_empty() {
            let need = PACKET_SIZE - self.partial.len();
            let take = need.min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.partial.len() < PACKET_SIZE {
                return Ok(());
            }
            let packet: [u8; PACKET_SIZE] = self.partial[..].try_into().expect("188 bytes");
            self.partial.clear();
            self.packet(&packet)?;
        }
        let mut chunks = data.chunks_exact(PACKET_SIZE);
        for p in &mut chunks {
            self.packet(p.try_into().expect("188 bytes"))?;
        }
        self.partial.extend_from_slice(chunks.remainder());
        Ok(())
    }

    /// Ends the stream: completes the PES packets still open. Trailing bytes that are not a
    /// whole packet are an error.
    pub fn finish(&mut self) -> Result<()> {
        if !self.partial.is_empty() {
            return Err(Error::Ts {
                offset: self.offset,
                reason: format!(
                    "{} trailing bytes are not a whole packet",
                    self.partial.len()
                ),
            });
        }
        let mut pids: Vec<u16> = self.pes.keys().copied().collect();
        pids.sort_unstable();
        for pid in pids {
            if let Some(a) = self.pes.remove(&pid) {
                self.complete(pid, a);
            }
        }
        Ok(())
    }

    fn packet(&mut self, p: &[u8; PACKET_SIZE]) -> Result<()> {
        let offset = self.offset;
        self.offset += PACKET_SIZE as u64;
        self.report.packets += 1;
        if p[0] != SYNC_BYTE {
            return Err(Error::Ts {
                offset,
                reason: format!("sync byte is {:#04x}, not 0x47", p[0]),
            });
        }
        if p[1] & 0x80 != 0 {
            self.report
                .issue(format!("transport_error_indicator set at byte {offset}"));
            return Ok(());
        }
        let pusi = p[1] & 0x40 != 0;
        let pid = ((p[1] as u16 & 0x1F) << 8) | p[2] as u16;
        if p[3] & 0xC0 != 0 {
            self.report.issue(format!(
                "PID {pid:#x}: transport_scrambling_control set at byte {offset}"
            ));
        }
        let afc = (p[3] >> 4) & 3;
        let cc = p[3] & 0x0F;
        let mut pos = 4usize;
        let mut discontinuity = false;
        let mut random_access = false;
        let mut pcr = None;
        if afc == 0 {
            self.report.issue(format!(
                "PID {pid:#x}: adaptation_field_control 00 at byte {offset}"
            ));
            return Ok(());
        }
        if afc & 2 != 0 {
            let len = p[4] as usize;
            let max = if afc == 3 { 182 } else { 183 };
            if len > max {
                return Err(Error::Ts {
                    offset,
                    reason: format!("adaptation field of {len} bytes (at most {max})"),
                });
            }
            if len > 0 {
                let flags = p[5];
                discontinuity = flags & 0x80 != 0;
                random_access = flags & 0x40 != 0;
                if flags & 0x10 != 0 {
                    if len < 7 {
                        return Err(Error::Ts {
                            offset,
                            reason: "PCR flag set in a too short adaptation field".into(),
                        });
                    }
                    let v = decode_pcr(p[6..12].try_into().expect("6 bytes"));
                    pcr = Some(v);
                    self.report.pcrs.push((pid, offset, v));
                }
            }
            pos = 5 + len;
        }
        let has_payload = afc & 1 != 0;
        if has_payload && pid != 0x1FFF {
            if let Some(&last) = self.last_cc.get(&pid) {
                let expected = (last + 1) & 0x0F;
                if cc != expected && !discontinuity && cc != last {
                    self.report.continuity_errors.push(ContinuityError {
                        pid,
                        offset,
                        expected,
                        found: cc,
                    });
                }
            }
            self.last_cc.insert(pid, cc);
        }
        if !has_payload || pos >= PACKET_SIZE {
            return Ok(());
        }
        let payload = &p[pos..];
        if pid == PAT_PID || Some(pid) == self.pmt_pid {
            return self.psi_payload(pid, pusi, payload, offset);
        }
        if pid == 0x1FFF {
            return Ok(());
        }
        let known = self
            .pmt
            .as_ref()
            .is_some_and(|m| m.streams.iter().any(|s| s.pid == pid));
        if !known {
            self.report.issue(format!(
                "packet on PID {pid:#x} not in the PMT at byte {offset}"
            ));
            return Ok(());
        }
        if pusi {
            if let Some(a) = self.pes.remove(&pid) {
                self.complete(pid, a);
            }
            self.pes.insert(
                pid,
                PesAssembly {
                    buf: payload.to_vec(),
                    offset,
                    random_access,
                    pcr,
                },
            );
        } else {
            match self.pes.get_mut(&pid) {
                Some(a) => {
                    if a.buf.len() + payload.len() > MAX_PES_BYTES {
                        return Err(Error::Limit("PES packet size (64 MiB)"));
                    }
                    a.buf.extend_from_slice(payload);
                }
                None => self.report.issue(format!(
                    "PID {pid:#x}: payload without a PES start at byte {offset}"
                )),
            }
        }
        Ok(())
    }

    fn psi_payload(&mut self, pid: u16, pusi: bool, payload: &[u8], offset: u64) -> Result<()> {
        if pusi {
            let pointer = payload[0] as usize;
            if 1 + pointer > payload.len() {
                return Err(Error::Ts {
                    offset,
                    reason: "pointer_field beyond the packet".into(),
                });
            }
            self.psi
                .insert(pid, (payload[1 + pointer..].to_vec(), offset));
        } else if let Some((buf, _)) = self.psi.get_mut(&pid) {
            if buf.len() + payload.len() > 4096 + PACKET_SIZE {
                return Err(Error::Limit("PSI section size"));
            }
            buf.extend_from_slice(payload);
        } else {
            return Ok(());
        }
        let Some((buf, _)) = self.psi.get(&pid) else {
            return Ok(());
        };
        if buf.len() < 3 || buf[0] == 0xFF {
            if buf.first() == Some(&0xFF) {
                self.psi.remove(&pid);
            }
            return Ok(());
        }
        let need = 3 + ((((buf[1] & 0x0F) as usize) << 8) | buf[2] as usize);
        if buf.len() < need {
            return Ok(());
        }
        let (buf, start) = self.psi.remove(&pid).expect("present");
        let section = &buf[..need];
        if pid == PAT_PID {
            let programs = psi::parse_pat(section, start)?;
            self.report.pat_sections += 1;
            let Some(&(_, pmt_pid)) = programs.first() else {
                return Err(Error::Ts {
                    offset: start,
                    reason: "PAT lists no program".into(),
                });
            };
            if self.pmt_pid.is_some_and(|p| p != pmt_pid) {
                self.report
                    .issue(format!("PMT PID changed to {pmt_pid:#x} at byte {start}"));
            }
            self.pmt_pid = Some(pmt_pid);
        } else {
            let pmt = psi::parse_pmt(section, start)?;
            self.report.pmt_sections += 1;
            if self.pmt.as_ref().is_some_and(|old| *old != pmt) {
                self.report.issue(format!("PMT changed at byte {start}"));
            }
            self.pmt = Some(pmt);
        }
        Ok(())
    }

    fn complete(&mut self, pid: u16, a: PesAssembly) {
        match PesHeader::parse(&a.buf, pid) {
            Ok((h, payload)) => {
                let declared = u16::from_be_bytes([a.buf[4], a.buf[5]]) as usize;
                if declared != 0 && a.buf.len() > 6 + declared {
                    self.report.issue(format!(
                        "PID {pid:#x}: PES at byte {} carries bytes beyond its PES_packet_length",
                        a.offset
                    ));
                }
                self.units.push(PesUnit {
                    pid,
                    pts: h.pts,
                    dts: h.dts,
                    random_access: a.random_access,
                    pcr: a.pcr,
                    data: payload.to_vec(),
                    offset: a.offset,
                })
            }
            Err(e) => self.report.issue(format!("at byte {}: {e}", a.offset)),
        }
    }
}

/// Demuxes a whole stream held in memory.
pub fn demux(data: &[u8]) -> Result<(Option<Pmt>, Vec<PesUnit>, TsReport)> {
    let mut d = TsDemuxer::new();
    d.push(data)?;
    d.finish()?;
    let units = d.take_units();
    Ok((d.pmt, units, d.report))
}

/// The clear form of a SAMPLE-AES PES payload of `stream_type` (an Annex B access unit, ADTS
/// frames or AC-3/E-AC-3 syncframes). Clear stream types are returned unchanged.
pub fn decrypt_sample_aes(
    stream_type: StreamType,
    pid: u16,
    data: &[u8],
    decryptor: &SampleAesDecryptor,
) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::Elementary { pid, reason };
    match stream_type {
        StreamType::SAMPLE_AES_H264 => {
            let mut out = Vec::with_capacity(data.len());
            for nal in split_annexb(data) {
                out.extend_from_slice(&[0, 0, 0, 1]);
                decryptor.decrypt_avc_nal(nal, &mut out);
            }
            Ok(out)
        }
        StreamType::SAMPLE_AES_AAC => {
            let mut out = data.to_vec();
            let mut pos = 0;
            while pos < out.len() {
                let h =
                    AdtsHeader::parse(&out[pos..]).map_err(|e| bad(format!("at {pos}: {e}")))?;
                if h.frame_len > out.len() - pos {
                    return Err(bad(format!(
                        "ADTS frame at {pos} runs past the PES payload"
                    )));
                }
                decryptor.decrypt_audio_frame(&mut out[pos + h.header_len..pos + h.frame_len]);
                pos += h.frame_len;
            }
            Ok(out)
        }
        StreamType::SAMPLE_AES_AC3 | StreamType::SAMPLE_AES_EAC3 => {
            let mut out = data.to_vec();
            let mut pos = 0;
            for frame in split_syncframes(data) {
                let len = frame.map_err(bad)?.len();
                decryptor.decrypt_audio_frame(&mut out[pos..pos + len]);
                pos += len;
            }
            Ok(out)
        }
        _ => Ok(data.to_vec()),
    }
}

/// The raw AAC frames of an ADTS PES payload (headers removed).
pub fn adts_frames(pid: u16, data: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let h = AdtsHeader::parse(&data[pos..]).map_err(|e| Error::Elementary {
            pid,
            reason: format!("at {pos}: {e}"),
        })?;
        if h.frame_len > data.len() - pos {
            return Err(Error::Elementary {
                pid,
                reason: format!("ADTS frame at {pos} runs past the PES payload"),
            });
        }
        out.push(&data[pos + h.header_len..pos + h.frame_len]);
        pos += h.frame_len;
    }
    Ok(out)
}
