//! Writing one Representation: init segment and numbered media segments, encrypted or clear.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use bmff::fragment::Fragmenter;
use bmff::reader::Mp4Reader;
use bmff::{Edts, HasChildren, Trak};
use cenc::mp4::{FragmentEncryptor, protect_init, track_codec};
use cenc::pssh::PsshInfo;
use cenc::{EncryptorConfig, IvPolicy, Scheme};
use kms_client::TrackKey;

use super::layout::{Kind, SourceTrack};
use super::scan::PlannedSegment;
use crate::error::{Error, OutputStage};
use crate::progress::Progress;

const AT: &str = "packager::dash::write::write_representation";

/// One written media segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WrittenSegment {
    /// Decode time of the first sample (track timescale): the MPD's `S@t`.
    pub(crate) start: u64,
    /// Duration (track timescale).
    pub(crate) duration: u64,
    /// Bytes.
    pub(crate) size: u64,
    /// Samples.
    pub(crate) samples: u32,
}

/// A writer that remembers its last I/O error, so a failure inside the fragmenter can be told
/// apart from a failure reading the input.
struct Tracked<W> {
    inner: W,
    error: Option<io::ErrorKind>,
    raw: Option<io::Error>,
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.error = Some(e.kind());
            self.raw = Some(io::Error::new(e.kind(), e.to_string()));
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.error = Some(e.kind());
            self.raw = Some(io::Error::new(e.kind(), e.to_string()));
        })
    }
}

fn output_error(path: &Path, source: io::Error) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source,
        stage: OutputStage::Write,
        at: AT,
    }
}

fn create(path: &Path) -> Result<Tracked<BufWriter<File>>, Error> {
    let f = File::create(path).map_err(|e| Error::Output {
        path: path.to_path_buf(),
        source: e,
        stage: OutputStage::Create,
        at: AT,
    })?;
    Ok(Tracked {
        inner: BufWriter::with_capacity(1 << 16, f),
        error: None,
        raw: None,
    })
}

/// The encryption of one Representation.
pub(crate) struct Protection<'a> {
    pub(crate) scheme: Scheme,
    pub(crate) key: &'a TrackKey,
    pub(crate) psshs: &'a [PsshInfo],
}

/// Writes `t` into `dir` (`init.mp4`, `1.m4s`, ...) as the segments `plan` and returns
/// them.
pub(crate) fn write_representation<R: Read + Seek>(
    reader: &mut Mp4Reader<R>,
    t: &SourceTrack,
    plan: &[PlannedSegment],
    protection: Option<Protection<'_>>,
    dir: &Path,
    progress: &mut dyn Progress,
    done: &mut u64,
) -> Result<Vec<WrittenSegment>, Error> {
    std::fs::create_dir(dir).map_err(|e| Error::Output {
        path: dir.to_path_buf(),
        source: e,
        stage: OutputStage::Create,
        at: AT,
    })?;
    let media_err = |source: bmff::Error| Error::Media {
        path: t.path.clone(),
        source,
        at: AT,
    };
    let enc_err = |source: cenc::CencError| Error::Encryption {
        path: t.path.clone(),
        track: t.track.id,
        source,
        at: AT,
    };
    let mut encryptor = match &protection {
        Some(p) => Some(
            FragmentEncryptor::new(EncryptorConfig {
                scheme: p.scheme,
                kid: p.key.kid,
                key: p.key.key.clone(),
                iv: match p.scheme {
                    // CTR: a random 8-byte counter per track, so no two tracks sharing a key
                    // ever reuse a counter block.
                    Scheme::Cenc | Scheme::Cens => IvPolicy::random_counter8().map_err(enc_err)?,
                    _ => IvPolicy::Constant(p.key.iv.to_block()),
                },
                pattern: None,
                codec: track_codec(&t.track).map_err(enc_err)?,
            })
            .map_err(enc_err)?,
        ),
        None => None,
    };
    let info = encryptor.as_ref().map(|e| e.track_info());
    let ranges = plan.iter().map(|s| s.range.clone()).collect();
    let mut frag = Fragmenter::streaming(reader, t.track.id, ranges).map_err(media_err)?;
    let video = t.kind == Kind::Video;
    let init = frag
        .init_segment_with(|_, moov| -> Result<(), cenc::CencError> {
            if video {
                // Like Shaka Packager: no video edit list in DASH (players place segments by
                // the MPD timeline); audio keeps its priming edit.
                for trak in moov.all_mut::<Trak>() {
                    trak.remove_all::<Edts>();
                }
            }
            match (&info, &protection) {
                (Some(info), Some(p)) => protect_init(moov, info, p.psshs),
                _ => Ok(()),
            }
        })
        .map_err(enc_err)?;
    let init_path = dir.join("init.mp4");
    std::fs::write(&init_path, init).map_err(|e| output_error(&init_path, e))?;
    let mut segments = Vec::with_capacity(frag.segment_count());
    loop {
        let path: PathBuf = dir.join(format!("{}.m4s", segments.len() + 1));
        let mut w = create(&path)?;
        let written = match encryptor.as_mut() {
            Some(enc) => frag
                .write_next_with(&mut w, |seg, data, samples| {
                    let sizes: Vec<u32> = samples.iter().map(|s| s.size).collect();
                    enc.encrypt_segment(seg, data, &sizes)
                })
                .map_err(|e| match (e, w.raw.take()) {
                    (cenc::CencError::Mp4(bmff::Error::Io(_)), Some(io)) => output_error(&path, io),
                    (e, _) => enc_err(e),
                })?,
            None => frag
                .write_next(&mut w)
                .map_err(|e| match (e, w.raw.take()) {
                    (bmff::Error::Io(_), Some(io)) => output_error(&path, io),
                    (e, _) => media_err(e),
                })?,
        };
        w.flush().map_err(|e| output_error(&path, e))?;
        drop(w);
        match written {
            Some(info) => {
                *done += info.sample_count as u64;
                progress.advance(*done);
                segments.push(WrittenSegment {
                    start: info.start_dts,
                    duration: info.duration,
                    size: info.size,
                    samples: info.sample_count,
                });
            }
            None => {
                std::fs::remove_file(&path).map_err(|e| output_error(&path, e))?;
                break;
            }
        }
    }
    Ok(segments)
}
