//! The MPEG-TS muxer: PAT and PMT at the start of every segment, one PES per video access
//! unit (PCR on the PCR PID, random access indicator on key frames), audio frames gathered
//! into PES packets of up to [`MAX_AUDIO_PES_PAYLOAD`] bytes, continuity counters that run on
//! across segments (so concatenated segments are one valid stream).

use std::io::Write;

use crate::error::{Error, Result};
use crate::es::EsCodec;
use crate::ts::packet::{ContinuityCounter, MAX_PAYLOAD, UnitStart, write_unit};
use crate::ts::pes::PesHeader;
use crate::ts::psi::{self, Pmt, PmtStream};
use crate::ts::{PAT_PID, PMT_PID, PROGRAM_NUMBER, PTS_MASK, StreamType};

/// Most audio bytes gathered into one PES packet (as ffmpeg's default PES payload size).
pub const MAX_AUDIO_PES_PAYLOAD: usize = 2930;
/// Most audio frames gathered into one PES packet.
pub const MAX_AUDIO_PES_FRAMES: usize = 16;

/// One elementary stream of the muxer's program.
#[derive(Clone, Debug)]
pub struct MuxStream {
    /// Its PID.
    pub pid: u16,
    /// Its codec.
    pub codec: EsCodec,
    /// Whether its payloads are SAMPLE-AES encrypted (decides the stream type).
    pub sample_aes: bool,
}

#[derive(Debug)]
struct StreamState {
    pid: u16,
    stream_id: u8,
    video: bool,
    cc: ContinuityCounter,
    /// Gathered audio frames and the PTS of the first.
    pending: Vec<u8>,
    pending_pts: u64,
    pending_frames: usize,
}

/// Packets and bytes written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MuxStats {
    /// TS packets written.
    pub packets: u64,
}

/// Writes one program of up to a few elementary streams as MPEG-TS.
#[derive(Debug)]
pub struct TsMuxer {
    streams: Vec<StreamState>,
    pcr_index: usize,
    pat: Vec<u8>,
    pmt: Vec<u8>,
    pat_cc: ContinuityCounter,
    pmt_cc: ContinuityCounter,
    header: Vec<u8>,
    stats: MuxStats,
}

impl TsMuxer {
    /// A muxer for `streams`. The PCR is carried on the first video stream's PID (the first
    /// stream's when there is no video).
    pub fn new(streams: &[MuxStream]) -> Result<Self> {
        if streams.is_empty() {
            return Err(Error::InvalidInput("a TS program needs a stream".into()));
        }
        for (i, s) in streams.iter().enumerate() {
            if s.pid < 0x10 || s.pid >= 0x1FFF || s.pid == PMT_PID {
                return Err(Error::InvalidInput(format!("PID {:#x} is reserved", s.pid)));
            }
            if streams[..i].iter().any(|o| o.pid == s.pid) {
                return Err(Error::InvalidInput(format!("PID {:#x} used twice", s.pid)));
            }
        }
        let pcr_index = streams.iter().position(|s| s.codec.is_video()).unwrap_or(0);
        let pmt = Pmt {
            program_number: PROGRAM_NUMBER,
            version: 0,
            pcr_pid: streams[pcr_index].pid,
            program_descriptors: Vec::new(),
            streams: streams
                .iter()
                .map(|s| PmtStream {
                    stream_type: s.codec.stream_type(s.sample_aes),
                    pid: s.pid,
                    descriptors: s.codec.descriptors(s.sample_aes),
                })
                .collect(),
        };
        // pointer_field, the section, then 0xFF stuffing to the end of the packet (the usual
        // form for PSI, rather than adaptation-field stuffing).
        let psi_packet = |section: Vec<u8>| {
            let mut unit = vec![0u8];
            unit.extend(section);
            unit.resize(MAX_PAYLOAD, 0xFF);
            unit
        };
        let pmt_unit = psi_packet(psi::pmt_section(&pmt)?);
        let pat_unit = psi_packet(psi::pat_section(1, PROGRAM_NUMBER, PMT_PID));
        Ok(TsMuxer {
            streams: streams
                .iter()
                .map(|s| StreamState {
                    pid: s.pid,
                    stream_id: s.codec.stream_id(),
                    video: s.codec.is_video(),
                    cc: ContinuityCounter::default(),
                    pending: Vec::new(),
                    pending_pts: 0,
                    pending_frames: 0,
                })
                .collect(),
            pcr_index,
            pat: pat_unit,
            pmt: pmt_unit,
            pat_cc: ContinuityCounter::default(),
            pmt_cc: ContinuityCounter::default(),
            header: Vec::with_capacity(crate::ts::pes::MAX_HEADER_LEN),
            stats: MuxStats::default(),
        })
    }

    /// The stream types of the program, in stream order.
    pub fn stream_types(streams: &[MuxStream]) -> Vec<StreamType> {
        streams
            .iter()
            .map(|s| s.codec.stream_type(s.sample_aes))
            .collect()
    }

    /// Counters so far.
    pub fn stats(&self) -> MuxStats {
        self.stats
    }

    /// Writes the PAT and the PMT (the start of every segment).
    pub fn write_tables<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<()> {
        self.stats.packets += write_unit(
            out,
            PAT_PID,
            &mut self.pat_cc,
            UnitStart::default(),
            &self.pat,
            &[],
        )?;
        self.stats.packets += write_unit(
            out,
            PMT_PID,
            &mut self.pmt_cc,
            UnitStart::default(),
            &self.pmt,
            &[],
        )?;
        Ok(())
    }

    /// Writes one access unit (`payload` as produced by [`crate::es::EsConverter`]) of stream
    /// `index`, with 90 kHz times. Video goes out at once as one PES packet; audio frames are
    /// gathered until [`TsMuxer::flush`] or until a packet is full.
    pub fn write_access_unit<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        index: usize,
        pts: u64,
        dts: u64,
        key_frame: bool,
        payload: &[u8],
    ) -> Result<()> {
        let stream = self
            .streams
            .get(index)
            .ok_or_else(|| Error::InvalidInput(format!("no stream {index}")))?;
        if stream.video {
            let pcr = (index == self.pcr_index).then_some((dts & PTS_MASK) * 300);
            let dts = (dts != pts).then_some(dts);
            return self.write_pes(out, index, pts, dts, pcr, key_frame, payload);
        }
        let s = &self.streams[index];
        if s.pending_frames > 0
            && (s.pending.len() + payload.len() > MAX_AUDIO_PES_PAYLOAD
                || s.pending_frames >= MAX_AUDIO_PES_FRAMES)
        {
            self.flush_stream(out, index)?;
        }
        let s = &mut self.streams[index];
        if s.pending_frames == 0 {
            s.pending_pts = pts;
        }
        s.pending.extend_from_slice(payload);
        s.pending_frames += 1;
        Ok(())
    }

    /// Writes the audio frames still gathered (at the end of every segment).
    pub fn flush<W: Write + ?Sized>(&mut self, out: &mut W) -> Result<()> {
        for i in 0..self.streams.len() {
            self.flush_stream(out, i)?;
        }
        Ok(())
    }

    fn flush_stream<W: Write + ?Sized>(&mut self, out: &mut W, index: usize) -> Result<()> {
        let s = &mut self.streams[index];
        if s.pending_frames == 0 {
            return Ok(());
        }
        let data = std::mem::take(&mut s.pending);
        let pts = s.pending_pts;
        s.pending_frames = 0;
        let pcr = (index == self.pcr_index).then_some((pts & PTS_MASK) * 300);
        let result = self.write_pes(out, index, pts, None, pcr, true, &data);
        let s = &mut self.streams[index];
        s.pending = data;
        s.pending.clear();
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn write_pes<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        index: usize,
        pts: u64,
        dts: Option<u64>,
        pcr: Option<u64>,
        random_access: bool,
        payload: &[u8],
    ) -> Result<()> {
        let s = &mut self.streams[index];
        PesHeader {
            stream_id: s.stream_id,
            pts: Some(pts & PTS_MASK),
            dts: dts.map(|d| d & PTS_MASK),
            data_alignment: true,
        }
        .write(payload.len(), &mut self.header)?;
        self.stats.packets += write_unit(
            out,
            s.pid,
            &mut s.cc,
            UnitStart { pcr, random_access },
            &self.header,
            payload,
        )?;
        Ok(())
    }
}
