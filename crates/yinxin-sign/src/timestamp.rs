//! Signature timestamps (RFC 3161 tokens over a signature value, ETSI EN 319 122-1 §5.3) and
//! their checks, shared by [`crate::cades`] and [`crate::pades`].

use std::time::SystemTime;

use yinxin_pki::cms::DigestAlgorithm;
use yinxin_pki::tsp;

use crate::SignError;

/// Turns a digest into an RFC 3161 token (a DER TimeStampToken, i.e. ContentInfo): the
/// service's own [`yinxin_pki::tsa::TimestampAuthority`] (through [`tsp::request`]), a remote
/// TSA, or a test TSA. Closures `Fn(DigestAlgorithm, &[u8]) -> Result<Vec<u8>, SignError>` are
/// sources. The token should carry the TSA certificate (`certReq`), so that it verifies alone.
pub trait TimestampSource {
    /// A token whose imprint is `digest` under `hash`.
    fn timestamp(&self, hash: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl<F> TimestampSource for F
where
    F: Fn(DigestAlgorithm, &[u8]) -> Result<Vec<u8>, SignError>,
{
    fn timestamp(&self, hash: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        self(hash, digest)
    }
}

/// The token of a DER `TimeStampResp` (what `POST /pki/tsa` or
/// [`yinxin_pki::tsa::TimestampAuthority::respond`] answers); a refusal is an error carrying
/// the TSA's status text and failure bits — never a signature without its timestamp.
pub fn token_from_response(response_der: &[u8]) -> Result<Vec<u8>, SignError> {
    let r = tsp::read_response(response_der)
        .map_err(|e| SignError::Timestamp(format!("the TSA's answer cannot be read: {e}")))?;
    match (r.status, r.token) {
        (0 | 1, Some(token)) => Ok(token),
        (status, _) => Err(SignError::Timestamp(format!(
            "the TSA refused (status {status}: {}; {})",
            r.text.join(" "),
            r.failures
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// What a timestamp token says and whether it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampReport {
    /// Whether the token's own signature (by the TSA certificate inside it) verified.
    pub token_valid: bool,
    /// genTime, when the token could be read.
    pub time: Option<SystemTime>,
    /// Whether the token's imprint is the digest of what it should be over (the signature value,
    /// or for a document timestamp the signed byte ranges).
    pub imprint_matches: bool,
    /// The TSA certificate (DER), when found.
    pub tsa_certificate_der: Option<Vec<u8>>,
    /// Why it does not hold, if it does not.
    pub problem: Option<String>,
}

impl TimestampReport {
    /// Whether the token verified and is over the right bytes.
    pub fn ok(&self) -> bool {
        self.token_valid && self.imprint_matches
    }
}

/// Checks `token` as a timestamp over `covered` (the bytes whose digest the imprint must be).
pub fn check_token(token: &[u8], covered: &[u8]) -> TimestampReport {
    match tsp::verify_token(token, None) {
        Ok(v) => {
            let imprint_matches = v.hashed_message == v.hash.digest(covered);
            TimestampReport {
                token_valid: true,
                time: Some(v.gen_time),
                imprint_matches,
                tsa_certificate_der: Some(v.signed.signer_certificate_der),
                problem: (!imprint_matches).then(|| {
                    "the timestamp's imprint is not the digest of what it should cover".to_string()
                }),
            }
        }
        Err(e) => TimestampReport {
            token_valid: false,
            time: None,
            imprint_matches: false,
            tsa_certificate_der: None,
            problem: Some(format!("the timestamp token does not verify: {e}")),
        },
    }
}

/// A token from `source` over `data` under `hash`, checked to be a readable token over it.
pub(crate) fn obtain(
    source: &dyn TimestampSource,
    hash: DigestAlgorithm,
    data: &[u8],
) -> Result<Vec<u8>, SignError> {
    let token = source.timestamp(hash, &hash.digest(data))?;
    let report = check_token(&token, data);
    if !report.ok() {
        return Err(SignError::Timestamp(
            report
                .problem
                .unwrap_or_else(|| "the token is not over the signature".into()),
        ));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Pki;
    use yinxin_crypto::KeyAlgorithm;
    use yinxin_pki::tsp::{FailureInfo, Rejection};

    #[test]
    fn tokens_come_out_of_granted_responses_only() {
        let pki = Pki::new(KeyAlgorithm::EcdsaP256);
        let d = DigestAlgorithm::Sha256.digest(b"sig");
        let token = pki.timestamp(DigestAlgorithm::Sha256, &d).unwrap();
        let granted = tsp::granted(&token).unwrap();
        assert_eq!(token_from_response(&granted).unwrap(), token);
        assert!(check_token(&token, b"sig").ok());
        assert!(!check_token(&token, b"other").imprint_matches);
        let refused = tsp::rejected(&Rejection::new(FailureInfo::TimeNotAvailable, "clock"));
        let e = token_from_response(&refused).unwrap_err().to_string();
        assert!(
            e.contains("refused") && e.contains("timeNotAvailable"),
            "{e}"
        );
        assert!(token_from_response(b"junk").is_err());
    }
}
