//! The embedded keystore: one SQLite file holding content keys (and, for `mdrm-server`, the
//! site records), safe to share between concurrent packager processes.
//!
//! - Created with mode 0600 before anything is written (SQLite gives its `-wal`/`-shm` files
//!   the same mode); a missing parent folder is created with mode 0700.
//! - WAL journal, `synchronous=FULL` (a key handed out survives a power cut), a busy timeout,
//!   and `BEGIN IMMEDIATE` write transactions, so several processes can create keys at once.
//! - A key is created on the first request for (site id, content id, track type) with
//!   `INSERT ... ON CONFLICT DO NOTHING` and read back in the same transaction: two processes
//!   asking for the same new content get the same key and the table one row.
//! - Keys are stored in clear: the file is the secret; protect it like a private key.
//!
//! Do not put the file on a network file system (SQLite's WAL needs shared memory on one host).

mod content_keys;
mod schema;
mod sites;
mod source;

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::Error;
use crate::defaults::KEYSTORE_BUSY_TIMEOUT;

pub use content_keys::{MAX_TRACK_LABEL_BYTES, StoredKey, is_valid_track_label};
pub use sites::SiteRecord;
pub use source::KeystoreSource;

/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;

/// An open keystore. Cheap to share between threads (`&Keystore` is enough).
pub struct Keystore {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keystore({})", self.path.display())
    }
}

impl Keystore {
    /// Opens the keystore at `path`, creating the file (mode 0600), its folder (mode 0700)
    /// and the schema when missing.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let ks = Keystore {
            path: path.to_path_buf(),
            pool: Mutex::new(Vec::new()),
        };
        ks.create_file()?;
        let conn = ks.connect()?;
        schema::ensure(&conn).map_err(|e| ks.error(e))?;
        ks.give_back(conn);
        Ok(ks)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        Error::Keystore {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn create_file(&self) -> Result<(), Error> {
        if let Some(parent) = self.path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| self.error(format!("cannot create its folder: {e}")))?;
        }
        // Create the file ourselves so its mode is 0600 before SQLite writes a byte.
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(self.error(format!("cannot create the file: {e}"))),
        }
    }

    fn connect(&self) -> Result<Connection, Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.error(e))?;
        conn.busy_timeout(KEYSTORE_BUSY_TIMEOUT)
            .map_err(|e| self.error(e))?;
        schema::configure(&conn).map_err(|e| self.error(e))?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    /// Runs `f` on a pooled connection; SQLite errors become [`Error::Keystore`].
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, KeystoreFailure>,
    ) -> Result<T, Error> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = f(&mut conn);
        // A connection stays usable after a failed statement (the transaction rolled back).
        self.give_back(conn);
        result.map_err(|e| match e {
            KeystoreFailure::Sqlite(e) => self.error(e),
            KeystoreFailure::Other(e) => e,
        })
    }
}

/// A failure inside a keystore operation: SQLite's, or one of ours.
pub(crate) enum KeystoreFailure {
    Sqlite(rusqlite::Error),
    Other(Error),
}

impl From<rusqlite::Error> for KeystoreFailure {
    fn from(e: rusqlite::Error) -> Self {
        KeystoreFailure::Sqlite(e)
    }
}

impl From<Error> for KeystoreFailure {
    fn from(e: Error) -> Self {
        KeystoreFailure::Other(e)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_file_and_folder_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/sub/keystore.sqlite");
        let ks = Keystore::open(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        ks.get_or_create("LOCL", "cid", &["ALL"]).unwrap();
        let wal = path.with_extension("sqlite-wal");
        assert!(wal.exists(), "WAL mode is on");
        assert_eq!(
            fs::metadata(&wal).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn unusable_path_is_a_keystore_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, b"x").unwrap();
        let e = Keystore::open(&file.join("ks.sqlite")).unwrap_err();
        assert!(matches!(e, Error::Keystore { .. }), "{e}");
        // A file that is not a database.
        let junk = dir.path().join("junk.sqlite");
        fs::write(&junk, vec![0x55u8; 4096]).unwrap();
        let e = Keystore::open(&junk).unwrap_err();
        assert!(matches!(e, Error::Keystore { .. }), "{e}");
    }
}
