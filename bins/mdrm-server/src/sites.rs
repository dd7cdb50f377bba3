//! Sites: who may ask for keys. A site has a 4-character id, an access key (authenticates
//! packagers; part of license-token hashes) and a 32-byte site key (decrypts license-token
//! policies).
//!
//! Stored per site in the keystore ([`SiteRecord`]): a random 16-byte salt and
//! SHA-256(salt || access key), compared in constant time for CPIX authentication; and the
//! access key and site key sealed with the server secret ([`ServerSecret`]) for the license
//! service. A fast salted hash is enough because access keys are long random strings (64
//! characters when generated here), not passwords.

use std::fmt;
use std::sync::Arc;

use kms_client::{AccessKey, Keystore, SiteId, SiteRecord};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ServerError;
use crate::secret::ServerSecret;

/// Characters of generated access and site keys.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a generated access key.
pub const ACCESS_KEY_CHARS: usize = 64;
/// Length of a site key (AES-256 key as ASCII, as in the license-token format).
pub const SITE_KEY_CHARS: usize = 32;

/// `n` random characters of [`ALPHABET`] (rejection sampling, no modulo bias).
fn random_text(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        keys::fill_random(&mut buf).expect("the OS random number generator works");
        for &b in &buf {
            // 248 = 4 * 62: values above are discarded.
            if (b as usize) < 4 * ALPHABET.len() && out.len() < n {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    buf.zeroize();
    out
}

/// A site key: exactly 32 printable ASCII characters, used as raw AES-256 key bytes.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SiteKey(String);

impl SiteKey {
    /// Validates a site key.
    pub fn parse(text: &str) -> Result<Self, ServerError> {
        if text.len() != SITE_KEY_CHARS || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServerError::InvalidArgument {
                what: "site key".into(),
                reason: format!("must be exactly {SITE_KEY_CHARS} printable ASCII characters"),
            });
        }
        Ok(SiteKey(text.to_string()))
    }

    /// A new random site key.
    pub fn generate() -> Self {
        SiteKey(random_text(SITE_KEY_CHARS))
    }

    /// The key text. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SiteKey(<redacted>)")
    }
}

/// A new random access key.
pub fn generate_access_key() -> AccessKey {
    let mut t = random_text(ACCESS_KEY_CHARS);
    let k = AccessKey::parse("access key", &t).expect("generated keys are valid");
    t.zeroize();
    k
}

/// A site's credentials in clear (for `site add` and the license service).
#[derive(Debug, Clone)]
pub struct SiteCredentials {
    /// The site id.
    pub site_id: SiteId,
    /// The access key.
    pub access_key: AccessKey,
    /// The site key.
    pub site_key: SiteKey,
}

fn access_key_hash(salt: &[u8], access_key: &AccessKey) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(access_key.expose_secret().as_bytes());
    h.finalize().into()
}

fn context(site_id: &str, field: &str) -> Vec<u8> {
    format!("mdrm/site/{site_id}/{field}").into_bytes()
}

/// The site registry: site records in the keystore, sealed with the server secret.
#[derive(Clone)]
pub struct Sites {
    keystore: Arc<Keystore>,
    secret: Arc<ServerSecret>,
}

impl fmt::Debug for Sites {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sites({:?})", self.keystore)
    }
}

impl Sites {
    /// A registry over `keystore`, sealing with `secret`.
    pub fn new(keystore: Arc<Keystore>, secret: Arc<ServerSecret>) -> Self {
        Sites { keystore, secret }
    }

    /// Adds the site or replaces its credentials.
    pub fn put(&self, creds: &SiteCredentials) -> Result<(), ServerError> {
        let mut salt = vec![0u8; 16];
        keys::fill_random(&mut salt).expect("the OS random number generator works");
        let id = creds.site_id.as_str();
        let record = SiteRecord {
            site_id: id.to_string(),
            access_key_hash: access_key_hash(&salt, &creds.access_key).to_vec(),
            access_key_salt: salt,
            sealed_access_key: self.secret.seal(
                &context(id, "access_key"),
                creds.access_key.expose_secret().as_bytes(),
            ),
            sealed_site_key: self.secret.seal(
                &context(id, "site_key"),
                creds.site_key.expose_secret().as_bytes(),
            ),
            created_at: 0,
            updated_at: 0,
        };
        self.keystore.put_site(&record)?;
        Ok(())
    }

    /// True when `access_key` is the access key of site `site_id`. An unknown site costs the
    /// same hash computation as a known one, so timing does not tell which sites exist.
    pub fn authenticate(
        &self,
        site_id: &SiteId,
        access_key: &AccessKey,
    ) -> Result<bool, ServerError> {
        let record = self.keystore.site(site_id.as_str())?;
        let (salt, expected) = match &record {
            Some(r) => (r.access_key_salt.as_slice(), r.access_key_hash.as_slice()),
            None => (&[0u8; 16][..], &[0u8; 32][..]),
        };
        let actual = access_key_hash(salt, access_key);
        let equal: bool = actual.ct_eq(expected).into();
        Ok(record.is_some() && equal)
    }

    /// A site's credentials in clear (for the license service), if the site exists.
    pub fn credentials(&self, site_id: &SiteId) -> Result<Option<SiteCredentials>, ServerError> {
        let Some(r) = self.keystore.site(site_id.as_str())? else {
            return Ok(None);
        };
        let unseal = |field: &str, sealed: &[u8]| {
            self.secret
                .open(&context(&r.site_id, field), sealed)
                .and_then(|v| String::from_utf8(v.to_vec()).ok())
                .ok_or_else(|| ServerError::Unseal {
                    site_id: r.site_id.clone(),
                })
        };
        let mut access = unseal("access_key", &r.sealed_access_key)?;
        let mut site_key = unseal("site_key", &r.sealed_site_key)?;
        let creds = SiteCredentials {
            site_id: site_id.clone(),
            access_key: AccessKey::parse("access key", &access).map_err(|_| {
                ServerError::Unseal {
                    site_id: r.site_id.clone(),
                }
            })?,
            site_key: SiteKey::parse(&site_key)?,
        };
        access.zeroize();
        site_key.zeroize();
        Ok(Some(creds))
    }

    /// Every site id, sorted.
    pub fn list(&self) -> Result<Vec<String>, ServerError> {
        Ok(self
            .keystore
            .sites()?
            .into_iter()
            .map(|s| s.site_id)
            .collect())
    }

    /// Removes a site; true when it existed. Its content keys stay.
    pub fn remove(&self, site_id: &SiteId) -> Result<bool, ServerError> {
        Ok(self.keystore.remove_site(site_id.as_str())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> (tempfile::TempDir, Sites) {
        let dir = tempfile::tempdir().unwrap();
        let ks = Arc::new(Keystore::open(&dir.path().join("k.sqlite")).unwrap());
        (
            dir,
            Sites::new(ks, Arc::new(ServerSecret::from_bytes([3; 32]))),
        )
    }

    fn creds(id: &str) -> SiteCredentials {
        SiteCredentials {
            site_id: SiteId::parse("s", id).unwrap(),
            access_key: generate_access_key(),
            site_key: SiteKey::generate(),
        }
    }

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let a = generate_access_key();
        assert_eq!(a.expose_secret().len(), ACCESS_KEY_CHARS);
        assert!(a.expose_secret().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(generate_access_key(), a);
        let s = SiteKey::generate();
        assert_eq!(s.expose_secret().len(), SITE_KEY_CHARS);
        assert!(SiteKey::parse("short").is_err());
        assert_eq!(format!("{s:?}"), "SiteKey(<redacted>)");
    }

    #[test]
    fn authenticate_and_unseal() {
        let (_d, sites) = sites();
        let c = creds("DEMO");
        sites.put(&c).unwrap();
        assert!(sites.authenticate(&c.site_id, &c.access_key).unwrap());
        assert!(
            !sites
                .authenticate(&c.site_id, &generate_access_key())
                .unwrap()
        );
        let unknown = SiteId::parse("s", "NONE").unwrap();
        assert!(!sites.authenticate(&unknown, &c.access_key).unwrap());
        let back = sites.credentials(&c.site_id).unwrap().unwrap();
        assert_eq!(back.access_key, c.access_key);
        assert_eq!(back.site_key, c.site_key);
        assert!(sites.credentials(&unknown).unwrap().is_none());
        // Replacing the credentials invalidates the old access key.
        let c2 = SiteCredentials {
            access_key: generate_access_key(),
            ..c.clone()
        };
        sites.put(&c2).unwrap();
        assert!(!sites.authenticate(&c.site_id, &c.access_key).unwrap());
        assert!(sites.authenticate(&c.site_id, &c2.access_key).unwrap());
        assert_eq!(sites.list().unwrap(), ["DEMO"]);
        assert!(sites.remove(&c.site_id).unwrap());
        assert!(!sites.authenticate(&c.site_id, &c2.access_key).unwrap());
    }

    #[test]
    fn stored_record_holds_no_secret_in_clear() {
        let (_d, sites) = sites();
        let c = creds("ABCD");
        sites.put(&c).unwrap();
        let r = sites.keystore.site("ABCD").unwrap().unwrap();
        for blob in [&r.access_key_hash, &r.sealed_access_key, &r.sealed_site_key] {
            for secret in [c.access_key.expose_secret(), c.site_key.expose_secret()] {
                assert!(
                    !blob
                        .windows(8)
                        .any(|w| secret.as_bytes().windows(8).any(|s| s == w))
                );
            }
        }
        // Another server secret cannot unseal.
        let other = Sites::new(
            sites.keystore.clone(),
            Arc::new(ServerSecret::from_bytes([4; 32])),
        );
        assert!(matches!(
            other.credentials(&c.site_id),
            Err(ServerError::Unseal { .. })
        ));
        // ... but CPIX authentication (salted hash) still works.
        assert!(other.authenticate(&c.site_id, &c.access_key).unwrap());
    }
}
