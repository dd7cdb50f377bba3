//! Timeouts and retry policy for talking to the key server and the CID callback.

use std::time::Duration;

use crate::defaults;

/// How HTTP requests to the key server and the CID callback behave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Time limit for one attempt, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Time limit for the TCP/TLS connection of one attempt.
    pub connect_timeout: Duration,
    /// Attempts per request, the first included (at least 1). Only unreachable servers and
    /// 5xx/429 answers are retried; a timeout of a whole attempt is not.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub backoff: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: defaults::HTTP_TIMEOUT,
            connect_timeout: defaults::HTTP_CONNECT_TIMEOUT,
            attempts: defaults::HTTP_ATTEMPTS,
            backoff: defaults::HTTP_BACKOFF,
            user_agent: concat!("mdrm/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

impl HttpOptions {
    /// The wait before attempt number `attempt` (0-based; 0 waits nothing).
    pub fn backoff_before(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        self.backoff
            .saturating_mul(1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_saturates() {
        let o = HttpOptions {
            backoff: Duration::from_millis(100),
            ..HttpOptions::default()
        };
        assert_eq!(o.backoff_before(0), Duration::ZERO);
        assert_eq!(o.backoff_before(1), Duration::from_millis(100));
        assert_eq!(o.backoff_before(3), Duration::from_millis(400));
        let _ = o.backoff_before(200);
    }
}
