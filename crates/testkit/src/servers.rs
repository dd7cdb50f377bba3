//! Servers for integration tests, on free loopback ports and stopped on drop: the workspace's
//! real `mdrm-server` (built on demand when a test target runs alone) and a scripted HTTP
//! responder standing in for a misbehaving server.

use std::path::PathBuf;
use std::process::Command;

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
        let _ = cmd.current_dir(crate::workspace_root()).status();
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
        let dir = crate::temp_dir();
        let settings = dir.path().join("mdrm.toml");
        std::fs::write(
            &settings,
            format!(
                "[[sites]]\nsite_id = \"{site_id}\"\naccess_key = \"{access_key}\"\nsite_key = \"0123456789abcdefghijklmnopqrstuv\"\n"
            ),
        )
        .unwrap();
        let port = crate::free_port();
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
