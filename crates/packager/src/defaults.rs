//! Defaults of the packaging CLIs.

/// The license URL written into outputs when `--license-url` is not given: the license
/// endpoint of a local `mdrm-server` on its default port (README, "Key service").
pub const DEFAULT_LICENSE_URL: &str = "http://127.0.0.1:8480/license/clearkey";
