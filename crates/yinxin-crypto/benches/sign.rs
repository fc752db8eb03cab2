//! The raw signing rate of each software key algorithm over a 256-byte message (about the size
//! of an OCSP ResponseData or a small TBSCertificate): the primitive beside which the platform's
//! issuance, OCSP and TSA rates are reported in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::{KeyAlgorithm, Signer};

fn sign(c: &mut Criterion) {
    let message = [0x5au8; 256];
    let mut group = c.benchmark_group("sign_256B");
    for alg in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Sm2,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Ed25519,
    ] {
        let Ok(key) = SoftwareKey::generate(alg) else {
            continue;
        };
        group.bench_function(alg.as_str(), |b| b.iter(|| key.sign(&message)));
    }
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
