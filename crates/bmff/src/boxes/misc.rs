//! Media data, user data, metadata and event boxes: `mdat`, `udta`, `meta`, `emsg`.

use bytes::Bytes;

use crate::boxes::{Atom, container, has_children};
use crate::codec::Codec;
use crate::{AnyBox, FourCC, Result};

/// Media data held in memory (small files and segments). Large files never load `mdat`:
/// [`crate::file`] streams it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mdat {
    /// The sample bytes.
    pub data: Bytes,
}

impl Atom for Mdat {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"mdat")];
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.rest("data", &mut self.data)
    }
}

container!(
    /// User data box (titles, tags; content is kept as is).
    Udta,
    b"udta",
    essential = false
);

/// Metadata box (ISO full box: `hdlr` then items, e.g. `ilst`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    /// Child boxes.
    pub children: Vec<AnyBox>,
}
has_children!(Meta);

impl Atom for Meta {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"meta")];
    const CONTAINER: bool = true;
    const ESSENTIAL: bool = false;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        crate::boxes::full_v0(c)?;
        c.children("children", &mut self.children)
    }
}

/// DASH event message box (`emsg`, versions 0 and 1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Emsg {
    /// 0: time relative to the segment; 1: absolute presentation time.
    pub version: u8,
    /// Scheme URI.
    pub scheme_id_uri: Bytes,
    /// Value.
    pub value: Bytes,
    /// Units per second.
    pub timescale: u32,
    /// Version 0: delta from the segment start; version 1: presentation time.
    pub presentation_time: u64,
    /// Duration (0xFFFFFFFF = unknown).
    pub event_duration: u32,
    /// Event id.
    pub id: u32,
    /// Payload.
    pub message_data: Bytes,
}

impl Atom for Emsg {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"emsg")];
    const ESSENTIAL: bool = false;
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        let mut flags = 0;
        c.full_header(&mut self.version, &mut flags)?;
        match self.version {
            0 => {
                c.cstring("scheme_id_uri", &mut self.scheme_id_uri)?;
                c.cstring("value", &mut self.value)?;
                c.u32("timescale", &mut self.timescale)?;
                c.u64_or_u32(
                    "presentation_time_delta",
                    false,
                    &mut self.presentation_time,
                )?;
                c.u32("event_duration", &mut self.event_duration)?;
                c.u32("id", &mut self.id)?;
            }
            1 => {
                c.u32("timescale", &mut self.timescale)?;
                c.u64("presentation_time", &mut self.presentation_time)?;
                c.u32("event_duration", &mut self.event_duration)?;
                c.u32("id", &mut self.id)?;
                c.cstring("scheme_id_uri", &mut self.scheme_id_uri)?;
                c.cstring("value", &mut self.value)?;
            }
            v => return Err(c.invalid(format!("emsg version {v} is not defined"))),
        }
        c.rest("message_data", &mut self.message_data)
    }
}
