//! In-memory NCG throughput: encryption (AES-128-CTR + HMAC-SHA-256 tags) and verified
//! decryption of 64 MiB, on one thread and on all cores. The file-to-file comparison with
//! `openssl enc -aes-128-ctr` is `benches/ncg-vs-openssl.sh` at the workspace root.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ncg::{Header, NcgKey, Options, Reader, SiteId, encrypt};

const SIZE: usize = 64 << 20;

fn bench(c: &mut Criterion) {
    let content: Vec<u8> = (0..SIZE).map(|i| (i * 31 % 251) as u8).collect();
    let key = NcgKey::from_bytes(&[0x42; 32]);
    let header = Header::new(SiteId(*b"BNCH"), "bench", SIZE as u64).unwrap();
    let all = Options::default();
    let mut group = c.benchmark_group(format!("ncg 64MiB ({})", ncg::acceleration()));
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    for (name, options) in [
        ("1 thread", Options { threads: 1, ..all }),
        ("all cores", all),
    ] {
        group.bench_function(format!("encrypt, {name}"), |b| {
            b.iter(|| {
                let out = Vec::with_capacity(SIZE + SIZE / 1000 + 4096);
                black_box(
                    encrypt(&mut &content[..], out, &header, &key, options, &mut |_| {}).unwrap(),
                )
            })
        });
        let file = encrypt(
            &mut &content[..],
            Vec::new(),
            &header,
            &key,
            options,
            &mut |_| {},
        )
        .unwrap();
        group.bench_function(format!("decrypt, {name}"), |b| {
            b.iter(|| {
                let mut reader = Reader::open(Cursor::new(&file), &key).unwrap();
                let mut out = Vec::with_capacity(SIZE);
                reader.decrypt_to(&mut out, options, &mut |_| {}).unwrap();
                black_box(out)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
