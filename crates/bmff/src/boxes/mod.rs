//! The typed box model: one [`Atom`] implementation per box type, registered in [`AnyBox`].

use std::fmt;

use bytes::Bytes;

use crate::codec::Codec;
use crate::header::SizeForm;
use crate::{FourCC, Result};

mod codec_config;
mod file_type;
mod fragment;
mod media;
mod misc;
mod movie;
mod protection;
mod sample_entry;
mod sample_table;
mod track;

pub use codec_config::*;
pub use file_type::*;
pub use fragment::*;
pub use media::*;
pub use misc::*;
pub use movie::*;
pub use protection::*;
pub use sample_entry::*;
pub use sample_table::*;
pub use track::*;

/// A box type: its four-character code(s) and its body, described once for reading,
/// writing and dumping (see [`crate::codec`]).
pub trait Atom: Default + Clone + fmt::Debug + PartialEq {
    /// The codes this type stands for; the first is the default.
    const KINDS: &'static [FourCC];
    /// True when the body holds child boxes.
    const CONTAINER: bool = false;
    /// False for metadata boxes (`udta`, `meta`, `free`, ...) that a reader may skip when
    /// they are malformed (kept as raw bytes with a diagnostic in normal strictness).
    const ESSENTIAL: bool = true;

    /// This box's code.
    fn kind(&self) -> FourCC {
        Self::KINDS[0]
    }

    /// Sets the code, for types that stand for several (e.g. `avc1`/`avc3`).
    fn set_kind(&mut self, _kind: FourCC) {}

    /// Describes the body to `c` (read, write or dump).
    fn codec<C: Codec>(&mut self, c: &mut C) -> Result<()>;
}

/// A registered box type, convertible from and into [`AnyBox`].
pub trait TypedBox: Atom + 'static {
    /// The box inside `b` if it is of this type.
    fn from_any(b: &AnyBox) -> Option<&Self>;
    /// The box inside `b` if it is of this type, mutably.
    fn from_any_mut(b: &mut AnyBox) -> Option<&mut Self>;
    /// Wraps the box.
    fn into_any(self) -> AnyBox;
}

/// A box kept as raw bytes: unknown to this crate, or not representable byte for byte.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct UnknownBox {
    /// Its type.
    pub kind: FourCC,
    /// The body (after the header).
    pub data: Bytes,
    /// How its size was written (kept so the box is written back identically).
    pub form: SizeForm,
}

/// Access to the child boxes of a container.
pub trait HasChildren {
    /// Children in file order.
    fn children(&self) -> &[AnyBox];
    /// Children, mutably.
    fn children_mut(&mut self) -> &mut Vec<AnyBox>;

    /// The first child of type `T`.
    fn get<T: TypedBox>(&self) -> Option<&T> {
        self.children().iter().find_map(T::from_any)
    }
    /// The first child of type `T`, mutably.
    fn get_mut<T: TypedBox>(&mut self) -> Option<&mut T> {
        self.children_mut().iter_mut().find_map(T::from_any_mut)
    }
    /// Every child of type `T`.
    fn all<T: TypedBox>(&self) -> impl Iterator<Item = &T> {
        self.children().iter().filter_map(T::from_any)
    }
    /// Every child of type `T`, mutably.
    fn all_mut<T: TypedBox>(&mut self) -> impl Iterator<Item = &mut T> {
        self.children_mut().iter_mut().filter_map(T::from_any_mut)
    }
    /// The first child of type `T`, or a [`crate::Error::MissingBox`] error.
    fn require<T: TypedBox>(&self) -> Result<&T> {
        self.get::<T>().ok_or_else(|| crate::Error::MissingBox {
            kind: T::KINDS[0],
            context: String::new(),
        })
    }
    /// Removes every child of type `T`.
    fn remove_all<T: TypedBox>(&mut self) {
        self.children_mut().retain(|b| T::from_any(b).is_none());
    }
    /// Appends a child.
    fn push<T: TypedBox>(&mut self, b: T) {
        self.children_mut().push(b.into_any());
    }
}

/// Declares a plain container box (body = children only).
macro_rules! container {
    ($(#[$m:meta])* $name:ident, $cc:literal $(, essential = $ess:expr)?) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            /// Child boxes in file order.
            pub children: Vec<$crate::AnyBox>,
        }
        impl $crate::boxes::Atom for $name {
            const KINDS: &'static [$crate::FourCC] = &[$crate::FourCC::new($cc)];
            const CONTAINER: bool = true;
            $(const ESSENTIAL: bool = $ess;)?
            fn codec<C: $crate::codec::Codec>(&mut self, c: &mut C) -> $crate::Result<()> {
                c.children("children", &mut self.children)
            }
        }
        impl $crate::boxes::HasChildren for $name {
            fn children(&self) -> &[$crate::AnyBox] {
                &self.children
            }
            fn children_mut(&mut self) -> &mut Vec<$crate::AnyBox> {
                &mut self.children
            }
        }
    };
}
pub(crate) use container;

/// Implements [`HasChildren`] for a type with a `children` field.
macro_rules! has_children {
    ($($name:ident),*) => {$(
        impl $crate::boxes::HasChildren for $name {
            fn children(&self) -> &[$crate::AnyBox] {
                &self.children
            }
            fn children_mut(&mut self) -> &mut Vec<$crate::AnyBox> {
                &mut self.children
            }
        }
    )*};
}
pub(crate) use has_children;

/// Builds [`AnyBox`] and the [`TypedBox`] impls from the list of registered types.
macro_rules! registry {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// Any box: one variant per registered type, or [`UnknownBox`] raw bytes.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum AnyBox {
            $(
                #[doc = concat!("A [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
            /// A box kept as raw bytes.
            Unknown(UnknownBox),
        }

        impl AnyBox {
            /// The box type.
            pub fn kind(&self) -> FourCC {
                match self {
                    $(AnyBox::$variant(b) => b.kind(),)*
                    AnyBox::Unknown(u) => u.kind,
                }
            }

            /// An empty typed box for `kind`, or `None` when no type is registered for it.
            pub(crate) fn new_typed(kind: FourCC) -> Option<AnyBox> {
                $(
                    if <$ty as Atom>::KINDS.contains(&kind) {
                        let mut b = <$ty>::default();
                        b.set_kind(kind);
                        return Some(AnyBox::$variant(b));
                    }
                )*
                None
            }

            pub(crate) fn codec_body<C: Codec>(&mut self, c: &mut C) -> Result<()> {
                match self {
                    $(AnyBox::$variant(b) => b.codec(c),)*
                    AnyBox::Unknown(u) => c.rest("data", &mut u.data),
                }
            }

            pub(crate) fn has_children(&self) -> bool {
                match self {
                    $(AnyBox::$variant(_) => <$ty as Atom>::CONTAINER,)*
                    AnyBox::Unknown(_) => false,
                }
            }

            pub(crate) fn is_essential(&self) -> bool {
                match self {
                    $(AnyBox::$variant(_) => <$ty as Atom>::ESSENTIAL,)*
                    AnyBox::Unknown(_) => false,
                }
            }

            /// Every registered four-character code (for documentation and tests).
            pub fn registered_kinds() -> Vec<FourCC> {
                let mut v = Vec::new();
                $(v.extend_from_slice(<$ty as Atom>::KINDS);)*
                v
            }
        }

        $(
            impl TypedBox for $ty {
                fn from_any(b: &AnyBox) -> Option<&Self> {
                    match b {
                        AnyBox::$variant(x) => Some(x),
                        _ => None,
                    }
                }
                fn from_any_mut(b: &mut AnyBox) -> Option<&mut Self> {
                    match b {
                        AnyBox::$variant(x) => Some(x),
                        _ => None,
                    }
                }
                fn into_any(self) -> AnyBox {
                    AnyBox::$variant(self)
                }
            }

            impl From<$ty> for AnyBox {
                fn from(b: $ty) -> AnyBox {
                    AnyBox::$variant(b)
                }
            }
        )*
    };
}

registry! {
    FileType(FileType),
    Moov(Moov),
    Mvhd(Mvhd),
    Trak(Trak),
    Tkhd(Tkhd),
    Tref(Tref),
    Edts(Edts),
    Elst(Elst),
    Mdia(Mdia),
    Mdhd(Mdhd),
    Hdlr(Hdlr),
    Minf(Minf),
    Vmhd(Vmhd),
    Smhd(Smhd),
    Sthd(Sthd),
    Nmhd(Nmhd),
    Dinf(Dinf),
    Dref(Dref),
    Url(Url),
    Urn(Urn),
    Stbl(Stbl),
    Stsd(Stsd),
    Visual(VisualSampleEntry),
    Audio(AudioSampleEntry),
    Wvtt(WvttSampleEntry),
    Stpp(StppSampleEntry),
    Vttc(Vttc),
    Vlab(Vlab),
    AvcC(AvcC),
    HvcC(HvcC),
    VpcC(VpcC),
    Av1C(Av1C),
    Esds(Esds),
    Dac3(Dac3),
    Dec3(Dec3),
    DOps(DOps),
    Btrt(Btrt),
    Pasp(Pasp),
    Colr(Colr),
    Fiel(Fiel),
    Clap(Clap),
    Stts(Stts),
    Ctts(Ctts),
    Stsc(Stsc),
    Stsz(Stsz),
    Stz2(Stz2),
    Stco(Stco),
    Co64(Co64),
    Stss(Stss),
    Sdtp(Sdtp),
    Sgpd(Sgpd),
    Sbgp(Sbgp),
    Mvex(Mvex),
    Mehd(Mehd),
    Trex(Trex),
    Moof(Moof),
    Mfhd(Mfhd),
    Traf(Traf),
    Tfhd(Tfhd),
    Tfdt(Tfdt),
    Trun(Trun),
    Sidx(Sidx),
    Mdat(Mdat),
    Free(Free),
    Udta(Udta),
    Meta(Meta),
    Emsg(Emsg),
    Sinf(Sinf),
    Frma(Frma),
    Schm(Schm),
    Schi(Schi),
    Tenc(Tenc),
    Pssh(Pssh),
    Senc(Senc),
    Saiz(Saiz),
    Saio(Saio),
}

impl AnyBox {
    /// The box inside if it is of type `T`.
    pub fn as_typed<T: TypedBox>(&self) -> Option<&T> {
        T::from_any(self)
    }

    /// The box inside if it is of type `T`, mutably.
    pub fn as_typed_mut<T: TypedBox>(&mut self) -> Option<&mut T> {
        T::from_any_mut(self)
    }

    /// The children of a container box (empty for leaves and raw boxes).
    pub fn children(&self) -> &[AnyBox] {
        match self {
            AnyBox::Moov(b) => &b.children,
            AnyBox::Trak(b) => &b.children,
            AnyBox::Edts(b) => &b.children,
            AnyBox::Mdia(b) => &b.children,
            AnyBox::Minf(b) => &b.children,
            AnyBox::Dinf(b) => &b.children,
            AnyBox::Dref(b) => &b.children,
            AnyBox::Stbl(b) => &b.children,
            AnyBox::Stsd(b) => &b.children,
            AnyBox::Visual(b) => &b.children,
            AnyBox::Audio(b) => &b.children,
            AnyBox::Wvtt(b) => &b.children,
            AnyBox::Stpp(b) => &b.children,
            AnyBox::Mvex(b) => &b.children,
            AnyBox::Moof(b) => &b.children,
            AnyBox::Traf(b) => &b.children,
            AnyBox::Udta(b) => &b.children,
            AnyBox::Meta(b) => &b.children,
            AnyBox::Sinf(b) => &b.children,
            AnyBox::Schi(b) => &b.children,
            _ => &[],
        }
    }
}

/// True for the codes of visual, audio and subtitle sample entries.
pub(crate) fn is_sample_entry(kind: FourCC) -> bool {
    VisualSampleEntry::KINDS.contains(&kind)
        || AudioSampleEntry::KINDS.contains(&kind)
        || WvttSampleEntry::KINDS.contains(&kind)
        || StppSampleEntry::KINDS.contains(&kind)
}

/// Reads/writes a version-and-flags header whose version is a minimum width: the file's
/// version is kept, and raised to 1 when a value needs 64 bits.
pub(crate) fn versioned<C: Codec>(c: &mut C, version: &mut u8, needs_v1: bool) -> Result<()> {
    let mut v = if needs_v1 {
        (*version).max(1)
    } else {
        *version
    };
    let mut flags = 0;
    c.full_header(&mut v, &mut flags)?;
    if c.decoding() {
        if v > 1 {
            return Err(c.invalid(format!("version {v} is not defined")));
        }
        if flags != 0 {
            c.noncanonical(format!("flags {flags:#x} where the specification has 0"));
        }
    }
    *version = v;
    Ok(())
}

/// A version 0, flags 0 full-box header (anything else is recorded as non-canonical).
pub(crate) fn full_v0<C: Codec>(c: &mut C) -> Result<()> {
    let (mut v, mut f) = (0u8, 0u32);
    c.full_header(&mut v, &mut f)?;
    if c.decoding() && (v, f) != (0, 0) {
        if v != 0 {
            return Err(c.invalid(format!("version {v} is not supported")));
        }
        c.noncanonical(format!("flags {f:#x} where the specification has 0"));
    }
    Ok(())
}

/// An array of `N` signed 32-bit values (e.g. a transformation matrix).
pub(crate) fn i32_array<C: Codec, const N: usize>(
    c: &mut C,
    name: &'static str,
    a: &mut [i32; N],
) -> Result<()> {
    let mut v = a.to_vec();
    c.list(name, N, 4, &mut v, |c, x| c.i32("value", x))?;
    a.copy_from_slice(&v);
    Ok(())
}

/// The unity transformation matrix of `mvhd`/`tkhd`.
pub const UNITY_MATRIX: [i32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];
