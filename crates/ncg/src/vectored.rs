//! Moving content in and out of a batch of block records (`data || tag`, the last record may be
//! short) with vectored I/O: one `readv`/`writev` per batch on files instead of one call per
//! block, and no copy to separate the data parts from the tags.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};

use crate::error::{Error, Result};
use crate::format::TAG_LEN;

/// The data parts of the consecutive records in `buf`, in order.
pub(crate) fn record_data(buf: &[u8], block_size: usize) -> impl Iterator<Item = &[u8]> {
    buf.chunks(block_size + TAG_LEN)
        .map(|record| &record[..record.len() - TAG_LEN])
}

/// Fills the data parts of the records in `buf` from `input`, in order, until they are full or
/// the input ends; returns the content bytes read. The tag parts are left untouched.
pub(crate) fn read_into_records<R: Read + ?Sized>(
    input: &mut R,
    buf: &mut [u8],
    block_size: usize,
) -> Result<usize> {
    let mut slices: Vec<IoSliceMut<'_>> = buf
        .chunks_mut(block_size + TAG_LEN)
        .map(|record| {
            let data_len = record.len() - TAG_LEN;
            IoSliceMut::new(&mut record[..data_len])
        })
        .collect();
    let mut bufs = &mut slices[..];
    IoSliceMut::advance_slices(&mut bufs, 0);
    let mut filled = 0;
    while !bufs.is_empty() {
        match input.read_vectored(bufs) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                IoSliceMut::advance_slices(&mut bufs, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Read(e)),
        }
    }
    Ok(filled)
}

/// Writes the data parts of the records in `buf` to `out`, in order (all of them, or an error).
pub(crate) fn write_record_data<W: Write + ?Sized>(
    out: &mut W,
    buf: &[u8],
    block_size: usize,
) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = record_data(buf, block_size).map(IoSlice::new).collect();
    let mut bufs = &mut slices[..];
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match out.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records of block size 4 holding 1..=9, tags 0xEE.
    fn sample() -> Vec<u8> {
        let mut buf = vec![1, 2, 3, 4];
        buf.extend_from_slice(&[0xEE; TAG_LEN]);
        buf.extend_from_slice(&[5, 6, 7, 8]);
        buf.extend_from_slice(&[0xEE; TAG_LEN]);
        buf.extend_from_slice(&[9]);
        buf.extend_from_slice(&[0xEE; TAG_LEN]);
        buf
    }

    /// A reader or writer that moves at most 3 bytes per call, one slice at a time, and is
    /// interrupted every other call.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        calls: usize,
    }

    impl Trickle {
        fn new(data: Vec<u8>) -> Self {
            Trickle {
                data,
                pos: 0,
                calls: 0,
            }
        }

        fn interrupt(&mut self) -> bool {
            self.calls += 1;
            self.calls.is_multiple_of(2)
        }
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.interrupt() {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(3).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.interrupt() {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(3);
            self.data.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn record_data_skips_tags() {
        let joined: Vec<u8> = record_data(&sample(), 4).flatten().copied().collect();
        assert_eq!(joined, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(record_data(&[], 4).count(), 0);
    }

    #[test]
    fn writes_only_data_through_partial_writes() {
        let mut out = Trickle::new(Vec::new());
        write_record_data(&mut out, &sample(), 4).unwrap();
        assert_eq!(out.data, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // The default `write_vectored` (first slice only) and a real one agree.
        let mut vec = Vec::new();
        write_record_data(&mut vec, &sample(), 4).unwrap();
        assert_eq!(vec, out.data);
    }

    #[test]
    fn a_writer_that_stops_is_an_error() {
        let mut full = [0u8; 5];
        let e = write_record_data(&mut &mut full[..], &sample(), 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn reads_into_data_parts_and_leaves_tags() {
        let mut buf = sample();
        let expected = buf.clone();
        buf.iter_mut().filter(|b| **b != 0xEE).for_each(|b| *b = 0);
        let mut input = Trickle::new((1..=9).collect());
        assert_eq!(read_into_records(&mut input, &mut buf, 4).unwrap(), 9);
        assert_eq!(buf, expected);

        // A short input fills what it can and reports how much.
        let mut buf = sample();
        let mut short = Trickle::new(vec![7; 6]);
        assert_eq!(read_into_records(&mut short, &mut buf, 4).unwrap(), 6);
        assert_eq!(&buf[..4], &[7; 4]);
        assert_eq!(&buf[4 + TAG_LEN..6 + TAG_LEN], &[7; 2]);
        assert_eq!(&buf[4..4 + TAG_LEN], &[0xEE; TAG_LEN]);
    }
}
