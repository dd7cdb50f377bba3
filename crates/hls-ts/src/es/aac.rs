//! AAC: the AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) and ADTS headers (13818-7 6.2).

/// Sampling frequencies by `samplingFrequencyIndex`.
pub const SAMPLE_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Size of an ADTS header without CRC.
pub const ADTS_HEADER_LEN: usize = 7;
/// Largest ADTS frame (13-bit `frame_length`).
pub const MAX_ADTS_FRAME: usize = 0x1FFF;

/// What an ADTS header and the SAMPLE-AES audio setup information need from an
/// AudioSpecificConfig.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AacConfig {
    /// The AudioSpecificConfig bytes as stored in `esds`.
    pub asc: Vec<u8>,
    /// The core audio object type (2 = AAC-LC), after SBR/PS signalling.
    pub core_object_type: u8,
    /// `samplingFrequencyIndex` of the core coder.
    pub sampling_index: u8,
    /// `channelConfiguration`.
    pub channel_config: u8,
    /// Explicit SBR signalling (HE-AAC v1).
    pub sbr: bool,
    /// Explicit PS signalling (HE-AAC v2).
    pub ps: bool,
}

/// Reads bits MSB first.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self
                .data
                .get(self.pos / 8)
                .ok_or("AudioSpecificConfig is truncated")?;
            v = (v << 1) | ((byte >> (7 - self.pos % 8)) & 1) as u32;
            self.pos += 1;
        }
        Ok(v)
    }

    fn object_type(&mut self) -> Result<u8, String> {
        let aot = self.read(5)? as u8;
        Ok(if aot == 31 {
            32 + self.read(6)? as u8
        } else {
            aot
        })
    }

    fn frequency_index(&mut self) -> Result<u8, String> {
        let idx = self.read(4)? as u8;
        if idx == 15 {
            self.read(24)?;
        }
        Ok(idx)
    }
}

impl AacConfig {
    /// Parses an AudioSpecificConfig.
    pub fn parse(asc: &[u8]) -> Result<Self, String> {
        let mut b = Bits { data: asc, pos: 0 };
        let mut aot = b.object_type()?;
        let sampling_index = b.frequency_index()?;
        let channel_config = b.read(4)? as u8;
        let (mut sbr, mut ps) = (false, false);
        if aot == 5 || aot == 29 {
            sbr = true;
            ps = aot == 29;
            b.frequency_index()?;
            aot = b.object_type()?;
        }
        Ok(AacConfig {
            asc: asc.to_vec(),
            core_object_type: aot,
            sampling_index,
            channel_config,
            sbr,
            ps,
        })
    }

    /// Checks that ADTS can carry this configuration.
    pub fn check_adts(&self) -> Result<(), String> {
        if !(1..=4).contains(&self.core_object_type) {
            return Err(format!(
                "AAC object type {} cannot be carried in ADTS (only 1 to 4)",
                self.core_object_type
            ));
        }
        if self.sampling_index as usize >= SAMPLE_RATES.len() {
            return Err("an explicit AAC sampling frequency cannot be carried in ADTS".into());
        }
        if !(1..=7).contains(&self.channel_config) {
            return Err(format!(
                "AAC channel configuration {} (program config element) is not supported in ADTS",
                self.channel_config
            ));
        }
        Ok(())
    }

    /// The core sampling rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATES
            .get(self.sampling_index as usize)
            .copied()
            .unwrap_or(0)
    }

    /// The ADTS header (no CRC) for a raw frame of `payload_len` bytes.
    pub fn adts_header(&self, payload_len: usize) -> Result<[u8; ADTS_HEADER_LEN], String> {
        let len = payload_len + ADTS_HEADER_LEN;
        if len > MAX_ADTS_FRAME {
            return Err(format!(
                "AAC frame of {payload_len} bytes is too large for ADTS (at most {})",
                MAX_ADTS_FRAME - ADTS_HEADER_LEN
            ));
        }
        let profile = self.core_object_type - 1;
        let ch = self.channel_config;
        Ok([
            0xFF,
            0xF1, // MPEG-4, layer 0, no CRC
            (profile << 6) | (self.sampling_index << 2) | (ch >> 2),
            ((ch & 3) << 6) | ((len >> 11) as u8 & 0x03),
            (len >> 3) as u8,
            (((len & 7) as u8) << 5) | 0x1F, // buffer fullness 0x7FF (VBR)
            0xFC,
        ])
    }

    /// The SAMPLE-AES `audio_type`: `zaac` (AAC-LC), `zach` (HE-AAC), `zacp` (HE-AAC v2).
    pub fn sample_aes_audio_type(&self) -> &'static [u8; 4] {
        if self.ps {
            b"zacp"
        } else if self.sbr {
            b"zach"
        } else {
            b"zaac"
        }
    }
}

/// A parsed ADTS header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdtsHeader {
    /// Header length: 7, or 9 with CRC.
    pub header_len: usize,
    /// Whole frame length, header included.
    pub frame_len: usize,
    /// `profile` (object type - 1).
    pub profile: u8,
    /// `sampling_frequency_index`.
    pub sampling_index: u8,
    /// `channel_configuration`.
    pub channel_config: u8,
}

impl AdtsHeader {
    /// Parses the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        if data.len() < ADTS_HEADER_LEN {
            return Err("ADTS header truncated".into());
        }
        if data[0] != 0xFF || data[1] & 0xF6 != 0xF0 {
            return Err("no ADTS sync word".into());
        }
        let header_len = if data[1] & 1 == 1 { 7 } else { 9 };
        let frame_len =
            ((data[3] as usize & 3) << 11) | ((data[4] as usize) << 3) | (data[5] as usize >> 5);
        if frame_len < header_len {
            return Err(format!(
                "ADTS frame_length {frame_len} is below the header size"
            ));
        }
        if data[6] & 3 != 0 {
            return Err("ADTS frames with several raw data blocks are not supported".into());
        }
        Ok(AdtsHeader {
            header_len,
            frame_len,
            profile: data[2] >> 6,
            sampling_index: (data[2] >> 2) & 0x0F,
            channel_config: ((data[2] & 1) << 2) | (data[3] >> 6),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_lc_48k_stereo() {
        let c = AacConfig::parse(&[0x11, 0x90]).unwrap();
        assert_eq!(
            (
                c.core_object_type,
                c.sampling_index,
                c.channel_config,
                c.sbr
            ),
            (2, 3, 2, false)
        );
        assert_eq!(c.sample_rate(), 48000);
        c.check_adts().unwrap();
        let h = c.adts_header(371).unwrap();
        // As ffmpeg's aac encoder writes it for a 378-byte ADTS frame.
        assert_eq!(h, [0xFF, 0xF1, 0x4C, 0x80, 0x2F, 0x5F, 0xFC]);
        let p = AdtsHeader::parse(&h).unwrap();
        assert_eq!(p.frame_len, 378);
        assert_eq!((p.profile, p.sampling_index, p.channel_config), (1, 3, 2));
        assert_eq!(c.sample_aes_audio_type(), b"zaac");
    }

    #[test]
    fn he_aac_signalling() {
        // AOT 5 (SBR), core 24 kHz (index 6), stereo, extension 48 kHz (3), core AOT 2.
        let c = AacConfig::parse(&[0x2B, 0x11, 0x88, 0x00]).unwrap();
        assert!(c.sbr && !c.ps);
        assert_eq!((c.core_object_type, c.sampling_index), (2, 6));
        assert_eq!(c.sample_aes_audio_type(), b"zach");
        let v2 = AacConfig::parse(&[0xEB, 0x09, 0x88, 0x00]).unwrap();
        assert!(v2.ps);
        assert_eq!(v2.sample_aes_audio_type(), b"zacp");
    }

    #[test]
    fn unsupported_configs() {
        assert!(AacConfig::parse(&[0x11]).is_err(), "truncated");
        let pce = AacConfig::parse(&[0x11, 0x80]).unwrap();
        assert!(pce.check_adts().is_err(), "channel config 0");
        let c = AacConfig::parse(&[0x11, 0x90]).unwrap();
        assert!(c.adts_header(9000).is_err());
        assert!(AdtsHeader::parse(&[0xFF, 0xF1, 0x4C, 0x80, 0x00, 0x1F, 0xFC]).is_err());
    }
}
