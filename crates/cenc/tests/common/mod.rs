//! Helpers shared by the integration tests: elementary streams extracted with ffmpeg, access
//! units rebuilt as length-prefixed samples, and ffmpeg's `trace_headers` output.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A video codec of the test streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Video {
    H264,
    H265,
}

impl Video {
    fn bsf(self) -> (&'static str, &'static str) {
        match self {
            Video::H264 => ("h264_mp4toannexb", "h264"),
            Video::H265 => ("hevc_mp4toannexb", "hevc"),
        }
    }

    /// NAL unit type.
    pub fn nal_type(self, nal: &[u8]) -> u8 {
        match self {
            Video::H264 => nal[0] & 0x1f,
            Video::H265 => (nal[0] >> 1) & 0x3f,
        }
    }

    /// True for slices this crate parses (H.264 1 and 5; H.265 0-9 and 16-21).
    pub fn is_slice(self, nal: &[u8]) -> bool {
        let t = self.nal_type(nal);
        match self {
            Video::H264 => t == 1 || t == 5,
            Video::H265 => t <= 9 || (16..=21).contains(&t),
        }
    }

    /// True for parameter sets (H.264 SPS/PPS, H.265 VPS/SPS/PPS).
    pub fn is_parameter_set(self, nal: &[u8]) -> bool {
        let t = self.nal_type(nal);
        match self {
            Video::H264 => t == 7 || t == 8,
            Video::H265 => (32..=34).contains(&t),
        }
    }

    /// True when the slice starts a new picture (first_mb_in_slice == 0 /
    /// first_slice_segment_in_pic_flag).
    fn starts_picture(self, nal: &[u8]) -> bool {
        match self {
            Video::H264 => nal[1] & 0x80 != 0,
            Video::H265 => nal[2] & 0x80 != 0,
        }
    }
}

/// The test file of the shared peers folder (H.264) or the generated media (H.265).
pub fn test_file(video: Video) -> Option<PathBuf> {
    match video {
        Video::H264 => Some(mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")),
        Video::H265 => mdrm_testkit::generated_media().map(|d| d.join("hevc_aac_360p_10s.mp4")),
    }
}

/// The video NAL units of `mp4` in decoding order, via ffmpeg's Annex B bitstream filter.
pub fn nal_units(ffmpeg: &Path, mp4: &Path, video: Video) -> Vec<Vec<u8>> {
    let (bsf, format) = video.bsf();
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(mp4)
        .args([
            "-map", "0:v:0", "-c", "copy", "-bsf:v", bsf, "-f", format, "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    split_annex_b(&out.stdout)
}

/// Splits an Annex B byte stream at start codes; trailing zero bytes belong to the next
/// start code.
pub fn split_annex_b(data: &[u8]) -> Vec<Vec<u8>> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        let mut nal = &data[s..end];
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        if !nal.is_empty() {
            nals.push(nal.to_vec());
        }
    }
    nals
}

/// Groups NAL units into access units (a non-VCL unit after a slice, or a slice starting a
/// picture, opens the next one) and writes each as a sample with `len_size`-byte lengths.
pub fn samples(nals: &[Vec<u8>], video: Video, len_size: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut seen_slice = false;
    for nal in nals {
        let slice = video.is_slice(nal);
        let boundary = seen_slice && (!slice || video.starts_picture(nal));
        if boundary {
            out.push(std::mem::take(&mut current));
            seen_slice = false;
        }
        let len = nal.len() as u64;
        assert!(len < 1 << (8 * len_size), "NAL of {len} bytes does not fit");
        current.extend_from_slice(&len.to_be_bytes()[8 - len_size..]);
        current.extend_from_slice(nal);
        seen_slice |= slice;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// For every slice that ffmpeg's `trace_headers` prints, the RBSP bit position where its
/// header ends (NAL header included): for H.264 before `cabac_alignment_one_bit`, for H.265
/// after the `byte_alignment()` bits.
pub fn traced_slice_header_ends(ffmpeg: &Path, mp4: &Path, video: Video) -> Vec<u64> {
    let out = Command::new(ffmpeg)
        .args(["-hide_banner", "-nostdin", "-i"])
        .arg(mp4)
        .args([
            "-map",
            "0:v:0",
            "-c",
            "copy",
            "-bsf:v",
            "trace_headers",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg trace_headers failed");
    let text = String::from_utf8_lossy(&out.stderr);
    let title = match video {
        Video::H264 => "Slice Header",
        Video::H265 => "Slice Segment Header",
    };
    let mut ends = Vec::new();
    let mut in_slice = false;
    let mut end = 0u64;
    for line in text.lines() {
        let Some(idx) = line.find("[trace_headers @ ") else {
            continue;
        };
        let Some(close) = line[idx..].find("] ") else {
            continue;
        };
        let body = line[idx + close + 2..].trim();
        let mut parts = body.split_whitespace();
        let first = parts.next().unwrap_or("");
        match first.parse::<u64>() {
            Ok(pos) if in_slice => {
                let name = parts.next().unwrap_or("");
                let bits = parts.next().unwrap_or("");
                if name != "cabac_alignment_one_bit" {
                    end = pos + bits.len() as u64;
                }
            }
            Ok(_) => {}
            Err(_) => {
                if in_slice {
                    ends.push(end);
                }
                in_slice = body == title;
                end = 0;
            }
        }
    }
    if in_slice {
        ends.push(end);
    }
    ends
}

/// Escaped bytes of a NAL unit that hold its first `rbsp_bits` RBSP bits: an independent
/// count of emulation-prevention bytes (0x000003) up to that point.
pub fn escaped_len(nal: &[u8], rbsp_bits: u64) -> usize {
    let rbsp_bytes = rbsp_bits.div_ceil(8) as usize;
    let (mut seen, mut zeros, mut i) = (0usize, 0usize, 0usize);
    while seen < rbsp_bytes {
        if zeros >= 2 && nal[i] == 3 {
            zeros = 0;
            i += 1;
            continue;
        }
        zeros = if nal[i] == 0 { zeros + 1 } else { 0 };
        seen += 1;
        i += 1;
    }
    i
}
