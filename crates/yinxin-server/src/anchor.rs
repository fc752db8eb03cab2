//! The RFC 3161 anchor of the evidence log (issue 7 item 5; EVID-1): the latest checkpoint's
//! signed note is timestamped by a TSA — any RFC 3161 TSA over HTTP, a third party's or the
//! service's own `/pki/tsa` — and the TimeStampToken is the receipt. The token's imprint is
//! SHA-256 of the note's bytes (body and signature lines, verbatim), so it dates the signed
//! checkpoint: a history rewritten later cannot carry a token from before.
//!
//! Before a receipt is stored it is checked here: the answer is a granted TimeStampResp, its
//! token's signature verifies (by the certificate inside it), its imprint is the note's digest
//! and its nonce is ours. Whether the TSA is to be trusted is the relying party's decision,
//! made when the bundle is verified (`yinxin verify proof --trust`).

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use yinxin_ledger::anchor::Anchor;
use yinxin_pki::cms::DigestAlgorithm;

/// The largest TSA answer read.
const REPLY_MAX: usize = 64 * 1024;

/// An RFC 3161 TSA reached over HTTP (RFC 3161 §3.4: `application/timestamp-query` POSTed,
/// `application/timestamp-reply` answered).
#[derive(Debug, Clone)]
pub struct Rfc3161Anchor {
    name: String,
    url: String,
    client: reqwest::Client,
}

impl Rfc3161Anchor {
    /// The TSA at `url` (http or https), with a timeout per request. Its name is
    /// `rfc3161:<url>`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(format!("{url:?} is not an http(s) URL"));
        }
        // The name is published with every receipt (bundles, the anchors table, logs): no
        // credentials may be in it, so none may be in the URL.
        if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some()
        {
            return Err(
                "a TSA URL with a user, a password or a query is refused: the anchor's URL is \
                 published in every proof bundle"
                    .into(),
            );
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            name: format!("rfc3161:{url}"),
            url: url.to_owned(),
            client,
        })
    }
}

#[async_trait]
impl Anchor for Rfc3161Anchor {
    fn name(&self) -> &str {
        &self.name
    }

    async fn anchor(&self, note: &str) -> Result<Vec<u8>, String> {
        let digest = Sha256::digest(note.as_bytes());
        let nonce = uuid::Uuid::new_v4();
        let nonce = &nonce.as_bytes()[..8];
        let request = yinxin_pki::tsp::request(DigestAlgorithm::Sha256, &digest, Some(nonce), true)
            .map_err(|e| format!("request: {e}"))?;
        let mut answer = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .body(request)
            .send()
            .await
            .map_err(|e| format!("the TSA cannot be reached: {}", e.without_url()))?;
        if !answer.status().is_success() {
            return Err(format!("the TSA answered HTTP {}", answer.status()));
        }
        let mut reply = Vec::new();
        while let Some(chunk) = answer
            .chunk()
            .await
            .map_err(|e| format!("the TSA's answer broke off: {}", e.without_url()))?
        {
            if reply.len() + chunk.len() > REPLY_MAX {
                return Err(format!("the TSA's answer is over {REPLY_MAX} bytes"));
            }
            reply.extend_from_slice(&chunk);
        }
        let token =
            yinxin_sign::timestamp::token_from_response(&reply).map_err(|e| e.to_string())?;
        let verified = yinxin_pki::tsp::verify_token(&token, None)
            .map_err(|e| format!("the token does not verify: {e}"))?;
        if verified.hash != DigestAlgorithm::Sha256 || verified.hashed_message != digest.as_slice()
        {
            return Err("the token is not over the checkpoint's SHA-256".into());
        }
        if verified.nonce.as_deref().map(strip_zeros) != Some(strip_zeros(nonce)) {
            return Err("the token does not carry the nonce asked for".into());
        }
        Ok(token)
    }
}

/// An INTEGER's value bytes without leading zero bytes (a nonce is an INTEGER: DER may add a
/// zero byte before a high bit, or drop leading zeros).
fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    b.get(n..).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The anchor's URL is published with every receipt: credentials or a query are refused.
    #[test]
    fn urls_with_credentials_are_refused() {
        let t = Duration::from_secs(1);
        let ok = Rfc3161Anchor::new("https://tsa.example/tsr", t).map(|a| a.name().to_owned());
        assert_eq!(ok.as_deref(), Ok("rfc3161:https://tsa.example/tsr"));
        for bad in [
            "https://user:secret@tsa.example/",
            "https://user@tsa.example/",
            "https://tsa.example/?apikey=secret",
            "ftp://tsa.example/",
            "tsa.example",
        ] {
            let e = Rfc3161Anchor::new(bad, t).map(|_| ()).unwrap_err();
            assert!(!e.contains("secret"), "{bad}: {e}");
        }
    }
}
