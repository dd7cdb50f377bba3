//! Throughput of the TS side of HLS packaging on the generated 10 s H.264/AAC test file
//! (`target/testmedia/h264_aac_360p_10s.mp4`, made with ffmpeg on first use): muxing clear
//! MPEG-TS, SAMPLE-AES, and full-segment AES-128, into memory. The input is read from the
//! page cache; throughput is in input sample bytes.

use std::fs::File;
use std::io::{Cursor, Read};

use bmff::reader::Mp4Reader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hls_ts::{
    Aes128Writer, CutPolicy, EsCodec, SampleAesEncryptor, TrackTimeline, TsOutput, plan_segments,
};
use keys::ContentKey;

#[derive(Clone, Copy)]
enum Mode {
    Clear,
    SampleAes,
    Aes128,
}

fn mux(file: &[u8], mode: Mode) -> usize {
    let mut reader = Mp4Reader::open(Cursor::new(file)).unwrap();
    let ids: Vec<u32> = reader.tracks().iter().map(|t| t.id).collect();
    let timelines: Vec<TrackTimeline> = ids
        .iter()
        .map(|&id| TrackTimeline::load(&reader, id).unwrap())
        .collect();
    let codecs: Vec<EsCodec> = ids
        .iter()
        .map(|&id| EsCodec::from_reader(&mut reader, id).unwrap())
        .collect();
    let plan = plan_segments(&timelines, 0, CutPolicy::Target(6.0)).unwrap();
    let key = ContentKey::new([0x42; 16]);
    let enc = matches!(mode, Mode::SampleAes).then(|| SampleAesEncryptor::new(&key, [7; 16]));
    let mut out = TsOutput::new(timelines, codecs, enc).unwrap();
    let mut total = 0;
    for seg in &plan {
        let mut buf = Vec::with_capacity(1 << 20);
        match mode {
            Mode::Aes128 => {
                let mut w = Aes128Writer::new(&mut buf, &key, [7; 16]);
                out.write_segment(&mut reader, seg, &mut w).unwrap();
                w.finish().unwrap();
            }
            _ => {
                out.write_segment(&mut reader, seg, &mut buf).unwrap();
            }
        }
        total += buf.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let Some(dir) = mdrm_testkit::generated_media() else {
        eprintln!("SKIPPED: no generated test media (ffmpeg missing)");
        return;
    };
    let mut file = Vec::new();
    File::open(dir.join("h264_aac_360p_10s.mp4"))
        .unwrap()
        .read_to_end(&mut file)
        .unwrap();
    let mut g = c.benchmark_group("ts_mux_h264_aac_360p_10s");
    g.throughput(Throughput::Bytes(file.len() as u64));
    for (name, mode) in [
        ("clear", Mode::Clear),
        ("sample_aes", Mode::SampleAes),
        ("aes128", Mode::Aes128),
    ] {
        g.bench_function(name, |b| b.iter(|| mux(&file, mode)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
