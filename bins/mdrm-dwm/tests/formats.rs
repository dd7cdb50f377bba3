//! Codec families and containers: each output keeps the input's codec family, pixel format,
//! container, frame count, timestamps and audio; the visible overlay and --demo text land
//! where cli.md says.

mod common;

use std::path::Path;

use common::{
    Sandbox, code_of, ffmpeg, have_ffmpeg, json_of, packet_times, pattern_clip, video_codec,
};
use serde_json::json;

fn embed_one(s: &Sandbox, input: &str, output: &str, extra: &[&str]) -> std::path::PathBuf {
    s.write_job(
        "job.json",
        json!({"account_id": "f", "content_id": "f", "input": input, "output": output,
               "recipients": ["alice"]}),
    );
    let mut args = vec!["--json", "embed", "job.json", "--preset", "ultrafast"];
    args.extend_from_slice(extra);
    let out = s.run(&args);
    assert_eq!(code_of(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    Path::new(json_of(&out)["recipients"][0]["output"].as_str().unwrap()).to_path_buf()
}

#[test]
fn every_codec_family_and_container() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    let cases: [(&str, &[&str], &str, &str); 5] = [
        (
            "h264.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
            "out_h264.mp4",
            "h264,yuv420p",
        ),
        (
            "hevc.mp4",
            &[
                "-c:v",
                "libx265",
                "-tag:v",
                "hvc1",
                "-x265-params",
                "log-level=error",
                "-c:a",
                "aac",
            ],
            "out_hevc.mp4",
            "hevc,yuv420p",
        ),
        (
            "vp9.webm",
            &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-c:a",
                "libopus",
            ],
            "out_vp9.webm",
            "vp9,yuv420p",
        ),
        (
            "prores.mov",
            &[
                "-c:v",
                "prores_ks",
                "-profile:v",
                "3",
                "-pix_fmt",
                "yuv422p10le",
                "-c:a",
                "pcm_s16le",
            ],
            "out_prores.mov",
            "prores,yuv422p10le",
        ),
        (
            "h264_10bit.mkv",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-c:a", "aac"],
            "out_10bit.mkv",
            "h264,yuv420p10le",
        ),
    ];
    for (input, codec, output, want) in cases {
        pattern_clip(&s.path(input), 2, "320x180", codec);
        let out = embed_one(&s, input, output, &[]);
        assert_eq!(video_codec(&out), want, "{input}");
        assert_eq!(
            packet_times(&out, "v:0"),
            packet_times(&s.path(input), "v:0"),
            "{input}"
        );
        assert_eq!(
            packet_times(&out, "a:0"),
            packet_times(&s.path(input), "a:0"),
            "{input}"
        );
        if input == "hevc.mp4" {
            let tag = std::process::Command::new(mdrm_testkit::ffprobe().unwrap())
                .args([
                    "-v",
                    "error",
                    "-select_streams",
                    "v:0",
                    "-show_entries",
                    "stream=codec_tag_string",
                    "-of",
                    "csv=p=0",
                ])
                .arg(&out)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&tag.stdout).trim(), "hvc1");
        }
    }
    // MXF: FFmpeg 5.1 muxes H.264 into MXF.
    pattern_clip(
        &s.path("mxf_in.mxf"),
        2,
        "320x180",
        &["-c:v", "libx264", "-c:a", "pcm_s16le"],
    );
    let out = embed_one(&s, "mxf_in.mxf", "out_mxf.mxf", &[]);
    assert!(video_codec(&out).starts_with("h264"));
    assert_eq!(
        packet_times(&out, "v:0").len(),
        packet_times(&s.path("mxf_in.mxf"), "v:0").len()
    );
}

/// Frames that are not evenly spaced (a gap of 7.5 frames, then a quarter-frame step) keep
/// every timestamp, in MP4 and Matroska, and the audio stays where it was; the mark is read.
#[test]
fn variable_frame_rate_keeps_every_timestamp() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    common::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x180:r=25",
        "-f",
        "lavfi",
        "-i",
        "sine=f=220:r=48000",
        "-t",
        "3",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-vf",
        "setpts='(N+if(gte(N,20),7.5,0)+if(gte(N,40),0.25,0))/25/TB'",
        "-fps_mode",
        "passthrough",
        "-video_track_timescale",
        "12800",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        s.path("vfr.mp4").to_str().unwrap(),
    ]);
    assert!(packet_times(&s.path("vfr.mp4"), "v:0").len() > 60);
    for output in ["vfr_out.mp4", "vfr_out.mkv"] {
        let out = embed_one(&s, "vfr.mp4", output, &[]);
        // Matroska cannot start the AAC priming before zero: every stream moves as in a plain
        // stream copy into Matroska.
        let reference = if output.ends_with(".mkv") {
            common::ffmpeg(&[
                "-i",
                s.path("vfr.mp4").to_str().unwrap(),
                "-c",
                "copy",
                s.path("vfr_copy.mkv").to_str().unwrap(),
            ]);
            s.path("vfr_copy.mkv")
        } else {
            s.path("vfr.mp4")
        };
        for stream in ["v:0", "a:0"] {
            assert_eq!(
                packet_times(&out, stream),
                packet_times(&reference, stream),
                "{output} {stream}"
            );
        }
        let d = json_of(&s.run(&["--json", "-q", "detect", "--full", out.to_str().unwrap()]));
        assert_eq!(d["dwm_id"], 1, "{output}: {d:#}");
    }
}

/// `--hwaccel` asks FFmpeg for NVDEC/NVENC and, where they are not listed or a one-frame trial
/// fails (no NVIDIA GPU on CI), says so on stderr and encodes on the CPU: the job succeeds.
#[test]
fn hwaccel_falls_back_to_the_cpu_with_a_log_line() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    pattern_clip(
        &s.path("in.mp4"),
        2,
        "320x180",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    );
    s.write_job(
        "job.json",
        json!({"account_id": "f", "content_id": "f", "input": "in.mp4", "output": "hw.mp4",
               "recipients": ["alice"]}),
    );
    let out = s.run(&["embed", "job.json", "--hwaccel", "--preset", "ultrafast"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code_of(&out), 0, "{err}");
    // Both halves (decode, encode) say where they run.
    assert!(err.contains("decoding on the"), "{err}");
    assert!(err.contains("encoding on the"), "{err}");
    let marked = s.path("hw_alice_1.mp4");
    assert!(video_codec(&marked).starts_with("h264"));
    assert_eq!(
        packet_times(&marked, "v:0"),
        packet_times(&s.path("in.mp4"), "v:0")
    );
    if !err.contains("on the GPU") {
        assert!(err.contains("on the CPU (libx264)"), "{err}");
    }
}

#[test]
fn ten_bit_prores_round_trip_detects() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    common::natural_clip(
        &s.path("master.mov"),
        8,
        960,
        540,
        0,
        &[
            "-c:v",
            "prores_ks",
            "-profile:v",
            "1",
            "-pix_fmt",
            "yuv422p10le",
        ],
    );
    let out = embed_one(&s, "master.mov", "marked.mov", &[]);
    assert_eq!(video_codec(&out), "prores,yuv422p10le");
    let d = json_of(&s.run(&["--json", "-q", "detect", "--full", out.to_str().unwrap()]));
    assert_eq!(d["dwm_id"], 1, "{d:#}");
}

/// Mean luma of a `w` x `h` box at (x, y) in the frame at `t` seconds.
fn box_mean(path: &Path, t: f64, x: u32, y: u32, w: u32, h: u32) -> f64 {
    let out = std::process::Command::new(mdrm_testkit::ffmpeg().unwrap())
        .args(["-nostdin", "-v", "error", "-ss", &format!("{t}"), "-i"])
        .arg(path)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &format!("crop={w}:{h}:{x}:{y}"),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .unwrap();
    let px = &out.stdout;
    assert_eq!(px.len(), (w * h) as usize);
    px.iter().map(|&v| f64::from(v)).sum::<f64>() / px.len() as f64
}

#[test]
fn visible_overlay_cycles_disappears_and_clamps() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    // A dark 640x360 clip; a white 40x40 logo.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=0x202020:s=640x360:r=25",
        "-f",
        "lavfi",
        "-i",
        "sine=r=48000",
        "-t",
        "6",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        s.path("dark.mp4").to_str().unwrap(),
    ]);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=white:s=40x40",
        "-frames:v",
        "1",
        s.path("logo.png").to_str().unwrap(),
    ]);
    s.write_job(
        "job.json",
        json!({"account_id": "v", "content_id": "v", "input": "dark.mp4", "output": "v.mp4",
               "recipients": ["alice"],
               "visible_watermark": {"type": "image", "image": {"filename": "logo.png"}, "alpha": 1.0,
                   "position": [{"x": 10, "y": 10}, {"x": 5000, "y": 300}],
                   "timing": {"interval": "00:00:02", "disappear": "00:00:01"}}}),
    );
    assert_eq!(
        code_of(&s.run(&["embed", "job.json", "--preset", "ultrafast"])),
        0
    );
    let out = s.path("v_alice_1.mp4");
    // 0-1 s: first position; 1-2 s: hidden; 2-3 s: second position, clamped to (600, 300).
    assert!(box_mean(&out, 0.5, 15, 15, 30, 30) > 200.0);
    assert!(box_mean(&out, 1.5, 15, 15, 30, 30) < 60.0);
    assert!(box_mean(&out, 2.5, 605, 305, 30, 30) > 200.0);
    assert!(box_mean(&out, 2.5, 15, 15, 30, 30) < 60.0);
    assert!(box_mean(&out, 4.5, 15, 15, 30, 30) > 200.0);
}

#[test]
fn demo_mode_burns_demo_text_and_uses_the_demo_key() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(
        code_of(&s.run(&["--demo", "recipients", "add", "trial"])),
        0
    );
    common::natural_clip(
        &s.path("in.mp4"),
        8,
        960,
        540,
        1,
        &["-c:v", "libx264", "-preset", "veryfast"],
    );
    s.write_job(
        "job.json",
        json!({"account_id": "d", "content_id": "d", "input": "in.mp4", "output": "demo.mp4",
               "recipients": ["trial"]}),
    );
    let out = s.run(&["--demo", "embed", "job.json", "--preset", "veryfast"]);
    assert_eq!(code_of(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let marked = s.path("demo_trial_1.mp4");
    // The DEMO text sits in the middle: the centre differs clearly from the input there.
    let a = box_mean(&marked, 1.0, 380, 240, 200, 60);
    let b = box_mean(&s.path("in.mp4"), 1.0, 380, 240, 200, 60);
    assert!((a - b).abs() > 8.0, "centre {a} vs {b}");
    let d = json_of(&s.run(&[
        "--demo",
        "--json",
        "-q",
        "detect",
        "--full",
        marked.to_str().unwrap(),
    ]));
    assert_eq!(d["dwm_id"], 1, "{d:#}");
    // The site key does not read demo marks.
    let d = json_of(&s.run(&["--json", "-q", "detect", "--full", marked.to_str().unwrap()]));
    assert!(d["dwm_id"].is_null());
}
