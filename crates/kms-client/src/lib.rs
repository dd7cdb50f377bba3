//! Content keys for mdrm's packagers, behind one [`KeySource`] API:
//!
//! - [`ExternalKeys`]: keys given on the command line (`--encryption-key`, `--key-id`);
//! - [`KeystoreSource`] (the default): the embedded SQLite keystore — keys are created on the
//!   first request for a (site id, content id, track type) and returned unchanged ever after,
//!   safely across concurrent packager processes;
//! - [`CpixClient`]: a CPIX 2.3 key server (`--kms-url`), in the API shape of the public cloud
//!   KMS, which `mdrm-server` also speaks;
//!
//! plus the CID callback ([`resolve_content_id`]) and the choice of source from the flags
//! ([`open_key_source`]).
//!
//! ```no_run
//! use kms_client::{ContentId, KeyRequest, KeySourceOptions, open_key_source};
//! # fn main() -> Result<(), kms_client::Error> {
//! let source = open_key_source(&KeySourceOptions {
//!     keystore_path: Some("/home/me/.local/share/mdrm/keystore.sqlite".into()),
//!     ..Default::default()
//! })?;
//! let keys = source.fetch(&KeyRequest::single(None, ContentId::parse("--contents-id", "movie-1")?))?;
//! let k = &keys.keys()[0];
//! println!("KID {}", k.kid); // the key itself never prints: ContentKey's Debug is redacted
//! # Ok(()) }
//! ```
//!
//! Errors are one enum, [`Error`], whose variants map to the packagers' exit codes in one
//! `match` (see its docs). No message ever contains a key, an access key or a token.

pub mod cpix;
pub mod defaults;
mod drm;
pub mod enc_token;
mod error;
mod exchange;
mod external;
#[cfg(feature = "http")]
mod http;
mod http_options;
mod ids;
mod keyset;
#[cfg(feature = "keystore")]
mod keystore;
mod source;

pub use drm::{DrmSystem, SystemId};
pub use error::Error;
pub use exchange::{SentKeys, build_key_request, read_key_answer};
pub use external::ExternalKeys;
#[cfg(feature = "http")]
pub use http::{
    CpixClient, FILE_NAME_PARAMETER, KmsToken, TOKEN_PLACEHOLDER, cpix_url, resolve_content_id,
};
pub use http_options::HttpOptions;
pub use ids::{AccessKey, ContentId, MAX_ACCESS_KEY_BYTES, MAX_CONTENT_ID_BYTES, SiteId};
pub use keyset::{EncryptionScheme, KeyRequest, KeySet, Playlist, PsshBox, Signalling, TrackKey};
#[cfg(feature = "keystore")]
pub use keystore::{
    Keystore, KeystoreSource, MAX_TRACK_LABEL_BYTES, SiteRecord, StoredKey, is_valid_track_label,
};
pub use source::{KeySource, KeySourceOptions, PackageFormat, open_key_source};
