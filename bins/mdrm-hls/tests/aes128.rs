//! AES-128 output (`--hls-key-uri` with `--write-key-file`, and HLS-NCG) checked with the
//! independent `verify-hls-aes.sh` (ffmpeg's HLS demuxer and openssl + ffmpeg's mpegts
//! demuxer): every H.264/AAC test file and the ladder, and a flipped byte is caught.

mod common;

use std::path::Path;

use common::*;

fn tools() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    Some((mdrm_testkit::ffmpeg()?, mdrm_testkit::ffprobe()?))
}

#[test]
fn every_h264_aac_file_decrypts_to_identical_frames() {
    let Some((ffmpeg, ffprobe)) = tools() else {
        return;
    };
    let Some(dir) = mdrm_testkit::generated_media() else {
        return;
    };
    let mut files = vec![
        dir.join("h264_aac_360p_10s.mp4"),
        dir.join("h264_aac_360p_10s_frag.mp4"),
        mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4"),
    ];
    files.retain(|f| f.is_file());
    assert_eq!(files.len(), 3, "test media missing");
    for src in files {
        let tmp = mdrm_testkit::temp_dir();
        let out = tmp.path().join("hls out");
        package(
            &[arg(&src)],
            &out,
            &["--hls-key-uri", "key.bin", "--write-key-file"],
        );
        let master = out.join("master.m3u8");
        let (ok, log) = verify_hls_aes(&ffmpeg, &ffprobe, &src, &master);
        assert!(ok, "{}: {log}", src.display());
        assert!(log.contains("slice NAL units bit-identical"), "{log}");
        assert!(log.contains("raw AAC frames bit-identical"), "{log}");
    }
}

#[test]
fn ladder_rungs_and_audio_decrypt_and_a_flipped_byte_fails() {
    let Some((ffmpeg, ffprobe)) = tools() else {
        return;
    };
    let Some(dir) = mdrm_testkit::generated_media() else {
        return;
    };
    let rungs = ["ladder_360p.mp4", "ladder_540p.mp4", "ladder_720p.mp4"];
    let mut inputs: Vec<String> = rungs.iter().map(|r| arg(&dir.join(r))).collect();
    inputs.push(arg(&dir.join("ladder_audio.mp4")));
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("ladder");
    package(
        &inputs,
        &out,
        &["--hls-key-uri", "../key.bin", "--write-key-file"],
    );
    assert_eq!(
        std::fs::read(out.join("key.bin")).unwrap(),
        mdrm_testkit::hex(KEY)
    );
    let check = |playlist: &Path, original: &str| {
        verify_hls_aes(&ffmpeg, &ffprobe, &dir.join(original), playlist)
    };
    for (rung, folder) in rungs.iter().zip(["video_360p", "video_540p", "video_720p"]) {
        let (ok, log) = check(&out.join(folder).join("index.m3u8"), rung);
        assert!(ok, "{folder}: {log}");
    }
    let audio = out.join("audio_und").join("index.m3u8");
    let (ok, log) = check(&audio, "ladder_audio.mp4");
    assert!(ok, "audio: {log}");

    // One flipped byte in the middle of a video segment must be caught.
    let seg = out.join("video_540p").join("segment_00001.ts");
    let mut bytes = std::fs::read(&seg).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();
    let (ok, log) = check(
        &out.join("video_540p").join("index.m3u8"),
        "ladder_540p.mp4",
    );
    assert!(!ok, "a flipped byte went unnoticed: {log}");
}

#[test]
fn hls_ncg_is_aes128_with_the_license_url_key_uri() {
    let Some((ffmpeg, ffprobe)) = tools() else {
        return;
    };
    let Some(src) = media("h264_aac_360p_10s.mp4") else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("ncg");
    package(
        &[arg(&src)],
        &out,
        &[
            "--use-ncg-drm",
            "--site-id",
            "DEMO",
            "--license-url",
            "https://license.example/ncg/hls?v=2",
        ],
    );
    let dir = &rendition_dirs(&out)[0];
    let playlist = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
    assert!(
        playlist.contains(&format!(
            "#EXT-X-KEY:METHOD=AES-128,URI=\"https://license.example/ncg/hls?v=2&site=DEMO&cid=test-content\",IV=0x{IV}"
        )),
        "{playlist}"
    );
    // The license service is not here: verify with a test copy pointing at a local key file.
    std::fs::write(dir.join("k.bin"), mdrm_testkit::hex(KEY)).unwrap();
    let local = playlist.replace(
        "https://license.example/ncg/hls?v=2&site=DEMO&cid=test-content",
        "k.bin",
    );
    std::fs::write(dir.join("local.m3u8"), local).unwrap();
    let (ok, log) = verify_hls_aes(&ffmpeg, &ffprobe, &src, &dir.join("local.m3u8"));
    assert!(ok, "{log}");
}
