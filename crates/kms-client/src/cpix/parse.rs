//! CPIX document -> [`CpixDocument`], validating what it reads.

use keys::{ContentKey, Iv, KeyId, decode_base64};
use zeroize::Zeroize;

use super::dom::{Element, parse_document};
use super::{
    AudioFilter, CpixContentKey, CpixDocument, CpixDrmSystem, CpixKeyPeriod, CpixUsageRule,
    KeySecret, NS_CPIX, Signal, VideoFilter, limits,
};
use crate::Error;
use crate::drm::SystemId;

fn kid_attr(el: &Element, what: &str) -> Result<KeyId, Error> {
    let text = el
        .attr("kid")
        .ok_or_else(|| Error::malformed(format!("{what} without a kid attribute")))?;
    KeyId::from_hex(text).map_err(|_| Error::malformed(format!("{what}@kid is not a 16-byte UUID")))
}

fn number<T: std::str::FromStr>(el: &Element, attr: &str) -> Result<Option<T>, Error> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            Error::malformed(format!("{}@{attr} is not a non-negative integer", el.name))
        }),
    }
}

fn base64_text(el: &Element, what: &str) -> Result<Vec<u8>, Error> {
    // Base64 in XML may be wrapped over several lines.
    let compact: String = el.text.chars().filter(|c| !c.is_whitespace()).collect();
    decode_base64("cpix value", &compact)
        .map_err(|_| Error::malformed(format!("{what} is not valid base64")))
}

fn signal(el: Option<&Element>, what: &str) -> Result<Signal, Error> {
    let Some(el) = el else {
        return Ok(Signal::Absent);
    };
    if el.text.trim().is_empty() {
        return Ok(Signal::Requested);
    }
    Ok(Signal::Value(base64_text(el, what)?))
}

fn content_key(el: &Element) -> Result<CpixContentKey, Error> {
    let kid = kid_attr(el, "ContentKey")?;
    let explicit_iv = match el.attr("explicitIV") {
        None => None,
        Some(text) => {
            let bytes = decode_base64("explicit iv", text).map_err(|_| {
                Error::invalid_key(format!("ContentKey {kid}: explicitIV is not valid base64"))
            })?;
            if bytes.len() != 16 {
                return Err(Error::invalid_key(format!(
                    "ContentKey {kid}: explicitIV has {} bytes, expected 16",
                    bytes.len()
                )));
            }
            Some(Iv::from_slice(&bytes).map_err(|_| Error::invalid_key("explicitIV"))?)
        }
    };
    let secret = match el.child("Data").and_then(|d| d.child("Secret")) {
        None => KeySecret::Absent,
        Some(secret) => {
            if let Some(plain) = secret.child("PlainValue") {
                let compact: String = plain.text.chars().filter(|c| !c.is_whitespace()).collect();
                let mut bytes = decode_base64("content key", &compact).map_err(|_| {
                    Error::invalid_key(format!("ContentKey {kid}: PlainValue is not valid base64"))
                })?;
                let len = bytes.len();
                let key = <[u8; 16]>::try_from(bytes.as_slice())
                    .ok()
                    .map(ContentKey::new);
                bytes.zeroize();
                match key {
                    Some(k) => KeySecret::Plain(k),
                    None => {
                        return Err(Error::invalid_key(format!(
                            "ContentKey {kid}: key has {len} bytes, expected 16"
                        )));
                    }
                }
            } else if secret.child("EncryptedValue").is_some() {
                KeySecret::Encrypted
            } else {
                KeySecret::Absent
            }
        }
    };
    Ok(CpixContentKey {
        kid,
        explicit_iv,
        scheme: el.attr("commonEncryptionScheme").map(str::to_string),
        secret,
    })
}

fn drm_system(el: &Element) -> Result<CpixDrmSystem, Error> {
    let kid = kid_attr(el, "DRMSystem")?;
    let system_id = el
        .attr("systemId")
        .and_then(SystemId::parse)
        .ok_or_else(|| Error::malformed("DRMSystem@systemId missing or not a UUID"))?;
    let mut d = CpixDrmSystem::new(kid, system_id);
    d.pssh = signal(el.child("PSSH"), "DRMSystem/PSSH")?;
    d.content_protection_data = signal(
        el.child("ContentProtectionData"),
        "DRMSystem/ContentProtectionData",
    )?;
    d.uri_ext_x_key = signal(el.child("URIExtXKey"), "DRMSystem/URIExtXKey")?;
    for hls in el.children_named("HLSSignalingData") {
        let sig = signal(Some(hls), "DRMSystem/HLSSignalingData")?;
        match hls.attr("playlist").map(str::trim) {
            None | Some("media") => d.hls_media = sig,
            Some("master") => d.hls_master = sig,
            Some(_) => {
                return Err(Error::malformed(
                    "HLSSignalingData@playlist is neither media nor master",
                ));
            }
        }
    }
    d.smooth_streaming_header = signal(
        el.child("SmoothStreamingProtectionHeaderData"),
        "DRMSystem/SmoothStreamingProtectionHeaderData",
    )?;
    d.speke_protection_header = signal(
        el.child("ProtectionHeader"),
        "DRMSystem/speke:ProtectionHeader",
    )?;
    Ok(d)
}

fn usage_rule(el: &Element) -> Result<CpixUsageRule, Error> {
    let kid = kid_attr(el, "ContentKeyUsageRule")?;
    let mut rule = CpixUsageRule {
        kid,
        intended_track_type: el.attr("intendedTrackType").map(str::to_string),
        period_ids: Vec::new(),
        video_filters: Vec::new(),
        audio_filters: Vec::new(),
    };
    for c in &el.children {
        match c.name.as_str() {
            "KeyPeriodFilter" => rule.period_ids.push(
                c.attr("periodId")
                    .ok_or_else(|| Error::malformed("KeyPeriodFilter without periodId"))?
                    .to_string(),
            ),
            "VideoFilter" => rule.video_filters.push(VideoFilter {
                min_pixels: number(c, "minPixels")?,
                max_pixels: number(c, "maxPixels")?,
            }),
            "AudioFilter" => rule.audio_filters.push(AudioFilter {
                min_channels: number(c, "minChannels")?,
                max_channels: number(c, "maxChannels")?,
            }),
            _ => {}
        }
    }
    Ok(rule)
}

fn bounded<T>(
    list: Option<&Element>,
    item: &str,
    max: usize,
    f: impl Fn(&Element) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for el in list.children_named(item) {
        if out.len() >= max {
            return Err(Error::malformed(format!("more than {max} {item} elements")));
        }
        out.push(f(el)?);
    }
    Ok(out)
}

/// Parses a CPIX document (request or answer).
///
/// Errors: [`Error::MalformedCpix`] for XML and structure problems, [`Error::InvalidKey`] for
/// key values or IVs of the wrong size or encoding. Never panics.
pub fn parse(text: &str) -> Result<CpixDocument, Error> {
    let root = parse_document(text)?;
    if root.name != "CPIX" || root.namespace.as_deref() != Some(NS_CPIX) {
        return Err(Error::malformed(format!(
            "root element is not CPIX in namespace {NS_CPIX}"
        )));
    }
    let content_id = root
        .attr("contentId")
        .or_else(|| root.attr("id"))
        .map(str::to_string);
    let content_keys = bounded(
        root.child("ContentKeyList"),
        "ContentKey",
        limits::MAX_CONTENT_KEYS,
        content_key,
    )?;
    for (i, k) in content_keys.iter().enumerate() {
        if content_keys[..i].iter().any(|o| o.kid == k.kid) {
            return Err(Error::malformed(format!(
                "ContentKey {} appears twice",
                k.kid
            )));
        }
    }
    let drm_systems = bounded(
        root.child("DRMSystemList"),
        "DRMSystem",
        limits::MAX_DRM_SYSTEMS,
        drm_system,
    )?;
    let key_periods = bounded(
        root.child("ContentKeyPeriodList"),
        "ContentKeyPeriod",
        limits::MAX_KEY_PERIODS,
        |el| {
            Ok(CpixKeyPeriod {
                id: el
                    .attr("id")
                    .ok_or_else(|| Error::malformed("ContentKeyPeriod without id"))?
                    .to_string(),
                index: number(el, "index")?,
            })
        },
    )?;
    let usage_rules = bounded(
        root.child("ContentKeyUsageRuleList"),
        "ContentKeyUsageRule",
        limits::MAX_USAGE_RULES,
        usage_rule,
    )?;
    Ok(CpixDocument {
        content_id,
        version: root.attr("version").map(str::to_string),
        content_keys,
        drm_systems,
        key_periods,
        usage_rules,
        has_delivery_data: root.child("DeliveryDataList").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINIMAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX contentId="movie-0001" version="2.3" xmlns:cpix="urn:dashif:org:cpix"
           xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
  <cpix:ContentKeyList>
    <cpix:ContentKey kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" commonEncryptionScheme="cenc"/>
  </cpix:ContentKeyList>
  <cpix:DRMSystemList>
    <cpix:DRMSystem kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed">
      <cpix:PSSH/><cpix:ContentProtectionData/>
    </cpix:DRMSystem>
  </cpix:DRMSystemList>
  <cpix:ContentKeyUsageRuleList>
    <cpix:ContentKeyUsageRule kid="681e5b39-49f2-4dfa-b744-86573c22e6fb" intendedTrackType="ALL">
      <cpix:VideoFilter/><cpix:AudioFilter/>
    </cpix:ContentKeyUsageRule>
  </cpix:ContentKeyUsageRuleList>
</cpix:CPIX>"#;

    #[test]
    fn minimal_request_of_protocols_md_5_1() {
        let d = parse(MINIMAL).unwrap();
        assert_eq!(d.content_id.as_deref(), Some("movie-0001"));
        assert_eq!(d.version.as_deref(), Some("2.3"));
        assert_eq!(d.content_keys.len(), 1);
        assert_eq!(d.content_keys[0].secret, KeySecret::Absent);
        assert_eq!(d.content_keys[0].scheme.as_deref(), Some("cenc"));
        assert_eq!(d.drm_systems[0].system_id, SystemId::WIDEVINE);
        assert_eq!(d.drm_systems[0].pssh, Signal::Requested);
        assert_eq!(d.drm_systems[0].uri_ext_x_key, Signal::Absent);
        assert_eq!(d.usage_rules[0].intended_track_type.as_deref(), Some("ALL"));
        assert_eq!(d.usage_rules[0].video_filters.len(), 1);
    }

    #[test]
    fn wrong_root_or_namespace_is_malformed() {
        for doc in [
            r#"<CPIX xmlns="urn:other"/>"#,
            r#"<cpix:Other xmlns:cpix="urn:dashif:org:cpix"/>"#,
            r#"{"error":"json"}"#,
        ] {
            assert!(
                matches!(parse(doc), Err(Error::MalformedCpix { .. })),
                "{doc}"
            );
        }
        // Default namespace works as well as a prefix.
        assert!(parse(r#"<CPIX xmlns="urn:dashif:org:cpix" id="x"/>"#).is_ok());
    }

    #[test]
    fn bad_key_material_is_invalid_key() {
        let short = MINIMAL.replace(
            r#"commonEncryptionScheme="cenc"/>"#,
            r#"><cpix:Data><pskc:Secret><pskc:PlainValue>AAAA</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>"#,
        );
        let e = parse(&short).unwrap_err();
        assert!(matches!(e, Error::InvalidKey { .. }), "{e}");
        assert!(e.to_string().contains("3 bytes"), "{e}");
        let iv = MINIMAL.replace(r#"commonEncryptionScheme="cenc""#, r#"explicitIV="AAAA""#);
        assert!(matches!(parse(&iv), Err(Error::InvalidKey { .. })));
        let kid = MINIMAL.replacen("681e5b39-49f2-4dfa-b744-86573c22e6fb", "not-a-uuid", 1);
        assert!(matches!(parse(&kid), Err(Error::MalformedCpix { .. })));
        let dup = MINIMAL.replace(
            "</cpix:ContentKeyList>",
            r#"<cpix:ContentKey kid="681e5b39-49f2-4dfa-b744-86573c22e6fb"/></cpix:ContentKeyList>"#,
        );
        assert!(matches!(parse(&dup), Err(Error::MalformedCpix { .. })));
    }

    #[test]
    fn error_messages_never_echo_key_values() {
        let secret = "c2VjcmV0LWtleS1ieXRlcy0x"; // 18 bytes: wrong size
        let doc = MINIMAL.replace(
            r#"commonEncryptionScheme="cenc"/>"#,
            &format!(
                r#"><cpix:Data><pskc:Secret><pskc:PlainValue>{secret}</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>"#
            ),
        );
        let e = parse(&doc).unwrap_err().to_string();
        assert!(!e.contains(secret), "{e}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,400}") {
            let _ = parse(&s);
        }

        #[test]
        fn mutated_documents_never_panic(pos in 0usize..1200, len in 0usize..40, insert in ".{0,12}") {
            let mut doc = MINIMAL.to_string();
            let start = pos.min(doc.len());
            let end = (start + len).min(doc.len());
            if doc.is_char_boundary(start) && doc.is_char_boundary(end) {
                doc.replace_range(start..end, &insert);
            }
            let _ = parse(&doc);
        }
    }
}
