//! Opening input files with the documented codes: missing 1201, not accessible 1202, size
//! unreadable (or not a regular file, e.g. a pipe or device) 1207, a folder 1102.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::Error;

const AT: &str = "packager::input::open_input";

/// An opened input file and its size.
#[derive(Debug)]
pub struct Input {
    /// The path as given.
    pub path: PathBuf,
    /// The open file.
    pub file: File,
    /// Its size in bytes.
    pub size: u64,
}

/// Opens `path` for reading and reads its size.
pub fn open_input(path: &Path) -> Result<Input, Error> {
    let io_err = |source| Error::Input {
        path: path.to_path_buf(),
        source,
        at: AT,
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "-i",
            format!("{} is a folder, not a file", path.display()),
            AT,
        ));
    }
    if !meta.is_file() {
        return Err(Error::InputSize {
            path: path.to_path_buf(),
            reason: "not a regular file (pipe, socket or device): its size is unknown".into(),
            at: AT,
        });
    }
    let file = File::open(path).map_err(io_err)?;
    let size = file
        .metadata()
        .map_err(|e| Error::InputSize {
            path: path.to_path_buf(),
            reason: e.to_string(),
            at: AT,
        })?
        .len();
    Ok(Input {
        path: path.to_path_buf(),
        file,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_for_each_input_problem() {
        let dir = mdrm_testkit::temp_dir();
        let missing = open_input(&dir.path().join("nope.mp4")).unwrap_err();
        assert_eq!(missing.code().value(), 1201);
        assert!(missing.info().contains("nope.mp4"));
        assert_eq!(open_input(dir.path()).unwrap_err().code().value(), 1102);
        assert_eq!(
            open_input(Path::new("/dev/null"))
                .unwrap_err()
                .code()
                .value(),
            1207
        );
        let f = dir.path().join("a.bin");
        fs::write(&f, b"12345").unwrap();
        let input = open_input(&f).unwrap();
        assert_eq!(input.size, 5);
        let under_file = open_input(&f.join("x")).unwrap_err();
        assert_eq!(under_file.code().value(), 1202, "ENOTDIR: not accessible");
    }
}
