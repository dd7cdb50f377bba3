//! Every representation of packages made from the test media and from a 3-rung ladder passes
//! independent decryption (`verify-cenc.sh`, ffmpeg 8), in cenc and cbcs; the MPD groups the
//! ladder into one video AdaptationSet with aligned segments.

mod common;

use common::*;
use packager::dash::mpd::{Addressing, ContentType, Mpd};

#[test]
fn test_media_and_ladder_decrypt_independently_in_both_schemes() {
    if mdrm_testkit::ffmpeg8().is_none() {
        return;
    }
    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let singles = [
        source(),
        g.join("hevc_aac_360p_10s.mp4"),
        g.join("h264_aac_360p_10s_frag.mp4"),
    ];
    for scheme in ["cenc", "cbcs"] {
        for (i, input) in singles.iter().enumerate() {
            let out = tmp.path().join(format!("{scheme}-{i}"));
            package(
                std::slice::from_ref(input),
                &out,
                &["--protection-scheme", scheme],
            );
            let reps = representation_dirs(&out);
            assert_eq!(reps.len(), 2, "{}", input.display());
            for rep in reps {
                let (ok, log) = verify_cenc(input, &rep, KID, KEY);
                assert!(ok, "{scheme} {}:\n{log}", rep.display());
            }
        }
        // The ladder: three video rungs and one audio track, one package.
        let ladder = [
            g.join("ladder_360p.mp4"),
            g.join("ladder_540p.mp4"),
            g.join("ladder_720p.mp4"),
            g.join("ladder_audio.mp4"),
        ];
        let out = tmp.path().join(format!("{scheme}-ladder"));
        package(
            &ladder,
            &out,
            &["--protection-scheme", scheme, "--segment-duration", "2"],
        );
        let mpd = Mpd::parse(&std::fs::read_to_string(out.join("manifest.mpd")).unwrap()).unwrap();
        let video: Vec<_> = mpd
            .adaptation_sets
            .iter()
            .filter(|a| a.content_type == ContentType::Video)
            .collect();
        assert_eq!(video.len(), 1, "one video AdaptationSet for the ladder");
        assert_eq!(video[0].representations.len(), 3);
        let timelines: Vec<_> = video[0]
            .representations
            .iter()
            .map(|r| match &r.addressing {
                Addressing::Template(t) => t.segments(),
                _ => panic!("template addressing"),
            })
            .collect();
        assert!(
            timelines.iter().all(|t| t == &timelines[0]),
            "rungs are aligned"
        );
        assert_eq!(timelines[0].len(), 5);
        for (rep, input) in representation_dirs(&out).iter().zip(
            // folders sort as audio_*, video_1280*, video_640*, video_960*
            [&ladder[3], &ladder[2], &ladder[0], &ladder[1]],
        ) {
            let (ok, log) = verify_cenc(input, rep, KID, KEY);
            assert!(ok, "{scheme} {}:\n{log}", rep.display());
        }
    }
}
