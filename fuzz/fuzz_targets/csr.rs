//! PKCS#10 request checks (`yinxin_pki::csr::check_request`, CERT-1) with the personal-signing
//! profile.
//!
//! The whole input is the request. Checked: no panic; deterministic; every refusal is
//! `PkiError::Invalid` with a message that starts with "the request" or "this is"; input over
//! 64 KiB is refused. When accepted: the input is at most 64 KiB; the algorithm is allowed by the
//! profile and is what `public_key_algorithm` says of the returned key; the returned key occurs in
//! the input; a byte appended, the last byte dropped, or the last byte (inside the signature)
//! changed makes it refused; the PEM of the input is accepted with the same result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_crypto::verify::public_key_algorithm;
use yinxin_pki::PkiError;
use yinxin_pki::csr::{MAX_REQUEST_LEN, check_request, check_request_pem};
use yinxin_pki::profile::{Profile, ProfileKind};

fuzz_target!(|data: &[u8]| {
    let profile = Profile::builtin(ProfileKind::PersonalSigning);
    let first = check_request(data, &profile);
    let again = check_request(data, &profile);
    assert_eq!(
        format!("{first:?}"),
        format!("{again:?}"),
        "not deterministic"
    );
    let checked = match first {
        Err(PkiError::Invalid(m)) => {
            assert!(
                m.starts_with("the request") || m.starts_with("this is"),
                "refusal message of an unexpected form: {m}"
            );
            return;
        }
        Err(other) => panic!("a refusal that is not Invalid: {other:?}"),
        Ok(c) => c,
    };
    assert!(
        data.len() <= MAX_REQUEST_LEN,
        "an oversized request accepted"
    );
    assert!(profile.allowed_algorithms.contains(&checked.algorithm));
    assert_eq!(
        public_key_algorithm(&checked.public_key_der).ok(),
        Some(checked.algorithm),
        "the returned key is not of the returned algorithm"
    );
    assert!(
        data.windows(checked.public_key_der.len())
            .any(|w| w == checked.public_key_der.as_slice()),
        "the returned key is not the request's"
    );

    let mut longer = data.to_vec();
    longer.push(0);
    assert!(
        check_request(&longer, &profile).is_err(),
        "a trailing byte accepted"
    );
    if let Some((_, shorter)) = data.split_last() {
        assert!(
            check_request(shorter, &profile).is_err(),
            "a truncation accepted"
        );
    }
    let mut altered = data.to_vec();
    if let Some(last) = altered.last_mut() {
        *last ^= 0x01;
    }
    assert!(
        check_request(&altered, &profile).is_err(),
        "an altered signature accepted"
    );

    let pem = yinxin_pki::pem(data, "CERTIFICATE REQUEST");
    let via_pem = check_request_pem(&pem, &profile).expect("the PEM of an accepted request");
    assert_eq!(via_pem, checked, "PEM and DER disagree");
});
