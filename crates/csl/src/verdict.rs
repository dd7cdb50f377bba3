//! What the license service must do with one request: the [`Verdict`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::decision::Admission;
use crate::error::CslError;

/// What to do when the store fails (unreachable, too slow, erroring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailMode {
    /// Refuse every counted license ([`RefusalReason::StoreUnavailable`]): no stream plays
    /// unverified, and none keeps playing either.
    Closed,
    /// Issue every license unverified ([`Verdict::Degraded`]): no one is cut off, no limit holds.
    Open,
    /// The default: sessions known to have been admitted keep playing (renewals issued
    /// unverified), new streams are refused ([`RefusalReason::NewStreamsSuspended`]).
    #[default]
    OpenForRenewals,
}

impl FailMode {
    /// The configuration spelling: `closed`, `open`, `open-for-renewals`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::OpenForRenewals => "open-for-renewals",
        }
    }
}

impl fmt::Display for FailMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailMode {
    type Err = CslError;
    fn from_str(s: &str) -> Result<Self, CslError> {
        match s.trim() {
            "closed" => Ok(Self::Closed),
            "open" => Ok(Self::Open),
            "open-for-renewals" => Ok(Self::OpenForRenewals),
            _ => Err(CslError::InvalidPolicy {
                field: "fail_mode",
                reason: "must be `closed`, `open` or `open-for-renewals`".into(),
            }),
        }
    }
}

/// The limiter's answer to one license request or renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Counted and admitted by the store: issue a license of `license_duration`; the player
    /// must renew within it.
    Admitted(Admitted),
    /// The store failed and the fail mode lets the license through unverified.
    Degraded(Degraded),
    /// Not subject to CSL: issue the license, count nothing.
    Exempt(Exemption),
    /// Do not issue a license.
    Refused(Refusal),
}

impl Verdict {
    /// True when a license should be issued.
    pub fn issues_license(&self) -> bool {
        !matches!(self, Self::Refused(_))
    }

    /// How long the license should last when it must be renewed (`None`: no renewal, the
    /// license's own policy applies).
    pub fn license_duration(&self) -> Option<Duration> {
        match self {
            Self::Admitted(a) => Some(a.license_duration),
            Self::Degraded(d) => Some(d.license_duration),
            Self::Exempt(_) | Self::Refused(_) => None,
        }
    }
}

/// A counted, store-verified admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// The store's decision (live count, max, lease times, renewal or new).
    pub admission: Admission,
    /// The license lifetime to issue (the renewal interval).
    pub license_duration: Duration,
    /// When the player should renew, counted from the license.
    pub renewal_delay: Duration,
}

/// An admission the store could not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Degraded {
    /// The fail mode that decided.
    pub mode: FailMode,
    /// True when the session was known to be admitted (remembered by this limiter, or
    /// vouched for by the caller).
    pub known_session: bool,
    /// The store failure.
    pub cause: CslError,
    /// The license lifetime to issue (short, so the stream is checked again soon).
    pub license_duration: Duration,
    /// When the player should renew.
    pub renewal_delay: Duration,
}

/// Why a license is issued without counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// A persistent (offline) license: neither counted nor refused.
    Persistent,
    /// A license for AirPlay / cast-receiver playback flagged as such: issued without renewal
    /// and not counted.
    CastReceiver,
    /// The site has no CSL policy.
    CslDisabled,
}

/// A refusal, with everything a `403 {error_code, message, current_streams, max_streams}`
/// answer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub reason: RefusalReason,
    /// Live streams of the user (`None` when the store could not say).
    pub current_streams: Option<u32>,
    /// The limit that applied.
    pub max_streams: u32,
    /// When trying again can succeed at the earliest without any stream stopping (limit
    /// reached: when the next slot frees; store failures: `None`).
    pub retry_after: Option<Duration>,
    /// The fail mode that decided (store failures only).
    pub fail_mode: Option<FailMode>,
    /// The store failure behind the refusal (store failures only).
    pub cause: Option<CslError>,
}

impl Refusal {
    /// A human-readable message for the response body.
    pub fn message(&self) -> String {
        match (self.reason, self.current_streams) {
            (RefusalReason::LimitReached, Some(live)) => format!(
                "concurrent stream limit reached: {live} of {} streams are playing",
                self.max_streams
            ),
            (reason, _) => reason.description().to_owned(),
        }
    }
}

/// Why a license was refused. Codes are stable; see `docs/csl.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The user already plays `max` streams.
    LimitReached,
    /// The store failed and the fail mode is `closed`.
    StoreUnavailable,
    /// The store failed, the fail mode is `open-for-renewals` and this is a new stream.
    NewStreamsSuspended,
}

impl RefusalReason {
    /// Stable string code for the `error_code` field.
    pub fn code(self) -> &'static str {
        match self {
            Self::LimitReached => "CSL_LIMIT_REACHED",
            Self::StoreUnavailable => "CSL_STORE_UNAVAILABLE",
            Self::NewStreamsSuspended => "CSL_NEW_STREAMS_SUSPENDED",
        }
    }

    /// Stable numeric code (70xx).
    pub fn number(self) -> u16 {
        match self {
            Self::LimitReached => 7001,
            Self::StoreUnavailable => 7002,
            Self::NewStreamsSuspended => 7003,
        }
    }

    /// Suggested HTTP status: 403 for the limit (retrying will not help), 503 for store
    /// failures (retrying later will).
    pub fn http_status(self) -> u16 {
        match self {
            Self::LimitReached => 403,
            Self::StoreUnavailable | Self::NewStreamsSuspended => 503,
        }
    }

    /// A fixed description.
    pub fn description(self) -> &'static str {
        match self {
            Self::LimitReached => "concurrent stream limit reached",
            Self::StoreUnavailable => {
                "the stream counter is unavailable; licenses are refused until it is back"
            }
            Self::NewStreamsSuspended => {
                "the stream counter is unavailable; playing streams continue but new streams are refused"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_modes_parse_and_print_and_default_to_open_for_renewals() {
        for m in [FailMode::Closed, FailMode::Open, FailMode::OpenForRenewals] {
            assert_eq!(m.as_str().parse::<FailMode>().unwrap(), m);
            assert_eq!(m.to_string(), m.as_str());
        }
        assert_eq!(FailMode::default(), FailMode::OpenForRenewals);
        assert!("half-open".parse::<FailMode>().is_err());
    }

    #[test]
    fn refusal_codes_are_distinct_and_stable() {
        let all = [
            RefusalReason::LimitReached,
            RefusalReason::StoreUnavailable,
            RefusalReason::NewStreamsSuspended,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
        let numbers: std::collections::HashSet<_> = all.iter().map(|r| r.number()).collect();
        assert_eq!(codes.len(), 3);
        assert_eq!(numbers.len(), 3);
        assert_eq!(RefusalReason::LimitReached.number(), 7001);
        assert_eq!(RefusalReason::LimitReached.http_status(), 403);
        assert_eq!(RefusalReason::NewStreamsSuspended.http_status(), 503);
    }

    #[test]
    fn limit_message_names_the_counts() {
        let r = Refusal {
            reason: RefusalReason::LimitReached,
            current_streams: Some(2),
            max_streams: 2,
            retry_after: None,
            fail_mode: None,
            cause: None,
        };
        assert_eq!(
            r.message(),
            "concurrent stream limit reached: 2 of 2 streams are playing"
        );
    }
}
