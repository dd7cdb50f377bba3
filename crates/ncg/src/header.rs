//! The NCG header: typed fields, encoding, and parsing of the byte layout in
//! `docs/ncg-format.md`.

use std::fmt;
use std::io::Read;
use std::time::{SystemTime, UNIX_EPOCH};

use keys::KeyId;

use crate::error::{Error, Result};
use crate::format::*;
use crate::kdf::DerivedKeys;

/// A 4-byte service site id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SiteId(pub [u8; 4]);

impl SiteId {
    /// The site id from text of exactly 4 bytes.
    pub fn from_text(text: &str) -> Result<Self> {
        <[u8; 4]>::try_from(text.as_bytes())
            .map(SiteId)
            .map_err(|_| Error::InvalidField {
                field: "site id",
                reason: format!("must be exactly 4 bytes, got {}", text.len()),
            })
    }
}

impl fmt::Display for SiteId {
    /// The text when the 4 bytes are printable UTF-8, else hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) if !s.chars().any(char::is_control) => f.write_str(s),
            _ => f.write_str(&keys::to_hex(&self.0)),
        }
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SiteId({self})")
    }
}

/// One record of the header's extension area (type-length-value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Record type; bit 15 set means critical (a reader must understand it).
    pub kind: u16,
    /// Record value (at most 65535 bytes).
    pub value: Vec<u8>,
}

/// The fields of an NCG header.
///
/// Build one with [`Header::new`], adjust the public fields, and hand it to
/// [`crate::Writer::new`]; a reader returns the parsed header from [`crate::Reader::header`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Service site id.
    pub site_id: SiteId,
    /// Content id (CID), 1..=200 bytes of UTF-8.
    pub content_id: String,
    /// License acquisition URL (may be empty).
    pub license_url: String,
    /// Original file name, a single path component (may be empty).
    pub original_name: String,
    /// Original (plaintext) size in bytes.
    pub original_size: u64,
    /// MIME type or container hint of the content, e.g. `video/mp4` (may be empty).
    pub mime_type: String,
    /// Block size in bytes: a power of two between 4 KiB and 16 MiB.
    pub block_size: u32,
    /// Packaging time in seconds since the Unix epoch (UTC).
    pub packaged_at: u64,
    /// The key service's key id, when known.
    pub key_id: Option<KeyId>,
    /// Random per-file id: the HKDF salt, so every file has its own MAC keys.
    pub file_id: [u8; 16],
    /// Extension records in file order (unknown non-critical ones are kept).
    pub extensions: Vec<Extension>,
}

impl Header {
    /// A header with the given identity and size, the default block size, the current time,
    /// a random file id and empty optional fields.
    pub fn new(site_id: SiteId, content_id: &str, original_size: u64) -> Result<Self> {
        let mut file_id = [0u8; 16];
        keys::fill_random(&mut file_id).map_err(|_| Error::InvalidField {
            field: "file id",
            reason: "the OS random number generator failed".into(),
        })?;
        let packaged_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let header = Header {
            site_id,
            content_id: content_id.to_owned(),
            license_url: String::new(),
            original_name: String::new(),
            original_size,
            mime_type: String::new(),
            block_size: DEFAULT_BLOCK_SIZE,
            packaged_at,
            key_id: None,
            file_id,
            extensions: Vec::new(),
        };
        header.validate()?;
        Ok(header)
    }

    /// The value of the first extension record of type `kind`.
    pub fn extension(&self, kind: u16) -> Option<&[u8]> {
        self.extensions
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.value.as_slice())
    }

    /// Sets (replacing) the UTF-8 extension record `kind`.
    pub fn set_text_extension(&mut self, kind: u16, text: &str) {
        self.extensions.retain(|e| e.kind != kind);
        self.extensions.push(Extension {
            kind,
            value: text.as_bytes().to_vec(),
        });
    }

    /// The content provider / source (extension 0x0001), if present and UTF-8.
    pub fn source(&self) -> Option<&str> {
        self.extension(EXTENSION_SOURCE)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The software that wrote the file (extension 0x0002), if present and UTF-8.
    pub fn packager(&self) -> Option<&str> {
        self.extension(EXTENSION_PACKAGER)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Number of blocks of the body.
    pub fn block_count(&self) -> u64 {
        block_count(self.original_size, self.block_size)
    }

    /// Checks every field against the limits of the format.
    pub fn validate(&self) -> Result<()> {
        validate_block_size(u64::from(self.block_size))?;
        let invalid = |field, reason: String| Err(Error::InvalidField { field, reason });
        if self.content_id.is_empty() || self.content_id.len() > MAX_CONTENT_ID_LEN {
            return invalid(
                "content id",
                format!(
                    "must be 1..={MAX_CONTENT_ID_LEN} bytes, got {}",
                    self.content_id.len()
                ),
            );
        }
        check_text("content id", &self.content_id, MAX_CONTENT_ID_LEN).map_err(|reason| {
            Error::InvalidField {
                field: "content id",
                reason,
            }
        })?;
        for (field, value, max) in [
            ("license url", &self.license_url, MAX_LICENSE_URL_LEN),
            ("original file name", &self.original_name, MAX_FILE_NAME_LEN),
            ("mime type", &self.mime_type, MAX_MIME_LEN),
        ] {
            check_text(field, value, max)
                .map_err(|reason| Error::InvalidField { field, reason })?;
        }
        check_file_name(&self.original_name).map_err(|reason| Error::InvalidField {
            field: "original file name",
            reason,
        })?;
        for e in &self.extensions {
            if e.kind & EXTENSION_CRITICAL_BIT != 0 {
                return invalid(
                    "extension",
                    format!(
                        "type {:#06x} is critical and unknown to this version",
                        e.kind
                    ),
                );
            }
            if e.value.len() > usize::from(u16::MAX) {
                return invalid(
                    "extension",
                    format!("type {:#06x}: value over 65535 bytes", e.kind),
                );
            }
        }
        if self.encoded_len() > MAX_HEADER_LEN as usize {
            return invalid(
                "header",
                format!("encoded header over {MAX_HEADER_LEN} bytes"),
            );
        }
        if file_len(
            self.encoded_len() as u32,
            self.original_size,
            self.block_size,
        )
        .is_none()
        {
            return invalid("original size", "too large".into());
        }
        Ok(())
    }

    fn extension_area_len(&self) -> usize {
        self.extensions.iter().map(|e| 4 + e.value.len()).sum()
    }

    /// Length of the encoded header (key check value and MAC included).
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN
            + 1
            + self.content_id.len()
            + 2
            + self.license_url.len()
            + 2
            + self.original_name.len()
            + 1
            + self.mime_type.len()
            + 4
            + self.extension_area_len()
            + HEADER_MAC_LEN
    }

    /// Encodes the header with the key check value and MAC of `derived`. The caller validates
    /// first; lengths are then known to fit their fields.
    pub(crate) fn encode(&self, derived: &DerivedKeys) -> Vec<u8> {
        let total = self.encoded_len();
        let mut b = Vec::with_capacity(total);
        b.extend_from_slice(&MAGIC);
        b.push(VERSION_MAJOR);
        b.push(VERSION_MINOR);
        let flags = if self.key_id.is_some() {
            FLAG_KEY_ID_PRESENT
        } else {
            0
        };
        b.extend_from_slice(&flags.to_be_bytes());
        b.extend_from_slice(&(total as u32).to_be_bytes());
        b.extend_from_slice(&derived.key_check);
        b.push(CIPHER_SUITE_AES128_CTR_HMAC_SHA256);
        b.extend_from_slice(&self.block_size.to_be_bytes());
        b.extend_from_slice(&self.original_size.to_be_bytes());
        b.extend_from_slice(&self.packaged_at.to_be_bytes());
        b.extend_from_slice(&self.file_id);
        b.extend_from_slice(self.key_id.unwrap_or_default().as_bytes());
        b.extend_from_slice(&self.site_id.0);
        debug_assert_eq!(b.len(), FIXED_LEN);
        b.push(self.content_id.len() as u8);
        b.extend_from_slice(self.content_id.as_bytes());
        b.extend_from_slice(&(self.license_url.len() as u16).to_be_bytes());
        b.extend_from_slice(self.license_url.as_bytes());
        b.extend_from_slice(&(self.original_name.len() as u16).to_be_bytes());
        b.extend_from_slice(self.original_name.as_bytes());
        b.push(self.mime_type.len() as u8);
        b.extend_from_slice(self.mime_type.as_bytes());
        b.extend_from_slice(&(self.extension_area_len() as u32).to_be_bytes());
        for e in &self.extensions {
            b.extend_from_slice(&e.kind.to_be_bytes());
            b.extend_from_slice(&(e.value.len() as u16).to_be_bytes());
            b.extend_from_slice(&e.value);
        }
        b.extend_from_slice(&[0u8; HEADER_MAC_LEN]);
        debug_assert_eq!(b.len(), total);
        let mac = derived.header_mac(&b);
        b[total - HEADER_MAC_LEN..].copy_from_slice(&mac);
        b
    }

    /// Reads and parses a header WITHOUT checking its MAC or the key (no key needed):
    /// for inspecting a file's metadata. Nothing returned here is authenticated; use
    /// [`crate::Reader::open`] to get a verified header.
    pub fn read_unverified<R: Read>(input: &mut R) -> Result<Header> {
        let bytes = read_header_bytes(input)?;
        Ok(parse_header(&bytes)?.header)
    }
}

/// A parsed header together with facts about its encoding.
#[derive(Clone, Debug)]
pub(crate) struct ParsedHeader {
    pub(crate) header: Header,
    /// Minor format version of the file.
    pub(crate) minor_version: u8,
}

/// Text fields: UTF-8 (guaranteed by `&str`), no control characters, at most `max` bytes.
fn check_text(field: &str, value: &str, max: usize) -> std::result::Result<(), String> {
    if value.len() > max {
        return Err(format!("{field} over {max} bytes ({})", value.len()));
    }
    if value.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok(())
}

/// The original name must be one path component, so a reader can use it as a file name.
fn check_file_name(name: &str) -> std::result::Result<(), String> {
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("must be a single file name without path separators".into());
    }
    Ok(())
}

/// Reads the 32-byte prefix (magic, version, flags, header length, key check value) and checks
/// the magic and the major version.
pub(crate) fn read_prefix<R: Read>(input: &mut R) -> Result<[u8; PREFIX_LEN]> {
    let mut prefix = [0u8; PREFIX_LEN];
    read_full(input, &mut prefix, 0)?;
    if prefix[..8] != MAGIC {
        return Err(Error::NotNcg);
    }
    let (major, minor) = (prefix[8], prefix[9]);
    if major != VERSION_MAJOR {
        return Err(Error::UnsupportedVersion { major, minor });
    }
    Ok(prefix)
}

/// The header length field of a prefix, if it is within the limits.
pub(crate) fn header_len_of(prefix: &[u8; PREFIX_LEN]) -> Result<u32> {
    let header_len = u32::from_be_bytes([prefix[12], prefix[13], prefix[14], prefix[15]]);
    if (MIN_HEADER_LEN..=MAX_HEADER_LEN).contains(&header_len) {
        Ok(header_len)
    } else {
        Err(Error::MalformedHeader {
            field: "header length",
            reason: format!("{header_len} is outside {MIN_HEADER_LEN}..={MAX_HEADER_LEN}"),
        })
    }
}

/// Reads the rest of a header whose prefix was read; returns the complete header bytes.
pub(crate) fn read_rest<R: Read>(
    input: &mut R,
    prefix: &[u8; PREFIX_LEN],
    header_len: u32,
) -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; header_len as usize];
    bytes[..PREFIX_LEN].copy_from_slice(prefix);
    read_full(input, &mut bytes[PREFIX_LEN..], PREFIX_LEN as u64)?;
    Ok(bytes)
}

/// Reads a complete header (prefix checks included) without checking its MAC.
pub(crate) fn read_header_bytes<R: Read>(input: &mut R) -> Result<Vec<u8>> {
    let prefix = read_prefix(input)?;
    let header_len = header_len_of(&prefix)?;
    read_rest(input, &prefix, header_len)
}

/// `read_exact` that reports a short file as [`Error::Truncated`] (`already` = bytes of the
/// file before `buf`).
pub(crate) fn read_full<R: Read>(input: &mut R, buf: &mut [u8], already: u64) -> Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(Error::Truncated {
                    expected: already + buf.len() as u64,
                    actual: already + filled as u64,
                });
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Read(e)),
        }
    }
    Ok(())
}

/// A bounds-checked cursor over the header bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| Error::MalformedHeader {
                field,
                reason: format!(
                    "{n} bytes at offset {} run past the header end ({})",
                    self.pos,
                    self.bytes.len()
                ),
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(field, N)?);
        Ok(a)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    fn text(&mut self, field: &'static str, len: usize, max: usize) -> Result<String> {
        let raw = self.take(field, len)?;
        let text = std::str::from_utf8(raw).map_err(|_| Error::MalformedHeader {
            field,
            reason: "not valid UTF-8".into(),
        })?;
        check_text(field, text, max).map_err(|reason| Error::MalformedHeader { field, reason })?;
        Ok(text.to_owned())
    }
}

/// Parses complete header bytes (as returned by [`read_header_bytes`]). Does not check the
/// key check value or the MAC.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<ParsedHeader> {
    let mut c = Cursor { bytes, pos: 0 };
    let magic = c.array::<8>("magic")?;
    if magic != MAGIC {
        return Err(Error::NotNcg);
    }
    let major = c.u8("version")?;
    let minor = c.u8("version")?;
    if major != VERSION_MAJOR {
        return Err(Error::UnsupportedVersion { major, minor });
    }
    let flags = c.u16("flags")?;
    let unknown_critical = flags & FLAGS_CRITICAL_MASK & !FLAGS_KNOWN;
    if unknown_critical != 0 {
        return Err(Error::UnsupportedFeature {
            what: format!("critical flag bits {unknown_critical:#06x}"),
        });
    }
    let header_len = c.u32("header length")?;
    c.take("key check value", KCV_LEN)?;
    if header_len as usize != bytes.len() {
        return Err(Error::MalformedHeader {
            field: "header length",
            reason: format!("says {header_len}, header has {} bytes", bytes.len()),
        });
    }
    let suite = c.u8("cipher suite")?;
    if suite != CIPHER_SUITE_AES128_CTR_HMAC_SHA256 {
        return Err(Error::UnsupportedFeature {
            what: format!("cipher suite {suite}"),
        });
    }
    let block_size = validate_block_size(u64::from(c.u32("block size")?))?;
    let original_size = c.u64("original size")?;
    let packaged_at = c.u64("packaging time")?;
    let file_id = c.array::<16>("file id")?;
    let kid = c.array::<16>("key id")?;
    let site_id = SiteId(c.array::<4>("site id")?);
    let cid_len = usize::from(c.u8("content id length")?);
    if cid_len == 0 || cid_len > MAX_CONTENT_ID_LEN {
        return Err(Error::MalformedHeader {
            field: "content id",
            reason: format!("length {cid_len} is outside 1..={MAX_CONTENT_ID_LEN}"),
        });
    }
    let content_id = c.text("content id", cid_len, MAX_CONTENT_ID_LEN)?;
    let url_len = usize::from(c.u16("license url length")?);
    let license_url = c.text("license url", url_len, MAX_LICENSE_URL_LEN)?;
    let name_len = usize::from(c.u16("original file name length")?);
    let original_name = c.text("original file name", name_len, MAX_FILE_NAME_LEN)?;
    check_file_name(&original_name).map_err(|reason| Error::MalformedHeader {
        field: "original file name",
        reason,
    })?;
    let mime_len = usize::from(c.u8("mime type length")?);
    let mime_type = c.text("mime type", mime_len, MAX_MIME_LEN)?;
    let ext_len = c.u32("extension area length")? as usize;
    let mut area = Cursor {
        bytes: c.take("extension area", ext_len)?,
        pos: 0,
    };
    let mut extensions = Vec::new();
    while area.pos < area.bytes.len() {
        let kind = area.u16("extension type")?;
        let len = usize::from(area.u16("extension length")?);
        let value = area.take("extension value", len)?.to_vec();
        if kind & EXTENSION_CRITICAL_BIT != 0 {
            return Err(Error::UnsupportedFeature {
                what: format!("critical extension {kind:#06x}"),
            });
        }
        extensions.push(Extension { kind, value });
    }
    c.take("header mac", HEADER_MAC_LEN)?;
    if c.pos != bytes.len() {
        return Err(Error::MalformedHeader {
            field: "header length",
            reason: format!("fields end at {}, header length is {}", c.pos, bytes.len()),
        });
    }
    if file_len(header_len, original_size, block_size).is_none() {
        return Err(Error::MalformedHeader {
            field: "original size",
            reason: format!("{original_size} bytes cannot be stored"),
        });
    }
    let key_id = (flags & FLAG_KEY_ID_PRESENT != 0).then_some(KeyId(kid));
    Ok(ParsedHeader {
        header: Header {
            site_id,
            content_id,
            license_url,
            original_name,
            original_size,
            mime_type,
            block_size,
            packaged_at,
            key_id,
            file_id,
            extensions,
        },
        minor_version: minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        let mut h = Header::new(SiteId(*b"DEMO"), "cid-001", 12345).unwrap();
        h.license_url = "https://license.example/ri/licenseManager.do".into();
        h.original_name = "movie.mp4".into();
        h.mime_type = "video/mp4".into();
        h.key_id = Some(KeyId([9; 16]));
        h.set_text_extension(EXTENSION_SOURCE, "Example Studio");
        h.extensions.push(Extension {
            kind: 0x0777,
            value: vec![1, 2, 3],
        });
        h
    }

    fn encode_full(h: &Header) -> Vec<u8> {
        let key = crate::NcgKey::from_bytes(&[3; 32]);
        h.encode(&DerivedKeys::derive(&key, &h.file_id))
    }

    #[test]
    fn encode_parse_round_trip() {
        let h = sample();
        let bytes = encode_full(&h);
        assert_eq!(bytes.len(), h.encoded_len());
        let parsed = parse_header(&bytes).unwrap();
        assert_eq!(parsed.header, h);
        assert_eq!(parsed.minor_version, VERSION_MINOR);
        assert_eq!(parsed.header.source(), Some("Example Studio"));
        assert_eq!(parsed.header.packager(), None);
        let again = Header::read_unverified(&mut bytes.as_slice()).unwrap();
        assert_eq!(again, h);
    }

    #[test]
    fn minimal_header_has_minimum_length() {
        let mut h = Header::new(SiteId(*b"ABCD"), "x", 0).unwrap();
        h.key_id = None;
        assert_eq!(h.encoded_len(), MIN_HEADER_LEN as usize);
        assert_eq!(parse_header(&encode_full(&h)).unwrap().header, h);
    }

    #[test]
    fn writer_side_validation() {
        let base = sample();
        type Mutation = fn(&mut Header);
        let cases: Vec<(Mutation, &str)> = vec![
            (|h| h.content_id.clear(), "content id"),
            (|h| h.content_id = "c".repeat(201), "content id"),
            (|h| h.content_id = "a\nb".into(), "content id"),
            (|h| h.original_name = "../x".into(), "original file name"),
            (|h| h.original_name = "..".into(), "original file name"),
            (|h| h.license_url = "u".repeat(4097), "license url"),
            (|h| h.mime_type = "m".repeat(256), "mime type"),
            (
                |h| {
                    h.extensions.push(Extension {
                        kind: 0x8001,
                        value: vec![],
                    })
                },
                "extension",
            ),
        ];
        for (mutate, field) in cases {
            let mut h = base.clone();
            mutate(&mut h);
            match h.validate() {
                Err(Error::InvalidField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let mut h = base.clone();
        h.block_size = 3000;
        assert!(matches!(
            h.validate(),
            Err(Error::InvalidBlockSize { size: 3000 })
        ));
        assert!(SiteId::from_text("ABC").is_err());
        assert_eq!(SiteId::from_text("ABCD").unwrap().to_string(), "ABCD");
        assert_eq!(SiteId([0, 1, 2, 3]).to_string(), "00010203");
    }

    #[test]
    fn parser_rejections() {
        let good = encode_full(&sample());
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            f(&mut b);
            parse_header(&b)
        };
        assert!(matches!(with(&|b| b[0] = 0), Err(Error::NotNcg)));
        assert!(matches!(
            with(&|b| b[8] = 2),
            Err(Error::UnsupportedVersion { major: 2, .. })
        ));
        // A newer minor version still parses.
        assert_eq!(with(&|b| b[9] = 7).unwrap().minor_version, 7);
        assert!(matches!(
            with(&|b| b[10] = 0x01),
            Err(Error::UnsupportedFeature { .. })
        ));
        // Unknown informational flag bits are ignored.
        assert!(with(&|b| b[11] |= 0x80).is_ok());
        assert!(matches!(
            with(&|b| b[32] = 2),
            Err(Error::UnsupportedFeature { .. })
        ));
        assert!(matches!(
            with(&|b| b[33..37].copy_from_slice(&5000u32.to_be_bytes())),
            Err(Error::InvalidBlockSize { size: 5000 })
        ));
        assert!(matches!(
            with(&|b| b[89] = 0),
            Err(Error::MalformedHeader { .. })
        ));
        assert!(matches!(
            with(&|b| b[90] = 0xff),
            Err(Error::MalformedHeader {
                field: "content id",
                ..
            })
        ));
        assert!(matches!(
            with(&|b| b.truncate(b.len() - 1)),
            Err(Error::MalformedHeader { .. })
        ));
    }

    #[test]
    fn unknown_extensions_are_skipped_but_critical_ones_rejected() {
        let mut h = sample();
        let bytes = encode_full(&h);
        let parsed = parse_header(&bytes).unwrap().header;
        assert_eq!(parsed.extension(0x0777), Some(&[1u8, 2, 3][..]));
        h.extensions.clear();
        h.extensions.push(Extension {
            kind: 0x0777,
            value: vec![],
        });
        let mut bytes = encode_full(&h);
        let ext_at = bytes.len() - HEADER_MAC_LEN - 4;
        bytes[ext_at] = 0x80;
        assert!(matches!(
            parse_header(&bytes),
            Err(Error::UnsupportedFeature { .. })
        ));
    }

    #[test]
    fn prefix_checks_and_truncation() {
        let good = encode_full(&sample());
        assert!(matches!(
            read_header_bytes(&mut &good[..10]),
            Err(Error::Truncated {
                expected: 32,
                actual: 10
            })
        ));
        assert!(matches!(
            read_header_bytes(&mut &good[..good.len() - 5]),
            Err(Error::Truncated { .. })
        ));
        let mut huge = good.clone();
        huge[12..16].copy_from_slice(&(MAX_HEADER_LEN + 1).to_be_bytes());
        assert!(matches!(
            read_header_bytes(&mut huge.as_slice()),
            Err(Error::MalformedHeader { .. })
        ));
        assert!(matches!(
            read_header_bytes(&mut &[b'f'; 40][..]),
            Err(Error::NotNcg)
        ));
    }
}
