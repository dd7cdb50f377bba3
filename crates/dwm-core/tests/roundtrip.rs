//! End-to-end DSP tests on synthetic frames: embed, distort, detect (blind and non-blind);
//! false alarms on unmarked frames and with a wrong key.

use dwm_core::nonblind::{Thumbnail, detect_with_original};
use dwm_core::{
    BlindDetector, DwmId, Embedder, FrameGeometry, Plane, PlaneMut, Rect, Verdict, WatermarkKey,
};

/// A moving, textured synthetic picture with grain (deterministic).
fn picture(w: usize, h: usize, t: usize, seed: u32) -> Vec<u8> {
    let mut s = seed.wrapping_add(t as u32 * 7919);
    let ph = t as f32 * 0.05;
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = 100.0
                + 45.0 * (x * 0.021 + y * 0.013 + ph).sin()
                + 25.0 * ((x + 3.0 * t as f32) * 0.093).cos() * (y * 0.061 - ph).sin()
                + ((s >> 28) as f32 - 8.0);
            v.clamp(0.0, 255.0) as u8
        })
        .collect()
}

fn embed(key: &WatermarkKey, id: u64, frame: &[u8], w: usize, h: usize) -> Vec<u8> {
    let e = Embedder::new(key);
    let g = FrameGeometry::full(w, h);
    let mark = e.mark(DwmId::new(id).unwrap(), g).unwrap();
    let src = Plane::new(frame, w, h, 8).unwrap();
    let s = e.strength(&src, g).unwrap();
    let mut out = vec![0u8; w * h];
    e.apply(
        &src,
        &s,
        &mark,
        &mut PlaneMut::new(&mut out[..], w, h, 8).unwrap(),
    )
    .unwrap();
    out
}

/// Bilinear rescale of the `rect` of an 8-bit picture to `dw` x `dh` (a crude "re-encode").
fn rescale(src: &[u8], w: usize, h: usize, rect: Rect, dw: usize, dh: usize) -> Vec<u8> {
    let mut out = vec![0u8; dw * dh];
    for y in 0..dh {
        for x in 0..dw {
            let sx = (rect.x as f32 + (x as f32 + 0.5) * rect.w as f32 / dw as f32 - 0.5)
                .clamp(0.0, (w - 1) as f32);
            let sy = (rect.y as f32 + (y as f32 + 0.5) * rect.h as f32 / dh as f32 - 0.5)
                .clamp(0.0, (h - 1) as f32);
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let p = |xx: usize, yy: usize| f32::from(src[yy * w + xx]);
            let a = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * fx;
            let b = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * fx;
            out[y * dw + x] = (a + (b - a) * fy + 0.5) as u8;
        }
    }
    out
}

#[test]
fn blind_detection_survives_crop_and_downscale() {
    let key = WatermarkKey::new(b"roundtrip-key-0123456").unwrap();
    let (w, h) = (640, 360);
    let crop = Rect {
        x: 10,
        y: 6,
        w: 620,
        h: 348,
    };
    let mut det = BlindDetector::new(&key, 480, 270).unwrap();
    let mut unmarked = BlindDetector::new(&key, 480, 270).unwrap();
    let mut wrong_key = BlindDetector::new(
        &WatermarkKey::new(b"another-key-0123456").unwrap(),
        480,
        270,
    )
    .unwrap();
    for t in 0..40 {
        let pic = picture(w, h, t, 3);
        let marked = embed(&key, 4242, &pic, w, h);
        let leak = rescale(&marked, w, h, crop, 480, 270);
        let clean = rescale(&pic, w, h, crop, 480, 270);
        det.push(&Plane::new(&leak[..], 480, 270, 8).unwrap())
            .unwrap();
        unmarked
            .push(&Plane::new(&clean[..], 480, 270, 8).unwrap())
            .unwrap();
        wrong_key
            .push(&Plane::new(&leak[..], 480, 270, 8).unwrap())
            .unwrap();
    }
    let r = det.detect();
    assert_eq!(
        r.verdict,
        Verdict::Identified(DwmId::new(4242).unwrap()),
        "{r:?}"
    );
    assert!(r.confidence > 0.999_999);
    assert!((r.scale.0 - 640.0 / 620.0).abs() < 0.01, "{:?}", r.scale);
    assert_eq!(unmarked.detect().verdict, Verdict::NoWatermark);
    assert_eq!(wrong_key.detect().verdict, Verdict::NoWatermark);
}

#[test]
fn letterboxed_leak_is_normalised_to_the_active_picture() {
    let key = WatermarkKey::new(b"letterbox-key-0123456").unwrap();
    let (w, h) = (640, 360);
    let mut det = BlindDetector::new(&key, w, h).unwrap();
    for t in 0..30 {
        let marked = embed(&key, 77, &picture(w, h, t, 9), w, h);
        // Squeeze to 640x266 and pad with black bars (a 2.4:1 letterbox).
        let squeezed = rescale(&marked, w, h, Rect::full(w, h), w, 266);
        let mut boxed = vec![16u8; w * h];
        boxed[47 * w..(47 + 266) * w].copy_from_slice(&squeezed);
        det.push(&Plane::new(&boxed[..], w, h, 8).unwrap()).unwrap();
    }
    let r = det.detect();
    assert!((46..=48).contains(&r.active.y), "{:?}", r.active);
    assert_eq!(
        r.verdict,
        Verdict::Identified(DwmId::new(77).unwrap()),
        "{r:?}"
    );
}

#[test]
fn non_blind_single_frame() {
    let key = WatermarkKey::new(b"single-frame-key-0123").unwrap();
    let (w, h) = (1280, 720);
    let originals: Vec<Vec<u8>> = (0..5).map(|t| picture(w, h, t * 10, 21)).collect();
    let marked = embed(&key, 31337, &originals[3], w, h);
    // Screenshot: 4% cropped, scaled to 1000x560, brighter and with more contrast.
    let crop = Rect {
        x: 26,
        y: 14,
        w: 1229,
        h: 691,
    };
    let shot: Vec<u8> = rescale(&marked, w, h, crop, 1000, 560)
        .iter()
        .map(|&v| (f32::from(v) * 1.1 + 6.0).min(255.0) as u8)
        .collect();
    let shot_plane = Plane::new(&shot[..], 1000, 560, 8).unwrap();
    // Find the frame by thumbnails.
    let thumb = Thumbnail::new(&shot_plane, Rect::full(1000, 560)).unwrap();
    let best = originals
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let t = Thumbnail::new(&Plane::new(&o[..], w, h, 8).unwrap(), Rect::full(w, h));
            (i, thumb.similarity(&t.unwrap()))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    assert_eq!(best, 3);
    let orig = Plane::new(&originals[3][..], w, h, 8).unwrap();
    let (r, reg) = detect_with_original(&key, &shot_plane, &orig, Rect::full(w, h)).unwrap();
    assert_eq!(
        r.verdict,
        Verdict::Identified(DwmId::new(31337).unwrap()),
        "{r:?} {reg:?}"
    );
    // The unmarked original "captured" the same way carries no mark.
    let clean: Vec<u8> = rescale(&originals[3], w, h, crop, 1000, 560);
    let (r, _) = detect_with_original(
        &key,
        &Plane::new(&clean[..], 1000, 560, 8).unwrap(),
        &orig,
        Rect::full(w, h),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::NoWatermark);
}

#[test]
fn ten_bit_frames_round_trip() {
    let key = WatermarkKey::new(b"ten-bit-key-0123456789").unwrap();
    let (w, h) = (512, 288);
    let e = Embedder::new(&key);
    let g = FrameGeometry::full(w, h);
    let mark = e.mark(DwmId::new(9).unwrap(), g).unwrap();
    let mut det = BlindDetector::new(&key, w, h).unwrap();
    for t in 0..20 {
        let pic: Vec<u16> = picture(w, h, t, 5)
            .iter()
            .map(|&v| u16::from(v) * 4)
            .collect();
        let src = Plane::new(&pic[..], w, h, 10).unwrap();
        let s = e.strength(&src, g).unwrap();
        let mut out = vec![0u16; w * h];
        e.apply(
            &src,
            &s,
            &mark,
            &mut PlaneMut::new(&mut out[..], w, h, 10).unwrap(),
        )
        .unwrap();
        assert!(out.iter().all(|&v| v <= 1023));
        det.push(&Plane::new(&out[..], w, h, 10).unwrap()).unwrap();
    }
    assert_eq!(
        det.detect().verdict,
        Verdict::Identified(DwmId::new(9).unwrap())
    );
}
