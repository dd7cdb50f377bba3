//! AC-3 and E-AC-3 syncframes (ETSI TS 102 366): their lengths, so a sample holding several
//! syncframes can be split (SAMPLE-AES encrypts each syncframe on its own).

/// AC-3 frame sizes in 16-bit words by `frmsizecod` (0..=37) for 48, 44.1 and 32 kHz.
const AC3_WORDS: [[u16; 38]; 3] = [
    [
        64, 64, 80, 80, 96, 96, 112, 112, 128, 128, 160, 160, 192, 192, 224, 224, 256, 256, 320,
        320, 384, 384, 448, 448, 512, 512, 640, 640, 768, 768, 896, 896, 1024, 1024, 1152, 1152,
        1280, 1280,
    ],
    [
        69, 70, 87, 88, 104, 105, 121, 122, 139, 140, 174, 175, 208, 209, 243, 244, 278, 279, 348,
        349, 417, 418, 487, 488, 557, 558, 696, 697, 835, 836, 975, 976, 1114, 1115, 1253, 1254,
        1393, 1394,
    ],
    [
        96, 96, 120, 120, 144, 144, 168, 168, 192, 192, 240, 240, 288, 288, 336, 336, 384, 384,
        480, 480, 576, 576, 672, 672, 768, 768, 960, 960, 1152, 1152, 1344, 1344, 1536, 1536, 1728,
        1728, 1920, 1920,
    ],
];

/// Bytes a syncframe header needs before its length is known.
pub const MIN_HEADER: usize = 6;

/// The length in bytes of the AC-3 or E-AC-3 syncframe at the start of `data`.
pub fn syncframe_len(data: &[u8]) -> Result<usize, String> {
    if data.len() < MIN_HEADER {
        return Err("syncframe header truncated".into());
    }
    if data[0] != 0x0B || data[1] != 0x77 {
        return Err("no AC-3 sync word 0x0B77".into());
    }
    let bsid = data[5] >> 3;
    let len = if bsid <= 10 {
        let fscod = (data[4] >> 6) as usize;
        let frmsizecod = (data[4] & 0x3F) as usize;
        if fscod == 3 || frmsizecod > 37 {
            return Err(format!(
                "invalid AC-3 fscod {fscod} / frmsizecod {frmsizecod}"
            ));
        }
        AC3_WORDS[fscod][frmsizecod] as usize * 2
    } else if bsid <= 16 {
        let frmsiz = ((data[2] as usize & 0x07) << 8) | data[3] as usize;
        (frmsiz + 1) * 2
    } else {
        return Err(format!("unknown AC-3 bit stream id {bsid}"));
    };
    Ok(len)
}

/// The syncframes of `data` in order; an error when the data does not split exactly.
pub fn split_syncframes(data: &[u8]) -> impl Iterator<Item = Result<&[u8], String>> {
    let mut pos = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= data.len() {
            return None;
        }
        match syncframe_len(&data[pos..]) {
            Ok(len) if len <= data.len() - pos => {
                let frame = &data[pos..pos + len];
                pos += len;
                Some(Ok(frame))
            }
            Ok(len) => {
                failed = true;
                Some(Err(format!(
                    "syncframe at offset {pos} declares {len} bytes but {} remain",
                    data.len() - pos
                )))
            }
            Err(e) => {
                failed = true;
                Some(Err(format!("at offset {pos}: {e}")))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ac3_and_eac3_lengths() {
        // AC-3, 48 kHz, frmsizecod 28 (384 kbit/s): 768 words.
        let ac3 = [0x0B, 0x77, 0, 0, 0x1C, 0x40];
        assert_eq!(syncframe_len(&ac3).unwrap(), 1536);
        // E-AC-3 (bsid 16), frmsiz 0x17F: 768 bytes.
        let eac3 = [0x0B, 0x77, 0x01, 0x7F, 0x3F, 0x80];
        assert_eq!(syncframe_len(&eac3).unwrap(), 768);
        assert!(syncframe_len(&[0x0B, 0x78, 0, 0, 0, 0]).is_err());
        assert!(syncframe_len(&[0x0B, 0x77, 0, 0, 0xC0, 0x40]).is_err());
    }

    #[test]
    fn splitting() {
        let mut f = vec![0u8; 768];
        f[..6].copy_from_slice(&[0x0B, 0x77, 0x01, 0x7F, 0x3F, 0x80]);
        let two = [f.clone(), f.clone()].concat();
        assert_eq!(split_syncframes(&two).count(), 2);
        assert!(split_syncframes(&two[..1000]).any(|r| r.is_err()));
    }
}
