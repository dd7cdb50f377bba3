//! `--hls-format fmp4`: cbcs fragmented MP4 media playlists pass `verify-cenc.sh` given the
//! playlist (ffmpeg 8 decrypts; Debian's ffmpeg 5.1 does not handle segmented cbcs video).

mod common;

use common::*;

const KID: &str = mdrm_testkit::PEER_KID;

/// A rendition folder and the input it must decrypt back to.
type Rendition = (&'static str, &'static str);

#[test]
fn fmp4_cbcs_renditions_pass_verify_cenc() {
    let (Some(ffmpeg), Some(ffprobe)) = (mdrm_testkit::ffmpeg8(), mdrm_testkit::ffprobe8()) else {
        return;
    };
    let Some(dir) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    // A muxed file (audio split out of the variant) and a ladder with separate audio.
    let cases: Vec<(Vec<&str>, Vec<Rendition>)> = vec![
        (
            vec!["h264_aac_360p_10s.mp4"],
            vec![
                ("video_360p", "h264_aac_360p_10s.mp4"),
                ("audio_und", "h264_aac_360p_10s.mp4"),
            ],
        ),
        (
            vec!["ladder_360p.mp4", "ladder_720p.mp4", "ladder_audio.mp4"],
            vec![
                ("video_360p", "ladder_360p.mp4"),
                ("video_720p", "ladder_720p.mp4"),
                ("audio_und", "ladder_audio.mp4"),
            ],
        ),
    ];
    for (n, (inputs, renditions)) in cases.into_iter().enumerate() {
        let out = tmp.path().join(format!("fmp4_{n}"));
        let inputs: Vec<String> = inputs.iter().map(|i| arg(&dir.join(i))).collect();
        package(
            &inputs,
            &out,
            &[
                "--hls-format",
                "fmp4",
                "--key-id",
                &keys::to_base64(&mdrm_testkit::hex(KID)),
            ],
        );
        let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
        assert!(master.contains("#EXT-X-VERSION:6"), "{master}");
        for (folder, original) in renditions {
            let playlist = out.join(folder).join("index.m3u8");
            let text = std::fs::read_to_string(&playlist).unwrap();
            assert!(text.contains("#EXT-X-MAP:URI=\"init.mp4\""), "{text}");
            assert!(text.contains("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://test-content\""));
            assert!(text.contains("KEYFORMAT=\"com.apple.streamingkeydelivery\""));
            let o = std::process::Command::new(mdrm_testkit::tools_dir().join("verify-cenc.sh"))
                .arg(dir.join(original))
                .arg(&playlist)
                .args([KID, KEY])
                .env("FFMPEG", &ffmpeg)
                .env("FFPROBE", &ffprobe)
                .output()
                .unwrap();
            let log = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "{folder}: {log}");
            assert!(log.contains("packets identical"), "{log}");
        }
    }
}
