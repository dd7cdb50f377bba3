//! Site records for `mdrm-server`: the keystore stores them, the server computes them.
//!
//! The record holds a salted hash of the access key (for CPIX authentication) and the access
//! key and site key sealed with the server's secret (the license service needs them in clear
//! to check license tokens). This crate treats all four as opaque bytes.

use rusqlite::{OptionalExtension, Row, params};

use super::{Keystore, unix_now};
use crate::Error;

/// One site as stored. `Debug` shows the site id only.
#[derive(Clone, PartialEq, Eq)]
pub struct SiteRecord {
    /// The 4-character site id.
    pub site_id: String,
    /// Random salt of the access-key hash.
    pub access_key_salt: Vec<u8>,
    /// Salted hash of the access key.
    pub access_key_hash: Vec<u8>,
    /// The access key sealed with the server secret.
    pub sealed_access_key: Vec<u8>,
    /// The site key sealed with the server secret.
    pub sealed_site_key: Vec<u8>,
    /// Creation time (seconds since the Unix epoch).
    pub created_at: i64,
    /// Last change (seconds since the Unix epoch).
    pub updated_at: i64,
}

impl std::fmt::Debug for SiteRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteRecord({})", self.site_id)
    }
}

fn read_site(row: &Row<'_>) -> rusqlite::Result<SiteRecord> {
    Ok(SiteRecord {
        site_id: row.get(0)?,
        access_key_salt: row.get(1)?,
        access_key_hash: row.get(2)?,
        sealed_access_key: row.get(3)?,
        sealed_site_key: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    })
}

const COLUMNS: &str = "site_id, access_key_salt, access_key_hash, sealed_access_key, \
                       sealed_site_key, created_at, updated_at";

impl Keystore {
    /// Adds the site or replaces its credentials (keeping its creation time).
    pub fn put_site(&self, site: &SiteRecord) -> Result<(), Error> {
        let now = unix_now();
        self.with_conn(|conn| {
            conn.execute(
                "INSERT INTO sites (site_id, access_key_salt, access_key_hash, sealed_access_key,
                                    sealed_site_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (site_id) DO UPDATE SET
                    access_key_salt = excluded.access_key_salt,
                    access_key_hash = excluded.access_key_hash,
                    sealed_access_key = excluded.sealed_access_key,
                    sealed_site_key = excluded.sealed_site_key,
                    updated_at = excluded.updated_at",
                params![
                    site.site_id,
                    site.access_key_salt,
                    site.access_key_hash,
                    site.sealed_access_key,
                    site.sealed_site_key,
                    now
                ],
            )?;
            Ok(())
        })
    }

    /// The site `site_id`, if configured.
    pub fn site(&self, site_id: &str) -> Result<Option<SiteRecord>, Error> {
        self.with_conn(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM sites WHERE site_id = ?1"),
                    params![site_id],
                    read_site,
                )
                .optional()?)
        })
    }

    /// Every configured site, by site id.
    pub fn sites(&self) -> Result<Vec<SiteRecord>, Error> {
        self.with_conn(|conn| {
            let mut stmt =
                conn.prepare(&format!("SELECT {COLUMNS} FROM sites ORDER BY site_id"))?;
            let rows = stmt.query_map([], read_site)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Removes a site (its content keys stay). True when it existed.
    pub fn remove_site(&self, site_id: &str) -> Result<bool, Error> {
        self.with_conn(|conn| {
            Ok(conn.execute("DELETE FROM sites WHERE site_id = ?1", params![site_id])? == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, b: u8) -> SiteRecord {
        SiteRecord {
            site_id: id.into(),
            access_key_salt: vec![b; 16],
            access_key_hash: vec![b; 32],
            sealed_access_key: vec![b; 40],
            sealed_site_key: vec![b; 40],
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn put_get_replace_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(&dir.path().join("ks.sqlite")).unwrap();
        assert!(ks.site("DEMO").unwrap().is_none());
        ks.put_site(&record("DEMO", 1)).unwrap();
        let first = ks.site("DEMO").unwrap().unwrap();
        assert_eq!(first.access_key_hash, vec![1; 32]);
        ks.put_site(&record("DEMO", 2)).unwrap();
        let second = ks.site("DEMO").unwrap().unwrap();
        assert_eq!(second.access_key_hash, vec![2; 32]);
        assert_eq!(second.created_at, first.created_at);
        ks.put_site(&record("ABCD", 3)).unwrap();
        let ids: Vec<_> = ks.sites().unwrap().into_iter().map(|s| s.site_id).collect();
        assert_eq!(ids, ["ABCD", "DEMO"]);
        assert!(ks.remove_site("DEMO").unwrap());
        assert!(!ks.remove_site("DEMO").unwrap());
        assert_eq!(format!("{:?}", record("X", 9)), "SiteRecord(X)");
    }
}
