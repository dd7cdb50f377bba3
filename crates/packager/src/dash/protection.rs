//! DRM signalling of one key: the `pssh` boxes of the init segments and the MPD's
//! ContentProtection descriptors (Widevine, PlayReady, ClearKey/common).

use cenc::Scheme;
use cenc::mp4::pssh_box;
use cenc::pssh::{PlayReadyHeader, PsshInfo, SystemId, WidevinePsshData};
use kms_client::TrackKey;

use super::mpd::{COMMON_SCHEME, ContentProtection, PLAYREADY_SCHEME, WIDEVINE_SCHEME};
use crate::error::Error;

/// The signalling of one key.
#[derive(Clone, Debug)]
pub(crate) struct KeySignalling {
    /// `pssh` boxes for the init segments (Widevine, PlayReady, common).
    pub(crate) psshs: Vec<PsshInfo>,
    /// Descriptors for the AdaptationSets encrypted with this key.
    pub(crate) descriptors: Vec<ContentProtection>,
}

fn box_base64(p: &PsshInfo) -> Result<String, Error> {
    let mut out = Vec::new();
    bmff::encode_box(&pssh_box(p).into(), &mut out).map_err(|e| Error::Unexpected {
        what: format!("pssh box: {e}"),
        at: "packager::dash::protection::box_base64",
    })?;
    Ok(keys::to_base64(&out))
}

/// Builds the signalling of `key`: PSSH data the key server supplied wins; otherwise mdrm
/// builds Widevine (key id, content id, scheme), PlayReady (header 4.0, or 4.3 for cbcs, with
/// `license_url` as LA_URL) and the W3C common PSSH.
pub(crate) fn signalling(
    key: &TrackKey,
    scheme: Scheme,
    content_id: &str,
    license_url: &str,
) -> Result<KeySignalling, Error> {
    let at = "packager::dash::protection::signalling";
    let enc = |e: cenc::CencError| Error::Unexpected {
        what: format!("PSSH: {e}"),
        at,
    };
    let supplied = |system: SystemId| -> Option<PsshInfo> {
        let bytes = key.signalling.pssh_for(kms_client::SystemId(system.0))?;
        let (b, _) =
            bmff::decode_box(&bytes::Bytes::copy_from_slice(bytes), Default::default()).ok()?;
        b.as_typed::<bmff::Pssh>().map(cenc::mp4::pssh_info)
    };
    let widevine = match supplied(SystemId::WIDEVINE) {
        Some(p) => p,
        None => {
            let mut data = WidevinePsshData::new(&[key.kid], scheme);
            data.content_id = Some(content_id.as_bytes().to_vec());
            PsshInfo::widevine(&data)
        }
    };
    let playready_header =
        PlayReadyHeader::for_keys(scheme, &[(key.kid, &key.key)], Some(license_url))
            .map_err(enc)?;
    let playready = match supplied(SystemId::PLAYREADY) {
        Some(p) => p,
        None => PsshInfo::playready(&playready_header).map_err(enc)?,
    };
    let pro = match &key.signalling.playready_pro {
        Some(pro) => keys::to_base64(pro),
        None => playready_header.mspr_pro_base64().map_err(enc)?,
    };
    let common = PsshInfo::common(&[key.kid]);
    let descriptors = vec![
        ContentProtection::Mp4Protection {
            scheme: String::from_utf8_lossy(&scheme.fourcc()).into_owned(),
            default_kid: key.kid,
        },
        ContentProtection::System {
            scheme_id_uri: WIDEVINE_SCHEME.into(),
            value: Some("Widevine".into()),
            pssh: Some(box_base64(&widevine)?),
            pro: None,
        },
        ContentProtection::System {
            scheme_id_uri: PLAYREADY_SCHEME.into(),
            value: Some("MSPR 2.0".into()),
            pssh: Some(box_base64(&playready)?),
            pro: Some(pro),
        },
        ContentProtection::ClearKey {
            laurl: license_url.to_owned(),
        },
        ContentProtection::System {
            scheme_id_uri: COMMON_SCHEME.into(),
            value: None,
            pssh: Some(box_base64(&common)?),
            pro: None,
        },
    ];
    Ok(KeySignalling {
        psshs: vec![widevine, playready, common],
        descriptors,
    })
}
