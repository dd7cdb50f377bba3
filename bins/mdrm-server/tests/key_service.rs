//! The key service end to end: the real `mdrm-server` binary on a free loopback port with a
//! temporary keystore, asked by the packagers' client (`kms_client::CpixClient`).

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{ServerFiles, quick_http};
use keys::TrackType;
use kms_client::cpix::{self, Signal};
use kms_client::{
    ContentId, DrmSystem, EncryptionScheme, Error, HttpOptions, KeyRequest, KeySource, Keystore,
    SiteId, SystemId,
};

fn request(cid: &str, multi: bool, drm: &[DrmSystem]) -> KeyRequest {
    KeyRequest {
        site_id: None,
        content_id: ContentId::parse("--contents-id", cid).unwrap(),
        track_types: vec![TrackType::Audio, TrackType::Sd, TrackType::Hd],
        multi_key: multi,
        drm_systems: drm.to_vec(),
        scheme: Some(EncryptionScheme::Cenc),
    }
}

#[test]
fn package_time_key_requests_succeed_and_repeat() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let server = files.start(&[]);
    let client = creds.client(&server.url(), quick_http());

    let single = request(
        "movie-0001",
        false,
        &[
            DrmSystem::Widevine,
            DrmSystem::PlayReady,
            DrmSystem::ClearKey,
        ],
    );
    let a = client.fetch(&single).unwrap();
    assert_eq!(a.keys().len(), 1);
    let k = &a.keys()[0];
    assert_eq!(k.track_type, TrackType::All);
    assert_eq!(k.iv.len(), 16);
    // The server filled the DRM signalling for the requested systems.
    let wv = k
        .signalling
        .pssh_for(SystemId::WIDEVINE)
        .expect("Widevine PSSH");
    assert!(
        wv.windows(16).any(|w| w == k.kid.as_bytes()),
        "KID in the Widevine PSSH"
    );
    assert!(
        wv.windows(10).any(|w| w == b"movie-0001"),
        "CID in the Widevine PSSH"
    );
    assert!(k.signalling.pssh_for(SystemId::PLAYREADY).is_some());
    assert!(k.signalling.pssh_for(SystemId::CLEARKEY).is_some());
    assert!(k.signalling.playready_pro.is_some());

    // Same CID again, from another client instance: same key.
    let again = creds
        .client(&server.url(), quick_http())
        .fetch(&single)
        .unwrap();
    assert_eq!(again.keys()[0].kid, k.kid);
    assert_eq!(again.keys()[0].key, k.key);
    assert_eq!(again.keys()[0].iv, k.iv);

    // Multi-key: one key per track class, all distinct, stable.
    let multi = request("movie-0001", true, &[DrmSystem::Widevine]);
    let m = client.fetch(&multi).unwrap();
    assert_eq!(m.keys().len(), 3);
    let kids: Vec<_> = m.keys().iter().map(|k| k.kid).collect();
    assert!(kids.iter().all(|x| *x != k.kid));
    assert_ne!(kids[0], kids[1]);
    assert_eq!(client.fetch(&multi).unwrap(), m);
    assert_eq!(
        m.for_track(TrackType::Hd).unwrap().track_type,
        TrackType::Hd
    );

    // HLS/FairPlay signalling.
    let hls = client
        .fetch(&request("movie-0001", false, &[DrmSystem::FairPlay]))
        .unwrap();
    assert_eq!(
        hls.keys()[0].signalling.hls_key_uri_for(SystemId::FAIRPLAY),
        Some("skd://movie-0001")
    );
    assert_eq!(hls.keys()[0].kid, k.kid, "same CID, same key for HLS too");

    // The keys are in the keystore, under the site.
    let ks = Keystore::open(&files.db()).unwrap();
    let stored = ks.keys_for_content("DEMO", "movie-0001").unwrap();
    assert_eq!(stored.len(), 4, "ALL + AUDIO + SD + HD");
    assert_eq!(ks.key_by_kid(k.kid).unwrap().unwrap().key, k.key);
}

#[test]
fn wrong_access_key_or_unknown_site_is_2002() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let server = files.start(&[]);
    let req = request("c1", false, &[]);
    let mut wrong = creds.clone();
    wrong.access_key = "WrongAccessKey0123456789".into();
    for c in [
        wrong,
        common::Credentials {
            site_id: "NOPE".into(),
            ..creds.clone()
        },
    ] {
        let e = c
            .client(&server.url(), quick_http())
            .fetch(&req)
            .unwrap_err();
        match &e {
            Error::ServerAnswer {
                status: 401,
                code: Some(code),
                ..
            } => {
                assert_eq!(code, "AUTH_FAILED")
            }
            other => panic!("expected 401 AUTH_FAILED, got {other:?}"),
        }
        assert!(!e.to_string().contains("WrongAccessKey"), "{e}");
    }
    // Nothing was created.
    assert_eq!(Keystore::open(&files.db()).unwrap().key_count().unwrap(), 0);
}

#[test]
fn stopped_server_is_2001_within_the_timeout_and_restart_gives_same_keys() {
    let files = ServerFiles::new();
    let creds = files.add_site("ABCD");
    let mut server = files.start(&[]);
    let url = server.url();
    let http = HttpOptions {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        attempts: 3,
        backoff: Duration::from_millis(100),
        ..HttpOptions::default()
    };
    let client = creds.client(&url, http.clone());
    let req = request("live-event-7", true, &[DrmSystem::Widevine]);
    let before = client.fetch(&req).unwrap();

    server.kill();
    let start = Instant::now();
    let e = client.fetch(&req).unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(e, Error::Connection { .. } | Error::Timeout { .. }),
        "expected 2001, got {e:?}"
    );
    assert!(!e.to_string().contains(&creds.kms_token), "{e}");
    // Three attempts, each bounded by the timeout, plus the backoff.
    assert!(took < http.timeout * 3 + Duration::from_secs(2), "{took:?}");

    // Restart on the same files: the site and the keys are still there.
    let server2 = files.start(&[]);
    let client2 = creds.client(&server2.url(), http);
    let after = client2.fetch(&req).unwrap();
    // Same KIDs, keys and IVs; the signalling is rebuilt identically.
    assert_eq!(after, before);
}

#[test]
fn unresponsive_server_times_out_as_2001() {
    // A listener that accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(3) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let http = HttpOptions {
        timeout: Duration::from_millis(700),
        connect_timeout: Duration::from_millis(700),
        attempts: 3,
        backoff: Duration::from_millis(10),
        ..HttpOptions::default()
    };
    let client = kms_client::CpixClient::new(
        &format!("http://127.0.0.1:{port}/"),
        SiteId::parse("s", "DEMO").unwrap(),
        kms_client::AccessKey::parse("a", "key").unwrap(),
        http,
    )
    .unwrap();
    let start = Instant::now();
    let e = client.fetch(&request("c", false, &[])).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    // A timed-out attempt is not retried: one timeout, not three.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    drop(hold);
}

#[test]
fn speke_style_endpoint_and_raw_protocol_errors() {
    let files = ServerFiles::new();
    let creds = files.add_site("SPKE");
    let server = files.start(&[]);
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX contentId="abc123" version="2.3" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
  <cpix:ContentKeyList>
    <cpix:ContentKey explicitIV="OFj2IjCsPJFfMAxmQxLGPw==" kid="11111111-1111-1111-1111-111111111111" commonEncryptionScheme="cbcs"></cpix:ContentKey>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="11111111-1111-1111-1111-111111111111" systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed">
      <cpix:HLSSignalingData playlist="media"></cpix:HLSSignalingData>
      <cpix:HLSSignalingData playlist="master"></cpix:HLSSignalingData>
      <cpix:ContentProtectionData></cpix:ContentProtectionData>
      <cpix:PSSH></cpix:PSSH>
    </cpix:DRMSystem>
    <cpix:DRMSystem kid="11111111-1111-1111-1111-111111111111" systemId="94ce86fb-07ff-4f43-adb8-93d2fa968ca2">
      <cpix:HLSSignalingData playlist="media"></cpix:HLSSignalingData>
      <cpix:HLSSignalingData playlist="master"></cpix:HLSSignalingData>
    </cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="11111111-1111-1111-1111-111111111111" intendedTrackType="VIDEO">
      <cpix:VideoFilter />
    </cpix:ContentKeyUsageRule>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>"#;
    let url = format!("{}/cpix/getKey?enc-token={}", server.url(), creds.kms_token);
    let mut resp = ureq::post(&url)
        .header("X-Speke-Version", "2.0")
        .header("Content-Type", "application/xml")
        .send(body)
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-speke-version"], "2.0");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    assert!(resp.headers().contains_key("x-speke-user-agent"));
    let answer = cpix::parse(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(answer.content_id.as_deref(), Some("abc123"));
    assert_eq!(answer.version.as_deref(), Some("2.3"));
    let kid = answer.content_keys[0].kid;
    assert_ne!(
        kid.to_string(),
        "11111111-1111-1111-1111-111111111111",
        "server KID"
    );
    assert_eq!(answer.content_keys[0].scheme.as_deref(), Some("cbcs"));
    assert_eq!(answer.usage_rules[0].kid, kid);
    for d in &answer.drm_systems {
        assert_eq!(d.kid, kid);
        for s in [&d.hls_media, &d.hls_master] {
            assert!(matches!(s, Signal::Value(_)), "{d:?}");
        }
    }
    let wv = &answer.drm_systems[0];
    assert!(
        String::from_utf8(wv.content_protection_data.value().unwrap().to_vec())
            .unwrap()
            .starts_with("<cenc:pssh>")
    );
    let fp_master =
        String::from_utf8(answer.drm_systems[1].hls_master.value().unwrap().to_vec()).unwrap();
    assert_eq!(
        fp_master,
        r#"#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://abc123",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1""#
    );

    // Protocol errors are JSON with a code.
    let path_url = format!(
        "{}/v2/cpix/pallycon/getKey/{}",
        server.url(),
        creds.kms_token
    );
    let cases: [(&str, u16, &str); 3] = [
        ("<not-cpix/>", 400, "BAD_CPIX"),
        (
            r#"<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"><cpix:ContentKeyList><cpix:ContentKey kid="11111111-1111-1111-1111-111111111111"/></cpix:ContentKeyList></cpix:CPIX>"#,
            400,
            "BAD_CPIX",
        ),
        (
            r#"<cpix:CPIX id="x" xmlns:cpix="urn:dashif:org:cpix"><cpix:ContentKeyList><cpix:ContentKey kid="11111111-1111-1111-1111-111111111111"/></cpix:ContentKeyList><cpix:ContentKeyPeriodList><cpix:ContentKeyPeriod id="p" index="1"/></cpix:ContentKeyPeriodList></cpix:CPIX>"#,
            422,
            "UNSUPPORTED",
        ),
    ];
    for (doc, status, code) in cases {
        let mut r = ureq::post(&path_url)
            .config()
            .http_status_as_error(false)
            .build()
            .send(doc)
            .unwrap();
        assert_eq!(r.status(), status, "{doc}");
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(v["error_code"], code);
    }
    let big = "x".repeat(5 * 1024 * 1024);
    let r = ureq::post(&path_url)
        .config()
        .http_status_as_error(false)
        .build()
        .send(big.as_str());
    match r {
        Ok(r) => assert_eq!(r.status(), 413),
        // The server may close the connection before reading the whole body.
        Err(e) => assert!(matches!(e, ureq::Error::Io(_)), "{e:?}"),
    }
    // Without a token: 401; unknown path: 404.
    let r = ureq::post(&format!("{}/cpix/getKey", server.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .send(body)
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[test]
fn sites_from_a_settings_file_and_help_text() {
    let files = ServerFiles::new();
    let settings = files.dir.path().join("mdrm.toml");
    std::fs::write(
        &settings,
        "[[sites]]\nsite_id = \"CONF\"\naccess_key = \"ConfiguredAccessKey42\"\nsite_key = \"0123456789abcdefghijklmnopqrstuv\"\n",
    )
    .unwrap();
    let server = files.start(&["--config", settings.to_str().unwrap()]);
    let creds = common::Credentials {
        site_id: "CONF".into(),
        access_key: "ConfiguredAccessKey42".into(),
        site_key: String::new(),
        kms_token: String::new(),
    };
    let set = creds
        .client(&server.url(), quick_http())
        .fetch(&request("from-config", false, &[]))
        .unwrap();
    assert_eq!(set.keys().len(), 1);

    let help = std::process::Command::new(common::server_bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for needle in [
        "--port",
        "8480",
        "127.0.0.1",
        "--db",
        "--secret-file",
        "--config",
        "site",
        "/v2/cpix/pallycon/getKey/",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn graceful_stop_and_refusals_at_start() {
    let files = ServerFiles::new();
    let mut server = files.start(&["--log-format", "json"]);
    let status = server.terminate();
    assert!(status.success(), "{status}");
    assert!(server.log_text().contains("shutting down"));

    // A secret file others can read: refuse to start, say why.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(files.secret(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new(common::server_bin())
        .args([
            "--db",
            files.db().to_str().unwrap(),
            "--secret-file",
            files.secret().to_str().unwrap(),
        ])
        .args(["--port", &mdrm_testkit::free_port().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
}
