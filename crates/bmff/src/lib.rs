//! ISO Base Media File Format (MP4, fragmented MP4/CMAF) for packagers.
//!
//! - A typed model of every box a packager reads or writes ([`boxes`]), where **one definition
//!   per box** (its [`Atom::codec`]) drives parsing, writing and dumping ([`codec`]). Boxes the
//!   crate does not know are kept as raw bytes ([`UnknownBox`]) and written back unchanged;
//!   a lossless decode ([`DecodeOptions::lossless`]) writes every file back byte for byte.
//! - Streaming file access ([`mod@file`]): top-level boxes are read one by one from any
//!   `Read + Seek`; `mdat` payloads are never loaded, only copied.
//! - A sample reader ([`reader`]) for progressive and fragmented files: tracks with their codec
//!   configuration, and lazily read samples.
//! - A fragmenter ([`fragment`]): progressive MP4 to an init segment plus media segments.
//!
//! Hostile input gives a typed [`enum@Error`] naming the box and byte offset, never a panic or an
//! allocation sized by an untrusted count ([`limits`]).
//!
//! # Example
//!
//! ```
//! use bmff::{AnyBox, DecodeOptions, FileType, HasChildren, Moov, Mvhd, decode_box, encode_box};
//!
//! // Build a box tree, write it, and read it back.
//! let mut moov = Moov::default();
//! moov.push(Mvhd { timescale: 90_000, ..Default::default() });
//! let mut bytes = Vec::new();
//! encode_box(&AnyBox::from(moov), &mut bytes).unwrap();
//!
//! let (parsed, _diagnostics) = decode_box(&bytes.into(), DecodeOptions::default()).unwrap();
//! let moov = parsed.as_typed::<Moov>().unwrap();
//! assert_eq!(moov.require::<Mvhd>().unwrap().timescale, 90_000);
//! # let _ = FileType::default();
//! ```

pub mod boxes;
pub mod codec;
mod decode;
pub mod dump;
mod encode;
mod error;
pub mod file;
mod fourcc;
pub mod fragment;
mod header;
pub mod limits;
pub mod reader;

pub use boxes::*;
pub use decode::{DecodeOptions, Diagnostic, Strictness, decode_box, decode_boxes};
pub use encode::{encode_box, encode_box_mut, encoded_size};
pub use error::{Error, Result};
pub use fourcc::FourCC;
pub use header::{BoxHeader, SizeForm};
