//! PNG files: visible watermark images (RGBA) and captured frames (luma).

use std::path::Path;

use dwm_core::overlay::{Matrix, RgbaImage};

/// Why a PNG could not be read (callers map it to their codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PngError {
    /// No such file.
    Missing,
    /// The file cannot be read.
    Unreadable(String),
    /// The file is not a PNG (its kind, when recognised).
    NotPng(&'static str),
    /// PNG signature but undecodable content.
    Corrupt(String),
}

impl std::fmt::Display for PngError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PngError::Missing => f.write_str("file not found"),
            PngError::Unreadable(e) => write!(f, "cannot read: {e}"),
            PngError::NotPng(kind) => write!(f, "not a PNG file ({kind})"),
            PngError::Corrupt(e) => write!(f, "invalid PNG: {e}"),
        }
    }
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn kind_of(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => "JPEG",
        [b'G', b'I', b'F', b'8', ..] => "GIF",
        [b'B', b'M', ..] => "BMP",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "WebP",
        _ => "unknown format",
    }
}

/// Reads a PNG of any colour type and depth as 8-bit RGBA.
pub fn read_rgba(path: &Path) -> Result<RgbaImage, PngError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PngError::Missing),
        Err(e) => return Err(PngError::Unreadable(e.to_string())),
    };
    if !bytes.starts_with(&SIGNATURE) {
        return Err(PngError::NotPng(kind_of(&bytes)));
    }
    let mut dec = png::Decoder::new(std::io::Cursor::new(&bytes[..]));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec
        .read_info()
        .map_err(|e| PngError::Corrupt(e.to_string()))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| PngError::Corrupt("image too large".into()))?;
    let mut buf = vec![0u8; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| PngError::Corrupt(e.to_string()))?;
    buf.truncate(info.buffer_size());
    let (w, h) = (info.width, info.height);
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => {
            return Err(PngError::Corrupt("palette not expanded".into()));
        }
    };
    RgbaImage::new(w, h, rgba).map_err(|e| PngError::Corrupt(e.to_string()))
}

/// Reads a PNG capture as 8-bit luma (studio range) with the matrix for its size
/// (BT.709 from 720 lines up, BT.601 below). Returns the samples, width and height.
pub fn read_luma(path: &Path) -> Result<(Vec<u8>, usize, usize), PngError> {
    let img = read_rgba(path)?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let layout = dwm_core::overlay::YuvLayout {
        chroma_shift_x: 0,
        chroma_shift_y: 0,
        bit_depth: 8,
        matrix: if h >= 720 {
            Matrix::Bt709
        } else {
            Matrix::Bt601
        },
        full_range: false,
    };
    let luma = img
        .data()
        .chunks_exact(4)
        .map(|p| (layout.rgb_to_yuv(p[0], p[1], p[2]).0 + 0.5) as u8)
        .collect();
    Ok((luma, w, h))
}

/// Writes 8-bit RGBA as a PNG (tests and tools).
pub fn write_rgba(path: &Path, img: &RgbaImage) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(f), img.width(), img.height());
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(std::io::Error::other)?;
    w.write_image_data(img.data())
        .map_err(std::io::Error::other)?;
    w.finish().map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        let img = RgbaImage::new(3, 2, (0..24).map(|v| v as u8 * 10).collect()).unwrap();
        write_rgba(&p, &img).unwrap();
        assert_eq!(read_rgba(&p).unwrap(), img);
        assert_eq!(
            read_rgba(&dir.path().join("none.png")),
            Err(PngError::Missing)
        );
        let j = dir.path().join("j.png");
        std::fs::write(&j, [0xff, 0xd8, 0xff, 0xe0, 0, 0]).unwrap();
        assert_eq!(read_rgba(&j), Err(PngError::NotPng("JPEG")));
        let c = dir.path().join("c.png");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(30);
        std::fs::write(&c, bytes).unwrap();
        assert!(matches!(read_rgba(&c), Err(PngError::Corrupt(_))));
        let (luma, w, h) = read_luma(&p).unwrap();
        assert_eq!((luma.len(), w, h), (6, 3, 2));
    }
}
