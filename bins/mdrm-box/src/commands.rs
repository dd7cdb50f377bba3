//! The subcommands: wiring between files and the `bmff` crate.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use bmff::DecodeOptions;
use bmff::file::Mp4File;
use bmff::reader::Mp4Reader;

/// An error for the user: what failed, with the file.
pub(crate) type CmdResult = Result<(), String>;

fn open(path: &Path) -> Result<BufReader<File>, String> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn dump(path: &Path, json: bool, full: bool) -> CmdResult {
    let mut src = open(path)?;
    let file = Mp4File::read(&mut src, DecodeOptions::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let boxes = file.dump().map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &boxes).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else {
        for b in &boxes {
            write!(out, "{}", b.to_text(if full { 0 } else { 10 })).map_err(|e| e.to_string())?;
        }
        for d in &file.diagnostics {
            writeln!(out, "note: {} at offset {}: {}", d.path, d.offset, d.reason)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

pub(crate) fn info(path: &Path, json: bool) -> CmdResult {
    let src = open(path)?;
    let reader = Mp4Reader::open(src).map_err(|e| format!("{}: {e}", path.display()))?;
    let summary = crate::info::summarize(path, &reader).map_err(|e| e.to_string())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &summary).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else {
        write!(out, "{}", crate::info::to_text(&summary)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub(crate) fn rewrite(input: &Path, output: &Path) -> CmdResult {
    let mut src = open(input)?;
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        bmff::file::rewrite(&mut src, &mut w, DecodeOptions::default())
            .map_err(|e| format!("{}: {e}", input.display()))?;
        w.flush().map_err(|e| e.to_string())?;
    }
    tmp.persist(output)
        .map_err(|e| format!("{}: {}", output.display(), e.error))?;
    Ok(())
}

pub(crate) fn fragment(
    input: &Path,
    outdir: &Path,
    segment_duration: f64,
    styp: bool,
    sidx: bool,
) -> CmdResult {
    if !(segment_duration > 0.0 && segment_duration.is_finite()) {
        return Err(format!(
            "--segment-duration must be a positive number of seconds, not {segment_duration}"
        ));
    }
    if outdir.exists()
        && std::fs::read_dir(outdir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!("{}: exists and is not empty", outdir.display()));
    }
    let src = open(input)?;
    let mut reader = Mp4Reader::open(src).map_err(|e| format!("{}: {e}", input.display()))?;
    let parent = outdir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".mdrm-box-fragment-")
        .tempdir_in(parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    let summary =
        crate::fragment::fragment_all(&mut reader, staging.path(), segment_duration, styp, sidx)
            .map_err(|e| format!("{}: {e}", input.display()))?;
    if outdir.exists() {
        std::fs::remove_dir(outdir).map_err(|e| format!("{}: {e}", outdir.display()))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, outdir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        format!("{}: {e}", outdir.display())
    })?;
    print!("{summary}");
    Ok(())
}

pub(crate) fn decrypt(input: &Path, output: &Path, key_args: &[String]) -> CmdResult {
    let mut keys = cenc::mp4::KeyMap::new();
    for arg in key_args {
        let (kid, key) = arg
            .split_once(':')
            .ok_or_else(|| "--key: expected KID:KEY (32 hex digits each)".to_string())?;
        let kid = keys::KeyId::from_hex(kid).map_err(|e| format!("--key: {e}"))?;
        let key = keys::ContentKey::from_hex(key).map_err(|e| format!("--key: {e}"))?;
        keys.insert(kid, key);
    }
    let src = open(input)?;
    let mut reader = Mp4Reader::open(src).map_err(|e| format!("{}: {e}", input.display()))?;
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let report = {
        let mut w = BufWriter::new(tmp.as_file());
        let r = cenc::mp4::decrypt_to_fragmented(&mut reader, &keys, &mut w)
            .map_err(|e| format!("{}: {e}", input.display()))?;
        w.flush().map_err(|e| e.to_string())?;
        r
    };
    tmp.persist(output)
        .map_err(|e| format!("{}: {}", output.display(), e.error))?;
    for (id, scheme) in &report.decrypted {
        println!("track {id}: decrypted ({scheme})");
    }
    for id in &report.clear {
        println!("track {id}: clear, copied");
    }
    for id in &report.marked_but_clear {
        println!(
            "track {id}: WARNING: marked encrypted but its samples carry no encryption records; \
             they were stored clear by the packager and are copied unchanged"
        );
    }
    Ok(())
}
