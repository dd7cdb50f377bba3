//! Key acquisition costs: CPIX parsing/writing, one client-side exchange without I/O, and
//! keystore lookups and creations (SQLite, WAL, synchronous=FULL) on the local disk.
//!
//! Run: `cargo bench -p kms-client --bench cpix_and_keystore`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keys::TrackType;
use kms_client::cpix::{KeySecret, parse, write};
use kms_client::{
    ContentId, DrmSystem, EncryptionScheme, KeyRequest, Keystore, build_key_request,
    read_key_answer,
};

fn dash_vod_answer() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cloudkms_dash_vod_response.xml"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("qAUAAAEAAQCeB...A=", "")
}

fn cpix(c: &mut Criterion) {
    let text = dash_vod_answer();
    let mut g = c.benchmark_group("cpix");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse cloud KMS DASH answer", |b| {
        b.iter(|| parse(black_box(&text)).unwrap())
    });
    let doc = parse(&text).unwrap();
    g.bench_function("write cloud KMS DASH answer", |b| {
        b.iter(|| write(black_box(&doc)))
    });
    g.finish();

    // One multi-key client exchange without the network: build, write, parse the answer, map.
    let req = KeyRequest {
        site_id: None,
        content_id: ContentId::parse("c", "bench-content").unwrap(),
        track_types: vec![TrackType::Audio, TrackType::Sd, TrackType::Hd],
        multi_key: true,
        drm_systems: vec![DrmSystem::Widevine, DrmSystem::PlayReady],
        scheme: Some(EncryptionScheme::Cenc),
    };
    c.bench_function("cpix/client exchange without I/O (3 keys)", |b| {
        b.iter(|| {
            let (mut doc, sent) = build_key_request(&req).unwrap();
            let _ = write(&doc);
            for k in &mut doc.content_keys {
                k.secret = KeySecret::Plain(keys::ContentKey::new([7; 16]));
            }
            let answer = parse(&write(&doc)).unwrap();
            read_key_answer(&answer, &sent).unwrap()
        })
    });
}

fn keystore(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let ks = Keystore::open(&dir.path().join("bench.sqlite")).unwrap();
    ks.get_or_create("BNCH", "existing", &["ALL"]).unwrap();
    c.bench_function("keystore/get existing key", |b| {
        b.iter(|| {
            ks.get_or_create("BNCH", black_box("existing"), &["ALL"])
                .unwrap()
        })
    });
    let n = AtomicU64::new(0);
    c.bench_function("keystore/create new key (fsync)", |b| {
        b.iter(|| {
            let cid = format!("new-{}", n.fetch_add(1, Ordering::Relaxed));
            ks.get_or_create("BNCH", &cid, &["ALL"]).unwrap()
        })
    });
}

criterion_group!(benches, cpix, keystore);
criterion_main!(benches);
