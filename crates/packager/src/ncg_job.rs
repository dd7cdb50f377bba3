//! The NCG packaging job: one input file -> one `.ncg` file, and `--decrypt` back.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ncg::{Header, NcgKey, Options, Reader, SiteId};

use crate::args::JobSettings;
use crate::args::KeyMode;
use crate::defaults::DEFAULT_LICENSE_URL;
use crate::error::Error;
use crate::input::{Input, open_input};
use crate::key_source::{self, KeyEnvironment};
use crate::log::PackagingLog;
use crate::output::StagedFile;
use crate::progress::Progress;

/// NCG-specific settings of a job (the common ones are in [`JobSettings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NcgJobOptions {
    /// `--decrypt`: turn an NCG file back into the original.
    pub decrypt: bool,
    /// `--block-size` in bytes (default 64 KiB).
    pub block_size: Option<u64>,
    /// Worker threads (0 = one per CPU core).
    pub threads: usize,
    /// Written into the header's packager extension, e.g. `mdrm-ncg 0.1.0`.
    pub packager: String,
}

/// Runs the job; returns the path of the finished output. Step lines go to `log`, byte counts
/// to `progress`. The caller writes the start/succeed/failed lines and the result document.
pub fn run(
    settings: &JobSettings,
    options: &NcgJobOptions,
    env: &KeyEnvironment,
    log: &mut PackagingLog<'_>,
    progress: &mut dyn Progress,
) -> Result<PathBuf, Error> {
    let input = single_input(settings)?;
    if settings.multi_key {
        log.step("--multi-key has no effect for NCG (one file, one key)");
    }
    if settings.segment_duration.is_some() {
        log.step("--segment-duration has no effect for NCG (the file is not segmented)");
    }
    if options.decrypt {
        decrypt(settings, options, env, input, log, progress)
    } else {
        encrypt(settings, options, env, input, log, progress)
    }
}

/// The one input file of an NCG job.
pub fn single_input(settings: &JobSettings) -> Result<&Path, Error> {
    let at = "packager::ncg_job::single_input";
    match settings.inputs.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::invalid("-i", "an input file is required", at)),
        many => Err(Error::WrongValueCount {
            arg: "-i".into(),
            reason: format!("NCG packages one file per run, got {}", many.len()),
            at,
        }),
    }
}

fn ncg_options(options: &NcgJobOptions) -> Options {
    let default = Options::default();
    Options {
        threads: if options.threads == 0 {
            default.threads
        } else {
            options.threads
        },
        ..default
    }
}

fn encrypt(
    settings: &JobSettings,
    options: &NcgJobOptions,
    env: &KeyEnvironment,
    input_path: &Path,
    log: &mut PackagingLog<'_>,
    progress: &mut dyn Progress,
) -> Result<PathBuf, Error> {
    let at = "packager::ncg_job::encrypt";
    let site_id = settings
        .site_id
        .ok_or_else(|| Error::invalid("--site-id", "required for NCG (exactly 4 bytes)", at))?;
    let block_size = match options.block_size {
        None => ncg::format::DEFAULT_BLOCK_SIZE,
        Some(size) => {
            ncg::format::validate_block_size(size).map_err(|_| Error::InvalidBlockSize {
                arg: "--block-size".into(),
                size,
                at,
            })?
        }
    };
    let mut input = open_input(input_path)?;
    log.step(&format!(
        "Input {}: {} bytes",
        input_path.display(),
        input.size
    ));
    let content_id = key_source::content_id(settings, input_path)?;
    let material = key_source::ncg_key(settings, &content_id, env)?;
    log.step(&format!("Keys: {}", material.source));
    let header = build_header(
        site_id,
        &content_id,
        settings,
        options,
        &input,
        block_size,
        material.key_id,
    )
    .map_err(|source| ncg_error(input_path, input_path, source, at))?;
    log.step(&format!(
        "Site id {}, content id {}, license URL {}",
        header.site_id, header.content_id, header.license_url
    ));
    log.step(&format!(
        "Block size {} bytes, {} blocks",
        header.block_size,
        header.block_count()
    ));
    log.detail(&format!("Crypto: {}", ncg::acceleration()));
    let out_path = encrypt_output_path(settings.output.as_deref(), input_path);
    refuse_input_as_output(input_path, &out_path)?;
    let mut staged = StagedFile::create(&out_path, settings.overwrite)?;
    log.detail(&format!("Writing {}", staged.temp_path().display()));
    progress.start("encrypting", input.size);
    let written = encrypt_to(
        &mut input.file,
        staged.file(),
        &header,
        &material.key,
        ncg_options(options),
        progress,
    )
    .map_err(|source| ncg_error(input_path, &out_path, source, at));
    progress.finish();
    written?;
    if settings.verify {
        progress.start("verifying", input.size);
        let verified = verify_output(
            staged.temp_path(),
            input_path,
            &material.key,
            options,
            progress,
        );
        progress.finish();
        verified.map_err(|source| {
            ncg_error(
                &out_path,
                &out_path,
                source,
                "packager::ncg_job::verify_output",
            )
        })?;
        log.step("Verified: decrypted the output and compared it with the input");
    }
    let final_path = staged.commit()?;
    log.step(&format!("Output {}", final_path.display()));
    Ok(final_path)
}

/// Encrypts `input` into `output` (the NCG body and header). Split out so tests can inject a
/// failing writer.
pub fn encrypt_to<R: Read + Send, W: Write + Send>(
    input: &mut R,
    output: W,
    header: &Header,
    key: &NcgKey,
    options: Options,
    progress: &mut dyn Progress,
) -> Result<W, ncg::Error> {
    ncg::encrypt(input, output, header, key, options, &mut |done| {
        progress.advance(done)
    })
}

/// Re-reads the staged output with the key and compares it with the input, byte for byte.
fn verify_output(
    staged: &Path,
    input_path: &Path,
    key: &NcgKey,
    options: &NcgJobOptions,
    progress: &mut dyn Progress,
) -> Result<(), ncg::Error> {
    let out = File::open(staged).map_err(ncg::Error::Read)?;
    let mut original = File::open(input_path).map_err(ncg::Error::Read)?;
    let mut reader = Reader::open(out, key)?;
    reader.compare_with(&mut original, ncg_options(options), &mut |done| {
        progress.advance(done)
    })
}

fn build_header(
    site_id: [u8; 4],
    content_id: &str,
    settings: &JobSettings,
    options: &NcgJobOptions,
    input: &Input,
    block_size: u32,
    key_id: Option<keys::KeyId>,
) -> Result<Header, ncg::Error> {
    let mut header = Header::new(SiteId(site_id), content_id, input.size)?;
    header.block_size = block_size;
    header.license_url = settings
        .license_url
        .clone()
        .unwrap_or_else(|| DEFAULT_LICENSE_URL.to_owned());
    header.original_name = original_name(&input.path);
    header.mime_type = mime_type(&input.path).to_owned();
    header.key_id = key_id;
    if !options.packager.is_empty() {
        header.set_text_extension(ncg::format::EXTENSION_PACKAGER, &options.packager);
    }
    header.validate()?;
    Ok(header)
}

/// The input's file name as the header stores it: control characters replaced, at most 1024
/// bytes (cut at a character boundary).
fn original_name(path: &Path) -> String {
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let mut end = name.len().min(ncg::format::MAX_FILE_NAME_LEN);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

/// MIME type / container hint from the file extension.
pub fn mime_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "m4a" => "audio/mp4",
        "mov" => "video/quicktime",
        "ts" | "m2ts" => "video/mp2t",
        "mkv" => "video/x-matroska",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "pdf" => "application/pdf",
        "epub" => "application/epub+zip",
        _ => "application/octet-stream",
    }
}

/// Where the `.ncg` file goes: `-o` ending in `.ncg` is the file itself; any other `-o` is a
/// folder receiving `<input name>.ncg`; without `-o`, a folder named after the input's stem.
pub fn encrypt_output_path(output: Option<&Path>, input: &Path) -> PathBuf {
    let file_name = input
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let mut name = file_name.clone();
    name.push(".ncg");
    match output {
        Some(o) if names_ncg_file(o) => o.to_path_buf(),
        Some(o) => o.join(name),
        None => {
            let stem = input.file_stem().unwrap_or(&file_name);
            PathBuf::from(stem).join(name)
        }
    }
}

fn names_ncg_file(o: &Path) -> bool {
    let ends_with_slash = o.as_os_str().as_encoded_bytes().ends_with(b"/");
    !ends_with_slash && !o.is_dir() && o.extension().is_some_and(|e| e.eq_ignore_ascii_case("ncg"))
}

/// Where `--decrypt` writes: `-o` that is an existing folder (or ends in `/`) receives the
/// original file name from the header; any other `-o` is the file; without `-o`, the original
/// name in the current folder.
pub fn decrypt_output_path(output: Option<&Path>, input: &Path, header: &Header) -> PathBuf {
    let name = if header.original_name.is_empty() {
        let stem = input.file_stem().unwrap_or(input.as_os_str());
        PathBuf::from(stem)
    } else {
        PathBuf::from(&header.original_name)
    };
    match output {
        Some(o) if o.is_dir() || o.as_os_str().as_encoded_bytes().ends_with(b"/") => o.join(name),
        Some(o) => o.to_path_buf(),
        None => name,
    }
}

fn decrypt(
    settings: &JobSettings,
    options: &NcgJobOptions,
    env: &KeyEnvironment,
    input_path: &Path,
    log: &mut PackagingLog<'_>,
    progress: &mut dyn Progress,
) -> Result<PathBuf, Error> {
    let at = "packager::ncg_job::decrypt";
    let mut input = open_input(input_path)?;
    // In KMS mode the content id (and site id) come from the header, read before the key is
    // known; the key then authenticates the header when the file is opened.
    let material = match &settings.key_mode {
        KeyMode::External { .. } => key_source::ncg_key(settings, "external", env)?,
        KeyMode::Kms { .. } => {
            let unverified = Header::read_unverified(&mut input.file)
                .map_err(|source| ncg_error(input_path, input_path, source, at))?;
            input
                .file
                .seek(SeekFrom::Start(0))
                .map_err(|source| Error::Input {
                    path: input_path.to_path_buf(),
                    source,
                    at,
                })?;
            let mut with_site = settings.clone();
            if with_site.site_id.is_none() {
                with_site.site_id = Some(unverified.site_id.0);
            }
            key_source::ncg_key(&with_site, &unverified.content_id, env)?
        }
    };
    log.step(&format!("Keys: {}", material.source));
    // The key is checked here, before any output exists.
    let mut reader = Reader::open(input.file, &material.key)
        .map_err(|source| ncg_error(input_path, input_path, source, at))?;
    let header = reader.header().clone();
    check_ids(settings, &header, material.key_id)?;
    let (major, minor) = reader.format_version();
    log.step(&format!(
        "NCG {major}.{minor} file: site id {}, content id {}, {} bytes in {} blocks of {}",
        header.site_id,
        header.content_id,
        header.original_size,
        header.block_count(),
        header.block_size
    ));
    let out_path = decrypt_output_path(settings.output.as_deref(), input_path, &header);
    refuse_input_as_output(input_path, &out_path)?;
    let mut staged = StagedFile::create(&out_path, settings.overwrite)?;
    progress.start("decrypting", header.original_size);
    let done = reader.decrypt_to(staged.file(), ncg_options(options), &mut |done| {
        progress.advance(done)
    });
    progress.finish();
    done.map_err(|source| ncg_error(input_path, &out_path, source, at))?;
    log.step(&format!(
        "Decrypted and verified {} blocks",
        header.block_count()
    ));
    let final_path = staged.commit()?;
    log.step(&format!("Output {}", final_path.display()));
    Ok(final_path)
}

/// Inputs are never modified: an output that would replace the input is refused.
fn refuse_input_as_output(input: &Path, output: &Path) -> Result<(), Error> {
    let same = match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::invalid(
            "-o",
            format!(
                "{} is the input file; inputs are never replaced",
                output.display()
            ),
            "packager::ncg_job::refuse_input_as_output",
        ));
    }
    Ok(())
}

/// With `--decrypt`, ids given on the command line must match the file's.
fn check_ids(
    settings: &JobSettings,
    header: &Header,
    key_id: Option<keys::KeyId>,
) -> Result<(), Error> {
    let at = "packager::ncg_job::check_ids";
    if let Some(site) = settings.site_id
        && site != header.site_id.0
    {
        return Err(Error::invalid(
            "--site-id",
            format!("does not match the file's site id {}", header.site_id),
            at,
        ));
    }
    if let Some(cid) = &settings.content_id
        && *cid != header.content_id
    {
        return Err(Error::invalid(
            "--contents-id",
            format!(
                "does not match the file's content id {:?}",
                header.content_id
            ),
            at,
        ));
    }
    if let (Some(given), Some(stored)) = (key_id, header.key_id)
        && given != stored
    {
        return Err(Error::invalid(
            "--key-id",
            format!("does not match the file's key id {stored}"),
            at,
        ));
    }
    Ok(())
}

fn ncg_error(path: &Path, output: &Path, source: ncg::Error, at: &'static str) -> Error {
    Error::Ncg {
        path: path.to_path_buf(),
        output: output.to_path_buf(),
        source,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{CliProfile, CommonArgs};
    use crate::log::JobKind;
    use crate::progress::{NoProgress, RecordedProgress};
    use std::io;

    fn settings(input: &Path, output: &Path, extra: impl FnOnce(&mut CommonArgs)) -> JobSettings {
        let mut a = CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("cid-42".into()),
            inputs: vec![input.to_path_buf()],
            output: Some(output.to_path_buf()),
            encryption_key: Some(keys::to_base64(&[0x11u8; 32])),
            ..CommonArgs::default()
        };
        extra(&mut a);
        a.validate(CliProfile::NCG).unwrap()
    }

    fn options(decrypt: bool) -> NcgJobOptions {
        NcgJobOptions {
            decrypt,
            block_size: Some(4096),
            threads: 2,
            packager: "mdrm-ncg test".into(),
        }
    }

    #[test]
    fn encrypt_then_decrypt_restores_the_file() {
        let dir = mdrm_testkit::temp_dir();
        let input = dir.path().join("clip.mp4");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&input, &data).unwrap();
        let s = settings(&input, &dir.path().join("out"), |_| {});
        let mut log = PackagingLog::new(JobKind::Ncg);
        let mut progress = RecordedProgress::default();
        let ncg_path = run(
            &s,
            &options(false),
            &KeyEnvironment::default(),
            &mut log,
            &mut progress,
        )
        .unwrap();
        assert_eq!(ncg_path, dir.path().join("out/clip.mp4.ncg"));
        assert_eq!(progress.phases[0], ("encrypting".to_string(), 100_000));
        assert_eq!(progress.phases[1].0, "verifying");
        assert_eq!(progress.finished, 2);
        let file = std::fs::read(&ncg_path).unwrap();
        let reader =
            Reader::open(io::Cursor::new(&file), &NcgKey::from_bytes(&[0x11; 32])).unwrap();
        let h = reader.header();
        assert_eq!(h.original_name, "clip.mp4");
        assert_eq!(h.mime_type, "video/mp4");
        assert_eq!(h.license_url, DEFAULT_LICENSE_URL);
        assert_eq!(h.packager(), Some("mdrm-ncg test"));
        let mut d = CommonArgs {
            inputs: vec![ncg_path.clone()],
            output: Some(dir.path().join("back/")),
            encryption_key: Some(keys::to_base64(&[0x11u8; 32])),
            ..CommonArgs::default()
        };
        let back = run(
            &d.validate(CliProfile::NCG_DECRYPT).unwrap(),
            &options(true),
            &KeyEnvironment::default(),
            &mut log,
            &mut NoProgress,
        )
        .unwrap();
        assert_eq!(back, dir.path().join("back/clip.mp4"));
        assert_eq!(std::fs::read(&back).unwrap(), data);
        // Mismatching ids are refused before any output.
        d.contents_id = Some("other".into());
        d.output = Some(dir.path().join("again.mp4"));
        let e = run(
            &d.validate(CliProfile::NCG_DECRYPT).unwrap(),
            &options(true),
            &KeyEnvironment::default(),
            &mut log,
            &mut NoProgress,
        )
        .unwrap_err();
        assert!(e.info().starts_with("--contents-id"));
        assert!(!dir.path().join("again.mp4").exists());
    }

    /// A writer that fails with "no space left on device" after `room` bytes.
    struct FullDisk {
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn disk_full_while_writing_is_1205() {
        let data = vec![7u8; 50_000];
        let mut header = Header::new(SiteId(*b"DEMO"), "c", data.len() as u64).unwrap();
        header.block_size = 4096;
        let key = NcgKey::from_bytes(&[1; 32]);
        let source = encrypt_to(
            &mut &data[..],
            FullDisk { room: 10_000 },
            &header,
            &key,
            Options {
                threads: 1,
                batch_bytes: 4096,
            },
            &mut NoProgress,
        )
        .err()
        .unwrap();
        let e = ncg_error(Path::new("in.mp4"), Path::new("out.ncg"), source, "test");
        assert_eq!(e.code().value(), 1205, "{e}");
        // The message names the file that could not be written, not the input.
        assert!(e.to_string().starts_with("out.ncg: write failed"), "{e}");
    }

    #[test]
    fn block_size_and_inputs_are_checked_first() {
        let dir = mdrm_testkit::temp_dir();
        let input = dir.path().join("a.bin");
        std::fs::write(&input, b"abc").unwrap();
        let s = settings(&input, &dir.path().join("o.ncg"), |_| {});
        let mut log = PackagingLog::new(JobKind::Ncg);
        let mut bad = options(false);
        bad.block_size = Some(5000);
        let e = run(
            &s,
            &bad,
            &KeyEnvironment::default(),
            &mut log,
            &mut NoProgress,
        )
        .unwrap_err();
        assert_eq!(e.code().value(), 2003);
        assert!(e.info().starts_with("--block-size"));
        let two = settings(&input, &dir.path().join("o.ncg"), |a| {
            a.inputs.push("b.bin".into())
        });
        assert_eq!(
            run(
                &two,
                &options(false),
                &KeyEnvironment::default(),
                &mut log,
                &mut NoProgress
            )
            .unwrap_err()
            .code()
            .value(),
            1103
        );
        assert!(!dir.path().join("o.ncg").exists());
    }

    #[test]
    fn the_input_is_never_the_output() {
        let dir = mdrm_testkit::temp_dir();
        let input = dir.path().join("a.ncg");
        std::fs::write(&input, b"data").unwrap();
        let s = settings(&input, &input, |a| a.overwrite = true);
        let mut log = PackagingLog::new(JobKind::Ncg);
        let e = run(
            &s,
            &options(false),
            &KeyEnvironment::default(),
            &mut log,
            &mut NoProgress,
        )
        .unwrap_err();
        assert_eq!(e.code().value(), 1102);
        assert!(e.info().starts_with("-o"));
        assert_eq!(std::fs::read(&input).unwrap(), b"data");
    }

    #[test]
    fn output_paths() {
        let input = Path::new("/media/movie.mp4");
        assert_eq!(
            encrypt_output_path(None, input),
            PathBuf::from("movie/movie.mp4.ncg")
        );
        assert_eq!(
            encrypt_output_path(Some(Path::new("/x/out.NCG")), input),
            PathBuf::from("/x/out.NCG")
        );
        assert_eq!(
            encrypt_output_path(Some(Path::new("/x/folder")), input),
            PathBuf::from("/x/folder/movie.mp4.ncg")
        );
        assert_eq!(
            encrypt_output_path(Some(Path::new("/x/f.ncg/")), input),
            PathBuf::from("/x/f.ncg/movie.mp4.ncg")
        );
        let mut h = Header::new(SiteId(*b"DEMO"), "c", 1).unwrap();
        h.original_name = "orig.mp4".into();
        let ncg_in = Path::new("/d/movie.mp4.ncg");
        assert_eq!(
            decrypt_output_path(None, ncg_in, &h),
            PathBuf::from("orig.mp4")
        );
        assert_eq!(
            decrypt_output_path(Some(Path::new("/tmp/")), ncg_in, &h),
            PathBuf::from("/tmp/orig.mp4")
        );
        assert_eq!(
            decrypt_output_path(Some(Path::new("/x/restored.mp4")), ncg_in, &h),
            PathBuf::from("/x/restored.mp4")
        );
        h.original_name.clear();
        assert_eq!(
            decrypt_output_path(None, ncg_in, &h),
            PathBuf::from("movie.mp4")
        );
        assert_eq!(original_name(Path::new("/a/b\nc.mp4")), "b_c.mp4");
        assert_eq!(
            original_name(&Path::new("/a").join("é".repeat(600))).len(),
            1024
        );
        assert_eq!(mime_type(Path::new("x.MP4")), "video/mp4");
        assert_eq!(mime_type(Path::new("x")), "application/octet-stream");
    }
}
