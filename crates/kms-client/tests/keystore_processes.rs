//! Separate packager processes creating keys for the same new contents at the same moment on
//! one keystore file get the same keys, and the table holds one row per (content, track type).
//!
//! The test re-runs its own binary as the child processes (`child_process_entry`, a no-op
//! unless the environment says otherwise); a "go" file releases them all at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use keys::{TrackType, to_hex};
use kms_client::{ContentId, KeyRequest, KeySource, Keystore, KeystoreSource, SiteId};

const CHILD_ENV: &str = "MDRM_TEST_KEYSTORE_CHILD";
const PROCESSES: usize = 4;
const THREADS: usize = 6;
const CONTENTS: usize = 30;

fn wait_for(go: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !go.exists() {
        assert!(Instant::now() < deadline, "never released");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// One child: THREADS threads each ask for every content (single and multi-key), printing
/// `cid track kid keyhex` lines.
fn run_child(db: &Path, go: &Path) {
    let source = Arc::new(KeystoreSource::open(db).unwrap());
    wait_for(go);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let source = Arc::clone(&source);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut out = Vec::new();
                for i in 0..CONTENTS {
                    // Threads walk the contents in different orders.
                    let i = (i + t * 7) % CONTENTS;
                    let mut req = KeyRequest::single(
                        Some(SiteId::parse("s", "PROC").unwrap()),
                        ContentId::parse("c", &format!("race-{i}")).unwrap(),
                    );
                    req.multi_key = i % 2 == 1;
                    req.track_types = vec![TrackType::Audio, TrackType::Sd, TrackType::Hd];
                    for k in source.fetch(&req).unwrap().keys() {
                        out.push(format!(
                            "race-{i} {} {} {}",
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
fn child_process_entry() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (db, go) = spec.split_once('|').expect("db|go");
        run_child(Path::new(db), Path::new(go));
    }
}

#[test]
fn processes_racing_on_new_contents_agree() {
    let dir = mdrm_testkit::temp_dir();
    let db = dir.path().join("shared-keystore.sqlite");
    let go = dir.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "child_process_entry",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(CHILD_ENV, format!("{}|{}", db.display(), go.display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let every child open the keystore, then release them together.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&go, b"go").unwrap();

    let mut seen: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut lines_total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            // libtest may print "test child_process_entry ... " in front of the first line.
            let Some(at) = line.find("race-") else {
                continue;
            };
            let f: Vec<&str> = line[at..].split(' ').collect();
            assert_eq!(f.len(), 4, "{line}");
            lines_total += 1;
            let key = (f[0].to_string(), f[1].to_string());
            let val = (f[2].to_string(), f[3].to_string());
            let prev = seen.entry(key.clone()).or_insert_with(|| val.clone());
            assert_eq!(*prev, val, "two different keys for {key:?}");
        }
    }
    // Every process and thread reported every key.
    let per_thread = (CONTENTS / 2) + (CONTENTS / 2) * 3;
    assert_eq!(lines_total, PROCESSES * THREADS * per_thread);
    // One row per (content, track type): 15 single (ALL) + 15 x 3 multi.
    let ks = Keystore::open(&PathBuf::from(&db)).unwrap();
    assert_eq!(ks.key_count().unwrap() as usize, seen.len());
    assert_eq!(seen.len(), per_thread);
}
