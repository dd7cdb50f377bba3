//! A 1 GiB file is read and fragmented with bounded memory: the whole `mdat` never enters
//! memory (peak RSS of the real process under 64 MiB, measured with /usr/bin/time).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use bmff::*;
use bytes::Bytes;

const SAMPLES: u32 = 2048;
const SAMPLE_SIZE: u32 = 512 * 1024; // 2048 x 512 KiB = 1 GiB

/// Writes a progressive MP4 with one H.264-labelled track whose 1 GiB of sample data is a
/// sparse run of zeros (the reader never decodes samples, it copies them).
fn write_large_mp4(path: &Path) {
    let mut ftyp = Vec::new();
    encode_box(
        &FileType::new(b"ftyp", b"isom", 0x200, &[b"isom", b"avc1"]).into(),
        &mut ftyp,
    )
    .unwrap();
    let data_start = ftyp.len() as u64 + 8;
    let mdat_size = 8 + SAMPLES as u64 * SAMPLE_SIZE as u64;

    let avc1 = VisualSampleEntry {
        width: 1920,
        height: 1080,
        children: vec![
            AvcC {
                configuration_version: 1,
                profile_indication: 100,
                level_indication: 40,
                length_size_minus_one: 3,
                sequence_parameter_sets: vec![Bytes::from_static(&[0x67, 0x64, 0, 0x28])],
                picture_parameter_sets: vec![Bytes::from_static(&[0x68, 0xee, 0x3c, 0x80])],
                ..Default::default()
            }
            .into(),
        ],
        ..Default::default()
    };
    let mut stbl = Stbl::default();
    stbl.push(Stsd {
        version: 0,
        children: vec![avc1.into()],
    });
    stbl.push(Stts {
        entries: vec![SttsEntry {
            sample_count: SAMPLES,
            sample_delta: 512,
        }],
    });
    stbl.push(Stss {
        sample_numbers: (0..SAMPLES).step_by(50).map(|i| i + 1).collect(),
    });
    stbl.push(Stsc {
        entries: vec![StscEntry {
            first_chunk: 1,
            samples_per_chunk: 1,
            sample_description_index: 1,
        }],
    });
    stbl.push(Stsz {
        sample_size: 0,
        sample_count: SAMPLES,
        entry_sizes: vec![SAMPLE_SIZE; SAMPLES as usize],
    });
    stbl.push(Stco {
        chunk_offsets: (0..SAMPLES as u64)
            .map(|i| (data_start + i * SAMPLE_SIZE as u64) as u32)
            .collect(),
    });
    let mut minf = Minf::default();
    minf.push(Vmhd::default());
    let mut dinf = Dinf::default();
    dinf.push(Dref::self_contained());
    minf.push(dinf);
    minf.push(stbl);
    let mut mdia = Mdia::default();
    mdia.push(Mdhd {
        timescale: 12800,
        duration: SAMPLES as u64 * 512,
        ..Default::default()
    });
    mdia.push(Hdlr::new(b"vide", "VideoHandler"));
    mdia.push(minf);
    let mut trak = Trak::default();
    trak.push(Tkhd {
        track_id: 1,
        duration: SAMPLES as u64 * 40,
        width: 1920 << 16,
        height: 1080 << 16,
        ..Default::default()
    });
    trak.push(mdia);
    let mut moov = Moov::default();
    moov.push(Mvhd {
        timescale: 1000,
        duration: SAMPLES as u64 * 40,
        next_track_id: 2,
        ..Default::default()
    });
    moov.push(trak);
    let mut moov_bytes = Vec::new();
    encode_box(&moov.into(), &mut moov_bytes).unwrap();

    let mut f = File::create(path).unwrap();
    f.write_all(&ftyp).unwrap();
    f.write_all(&(mdat_size as u32).to_be_bytes()).unwrap();
    f.write_all(b"mdat").unwrap();
    f.seek(SeekFrom::Start(ftyp.len() as u64 + mdat_size))
        .unwrap();
    f.write_all(&moov_bytes).unwrap();
}

#[test]
fn a_one_gib_file_is_fragmented_with_bounded_memory() {
    let tmp = mdrm_testkit::temp_dir();
    let input = tmp.path().join("large.mp4");
    write_large_mp4(&input);
    assert!(std::fs::metadata(&input).unwrap().len() > 1 << 30);

    let bin = env!("CARGO_BIN_EXE_mdrm-box");
    let Some((status, info_kib)) =
        mdrm_testkit::run_with_peak_rss(Command::new(bin).arg("info").arg(&input))
    else {
        return;
    };
    assert!(status.success());
    let out = tmp.path().join("out");
    let (status, frag_kib) = mdrm_testkit::run_with_peak_rss(
        Command::new(bin)
            .arg("fragment")
            .arg(&input)
            .arg(&out)
            .args(["--segment-duration", "2"]),
    )
    .unwrap();
    assert!(status.success());
    let segs = std::fs::read_dir(out.join("track1")).unwrap().count() - 1;
    assert_eq!(segs, (SAMPLES as usize).div_ceil(50));
    let written: u64 = std::fs::read_dir(out.join("track1"))
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(written > SAMPLES as u64 * SAMPLE_SIZE as u64);
    eprintln!("peak RSS: info {info_kib} KiB, fragment {frag_kib} KiB");
    assert!(info_kib < 64 * 1024, "info peak RSS {info_kib} KiB");
    assert!(frag_kib < 64 * 1024, "fragment peak RSS {frag_kib} KiB");
}
