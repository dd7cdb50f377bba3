//! Key-service cost per request: the packagers' CPIX client against the real router on a
//! loopback socket (HTTP, authentication, CPIX parse/write, SQLite, signalling).
//!
//! Run: `cargo bench -p mdrm-server --bench key_requests`

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use keys::TrackType;
use kms_client::{
    ContentId, CpixClient, DrmSystem, EncryptionScheme, HttpOptions, KeyRequest, KeySource,
};
use mdrm_server::config::{DefaultPaths, FlagSettings, Settings};
use mdrm_server::sites::{SiteCredentials, SiteKey, generate_access_key};
use mdrm_server::{AppState, router, serve};

fn request(cid: &str, drm: Vec<DrmSystem>) -> KeyRequest {
    KeyRequest {
        site_id: None,
        content_id: ContentId::parse("c", cid).unwrap(),
        track_types: vec![TrackType::Audio, TrackType::Hd],
        multi_key: false,
        drm_systems: drm,
        scheme: Some(EncryptionScheme::Cenc),
    }
}

fn key_requests(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let flags = FlagSettings {
        database: Some(dir.path().join("keystore.sqlite")),
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

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    runtime.spawn(serve(listener, router(state), std::future::pending()));

    let client = CpixClient::new(
        &url,
        creds.site_id.clone(),
        creds.access_key.clone(),
        HttpOptions::default(),
    )
    .unwrap();
    let plain = request("bench-existing", vec![]);
    let drm = request(
        "bench-existing",
        vec![
            DrmSystem::Widevine,
            DrmSystem::PlayReady,
            DrmSystem::ClearKey,
        ],
    );
    client.fetch(&plain).unwrap();
    let mut g = c.benchmark_group("mdrm-server");
    g.bench_function("CPIX request, existing key, no DRM signalling", |b| {
        b.iter(|| client.fetch(&plain).unwrap())
    });
    g.bench_function(
        "CPIX request, existing key, Widevine+PlayReady+ClearKey",
        |b| b.iter(|| client.fetch(&drm).unwrap()),
    );
    let n = AtomicU64::new(0);
    g.bench_function("CPIX request, new content (key created, fsync)", |b| {
        b.iter(|| {
            let cid = format!("bench-new-{}", n.fetch_add(1, Ordering::Relaxed));
            client.fetch(&request(&cid, vec![])).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, key_requests);
criterion_main!(benches);
