//! The CID callback: ask a URL for the content id of an input file (`--cid-callback-url`).

use super::{Attempt, agent, read_body, status_error, transport_error, with_retries};
use crate::Error;
use crate::http_options::HttpOptions;
use crate::ids::ContentId;

/// The query parameter carrying the input file name.
pub const FILE_NAME_PARAMETER: &str = "filename";

/// Longest callback answer read (bytes).
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// JSON fields that may carry the CID, in order of preference.
const CID_FIELDS: [&str; 5] = [
    "cid",
    "content_id",
    "contents_id",
    "contentId",
    "contentsId",
];

fn cid_from_answer(body: &str) -> Option<String> {
    let t = body.trim();
    if t.starts_with('{') || t.starts_with('"') {
        let v: serde_json::Value = serde_json::from_str(t).ok()?;
        if let serde_json::Value::String(s) = &v {
            return Some(s.trim().to_string());
        }
        return CID_FIELDS
            .iter()
            .find_map(|f| v.get(f).and_then(|x| x.as_str()))
            .map(|s| s.trim().to_string());
    }
    // Plain text: a single line.
    (!t.contains('\n')).then(|| t.to_string())
}

/// The content id of a job: `--contents-id` when given; else the answer of the CID callback
/// for `input_file_name` (`GET <callback>?filename=<name>`, answered with the CID as plain
/// text or as JSON `{"cid": "..."}`); else a 1102 naming `--contents-id`.
pub fn resolve_content_id(
    contents_id: Option<&str>,
    callback_url: Option<&str>,
    input_file_name: &str,
    http: &HttpOptions,
) -> Result<ContentId, Error> {
    if let Some(cid) = contents_id {
        return ContentId::parse("--contents-id", cid);
    }
    let Some(url) = callback_url else {
        return Err(Error::invalid_argument(
            "--contents-id",
            "required (or give --cid-callback-url to look the content id up by file name)",
        ));
    };
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(Error::invalid_argument(
            "--cid-callback-url",
            "must be an http:// or https:// URL",
        ));
    }
    // The URL may carry credentials in its query: errors show it without.
    let endpoint = url.split('?').next().unwrap_or(url).to_string();
    let client = agent(http);
    let body = with_retries(http, || {
        let sent = client
            .get(url)
            .query(FILE_NAME_PARAMETER, input_file_name)
            .header("Accept", "text/plain, application/json")
            .call();
        let mut resp = match sent {
            Ok(r) => r,
            Err(ureq::Error::BadUri(_)) => {
                return Attempt::Done(Err(Error::invalid_argument(
                    "--cid-callback-url",
                    "not a usable http(s) URL",
                )));
            }
            Err(e) => return transport_error(e, &endpoint, http.timeout),
        };
        let status = resp.status().as_u16();
        let body = match read_body(&mut resp, MAX_ANSWER_BYTES, &endpoint, http.timeout) {
            Ok(b) => b,
            Err(e) => return Attempt::Done(Err(e)),
        };
        if !(200..300).contains(&status) {
            return status_error(status, &body);
        }
        Attempt::Done(Ok((status, body)))
    })?;
    let (status, body) = body;
    let unusable = |why: &str| Error::ServerAnswer {
        status,
        code: None,
        message: format!(
            "the CID callback answered no usable content id for {input_file_name:?}: {why}"
        ),
    };
    let cid = cid_from_answer(&body)
        .ok_or_else(|| unusable("expected plain text or JSON {\"cid\": ...}"))?;
    ContentId::parse("--cid-callback-url", &cid).map_err(|e| match e {
        Error::InvalidArgument { reason, .. } => unusable(&reason),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_text_and_json() {
        assert_eq!(cid_from_answer("movie-1\n").as_deref(), Some("movie-1"));
        assert_eq!(cid_from_answer(r#"{"cid":"m 2"}"#).as_deref(), Some("m 2"));
        assert_eq!(
            cid_from_answer(r#"{"content_id":"m3"}"#).as_deref(),
            Some("m3")
        );
        assert_eq!(cid_from_answer(r#""m4""#).as_deref(), Some("m4"));
        assert_eq!(cid_from_answer(r#"{"other":1}"#), None);
        assert_eq!(cid_from_answer("a\nb"), None);
    }

    #[test]
    fn without_cid_or_callback_it_is_1102() {
        let e = resolve_content_id(None, None, "a.mp4", &HttpOptions::default()).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--contents-id",
                ..
            }
        ));
        let cid = resolve_content_id(
            Some("c1"),
            Some("http://x/"),
            "a.mp4",
            &HttpOptions::default(),
        );
        assert_eq!(cid.unwrap().as_str(), "c1");
        let e = resolve_content_id(None, Some("file:///x"), "a.mp4", &HttpOptions::default())
            .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--cid-callback-url",
                ..
            }
        ));
    }
}
