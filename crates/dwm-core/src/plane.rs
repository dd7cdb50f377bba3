//! Borrowed views of image planes (luma or chroma) with 8- to 16-bit samples.

use crate::error::{DwmError, Result};

/// A sample type of a plane: `u8` for 8-bit video, `u16` for 9- to 16-bit video.
pub trait Sample: Copy + Send + Sync + Default + 'static {
    /// The sample as a float.
    fn to_f32(self) -> f32;
    /// Rounds and clamps `v` to `0..=max`.
    fn from_f32(v: f32, max: f32) -> Self;
    /// Sums and sums of squares of consecutive groups of `group` samples of `row` (the last
    /// group may be shorter), added into `sum` and `sq`.
    fn group_sums(row: &[Self], group: usize, sum: &mut [f32], sq: &mut [f32]) {
        for ((c, s), q) in row.chunks(group).zip(sum.iter_mut()).zip(sq.iter_mut()) {
            let (mut a, mut b) = (0f32, 0f32);
            for v in c {
                let v = v.to_f32();
                a += v;
                b += v * v;
            }
            *s += a;
            *q += b;
        }
    }
}

impl Sample for u8 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline(always)]
    fn from_f32(v: f32, max: f32) -> Self {
        round_bits(v, max) as u8
    }
    fn group_sums(row: &[Self], group: usize, sum: &mut [f32], sq: &mut [f32]) {
        // Integer sums: exact and several times faster than converting every sample.
        if group == 4 {
            let full = row.len() / 4;
            for ((c, s), q) in row
                .chunks_exact(4)
                .zip(&mut sum[..full])
                .zip(&mut sq[..full])
            {
                let (a, b, d, e) = (
                    u32::from(c[0]),
                    u32::from(c[1]),
                    u32::from(c[2]),
                    u32::from(c[3]),
                );
                *s += (a + b + d + e) as f32;
                *q += (a * a + b * b + d * d + e * e) as f32;
            }
            if full * 4 < row.len() {
                let rest = &row[full * 4..];
                sum[full] += rest.iter().map(|&v| v as f32).sum::<f32>();
                sq[full] += rest.iter().map(|&v| (v as f32).powi(2)).sum::<f32>();
            }
            return;
        }
        for ((c, s), q) in row.chunks(group).zip(sum.iter_mut()).zip(sq.iter_mut()) {
            let (mut a, mut b) = (0u32, 0u32);
            for &v in c {
                let v = u32::from(v);
                a += v;
                b += v * v;
            }
            *s += a as f32;
            *q += b as f32;
        }
    }
}

impl Sample for u16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline(always)]
    fn from_f32(v: f32, max: f32) -> Self {
        round_bits(v, max) as u16
    }
}

/// `v` clamped to `0..=max` and rounded to the nearest integer (ties to even), returned in the
/// low bits of a `u32`: adding 1.5 x 2^23 leaves the integer in the float's mantissa. Unlike a
/// float-to-int `as` cast (saturating, scalar on x86-64 SSE2), this vectorises; exact for
/// `max` < 2^22, which covers every sample depth.
#[inline(always)]
fn round_bits(v: f32, max: f32) -> u32 {
    const ROUNDER: f32 = 12_582_912.0;
    (v.clamp(0.0, max) + ROUNDER).to_bits()
}

/// A read-only plane: `height` rows of `width` samples, rows `stride` samples apart.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a, T> {
    /// The samples.
    pub data: &'a [T],
    /// Width in samples.
    pub width: usize,
    /// Height in rows.
    pub height: usize,
    /// Distance between row starts, in samples (>= width).
    pub stride: usize,
    /// Bits per sample actually used (8 for `u8`; 10, 12 or 16 for `u16`).
    pub bit_depth: u8,
}

impl<'a, T: Sample> Plane<'a, T> {
    /// A tightly packed plane (stride = width), checked.
    pub fn new(data: &'a [T], width: usize, height: usize, bit_depth: u8) -> Result<Self> {
        Self::with_stride(data, width, height, width, bit_depth)
    }

    /// A plane with an explicit stride, checked.
    pub fn with_stride(
        data: &'a [T],
        width: usize,
        height: usize,
        stride: usize,
        bit_depth: u8,
    ) -> Result<Self> {
        check_layout(data.len(), width, height, stride, bit_depth)?;
        Ok(Plane {
            data,
            width,
            height,
            stride,
            bit_depth,
        })
    }

    /// Row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> &'a [T] {
        &self.data[y * self.stride..y * self.stride + self.width]
    }

    /// Multiplier from this plane's sample scale to 8-bit units.
    pub fn to_8bit_scale(&self) -> f32 {
        1.0 / (1u32 << (self.bit_depth - 8)) as f32
    }

    /// The largest sample value.
    pub fn max_value(&self) -> f32 {
        ((1u32 << self.bit_depth) - 1) as f32
    }
}

/// A writable plane.
#[derive(Debug)]
pub struct PlaneMut<'a, T> {
    /// The samples.
    pub data: &'a mut [T],
    /// Width in samples.
    pub width: usize,
    /// Height in rows.
    pub height: usize,
    /// Distance between row starts, in samples.
    pub stride: usize,
    /// Bits per sample.
    pub bit_depth: u8,
}

impl<'a, T: Sample> PlaneMut<'a, T> {
    /// A tightly packed writable plane, checked.
    pub fn new(data: &'a mut [T], width: usize, height: usize, bit_depth: u8) -> Result<Self> {
        Self::with_stride(data, width, height, width, bit_depth)
    }

    /// A writable plane with an explicit stride, checked.
    pub fn with_stride(
        data: &'a mut [T],
        width: usize,
        height: usize,
        stride: usize,
        bit_depth: u8,
    ) -> Result<Self> {
        check_layout(data.len(), width, height, stride, bit_depth)?;
        Ok(PlaneMut {
            data,
            width,
            height,
            stride,
            bit_depth,
        })
    }

    /// A read-only view of the same plane.
    pub fn as_plane(&self) -> Plane<'_, T> {
        Plane {
            data: self.data,
            width: self.width,
            height: self.height,
            stride: self.stride,
            bit_depth: self.bit_depth,
        }
    }

    /// The largest sample value.
    pub fn max_value(&self) -> f32 {
        ((1u32 << self.bit_depth) - 1) as f32
    }
}

fn check_layout(len: usize, width: usize, height: usize, stride: usize, depth: u8) -> Result<()> {
    if !(8..=16).contains(&depth) {
        return Err(DwmError::BitDepth(depth));
    }
    if width == 0 || height == 0 || stride < width {
        return Err(DwmError::Geometry(format!(
            "plane {width}x{height} with stride {stride}"
        )));
    }
    let need = (height - 1)
        .checked_mul(stride)
        .and_then(|v| v.checked_add(width))
        .ok_or_else(|| DwmError::Geometry("plane size overflows".into()))?;
    if len < need {
        return Err(DwmError::PlaneTooShort { need, got: len });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_checked() {
        let buf = [0u8; 10];
        assert!(Plane::new(&buf[..], 5, 2, 8).is_ok());
        assert_eq!(
            Plane::new(&buf[..], 5, 3, 8).unwrap_err(),
            DwmError::PlaneTooShort { need: 15, got: 10 }
        );
        assert!(Plane::with_stride(&buf[..], 5, 2, 4, 8).is_err());
        assert!(Plane::new(&buf[..], 5, 2, 7).is_err());
        assert!(Plane::new(&buf[..], 0, 2, 8).is_err());
    }

    #[test]
    fn samples_round_and_clamp() {
        assert_eq!(u8::from_f32(254.6, 255.0), 255);
        assert_eq!(u8::from_f32(300.0, 255.0), 255);
        assert_eq!(u8::from_f32(-3.0, 255.0), 0);
        assert_eq!(u16::from_f32(1023.7, 1023.0), 1023);
        assert_eq!(u16::from_f32(511.4, 1023.0), 511);
    }
}
