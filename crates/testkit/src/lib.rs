//! Test support shared by mdrm's crates (dev-dependency only).
//!
//! Conventions every test in the workspace follows:
//! - Shared media and peer tools live in the `shared/` folder next to the repository
//!   (`../shared` from the workspace root), or wherever `MDRM_SHARED` points.
//! - A test that needs an external tool (ffmpeg, redis-server, chromium, ...) asks [`tool`].
//!   When the tool is missing the test is skipped with a message on stderr, unless
//!   `MDRM_REQUIRE_TOOLS=1` is set (as `scripts/test.sh` and CI do): then it fails, so a
//!   CI run can never pass by skipping.
//! - Larger generated media come from [`generated_media`], made once per checkout by
//!   `shared/tools/make-test-media.sh` under `target/testmedia`.

use std::ffi::OsStr;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod servers;

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // crates/testkit -> workspace root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("testkit lives two levels below the workspace root")
        .to_path_buf()
}

/// The shared folder (`$MDRM_SHARED`, else `../shared` next to the workspace root).
///
/// Panics with a clear message when it does not exist: tests that need shared media
/// cannot run without it.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("MDRM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("..").join("shared"));
    assert!(
        dir.join("testmedia").is_dir(),
        "shared test media not found at {} (set MDRM_SHARED to the shared/ folder)",
        dir.display()
    );
    dir
}

/// `shared/testmedia`.
pub fn testmedia_dir() -> PathBuf {
    shared_dir().join("testmedia")
}

/// `shared/testmedia/peers`: a source file and its encryptions by GPAC and Bento4.
pub fn peers_dir() -> PathBuf {
    testmedia_dir().join("peers")
}

/// `shared/tools`: verification scripts (verify-cenc.sh, ...).
pub fn tools_dir() -> PathBuf {
    shared_dir().join("tools")
}

/// The test key of the peer files (`shared/testmedia/peers/README.md`): KID.
pub const PEER_KID: &str = "abba271e8bcf552bbd2e86a434a9a5d9";
/// The test key of the peer files: content key.
pub const PEER_KEY: &str = "69eaa802a6763af979e8d1940fb88392";
/// The test key of the peer files: 8-byte cenc IV.
pub const PEER_IV_CENC: &str = "d5fbd6b82ed93e4e";
/// The test key of the peer files: 16-byte constant cbcs IV.
pub const PEER_IV_CBCS: &str = "d5fbd6b82ed93e4ef98ae40931ee33b7";

/// Every file under `dir` (recursively) whose extension is one of `exts` (lower case), sorted.
pub fn files_with_extension(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(OsStr::to_str)
                .is_some_and(|x| exts.contains(&x.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// True when `MDRM_REQUIRE_TOOLS=1`: missing tools fail tests instead of skipping them.
pub fn tools_required() -> bool {
    std::env::var("MDRM_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Locates an external tool: `$ENV_VAR` if set (e.g. `FFMPEG8`), else `name` on `PATH`.
///
/// Returns `None` (after saying so on stderr) when it is missing and tools are not
/// required; panics when they are (see the crate docs).
pub fn tool(name: &str, env_var: Option<&str>) -> Option<PathBuf> {
    if let Some(var) = env_var
        && let Some(p) = std::env::var_os(var)
    {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
    }
    if let Some(p) = find_on_path(name) {
        return Some(p);
    }
    let what = match env_var {
        Some(v) => format!("`{name}` (or ${v})"),
        None => format!("`{name}`"),
    };
    if tools_required() {
        panic!("required tool {what} not found; scripts/test.sh installs it");
    }
    report_skip(&format!(
        "tool {what} not found (run scripts/test.sh to install test tools)"
    ));
    None
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// ffmpeg 8 (static build from `install-peers.sh`, `$FFMPEG8`), needed for segmented CENC.
pub fn ffmpeg8() -> Option<PathBuf> {
    tool("ffmpeg8", Some("FFMPEG8"))
}

/// ffprobe 8 (`$FFPROBE8`).
pub fn ffprobe8() -> Option<PathBuf> {
    tool("ffprobe8", Some("FFPROBE8"))
}

/// Debian's ffmpeg (`$FFMPEG` or `ffmpeg` on PATH).
pub fn ffmpeg() -> Option<PathBuf> {
    tool("ffmpeg", Some("FFMPEG"))
}

/// Debian's ffprobe (`$FFPROBE` or `ffprobe` on PATH).
pub fn ffprobe() -> Option<PathBuf> {
    tool("ffprobe", Some("FFPROBE"))
}

/// The folder of media generated by `shared/tools/make-test-media.sh` (made once per checkout,
/// under `target/testmedia`, guarded by a lock so parallel tests generate it once).
///
/// Returns `None` when ffmpeg is missing and tools are not required.
pub fn generated_media() -> Option<PathBuf> {
    let ffmpeg = ffmpeg()?;
    let out = workspace_root().join("target").join("testmedia");
    let done = out.join("SHA256SUMS");
    if done.is_file() {
        return Some(out);
    }
    fs::create_dir_all(workspace_root().join("target")).expect("create target/");
    let lock_path = workspace_root().join("target").join("testmedia.lock");
    let _lock = FileLock::acquire(&lock_path);
    if !done.is_file() {
        let status = Command::new(tools_dir().join("make-test-media.sh"))
            .arg(&out)
            .env("FFMPEG", &ffmpeg)
            .stdout(Stdio::null())
            .status()
            .expect("run make-test-media.sh");
        assert!(status.success(), "make-test-media.sh failed");
    }
    Some(out)
}

/// An exclusive lock held as long as the value lives (a directory created atomically).
struct FileLock(PathBuf);

impl FileLock {
    fn acquire(path: &Path) -> Self {
        let dir = path.with_extension("lockdir");
        for _ in 0..6000 {
            if fs::create_dir(&dir).is_ok() {
                return FileLock(dir);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("timed out waiting for lock {}", dir.display());
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// A fresh temporary directory (removed when dropped).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mdrm-test-")
        .tempdir()
        .expect("create temp dir")
}

/// Runs `cmd` under `/usr/bin/time -f %M` and returns its peak resident set size in KiB
/// together with its exit status. Needs the Debian `time` package.
pub fn run_with_peak_rss(cmd: &mut Command) -> Option<(std::process::ExitStatus, u64)> {
    let time = tool("time", None).filter(|p| p.starts_with("/usr/bin"))?;
    let report = tempfile::NamedTempFile::new().expect("temp file");
    let mut wrapped = Command::new(time);
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let status = wrapped.status().expect("run /usr/bin/time");
    let text = fs::read_to_string(report.path()).expect("read time report");
    let kib = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .expect("time report holds the peak RSS");
    Some((status, kib))
}

/// The result of one run of a packager CLI: exit status, the result document's RESULT code
/// (`i32::MIN` when stdout has none), stdout and stderr.
#[derive(Debug)]
pub struct CliRun {
    /// The process exited with status 0.
    pub ok: bool,
    /// The `<RESULT>` value of the result XML on stdout.
    pub code: i32,
    /// stdout as text.
    pub stdout: String,
    /// stderr as text.
    pub stderr: String,
}

/// Runs a packager CLI to its end and collects a [`CliRun`].
pub fn run_cli(cmd: &mut Command) -> CliRun {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let code = stdout
        .split("<RESULT>")
        .nth(1)
        .and_then(|r| r.split("</RESULT>").next())
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(i32::MIN);
    CliRun {
        ok: out.status.success(),
        code,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl CliRun {
    /// The text of a result-document element (XML form), unescaped.
    pub fn element(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = self.stdout.find(&open)? + open.len();
        let end = start + self.stdout[start..].find(&close)?;
        Some(
            self.stdout[start..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    }

    /// The INFO element's text (empty when absent).
    pub fn info(&self) -> String {
        self.element("INFO").unwrap_or_default()
    }
}

/// Decodes a hex string (test vectors), panicking on bad input.
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Tells the test runner's output that a test skips itself, and why: the one place this
/// test-support crate writes (to stderr, which libtest shows with the test's output). A skip is
/// never silent; with `MDRM_REQUIRE_TOOLS=1` the callers panic instead of skipping.
fn report_skip(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

/// Forces rung switches through a player's API in headless Chromium
/// (`crates/testkit/browser/switch.mjs`, on browser-play's server and page): `player` is `shaka`
/// (with a ClearKey `KID:KEY`) or `hlsjs` (keys from the playlists). Returns the exit status's
/// success and the script's JSON report (`{ok, rungs, heights, errors}`) as text, or `None` when
/// browser-play is not installed.
pub fn force_rung_switches(
    player: &str,
    dir: &Path,
    manifest: &str,
    key: Option<&str>,
) -> Option<(bool, String)> {
    let play = browser_play()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/switch.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .arg(play.parent().expect("play.mjs has a folder"))
        .arg(player)
        .arg(dir)
        .arg(manifest);
    if let Some(k) = key {
        cmd.arg(k);
    }
    let out = cmd.output().expect("run node");
    let mut report = String::from_utf8_lossy(&out.stdout).into_owned();
    if report.trim().is_empty() {
        report = String::from_utf8_lossy(&out.stderr).into_owned();
    }
    Some((out.status.success(), report))
}

/// The browser playback tool (`shared/tools/browser-play`, installed with its npm packages in
/// `target/browser-play` by `scripts/deps/browser-play.sh`): the path of its `play.mjs`.
/// `None` (or a panic when tools are required) when it, `node` or Chromium is missing.
pub fn browser_play() -> Option<PathBuf> {
    tool("node", None)?;
    tool("chromium", Some("CHROMIUM"))?;
    let dir = workspace_root().join("target").join("browser-play");
    if dir.join("node_modules").is_dir() {
        return Some(dir.join("play.mjs"));
    }
    if tools_required() {
        panic!("browser-play is not installed in target/ (scripts/deps/browser-play.sh)");
    }
    report_skip("browser-play not installed (run scripts/deps/browser-play.sh)");
    None
}
