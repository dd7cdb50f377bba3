//! The muxer on real media: structure checked by our demuxer, timing rules, ffprobe's view of
//! continuity, ffmpeg decoding bit-identical frames, and SAMPLE-AES read back by our own
//! demuxer + decryptor returning every slice NAL unit and AAC frame of the source.

mod common;

use std::process::Command;

use common::{framemd5, media, package, slices_of_sample, source_samples, write};
use hls_ts::demux::{adts_frames, decrypt_sample_aes, demux};
use hls_ts::es::nal::{avc_type, split_annexb};
use hls_ts::ts::StreamType;
use hls_ts::{SampleAesDecryptor, TS_TIME_OFFSET};

#[test]
fn ts_structure_and_timing_of_h264_aac() {
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let p = package(&src, 4.0, false);
    assert_eq!(p.segments.len(), 3, "10 s in 4 s GOP-aligned segments");
    let video_samples = source_samples(&src, p.track_ids[0]);
    let audio_samples = source_samples(&src, p.track_ids[1]);
    let mut total_video = 0;
    let mut total_audio_frames = 0;
    let mut last_pcr = 0u64;
    let mut last_video_dts = 0u64;
    let mut last_audio_pts = 0u64;
    for (i, seg) in p.segments.iter().enumerate() {
        assert_eq!(seg.len() % 188, 0);
        // Every segment starts with the PAT then the PMT.
        assert_eq!(&seg[..4], &[0x47, 0x40, 0x00, 0x10 | (i as u8 & 0x0F)]);
        assert_eq!(((seg[189] as u16 & 0x1F) << 8) | seg[190] as u16, 0x1000);
        let (pmt, units, report) = demux(seg).unwrap();
        let pmt = pmt.unwrap();
        assert_eq!(report.pat_sections, 1);
        assert_eq!(report.pmt_sections, 1);
        assert!(report.issues.is_empty(), "{:?}", report.issues);
        assert_eq!(pmt.pcr_pid, 0x100);
        let types: Vec<_> = pmt.streams.iter().map(|s| (s.stream_type, s.pid)).collect();
        assert_eq!(
            types,
            [(StreamType::H264, 0x100), (StreamType::AAC_ADTS, 0x101)]
        );
        let video: Vec<_> = units.iter().filter(|u| u.pid == 0x100).collect();
        let audio: Vec<_> = units.iter().filter(|u| u.pid == 0x101).collect();
        // The segment starts with a key frame: random access, AUD, SPS, PPS, then the IDR.
        assert!(video[0].random_access);
        let first: Vec<u8> = split_annexb(&video[0].data).map(avc_type).collect();
        assert_eq!(&first[..3], &[9, 7, 8]);
        assert!(first.contains(&5));
        for v in &video {
            let pcr = v.pcr.expect("PCR on every video PES");
            let dts = v.dts.unwrap_or(v.pts.unwrap());
            assert!(v.pts.unwrap() >= dts);
            assert!(dts > last_video_dts || last_video_dts == 0, "DTS increases");
            assert!(pcr >= last_pcr, "PCR monotonic");
            assert_eq!(pcr, dts * 300);
            last_pcr = pcr;
            last_video_dts = dts;
            assert_eq!(
                split_annexb(&v.data).next().map(avc_type),
                Some(9),
                "AUD first"
            );
        }
        for a in &audio {
            let pts = a.pts.unwrap();
            assert!(pts > last_audio_pts, "audio PTS increases");
            last_audio_pts = pts;
            total_audio_frames += adts_frames(a.pid, &a.data).unwrap().len();
        }
        total_video += video.len();
        assert!(report.continuity_errors.is_empty());
    }
    assert_eq!(total_video, video_samples.len());
    assert_eq!(total_audio_frames, audio_samples.len());
    // The stream as a whole: continuity counters run on across segments.
    let (_, _, report) = demux(&p.joined()).unwrap();
    assert!(
        report.continuity_errors.is_empty(),
        "{:?}",
        report.continuity_errors
    );
    assert_eq!(report.pat_sections, 3);
    // Presentation starts at the 10 s offset.
    assert_eq!(p.plan[0].start90, TS_TIME_OFFSET as i64);
}

#[test]
fn sample_aes_read_back_by_our_demuxer_is_bit_identical() {
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let p = package(&src, 6.0, true);
    let (pmt, units, report) = demux(&p.joined()).unwrap();
    assert!(report.continuity_errors.is_empty() && report.issues.is_empty());
    let pmt = pmt.unwrap();
    assert_eq!(pmt.streams[0].stream_type, StreamType::SAMPLE_AES_H264);
    assert_eq!(pmt.streams[1].stream_type, StreamType::SAMPLE_AES_AAC);
    let dec = SampleAesDecryptor::new(&common::key(), common::iv());
    let video_src = source_samples(&src, p.track_ids[0]);
    let audio_src = source_samples(&src, p.track_ids[1]);
    let mut v = 0;
    let mut a = 0;
    let mut encrypted_differs = 0;
    for u in &units {
        let st = pmt
            .streams
            .iter()
            .find(|s| s.pid == u.pid)
            .unwrap()
            .stream_type;
        let clear = decrypt_sample_aes(st, u.pid, &u.data, &dec).unwrap();
        if u.pid == 0x100 {
            let got: Vec<Vec<u8>> = split_annexb(&clear)
                .filter(|n| (1..=5).contains(&avc_type(n)))
                .map(<[u8]>::to_vec)
                .collect();
            let want = slices_of_sample(&video_src[v]);
            assert_eq!(got, want, "access unit {v}");
            let raw: Vec<&[u8]> = split_annexb(&u.data)
                .filter(|n| (1..=5).contains(&avc_type(n)))
                .collect();
            encrypted_differs += raw
                .iter()
                .zip(&want)
                .filter(|(r, w)| r != &&w.as_slice())
                .count();
            v += 1;
        } else {
            for frame in adts_frames(u.pid, &clear).unwrap() {
                assert_eq!(frame, &audio_src[a][..], "AAC frame {a}");
                a += 1;
            }
        }
    }
    assert_eq!(v, video_src.len());
    assert_eq!(a, audio_src.len());
    assert!(
        encrypted_differs > video_src.len() / 2,
        "slices really are encrypted"
    );
}

#[test]
fn ffprobe_reports_no_continuity_errors_and_ffmpeg_decodes_identical_frames() {
    let (Some(src), Some(ffmpeg), Some(ffprobe)) = (
        media("h264_aac_360p_10s.mp4"),
        mdrm_testkit::ffmpeg(),
        mdrm_testkit::ffprobe(),
    ) else {
        return;
    };
    let dir = mdrm_testkit::temp_dir();
    let p = package(&src, 2.0, false);
    let ts = write(dir.path(), "all.ts", &p.joined());
    let out = Command::new(&ffprobe)
        .args([
            "-v",
            "debug",
            "-show_packets",
            "-show_entries",
            "packet=stream_index,flags,pts,dts",
            "-of",
            "csv",
        ])
        .arg(&ts)
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains("Continuity check failed"), "{log}");
    assert!(!log.contains("Packet corrupt"), "{log}");
    let csv = String::from_utf8_lossy(&out.stdout);
    let packets: Vec<&str> = csv.lines().filter(|l| l.starts_with("packet")).collect();
    assert!(!packets.is_empty());
    assert!(
        packets
            .iter()
            .all(|l| !l.ends_with("C") && !l.contains(",C")),
        "corrupt flag"
    );
    let src = src.to_str().unwrap();
    let ts = ts.to_str().unwrap();
    let a = framemd5(&ffmpeg, &["-i", src, "-map", "0:v:0"]);
    let b = framemd5(&ffmpeg, &["-i", ts, "-map", "0:v:0"]);
    assert_eq!(a.len(), 250, "decoded video frames");
    assert_eq!(a, b, "decoded video frames");
    // Audio packets: ffmpeg drops the AAC priming frame when decoding the MP4 (edit list),
    // which a TS cannot signal; compare the raw frames instead, as verify-hls-aes.sh does.
    let a = framemd5(&ffmpeg, &["-i", src, "-map", "0:a:0", "-c", "copy"]);
    let b = framemd5(
        &ffmpeg,
        &[
            "-i",
            ts,
            "-map",
            "0:a:0",
            "-c",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
        ],
    );
    assert_eq!(a.len(), 470);
    assert_eq!(a, b, "raw AAC frames");
}

#[test]
fn hevc_in_ts_decodes_to_identical_frames() {
    let (Some(src), Some(ffmpeg)) = (media("hevc_aac_360p_10s.mp4"), mdrm_testkit::ffmpeg()) else {
        return;
    };
    let dir = mdrm_testkit::temp_dir();
    let p = package(&src, 4.0, false);
    let (pmt, _, report) = demux(&p.joined()).unwrap();
    assert_eq!(pmt.unwrap().streams[0].stream_type, StreamType::H265);
    assert!(report.continuity_errors.is_empty());
    let ts = write(dir.path(), "hevc.ts", &p.joined());
    let a = framemd5(&ffmpeg, &["-i", src.to_str().unwrap(), "-map", "0:v:0"]);
    let b = framemd5(&ffmpeg, &["-i", ts.to_str().unwrap(), "-map", "0:v:0"]);
    assert_eq!(a, b);
}

#[test]
fn ac3_and_eac3_round_trip_clear_and_sample_aes() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    let dir = mdrm_testkit::temp_dir();
    for (codec, clear_type, enc_type) in [
        ("ac3", StreamType::AC3, StreamType::SAMPLE_AES_AC3),
        ("eac3", StreamType::EAC3, StreamType::SAMPLE_AES_EAC3),
    ] {
        let src = dir.path().join(format!("{codec}.mp4"));
        let st = Command::new(&ffmpeg)
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg("sine=frequency=440:sample_rate=48000:duration=5")
            .args(["-ac", "2", "-c:a", codec, "-b:a", "192k"])
            .arg(&src)
            .status()
            .unwrap();
        assert!(st.success());
        let clear = package(&src, 2.0, false);
        let (pmt, units, report) = demux(&clear.joined()).unwrap();
        assert_eq!(pmt.unwrap().streams[0].stream_type, clear_type);
        assert!(report.continuity_errors.is_empty() && report.issues.is_empty());
        assert!(
            units.iter().all(|u| u.pcr.is_some()),
            "PCR on the audio PID when alone"
        );
        let ts = write(dir.path(), &format!("{codec}.ts"), &clear.joined());
        let a = framemd5(
            &ffmpeg,
            &["-i", src.to_str().unwrap(), "-map", "0:a:0", "-c", "copy"],
        );
        let b = framemd5(
            &ffmpeg,
            &["-i", ts.to_str().unwrap(), "-map", "0:a:0", "-c", "copy"],
        );
        assert_eq!(a, b, "{codec} syncframes");

        let enc = package(&src, 2.0, true);
        let (pmt, units, _) = demux(&enc.joined()).unwrap();
        let pmt = pmt.unwrap();
        assert_eq!(pmt.streams[0].stream_type, enc_type);
        let dec = SampleAesDecryptor::new(&common::key(), common::iv());
        let joined: Vec<u8> = units
            .iter()
            .flat_map(|u| decrypt_sample_aes(enc_type, u.pid, &u.data, &dec).unwrap())
            .collect();
        let want: Vec<u8> = source_samples(&src, enc.track_ids[0]).concat();
        assert_eq!(
            joined, want,
            "{codec}: decrypted syncframes equal the source"
        );
        let raw: Vec<u8> = units.iter().flat_map(|u| u.data.clone()).collect();
        assert_ne!(raw, want, "{codec}: encrypted");
    }
}
