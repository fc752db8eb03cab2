//! The raw signing rate of each software key algorithm over a 256-byte message (about the size
//! of an OCSP ResponseData or a small TBSCertificate): the primitive beside which the platform's
//! issuance, OCSP and TSA rates are reported in BENCHMARKS.md. Also the other primitives of an
//! issuance: verifying a signature (the CA checks every PKCS#10 request's own signature) and
//! generating a key (a hosted key is generated per certificate).

#![allow(clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::verify::verify_signature;
use yinxin_crypto::{KeyAlgorithm, Signer};

const ALGORITHMS: [KeyAlgorithm; 5] = [
    KeyAlgorithm::EcdsaP256,
    KeyAlgorithm::Sm2,
    KeyAlgorithm::EcdsaP384,
    KeyAlgorithm::Rsa2048,
    KeyAlgorithm::Ed25519,
];

fn sign(c: &mut Criterion) {
    let message = [0x5au8; 256];
    let mut group = c.benchmark_group("sign_256B");
    for alg in ALGORITHMS {
        let Ok(key) = SoftwareKey::generate(alg) else {
            continue;
        };
        group.bench_function(alg.as_str(), |b| b.iter(|| key.sign(&message)));
    }
    group.finish();
}

fn verify(c: &mut Criterion) {
    let message = [0x5au8; 256];
    let mut group = c.benchmark_group("verify_256B");
    for alg in ALGORITHMS {
        let Ok(key) = SoftwareKey::generate(alg) else {
            continue;
        };
        let signature = key.sign(&message).expect("sign");
        let spki = key.public_key_der().to_vec();
        // The check must pass, or the figure would be that of a refusal.
        verify_signature(&spki, alg.signature_oid(), &message, &signature).expect("verifies");
        group.bench_function(alg.as_str(), |b| {
            b.iter(|| verify_signature(&spki, alg.signature_oid(), &message, &signature))
        });
    }
    group.finish();
}

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Sm2] {
        group.bench_function(alg.as_str(), |b| b.iter(|| SoftwareKey::generate(alg)));
    }
    group.finish();
}

criterion_group!(benches, sign, verify, generate);
criterion_main!(benches);
