//! Unit tests of every store rule, on a manual clock.

use super::*;
use crate::time::ManualClock;

const MS: Duration = Duration::from_millis(1);
const LEASE: Duration = Duration::from_secs(10);

fn t(us: u64) -> StoreTime {
    StoreTime::from_micros(us)
}

fn max(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

fn store() -> (MemoryStore<ManualClock>, ManualClock) {
    let clock = ManualClock::new(t(1_000_000));
    (MemoryStore::with_clock(clock.clone()), clock)
}

fn admitted(d: Decision) -> Admission {
    match d {
        Decision::Admitted(a) => a,
        Decision::Refused(r) => panic!("expected admission, got {r:?}"),
    }
}

fn refused(d: Decision) -> LimitReached {
    match d {
        Decision::Refused(r) => r,
        Decision::Admitted(a) => panic!("expected refusal, got {a:?}"),
    }
}

#[test]
fn admits_up_to_max_then_refuses_with_count_and_next_free_slot() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    let a = admitted(s.admit_sync(&u, &sid("a"), max(2), LEASE));
    assert_eq!((a.live, a.max, a.renewed), (1, 2, false));
    assert_eq!(a.now, t(1_000_000));
    assert_eq!(a.expires_at, t(11_000_000));
    clock.advance(MS);
    let b = admitted(s.admit_sync(&u, &sid("b"), max(2), LEASE));
    assert_eq!(b.live, 2);
    clock.advance(MS);
    let r = refused(s.admit_sync(&u, &sid("c"), max(2), LEASE));
    assert_eq!((r.live, r.max), (2, 2));
    assert_eq!(r.frees_at, a.expires_at, "the earliest lease frees first");
    assert_eq!(r.retry_after(), a.expires_at.since(r.now));
}

#[test]
fn renewal_is_idempotent_and_extends_the_lease() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    admitted(s.admit_sync(&u, &sid("a"), max(3), LEASE));
    for i in 1..=6 {
        clock.advance(Duration::from_secs(5));
        let r = admitted(s.admit_sync(&u, &sid("a"), max(3), LEASE));
        assert!(r.renewed);
        assert_eq!(r.live, 1, "renewal {i} must not count twice");
        assert_eq!(r.expires_at, r.now.saturating_add(LEASE));
    }
    assert_eq!(s.live_sync(&u).leases.len(), 1);
}

#[test]
fn a_lease_is_live_until_just_before_its_expiry() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    let a = admitted(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    clock.set(t(a.expires_at.as_micros() - 1));
    let r = refused(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    assert_eq!(r.live, 1);
    clock.set(a.expires_at);
    let b = admitted(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    assert_eq!((b.live, b.renewed), (1, false), "expiry == now is over");
}

#[test]
fn renewal_of_an_expired_session_is_a_new_admission_only_if_there_is_room() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    admitted(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    clock.advance(LEASE);
    let again = admitted(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    assert!(!again.renewed, "an expired session is not renewed");
    clock.advance(LEASE);
    admitted(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    let r = refused(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    assert_eq!(r.live, 1);
}

#[test]
fn a_lowered_limit_keeps_live_sessions_and_blocks_new_ones() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    let mut expiries = Vec::new();
    for id in ["a", "b", "c"] {
        expiries.push(admitted(s.admit_sync(&u, &sid(id), max(3), LEASE)).expires_at);
        clock.advance(MS);
    }
    let renewed = admitted(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    assert!(renewed.renewed);
    assert_eq!((renewed.live, renewed.max), (3, 1));
    let r = refused(s.admit_sync(&u, &sid("d"), max(1), LEASE));
    assert_eq!((r.live, r.max), (3, 1));
    // live must drop to 0 for a new one: after a and c expire and b (renewed) too.
    assert_eq!(r.frees_at, renewed.expires_at);
    let r2 = refused(s.admit_sync(&u, &sid("d"), max(2), LEASE));
    assert_eq!(r2.frees_at, expiries[2], "two must expire: a, then c");
}

#[test]
fn release_frees_the_slot_at_once() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    admitted(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    refused(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    let rel = s.release_sync(&u, &sid("a"));
    assert!(rel.removed);
    admitted(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    assert!(!s.release_sync(&u, &sid("zzz")).removed);
    clock.advance(LEASE);
    assert!(
        !s.release_sync(&u, &sid("b")).removed,
        "an expired session held no slot"
    );
    assert_eq!(s.user_count(), 0, "empty users are dropped");
}

#[test]
fn users_sites_and_limits_are_independent() {
    let (s, _clock) = store();
    let u1 = SubjectKey::new("S", "u1");
    let u2 = SubjectKey::new("S", "u2");
    let other_site = SubjectKey::new("T", "u1");
    admitted(s.admit_sync(&u1, &sid("a"), max(1), LEASE));
    admitted(s.admit_sync(&u2, &sid("a"), max(1), LEASE));
    admitted(s.admit_sync(&other_site, &sid("a"), max(1), LEASE));
    refused(s.admit_sync(&u1, &sid("b"), max(1), LEASE));
    admitted(s.admit_sync(&u1, &sid("b"), max(2), LEASE));
}

#[test]
fn clock_jumps_forward_expire_and_backward_jumps_revive_nothing() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    let a = admitted(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    clock.advance(Duration::from_secs(3600));
    let b = admitted(s.admit_sync(&u, &sid("b"), max(1), LEASE));
    assert_eq!(b.live, 1, "after +1 h the old lease is gone");
    clock.set(a.now);
    // Back one hour: the shard keeps its latest time, so b stays live and a stays dead.
    let r = refused(s.admit_sync(&u, &sid("a"), max(1), LEASE));
    assert_eq!(r.now, b.now, "time does not run backwards in the store");
    assert_eq!(r.live, 1);
    let l = s.live_sync(&u);
    assert_eq!(l.leases.len(), 1);
    assert_eq!(l.leases[0].session, sid("b"));
}

#[test]
fn live_lists_only_live_leases_earliest_first() {
    let (s, clock) = store();
    let u = SubjectKey::new("S", "u");
    admitted(s.admit_sync(&u, &sid("z"), max(5), LEASE));
    clock.advance(MS);
    admitted(s.admit_sync(&u, &sid("y"), max(5), LEASE));
    admitted(s.admit_sync(&u, &sid("x"), max(5), Duration::from_secs(1)));
    let l = s.live_sync(&u);
    let ids: Vec<&str> = l.leases.iter().map(|l| l.session.as_str()).collect();
    assert_eq!(ids, ["x", "z", "y"]);
    clock.advance(Duration::from_secs(1));
    assert_eq!(s.live_sync(&u).leases.len(), 2);
    assert!(
        s.live_sync(&SubjectKey::new("S", "nobody"))
            .leases
            .is_empty()
    );
}

#[test]
fn idle_users_are_swept() {
    let (s, clock) = store();
    for i in 0..1000 {
        let u = SubjectKey::new("S", &format!("user{i}"));
        admitted(s.admit_sync(&u, &sid("a"), max(3), LEASE));
    }
    assert_eq!((s.user_count(), s.lease_count()), (1000, 1000));
    clock.advance(LEASE);
    s.sweep();
    assert_eq!((s.user_count(), s.lease_count()), (0, 0));
}

#[test]
fn decisions_sweep_incrementally_without_an_explicit_sweeper() {
    let clock = ManualClock::new(t(1));
    let s = MemoryStore::with_shards(1, clock.clone());
    for i in 0..100 {
        let u = SubjectKey::new("S", &format!("user{i}"));
        admitted(s.admit_sync(&u, &sid("a"), max(3), LEASE));
    }
    clock.advance(LEASE);
    let active = SubjectKey::new("S", "active");
    for _ in 0..SWEEP_MIN_OPS {
        s.admit_sync(&active, &sid("a"), max(3), LEASE);
    }
    assert_eq!(s.user_count(), 1, "only the active user is left");
}

#[test]
fn one_shard_and_many_shards_decide_the_same() {
    let clock = ManualClock::new(t(1));
    let one = MemoryStore::with_shards(1, clock.clone());
    let many = MemoryStore::with_shards(64, clock.clone());
    for i in 0..200u32 {
        let u = SubjectKey::new("S", &format!("u{}", i % 7));
        let id = sid(&format!("s{}", i % 5));
        let m = max(1 + i % 3);
        assert_eq!(
            one.admit_sync(&u, &id, m, LEASE),
            many.admit_sync(&u, &id, m, LEASE)
        );
        clock.advance(Duration::from_millis(u64::from(i % 4) * 700));
    }
}

#[tokio::test]
async fn the_store_trait_answers_like_the_sync_methods() {
    let (s, _clock) = store();
    let u = SubjectKey::new("S", "u");
    let d = Store::admit(&s, &u, &sid("a"), max(1), LEASE)
        .await
        .unwrap();
    assert!(matches!(d, Decision::Admitted(_)));
    assert!(Store::is_infallible(&s));
    assert_eq!(Store::live(&s, &u).await.unwrap().leases.len(), 1);
    assert!(Store::release(&s, &u, &sid("a")).await.unwrap().removed);
}
