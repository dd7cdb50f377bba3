//! Common Encryption (ISO/IEC 23001-7) at the sample level.
//!
//! - **Schemes**: `cenc` (AES-128-CTR), `cbcs` (AES-128-CBC, 1:9 pattern for video, constant
//!   IV, whole blocks for audio), and `cens`/`cbc1`, all four both ways ([`Scheme`]).
//! - **Subsample maps** for H.264 and H.265 (length-prefixed NAL units): NAL headers,
//!   non-VCL NAL units and slice headers stay clear; for `cenc`/`cens`/`cbc1` the protected
//!   part is a multiple of 16 bytes. Slice headers are parsed with the SPS/PPS (and VPS)
//!   state, from the sample entry and in band ([`nal`]). VP9 per its CENC binding: each
//!   frame's uncompressed header clear, superframe index clear ([`vp9`]). Audio (AAC, AC-3,
//!   E-AC-3, Opus) is encrypted whole. AV1 is refused with [`CencError::UnsupportedCodec`].
//! - **One call per sample**: [`SampleEncryptor::encrypt_sample`] encrypts in place and fills
//!   a reusable [`SampleAuxInfo`] (IV + subsamples), which [`SampleAuxInfo::write_senc_entry`]
//!   turns into `senc` entry bytes; [`SampleDecryptor::decrypt_sample`] reverses it.
//! - **PSSH data** for Widevine, PlayReady and the W3C common/ClearKey system, built and
//!   parsed ([`pssh`]).
//!
//! AES runs on the `aes` crate, which uses AES-NI / ARMv8 AES when the CPU has them (detected
//! at run time): [`aes_hardware_accelerated`] says whether it does.
//!
//! ```
//! use cenc::{
//!     AudioCodec, EncryptorConfig, IvPolicy, Pattern, SampleAuxInfo, SampleDecryptor,
//!     SampleEncryptor, Scheme, TrackCodec,
//! };
//! use keys::{ContentKey, KeyId};
//!
//! let key = ContentKey::from_hex("69eaa802a6763af979e8d1940fb88392").unwrap();
//! let kid = KeyId::from_hex("abba271e8bcf552bbd2e86a434a9a5d9").unwrap();
//! let mut encryptor = SampleEncryptor::new(EncryptorConfig {
//!     scheme: Scheme::Cenc,
//!     kid,
//!     key: key.clone(),
//!     iv: IvPolicy::Counter8([0xd5, 0xfb, 0xd6, 0xb8, 0x2e, 0xd9, 0x3e, 0x4e]),
//!     pattern: None,
//!     codec: TrackCodec::audio(AudioCodec::Aac),
//! })
//! .unwrap();
//!
//! let plain = b"an AAC access unit, encrypted whole".to_vec();
//! let mut sample = plain.clone();
//! let mut record = SampleAuxInfo::default(); // reused for every sample
//! encryptor.encrypt_sample(&mut sample, &mut record).unwrap();
//! assert_ne!(sample, plain);
//!
//! // The senc entry: the 8-byte IV (audio has no subsamples).
//! let layout = encryptor.senc_layout();
//! let mut senc = Vec::new();
//! record.write_senc_entry(layout, &mut senc).unwrap();
//! assert_eq!(senc, [0xd5, 0xfb, 0xd6, 0xb8, 0x2e, 0xd9, 0x3e, 0x4e]);
//!
//! let decryptor = SampleDecryptor::new(Scheme::Cenc, &key, Pattern::NONE, None).unwrap();
//! decryptor.decrypt_sample(&mut sample, &record).unwrap();
//! assert_eq!(sample, plain);
//! ```

mod aux_info;
mod codec;
mod crypto;
mod decryptor;
mod encryptor;
mod error;
mod iv;
pub mod mp4;
pub mod nal;
pub mod pssh;
mod scheme;
mod subsample;
pub mod vp9;

pub use aux_info::{SENC_FLAG_SUBSAMPLES, SampleAuxInfo, SencLayout};
pub use codec::{AudioCodec, TrackCodec};
pub use crypto::aes_hardware_accelerated;
pub use decryptor::SampleDecryptor;
pub use encryptor::{EncryptorConfig, SampleEncryptor, TrackEncryptionInfo};
pub use error::{CencError, FourCcText};
pub use iv::IvPolicy;
pub use scheme::{Pattern, Scheme};
pub use subsample::Subsample;
