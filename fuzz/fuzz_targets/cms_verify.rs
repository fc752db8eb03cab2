//! CMS signature reading (`yinxin_pki::cms::verify`, `verify_detached`, `digest_algorithm`,
//! `signature_value`) and the CAdES report over it (`yinxin_sign::cades::verify`): every
//! signature sent to `POST /api/v1/verify/cms` reaches them (issue 6 items 4 and 7).
//!
//! The input is the signature; the content is fixed (`contract text\n`, what the seeds sign).
//! Checked: no panic; deterministic; a signature that verifies over the content also verifies
//! over the content's digest with the signer's algorithm and reports the same signer, and does
//! not verify over other content; adding an unsigned attribute leaves it verifying.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_pki::cms::{self, Detached};
use yinxin_sign::cades::{Input, verify};

const CONTENT: &[u8] = b"contract text\n";

fuzz_target!(|data: &[u8]| {
    let _ = cms::verify(data, &[], false);
    let over_content = cms::verify_detached(data, Detached::Content(CONTENT), &[], false);
    let twice = cms::verify_detached(data, Detached::Content(CONTENT), &[], false);
    assert_eq!(
        over_content.as_ref().map_err(ToString::to_string),
        twice.as_ref().map_err(ToString::to_string),
        "not deterministic"
    );
    let report = verify(data, Input::Content(CONTENT), &[]);
    let Ok(v) = over_content else {
        if let Ok(r) = report {
            assert!(!r.integrity, "the report says intact where cms says not");
        }
        return;
    };
    let r = report.expect("a verifying signature is reported");
    assert!(r.integrity);
    assert_eq!(r.signer_certificate_der.as_deref(), Some(&v.signer_certificate_der[..]));
    let alg = cms::digest_algorithm(data).expect("its digest algorithm");
    let d = alg.digest(CONTENT);
    let by_digest = cms::verify_detached(data, Detached::Digest(alg, &d), &[], false)
        .expect("verifies over the digest too");
    assert_eq!(by_digest.signer_certificate_der, v.signer_certificate_der);
    assert!(cms::verify_detached(data, Detached::Content(b"other"), &[], false).is_err());
    assert_eq!(cms::signature_value(data).ok(), Some(v.signature.clone()));
    if let Ok(more) = cms::add_unsigned_attribute(data, der_oid(), &[5, 0]) {
        assert!(cms::verify_detached(&more, Detached::Content(CONTENT), &[], false).is_ok());
    }
});

fn der_oid() -> der::asn1::ObjectIdentifier {
    der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4")
}
