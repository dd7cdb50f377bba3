//! The numeric result codes of the packaging CLIs (`../shared/docs/cli.md`), with their fixed
//! messages (the result document's ERRORMSG).

use std::fmt;

/// Every result code a packaging CLI can report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0: success.
    Success,
    /// 1101: no arguments given.
    NoArguments,
    /// 1102: an argument has an invalid value (INFO names it).
    InvalidArgument,
    /// 1103: wrong number of values for an argument.
    WrongValueCount,
    /// 1201: input file not found.
    InputNotFound,
    /// 1202: input file not accessible (permissions, unreadable name).
    InputNotAccessible,
    /// 1203: cannot create output file/folder: path too deep/long.
    OutputPathTooLong,
    /// 1204: cannot create output file/folder: name too long.
    OutputNameTooLong,
    /// 1205: cannot create output file/folder: not enough disk space.
    OutputNoSpace,
    /// 1206: cannot move the finished file into the output folder.
    OutputMoveFailed,
    /// 1207: cannot read the input file size.
    InputSizeUnreadable,
    /// 2001: request to the key server failed (connect, TLS, timeout).
    KeyServerUnreachable,
    /// 2002: the key server answered with an error.
    KeyServerError,
    /// 2003: invalid block size.
    InvalidBlockSize,
    /// 2004: no private key found.
    NoPrivateKey,
    /// 2005: invalid private key.
    InvalidPrivateKey,
    /// -1: unexpected error (a bug).
    Unexpected,
}

impl ErrorCode {
    /// Every code, in the order of cli.md's table.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::Success,
        ErrorCode::NoArguments,
        ErrorCode::InvalidArgument,
        ErrorCode::WrongValueCount,
        ErrorCode::InputNotFound,
        ErrorCode::InputNotAccessible,
        ErrorCode::OutputPathTooLong,
        ErrorCode::OutputNameTooLong,
        ErrorCode::OutputNoSpace,
        ErrorCode::OutputMoveFailed,
        ErrorCode::InputSizeUnreadable,
        ErrorCode::KeyServerUnreachable,
        ErrorCode::KeyServerError,
        ErrorCode::InvalidBlockSize,
        ErrorCode::NoPrivateKey,
        ErrorCode::InvalidPrivateKey,
        ErrorCode::Unexpected,
    ];

    /// The numeric value written into RESULT.
    pub fn value(self) -> i32 {
        match self {
            ErrorCode::Success => 0,
            ErrorCode::NoArguments => 1101,
            ErrorCode::InvalidArgument => 1102,
            ErrorCode::WrongValueCount => 1103,
            ErrorCode::InputNotFound => 1201,
            ErrorCode::InputNotAccessible => 1202,
            ErrorCode::OutputPathTooLong => 1203,
            ErrorCode::OutputNameTooLong => 1204,
            ErrorCode::OutputNoSpace => 1205,
            ErrorCode::OutputMoveFailed => 1206,
            ErrorCode::InputSizeUnreadable => 1207,
            ErrorCode::KeyServerUnreachable => 2001,
            ErrorCode::KeyServerError => 2002,
            ErrorCode::InvalidBlockSize => 2003,
            ErrorCode::NoPrivateKey => 2004,
            ErrorCode::InvalidPrivateKey => 2005,
            ErrorCode::Unexpected => -1,
        }
    }

    /// The code with numeric value `value`, if there is one.
    pub fn from_value(value: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.value() == value)
    }

    /// The fixed message for this code (ERRORMSG).
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::Success => "success",
            ErrorCode::NoArguments => "no arguments given",
            ErrorCode::InvalidArgument => "an argument has an invalid value",
            ErrorCode::WrongValueCount => "wrong number of values for an argument",
            ErrorCode::InputNotFound => "input file not found",
            ErrorCode::InputNotAccessible => "input file not accessible",
            ErrorCode::OutputPathTooLong => "cannot create output file/folder: path too deep/long",
            ErrorCode::OutputNameTooLong => "cannot create output file/folder: name too long",
            ErrorCode::OutputNoSpace => "cannot create output file/folder: not enough disk space",
            ErrorCode::OutputMoveFailed => "cannot move the finished file into the output folder",
            ErrorCode::InputSizeUnreadable => "cannot read the input file size",
            ErrorCode::KeyServerUnreachable => "request to the key server failed",
            ErrorCode::KeyServerError => "the key server answered with an error",
            ErrorCode::InvalidBlockSize => "invalid block size",
            ErrorCode::NoPrivateKey => "no private key found",
            ErrorCode::InvalidPrivateKey => "invalid private key",
            ErrorCode::Unexpected => "unexpected error (a bug: please report it)",
        }
    }

    /// True for [`ErrorCode::Success`].
    pub fn is_success(self) -> bool {
        self == ErrorCode::Success
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_cli_md() {
        let values: Vec<i32> = ErrorCode::ALL.iter().map(|c| c.value()).collect();
        assert_eq!(
            values,
            [
                0, 1101, 1102, 1103, 1201, 1202, 1203, 1204, 1205, 1206, 1207, 2001, 2002, 2003,
                2004, 2005, -1
            ]
        );
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_value(code.value()), Some(code));
            assert!(!code.message().is_empty());
        }
        assert_eq!(ErrorCode::from_value(42), None);
        assert_eq!(ErrorCode::OutputNoSpace.to_string(), "1205");
    }
}
