//! Content keys: get-or-create per (site, content, track type), lookup by KID.

use keys::{ContentKey, Iv, KeyId};
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};
use zeroize::Zeroize;

use super::{Keystore, KeystoreFailure, unix_now};
use crate::Error;

/// Longest track label accepted (bytes).
pub const MAX_TRACK_LABEL_BYTES: usize = 32;

/// True for a usable track label: 1 to 32 of `A-Z 0-9 _ + -` (e.g. `ALL`, `HD`, `SD+HD`).
pub fn is_valid_track_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_TRACK_LABEL_BYTES
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_+-".contains(&b))
}

/// A key as stored. `Debug` never shows the key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// The site it belongs to.
    pub site_id: String,
    /// The content id.
    pub content_id: String,
    /// The track label (`ALL`, `AUDIO`, `SD`, `HD`, `UHD1`, `UHD2`, or a CPIX
    /// `intendedTrackType` such as `VIDEO`).
    pub track_type: String,
    /// The key id.
    pub kid: KeyId,
    /// The content key.
    pub key: ContentKey,
    /// The 16-byte IV issued with the key.
    pub iv: Iv,
    /// Creation time (seconds since the Unix epoch).
    pub created_at: i64,
    /// True when this call created the key (false: it existed already).
    pub created: bool,
}

fn blob16(row: &Row<'_>, col: usize) -> rusqlite::Result<[u8; 16]> {
    let mut v: Vec<u8> = row.get(col)?;
    let r = <[u8; 16]>::try_from(v.as_slice()).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Blob,
            "not 16 bytes".into(),
        )
    });
    v.zeroize();
    r
}

const COLUMNS: &str = "site_id, content_id, track_type, kid, key, iv, created_at";

fn read_row(row: &Row<'_>) -> rusqlite::Result<StoredKey> {
    let mut key = blob16(row, 4)?;
    let stored = StoredKey {
        site_id: row.get(0)?,
        content_id: row.get(1)?,
        track_type: row.get(2)?,
        kid: KeyId(blob16(row, 3)?),
        key: ContentKey::new(key),
        iv: Iv::new16(blob16(row, 5)?),
        created_at: row.get(6)?,
        created: false,
    };
    key.zeroize();
    Ok(stored)
}

fn insert_new(
    tx: &Transaction<'_>,
    site: &str,
    cid: &str,
    label: &str,
) -> Result<bool, KeystoreFailure> {
    let kid = KeyId::random().map_err(|_| Error::random())?;
    let key = ContentKey::random().map_err(|_| Error::random())?;
    let iv = Iv::random(16).map_err(|_| Error::random())?;
    let n = tx.execute(
        "INSERT INTO content_keys (site_id, content_id, track_type, kid, key, iv, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (site_id, content_id, track_type) DO NOTHING",
        params![
            site,
            cid,
            label,
            &kid.0[..],
            &key.secret_bytes()[..],
            iv.as_bytes(),
            unix_now()
        ],
    )?;
    Ok(n == 1)
}

impl Keystore {
    /// The keys of `content_id` for each of `track_labels`, creating missing ones from the OS
    /// random number generator. Atomic across processes: concurrent callers asking for the
    /// same new content get the same keys. Returned in the order of `track_labels`.
    pub fn get_or_create(
        &self,
        site_id: &str,
        content_id: &str,
        track_labels: &[&str],
    ) -> Result<Vec<StoredKey>, Error> {
        if let Some(bad) = track_labels.iter().find(|l| !is_valid_track_label(l)) {
            return Err(Error::invalid_argument(
                "track type",
                format!("{bad:?} is not a track label (1-32 of A-Z 0-9 _ + -)"),
            ));
        }
        self.with_conn(|conn| {
            let tx = Transaction::new(conn, TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(track_labels.len());
            for label in track_labels {
                // A KID collision (2^-128) fails the UNIQUE check: try once more.
                let created = match insert_new(&tx, site_id, content_id, label) {
                    Err(KeystoreFailure::Sqlite(e))
                        if e.sqlite_error_code()
                            == Some(rusqlite::ErrorCode::ConstraintViolation) =>
                    {
                        insert_new(&tx, site_id, content_id, label)?
                    }
                    other => other?,
                };
                let mut key = tx.query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM content_keys
                         WHERE site_id = ?1 AND content_id = ?2 AND track_type = ?3"
                    ),
                    params![site_id, content_id, label],
                    read_row,
                )?;
                key.created = created;
                out.push(key);
            }
            tx.commit()?;
            Ok(out)
        })
    }

    /// The key with id `kid` (for license services), if any.
    pub fn key_by_kid(&self, kid: KeyId) -> Result<Option<StoredKey>, Error> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM content_keys WHERE kid = ?1"),
                    params![&kid.0[..]],
                    read_row,
                )
                .optional()?)
        })
    }

    /// Every key of `content_id`, ordered by track label.
    pub fn keys_for_content(
        &self,
        site_id: &str,
        content_id: &str,
    ) -> Result<Vec<StoredKey>, Error> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM content_keys
                 WHERE site_id = ?1 AND content_id = ?2 ORDER BY track_type"
            ))?;
            let rows = stmt.query_map(params![site_id, content_id], read_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The number of stored keys.
    pub fn key_count(&self) -> Result<u64, Error> {
        self.with_conn(|conn| {
            Ok(
                conn.query_row("SELECT count(*) FROM content_keys", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn store() -> (tempfile::TempDir, Keystore) {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(&dir.path().join("ks.sqlite")).unwrap();
        (dir, ks)
    }

    #[test]
    fn first_request_creates_later_ones_return_the_same() {
        let (_d, ks) = store();
        let a = ks.get_or_create("SITE", "cid-1", &["AUDIO", "HD"]).unwrap();
        assert!(a.iter().all(|k| k.created));
        assert_ne!(a[0].kid, a[1].kid);
        assert_ne!(a[0].key, a[1].key);
        let b = ks
            .get_or_create("SITE", "cid-1", &["HD", "AUDIO", "SD"])
            .unwrap();
        assert_eq!(b[0].kid, a[1].kid);
        assert_eq!(b[0].key, a[1].key);
        assert_eq!(b[0].iv, a[1].iv);
        assert_eq!(b[1].kid, a[0].kid);
        assert!(!b[0].created && !b[1].created && b[2].created);
        // Other site or content: other keys.
        let c = ks.get_or_create("OTHR", "cid-1", &["HD"]).unwrap();
        assert_ne!(c[0].kid, a[1].kid);
        assert_eq!(ks.key_count().unwrap(), 4);
        assert_eq!(ks.keys_for_content("SITE", "cid-1").unwrap().len(), 3);
    }

    #[test]
    fn lookup_by_kid() {
        let (_d, ks) = store();
        let a = ks.get_or_create("SITE", "movie", &["ALL"]).unwrap();
        let found = ks.key_by_kid(a[0].kid).unwrap().unwrap();
        assert_eq!(found.content_id, "movie");
        assert_eq!(found.key, a[0].key);
        assert!(ks.key_by_kid(KeyId([0; 16])).unwrap().is_none());
    }

    #[test]
    fn keys_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ks.sqlite");
        let a = Keystore::open(&path)
            .unwrap()
            .get_or_create("S", "c", &["ALL"]);
        let b = Keystore::open(&path)
            .unwrap()
            .get_or_create("S", "c", &["ALL"]);
        assert_eq!(a.unwrap()[0].key, b.unwrap()[0].key);
    }

    #[test]
    fn bad_labels_are_refused() {
        let (_d, ks) = store();
        for bad in ["", "hd", "A B", &"X".repeat(33)] {
            assert!(matches!(
                ks.get_or_create("S", "c", &[bad]),
                Err(Error::InvalidArgument { .. })
            ));
        }
        assert!(is_valid_track_label("SD+HD"));
    }

    #[test]
    fn threads_racing_on_new_content_agree() {
        let (_d, ks) = store();
        let ks = Arc::new(ks);
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let ks = Arc::clone(&ks);
                std::thread::spawn(move || {
                    (0..20)
                        .map(|i| ks.get_or_create("S", &format!("c{i}"), &["ALL"]).unwrap()[0].kid)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(results.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(ks.key_count().unwrap(), 20);
    }
}
