//! Describing boxes field by field (behind `mdrm-box dump`).
//!
//! The dumper is the encoder with a recorder attached: it walks the same codec definition as
//! parsing and writing, so every field that is read or written is shown, with the offsets and
//! sizes the boxes have when written (equal to the input's for a lossless parse).
//!
//! JSON form (stable; documented in `docs/mdrm-box.md`): each box is an object
//! `{"type", "offset", "size", "raw", "fields": {name: value, ...}, "children": [...]}`.
//! Values are numbers, strings (text and four-character codes), `true`/`false`, lists, or
//! objects; byte strings are lowercase hex when at most 1024 bytes, otherwise
//! `{"len": n, "head": "<hex of the first 64 bytes>"}`. A list item with a single field is
//! shown as that field's value.

use std::fmt::Write as _;

use bytes::Bytes;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::encode::{Recorder, encode_with};
use crate::{AnyBox, FourCC, Result};

/// The value of one field.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An unsigned integer.
    UInt(u64),
    /// A signed integer.
    Int(i64),
    /// A string.
    Text(String),
    /// A four-character code.
    FourCC(FourCC),
    /// Raw bytes.
    Bytes(Bytes),
    /// A list of items.
    List(Vec<Value>),
    /// An item with named fields.
    Object(Vec<(&'static str, Value)>),
}

/// One box, described.
#[derive(Clone, Debug, PartialEq)]
pub struct DumpBox {
    /// Box type.
    pub kind: FourCC,
    /// Absolute offset of the header.
    pub offset: u64,
    /// Total size.
    pub size: u64,
    /// True when the box is kept as raw bytes (unknown or not modelled byte for byte).
    pub raw: bool,
    /// Fields in file order.
    pub fields: Vec<(&'static str, Value)>,
    /// Child boxes.
    pub children: Vec<DumpBox>,
}

enum Frame {
    Box(DumpBox),
    List(&'static str, Vec<Value>),
    Item(Vec<(&'static str, Value)>),
}

#[derive(Default)]
struct DumpRecorder {
    stack: Vec<Frame>,
    done: Vec<DumpBox>,
}

impl DumpRecorder {
    fn push_field(&mut self, name: &'static str, v: Value) {
        match self.stack.last_mut() {
            Some(Frame::Box(b)) => b.fields.push((name, v)),
            Some(Frame::Item(f)) => f.push((name, v)),
            Some(Frame::List(_, items)) => items.push(v),
            None => {}
        }
    }
}

impl Recorder for DumpRecorder {
    const ACTIVE: bool = true;
    fn field(&mut self, name: &'static str, v: Value) {
        self.push_field(name, v);
    }
    fn begin_list(&mut self, name: &'static str) {
        self.stack.push(Frame::List(name, Vec::new()));
    }
    fn begin_item(&mut self) {
        self.stack.push(Frame::Item(Vec::new()));
    }
    fn end_item(&mut self) {
        if let Some(Frame::Item(mut f)) = self.stack.pop() {
            let v = if f.len() == 1 {
                f.pop().map(|(_, v)| v).unwrap_or(Value::Object(Vec::new()))
            } else {
                Value::Object(f)
            };
            if let Some(Frame::List(_, items)) = self.stack.last_mut() {
                items.push(v);
            }
        }
    }
    fn end_list(&mut self) {
        if let Some(Frame::List(name, items)) = self.stack.pop() {
            self.push_field(name, Value::List(items));
        }
    }
    fn begin_children(&mut self, _: &'static str) {}
    fn end_children(&mut self) {}
    fn begin_box(&mut self, kind: FourCC, offset: u64, raw: bool) {
        self.stack.push(Frame::Box(DumpBox {
            kind,
            offset,
            size: 0,
            raw,
            fields: Vec::new(),
            children: Vec::new(),
        }));
    }
    fn end_box(&mut self, size: u64) {
        if let Some(Frame::Box(mut b)) = self.stack.pop() {
            b.size = size;
            match self.stack.last_mut() {
                Some(Frame::Box(parent)) => parent.children.push(b),
                _ => self.done.push(b),
            }
        }
    }
}

/// Describes `b` as if written at absolute offset `offset`.
pub fn dump_box(b: &AnyBox, offset: u64) -> Result<DumpBox> {
    let mut rec = DumpRecorder::default();
    let mut out = Vec::new();
    encode_with(&mut b.clone(), &mut out, offset, &mut rec)?;
    Ok(rec
        .done
        .pop()
        .expect("the dumper records the box it encoded"))
}

impl DumpBox {
    /// A description of a box whose body was not loaded (e.g. `mdat`).
    pub fn payload(kind: FourCC, offset: u64, size: u64) -> Self {
        DumpBox {
            kind,
            offset,
            size,
            raw: true,
            fields: vec![("payload_size", Value::UInt(size))],
            children: Vec::new(),
        }
    }

    /// Multi-line text, indented two spaces per level. Lists longer than `max_items` are
    /// shortened (`0` = show everything).
    pub fn to_text(&self, max_items: usize) -> String {
        let mut s = String::new();
        self.write_text(&mut s, 0, max_items);
        s
    }

    fn write_text(&self, s: &mut String, depth: usize, max_items: usize) {
        let pad = "  ".repeat(depth);
        let _ = writeln!(
            s,
            "{pad}[{}] offset={} size={}{}",
            self.kind,
            self.offset,
            self.size,
            if self.raw { " (raw)" } else { "" }
        );
        for (name, v) in &self.fields {
            write_field(s, &format!("{pad}  "), name, v, max_items);
        }
        for c in &self.children {
            c.write_text(s, depth + 1, max_items);
        }
    }
}

fn write_field(s: &mut String, pad: &str, name: &str, v: &Value, max_items: usize) {
    match v {
        Value::List(items) => {
            let _ = writeln!(s, "{pad}{name} ({} entries)", items.len());
            let shown = if max_items == 0 {
                items.len()
            } else {
                items.len().min(max_items)
            };
            for (i, item) in items.iter().take(shown).enumerate() {
                let _ = writeln!(s, "{pad}  [{i}] {}", inline(item));
            }
            if shown < items.len() {
                let _ = writeln!(s, "{pad}  ... {} more", items.len() - shown);
            }
        }
        _ => {
            let _ = writeln!(s, "{pad}{name} = {}", inline(v));
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::UInt(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::FourCC(c) => c.to_string(),
        Value::Bytes(b) if b.len() <= 64 => format!("[{}] {}", b.len(), hex(b)),
        Value::Bytes(b) => format!("[{}] {}...", b.len(), hex(&b[..32])),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(f) => f
            .iter()
            .map(|(n, v)| format!("{n}={}", inline(v)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::UInt(n) => s.serialize_u64(*n),
            Value::Int(n) => s.serialize_i64(*n),
            Value::Text(t) => s.serialize_str(t),
            Value::FourCC(c) => s.serialize_str(&c.to_string()),
            Value::Bytes(b) if b.len() <= 1024 => s.serialize_str(&hex(b)),
            Value::Bytes(b) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("len", &b.len())?;
                m.serialize_entry("head", &hex(&b[..64]))?;
                m.end()
            }
            Value::List(items) => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    q.serialize_element(i)?;
                }
                q.end()
            }
            Value::Object(f) => {
                let mut m = s.serialize_map(Some(f.len()))?;
                for (n, v) in f {
                    m.serialize_entry(n, v)?;
                }
                m.end()
            }
        }
    }
}

impl Serialize for DumpBox {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("type", &self.kind.to_string())?;
        m.serialize_entry("offset", &self.offset)?;
        m.serialize_entry("size", &self.size)?;
        m.serialize_entry("raw", &self.raw)?;
        m.serialize_entry("fields", &Value::Object(self.fields.clone()))?;
        m.serialize_entry("children", &self.children)?;
        m.end()
    }
}
