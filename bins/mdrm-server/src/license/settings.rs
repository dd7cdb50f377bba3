//! License-service settings: the CSL store and fail mode, the CSL policy of every site, and the
//! token time window. Built from flags and the `[license]` table of the settings file.
//!
//! ```toml
//! [license]
//! csl = true                       # CSL for sites without their own entry (default true)
//! csl_store = "memory"             # or "redis://127.0.0.1:6379/0"
//! csl_fail_mode = "open-for-renewals"
//! csl_store_deadline = "100ms"
//! max_streams_per_user = 3
//! renewal_interval = "10m"         # durations: seconds as a number, or "500ms", "30s", "10m", "1h"
//! grace = "30s"
//! token_lifetime = "10m"
//! token_clock_skew = "1m"
//!
//! [[license.sites]]                # per-site values (missing ones come from above)
//! site_id = "DEMO"
//! csl = true
//! max_streams_per_user = 2
//! key_rotation = false             # true together with csl = true refuses to start
//! ```

use std::collections::HashMap;
use std::time::Duration;

use csl::{CslError, FailMode, Policy, RedisConfig, StoreSpec};
use serde::Deserialize;

use crate::error::ServerError;

/// Default lifetime of a license token after its `timestamp` (the token format's 600 s).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);
/// Default tolerance for a token `timestamp` ahead of this server's clock.
pub const DEFAULT_TOKEN_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// A duration in a settings file: seconds as a number, or text with a unit.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum FileDuration {
    Seconds(u64),
    Text(String),
}

impl FileDuration {
    fn resolve(&self, what: &str) -> Result<Duration, ServerError> {
        match self {
            FileDuration::Seconds(s) => Ok(Duration::from_secs(*s)),
            FileDuration::Text(t) => parse_duration(t).map_err(|reason| invalid(what, reason)),
        }
    }
}

/// Parses `"600"` (seconds), `"500ms"`, `"30s"`, `"10m"`, `"1h"` (whole numbers only).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number with an optional unit (ms, s, m, h)".to_string())?;
    let d = match unit.trim() {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
    };
    Ok(d)
}

fn invalid(what: &str, reason: impl Into<String>) -> ServerError {
    ServerError::InvalidArgument {
        what: what.into(),
        reason: reason.into(),
    }
}

/// One `[[license.sites]]` entry.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct FileSite {
    site_id: String,
    csl: Option<bool>,
    max_streams_per_user: Option<u32>,
    renewal_interval: Option<FileDuration>,
    grace: Option<FileDuration>,
    #[serde(default)]
    key_rotation: bool,
}

/// The `[license]` table of the settings file.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct FileLicenseSettings {
    csl: Option<bool>,
    csl_store: Option<String>,
    csl_fail_mode: Option<String>,
    csl_store_deadline: Option<FileDuration>,
    max_streams_per_user: Option<u32>,
    renewal_interval: Option<FileDuration>,
    grace: Option<FileDuration>,
    token_lifetime: Option<FileDuration>,
    token_clock_skew: Option<FileDuration>,
    #[serde(default)]
    sites: Vec<FileSite>,
}

/// License flags given on the command line (each overrides the settings file's `[license]`).
#[derive(Debug, Default, Clone)]
pub struct LicenseFlags {
    /// `--csl-store memory|redis://...`.
    pub csl_store: Option<String>,
    /// `--csl-fail-mode closed|open|open-for-renewals`.
    pub csl_fail_mode: Option<String>,
    /// `--csl-max-streams N`.
    pub max_streams_per_user: Option<u32>,
    /// `--csl-renewal-interval DURATION`.
    pub renewal_interval: Option<String>,
    /// `--csl-grace DURATION`.
    pub grace: Option<String>,
    /// `--no-csl`: CSL off for sites without their own entry.
    pub no_csl: bool,
    /// `--token-lifetime DURATION`.
    pub token_lifetime: Option<String>,
}

/// What the license face knows about one site beyond its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteLicensePolicy {
    /// The CSL policy; `None` when CSL is off for the site.
    pub csl: Option<Policy>,
    /// Key rotation is enabled for the site (refused together with CSL at start-up).
    pub key_rotation: bool,
}

/// The license settings in force.
#[derive(Debug, Clone)]
pub struct LicenseSettings {
    /// Where CSL leases live.
    pub csl_store: StoreSpec,
    /// What to do when the store fails.
    pub fail_mode: FailMode,
    /// Redis store settings (per-call deadline).
    pub redis: RedisConfig,
    /// The policy of sites without their own entry (`None`: CSL off for them).
    pub default_csl: Option<Policy>,
    /// Per-site policies, by site id.
    pub sites: HashMap<String, SiteLicensePolicy>,
    /// How long a token is accepted after its `timestamp`.
    pub token_lifetime: Duration,
    /// How far a token `timestamp` may be ahead of this server's clock.
    pub token_clock_skew: Duration,
}

impl Default for LicenseSettings {
    fn default() -> Self {
        LicenseSettings {
            csl_store: StoreSpec::Memory,
            fail_mode: FailMode::default(),
            redis: RedisConfig::default(),
            default_csl: Some(Policy::default()),
            sites: HashMap::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            token_clock_skew: DEFAULT_TOKEN_CLOCK_SKEW,
        }
    }
}

fn flag_duration(what: &str, v: &Option<String>) -> Result<Option<Duration>, ServerError> {
    v.as_deref()
        .map(|t| parse_duration(t).map_err(|r| invalid(what, r)))
        .transpose()
}

fn file_duration(what: &str, v: &Option<FileDuration>) -> Result<Option<Duration>, ServerError> {
    v.as_ref().map(|d| d.resolve(what)).transpose()
}

fn csl_error(e: CslError) -> ServerError {
    ServerError::Csl(e)
}

impl LicenseSettings {
    /// Merges flags over the file over the defaults and applies the start-up rules (every
    /// policy in range; CSL and key rotation never on one site).
    pub fn resolve(
        flags: LicenseFlags,
        file: Option<FileLicenseSettings>,
    ) -> Result<Self, ServerError> {
        let file = file.unwrap_or_default();
        let store_text = flags
            .csl_store
            .or(file.csl_store.clone())
            .unwrap_or_else(|| "memory".into());
        let csl_store: StoreSpec = store_text.parse().map_err(csl_error)?;
        let fail_mode: FailMode = flags
            .csl_fail_mode
            .or(file.csl_fail_mode.clone())
            .map(|m| m.parse::<FailMode>())
            .transpose()
            .map_err(|_| {
                invalid(
                    "--csl-fail-mode",
                    "must be `closed`, `open` or `open-for-renewals`",
                )
            })?
            .unwrap_or_default();
        let mut redis = RedisConfig::default();
        if let Some(d) = file_duration("license.csl_store_deadline", &file.csl_store_deadline)? {
            redis.deadline = d;
        }
        let max = flags
            .max_streams_per_user
            .or(file.max_streams_per_user)
            .unwrap_or(csl::DEFAULT_MAX_STREAMS);
        let interval = match flag_duration("--csl-renewal-interval", &flags.renewal_interval)? {
            Some(d) => d,
            None => file_duration("license.renewal_interval", &file.renewal_interval)?
                .unwrap_or(csl::DEFAULT_RENEWAL_INTERVAL),
        };
        let grace = match flag_duration("--csl-grace", &flags.grace)? {
            Some(d) => d,
            None => file_duration("license.grace", &file.grace)?.unwrap_or(Duration::ZERO),
        };
        let base = Policy::new(max, interval)
            .and_then(|p| p.with_grace(grace))
            .map_err(csl_error)?;
        let csl_on = !flags.no_csl && file.csl.unwrap_or(true);
        let token_lifetime = match flag_duration("--token-lifetime", &flags.token_lifetime)? {
            Some(d) => d,
            None => file_duration("license.token_lifetime", &file.token_lifetime)?
                .unwrap_or(DEFAULT_TOKEN_LIFETIME),
        };
        if token_lifetime.is_zero() {
            return Err(invalid("--token-lifetime", "must be above zero"));
        }
        let token_clock_skew = file_duration("license.token_clock_skew", &file.token_clock_skew)?
            .unwrap_or(DEFAULT_TOKEN_CLOCK_SKEW);

        let mut sites = HashMap::new();
        for s in &file.sites {
            let what = |f: &str| format!("license.sites[{}].{f}", s.site_id);
            let policy = if s.csl.unwrap_or(csl_on) {
                let interval = file_duration(&what("renewal_interval"), &s.renewal_interval)?
                    .unwrap_or(base.renewal_interval);
                let grace = file_duration(&what("grace"), &s.grace)?.unwrap_or(base.grace);
                let max = s
                    .max_streams_per_user
                    .unwrap_or(base.max_streams_per_user.get());
                Some(
                    Policy::new(max, interval)
                        .and_then(|p| p.with_grace(grace))
                        .map_err(csl_error)?,
                )
            } else {
                None
            };
            csl::validate_site(&s.site_id, policy.as_ref(), s.key_rotation).map_err(csl_error)?;
            let entry = SiteLicensePolicy {
                csl: policy,
                key_rotation: s.key_rotation,
            };
            if sites.insert(s.site_id.clone(), entry).is_some() {
                return Err(invalid(
                    "license.sites",
                    format!("site {} is listed twice", s.site_id),
                ));
            }
        }
        Ok(LicenseSettings {
            csl_store,
            fail_mode,
            redis,
            default_csl: csl_on.then_some(base),
            sites,
            token_lifetime,
            token_clock_skew,
        })
    }

    /// The CSL policy of `site_id` (`None`: CSL off for the site).
    pub fn policy(&self, site_id: &str) -> Option<&Policy> {
        match self.sites.get(site_id) {
            Some(s) => s.csl.as_ref(),
            None => self.default_csl.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileLicenseSettings {
        #[derive(Deserialize)]
        struct Wrapper {
            license: FileLicenseSettings,
        }
        toml::from_str::<Wrapper>(text).unwrap().license
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("600").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn defaults_are_csl_on_memory_three_streams_ten_minutes() {
        let s = LicenseSettings::resolve(LicenseFlags::default(), None).unwrap();
        assert_eq!(s.csl_store, StoreSpec::Memory);
        assert_eq!(s.fail_mode, FailMode::OpenForRenewals);
        let p = s.policy("ANY1").unwrap();
        assert_eq!(p.max_streams_per_user.get(), 3);
        assert_eq!(p.renewal_interval, Duration::from_secs(600));
        assert_eq!(s.token_lifetime, Duration::from_secs(600));
    }

    #[test]
    fn flags_override_the_file_and_sites_override_both() {
        let f = file(
            r#"[license]
csl_store = "redis://127.0.0.1:1/0"
max_streams_per_user = 5
renewal_interval = "2m"
[[license.sites]]
site_id = "ONE1"
max_streams_per_user = 1
[[license.sites]]
site_id = "OFF1"
csl = false
key_rotation = true
"#,
        );
        let flags = LicenseFlags {
            csl_store: Some("memory".into()),
            renewal_interval: Some("30s".into()),
            csl_fail_mode: Some("closed".into()),
            ..LicenseFlags::default()
        };
        let s = LicenseSettings::resolve(flags, Some(f)).unwrap();
        assert_eq!(s.csl_store, StoreSpec::Memory);
        assert_eq!(s.fail_mode, FailMode::Closed);
        let d = s.policy("OTHR").unwrap();
        assert_eq!(
            (d.max_streams_per_user.get(), d.renewal_interval),
            (5, Duration::from_secs(30))
        );
        let one = s.policy("ONE1").unwrap();
        assert_eq!(
            (one.max_streams_per_user.get(), one.renewal_interval),
            (1, Duration::from_secs(30))
        );
        assert!(s.policy("OFF1").is_none());
    }

    #[test]
    fn csl_with_key_rotation_refuses_to_start() {
        let f = file(
            r#"[license]
[[license.sites]]
site_id = "ROT1"
key_rotation = true
"#,
        );
        let e = LicenseSettings::resolve(LicenseFlags::default(), Some(f)).unwrap_err();
        assert!(
            matches!(e, ServerError::Csl(CslError::KeyRotationConflict { ref site }) if site == "ROT1"),
            "{e}"
        );
        // With CSL off globally the same site is fine.
        let f = file(
            "[license]\ncsl = false\n[[license.sites]]\nsite_id = \"ROT1\"\nkey_rotation = true\n",
        );
        LicenseSettings::resolve(LicenseFlags::default(), Some(f)).unwrap();
    }

    #[test]
    fn bad_values_are_refused() {
        for flags in [
            LicenseFlags {
                csl_store: Some("postgres://x".into()),
                ..LicenseFlags::default()
            },
            LicenseFlags {
                csl_fail_mode: Some("half-open".into()),
                ..LicenseFlags::default()
            },
            LicenseFlags {
                max_streams_per_user: Some(0),
                ..LicenseFlags::default()
            },
            LicenseFlags {
                renewal_interval: Some("0s".into()),
                ..LicenseFlags::default()
            },
            LicenseFlags {
                token_lifetime: Some("0".into()),
                ..LicenseFlags::default()
            },
        ] {
            assert!(LicenseSettings::resolve(flags, None).is_err());
        }
        let f = file(
            "[license]\n[[license.sites]]\nsite_id = \"TWO2\"\n[[license.sites]]\nsite_id = \"TWO2\"\n",
        );
        assert!(LicenseSettings::resolve(LicenseFlags::default(), Some(f)).is_err());
    }

    #[test]
    fn no_csl_flag_turns_it_off_for_unlisted_sites() {
        let flags = LicenseFlags {
            no_csl: true,
            ..LicenseFlags::default()
        };
        let s = LicenseSettings::resolve(flags, None).unwrap();
        assert!(s.policy("ANY1").is_none());
    }
}
