//! The streaming writer: header first, then the body batch by batch in bounded memory.

use std::io::{self, Read, Write};

use crate::block::{BlockCrypto, seal_records};
use crate::error::{Error, Result};
use crate::format::{HEADER_MAC_LEN, TAG_LEN};
use crate::header::Header;
use crate::kdf::DerivedKeys;
use crate::key::NcgKey;
use crate::pipeline;
use crate::vectored::read_into_records;

/// Tuning of the writer and of [`crate::Reader::decrypt_to`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Worker threads for encryption and tags (1 = on the caller's thread only).
    pub threads: usize,
    /// Content bytes processed per batch (rounded to whole blocks; at least one block).
    /// Memory use is about three batches ([`encrypt`] and the reader's whole-file functions
    /// pipeline them), one for the push-style [`Writer`].
    pub batch_bytes: usize,
}

impl Default for Options {
    /// All available CPU cores, 8 MiB batches.
    fn default() -> Self {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Options {
    /// Blocks per batch for a given block size.
    pub(crate) fn batch_blocks(&self, block_size: u32) -> usize {
        (self.batch_bytes / block_size as usize).max(1)
    }

    /// Batch buffers in the pipeline: three (read, compute, write at once), two when a batch
    /// is 16 MiB or more, to keep memory bounded.
    pub(crate) fn buffers(&self, block_size: u32) -> usize {
        if self.batch_blocks(block_size) * block_size as usize >= 16 << 20 {
            2
        } else {
            3
        }
    }
}

/// Writes an NCG file to any [`Write`]: the header at once, then the body as content arrives
/// (for producers that push data; [`encrypt`] is faster when the content can be read).
///
/// Give it exactly `header.original_size` bytes through [`Write`] or [`Writer::write_content`],
/// then call [`Writer::finish`]. Memory use is bounded by one batch ([`Options::batch_bytes`])
/// whatever the file size.
pub struct Writer<W: Write> {
    out: W,
    crypto: BlockCrypto,
    block_size: usize,
    batch_blocks: usize,
    threads: usize,
    declared: u64,
    /// Content bytes accepted so far.
    accepted: u64,
    /// Block records of the current batch (`data || tag`, tag space reserved).
    batch: Vec<u8>,
    /// Content bytes in the current batch.
    batch_fill: usize,
    /// Index of the first block of the current batch.
    batch_first_index: u64,
}

impl<W: Write> Writer<W> {
    /// Validates `header`, derives the file's keys from `key`, and writes the header.
    pub fn new(mut out: W, header: &Header, key: &NcgKey, options: Options) -> Result<Self> {
        let crypto = write_header(&mut out, header, key)?;
        let block_size = header.block_size as usize;
        let batch_blocks = options.batch_blocks(header.block_size);
        Ok(Writer {
            out,
            crypto,
            block_size,
            batch_blocks,
            threads: options.threads.max(1),
            declared: header.original_size,
            accepted: 0,
            batch: Vec::with_capacity(batch_blocks * (block_size + TAG_LEN)),
            batch_fill: 0,
            batch_first_index: 0,
        })
    }

    /// Content bytes accepted so far.
    pub fn bytes_written(&self) -> u64 {
        self.accepted
    }

    fn batch_capacity(&self) -> usize {
        self.batch_blocks * self.block_size
    }

    /// Content bytes that still fit in the current batch without exceeding the declared size.
    fn room(&self) -> usize {
        let left = self.declared - self.accepted;
        (self.batch_capacity() - self.batch_fill).min(usize::try_from(left).unwrap_or(usize::MAX))
    }

    /// Grows the batch buffer so the current block has room for `n` more content bytes and
    /// returns that slice. Never crosses a block boundary.
    fn block_slot(&mut self, n: usize) -> &mut [u8] {
        let in_block = self.batch_fill % self.block_size;
        let n = n.min(self.block_size - in_block);
        if in_block == 0 {
            // Starting a new block: reserve its data and tag space.
            let start = self.batch.len();
            self.batch.resize(start + n + TAG_LEN, 0);
            let end = self.batch.len();
            &mut self.batch[start..end - TAG_LEN]
        } else {
            let data_end = self.batch.len() - TAG_LEN;
            self.batch.resize(self.batch.len() + n, 0);
            // Keep the tag space at the end of the record.
            let end = self.batch.len();
            &mut self.batch[data_end..end - TAG_LEN]
        }
    }

    fn accept(&mut self, n: usize) {
        self.batch_fill += n;
        self.accepted += n as u64;
    }

    /// Seals the current batch and writes it out.
    fn flush_batch(&mut self) -> Result<()> {
        if self.batch_fill == 0 {
            return Ok(());
        }
        seal_records(
            &self.crypto,
            &mut self.batch,
            self.block_size,
            self.batch_first_index,
            self.threads,
        );
        self.out.write_all(&self.batch).map_err(Error::Write)?;
        self.batch_first_index += self.batch_fill.div_ceil(self.block_size) as u64;
        self.batch.clear();
        self.batch_fill = 0;
        Ok(())
    }

    /// Accepts content bytes (all of them, or an error).
    pub fn write_content(&mut self, mut data: &[u8]) -> Result<()> {
        if data.len() as u64 > self.declared - self.accepted {
            return Err(Error::SizeMismatch {
                declared: self.declared,
                actual: self.accepted + data.len() as u64,
            });
        }
        while !data.is_empty() {
            let n = data.len().min(self.room());
            let slot = self.block_slot(n);
            let n = slot.len();
            slot.copy_from_slice(&data[..n]);
            self.accept(n);
            data = &data[n..];
            if self.batch_fill == self.batch_capacity() {
                self.flush_batch()?;
            }
        }
        Ok(())
    }

    /// Writes the last batch, checks that exactly the declared size was given, flushes, and
    /// returns the output.
    pub fn finish(mut self) -> Result<W> {
        if self.accepted != self.declared {
            return Err(Error::SizeMismatch {
                declared: self.declared,
                actual: self.accepted,
            });
        }
        self.flush_batch()?;
        self.out.flush().map_err(Error::Write)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_content(buf).map_err(Error::into_io)?;
        Ok(buf.len())
    }

    /// Flushes the underlying writer only: a partly filled batch stays buffered until it is
    /// full or [`Writer::finish`] is called (blocks are sealed whole).
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Encrypts all of `input` (exactly `header.original_size` bytes) into `output` as an NCG
/// file, calling `progress` with the content bytes done so far. Returns the output.
///
/// Reading, encryption (on `options.threads` threads) and writing overlap in a pipeline of a
/// few batch buffers, so memory stays bounded whatever the size. Fails with
/// [`Error::SizeMismatch`] when `input` ends early or holds more than declared.
pub fn encrypt<R: Read + Send, W: Write + Send>(
    input: &mut R,
    mut output: W,
    header: &Header,
    key: &NcgKey,
    options: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<W> {
    let crypto = write_header(&mut output, header, key)?;
    let block_size = header.block_size as usize;
    let batch_content = (options.batch_blocks(header.block_size) * block_size) as u64;
    let declared = header.original_size;
    let threads = options.threads.max(1);

    let mut read = 0u64;
    let mut next_index = 0u64;
    let source = |buf: &mut Vec<u8>| -> Result<Option<(u64, u64)>> {
        if read == declared {
            let mut probe = [0u8; 1];
            if read_up_to(input, &mut probe)? != 0 {
                return Err(Error::SizeMismatch {
                    declared,
                    actual: declared + 1,
                });
            }
            return Ok(None);
        }
        let content = batch_content.min(declared - read) as usize;
        let blocks = content.div_ceil(block_size);
        buf.resize(content + blocks * TAG_LEN, 0);
        let got = read_into_records(input, buf, block_size)?;
        if got < content {
            return Err(Error::SizeMismatch {
                declared,
                actual: read + got as u64,
            });
        }
        let first = next_index;
        next_index += blocks as u64;
        read += content as u64;
        Ok(Some((first, read)))
    };
    let process = |buf: &mut Vec<u8>, &(first, done): &(u64, u64)| {
        seal_records(&crypto, buf, block_size, first, threads);
        progress(done);
        Ok(())
    };
    let out = &mut output;
    let sink = |buf: &[u8], _: &(u64, u64)| out.write_all(buf).map_err(Error::Write);
    pipeline::run(options.buffers(header.block_size), source, process, sink)?;
    output.flush().map_err(Error::Write)?;
    progress(declared);
    Ok(output)
}

/// Validates and writes the header; returns the block crypto of the file.
fn write_header<W: Write>(out: &mut W, header: &Header, key: &NcgKey) -> Result<BlockCrypto> {
    header.validate()?;
    let derived = DerivedKeys::derive(key, &header.file_id);
    let bytes = header.encode(&derived);
    let mut mac = [0u8; HEADER_MAC_LEN];
    mac.copy_from_slice(&bytes[bytes.len() - HEADER_MAC_LEN..]);
    out.write_all(&bytes).map_err(Error::Write)?;
    Ok(BlockCrypto::new(key, &derived, &mac, header.block_size))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
pub(crate) fn read_up_to<R: Read + ?Sized>(input: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Read(e)),
        }
    }
    Ok(filled)
}
