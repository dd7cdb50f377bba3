//! The local recipient registry: one JSON file, changed under an exclusive lock (a sibling
//! `.lock` file) and replaced atomically (temporary file, then rename), so concurrent jobs
//! never lose an update or hand out an ID twice.
//!
//! The file records its owner (site id and an HMAC of the access key, never the key): a job
//! run with other credentials fails with code 30 instead of mixing two sites' IDs.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{JobRecord, Recipient, RecipientRegistry, check_name, now};
use crate::credentials::Credentials;
use crate::error::{ErrorCode, Failure, Result, fail};

const FORMAT: &str = "mdrm-dwm-registry/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Owner {
    site_id: String,
    access_check: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Db {
    format: String,
    owner: Owner,
    next_id: u64,
    recipients: Vec<Recipient>,
    jobs: Vec<JobRecord>,
}

/// The JSON-file registry.
#[derive(Debug)]
pub struct LocalRegistry {
    path: PathBuf,
    owner: Owner,
}

fn owner_of(creds: &Credentials) -> Owner {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(creds.access_key.expose().as_bytes())
        .expect("any key length");
    mac.update(b"mdrm-dwm/v1/registry-owner/");
    mac.update(creds.site_id.as_bytes());
    Owner {
        site_id: creds.site_id.clone(),
        access_check: keys::to_hex(&mac.finalize().into_bytes()),
    }
}

/// Holds the registry's lock file locked while alive.
struct Lock(File);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl LocalRegistry {
    /// Opens (or, on first use, prepares) the registry at `path` for `creds`' owner.
    pub fn open(path: &Path, creds: &Credentials) -> Result<Self> {
        let reg = LocalRegistry {
            path: path.to_path_buf(),
            owner: owner_of(creds),
        };
        // Check ownership now, so a mismatch is reported before any work starts.
        let _lock = reg.lock()?;
        reg.read()?;
        Ok(reg)
    }

    /// The registry file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<Lock> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| {
            Failure::new(
                ErrorCode::RegistryCorrupt,
                format!("registry folder {}: {e}", dir.display()),
            )
        })?;
        let lock_path = self.path.with_extension("lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                Failure::new(
                    ErrorCode::RegistryCorrupt,
                    format!("registry lock {}: {e}", lock_path.display()),
                )
            })?;
        f.lock().map_err(|e| {
            Failure::new(
                ErrorCode::InternalState,
                format!("cannot lock {}: {e}", lock_path.display()),
            )
        })?;
        Ok(Lock(f))
    }

    /// Reads the database (an empty one owned by us when the file does not exist yet).
    fn read(&self) -> Result<Db> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Db {
                    format: FORMAT.into(),
                    owner: self.owner.clone(),
                    next_id: 1,
                    recipients: Vec::new(),
                    jobs: Vec::new(),
                });
            }
            Err(e) => {
                return fail(
                    ErrorCode::RegistryCorrupt,
                    format!("registry {}: {e}", self.path.display()),
                );
            }
        };
        let db: Db = serde_json::from_str(&text).map_err(|e| {
            Failure::new(
                ErrorCode::RegistryCorrupt,
                format!("registry {} is corrupt: {e}", self.path.display()),
            )
        })?;
        if db.format != FORMAT {
            return fail(
                ErrorCode::RegistryCorrupt,
                format!(
                    "registry {} has format {:?}, expected {FORMAT:?}",
                    self.path.display(),
                    db.format
                ),
            );
        }
        if db.owner != self.owner {
            return fail(
                ErrorCode::AccessKeyCheck,
                format!(
                    "registry {} belongs to site {:?}; these credentials (site {:?}) do not match its access key",
                    self.path.display(),
                    db.owner.site_id,
                    self.owner.site_id
                ),
            );
        }
        Ok(db)
    }

    fn write(&self, db: &Db) -> Result<()> {
        let text = serde_json::to_string_pretty(db)
            .map_err(|e| Failure::new(ErrorCode::InternalState, format!("registry encode: {e}")))?;
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Failure::new(
                ErrorCode::RegistryCorrupt,
                format!("registry {}: cannot write: {e}", self.path.display()),
            )
        })
    }

    fn update<T>(&self, f: impl FnOnce(&mut Db) -> Result<T>) -> Result<T> {
        let _lock = self.lock()?;
        let mut db = self.read()?;
        let out = f(&mut db)?;
        self.write(&db)?;
        Ok(out)
    }

    fn view<T>(&self, f: impl FnOnce(&Db) -> T) -> Result<T> {
        let _lock = self.lock()?;
        Ok(f(&self.read()?))
    }
}

impl RecipientRegistry for LocalRegistry {
    fn add(&mut self, name: &str) -> Result<Recipient> {
        check_name(name)?;
        self.update(|db| {
            if db.recipients.iter().any(|r| r.name == name) {
                return fail(
                    ErrorCode::RecipientExists,
                    format!("recipient {name:?} is already registered"),
                );
            }
            if db.next_id > dwm_core::DwmId::MAX {
                return fail(
                    ErrorCode::IdSpaceExhausted,
                    "all 4294967295 DWM IDs are in use",
                );
            }
            let r = Recipient {
                name: name.to_string(),
                dwm_id: db.next_id as u32,
                registered: now(),
            };
            db.next_id += 1;
            db.recipients.push(r.clone());
            Ok(r)
        })
    }

    fn list(&self) -> Result<Vec<Recipient>> {
        self.view(|db| db.recipients.clone())
    }

    fn by_name(&self, name: &str) -> Result<Option<Recipient>> {
        self.view(|db| db.recipients.iter().find(|r| r.name == name).cloned())
    }

    fn by_id(&self, dwm_id: u32) -> Result<Option<Recipient>> {
        self.view(|db| db.recipients.iter().find(|r| r.dwm_id == dwm_id).cloned())
    }

    fn record_job(&mut self, job: JobRecord) -> Result<()> {
        self.update(|db| {
            if !db
                .recipients
                .iter()
                .any(|r| r.name == job.recipient && r.dwm_id == job.dwm_id)
            {
                return fail(
                    ErrorCode::InternalState,
                    format!(
                        "job record for {:?} with ID {} does not match the registry",
                        job.recipient, job.dwm_id
                    ),
                );
            }
            db.jobs.push(job);
            Ok(())
        })
    }

    fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.view(|db| db.jobs.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Credentials;

    fn creds(site: &str, access: &str) -> Credentials {
        Credentials::parse(
            &format!("site_id={site}\nsite_key=0123456789abcdef-key\naccess_key={access}\n"),
            Path::new("c"),
        )
        .unwrap()
    }

    #[test]
    fn serial_ids_jobs_and_persistence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/registry.json");
        let c = creds("ABCD", "c2VjcmV0");
        let mut r = LocalRegistry::open(&path, &c).unwrap();
        assert_eq!(r.add("alice").unwrap().dwm_id, 1);
        assert_eq!(r.add("bob").unwrap().dwm_id, 2);
        assert_eq!(r.add("alice").unwrap_err().code, ErrorCode::RecipientExists);
        assert_eq!(r.add("a/b").unwrap_err().code, ErrorCode::RecipientName);
        r.record_job(JobRecord {
            account_id: "acc".into(),
            content_id: "film".into(),
            recipient: "bob".into(),
            dwm_id: 2,
            output: "/o/film_bob_2.mp4".into(),
            time: now(),
        })
        .unwrap();
        let bad = JobRecord {
            dwm_id: 7,
            ..r.jobs().unwrap()[0].clone()
        };
        assert_eq!(
            r.record_job(bad).unwrap_err().code,
            ErrorCode::InternalState
        );
        let again = LocalRegistry::open(&path, &c).unwrap();
        assert_eq!(again.by_id(2).unwrap().unwrap().name, "bob");
        assert_eq!(again.by_name("alice").unwrap().unwrap().dwm_id, 1);
        assert!(again.by_id(3).unwrap().is_none());
        assert_eq!(again.jobs().unwrap().len(), 1);
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("c2VjcmV0"), "access key stored in clear");
    }

    #[test]
    fn other_credentials_fail_the_access_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.json");
        let mut r = LocalRegistry::open(&path, &creds("ABCD", "c2VjcmV0")).unwrap();
        r.add("alice").unwrap();
        let e = LocalRegistry::open(&path, &creds("ABCD", "b3RoZXI=")).unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessKeyCheck);
        let e = LocalRegistry::open(&path, &creds("WXYZ", "c2VjcmV0")).unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessKeyCheck);
    }

    #[test]
    fn corrupt_file_is_305() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.json");
        fs::write(&path, "{ not json").unwrap();
        let e = LocalRegistry::open(&path, &creds("ABCD", "c2VjcmV0")).unwrap_err();
        assert_eq!(e.code, ErrorCode::RegistryCorrupt);
    }

    #[test]
    fn concurrent_adds_never_share_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.json");
        let c = creds("ABCD", "c2VjcmV0");
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let (path, c) = (path.clone(), c.clone());
                std::thread::spawn(move || {
                    let mut r = LocalRegistry::open(&path, &c).unwrap();
                    (0..10)
                        .map(|i| r.add(&format!("r{t}-{i}")).unwrap().dwm_id)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ids: Vec<u32> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, (1..=40).collect::<Vec<_>>());
    }
}
