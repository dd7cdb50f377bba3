//! The license-token policy (v2): AES-256-CBC with the site key, then JSON.
//!
//! Encryption (protocols.md §5.4): key = the 32 ASCII bytes of the site key, IV = the 16 ASCII
//! bytes `0123456789abcdef`, PKCS#7 padding, then standard base64. Fields the ClearKey service
//! uses: `playback_policy.persistent`, `license_duration`, `expire_date`,
//! `allowed_track_types`, `max_stream_per_user`, `cast_receiver` (an mdrm extension), and
//! `external_key.mpeg_cenc`. Every other field (security policies, rental and playback
//! durations, HLS/NCG keys) is accepted and has no meaning for ClearKey.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use keys::{ContentKey, KeyId};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::rejection::Rejection;

/// The fixed IV of the policy encryption.
pub const POLICY_IV: &[u8; 16] = b"0123456789abcdef";
/// Largest encrypted policy accepted (base64 characters).
pub const MAX_POLICY_CHARS: usize = 12 * 1024;

/// Which video key classes a policy lets through (`allowed_track_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowedTrackTypes {
    /// Every key (`ALL`, the default).
    #[default]
    All,
    /// SD video and audio only.
    SdOnly,
    /// Up to HD.
    SdHd,
    /// Up to UHD1 (4K).
    SdUhd1,
    /// Up to UHD2 (8K).
    SdUhd2,
}

impl AllowedTrackTypes {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ALL" => Self::All,
            "SD_ONLY" => Self::SdOnly,
            "SD_HD" => Self::SdHd,
            "SD_UHD1" => Self::SdUhd1,
            "SD_UHD2" => Self::SdUhd2,
            _ => return None,
        })
    }

    /// True when a key stored under `label` may be issued. A single-key content's `ALL` key
    /// and `AUDIO` keys always may; labels outside the SD/HD/UHD classes only under `ALL`.
    pub fn allows(self, label: &str) -> bool {
        let rank = match label {
            "ALL" | "AUDIO" | "SD" => 0,
            "HD" => 1,
            "UHD1" => 2,
            "UHD2" => 3,
            _ => return self == Self::All,
        };
        let max = match self {
            Self::All => 3,
            Self::SdOnly => 0,
            Self::SdHd => 1,
            Self::SdUhd1 => 2,
            Self::SdUhd2 => 3,
        };
        rank <= max
    }
}

/// A key carried in the policy (`external_key.mpeg_cenc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalKey {
    /// Its track class (`ALL`, `SD`, `HD`, ...).
    pub track_type: String,
    /// The key id.
    pub kid: KeyId,
    /// The key.
    pub key: ContentKey,
}

/// The parts of a v2 policy that matter to the ClearKey service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LicensePolicy {
    /// `persistent`: an offline license (not counted by CSL).
    pub persistent: bool,
    /// `license_duration` in seconds (0: unlimited). ClearKey licenses cannot carry it.
    pub license_duration: u64,
    /// `expire_date` (ignored when `license_duration` is set).
    pub expire_date: Option<jiff::Timestamp>,
    /// `allowed_track_types`.
    pub allowed_track_types: AllowedTrackTypes,
    /// `max_stream_per_user` (0 or absent: the site's value).
    pub max_stream_per_user: Option<u32>,
    /// `cast_receiver` (mdrm extension): the license is for an AirPlay/cast receiver; issued
    /// without renewal and not counted.
    pub cast_receiver: bool,
    /// `external_key.mpeg_cenc` keys.
    pub external_keys: Vec<ExternalKey>,
}

impl LicensePolicy {
    /// True when `expire_date` applies and has passed at `now`.
    pub fn is_expired(&self, now: jiff::Timestamp) -> bool {
        self.license_duration == 0 && self.expire_date.is_some_and(|d| d <= now)
    }
}

#[derive(Deserialize)]
struct PolicyJson {
    policy_version: Option<serde_json::Value>,
    playback_policy: Option<PlaybackJson>,
    external_key: Option<ExternalKeyJson>,
}

#[derive(Deserialize)]
struct PlaybackJson {
    persistent: Option<serde_json::Value>,
    license_duration: Option<serde_json::Value>,
    expire_date: Option<serde_json::Value>,
    allowed_track_types: Option<serde_json::Value>,
    max_stream_per_user: Option<serde_json::Value>,
    cast_receiver: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ExternalKeyJson {
    #[serde(default)]
    mpeg_cenc: Vec<MpegCencJson>,
}

#[derive(Deserialize)]
struct MpegCencJson {
    track_type: Option<String>,
    key_id: String,
    key: String,
}

fn as_bool(field: &str, v: &Option<serde_json::Value>) -> Result<bool, Rejection> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(false),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Rejection::policy_invalid(format!(
            "{field} must be true or false"
        ))),
    }
}

fn as_u64(field: &str, v: &Option<serde_json::Value>) -> Result<u64, Rejection> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or(0)),
        Some(_) => Err(Rejection::policy_invalid(format!(
            "{field} must be a whole number of 0 or more"
        ))),
    }
}

fn as_str<'a>(field: &str, v: &'a Option<serde_json::Value>) -> Result<Option<&'a str>, Rejection> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Rejection::policy_invalid(format!(
            "{field} must be a string"
        ))),
    }
}

/// Parses decrypted policy JSON. Error messages name fields, never values (external keys are
/// secrets).
pub fn parse_policy(json: &[u8]) -> Result<LicensePolicy, Rejection> {
    let doc: PolicyJson = serde_json::from_slice(json).map_err(|e| {
        Rejection::policy_invalid(format!(
            "not JSON of the v2 policy shape (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match &doc.policy_version {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(2) => {}
        Some(serde_json::Value::String(s)) if s == "2" => {}
        _ => return Err(Rejection::policy_invalid("policy_version must be 2")),
    }
    let mut policy = LicensePolicy::default();
    if let Some(pb) = &doc.playback_policy {
        policy.persistent = as_bool("persistent", &pb.persistent)?;
        policy.cast_receiver = as_bool("cast_receiver", &pb.cast_receiver)?;
        policy.license_duration = as_u64("license_duration", &pb.license_duration)?;
        let max = as_u64("max_stream_per_user", &pb.max_stream_per_user)?;
        policy.max_stream_per_user = Some(
            u32::try_from(max)
                .map_err(|_| Rejection::policy_invalid("max_stream_per_user is too large"))?,
        )
        .filter(|m| *m > 0);
        if let Some(d) = as_str("expire_date", &pb.expire_date)?.filter(|d| !d.is_empty()) {
            policy.expire_date = Some(d.parse().map_err(|_| {
                Rejection::policy_invalid("expire_date must be YYYY-MM-DDThh:mm:ssZ")
            })?);
        }
        if let Some(t) = as_str("allowed_track_types", &pb.allowed_track_types)? {
            policy.allowed_track_types = AllowedTrackTypes::parse(t).ok_or_else(|| {
                Rejection::policy_invalid(
                    "allowed_track_types must be ALL, SD_ONLY, SD_HD, SD_UHD1 or SD_UHD2",
                )
            })?;
        }
    }
    if let Some(ext) = &doc.external_key {
        for (i, k) in ext.mpeg_cenc.iter().enumerate() {
            let kid = KeyId::from_hex(&k.key_id).map_err(|_| {
                Rejection::policy_invalid(format!(
                    "external_key.mpeg_cenc[{i}].key_id must be 32 hex digits"
                ))
            })?;
            let key = ContentKey::from_hex(&k.key).map_err(|_| {
                Rejection::policy_invalid(format!(
                    "external_key.mpeg_cenc[{i}].key must be 32 hex digits"
                ))
            })?;
            policy.external_keys.push(ExternalKey {
                track_type: k.track_type.clone().unwrap_or_else(|| "ALL".into()),
                kid,
                key,
            });
        }
    }
    Ok(policy)
}

fn cipher_key(site_key: &str) -> Result<&[u8; 32], Rejection> {
    site_key
        .as_bytes()
        .try_into()
        .map_err(|_| Rejection::internal())
}

/// Decrypts and parses the token's `policy` with the site key.
pub fn decrypt_policy(policy_b64: &str, site_key: &str) -> Result<LicensePolicy, Rejection> {
    if policy_b64.len() > MAX_POLICY_CHARS {
        return Err(Rejection::policy_invalid(
            "the encrypted policy is too long",
        ));
    }
    let mut buf = Zeroizing::new(
        STANDARD
            .decode(policy_b64.trim())
            .map_err(|_| Rejection::policy_invalid("policy is not base64"))?,
    );
    let key = cipher_key(site_key)?;
    let plain = cbc::Decryptor::<Aes256>::new(key.into(), POLICY_IV.into())
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| {
            Rejection::policy_invalid(
                "policy does not decrypt with the site key (wrong site key or not AES-256-CBC)",
            )
        })?;
    parse_policy(plain)
}

/// Encrypts policy JSON with the site key (token issuers: tests, `mdrm-server token`).
pub fn encrypt_policy(policy_json: &str, site_key: &str) -> Result<String, Rejection> {
    let key = cipher_key(site_key)?;
    let n = policy_json.len();
    let mut buf = Zeroizing::new(vec![0u8; n + 16]);
    buf[..n].copy_from_slice(policy_json.as_bytes());
    let ct = cbc::Encryptor::<Aes256>::new(key.into(), POLICY_IV.into())
        .encrypt_padded::<Pkcs7>(&mut buf, n)
        .map_err(|_| Rejection::internal())?;
    Ok(STANDARD.encode(ct))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE_KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";
    const VECTOR_POLICY: &str =
        r#"{"policy_version":2,"playback_policy":{"persistent":false,"license_duration":0}}"#;
    const VECTOR_ENC: &str = "+yyjEeo74B+D2TFV1PlFWPVElO0dPq/hvRsob50lnNSDOukL+smXcsdvcDwfzbZpEw3A1lu8baOAB5yEmsfmfR4qHYV/1pimS1CayzGeDrUVR9N0ob/Qvu6jtJxAazYe";

    #[test]
    fn test_vector_7_10_encrypts_and_decrypts() {
        assert_eq!(encrypt_policy(VECTOR_POLICY, SITE_KEY).unwrap(), VECTOR_ENC);
        let p = decrypt_policy(VECTOR_ENC, SITE_KEY).unwrap();
        assert_eq!(p, LicensePolicy::default());
    }

    #[test]
    fn wrong_site_key_or_garbage_is_policy_invalid() {
        let e = decrypt_policy(VECTOR_ENC, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345").unwrap_err();
        assert_eq!(e.code, "POLICY_INVALID");
        assert_eq!(
            decrypt_policy("%%%", SITE_KEY).unwrap_err().code,
            "POLICY_INVALID"
        );
        assert_eq!(
            decrypt_policy("AAAA", SITE_KEY).unwrap_err().code,
            "POLICY_INVALID"
        );
    }

    #[test]
    fn fields_are_read_and_checked() {
        let p = parse_policy(
            br#"{"policy_version":2,"playback_policy":{"persistent":true,"license_duration":60,
                "expire_date":"2030-01-01T00:00:00Z","allowed_track_types":"SD_HD",
                "max_stream_per_user":2,"cast_receiver":true,"rental_duration":0},
                "security_policy":[{"track_type":"ALL","widevine":{"security_level":1}}],
                "external_key":{"mpeg_cenc":[{"track_type":"HD","key_id":"9eb4050de44b4802932e27d75083e266",
                "key":"166634c675823c235a4a9446fad52e4d","iv":"00000000000000000000000000000000"}]}}"#,
        )
        .unwrap();
        assert!(p.persistent && p.cast_receiver);
        assert_eq!(p.license_duration, 60);
        assert_eq!(p.max_stream_per_user, Some(2));
        assert_eq!(p.allowed_track_types, AllowedTrackTypes::SdHd);
        assert_eq!(p.external_keys.len(), 1);
        assert_eq!(
            p.external_keys[0].kid.to_hex(),
            "9eb4050de44b4802932e27d75083e266"
        );
        assert_eq!(p.external_keys[0].track_type, "HD");
        // max 0 = the site's value
        let p =
            parse_policy(br#"{"policy_version":2,"playback_policy":{"max_stream_per_user":0}}"#)
                .unwrap();
        assert_eq!(p.max_stream_per_user, None);
    }

    #[test]
    fn bad_values_name_the_field_but_never_the_value() {
        for (json, field) in [
            (r#"{"playback_policy":{}}"#, "policy_version"),
            (r#"{"policy_version":1}"#, "policy_version"),
            (
                r#"{"policy_version":2,"playback_policy":{"max_stream_per_user":"two"}}"#,
                "max_stream_per_user",
            ),
            (
                r#"{"policy_version":2,"playback_policy":{"max_stream_per_user":-1}}"#,
                "max_stream_per_user",
            ),
            (
                r#"{"policy_version":2,"playback_policy":{"persistent":"yes"}}"#,
                "persistent",
            ),
            (
                r#"{"policy_version":2,"playback_policy":{"expire_date":"tomorrow"}}"#,
                "expire_date",
            ),
            (
                r#"{"policy_version":2,"playback_policy":{"allowed_track_types":"HD_ONLY"}}"#,
                "allowed_track_types",
            ),
            (
                r#"{"policy_version":2,"external_key":{"mpeg_cenc":[{"key_id":"00","key":"SECRETVALUE"}]}}"#,
                "key_id",
            ),
            (
                r#"{"policy_version":2,"external_key":{"mpeg_cenc":[{"key_id":"9eb4050de44b4802932e27d75083e266","key":"SECRETVALUE"}]}}"#,
                "key",
            ),
        ] {
            let e = parse_policy(json.as_bytes()).unwrap_err();
            assert_eq!(e.code, "POLICY_INVALID");
            assert!(e.message.contains(field), "{json}: {}", e.message);
            assert!(!e.message.contains("SECRETVALUE"));
        }
        assert!(parse_policy(b"not json").is_err());
    }

    #[test]
    fn expire_date_applies_only_without_a_duration() {
        let now: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut p = LicensePolicy {
            expire_date: Some("2025-12-31T23:59:59Z".parse().unwrap()),
            ..LicensePolicy::default()
        };
        assert!(p.is_expired(now));
        p.license_duration = 3600;
        assert!(!p.is_expired(now));
        p.license_duration = 0;
        p.expire_date = Some("2026-01-01T00:00:01Z".parse().unwrap());
        assert!(!p.is_expired(now));
    }

    #[test]
    fn allowed_track_types_filter_key_classes() {
        use AllowedTrackTypes::*;
        for label in ["ALL", "AUDIO", "SD"] {
            assert!(SdOnly.allows(label));
        }
        assert!(!SdOnly.allows("HD"));
        assert!(SdHd.allows("HD") && !SdHd.allows("UHD1"));
        assert!(SdUhd1.allows("UHD1") && !SdUhd1.allows("UHD2"));
        assert!(SdUhd2.allows("UHD2"));
        assert!(All.allows("VIDEO") && !SdUhd2.allows("VIDEO"));
    }
}
