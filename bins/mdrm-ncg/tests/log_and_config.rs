//! The packaging log (stderr and --log-file) and config files, through the real binary.

mod common;

use common::{key_b64, run_in};

fn source() -> std::path::PathBuf {
    mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")
}

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

#[test]
fn log_file_is_appended_in_the_documented_format() {
    let dir = mdrm_testkit::temp_dir();
    let log = dir.path().join("ncg.log");
    let src = source();
    let base = |out: &str| {
        vec![
            "--site-id".to_string(),
            "TEST".into(),
            "--contents-id".into(),
            "cid-log".into(),
            "--encryption-key".into(),
            key_b64(),
            "-i".into(),
            src.to_str().unwrap().into(),
            "-o".into(),
            out.into(),
            "--log-file".into(),
            log.to_str().unwrap().into(),
            "-q".into(),
        ]
    };
    let ok = run_in(dir.path(), base("a.ncg"));
    ok.expect(0);
    assert_eq!(ok.stderr(), "", "-q keeps stderr quiet on success");
    let mut bad = base("b.ncg");
    bad.extend(["--block-size".into(), "1000".into()]);
    let failed = run_in(dir.path(), bad);
    failed.expect(2003);
    // -q still shows the failure on stderr.
    assert!(
        failed.stderr().starts_with("Failed file : "),
        "{}",
        failed.stderr()
    );

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines[0];
    assert!(
        start.starts_with("NCG Packaging start (") && start.ends_with(')'),
        "{start}"
    );
    assert!(is_timestamp(&start[21..start.len() - 1]), "{start}");
    assert_eq!(lines[1], "Start Packaging Ncg source_h264_aac_360p_10s.mp4");
    let succeed = lines
        .iter()
        .position(|l| *l == "Succeed packaging source_h264_aac_360p_10s.mp4")
        .expect("success line");
    assert!(
        lines[2..succeed]
            .iter()
            .any(|l| l.starts_with("Block size 65536 bytes"))
    );
    assert!(lines[2..succeed].iter().any(|l| l.starts_with("Verified")));
    assert!(
        lines[2..succeed]
            .iter()
            .any(|l| l.starts_with("Crypto: AES")),
        "detail lines go to the file"
    );
    // The second run was appended.
    let second = &lines[succeed + 1..];
    assert!(second[0].starts_with("NCG Packaging start ("));
    assert_eq!(
        second[1],
        "Start Packaging Ncg source_h264_aac_360p_10s.mp4"
    );
    let failed_at = second
        .iter()
        .position(|l| l.starts_with("Failed file : "))
        .unwrap();
    assert_eq!(
        second[failed_at],
        format!("Failed file : {}", src.display())
    );
    assert_eq!(
        second[failed_at + 1],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    );
    assert_eq!(second[failed_at + 2], "<PallyconPackager>");
    assert_eq!(second[failed_at + 3], "<RESULT>2003</RESULT>");
    assert_eq!(second.last(), Some(&"</PallyconPackager>"));
    assert!(!text.contains(&key_b64()));
}

#[test]
fn stderr_log_follows_verbosity() {
    let dir = mdrm_testkit::temp_dir();
    let src = source();
    let args = |out: &str, flag: Option<&str>| {
        let mut v = vec![
            "--site-id",
            "TEST",
            "--contents-id",
            "c",
            "--encryption-key",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        v.push(key_b64());
        v.extend([
            "-i".into(),
            src.to_str().unwrap().into(),
            "-o".into(),
            out.into(),
        ]);
        v.extend(flag.map(String::from));
        v
    };
    let normal = run_in(dir.path(), args("n.ncg", None));
    normal.expect(0);
    let lines: Vec<String> = normal.stderr().lines().map(String::from).collect();
    assert!(lines[0].starts_with("NCG Packaging start ("));
    assert_eq!(lines[1], "Start Packaging Ncg source_h264_aac_360p_10s.mp4");
    assert_eq!(
        lines.last().unwrap(),
        "Succeed packaging source_h264_aac_360p_10s.mp4"
    );
    assert!(!normal.stderr().contains("Crypto:"));
    let verbose = run_in(dir.path(), args("v.ncg", Some("-v")));
    verbose.expect(0);
    assert!(
        verbose.stderr().contains("Crypto: AES"),
        "{}",
        verbose.stderr()
    );
}

#[test]
fn json_xml_config_files_and_flags_give_the_same_file() {
    let dir = mdrm_testkit::temp_dir();
    let d = dir.path();
    let src = source();
    let key = key_b64();
    let json = d.join("settings.json");
    std::fs::write(
        &json,
        format!(
            r#"{{"site_id":"CONF","contents-id":"cid-conf","encryption_key":"{key}","license-url":"https://lic.example/ncg","block-size":16384}}"#
        ),
    )
    .unwrap();
    let xml = d.join("settings.xml");
    std::fs::write(
        &xml,
        format!(
            "<?xml version=\"1.0\"?>\n<config>\n  <site-id>CONF</site-id>\n  <contents_id>cid-conf</contents_id>\n  <encryption-key>{key}</encryption-key>\n  <license-url>https://lic.example/ncg</license-url>\n  <block-size>16384</block-size>\n</config>\n"
        ),
    )
    .unwrap();
    let src_s = src.to_str().unwrap();
    run_in(
        d,
        [
            "--config-file",
            json.to_str().unwrap(),
            "-i",
            src_s,
            "-o",
            "j.ncg",
        ],
    )
    .expect(0);
    run_in(
        d,
        [
            "--config-file",
            xml.to_str().unwrap(),
            "-i",
            src_s,
            "-o",
            "x.ncg",
        ],
    )
    .expect(0);
    run_in(
        d,
        [
            "--site-id",
            "CONF",
            "--contents-id",
            "cid-conf",
            "--encryption-key",
            &key,
            "--license-url",
            "https://lic.example/ncg",
            "--block-size",
            "16384",
            "-i",
            src_s,
            "-o",
            "f.ncg",
        ],
    )
    .expect(0);
    // Command-line flags override the file.
    run_in(
        d,
        [
            "--config-file",
            json.to_str().unwrap(),
            "-i",
            src_s,
            "-o",
            "o.ncg",
            "--contents-id",
            "cid-flag",
        ],
    )
    .expect(0);
    let k = ncg::NcgKey::from_base64(&key).unwrap();
    let header = |name: &str| {
        let f = std::fs::File::open(d.join(name)).unwrap();
        ncg::Reader::open(f, &k).unwrap().header().clone()
    };
    let (j, x, f, o) = (
        header("j.ncg"),
        header("x.ncg"),
        header("f.ncg"),
        header("o.ncg"),
    );
    let comparable = |mut h: ncg::Header| {
        h.file_id = [0; 16];
        h.packaged_at = 0;
        h
    };
    assert_eq!(comparable(j.clone()), comparable(f.clone()));
    assert_eq!(comparable(x), comparable(f.clone()));
    assert_eq!(f.site_id.to_string(), "CONF");
    assert_eq!(f.block_size, 16384);
    assert_eq!(f.license_url, "https://lic.example/ncg");
    assert_eq!(o.content_id, "cid-flag");
    assert_eq!(o.site_id.to_string(), "CONF");
}
