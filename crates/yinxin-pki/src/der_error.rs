//! DER decoding failures in words (shared by the PKCS#10 and OCSP parsers): der's position is
//! kept, "truncated" is said when the input ends early, and no byte, tag number or OID of the
//! input is repeated.

use der::{ErrorKind, Tag};

/// " for INTEGER" for a universal tag (a type of the schema); nothing for the others, whose
/// numbers come from the input.
fn of(tag: Tag) -> String {
    if tag.class() == der::Class::Universal {
        format!(" for {tag}")
    } else {
        String::new()
    }
}

/// What is wrong, then where: `it is truncated: … (at byte 12)`. `top_level_trailing` says
/// whether der's TrailingData means bytes after the whole object (said without a position) or
/// extra bytes inside one of its structures (the caller checked the whole length itself).
pub(crate) fn describe(e: &der::Error, top_level_trailing: bool) -> String {
    let what = match e.kind() {
        ErrorKind::Incomplete { actual_len, .. } => {
            format!("it is truncated: it ends after {actual_len} bytes, inside an element")
        }
        ErrorKind::TrailingData { decoded, .. } if top_level_trailing => {
            format!("it is followed by bytes that are not part of it (it ends at byte {decoded})")
        }
        ErrorKind::TrailingData { .. } => "extra bytes inside one of its structures".into(),
        ErrorKind::TagUnexpected {
            expected: Some(tag),
            ..
        } => format!("an unexpected ASN.1 element where {tag} belongs"),
        ErrorKind::TagUnexpected { expected: None, .. } => "an unexpected ASN.1 element".into(),
        ErrorKind::TagUnknown { .. } | ErrorKind::TagNumberInvalid => "an unknown ASN.1 tag".into(),
        ErrorKind::OidUnknown { .. } => "an unknown object identifier".into(),
        ErrorKind::OidMalformed => "a malformed object identifier".into(),
        ErrorKind::Utf8(_) => "a text value that is not valid UTF-8".into(),
        ErrorKind::IndefiniteLength => "an indefinite length (BER, not DER)".into(),
        ErrorKind::Overlength => "a length longer than the input".into(),
        ErrorKind::Length { tag } => format!("a wrong length{}", of(tag)),
        ErrorKind::Noncanonical { tag } => {
            format!("a value{} not encoded as DER requires", of(tag))
        }
        ErrorKind::Value { tag } => format!("a malformed value{}", of(tag)),
        ErrorKind::DateTime => "a malformed time".into(),
        ErrorKind::SetOrdering => "a SET OF not sorted as DER requires".into(),
        ErrorKind::NestingDepth => "structures nested too deeply".into(),
        ErrorKind::Overflow => "a number too large".into(),
        _ => "a structure that cannot be read".into(),
    };
    let at = match e.kind() {
        ErrorKind::TrailingData { .. } if top_level_trailing => String::new(),
        _ => e
            .position()
            .map(|p| format!(" (at byte {p})"))
            .unwrap_or_default(),
    };
    format!("{what}{at}")
}
