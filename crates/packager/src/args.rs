//! The flags every packaging CLI shares (cli.md "Common flags"), as a clap `Args` struct that
//! each CLI flattens into its own parser, and their validation into typed [`JobSettings`].

use std::fmt;
use std::path::PathBuf;

use clap::Args;
use keys::KeyId;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::log::Verbosity;

const AT: &str = "packager::args::CommonArgs::validate";

/// The common flags, exactly as spelled by the established packager CLIs (plus mdrm's new ones).
///
/// `Debug` redacts `--access-key` and `--encryption-key`.
#[derive(Args, Clone, Default)]
pub struct CommonArgs {
    /// Service site id (exactly 4 bytes).
    #[arg(long = "site-id", value_name = "ID")]
    pub site_id: Option<String>,
    /// Access key for the key server (base64); never echoed or logged.
    #[arg(long = "access-key", value_name = "BASE64")]
    pub access_key: Option<String>,
    /// Content id (CID), 1 to 200 bytes.
    #[arg(long = "contents-id", value_name = "CID")]
    pub contents_id: Option<String>,
    /// Input file(s).
    #[arg(short = 'i', long = "input", value_name = "FILE", num_args = 1.., action = clap::ArgAction::Append)]
    pub inputs: Vec<PathBuf>,
    /// Output folder (or file, where the CLI says so); default: a new folder named after the
    /// first input's stem.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// License acquisition URL written into the output.
    #[arg(long = "license-url", value_name = "URL")]
    pub license_url: Option<String>,
    /// Settings file: JSON, or XML when the name ends in .xml; flags override it.
    #[arg(long = "config-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// External key mode: the key (base64; NCG and HLS: 32 bytes = key + IV).
    #[arg(long = "encryption-key", value_name = "BASE64")]
    pub encryption_key: Option<String>,
    /// External key mode: the key id (base64 of 16 bytes).
    #[arg(long = "key-id", value_name = "BASE64")]
    pub key_id: Option<String>,
    /// CPIX key server URL (default: the embedded local keystore).
    #[arg(long = "kms-url", value_name = "URL")]
    pub kms_url: Option<String>,
    /// Embedded keystore location.
    #[arg(long = "keystore", value_name = "PATH")]
    pub keystore: Option<PathBuf>,
    /// Distinct keys per track type (audio, SD, HD, UHD).
    #[arg(long = "multi-key")]
    pub multi_key: bool,
    /// Skip the read-back self-check of the written output.
    #[arg(long = "no-verify")]
    pub no_verify: bool,
    /// Allow replacing an existing non-empty output (atomically, once the new one is complete).
    #[arg(long = "overwrite")]
    pub overwrite: bool,
    /// Segment duration in seconds (DASH/HLS).
    #[arg(long = "segment-duration", value_name = "SECONDS")]
    pub segment_duration: Option<String>,
    /// Print the result document as JSON instead of XML.
    #[arg(long = "json")]
    pub json: bool,
    /// Append the packaging log to this file.
    #[arg(long = "log-file", value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Quieter stderr: only failures.
    #[arg(short = 'q', long = "quiet", conflicts_with = "verbose")]
    pub quiet: bool,
    /// More verbose stderr.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// URL that returns the CID for an input file name when --contents-id is omitted.
    #[arg(long = "cid-callback-url", value_name = "URL")]
    pub cid_callback_url: Option<String>,
}

impl fmt::Debug for CommonArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("CommonArgs")
            .field("site_id", &self.site_id)
            .field("access_key", &redact(&self.access_key))
            .field("contents_id", &self.contents_id)
            .field("inputs", &self.inputs)
            .field("output", &self.output)
            .field("license_url", &self.license_url)
            .field("config_file", &self.config_file)
            .field("encryption_key", &redact(&self.encryption_key))
            .field("key_id", &self.key_id)
            .field("kms_url", &self.kms_url)
            .field("keystore", &self.keystore)
            .field("multi_key", &self.multi_key)
            .field("no_verify", &self.no_verify)
            .field("overwrite", &self.overwrite)
            .field("segment_duration", &self.segment_duration)
            .field("json", &self.json)
            .field("log_file", &self.log_file)
            .field("quiet", &self.quiet)
            .field("verbose", &self.verbose)
            .field("cid_callback_url", &self.cid_callback_url)
            .finish()
    }
}

/// What differs between the CLIs when validating the common flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CliProfile {
    /// Size of `--encryption-key` in bytes (DASH 16; HLS and NCG 32 = key + IV).
    pub external_key_len: usize,
    /// `--site-id` is required even with an external key (NCG, HLS-NCG).
    pub site_id_always_required: bool,
    /// `--key-id` is required with an external key (DASH).
    pub key_id_required_with_external_key: bool,
    /// Site id and content id come from the input (e.g. `mdrm-ncg --decrypt` reads them from
    /// the NCG header), so neither flag is required.
    pub ids_from_input: bool,
}

impl CliProfile {
    /// mdrm-ncg.
    pub const NCG: CliProfile = CliProfile {
        external_key_len: 32,
        site_id_always_required: true,
        key_id_required_with_external_key: false,
        ids_from_input: false,
    };
    /// `mdrm-ncg --decrypt`: the ids come from the NCG header.
    pub const NCG_DECRYPT: CliProfile = CliProfile {
        external_key_len: 32,
        site_id_always_required: false,
        key_id_required_with_external_key: false,
        ids_from_input: true,
    };
    /// mdrm-dash.
    pub const DASH: CliProfile = CliProfile {
        external_key_len: 16,
        site_id_always_required: false,
        key_id_required_with_external_key: true,
        ids_from_input: false,
    };
    /// mdrm-hls.
    pub const HLS: CliProfile = CliProfile {
        external_key_len: 32,
        site_id_always_required: false,
        key_id_required_with_external_key: false,
        ids_from_input: false,
    };
}

/// Where keys come from.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMode {
    /// `--encryption-key` (and `--key-id`): the raw decoded key bytes (wiped on drop).
    External {
        /// Decoded `--encryption-key` (16 or 32 bytes per [`CliProfile::external_key_len`]).
        key: Zeroizing<Vec<u8>>,
        /// Decoded `--key-id`, when given.
        key_id: Option<KeyId>,
    },
    /// The key service: `--kms-url` (CPIX) or the embedded keystore.
    Kms {
        /// `--kms-url`; `None` = embedded keystore.
        url: Option<String>,
        /// `--keystore`.
        keystore: Option<PathBuf>,
    },
}

impl fmt::Debug for KeyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMode::External { key_id, .. } => f
                .debug_struct("External")
                .field("key", &"<redacted>")
                .field("key_id", key_id)
                .finish(),
            KeyMode::Kms { url, keystore } => f
                .debug_struct("Kms")
                .field("url", url)
                .field("keystore", keystore)
                .finish(),
        }
    }
}

/// A secret string (the access key) whose `Debug` is redacted and which is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// The secret text. Never log or format it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The validated common settings of one job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSettings {
    /// `--site-id`, exactly 4 bytes.
    pub site_id: Option<[u8; 4]>,
    /// `--access-key` (validated as base64).
    pub access_key: Option<Secret>,
    /// `--contents-id`, 1..=200 bytes.
    pub content_id: Option<String>,
    /// `-i`.
    pub inputs: Vec<PathBuf>,
    /// `-o`.
    pub output: Option<PathBuf>,
    /// `--license-url`.
    pub license_url: Option<String>,
    /// Key source.
    pub key_mode: KeyMode,
    /// `--multi-key`.
    pub multi_key: bool,
    /// Not `--no-verify`.
    pub verify: bool,
    /// `--overwrite`.
    pub overwrite: bool,
    /// `--segment-duration` in seconds.
    pub segment_duration: Option<f64>,
    /// `--json`.
    pub json: bool,
    /// `--log-file`.
    pub log_file: Option<PathBuf>,
    /// `-q` / `-v`.
    pub verbosity: Verbosity,
    /// `--cid-callback-url`.
    pub cid_callback_url: Option<String>,
}

impl CommonArgs {
    /// The result document format, known even before validation (`--json`).
    pub fn json(&self) -> bool {
        self.json
    }

    /// The verbosity of the terminal log.
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    /// Checks every value and combination; errors name the flag (1102) and never echo secrets.
    pub fn validate(&self, profile: CliProfile) -> Result<JobSettings, Error> {
        let site_id = self.site_id.as_deref().map(parse_site_id).transpose()?;
        let access_key = match &self.access_key {
            Some(text) => {
                let decoded = keys::decode_base64("access key", text)
                    .map_err(|_| Error::invalid("--access-key", "not valid base64", AT))?;
                if decoded.is_empty() {
                    return Err(Error::invalid("--access-key", "is empty", AT));
                }
                Some(Secret(Zeroizing::new(text.trim().to_owned())))
            }
            None => None,
        };
        let content_id = self
            .contents_id
            .as_deref()
            .map(parse_content_id)
            .transpose()?;
        for (flag, value) in [
            ("--license-url", &self.license_url),
            ("--kms-url", &self.kms_url),
            ("--cid-callback-url", &self.cid_callback_url),
        ] {
            if let Some(url) = value {
                check_url(flag, url)?;
            }
        }
        let key_id = self
            .key_id
            .as_deref()
            .map(|t| {
                KeyId::from_base64(t).map_err(|_| {
                    Error::invalid("--key-id", "must be base64 of exactly 16 bytes", AT)
                })
            })
            .transpose()?;
        let key_mode = match &self.encryption_key {
            Some(text) => {
                if self.kms_url.is_some() {
                    return Err(Error::invalid(
                        "--kms-url",
                        "cannot be combined with --encryption-key (an external key needs no key server)",
                        AT,
                    ));
                }
                let key = Zeroizing::new(
                    keys::decode_base64("encryption key", text)
                        .map_err(|_| Error::invalid("--encryption-key", "not valid base64", AT))?,
                );
                if key.len() != profile.external_key_len {
                    return Err(Error::invalid(
                        "--encryption-key",
                        format!(
                            "must be base64 of {} bytes, got {} bytes",
                            profile.external_key_len,
                            key.len()
                        ),
                        AT,
                    ));
                }
                if profile.key_id_required_with_external_key && key_id.is_none() {
                    return Err(Error::invalid(
                        "--key-id",
                        "required with --encryption-key (base64 of 16 bytes)",
                        AT,
                    ));
                }
                KeyMode::External { key, key_id }
            }
            None => {
                if key_id.is_some() {
                    return Err(Error::invalid(
                        "--key-id",
                        "only valid together with --encryption-key",
                        AT,
                    ));
                }
                if self.kms_url.is_some() && access_key.is_none() {
                    return Err(Error::invalid(
                        "--access-key",
                        "required with --kms-url",
                        AT,
                    ));
                }
                if site_id.is_none() && self.kms_url.is_some() && !profile.ids_from_input {
                    return Err(Error::invalid(
                        "--site-id",
                        "required with --kms-url (or give --encryption-key)",
                        AT,
                    ));
                }
                KeyMode::Kms {
                    url: self.kms_url.clone(),
                    keystore: self.keystore.clone(),
                }
            }
        };
        if profile.site_id_always_required && site_id.is_none() {
            return Err(Error::invalid(
                "--site-id",
                "required (exactly 4 bytes)",
                AT,
            ));
        }
        if content_id.is_none() && self.cid_callback_url.is_none() && !profile.ids_from_input {
            return Err(Error::invalid(
                "--contents-id",
                "required (1 to 200 bytes), or give --cid-callback-url",
                AT,
            ));
        }
        let segment_duration = self
            .segment_duration
            .as_deref()
            .map(parse_segment_duration)
            .transpose()?;
        Ok(JobSettings {
            site_id,
            access_key,
            content_id,
            inputs: self.inputs.clone(),
            output: self.output.clone(),
            license_url: self.license_url.clone(),
            key_mode,
            multi_key: self.multi_key,
            verify: !self.no_verify,
            overwrite: self.overwrite,
            segment_duration,
            json: self.json,
            log_file: self.log_file.clone(),
            verbosity: self.verbosity(),
            cid_callback_url: self.cid_callback_url.clone(),
        })
    }
}

fn parse_site_id(text: &str) -> Result<[u8; 4], Error> {
    let bytes = text.as_bytes();
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            "--site-id",
            "must not contain control characters",
            AT,
        ));
    }
    <[u8; 4]>::try_from(bytes).map_err(|_| {
        Error::invalid(
            "--site-id",
            format!("must be exactly 4 bytes, got {} ({text:?})", bytes.len()),
            AT,
        )
    })
}

fn parse_content_id(text: &str) -> Result<String, Error> {
    let len = text.len();
    if len == 0 || len > ncg::format::MAX_CONTENT_ID_LEN {
        return Err(Error::invalid(
            "--contents-id",
            format!("must be 1 to 200 bytes, got {len}"),
            AT,
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid(
            "--contents-id",
            "must not contain control characters",
            AT,
        ));
    }
    Ok(text.to_owned())
}

/// An absolute http(s) URL with a host and no white space or control characters.
fn check_url(flag: &str, url: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::invalid(flag, format!("{why} ({url:?})"), AT));
    let rest = match url.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest
        }
        _ => return bad("must be an http:// or https:// URL"),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain spaces or control characters");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return bad("has no host");
    }
    if url.len() > ncg::format::MAX_LICENSE_URL_LEN {
        return bad("is longer than 4096 bytes");
    }
    Ok(())
}

fn parse_segment_duration(text: &str) -> Result<f64, Error> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(Error::invalid(
            "--segment-duration",
            format!("must be a number of seconds above 0 and at most 3600 ({text:?})"),
            AT,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_code::ErrorCode;

    fn ncg_args() -> CommonArgs {
        CommonArgs {
            site_id: Some("DEMO".into()),
            contents_id: Some("cid-1".into()),
            inputs: vec!["movie.mp4".into()],
            encryption_key: Some(keys::to_base64(&[7u8; 32])),
            ..CommonArgs::default()
        }
    }

    fn rejects(args: &CommonArgs, profile: CliProfile, flag: &str) -> String {
        match args.validate(profile) {
            Err(e @ Error::InvalidArgument { .. }) => {
                assert_eq!(e.code(), ErrorCode::InvalidArgument);
                let info = e.info();
                assert!(info.starts_with(flag), "{info} should name {flag}");
                info
            }
            other => panic!("{flag}: expected 1102, got {other:?}"),
        }
    }

    #[test]
    fn valid_external_ncg_settings() {
        let s = ncg_args().validate(CliProfile::NCG).unwrap();
        assert_eq!(s.site_id, Some(*b"DEMO"));
        assert!(matches!(&s.key_mode, KeyMode::External { key, key_id: None } if key.len() == 32));
        assert!(s.verify);
        assert!(!format!("{s:?}").contains(&keys::to_base64(&[7u8; 32])));
    }

    #[test]
    fn each_flag_is_validated_and_named() {
        let p = CliProfile::NCG;
        let with = |f: fn(&mut CommonArgs)| {
            let mut a = ncg_args();
            f(&mut a);
            a
        };
        rejects(&with(|a| a.site_id = Some("ABC".into())), p, "--site-id");
        rejects(&with(|a| a.site_id = Some("ABCDE".into())), p, "--site-id");
        rejects(&with(|a| a.site_id = None), p, "--site-id");
        rejects(
            &with(|a| a.contents_id = Some(String::new())),
            p,
            "--contents-id",
        );
        rejects(
            &with(|a| a.contents_id = Some("c".repeat(201))),
            p,
            "--contents-id",
        );
        rejects(&with(|a| a.contents_id = None), p, "--contents-id");
        rejects(
            &with(|a| a.encryption_key = Some("***".into())),
            p,
            "--encryption-key",
        );
        rejects(
            &with(|a| a.encryption_key = Some(keys::to_base64(&[1u8; 16]))),
            p,
            "--encryption-key",
        );
        rejects(&with(|a| a.key_id = Some("AAAA".into())), p, "--key-id");
        rejects(
            &with(|a| a.access_key = Some("not base64!".into())),
            p,
            "--access-key",
        );
        rejects(
            &with(|a| a.license_url = Some("ftp://x".into())),
            p,
            "--license-url",
        );
        rejects(
            &with(|a| a.license_url = Some("https://".into())),
            p,
            "--license-url",
        );
        rejects(
            &with(|a| a.kms_url = Some("http://k".into())),
            p,
            "--kms-url",
        );
        rejects(
            &with(|a| a.cid_callback_url = Some("nope".into())),
            p,
            "--cid-callback-url",
        );
        rejects(
            &with(|a| a.segment_duration = Some("-1".into())),
            p,
            "--segment-duration",
        );
        rejects(
            &with(|a| a.segment_duration = Some("abc".into())),
            p,
            "--segment-duration",
        );
        assert!(
            with(|a| a.segment_duration = Some("4.5".into()))
                .validate(p)
                .is_ok()
        );
        assert!(
            with(|a| a.contents_id = Some("é".repeat(100)))
                .validate(p)
                .is_ok(),
            "200 bytes of UTF-8"
        );
    }

    #[test]
    fn secrets_never_appear_in_errors_or_debug() {
        let mut a = ncg_args();
        a.access_key = Some("c2VjcmV0LWFjY2Vzcy1rZXk=".into());
        a.encryption_key = Some("c2VjcmV0LWVuY3J5cHRpb24ta2V5".into());
        let info = rejects(&a, CliProfile::NCG, "--encryption-key");
        assert!(!info.contains("c2VjcmV0"));
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("c2VjcmV0"), "{dbg}");
        a.encryption_key = None;
        let s = a.validate(CliProfile::NCG).unwrap();
        assert!(!format!("{s:?}").contains("c2VjcmV0"));
        assert_eq!(s.access_key.unwrap().expose(), "c2VjcmV0LWFjY2Vzcy1rZXk=");
    }

    #[test]
    fn kms_mode_requirements() {
        let mut a = ncg_args();
        a.encryption_key = None;
        let s = a.validate(CliProfile::NCG).unwrap();
        assert!(matches!(s.key_mode, KeyMode::Kms { url: None, .. }));
        a.kms_url = Some("https://kms.example/cpix".into());
        rejects(&a, CliProfile::NCG, "--access-key");
        a.access_key = Some("YWNjZXNz".into());
        assert!(a.validate(CliProfile::NCG).is_ok());
        let mut dash = ncg_args();
        dash.encryption_key = Some(keys::to_base64(&[1u8; 16]));
        rejects(&dash, CliProfile::DASH, "--key-id");
        dash.key_id = Some(keys::to_base64(&[2u8; 16]));
        assert!(dash.validate(CliProfile::DASH).is_ok());
    }

    #[test]
    fn decrypt_profile_needs_no_ids() {
        let mut a = ncg_args();
        a.site_id = None;
        a.contents_id = None;
        rejects(&a, CliProfile::NCG, "--site-id");
        let s = a.validate(CliProfile::NCG_DECRYPT).unwrap();
        assert_eq!(s.site_id, None);
        a.encryption_key = None;
        assert!(a.validate(CliProfile::NCG_DECRYPT).is_ok());
    }

    #[test]
    fn verbosity_flags() {
        let mut a = ncg_args();
        assert_eq!(a.verbosity(), Verbosity::Normal);
        a.verbose = true;
        assert_eq!(a.verbosity(), Verbosity::Verbose);
        a.quiet = true;
        assert_eq!(a.verbosity(), Verbosity::Quiet);
    }
}
