//! Every DWM error code the implementation can hit, produced through the real binary at the
//! place that knows the cause (docs/dwm.md lists which test covers which code).

mod common;

use common::{Sandbox, code_of, ffmpeg, have_ffmpeg, json_of, pattern_clip};
use serde_json::json;

fn job(input: &str, output: &str, recipients: &[&str]) -> serde_json::Value {
    json!({"account_id": "acc", "content_id": "film", "input": input, "output": output,
           "recipients": recipients})
}

#[test]
fn command_line_errors_are_401_and_100() {
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["frobnicate"])), 401);
    assert_eq!(code_of(&s.run(&["embed", "job.json", "--bogus"])), 401);
    assert_eq!(code_of(&s.run(&["embed", "job.json", "--crf", "abc"])), 100);
    assert_eq!(code_of(&s.run(&["detect"])), 100);
    assert_eq!(
        code_of(&s.run(&["detect", "x.mp4", "--duration", "0"])),
        100
    );
    assert_eq!(code_of(&s.run(&["detect", "x.mp4", "--start", "1:2"])), 100);
    assert_eq!(code_of(&s.run(&["detect", "--frame", "a.png"])), 100);
    assert!(s.run(&["--help"]).status.success());
}

#[test]
fn job_file_errors() {
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["embed", "missing.json"])), 312);
    std::fs::write(s.path("bad.json"), "{ nope").unwrap();
    assert_eq!(code_of(&s.run(&["embed", "bad.json"])), 301);
    let mut j = job("in.mp4", "out/o.mp4", &["a"]);
    j.as_object_mut().unwrap().remove("account_id");
    s.write_job("j306.json", j);
    assert_eq!(code_of(&s.run(&["embed", "j306.json"])), 306);
    let mut j = job("in.mp4", "out/o.mp4", &["a"]);
    j["content_id"] = json!("");
    s.write_job("j307.json", j);
    assert_eq!(code_of(&s.run(&["embed", "j307.json"])), 307);
    let mut j = job("in.mp4", "out/o.mp4", &["a"]);
    j["input"] = json!(5);
    s.write_job("j308.json", j);
    assert_eq!(code_of(&s.run(&["embed", "j308.json"])), 308);
    s.write_job("j309.json", job("in.mp4", "out/o.avi", &["a"]));
    assert_eq!(code_of(&s.run(&["embed", "j309.json"])), 309);
    s.write_job("j310.json", job("in.mp4", "out/o.mp4", &["a", "a"]));
    assert_eq!(code_of(&s.run(&["embed", "j310.json"])), 310);
    let mut j = job("in.mp4", "out/o.mp4", &["a"]);
    j["visible_watermark"] = json!({"type": "image", "image": {"filename": "l.png"}, "alpha": 0});
    s.write_job("j230.json", j);
    assert_eq!(code_of(&s.run(&["embed", "j230.json"])), 230);
}

#[test]
fn credentials_errors() {
    let s = Sandbox::new();
    s.write_job("job.json", job("in.mp4", "o.mp4", &["a"]));
    assert_eq!(code_of(&s.run_with("nope", &["embed", "job.json"])), 302);
    std::fs::write(s.path("c303"), "site_id TEST\n").unwrap();
    assert_eq!(code_of(&s.run_with("c303", &["embed", "job.json"])), 303);
    std::fs::write(
        s.path("c304"),
        "site_id=TOOLONG\nsite_key=0123456789abcdef\naccess_key=dGVzdA==\n",
    )
    .unwrap();
    let out = s.run_with("c304", &["embed", "job.json"]);
    assert_eq!(code_of(&out), 304);
    std::fs::write(
        s.path("c31"),
        "site_id=TEST\nsite_key=0123456789abcdef\naccess_key=dGVzdA==\nkey_file=missing.key\n",
    )
    .unwrap();
    assert_eq!(code_of(&s.run_with("c31", &["embed", "job.json"])), 31);
    // Secrets never reach the output.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("0123456789abcdef"), "{err}");
}

#[test]
fn registry_errors() {
    let s = Sandbox::new();
    let out = s.run(&["--json", "recipients", "add", "alice", "bob"]);
    assert_eq!(code_of(&out), 0);
    let v = json_of(&out);
    assert_eq!(v["recipients"][1]["dwm_id"], 2);
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 314);
    assert_eq!(code_of(&s.run(&["recipients", "add", "a/b"])), 313);
    // Another access key does not own this registry.
    std::fs::write(
        s.path("other"),
        "site_id=TEST\nsite_key=integration-test-site-key\naccess_key=b3RoZXI=\n",
    )
    .unwrap();
    assert_eq!(code_of(&s.run_with("other", &["recipients", "list"])), 30);
    // ID space exhausted.
    let reg = s.path("registry.json");
    let mut db: serde_json::Value = serde_json::from_slice(&std::fs::read(&reg).unwrap()).unwrap();
    db["next_id"] = json!(4_294_967_296u64);
    std::fs::write(&reg, serde_json::to_vec(&db).unwrap()).unwrap();
    assert_eq!(code_of(&s.run(&["recipients", "add", "carol"])), 316);
    std::fs::write(&reg, "{").unwrap();
    assert_eq!(code_of(&s.run(&["recipients", "list"])), 305);
    // A server named in the credentials that nothing answers for (322), one without a DWM
    // registry (326), a bad URL (321). The server-backed registry itself: server_registry.rs.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let with_server = |name: &str, url: &str| {
        std::fs::write(
            s.path(name),
            format!("site_id=TEST\nsite_key=integration-test-site-key\naccess_key=dGVzdA==\nserver={url}\n"),
        )
        .unwrap();
    };
    with_server("srv", &format!("http://127.0.0.1:{closed}"));
    assert_eq!(
        code_of(&s.run_with("srv", &["recipients", "add", "dave"])),
        322
    );
    let no_registry = mdrm_testkit::servers::ScriptedServer::start(404, "text/plain", "not found");
    with_server("srv404", &no_registry.url());
    let out = s.run_with("srv404", &["recipients", "list"]);
    assert_eq!(code_of(&out), 326);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no DWM recipient registry"));
    std::fs::write(
        s.path("srv2"),
        "site_id=TEST\nsite_key=integration-test-site-key\naccess_key=dGVzdA==\nserver=drm.example\n",
    )
    .unwrap();
    assert_eq!(code_of(&s.run_with("srv2", &["recipients", "list"])), 321);
}

#[test]
fn input_and_output_errors() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice", "bob"])), 0);
    s.write_job("j41.json", job("missing.mp4", "o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j41.json"])), 41);
    std::fs::create_dir(s.path("adir")).unwrap();
    s.write_job("j42.json", job("adir", "o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j42.json"])), 42);
    std::fs::write(s.path("text.mp4"), "this is not a video").unwrap();
    s.write_job("j43.json", job("text.mp4", "nowhere/o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j43.json"])), 43);
    s.write_job("j50.json", job("text.mp4", "o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j50.json"])), 50);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=r=48000",
        "-t",
        "1",
        "-c:a",
        "aac",
        s.path("audio.m4a").to_str().unwrap(),
    ]);
    s.write_job("j54.json", job("audio.m4a", "o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j54.json"])), 54);
    pattern_clip(&s.path("mpeg2.mkv"), 1, "320x180", &["-c:v", "mpeg2video"]);
    s.write_job("j220.json", job("mpeg2.mkv", "o.mkv", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j220.json"])), 220);
    pattern_clip(&s.path("tiny.mp4"), 1, "48x48", &["-c:v", "libx264"]);
    s.write_job("j150.json", job("tiny.mp4", "o.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j150.json"])), 150);
    // The input's own name as a recipient's output name: 315.
    pattern_clip(
        &s.path("film_alice_1.mp4"),
        1,
        "320x180",
        &["-c:v", "libx264"],
    );
    s.write_job("j315.json", job("film_alice_1.mp4", "film.mp4", &["alice"]));
    assert_eq!(code_of(&s.run(&["embed", "j315.json"])), 315);
    // A recipient name so long the file name cannot be formed: 40.
    let long = "n".repeat(100);
    assert_eq!(code_of(&s.run(&["recipients", "add", &long])), 0);
    let stem = "s".repeat(150);
    s.write_job(
        "j40.json",
        job("film_alice_1.mp4", &format!("{stem}.mp4"), &[&long]),
    );
    assert_eq!(code_of(&s.run(&["embed", "j40.json"])), 40);
    // H.264 into WebM: the muxer refuses at open (52); nothing is left behind.
    std::fs::create_dir(s.path("webm")).unwrap();
    s.write_job("j52.json", job("film_alice_1.mp4", "webm/o.webm", &["bob"]));
    assert_eq!(code_of(&s.run(&["embed", "j52.json"])), 52);
    assert_eq!(std::fs::read_dir(s.path("webm")).unwrap().count(), 0);
    // A truncated input (index says more frames than can be decoded): 51.
    pattern_clip(
        &s.path("fast.mp4"),
        4,
        "320x180",
        &["-c:v", "libx264", "-movflags", "+faststart", "-an"],
    );
    let bytes = std::fs::read(s.path("fast.mp4")).unwrap();
    std::fs::write(s.path("trunc.mp4"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::create_dir(s.path("t51")).unwrap();
    s.write_job("j51.json", job("trunc.mp4", "t51/o.mp4", &["bob"]));
    assert_eq!(code_of(&s.run(&["embed", "j51.json"])), 51);
    assert_eq!(std::fs::read_dir(s.path("t51")).unwrap().count(), 0);
    // Detection: missing file 41, not media 50, capture not a PNG 50.
    assert_eq!(code_of(&s.run(&["detect", "missing.mp4"])), 41);
    assert_eq!(code_of(&s.run(&["detect", "text.mp4"])), 50);
    assert_eq!(
        code_of(&s.run(&["detect", "--frame", "text.mp4", "--original", "fast.mp4"])),
        50
    );
    assert_eq!(
        code_of(&s.run(&["detect", "--frame", "none.png", "--original", "fast.mp4"])),
        41
    );
    // A DWM ID outside the payload's range: 151.
    assert_eq!(
        code_of(&s.run(&["detect", "fast.mp4", "--expect-id", "0"])),
        151
    );
}

#[test]
fn ffmpeg_missing_is_200_and_ffprobe_missing_is_201() {
    let s = Sandbox::new();
    s.write_job("job.json", job("in.mp4", "o.mp4", &["a"]));
    assert_eq!(
        code_of(&s.run(&["--ffmpeg", "/nonexistent/ffmpeg", "embed", "job.json"])),
        200
    );
    if !have_ffmpeg() {
        return;
    }
    assert_eq!(
        code_of(&s.run(&["--ffprobe", "/nonexistent/ffprobe", "detect", "x.mp4"])),
        201
    );
    // An ffmpeg without libx264 (a wrapper hiding it from -encoders): 200 for H.264 input.
    let real = mdrm_testkit::ffmpeg().unwrap();
    let wrapper = s.path("ffmpeg-no-x264");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$2\" = \"-encoders\" ]; then \"{}\" \"$@\" | grep -v libx264; else exec \"{}\" \"$@\"; fi\n",
            real.display(),
            real.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    assert_eq!(code_of(&s.run(&["recipients", "add", "a"])), 0);
    pattern_clip(&s.path("in.mp4"), 1, "320x180", &["-c:v", "libx264"]);
    let out = s.run(&["--ffmpeg", wrapper.to_str().unwrap(), "embed", "job.json"]);
    assert_eq!(code_of(&out), 200);
    assert!(String::from_utf8_lossy(&out.stderr).contains("libx264"));
}

#[test]
fn visible_watermark_image_errors() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    pattern_clip(&s.path("in.mp4"), 1, "640x360", &["-c:v", "libx264"]);
    let with_image = |name: &str, file: &str| {
        let mut j = job("in.mp4", "o.mp4", &["alice"]);
        j["visible_watermark"] = json!({"type": "image", "image": {"filename": file},
                                        "position": [{"x": 5, "y": 5}]});
        s.write_job(name, j);
    };
    with_image("j231.json", "missing.png");
    assert_eq!(code_of(&s.run(&["embed", "j231.json"])), 231);
    let png = {
        let mut v = vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
        v.extend_from_slice(b"garbage that is not a PNG stream");
        v
    };
    std::fs::write(s.path("bad.png"), png).unwrap();
    with_image("j232.json", "bad.png");
    assert_eq!(code_of(&s.run(&["embed", "j232.json"])), 232);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=red:s=32x32",
        "-frames:v",
        "1",
        s.path("logo.jpg").to_str().unwrap(),
    ]);
    with_image("j233.json", "logo.jpg");
    assert_eq!(code_of(&s.run(&["embed", "j233.json"])), 233);
    // 640x360: 5% is 11520 pixels; 120x100 = 12000 is too large, 2x2 too small.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=red:s=120x100",
        "-frames:v",
        "1",
        s.path("big.png").to_str().unwrap(),
    ]);
    with_image("j234.json", "big.png");
    assert_eq!(code_of(&s.run(&["embed", "j234.json"])), 234);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=red:s=2x2",
        "-frames:v",
        "1",
        s.path("small.png").to_str().unwrap(),
    ]);
    with_image("j234b.json", "small.png");
    assert_eq!(code_of(&s.run(&["embed", "j234b.json"])), 234);
}

#[test]
fn one_failed_recipient_does_not_stop_the_others() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice", "bob"])), 0);
    pattern_clip(&s.path("in.mp4"), 2, "320x180", &["-c:v", "libx264"]);
    std::fs::create_dir(s.path("out")).unwrap();
    // bob's final name is taken by a folder: the rename fails (53); carol is unknown (311).
    std::fs::create_dir(s.path("out/film_bob_2.mp4")).unwrap();
    s.write_job(
        "job.json",
        job("in.mp4", "out/film.mp4", &["alice", "bob", "carol"]),
    );
    let out = s.run(&["--json", "embed", "job.json"]);
    assert_eq!(code_of(&out), 53);
    let v = json_of(&out);
    let r = &v["recipients"];
    assert_eq!(r[0]["code"], 0);
    assert_eq!(r[1]["code"], 53);
    assert_eq!(r[2]["code"], 311);
    assert!(s.path("out/film_alice_1.mp4").is_file());
    let names: Vec<String> = std::fs::read_dir(s.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains(".part")),
        "temporary files left: {names:?}"
    );
    // The job history names alice's output only.
    let jobs = json_of(&s.run(&["--json", "jobs"]));
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(jobs["jobs"][0]["recipient"], "alice");
}

#[test]
fn ctrl_c_stops_with_10_and_leaves_nothing() {
    if !have_ffmpeg() {
        return;
    }
    let s = Sandbox::new();
    assert_eq!(code_of(&s.run(&["recipients", "add", "alice"])), 0);
    pattern_clip(
        &s.path("in.mp4"),
        30,
        "640x360",
        &["-c:v", "libx264", "-preset", "ultrafast"],
    );
    std::fs::create_dir(s.path("out")).unwrap();
    s.write_job("job.json", job("in.mp4", "out/film.mp4", &["alice"]));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mdrm-dwm"))
        .args(["--credentials", s.path("credentials").to_str().unwrap()])
        .args(["--registry", s.path("registry.json").to_str().unwrap()])
        .args(["embed", "job.json", "--preset", "veryslow"])
        .current_dir(s.dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until encoding has started (a temporary output exists), then interrupt.
    let started = std::time::Instant::now();
    while std::fs::read_dir(s.path("out")).unwrap().count() == 0 {
        assert!(started.elapsed().as_secs() < 120, "encoding never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(10));
    assert_eq!(std::fs::read_dir(s.path("out")).unwrap().count(), 0);
}
