//! Common Encryption at the MP4 box level, on top of `bmff`:
//!
//! - [`track_codec`]: the [`TrackCodec`](crate::TrackCodec) of a `bmff` track (parameter sets
//!   from `avcC`/`hvcC`);
//! - [`protect_sample_entry`], [`tenc_box`], [`pssh_box`], [`pssh_info`]: the init-segment
//!   boxes (`encv`/`enca` + `sinf`(`frma`, `schm`, `schi/tenc`), `pssh`);
//! - [`FragmentEncryptor`]: encrypts the samples of one media segment in place and adds
//!   `senc`, `saiz`, `saio` (and, for a rotated key, `sgpd`/`sbgp` `seig`) to its `traf`;
//! - [`TrackDecryptor`] and [`decrypt_to_fragmented`]: the reverse, for verification and
//!   `mdrm-box decrypt`.

mod boxes;
mod decrypt;
mod fragment;
mod track;

pub use boxes::{
    protect_init, protect_sample_entry, pssh_box, pssh_info, seig_entry, tenc_box,
    unprotect_sample_entry,
};
pub use decrypt::{DecryptReport, KeyMap, TrackDecryptor, decrypt_to_fragmented};
pub use fragment::FragmentEncryptor;
pub use track::track_codec;
