//! The Redis store's key space: key names are derived from a hash of (site, user), so no user id
//! reaches them, both keys of a user share one hash tag, and keys expire on their own once the
//! user's last lease is over (the clock key after the retention).

mod common;

use std::num::NonZeroU32;
use std::time::Duration;

use csl::{Decision, RedisConfig, RedisStore, SessionId, Store, SubjectKey};

use common::redis_server::RedisServer;

fn resp_lines(reply: &str) -> Vec<&str> {
    reply
        .lines()
        .filter(|l| !l.starts_with('*') && !l.starts_with('$'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_names_hide_user_ids_and_expire_with_the_last_lease() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(
        &server.url(),
        RedisConfig {
            deadline: Duration::from_secs(5),
            clock_retention: Duration::from_secs(2),
            ..RedisConfig::default()
        },
    )
    .unwrap();
    let hostile = [
        "alice",
        "evil}{user",
        "a:b:*",
        "new\nline",
        &"x".repeat(10_000),
    ];
    let max = NonZeroU32::new(2).unwrap();
    let lease = Duration::from_secs(2);
    for user in hostile {
        let d = store
            .admit(
                &SubjectKey::new("SITE", user),
                &SessionId::new("s").unwrap(),
                max,
                lease,
            )
            .await
            .unwrap();
        assert!(matches!(d, Decision::Admitted(_)));
    }
    let keys_reply = server.command("KEYS *");
    let keys = resp_lines(&keys_reply);
    assert_eq!(keys.len(), 2 * hostile.len(), "{keys:?}");
    for k in &keys {
        let rest = k.strip_prefix("mdrm:csl:{").expect("prefix and hash tag");
        let (hex, suffix) = rest.split_once('}').expect("closing brace");
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(suffix == ":l" || suffix == ":t", "{k}");
    }
    for user in hostile {
        let (l, t) = store.key_names(&SubjectKey::new("SITE", user));
        assert!(keys.contains(&l.as_str()) && keys.contains(&t.as_str()));
        let ttl = |k: &str| -> i64 {
            resp_lines(&server.command(&format!("PTTL {k}")))[0]
                .trim_start_matches(':')
                .parse()
                .unwrap()
        };
        let (lease_ttl, clock_ttl) = (ttl(&l), ttl(&t));
        assert!(
            (1..=2_002).contains(&lease_ttl),
            "lease key TTL {lease_ttl} ms"
        );
        assert!(
            (1_500..=2_100).contains(&(clock_ttl - lease_ttl)),
            "the clock key outlives the lease key by the retention: {clock_ttl} vs {lease_ttl} ms"
        );
    }
    // After the lease, the lease sets are gone; after the retention, the clocks too.
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    let left = server.command("KEYS *:l");
    assert!(resp_lines(&left).is_empty(), "{left}");
    assert_eq!(resp_lines(&server.command("KEYS *:t")).len(), hostile.len());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = server.command("KEYS *");
    assert!(resp_lines(&left).is_empty(), "{left}");
}
