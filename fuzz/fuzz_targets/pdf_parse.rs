//! The PDF reader of yinxin-sign (`yinxin_sign::pdf::Document`) and the PAdES verifier over it
//! (`yinxin_sign::pades::verify`): every uploaded PDF reaches them (issue 6 items 5 and 7); and
//! the attachment reader of evidence reports (`yinxin_sign::report::attachments`); the /DSS
//! reader (`pades::validation_data`) with the OCSP and CRL checks a relying party makes of it.
//!
//! The whole input is the file. Checked: no panic, no unbounded work (small limits); parsing and
//! verification are deterministic; when the file parses, every object the cross-reference names
//! can be asked for without panicking, the page tree is walked or refused, and an incremental
//! update of it starts with the input byte for byte (earlier bytes are never rewritten) and parses
//! again with the same trailer /Root, page count and objects.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_sign::pdf::{Document, Limits, ObjRef, Object, Update};

fn limits() -> Limits {
    Limits {
        max_file_len: 1 << 20,
        max_stream_len: 1 << 20,
        max_depth: 32,
        max_container_len: 4096,
        max_objects: 4096,
        max_revisions: 32,
    }
}

fuzz_target!(|data: &[u8]| {
    let first = Document::parse_with(data, limits());
    let again = Document::parse_with(data, limits());
    assert_eq!(first.is_ok(), again.is_ok(), "not deterministic");
    let Ok(doc) = first else {
        let (a, b) = (first.unwrap_err(), again.unwrap_err());
        assert_eq!(a, b, "not deterministic");
        assert!(!a.to_string().is_empty());
        return;
    };
    let nums: Vec<u32> = doc.entries().keys().copied().take(512).collect();
    for n in &nums {
        let _ = doc.get(ObjRef::new(*n));
    }
    let pages = doc.pages();
    let report = yinxin_sign::pades::verify(data).map(|r| r.len());
    assert_eq!(
        report.as_ref().ok(),
        yinxin_sign::pades::verify(data).map(|r| r.len()).as_ref().ok(),
        "verification not deterministic"
    );
    // The attachment reader of `yinxin verify report` (issue 7 item 4): bounded, deterministic.
    let files = yinxin_sign::report::attachments(data).map(|f| f.len());
    assert_eq!(
        files.as_ref().ok(),
        yinxin_sign::report::attachments(data).map(|f| f.len()).as_ref().ok(),
        "attachments not deterministic"
    );

    // The /DSS reader and the revocation checks over it (issue 6 item 7): every OCSP response
    // and CRL read against every certificate the file carries as issuer — bounded, deterministic,
    // and a finding only from data that verified.
    if let Ok(dss) = yinxin_sign::pades::validation_data(data) {
        for issuer in dss.certificates.iter().take(4) {
            for signer in dss.certificates.iter().take(4) {
                let f = yinxin_sign::revocation::status(signer, issuer, &dss);
                assert_eq!(f, yinxin_sign::revocation::status(signer, issuer, &dss));
            }
            for r in dss.ocsp_responses.iter().take(8) {
                let _ = yinxin_pki::ocsp::check_response(r, issuer, &[1]);
            }
            for c in dss.crls.iter().take(8) {
                let _ = yinxin_pki::crl::lookup(c, issuer, &[1]);
            }
        }
    }

    // An update that adds one object.
    let mut up = Update::new(&doc);
    let r = up.allocate();
    up.put(r, &Object::string("fuzz"));
    let written = up.finish().expect("an update of a parsed file is written");
    assert!(written.bytes.starts_with(data), "earlier bytes rewritten");
    let updated = Document::parse_with(&written.bytes, Limits { max_file_len: 4 << 20, ..limits() })
        .expect("an updated file parses");
    assert_eq!(updated.trailer().get(b"Root"), doc.trailer().get(b"Root"));
    assert_eq!(updated.get(r).ok(), Some(Object::string("fuzz")));
    if let Ok(p) = &pages {
        assert_eq!(updated.pages().map(|q| q.len()).ok(), Some(p.len()));
    }
});
