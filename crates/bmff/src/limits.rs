//! Limits against hostile input, in one place.
//!
//! Counts and sizes read from a file are never trusted for allocation: a count is accepted only
//! when the bytes it implies are actually present, and pre-allocation is capped.

/// Deepest box nesting accepted (real files nest fewer than 12 levels).
pub const MAX_DEPTH: usize = 32;

/// Largest pre-allocation made from a count read from a file, in elements.
pub const MAX_INITIAL_CAPACITY: usize = 4096;

/// Largest top-level box (other than `mdat`, `free`, `skip`, `wide`) loaded into memory.
/// Larger boxes are kept as streamed payloads, read only when copied.
pub const MAX_LOADED_BOX: u64 = 256 * 1024 * 1024;

/// Largest single sample accepted by the sample reader (a 4K intra frame is a few MB).
pub const MAX_SAMPLE_SIZE: u32 = 128 * 1024 * 1024;

/// Most tracks accepted in one file.
pub const MAX_TRACKS: usize = 1024;

/// Most items accepted in a list whose items occupy no bytes (e.g. a `trun` whose samples all
/// take the defaults): the count alone cannot be checked against the box size.
pub const MAX_EMPTY_ITEMS: usize = 1 << 20;
