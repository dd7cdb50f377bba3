//! Who is counted ([`SubjectKey`]) and what is counted ([`SessionId`]).

use std::fmt;
use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use crate::error::CslError;

/// The counting key of one user of one site: the first 16 bytes of
/// `SHA-256(len(site) as u32 BE || site || user)`.
///
/// Stores only ever see this hash, so a user id cannot inject anything into a store key name
/// (`}`, `:`, newlines, megabyte-long ids all become 32 hex digits), and the length prefix keeps
/// `("ab", "c")` and `("a", "bc")` apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SubjectKey([u8; 16]);

impl SubjectKey {
    /// The key of `user` on `site`.
    pub fn new(site: &str, user: &str) -> Self {
        let mut h = Sha256::new();
        let site_len = u32::try_from(site.len()).unwrap_or(u32::MAX);
        h.update(site_len.to_be_bytes());
        h.update(site.as_bytes());
        h.update(user.as_bytes());
        let digest = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        Self(out)
    }

    /// A key from raw bytes (tests, benchmarks, keys computed elsewhere).
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32 lower-case hex digits used in store key names.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(32);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// First 8 bytes as a number (already uniformly distributed: it is a hash).
    pub(crate) fn low64(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_le_bytes(b)
    }

    /// Last 8 bytes as a number (used to pick a shard, independent of the map's hash).
    pub(crate) fn high64(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[8..]);
        u64::from_le_bytes(b)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Hash for SubjectKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.low64());
    }
}

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectKey({})", self.to_hex())
    }
}

impl fmt::Display for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The longest session id accepted, in bytes.
pub const MAX_SESSION_ID_LEN: usize = 128;

/// One playback session: the unit that is counted. Renewals carry the same id, so a renewal
/// (or a retried request, or parallel audio/video key requests) never counts twice.
///
/// 1 to [`MAX_SESSION_ID_LEN`] bytes of printable ASCII (`!` to `~`): safe in logs, in JSON and
/// as a Redis set member.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(Box<str>);

impl SessionId {
    /// Validates `id`.
    pub fn new(id: &str) -> Result<Self, CslError> {
        if id.is_empty() {
            return Err(CslError::InvalidSessionId { reason: "empty" });
        }
        if id.len() > MAX_SESSION_ID_LEN {
            return Err(CslError::InvalidSessionId {
                reason: "longer than 128 bytes",
            });
        }
        if !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CslError::InvalidSessionId {
                reason: "only printable ASCII without spaces is allowed",
            });
        }
        Ok(Self(id.into()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.0)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for SessionId {
    type Err = CslError;
    fn from_str(s: &str) -> Result<Self, CslError> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn subject_key_is_deterministic_and_separates_site_and_user() {
        assert_eq!(SubjectKey::new("ABCD", "u1"), SubjectKey::new("ABCD", "u1"));
        assert_ne!(SubjectKey::new("ABCD", "u1"), SubjectKey::new("ABCD", "u2"));
        assert_ne!(SubjectKey::new("ab", "c"), SubjectKey::new("a", "bc"));
        assert_ne!(SubjectKey::new("SITE", "u"), SubjectKey::new("SITF", "u"));
    }

    #[test]
    fn subject_key_matches_independent_sha256() {
        // SHA-256(00000004 "ABCD" "user1") computed with `printf '\0\0\0\4ABCDuser1' | sha256sum`.
        let k = SubjectKey::new("ABCD", "user1");
        assert_eq!(k.to_hex(), "839d707b58bad7842fd6dc1d7d13ff2f");
        assert_eq!(
            format!("{k:?}"),
            "SubjectKey(839d707b58bad7842fd6dc1d7d13ff2f)"
        );
    }

    #[test]
    fn session_id_rules() {
        assert!(SessionId::new("abc-123_x.y").is_ok());
        assert!(SessionId::new(&"a".repeat(128)).is_ok());
        assert_eq!(
            SessionId::new(""),
            Err(CslError::InvalidSessionId { reason: "empty" })
        );
        assert!(SessionId::new(&"a".repeat(129)).is_err());
        assert!(SessionId::new("a b").is_err());
        assert!(SessionId::new("a\nb").is_err());
        assert!(SessionId::new("ü").is_err());
    }

    proptest! {
        #[test]
        fn hostile_user_ids_become_plain_hex(site in ".{0,40}", user in ".{0,300}") {
            let hex = SubjectKey::new(&site, &user).to_hex();
            prop_assert_eq!(hex.len(), 32);
            prop_assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
    }
}
