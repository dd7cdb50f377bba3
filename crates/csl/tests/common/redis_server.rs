//! A `redis-server` started by a test on a free loopback port, killed when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process owned by the test (only this pid is ever signalled).
pub(crate) struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
    faketime: Option<FakeTime>,
    dir: tempfile::TempDir,
}

/// libfaketime settings: the offset is read from `file` on every clock call.
struct FakeTime {
    lib: PathBuf,
    /// glibc's malloc wrapper, preloaded first so that libfaketime's start-up never calls into
    /// Debian redis-server's jemalloc (which recurses into clock_gettime: libfaketime#130).
    malloc: Option<PathBuf>,
    file: PathBuf,
}

impl RedisServer {
    /// Starts a server, or returns `None` (test skipped) when redis-server is not installed
    /// and tools are not required.
    pub(crate) fn start() -> Option<Self> {
        Self::start_with(None)
    }

    /// Starts a server whose wall clock is shifted by the offset in a file (`+0` at start),
    /// through libfaketime; `None` (skipped) when faketime or redis-server is missing.
    pub(crate) fn start_faketime() -> Option<Self> {
        mdrm_testkit::tool("faketime", None)?;
        let lib = find_lib(&["faketime/libfaketime.so.1"]);
        let Some(lib) = lib else {
            assert!(
                !mdrm_testkit::tools_required(),
                "libfaketime.so.1 not found (Debian package libfaketime)"
            );
            eprintln!("SKIPPED: libfaketime.so.1 not found");
            return None;
        };
        let malloc = find_lib(&["libc_malloc_debug.so.0"]);
        Self::start_with(Some((lib, malloc)))
    }

    fn start_with(faketime: Option<(PathBuf, Option<PathBuf>)>) -> Option<Self> {
        let binary = mdrm_testkit::tool("redis-server", None)?;
        let dir = mdrm_testkit::temp_dir();
        let faketime = faketime.map(|(lib, malloc)| {
            let file = dir.path().join("faketime.txt");
            std::fs::write(&file, "+0\n").expect("write faketime file");
            FakeTime { lib, malloc, file }
        });
        let mut server = Self {
            binary,
            port: mdrm_testkit::free_port(),
            child: None,
            faketime,
            dir,
        };
        server.spawn();
        Some(server)
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Shifts the server's wall clock (libfaketime syntax, e.g. `-10m`, `+0`).
    pub(crate) fn shift_clock(&self, offset: &str) {
        let ft = self
            .faketime
            .as_ref()
            .expect("server started with faketime");
        let tmp = ft.file.with_extension("tmp");
        std::fs::write(&tmp, format!("{offset}\n")).expect("write faketime offset");
        std::fs::rename(&tmp, &ft.file).expect("replace faketime file");
    }

    /// SIGKILLs the server (no shutdown, no save), like a crash.
    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port (empty: nothing was persisted).
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Sends one command (inline protocol) and returns the raw first reply line.
    pub(crate) fn command(&self, cmd: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        s.write_all(format!("{cmd}\r\n").as_bytes()).expect("send");
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).trim_end().to_owned()
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(&self.binary);
        cmd.args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(ft) = &self.faketime {
            let mut preload = String::new();
            if let Some(m) = &ft.malloc {
                preload.push_str(&m.to_string_lossy());
                preload.push(' ');
            }
            preload.push_str(&ft.lib.to_string_lossy());
            cmd.env("LD_PRELOAD", preload)
                .env("FAKETIME_TIMESTAMP_FILE", &ft.file)
                .env("FAKETIME_NO_CACHE", "1")
                .env("DONT_FAKE_MONOTONIC", "1");
        }
        self.child = Some(cmd.spawn().expect("spawn redis-server"));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut buf = [0u8; 16];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read(&mut buf)
                        .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
                {
                    return;
                }
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("redis-server exited at start: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not become ready", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first `/usr/lib/<multiarch>/<name>` or `/usr/lib/<name>` that exists.
fn find_lib(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![PathBuf::from("/usr/lib"), PathBuf::from("/lib")];
    for root in ["/usr/lib", "/lib"] {
        if let Ok(entries) = std::fs::read_dir(root) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().ends_with("-linux-gnu") {
                    dirs.push(e.path());
                }
            }
        }
    }
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| Path::new(p).is_file())
}
