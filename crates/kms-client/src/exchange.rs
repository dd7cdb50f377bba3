//! The packager's side of a CPIX key exchange: build the request for a [`KeyRequest`], read
//! the server's answer into a [`KeySet`]. No I/O here (see [`crate::CpixClient`]).

use keys::{Iv, KeyId, TrackType};

use crate::Error;
use crate::cpix::{
    CpixContentKey, CpixDocument, CpixDrmSystem, KeySecret, Signal, rule_tracks, usage_rule_for,
};
use crate::drm::{DrmSystem, SystemId};
use crate::keyset::{KeyRequest, KeySet, Playlist, PsshBox, Signalling, TrackKey};

/// The KIDs a request proposed, per track class (the server may replace them).
pub type SentKeys = Vec<(TrackType, KeyId)>;

/// Builds the CPIX 2.3 request for `request`: one `ContentKey` per track class with a fresh
/// random KID, one `DRMSystem` per key and DRM system with empty elements for the signalling
/// wanted, and one usage rule per key (`intendedTrackType` plus video/audio filters).
pub fn build_key_request(request: &KeyRequest) -> Result<(CpixDocument, SentKeys), Error> {
    let mut doc = CpixDocument {
        content_id: Some(request.content_id.as_str().to_string()),
        version: Some("2.3".into()),
        ..CpixDocument::default()
    };
    let mut sent = Vec::new();
    for t in request.key_track_types() {
        let kid = KeyId::random().map_err(|_| Error::random())?;
        let mut key = CpixContentKey::request(kid);
        key.scheme = request.scheme.map(|s| s.as_str().to_string());
        doc.content_keys.push(key);
        for &drm in &request.drm_systems {
            let mut d = CpixDrmSystem::new(kid, drm.system_id());
            match drm {
                DrmSystem::FairPlay | DrmSystem::HlsAes => {
                    d.uri_ext_x_key = Signal::Requested;
                    d.hls_media = Signal::Requested;
                    d.hls_master = Signal::Requested;
                }
                DrmSystem::PlayReady => {
                    d.pssh = Signal::Requested;
                    d.content_protection_data = Signal::Requested;
                    d.smooth_streaming_header = Signal::Requested;
                }
                _ => {
                    d.pssh = Signal::Requested;
                    d.content_protection_data = Signal::Requested;
                }
            }
            doc.drm_systems.push(d);
        }
        doc.usage_rules.push(usage_rule_for(kid, t));
        sent.push((t, kid));
    }
    Ok((doc, sent))
}

/// The content key of the answer that serves track class `t`.
fn choose_key(doc: &CpixDocument, t: TrackType, sent_kid: KeyId) -> Result<KeyId, Error> {
    // 1. Usage rules: keys whose rule covers the class (for `All`: every class).
    let by_rule: Vec<KeyId> = doc
        .usage_rules
        .iter()
        .filter(|r| rule_tracks(r).contains(t))
        .map(|r| r.kid)
        .filter(|kid| doc.content_key(*kid).is_some())
        .collect();
    if let Some(kid) = by_rule
        .iter()
        .find(|k| **k == sent_kid)
        .or_else(|| by_rule.first())
    {
        return Ok(*kid);
    }
    // 2. The KID we proposed, kept by the server.
    if doc.content_key(sent_kid).is_some() {
        return Ok(sent_kid);
    }
    // 3. A single key answers everything (the cloud KMS v1 replaces the KID, no rules).
    if let [only] = doc.content_keys.as_slice() {
        return Ok(only.kid);
    }
    Err(Error::no_key(format!(
        "no content key for track type {}",
        t.as_str()
    )))
}

fn utf8(bytes: &[u8], what: &str, system: SystemId) -> Result<String, Error> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::malformed(format!("{what} for system {system} is not UTF-8 text")))
}

/// Checks that `bytes` is one complete `pssh` box and returns its system id.
fn pssh_system(bytes: &[u8], declared: SystemId) -> Result<SystemId, Error> {
    let bad = || Error::malformed(format!("PSSH for system {declared} is not a pssh box"));
    if bytes.len() < 32 || &bytes[4..8] != b"pssh" {
        return Err(bad());
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if size != bytes.len() {
        return Err(bad());
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[12..28]);
    Ok(SystemId(id))
}

fn signalling(doc: &CpixDocument, kid: KeyId) -> Result<Signalling, Error> {
    let mut s = Signalling::default();
    for d in doc.drm_systems_for(kid) {
        let sys = d.system_id;
        if let Some(v) = d.pssh.value() {
            s.pssh.push(PsshBox {
                system_id: pssh_system(v, sys)?,
                bytes: v.to_vec(),
            });
        }
        if let Some(v) = d.content_protection_data.value() {
            s.content_protection
                .push((sys, utf8(v, "ContentProtectionData", sys)?));
        }
        if let Some(v) = d
            .smooth_streaming_header
            .value()
            .or(d.speke_protection_header.value())
            && sys == SystemId::PLAYREADY
        {
            s.playready_pro = Some(v.to_vec());
        }
        if let Some(v) = d.hls_media.value() {
            s.hls_lines
                .push((sys, Playlist::Media, utf8(v, "HLSSignalingData", sys)?));
        }
        if let Some(v) = d.hls_master.value() {
            s.hls_lines
                .push((sys, Playlist::Master, utf8(v, "HLSSignalingData", sys)?));
        }
        if let Some(v) = d.uri_ext_x_key.value() {
            s.hls_key_uris.push((sys, utf8(v, "URIExtXKey", sys)?));
        }
    }
    Ok(s)
}

/// Reads the server's answer to a request built by [`build_key_request`].
///
/// Keys are matched to track classes by usage rule, then by the proposed KID, then (for a
/// single-key answer) by being the only key. The IV is `explicitIV` when given, else random.
/// Errors: [`Error::NoKey`] (2004) when a class has no key or a key has no value,
/// [`Error::InvalidKey`] / [`Error::MalformedCpix`] (2005) for unusable values.
pub fn read_key_answer(doc: &CpixDocument, sent: &[(TrackType, KeyId)]) -> Result<KeySet, Error> {
    if doc.content_keys.is_empty() {
        return Err(Error::no_key("the answer has no ContentKey"));
    }
    let mut out = Vec::with_capacity(sent.len());
    for &(t, sent_kid) in sent {
        let kid = choose_key(doc, t, sent_kid)?;
        let ck = doc
            .content_key(kid)
            .ok_or_else(|| Error::no_key(format!("ContentKey {kid} missing")))?;
        let key = match &ck.secret {
            KeySecret::Plain(k) => k.clone(),
            KeySecret::Absent => {
                return Err(Error::no_key(format!(
                    "ContentKey {kid} carries no key value"
                )));
            }
            KeySecret::Encrypted => {
                return Err(Error::invalid_key(format!(
                    "ContentKey {kid} is encrypted (DeliveryDataList); mdrm asks for and accepts plain keys only"
                )));
            }
        };
        let iv = match ck.explicit_iv {
            Some(iv) => iv,
            None => Iv::random(16).map_err(|_| Error::random())?,
        };
        out.push(TrackKey {
            track_type: t,
            kid,
            key,
            iv,
            signalling: signalling(doc, kid)?,
        });
    }
    Ok(KeySet::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpix::{parse, write};
    use crate::ids::ContentId;
    use crate::keyset::EncryptionScheme;
    use keys::ContentKey;

    fn request(multi: bool) -> KeyRequest {
        KeyRequest {
            site_id: None,
            content_id: ContentId::parse("c", "movie-1").unwrap(),
            track_types: vec![TrackType::Audio, TrackType::Sd, TrackType::Hd],
            multi_key: multi,
            drm_systems: vec![DrmSystem::Widevine, DrmSystem::FairPlay],
            scheme: Some(EncryptionScheme::Cbcs),
        }
    }

    /// Answers like mdrm-server: fills keys, keeps or replaces KIDs.
    fn answer(doc: &CpixDocument, replace_kids: bool) -> CpixDocument {
        let mut a = doc.clone();
        for (i, k) in a.content_keys.iter_mut().enumerate() {
            let new = if replace_kids {
                KeyId([i as u8 + 100; 16])
            } else {
                k.kid
            };
            for d in a.drm_systems.iter_mut().filter(|d| d.kid == k.kid) {
                d.kid = new;
            }
            for r in a.usage_rules.iter_mut().filter(|r| r.kid == k.kid) {
                r.kid = new;
            }
            k.kid = new;
            k.secret = KeySecret::Plain(ContentKey::new([i as u8 + 1; 16]));
            k.explicit_iv = Some(Iv::new16([i as u8 + 50; 16]));
        }
        a
    }

    #[test]
    fn request_shape() {
        let (doc, sent) = build_key_request(&request(true)).unwrap();
        assert_eq!(sent.len(), 3);
        assert_eq!(doc.content_keys.len(), 3);
        assert_eq!(doc.drm_systems.len(), 6);
        assert_eq!(doc.usage_rules.len(), 3);
        assert_eq!(doc.content_keys[0].scheme.as_deref(), Some("cbcs"));
        let xml = write(&doc);
        assert!(xml.contains(r#"intendedTrackType="AUDIO""#), "{xml}");
        assert!(xml.contains("<cpix:URIExtXKey/>"), "{xml}");
        let (single, sent) = build_key_request(&request(false)).unwrap();
        assert_eq!(sent, vec![(TrackType::All, single.content_keys[0].kid)]);
    }

    #[test]
    fn multi_key_answer_with_replaced_kids_maps_by_usage_rule() {
        let req = request(true);
        let (doc, sent) = build_key_request(&req).unwrap();
        let a = parse(&write(&answer(&doc, true))).unwrap();
        let set = read_key_answer(&a, &sent).unwrap();
        for (i, t) in [TrackType::Audio, TrackType::Sd, TrackType::Hd]
            .iter()
            .enumerate()
        {
            let k = set.for_track(*t).unwrap();
            assert_eq!(k.kid, KeyId([i as u8 + 100; 16]));
            assert_eq!(k.key.secret_bytes(), &[i as u8 + 1; 16]);
            assert_eq!(k.iv.as_bytes(), &[i as u8 + 50; 16]);
        }
    }

    #[test]
    fn single_key_answer_without_rules_serves_every_class() {
        let req = request(true);
        let (doc, sent) = build_key_request(&req).unwrap();
        let mut a = answer(&doc, true);
        a.content_keys.truncate(1);
        a.usage_rules.clear();
        let set = read_key_answer(&a, &sent).unwrap();
        assert_eq!(set.keys().len(), 3);
        assert!(set.keys().iter().all(|k| k.kid == KeyId([100; 16])));
    }

    #[test]
    fn missing_and_bad_keys_have_their_codes() {
        let req = request(true);
        let (doc, sent) = build_key_request(&req).unwrap();
        // Two keys, no rules, KIDs replaced: the HD class cannot be matched.
        let mut a = answer(&doc, true);
        a.content_keys.truncate(2);
        a.usage_rules.clear();
        assert!(matches!(
            read_key_answer(&a, &sent),
            Err(Error::NoKey { .. })
        ));
        // The server echoed the request without values.
        assert!(matches!(
            read_key_answer(&doc, &sent),
            Err(Error::NoKey { .. })
        ));
        let mut enc = answer(&doc, false);
        enc.content_keys[0].secret = KeySecret::Encrypted;
        assert!(matches!(
            read_key_answer(&enc, &sent),
            Err(Error::InvalidKey { .. })
        ));
        let mut bad_pssh = answer(&doc, false);
        bad_pssh.drm_systems[0].pssh = Signal::Value(b"not a box".to_vec());
        assert!(matches!(
            read_key_answer(&bad_pssh, &sent),
            Err(Error::MalformedCpix { .. })
        ));
        let empty = CpixDocument::default();
        assert!(matches!(
            read_key_answer(&empty, &sent),
            Err(Error::NoKey { .. })
        ));
    }
}
