//! Limits against hostile or broken CPIX documents, in one place.

/// Largest CPIX document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 32;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 20_000;
/// Longest text content of one element (bytes; a PlayReady Object stays under 15 KB).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Most attributes on one element.
pub const MAX_ATTRIBUTES: usize = 64;
/// Most content keys in one document.
pub const MAX_CONTENT_KEYS: usize = 256;
/// Most `DRMSystem` entries in one document.
pub const MAX_DRM_SYSTEMS: usize = 2048;
/// Most usage rules in one document.
pub const MAX_USAGE_RULES: usize = 1024;
/// Most key periods in one document.
pub const MAX_KEY_PERIODS: usize = 4096;
