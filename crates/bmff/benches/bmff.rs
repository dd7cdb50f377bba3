//! Benchmarks: parsing the index of a two-hour file, iterating its samples, and fragmenting
//! a real test file.
//!
//! Run: `cargo bench -p bmff` (figures in README, "Performance").

use std::io::Cursor;

use bmff::fragment::Fragmenter;
use bmff::reader::Mp4Reader;
use bmff::*;
use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// A `moov` describing two hours of 25 fps video (B-frames, 2 s GOPs) and 48 kHz AAC, with
/// per-sample sizes and one chunk per sample (the worst case for the tables).
fn two_hour_moov() -> (Vec<u8>, u64) {
    let video = 2 * 3600 * 25u32;
    let audio = (2 * 3600 * 48000u64 / 1024) as u32;
    let mut offset = 48u64;
    let mut track = |id: u32, n: u32, delta: u32, timescale: u32, vide: bool| -> Trak {
        let sizes: Vec<u32> = (0..n).map(|i| 300 + (i * 7919) % 20000).collect();
        let mut offsets = Vec::with_capacity(n as usize);
        for s in &sizes {
            offsets.push(offset);
            offset += *s as u64;
        }
        let mut stbl = Stbl::default();
        let entry: AnyBox = if vide {
            VisualSampleEntry {
                width: 1920,
                height: 1080,
                ..Default::default()
            }
            .into()
        } else {
            AudioSampleEntry::default().into()
        };
        stbl.push(Stsd {
            version: 0,
            children: vec![entry],
        });
        stbl.push(Stts {
            entries: vec![SttsEntry {
                sample_count: n,
                sample_delta: delta,
            }],
        });
        if vide {
            stbl.push(Ctts {
                version: 0,
                entries: (0..n)
                    .map(|i| CttsEntry {
                        sample_count: 1,
                        sample_offset: [1024, 2560, 0, 512, 1536][(i % 5) as usize],
                    })
                    .collect(),
            });
            stbl.push(Stss {
                sample_numbers: (0..n).step_by(50).map(|i| i + 1).collect(),
            });
        }
        stbl.push(Stsc {
            entries: vec![StscEntry {
                first_chunk: 1,
                samples_per_chunk: 1,
                sample_description_index: 1,
            }],
        });
        stbl.push(Stsz {
            sample_size: 0,
            sample_count: n,
            entry_sizes: sizes,
        });
        stbl.push(Co64 {
            chunk_offsets: offsets,
        });
        let mut minf = Minf::default();
        minf.push(stbl);
        let mut mdia = Mdia::default();
        mdia.push(Mdhd {
            timescale,
            duration: n as u64 * delta as u64,
            ..Default::default()
        });
        mdia.push(Hdlr::new(if vide { b"vide" } else { b"soun" }, "h"));
        mdia.push(minf);
        let mut trak = Trak::default();
        trak.push(Tkhd {
            track_id: id,
            ..Default::default()
        });
        trak.push(mdia);
        trak
    };
    let v = track(1, video, 512, 12800, true);
    let a = track(2, audio, 1024, 48000, false);
    let mut moov = Moov::default();
    moov.push(Mvhd::default());
    moov.push(v);
    moov.push(a);
    let mut out = Vec::new();
    encode_box(&moov.into(), &mut out).unwrap();
    (out, offset)
}

fn bench_index(c: &mut Criterion) {
    let (moov, data_end) = two_hour_moov();
    let mut g = c.benchmark_group("two_hour_index");
    g.throughput(Throughput::Bytes(moov.len() as u64));
    let bytes = Bytes::from(moov.clone());
    g.bench_function("decode_moov_lossless", |b| {
        b.iter(|| decode_box(&bytes, DecodeOptions::default()).unwrap())
    });
    g.bench_function("decode_moov_reading", |b| {
        b.iter(|| decode_box(&bytes, DecodeOptions::reading()).unwrap())
    });
    // A file whose mdat is implied (sparse): moov at the front, then a large mdat header.
    let mut file = moov.clone();
    let mdat_len = data_end - file.len() as u64;
    file.extend_from_slice(&1u32.to_be_bytes());
    file.extend_from_slice(b"mdat");
    file.extend_from_slice(&(mdat_len + 16).to_be_bytes());
    let len = data_end + 16;
    g.bench_function("open_reader_and_iterate_all_samples", |b| {
        b.iter_batched(
            || Sparse {
                head: file.clone(),
                len,
                pos: 0,
            },
            |src| {
                let r = Mp4Reader::open(src).unwrap();
                let mut n = 0u64;
                for t in r.tracks() {
                    for s in r.samples(t.id).unwrap() {
                        n += s.unwrap().size as u64;
                    }
                }
                n
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A file of `len` bytes whose first bytes are `head` and the rest zeros (never stored).
struct Sparse {
    head: Vec<u8>,
    len: u64,
    pos: u64,
}

impl std::io::Read for Sparse {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = self.head.get(self.pos as usize + i).copied().unwrap_or(0);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Sparse {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = match to {
            std::io::SeekFrom::Start(p) => p,
            std::io::SeekFrom::End(d) => (self.len as i64 + d) as u64,
            std::io::SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
        };
        Ok(self.pos)
    }
}

fn bench_fragment(c: &mut Criterion) {
    let path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let data = std::fs::read(path).unwrap();
    let mut g = c.benchmark_group("fragment");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("source_h264_aac_360p_10s_all_tracks", |b| {
        b.iter(|| {
            let mut reader = Mp4Reader::open(Cursor::new(&data)).unwrap();
            let ids: Vec<u32> = reader.tracks().iter().map(|t| t.id).collect();
            let mut out = Vec::with_capacity(data.len() + 65536);
            for id in ids {
                let mut f = Fragmenter::new(&mut reader, id, 2.0).unwrap();
                out.extend(f.init_segment().unwrap());
                while f.write_next(&mut out).unwrap().is_some() {}
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_index, bench_fragment);
criterion_main!(benches);
