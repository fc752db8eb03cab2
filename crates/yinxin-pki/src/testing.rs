//! Test helpers: a software key store on a real (SQLite) key-store database, OpenSSL as the
//! independent checker.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use yinxin_crypto::software::SoftwareKeyStore;
use yinxin_store::Backend;
use yinxin_store::testing::TestDb;
use zeroize::Zeroizing;

use crate::cert::StatusUrls;

pub(crate) async fn sw_store() -> (TestDb, SoftwareKeyStore) {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = SoftwareKeyStore::new(Arc::clone(&db.stores.signing_keys), Zeroizing::new([9; 32]));
    (db, store)
}

pub(crate) fn test_urls(ca: &str) -> StatusUrls {
    StatusUrls {
        crl: format!("http://127.0.0.1:1/pki/crl/{ca}.crl"),
        ocsp: "http://127.0.0.1:1/pki/ocsp".into(),
        ca_issuers: format!("http://127.0.0.1:1/pki/ca/{ca}.cer"),
    }
}

pub(crate) fn write_pem(path: &Path, der: &[u8]) {
    std::fs::write(path, crate::pem(der, "CERTIFICATE")).unwrap();
}

/// Runs `openssl` and returns stdout and stderr together.
pub(crate) fn openssl<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/test installs it)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `openssl verify` of `leaf` under `issuing` under `root`.
///
/// For SM2, OpenSSL 3.0 applies `-vfyopt distid:…` only to the certificate being verified, not to
/// the intermediates of the chain it builds, so a three-level SM2 chain fails at depth 1 even when
/// every signature is right (seen with a chain made by `openssl req`/`openssl x509` alone). SM2
/// chains are therefore checked link by link: the issuing CA under the root, then the leaf under
/// the issuing CA as a partial chain — every signature still checked by OpenSSL with the GM/T 0009
/// distinguishing ID.
pub(crate) fn verify_chain(
    alg: yinxin_crypto::KeyAlgorithm,
    root: &Path,
    issuing: &Path,
    leaf: &Path,
    timestamping: bool,
) -> String {
    let s = |p: &Path| p.display().to_string();
    let purpose: Vec<String> = if timestamping {
        vec!["-purpose".into(), "timestampsign".into()]
    } else {
        vec![]
    };
    if alg != yinxin_crypto::KeyAlgorithm::Sm2 {
        let mut args = vec![
            "verify".into(),
            "-CAfile".into(),
            s(root),
            "-untrusted".into(),
            s(issuing),
        ];
        args.extend(purpose);
        args.push(s(leaf));
        return openssl(&args);
    }
    let distid = ["-vfyopt".to_string(), "distid:1234567812345678".into()];
    let mut upper = vec!["verify".into(), "-CAfile".into(), s(root)];
    upper.extend(distid.clone());
    upper.push(s(issuing));
    let upper = openssl(&upper);
    if !upper.contains(": OK") {
        return upper;
    }
    let mut lower = vec![
        "verify".into(),
        "-partial_chain".into(),
        "-CAfile".into(),
        s(issuing),
    ];
    lower.extend(distid);
    lower.extend(purpose);
    lower.push(s(leaf));
    openssl(&lower)
}

/// A PKCS#10 request for `/CN=x` made by `openssl req` with a fresh key in `dir`, as DER, and
/// that key's public key (DER SubjectPublicKeyInfo, from `openssl pkey -pubout`). `kind` is
/// `p256`, `p384`, `rsa1024`, `rsa2048`, `ed25519` or `sm2` (SM3 with distinguishing ID
/// `1234567812345678`).
pub(crate) fn openssl_request(dir: &Path, kind: &str) -> (Vec<u8>, Vec<u8>) {
    let s = |p: &Path| p.display().to_string();
    let key = dir.join(format!("{kind}.key"));
    let csr = dir.join(format!("{kind}.csr.der"));
    let public = dir.join(format!("{kind}.pub.der"));
    let genpkey: Vec<String> = match kind {
        "p256" | "p384" | "sm2" => {
            let curve = match kind {
                "p256" => "P-256",
                "p384" => "P-384",
                _ => "SM2",
            };
            vec![
                "-algorithm".into(),
                "EC".into(),
                "-pkeyopt".into(),
                format!("ec_paramgen_curve:{curve}"),
            ]
        }
        "rsa1024" | "rsa2048" => vec![
            "-algorithm".into(),
            "RSA".into(),
            "-pkeyopt".into(),
            format!("rsa_keygen_bits:{}", kind.trim_start_matches("rsa")),
        ],
        "ed25519" => vec!["-algorithm".into(), "ED25519".into()],
        other => panic!("no request kind {other}"),
    };
    let mut args = vec!["genpkey".to_string()];
    args.extend(genpkey);
    args.extend(["-out".into(), s(&key)]);
    let out = openssl(&args);
    assert!(key.exists(), "openssl genpkey {kind}: {out}");
    let mut args: Vec<String> = vec![
        "req".into(),
        "-new".into(),
        "-key".into(),
        s(&key),
        "-subj".into(),
        "/CN=x".into(),
        "-outform".into(),
        "DER".into(),
        "-out".into(),
        s(&csr),
    ];
    match kind {
        "sm2" => args.extend([
            "-sm3".into(),
            "-sigopt".into(),
            "distid:1234567812345678".into(),
        ]),
        "p384" => args.push("-sha384".into()),
        _ => {}
    }
    let out = openssl(&args);
    let csr = std::fs::read(&csr).unwrap_or_else(|_| panic!("openssl req {kind}: {out}"));
    let out = openssl(&[
        "pkey",
        "-in",
        &s(&key),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        &s(&public),
    ]);
    let public = std::fs::read(&public).unwrap_or_else(|_| panic!("openssl pkey {kind}: {out}"));
    (csr, public)
}

/// The hierarchy spec the tests use for `alg`.
pub(crate) fn test_spec(alg: yinxin_crypto::KeyAlgorithm) -> crate::hierarchy::HierarchySpec {
    crate::hierarchy::HierarchySpec {
        algorithm: alg,
        organization: "yinxin test".into(),
        label: alg.as_str().to_uppercase(),
        root_urls: test_urls("root"),
        issuing_urls: test_urls("issuing"),
    }
}

/// `openssl pkeyutl -verify` of an SM2 signature over the DER at `tbs` with the GM/T 0009 default
/// distinguishing ID: how SM2 CRLs and OCSP responses are checked, since `openssl crl` and
/// `openssl ocsp` cannot take a distinguishing ID (docs/CA.md).
pub(crate) fn sm2_verify_with_distid(public: &Path, tbs: &Path, sig: &Path) -> String {
    let s = |p: &Path| p.display().to_string();
    openssl(&[
        "pkeyutl".to_string(),
        "-verify".into(),
        "-rawin".into(),
        "-digest".into(),
        "sm3".into(),
        "-pubin".into(),
        "-keyform".into(),
        "DER".into(),
        "-inkey".into(),
        s(public),
        "-in".into(),
        s(tbs),
        "-sigfile".into(),
        s(sig),
        "-pkeyopt".into(),
        "distid:1234567812345678".into(),
    ])
}
