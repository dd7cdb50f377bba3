//! From a CPIX request to the CPIX answer: which keys to issue (one per usage-rule track
//! label), and the answer document with keys, IVs and signalling filled in.

use keys::{KeyId, TrackType};
use kms_client::cpix::{CpixDocument, CpixDrmSystem, KeySecret, Signal, TrackSet, rule_tracks};
use kms_client::{ContentId, EncryptionScheme, StoredKey, SystemId, is_valid_track_label};

use super::signalling::{self as sig, SignallingSettings};
use crate::api_error::ApiError;

/// What the request asks for.
#[derive(Debug)]
pub struct KeyPlan {
    /// The content id.
    pub content_id: ContentId,
    /// One track label per request `ContentKey`, in document order.
    pub labels: Vec<String>,
    /// The scheme per request `ContentKey`.
    pub schemes: Vec<Option<EncryptionScheme>>,
}

fn label_of_set(set: TrackSet) -> Option<String> {
    if set == TrackSet::ALL {
        return Some("ALL".into());
    }
    let parts: Vec<&str> = [
        TrackType::Audio,
        TrackType::Sd,
        TrackType::Hd,
        TrackType::Uhd1,
        TrackType::Uhd2,
    ]
    .into_iter()
    .filter(|t| set.contains(*t))
    .map(TrackType::as_str)
    .collect();
    (!parts.is_empty()).then(|| parts.join("+"))
}

fn scheme(text: Option<&str>, kid: KeyId) -> Result<Option<EncryptionScheme>, ApiError> {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(None),
        Some("cenc" | "cens") => Ok(Some(EncryptionScheme::Cenc)),
        Some("cbcs" | "cbc1") => Ok(Some(EncryptionScheme::Cbcs)),
        Some(_) => Err(ApiError::bad_request(
            "BAD_CPIX",
            format!("ContentKey {kid}: commonEncryptionScheme must be cenc, cbc1, cens or cbcs"),
        )),
    }
}

/// Checks the request and decides the track label of each key.
pub fn plan(req: &CpixDocument) -> Result<KeyPlan, ApiError> {
    if req.has_delivery_data {
        return Err(ApiError::unsupported(
            "encrypted key delivery (DeliveryDataList) is not supported; request plain keys over HTTPS",
        ));
    }
    if !req.key_periods.is_empty() {
        return Err(ApiError::unsupported(
            "key rotation (ContentKeyPeriodList) is not supported",
        ));
    }
    let cid = req.content_id.as_deref().ok_or_else(|| {
        ApiError::bad_request("BAD_CPIX", "CPIX@contentId (or CPIX@id) is missing")
    })?;
    let content_id = ContentId::parse("CPIX@contentId", cid)
        .map_err(|e| ApiError::bad_request("BAD_CPIX", e.to_string()))?;
    if req.content_keys.is_empty() {
        return Err(ApiError::bad_request("BAD_CPIX", "no ContentKey requested"));
    }
    let single = req.content_keys.len() == 1;
    let mut labels: Vec<String> = Vec::with_capacity(req.content_keys.len());
    let mut schemes = Vec::with_capacity(req.content_keys.len());
    for k in &req.content_keys {
        let label = match req.usage_rules_for(k.kid).next() {
            Some(rule) => match rule.intended_track_type.as_deref().map(str::trim) {
                Some(t) if !t.is_empty() => t.to_ascii_uppercase(),
                _ => label_of_set(rule_tracks(rule)).ok_or_else(|| {
                    ApiError::bad_request(
                        "BAD_CPIX",
                        format!("ContentKeyUsageRule for {} matches no track", k.kid),
                    )
                })?,
            },
            None if single => "ALL".to_string(),
            None => {
                return Err(ApiError::bad_request(
                    "BAD_CPIX",
                    format!(
                        "ContentKey {} has no ContentKeyUsageRule; with several keys each needs one with an intendedTrackType",
                        k.kid
                    ),
                ));
            }
        };
        if !is_valid_track_label(&label) {
            return Err(ApiError::bad_request(
                "BAD_CPIX",
                format!("intendedTrackType {label:?} is not a track type (1-32 of A-Z 0-9 _ + -)"),
            ));
        }
        if labels.contains(&label) {
            return Err(ApiError::bad_request(
                "BAD_CPIX",
                format!("two ContentKeys for intendedTrackType {label}; each needs its own"),
            ));
        }
        labels.push(label);
        schemes.push(scheme(k.scheme.as_deref(), k.kid)?);
    }
    for d in &req.drm_systems {
        if req.content_key(d.kid).is_none() {
            return Err(ApiError::bad_request(
                "BAD_CPIX",
                format!(
                    "DRMSystem refers to KID {} that is not in the ContentKeyList",
                    d.kid
                ),
            ));
        }
    }
    for r in &req.usage_rules {
        if req.content_key(r.kid).is_none() {
            return Err(ApiError::bad_request(
                "BAD_CPIX",
                format!(
                    "ContentKeyUsageRule refers to KID {} that is not in the ContentKeyList",
                    r.kid
                ),
            ));
        }
    }
    Ok(KeyPlan {
        content_id,
        labels,
        schemes,
    })
}

struct KeyContext<'a> {
    stored: &'a StoredKey,
    content_id: &'a str,
    scheme: Option<EncryptionScheme>,
}

fn set(signal: &mut Signal, fill: bool, value: impl FnOnce() -> Vec<u8>) {
    if fill {
        *signal = Signal::Value(value());
    }
}

/// Fills the signalling of one `DRMSystem`. Elements the request lists (empty) are filled;
/// a `DRMSystem` listing none (the cloud KMS's request style) gets this system's defaults.
fn fill(d: &mut CpixDrmSystem, k: &KeyContext<'_>, s: &SignallingSettings) {
    let listed = [
        &d.pssh,
        &d.content_protection_data,
        &d.uri_ext_x_key,
        &d.hls_media,
        &d.hls_master,
        &d.smooth_streaming_header,
        &d.speke_protection_header,
    ]
    .iter()
    .any(|x| x.is_present());
    let want = |x: &Signal| x.is_present() || !listed;
    let asked = |x: &Signal| x.is_present();
    let kid = k.stored.kid;
    match d.system_id {
        SystemId::WIDEVINE => {
            let pssh =
                sig::widevine_pssh(kid, k.content_id, k.scheme, s.widevine_provider.as_deref());
            let (w_cpd, w_media, w_master) = (
                want(&d.content_protection_data),
                asked(&d.hls_media),
                asked(&d.hls_master),
            );
            set(&mut d.content_protection_data, w_cpd, || {
                sig::widevine_content_protection(&pssh).into_bytes()
            });
            set(&mut d.hls_media, w_media, || {
                sig::widevine_hls_line(&pssh, kid, false).into_bytes()
            });
            set(&mut d.hls_master, w_master, || {
                sig::widevine_hls_line(&pssh, kid, true).into_bytes()
            });
            let w = want(&d.pssh);
            set(&mut d.pssh, w, || pssh);
        }
        SystemId::PLAYREADY => {
            let header =
                sig::playready_header(kid, &k.stored.key, k.scheme, s.playready_la_url.as_deref());
            let pro = sig::playready_object(&header);
            let pssh = sig::playready_pssh(&pro);
            let (w_cpd, w_ss, w_speke, w_media, w_master, w_pssh) = (
                want(&d.content_protection_data),
                asked(&d.smooth_streaming_header),
                want(&d.speke_protection_header),
                asked(&d.hls_media),
                asked(&d.hls_master),
                want(&d.pssh),
            );
            set(&mut d.content_protection_data, w_cpd, || {
                sig::playready_content_protection(&pro, &pssh).into_bytes()
            });
            set(&mut d.smooth_streaming_header, w_ss, || pro.clone());
            set(&mut d.speke_protection_header, w_speke, || pro.clone());
            set(&mut d.hls_media, w_media, || {
                sig::playready_hls_line(&pro, false).into_bytes()
            });
            set(&mut d.hls_master, w_master, || {
                sig::playready_hls_line(&pro, true).into_bytes()
            });
            set(&mut d.pssh, w_pssh, || pssh);
        }
        SystemId::CLEARKEY | SystemId::CLEARKEY_DASHIF => {
            let pssh = sig::common_pssh(&[kid]);
            let cpd = if d.system_id == SystemId::CLEARKEY {
                sig::common_content_protection(&pssh)
            } else {
                sig::clearkey_content_protection(&s.clearkey_license_url)
            };
            let w_cpd = want(&d.content_protection_data);
            set(&mut d.content_protection_data, w_cpd, || cpd.into_bytes());
            let w = want(&d.pssh);
            set(&mut d.pssh, w, || pssh);
        }
        SystemId::FAIRPLAY => {
            let (w_uri, w_media, w_master) = (
                want(&d.uri_ext_x_key),
                want(&d.hls_media),
                want(&d.hls_master),
            );
            set(&mut d.uri_ext_x_key, w_uri, || {
                sig::fairplay_uri(k.content_id).into_bytes()
            });
            set(&mut d.hls_media, w_media, || {
                sig::fairplay_hls_line(k.content_id, false).into_bytes()
            });
            set(&mut d.hls_master, w_master, || {
                sig::fairplay_hls_line(k.content_id, true).into_bytes()
            });
        }
        // HLS AES-128/NCG key delivery and unknown systems: nothing to offer; requested
        // elements stay empty and the client decides.
        _ => {}
    }
}

/// The answer to `req`: `stored[i]` is the key issued for `req.content_keys[i]`.
pub fn answer(
    req: &CpixDocument,
    plan: &KeyPlan,
    stored: &[StoredKey],
    settings: &SignallingSettings,
) -> CpixDocument {
    let index_of = |kid: KeyId| {
        req.content_keys
            .iter()
            .position(|k| k.kid == kid)
            .expect("plan() checked every KID")
    };
    let mut doc = CpixDocument {
        content_id: req.content_id.clone(),
        version: req.version.clone(),
        ..CpixDocument::default()
    };
    for (i, k) in req.content_keys.iter().enumerate() {
        let mut ck = k.clone();
        ck.kid = stored[i].kid;
        ck.explicit_iv = Some(stored[i].iv);
        ck.secret = KeySecret::Plain(stored[i].key.clone());
        doc.content_keys.push(ck);
    }
    for d in &req.drm_systems {
        let i = index_of(d.kid);
        let mut out = d.clone();
        out.kid = stored[i].kid;
        let ctx = KeyContext {
            stored: &stored[i],
            content_id: plan.content_id.as_str(),
            scheme: plan.schemes[i],
        };
        fill(&mut out, &ctx, settings);
        doc.drm_systems.push(out);
    }
    for r in &req.usage_rules {
        let mut out = r.clone();
        out.kid = stored[index_of(r.kid)].kid;
        doc.usage_rules.push(out);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use keys::{ContentKey, Iv};
    use kms_client::cpix::{CpixContentKey, parse};

    fn stored(b: u8, label: &str) -> StoredKey {
        StoredKey {
            site_id: "S".into(),
            content_id: "c".into(),
            track_type: label.into(),
            kid: KeyId([b; 16]),
            key: ContentKey::new([b + 1; 16]),
            iv: Iv::new16([b + 2; 16]),
            created_at: 0,
            created: true,
        }
    }

    const CLOUD_STYLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX id="your-content-id" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:speke="urn:aws:amazon:com:speke">
  <cpix:ContentKeyList>
      <cpix:ContentKey kid="681e5b39-49f2-4dfa-b744-86573c22e6fb"></cpix:ContentKey>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
      <cpix:DRMSystem kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" systemId="9A04F079-9840-4286-AB92-E65BE0885F95" />
      <cpix:DRMSystem kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" systemId="EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED" />
      <cpix:DRMSystem kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" systemId="94CE86FB-07FF-4F43-ADB8-93D2FA968CA2" />
  </cpix:DRMSystemList>
</cpix:CPIX>"#;

    #[test]
    fn cloud_style_request_gets_defaults_for_every_system() {
        // The cloud KMS guide's DASH VOD request (+ FairPlay): no usage rules, no children.
        let req = parse(CLOUD_STYLE).unwrap();
        let p = plan(&req).unwrap();
        assert_eq!(p.labels, ["ALL"]);
        assert_eq!(p.content_id.as_str(), "your-content-id");
        let a = answer(
            &req,
            &p,
            &[stored(5, "ALL")],
            &SignallingSettings::default(),
        );
        let a = parse(&kms_client::cpix::write(&a)).unwrap();
        assert_eq!(a.content_keys[0].kid, KeyId([5; 16]));
        assert_eq!(
            a.content_keys[0].secret,
            KeySecret::Plain(ContentKey::new([6; 16]))
        );
        let pr = &a.drm_systems[0];
        assert!(pr.pssh.value().is_some() && pr.speke_protection_header.value().is_some());
        assert_eq!(pr.kid, KeyId([5; 16]));
        let wv = &a.drm_systems[1];
        assert!(wv.pssh.value().is_some());
        assert_eq!(wv.hls_media, Signal::Absent, "HLS lines only when asked");
        let fp = &a.drm_systems[2];
        assert_eq!(fp.uri_ext_x_key.value().unwrap(), b"skd://your-content-id");
        assert!(fp.hls_master.value().is_some());
    }

    #[test]
    fn speke_style_request_gets_what_it_lists() {
        let kid = KeyId([1; 16]);
        let mut req = CpixDocument {
            content_id: Some("abc123".into()),
            version: Some("2.3".into()),
            content_keys: vec![CpixContentKey {
                scheme: Some("cbcs".into()),
                ..CpixContentKey::request(kid)
            }],
            ..CpixDocument::default()
        };
        let mut wv = CpixDrmSystem::new(kid, SystemId::WIDEVINE);
        wv.hls_media = Signal::Requested;
        wv.pssh = Signal::Requested;
        req.drm_systems.push(wv);
        req.usage_rules
            .push(kms_client::cpix::usage_rule_for(kid, TrackType::Hd));
        let p = plan(&req).unwrap();
        assert_eq!(p.labels, ["HD"]);
        assert_eq!(p.schemes, [Some(EncryptionScheme::Cbcs)]);
        let a = answer(&req, &p, &[stored(9, "HD")], &SignallingSettings::default());
        let d = &a.drm_systems[0];
        assert!(
            d.pssh
                .value()
                .unwrap()
                .ends_with(&[0x48, 0xF3, 0xC6, 0x89, 0x9B, 0x06])
        );
        assert!(
            String::from_utf8(d.hls_media.value().unwrap().to_vec())
                .unwrap()
                .starts_with("#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"data:text/plain;base64,")
        );
        assert_eq!(d.content_protection_data, Signal::Absent);
        assert_eq!(a.usage_rules[0].kid, KeyId([9; 16]));
        assert_eq!(a.content_keys[0].scheme.as_deref(), Some("cbcs"));
    }

    #[test]
    fn plan_refusals() {
        let base = parse(CLOUD_STYLE).unwrap();
        let mut r = base.clone();
        r.content_id = None;
        assert_eq!(plan(&r).unwrap_err().code, "BAD_CPIX");
        let mut r = base.clone();
        r.has_delivery_data = true;
        assert_eq!(plan(&r).unwrap_err().code, "UNSUPPORTED");
        let mut r = base.clone();
        r.key_periods.push(kms_client::cpix::CpixKeyPeriod {
            id: "p".into(),
            index: Some(1),
        });
        assert_eq!(plan(&r).unwrap_err().code, "UNSUPPORTED");
        let mut r = base.clone();
        r.content_keys.push(CpixContentKey::request(KeyId([2; 16])));
        assert_eq!(
            plan(&r).unwrap_err().code,
            "BAD_CPIX",
            "two keys without rules"
        );
        let mut r = base.clone();
        r.drm_systems[0].kid = KeyId([3; 16]);
        assert_eq!(
            plan(&r).unwrap_err().code,
            "BAD_CPIX",
            "dangling DRMSystem kid"
        );
        let mut r = base;
        r.content_keys[0].scheme = Some("xyz".into());
        assert_eq!(plan(&r).unwrap_err().code, "BAD_CPIX");
    }

    #[test]
    fn labels_from_filters_and_duplicates() {
        let k1 = KeyId([1; 16]);
        let k2 = KeyId([2; 16]);
        let mut req = CpixDocument {
            content_id: Some("c".into()),
            content_keys: vec![CpixContentKey::request(k1), CpixContentKey::request(k2)],
            ..CpixDocument::default()
        };
        let mut r1 = kms_client::cpix::usage_rule_for(k1, TrackType::Audio);
        r1.intended_track_type = None;
        let r2 = kms_client::cpix::usage_rule_for(k2, TrackType::Audio);
        req.usage_rules = vec![r1, r2];
        assert_eq!(plan(&req).unwrap_err().code, "BAD_CPIX", "two AUDIO keys");
        req.usage_rules[1] = kms_client::cpix::usage_rule_for(k2, TrackType::Uhd1);
        assert_eq!(plan(&req).unwrap().labels, ["AUDIO", "UHD1"]);
    }
}
