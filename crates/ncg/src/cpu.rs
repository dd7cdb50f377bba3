//! Which hardware acceleration the crypto crates use on this machine.
//!
//! `aes` (AES-NI) and `sha2` (SHA extensions) pick their fastest backend at run time; this
//! module reports what they can find, for logs and benchmark notes.

use std::fmt;

/// CPU features relevant to NCG throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceleration {
    /// Hardware AES instructions (x86 AES-NI or ARMv8 AES).
    pub aes: bool,
    /// Hardware SHA-256 instructions (x86 SHA-NI or ARMv8 SHA2).
    pub sha256: bool,
}

/// Detects the features at run time.
pub fn acceleration() -> Acceleration {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    {
        Acceleration {
            aes: std::arch::is_x86_feature_detected!("aes"),
            sha256: std::arch::is_x86_feature_detected!("sha")
                && std::arch::is_x86_feature_detected!("sse4.1"),
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        Acceleration {
            aes: std::arch::is_aarch64_feature_detected!("aes"),
            sha256: std::arch::is_aarch64_feature_detected!("sha2"),
        }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
    {
        Acceleration {
            aes: false,
            sha256: false,
        }
    }
}

impl fmt::Display for Acceleration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yes_no = |b: bool| if b { "hardware" } else { "software" };
        write!(
            f,
            "AES {}, SHA-256 {}",
            yes_no(self.aes),
            yes_no(self.sha256)
        )
    }
}
