//! The master playlist: one `#EXT-X-STREAM-INF` per variant and audio group, with
//! `BANDWIDTH`/`AVERAGE-BANDWIDTH` measured from the written segments (renditions included),
//! `CODECS` of everything a player must decode, `RESOLUTION`/`FRAME-RATE` for video,
//! `CLOSED-CAPTIONS=NONE`; audio and subtitle renditions as `#EXT-X-MEDIA`.

use hls_ts::playlist::{KeyTag, MasterPlaylist, Rendition as MediaTag, RenditionType, Variant};

use super::plan::{Rendition, RenditionKind};
use super::ts::{MEDIA_PLAYLIST, WrittenRendition};

/// Name of the master playlist at the package root.
pub const MASTER_PLAYLIST: &str = "master.m3u8";
/// Group id of the subtitle renditions.
pub(crate) const SUBTITLE_GROUP: &str = "subs";

fn uri(r: &Rendition) -> String {
    format!("{}/{MEDIA_PLAYLIST}", r.name)
}

/// Audio group ids: `audio` when every audio rendition has the same codec, else
/// `audio_<codec>` per codec.
fn audio_groups(renditions: &[Rendition]) -> Vec<(String, Vec<usize>)> {
    let mut codecs: Vec<&str> = Vec::new();
    for r in renditions.iter().filter(|r| r.kind == RenditionKind::Audio) {
        if !codecs.contains(&r.codecs[0].as_str()) {
            codecs.push(&r.codecs[0]);
        }
    }
    codecs
        .iter()
        .map(|c| {
            let id = if codecs.len() == 1 {
                "audio".to_owned()
            } else {
                format!(
                    "audio_{}",
                    c.replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
                )
            };
            let members = renditions
                .iter()
                .enumerate()
                .filter(|(_, r)| r.kind == RenditionKind::Audio && r.codecs[0] == *c)
                .map(|(i, _)| i)
                .collect();
            (id, members)
        })
        .collect()
}

/// Builds the master playlist. `written[i]` belongs to `renditions[i]`.
pub(crate) fn build(
    renditions: &[Rendition],
    written: &[WrittenRendition],
    session_keys: Vec<KeyTag>,
    version: u8,
) -> MasterPlaylist {
    let groups = audio_groups(renditions);
    let mut tags = Vec::new();
    for (id, members) in &groups {
        for (n, &i) in members.iter().enumerate() {
            let r = &renditions[i];
            tags.push(MediaTag {
                kind: RenditionType::Audio,
                group_id: id.clone(),
                name: r.label.clone(),
                language: r.language.clone(),
                default: n == 0,
                autoselect: true,
                channels: r.channels.map(|c| c.to_string()),
                uri: uri(r),
            });
        }
    }
    let subtitles: Vec<&Rendition> = renditions
        .iter()
        .filter(|r| r.kind == RenditionKind::Subtitles)
        .collect();
    for (n, r) in subtitles.iter().enumerate() {
        tags.push(MediaTag {
            kind: RenditionType::Subtitles,
            group_id: SUBTITLE_GROUP.into(),
            name: r.label.clone(),
            language: r.language.clone(),
            default: false,
            autoselect: n == 0 || r.language.is_some(),
            channels: None,
            uri: uri(r),
        });
    }
    let subs_group = (!subtitles.is_empty()).then(|| SUBTITLE_GROUP.to_owned());
    let mut variants = Vec::new();
    for (i, r) in renditions.iter().enumerate() {
        if r.kind != RenditionKind::Variant {
            continue;
        }
        let w = &written[i];
        let base = (w.peak_bandwidth(), w.average_bandwidth());
        let with_groups: Vec<Option<&(String, Vec<usize>)>> = if groups.is_empty() {
            vec![None]
        } else {
            groups.iter().map(Some).collect()
        };
        for g in with_groups {
            let mut codecs = r.codecs.clone();
            let (mut peak, mut avg) = base;
            if let Some((_, members)) = g {
                peak += members
                    .iter()
                    .map(|&m| written[m].peak_bandwidth())
                    .max()
                    .unwrap_or(0);
                avg += members
                    .iter()
                    .map(|&m| written[m].average_bandwidth())
                    .max()
                    .unwrap_or(0);
                for &m in members {
                    if !codecs.contains(&renditions[m].codecs[0]) {
                        codecs.push(renditions[m].codecs[0].clone());
                    }
                }
            }
            variants.push(Variant {
                bandwidth: peak.max(1),
                average_bandwidth: avg.max(1),
                codecs: codecs.join(","),
                resolution: r.resolution,
                frame_rate: r.frame_rate,
                audio: g.map(|(id, _)| id.clone()),
                subtitles: subs_group.clone(),
                uri: uri(r),
            });
        }
    }
    MasterPlaylist {
        version,
        session_keys,
        renditions: tags,
        variants,
    }
}
