//! Recipient registries: who gets which serial DWM ID, and the history of embedding jobs.
//!
//! [`local::LocalRegistry`] (the default) is a small JSON database in the user's data
//! directory. [`server::ServerRegistry`] uses `mdrm-server`'s registry, named by a `server=`
//! line in the credentials, so several machines share one ID sequence per site.

pub mod local;
pub mod server;

pub use dwm_registry_api::{JobRecord, Recipient};

use crate::credentials::Credentials;
use crate::error::{ErrorCode, Result, fail};

/// What every registry offers.
pub trait RecipientRegistry {
    /// Registers `name` with the next serial DWM ID.
    fn add(&mut self, name: &str) -> Result<Recipient>;
    /// All recipients, in registration order.
    fn list(&self) -> Result<Vec<Recipient>>;
    /// The recipient called `name`.
    fn by_name(&self, name: &str) -> Result<Option<Recipient>>;
    /// The recipient holding `dwm_id`.
    fn by_id(&self, dwm_id: u32) -> Result<Option<Recipient>>;
    /// Records a finished embedding job.
    fn record_job(&mut self, job: JobRecord) -> Result<()>;
    /// Every recorded job, oldest first.
    fn jobs(&self) -> Result<Vec<JobRecord>>;
}

/// Checks a recipient name ([`dwm_registry_api::NAME_RULE`]; names become part of file
/// names): 315 when it breaks the rule.
pub fn check_name(name: &str) -> Result<()> {
    if !dwm_registry_api::name_is_valid(name) {
        return fail(
            ErrorCode::RecipientName,
            format!(
                "recipient name {name:?} is invalid ({})",
                dwm_registry_api::NAME_RULE
            ),
        );
    }
    Ok(())
}

/// Opens the registry the credentials call for: the server's when they name one, else the
/// local file at `local_path`.
pub fn open(
    creds: &Credentials,
    local_path: &std::path::Path,
) -> Result<Box<dyn RecipientRegistry>> {
    match &creds.server {
        Some(url) => Ok(Box::new(server::ServerRegistry::new(url, creds)?)),
        None => Ok(Box::new(local::LocalRegistry::open(local_path, creds)?)),
    }
}

/// The current time as RFC 3339 UTC.
pub fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["alice", "Studio Ü 7", "a-b_c.d"] {
            check_name(ok).unwrap();
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "a\\b",
            "tab\there",
            " pad",
            &"x".repeat(101),
        ] {
            assert_eq!(
                check_name(bad).unwrap_err().code,
                ErrorCode::RecipientName,
                "{bad:?}"
            );
        }
    }
}
