//! OCSP request parsing (`yinxin_pki::ocsp::parse_request`, RFC 6960).
//!
//! The whole input is the request. Checked: no panic; deterministic; every refusal is
//! `PkiError::Invalid` with a message starting "the OCSP request"; input over 64 KiB and empty
//! input are refused. When accepted: at least one CertID, each with SHA-1, SHA-256 or SM3 and
//! issuer hashes of that digest's length, the serial a non-empty DER INTEGER content occurring in
//! the input; a nonce of 1..32 octets occurring in the input; a byte appended or the last byte
//! dropped makes it refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_pki::PkiError;
use yinxin_pki::ocsp::{CertIdHash, MAX_NONCE_LEN, MAX_OCSP_REQUEST_LEN, parse_request};

fn occurs(data: &[u8], part: &[u8]) -> bool {
    data.windows(part.len()).any(|w| w == part)
}

fuzz_target!(|data: &[u8]| {
    let first = parse_request(data);
    let again = parse_request(data);
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "not deterministic"
    );
    let req = match first {
        Err(PkiError::Invalid(m)) => {
            assert!(
                m.starts_with("the OCSP request"),
                "refusal message of an unexpected form: {m}"
            );
            return;
        }
        Err(other) => panic!("a refusal that is not Invalid: {other:?}"),
        Ok(r) => r,
    };
    assert!(!data.is_empty() && data.len() <= MAX_OCSP_REQUEST_LEN);
    assert!(!req.cert_ids.is_empty(), "no CertID accepted");
    for id in &req.cert_ids {
        let hash = CertIdHash::from_oid(&id.hash_algorithm).expect("a supported hash");
        assert_eq!(id.issuer_name_hash.len(), hash.output_len());
        assert_eq!(id.issuer_key_hash.len(), hash.output_len());
        assert!(!id.serial.is_empty());
        assert!(occurs(data, &id.serial), "the serial is not the input's");
        assert!(occurs(data, &id.issuer_key_hash));
    }
    if let Some(n) = &req.nonce {
        assert!((1..=MAX_NONCE_LEN).contains(&n.len()));
        assert!(occurs(data, n), "the nonce is not the input's");
    }
    let mut longer = data.to_vec();
    longer.push(0);
    assert!(parse_request(&longer).is_err(), "a trailing byte accepted");
    if let Some((_, shorter)) = data.split_last() {
        assert!(parse_request(shorter).is_err(), "a truncation accepted");
    }
});
