//! OCSP with a P-256 software key: building and signing a response for one Good CertID (the
//! work of a cache miss or a nonce request), and parsing an `openssl ocsp` request (SHA-1
//! CertID with a 16-octet nonce, from the fuzz seed corpus).

use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::{KeyAlgorithm, Signer};
use yinxin_pki::cert::simple_certificate;
use yinxin_pki::ocsp::{CertIdHash, CertStatus, ResponderIdentity, build_response, parse_request};
use yinxin_pki::profile::ProfileKind;

/// A request made by `openssl ocsp -issuer … -cert …` (default: SHA-1, with nonce).
const REQUEST: &[u8] = include_bytes!("../../../fuzz/corpus/ocsp_request/sha1-nonce.der");

fn or_exit<T, E: Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{what}: {e}");
            std::process::exit(1);
        }
    }
}

fn certificate(
    kind: ProfileKind,
    cn: &str,
    subject_key: &dyn Signer,
    issuer: Option<(&str, &dyn Signer)>,
) -> Vec<u8> {
    or_exit(
        simple_certificate(kind, cn, subject_key, issuer),
        "certificate",
    )
}

fn ocsp(c: &mut Criterion) {
    let ca_key = or_exit(SoftwareKey::generate(KeyAlgorithm::EcdsaP256), "key");
    let responder_key = or_exit(SoftwareKey::generate(KeyAlgorithm::EcdsaP256), "key");
    let ca = certificate(ProfileKind::IssuingCa, "bench CA", &ca_key, None);
    let responder = certificate(
        ProfileKind::OcspResponder,
        "bench OCSP",
        &responder_key,
        Some(("bench CA", &ca_key)),
    );
    let identity = or_exit(ResponderIdentity::new(&ca, &responder), "identity");
    let id = or_exit(identity.cert_id(CertIdHash::Sha1, &[0x4a; 16]), "cert id");
    let responses = [(id, CertStatus::Good)];
    let now = SystemTime::now();
    let next = Some(now + Duration::from_secs(3600));
    let size = or_exit(
        build_response(&identity, &responder_key, &responses, now, now, next, None),
        "response",
    )
    .len();
    eprintln!("response for one CertID: {size} bytes DER");
    or_exit(parse_request(REQUEST), "the corpus request");

    c.bench_function("ocsp_build_response_1_good_p256", |b| {
        b.iter(|| {
            build_response(
                &identity,
                &responder_key,
                black_box(&responses),
                now,
                now,
                next,
                None,
            )
        })
    });
    c.bench_function("ocsp_parse_request_openssl_sha1_nonce", |b| {
        b.iter(|| parse_request(black_box(REQUEST)))
    });
}

criterion_group!(benches, ocsp);
criterion_main!(benches);
