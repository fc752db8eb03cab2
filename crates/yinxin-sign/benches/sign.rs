//! Issue 6's signing figures (BENCHMARKS.md): detached CMS signatures over a digest (what
//! `POST /api/v1/signing/cms` does per request, B-B), beside the raw signature of the same key;
//! and a 10 MB, 100-page PDF signed at B-T (a token from an in-process TSA of the same
//! algorithm), beside the time to hash the file once — the target is < 100 ms beyond it; and an
//! evidence report (issue 7 item 4): a three-page Chinese report with two attachments typeset
//! (the font subset and embedded), then typeset and signed at B-T.
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

/// An invisible signature by `h`'s signer.
fn invisible<'a>(h: &'a Hierarchy, chain: &'a [Vec<u8>]) -> pades::Request<'a> {
    pades::Request {
        field_name: "Signature1".into(),
        page: 1,
        rect: [0.0; 4],
        appearance: Appearance::Invisible,
        signing_time: SystemTime::now(),
        reason: None,
        location: None,
        name: None,
        signer_certificate_der: &h.signer,
        chain,
        contents_capacity: None,
    }
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
            let request = invisible(&h, &chain);
            or_exit(
                pades::sign(black_box(&file), &request, &h.signer_key, Some(&source)),
                "pades",
            )
        })
    });
    g.finish();
}

/// About what an envelope's evidence report holds for two signatures: three A4 pages.
fn sample_report() -> yinxin_sign::report::Report {
    use yinxin_sign::report::{Attachment, Block, Report};
    let mut blocks = vec![Block::Title("电子签署出证报告".into())];
    for i in 0..6 {
        blocks.push(Block::Heading(format!("签署 {i} — 签署方 {i}")));
        for (label, value) in [
            ("签名编号", "dfd00771-f530-4513-82a1-955fad487ac0"),
            ("签署时间", "2026-12-03 17:00:50"),
            (
                "身份核验",
                "运营商实名核验（姓名、身份证号、手机号）；保证级别 substantial",
            ),
            (
                "意愿认证",
                "短信验证码（发至实名手机号）；2026-12-03 17:00:50",
            ),
            (
                "证书主体",
                "CN=徐勇,SERIALNUMBER=d563ac85aa4e8f6ba4cdd7310218d71e,C=CN",
            ),
        ] {
            blocks.push(Block::Field {
                label: label.into(),
                value: value.into(),
            });
        }
        blocks.push(Block::Mono(format!("SHA-256 {}", "ab".repeat(32))));
    }
    Report {
        title: "电子签署出证报告".into(),
        language: "zh-CN".into(),
        blocks,
        attachments: vec![
            Attachment {
                name: "signature-1.proof.json".into(),
                description: "proof".into(),
                mime: "application/json".into(),
                data: vec![b'x'; 2000],
            },
            Attachment {
                name: "evidence.json".into(),
                description: "evidence".into(),
                mime: "application/json".into(),
                data: vec![b'y'; 4000],
            },
        ],
        footer: "印信 电子认证服务 出证报告".into(),
        page_label: "第 {n} 页，共 {N} 页".into(),
        created: SystemTime::now(),
    }
}

fn report(c: &mut Criterion) {
    let font = or_exit(
        yinxin_sign::report::ReportFont::load(&yinxin_sign::image::FontConfig::default().ming, 0),
        "the report font (scripts/ensure-fonts)",
    );
    let r = sample_report();
    let h = Hierarchy::new(KeyAlgorithm::EcdsaP256);
    let chain = vec![h.issuing.clone()];
    let source = |hash: DigestAlgorithm, d: &[u8]| h.timestamp(hash, d);
    let mut g = c.benchmark_group("evidence_report");
    g.sample_size(30);
    g.bench_function("typeset", |b| {
        b.iter(|| or_exit(yinxin_sign::report::render(black_box(&r), &font), "render"))
    });
    g.bench_function("typeset_and_sign_b_t", |b| {
        b.iter(|| {
            let pdf = or_exit(yinxin_sign::report::render(black_box(&r), &font), "render");
            let request = invisible(&h, &chain);
            or_exit(
                pades::sign(&pdf, &request, &h.signer_key, Some(&source)),
                "pades",
            )
        })
    });
    g.finish();
}

criterion_group!(benches, cms, pdf, report);
criterion_main!(benches);
