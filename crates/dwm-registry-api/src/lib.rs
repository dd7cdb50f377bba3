//! The data both ends of the DWM recipient registry agree on: `mdrm-dwm` (its local registry
//! and its client of the server's) and `mdrm-server` (`/dwm/recipients`, `/dwm/jobs`).
//!
//! One definition, so the JSON on the wire and the name rule cannot drift apart:
//! - [`Recipient`]: a recipient and its serial DWM ID;
//! - [`JobRecord`]: one finished embedding job;
//! - [`NewRecipient`]: the body of a registration;
//! - [`RecipientQuery`]: the `?name=` / `?dwm_id=` lookup of one recipient;
//! - [`name_is_valid`]: which recipient names are accepted (names become parts of file names).

use serde::{Deserialize, Serialize};

/// Longest recipient name, in bytes.
pub const MAX_NAME: usize = 100;

/// The name rule in words, for error messages.
pub const NAME_RULE: &str =
    "1-100 bytes, no '/', '\\', control characters, leading dot or surrounding spaces";

/// A registered recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The recipient's name (unique within a site).
    pub name: String,
    /// The serial DWM ID (registration order, from 1).
    pub dwm_id: u32,
    /// When it was registered (RFC 3339, UTC).
    pub registered: String,
}

/// One finished embedding job for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job file's `account_id`.
    pub account_id: String,
    /// The job file's `content_id`.
    pub content_id: String,
    /// The recipient's name.
    pub recipient: String,
    /// The embedded DWM ID.
    pub dwm_id: u32,
    /// The output file written (on the embedding machine).
    pub output: String,
    /// When it finished (RFC 3339, UTC).
    pub time: String,
}

/// The body of `POST /dwm/recipients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRecipient {
    /// The name to register.
    pub name: String,
}

/// The query of `GET /dwm/recipients`: with a field set, only the recipient it names (a list
/// of zero or one); with none, every recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientQuery {
    /// Only the recipient with this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Only the recipient holding this DWM ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwm_id: Option<u32>,
}

impl RecipientQuery {
    /// Whether `r` is selected.
    pub fn matches(&self, r: &Recipient) -> bool {
        self.name.as_ref().is_none_or(|n| *n == r.name)
            && self.dwm_id.is_none_or(|id| id == r.dwm_id)
    }
}

/// Whether `name` is an acceptable recipient name ([`NAME_RULE`]).
pub fn name_is_valid(name: &str) -> bool {
    !(name.is_empty()
        || name.len() > MAX_NAME
        || name.starts_with('.')
        || name.trim() != name
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["alice", "Studio Ü 7", "a-b_c.d", &"x".repeat(MAX_NAME)] {
            assert!(name_is_valid(ok), "{ok:?}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "a\\b",
            "tab\there",
            " pad",
            "pad ",
            &"x".repeat(MAX_NAME + 1),
        ] {
            assert!(!name_is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn queries_select_by_name_or_id() {
        let r = Recipient {
            name: "alice".into(),
            dwm_id: 7,
            registered: "2026-01-01T00:00:00Z".into(),
        };
        assert!(RecipientQuery::default().matches(&r));
        let by_name = RecipientQuery {
            name: Some("alice".into()),
            dwm_id: None,
        };
        assert!(by_name.matches(&r));
        let by_id = RecipientQuery {
            name: None,
            dwm_id: Some(8),
        };
        assert!(!by_id.matches(&r));
    }

    #[test]
    fn records_keep_their_json_field_names() {
        let j = JobRecord {
            account_id: "a".into(),
            content_id: "c".into(),
            recipient: "r".into(),
            dwm_id: 3,
            output: "o.mp4".into(),
            time: "t".into(),
        };
        let v = serde_json::to_value(&j).unwrap();
        for k in [
            "account_id",
            "content_id",
            "recipient",
            "dwm_id",
            "output",
            "time",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        let back: JobRecord = serde_json::from_value(v).unwrap();
        assert_eq!(back, j);
    }
}
