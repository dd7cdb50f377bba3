//! Helpers shared by the mdrm-dash integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod xml;

use std::path::{Path, PathBuf};
use std::process::Command;

pub const KID: &str = mdrm_testkit::PEER_KID;
pub const KEY: &str = mdrm_testkit::PEER_KEY;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mdrm-dash"))
}

/// Base64 of hex (for --key-id / --encryption-key).
pub fn b64(hex: &str) -> String {
    keys::to_base64(&mdrm_testkit::hex(hex))
}

/// One run of the binary (shared with the other packager CLIs' tests).
pub use mdrm_testkit::{CliRun as Run, run_cli as run};

/// Packages `inputs` with the fixed test key into `out` with extra flags.
pub fn package(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Run {
    let mut cmd = bin();
    cmd.arg("-i").args(inputs).arg("-o").arg(out);
    cmd.args(["--contents-id", "test-content"]);
    cmd.args(["--encryption-key", &b64(KEY), "--key-id", &b64(KID)]);
    cmd.args(extra);
    let r = run(&mut cmd);
    assert!(
        r.ok && r.code == 0,
        "packaging failed: {}\n{}",
        r.stdout,
        r.stderr
    );
    r
}

pub fn source() -> PathBuf {
    mdrm_testkit::peers_dir().join("source_h264_aac_360p_10s.mp4")
}

/// Every representation folder (holding init.mp4) of a package.
pub fn representation_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("init.mp4").is_file())
        .collect();
    v.sort();
    v
}

/// Runs verify-cenc.sh (ffmpeg 8) on one representation folder.
pub fn verify_cenc(original: &Path, rep: &Path, kid: &str, key: &str) -> (bool, String) {
    let out = Command::new(mdrm_testkit::tools_dir().join("verify-cenc.sh"))
        .arg(original)
        .arg(rep)
        .arg(kid)
        .arg(key)
        .env("FFMPEG", mdrm_testkit::ffmpeg8().unwrap())
        .env("FFPROBE", mdrm_testkit::ffprobe8().unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Plays a manifest with browser-play; returns (exit ok, JSON report).
pub fn play(
    player: &str,
    dir: &Path,
    manifest: &str,
    keys: &[String],
) -> (bool, serde_json::Value) {
    let script = mdrm_testkit::browser_play().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .args([
            "--player",
            player,
            "--manifest",
            manifest,
            "--seconds",
            "3",
            "--timeout",
            "40",
        ])
        .arg("--dir")
        .arg(dir);
    for k in keys {
        cmd.args(["--key", k]);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "browser-play gave no report: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

// ---- Error paths, result documents, logs and config files (errors.rs, log_and_config.rs) ----

/// The result-document checks of the DASH CLI's tests.
pub trait ExpectResult {
    /// Asserts the run ended with `code`: exit status 0/1 and a complete XML result document
    /// (cli.md): exactly the short form on success; ERRORMSG (the code's message), INFO and
    /// WHERE on failure, and the failure logged on stderr.
    fn expect(&self, code: i32) -> &Self;
}

impl ExpectResult for Run {
    fn expect(&self, code: i32) -> &Self {
        let context = format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert_eq!(self.code, code, "{context}");
        assert_eq!(self.ok, code == 0, "exit status; {context}");
        if code == 0 {
            assert_eq!(
                self.stdout,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PallyconPackager>\n<RESULT>0</RESULT>\n</PallyconPackager>\n"
            );
            return self;
        }
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 7, "{context}");
        assert_eq!(lines[0], "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        assert_eq!(lines[1], "<PallyconPackager>");
        assert_eq!(lines[2], format!("<RESULT>{code}</RESULT>"));
        let message = packager::ErrorCode::from_value(code)
            .expect("a documented code")
            .message();
        assert_eq!(self.element("ERRORMSG").as_deref(), Some(message));
        assert!(lines[4].starts_with("<INFO>") && !self.info().is_empty());
        let place = self.element("WHERE").unwrap_or_default();
        assert!(place.starts_with("packager::"), "WHERE {place:?}");
        assert_eq!(lines[6], "</PallyconPackager>");
        assert!(
            self.stderr.contains("Failed file : ") && self.stderr.contains(lines[2]),
            "the failure is logged on stderr; {context}"
        );
        self
    }
}

/// Runs mdrm-dash with `args` in `cwd`.
pub fn run_in<I, S>(cwd: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = bin();
    cmd.args(args).current_dir(cwd);
    run(&mut cmd)
}

/// The flags of a valid external-key job from `input` into `out`.
pub fn job_args(input: &Path, out: &Path) -> Vec<String> {
    vec![
        "--contents-id".into(),
        "test-content".into(),
        "--encryption-key".into(),
        b64(KEY),
        "--key-id".into(),
        b64(KID),
        "-i".into(),
        input.to_str().unwrap().into(),
        "-o".into(),
        out.to_str().unwrap().into(),
    ]
}

/// Names of the entries of a folder, sorted (empty when it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Every file under `dir` (relative path -> bytes), sorted by path.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// True when the tests run as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A test precondition is missing: SKIPPED, or a failure where tools are required (CI).
pub fn skip(why: &str) {
    assert!(!mdrm_testkit::tools_required(), "required on CI: {why}");
    eprintln!("SKIPPED: {why}");
}

/// A small tmpfs, unmounted on drop.
pub struct SmallTmpfs(pub PathBuf);

impl SmallTmpfs {
    /// Mounts a tmpfs of `size` (e.g. "64k") at `at`; `None` when not allowed (not root).
    pub fn mount(at: PathBuf, size: &str) -> Option<Self> {
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallTmpfs(at))
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The workspace's `mdrm-server` binary next to this test's profile folder, built on demand
/// when this test target runs alone (`cargo test -p mdrm-dash`); `None` when it cannot be had.
pub fn server_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?.to_path_buf();
    let path = profile_dir.join("mdrm-server");
    if !path.is_file() {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "--locked", "-p", "mdrm-server"]);
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
        }
        let _ = cmd.current_dir(mdrm_testkit::workspace_root()).status();
    }
    path.is_file().then_some(path)
}

/// A real `mdrm-server` on a free loopback port, with one site (`site_id`, `access_key`) from
/// a settings file and a temporary keystore; killed on drop.
pub struct KeyServer {
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its stdout and stderr.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl KeyServer {
    /// Starts the server; `None` when the binary is not available.
    pub fn start(site_id: &str, access_key: &str) -> Option<KeyServer> {
        let bin = server_bin()?;
        let dir = mdrm_testkit::temp_dir();
        let settings = dir.path().join("mdrm.toml");
        std::fs::write(
            &settings,
            format!(
                "[[sites]]\nsite_id = \"{site_id}\"\naccess_key = \"{access_key}\"\nsite_key = \"0123456789abcdefghijklmnopqrstuv\"\n"
            ),
        )
        .unwrap();
        let port = mdrm_testkit::free_port();
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .arg("--db")
            .arg(dir.path().join("keystore.sqlite"))
            .arg("--secret-file")
            .arg(dir.path().join("server-secret.key"))
            .arg("--config")
            .arg(&settings)
            .args(["--port", &port.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start mdrm-server");
        let mut server = KeyServer {
            child,
            port,
            log,
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("mdrm-server exited with {status}: {}", server.log_text());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "mdrm-server did not start: {}",
                server.log_text()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(server)
    }

    /// `http://127.0.0.1:<port>` (the packagers append the CPIX path).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server logged.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scripted HTTP responder on a free loopback port standing in for a misbehaving key
/// server: every request gets `status` with `body`. Stops on drop.
pub struct ScriptedServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptedServer {
    /// Starts answering.
    pub fn start(status: u16, content_type: &'static str, body: &'static str) -> Self {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                // Read the head, then the body it announces.
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break None,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i + 4);
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while data.len() < head_end + length {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} Scripted\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        ScriptedServer {
            port,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
