//! Atomic output: a job writes into a staging file or folder with a temporary name inside the
//! destination's parent folder (same file system), which is renamed into place only when the
//! output is complete. On failure, or when the value is dropped without `commit`, the staging
//! output and any folders created for it are removed, so a failed job leaves nothing at `-o`.
//!
//! An existing non-empty output is only replaced with `--overwrite`, and then only after the
//! new output is complete (one `rename` for a file; for a folder, the old one is moved aside,
//! the new one moved in, the old one deleted).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, OutputStage, PATH_MAX, has_long_component};

/// Checks `path` against the file-system name limits before any work is done:
/// a component over 255 bytes is 1204, a path over 4095 bytes is 1203.
pub fn check_output_path(path: &Path) -> Result<(), Error> {
    let at = "packager::output::check_output_path";
    if has_long_component(path) {
        return Err(Error::OutputPathLimit {
            path: path.to_path_buf(),
            component_too_long: true,
            at,
        });
    }
    if path.as_os_str().len() >= PATH_MAX {
        return Err(Error::OutputPathLimit {
            path: path.to_path_buf(),
            component_too_long: false,
            at,
        });
    }
    Ok(())
}

/// Refuses an output path that is one of the inputs or a folder holding one: writing there
/// (with `--overwrite`) would delete the input. Paths are compared after resolving links.
pub fn check_output_keeps_inputs(output: &Path, inputs: &[&Path]) -> Result<(), Error> {
    let Ok(out) = fs::canonicalize(output) else {
        // The output does not exist yet: nothing in it can be lost.
        return Ok(());
    };
    for input in inputs {
        if let Ok(resolved) = fs::canonicalize(input)
            && resolved.starts_with(&out)
        {
            return Err(Error::invalid(
                "-o",
                format!(
                    "{} is or holds the input {}: choose another output folder",
                    output.display(),
                    input.display()
                ),
                "packager::output::check_output_keeps_inputs",
            ));
        }
    }
    Ok(())
}

/// True when `path` exists and is a non-empty file or folder (or anything else).
fn exists_non_empty(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => m.len() > 0,
        Ok(m) if m.is_dir() => fs::read_dir(path).map_or(true, |mut d| d.next().is_some()),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// A short temporary name in the destination folder (never longer than the limit, whatever the
/// final name's length).
fn staging_name(kind: &str) -> Result<String, io::Error> {
    let mut random = [0u8; 6];
    keys::fill_random(&mut random)
        .map_err(|_| io::Error::other("the OS random number generator failed"))?;
    Ok(format!(
        ".mdrm-{kind}-{}-{}.partial",
        std::process::id(),
        keys::to_hex(&random)
    ))
}

/// Creates the missing ancestors of `dir`; returns the ones created, outermost first.
fn create_parents(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    missing.reverse();
    for d in &missing {
        match fs::create_dir(d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => {
                remove_created(&missing);
                return Err(e);
            }
        }
    }
    Ok(missing)
}

/// Removes folders created for the output (innermost first) when they are empty.
fn remove_created(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a folder's entry table to disk (best effort; not all systems allow it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// One output file written atomically.
pub struct StagedFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    file: File,
    created_dirs: Vec<PathBuf>,
    committed: bool,
}

impl StagedFile {
    /// Checks the path, refuses an existing non-empty output unless `overwrite`, creates the
    /// missing parent folders and the staging file next to `final_path`.
    pub fn create(final_path: &Path, overwrite: bool) -> Result<Self, Error> {
        let at = "packager::output::StagedFile::create";
        check_output_path(final_path)?;
        if !overwrite && exists_non_empty(final_path) {
            return Err(Error::OutputExists {
                path: final_path.to_path_buf(),
                at,
            });
        }
        let create_err = |source| Error::Output {
            path: final_path.to_path_buf(),
            source,
            stage: OutputStage::Create,
            at,
        };
        let parent = parent_of(final_path);
        let created_dirs = create_parents(parent).map_err(create_err)?;
        let staged = |created_dirs: Vec<PathBuf>| -> io::Result<StagedFile> {
            let temp_path = parent.join(staging_name("file")?);
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp_path)?;
            Ok(StagedFile {
                final_path: final_path.to_path_buf(),
                temp_path,
                file,
                created_dirs,
                committed: false,
            })
        };
        staged(created_dirs.clone()).map_err(|e| {
            remove_created(&created_dirs);
            create_err(e)
        })
    }

    /// The staging file to write into.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Path of the staging file (e.g. to reopen it for a read-back check).
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// The final path.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Flushes the data to disk and renames the staging file into place (replacing an existing
    /// file atomically). Returns the final path.
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        let at = "packager::output::StagedFile::commit";
        self.file.sync_all().map_err(|source| Error::Output {
            path: self.final_path.clone(),
            source,
            stage: OutputStage::Write,
            at,
        })?;
        fs::rename(&self.temp_path, &self.final_path).map_err(|source| Error::Output {
            path: self.final_path.clone(),
            source,
            stage: OutputStage::Finalize,
            at,
        })?;
        self.committed = true;
        sync_dir(parent_of(&self.final_path));
        Ok(self.final_path.clone())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp_path);
            remove_created(&self.created_dirs);
        }
    }
}

/// One output folder (DASH/HLS packages) written atomically.
pub struct StagedDir {
    final_path: PathBuf,
    temp_path: PathBuf,
    created_dirs: Vec<PathBuf>,
    overwrite: bool,
    committed: bool,
}

impl StagedDir {
    /// Checks the path, refuses an existing non-empty folder unless `overwrite`, creates the
    /// missing parents and an empty staging folder next to `final_path`.
    pub fn create(final_path: &Path, overwrite: bool) -> Result<Self, Error> {
        let at = "packager::output::StagedDir::create";
        check_output_path(final_path)?;
        if !overwrite && exists_non_empty(final_path) {
            return Err(Error::OutputExists {
                path: final_path.to_path_buf(),
                at,
            });
        }
        let create_err = |source| Error::Output {
            path: final_path.to_path_buf(),
            source,
            stage: OutputStage::Create,
            at,
        };
        let parent = parent_of(final_path);
        let created_dirs = create_parents(parent).map_err(create_err)?;
        let temp = staging_name("dir").and_then(|name| {
            let p = parent.join(name);
            fs::create_dir(&p).map(|()| p)
        });
        match temp {
            Ok(temp_path) => Ok(StagedDir {
                final_path: final_path.to_path_buf(),
                temp_path,
                created_dirs,
                overwrite,
                committed: false,
            }),
            Err(e) => {
                remove_created(&created_dirs);
                Err(create_err(e))
            }
        }
    }

    /// The staging folder to write into.
    pub fn path(&self) -> &Path {
        &self.temp_path
    }

    /// The final path.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Reports an output failure inside the staging folder under the final path the user
    /// asked for (`out/video_1/3.m4s`, not the temporary name); other errors pass unchanged.
    pub fn final_error(&self, error: Error) -> Error {
        match error {
            Error::Output {
                path,
                source,
                stage,
                at,
            } => Error::Output {
                path: match path.strip_prefix(&self.temp_path) {
                    Ok(rel) if rel.as_os_str().is_empty() => self.final_path.clone(),
                    Ok(rel) => self.final_path.join(rel),
                    Err(_) => path,
                },
                source,
                stage,
                at,
            },
            other => other,
        }
    }

    /// Moves the finished folder into place. An existing empty folder is replaced by one
    /// rename; an existing non-empty one (with `overwrite`) is moved aside first and deleted
    /// after the new one is in place.
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        let at = "packager::output::StagedDir::commit";
        let fail = |source| Error::Output {
            path: self.final_path.clone(),
            source,
            stage: OutputStage::Finalize,
            at,
        };
        sync_dir(&self.temp_path);
        let mut aside = None;
        if exists_non_empty(&self.final_path) {
            if !self.overwrite {
                return Err(Error::OutputExists {
                    path: self.final_path.clone(),
                    at,
                });
            }
            let old = parent_of(&self.final_path).join(staging_name("old").map_err(fail)?);
            fs::rename(&self.final_path, &old).map_err(fail)?;
            aside = Some(old);
        }
        if let Err(e) = fs::rename(&self.temp_path, &self.final_path) {
            if let Some(old) = &aside {
                let _ = fs::rename(old, &self.final_path);
            }
            return Err(fail(e));
        }
        self.committed = true;
        if let Some(old) = aside {
            let _ = remove_any(&old);
        }
        sync_dir(parent_of(&self.final_path));
        Ok(self.final_path.clone())
    }
}

fn remove_any(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.temp_path);
            remove_created(&self.created_dirs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn file_appears_only_on_commit() {
        let dir = mdrm_testkit::temp_dir();
        let target = dir.path().join("sub/deeper/out.ncg");
        let mut staged = StagedFile::create(&target, false).unwrap();
        staged.file().write_all(b"hello").unwrap();
        assert!(!target.exists());
        assert!(
            staged
                .temp_path()
                .starts_with(dir.path().join("sub/deeper"))
        );
        let done = staged.commit().unwrap();
        assert_eq!(done, target);
        assert_eq!(fs::read(&target).unwrap(), b"hello");
        assert_eq!(entries(&dir.path().join("sub/deeper")), ["out.ncg"]);
    }

    #[test]
    fn drop_without_commit_leaves_nothing_not_even_created_folders() {
        let dir = mdrm_testkit::temp_dir();
        let target = dir.path().join("a/b/out.ncg");
        {
            let mut staged = StagedFile::create(&target, false).unwrap();
            staged.file().write_all(b"partial").unwrap();
        }
        assert!(entries(dir.path()).is_empty());
        // A folder that existed before stays.
        fs::create_dir(dir.path().join("keep")).unwrap();
        drop(StagedFile::create(&dir.path().join("keep/x"), false).unwrap());
        assert_eq!(entries(dir.path()), ["keep"]);
        assert!(entries(&dir.path().join("keep")).is_empty());
    }

    #[test]
    fn existing_output_needs_overwrite() {
        let dir = mdrm_testkit::temp_dir();
        let target = dir.path().join("out.ncg");
        fs::write(&target, b"old").unwrap();
        let e = StagedFile::create(&target, false).err().unwrap();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().contains("--overwrite"));
        let mut staged = StagedFile::create(&target, true).unwrap();
        staged.file().write_all(b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old", "old stays until commit");
        staged.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        // An empty existing file may be replaced without --overwrite.
        let empty = dir.path().join("empty");
        fs::write(&empty, b"").unwrap();
        StagedFile::create(&empty, false).unwrap().commit().unwrap();
    }

    #[test]
    fn failed_rename_is_1206_and_cleans_up() {
        let dir = mdrm_testkit::temp_dir();
        let target = dir.path().join("out.ncg");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"x").unwrap();
        let staged = StagedFile::create(&target, true).unwrap();
        let e = staged.commit().unwrap_err();
        assert_eq!(e.code().value(), 1206, "{e}");
        assert_eq!(entries(dir.path()), ["out.ncg"]);
    }

    #[test]
    fn an_output_holding_an_input_is_refused() {
        let dir = mdrm_testkit::temp_dir();
        let input = dir.path().join("media/movie.mp4");
        fs::create_dir(dir.path().join("media")).unwrap();
        fs::write(&input, b"x").unwrap();
        for out in [
            dir.path().join("media"),
            input.clone(),
            dir.path().to_path_buf(),
        ] {
            let e = check_output_keeps_inputs(&out, &[input.as_path()]).unwrap_err();
            assert_eq!(e.code().value(), 1102);
            assert!(e.info().starts_with("-o"), "{}", e.info());
        }
        let elsewhere = dir.path().join("out");
        assert!(check_output_keeps_inputs(&elsewhere, &[input.as_path()]).is_ok());
        fs::create_dir(&elsewhere).unwrap();
        assert!(check_output_keeps_inputs(&elsewhere, &[input.as_path()]).is_ok());
    }

    #[test]
    fn path_limits() {
        let long_name = Path::new("/tmp").join("n".repeat(256));
        let e = check_output_path(&long_name).unwrap_err();
        assert_eq!(e.code().value(), 1204);
        let deep: PathBuf = std::iter::once("/tmp".to_string())
            .chain(std::iter::repeat_n("d".repeat(100), 41))
            .collect();
        let e = check_output_path(&deep).unwrap_err();
        assert_eq!(e.code().value(), 1203);
        assert!(check_output_path(&Path::new("/tmp").join("n".repeat(255))).is_ok());
        assert!(StagedFile::create(&long_name, false).is_err());
    }

    #[test]
    fn staged_dir_replaces_atomically() {
        let dir = mdrm_testkit::temp_dir();
        let target = dir.path().join("pkg");
        let staged = StagedDir::create(&target, false).unwrap();
        fs::write(staged.path().join("manifest.mpd"), b"v1").unwrap();
        assert!(!target.exists());
        staged.commit().unwrap();
        assert_eq!(fs::read(target.join("manifest.mpd")).unwrap(), b"v1");
        assert_eq!(
            StagedDir::create(&target, false)
                .err()
                .unwrap()
                .code()
                .value(),
            1102
        );
        let staged = StagedDir::create(&target, true).unwrap();
        fs::write(staged.path().join("manifest.mpd"), b"v2").unwrap();
        assert_eq!(fs::read(target.join("manifest.mpd")).unwrap(), b"v1");
        staged.commit().unwrap();
        assert_eq!(fs::read(target.join("manifest.mpd")).unwrap(), b"v2");
        assert_eq!(entries(dir.path()), ["pkg"]);
        // Output errors inside the staging folder name the final path.
        let staged = StagedDir::create(&dir.path().join("named"), false).unwrap();
        let e = staged.final_error(Error::Output {
            path: staged.path().join("video/1.m4s"),
            source: io::Error::from(io::ErrorKind::StorageFull),
            stage: OutputStage::Write,
            at: "t",
        });
        assert_eq!(e.code().value(), 1205);
        assert!(e.info().contains("named/video/1.m4s"), "{}", e.info());
        assert!(!e.info().contains(".partial"), "{}", e.info());
        drop(staged);
        // Dropped without commit: nothing new remains.
        let staged = StagedDir::create(&dir.path().join("other"), false).unwrap();
        fs::write(staged.path().join("seg.m4s"), b"x").unwrap();
        drop(staged);
        assert_eq!(entries(dir.path()), ["pkg"]);
    }
}
