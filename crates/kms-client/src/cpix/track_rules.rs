//! Mapping between track classes and CPIX usage rules (`intendedTrackType`, `VideoFilter`,
//! `AudioFilter`), as SPEKE v2 and the cloud KMS v2 use them.

use keys::{KeyId, TrackType};

use super::{AudioFilter, CpixUsageRule, VideoFilter};

/// Pixel-count bounds of the video classes (width x height of the largest frame of a class):
/// SD up to 1024x576, HD up to 1920x1080, UHD1 up to 4096x2160, UHD2 above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoClassPixels;

impl VideoClassPixels {
    /// Most pixels of an SD frame (1024 x 576).
    pub const SD_MAX: u64 = 1024 * 576;
    /// Most pixels of an HD frame (1920 x 1080).
    pub const HD_MAX: u64 = 1920 * 1080;
    /// Most pixels of a UHD1 frame (4096 x 2160).
    pub const UHD1_MAX: u64 = 4096 * 2160;

    /// `(minPixels, maxPixels)` of a video class; `None` for audio and `All`.
    pub fn range(t: TrackType) -> Option<(Option<u64>, Option<u64>)> {
        Some(match t {
            TrackType::Sd => (None, Some(Self::SD_MAX)),
            TrackType::Hd => (Some(Self::SD_MAX + 1), Some(Self::HD_MAX)),
            TrackType::Uhd1 => (Some(Self::HD_MAX + 1), Some(Self::UHD1_MAX)),
            TrackType::Uhd2 => (Some(Self::UHD1_MAX + 1), None),
            _ => return None,
        })
    }
}

const VIDEO: [TrackType; 4] = [
    TrackType::Sd,
    TrackType::Hd,
    TrackType::Uhd1,
    TrackType::Uhd2,
];

/// A set of track classes (what one usage rule covers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrackSet(u8);

impl TrackSet {
    fn bit(t: TrackType) -> u8 {
        match t {
            TrackType::Audio => 1,
            TrackType::Sd => 2,
            TrackType::Hd => 4,
            TrackType::Uhd1 => 8,
            TrackType::Uhd2 => 16,
            _ => 31,
        }
    }

    /// Every class (audio and all video).
    pub const ALL: TrackSet = TrackSet(31);

    /// The empty set.
    pub fn empty() -> Self {
        TrackSet(0)
    }

    /// Adds a class ([`TrackType::All`] adds everything).
    pub fn insert(&mut self, t: TrackType) {
        self.0 |= Self::bit(t);
    }

    /// True when `t` is covered ([`TrackType::All`] only when everything is).
    pub fn contains(self, t: TrackType) -> bool {
        let b = Self::bit(t);
        self.0 & b == b
    }

    /// True when nothing is covered.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses an `intendedTrackType` value: `+`-joined names among `ALL`, `AUDIO`, `VIDEO`,
    /// `SD`, `HD`, `UHD` (= UHD1+UHD2), `UHD1`, `UHD2`. `None` when a part is unknown.
    pub fn parse_intended(text: &str) -> Option<Self> {
        let mut set = TrackSet::empty();
        for part in text.split('+') {
            let p = part.trim().to_ascii_uppercase();
            match p.as_str() {
                "VIDEO" | "ALL_VIDEO" => VIDEO.iter().for_each(|&t| set.insert(t)),
                "UHD" => {
                    set.insert(TrackType::Uhd1);
                    set.insert(TrackType::Uhd2);
                }
                _ => set.insert(TrackType::parse(&p)?),
            }
        }
        Some(set)
    }
}

fn video_classes(f: &VideoFilter) -> TrackSet {
    let min = f.min_pixels.unwrap_or(0);
    let max = f.max_pixels.unwrap_or(u64::MAX);
    let mut set = TrackSet::empty();
    for t in VIDEO {
        let Some((lo, hi)) = VideoClassPixels::range(t) else {
            continue;
        };
        let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(u64::MAX));
        // The class overlaps the filter's range.
        if lo <= max && min <= hi {
            set.insert(t);
        }
    }
    set
}

/// The track classes a usage rule covers: from `intendedTrackType` when it is understood,
/// else from its filters (no filter at all = every class).
pub fn rule_tracks(rule: &CpixUsageRule) -> TrackSet {
    if let Some(set) = rule
        .intended_track_type
        .as_deref()
        .and_then(TrackSet::parse_intended)
    {
        return set;
    }
    if rule.video_filters.is_empty() && rule.audio_filters.is_empty() {
        return TrackSet::ALL;
    }
    let mut set = TrackSet::empty();
    for f in &rule.video_filters {
        set.0 |= video_classes(f).0;
    }
    if !rule.audio_filters.is_empty() {
        set.insert(TrackType::Audio);
    }
    set
}

/// The usage rule a request carries for a key of class `t` (SPEKE v2 encryption contract:
/// one rule per key with a unique `intendedTrackType`; `ALL` has an empty video and audio filter).
pub fn usage_rule_for(kid: KeyId, t: TrackType) -> CpixUsageRule {
    let mut rule = CpixUsageRule {
        kid,
        intended_track_type: Some(t.as_str().to_string()),
        period_ids: Vec::new(),
        video_filters: Vec::new(),
        audio_filters: Vec::new(),
    };
    match t {
        TrackType::Audio => rule.audio_filters.push(AudioFilter::default()),
        other => match VideoClassPixels::range(other) {
            Some((min, max)) => rule.video_filters.push(VideoFilter {
                min_pixels: min,
                max_pixels: max,
            }),
            None => {
                rule.video_filters.push(VideoFilter::default());
                rule.audio_filters.push(AudioFilter::default());
            }
        },
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(itt: Option<&str>, v: Vec<VideoFilter>, a: usize) -> CpixUsageRule {
        CpixUsageRule {
            kid: KeyId([0; 16]),
            intended_track_type: itt.map(str::to_string),
            period_ids: vec![],
            video_filters: v,
            audio_filters: vec![AudioFilter::default(); a],
        }
    }

    #[test]
    fn intended_track_types() {
        let set = TrackSet::parse_intended("SD+HD").unwrap();
        assert!(set.contains(TrackType::Sd) && set.contains(TrackType::Hd));
        assert!(!set.contains(TrackType::Audio));
        let v = TrackSet::parse_intended("VIDEO").unwrap();
        assert!(v.contains(TrackType::Uhd2) && !v.contains(TrackType::Audio));
        assert_eq!(TrackSet::parse_intended("all"), Some(TrackSet::ALL));
        assert!(
            TrackSet::parse_intended("ALL")
                .unwrap()
                .contains(TrackType::All)
        );
        assert_eq!(TrackSet::parse_intended("HDR10"), None);
    }

    #[test]
    fn filters_map_to_classes_like_the_published_examples() {
        // The cloud KMS v2 HD example: minPixels=921600 (720p) maxPixels=2073600 (1080p).
        let r = rule(
            Some("NOT_A_TYPE"),
            vec![VideoFilter {
                min_pixels: Some(921_600),
                max_pixels: Some(2_073_600),
            }],
            0,
        );
        let set = rule_tracks(&r);
        assert!(set.contains(TrackType::Hd));
        assert!(!set.contains(TrackType::Sd) && !set.contains(TrackType::Uhd1));
        assert_eq!(rule_tracks(&rule(None, vec![], 0)), TrackSet::ALL);
        let audio = rule_tracks(&rule(None, vec![], 1));
        assert!(audio.contains(TrackType::Audio) && !audio.contains(TrackType::Sd));
    }

    #[test]
    fn request_rules_round_trip_through_rule_tracks() {
        for t in [
            TrackType::All,
            TrackType::Audio,
            TrackType::Sd,
            TrackType::Hd,
            TrackType::Uhd1,
            TrackType::Uhd2,
        ] {
            let mut r = usage_rule_for(KeyId([1; 16]), t);
            assert!(rule_tracks(&r).contains(t), "{t:?}");
            // Without intendedTrackType the filters alone select exactly the class.
            r.intended_track_type = None;
            let set = rule_tracks(&r);
            assert!(set.contains(t), "{t:?}");
            if t != TrackType::All {
                let mut only = TrackSet::empty();
                only.insert(t);
                assert_eq!(set, only, "{t:?}");
            }
        }
    }
}
