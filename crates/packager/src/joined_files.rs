//! Several files read as one: a `Read + Seek` view of files one after another (an HLS init
//! segment and its media segments read back as one fragmented MP4), opening one file at a
//! time instead of loading them all into memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Files joined end to end.
#[derive(Debug)]
pub(crate) struct JoinedFiles {
    /// Each file with its start offset in the joined stream.
    parts: Vec<(PathBuf, u64)>,
    total: u64,
    pos: u64,
    /// The part currently open.
    open: Option<(usize, File)>,
}

impl JoinedFiles {
    /// Joins `paths` in order (their sizes are read now).
    pub(crate) fn new(paths: impl IntoIterator<Item = PathBuf>) -> io::Result<Self> {
        let mut parts = Vec::new();
        let mut total = 0u64;
        for p in paths {
            let len = std::fs::metadata(&p)?.len();
            parts.push((p, total));
            total += len;
        }
        Ok(JoinedFiles {
            parts,
            total,
            pos: 0,
            open: None,
        })
    }

    /// Total length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.total
    }

    /// End offset of part `i`.
    fn end_of(&self, i: usize) -> u64 {
        self.parts.get(i + 1).map_or(self.total, |p| p.1)
    }
}

impl Read for JoinedFiles {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.total {
            return Ok(0);
        }
        // The part holding `pos` (empty parts are skipped: their start equals the next one's).
        let i = self.parts.partition_point(|p| p.1 <= self.pos) - 1;
        let (start, end) = (self.parts[i].1, self.end_of(i));
        if self.open.as_ref().is_none_or(|(j, _)| *j != i) {
            self.open = Some((i, File::open(&self.parts[i].0)?));
        }
        let Some((_, file)) = self.open.as_mut() else {
            unreachable!("opened above")
        };
        file.seek(SeekFrom::Start(self.pos - start))?;
        let want = buf
            .len()
            .min(usize::try_from(end - self.pos).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{} is shorter than when it was opened",
                    self.parts[i].0.display()
                ),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for JoinedFiles {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        };
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn reads_and_seeks_like_the_concatenation(
            sizes in proptest::collection::vec(0usize..300, 1..6),
            ops in proptest::collection::vec((0u64..1200, 0usize..500), 1..20),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut all = Vec::new();
            let mut paths = Vec::new();
            for (k, n) in sizes.iter().enumerate() {
                let data: Vec<u8> = (0..*n).map(|i| (i * 7 + k * 13) as u8).collect();
                let p = dir.path().join(format!("{k}.bin"));
                std::fs::write(&p, &data).unwrap();
                all.extend_from_slice(&data);
                paths.push(p);
            }
            let mut j = JoinedFiles::new(paths).unwrap();
            prop_assert_eq!(j.len(), all.len() as u64);
            let mut whole = Vec::new();
            j.read_to_end(&mut whole).unwrap();
            prop_assert_eq!(&whole, &all);
            for (at, n) in ops {
                j.seek(SeekFrom::Start(at)).unwrap();
                let mut got = vec![0u8; n];
                let mut filled = 0;
                while filled < n {
                    let k = j.read(&mut got[filled..]).unwrap();
                    if k == 0 {
                        break;
                    }
                    filled += k;
                }
                let from = (at as usize).min(all.len());
                let to = (from + n).min(all.len());
                prop_assert_eq!(&got[..filled], &all[from..to]);
            }
            j.seek(SeekFrom::Start(0)).unwrap();
            prop_assert!(j.seek(SeekFrom::Current(-1)).is_err());
            prop_assert!(j.seek(SeekFrom::End(-(j.len() as i64) - 1)).is_err());
        }
    }
}
