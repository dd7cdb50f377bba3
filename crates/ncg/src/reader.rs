//! The random-access reader: a verified, decrypted view of an NCG file that behaves like the
//! original file (`Read + Seek`), plus fast whole-file decryption.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::block::{BlockCrypto, open_records};
use crate::error::{Error, Result};
use crate::format::{FILE_ID_OFFSET, HEADER_MAC_LEN, KCV_LEN, KCV_OFFSET, TAG_LEN, file_len};
use crate::header::{Header, header_len_of, parse_header, read_full, read_prefix, read_rest};
use crate::kdf::DerivedKeys;
use crate::key::NcgKey;
use crate::pipeline;
use crate::vectored::{record_data, write_record_data};
use crate::writer::{Options, read_up_to};

/// Opens an NCG file for reading with its key.
///
/// [`Reader::open`] checks the key (key check value) and the header MAC and that the file has
/// exactly the length the header implies, before any content is returned. Every block is
/// verified against its tag before any of its bytes are handed out, so reading never returns
/// modified content: a damaged block fails with [`Error::BlockIntegrity`] (inside an
/// [`io::Error`] of kind `InvalidData` through the `Read` trait; see [`Error::from_io`]).
///
/// Reading a range touches only the blocks that overlap it. One decrypted block is cached.
pub struct Reader<R: Read + Seek> {
    inner: R,
    header: Header,
    minor_version: u8,
    header_len: u64,
    crypto: BlockCrypto,
    /// Content position of the `Read` cursor.
    pos: u64,
    /// Position of `inner`, when known (saves a seek per block on sequential reads).
    inner_pos: Option<u64>,
    /// Index of the block whose plaintext is in `record`.
    cached: Option<u64>,
    /// One block record; after verification its data part holds the plaintext.
    record: Vec<u8>,
}

impl<R: Read + Seek> Reader<R> {
    /// Reads and authenticates the header of the NCG file `inner` (whose byte 0 is the file's
    /// first byte) and checks the file length. Fails with [`Error::WrongKey`] when `key` does not
    /// belong to the file, [`Error::HeaderIntegrity`] when the header was modified, and
    /// [`Error::Truncated`] / [`Error::TrailingData`] when the length is wrong.
    pub fn open(mut inner: R, key: &NcgKey) -> Result<Self> {
        inner.seek(SeekFrom::Start(0)).map_err(Error::Read)?;
        let prefix = read_prefix(&mut inner)?;
        let key_check = DerivedKeys::key_check_value(key);
        let kcv_ok = prefix[KCV_OFFSET..KCV_OFFSET + KCV_LEN] == key_check;
        let header_len = match header_len_of(&prefix) {
            Ok(len) => len,
            // The key matches, so the length field itself was damaged.
            Err(_) if kcv_ok => return Err(Error::HeaderIntegrity),
            Err(e) => return Err(e),
        };
        let bytes = read_rest(&mut inner, &prefix, header_len)?;
        let mut file_id = [0u8; 16];
        file_id.copy_from_slice(&bytes[FILE_ID_OFFSET..FILE_ID_OFFSET + 16]);
        let derived = DerivedKeys::derive(key, &file_id);
        let mac_ok = derived.verify_header_mac(&bytes);
        match (kcv_ok, mac_ok) {
            (true, true) => {}
            // A verified MAC proves the key, so only the key check value bytes changed; a
            // matching key check value with a failed MAC means other header bytes changed.
            (false, true) | (true, false) => return Err(Error::HeaderIntegrity),
            (false, false) => return Err(Error::WrongKey),
        }
        let parsed = parse_header(&bytes)?;
        let header = parsed.header;
        let expected = file_len(header_len, header.original_size, header.block_size).ok_or(
            Error::MalformedHeader {
                field: "original size",
                reason: "too large".into(),
            },
        )?;
        let actual = inner.seek(SeekFrom::End(0)).map_err(Error::Read)?;
        if actual < expected {
            return Err(Error::Truncated { expected, actual });
        }
        if actual > expected {
            return Err(Error::TrailingData { expected, actual });
        }
        let mut mac = [0u8; HEADER_MAC_LEN];
        mac.copy_from_slice(&bytes[bytes.len() - HEADER_MAC_LEN..]);
        let crypto = BlockCrypto::new(key, &derived, &mac, header.block_size);
        Ok(Reader {
            inner,
            minor_version: parsed.minor_version,
            header_len: u64::from(header_len),
            crypto,
            pos: 0,
            inner_pos: Some(actual),
            cached: None,
            record: Vec::new(),
            header,
        })
    }

    /// The verified header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The file's format version (major, minor).
    pub fn format_version(&self) -> (u8, u8) {
        (crate::format::VERSION_MAJOR, self.minor_version)
    }

    /// Length of the header in bytes (offset of the first block record).
    pub fn header_len(&self) -> u64 {
        self.header_len
    }

    /// Size of the decrypted content (the original file size).
    pub fn content_len(&self) -> u64 {
        self.header.original_size
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn layout(&self) -> Layout {
        Layout {
            header_len: self.header_len,
            block_size: self.header.block_size,
            original_size: self.header.original_size,
        }
    }

    fn block_size(&self) -> u64 {
        u64::from(self.header.block_size)
    }

    fn seek_inner(&mut self, offset: u64) -> Result<()> {
        if self.inner_pos != Some(offset) {
            self.inner_pos = None;
            self.inner
                .seek(SeekFrom::Start(offset))
                .map_err(Error::Read)?;
        }
        self.inner_pos = Some(offset);
        Ok(())
    }

    /// Reads `len` bytes of records starting at block `first` into `buf`.
    fn read_records(&mut self, first: u64, buf: &mut Vec<u8>, len: usize) -> Result<()> {
        let offset = self.layout().record_offset(first);
        self.seek_inner(offset)?;
        buf.resize(len, 0);
        let result = read_full(&mut self.inner, buf, offset);
        self.inner_pos = result.is_ok().then_some(offset + len as u64);
        result
    }

    /// Verifies and decrypts block `index` into the cache; returns its plaintext.
    pub fn read_block(&mut self, index: u64) -> Result<&[u8]> {
        if index >= self.header.block_count() {
            return Err(Error::InvalidField {
                field: "block index",
                reason: format!(
                    "{index} is past the last block ({} blocks)",
                    self.header.block_count()
                ),
            });
        }
        let data_len = self.layout().block_data_len(index);
        if self.cached != Some(index) {
            self.cached = None;
            let mut record = std::mem::take(&mut self.record);
            let read = self.read_records(index, &mut record, data_len + TAG_LEN);
            self.record = record;
            read?;
            let (data, tag) = self.record.split_at_mut(data_len);
            if !self.crypto.open(index, data, tag) {
                return Err(self.layout().integrity_error(index));
            }
            self.cached = Some(index);
        }
        Ok(&self.record[..data_len])
    }

    /// Fills `buf` from content position `pos` as far as the content allows; returns the
    /// number of bytes copied.
    fn read_at(&mut self, mut pos: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() && pos < self.header.original_size {
            let index = pos / self.block_size();
            let offset = (pos % self.block_size()) as usize;
            let block = self.read_block(index)?;
            let n = (block.len() - offset).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block[offset..offset + n]);
            done += n;
            pos += n as u64;
        }
        Ok(done)
    }

    /// Streams the decrypted content from the start into `out`, verifying every block, with
    /// up to `options.threads` threads; calls `progress` with the content bytes done after each
    /// batch. Returns the number of bytes written. On an integrity failure nothing of the
    /// failing batch is written (earlier batches are), so write into a temporary file.
    pub fn decrypt_to<W: Write + Send>(
        &mut self,
        out: &mut W,
        options: Options,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64>
    where
        R: Send,
    {
        let block_size = self.header.block_size as usize;
        self.for_each_batch(options, progress, |records| {
            write_record_data(out, records, block_size).map_err(Error::Write)
        })?;
        out.flush().map_err(Error::Write)?;
        Ok(self.header.original_size)
    }

    /// Verifies every block (tags only matter here; the plaintext is discarded).
    pub fn verify(&mut self, options: Options) -> Result<()>
    where
        R: Send,
    {
        self.for_each_batch(options, &mut |_| {}, |_| Ok(()))
    }

    /// Decrypts the whole content and compares it with `original` (a read-back check): fails
    /// with [`Error::ContentMismatch`] at the first difference, including a length difference.
    pub fn compare_with<O: Read + Send>(
        &mut self,
        original: &mut O,
        options: Options,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()>
    where
        R: Send,
    {
        let block_size = self.header.block_size as usize;
        let mut expected = Vec::new();
        let mut offset = 0u64;
        self.for_each_batch(options, progress, |records| {
            let content_len =
                records.len() - records.len().div_ceil(block_size + TAG_LEN) * TAG_LEN;
            expected.resize(content_len, 0);
            let got = read_up_to(original, &mut expected)?;
            let mut at = 0;
            for data in record_data(records, block_size) {
                let end = at + data.len();
                // memcmp first; the byte position is only looked for on a difference.
                if end > got || data != &expected[at..end] {
                    // Earlier blocks matched in full, so `at <= got`.
                    let avail = got.min(end) - at;
                    let i = data[..avail]
                        .iter()
                        .zip(&expected[at..at + avail])
                        .position(|(a, b)| a != b)
                        .unwrap_or(avail);
                    return Err(Error::ContentMismatch {
                        offset: offset + (at + i) as u64,
                    });
                }
                at = end;
            }
            offset += content_len as u64;
            Ok(())
        })?;
        let mut probe = [0u8; 1];
        if read_up_to(original, &mut probe)? != 0 {
            return Err(Error::ContentMismatch { offset });
        }
        Ok(())
    }

    /// Reads, verifies and decrypts the body batch by batch from block 0 in a pipeline (read,
    /// verify + decrypt, consume overlap), handing each batch's opened records (plaintext data
    /// parts, tags still between them: see [`record_data`]) to `sink`.
    fn for_each_batch<K>(
        &mut self,
        options: Options,
        progress: &mut dyn FnMut(u64),
        mut sink: K,
    ) -> Result<()>
    where
        R: Send,
        K: FnMut(&[u8]) -> Result<()> + Send,
    {
        let layout = self.layout();
        let block_size = self.header.block_size as usize;
        let blocks = self.header.block_count();
        let batch_blocks = options.batch_blocks(self.header.block_size) as u64;
        let threads = options.threads.max(1);
        let buffers = options.buffers(self.header.block_size);
        self.cached = None;
        self.inner_pos = None;
        let inner = &mut self.inner;
        let crypto = &self.crypto;
        let mut first = 0u64;
        let mut positioned = false;
        let source = |buf: &mut Vec<u8>| -> Result<Option<(u64, u64)>> {
            if first == blocks {
                return Ok(None);
            }
            let count = batch_blocks.min(blocks - first);
            let last = first + count - 1;
            let content = (count - 1) * layout.block_size() + layout.block_data_len(last) as u64;
            let offset = layout.record_offset(first);
            if !positioned {
                inner.seek(SeekFrom::Start(offset)).map_err(Error::Read)?;
                positioned = true;
            }
            buf.resize(content as usize + count as usize * TAG_LEN, 0);
            read_full(inner, buf, offset)?;
            let batch_first = first;
            first += count;
            Ok(Some((
                batch_first,
                layout.block_size() * batch_first + content,
            )))
        };
        let process = |buf: &mut Vec<u8>, &(first, done): &(u64, u64)| {
            open_records(crypto, buf, block_size, first, threads)
                .map_err(|index| layout.integrity_error(index))?;
            progress(done);
            Ok(())
        };
        pipeline::run(buffers, source, process, |buf, _| sink(buf))
    }
}

/// Where blocks lie in an NCG file.
#[derive(Clone, Copy, Debug)]
struct Layout {
    header_len: u64,
    block_size: u32,
    original_size: u64,
}

impl Layout {
    fn block_size(&self) -> u64 {
        u64::from(self.block_size)
    }

    /// Content bytes in block `index`.
    fn block_data_len(&self, index: u64) -> usize {
        let start = index * self.block_size();
        (self.original_size - start).min(self.block_size()) as usize
    }

    /// Offset of block `index`'s record in the file.
    fn record_offset(&self, index: u64) -> u64 {
        self.header_len + index * (self.block_size() + TAG_LEN as u64)
    }

    fn integrity_error(&self, index: u64) -> Error {
        let file_offset = self.record_offset(index);
        Error::BlockIntegrity {
            index,
            file_offset,
            file_end: file_offset + (self.block_data_len(index) + TAG_LEN) as u64,
        }
    }
}

impl<R: Read + Seek> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_at(self.pos, buf).map_err(Error::into_io)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Reader<R> {
    /// Seeks in the decrypted content (`End` is relative to the original size). Seeking past
    /// the end is allowed; reads there return 0 bytes.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.header.original_size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )),
        }
    }
}
