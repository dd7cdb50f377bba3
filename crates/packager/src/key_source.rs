//! Key acquisition for packaging jobs: the one seam between the CLIs and the key source.
//!
//! External keys (`--encryption-key`) are fully supported here. The key service (embedded
//! keystore, `--kms-url` CPIX) and the CID callback belong to the `kms-client` crate, which is
//! plugged in here when it lands; until then those paths return a clear 1102 error.

use std::path::Path;

use keys::KeyId;
use ncg::NcgKey;

use crate::args::{JobSettings, KeyMode};
use crate::error::Error;

/// The INFO text of the KMS-mode error until `kms-client` is wired in.
pub const KMS_UNAVAILABLE: &str = "KMS mode needs kms-client: use --encryption-key";
/// The INFO text of the CID-callback error until `kms-client` is wired in.
pub const CID_CALLBACK_UNAVAILABLE: &str =
    "--cid-callback-url needs kms-client: give --contents-id";

/// An NCG content key and what the log may say about it.
#[derive(Debug)]
pub struct NcgKeyMaterial {
    /// Key and IV.
    pub key: NcgKey,
    /// The key id, when the source has one (`--key-id`, or the key server's KID).
    pub key_id: Option<KeyId>,
    /// One line for the log saying where the key came from (never the key).
    pub source: String,
}

/// The 32-byte NCG key (key + IV) for this job.
pub fn ncg_key(settings: &JobSettings) -> Result<NcgKeyMaterial, Error> {
    let at = "packager::key_source::ncg_key";
    match &settings.key_mode {
        KeyMode::External { key, key_id } => {
            let cek = <&[u8; 32]>::try_from(key.as_slice()).map_err(|_| {
                Error::invalid(
                    "--encryption-key",
                    format!(
                        "must be base64 of 32 bytes (key + IV), got {} bytes",
                        key.len()
                    ),
                    at,
                )
            })?;
            Ok(NcgKeyMaterial {
                key: NcgKey::from_bytes(cek),
                key_id: *key_id,
                source: "external key (--encryption-key)".into(),
            })
        }
        KeyMode::Kms { .. } => Err(Error::KeySource {
            reason: KMS_UNAVAILABLE.into(),
            at,
        }),
    }
}

/// The content id of the job: `--contents-id`, else the CID callback for `input`'s file name.
pub fn content_id(settings: &JobSettings, _input: &Path) -> Result<String, Error> {
    match &settings.content_id {
        Some(cid) => Ok(cid.clone()),
        None => Err(Error::KeySource {
            reason: CID_CALLBACK_UNAVAILABLE.into(),
            at: "packager::key_source::content_id",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{CliProfile, CommonArgs};

    fn settings(external: bool) -> JobSettings {
        CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("c".into()),
            encryption_key: external.then(|| keys::to_base64(&[9u8; 32])),
            ..CommonArgs::default()
        }
        .validate(CliProfile::NCG)
        .unwrap()
    }

    #[test]
    fn external_key_is_used() {
        let m = ncg_key(&settings(true)).unwrap();
        assert_eq!(m.key, NcgKey::from_bytes(&[9u8; 32]));
        assert!(!m.source.contains("CQkJ"));
    }

    #[test]
    fn kms_mode_is_a_clear_1102_until_kms_client_is_wired() {
        let e = ncg_key(&settings(false)).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert_eq!(e.info(), KMS_UNAVAILABLE);
        let mut s = settings(true);
        s.content_id = None;
        let e = content_id(&s, Path::new("m.mp4")).unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert_eq!(
            content_id(&settings(true), Path::new("m.mp4")).unwrap(),
            "c"
        );
    }
}
