//! Per-site CSL policy and the start-up validation of a site's configuration.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::error::CslError;

/// Bounds on policy values, so a typo or a hostile token cannot make a store misbehave.
pub mod limits {
    use std::time::Duration;

    /// The largest `max_streams_per_user` (site value or token override).
    pub const MAX_STREAMS_PER_USER: u32 = 1024;
    /// The shortest renewal interval (tests and demos use sub-second intervals).
    pub const MIN_RENEWAL_INTERVAL: Duration = Duration::from_millis(1);
    /// The longest renewal interval (a day; longer is not stream limiting any more).
    pub const MAX_RENEWAL_INTERVAL: Duration = Duration::from_secs(86_400);
}

/// The default number of concurrent streams per user.
pub const DEFAULT_MAX_STREAMS: u32 = 3;
/// The default renewal interval (10 minutes).
pub const DEFAULT_RENEWAL_INTERVAL: Duration = Duration::from_secs(600);

/// One site's concurrent-stream policy.
///
/// A session admitted now holds its slot for one [`lease`](Policy::lease) = renewal interval +
/// grace; the player must renew before that. The license handed to the player should last
/// [`license_duration`](Policy::license_duration) (the renewal interval), so the license
/// runs out no later than the lease as long as the grace covers the response latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Streams one user may play at once (default 3). A token's `max_stream_per_user` wins.
    pub max_streams_per_user: NonZeroU32,
    /// How often a playing stream must renew its license (default 600 s).
    pub renewal_interval: Duration,
    /// Extra time a lease lives beyond the interval, for late renewals and response latency
    /// (default none). At most the renewal interval.
    pub grace: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_streams_per_user: NonZeroU32::new(DEFAULT_MAX_STREAMS).unwrap_or(NonZeroU32::MIN),
            renewal_interval: DEFAULT_RENEWAL_INTERVAL,
            grace: Duration::ZERO,
        }
    }
}

impl Policy {
    /// A policy with `max` streams and the given interval, no grace.
    pub fn new(max: u32, renewal_interval: Duration) -> Result<Self, CslError> {
        let p = Self {
            max_streams_per_user: NonZeroU32::new(max).ok_or_else(|| CslError::InvalidPolicy {
                field: "max_streams_per_user",
                reason: "must be at least 1".into(),
            })?,
            renewal_interval,
            grace: Duration::ZERO,
        };
        p.validate()?;
        Ok(p)
    }

    /// The same policy with a grace period.
    pub fn with_grace(mut self, grace: Duration) -> Result<Self, CslError> {
        self.grace = grace;
        self.validate()?;
        Ok(self)
    }

    /// Checks every value against [`limits`].
    pub fn validate(&self) -> Result<(), CslError> {
        check_max("max_streams_per_user", self.max_streams_per_user.get())?;
        if self.renewal_interval < limits::MIN_RENEWAL_INTERVAL
            || self.renewal_interval > limits::MAX_RENEWAL_INTERVAL
        {
            return Err(CslError::InvalidPolicy {
                field: "renewal_interval",
                reason: format!(
                    "must be between {:?} and {:?}, got {:?}",
                    limits::MIN_RENEWAL_INTERVAL,
                    limits::MAX_RENEWAL_INTERVAL,
                    self.renewal_interval
                ),
            });
        }
        if self.grace > self.renewal_interval {
            return Err(CslError::InvalidPolicy {
                field: "grace",
                reason: format!(
                    "must not exceed the renewal interval ({:?}), got {:?}",
                    self.renewal_interval, self.grace
                ),
            });
        }
        Ok(())
    }

    /// How long a slot is held after each admission or renewal: interval + grace.
    pub fn lease(&self) -> Duration {
        self.renewal_interval + self.grace
    }

    /// How long the license handed to the player should last: the renewal interval
    /// (never longer than the lease).
    pub fn license_duration(&self) -> Duration {
        self.renewal_interval
    }

    /// When a player should renew, counted from the license: 80 % of the interval (the
    /// Widevine `renewal_delay` pattern), leaving a fifth of it for retries.
    pub fn renewal_delay(&self) -> Duration {
        self.renewal_interval.mul_f64(0.8)
    }

    /// The limit for one request: the token's `max_stream_per_user` when present and not 0
    /// (0 is the token format's "not set"), else the site's value.
    pub fn effective_max(&self, token_override: Option<u32>) -> Result<NonZeroU32, CslError> {
        match token_override.and_then(NonZeroU32::new) {
            Some(m) => {
                check_max("max_stream_per_user", m.get())?;
                Ok(m)
            }
            None => Ok(self.max_streams_per_user),
        }
    }
}

fn check_max(field: &'static str, max: u32) -> Result<(), CslError> {
    if max > limits::MAX_STREAMS_PER_USER {
        return Err(CslError::InvalidPolicy {
            field,
            reason: format!(
                "must be at most {}, got {max}",
                limits::MAX_STREAMS_PER_USER
            ),
        });
    }
    Ok(())
}

/// Validates one site's configuration at start-up: the policy's values, and the product rule
/// that CSL (`csl` is `Some`) and key rotation cannot both be enabled on a site (a rotating key
/// set forces license requests that CSL would count as new streams).
pub fn validate_site(
    site_id: &str,
    csl: Option<&Policy>,
    key_rotation: bool,
) -> Result<(), CslError> {
    let Some(policy) = csl else {
        return Ok(());
    };
    if key_rotation {
        return Err(CslError::KeyRotationConflict {
            site: site_id.to_owned(),
        });
    }
    policy.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_three_streams_and_ten_minutes() {
        let p = Policy::default();
        assert_eq!(p.max_streams_per_user.get(), 3);
        assert_eq!(p.renewal_interval, Duration::from_secs(600));
        assert_eq!(p.grace, Duration::ZERO);
        assert_eq!(p.lease(), Duration::from_secs(600));
        assert_eq!(p.license_duration(), Duration::from_secs(600));
        assert_eq!(p.renewal_delay(), Duration::from_secs(480));
        p.validate().unwrap();
    }

    #[test]
    fn lease_adds_grace_and_license_never_outlives_it() {
        let p = Policy::new(2, Duration::from_secs(300))
            .unwrap()
            .with_grace(Duration::from_secs(60))
            .unwrap();
        assert_eq!(p.lease(), Duration::from_secs(360));
        assert!(p.license_duration() <= p.lease());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(matches!(
            Policy::new(0, Duration::from_secs(1)),
            Err(CslError::InvalidPolicy {
                field: "max_streams_per_user",
                ..
            })
        ));
        assert!(Policy::new(1025, Duration::from_secs(1)).is_err());
        assert!(Policy::new(1024, Duration::from_secs(1)).is_ok());
        assert!(Policy::new(1, Duration::ZERO).is_err());
        assert!(Policy::new(1, Duration::from_secs(86_401)).is_err());
        let p = Policy::new(1, Duration::from_secs(10)).unwrap();
        assert!(matches!(
            p.with_grace(Duration::from_secs(11)),
            Err(CslError::InvalidPolicy { field: "grace", .. })
        ));
    }

    #[test]
    fn token_override_wins_and_zero_means_site_value() {
        let p = Policy::default();
        assert_eq!(p.effective_max(None).unwrap().get(), 3);
        assert_eq!(p.effective_max(Some(0)).unwrap().get(), 3);
        assert_eq!(p.effective_max(Some(1)).unwrap().get(), 1);
        assert_eq!(p.effective_max(Some(7)).unwrap().get(), 7);
        assert!(matches!(
            p.effective_max(Some(5000)),
            Err(CslError::InvalidPolicy {
                field: "max_stream_per_user",
                ..
            })
        ));
    }

    #[test]
    fn csl_with_key_rotation_is_a_configuration_error() {
        let p = Policy::default();
        assert_eq!(
            validate_site("ABCD", Some(&p), true),
            Err(CslError::KeyRotationConflict {
                site: "ABCD".into()
            })
        );
        assert_eq!(validate_site("ABCD", Some(&p), false), Ok(()));
        assert_eq!(validate_site("ABCD", None, true), Ok(()));
        let bad = Policy {
            grace: Duration::from_secs(601),
            ..Policy::default()
        };
        assert!(validate_site("ABCD", Some(&bad), false).is_err());
    }
}
