//! Every result code mdrm-dash can reach, through the real binary: the result document on
//! stdout each time, and what a failure leaves behind (nothing at `-o`, no staging folder).
//! Also: `--overwrite` and atomic replacement, inputs never modified, secrets never printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// `job_args(source(), out)` with `replace` applied: `Some(v)` sets (or adds) a flag, `None`
/// removes it.
fn args_with(out: &Path, replace: &[(&str, Option<&str>)]) -> Vec<String> {
    let base = job_args(&source(), out);
    let mut pairs: Vec<(String, Option<String>)> = base
        .chunks(2)
        .map(|p| (p[0].clone(), Some(p[1].clone())))
        .collect();
    for (flag, value) in replace {
        match pairs.iter_mut().find(|(f, _)| f == flag) {
            Some(p) => p.1 = value.map(str::to_owned),
            None => pairs.push((flag.to_string(), value.map(str::to_owned))),
        }
    }
    pairs
        .into_iter()
        .flat_map(|(f, v)| v.map(|v| [f, v]))
        .flatten()
        .collect()
}

/// Asserts that a failed run left nothing at `out` and no staging entry in `parent`.
fn assert_nothing_left(out: &Path, parent: &Path) {
    assert!(!out.exists(), "a failed run left {}", out.display());
    let left = entries(parent);
    assert!(
        left.iter()
            .all(|e| !e.contains(".partial") && !e.starts_with(".mdrm")),
        "staging entries left in {}: {left:?}",
        parent.display()
    );
}

/// Runs with `replace` applied and `flags` appended, output `dir/out`; after a failure checks
/// that nothing was left behind.
fn run_with(dir: &Path, replace: &[(&str, Option<&str>)], flags: &[&str]) -> Run {
    let out = dir.join("out");
    let mut args = args_with(&out, replace);
    args.extend(flags.iter().map(|f| f.to_string()));
    let existed = out.exists();
    let run = run_in(dir, args);
    if run.code != 0 && !existed {
        assert_nothing_left(&out, dir);
    }
    run
}

#[test]
fn success_prints_exactly_the_documented_document_xml_or_json() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    run_with(d, &[], &[]).expect(0);
    assert!(d.join("out/manifest.mpd").is_file());
    assert_eq!(entries(d), ["out"], "no staging folder after success");
    let json = run_with(d, &[], &["--overwrite", "--json"]);
    assert!(json.ok);
    assert_eq!(json.stdout, "{\"RESULT\":0}\n");
    let failed = run_with(d, &[("--contents-id", Some(""))], &["--json"]);
    assert!(!failed.ok);
    let doc: serde_json::Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(doc["RESULT"], 1102);
    assert_eq!(doc["ERRORMSG"], "an argument has an invalid value");
    assert!(doc["INFO"].as_str().unwrap().starts_with("--contents-id"));
    assert_eq!(doc["WHERE"], "packager::args::CommonArgs::validate");
    assert!(
        failed.stderr.contains("\"RESULT\":1102"),
        "{}",
        failed.stderr
    );
}

#[test]
fn no_arguments_is_1101() {
    let dir = mdrm_testkit::temp_dir();
    let run = run_in(dir.path(), Vec::<String>::new());
    run.expect(1101);
    assert_eq!(
        run.element("WHERE").as_deref(),
        Some("packager::cli::parse")
    );
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn invalid_values_are_1102_naming_the_flag() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let long_cid = "c".repeat(201);
    let key32 = keys::to_base64(&[1u8; 32]);
    let key8 = keys::to_base64(&[1u8; 8]);
    let kid15 = keys::to_base64(&[2u8; 15]);
    let dir_input = d.join("a-folder");
    std::fs::create_dir(&dir_input).unwrap();
    let not_vtt = format!("[+format=webvtt,+language=de]{}", source().display());
    let bad_lang = format!("[+format=webvtt,+language=d e]{}", source().display());
    let bad_json = d.join("bad.json");
    std::fs::write(&bad_json, "{\"site-id\": ").unwrap();
    let unknown_setting = d.join("unknown.json");
    std::fs::write(&unknown_setting, r#"{"no-such-flag": "1"}"#).unwrap();
    let bad_xml = d.join("bad.xml");
    std::fs::write(&bad_xml, "<settings><site-id>ABCD</site-id></settings>").unwrap();
    let ks = d.join("ks.sqlite");
    let ks = ks.to_str().unwrap();
    type Case<'a> = (Vec<(&'a str, Option<&'a str>)>, Vec<&'a str>, &'a str);
    let no_key: Vec<(&str, Option<&str>)> = vec![("--encryption-key", None), ("--key-id", None)];
    let with_no_key = |mut extra: Vec<(&'static str, Option<&'static str>)>| {
        let mut v = no_key.clone();
        v.append(&mut extra);
        v
    };
    let cases: Vec<Case<'_>> = vec![
        // --site-id: exactly 4 bytes.
        (vec![("--site-id", Some("ABC"))], vec![], "--site-id"),
        (vec![("--site-id", Some("ABCDE"))], vec![], "--site-id"),
        (vec![("--site-id", Some("AB\tC"))], vec![], "--site-id"),
        // --contents-id: 1 to 200 bytes, required.
        (vec![("--contents-id", Some(""))], vec![], "--contents-id"),
        (
            vec![("--contents-id", Some(&long_cid))],
            vec![],
            "--contents-id",
        ),
        (vec![("--contents-id", None)], vec![], "--contents-id"),
        // Keys: base64, 16 bytes each, together.
        (
            vec![("--encryption-key", Some("%%%not-base64"))],
            vec![],
            "--encryption-key",
        ),
        (
            vec![("--encryption-key", Some(&key32))],
            vec![],
            "--encryption-key",
        ),
        (
            vec![("--encryption-key", Some(&key8))],
            vec![],
            "--encryption-key",
        ),
        (vec![("--key-id", Some("AAAA"))], vec![], "--key-id"),
        (vec![("--key-id", Some(&kid15))], vec![], "--key-id"),
        (vec![("--key-id", Some("!!!"))], vec![], "--key-id"),
        (vec![("--key-id", None)], vec![], "--key-id"),
        (
            vec![("--encryption-key", None), ("--keystore", Some(ks))],
            vec![],
            "--key-id",
        ),
        (
            vec![("--access-key", Some("no base64!"))],
            vec![],
            "--access-key",
        ),
        // Key server combinations.
        (
            vec![("--kms-url", Some("http://127.0.0.1:9/"))],
            vec![],
            "--kms-url",
        ),
        (
            with_no_key(vec![
                ("--site-id", Some("TEST")),
                ("--kms-url", Some("http://127.0.0.1:9/")),
            ]),
            vec![],
            "--access-key",
        ),
        (
            with_no_key(vec![
                ("--access-key", Some("YWNjZXNz")),
                ("--kms-url", Some("http://127.0.0.1:9/")),
            ]),
            vec![],
            "--site-id",
        ),
        (
            with_no_key(vec![
                ("--site-id", Some("TEST")),
                ("--access-key", Some("YWNjZXNz")),
                ("--kms-url", Some("kms.example/cpix")),
            ]),
            vec![],
            "--kms-url",
        ),
        // URLs.
        (
            vec![("--license-url", Some("license.example"))],
            vec![],
            "--license-url",
        ),
        (
            vec![("--license-url", Some("https://"))],
            vec![],
            "--license-url",
        ),
        (
            vec![("--cid-callback-url", Some("ftp://x"))],
            vec![],
            "--cid-callback-url",
        ),
        // DASH options.
        (
            vec![("--protection-scheme", Some("cbc1"))],
            vec![],
            "--protection-scheme",
        ),
        (
            vec![("--protection-scheme", Some("aes"))],
            vec![],
            "--protection-scheme",
        ),
        (
            vec![("--segment-duration", Some("0"))],
            vec![],
            "--segment-duration",
        ),
        (
            vec![("--segment-duration", Some("-2"))],
            vec![],
            "--segment-duration",
        ),
        (
            vec![("--segment-duration", Some("six"))],
            vec![],
            "--segment-duration",
        ),
        (
            vec![("--segment-duration", Some("7200"))],
            vec![],
            "--segment-duration",
        ),
        // Files given as settings.
        (
            vec![("--log-file", Some("/nonexistent/dir/log.txt"))],
            vec![],
            "--log-file",
        ),
        (
            vec![("--config-file", Some("/nonexistent/c.json"))],
            vec![],
            "--config-file",
        ),
        (
            vec![("--config-file", Some(bad_json.to_str().unwrap()))],
            vec![],
            "--config-file",
        ),
        (
            vec![("--config-file", Some(unknown_setting.to_str().unwrap()))],
            vec![],
            "--config-file",
        ),
        (
            vec![("--config-file", Some(bad_xml.to_str().unwrap()))],
            vec![],
            "--config-file",
        ),
        // Unknown flags and inputs that are no media file.
        (vec![("--bogus", Some("1"))], vec![], "--bogus"),
        (vec![("-i", None)], vec![], "-i"),
        (
            vec![("-i", Some(dir_input.to_str().unwrap()))],
            vec![],
            "-i",
        ),
        (vec![("-i", Some(&not_vtt))], vec![], "-i"),
        (vec![("-i", Some(&bad_lang))], vec![], "-i"),
    ];
    for (replace, flags, flag) in cases {
        let run = run_with(d, &replace, &flags);
        assert_eq!(run.code, 1102, "{replace:?}: {}", run.stdout);
        run.expect(1102);
        let info = run.info();
        assert!(
            info.starts_with(flag),
            "{replace:?}: INFO {info:?} should name {flag}"
        );
        assert!(!info.contains(&b64(KEY)), "INFO leaks the key: {info}");
    }
}

#[test]
fn a_late_failure_leaves_nothing_either() {
    // The WebVTT side-loaded file is checked after every representation was written: the
    // staging folder with all its segments must go.
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let bad_vtt = d.join("bad.vtt");
    std::fs::write(&bad_vtt, "not a subtitle file\n").unwrap();
    let out = d.join("nested/deeper/out");
    let mut args = job_args(&source(), &out);
    args.extend([
        "-i".into(),
        format!("[+format=webvtt]{}", bad_vtt.display()),
    ]);
    let run = run_in(d, args);
    run.expect(1102);
    assert!(run.info().contains("WebVTT"), "{}", run.info());
    assert_eq!(
        entries(d),
        ["bad.vtt"],
        "no output, no staging, no created parents"
    );
}

#[test]
fn non_mp4_and_damaged_media_are_1102_naming_the_file() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let good = std::fs::read(source()).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.mp4", Vec::new()),
        (
            "text.mp4",
            b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n".to_vec(),
        ),
        (
            "random.mp4",
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("head-only.mp4", good[..1000].to_vec()),
        ("half.mp4", good[..good.len() / 2].to_vec()),
        ("tail-cut.mp4", good[..good.len() - 4096].to_vec()),
    ];
    for (name, bytes) in cases {
        let input = d.join(name);
        std::fs::write(&input, &bytes).unwrap();
        let out = d.join("out");
        let run = run_in(d, job_args(&input, &out));
        assert_eq!(run.code, 1102, "{name}: {}", run.stdout);
        run.expect(1102);
        assert!(
            run.info().contains(name),
            "{name}: INFO should name the file: {}",
            run.info()
        );
        assert_nothing_left(&out, d);
        assert_eq!(std::fs::read(&input).unwrap(), bytes, "input unchanged");
        std::fs::remove_file(&input).unwrap();
    }
}

#[test]
fn unsupported_codec_is_1102_naming_track_and_codec() {
    let Some(ffmpeg) = mdrm_testkit::ffmpeg() else {
        return;
    };
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let input = d.join("mpeg4.mp4");
    let made = Command::new(ffmpeg)
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=d=2:s=160x120:r=25",
        ])
        .args(["-c:v", "mpeg4"])
        .arg(&input)
        .status()
        .unwrap();
    assert!(made.success());
    let out = d.join("out");
    let run = run_in(d, job_args(&input, &out));
    run.expect(1102);
    assert!(
        run.info().contains("mpeg4.mp4 track 1") && run.info().contains("not supported"),
        "{}",
        run.info()
    );
    assert_nothing_left(&out, d);
}

#[test]
fn input_without_a_file_size_is_1207() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    run_with(d, &[("-i", Some("/dev/null"))], &[]).expect(1207);
    let fifo = d.join("pipe.mp4");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let run = run_with(d, &[("-i", Some(fifo.to_str().unwrap()))], &[]);
        run.expect(1207);
        assert!(run.info().contains("pipe.mp4"), "{}", run.info());
    }
}

#[test]
fn a_failure_without_o_leaves_nothing_in_the_current_folder() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let input = d.join("movie.mp4");
    std::fs::copy(source(), &input).unwrap();
    let mut args = args_with(Path::new("unused"), &[("-o", None)]);
    args.retain(|a| a != source().to_str().unwrap());
    args.retain(|a| a != "-i");
    args.extend(["-i".into(), "movie.mp4".into()]);
    let mut failing = args.clone();
    failing.extend(["-i".into(), "[+format=webvtt]/nonexistent.vtt".into()]);
    run_in(d, failing).expect(1201);
    assert_eq!(entries(d), ["movie.mp4"]);
    // The same without the failure: the package is a folder named after the input.
    run_in(d, args).expect(0);
    assert_eq!(entries(d), ["movie", "movie.mp4"]);
    assert!(d.join("movie/manifest.mpd").is_file());
}

#[test]
fn missing_values_and_wrong_counts_are_1103() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let run = run_in(d, ["-i", "a.mp4", "--contents-id"]);
    run.expect(1103);
    assert!(run.info().starts_with("--contents-id"), "{}", run.info());
    let run = run_in(d, ["--site-id", "--contents-id", "x", "-i", "a.mp4"]);
    run.expect(1103);
    assert!(run.info().starts_with("--site-id"), "{}", run.info());
    let run = run_with(d, &[], &["-o"]);
    run.expect(1103);
    assert!(run.info().starts_with("--output"), "{}", run.info());
    let run = run_with(d, &[], &["--overwrite=yes"]);
    run.expect(1103);
    assert!(run.info().starts_with("--overwrite"), "{}", run.info());
    // A config file giving two values for a one-value flag.
    let cfg = d.join("two.json");
    std::fs::write(&cfg, r#"{"segment-duration": ["2", "4"]}"#).unwrap();
    let run = run_with(d, &[("--config-file", Some(cfg.to_str().unwrap()))], &[]);
    run.expect(1103);
    assert!(
        run.info().starts_with("--segment-duration"),
        "{}",
        run.info()
    );
    assert_eq!(entries(d), ["two.json"]);
}

#[test]
fn missing_input_is_1201() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let run = run_with(d, &[("-i", Some("/nonexistent/movie.mp4"))], &[]);
    run.expect(1201);
    assert!(run.info().contains("/nonexistent/movie.mp4"));
    // The second input of a ladder.
    let run = run_with(d, &[], &["-i", "/nonexistent/audio.mp4"]);
    run.expect(1201);
    assert!(run.info().contains("/nonexistent/audio.mp4"));
    // A missing side-loaded subtitle file, noticed after the media was written.
    let run = run_with(d, &[], &["-i", "[+format=webvtt]/nonexistent/de.vtt"]);
    run.expect(1201);
    assert!(run.info().contains("/nonexistent/de.vtt"));
}

#[test]
fn unreadable_input_is_1202() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    // A path through a regular file (ENOTDIR): not accessible, whoever runs the test.
    let file = d.join("plain.txt");
    std::fs::write(&file, b"x").unwrap();
    let through = file.join("movie.mp4");
    let run = run_with(d, &[("-i", Some(through.to_str().unwrap()))], &[]);
    run.expect(1202);
    assert!(run.info().contains("plain.txt/movie.mp4"), "{}", run.info());

    // A file without read permission.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let input = d.join("secret.mp4");
    std::fs::copy(source(), &input).unwrap();
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out_parent = mdrm_testkit::temp_dir();
    std::fs::set_permissions(out_parent.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = out_parent.path().join("out");
    let mut cmd;
    if is_root() {
        // Root reads any file: run as nobody instead.
        let Some(setpriv) = mdrm_testkit::tool("setpriv", None) else {
            return skip("setpriv (util-linux) is needed to run as nobody");
        };
        cmd = Command::new(setpriv);
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_mdrm-dash"));
    } else {
        cmd = bin();
    }
    cmd.args(job_args(&input, &out)).current_dir("/");
    let run = common::run(&mut cmd);
    run.expect(1202);
    assert!(run.info().contains("secret.mp4"), "{}", run.info());
    assert_nothing_left(&out, out_parent.path());
}

#[test]
fn over_long_output_paths_are_1203_and_1204() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let deep: PathBuf = std::iter::once(d.to_path_buf())
        .chain(std::iter::repeat_n(PathBuf::from("d".repeat(200)), 21))
        .collect::<PathBuf>()
        .join("out");
    let run = run_with(d, &[("-o", Some(deep.to_str().unwrap()))], &[]);
    run.expect(1203);
    let long_name = d.join("n".repeat(300));
    run_with(d, &[("-o", Some(long_name.to_str().unwrap()))], &[]).expect(1204);
    let long_folder = d.join("f".repeat(256)).join("out");
    run_with(d, &[("-o", Some(long_folder.to_str().unwrap()))], &[]).expect(1204);
    assert!(entries(d).is_empty(), "{:?}", entries(d));
}

#[test]
fn full_disk_is_1205_and_leaves_nothing() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    // A file-size limit (SIGXFSZ ignored, so writes fail with EFBIG): works for any user.
    let out = d.join("limited/out");
    let script = "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\"";
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_mdrm-dash"))
        .args(job_args(&source(), &out))
        .current_dir(d);
    let run = common::run(&mut cmd);
    run.expect(1205);
    // INFO names the file under the output path asked for, not the temporary name.
    assert!(run.info().contains("limited/out/"), "{}", run.info());
    assert!(!run.info().contains(".partial"), "{}", run.info());
    assert_eq!(entries(d), Vec::<String>::new(), "nothing left");

    // A really full file system: a small tmpfs (needs root).
    let Some(fs) = SmallTmpfs::mount(d.join("small"), "256k") else {
        eprintln!("SKIPPED: the tmpfs case (cannot mount here); 1205 was shown above");
        return;
    };
    let out = fs.0.join("out");
    let run = run_in(d, job_args(&source(), &out));
    run.expect(1205);
    assert!(entries(&fs.0).is_empty(), "{:?}", entries(&fs.0));
}

/// Asserts a 1206 failure kept the old package at `out` and left no staging folder.
fn assert_1206_kept_old(run: &Run, out: &Path, parent: &Path) {
    run.expect(1206);
    assert!(run.info().contains(out.to_str().unwrap()), "{}", run.info());
    assert_eq!(entries(out), ["old.txt"]);
    assert_eq!(std::fs::read(out.join("old.txt")).unwrap(), b"old package");
    let left = entries(parent);
    assert!(
        left.iter().all(|e| !e.starts_with(".mdrm")),
        "staging or moved-aside folder left: {left:?}"
    );
}

#[test]
fn failed_final_rename_is_1206_and_keeps_the_old_package() {
    if !is_root() {
        return skip("1206 needs root here (a mount point, or a folder of another user)");
    }
    // 1. -o is a mount point: the old package cannot be moved aside (EBUSY).
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    match SmallTmpfs::mount(d.join("out"), "1m") {
        Some(fs) => {
            std::fs::write(fs.0.join("old.txt"), b"old package").unwrap();
            let mut args = job_args(&source(), &fs.0);
            args.push("--overwrite".into());
            assert_1206_kept_old(&run_in(d, args), &fs.0, d);
        }
        None => eprintln!("SKIPPED: the mount-point case (cannot mount a tmpfs here)"),
    }

    // 2. -o belongs to root in a sticky, world-writable folder (like /tmp) and nobody
    //    packages: the staging folder can be made, the old package cannot be moved (EPERM).
    let Some(setpriv) = mdrm_testkit::tool("setpriv", None) else {
        return skip("setpriv (util-linux) is needed to run as nobody");
    };
    use std::os::unix::fs::PermissionsExt;
    let sticky = mdrm_testkit::temp_dir();
    let p = sticky.path();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out = p.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.txt"), b"old package").unwrap();
    let input = p.join("movie.mp4");
    std::fs::copy(source(), &input).unwrap();
    let mut cmd = Command::new(setpriv);
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_mdrm-dash"))
        .args(job_args(&input, &out))
        .arg("--overwrite")
        .current_dir("/");
    assert_1206_kept_old(&common::run(&mut cmd), &out, p);
    assert_eq!(entries(p), ["movie.mp4", "out"]);
}

#[test]
fn unreachable_key_server_is_2001() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let port = mdrm_testkit::free_port();
    let access = "c2VjcmV0LWFjY2Vzcy0yMDAx";
    let kms = format!("http://127.0.0.1:{port}/v2/cpix/pallycon/getKey/");
    let run = run_with(
        d,
        &[
            ("--encryption-key", None),
            ("--key-id", None),
            ("--site-id", Some("TEST")),
            ("--access-key", Some(access)),
            ("--kms-url", Some(&kms)),
        ],
        &[],
    );
    run.expect(2001);
    assert!(
        run.info().contains(&format!("127.0.0.1:{port}")),
        "INFO names the server: {}",
        run.info()
    );
    assert!(!run.stdout.contains(access) && !run.stderr.contains(access));
}

#[test]
fn key_server_errors_are_2002_and_its_keys_work() {
    let access = "RGFzaEVycm9yc0FjY2Vzc0tleQ==";
    let Some(server) = KeyServer::start("DASH", access) else {
        return skip("the mdrm-server binary could not be built");
    };
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let kms = server.url();
    let log = d.join("kms.log");
    let go = |site: &str, key: &str, flags: &[&str]| {
        let replace = [
            ("--encryption-key", None),
            ("--key-id", None),
            ("--site-id", Some(site)),
            ("--access-key", Some(key)),
            ("--kms-url", Some(kms.as_str())),
            ("--log-file", Some(log.to_str().unwrap())),
        ];
        run_with(d, &replace, flags)
    };
    // A wrong access key and an unknown site: the server answers 401.
    let wrong_key = "V3JvbmdBY2Nlc3NLZXkwMTIz";
    for (site, key) in [("DASH", wrong_key), ("NOPE", access)] {
        let run = go(site, key, &[]);
        run.expect(2002);
        assert!(
            run.info().contains("401") && run.info().contains("AUTH_FAILED"),
            "INFO carries the server's code: {}",
            run.info()
        );
        for secret in [access, wrong_key] {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
        }
    }
    // The right credentials: packaged with the server's key (so the failures above were the
    // server's answers, not a broken set-up).
    let run = go("DASH", access, &["-v"]);
    run.expect(0);
    assert!(d.join("out/manifest.mpd").is_file());
    assert!(!run.stderr.contains(access));
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(log_text.matches("DASH Packaging start").count(), 3);
    assert!(!log_text.contains(access) && !log_text.contains(wrong_key));
    drop(server);
}

#[test]
fn key_server_answers_that_are_no_keys_are_2002_2004_2005() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let cases: [(u16, &str, &'static str, i32, &str); 3] = [
        (
            500,
            "application/json",
            r#"{"error_code":"INTERNAL","error_message":"database down"}"#,
            2002,
            "database down",
        ),
        (
            200,
            "application/xml",
            "<?xml version=\"1.0\"?>\n<cpix:CPIX xmlns:cpix=\"urn:dashif:org:cpix\" \
             xmlns:pskc=\"urn:ietf:params:xml:ns:keyprov:pskc\" id=\"c\">\
             <cpix:ContentKeyList/></cpix:CPIX>\n",
            2004,
            "no content key",
        ),
        (
            200,
            "text/plain",
            "this is not CPIX",
            2005,
            "malformed CPIX",
        ),
    ];
    for (status, content_type, body, code, says) in cases {
        let server = ScriptedServer::start(status, content_type, body);
        let url = server.url();
        let run = run_with(
            d,
            &[
                ("--encryption-key", None),
                ("--key-id", None),
                ("--site-id", Some("TEST")),
                ("--access-key", Some("c2NyaXB0ZWQtYWNjZXNz")),
                ("--kms-url", Some(&url)),
            ],
            &[],
        );
        run.expect(code);
        assert!(run.info().contains(says), "{code}: {}", run.info());
        assert!(!run.stdout.contains("c2NyaXB0ZWQtYWNjZXNz"));
        assert!(!run.stderr.contains("c2NyaXB0ZWQtYWNjZXNz"));
    }
}

#[test]
fn existing_output_is_refused_without_overwrite_and_replaced_fully_with_it() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let out = d.join("out");
    // An empty existing folder is fine without --overwrite.
    std::fs::create_dir(&out).unwrap();
    run_in(d, job_args(&source(), &out)).expect(0);
    // Make the old package distinguishable: a stale file and a stale representation.
    std::fs::write(out.join("stale.txt"), b"from an older run").unwrap();
    std::fs::create_dir(out.join("video_9999")).unwrap();
    std::fs::write(out.join("video_9999/init.mp4"), b"old").unwrap();
    let before = tree(&out);

    let run = run_in(d, job_args(&source(), &out));
    run.expect(1102);
    assert!(run.info().contains("--overwrite"), "{}", run.info());
    assert_eq!(tree(&out), before, "the refused run changed nothing");

    // A failing run with --overwrite keeps the old package as it was.
    let bad_vtt = d.join("bad.vtt");
    std::fs::write(&bad_vtt, "nope").unwrap();
    let mut failing = job_args(&source(), &out);
    failing.extend([
        "--overwrite".into(),
        "-i".into(),
        format!("[+format=webvtt]{}", bad_vtt.display()),
    ]);
    run_in(d, failing).expect(1102);
    assert_eq!(
        tree(&out),
        before,
        "a failed --overwrite run changed nothing"
    );

    // --overwrite replaces it fully: exactly what a fresh run writes.
    let mut args = job_args(&source(), &out);
    args.push("--overwrite".into());
    run_in(d, args).expect(0);
    let fresh = d.join("fresh");
    run_in(d, job_args(&source(), &fresh)).expect(0);
    let names = |t: Vec<(String, Vec<u8>)>| t.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(names(tree(&out)), names(tree(&fresh)));
    assert!(!out.join("stale.txt").exists() && !out.join("video_9999").exists());
    assert_eq!(
        std::fs::read(out.join("manifest.mpd")).unwrap(),
        std::fs::read(fresh.join("manifest.mpd")).unwrap()
    );
    let mut left = entries(d);
    left.retain(|e| e != "bad.vtt");
    assert_eq!(left, ["fresh", "out"], "no staging or moved-aside folder");
    // An existing non-empty file at -o is refused too.
    let file = d.join("a-file");
    std::fs::write(&file, b"precious").unwrap();
    run_in(d, job_args(&source(), &file)).expect(1102);
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
}

#[test]
fn an_output_that_holds_an_input_is_refused_even_with_overwrite() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let media = d.join("media");
    std::fs::create_dir(&media).unwrap();
    let input = media.join("movie.mp4");
    std::fs::copy(source(), &input).unwrap();
    let original = std::fs::read(&input).unwrap();
    for out in [media.clone(), input.clone(), d.to_path_buf()] {
        let mut args = job_args(&input, &out);
        args.push("--overwrite".into());
        let run = run_in(d, args);
        run.expect(1102);
        assert!(run.info().starts_with("-o"), "{}", run.info());
        assert_eq!(std::fs::read(&input).unwrap(), original, "input kept");
    }
    assert_eq!(entries(d), ["media"]);
    assert_eq!(entries(&media), ["movie.mp4"]);
}

#[test]
fn inputs_are_never_modified() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let input = d.join("movie.mp4");
    std::fs::copy(source(), &input).unwrap();
    let vtt = d.join("de.vtt");
    std::fs::write(&vtt, "WEBVTT\n\n00:00.000 --> 00:02.000\nHallo\n").unwrap();
    let fingerprint = |p: &Path| {
        let m = std::fs::metadata(p).unwrap();
        (std::fs::read(p).unwrap(), m.modified().unwrap(), m.len())
    };
    let (before_mp4, before_vtt) = (fingerprint(&input), fingerprint(&vtt));
    let vtt_arg = format!("[+format=webvtt,+language=de]{}", vtt.display());
    for scheme in ["cenc", "cbcs"] {
        let mut args = job_args(&input, &d.join(format!("out-{scheme}")));
        args.extend(["--protection-scheme".into(), scheme.into()]);
        args.extend(["-i".into(), vtt_arg.clone()]);
        run_in(d, args).expect(0);
    }
    // And a failed run.
    let mut args = job_args(&input, &d.join("failed"));
    args.extend(["-i".into(), "/nonexistent.mp4".into()]);
    run_in(d, args).expect(1201);
    assert!(fingerprint(&input) == before_mp4, "the MP4 input changed");
    assert!(fingerprint(&vtt) == before_vtt, "the WebVTT input changed");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        std::fs::read(source()).unwrap()
    );
}

#[test]
fn secrets_never_reach_stdout_stderr_or_the_log_file() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let log = d.join("dash.log");
    let access = "c2VjcmV0LWFjY2Vzcy1rZXktdmFsdWU=";
    let key_hex = KEY.to_ascii_lowercase();
    let secrets = [
        b64(KEY),
        key_hex.clone(),
        key_hex.to_ascii_uppercase(),
        access.to_string(),
    ];
    let log_arg = log.to_str().unwrap();
    let runs = [
        // Success, verbose, with keys.json written (the keys belong in that file only).
        run_with(
            d,
            &[
                ("--access-key", Some(access)),
                ("--log-file", Some(log_arg)),
            ],
            &["-v", "--write-clearkey-json"],
        ),
        // Failures before and after the key is used.
        run_with(
            d,
            &[
                ("--access-key", Some(access)),
                ("--site-id", Some("BAD")),
                ("--log-file", Some(log_arg)),
            ],
            &["-v"],
        ),
        run_with(
            d,
            &[
                ("--access-key", Some(access)),
                ("--log-file", Some(log_arg)),
            ],
            &[
                "-v",
                "--overwrite",
                "-i",
                "[+format=webvtt]/nonexistent.vtt",
            ],
        ),
        run_with(
            d,
            &[
                ("--access-key", Some(access)),
                ("--log-file", Some(log_arg)),
                ("--segment-duration", Some("abc")),
            ],
            &["--json"],
        ),
    ];
    assert_eq!(
        runs[..3].iter().map(|r| r.code).collect::<Vec<_>>(),
        [0, 1102, 1201]
    );
    let json: serde_json::Value = serde_json::from_str(&runs[3].stdout).unwrap();
    assert_eq!(json["RESULT"], 1102);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(log_text.matches("DASH Packaging start").count(), 4);
    for r in &runs {
        for s in &secrets {
            assert!(!r.stdout.contains(s.as_str()), "stdout leaks {s}");
            assert!(!r.stderr.contains(s.as_str()), "stderr leaks {s}");
        }
    }
    for s in &secrets {
        assert!(!log_text.contains(s.as_str()), "log file leaks {s}");
    }
    // The package's keys.json does hold the key (so the check above could fail).
    let keys_json = std::fs::read_to_string(d.join("out/keys.json")).unwrap();
    let key_b64url = b64(KEY).replace('+', "-").replace('/', "_");
    assert!(
        keys_json.contains(&key_hex) || keys_json.contains(key_b64url.trim_end_matches('=')),
        "{keys_json}"
    );
}
