//! [`CpixDocument`] -> CPIX 2.3 XML (elements in schema order, `cpix:`/`pskc:`/`speke:` prefixes).

use std::borrow::Cow;

use keys::to_base64;
use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use super::{
    CpixContentKey, CpixDocument, CpixDrmSystem, CpixUsageRule, KeySecret, NS_CPIX, NS_PSKC,
    NS_SPEKE, Signal,
};

struct Out(Writer<Vec<u8>>);

impl Out {
    // Writing into a Vec<u8> cannot fail.
    fn event(&mut self, e: Event<'_>) {
        self.0
            .write_event(e)
            .expect("writing XML into memory cannot fail");
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.event(Event::Start(element(name, attrs)));
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.event(Event::Empty(element(name, attrs)));
    }

    fn end(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    fn text_element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        self.event(Event::Text(BytesText::new(text)));
        self.end(name);
    }

    fn signal(&mut self, name: &str, attrs: &[(&str, &str)], s: &Signal) {
        match s {
            Signal::Absent => {}
            Signal::Requested => self.empty(name, attrs),
            Signal::Value(v) => self.text_element(name, attrs, &to_base64(v)),
        }
    }
}

/// Escapes an attribute value so it reads back unchanged: markup characters and every control
/// character (tab, newline, ... which attribute normalisation would otherwise turn into spaces)
/// become references.
fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn element<'a>(name: &'a str, attrs: &[(&'a str, &str)]) -> BytesStart<'a> {
    let mut el = BytesStart::new(name);
    for (k, v) in attrs {
        el.push_attribute(Attribute {
            key: QName(k),
            value: Cow::Owned(escape_attribute(v)),
        });
    }
    el
}

fn uuid(kid: &keys::KeyId) -> String {
    kid.to_string()
}

fn content_key(out: &mut Out, k: &CpixContentKey) {
    let kid = uuid(&k.kid);
    let iv = k.explicit_iv.map(|iv| to_base64(iv.as_bytes()));
    let mut attrs: Vec<(&str, &str)> = vec![("kid", &kid)];
    if let Some(iv) = &iv {
        attrs.push(("explicitIV", iv));
    }
    if let Some(s) = &k.scheme {
        attrs.push(("commonEncryptionScheme", s));
    }
    match &k.secret {
        KeySecret::Plain(key) => {
            out.start("cpix:ContentKey", &attrs);
            out.start("cpix:Data", &[]);
            out.start("pskc:Secret", &[]);
            let mut b64 = to_base64(key.secret_bytes());
            out.text_element("pskc:PlainValue", &[], &b64);
            zeroize::Zeroize::zeroize(&mut b64);
            out.end("pskc:Secret");
            out.end("cpix:Data");
            out.end("cpix:ContentKey");
        }
        // Encrypted values cannot be re-emitted without the document key: leave Data out.
        KeySecret::Absent | KeySecret::Encrypted => out.empty("cpix:ContentKey", &attrs),
    }
}

fn drm_system(out: &mut Out, d: &CpixDrmSystem) {
    let kid = uuid(&d.kid);
    let sys = d.system_id.to_string();
    out.start("cpix:DRMSystem", &[("kid", &kid), ("systemId", &sys)]);
    out.signal("cpix:PSSH", &[], &d.pssh);
    out.signal(
        "cpix:ContentProtectionData",
        &[],
        &d.content_protection_data,
    );
    out.signal("cpix:URIExtXKey", &[], &d.uri_ext_x_key);
    out.signal(
        "cpix:HLSSignalingData",
        &[("playlist", "media")],
        &d.hls_media,
    );
    out.signal(
        "cpix:HLSSignalingData",
        &[("playlist", "master")],
        &d.hls_master,
    );
    out.signal(
        "cpix:SmoothStreamingProtectionHeaderData",
        &[],
        &d.smooth_streaming_header,
    );
    out.signal("speke:ProtectionHeader", &[], &d.speke_protection_header);
    out.end("cpix:DRMSystem");
}

fn usage_rule(out: &mut Out, r: &CpixUsageRule) {
    let kid = uuid(&r.kid);
    let mut attrs: Vec<(&str, &str)> = vec![("kid", &kid)];
    if let Some(t) = &r.intended_track_type {
        attrs.push(("intendedTrackType", t));
    }
    out.start("cpix:ContentKeyUsageRule", &attrs);
    for p in &r.period_ids {
        out.empty("cpix:KeyPeriodFilter", &[("periodId", p)]);
    }
    for f in &r.video_filters {
        let min = f.min_pixels.map(|v| v.to_string());
        let max = f.max_pixels.map(|v| v.to_string());
        let mut a: Vec<(&str, &str)> = Vec::new();
        if let Some(v) = &min {
            a.push(("minPixels", v));
        }
        if let Some(v) = &max {
            a.push(("maxPixels", v));
        }
        out.empty("cpix:VideoFilter", &a);
    }
    for f in &r.audio_filters {
        let min = f.min_channels.map(|v| v.to_string());
        let max = f.max_channels.map(|v| v.to_string());
        let mut a: Vec<(&str, &str)> = Vec::new();
        if let Some(v) = &min {
            a.push(("minChannels", v));
        }
        if let Some(v) = &max {
            a.push(("maxChannels", v));
        }
        out.empty("cpix:AudioFilter", &a);
    }
    out.end("cpix:ContentKeyUsageRule");
}

/// Writes `doc` as CPIX XML (UTF-8, with declaration, indented).
///
/// The content id is written both as `contentId` (CPIX 2.3, SPEKE v2) and `id` (SPEKE v1 and
/// the cloud KMS read this one), so one document works against both kinds of server.
pub fn write(doc: &CpixDocument) -> String {
    let mut out = Out(Writer::new_with_indent(Vec::new(), b' ', 2));
    out.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if let Some(cid) = &doc.content_id {
        attrs.push(("contentId", cid));
        attrs.push(("id", cid));
    }
    if let Some(v) = &doc.version {
        attrs.push(("version", v));
    }
    attrs.push(("xmlns:cpix", NS_CPIX));
    attrs.push(("xmlns:pskc", NS_PSKC));
    attrs.push(("xmlns:speke", NS_SPEKE));
    out.start("cpix:CPIX", &attrs);
    if !doc.content_keys.is_empty() {
        out.start("cpix:ContentKeyList", &[]);
        doc.content_keys
            .iter()
            .for_each(|k| content_key(&mut out, k));
        out.end("cpix:ContentKeyList");
    }
    if !doc.drm_systems.is_empty() {
        out.start("cpix:DRMSystemList", &[]);
        doc.drm_systems.iter().for_each(|d| drm_system(&mut out, d));
        out.end("cpix:DRMSystemList");
    }
    if !doc.key_periods.is_empty() {
        out.start("cpix:ContentKeyPeriodList", &[]);
        for p in &doc.key_periods {
            let index = p.index.map(|i| i.to_string());
            let mut a: Vec<(&str, &str)> = vec![("id", &p.id)];
            if let Some(i) = &index {
                a.push(("index", i));
            }
            out.empty("cpix:ContentKeyPeriod", &a);
        }
        out.end("cpix:ContentKeyPeriodList");
    }
    if !doc.usage_rules.is_empty() {
        out.start("cpix:ContentKeyUsageRuleList", &[]);
        doc.usage_rules.iter().for_each(|r| usage_rule(&mut out, r));
        out.end("cpix:ContentKeyUsageRuleList");
    }
    out.end("cpix:CPIX");
    let bytes = out.0.into_inner();
    // quick-xml writes only the UTF-8 we gave it.
    String::from_utf8(bytes).expect("quick-xml writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::super::{AudioFilter, CpixKeyPeriod, VideoFilter, parse, usage_rule_for};
    use super::*;
    use crate::drm::SystemId;
    use keys::{ContentKey, Iv, KeyId, TrackType};
    use proptest::prelude::*;

    fn sample() -> CpixDocument {
        let kid = KeyId([7; 16]);
        let mut drm = CpixDrmSystem::new(kid, SystemId::FAIRPLAY);
        drm.uri_ext_x_key = Signal::Value(b"skd://cid & <x>".to_vec());
        drm.hls_media = Signal::Requested;
        drm.hls_master = Signal::Value(b"#EXT-X-SESSION-KEY:...".to_vec());
        CpixDocument {
            content_id: Some("cid \"quoted\" & <tagged>\t\r\n\u{1}'x".into()),
            version: Some("2.3".into()),
            content_keys: vec![CpixContentKey {
                kid,
                explicit_iv: Some(Iv::new16([9; 16])),
                scheme: Some("cbcs".into()),
                secret: KeySecret::Plain(ContentKey::new([3; 16])),
            }],
            drm_systems: vec![drm],
            key_periods: vec![CpixKeyPeriod {
                id: "keyPeriod_1".into(),
                index: Some(128),
            }],
            usage_rules: vec![
                usage_rule_for(kid, TrackType::Hd),
                CpixUsageRule {
                    kid,
                    intended_track_type: None,
                    period_ids: vec!["keyPeriod_1".into()],
                    video_filters: vec![VideoFilter::default()],
                    audio_filters: vec![AudioFilter {
                        min_channels: Some(1),
                        max_channels: Some(2),
                    }],
                },
            ],
            has_delivery_data: false,
        }
    }

    #[test]
    fn write_then_parse_is_identity() {
        let doc = sample();
        let xml = write(&doc);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("contentId="));
        assert_eq!(parse(&xml).unwrap(), doc);
    }

    proptest! {
        #[test]
        fn any_document_round_trips(
            cid in "(?s)[^\\x00]{1,40}",
            kids in proptest::collection::vec(any::<[u8; 16]>(), 1..4),
            key in any::<[u8; 16]>(),
            pssh in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut kids = kids;
            kids.sort();
            kids.dedup();
            let doc = CpixDocument {
                content_id: Some(cid),
                version: Some("2.3".into()),
                content_keys: kids.iter().map(|k| CpixContentKey {
                    kid: KeyId(*k),
                    explicit_iv: None,
                    scheme: None,
                    secret: KeySecret::Plain(ContentKey::new(key)),
                }).collect(),
                drm_systems: kids.iter().map(|k| {
                    let mut d = CpixDrmSystem::new(KeyId(*k), SystemId::WIDEVINE);
                    d.pssh = if pssh.is_empty() { Signal::Requested } else { Signal::Value(pssh.clone()) };
                    d
                }).collect(),
                key_periods: vec![],
                usage_rules: kids.iter().map(|k| usage_rule_for(KeyId(*k), TrackType::Sd)).collect(),
                has_delivery_data: false,
            };
            prop_assert_eq!(parse(&write(&doc)).unwrap(), doc);
        }
    }
}
