//! Every reachable result code of mdrm-ncg, through the real binary, and what a failure leaves
//! behind (nothing at `-o`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, decrypt, encrypt, entries, key_b64, other_key_b64, run_in};

fn source() -> PathBuf {
    mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")
}

/// Valid flags for an encryption of `source()` into `out`, with `replace` applied.
fn args_with(out: &Path, replace: &[(&str, Option<&str>)]) -> Vec<String> {
    let key = key_b64();
    let src = source();
    let mut pairs: Vec<(&str, Option<String>)> = vec![
        ("--site-id", Some("TEST".into())),
        ("--contents-id", Some("cid-1".into())),
        ("--encryption-key", Some(key)),
        ("-i", Some(src.to_str().unwrap().into())),
        ("-o", Some(out.to_str().unwrap().into())),
    ];
    for (flag, value) in replace {
        match pairs.iter_mut().find(|(f, _)| f == flag) {
            Some(p) => p.1 = value.map(str::to_owned),
            None => pairs.push((flag, value.map(str::to_owned))),
        }
    }
    pairs
        .into_iter()
        .flat_map(|(f, v)| match v {
            Some(v) => vec![f.to_owned(), v],
            None => vec![],
        })
        .collect()
}

fn run_with(dir: &Path, replace: &[(&str, Option<&str>)]) -> Run {
    run_with_flags(dir, replace, &[])
}

/// Runs with `replace` applied and the valueless `flags` appended; checks that a failure left
/// nothing behind.
fn run_with_flags(dir: &Path, replace: &[(&str, Option<&str>)], flags: &[&str]) -> Run {
    let out = dir.join("out.ncg");
    let mut args = args_with(&out, replace);
    args.extend(flags.iter().map(|f| f.to_string()));
    let existed = out.exists();
    let run = run_in(dir, args);
    if run.result() != 0 && !existed {
        assert!(!out.exists(), "a failed run left {}", out.display());
        assert!(
            entries(dir).iter().all(|e| !e.contains(".partial")),
            "staging files left: {:?}",
            entries(dir)
        );
    }
    run
}

#[test]
fn success_prints_exactly_the_documented_document() {
    let dir = mdrm_testkit::temp_dir();
    let run = run_with(dir.path(), &[]);
    run.expect(0);
    assert_eq!(
        run.stdout(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n<RESULT>0</RESULT>\n</PallyconPackager>\n"
    );
    let json = run_with_flags(dir.path(), &[], &["--overwrite", "--json"]);
    json.expect(0);
    assert_eq!(json.stdout(), "{\"RESULT\":0}\n");
    let failed = run_with_flags(dir.path(), &[("--site-id", Some("X"))], &["--json"]);
    failed.expect(1102);
    let doc: serde_json::Value = serde_json::from_str(&failed.stdout()).unwrap();
    assert_eq!(doc["ERRORMSG"], "an argument has an invalid value");
    assert!(doc["INFO"].as_str().unwrap().starts_with("--site-id"));
    assert_eq!(doc["WHERE"], "packager::args::CommonArgs::validate");
}

#[test]
fn no_arguments_is_1101() {
    let dir = mdrm_testkit::temp_dir();
    let run = run_in(dir.path(), Vec::<String>::new());
    run.expect(1101);
    assert!(
        run.stdout()
            .contains("<ERRORMSG>no arguments given</ERRORMSG>")
    );
    assert!(run.stdout().contains("<WHERE>packager::cli::parse</WHERE>"));
}

#[test]
fn invalid_values_are_1102_naming_the_flag() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let short_key = keys::to_base64(&[1u8; 16]);
    let long_cid = "c".repeat(201);
    type Replace<'a> = Vec<(&'a str, Option<&'a str>)>;
    let cases: Vec<(Replace<'_>, &str)> = vec![
        (vec![("--site-id", Some("ABC"))], "--site-id"),
        (vec![("--site-id", Some("ABCDE"))], "--site-id"),
        (vec![("--site-id", None)], "--site-id"),
        (vec![("--contents-id", Some(""))], "--contents-id"),
        (vec![("--contents-id", Some(&long_cid))], "--contents-id"),
        (vec![("--contents-id", None)], "--contents-id"),
        (vec![("--encryption-key", Some("%%%"))], "--encryption-key"),
        (
            vec![("--encryption-key", Some(&short_key))],
            "--encryption-key",
        ),
        (vec![("--access-key", Some("no base64!"))], "--access-key"),
        (vec![("--key-id", Some("AAAA"))], "--key-id"),
        (
            vec![("--license-url", Some("license.example"))],
            "--license-url",
        ),
        (
            vec![("--kms-url", Some("https://kms.example/cpix"))],
            "--kms-url",
        ),
        (
            vec![("--cid-callback-url", Some("ftp://x"))],
            "--cid-callback-url",
        ),
        (
            vec![("--segment-duration", Some("0"))],
            "--segment-duration",
        ),
        (vec![("--block-size", Some("lots"))], "--block-size"),
        (vec![("--threads", Some("many"))], "--threads"),
        (
            vec![("--log-file", Some("/nonexistent/dir/log.txt"))],
            "--log-file",
        ),
        (
            vec![("--config-file", Some("/nonexistent/c.json"))],
            "--config-file",
        ),
        (vec![("--bogus", Some("1"))], "--bogus"),
        (vec![("-i", None)], "-i"),
        (vec![("-i", Some(d.to_str().unwrap()))], "-i"),
    ];
    for (replace, flag) in cases {
        let run = run_with(d, &replace);
        run.expect(1102);
        let info = run.info();
        assert!(
            info.starts_with(flag),
            "{replace:?}: INFO {info:?} should name {flag}"
        );
        assert!(!info.contains(&key_b64()), "INFO leaks the key");
    }
}

#[test]
fn kms_mode_uses_the_embedded_keystore_and_decrypts_back() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let src = source();
    let ks = d.join("keystore.sqlite");
    let ks = ks.to_str().unwrap();
    let enc = |out: &str| {
        run_in(
            d,
            [
                "--site-id",
                "TEST",
                "--contents-id",
                "cid-kms",
                "--keystore",
                ks,
                "-i",
                src.to_str().unwrap(),
                "-o",
                out,
            ],
        )
    };
    enc("a.ncg").expect(0);
    enc("b.ncg").expect(0);
    // Decryption without a key flag: the content id comes from the header, the key from the keystore.
    run_in(
        d,
        [
            "--decrypt",
            "--keystore",
            ks,
            "-i",
            "a.ncg",
            "-o",
            "back.mp4",
        ],
    )
    .expect(0);
    assert_eq!(
        std::fs::read(d.join("back.mp4")).unwrap(),
        std::fs::read(&src).unwrap()
    );
    // A keystore without that content's key creates another key: the file is refused (2005).
    let other = d.join("other.sqlite");
    run_in(
        d,
        [
            "--decrypt",
            "--keystore",
            other.to_str().unwrap(),
            "-i",
            "a.ncg",
            "-o",
            "x.mp4",
        ],
    )
    .expect(2005);
    assert!(!d.join("x.mp4").exists());
}

#[test]
fn unreachable_key_server_is_2001() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let port = mdrm_testkit::free_port();
    let src = source();
    let run = run_in(
        d,
        [
            "--site-id",
            "TEST",
            "--contents-id",
            "cid",
            "--access-key",
            "c2VjcmV0LWFjY2Vzcw==",
            "--kms-url",
            &format!("http://127.0.0.1:{port}/v2/cpix/pallycon/getKey/"),
            "-i",
            src.to_str().unwrap(),
            "-o",
            "o.ncg",
        ],
    );
    run.expect(2001);
    assert!(!run.stdout().contains("c2VjcmV0LWFjY2Vzcw"));
    assert!(!run.stderr().contains("c2VjcmV0LWFjY2Vzcw"));
    assert!(!d.join("o.ncg").exists());
}

#[test]
fn missing_values_and_wrong_counts_are_1103() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let run = run_in(d, ["-i", "a.mp4", "--site-id"]);
    run.expect(1103);
    assert!(run.info().starts_with("--site-id"), "{}", run.info());
    run_in(d, ["--site-id", "--contents-id", "x"]).expect(1103);
    let src = source();
    let src = src.to_str().unwrap();
    let mut args = args_with(&d.join("o.ncg"), &[("-i", None)]);
    args.extend(["-i", src, src].map(String::from));
    let two = run_in(d, args);
    two.expect(1103);
    assert!(two.info().starts_with("-i"), "{}", two.info());
    run_in(d, ["--decrypt=yes", "-i", "x"]).expect(1103);
}

#[test]
fn missing_input_is_1201() {
    let dir = mdrm_testkit::temp_dir();
    let run = run_with(dir.path(), &[("-i", Some("/nonexistent/movie.mp4"))]);
    run.expect(1201);
    assert!(run.info().contains("/nonexistent/movie.mp4"));
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn unreadable_input_is_1202() {
    let dir = mdrm_testkit::temp_dir();
    let input = dir.path().join("secret.mp4");
    std::fs::copy(source(), &input).unwrap();
    let out = std::env::temp_dir().join(format!("mdrm-ncg-1202-{}.ncg", std::process::id()));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd;
    if is_root() {
        // Root reads any file: run as nobody instead.
        let Some(setpriv) = mdrm_testkit::tool("setpriv", None) else {
            return;
        };
        cmd = Command::new(setpriv);
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_mdrm-ncg"));
    } else {
        cmd = Command::new(env!("CARGO_BIN_EXE_mdrm-ncg"));
    }
    let output = cmd
        .args(args_with(&out, &[("-i", Some(input.to_str().unwrap()))]))
        .current_dir("/")
        .output()
        .unwrap();
    let run = Run { output };
    run.expect(1202);
    assert!(!out.exists());
}

#[test]
fn over_long_output_paths_are_1203_and_1204() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let deep: PathBuf = std::iter::once(d.to_path_buf())
        .chain(std::iter::repeat_n(PathBuf::from("d".repeat(200)), 21))
        .collect::<PathBuf>()
        .join("out.ncg");
    let run = run_with(d, &[("-o", Some(deep.to_str().unwrap()))]);
    run.expect(1203);
    let long_name = d.join(format!("{}.ncg", "n".repeat(300)));
    run_with(d, &[("-o", Some(long_name.to_str().unwrap()))]).expect(1204);
    let long_folder = d.join("f".repeat(256)).join("out.ncg");
    run_with(d, &[("-o", Some(long_folder.to_str().unwrap()))]).expect(1204);
    assert!(entries(d).is_empty(), "{:?}", entries(d));
}

/// A small tmpfs, unmounted on drop.
struct SmallTmpfs(PathBuf);

impl SmallTmpfs {
    fn mount(at: PathBuf) -> Option<Self> {
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Some(SmallTmpfs(at))
        } else {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root); 1205 is covered by packager's injected-writer test"
            );
            None
        }
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_is_1205_and_leaves_nothing() {
    let dir = mdrm_testkit::temp_dir();
    let Some(fs) = SmallTmpfs::mount(dir.path().join("small")) else {
        return;
    };
    let out = fs.0.join("out.ncg");
    let run = run_in(dir.path(), args_with(&out, &[]));
    run.expect(1205);
    assert!(entries(&fs.0).is_empty(), "{:?}", entries(&fs.0));
    // Decryption into a full disk too.
    let ncg = dir.path().join("ok.ncg");
    encrypt(dir.path(), &source(), &ncg, &[]).expect(0);
    decrypt(dir.path(), &ncg, &fs.0.join("back.mp4"), &[]).expect(1205);
    assert!(entries(&fs.0).is_empty(), "{:?}", entries(&fs.0));
}

#[test]
fn failed_final_rename_is_1206() {
    let dir = mdrm_testkit::temp_dir();
    // -o is a folder; the output file's name there is taken by a non-empty folder, so the
    // final rename of the finished file fails.
    let out_dir = dir.path().join("out");
    let taken = out_dir.join("source_h264_aac_360p_10s.mp4.ncg");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("keep.txt"), b"x").unwrap();
    let mut args = args_with(&out_dir, &[]);
    args.push("--overwrite".into());
    let run = run_in(dir.path(), args);
    run.expect(1206);
    assert_eq!(entries(&out_dir), ["source_h264_aac_360p_10s.mp4.ncg"]);
    assert_eq!(entries(&taken), ["keep.txt"]);
    // Without --overwrite the existing output is refused up front.
    let run = run_in(dir.path(), args_with(&out_dir, &[]));
    run.expect(1102);
    assert!(run.info().contains("--overwrite"));
}

#[test]
fn unknown_input_size_is_1207() {
    let dir = mdrm_testkit::temp_dir();
    run_with(dir.path(), &[("-i", Some("/dev/null"))]).expect(1207);
}

#[test]
fn invalid_block_size_is_2003() {
    let dir = mdrm_testkit::temp_dir();
    for bs in ["5000", "2048", "33554432", "0"] {
        let run = run_with(dir.path(), &[("--block-size", Some(bs))]);
        run.expect(2003);
        assert!(
            run.stdout()
                .contains("<ERRORMSG>invalid block size</ERRORMSG>")
        );
        assert!(run.info().starts_with("--block-size"));
    }
}

#[test]
fn wrong_key_is_2005_before_any_output() {
    let dir = mdrm_testkit::temp_dir();
    let ncg = dir.path().join("m.ncg");
    encrypt(dir.path(), &source(), &ncg, &[]).expect(0);
    let out = dir.path().join("out");
    let run = run_in(
        dir.path(),
        [
            "--decrypt",
            "--encryption-key",
            &other_key_b64(),
            "-i",
            ncg.to_str().unwrap(),
            "-o",
            &format!("{}/", out.display()),
        ],
    );
    run.expect(2005);
    assert!(run.info().contains("wrong key"), "{}", run.info());
    assert!(
        !out.exists(),
        "no output (not even the folder) on a wrong key"
    );
    assert_eq!(entries(dir.path()), ["m.ncg"]);
}

#[test]
fn damaged_or_truncated_files_are_1102_naming_the_problem() {
    let dir = mdrm_testkit::temp_dir();
    let ncg = dir.path().join("m.ncg");
    encrypt(dir.path(), &source(), &ncg, &[]).expect(0);
    let good = std::fs::read(&ncg).unwrap();
    let header_len = u32::from_be_bytes(good[12..16].try_into().unwrap()) as usize;
    let record = 65536 + 16;
    let cases: Vec<(String, Vec<u8>, &str)> = vec![
        (
            "header".into(),
            {
                let mut b = good.clone();
                b[100] ^= 1;
                b
            },
            "header integrity",
        ),
        (
            "block 3".into(),
            {
                let mut b = good.clone();
                b[header_len + 3 * record + 77] ^= 0x10;
                b
            },
            "block 3 ",
        ),
        (
            "truncated".into(),
            good[..good.len() - 100].to_vec(),
            "truncated",
        ),
        (
            "not ncg".into(),
            std::fs::read(source()).unwrap(),
            "not an NCG file",
        ),
    ];
    for (name, bytes, expect) in cases {
        let bad = dir.path().join("bad.ncg");
        std::fs::write(&bad, &bytes).unwrap();
        let out = dir.path().join("restored.mp4");
        let run = decrypt(dir.path(), &bad, &out, &[]);
        run.expect(1102);
        assert!(run.info().contains(expect), "{name}: {}", run.info());
        assert!(!out.exists(), "{name}: output left behind");
        assert_eq!(entries(dir.path()), ["bad.ncg", "m.ncg"], "{name}");
        assert!(
            run.stderr()
                .contains(&format!("Failed file : {}", bad.display())),
            "{}",
            run.stderr()
        );
    }
}

#[test]
fn secrets_never_reach_stdout_or_stderr() {
    let dir = mdrm_testkit::temp_dir();
    let access = "c2VjcmV0LWFjY2Vzcy1rZXktdmFsdWU=";
    for (extra, flags) in [
        (
            vec![
                ("--access-key", Some(access)),
                ("--block-size", Some("5000")),
            ],
            vec![],
        ),
        (
            vec![("--access-key", Some(access))],
            vec!["-v", "--overwrite"],
        ),
    ] {
        let run = run_with_flags(dir.path(), &extra, &flags);
        let all = format!("{}{}", run.stdout(), run.stderr());
        assert!(!all.contains(access) && !all.contains(&key_b64()), "{all}");
    }
}
