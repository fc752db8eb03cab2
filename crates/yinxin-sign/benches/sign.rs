//! Issue 6's signing figures (BENCHMARKS.md): detached CMS signatures over a digest (what
//! `POST /api/v1/signing/cms` does per request, B-B), beside the raw signature of the same key;
//! and a 10 MB, 100-page PDF signed at B-T (a token from an in-process TSA of the same
//! algorithm), beside the time to hash the file once — the target is < 100 ms beyond it.
//!
//!   cargo bench -p yinxin-sign --bench sign

use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::{KeyAlgorithm, Signer};
use yinxin_pki::cert::simple_certificate;
use yinxin_pki::cms::DigestAlgorithm;
use yinxin_pki::profile::ProfileKind;
use yinxin_pki::tsp::{self, TokenSpec};
use yinxin_sign::pades::{self, Appearance};
use yinxin_sign::{SignError, cades};

fn or_exit<T, E: Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{what}: {e}");
            std::process::exit(1);
        }
    }
}

/// A root, an issuing CA, a signer and a TSA of `alg`.
struct Hierarchy {
    issuing: Vec<u8>,
    signer_key: SoftwareKey,
    signer: Vec<u8>,
    tsa_key: SoftwareKey,
    tsa: Vec<u8>,
}

impl Hierarchy {
    fn new(alg: KeyAlgorithm) -> Self {
        let key = || or_exit(SoftwareKey::generate(alg), "key");
        let (root_key, issuing_key, signer_key, tsa_key) = (key(), key(), key(), key());
        let cert = |kind, cn, k: &SoftwareKey, issuer: Option<(&str, &dyn Signer)>| {
            or_exit(simple_certificate(kind, cn, k, issuer), "certificate")
        };
        let _root = cert(ProfileKind::RootCa, "bench root", &root_key, None);
        let issuing = cert(
            ProfileKind::IssuingCa,
            "bench issuing",
            &issuing_key,
            Some(("bench root", &root_key)),
        );
        let signer = cert(
            ProfileKind::PersonalSigning,
            "bench signer",
            &signer_key,
            Some(("bench issuing", &issuing_key)),
        );
        let tsa = cert(
            ProfileKind::Timestamping,
            "bench TSA",
            &tsa_key,
            Some(("bench issuing", &issuing_key)),
        );
        Self {
            issuing,
            signer_key,
            signer,
            tsa_key,
            tsa,
        }
    }

    fn timestamp(&self, hash: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let req = tsp::request(hash, digest, Some(&[1, 2, 3, 4]), true)?;
        let req = tsp::parse_request(&req).map_err(|r| SignError::Timestamp(r.text))?;
        Ok(tsp::build_token(
            &req,
            &TokenSpec {
                policy: yinxin_pki::tsa::DEFAULT_POLICY,
                serial: 1,
                gen_time: SystemTime::now(),
                accuracy: Some(Duration::from_secs(1)),
                tsa_name: None,
            },
            &self.tsa_key,
            &self.tsa,
        )?)
    }
}

/// A PDF of `pages` A4 pages whose content streams add up to about `bytes`.
fn big_pdf(pages: usize, bytes: usize) -> Vec<u8> {
    let line = "BT /F1 10 Tf 72 720 Td (yinxin benchmark text, page filler) Tj ET\n";
    let filler = line.repeat(bytes / pages / line.len() + 1);
    yinxin_sign::pdf::text_document(&vec![filler; pages])
}

fn cms(c: &mut Criterion) {
    let mut g = c.benchmark_group("cms_over_digest");
    for (alg, label) in [
        (KeyAlgorithm::EcdsaP256, "p256"),
        (KeyAlgorithm::Sm2, "sm2"),
    ] {
        let h = Hierarchy::new(alg);
        let hash = DigestAlgorithm::for_key(alg);
        let digest = hash.digest(b"the document");
        let chain = vec![h.issuing.clone()];
        g.bench_function(format!("{label}/raw_signature"), |b| {
            b.iter(|| or_exit(h.signer_key.sign(black_box(&digest)), "sign"))
        });
        g.bench_function(format!("{label}/cades_b_b"), |b| {
            b.iter(|| {
                or_exit(
                    cades::sign(
                        &cades::Request {
                            input: cades::Input::Digest(black_box(&digest)),
                            signer_certificate_der: &h.signer,
                            chain: &chain,
                            signing_time: Some(SystemTime::now()),
                        },
                        &h.signer_key,
                        None,
                    ),
                    "cades",
                )
            })
        });
    }
    g.finish();
}

fn pdf(c: &mut Criterion) {
    let h = Hierarchy::new(KeyAlgorithm::EcdsaP256);
    let file = big_pdf(100, 10 * 1024 * 1024);
    let chain = vec![h.issuing.clone()];
    let source = |hash: DigestAlgorithm, d: &[u8]| h.timestamp(hash, d);
    let mut g = c.benchmark_group("pdf_10mb_100_pages");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("sha256_of_the_file", |b| {
        b.iter(|| DigestAlgorithm::Sha256.digest(black_box(&file)))
    });
    g.bench_function("pades_b_t", |b| {
        b.iter(|| {
            let request = pades::Request {
                field_name: "Signature1".into(),
                page: 1,
                rect: [0.0; 4],
                appearance: Appearance::Invisible,
                signing_time: SystemTime::now(),
                reason: None,
                location: None,
                name: None,
                signer_certificate_der: &h.signer,
                chain: &chain,
                contents_capacity: None,
            };
            or_exit(
                pades::sign(black_box(&file), &request, &h.signer_key, Some(&source)),
                "pades",
            )
        })
    });
    g.finish();
}

criterion_group!(benches, cms, pdf);
criterion_main!(benches);
