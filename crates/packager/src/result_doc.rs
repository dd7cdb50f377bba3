//! The result document printed on stdout at the end of every packaging run (cli.md): XML with
//! the root `PallyconPackager` (kept for compatibility with existing parsers), or JSON with
//! `--json`.

use serde::Serialize;

use crate::error::Error;
use crate::error_code::ErrorCode;

/// The outcome of one run, as printed on stdout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultDoc {
    /// RESULT: the numeric code.
    #[serde(rename = "RESULT", serialize_with = "code_value")]
    pub code: ErrorCode,
    /// ERRORMSG: the fixed message of the code (failures only).
    #[serde(rename = "ERRORMSG", skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    /// INFO: details (which argument, which file, the server's answer).
    #[serde(rename = "INFO", skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// WHERE: module and function.
    #[serde(rename = "WHERE", skip_serializing_if = "Option::is_none")]
    pub location: Option<&'static str>,
}

fn code_value<S: serde::Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i32(code.value())
}

impl ResultDoc {
    /// `RESULT` 0.
    pub fn success() -> Self {
        ResultDoc {
            code: ErrorCode::Success,
            message: None,
            info: None,
            location: None,
        }
    }

    /// The document for a failure.
    pub fn from_error(error: &Error) -> Self {
        let code = error.code();
        ResultDoc {
            code,
            message: Some(code.message()),
            info: Some(error.info()),
            location: Some(error.location()),
        }
    }

    /// The document for a run's result.
    pub fn from_result<T>(result: &Result<T, Error>) -> Self {
        match result {
            Ok(_) => Self::success(),
            Err(e) => Self::from_error(e),
        }
    }

    /// The XML form (cli.md), with a trailing newline.
    pub fn to_xml(&self) -> String {
        let mut s =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n");
        s.push_str(&format!("<RESULT>{}</RESULT>\n", self.code.value()));
        let mut element = |name: &str, text: Option<&str>| {
            if let Some(text) = text {
                s.push_str(&format!(
                    "<{name}>{}</{name}>\n",
                    quick_xml::escape::escape(text)
                ));
            }
        };
        element("ERRORMSG", self.message);
        element("INFO", self.info.as_deref());
        element("WHERE", self.location);
        s.push_str("</PallyconPackager>\n");
        s
    }

    /// The JSON form (`--json`): the same fields, same names, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|_| {
            // Serialising plain strings and an integer cannot fail; keep a valid document anyway.
            format!("{{\"RESULT\":{}}}", self.code.value())
        });
        s.push('\n');
        s
    }

    /// XML or JSON.
    pub fn render(&self, json: bool) -> String {
        if json { self.to_json() } else { self.to_xml() }
    }

    /// The process exit status: 0 on success, 1 on any failure.
    pub fn exit_status(&self) -> u8 {
        u8::from(!self.code.is_success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_exactly_the_documented_xml() {
        assert_eq!(
            ResultDoc::success().to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n<RESULT>0</RESULT>\n</PallyconPackager>\n"
        );
        assert_eq!(ResultDoc::success().to_json(), "{\"RESULT\":0}\n");
        assert_eq!(ResultDoc::success().exit_status(), 0);
    }

    #[test]
    fn failure_carries_message_info_where_escaped() {
        let e = Error::invalid(
            "--contents-id",
            "bad <value> & \"more\"",
            "packager::args::validate",
        );
        let doc = ResultDoc::from_error(&e);
        assert_eq!(doc.exit_status(), 1);
        assert_eq!(
            doc.to_xml(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n<RESULT>1102</RESULT>\n\
             <ERRORMSG>an argument has an invalid value</ERRORMSG>\n\
             <INFO>--contents-id: bad &lt;value&gt; &amp; &quot;more&quot;</INFO>\n\
             <WHERE>packager::args::validate</WHERE>\n</PallyconPackager>\n"
        );
        let json: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
        assert_eq!(json["RESULT"], 1102);
        assert_eq!(json["ERRORMSG"], "an argument has an invalid value");
        assert_eq!(json["INFO"], "--contents-id: bad <value> & \"more\"");
        assert_eq!(json["WHERE"], "packager::args::validate");
        assert!(doc.to_json().starts_with("{\"RESULT\":1102,\"ERRORMSG\""));
    }

    #[test]
    fn unexpected_is_minus_one() {
        let e = Error::Unexpected {
            what: "x".into(),
            at: "y",
        };
        assert!(
            ResultDoc::from_error(&e)
                .to_xml()
                .contains("<RESULT>-1</RESULT>")
        );
    }
}
