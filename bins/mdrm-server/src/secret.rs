//! The server secret: a 32-byte key in a file (mode 0600) that seals site secrets in the
//! keystore with AES-256-GCM.
//!
//! Trade-off: the access key and site key must be available in clear to the license service
//! (they enter the token hash and decrypt the token policy), so they cannot be stored as
//! hashes only. Sealing them with a key kept *outside* the database means a copy of the
//! database alone (a backup, a replica's volume) does not reveal them. Keep the secret file on
//! another volume or a secrets mount for that to hold; replicas need the same file. Losing the
//! file makes the sealed values unreadable (re-add the sites); CPIX authentication keeps
//! working because it uses the salted hash.

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::error::ServerError;

/// Format version byte of a sealed value.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The loaded server secret. `Debug` is redacted.
pub struct ServerSecret {
    key: Zeroizing<[u8; 32]>,
    path: PathBuf,
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerSecret({}, <redacted>)", self.path.display())
    }
}

impl ServerSecret {
    /// Loads the secret from `path`, creating it (mode 0600, random) when missing.
    /// Returns whether it was created. Refuses a file readable by group or others.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), ServerError> {
        let err = |reason: String| ServerError::Secret {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .create(parent)
                .map_err(|e| err(format!("cannot create its folder: {e}")))?;
            fs::set_permissions(parent, fs::Permissions::from_mode(0o700))
                .map_err(|e| err(format!("cannot restrict its folder: {e}")))?;
        }
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut f) => {
                let mut key = Zeroizing::new([0u8; 32]);
                keys::fill_random(&mut key[..]).map_err(|e| err(e.to_string()))?;
                let mut text = keys::to_base64(&key[..]);
                text.push('\n');
                let written = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
                text.zeroize();
                if let Err(e) = written {
                    let _ = fs::remove_file(path);
                    return Err(err(format!("cannot write: {e}")));
                }
                Ok((
                    ServerSecret {
                        key,
                        path: path.to_path_buf(),
                    },
                    true,
                ))
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok((Self::load(path)?, false)),
            Err(e) => Err(err(format!("cannot create: {e}"))),
        }
    }

    /// Loads an existing secret file.
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let err = |reason: String| ServerError::Secret {
            path: path.to_path_buf(),
            reason,
        };
        let meta = fs::metadata(path).map_err(|e| err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "mode {mode:o} lets other users read it; run chmod 600 on it"
            )));
        }
        let mut text = Zeroizing::new(fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
        let mut bytes = keys::decode_base64("server secret", text.trim())
            .map_err(|_| err("not base64 of 32 bytes".into()))?;
        text.zeroize();
        let key = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| err("not base64 of 32 bytes".into()));
        bytes.zeroize();
        Ok(ServerSecret {
            key: Zeroizing::new(key?),
            path: path.to_path_buf(),
        })
    }

    /// A secret from raw bytes (tests).
    pub fn from_bytes(key: [u8; 32]) -> Self {
        ServerSecret {
            key: Zeroizing::new(key),
            path: PathBuf::from("<memory>"),
        }
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(&self.key[..]).expect("a 32-byte key fits AES-256")
    }

    /// Seals `plaintext`, bound to `context` (e.g. the site id and field name): a sealed value
    /// moved to another record or field does not open.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        keys::fill_random(&mut nonce).expect("the OS random number generator works");
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed with [`ServerSecret::seal`] under the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
            return None;
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().ok()?;
        self.cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: context,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let s = ServerSecret::from_bytes([7; 32]);
        let sealed = s.seal(b"site/DEMO/access_key", b"secret value");
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            &s.open(b"site/DEMO/access_key", &sealed).unwrap()[..],
            b"secret value"
        );
        assert!(s.open(b"site/OTHR/access_key", &sealed).is_none());
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(s.open(b"site/DEMO/access_key", &bad).is_none());
        assert!(
            ServerSecret::from_bytes([8; 32])
                .open(b"site/DEMO/access_key", &sealed)
                .is_none()
        );
        assert!(s.open(b"x", &[1, 2, 3]).is_none());
    }

    #[test]
    fn file_is_created_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/server.key");
        let (a, created) = ServerSecret::load_or_create(&path).unwrap();
        assert!(created);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (b, created) = ServerSecret::load_or_create(&path).unwrap();
        assert!(!created);
        let sealed = a.seal(b"c", b"v");
        assert_eq!(&b.open(b"c", &sealed).unwrap()[..], b"v");
        assert!(!format!("{a:?}").contains(&keys::to_base64(&a.key[..])));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let e = ServerSecret::load(&path).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "short\n").unwrap();
        assert!(ServerSecret::load(&path).is_err());
    }
}
