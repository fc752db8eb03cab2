//! Building a full CRL of 1,000,000 revoked certificates with a P-256 software key: encoding the
//! entries, hashing and signing the ~50 MB TBSCertList. Beside it, the raw P-256 signing rate over
//! a 1 KB message, so that the CRL's cost can be read as encoding plus one signature.

use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use yinxin_crypto::software::SoftwareKey;
use yinxin_crypto::{KeyAlgorithm, Signer};
use yinxin_pki::cert::{CertificateSpec, issue, random_serial};
use yinxin_pki::crl::{RevocationReason, RevokedEntry, build_crl};
use yinxin_pki::name::NameBuilder;
use yinxin_pki::profile::{Profile, ProfileKind};

const ENTRIES: u32 = 1_000_000;

fn or_exit<T, E: Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{what}: {e}");
            std::process::exit(1);
        }
    }
}

/// A million entries: 16-byte serials like `random_serial`'s, revocation times over a year, and a
/// mix of reasons (a third without one).
fn entries(now: SystemTime) -> Vec<RevokedEntry> {
    let reasons = [
        None,
        Some(RevocationReason::KeyCompromise),
        Some(RevocationReason::Superseded),
        None,
        Some(RevocationReason::CessationOfOperation),
        Some(RevocationReason::AffiliationChanged),
    ];
    (0..ENTRIES)
        .zip(reasons.iter().cycle())
        .map(|(i, reason)| {
            let mut serial = [0x5au8; 16];
            serial[0] = 0x40 | (i % 0x3f) as u8;
            serial[12..].copy_from_slice(&i.to_be_bytes());
            RevokedEntry {
                serial: serial.to_vec(),
                revoked_at: now - Duration::from_secs(u64::from(i % 31_536_000)),
                reason: *reason,
            }
        })
        .collect()
}

fn crl(c: &mut Criterion) {
    let key = or_exit(SoftwareKey::generate(KeyAlgorithm::EcdsaP256), "key");
    let profile = Profile::builtin(ProfileKind::IssuingCa);
    let now = SystemTime::now();
    let subject = or_exit(
        NameBuilder::new()
            .country("CN")
            .organization("yinxin bench")
            .common_name("yinxin bench ECC Issuing CA")
            .build(),
        "name",
    );
    let (_, issuer) = or_exit(
        issue(
            &CertificateSpec {
                profile: &profile,
                subject,
                subject_public_key: key.public_key_der(),
                not_before: now,
                validity: profile.default_validity,
                extra_extensions: vec![],
            },
            None,
            Some(&key),
            or_exit(random_serial(), "serial"),
        ),
        "issuer certificate",
    );
    let revoked = entries(now);
    let next = now + Duration::from_secs(7 * 24 * 3600);
    let size = or_exit(build_crl(&issuer, &key, 1, now, next, &revoked), "crl").len();
    eprintln!("CRL of {ENTRIES} entries: {size} bytes DER");

    let mut group = c.benchmark_group("crl");
    group.sample_size(10);
    group.bench_function("build_1M_entries_p256", |b| {
        b.iter(|| build_crl(&issuer, &key, 1, now, next, black_box(&revoked)))
    });
    group.finish();

    let message = [0x5au8; 1024];
    c.bench_function("sign_1KB_p256", |b| {
        b.iter(|| key.sign(black_box(&message)))
    });
}

criterion_group!(benches, crl);
criterion_main!(benches);
