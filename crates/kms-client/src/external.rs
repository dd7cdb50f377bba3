//! External keys given on the command line (`--encryption-key`, `--key-id`).

use keys::{ContentKey, Iv, KeyError, KeyId, TrackType, split_key_and_iv};

use crate::Error;
use crate::keyset::{KeyRequest, KeySet, Signalling, TrackKey};
use crate::source::KeySource;

fn arg_error(flag: &'static str, e: KeyError) -> Error {
    Error::invalid_argument(flag, e.to_string())
}

/// One key for every track, supplied by the user.
#[derive(Clone, Debug)]
pub struct ExternalKeys {
    kid: KeyId,
    key: ContentKey,
    iv: Iv,
}

impl ExternalKeys {
    /// DASH form: `--encryption-key` = base64 of the 16-byte key, `--key-id` = base64 of the
    /// 16-byte KID. The IV is drawn from the OS random number generator.
    pub fn dash(encryption_key: &str, key_id: &str) -> Result<Self, Error> {
        let key = ContentKey::from_base64(encryption_key)
            .map_err(|e| arg_error("--encryption-key", e))?;
        let kid = KeyId::from_base64(key_id).map_err(|e| arg_error("--key-id", e))?;
        let iv = Iv::random(16).map_err(|_| Error::random())?;
        Ok(ExternalKeys { kid, key, iv })
    }

    /// HLS and NCG form: `--encryption-key` = base64 of 32 bytes, key (16) then IV (16).
    /// `--key-id` is optional (HLS fMP4 writes a KID); without it the KID is random.
    pub fn key_and_iv(encryption_key: &str, key_id: Option<&str>) -> Result<Self, Error> {
        let (key, iv) =
            split_key_and_iv(encryption_key).map_err(|e| arg_error("--encryption-key", e))?;
        let kid = match key_id {
            Some(k) => KeyId::from_base64(k).map_err(|e| arg_error("--key-id", e))?,
            None => KeyId::random().map_err(|_| Error::random())?,
        };
        Ok(ExternalKeys { kid, key, iv })
    }

    /// The key id.
    pub fn kid(&self) -> KeyId {
        self.kid
    }
}

impl KeySource for ExternalKeys {
    fn fetch(&self, request: &KeyRequest) -> Result<KeySet, Error> {
        if request.multi_key {
            return Err(Error::invalid_argument(
                "--multi-key",
                "an external key (--encryption-key) is a single key; use the keystore or --kms-url for multi-key",
            ));
        }
        Ok(KeySet::new(vec![TrackKey {
            track_type: TrackType::All,
            kid: self.kid,
            key: self.key.clone(),
            iv: self.iv,
            signalling: Signalling::default(),
        }]))
    }

    fn describe(&self) -> String {
        format!("external key (KID {})", self.kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContentId;
    use keys::to_base64;

    fn req() -> KeyRequest {
        KeyRequest::single(None, ContentId::parse("c", "cid").unwrap())
    }

    #[test]
    fn dash_external_key() {
        let src = ExternalKeys::dash(&to_base64(&[1; 16]), &to_base64(&[2; 16])).unwrap();
        let set = src.fetch(&req()).unwrap();
        let k = set.for_track(TrackType::Hd).unwrap();
        assert_eq!(k.kid, KeyId([2; 16]));
        assert_eq!(k.key.secret_bytes(), &[1; 16]);
        assert_eq!(k.iv.len(), 16);
        assert!(src.describe().contains("02020202-0202"));
    }

    #[test]
    fn hls_external_key_splits_key_and_iv() {
        let raw: Vec<u8> = (0u8..32).collect();
        let src = ExternalKeys::key_and_iv(&to_base64(&raw), None).unwrap();
        let set = src.fetch(&req()).unwrap();
        assert_eq!(&set.keys()[0].key.secret_bytes()[..], &raw[..16]);
        assert_eq!(set.keys()[0].iv.as_bytes(), &raw[16..]);
    }

    #[test]
    fn wrong_sizes_name_the_flag_and_hide_the_value() {
        let k16 = to_base64(&[7; 16]);
        let e = ExternalKeys::key_and_iv(&k16, None).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--encryption-key",
                ..
            }
        ));
        assert!(!e.to_string().contains(&k16));
        let e = ExternalKeys::dash(&k16, "nope!").unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--key-id",
                ..
            }
        ));
        let e = ExternalKeys::dash(&to_base64(&[7; 32]), &k16).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--encryption-key",
                ..
            }
        ));
    }

    #[test]
    fn multi_key_is_refused() {
        let src = ExternalKeys::dash(&to_base64(&[1; 16]), &to_base64(&[2; 16])).unwrap();
        let mut r = req();
        r.multi_key = true;
        let e = src.fetch(&r).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidArgument {
                flag: "--multi-key",
                ..
            }
        ));
    }
}
