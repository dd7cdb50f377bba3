//! Packagers in separate processes asking for keys of the same new contents at the same moment,
//! through two `mdrm-server` processes sharing one keystore, all get the same key per content
//! and the keystore holds one row per (content, track type).
//!
//! The client processes are this test binary re-run (`client_process_entry`, a no-op unless
//! the environment says otherwise), released together by a "go" file.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{Credentials, ServerFiles, quick_http};
use keys::{TrackType, to_hex};
use kms_client::{ContentId, DrmSystem, KeyRequest, KeySource, Keystore};

const CHILD_ENV: &str = "MDRM_TEST_CPIX_CHILD";
const CLIENTS: usize = 3;
const THREADS: usize = 8;
const CONTENTS: usize = 12;

fn run_client(urls: &[String], site: &str, access_key: &str, go: &Path) {
    let creds = Credentials {
        site_id: site.into(),
        access_key: access_key.into(),
        site_key: String::new(),
        kms_token: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !go.exists() {
        assert!(Instant::now() < deadline, "never released");
        std::thread::sleep(Duration::from_millis(1));
    }
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = creds.client(&urls[t % urls.len()], quick_http());
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut out = Vec::new();
                for i in 0..CONTENTS {
                    let i = (i + t * 5) % CONTENTS;
                    let req = KeyRequest {
                        site_id: None,
                        content_id: ContentId::parse("c", &format!("new-content-{i}")).unwrap(),
                        track_types: vec![TrackType::Audio, TrackType::Hd],
                        multi_key: i.is_multiple_of(3),
                        drm_systems: vec![DrmSystem::Widevine],
                        scheme: None,
                    };
                    for k in client.fetch(&req).unwrap().keys() {
                        out.push(format!(
                            "new-content-{i} {} {} {}",
                            k.track_type.as_str(),
                            k.kid,
                            to_hex(k.key.secret_bytes())
                        ));
                    }
                }
                out
            })
        })
        .collect();
    for h in handles {
        for line in h.join().unwrap() {
            println!("{line}");
        }
    }
}

#[test]
fn client_process_entry() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let parts: Vec<&str> = spec.split('|').collect();
        let urls: Vec<String> = parts[3..].iter().map(|s| s.to_string()).collect();
        run_client(&urls, parts[0], parts[1], Path::new(parts[2]));
    }
}

#[test]
fn client_processes_through_two_servers_agree() {
    let files = ServerFiles::new();
    let creds = files.add_site("RACE");
    let a = files.start(&[]);
    let b = files.start(&[]);
    let go = files.dir.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let spec = format!(
        "{}|{}|{}|{}|{}",
        creds.site_id,
        creds.access_key,
        go.display(),
        a.url(),
        b.url()
    );
    let children: Vec<_> = (0..CLIENTS)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "client_process_entry",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(CHILD_ENV, &spec)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&go, b"go").unwrap();

    let mut seen: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            // libtest may print "test client_process_entry ... " in front of the first line.
            let Some(at) = line.find("new-content-") else {
                continue;
            };
            let f: Vec<&str> = line[at..].split(' ').collect();
            assert_eq!(f.len(), 4, "{line}");
            total += 1;
            let val = (f[2].to_string(), f[3].to_string());
            let prev = seen
                .entry((f[0].to_string(), f[1].to_string()))
                .or_insert_with(|| val.clone());
            assert_eq!(*prev, val, "two keys for {} {}", f[0], f[1]);
        }
    }
    let multi = (0..CONTENTS).filter(|i| i.is_multiple_of(3)).count();
    let per_thread = (CONTENTS - multi) + multi * 2;
    assert_eq!(total, CLIENTS * THREADS * per_thread);
    assert_eq!(seen.len(), per_thread);
    drop((a, b));
    let rows = Keystore::open(&files.db()).unwrap().key_count().unwrap() as usize;
    assert_eq!(rows, per_thread, "one row per (content, track type)");
}
