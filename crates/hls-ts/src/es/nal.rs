//! NAL unit framing for H.264 and H.265: length-prefixed (ISO-BMFF) and Annex B byte streams,
//! and emulation prevention.

/// The H.264 NAL unit type (5 bits of the first header byte).
pub fn avc_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1F)
}

/// The H.265 NAL unit type (6 bits of the first header byte).
pub fn hevc_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| (b >> 1) & 0x3F)
}

/// H.264 NAL unit types this crate names.
pub mod avc {
    /// Coded slice of a non-IDR picture.
    pub const SLICE: u8 = 1;
    /// Coded slice of an IDR picture.
    pub const IDR: u8 = 5;
    /// Supplemental enhancement information.
    pub const SEI: u8 = 6;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter.
    pub const AUD: u8 = 9;
}

/// H.265 NAL unit types this crate names.
pub mod hevc {
    /// First IRAP type (BLA_W_LP).
    pub const IRAP_FIRST: u8 = 16;
    /// Last IRAP type (reserved IRAP 23).
    pub const IRAP_LAST: u8 = 23;
    /// Video parameter set.
    pub const VPS: u8 = 32;
    /// Sequence parameter set.
    pub const SPS: u8 = 33;
    /// Picture parameter set.
    pub const PPS: u8 = 34;
    /// Access unit delimiter.
    pub const AUD: u8 = 35;
}

/// The NAL units of a length-prefixed sample, or a message saying where the framing breaks.
pub fn split_length_prefixed(
    sample: &[u8],
    length_size: u8,
) -> impl Iterator<Item = Result<&[u8], String>> {
    let n = length_size as usize;
    let mut pos = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= sample.len() {
            return None;
        }
        if !(1..=4).contains(&n) {
            failed = true;
            return Some(Err(format!("NAL length size {n} is not 1 to 4")));
        }
        if sample.len() - pos < n {
            failed = true;
            return Some(Err(format!(
                "{} stray bytes at offset {pos} are too few for a NAL length",
                sample.len() - pos
            )));
        }
        let len = sample[pos..pos + n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        let start = pos + n;
        if len > sample.len() - start {
            failed = true;
            return Some(Err(format!(
                "NAL unit at offset {pos} declares {len} bytes but only {} remain",
                sample.len() - start
            )));
        }
        pos = start + len;
        Some(Ok(&sample[start..start + len]))
    })
}

/// The NAL units of an Annex B byte stream (start codes of 3 or 4 bytes), without their start
/// codes and without trailing zero bytes. Bytes before the first start code are skipped.
pub fn split_annexb(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = find_start_code(data, 0).map(|(at, len)| at + len);
    std::iter::from_fn(move || {
        let start = pos?;
        let (end, next) = match find_start_code(data, start) {
            Some((at, len)) => (at, Some(at + len)),
            None => (data.len(), None),
        };
        pos = next;
        let mut nal = &data[start..end];
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        Some(nal)
    })
}

/// The position and length (3) of the next `00 00 01` at or after `from`.
fn find_start_code(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= data.len() {
        // Skip ahead quickly: a start code needs data[i + 2] == 1.
        if data[i + 2] > 1 {
            i += 3;
            continue;
        }
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            return Some((i, 3));
        }
        i += 1;
    }
    None
}

/// Appends `src` to `out` with emulation prevention: a 0x03 byte is inserted after every two
/// zero bytes that are followed by a byte <= 3, and after two trailing zero bytes.
pub fn add_emulation_prevention(src: &[u8], out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in src {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
    if zeros >= 2 {
        out.push(3);
    }
}

/// Appends `src` to `out` with emulation prevention bytes removed (every 0x03 that follows
/// two zero bytes).
pub fn remove_emulation_prevention(src: &[u8], out: &mut Vec<u8>) {
    let mut zeros = 0;
    for &b in src {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        out.push(b);
        zeros = if b == 0 { zeros + 1 } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn length_prefixed_framing() {
        let s = [0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x41];
        let nals: Vec<_> = split_length_prefixed(&s, 4)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(nals, [&[0x65, 0x88][..], &[0x41][..]]);
        let bad = [0, 0, 0, 9, 1];
        assert!(split_length_prefixed(&bad, 4).any(|r| r.is_err()));
        assert!(split_length_prefixed(&[0, 0], 4).any(|r| r.is_err()));
        let one: Vec<_> = split_length_prefixed(&[1, 0x09, 2, 0x41, 0x42], 1)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(one.len(), 2);
    }

    #[test]
    fn annexb_framing() {
        let s = [
            0, 0, 0, 1, 9, 0xF0, 0, 0, 1, 0x65, 1, 2, 0, 0, 0, 0, 1, 0x41, 0,
        ];
        let nals: Vec<_> = split_annexb(&s).collect();
        assert_eq!(nals, [&[9, 0xF0][..], &[0x65, 1, 2][..], &[0x41][..]]);
    }

    #[test]
    fn escaping_examples() {
        let mut out = Vec::new();
        add_emulation_prevention(&[0, 0, 0, 0, 0, 1, 0, 0, 3, 5, 0, 0], &mut out);
        assert_eq!(out, [0, 0, 3, 0, 0, 3, 0, 1, 0, 0, 3, 3, 5, 0, 0, 3]);
        let mut back = Vec::new();
        remove_emulation_prevention(&out, &mut back);
        assert_eq!(back, [0, 0, 0, 0, 0, 1, 0, 0, 3, 5, 0, 0]);
    }

    proptest! {
        #[test]
        fn escaping_round_trips_and_never_emits_start_codes(data in proptest::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(3u8), any::<u8>()], 0..300)) {
            let mut esc = Vec::new();
            add_emulation_prevention(&data, &mut esc);
            for w in esc.windows(3) {
                prop_assert!(!(w[0] == 0 && w[1] == 0 && w[2] <= 2), "{w:?}");
            }
            let mut back = Vec::new();
            remove_emulation_prevention(&esc, &mut back);
            prop_assert_eq!(back, data);
        }
    }
}
