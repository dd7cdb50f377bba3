//! Fixed parameters of the v1 watermark. Changing any of them changes the mark: keep them in
//! step with the `v1` in the key-derivation labels.

/// Width of the working grid the active picture is normalised to (both when embedding and
/// when detecting), in working pixels.
pub const WORK_W: usize = 960;
/// Height of the working grid.
pub const WORK_H: usize = 540;
/// Side of the square watermark tile, in working pixels. The tile repeats over the grid.
pub const TILE: usize = 128;
/// Lowest radial frequency carrying the mark, in cycles per tile.
pub const BAND_LO: f32 = 5.0;
/// Highest radial frequency carrying the mark, in cycles per tile (survives 480p at 1 Mbit/s).
pub const BAND_HI: f32 = 26.0;
/// Share of the band's frequency bins given to the synchronisation pattern (in percent).
pub const SYNC_PERCENT: usize = 30;
/// Bits of the DWM ID.
pub const ID_BITS: usize = 32;
/// Bits of the keyed check (truncated HMAC-SHA256 of the ID).
pub const CHECK_BITS: usize = 32;
/// Information bits protected by the code (ID followed by the check).
pub const INFO_BITS: usize = ID_BITS + CHECK_BITS;
/// Constraint length of the convolutional code.
pub const CONSTRAINT: usize = 7;
/// Code rate denominator (rate 1/3).
pub const RATE_INV: usize = 3;
/// Coded bits carried by one tile: (info + tail) x 3.
pub const CODED_BITS: usize = (INFO_BITS + CONSTRAINT - 1) * RATE_INV;
