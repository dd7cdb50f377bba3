//! The streaming fragmenter (no table of the track's samples) writes the same bytes as the
//! one given the whole table, and a sample walk resumed from a saved position yields the same
//! samples as an uninterrupted one, on every progressive and fragmented file of the test media.

use std::fs::File;
use std::io::BufReader;

use bmff::fragment::{Fragmenter, plan_cuts, split_at};
use bmff::reader::{Mp4Reader, Sample};

#[test]
fn streaming_fragmenter_matches_the_table_one() {
    let files = mdrm_testkit::files_with_extension(&mdrm_testkit::testmedia_dir(), &["mp4"]);
    let mut checked = 0;
    for path in files {
        let Ok(mut reader) = Mp4Reader::open(BufReader::new(File::open(&path).unwrap())) else {
            continue;
        };
        let ids: Vec<u32> = reader.tracks().iter().map(|t| t.id).collect();
        for id in ids {
            let Ok(samples) = reader
                .samples(id)
                .and_then(|it| it.collect::<bmff::Result<Vec<Sample>>>())
            else {
                continue;
            };
            if samples.is_empty() {
                continue;
            }
            // Resumed walks: pause every 7 samples.
            let mut resumed = Vec::new();
            let mut pos = reader.samples(id).unwrap().position();
            loop {
                let mut it = reader.samples_from(&pos).unwrap();
                let chunk: Vec<Sample> = (&mut it).take(7).map(Result::unwrap).collect();
                pos = it.position();
                if chunk.is_empty() {
                    break;
                }
                resumed.extend(chunk);
            }
            assert_eq!(resumed, samples, "{} track {id}", path.display());

            let timescale = reader.track(id).unwrap().timescale as u64;
            let cuts = plan_cuts(&samples, 2 * timescale);
            let ranges = split_at(&samples, &cuts);
            let mut table = Vec::new();
            let mut frag = Fragmenter::with_cuts(&mut reader, id, samples.clone(), &cuts).unwrap();
            while frag.write_next(&mut table).unwrap().is_some() {}
            let mut streamed = Vec::new();
            let mut frag = Fragmenter::streaming(&mut reader, id, ranges.clone()).unwrap();
            while frag.write_next(&mut streamed).unwrap().is_some() {}
            assert_eq!(streamed, table, "{} track {id}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 0, "no track checked");
}

#[test]
fn streaming_fragmenter_refuses_ranges_that_do_not_tile_the_track() {
    let path = mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4");
    let mut reader = Mp4Reader::open(BufReader::new(File::open(path).unwrap())).unwrap();
    let id = reader.tracks()[0].id;
    assert!(Fragmenter::streaming(&mut reader, id, std::iter::once(1..5).collect()).is_err());
    assert!(Fragmenter::streaming(&mut reader, id, vec![0..5, 6..9]).is_err());
    // Beyond the last sample: an error when that segment is reached, not a panic.
    let mut frag = Fragmenter::streaming(
        &mut reader,
        id,
        std::iter::once(0..usize::MAX / 2).collect(),
    )
    .unwrap();
    assert!(frag.write_next(&mut Vec::new()).is_err());
}
