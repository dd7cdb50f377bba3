//! The Redis store: one count shared by every `mdrm-server` replica.
//!
//! Per user, two keys with one hash tag: `<prefix>:{<32 hex>}:l`, a sorted set of leases
//! (member = session id, score = expiry in store microseconds), and `<prefix>:{<32 hex>}:t`,
//! the user's clock. Each operation is one Lua script run with `EVALSHA` (the `redis` crate
//! reloads it after `NOSCRIPT`, e.g. when Redis restarted), so purge, look-up, count and add are
//! one atomic step that no other client can interleave with. The time is the Redis server's
//! `TIME`, read inside the script and never allowed to run backwards per user. The scripts are
//! in this folder (`common.lua`, `admit.lua`, ...) and explained in `docs/csl.md`.
//!
//! One multiplexed connection ([`redis::aio::ConnectionManager`]) serves all callers: requests
//! from concurrent tasks are pipelined on it, and it reconnects in the background after Redis
//! went away. Every call has a deadline ([`RedisConfig::deadline`]): an outage surfaces as a
//! typed [`CslError`] within it, never as a hang.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::decision::{Admission, Decision, Lease, LimitReached, LiveSessions, Released};
use crate::error::CslError;
use crate::key::{SessionId, SubjectKey};
use crate::store::Store;
use crate::time::{Clock, StoreTime, micros};

const COMMON: &str = include_str!("common.lua");
const CLOCK_SERVER: &str = include_str!("clock_server.lua");
const CLOCK_CLIENT: &str = include_str!("clock_client.lua");
const ADMIT: &str = include_str!("admit.lua");
const RELEASE: &str = include_str!("release.lua");
const LIVE: &str = include_str!("live.lua");

/// Where the Redis store's scripts take the time from.
#[derive(Clone, Default)]
pub enum RedisClock {
    /// The Redis server's `TIME` (production: all replicas share one clock).
    #[default]
    Server,
    /// The caller's clock, passed as the last script argument. For differential tests only
    /// (the same production script logic on a simulated clock); never for a real service,
    /// where replicas' clocks would disagree.
    Client(Arc<dyn Clock>),
}

impl std::fmt::Debug for RedisClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Server => "Server",
            Self::Client(_) => "Client",
        })
    }
}

/// Settings of the Redis store.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Longest time one call may take before it fails with [`CslError::StoreTimeout`]
    /// (default 100 ms).
    pub deadline: Duration,
    /// Prefix of every key name (default `mdrm:csl`): letters, digits, `:`, `_`, `-`, `.`.
    pub key_prefix: String,
    /// Longest pause between reconnection attempts after Redis went away (default 500 ms), which
    /// bounds how long the store takes to notice Redis is back.
    pub reconnect_max_delay: Duration,
    /// Timeout of one connection attempt (default 1 s).
    pub connect_timeout: Duration,
    /// How long a user's clock key outlives the user's last lease (default 10 min): a server
    /// clock jump back within that time still cannot make time run backwards for the user.
    pub clock_retention: Duration,
    /// Where the time comes from (default: the Redis server).
    pub clock: RedisClock,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            deadline: Duration::from_millis(100),
            key_prefix: "mdrm:csl".into(),
            reconnect_max_delay: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(1),
            clock_retention: Duration::from_secs(600),
            clock: RedisClock::Server,
        }
    }
}

/// The Redis-backed [`Store`]. Cheap to share (`Arc` it or use it through a `Limiter`).
pub struct RedisStore {
    conn: ConnectionManager,
    admit: Script,
    release: Script,
    live: Script,
    config: RedisConfig,
    /// `host:port` for `Debug` (never the password).
    endpoint: String,
    /// The URL's password, to scrub from error texts just in case.
    password: Option<String>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("endpoint", &self.endpoint)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Opens a store on `url` (`redis://[:password@]host:port[/db]`). Connects lazily, so it
    /// succeeds while Redis is down; call [`RedisStore::ping`] to check. Must be called
    /// inside a tokio runtime.
    pub fn open(url: &str, config: RedisConfig) -> Result<Self, CslError> {
        validate_prefix(&config.key_prefix)?;
        if config.deadline.is_zero() {
            return Err(CslError::InvalidStoreSpec {
                reason: "the per-call deadline must be above zero".into(),
            });
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(CslError::InvalidStoreSpec {
                reason: "the Redis store must be opened inside a tokio runtime".into(),
            });
        }
        let client = redis::Client::open(url).map_err(|_| CslError::InvalidStoreSpec {
            reason: "not a valid redis:// URL".into(),
        })?;
        let info = client.get_connection_info();
        let endpoint = info.addr().to_string();
        let password = info.redis_settings().password().map(str::to_owned);
        let manager_config = ConnectionManagerConfig::new()
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(config.reconnect_max_delay)
            .set_exponent_base(2.0)
            .set_number_of_retries(20)
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.deadline.max(Duration::from_secs(1))));
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|e| scrub(e, password.as_deref(), config.deadline))?;
        let script = |body: &str| {
            let clock = match config.clock {
                RedisClock::Server => CLOCK_SERVER,
                RedisClock::Client(_) => CLOCK_CLIENT,
            };
            Script::new(&format!("{clock}\n{COMMON}\n{body}"))
        };
        Ok(Self {
            admit: script(ADMIT),
            release: script(RELEASE),
            live: script(LIVE),
            conn,
            config,
            endpoint,
            password,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    /// Round trip to Redis within the deadline (readiness check).
    pub async fn ping(&self) -> Result<(), CslError> {
        let mut conn = self.conn.clone();
        let reply: String = self
            .bounded(async move { redis::cmd("PING").query_async(&mut conn).await })
            .await?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(CslError::StoreProtocol {
                detail: format!("unexpected PING reply {reply:?}"),
            })
        }
    }

    /// The SHA-1 of the admit script, as `EVALSHA` uses it (for `redis-benchmark` baselines).
    pub fn admit_script_sha(&self) -> &str {
        self.admit.get_hash()
    }

    /// The two key names of `key`: the lease set and the user's clock.
    pub fn key_names(&self, key: &SubjectKey) -> (String, String) {
        let hex = key.to_hex();
        let p = &self.config.key_prefix;
        (format!("{p}:{{{hex}}}:l"), format!("{p}:{{{hex}}}:t"))
    }

    fn client_time(&self) -> Option<u64> {
        match &self.config.clock {
            RedisClock::Server => None,
            RedisClock::Client(c) => Some(c.now().as_micros()),
        }
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, CslError> {
        match tokio::time::timeout(self.config.deadline, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(scrub(e, self.password.as_deref(), self.config.deadline)),
            Err(_) => Err(CslError::StoreTimeout {
                deadline: self.config.deadline,
            }),
        }
    }

    async fn admit_impl(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> Result<Decision, CslError> {
        let (leases, clock) = self.key_names(key);
        let retention = micros(lease.max(self.config.clock_retention));
        let mut inv = self.admit.key(leases);
        inv.key(clock)
            .arg(session.as_str())
            .arg(max.get())
            .arg(micros(lease).max(1))
            .arg(retention);
        if let Some(t) = self.client_time() {
            inv.arg(t);
        }
        let mut conn = self.conn.clone();
        let reply: Vec<i64> = self
            .bounded(async move { inv.invoke_async(&mut conn).await })
            .await?;
        parse_admit(&reply, max.get())
    }

    async fn release_impl(
        &self,
        key: &SubjectKey,
        session: &SessionId,
    ) -> Result<Released, CslError> {
        let (leases, clock) = self.key_names(key);
        let mut inv = self.release.key(leases);
        inv.key(clock)
            .arg(session.as_str())
            .arg(micros(self.config.clock_retention));
        if let Some(t) = self.client_time() {
            inv.arg(t);
        }
        let mut conn = self.conn.clone();
        let reply: Vec<i64> = self
            .bounded(async move { inv.invoke_async(&mut conn).await })
            .await?;
        match reply.as_slice() {
            [removed, now] => Ok(Released {
                removed: *removed == 1,
                now: store_time(*now)?,
            }),
            _ => Err(bad_reply("release", reply.len())),
        }
    }

    async fn live_impl(&self, key: &SubjectKey) -> Result<LiveSessions, CslError> {
        let (leases, clock) = self.key_names(key);
        let mut inv = self.live.key(leases);
        inv.key(clock);
        if let Some(t) = self.client_time() {
            inv.arg(t);
        }
        let mut conn = self.conn.clone();
        let (now, ids, expiries): (i64, Vec<String>, Vec<i64>) = self
            .bounded(async move { inv.invoke_async(&mut conn).await })
            .await?;
        if ids.len() != expiries.len() {
            return Err(bad_reply("live", ids.len()));
        }
        let mut leases = ids
            .into_iter()
            .zip(expiries)
            .map(|(id, exp)| {
                Ok(Lease {
                    session: SessionId::new(&id).map_err(|_| CslError::StoreProtocol {
                        detail: "live: a lease set member is not a valid session id".into(),
                    })?,
                    expires_at: store_time(exp)?,
                })
            })
            .collect::<Result<Vec<_>, CslError>>()?;
        leases.sort_by(|a, b| (a.expires_at, &a.session).cmp(&(b.expires_at, &b.session)));
        Ok(LiveSessions {
            now: store_time(now)?,
            leases,
        })
    }
}

impl Store for RedisStore {
    fn admit(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> impl Future<Output = Result<Decision, CslError>> + Send {
        self.admit_impl(key, session, max, lease)
    }

    fn release(
        &self,
        key: &SubjectKey,
        session: &SessionId,
    ) -> impl Future<Output = Result<Released, CslError>> + Send {
        self.release_impl(key, session)
    }

    fn live(
        &self,
        key: &SubjectKey,
    ) -> impl Future<Output = Result<LiveSessions, CslError>> + Send {
        self.live_impl(key)
    }
}

fn parse_admit(reply: &[i64], max: u32) -> Result<Decision, CslError> {
    let [admitted, live, now, t, renewed] = reply else {
        return Err(bad_reply("admit", reply.len()));
    };
    let live = u32::try_from(*live).map_err(|_| CslError::StoreProtocol {
        detail: format!("admit: live count {live} out of range"),
    })?;
    let now = store_time(*now)?;
    let t = store_time(*t)?;
    Ok(match admitted {
        1 => Decision::Admitted(Admission {
            live,
            max,
            now,
            expires_at: t,
            renewed: *renewed == 1,
        }),
        _ => Decision::Refused(LimitReached {
            live,
            max,
            now,
            frees_at: t,
        }),
    })
}

fn store_time(v: i64) -> Result<StoreTime, CslError> {
    u64::try_from(v)
        .map(StoreTime::from_micros)
        .map_err(|_| CslError::StoreProtocol {
            detail: format!("negative store time {v}"),
        })
}

fn bad_reply(what: &str, len: usize) -> CslError {
    CslError::StoreProtocol {
        detail: format!("{what}: unexpected reply with {len} elements"),
    }
}

/// Maps a client error to the crate's error, with any password removed from the text.
fn scrub(e: RedisError, password: Option<&str>, deadline: Duration) -> CslError {
    let mut detail = e.to_string();
    if let Some(p) = password.filter(|p| !p.is_empty()) {
        detail = detail.replace(p, "<redacted>");
    }
    if e.is_timeout() {
        CslError::StoreTimeout { deadline }
    } else if e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_unrecoverable_error()
    {
        CslError::StoreUnavailable { detail }
    } else {
        CslError::StoreProtocol { detail }
    }
}

fn validate_prefix(p: &str) -> Result<(), CslError> {
    let ok = !p.is_empty()
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(CslError::InvalidStoreSpec {
            reason: "key prefix must be 1-64 characters of letters, digits, ':', '_', '-', '.'"
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admit_reply_maps_to_decisions() {
        let d = parse_admit(&[1, 2, 100, 700, 0], 3).unwrap();
        assert_eq!(
            d,
            Decision::Admitted(Admission {
                live: 2,
                max: 3,
                now: StoreTime::from_micros(100),
                expires_at: StoreTime::from_micros(700),
                renewed: false
            })
        );
        let d = parse_admit(&[0, 3, 100, 400, 0], 3).unwrap();
        assert!(matches!(d, Decision::Refused(r) if r.frees_at.as_micros() == 400 && r.live == 3));
        assert!(parse_admit(&[1, 2, 3], 3).is_err());
        assert!(parse_admit(&[1, -2, 3, 4, 0], 3).is_err());
    }

    #[test]
    fn prefixes_cannot_break_key_names() {
        assert!(validate_prefix("mdrm:csl").is_ok());
        assert!(validate_prefix("a{b}").is_err());
        assert!(validate_prefix("").is_err());
        assert!(validate_prefix("a b").is_err());
    }

    #[test]
    fn opening_outside_a_runtime_is_an_error_not_a_panic() {
        let e = RedisStore::open("redis://127.0.0.1:1/", RedisConfig::default()).unwrap_err();
        assert_eq!(e.code(), "CSL_STORE_SPEC_INVALID");
    }

    #[tokio::test]
    async fn bad_urls_do_not_echo_the_password() {
        let e = RedisStore::open("redis://:hunter2@", RedisConfig::default());
        if let Err(e) = e {
            assert!(!e.to_string().contains("hunter2"));
        }
        let e = RedisStore::open("http://:hunter2@x", RedisConfig::default()).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
    }

    #[tokio::test]
    async fn key_names_share_one_hash_tag_and_hide_the_user() {
        let s = RedisStore::open("redis://127.0.0.1:1/", RedisConfig::default()).unwrap();
        let key = SubjectKey::new("ABCD", "evil}{user:*\n");
        let (l, t) = s.key_names(&key);
        assert_eq!(l, format!("mdrm:csl:{{{}}}:l", key.to_hex()));
        assert_eq!(t, format!("mdrm:csl:{{{}}}:t", key.to_hex()));
        assert!(!l.contains("evil") && !t.contains("evil"));
        assert_eq!(l.matches('{').count(), 1);
        assert_eq!(&l[..l.len() - 2], &t[..t.len() - 2]);
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_fast_without_leaking_the_password() {
        // Port 1 on loopback: connection refused at once.
        let s = RedisStore::open(
            "redis://:hunter2@127.0.0.1:1/",
            RedisConfig {
                deadline: Duration::from_millis(300),
                ..RedisConfig::default()
            },
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let e = s.ping().await.unwrap_err();
        assert!(e.is_store_failure(), "{e:?}");
        assert!(!e.to_string().contains("hunter2"));
        let key = SubjectKey::new("S", "u");
        let sid = SessionId::new("s").unwrap();
        let e = s
            .admit(&key, &sid, NonZeroU32::MIN, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(e.is_store_failure(), "{e:?}");
        assert!(!format!("{e:?}").contains("hunter2"));
    }

    #[test]
    fn password_is_scrubbed_from_error_texts() {
        let e = RedisError::from((
            redis::ErrorKind::Io,
            "failed",
            "auth hunter2 refused".to_owned(),
        ));
        let c = scrub(e, Some("hunter2"), Duration::from_millis(1));
        assert!(!c.to_string().contains("hunter2"), "{c}");
    }
}
