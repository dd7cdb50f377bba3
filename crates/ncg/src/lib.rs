//! The open NCG download container.
//!
//! An NCG file is one encrypted file for download-and-play, bound to a site id and a content
//! id and decryptable with a 32-byte content encryption key ([`NcgKey`]: AES-128 key + IV)
//! from a license service. The byte layout is specified in `docs/ncg-format.md`; in short:
//!
//! - a header (magic, version, flags, length, key check value, cipher suite, block size,
//!   original size, packaging time, file id, key id, site id, content id, license URL, original
//!   name, MIME type, a skippable extension area, and an HMAC-SHA-256 MAC),
//! - a body of fixed-size blocks, each `AES-128-CTR(content) || 16-byte tag`, so any byte range
//!   can be decrypted and verified without reading what comes before.
//!
//! This format is mdrm's own: it plays the role of INKA/PallyCon NCG but is **not**
//! byte-compatible with their players.
//!
//! ```
//! use std::io::{Cursor, Read, Seek, SeekFrom};
//! use ncg::{Header, NcgKey, Options, Reader, SiteId, encrypt};
//!
//! let content = b"any file".repeat(1000);
//! let key = NcgKey::random().unwrap();
//! let header = Header::new(SiteId(*b"DEMO"), "movie-001", content.len() as u64).unwrap();
//! let file = encrypt(&mut &content[..], Vec::new(), &header, &key, Options::default(), &mut |_| {})
//!     .unwrap();
//!
//! let mut reader = Reader::open(Cursor::new(file), &key).unwrap();
//! reader.seek(SeekFrom::Start(4000)).unwrap();
//! let mut part = [0u8; 8];
//! reader.read_exact(&mut part).unwrap();
//! assert_eq!(&part, &content[4000..4008]);
//! ```

mod block;
mod cpu;
mod error;
pub mod format;
mod header;
mod kdf;
mod key;
mod pipeline;
mod reader;
mod vectored;
mod writer;

pub use cpu::{Acceleration, acceleration};
pub use error::{Error, Result};
pub use header::{Extension, Header, SiteId};
pub use kdf::{LABEL_BLOCK_TAG, LABEL_HEADER_MAC, LABEL_KEY_CHECK};
pub use key::NcgKey;
pub use reader::Reader;
pub use writer::{Options, Writer, encrypt};
