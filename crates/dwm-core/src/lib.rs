//! Distributor watermarking (DWM) DSP on luma planes. Pure computation: no I/O, no printing.
//!
//! A secret key derives a small tile of band-limited noise whose spectrum carries a
//! synchronisation pattern and a 32-bit DWM ID (with a keyed 32-bit check, under a rate-1/3
//! convolutional code). The tile repeats over the active picture, normalised to a fixed
//! working grid, and is added to the luma with a perceptual strength map:
//!
//! - [`Embedder`]: [`Embedder::mark`] once per recipient, [`Embedder::strength`] once per
//!   frame, [`Embedder::apply`] once per frame and recipient.
//! - [`BlindDetector`]: push the frames of a suspect clip, then [`BlindDetector::detect`].
//! - [`nonblind`]: one captured frame plus the original: find the frame, register, read.
//! - [`overlay`]: the visible watermark (alpha-blended RGBA image into YUV planes).
//!
//! The design follows the tiled spread-spectrum broadcast-monitoring watermark of Kalker et
//! al. (JAWS, 1999): crops become cyclic shifts of the tile, accumulation over frames adds
//! the mark coherently, and one FFT correlates all shifts at once.

mod correlate;
mod detect;
mod ecc;
mod embed;
mod error;
mod fft2;
mod geometry;
mod key;
mod layout;
mod mask;
pub mod nonblind;
pub mod overlay;
pub mod params;
mod payload;
mod plane;
mod residual;
mod stats;

pub use detect::{BlindDetector, Detection, MARK_P_GATE, Verdict};
pub use embed::{Embedder, FrameGeometry, MIN_ACTIVE, MarkPattern};
pub use error::{DwmError, Result};
pub use geometry::{BarStats, Rect};
pub use key::{MIN_KEY_LEN, WatermarkKey};
pub use mask::StrengthMap;
pub use payload::{CHECK_FALSE_PASS, DwmId};
pub use plane::{Plane, PlaneMut, Sample};
