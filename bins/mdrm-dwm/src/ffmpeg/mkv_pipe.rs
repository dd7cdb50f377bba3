//! A minimal Matroska stream of raw frames, each with its own timestamp: what the encoders
//! read on stdin when the input's frames are not evenly spaced (raw video on a pipe carries
//! no timestamps). One cluster per frame, timestamps in nanoseconds, `V_UNCOMPRESSED` with
//! the FourCC FFmpeg's raw video decoder maps back to the pixel format.

use super::pixfmt::PixFmt;

/// The FourCC of a pipe pixel format (FFmpeg's raw video tags).
fn fourcc(f: &PixFmt) -> [u8; 4] {
    let chroma = match (f.shift_x, f.shift_y) {
        (1, 1) => 11,
        (1, 0) => 10,
        _ => 0,
    };
    match (f.depth, chroma) {
        (8, 11) => *b"I420",
        (8, 10) => *b"Y42B",
        (8, _) => *b"444P",
        (depth, c) => [b'Y', b'3', c, depth],
    }
}

/// An EBML variable-length size (the shortest form; all ones is reserved for "unknown").
fn size(n: u64, out: &mut Vec<u8>) {
    let len = (1..=8)
        .find(|&l| n < (1u64 << (7 * l)) - 1)
        .expect("size < 2^56");
    let v = (1u64 << (7 * len)) | n;
    out.extend_from_slice(&v.to_be_bytes()[8 - len..]);
}

fn element(id: &[u8], payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(id);
    size(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

fn uint(id: &[u8], v: u64, out: &mut Vec<u8>) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take(7).take_while(|&&b| b == 0).count();
    element(id, &bytes[skip..], out);
}

/// The EBML header, segment start, timestamp scale (1 ns) and the one video track, whose
/// frames last `frame_ns` unless the next one starts earlier (the last frame's duration: the
/// MP4 muxer ends its edit list there).
pub(super) fn header(width: usize, height: usize, pix: &PixFmt, frame_ns: u64) -> Vec<u8> {
    let mut ebml = Vec::new();
    uint(&[0x42, 0x86], 1, &mut ebml); // EBMLVersion
    uint(&[0x42, 0xF7], 1, &mut ebml); // EBMLReadVersion
    uint(&[0x42, 0xF2], 4, &mut ebml); // EBMLMaxIDLength
    uint(&[0x42, 0xF3], 8, &mut ebml); // EBMLMaxSizeLength
    element(&[0x42, 0x82], b"matroska", &mut ebml); // DocType
    uint(&[0x42, 0x87], 4, &mut ebml); // DocTypeVersion
    uint(&[0x42, 0x85], 2, &mut ebml); // DocTypeReadVersion
    let mut out = Vec::new();
    element(&[0x1A, 0x45, 0xDF, 0xA3], &ebml, &mut out);
    // Segment of unknown size: the stream ends when the pipe closes.
    out.extend_from_slice(&[
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let mut info = Vec::new();
    uint(&[0x2A, 0xD7, 0xB1], 1, &mut info); // TimestampScale: 1 ns
    element(&[0x4D, 0x80], b"mdrm-dwm", &mut info); // MuxingApp
    element(&[0x57, 0x41], b"mdrm-dwm", &mut info); // WritingApp
    element(&[0x15, 0x49, 0xA9, 0x66], &info, &mut out);
    let mut video = Vec::new();
    uint(&[0xB0], width as u64, &mut video); // PixelWidth
    uint(&[0xBA], height as u64, &mut video); // PixelHeight
    element(&[0x2E, 0xB5, 0x24], &fourcc(pix), &mut video); // ColourSpace
    let mut track = Vec::new();
    uint(&[0xD7], 1, &mut track); // TrackNumber
    uint(&[0x73, 0xC5], 1, &mut track); // TrackUID
    uint(&[0x83], 1, &mut track); // TrackType: video
    uint(&[0x9C], 0, &mut track); // FlagLacing
    uint(&[0x23, 0xE3, 0x83], frame_ns.max(1), &mut track); // DefaultDuration
    element(&[0x86], b"V_UNCOMPRESSED", &mut track); // CodecID
    element(&[0xE0], &video, &mut track);
    let mut tracks = Vec::new();
    element(&[0xAE], &track, &mut tracks);
    element(&[0x16, 0x54, 0xAE, 0x6B], &tracks, &mut out);
    out
}

/// The bytes before one frame's `frame_len` bytes of samples: a cluster at `ns` holding one
/// key-frame SimpleBlock.
pub(super) fn frame_prefix(ns: u64, frame_len: usize) -> Vec<u8> {
    let mut ts = Vec::new();
    uint(&[0xE7], ns, &mut ts); // Cluster Timestamp
    // SimpleBlock: track 1, relative timestamp 0, flags: key frame.
    let block_head = [0x81, 0x00, 0x00, 0x80];
    let block_len = (block_head.len() + frame_len) as u64;
    let mut block = vec![0xA3];
    size(block_len, &mut block);
    block.extend_from_slice(&block_head);
    let mut out = vec![0x1F, 0x43, 0xB6, 0x75];
    size((ts.len() + block.len()) as u64 + frame_len as u64, &mut out);
    out.extend_from_slice(&ts);
    out.extend_from_slice(&block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffmpeg::pixfmt::SUPPORTED;

    #[test]
    fn sizes_use_the_shortest_form_and_avoid_the_unknown_marker() {
        let enc = |n| {
            let mut v = Vec::new();
            size(n, &mut v);
            v
        };
        assert_eq!(enc(0), [0x80]);
        assert_eq!(enc(126), [0xFE]);
        assert_eq!(enc(127), [0x40, 0x7F]); // 0xFF would mean "unknown"
        assert_eq!(enc(3_110_400), [0x10, 0x2F, 0x76, 0x00]); // one 1080p 4:2:0 frame
    }

    #[test]
    fn fourccs_are_ffmpegs_raw_tags() {
        let tag = |name| fourcc(SUPPORTED.iter().find(|f| f.name == name).unwrap());
        assert_eq!(&tag("yuv420p"), b"I420");
        assert_eq!(&tag("yuvj422p"), b"Y42B");
        assert_eq!(&tag("yuv444p"), b"444P");
        assert_eq!(tag("yuv420p10le"), [b'Y', b'3', 11, 10]);
        assert_eq!(tag("yuv422p12le"), [b'Y', b'3', 10, 12]);
        assert_eq!(tag("yuv444p10le"), [b'Y', b'3', 0, 10]);
    }

    #[test]
    fn a_frame_cluster_declares_its_exact_length() {
        let p = frame_prefix(40_000_000, 6144);
        assert_eq!(&p[..4], &[0x1F, 0x43, 0xB6, 0x75]);
        // Cluster size (2 bytes here) covers the rest of the prefix plus the samples.
        let declared = (((p[4] & 0x3F) as usize) << 8) | p[5] as usize;
        assert_eq!(declared, p.len() - 6 + 6144);
        assert!(p.ends_with(&[0x81, 0x00, 0x00, 0x80]));
    }
}
