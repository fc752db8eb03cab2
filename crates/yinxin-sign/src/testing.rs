//! Test fixtures: a CA hierarchy of software keys (no database), a test TSA, the outside tools.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::{KeyAlgorithm, Signer};
use yinxin_pki::cert::{CertificateSpec, Issuer, issue, random_serial};
use yinxin_pki::cms::DigestAlgorithm;
use yinxin_pki::name::NameBuilder;
use yinxin_pki::profile::{Profile, ProfileKind};
use yinxin_pki::tsp::{self, TokenSpec};

use crate::SignError;

/// Root, issuing CA, a person's signing certificate and a TSA, all of `alg`.
pub(crate) struct Pki {
    pub(crate) root: Vec<u8>,
    pub(crate) issuing: Vec<u8>,
    pub(crate) signer_key: SoftwareKey,
    pub(crate) signer: Vec<u8>,
    pub(crate) tsa_key: SoftwareKey,
    pub(crate) tsa: Vec<u8>,
}

fn cert(
    kind: ProfileKind,
    cn: &str,
    key: &dyn Signer,
    issuer: Option<(&str, &dyn Signer)>,
) -> Vec<u8> {
    let profile = Profile::builtin(kind);
    let name = |cn: &str| {
        NameBuilder::new()
            .country("CN")
            .organization("yinxin sign test")
            .common_name(cn)
            .build()
            .unwrap()
    };
    let issuer = issuer.map(|(icn, s)| Issuer {
        name: name(icn),
        signer: s,
        urls: None,
    });
    let (_, der) = issue(
        &CertificateSpec {
            profile: &profile,
            subject: name(cn),
            subject_public_key: key.public_key_der(),
            not_before: SystemTime::now() - Duration::from_secs(3600),
            validity: profile.default_validity,
            extra_extensions: Vec::new(),
        },
        issuer.as_ref(),
        Some(key),
        random_serial().unwrap(),
    )
    .unwrap();
    der
}

impl Pki {
    pub(crate) fn new(alg: KeyAlgorithm) -> Self {
        let root_key = SoftwareKey::generate(alg).unwrap();
        let issuing_key = SoftwareKey::generate(alg).unwrap();
        let signer_key = SoftwareKey::generate(alg).unwrap();
        let tsa_key = SoftwareKey::generate(alg).unwrap();
        let root = cert(ProfileKind::RootCa, "Test Root", &root_key, None);
        let issuing = cert(
            ProfileKind::IssuingCa,
            "Test Issuing",
            &issuing_key,
            Some(("Test Root", &root_key)),
        );
        let signer = cert(
            ProfileKind::PersonalSigning,
            "张三 Signer",
            &signer_key,
            Some(("Test Issuing", &issuing_key)),
        );
        let tsa = cert(
            ProfileKind::Timestamping,
            "Test TSA",
            &tsa_key,
            Some(("Test Issuing", &issuing_key)),
        );
        Self {
            root,
            issuing,
            signer_key,
            signer,
            tsa_key,
            tsa,
        }
    }

    /// A token over `digest` from this hierarchy's TSA, the TSA certificate inside.
    pub(crate) fn timestamp(
        &self,
        hash: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, SignError> {
        let req = tsp::request(hash, digest, Some(&[1, 2, 3, 4]), true)?;
        let req = tsp::parse_request(&req).map_err(|r| SignError::Timestamp(r.text))?;
        Ok(tsp::build_token(
            &req,
            &TokenSpec {
                policy: yinxin_pki::tsa::DEFAULT_POLICY,
                serial: 7,
                gen_time: SystemTime::now(),
                accuracy: Some(Duration::from_secs(1)),
                tsa_name: None,
            },
            &self.tsa_key,
            &self.tsa,
        )?)
    }

    /// Writes root.pem, chain.pem (issuing + root) and signer.pem into `dir`.
    pub(crate) fn write_pems(&self, dir: &Path) {
        std::fs::write(
            dir.join("root.pem"),
            yinxin_pki::pem(&self.root, "CERTIFICATE"),
        )
        .unwrap();
        std::fs::write(
            dir.join("chain.pem"),
            yinxin_pki::pem(&self.issuing, "CERTIFICATE")
                + &yinxin_pki::pem(&self.root, "CERTIFICATE"),
        )
        .unwrap();
        std::fs::write(
            dir.join("signer.pem"),
            yinxin_pki::pem(&self.signer, "CERTIFICATE"),
        )
        .unwrap();
        std::fs::write(dir.join("signer.pub.der"), self.signer_key.public_key_der()).unwrap();
    }
}

/// Runs a tool and returns its exit success and stdout+stderr.
pub(crate) fn run<S: AsRef<std::ffi::OsStr>>(tool: &str, args: &[S]) -> (bool, String) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed (scripts/test installs it): {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `qpdf --check` of `pdf`, asserted clean.
pub(crate) fn assert_qpdf_check(pdf: &Path) {
    let (ok, out) = run("qpdf", &[std::ffi::OsStr::new("--check"), pdf.as_os_str()]);
    assert!(
        ok && out.contains("No syntax or stream encoding errors"),
        "qpdf --check: {out}"
    );
    assert!(!out.contains("WARNING"), "qpdf --check warns: {out}");
}

/// A minimal PDF of `pages` pages (A4), classic xref table, "Contract page N" on each.
pub(crate) fn minimal_pdf(pages: usize) -> Vec<u8> {
    crate::pdf::text_document(
        &(1..=pages)
            .map(|i| format!("BT /F1 24 Tf 72 720 Td (Contract page {i}) Tj ET"))
            .collect::<Vec<_>>(),
    )
}

/// The same document rewritten by qpdf with object streams and an xref stream.
pub(crate) fn object_stream_pdf(dir: &Path, pages: usize) -> Vec<u8> {
    let src = dir.join("plain.pdf");
    let dst = dir.join("objstm.pdf");
    std::fs::write(&src, minimal_pdf(pages)).unwrap();
    let (ok, out) = run(
        "qpdf",
        &[
            std::ffi::OsStr::new("--object-streams=generate"),
            src.as_os_str(),
            dst.as_os_str(),
        ],
    );
    assert!(ok, "qpdf --object-streams=generate: {out}");
    std::fs::read(dst).unwrap()
}
