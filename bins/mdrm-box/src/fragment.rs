//! `mdrm-box fragment`: every track to `track<ID>/init.mp4` + `track<ID>/<n>.m4s`, with
//! segment boundaries aligned to the first video track's sync samples.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::Path;

use bmff::fragment::{Fragmenter, plan_cuts};
use bmff::reader::{Mp4Reader, Sample};

fn io(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// Writes all tracks under `dir`; returns a one-line-per-track summary.
pub(crate) fn fragment_all<R: Read + Seek>(
    reader: &mut Mp4Reader<R>,
    dir: &Path,
    seconds: f64,
    styp: bool,
    sidx: bool,
) -> Result<String, String> {
    let tracks: Vec<(u32, u32, bool)> = reader
        .tracks()
        .iter()
        .map(|t| (t.id, t.timescale, t.is_video()))
        .collect();
    // Cut times in seconds, from the first video track (else per track).
    let reference = tracks.iter().find(|t| t.2).copied();
    let ref_cuts: Option<Vec<f64>> = match reference {
        Some((id, ts, _)) => {
            let samples: Vec<Sample> = reader
                .samples(id)
                .map_err(|e| e.to_string())?
                .collect::<bmff::Result<_>>()
                .map_err(|e| e.to_string())?;
            let cuts = plan_cuts(&samples, (seconds * ts as f64).round() as u64);
            Some(cuts.iter().map(|&c| c as f64 / ts as f64).collect())
        }
        None => None,
    };
    let mut summary = String::new();
    for (id, ts, _) in tracks {
        let tdir = dir.join(format!("track{id}"));
        std::fs::create_dir(&tdir).map_err(|e| io(&tdir, e))?;
        let samples: Vec<Sample> = reader
            .samples(id)
            .map_err(|e| e.to_string())?
            .collect::<bmff::Result<_>>()
            .map_err(|e| e.to_string())?;
        let mut f = match &ref_cuts {
            Some(secs) => {
                let cuts: Vec<u64> = secs
                    .iter()
                    .map(|s| (s * ts as f64).round() as u64)
                    .collect();
                Fragmenter::with_cuts(reader, id, samples, &cuts)
            }
            None => Fragmenter::new(reader, id, seconds),
        }
        .map_err(|e| e.to_string())?
        .styp(styp)
        .sidx(sidx);
        let init = f.init_segment().map_err(|e| e.to_string())?;
        let init_path = tdir.join("init.mp4");
        std::fs::write(&init_path, init).map_err(|e| io(&init_path, e))?;
        let mut n = 0;
        loop {
            let path = tdir.join(format!("{}.m4s", n + 1));
            let file = File::create(&path).map_err(|e| io(&path, e))?;
            let mut w = BufWriter::new(file);
            match f.write_next(&mut w).map_err(|e| e.to_string())? {
                Some(_) => {
                    w.flush().map_err(|e| io(&path, e))?;
                    n += 1;
                }
                None => {
                    drop(w);
                    std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                    break;
                }
            }
        }
        let _ = writeln!(summary, "track {id}: init.mp4 + {n} segments");
    }
    Ok(summary)
}
