//! The ClearKey license service end to end: the real `mdrm-server` binary on a free loopback
//! port (memory CSL store), tokens made as token generators make them, keys from the keystore
//! the packagers share.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use common::ServerFiles;
use common::license::{LicenseClient, STREAMING, content_keys, token, token_with};
use keys::KeyId;

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn license_answers_the_keystore_key_with_cors_and_renewal_headers() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&[]);
    let client = LicenseClient::new(&server.url());
    let t = token(&creds, "user-1", "movie-1", STREAMING);

    let a = client.license(&t, None, None, &[keys[0].kid]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let v = a.json();
    assert_eq!(v["type"], "temporary");
    assert_eq!(v["keys"][0]["kty"], "oct");
    assert_eq!(v["keys"][0]["kid"], b64url(keys[0].kid.as_bytes()));
    assert_eq!(v["keys"][0]["k"], b64url(keys[0].key.secret_bytes()));
    // Counted, with what the player needs to renew.
    assert_eq!(a.streams(), Some(1));
    assert_eq!(a.header("mdrm-streams-max"), Some("3"));
    assert_eq!(a.header("mdrm-renew-after"), Some("480"));
    let session = a.header("mdrm-session-id").unwrap().to_string();
    assert!(session.starts_with("tk-"), "{session}");
    assert!(a.header("mdrm-renewal-ticket").unwrap().starts_with("v1."));

    // The same token again is the same session (a renewal), not a second stream.
    let again = client.license(&t, None, None, &[keys[0].kid]);
    assert_eq!((again.status, again.streams()), (200, Some(1)));
    assert_eq!(again.header("mdrm-session-id"), Some(session.as_str()));

    // Token in the query string, for players that cannot set headers.
    let enc: String = t
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let q = client.post(
        &format!("/license/clearkey?token={enc}"),
        &[],
        &common::license::kids_body(&[keys[0].kid]),
    );
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.header("mdrm-session-id"), Some(session.as_str()));

    // CORS preflight for the custom headers.
    let pre = ureq::http::Request::builder()
        .method("OPTIONS")
        .uri(format!("{}/license/clearkey", server.url()))
        .header("origin", "http://127.0.0.1:1")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,pallycon-customdata-v2,mdrm-session-id,mdrm-renewal-ticket",
        )
        .body(())
        .unwrap();
    let resp = ureq::run(pre).unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let allowed = resp.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for h in [
        "pallycon-customdata-v2",
        "mdrm-session-id",
        "mdrm-renewal-ticket",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }
    let exposed = a.header("access-control-expose-headers").unwrap_or("");
    assert!(exposed.contains("mdrm-renewal-ticket"), "{exposed}");

    // Nothing secret reached the log.
    let log_path = server.log.clone();
    drop(server);
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(log.contains("license issued"), "{log}");
    for secret in [
        t.as_str(),
        &creds.access_key,
        &creds.site_key,
        &b64url(keys[0].key.secret_bytes()),
        &keys::to_hex(keys[0].key.secret_bytes()),
        "user-1",
    ] {
        assert!(!log.contains(secret), "the log shows a secret or user id");
    }
}

#[test]
fn token_and_request_rules_refuse_with_their_codes_and_count_nothing() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let other = files.add_site("OTHR");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let other_cid = content_keys(&files, "DEMO", "movie-2", &["ALL"]);
    let other_site = content_keys(&files, "OTHR", "movie-1", &["ALL"]);
    let server = files.start(&[]);
    let c = LicenseClient::new(&server.url());
    let kid = [keys[0].kid];
    let now = jiff::Timestamp::now();
    let user = "user-1";
    let good = token(&creds, user, "movie-1", STREAMING);
    let with = |drm: &str, ts: jiff::Timestamp| {
        token_with(&creds, drm, user, "movie-1", STREAMING, ts, false)
    };
    let wrong_key = common::Credentials {
        access_key: other.access_key.clone(),
        ..creds.clone()
    };
    let wrong_site_key = common::Credentials {
        site_key: other.site_key.clone(),
        ..creds.clone()
    };
    let unknown_site = common::Credentials {
        site_id: "NONE".into(),
        ..creds.clone()
    };
    let expired_policy =
        r#"{"policy_version":2,"playback_policy":{"expire_date":"2020-01-01T00:00:00Z"}}"#;
    let minutes = |m: i64| jiff::SignedDuration::from_secs(m * 60);
    let cases: Vec<(String, &str, String, u16, &str)> = vec![
        (
            "no token".into(),
            "",
            common::license::kids_body(&kid),
            401,
            "TOKEN_MISSING",
        ),
        (
            "not base64".into(),
            "%%%",
            common::license::kids_body(&kid),
            400,
            "TOKEN_MALFORMED",
        ),
        (
            "unknown site".into(),
            "",
            String::new(),
            401,
            "TOKEN_INVALID",
        ),
        (
            "wrong access key".into(),
            "",
            String::new(),
            401,
            "TOKEN_INVALID",
        ),
        ("expired".into(), "", String::new(), 401, "TOKEN_EXPIRED"),
        (
            "from the future".into(),
            "",
            String::new(),
            401,
            "TOKEN_NOT_YET_VALID",
        ),
        (
            "Widevine token".into(),
            "",
            String::new(),
            400,
            "TOKEN_DRM_TYPE",
        ),
        (
            "policy of another site key".into(),
            "",
            String::new(),
            400,
            "POLICY_INVALID",
        ),
        (
            "expire_date passed".into(),
            "",
            String::new(),
            403,
            "LICENSE_EXPIRED",
        ),
        (
            "kid of another content".into(),
            "",
            common::license::kids_body(&[other_cid[0].kid]),
            404,
            "KEY_NOT_FOUND",
        ),
        (
            "kid of another site".into(),
            "",
            common::license::kids_body(&[other_site[0].kid]),
            404,
            "KEY_NOT_FOUND",
        ),
        (
            "unknown kid".into(),
            "",
            common::license::kids_body(&[KeyId([7; 16])]),
            404,
            "KEY_NOT_FOUND",
        ),
        (
            "body not JSON".into(),
            "",
            "kids please".into(),
            400,
            "LICENSE_REQUEST_INVALID",
        ),
        (
            "persistent request, streaming policy".into(),
            "",
            format!(
                r#"{{"kids":["{}"],"type":"persistent-license"}}"#,
                kid[0].to_base64url()
            ),
            403,
            "PERSISTENT_NOT_ALLOWED",
        ),
    ];
    for (name, raw_token, body, status, code) in cases {
        let tok = match name.as_str() {
            "no token" => None,
            "not base64" => Some(raw_token.to_string()),
            "unknown site" => Some(token(&unknown_site, user, "movie-1", STREAMING)),
            "wrong access key" => Some(token(&wrong_key, user, "movie-1", STREAMING)),
            "expired" => Some(with("ClearKey", now - minutes(11))),
            "from the future" => Some(with("ClearKey", now + minutes(5))),
            "Widevine token" => Some(with("Widevine", now)),
            "policy of another site key" => {
                Some(token(&wrong_site_key, user, "movie-1", STREAMING))
            }
            "expire_date passed" => Some(token(&creds, user, "movie-1", expired_policy)),
            _ => Some(good.clone()),
        };
        let body = if body.is_empty() {
            common::license::kids_body(&kid)
        } else {
            body
        };
        let mut h = vec![("content-type", "application/json")];
        if let Some(t) = &tok {
            h.push(("pallycon-customdata-v2", t.as_str()));
        }
        let a = c.post("/license/clearkey", &h, &body);
        assert_eq!(
            (a.status, a.code().as_str()),
            (status, code),
            "{name}: {}",
            a.body
        );
        assert!(
            a.json()["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        assert!(a.json().get("current_streams").is_none(), "{name}");
        if let Some(t) = &tok {
            assert!(
                !a.body.contains(t.as_str()),
                "{name}: the answer echoes the token"
            );
        }
    }
    // None of the refused requests took a slot.
    assert_eq!(c.current_streams(&creds, user), 0);
    // A session id that is not printable ASCII is a request error of its own.
    let a = c.license(&good, Some(&"x".repeat(129)), None, &kid);
    assert_eq!(
        (a.status, a.code().as_str()),
        (400, "CSL_SESSION_ID_INVALID")
    );
}

#[test]
fn the_policy_decides_keys_counting_and_the_limit() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let multi = content_keys(&files, "DEMO", "movie-1", &["SD", "HD", "AUDIO"]);
    let kid_of = |label: &str| multi.iter().find(|k| k.track_type == label).unwrap().kid;
    let server = files.start(&[]);
    let c = LicenseClient::new(&server.url());
    let all = [kid_of("SD"), kid_of("HD"), kid_of("AUDIO")];

    // allowed_track_types SD_ONLY withholds the HD key.
    let sd_only = r#"{"policy_version":2,"playback_policy":{"allowed_track_types":"SD_ONLY"}}"#;
    let a = c.license(&token(&creds, "u-sd", "movie-1", sd_only), None, None, &all);
    assert_eq!(a.status, 200, "{}", a.body);
    let got: Vec<String> = a.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        got,
        [kid_of("SD").to_base64url(), kid_of("AUDIO").to_base64url()]
    );

    // A key carried in the policy (external key), not in the keystore.
    let ext_kid = KeyId::from_hex("9eb4050de44b4802932e27d75083e266").unwrap();
    let ext = r#"{"policy_version":2,"external_key":{"mpeg_cenc":[{"track_type":"ALL","key_id":"9eb4050de44b4802932e27d75083e266","key":"166634c675823c235a4a9446fad52e4d","iv":"00000000000000000000000000000000"}]}}"#;
    let a = c.license(
        &token(&creds, "u-ext", "ext-content", ext),
        None,
        None,
        &[ext_kid],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["keys"][0]["k"], "FmY0xnWCPCNaSpRG-tUuTQ");

    // Persistent licenses are neither counted nor refused; no renewal headers.
    let persistent = r#"{"policy_version":2,"playback_policy":{"persistent":true}}"#;
    for i in 0..5 {
        let t = token(&creds, "u-offline", "movie-1", persistent);
        let body = format!(
            r#"{{"kids":["{}"],"type":"persistent-license"}}"#,
            all[0].to_base64url()
        );
        let a = c.post(
            "/license/clearkey",
            &[("pallycon-customdata-v2", &t)],
            &body,
        );
        assert_eq!(a.status, 200, "{i}: {}", a.body);
        assert_eq!(a.json()["type"], "persistent-license");
        assert!(a.header("mdrm-renewal-ticket").is_none());
        assert!(a.streams().is_none());
    }
    assert_eq!(c.current_streams(&creds, "u-offline"), 0);

    // A cast-receiver license (flagged in the signed policy) is issued without renewal and
    // not counted.
    let cast = r#"{"policy_version":2,"playback_policy":{"cast_receiver":true}}"#;
    for _ in 0..5 {
        let a = c.license(&token(&creds, "u-cast", "movie-1", cast), None, None, &all);
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.header("mdrm-renewal-ticket").is_none());
    }
    assert_eq!(c.current_streams(&creds, "u-cast"), 0);

    // The token's max_stream_per_user wins over the site's 3.
    let one = r#"{"policy_version":2,"playback_policy":{"max_stream_per_user":1}}"#;
    let a = c.license(
        &token(&creds, "u-one", "movie-1", one),
        Some("dev-a"),
        None,
        &all,
    );
    assert_eq!((a.status, a.header("mdrm-streams-max")), (200, Some("1")));
    let b = c.license(
        &token(&creds, "u-one", "movie-1", one),
        Some("dev-b"),
        None,
        &all,
    );
    assert_eq!(b.status, 403, "{}", b.body);
    let v = b.json();
    assert_eq!(v["error_code"], "CSL_LIMIT_REACHED");
    assert_eq!(
        (v["current_streams"].as_u64(), v["max_streams"].as_u64()),
        (Some(1), Some(1))
    );

    // No user id (the format's LICENSETOKEN) on a CSL site; key rotation asked on a CSL site.
    let a = c.license(
        &token(&creds, "LICENSETOKEN", "movie-1", STREAMING),
        None,
        None,
        &all,
    );
    assert_eq!((a.status, a.code().as_str()), (400, "CSL_USER_ID_REQUIRED"));
    let rot = token_with(
        &creds,
        "ClearKey",
        "u-rot",
        "movie-1",
        STREAMING,
        jiff::Timestamp::now(),
        true,
    );
    let a = c.license(&rot, None, None, &all);
    assert_eq!(
        (a.status, a.code().as_str()),
        (400, "CSL_KEY_ROTATION_CONFLICT")
    );
}

#[test]
fn without_csl_anonymous_tokens_play_and_nothing_is_counted() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&["--no-csl"]);
    let c = LicenseClient::new(&server.url());
    for i in 0..5 {
        let a = c.license(
            &token(&creds, "LICENSETOKEN", "movie-1", STREAMING),
            Some(&format!("s{i}")),
            None,
            &[keys[0].kid],
        );
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(a.streams().is_none());
    }
}

/// The product guide's scenario through the service: max 2, a short interval. Devices 1 and 2
/// are admitted and keep renewing; device 3 is refused; device 1 stops renewing; one lease
/// later device 3 is admitted. A checker polls the status endpoint all along: never above 2.
#[test]
fn scenario_two_streams_third_refused_until_one_stops() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&["--csl-max-streams", "2", "--csl-renewal-interval", "1500ms"]);
    let c = LicenseClient::new(&server.url());
    let kid = [keys[0].kid];
    let user = "viewer";
    let tok = |_: &str| token(&creds, user, "movie-1", STREAMING);

    let stop = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicU64::new(0));
    let checker = {
        let (c, creds, stop, max_seen) = (c.clone(), creds.clone(), stop.clone(), max_seen.clone());
        std::thread::spawn(move || {
            let mut polls = 0;
            while !stop.load(Ordering::SeqCst) {
                let n = c.current_streams(&creds, user);
                max_seen.fetch_max(n, Ordering::SeqCst);
                polls += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            polls
        })
    };

    let d1 = c.license(&tok("1"), Some("device-1"), None, &kid);
    let d2 = c.license(&tok("2"), Some("device-2"), None, &kid);
    assert_eq!((d1.status, d1.streams()), (200, Some(1)), "{}", d1.body);
    assert_eq!((d2.status, d2.streams()), (200, Some(2)), "{}", d2.body);
    let d3 = c.license(&tok("3"), Some("device-3"), None, &kid);
    assert_eq!(d3.status, 403, "{}", d3.body);
    let v = d3.json();
    assert_eq!(v["error_code"], "CSL_LIMIT_REACHED");
    assert_eq!(
        (v["current_streams"].as_u64(), v["max_streams"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(v["message"].as_str().unwrap().contains("2 of 2"));
    assert!(d3.header("retry-after").is_some());

    // Device 2 keeps renewing (the renewal is the same request again); device 1 goes silent.
    let renewer = {
        let (c, stop, t) = (c.clone(), stop.clone(), tok("2"));
        let mut ticket = d2.header("mdrm-renewal-ticket").map(str::to_string);
        std::thread::spawn(move || {
            let mut renewals = 0;
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(500));
                let a = c.license(&t, Some("device-2"), ticket.as_deref(), &kid);
                assert_eq!(a.status, 200, "device 2 renewal: {}", a.body);
                ticket = a.header("mdrm-renewal-ticket").map(str::to_string);
                renewals += 1;
            }
            renewals
        })
    };
    // Device 3 retries until it gets the slot device 1 left; that takes one lease.
    let t0 = Instant::now();
    let admitted = loop {
        let a = c.license(&tok("3"), Some("device-3"), None, &kid);
        if a.status == 200 {
            break a;
        }
        assert_eq!(a.status, 403, "{}", a.body);
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "device 3 never admitted"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(admitted.streams(), Some(2));
    let waited = t0.elapsed();
    // It really had to wait for device 1's lease to end (not admitted early).
    let d1_ended = c.status(&creds.site_id, &creds.access_key, user).json();
    let sessions: Vec<&str> = d1_ended["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert!(
        sessions.contains(&"device-2") && sessions.contains(&"device-3"),
        "{sessions:?}"
    );
    assert!(!sessions.contains(&"device-1"));
    std::thread::sleep(Duration::from_millis(1200));
    stop.store(true, Ordering::SeqCst);
    let renewals = renewer.join().unwrap();
    let polls = checker.join().unwrap();
    assert!(renewals >= 3, "device 2 renewed {renewals} times");
    assert!(polls > 10);
    assert_eq!(
        max_seen.load(Ordering::SeqCst),
        2,
        "the count went above 2 (or never reached it)"
    );
    eprintln!("device 3 admitted after {waited:?}; {renewals} renewals; {polls} status polls");
}

#[test]
fn an_old_token_renews_only_with_its_renewal_ticket() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&["--token-lifetime", "2s", "--csl-renewal-interval", "60s"]);
    let c = LicenseClient::new(&server.url());
    let kid = [keys[0].kid];
    let t = token(&creds, "u1", "movie-1", STREAMING);
    let first = c.license(&t, None, None, &kid);
    assert_eq!(first.status, 200, "{}", first.body);
    let ticket = first.header("mdrm-renewal-ticket").unwrap().to_string();
    let session = first.header("mdrm-session-id").unwrap().to_string();
    std::thread::sleep(Duration::from_millis(3500));

    let plain = c.license(&t, None, None, &kid);
    assert_eq!(
        (plain.status, plain.code().as_str()),
        (401, "TOKEN_EXPIRED")
    );
    let renewed = c.license(&t, None, Some(&ticket), &kid);
    assert_eq!(
        (renewed.status, renewed.streams()),
        (200, Some(1)),
        "{}",
        renewed.body
    );
    assert_eq!(renewed.header("mdrm-session-id"), Some(session.as_str()));
    // The ticket also travels in the body, for apps that rewrite it.
    let body = format!(
        r#"{{"kids":["{}"],"renewal_ticket":"{ticket}"}}"#,
        kid[0].to_base64url()
    );
    let b = c.post(
        "/license/clearkey",
        &[("pallycon-customdata-v2", &t)],
        &body,
    );
    assert_eq!(b.status, 200, "{}", b.body);

    // Not for another session, and not forged.
    let other = c.license(&t, Some("another-session"), Some(&ticket), &kid);
    assert_eq!(
        (other.status, other.code().as_str()),
        (401, "TOKEN_EXPIRED")
    );
    let mut forged = ticket.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let f = c.license(&t, None, Some(&forged), &kid);
    assert_eq!((f.status, f.code().as_str()), (401, "TOKEN_EXPIRED"));
    // A ticket never rescues a token whose hash does not verify.
    let mut bad = mdrm_server::license::token::LicenseToken::decode(&t).unwrap();
    bad.user_id = "someone-else".into();
    let json = serde_json::json!({"drm_type": bad.drm_type, "site_id": bad.site_id, "user_id": bad.user_id,
        "cid": bad.cid, "policy": bad.policy, "timestamp": bad.timestamp_text, "hash": bad.hash});
    let tampered = base64::engine::general_purpose::STANDARD.encode(json.to_string());
    let x = c.license(&tampered, None, Some(&ticket), &kid);
    assert_eq!((x.status, x.code().as_str()), (401, "TOKEN_INVALID"));
}

#[test]
fn release_frees_the_slot_at_once() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&["--csl-max-streams", "1"]);
    let c = LicenseClient::new(&server.url());
    let kid = [keys[0].kid];
    let ta = token(&creds, "u1", "movie-1", STREAMING);
    // Issued a second earlier, so it is another token (another derived session) even when
    // both are made within one second.
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1);
    let tb = token_with(
        &creds, "ClearKey", "u1", "movie-1", STREAMING, earlier, false,
    );
    assert_ne!(ta, tb);
    assert_eq!(c.license(&ta, None, None, &kid).status, 200);
    assert_eq!(c.license(&tb, None, None, &kid).status, 403);
    // Released with the token alone (its derived session), as navigator.sendBeacon would.
    let enc = ta
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let r = c.post(
        &format!("/license/clearkey/release?token={enc}"),
        &[("content-type", "text/plain")],
        "",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["released"], true);
    assert_eq!(c.release(&ta, None).json()["released"], false);
    let b = c.license(&tb, None, None, &kid);
    assert_eq!(b.status, 200, "{}", b.body);
    // Explicit session ids, header and body.
    let r = c.release(&tb, Some("not-this-one"));
    assert_eq!(r.json()["released"], false);
    let sid = b.header("mdrm-session-id").unwrap();
    let r = c.post(
        "/license/clearkey/release",
        &[("pallycon-customdata-v2", &tb)],
        &format!(r#"{{"session_id":"{sid}"}}"#),
    );
    assert_eq!(r.json()["released"], true, "{}", r.body);
    assert_eq!(c.current_streams(&creds, "u1"), 0);
    // A release needs a verified token too.
    let r = c.release("bm90IGEgdG9rZW4=", None);
    assert_eq!(r.status, 400);
}

#[test]
fn status_needs_the_sites_access_key_and_lists_live_sessions() {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let other = files.add_site("OTHR");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&["--csl-renewal-interval", "90s", "--csl-grace", "10s"]);
    let c = LicenseClient::new(&server.url());
    let t = token(&creds, "user@example.com", "movie-1", STREAMING);
    assert_eq!(c.license(&t, Some("tv"), None, &[keys[0].kid]).status, 200);
    assert_eq!(
        c.license(&t, Some("phone"), None, &[keys[0].kid]).status,
        200
    );

    let a = c.status(&creds.site_id, &creds.access_key, "user@example.com");
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_eq!(v["current_streams"], 2);
    assert_eq!(v["max_streams_per_user"], 3);
    assert_eq!(v["store"], "memory");
    assert_eq!(v["fail_mode"], "open-for-renewals");
    for s in v["sessions"].as_array().unwrap() {
        let ms = s["expires_in_ms"].as_u64().unwrap();
        assert!(ms > 90_000 && ms <= 100_000, "{ms}");
    }
    // Wrong key, another site's key, no credentials: 401 with a Basic challenge.
    for (site, key) in [
        (creds.site_id.as_str(), other.access_key.as_str()),
        (other.site_id.as_str(), creds.access_key.as_str()),
    ] {
        let a = c.status(site, key, "user@example.com");
        assert_eq!((a.status, a.code().as_str()), (401, "AUTH_FAILED"));
    }
    let r = ureq::get(&format!("{}/license/csl/status?user_id=x", server.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    // Another site's staff see their own (empty) count, never this site's users.
    let a = c.status(&other.site_id, &other.access_key, "user@example.com");
    assert_eq!(a.json()["current_streams"], 0);
}

#[test]
fn csl_and_key_rotation_on_one_site_refuse_to_start() {
    let files = ServerFiles::new();
    files.add_site("DEMO");
    let cfg = files.dir.path().join("mdrm.toml");
    std::fs::write(
        &cfg,
        "[license]\n[[license.sites]]\nsite_id = \"DEMO\"\nkey_rotation = true\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::server_bin())
        .args(["--db", &files.db().display().to_string()])
        .args(["--secret-file", &files.secret().display().to_string()])
        .args(["--port", &mdrm_testkit::free_port().to_string()])
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DEMO") && err.contains("key rotation"),
        "{err}"
    );
    // Bad store and fail-mode flags stop it too, with the flag named.
    for (flag, value, says) in [
        ("--csl-store", "postgres://x", "memory"),
        ("--csl-fail-mode", "sometimes", "--csl-fail-mode"),
        ("--csl-renewal-interval", "ten", "--csl-renewal-interval"),
    ] {
        let out = std::process::Command::new(common::server_bin())
            .args(["--db", &files.db().display().to_string()])
            .args(["--secret-file", &files.secret().display().to_string()])
            .args([flag, value])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag}: {err}");
    }
}

#[test]
fn the_token_command_prints_tokens_the_server_accepts() {
    let files = ServerFiles::new();
    files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    let server = files.start(&[]);
    let token_cmd = |extra: &[&str]| {
        std::process::Command::new(common::server_bin())
            .args([
                "token",
                "--site-id",
                "DEMO",
                "--user-id",
                "u1",
                "--cid",
                "movie-1",
            ])
            .args(extra)
            .args(["--db", &files.db().display().to_string()])
            .args(["--secret-file", &files.secret().display().to_string()])
            .output()
            .unwrap()
    };
    let out = token_cmd(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let c = LicenseClient::new(&server.url());
    let a = c.license(&t, None, None, &[keys[0].kid]);
    assert_eq!((a.status, a.streams()), (200, Some(1)), "{}", a.body);
    // A policy override travels encrypted and is honoured.
    let out = token_cmd(&[
        "--policy",
        r#"{"policy_version":2,"playback_policy":{"max_stream_per_user":1}}"#,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let one = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let b = c.license(&one, Some("second-device"), None, &[keys[0].kid]);
    assert_eq!(
        (b.status, b.code().as_str()),
        (403, "CSL_LIMIT_REACHED"),
        "{}",
        b.body
    );
    // An unknown site is an error naming the flag, with no token printed.
    let out = std::process::Command::new(common::server_bin())
        .args([
            "token",
            "--site-id",
            "NOPE",
            "--user-id",
            "u1",
            "--cid",
            "movie-1",
        ])
        .args(["--db", &files.db().display().to_string()])
        .args(["--secret-file", &files.secret().display().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--site-id"));
}
