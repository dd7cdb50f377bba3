//! The server's logs are structured and never contain key bytes, access keys, site keys or
//! tokens: capture them from the real binary while it issues keys and refuses a wrong key.

mod common;

use common::{ServerFiles, quick_http};
use keys::{TrackType, to_base64, to_base64url, to_hex};
use kms_client::{ContentId, DrmSystem, EncryptionScheme, KeyRequest, KeySource};

#[test]
fn logs_are_json_and_hold_no_secrets() {
    let files = ServerFiles::new();
    let creds = files.add_site("LOGS");
    let mut server = files.start(&["--log-format", "json"]);
    let client = creds.client(&server.url(), quick_http());
    let mut secrets: Vec<String> = vec![
        creds.access_key.clone(),
        creds.site_key.clone(),
        creds.kms_token.clone(),
    ];
    for (i, multi) in [(0, false), (1, true), (2, false)] {
        let req = KeyRequest {
            site_id: None,
            content_id: ContentId::parse("c", &format!("log-test-{i}")).unwrap(),
            track_types: vec![TrackType::Audio, TrackType::Hd],
            multi_key: multi,
            drm_systems: vec![
                DrmSystem::Widevine,
                DrmSystem::PlayReady,
                DrmSystem::FairPlay,
            ],
            scheme: Some(EncryptionScheme::Cenc),
        };
        for k in client.fetch(&req).unwrap().keys() {
            let b = k.key.secret_bytes();
            secrets.push(to_hex(b));
            secrets.push(to_hex(b).to_uppercase());
            secrets.push(to_base64(b));
            secrets.push(to_base64url(b));
        }
    }
    // A wrong access key: refused and logged without the key.
    let wrong_key = "WrongKeyThatMustNotBeLogged0123456789";
    let mut wrong = creds.clone();
    wrong.access_key = wrong_key.into();
    assert!(
        wrong
            .client(&server.url(), quick_http())
            .fetch(&KeyRequest::single(
                None,
                ContentId::parse("c", "x").unwrap()
            ))
            .is_err()
    );
    secrets.push(wrong_key.into());
    // A request to an unknown path that embeds a token.
    let _ = ureq::post(&format!(
        "{}/v9/cpix/getKey/{}",
        server.url(),
        creds.kms_token
    ))
    .send("<x/>");
    server.kill();

    let log = server.log_text();
    // None of the secrets is in the log ...
    for s in &secrets {
        assert!(
            !log.contains(s.as_str()),
            "the log contains a secret ({} chars)",
            s.len()
        );
    }
    // ... and it says what happened.
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let issued: Vec<_> = lines
        .iter()
        .filter(|v| v["message"] == "cpix keys issued")
        .collect();
    assert_eq!(issued.len(), 3, "{log}");
    assert_eq!(issued[0]["site_id"], "LOGS");
    assert_eq!(issued[0]["content_id"], "log-test-0");
    assert!(
        lines
            .iter()
            .any(|v| v["message"] == "cpix authentication failed")
    );
    assert!(
        lines
            .iter()
            .any(|v| v["route"] == "/v2/cpix/pallycon/getKey/{*token}" && v["status"] == 200)
    );
    assert!(
        lines
            .iter()
            .any(|v| v["route"] == "<unmatched>" && v["status"] == 404)
    );
}
