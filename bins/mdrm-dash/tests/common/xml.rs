//! A minimal XML element tree (quick-xml events), so the tests read the MPD independently of
//! the packager's own MPD parser.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One element: qualified name, attributes (qualified names), children, text.
#[derive(Debug, Default, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The attribute, or a panic naming the element and the attribute.
    pub fn req(&self, name: &str) -> &str {
        self.attr(name)
            .unwrap_or_else(|| panic!("<{}> lacks the required @{name}", self.name))
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn one<'a>(&'a self, name: &'a str) -> &'a Element {
        let v: Vec<_> = self.all(name).collect();
        assert_eq!(v.len(), 1, "<{}> must have exactly one <{name}>", self.name);
        v[0]
    }
}

fn start(e: &quick_xml::events::BytesStart<'_>) -> Element {
    Element {
        name: <_ as AsRef<str>>::as_ref(&e.name()).to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    <_ as AsRef<str>>::as_ref(&a.key).to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("well-formed value")
                        .into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    }
}

/// Parses a whole document (panics on malformed XML: the test then fails with the reason).
pub fn parse(text: &str) -> Element {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(start(&e)),
            Event::Empty(e) => {
                let el = start(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                stack.last_mut().expect("balanced tags").children.push(el);
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                stack.last_mut().unwrap().text.push_str(s.trim());
            }
            Event::GeneralRef(r) => {
                let entity = format!("&{};", &*r);
                let resolved = quick_xml::escape::unescape(&entity).expect("known entity");
                stack.last_mut().unwrap().text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}
