//! Fuzzes the reading side of hls-ts: the MPEG-TS demuxer (whole and in pieces, which must
//! agree), SAMPLE-AES decryption of every PES unit, ADTS splitting, full-segment AES-128
//! decryption, and the m3u8 and WebVTT parsers. Errors are fine; panics are not.
#![no_main]

use hls_ts::demux::{TsDemuxer, adts_frames, decrypt_sample_aes, demux};
use hls_ts::playlist::{MasterPlaylist, MediaPlaylist};
use hls_ts::webvtt::WebVtt;
use hls_ts::{SampleAesDecryptor, decrypt_segment};
use keys::ContentKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = ContentKey::new([0x42; 16]);
    let iv = [7u8; 16];

    let whole = demux(data);
    // The same bytes pushed in uneven pieces give the same units.
    let mut d = TsDemuxer::new();
    let step = 1 + data.first().copied().unwrap_or(0) as usize * 3;
    let mut pieces = Ok(());
    for chunk in data.chunks(step) {
        pieces = d.push(chunk);
        if pieces.is_err() {
            break;
        }
    }
    if pieces.is_ok() && d.finish().is_ok()
        && let Ok((_, units, _)) = &whole
    {
        assert_eq!(&d.take_units(), units, "chunked demuxing differs");
    }
    if let Ok((Some(pmt), units, _)) = whole {
        let dec = SampleAesDecryptor::new(&key, iv);
        for u in &units {
            if let Some(s) = pmt.streams.iter().find(|s| s.pid == u.pid) {
                let _ = decrypt_sample_aes(s.stream_type, u.pid, &u.data, &dec);
            }
            let _ = adts_frames(u.pid, &u.data);
        }
    }

    let mut buf = data.to_vec();
    let _ = decrypt_segment(&mut buf, &key, iv);

    if let Ok(text) = std::str::from_utf8(data) {
        let _ = MediaPlaylist::parse(text);
        let _ = MasterPlaylist::parse(text);
        let _ = WebVtt::parse(text);
    }
});
