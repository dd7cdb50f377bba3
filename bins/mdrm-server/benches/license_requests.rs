//! License-service cost per request: a ClearKey license request against the real router on a
//! loopback socket (HTTP, token hash and time window, AES-256-CBC policy, SQLite key lookup, CSL
//! decision on the memory store, JWK answer), for a renewal and for a new stream + release.
//!
//! Run: `cargo bench -p mdrm-server --bench license_requests`

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use kms_client::Keystore;
use mdrm_server::config::{DefaultPaths, FlagSettings, Settings};
use mdrm_server::license::token::{TokenRequest, issue_token};
use mdrm_server::sites::{SiteCredentials, SiteKey, generate_access_key};
use mdrm_server::{AppState, router, serve};

const POLICY: &str =
    r#"{"policy_version":2,"playback_policy":{"persistent":false,"license_duration":0}}"#;

fn license_requests(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keystore.sqlite");
    let flags = FlagSettings {
        database: Some(db.clone()),
        secret_file: Some(dir.path().join("secret.key")),
        ..FlagSettings::default()
    };
    let none = DefaultPaths {
        database: None,
        secret_file: None,
    };
    let settings = Settings::resolve(flags, None, none).unwrap();
    let (state, _) = AppState::open(&settings).unwrap();
    let creds = SiteCredentials {
        site_id: kms_client::SiteId::parse("s", "BNCH").unwrap(),
        access_key: generate_access_key(),
        site_key: SiteKey::generate(),
    };
    state.sites.put(&creds).unwrap();
    let kid = Keystore::open(&db)
        .unwrap()
        .get_or_create("BNCH", "movie-1", &["ALL"])
        .unwrap()[0]
        .kid;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(serve(listener, router(state), std::future::pending()));

    let token = issue_token(
        &TokenRequest {
            drm_type: "ClearKey",
            site_id: "BNCH",
            user_id: "bench-user",
            cid: "movie-1",
            policy_json: POLICY,
            timestamp: jiff::Timestamp::now(),
            key_rotation: false,
        },
        creds.access_key.expose_secret(),
        creds.site_key.expose_secret(),
    )
    .unwrap();
    let body = format!(
        r#"{{"kids":["{}"],"type":"temporary"}}"#,
        kid.to_base64url()
    );
    let agent = ureq::Agent::new_with_defaults();
    let license = |session: &str| {
        let mut resp = agent
            .post(&format!("{url}/license/clearkey"))
            .header("pallycon-customdata-v2", &token)
            .header("mdrm-session-id", session)
            .header("content-type", "application/json")
            .send(&body)
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.body_mut().read_to_string().unwrap()
    };
    let release = |session: &str| {
        agent
            .post(&format!("{url}/license/clearkey/release"))
            .header("pallycon-customdata-v2", &token)
            .header("mdrm-session-id", session)
            .send("")
            .unwrap();
    };
    license("renewing");

    let mut g = c.benchmark_group("mdrm-server license");
    g.bench_function("ClearKey license, renewal (memory store)", |b| {
        b.iter(|| license("renewing"))
    });
    let n = AtomicU64::new(0);
    g.bench_function(
        "ClearKey license, new stream + release (memory store)",
        |b| {
            b.iter(|| {
                let session = format!("s{}", n.fetch_add(1, Ordering::Relaxed));
                license(&session);
                release(&session);
            })
        },
    );
    g.finish();
}

criterion_group!(benches, license_requests);
criterion_main!(benches);
