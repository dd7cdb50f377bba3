//! The recipient registry of `mdrm-server` (named by `server=` in the credentials).
//!
//! `mdrm-server` has no DWM registry face yet, so after checking the URL every operation
//! fails with code 326, saying so. Nothing falls back silently to the local registry: IDs
//! handed out from two places would collide.

use super::{JobRecord, Recipient, RecipientRegistry};
use crate::error::{ErrorCode, Result, fail};

/// The server-backed registry (not available in this version).
#[derive(Debug)]
pub struct ServerRegistry {
    url: String,
}

impl ServerRegistry {
    /// Checks the URL (321 when invalid).
    pub fn new(url: &str) -> Result<Self> {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.split("://").nth(1).is_some_and(|rest| {
                let host = rest.split('/').next().unwrap_or("");
                !host.is_empty() && !host.contains(char::is_whitespace)
            });
        if !ok {
            return fail(
                ErrorCode::ServerUrl,
                format!("server URL {url:?} is not an http(s) URL"),
            );
        }
        Ok(ServerRegistry {
            url: url.to_string(),
        })
    }

    fn unavailable<T>(&self) -> Result<T> {
        fail(
            ErrorCode::ServerRegistryUnavailable,
            format!(
                "the credentials name the server {} but mdrm-server's DWM recipient registry is not available in this version; remove the `server=` line to use the local registry",
                self.url
            ),
        )
    }
}

impl RecipientRegistry for ServerRegistry {
    fn add(&mut self, _name: &str) -> Result<Recipient> {
        self.unavailable()
    }
    fn list(&self) -> Result<Vec<Recipient>> {
        self.unavailable()
    }
    fn by_name(&self, _name: &str) -> Result<Option<Recipient>> {
        self.unavailable()
    }
    fn by_id(&self, _dwm_id: u32) -> Result<Option<Recipient>> {
        self.unavailable()
    }
    fn record_job(&mut self, _job: JobRecord) -> Result<()> {
        self.unavailable()
    }
    fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.unavailable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_url_is_321_and_good_url_is_326() {
        assert_eq!(
            ServerRegistry::new("ftp://x").unwrap_err().code,
            ErrorCode::ServerUrl
        );
        assert_eq!(
            ServerRegistry::new("https://").unwrap_err().code,
            ErrorCode::ServerUrl
        );
        let r = ServerRegistry::new("https://drm.example:8443/api").unwrap();
        assert_eq!(
            r.list().unwrap_err().code,
            ErrorCode::ServerRegistryUnavailable
        );
    }
}
