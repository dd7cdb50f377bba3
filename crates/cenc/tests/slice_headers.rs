//! Slice header sizes checked against an independent reference: ffmpeg's `trace_headers`
//! bitstream filter prints every syntax element with its bit position.

mod common;

use cenc::nal::{AvcParser, HevcParser, NalKind};
use common::{Video, escaped_len, nal_units, test_file, traced_slice_header_ends};

fn check(video: Video) {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    let Some(file) = test_file(video) else {
        return;
    };
    let nals = nal_units(&ffmpeg, &file, video);
    let traced = traced_slice_header_ends(&ffmpeg, &file, video);
    let mut avc = AvcParser::new();
    let mut hevc = HevcParser::new();
    let mut slices = 0;
    for nal in &nals {
        let kind = match video {
            Video::H264 => avc.classify(nal),
            Video::H265 => hevc.classify(nal),
        }
        .unwrap_or_else(|e| panic!("NAL type {}: {e}", video.nal_type(nal)));
        match kind {
            NalKind::Slice(h) => {
                let expected = traced[slices];
                assert_eq!(
                    h.rbsp_bits, expected,
                    "slice {slices}: header bits differ from trace_headers"
                );
                assert_eq!(
                    h.bytes,
                    escaped_len(nal, expected),
                    "slice {slices}: escaped header length"
                );
                slices += 1;
            }
            NalKind::NonVcl => assert!(!video.is_slice(nal)),
            NalKind::ClearVcl => panic!("test streams have no clear-only VCL units"),
        }
    }
    assert_eq!(slices, traced.len(), "every traced slice was seen");
    assert!(slices >= 250, "10 s at 25 fps: {slices} slices");
}

#[test]
fn h264_slice_headers_match_ffmpeg_trace_headers() {
    check(Video::H264);
}

#[test]
fn h265_slice_headers_match_ffmpeg_trace_headers() {
    check(Video::H265);
}
