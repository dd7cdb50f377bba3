//! The packaging log (stderr with -q/-v, and `--log-file`) and config files (JSON and XML),
//! through the real binary.

mod common;

use std::io::Cursor;
use std::path::Path;

use bmff::reader::Mp4Reader;
use cenc::mp4::{KeyMap, decrypt_to_fragmented};
use common::*;
use keys::{ContentKey, KeyId};

const SOURCE_NAME: &str = "source_h264_aac_360p_10s.mp4";

/// `YYYY-MM-DD HH:MM:SS`
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Asserts `line` is `DASH Packaging start (<timestamp>)`.
fn assert_start_line(line: &str) {
    let stamp = line
        .strip_prefix("DASH Packaging start (")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not a start line: {line:?}"));
    assert!(is_timestamp(stamp), "{line}");
}

#[test]
fn log_file_is_appended_in_the_documented_format() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let log = d.join("dash.log");
    std::fs::write(&log, "an earlier line\n").unwrap();
    let with_log = |out: &str, extra: &[&str]| {
        let mut a = job_args(&source(), &d.join(out));
        a.extend([
            "--log-file".into(),
            log.to_str().unwrap().into(),
            "-q".into(),
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let ok = run_in(d, with_log("a", &[]));
    ok.expect(0);
    assert_eq!(ok.stderr, "", "-q keeps stderr quiet on success");
    let failed = run_in(d, with_log("b", &["--segment-duration", "0"]));
    failed.expect(1102);
    // -q still shows the failure on stderr: the path and the result document.
    assert_eq!(
        failed.stderr,
        format!("Failed file : {}\n{}", source().display(), failed.stdout),
    );

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "an earlier line", "appended, not truncated");
    assert_start_line(lines[1]);
    assert_eq!(lines[2], format!("Start Packaging Dash {SOURCE_NAME}"));
    let succeed = lines
        .iter()
        .position(|l| *l == format!("Succeed packaging {SOURCE_NAME}"))
        .expect("success line");
    let steps = &lines[3..succeed];
    for prefix in [
        "Track 1 of ",
        "Track 2 of ",
        "Keys: ",
        "Segments: ",
        "Self-check passed: 2 representations",
        "Wrote ",
    ] {
        assert!(
            steps.iter().any(|l| l.starts_with(prefix)),
            "no {prefix:?} step in {steps:#?}"
        );
    }
    // Detail lines (-v on the terminal) always go to the file.
    assert!(steps.iter().any(|l| l.starts_with("Crypto: cenc")));
    assert!(steps.iter().any(|l| l.starts_with("Representation ")));
    // The second run was appended after the first.
    let second = &lines[succeed + 1..];
    assert_start_line(second[0]);
    assert_eq!(second[1], format!("Start Packaging Dash {SOURCE_NAME}"));
    assert_eq!(second[2], format!("Failed file : {}", source().display()));
    let doc: Vec<&str> = failed.stdout.lines().collect();
    assert_eq!(&second[3..], &doc[..], "the result document follows");
    assert_eq!(second[5], "<RESULT>1102</RESULT>");
}

#[test]
fn stderr_log_follows_verbosity() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let with = |out: &str, flag: Option<&str>| {
        let mut a = job_args(&source(), &d.join(out));
        a.extend(flag.map(String::from));
        a
    };
    let normal = run_in(d, with("n", None));
    normal.expect(0);
    let lines: Vec<&str> = normal.stderr.lines().collect();
    assert_start_line(lines[0]);
    assert_eq!(lines[1], format!("Start Packaging Dash {SOURCE_NAME}"));
    assert_eq!(
        lines.last().copied(),
        Some(format!("Succeed packaging {SOURCE_NAME}").as_str())
    );
    assert!(lines.iter().any(|l| l.starts_with("Segments: ")));
    assert!(
        !normal.stderr.contains("Crypto:") && !normal.stderr.contains("Representation "),
        "detail lines only with -v: {}",
        normal.stderr
    );

    // The same job again (same output, so the same lines), verbose.
    let mut again = with("n", Some("-v"));
    again.push("--overwrite".into());
    let verbose = run_in(d, again);
    verbose.expect(0);
    assert!(
        verbose.stderr.contains("Crypto: cenc"),
        "{}",
        verbose.stderr
    );
    assert_eq!(
        verbose
            .stderr
            .lines()
            .filter(|l| l.starts_with("Representation "))
            .count(),
        2
    );
    // Everything of the normal log is in the verbose one, in order (times aside).
    let untimed = |l: &str| match l.strip_suffix(" ms)") {
        Some(head) => head.rsplit_once(" (").map_or(l, |(h, _)| h).to_owned(),
        None => l.to_owned(),
    };
    let mut rest = verbose.stderr.lines().skip(1).map(untimed);
    for line in lines.iter().skip(1) {
        let line = untimed(line);
        assert!(rest.any(|l| l == line), "-v lost {line:?}");
    }

    let quiet = run_in(d, with("q", Some("-q")));
    quiet.expect(0);
    assert_eq!(quiet.stderr, "");
    // -q and -v together are a usage error.
    let mut both = with("qv", Some("-q"));
    both.push("-v".into());
    run_in(d, both).expect(1102);
    // Stderr is not a terminal here: no progress bar drawing (no carriage returns or escapes).
    assert!(!normal.stderr.contains('\r') && !normal.stderr.contains('\x1b'));
}

/// The clear samples of every representation of a package (decrypted with the test key),
/// by representation folder name.
fn decrypted(package: &Path) -> Vec<(String, Vec<u8>)> {
    let mut keys = KeyMap::new();
    keys.insert(
        KeyId::from_hex(KID).unwrap(),
        ContentKey::from_hex(KEY).unwrap(),
    );
    representation_dirs(package)
        .into_iter()
        .map(|rep| {
            let mut bytes = std::fs::read(rep.join("init.mp4")).unwrap();
            for n in 1.. {
                match std::fs::read(rep.join(format!("{n}.m4s"))) {
                    Ok(seg) => bytes.extend(seg),
                    Err(_) => break,
                }
            }
            let mut reader = Mp4Reader::open(Cursor::new(bytes)).unwrap();
            let mut clear = Vec::new();
            let report = decrypt_to_fragmented(&mut reader, &keys, &mut clear).unwrap();
            assert_eq!(report.decrypted.len(), 1, "{}", rep.display());
            let name = rep.file_name().unwrap().to_string_lossy().into_owned();
            (name, clear)
        })
        .collect()
}

/// Asserts two packages are the same: same files, same MPD text, same init segments, same
/// segment sizes and the same clear samples. (Media segments differ in their bytes: each run
/// draws fresh random IVs, as it must.)
fn assert_same_package(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb));
    for ((name, x), (_, y)) in ta.iter().zip(&tb) {
        assert_eq!(x.len(), y.len(), "{name}: size");
        if !name.ends_with(".m4s") {
            assert!(
                x == y,
                "{name} differs between {} and {}",
                a.display(),
                b.display()
            );
        }
    }
    assert_eq!(decrypted(a), decrypted(b));
}

#[test]
fn json_and_xml_config_files_give_the_same_package_as_flags_and_flags_win() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let (key, kid) = (b64(KEY), b64(KID));
    let json = d.join("settings.json");
    std::fs::write(
        &json,
        format!(
            r#"{{"contents_id": "cid-conf", "encryption-key": "{key}", "key_id": "{kid}",
  "license-url": "https://lic.example/dash", "segment-duration": 4,
  "protection-scheme": "cenc", "no-verify": false}}"#
        ),
    )
    .unwrap();
    let xml = d.join("settings.xml");
    std::fs::write(
        &xml,
        format!(
            "<?xml version=\"1.0\"?>\n<config>\n  <contents-id>cid-conf</contents-id>\n  \
             <encryption_key>{key}</encryption_key>\n  <key-id>{kid}</key-id>\n  \
             <license-url>https://lic.example/dash</license-url>\n  \
             <segment-duration>4</segment-duration>\n  \
             <protection-scheme>cenc</protection-scheme>\n</config>\n"
        ),
    )
    .unwrap();
    let src = source();
    let src = src.to_str().unwrap();
    let with_config = |config: &Path, out: &str, extra: &[&str]| {
        let mut a: Vec<String> = vec![
            "--config-file".into(),
            config.to_str().unwrap().into(),
            "-i".into(),
            src.into(),
            "-o".into(),
            out.into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        run_in(d, a).expect(0);
        d.join(out)
    };
    let from_json = with_config(&json, "j", &[]);
    let from_xml = with_config(&xml, "x", &[]);
    let flags = [
        "--contents-id",
        "cid-conf",
        "--encryption-key",
        &key,
        "--key-id",
        &kid,
        "--license-url",
        "https://lic.example/dash",
        "--segment-duration",
        "4",
        "--protection-scheme",
        "cenc",
        "-i",
        src,
        "-o",
        "f",
    ];
    run_in(d, flags).expect(0);
    let from_flags = d.join("f");
    let mpd = std::fs::read_to_string(from_flags.join("manifest.mpd")).unwrap();
    assert!(mpd.contains("https://lic.example/dash"), "{mpd}");
    assert_same_package(&from_json, &from_flags);
    assert_same_package(&from_xml, &from_flags);
    // The settings took effect: 4-second segments give more segments than the default 6.
    let default = d.join("default");
    package(&[source()], &default, &[]);
    let count = |p: &Path| tree(p).iter().filter(|(n, _)| n.ends_with(".m4s")).count();
    assert!(count(&from_flags) > count(&default));

    // Command-line flags override the file, for values and for the scheme.
    let overridden = with_config(
        &json,
        "o",
        &[
            "--license-url",
            "https://other.example/lic",
            "--protection-scheme",
            "cbcs",
            "--segment-duration",
            "2",
        ],
    );
    let mpd = std::fs::read_to_string(overridden.join("manifest.mpd")).unwrap();
    assert!(mpd.contains("https://other.example/lic"), "{mpd}");
    assert!(!mpd.contains("https://lic.example/dash"));
    assert!(mpd.contains("cbcs"), "{mpd}");
    assert!(count(&overridden) > count(&from_flags));
    let two_seconds = d.join("two");
    package(
        &[source()],
        &two_seconds,
        &[
            "--license-url",
            "https://other.example/lic",
            "--protection-scheme",
            "cbcs",
            "--segment-duration",
            "2",
        ],
    );
    // Same settings by flags alone (and another CID: compare the layout only).
    assert_eq!(count(&overridden), count(&two_seconds));
}
