//! What a package contains: the MPD's required structure (no DASH schema is available offline, so
//! a structural check stands in for XSD validation), per-AdaptationSet keys with `--multi-key`,
//! WebVTT and TTML (`stpp`) subtitles, and `keys.json` only on request.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use bmff::reader::Mp4Reader;
use bmff::{DecodeOptions, HasChildren, Pssh, TypedBox};
use common::xml::{Element, parse};
use common::*;

/// Seconds of an ISO 8601 duration as the MPD writes it (`PT1H2M3.5S`).
fn iso_seconds(d: &str) -> f64 {
    let rest = d
        .strip_prefix("PT")
        .unwrap_or_else(|| panic!("not PT...: {d}"));
    let (mut total, mut num) = (0.0, String::new());
    for c in rest.chars() {
        match c {
            'H' => total += num.parse::<f64>().unwrap() * 3600.0,
            'M' => total += num.parse::<f64>().unwrap() * 60.0,
            'S' => total += num.parse::<f64>().unwrap(),
            _ => {
                num.push(c);
                continue;
            }
        }
        num.clear();
    }
    total
}

fn mpd(out: &Path) -> Element {
    parse(&std::fs::read_to_string(out.join("manifest.mpd")).unwrap())
}

fn source_duration(p: &Path) -> f64 {
    let r = Mp4Reader::open(std::fs::File::open(p).unwrap()).unwrap();
    r.tracks()
        .iter()
        .map(|t| t.duration as f64 / t.timescale as f64)
        .fold(0.0, f64::max)
}

/// Checks every attribute a DASH client needs, and that the SegmentTimeline matches the files.
fn check_structure(out: &Path, root: &Element, expect_duration: f64) {
    assert_eq!(root.name, "MPD");
    assert_eq!(root.req("xmlns"), "urn:mpeg:dash:schema:mpd:2011");
    assert_eq!(root.req("type"), "static");
    assert!(
        root.req("profiles")
            .contains("urn:mpeg:dash:profile:isoff-live:2011")
    );
    iso_seconds(root.req("minBufferTime"));
    let duration = iso_seconds(root.req("mediaPresentationDuration"));
    assert!(
        (duration - expect_duration).abs() < 0.1,
        "mediaPresentationDuration {duration} vs source {expect_duration}"
    );
    let period = root.one("Period");
    let mut rep_ids = BTreeSet::new();
    for set in period.all("AdaptationSet") {
        let content = set.req("contentType");
        let mime = set.req("mimeType");
        assert!(["video", "audio", "text"].contains(&content), "{content}");
        for rep in set.all("Representation") {
            assert!(
                rep_ids.insert(rep.req("id").to_owned()),
                "duplicate Representation id"
            );
            assert!(rep.req("bandwidth").parse::<u64>().unwrap() > 0);
            match content {
                "video" => {
                    assert!(
                        rep.req("codecs").starts_with("avc1.")
                            || rep.req("codecs").starts_with("hvc1.")
                    );
                    rep.req("width").parse::<u32>().unwrap();
                    rep.req("height").parse::<u32>().unwrap();
                    assert!(
                        rep.req("frameRate")
                            .split('/')
                            .all(|p| p.parse::<u32>().is_ok())
                    );
                    assert!(rep.req("sar").contains(':'));
                }
                "audio" => {
                    assert!(rep.req("codecs").starts_with("mp4a."));
                    rep.req("audioSamplingRate").parse::<u32>().unwrap();
                    let ch = rep.one("AudioChannelConfiguration");
                    assert_eq!(
                        ch.req("schemeIdUri"),
                        "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
                    );
                    ch.req("value").parse::<u32>().unwrap();
                }
                _ => {}
            }
            if mime == "text/vtt" {
                assert!(
                    rep.attr("codecs").is_none(),
                    "a plain WebVTT file has no codecs"
                );
                let url = &rep.one("BaseURL").text;
                assert!(out.join(url).is_file(), "{url} missing");
                continue;
            }
            // SegmentTemplate + SegmentTimeline: one file per S (with repeats), durations adding
            // up to the presentation.
            let tpl = rep.one("SegmentTemplate");
            let timescale: f64 = tpl.req("timescale").parse().unwrap();
            let id = rep.req("id");
            let init = tpl.req("initialization").replace("$RepresentationID$", id);
            assert!(out.join(&init).is_file(), "{init} missing");
            let media = tpl.req("media").replace("$RepresentationID$", id);
            let mut number: u64 = tpl.req("startNumber").parse().unwrap();
            let mut next_t: Option<u64> = None;
            let mut total = 0u64;
            for s in tpl.one("SegmentTimeline").all("S") {
                let d: u64 = s.req("d").parse().unwrap();
                let t: u64 = s
                    .attr("t")
                    .map_or_else(|| next_t.unwrap(), |t| t.parse().unwrap());
                if let Some(n) = next_t {
                    assert_eq!(t, n, "{id}: gap or overlap in the timeline");
                }
                let repeat: u64 = s.attr("r").map_or(0, |r| r.parse().unwrap());
                for _ in 0..=repeat {
                    let f = media.replace("$Number$", &number.to_string());
                    assert!(out.join(&f).is_file(), "{f} listed but missing");
                    number += 1;
                    total += d;
                }
                next_t = Some(t + d * (repeat + 1));
            }
            let f = media.replace("$Number$", &number.to_string());
            assert!(!out.join(&f).exists(), "{f} written but not listed");
            let listed = total as f64 / timescale;
            assert!(
                (listed - duration).abs() < 0.1,
                "{id}: timeline {listed} s vs presentation {duration} s"
            );
        }
    }
    assert!(!rep_ids.is_empty());
}

fn default_kid(set: &Element) -> String {
    set.all("ContentProtection")
        .find(|c| c.req("schemeIdUri") == "urn:mpeg:dash:mp4protection:2011")
        .expect("mp4protection descriptor")
        .req("cenc:default_KID")
        .replace('-', "")
}

/// The KIDs every `cenc:pssh` of a set names, per system id.
fn mpd_pssh_kids(set: &Element) -> BTreeMap<String, Vec<String>> {
    let mut m = BTreeMap::new();
    for cp in set.all("ContentProtection") {
        for p in cp.all("cenc:pssh") {
            let bytes = keys::decode_base64("pssh", &p.text).unwrap();
            let b = decode_pssh(bytes);
            let info = cenc::mp4::pssh_info(&b);
            m.insert(
                cp.req("schemeIdUri").to_owned(),
                info.all_kids()
                    .unwrap()
                    .iter()
                    .map(|k| k.to_string().replace('-', ""))
                    .collect(),
            );
        }
    }
    m
}

fn decode_pssh(bytes: Vec<u8>) -> Pssh {
    let (b, _) = bmff::decode_box(&bytes.into(), DecodeOptions::strict()).expect("a pssh box");
    Pssh::from_any(&b).expect("a pssh box").clone()
}

fn init_tenc_kid(out: &Path, rep: &Element, tpl: &Element) -> String {
    let init = tpl
        .req("initialization")
        .replace("$RepresentationID$", rep.req("id"));
    let r = Mp4Reader::open_with(
        Cursor::new(std::fs::read(out.join(init)).unwrap()),
        DecodeOptions::strict(),
    )
    .unwrap();
    let kid = r.tracks()[0].encryption().unwrap().tenc.default_kid;
    assert!(r.moov().all::<Pssh>().count() >= 1, "init without pssh");
    keys::KeyId(kid).to_string().replace('-', "")
}

#[test]
fn mpd_has_the_required_structure_single_and_ladder() {
    let tmp = mdrm_testkit::temp_dir();
    let src = source();
    let out = tmp.path().join("single");
    package(
        std::slice::from_ref(&src),
        &out,
        &["--license-url", "https://lic.example/ck"],
    );
    let root = mpd(&out);
    check_structure(&out, &root, source_duration(&src));
    // ClearKey carries the license URL; Widevine and PlayReady their PSSH; PlayReady its PRO.
    let set = root.one("Period").all("AdaptationSet").next().unwrap();
    let schemes: BTreeMap<&str, &Element> = set
        .all("ContentProtection")
        .map(|c| (c.req("schemeIdUri"), c))
        .collect();
    let ck = schemes["urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"];
    assert_eq!(ck.one("dashif:Laurl").text, "https://lic.example/ck");
    let wv = schemes["urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"];
    assert!(!wv.one("cenc:pssh").text.is_empty());
    let pr = schemes["urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95"];
    assert!(!pr.one("mspr:pro").text.is_empty());
    assert_eq!(default_kid(set), KID);

    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    let out = tmp.path().join("ladder");
    let inputs: Vec<PathBuf> = ["ladder_360p", "ladder_540p", "ladder_720p", "ladder_audio"]
        .iter()
        .map(|n| g.join(format!("{n}.mp4")))
        .collect();
    let vtt = format!(
        "[+format=webvtt,+language=en]{}",
        g.join("subs_en.vtt").display()
    );
    let mut all: Vec<PathBuf> = inputs.clone();
    all.push(PathBuf::from(&vtt));
    package(&all, &out, &["--segment-duration", "2"]);
    let root = mpd(&out);
    check_structure(&out, &root, source_duration(&inputs[0]));
    let sets: Vec<&Element> = root.one("Period").all("AdaptationSet").collect();
    let video: Vec<_> = sets
        .iter()
        .filter(|s| s.req("contentType") == "video")
        .collect();
    assert_eq!(video.len(), 1, "one key: all rungs in one AdaptationSet");
    assert_eq!(video[0].all("Representation").count(), 3);
    assert_eq!(video[0].req("segmentAlignment"), "true");
    let text: Vec<_> = sets
        .iter()
        .filter(|s| s.req("contentType") == "text")
        .collect();
    assert_eq!(text.len(), 1);
    assert_eq!(text[0].req("mimeType"), "text/vtt");
    assert_eq!(text[0].req("lang"), "en");
    // The WebVTT file is carried unchanged.
    let rep = text[0].one("Representation");
    let copied = std::fs::read(out.join(&rep.one("BaseURL").text)).unwrap();
    assert_eq!(copied, std::fs::read(g.join("subs_en.vtt")).unwrap());
}

#[test]
fn multi_key_gives_each_adaptation_set_its_own_kid_pssh_and_tenc() {
    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    let keystore = tmp.path().join("keys.db");
    let inputs: Vec<PathBuf> = ["ladder_360p", "ladder_540p", "ladder_720p", "ladder_audio"]
        .iter()
        .map(|n| g.join(format!("{n}.mp4")))
        .collect();
    let pack = |out: &Path, multi: bool| {
        let mut cmd = bin();
        cmd.arg("-i").args(&inputs).arg("-o").arg(out);
        cmd.args([
            "--contents-id",
            "multi-key-test",
            "--write-clearkey-json",
            "-q",
        ]);
        cmd.arg("--keystore").arg(&keystore);
        if multi {
            cmd.arg("--multi-key");
        }
        let r = run(&mut cmd);
        assert!(r.ok && r.code == 0, "{}\n{}", r.stdout, r.stderr);
    };
    let out = tmp.path().join("multi");
    pack(&out, true);
    let root = mpd(&out);
    check_structure(&out, &root, source_duration(&inputs[0]));
    let keys_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("keys.json")).unwrap()).unwrap();
    let by_kid: BTreeMap<String, (String, String)> = keys_json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid_hex"].as_str().unwrap().to_owned(),
                (
                    k["key_hex"].as_str().unwrap().to_owned(),
                    k["track_type"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    // 360p and 540p are SD, 720p HD, plus audio: three keys.
    assert_eq!(by_kid.len(), 3, "{keys_json}");
    let mut seen = BTreeMap::new();
    for set in root.one("Period").all("AdaptationSet") {
        let kid = default_kid(set);
        // Every PSSH of this set names this set's KID and no other.
        for (system, kids) in mpd_pssh_kids(set) {
            assert_eq!(
                kids,
                vec![kid.clone()],
                "{system} in the {} set",
                set.req("contentType")
            );
        }
        for rep in set.all("Representation") {
            let tpl = rep.one("SegmentTemplate");
            assert_eq!(
                init_tenc_kid(&out, rep, tpl),
                kid,
                "tenc of {}",
                rep.req("id")
            );
            let class = &by_kid[&kid].1;
            let h: u32 = rep.attr("height").map_or(0, |h| h.parse().unwrap());
            let expect = match (set.req("contentType"), h) {
                ("audio", _) => "AUDIO",
                (_, h) if h >= 720 => "HD",
                _ => "SD",
            };
            assert_eq!(class, expect, "{}", rep.req("id"));
            seen.insert(rep.req("id").to_owned(), kid.clone());
            // And each decrypts with its own key (independent tool).
            if mdrm_testkit::ffmpeg8().is_some() {
                let src = match h {
                    360 => &inputs[0],
                    540 => &inputs[1],
                    720 => &inputs[2],
                    _ => &inputs[3],
                };
                let (ok, log) = verify_cenc(src, &out.join(rep.req("id")), &kid, &by_kid[&kid].0);
                assert!(ok, "{}: {log}", rep.req("id"));
            }
        }
    }
    assert_eq!(seen.len(), 4);
    // The audio set's KID is not the video's (other packagers write the video KID there).
    let audio_kid = seen
        .iter()
        .find(|(id, _)| id.starts_with("audio"))
        .unwrap()
        .1;
    assert!(
        seen.iter()
            .filter(|(id, _)| id.starts_with("video"))
            .all(|(_, k)| k != audio_kid)
    );
    // Same content id, same keystore: the same keys again.
    let again = tmp.path().join("again");
    pack(&again, true);
    let again_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.join("keys.json")).unwrap()).unwrap();
    assert_eq!(again_json, keys_json);

    // Without --multi-key: one key for every set.
    let single = tmp.path().join("single");
    pack(&single, false);
    let root = mpd(&single);
    let kids: BTreeSet<String> = root
        .one("Period")
        .all("AdaptationSet")
        .map(default_kid)
        .collect();
    assert_eq!(kids.len(), 1, "{kids:?}");
}

#[test]
fn browser_plays_a_multi_key_package_with_all_its_keys() {
    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    if mdrm_testkit::browser_play().is_none() {
        return;
    }
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("multi");
    let mut cmd = bin();
    cmd.arg("-i")
        .args(["ladder_360p", "ladder_720p", "ladder_audio"].map(|n| g.join(format!("{n}.mp4"))))
        .arg("-o")
        .arg(&out);
    cmd.args([
        "--contents-id",
        "multi-key-play",
        "--multi-key",
        "--write-clearkey-json",
        "-q",
    ]);
    cmd.arg("--keystore").arg(tmp.path().join("k.db"));
    let r = run(&mut cmd);
    assert!(r.ok, "{}\n{}", r.stdout, r.stderr);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("keys.json")).unwrap()).unwrap();
    let pairs = key_pairs(&json, |_| true);
    let (ok, report) = play("shaka", &out, "manifest.mpd", &pairs);
    assert!(ok, "{report}");
    assert!(report["checks"]["framesDecoded"] == true, "{report}");
    // With only the audio key the video cannot be decrypted: playback must fail.
    let audio_only = key_pairs(&json, |k| k["track_type"] == "AUDIO");
    let (ok, report) = play("shaka", &out, "manifest.mpd", &audio_only);
    assert!(!ok, "played video without its keys: {report}");
}

#[test]
fn ttml_tracks_are_packaged_only_with_subtitles_and_stay_clear() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg8() else {
        return;
    };
    let Some(g) = mdrm_testkit::generated_media() else {
        return;
    };
    let tmp = mdrm_testkit::temp_dir();
    // An MP4 with a TTML (stpp) track, written by ffmpeg's own muxer.
    let with_ttml = tmp.path().join("with_ttml.mp4");
    let st = std::process::Command::new(ffmpeg)
        .args(["-y", "-v", "error", "-i"])
        .arg(source())
        .arg("-i")
        .arg(g.join("subs_en.vtt"))
        .args([
            "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy", "-c:s", "ttml",
        ])
        .args(["-metadata:s:s:0", "language=eng", "-time_base:s", "1:1000"])
        .arg(&with_ttml)
        .status()
        .unwrap();
    assert!(st.success());

    let out = tmp.path().join("subs");
    package(std::slice::from_ref(&with_ttml), &out, &["--subtitles"]);
    let root = mpd(&out);
    check_structure(&out, &root, source_duration(&source()));
    let text: Vec<&Element> = root
        .one("Period")
        .all("AdaptationSet")
        .filter(|s| s.req("contentType") == "text")
        .collect();
    assert_eq!(text.len(), 1);
    assert_eq!(text[0].req("mimeType"), "application/mp4");
    let rep = text[0].one("Representation");
    assert!(
        rep.req("codecs").starts_with("stpp"),
        "{}",
        rep.req("codecs")
    );
    assert!(
        text[0].all("ContentProtection").next().is_none(),
        "subtitles stay clear"
    );
    // The TTML document survives byte for byte.
    let dir = out.join(rep.req("id"));
    let mut bytes = std::fs::read(dir.join("init.mp4")).unwrap();
    bytes.extend(std::fs::read(dir.join("1.m4s")).unwrap());
    let mut ours = Mp4Reader::open(Cursor::new(bytes)).unwrap();
    let mut src = Mp4Reader::open(std::fs::File::open(&with_ttml).unwrap()).unwrap();
    let sid = src.tracks().iter().find(|t| t.is_subtitle()).unwrap().id;
    let oid = ours.tracks()[0].id;
    let (a, b) = (read_all(&mut ours, oid), read_all(&mut src, sid));
    assert_eq!(a, b);
    assert!(
        String::from_utf8_lossy(&a).contains("<tt"),
        "a TTML document"
    );

    // Without --subtitles the track is left out.
    let out = tmp.path().join("nosubs");
    package(&[with_ttml], &out, &[]);
    let root = mpd(&out);
    assert!(
        root.one("Period")
            .all("AdaptationSet")
            .all(|s| s.req("contentType") != "text")
    );
}

/// `KID:KEY` hex pairs of the keys.json entries that `keep` selects.
fn key_pairs(json: &serde_json::Value, keep: impl Fn(&serde_json::Value) -> bool) -> Vec<String> {
    json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| keep(k))
        .map(|k| {
            format!(
                "{}:{}",
                k["kid_hex"].as_str().unwrap(),
                k["key_hex"].as_str().unwrap()
            )
        })
        .collect()
}

fn read_all<R: std::io::Read + std::io::Seek>(r: &mut Mp4Reader<R>, id: u32) -> Vec<u8> {
    let samples: Vec<_> = r.samples(id).unwrap().map(Result::unwrap).collect();
    let mut buf = Vec::new();
    r.read_samples(&samples, &mut buf).unwrap();
    buf
}

#[test]
fn keys_json_is_written_only_on_request() {
    let tmp = mdrm_testkit::temp_dir();
    let out = tmp.path().join("a");
    let mut cmd = bin();
    cmd.arg("-i").arg(source()).arg("-o").arg(&out);
    cmd.args(["--contents-id", "kj", "-q"])
        .arg("--keystore")
        .arg(tmp.path().join("k.db"));
    let r = run(&mut cmd);
    assert!(r.ok, "{}", r.stderr);
    assert!(!out.join("keys.json").exists());
}
