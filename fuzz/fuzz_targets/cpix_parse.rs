//! Fuzz the CPIX parser: arbitrary input never panics, and every document it accepts writes
//! back to a document that parses to the same model (round trip, not just "no crash").
#![no_main]

use kms_client::cpix::{CpixDocument, KeySecret, parse, write};
use libfuzzer_sys::fuzz_target;

/// What the writer can reproduce: encrypted key values and the delivery data list are read
/// as facts but never written back (mdrm never emits encrypted keys).
fn writable(mut doc: CpixDocument) -> CpixDocument {
    doc.has_delivery_data = false;
    for k in &mut doc.content_keys {
        if k.secret == KeySecret::Encrypted {
            k.secret = KeySecret::Absent;
        }
    }
    doc
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = parse(text) {
        let again = parse(&write(&doc)).expect("a written document parses");
        assert_eq!(again, writable(doc), "write/parse round trip changed the document");
    }
});
