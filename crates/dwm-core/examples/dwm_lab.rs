//! Development lab: embed into raw yuv420p frames on stdin, or detect in gray frames on stdin.
//!   dwm_lab embed W H ID < in.yuv > out.yuv
//!   dwm_lab detect W H [ID] < in.gray
use std::io::{Read, Write};

use dwm_core::{BlindDetector, DwmId, Embedder, FrameGeometry, Plane, PlaneMut, WatermarkKey};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let w: usize = args[2].parse().unwrap();
    let h: usize = args[3].parse().unwrap();
    let key = WatermarkKey::new(
        std::env::var("DWM_KEY")
            .unwrap_or("lab-key-0123456789".into())
            .as_bytes(),
    )
    .unwrap();
    let mut stdin = std::io::stdin().lock();
    match args[1].as_str() {
        "embed" => {
            let id = DwmId::new(args[4].parse().unwrap()).unwrap();
            let e = Embedder::new(&key);
            let g = FrameGeometry::full(w, h);
            let mark = e.mark(id, g).unwrap();
            let fsize = w * h * 3 / 2;
            let mut buf = vec![0u8; fsize];
            let mut out = vec![0u8; fsize];
            let mut stdout = std::io::stdout().lock();
            while stdin.read_exact(&mut buf).is_ok() {
                let y = Plane::new(&buf[..w * h], w, h, 8).unwrap();
                let s = e.strength(&y, g).unwrap();
                {
                    let mut dy = PlaneMut::new(&mut out[..w * h], w, h, 8).unwrap();
                    e.apply(&y, &s, &mark, &mut dy).unwrap();
                }
                out[w * h..].copy_from_slice(&buf[w * h..]);
                stdout.write_all(&out).unwrap();
            }
        }
        "detect" => {
            let mut d = BlindDetector::new(&key, w, h).unwrap();
            let mut buf = vec![0u8; w * h];
            while stdin.read_exact(&mut buf).is_ok() {
                d.push(&Plane::new(&buf[..], w, h, 8).unwrap()).unwrap();
            }
            let t = std::time::Instant::now();
            let r = d.detect();
            let ber = args
                .get(4)
                .map(|s| r.raw_ber_against(&key, DwmId::new(s.parse().unwrap()).unwrap()));
            eprintln!(
                "frames {} verdict {:?} z {:.2} p {:.3e} ber {:.3} ber_true {:?} scale {:?} shift {:?} active {:?} ({:.2}s)",
                r.frames,
                r.verdict,
                r.sync_z,
                r.mark_p_value,
                r.raw_ber,
                ber,
                r.scale,
                r.shift,
                r.active,
                t.elapsed().as_secs_f32()
            );
        }
        _ => panic!("embed|detect"),
    }
}
