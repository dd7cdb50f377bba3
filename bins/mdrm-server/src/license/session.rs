//! Playback sessions: which CSL session a request belongs to, and the renewal ticket that
//! proves an earlier admission.
//!
//! **Session id**, first found of:
//! 1. the `mdrm-session-id` request header,
//! 2. the `session_id` query parameter,
//! 3. the `session_id` field of the JSON request body,
//! 4. derived from the token: `tk-` + 32 hex digits of SHA-256 over the site id and the
//!    token's hash, so every request made with one token is one session.
//!
//! An app that renews with the same token needs nothing (4). An app that fetches a fresh token
//! for each renewal must send its own id (one random id per playback, e.g. a UUID), or each
//! renewal would count as a new stream.
//!
//! **Renewal ticket**: every counted admission answers `mdrm-renewal-ticket`,
//! `v1.<expiry unix s>.<base64url HMAC-SHA-256>` over (site, user, cid, session, expiry) with a
//! key derived from the site key, valid for one lease. Sent back on the next renewal (header
//! `mdrm-renewal-ticket`, query or body `renewal_ticket`) it proves the session was admitted:
//! the token may then be older than the token lifetime (the heartbeat repeats the first
//! request), and a replica that lost sight of the store (fail mode `open-for-renewals`) still
//! knows the session is no new stream.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Request/response header with the session id.
pub const SESSION_HEADER: &str = "mdrm-session-id";
/// Query parameter and body field with the session id.
pub const SESSION_PARAM: &str = "session_id";
/// Request/response header with the renewal ticket.
pub const TICKET_HEADER: &str = "mdrm-renewal-ticket";
/// Query parameter and body field with the renewal ticket.
pub const TICKET_PARAM: &str = "renewal_ticket";

type HmacSha256 = Hmac<Sha256>;

/// The session id derived from a token (rule 4 above).
pub fn derived_session_id(site_id: &str, token_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"mdrm session v1\0");
    h.update(site_id.as_bytes());
    h.update(b"\0");
    h.update(token_hash.as_bytes());
    let d = h.finalize();
    format!("tk-{}", keys::to_hex(&d[..16]))
}

/// What a ticket vouches for.
#[derive(Debug, Clone, Copy)]
pub struct TicketSubject<'a> {
    /// The site.
    pub site_id: &'a str,
    /// The user.
    pub user_id: &'a str,
    /// The content id.
    pub cid: &'a str,
    /// The session.
    pub session: &'a str,
}

fn mac(site_key: &str, s: &TicketSubject<'_>, expiry: i64) -> HmacSha256 {
    // The ticket key is derived, so the site key itself never signs anything but this label.
    let mut kdf = <HmacSha256 as KeyInit>::new_from_slice(site_key.as_bytes())
        .expect("HMAC takes keys of any length");
    kdf.update(b"mdrm-server renewal ticket v1");
    let ticket_key = kdf.finalize().into_bytes();
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(&ticket_key)
        .expect("HMAC takes keys of any length");
    for part in [s.site_id, s.user_id, s.cid, s.session] {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        m.update(&len.to_be_bytes());
        m.update(part.as_bytes());
    }
    m.update(&expiry.to_be_bytes());
    m
}

/// A ticket for `subject` valid until `now + validity` (unix seconds).
pub fn issue_ticket(
    site_key: &str,
    subject: &TicketSubject<'_>,
    now: jiff::Timestamp,
    validity: Duration,
) -> String {
    let secs = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX / 2);
    let expiry = now.as_second().saturating_add(secs).saturating_add(1);
    let tag = mac(site_key, subject, expiry).finalize().into_bytes();
    format!("v1.{expiry}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// True when `ticket` was issued for `subject` with this site key and has not expired at
/// `now` (allowing `skew` for replicas whose clocks differ).
pub fn ticket_valid(
    ticket: &str,
    site_key: &str,
    subject: &TicketSubject<'_>,
    now: jiff::Timestamp,
    skew: Duration,
) -> bool {
    let mut parts = ticket.trim().splitn(3, '.');
    let (Some("v1"), Some(exp), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(expiry) = exp.parse::<i64>() else {
        return false;
    };
    let skew = i64::try_from(skew.as_secs()).unwrap_or(0);
    if expiry.saturating_add(skew) < now.as_second() {
        return false;
    }
    let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
        return false;
    };
    mac(site_key, subject, expiry).verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";

    fn subject<'a>(session: &'a str) -> TicketSubject<'a> {
        TicketSubject {
            site_id: "ABCD",
            user_id: "user1",
            cid: "movie",
            session,
        }
    }

    fn at(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn derived_ids_are_stable_per_token_and_valid_session_ids() {
        let a = derived_session_id("ABCD", "hash-1");
        assert_eq!(a, derived_session_id("ABCD", "hash-1"));
        assert_ne!(a, derived_session_id("ABCD", "hash-2"));
        assert_ne!(a, derived_session_id("ABCE", "hash-1"));
        assert_eq!(a.len(), 35);
        csl::SessionId::new(&a).unwrap();
    }

    #[test]
    fn tickets_verify_only_for_their_subject_key_and_lifetime() {
        let now = at("2026-01-01T00:00:00Z");
        let t = issue_ticket(KEY, &subject("s1"), now, Duration::from_secs(60));
        let skew = Duration::from_secs(5);
        assert!(ticket_valid(&t, KEY, &subject("s1"), now, skew));
        assert!(ticket_valid(
            &t,
            KEY,
            &subject("s1"),
            at("2026-01-01T00:01:06Z"),
            skew
        ));
        assert!(!ticket_valid(
            &t,
            KEY,
            &subject("s1"),
            at("2026-01-01T00:01:07Z"),
            skew
        ));
        assert!(!ticket_valid(&t, KEY, &subject("s2"), now, skew));
        let other_user = TicketSubject {
            user_id: "user2",
            ..subject("s1")
        };
        assert!(!ticket_valid(&t, KEY, &other_user, now, skew));
        let other_cid = TicketSubject {
            cid: "movie2",
            ..subject("s1")
        };
        assert!(!ticket_valid(&t, KEY, &other_cid, now, skew));
        assert!(!ticket_valid(
            &t,
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
            &subject("s1"),
            now,
            skew
        ));
        // Tampering with the expiry breaks the tag.
        let (_, rest) = t.split_once('.').unwrap();
        let (_, tag) = rest.split_once('.').unwrap();
        let forged = format!("v1.9999999999.{tag}");
        assert!(!ticket_valid(&forged, KEY, &subject("s1"), now, skew));
        for junk in ["", "v1", "v2.1.x", "v1.x.y", "v1.1.%%%"] {
            assert!(!ticket_valid(junk, KEY, &subject("s1"), now, skew));
        }
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let now = at("2026-01-01T00:00:00Z");
        let a = TicketSubject {
            site_id: "AB",
            user_id: "Cu",
            cid: "c",
            session: "s",
        };
        let b = TicketSubject {
            site_id: "ABC",
            user_id: "u",
            cid: "c",
            session: "s",
        };
        let t = issue_ticket(KEY, &a, now, Duration::from_secs(60));
        assert!(!ticket_valid(&t, KEY, &b, now, Duration::ZERO));
    }
}
