//! The embedded keystore as a [`KeySource`] (the packagers' default).

use std::path::Path;

use crate::Error;
use crate::defaults::LOCAL_SITE_ID;
use crate::keyset::{KeyRequest, KeySet, Signalling, TrackKey};
use crate::source::KeySource;

use super::Keystore;

/// Keys from the local SQLite keystore: created on first use, the same ever after.
#[derive(Debug)]
pub struct KeystoreSource {
    store: Keystore,
}

impl KeystoreSource {
    /// Opens (creating when missing) the keystore at `path`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Ok(KeystoreSource {
            store: Keystore::open(path)?,
        })
    }

    /// The underlying keystore.
    pub fn keystore(&self) -> &Keystore {
        &self.store
    }
}

impl KeySource for KeystoreSource {
    fn fetch(&self, request: &KeyRequest) -> Result<KeySet, Error> {
        let site = request
            .site_id
            .as_ref()
            .map_or(LOCAL_SITE_ID, |s| s.as_str());
        let types = request.key_track_types();
        let labels: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
        let stored = self
            .store
            .get_or_create(site, request.content_id.as_str(), &labels)?;
        Ok(KeySet::new(
            types
                .into_iter()
                .zip(stored)
                .map(|(t, s)| TrackKey {
                    track_type: t,
                    kid: s.kid,
                    key: s.key,
                    iv: s.iv,
                    signalling: Signalling::default(),
                })
                .collect(),
        ))
    }

    fn describe(&self) -> String {
        format!("embedded keystore {}", self.store.path().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ContentId, SiteId};
    use keys::TrackType;

    #[test]
    fn same_cid_same_keys_and_multi_key() {
        let dir = tempfile::tempdir().unwrap();
        let src = KeystoreSource::open(&dir.path().join("k.sqlite")).unwrap();
        let cid = ContentId::parse("c", "movie").unwrap();
        let single = KeyRequest::single(None, cid.clone());
        let a = src.fetch(&single).unwrap();
        let b = src.fetch(&single).unwrap();
        assert_eq!(a, b);
        let mut multi = single.clone();
        multi.multi_key = true;
        multi.track_types = vec![TrackType::Hd, TrackType::Audio];
        let m = src.fetch(&multi).unwrap();
        assert_eq!(m.keys().len(), 2);
        assert_ne!(m.for_track(TrackType::Hd).unwrap().kid, a.keys()[0].kid);
        // Another site gets other keys for the same CID.
        let other = KeyRequest::single(Some(SiteId::parse("s", "ABCD").unwrap()), cid);
        assert_ne!(src.fetch(&other).unwrap().keys()[0].kid, a.keys()[0].kid);
    }
}
