//! Config files (`--config-file`): JSON by default, XML when the name ends in `.xml`.
//!
//! ```json
//! {"site_id": "DEMO", "access-key": "...", "no-verify": true, "i": ["a.mp4"]}
//! ```
//! ```xml
//! <config><site-id>DEMO</site-id><access-key>...</access-key><no-verify/></config>
//! ```
//! Any long flag name of the CLI is a setting; `_` and `-` are interchangeable
//! (`site_id` = `site-id`). The settings become command-line arguments placed before the user's,
//! and only for flags the user did not give, so flags on the command line win.

use std::path::Path;

use quick_xml::events::Event;

use crate::error::Error;

const AT: &str = "packager::config::load";

/// One setting's value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigValue {
    /// A single value (strings; numbers are kept as written).
    Text(String),
    /// A JSON boolean or an empty XML element (`<overwrite/>` = true).
    Flag(bool),
    /// Several values (JSON array or repeated XML element).
    List(Vec<String>),
}

/// A setting: normalised name (`site-id`) and value.
pub type Setting = (String, ConfigValue);

/// Reads a config file into settings (JSON: sorted by name; XML: in file order).
pub fn load(path: &Path) -> Result<Vec<Setting>, Error> {
    let bad = |reason: String| Error::Config {
        path: path.to_path_buf(),
        reason,
        at: AT,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let is_xml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
    let settings = if is_xml {
        parse_xml(&text)
    } else {
        parse_json(&text)
    }
    .map_err(bad)?;
    Ok(settings)
}

/// `site_id` -> `site-id`, without leading dashes.
pub fn normalise_name(name: &str) -> String {
    name.trim().trim_start_matches('-').replace('_', "-")
}

/// Parses the JSON form: one object of settings.
pub fn parse_json(text: &str) -> Result<Vec<Setting>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("the JSON document must be an object of settings".into());
    };
    let scalar = |name: &str, v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("setting {name:?}: expected a string or a number")),
    };
    let mut out = Vec::new();
    for (name, v) in &map {
        let value = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(b) => ConfigValue::Flag(*b),
            serde_json::Value::Array(items) => ConfigValue::List(
                items
                    .iter()
                    .map(|i| scalar(name, i))
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(_) => {
                return Err(format!("setting {name:?}: nested objects are not settings"));
            }
            other => ConfigValue::Text(scalar(name, other)?),
        };
        out.push((normalise_name(name), value));
    }
    Ok(out)
}

/// Parses the XML form: `<config>` with one child element per setting (repeat an element for
/// several values).
pub fn parse_xml(text: &str) -> Result<Vec<Setting>, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out: Vec<Setting> = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(String, String)> = None;
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name().as_ref().to_owned();
                match depth {
                    1 => {
                        if name != "config" {
                            return Err(format!("root element must be <config>, found <{name}>"));
                        }
                        saw_root = true;
                    }
                    2 => current = Some((normalise_name(&name), String::new())),
                    _ => return Err(format!("<{name}>: settings hold text, not elements")),
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                match depth {
                    0 if name == "config" => saw_root = true,
                    0 => return Err(format!("root element must be <config>, found <{name}>")),
                    1 => push(&mut out, normalise_name(&name), None),
                    _ => return Err(format!("<{name}>: settings hold text, not elements")),
                }
            }
            Event::Text(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = current.as_mut() {
                    let entity = format!("&{};", &*r);
                    let resolved = quick_xml::escape::unescape(&entity)
                        .map_err(|e| format!("bad entity {entity}: {e}"))?;
                    value.push_str(&resolved);
                }
            }
            Event::End(_) => {
                if depth == 2
                    && let Some((name, value)) = current.take()
                {
                    let value = value.trim().to_owned();
                    push(&mut out, name, Some(value));
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof if depth > 0 => {
                return Err("unexpected end: an element is not closed".into());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err("no <config> element".into());
    }
    Ok(out)
}

/// Adds an XML setting; a repeated name becomes a list. `None` = empty element.
fn push(out: &mut Vec<Setting>, name: String, text: Option<String>) {
    let value = match text {
        None => ConfigValue::Flag(true),
        Some(t) if t.is_empty() => ConfigValue::Flag(true),
        Some(t) => ConfigValue::Text(t),
    };
    if let Some((_, existing)) = out.iter_mut().find(|(n, _)| *n == name) {
        let mut items = match std::mem::replace(existing, ConfigValue::Flag(false)) {
            ConfigValue::List(items) => items,
            ConfigValue::Text(t) => vec![t],
            ConfigValue::Flag(_) => Vec::new(),
        };
        if let ConfigValue::Text(t) = value {
            items.push(t);
        }
        *existing = ConfigValue::List(items);
    } else {
        out.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_settings() {
        let mut s = parse_json(
            r#"{"site_id":"DEMO","access-key":"abc","no-verify":true,"overwrite":false,"segment-duration":4,"i":["a.mp4","b.mp4"],"x":null}"#,
        )
        .unwrap();
        s.sort();
        assert_eq!(
            s,
            vec![
                ("access-key".into(), ConfigValue::Text("abc".into())),
                (
                    "i".into(),
                    ConfigValue::List(vec!["a.mp4".into(), "b.mp4".into()])
                ),
                ("no-verify".into(), ConfigValue::Flag(true)),
                ("overwrite".into(), ConfigValue::Flag(false)),
                ("segment-duration".into(), ConfigValue::Text("4".into())),
                ("site-id".into(), ConfigValue::Text("DEMO".into())),
            ]
        );
        assert!(parse_json("[1]").is_err());
        assert!(parse_json("{\"a\":{}}").is_err());
        assert!(parse_json("{").is_err());
    }

    #[test]
    fn xml_settings() {
        let s = parse_xml(
            "<?xml version=\"1.0\"?>\n<config>\n  <site-id>DEMO</site-id>\n  <access_key> a&amp;b </access_key>\n  <no-verify/>\n  <i>a.mp4</i><i>b.mp4</i>\n  <license-url><![CDATA[https://x/?a=1&b=2]]></license-url>\n</config>",
        )
        .unwrap();
        assert_eq!(
            s,
            vec![
                ("site-id".into(), ConfigValue::Text("DEMO".into())),
                ("access-key".into(), ConfigValue::Text("a&b".into())),
                ("no-verify".into(), ConfigValue::Flag(true)),
                (
                    "i".into(),
                    ConfigValue::List(vec!["a.mp4".into(), "b.mp4".into()])
                ),
                (
                    "license-url".into(),
                    ConfigValue::Text("https://x/?a=1&b=2".into())
                ),
            ]
        );
        assert!(parse_xml("<settings><a>1</a></settings>").is_err());
        assert!(parse_xml("<config><a><b>1</b></a></config>").is_err());
        assert!(parse_xml("<config><a>1</config>").is_err());
        assert!(parse_xml("").is_err());
        assert_eq!(parse_xml("<config/>").unwrap(), vec![]);
    }

    #[test]
    fn load_picks_format_by_extension() {
        let dir = mdrm_testkit::temp_dir();
        let json = dir.path().join("c.json");
        std::fs::write(&json, r#"{"site-id":"DEMO"}"#).unwrap();
        let xml = dir.path().join("c.XML");
        std::fs::write(&xml, "<config><site_id>DEMO</site_id></config>").unwrap();
        assert_eq!(load(&json).unwrap(), load(&xml).unwrap());
        let missing = load(&dir.path().join("none.json")).unwrap_err();
        assert_eq!(missing.code().value(), 1102);
        assert!(missing.info().starts_with("--config-file"));
    }
}
