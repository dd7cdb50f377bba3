//! Test support: start the real `mdrm-server` binary on a free loopback port with a temporary
//! keystore, add sites with its `site add` command, stop it (kill on drop).

#![allow(dead_code)]

pub(crate) mod license;
pub(crate) mod redis_server;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kms_client::{AccessKey, CpixClient, HttpOptions, SiteId};

/// The server binary built by Cargo for these tests.
pub(crate) fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mdrm-server"))
}

/// A folder holding one server's database, secret and logs.
pub(crate) struct ServerFiles {
    pub(crate) dir: tempfile::TempDir,
}

impl ServerFiles {
    pub(crate) fn new() -> Self {
        ServerFiles {
            dir: mdrm_testkit::temp_dir(),
        }
    }
    pub(crate) fn db(&self) -> PathBuf {
        self.dir.path().join("keystore.sqlite")
    }
    pub(crate) fn secret(&self) -> PathBuf {
        self.dir.path().join("server-secret.key")
    }
    fn store_args(&self) -> Vec<String> {
        vec![
            "--db".into(),
            self.db().display().to_string(),
            "--secret-file".into(),
            self.secret().display().to_string(),
        ]
    }

    /// Runs `mdrm-server site add --site-id <id>` and returns the printed credentials.
    pub(crate) fn add_site(&self, site_id: &str) -> Credentials {
        let out = Command::new(server_bin())
            .args(["site", "add", "--site-id", site_id])
            .args(self.store_args())
            .output()
            .expect("run mdrm-server site add");
        assert!(
            out.status.success(),
            "site add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("no {name}= in {text}"))
                .to_string()
        };
        Credentials {
            site_id: field("site_id"),
            access_key: field("access_key"),
            site_key: field("site_key"),
            kms_token: field("kms_token"),
        }
    }

    /// Starts a server on a free port with these files; extra flags appended.
    pub(crate) fn start(&self, extra: &[&str]) -> Server {
        Server::start(self, extra)
    }
}

/// Credentials printed by `site add`.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    pub(crate) site_id: String,
    pub(crate) access_key: String,
    pub(crate) site_key: String,
    pub(crate) kms_token: String,
}

impl Credentials {
    pub(crate) fn client(&self, url: &str, http: HttpOptions) -> CpixClient {
        CpixClient::new(
            url,
            SiteId::parse("--site-id", &self.site_id).unwrap(),
            AccessKey::parse("--access-key", &self.access_key).unwrap(),
            http,
        )
        .unwrap()
    }
}

/// A running server; killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) log: PathBuf,
}

impl Server {
    fn start(files: &ServerFiles, extra: &[&str]) -> Server {
        let port = mdrm_testkit::free_port();
        let log = files.dir.path().join(format!("server-{port}.log"));
        let log_file = fs::File::create(&log).unwrap();
        let child = Command::new(server_bin())
            .args(files.store_args())
            .args(["--port", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start mdrm-server");
        let mut server = Server { child, port, log };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/healthz", self.url());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "mdrm-server exited with {status}: {}",
                    fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if ureq::get(&url).call().is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mdrm-server did not start: {}",
                fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server abruptly (SIGKILL) and waits for it.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server with SIGTERM (graceful) and waits for it.
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Fast-failing HTTP settings for tests (generous limits, quick retries).
pub(crate) fn quick_http() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(50),
        ..HttpOptions::default()
    }
}
