//! MPEG-2 transport stream building blocks (ISO/IEC 13818-1): 188-byte packets with
//! adaptation fields and PCR ([`packet`]), PSI tables PAT and PMT with their CRC ([`psi`]),
//! and PES headers with PTS/DTS ([`pes`]).

pub mod crc;
pub mod packet;
pub mod pes;
pub mod psi;

use std::fmt;

/// Size of one transport stream packet.
pub const PACKET_SIZE: usize = 188;
/// The first byte of every packet.
pub const SYNC_BYTE: u8 = 0x47;
/// PID of the Program Association Table.
pub const PAT_PID: u16 = 0x0000;
/// PID of the Program Map Table in our output.
pub const PMT_PID: u16 = 0x1000;
/// PID of the first elementary stream in our output (the next ones count up).
pub const FIRST_ES_PID: u16 = 0x0100;
/// The one program number of our output.
pub const PROGRAM_NUMBER: u16 = 1;
/// Ticks per second of PTS/DTS.
pub const PTS_HZ: u64 = 90_000;
/// PTS/DTS are 33-bit values.
pub const PTS_MASK: u64 = (1 << 33) - 1;

/// The `stream_type` of a PMT entry (ISO/IEC 13818-1 Table 2-34, ATSC A/52, and Apple's
/// SAMPLE-AES types). An open set: unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamType(pub u8);

impl StreamType {
    /// ADTS AAC (ISO/IEC 13818-7).
    pub const AAC_ADTS: StreamType = StreamType(0x0F);
    /// H.264 / AVC.
    pub const H264: StreamType = StreamType(0x1B);
    /// H.265 / HEVC.
    pub const H265: StreamType = StreamType(0x24);
    /// AC-3 (ATSC A/52).
    pub const AC3: StreamType = StreamType(0x81);
    /// E-AC-3 (ATSC A/52 Annex G).
    pub const EAC3: StreamType = StreamType(0x87);
    /// SAMPLE-AES H.264 (Apple MPEG-2 Stream Encryption Format).
    pub const SAMPLE_AES_H264: StreamType = StreamType(0xDB);
    /// SAMPLE-AES ADTS AAC.
    pub const SAMPLE_AES_AAC: StreamType = StreamType(0xCF);
    /// SAMPLE-AES AC-3.
    pub const SAMPLE_AES_AC3: StreamType = StreamType(0xC1);
    /// SAMPLE-AES E-AC-3.
    pub const SAMPLE_AES_EAC3: StreamType = StreamType(0xC2);

    /// A short name for known types.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            StreamType::AAC_ADTS => "AAC (ADTS)",
            StreamType::H264 => "H.264",
            StreamType::H265 => "H.265",
            StreamType::AC3 => "AC-3",
            StreamType::EAC3 => "E-AC-3",
            StreamType::SAMPLE_AES_H264 => "SAMPLE-AES H.264",
            StreamType::SAMPLE_AES_AAC => "SAMPLE-AES AAC",
            StreamType::SAMPLE_AES_AC3 => "SAMPLE-AES AC-3",
            StreamType::SAMPLE_AES_EAC3 => "SAMPLE-AES E-AC-3",
            _ => return None,
        })
    }

    /// True for the four SAMPLE-AES types.
    pub fn is_sample_aes(self) -> bool {
        matches!(
            self,
            StreamType::SAMPLE_AES_H264
                | StreamType::SAMPLE_AES_AAC
                | StreamType::SAMPLE_AES_AC3
                | StreamType::SAMPLE_AES_EAC3
        )
    }
}

impl fmt::Debug for StreamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({:#04x})", self.0),
            None => write!(f, "StreamType({:#04x})", self.0),
        }
    }
}
