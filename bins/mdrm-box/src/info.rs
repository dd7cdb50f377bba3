//! `mdrm-box info`: a summary of tracks, codecs, timing and encryption.

use std::fmt::Write as _;
use std::io::{Read, Seek};
use std::path::Path;

use bmff::reader::{Mp4Reader, Track};
use serde_json::{Value, json};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn uuid(b: &[u8; 16]) -> String {
    let h = hex(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn track_json<R: Read + Seek>(reader: &Mp4Reader<R>, t: &Track) -> bmff::Result<Value> {
    let mut sync = 0u64;
    let mut bytes = 0u64;
    for s in reader.samples(t.id)? {
        let s = s?;
        sync += s.is_sync as u64;
        bytes += s.size as u64;
    }
    let seconds = t.duration as f64 / t.timescale as f64;
    let kind = if t.is_video() {
        "video"
    } else if t.is_audio() {
        "audio"
    } else if t.is_subtitle() {
        "subtitle"
    } else {
        "other"
    };
    let mut v = json!({
        "id": t.id,
        "type": kind,
        "handler": t.handler.to_string(),
        "format": t.original_format().to_string(),
        "codec": t.codec_string(),
        "timescale": t.timescale,
        "duration": t.duration,
        "duration_seconds": (seconds * 1000.0).round() / 1000.0,
        "samples": t.sample_count,
        "sync_samples": sync,
        "bytes": bytes,
        "bitrate": if seconds > 0.0 { (bytes as f64 * 8.0 / seconds).round() as u64 } else { 0 },
        "language": t.language,
    });
    if let Some((w, h)) = t.dimensions() {
        v["width"] = json!(w);
        v["height"] = json!(h);
    }
    if let Some((ch, rate)) = t.audio_format() {
        v["channels"] = json!(ch);
        v["sample_rate"] = json!(rate);
    }
    if let Some(e) = t.encryption() {
        let mut enc = json!({
            "scheme": e.scheme.to_string(),
            "kid": uuid(&e.tenc.default_kid),
            "per_sample_iv_size": e.tenc.default_per_sample_iv_size,
            "crypt_byte_block": e.tenc.default_crypt_byte_block,
            "skip_byte_block": e.tenc.default_skip_byte_block,
        });
        if let Some(iv) = &e.tenc.default_constant_iv {
            enc["constant_iv"] = json!(hex(iv));
        }
        let with_aux = (0..t.sample_count)
            .filter(|&i| t.sample_encryption(i).ok().flatten().is_some())
            .count();
        enc["samples_with_encryption_info"] = json!(with_aux);
        v["encryption"] = enc;
    }
    Ok(v)
}

/// The summary as JSON (also the source of the text form).
pub(crate) fn summarize<R: Read + Seek>(path: &Path, reader: &Mp4Reader<R>) -> bmff::Result<Value> {
    let tracks = reader
        .tracks()
        .iter()
        .map(|t| track_json(reader, t))
        .collect::<bmff::Result<Vec<_>>>()?;
    let pssh: Vec<Value> = reader
        .moov()
        .children
        .iter()
        .filter_map(|b| b.as_typed::<bmff::Pssh>())
        .map(|p| json!({"system_id": uuid(&p.system_id), "kids": p.kids.iter().map(uuid).collect::<Vec<_>>(), "data_size": p.data.len()}))
        .collect();
    let mut v = json!({
        "file": path.display().to_string(),
        "size": reader.file_size(),
        "fragmented": reader.is_fragmented(),
        "movie_timescale": reader.movie_timescale(),
        "tracks": tracks,
        "pssh": pssh,
    });
    if let Some(f) = reader.ftyp() {
        v["major_brand"] = json!(f.major_brand.to_string());
        v["compatible_brands"] = json!(
            f.compatible_brands
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
        );
    }
    Ok(v)
}

/// The summary as text.
pub(crate) fn to_text(v: &Value) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "File: {} ({} bytes, {})",
        v["file"].as_str().unwrap_or(""),
        v["size"],
        if v["fragmented"].as_bool() == Some(true) {
            "fragmented"
        } else {
            "progressive"
        }
    );
    if let Some(b) = v["major_brand"].as_str() {
        let compat: Vec<&str> = v["compatible_brands"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let _ = writeln!(s, "Brands: {b} ({})", compat.join(", "));
    }
    for t in v["tracks"].as_array().into_iter().flatten() {
        let _ = write!(
            s,
            "Track {}: {} {} ({})",
            t["id"],
            t["type"].as_str().unwrap_or(""),
            t["format"].as_str().unwrap_or(""),
            t["codec"].as_str().unwrap_or("?")
        );
        if t.get("width").is_some() {
            let _ = write!(s, " {}x{}", t["width"], t["height"]);
        }
        if t.get("channels").is_some() {
            let _ = write!(s, " {} ch {} Hz", t["channels"], t["sample_rate"]);
        }
        let _ = writeln!(
            s,
            ", {} s, {} samples ({} sync), {} bit/s, timescale {}, language {}",
            t["duration_seconds"],
            t["samples"],
            t["sync_samples"],
            t["bitrate"],
            t["timescale"],
            t["language"].as_str().unwrap_or("und")
        );
        if let Some(e) = t.get("encryption") {
            let _ = write!(
                s,
                "  encryption: {} KID {} IV size {}",
                e["scheme"].as_str().unwrap_or(""),
                e["kid"].as_str().unwrap_or(""),
                e["per_sample_iv_size"]
            );
            if let Some(iv) = e["constant_iv"].as_str() {
                let _ = write!(s, " constant IV {iv}");
            }
            if e["crypt_byte_block"].as_u64().unwrap_or(0) > 0 {
                let _ = write!(
                    s,
                    " pattern {}:{}",
                    e["crypt_byte_block"], e["skip_byte_block"]
                );
            }
            let _ = writeln!(
                s,
                ", {} samples with encryption info",
                e["samples_with_encryption_info"]
            );
        }
    }
    for p in v["pssh"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "PSSH: system {} ({} data bytes)",
            p["system_id"].as_str().unwrap_or(""),
            p["data_size"]
        );
    }
    s
}
