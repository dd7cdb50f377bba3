//! A small, bounded element tree built with quick-xml: enough structure for CPIX, with the
//! limits of [`super::limits`] enforced while reading. No DTD, no external entities.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::limits;
use crate::Error;

/// One element: namespace, local name, attributes (local names), children and text.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    /// The value of attribute `name` (local name, any prefix).
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements with local name `name`.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child element with local name `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn xml_error(e: impl std::fmt::Display, pos: u64) -> Error {
    Error::malformed(format!("not well-formed XML at byte {pos}: {e}"))
}

fn start_element(e: &BytesStart<'_>, ns: &ResolveResult<'_>, pos: u64) -> Result<Element, Error> {
    let namespace = match ns {
        ResolveResult::Bound(n) => Some(n.0.to_string()),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(p) => {
            return Err(Error::malformed(format!(
                "undeclared namespace prefix {p:?} at byte {pos}"
            )));
        }
    };
    let mut attributes = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(err, pos))?;
        let key = a.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        if attributes.len() >= limits::MAX_ATTRIBUTES {
            return Err(Error::malformed(format!(
                "more than {} attributes on one element",
                limits::MAX_ATTRIBUTES
            )));
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| xml_error(err, pos))?;
        if value.contains('\0') {
            return Err(Error::malformed(format!(
                "NUL character in an attribute at byte {pos}"
            )));
        }
        attributes.push((a.key.local_name().as_ref().to_string(), value.into_owned()));
    }
    Ok(Element {
        namespace,
        name: e.local_name().as_ref().to_string(),
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), Error> {
    // Text outside the root element is only white space in a well-formed document.
    let Some(top) = stack.last_mut() else {
        if text.trim().is_empty() {
            return Ok(());
        }
        return Err(Error::malformed("text outside the root element"));
    };
    if text.contains('\0') {
        return Err(Error::malformed("NUL character in text"));
    }
    if top.text.len() + text.len() > limits::MAX_TEXT_BYTES {
        return Err(Error::malformed(format!(
            "text of <{}> longer than {} bytes",
            top.name,
            limits::MAX_TEXT_BYTES
        )));
    }
    top.text.push_str(text);
    Ok(())
}

fn resolve_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Parses `text` into its root element.
pub(crate) fn parse_document(text: &str) -> Result<Element, Error> {
    if text.len() > limits::MAX_DOCUMENT_BYTES {
        return Err(Error::malformed(format!(
            "document larger than {} bytes",
            limits::MAX_DOCUMENT_BYTES
        )));
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| xml_error(e, pos))?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = (ns, e);
                return Err(Error::malformed("content after the root element"));
            }
            Event::Start(e) => {
                elements += 1;
                if elements > limits::MAX_ELEMENTS {
                    return Err(Error::malformed(format!(
                        "more than {} elements",
                        limits::MAX_ELEMENTS
                    )));
                }
                if stack.len() >= limits::MAX_DEPTH {
                    return Err(Error::malformed(format!(
                        "elements nested deeper than {}",
                        limits::MAX_DEPTH
                    )));
                }
                let el = start_element(&e, &ns, pos)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                elements += 1;
                if elements > limits::MAX_ELEMENTS {
                    return Err(Error::malformed(format!(
                        "more than {} elements",
                        limits::MAX_ELEMENTS
                    )));
                }
                let el = start_element(&e, &ns, pos)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| Error::malformed("end tag without start tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml_content(XmlVersion::Implicit1_0))?,
            Event::CData(c) => push_text(&mut stack, &c.xml_content(XmlVersion::Implicit1_0))?,
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| xml_error(e, pos))?
                } else {
                    resolve_entity(r.as_ref())
                };
                let Some(ch) = ch else {
                    return Err(Error::malformed(format!(
                        "unknown entity reference at byte {pos}"
                    )));
                };
                push_text(&mut stack, ch.encode_utf8(&mut [0u8; 4]))?;
            }
            Event::DocType(_) => {
                return Err(Error::malformed("DOCTYPE declarations are not accepted"));
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(Error::malformed("document ends inside an element"));
    }
    root.ok_or_else(|| Error::malformed("no root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_namespaces_and_entities() {
        let doc = r#"<?xml version="1.0"?>
<a:root xmlns:a="urn:a" x="1&amp;2"><a:child>t&lt;&#65;<![CDATA[<c>]]></a:child><b/></a:root>"#;
        let root = parse_document(doc).unwrap();
        assert_eq!(root.namespace.as_deref(), Some("urn:a"));
        assert_eq!(root.name, "root");
        assert_eq!(root.attr("x"), Some("1&2"));
        assert_eq!(root.child("child").unwrap().text, "t<A<c>");
        assert_eq!(root.child("b").unwrap().namespace, None);
    }

    #[test]
    fn rejects_what_it_must() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            "<a>&unknown;</a>",
            "<p:a/>",
            "text",
        ] {
            assert!(
                matches!(parse_document(bad), Err(Error::MalformedCpix { .. })),
                "{bad:?}"
            );
        }
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse_document(&deep).is_err());
    }
}
