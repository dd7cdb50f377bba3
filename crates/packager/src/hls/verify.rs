//! The read-back self-check of a written package (on by default, `--no-verify` skips it).
//!
//! For every TS media playlist: the playlist is parsed back; each segment is read from disk,
//! AES-128-decrypted with the IV its key tag names, demuxed (PAT/PMT/PES structure, CRCs,
//! continuity counters across segments), SAMPLE-AES-decrypted, and every PES payload is
//! compared byte for byte with the input samples converted again, in order, with their PTS.
//! Nothing may be missing or left over. Subtitle segments must parse as WebVTT, and the
//! master playlist must parse and point at the media playlists written.

use std::fs::File;
use std::path::Path;

use bmff::reader::Mp4Reader;

use crate::joined_files::JoinedFiles;
use hls_ts::demux::{TsDemuxer, decrypt_sample_aes};
use hls_ts::playlist::{KeyMethod, MasterPlaylist, MediaPlaylist};
use hls_ts::webvtt::WebVtt;
use hls_ts::{EsCodec, EsConverter, SampleAesDecryptor, TrackTimeline};

use super::Counter;
use super::keys::HlsKey;
use super::plan::Rendition;
use super::ts::{MEDIA_PLAYLIST, TsProtection, WrittenRendition};
use crate::error::Error;

const AT: &str = "packager::hls::verify";

fn fail(path: &Path, reason: impl Into<String>) -> Error {
    Error::Verify {
        reason: format!("{}: {}", path.display(), reason.into()),
        at: AT,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| fail(path, format!("cannot read it back: {e}")))
}

/// The expected PES payloads of one track: its samples converted again, in order.
struct Expected<'a> {
    track: &'a TrackTimeline,
    converter: EsConverter,
    next: usize,
    pending: Vec<u8>,
    sample: Vec<u8>,
}

impl Expected<'_> {
    /// Checks one PES payload (and its PTS) against the next samples.
    fn check(
        &mut self,
        reader: &mut Mp4Reader<File>,
        payload: &[u8],
        pts: Option<u64>,
        seg: &Path,
    ) -> Result<(), Error> {
        let media = |e: hls_ts::Error| fail(seg, format!("re-reading the input: {e}"));
        if let Some(s) = self.track.samples.get(self.next) {
            let want = (self.track.pts90(s) as u64) & hls_ts::ts::PTS_MASK;
            if pts != Some(want) {
                return Err(fail(
                    seg,
                    format!(
                        "track {} sample {}: PTS {pts:?} instead of {want}",
                        self.track.track_id, self.next
                    ),
                ));
            }
        }
        while self.pending.len() < payload.len() {
            let Some(s) = self.track.samples.get(self.next).copied() else {
                return Err(fail(
                    seg,
                    format!(
                        "track {}: more data than the input has",
                        self.track.track_id
                    ),
                ));
            };
            reader
                .read_sample(&s, &mut self.sample)
                .map_err(|e| media(e.into()))?;
            self.converter
                .convert(&self.sample, s.index, s.is_sync, &mut self.pending)
                .map_err(media)?;
            self.next += 1;
        }
        if self.pending != payload {
            return Err(fail(
                seg,
                format!(
                    "track {}: the PES packet ending with sample {} differs from the input",
                    self.track.track_id,
                    self.next - 1
                ),
            ));
        }
        self.pending.clear();
        Ok(())
    }
}

/// Checks one TS media playlist and its segments.
pub(crate) fn ts_rendition(
    dir: &Path,
    rendition: &Rendition,
    reader: &mut Mp4Reader<File>,
    written: &WrittenRendition,
    key: &HlsKey,
    protection: TsProtection,
    progress: &mut Counter<'_>,
) -> Result<(), Error> {
    let playlist_path = dir.join(MEDIA_PLAYLIST);
    let text =
        String::from_utf8(read(&playlist_path)?).map_err(|_| fail(&playlist_path, "not UTF-8"))?;
    let playlist = MediaPlaylist::parse(&text).map_err(|e| fail(&playlist_path, e.to_string()))?;
    if text != written.playlist.render() || playlist.segments.len() != written.segments.len() {
        return Err(fail(&playlist_path, "differs from what was written"));
    }
    let tag = playlist
        .keys
        .first()
        .ok_or_else(|| fail(&playlist_path, "no key tag"))?;
    let want_method = match protection {
        TsProtection::Aes128 => KeyMethod::Aes128,
        TsProtection::SampleAes => KeyMethod::SampleAes,
    };
    if tag.method != want_method || tag.uri != key.uri {
        return Err(fail(&playlist_path, "wrong key method or URI"));
    }
    let media = |e: hls_ts::Error| fail(&playlist_path, e.to_string());
    let mut expected = Vec::new();
    for t in &rendition.tracks {
        let codec = EsCodec::from_reader(reader, t.track_id).map_err(media)?;
        expected.push(Expected {
            track: t,
            converter: EsConverter::new(codec, t.track_id, None).map_err(media)?,
            next: 0,
            pending: Vec::new(),
            sample: Vec::new(),
        });
    }
    let decryptor = SampleAesDecryptor::new(&key.key, key.iv);
    let mut demuxer = TsDemuxer::new();
    for (n, entry) in playlist.segments.iter().enumerate() {
        let seg = dir.join(&entry.uri);
        let mut data = read(&seg)?;
        progress.add(data.len() as u64);
        if protection == TsProtection::Aes128 {
            let iv = tag
                .iv
                .unwrap_or_else(|| hls_ts::sequence_iv(playlist.media_sequence + n as u64));
            hls_ts::decrypt_segment(&mut data, &key.key, iv)
                .map_err(|e| fail(&seg, e.to_string()))?;
        }
        if data.len() < 376 || data[0] != 0x47 || data[1] & 0x5F != 0x40 || data[2] != 0 {
            return Err(fail(&seg, "does not start with a PAT packet"));
        }
        let before = demuxer.report().pat_sections;
        demuxer.push(&data).map_err(|e| fail(&seg, e.to_string()))?;
        if demuxer.report().pat_sections != before + 1 {
            return Err(fail(&seg, "needs exactly one PAT"));
        }
        let pmt = demuxer.pmt().cloned().ok_or_else(|| fail(&seg, "no PMT"))?;
        if pmt.streams.len() != expected.len() {
            return Err(fail(&seg, "the PMT lists the wrong number of streams"));
        }
        if n + 1 == playlist.segments.len() {
            demuxer.finish().map_err(|e| fail(&seg, e.to_string()))?;
        }
        for unit in demuxer.take_units() {
            let i = pmt
                .streams
                .iter()
                .position(|s| s.pid == unit.pid)
                .ok_or_else(|| fail(&seg, format!("PES on unknown PID {:#x}", unit.pid)))?;
            let st = pmt.streams[i].stream_type;
            if st.is_sample_aes() != (protection == TsProtection::SampleAes) {
                return Err(fail(
                    &seg,
                    format!("stream type {st:?} for this key method"),
                ));
            }
            let clear = decrypt_sample_aes(st, unit.pid, &unit.data, &decryptor)
                .map_err(|e| fail(&seg, e.to_string()))?;
            expected[i].check(reader, &clear, unit.pts, &seg)?;
        }
        let report = demuxer.report();
        if let Some(c) = report.continuity_errors.first() {
            return Err(fail(
                &seg,
                format!(
                    "continuity counter error on PID {:#x} at byte {}",
                    c.pid, c.offset
                ),
            ));
        }
        if let Some(issue) = report.issues.first() {
            return Err(fail(&seg, issue.clone()));
        }
    }
    for e in &expected {
        if e.next != e.track.samples.len() || !e.pending.is_empty() {
            return Err(fail(
                &playlist_path,
                format!(
                    "track {}: {} of {} samples found",
                    e.track.track_id,
                    e.next,
                    e.track.samples.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks one fMP4 (cbcs) media playlist: init segment and media segments joined are read
/// as one fragmented MP4 (from the files, one open at a time), every sample is decrypted with the key and compared byte for byte
/// with the input's, and the track's `tenc` names the key id.
pub(crate) fn fmp4_rendition(
    dir: &Path,
    rendition: &Rendition,
    reader: &mut Mp4Reader<File>,
    written: &WrittenRendition,
    key: &HlsKey,
    progress: &mut Counter<'_>,
) -> Result<(), Error> {
    let playlist_path = dir.join(MEDIA_PLAYLIST);
    let text =
        String::from_utf8(read(&playlist_path)?).map_err(|_| fail(&playlist_path, "not UTF-8"))?;
    let playlist = MediaPlaylist::parse(&text).map_err(|e| fail(&playlist_path, e.to_string()))?;
    if text != written.playlist.render() || playlist.segments.len() != written.segments.len() {
        return Err(fail(&playlist_path, "differs from what was written"));
    }
    let Some(map) = &playlist.map else {
        return Err(fail(&playlist_path, "no #EXT-X-MAP"));
    };
    let mut files = vec![dir.join(map)];
    files.extend(playlist.segments.iter().map(|e| dir.join(&e.uri)));
    let joined = JoinedFiles::new(files).map_err(|e| {
        fail(
            &playlist_path,
            format!("cannot read its segments back: {e}"),
        )
    })?;
    progress.add(joined.len());
    let bad = |what: String| fail(&playlist_path, what);
    let mut out =
        Mp4Reader::open(joined).map_err(|e| bad(format!("does not read back as MP4: {e}")))?;
    let track = out
        .tracks()
        .first()
        .cloned()
        .ok_or_else(|| bad("no track".into()))?;
    let info = track
        .encryption()
        .ok_or_else(|| bad("the track is not marked encrypted".into()))?;
    let mut keys = cenc::mp4::KeyMap::new();
    keys.insert(key.kid, key.key.clone());
    let mut dec = cenc::mp4::TrackDecryptor::new(track.id, &info, &keys)
        .map_err(|e| bad(format!("cannot decrypt: {e}")))?;
    if dec.scheme() != cenc::Scheme::Cbcs {
        return Err(bad(format!("scheme {} instead of cbcs", dec.scheme())));
    }
    let samples: Vec<bmff::reader::Sample> = out
        .samples(track.id)
        .and_then(|i| i.collect::<bmff::Result<_>>())
        .map_err(|e| bad(format!("sample index: {e}")))?;
    let source = &rendition.tracks[0].samples;
    if samples.len() != source.len() {
        return Err(bad(format!(
            "{} samples instead of {}",
            samples.len(),
            source.len()
        )));
    }
    let (mut got, mut want) = (Vec::new(), Vec::new());
    for (s, o) in samples.iter().zip(source) {
        out.read_sample(s, &mut got)
            .map_err(|e| bad(format!("sample {}: {e}", s.index)))?;
        let record = track
            .sample_encryption(s.index)
            .map_err(|e| bad(format!("sample {}: {e}", s.index)))?;
        dec.decrypt_sample(
            &mut got,
            record,
            track.sample_key_id(s.index).map(keys::KeyId),
        )
        .map_err(|e| bad(format!("sample {}: {e}", s.index)))?;
        reader
            .read_sample(o, &mut want)
            .map_err(|e| bad(format!("re-reading the input: {e}")))?;
        if got != want {
            return Err(bad(format!(
                "sample {} differs from the input after decryption",
                s.index
            )));
        }
    }
    Ok(())
}

/// Checks a subtitle playlist: every segment parses and the cues all appear.
pub(crate) fn subtitle_rendition(dir: &Path, vtt: &WebVtt) -> Result<(), Error> {
    let playlist_path = dir.join(MEDIA_PLAYLIST);
    let text =
        String::from_utf8(read(&playlist_path)?).map_err(|_| fail(&playlist_path, "not UTF-8"))?;
    let playlist = MediaPlaylist::parse(&text).map_err(|e| fail(&playlist_path, e.to_string()))?;
    let mut seen = vec![false; vtt.cues.len()];
    for entry in &playlist.segments {
        let seg = dir.join(&entry.uri);
        let text = String::from_utf8(read(&seg)?).map_err(|_| fail(&seg, "not UTF-8"))?;
        if !text.contains("X-TIMESTAMP-MAP=MPEGTS:") {
            return Err(fail(&seg, "no X-TIMESTAMP-MAP"));
        }
        let part = WebVtt::parse(&text).map_err(|e| fail(&seg, e.to_string()))?;
        for c in &part.cues {
            if let Some(i) = vtt.cues.iter().position(|o| o == c) {
                seen[i] = true;
            }
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(fail(
            &playlist_path,
            format!("cue {} is in no segment", i + 1),
        ));
    }
    Ok(())
}

/// Checks that the master playlist parses and names exactly the media playlists written.
pub(crate) fn master(
    root: &Path,
    renditions: &[Rendition],
    written: &MasterPlaylist,
) -> Result<(), Error> {
    let path = root.join(super::master::MASTER_PLAYLIST);
    let text = String::from_utf8(read(&path)?).map_err(|_| fail(&path, "not UTF-8"))?;
    let parsed = MasterPlaylist::parse(&text).map_err(|e| fail(&path, e.to_string()))?;
    if text != written.render() || parsed.variants.len() != written.variants.len() {
        return Err(fail(&path, "differs from what was written"));
    }
    for r in renditions {
        let uri = format!("{}/{MEDIA_PLAYLIST}", r.name);
        let named = parsed.variants.iter().any(|v| v.uri == uri)
            || parsed.renditions.iter().any(|m| m.uri == uri);
        if !named || !root.join(&uri).is_file() {
            return Err(fail(&path, format!("{uri} is not listed or missing")));
        }
    }
    Ok(())
}
