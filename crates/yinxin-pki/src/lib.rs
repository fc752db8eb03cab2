//! The certificate authority's structures and rules, one module per RFC structure:
//!
//! - [`name`] — distinguished names built attribute by attribute (UTF8String values, so Chinese
//!   names need no escaping).
//! - [`profile`] — issuance policy as a [`Profile`](profile::Profile): what a certificate of each
//!   kind may carry (key usage, extended key usage, CA flag, validity, allowed algorithms).
//! - [`cert`] — the certificate builder over any [`yinxin_crypto::Signer`]: RFC 5280 TBSCertificate
//!   with subject/authority key identifiers, CRL distribution points and AIA, serials of at least
//!   64 random bits.
//! - [`hierarchy`] — a root and an issuing CA with their OCSP and timestamping certificates.
//! - [`crl`] — full CRLs (RFC 5280 §5) over any [`yinxin_crypto::Signer`]: v2, CRL number, AKI.
//! - [`ocsp`] — OCSP (RFC 6960): request parser and signed response builder over own der 0.8 types.
//! - [`csr`] — PKCS#10 requests checked before issuance: structure, self-signature, key strength,
//!   algorithm allowed by the profile (CERT-1).
//!
//! - [`event`] — the event binding extension of event certificates (CERT-3).
//! - [`cms`] — CMS SignedData with one signer (RFC 5652) and the ESS signing-certificate-v2
//!   attribute (RFC 5035/5816): signing over any Signer, and checking.
//! - [`envelope`] — CMS EnvelopedData (RFC 5652 §6) to one RSA or P-256 recipient certificate
//!   (AES-256-CBC; RSAES-OAEP or ECDH with AES key wrap): the handover archive's seal.
//! - [`tsp`] — the Time-Stamp Protocol (RFC 3161): request parser, TSTInfo and token, responses.
//!
//! - [`ca`] — the CA service over the domain's `CertificateRepo`: hierarchies created on first
//!   start, added and rotated by the operator (`yinxin ca`), issuance to a verified subject,
//!   revocation, CRLs.
//! - [`tsa`] — the timestamp authority over the domain's `TimestampRepo` (SIGN-1): which TSA
//!   signs, serials, the clock checks.
//!
//! Everything but [`ca`] and [`tsa`] is pure: no database, no vault.

pub mod ca;
pub mod cert;
pub mod cms;
pub mod crl;
pub mod csr;
mod der_error;
pub mod envelope;
pub mod error;
pub mod event;
pub mod hierarchy;
pub mod name;
pub mod ocsp;
pub mod profile;
#[cfg(test)]
mod testing;
pub mod tsa;
pub mod tsp;

pub use error::PkiError;

/// PEM armour (RFC 7468) for a DER object: `label` is `CERTIFICATE`, `X509 CRL`, ….
pub fn pem(der: &[u8], label: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
