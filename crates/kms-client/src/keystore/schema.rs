//! The keystore schema (version 1) and per-connection settings.

use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

/// The schema version this code writes and reads (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS content_keys (
    site_id     TEXT    NOT NULL,
    content_id  TEXT    NOT NULL,
    track_type  TEXT    NOT NULL,
    kid         BLOB    NOT NULL UNIQUE CHECK (length(kid) = 16),
    key         BLOB    NOT NULL CHECK (length(key) = 16),
    iv          BLOB    NOT NULL CHECK (length(iv) = 16),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (site_id, content_id, track_type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sites (
    site_id            TEXT    PRIMARY KEY NOT NULL,
    access_key_salt    BLOB    NOT NULL,
    access_key_hash    BLOB    NOT NULL,
    sealed_access_key  BLOB    NOT NULL,
    sealed_site_key    BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Per-connection settings: WAL journal (falls back to the rollback journal where the file
/// system cannot do WAL), full sync, and checks.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // Switching to WAL needs a moment alone with the file: retry while another process has
    // it open in a transaction (the mode is persistent, so this happens once per file).
    for attempt in 0..50 {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(e) if is_busy(&e) && attempt < 49 => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Creates the tables when missing and checks the version.
pub(crate) fn ensure(conn: &Connection) -> Result<(), String> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "written by a newer mdrm (schema {version}; this one reads up to {SCHEMA_VERSION})"
        ));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    // Another process may have created the schema while we waited for the lock.
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    tx.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|e| e.to_string())?;
    tx.commit().map_err(|e| e.to_string())
}
