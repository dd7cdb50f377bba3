//! Four-character codes naming box and sample-entry types.

use std::fmt;

/// A four-character code (box type, brand, handler, sample entry type, scheme).
///
/// Prints as text when all four bytes are printable ASCII, else as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FourCC(pub [u8; 4]);

impl FourCC {
    /// A code from its four bytes.
    pub const fn new(b: &[u8; 4]) -> Self {
        FourCC(*b)
    }

    /// The four bytes.
    pub fn as_bytes(&self) -> &[u8; 4] {
        &self.0
    }

    /// The code as a big-endian integer.
    pub fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    fn is_printable(&self) -> bool {
        self.0.iter().all(|&b| (0x20..0x7f).contains(&b))
    }
}

impl fmt::Display for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_printable() {
            for &b in &self.0 {
                write!(f, "{}", b as char)?;
            }
            Ok(())
        } else {
            write!(f, "0x{:08x}", self.to_u32())
        }
    }
}

impl fmt::Debug for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCC({self})")
    }
}

impl From<&[u8; 4]> for FourCC {
    fn from(b: &[u8; 4]) -> Self {
        FourCC(*b)
    }
}

impl PartialEq<&[u8; 4]> for FourCC {
    fn eq(&self, other: &&[u8; 4]) -> bool {
        &self.0 == *other
    }
}

impl std::str::FromStr for FourCC {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 4 {
            return Err(crate::Error::InvalidArgument(
                "a four-character code has 4 bytes",
            ));
        }
        Ok(FourCC([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_text_or_hex() {
        assert_eq!(FourCC::new(b"moov").to_string(), "moov");
        assert_eq!(FourCC::new(b"\xa9nam").to_string(), "0xa96e616d");
        assert_eq!("ftyp".parse::<FourCC>().unwrap(), FourCC::new(b"ftyp"));
    }
}
