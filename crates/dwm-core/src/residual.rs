//! Host-free residual of a picture: the picture minus a smoothed copy, clipped.
//!
//! The smoothing removes most of the image content (which is much stronger than the mark at
//! low frequencies); clipping limits the weight of edges and noise bursts, so the accumulated
//! residual is dominated by what is common to all frames: the static mark.

/// Gaussian smoothing sigma (pixels of the analysed picture).
const SIGMA: f32 = 2.5;
/// Residual values are clipped to +-CLIP (8-bit units). So small a clip makes the detector
/// nearly a sign detector, which measured best after H.264/H.265 re-encoding: the coding noise
/// is far from Gaussian, and edges no longer dominate.
pub(crate) const CLIP: f32 = 0.3;

fn kernel() -> Vec<f32> {
    let r = (3.0 * SIGMA).ceil() as i32;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * SIGMA * SIGMA)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    k
}

/// Separable Gaussian blur with edge clamping.
pub(crate) fn blur(src: &[f32], w: usize, h: usize) -> Vec<f32> {
    let k = kernel();
    let r = k.len() / 2;
    let mut tmp = vec![0f32; w * h];
    let mut padded = vec![0f32; w + 2 * r];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        padded[..r].iter_mut().for_each(|v| *v = row[0]);
        padded[r..r + w].copy_from_slice(row);
        padded[r + w..].iter_mut().for_each(|v| *v = row[w - 1]);
        let out = &mut tmp[y * w..(y + 1) * w];
        for (i, &kv) in k.iter().enumerate() {
            for (o, p) in out.iter_mut().zip(&padded[i..i + w]) {
                *o += kv * p;
            }
        }
    }
    let mut out = vec![0f32; w * h];
    for (i, &kv) in k.iter().enumerate() {
        for y in 0..h {
            let yy = (y + i).saturating_sub(r).min(h - 1);
            let src_row = &tmp[yy * w..(yy + 1) * w];
            let dst_row = &mut out[y * w..(y + 1) * w];
            for (d, s) in dst_row.iter_mut().zip(src_row) {
                *d += kv * s;
            }
        }
    }
    out
}

/// Adds the clipped residual of `pic` (`w` x `h`, 8-bit units) into `acc`.
pub(crate) fn accumulate(pic: &[f32], w: usize, h: usize, acc: &mut [f32]) {
    let smooth = blur(pic, w, h);
    for ((a, p), s) in acc.iter_mut().zip(pic).zip(&smooth) {
        *a += (p - s).clamp(-CLIP, CLIP);
    }
}

/// The clipped residual of `pic` (`w` x `h`).
pub(crate) fn residual(pic: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut acc = vec![0f32; w * h];
    accumulate(pic, w, h, &mut acc);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_pictures_have_no_residual() {
        let pic = vec![100f32; 40 * 30];
        assert!(residual(&pic, 40, 30).iter().all(|v| v.abs() < 1e-3));
    }

    #[test]
    fn residual_is_clipped() {
        let mut pic = vec![0f32; 40 * 30];
        pic[15 * 40 + 20] = 255.0;
        pic[3 * 40 + 3] = 1.0 / 1024.0;
        let r = residual(&pic, 40, 30);
        assert!(r.iter().all(|v| v.abs() <= CLIP));
        assert_eq!(r[15 * 40 + 20], CLIP);
        assert!(r[3 * 40 + 3] > 0.0 && r[3 * 40 + 3] < CLIP);
    }
}
