//! Defaults shared by the packagers and `mdrm-server`, in one place.
//!
//! Locations that depend on the user (the keystore under the XDG data directory) are computed
//! by the binaries from [`DATA_DIR_NAME`] and [`KEYSTORE_FILE_NAME`]; this crate never reads the
//! environment.

use std::time::Duration;

/// The address `mdrm-server` binds to unless told otherwise (loopback only).
pub const DEFAULT_BIND: &str = "127.0.0.1";

/// The TCP port `mdrm-server` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8480;

/// The CPIX key path of `mdrm-server`, mirroring the public cloud KMS
/// (`POST {DEFAULT_CPIX_PATH}{enc-token}`). The v1 prefix `/cpix/pallycon/getKey/` and
/// `/v1/cpix/pallycon/getKey/` are served too.
pub const DEFAULT_CPIX_PATH: &str = "/v2/cpix/pallycon/getKey/";

/// The CPIX key URL of a local `mdrm-server` on its default port (`--kms-url` for it).
pub const DEFAULT_KMS_URL: &str = "http://127.0.0.1:8480/v2/cpix/pallycon/getKey/";

/// The ClearKey license endpoint of a local `mdrm-server` on its default port: the default
/// `--license-url` of the packagers.
pub const DEFAULT_LICENSE_URL: &str = "http://127.0.0.1:8480/license/clearkey";

/// The folder under the user's data directory (`$XDG_DATA_HOME`, usually `~/.local/share`)
/// holding mdrm's files.
pub const DATA_DIR_NAME: &str = "mdrm";

/// The embedded keystore's file name inside [`DATA_DIR_NAME`].
pub const KEYSTORE_FILE_NAME: &str = "keystore.sqlite";

/// The site id the embedded keystore files keys under when `--site-id` is not given.
pub const LOCAL_SITE_ID: &str = "LOCL";

/// Time limit for one HTTP attempt (connect, send, receive) to the key server.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Time limit for establishing the TCP/TLS connection of one attempt.
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts per request (the first one included) when the server is unreachable or answers 5xx.
pub const HTTP_ATTEMPTS: u32 = 3;

/// Wait before the second attempt; doubled before each further one.
pub const HTTP_BACKOFF: Duration = Duration::from_millis(500);

/// How long a keystore write waits for another process holding the database lock.
pub const KEYSTORE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
