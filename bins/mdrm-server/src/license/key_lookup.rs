//! Which keys a verified token may receive: keys of the token's site and content id in the
//! keystore, or keys the policy carries itself (`external_key.mpeg_cenc`), filtered by the
//! policy's `allowed_track_types`.

use keys::{ContentKey, KeyId};
use kms_client::Keystore;

use super::policy::LicensePolicy;
use super::rejection::Rejection;

/// The keys to answer, in request order; kids not available to this token are left out (the
/// CDM reports them as missing). Blocking (SQLite): call from a blocking task.
pub fn select_keys(
    keystore: &Keystore,
    site_id: &str,
    cid: &str,
    policy: &LicensePolicy,
    kids: &[KeyId],
) -> Result<Vec<(KeyId, ContentKey)>, Rejection> {
    let allowed = policy.allowed_track_types;
    let mut out = Vec::with_capacity(kids.len());
    for kid in kids {
        if let Some(ext) = policy.external_keys.iter().find(|e| e.kid == *kid) {
            if allowed.allows(&ext.track_type) {
                out.push((*kid, ext.key.clone()));
            }
            continue;
        }
        let stored = keystore.key_by_kid(*kid).map_err(|e| {
            tracing::error!(error = %e, "keystore lookup failed");
            Rejection::internal()
        })?;
        if let Some(k) = stored
            && k.site_id == site_id
            && k.content_id == cid
            && allowed.allows(&k.track_type)
        {
            out.push((*kid, k.key));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::policy::{AllowedTrackTypes, ExternalKey};
    use super::*;

    #[test]
    fn only_the_tokens_site_and_content_and_allowed_classes() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(&dir.path().join("k.sqlite")).unwrap();
        let mine = ks.get_or_create("ABCD", "movie", &["SD", "HD"]).unwrap();
        let other_cid = ks.get_or_create("ABCD", "other", &["ALL"]).unwrap();
        let other_site = ks.get_or_create("WXYZ", "movie", &["ALL"]).unwrap();
        let kid = |v: &[kms_client::StoredKey], label: &str| {
            v.iter().find(|k| k.track_type == label).unwrap().kid
        };
        let (sd, hd) = (kid(&mine, "SD"), kid(&mine, "HD"));
        let asked = [sd, hd, other_cid[0].kid, other_site[0].kid, KeyId([9; 16])];
        let all = LicensePolicy::default();
        let got = select_keys(&ks, "ABCD", "movie", &all, &asked).unwrap();
        assert_eq!(got.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [sd, hd]);
        assert_eq!(got[0].1, mine.iter().find(|k| k.kid == sd).unwrap().key);
        let sd_only = LicensePolicy {
            allowed_track_types: AllowedTrackTypes::SdOnly,
            ..LicensePolicy::default()
        };
        let got = select_keys(&ks, "ABCD", "movie", &sd_only, &asked).unwrap();
        assert_eq!(got.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [sd]);
    }

    #[test]
    fn external_keys_from_the_policy_win() {
        let dir = tempfile::tempdir().unwrap();
        let ks = Keystore::open(&dir.path().join("k.sqlite")).unwrap();
        let kid = KeyId::from_hex("9eb4050de44b4802932e27d75083e266").unwrap();
        let key = ContentKey::from_hex("166634c675823c235a4a9446fad52e4d").unwrap();
        let policy = LicensePolicy {
            external_keys: vec![ExternalKey {
                track_type: "HD".into(),
                kid,
                key: key.clone(),
            }],
            ..LicensePolicy::default()
        };
        let got = select_keys(&ks, "ABCD", "movie", &policy, &[kid]).unwrap();
        assert_eq!(got, [(kid, key)]);
        let sd_only = LicensePolicy {
            allowed_track_types: AllowedTrackTypes::SdOnly,
            ..policy
        };
        assert!(
            select_keys(&ks, "ABCD", "movie", &sd_only, &[kid])
                .unwrap()
                .is_empty()
        );
    }
}
