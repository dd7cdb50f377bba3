//! `ftyp` and `styp`.

use crate::boxes::Atom;
use crate::codec::Codec;
use crate::{FourCC, Result};

/// File type (`ftyp`) or segment type (`styp`) box: brands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileType {
    /// `ftyp` or `styp`.
    pub kind: FourCC,
    /// Major brand (e.g. `isom`, `iso6`, `msdh`).
    pub major_brand: FourCC,
    /// Minor version.
    pub minor_version: u32,
    /// Compatible brands.
    pub compatible_brands: Vec<FourCC>,
}

impl FileType {
    /// A box of `kind` (`ftyp`/`styp`) with these brands.
    pub fn new(kind: &[u8; 4], major: &[u8; 4], minor: u32, compatible: &[&[u8; 4]]) -> Self {
        FileType {
            kind: FourCC::new(kind),
            major_brand: FourCC::new(major),
            minor_version: minor,
            compatible_brands: compatible.iter().map(|b| FourCC::new(b)).collect(),
        }
    }
}

impl Atom for FileType {
    const KINDS: &'static [FourCC] = &[FourCC::new(b"ftyp"), FourCC::new(b"styp")];
    fn kind(&self) -> FourCC {
        if self.kind == FourCC::default() {
            Self::KINDS[0]
        } else {
            self.kind
        }
    }
    fn set_kind(&mut self, kind: FourCC) {
        self.kind = kind;
    }
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()> {
        c.fourcc("major_brand", &mut self.major_brand)?;
        c.u32("minor_version", &mut self.minor_version)?;
        c.list_to_end(
            "compatible_brands",
            4,
            &mut self.compatible_brands,
            |c, b| c.fourcc("brand", b),
        )
    }
}
