//! Checking a request's TC3-HMAC-SHA256 signature, as Tencent Cloud API 3.0 does ("签名方法 v3").
//!
//! Written from the published rules, not from the adapter's signer (this crate does not depend on
//! `yinxin-identity`): a request verifies here only if both followed the documentation the same
//! way. The steps:
//!
//! ```text
//! CanonicalRequest = Method \n "/" \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n
//!                    lowercase(hex(SHA-256(body)))
//!   CanonicalHeaders: for each name in SignedHeaders, "name:value\n", name and value lower-cased
//!   and trimmed, names in lexicographic order (content-type and host at least)
//! StringToSign     = "TC3-HMAC-SHA256" \n X-TC-Timestamp \n Date/Service/tc3_request \n
//!                    lowercase(hex(SHA-256(CanonicalRequest)))
//! SecretSigning    = HMAC(HMAC(HMAC("TC3" + SecretKey, Date), Service), "tc3_request")
//! Signature        = lowercase(hex(HMAC(SecretSigning, StringToSign)))
//! ```
//!
//! Date is the UTC date of X-TC-Timestamp; a timestamp more than five minutes from the server's
//! clock is refused (`AuthFailure.SignatureExpire`).

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use yinxin_domain::validate::CivilDate;

/// The only algorithm of signature version 3.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// How far the request's timestamp may be from the simulator's clock (the documented 5 minutes).
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request's signature was not accepted: each is one of the documented error codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// A header the signature needs is absent (`MissingParameter`).
    Missing(&'static str),
    /// The Authorization header is not `TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
    /// (`AuthFailure.InvalidAuthorization`).
    InvalidAuthorization(&'static str),
    /// The SecretId is not the simulator's (`AuthFailure.SecretIdNotFound`).
    SecretIdNotFound,
    /// The timestamp is more than five minutes away (`AuthFailure.SignatureExpire`).
    SignatureExpire,
    /// The signature does not match the request (`AuthFailure.SignatureFailure`).
    SignatureFailure(&'static str),
}

impl AuthError {
    /// The documented error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "MissingParameter",
            Self::InvalidAuthorization(_) => "AuthFailure.InvalidAuthorization",
            Self::SecretIdNotFound => "AuthFailure.SecretIdNotFound",
            Self::SignatureExpire => "AuthFailure.SignatureExpire",
            Self::SignatureFailure(_) => "AuthFailure.SignatureFailure",
        }
    }

    /// A message in the style of the provider's (never echoing a value of the request).
    pub fn message(&self) -> String {
        match self {
            Self::Missing(header) => {
                format!("The request is missing the required header {header}.")
            }
            Self::InvalidAuthorization(why) => {
                format!("Authorization in the request header is invalid: {why}.")
            }
            Self::SecretIdNotFound => "The SecretId is not found.".to_owned(),
            Self::SignatureExpire => format!(
                "Signature expired: the timestamp and the server time differ by more than {MAX_SKEW_SECS} seconds."
            ),
            Self::SignatureFailure(why) => format!(
                "The provided credentials could not be validated ({why}). Please check your signature is correct."
            ),
        }
    }
}

/// The credential the simulator accepts.
#[derive(Clone, Copy, Debug)]
pub struct Credential<'a> {
    /// SecretId.
    pub secret_id: &'a str,
    /// SecretKey.
    pub secret_key: &'a str,
}

/// What the signature covers, as received.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    /// HTTP method (`POST`).
    pub method: &'a str,
    /// The query string (empty for POST).
    pub query: &'a str,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The body, byte for byte.
    pub body: &'a [u8],
}

/// Checks the request's signature under `credential` at time `now` (Unix seconds). `service`, if
/// known from the action, must be the service named in the credential scope. Returns the service
/// the request was signed for.
pub fn verify(
    request: &Received<'_>,
    credential: Credential<'_>,
    service: Option<&str>,
    now: i64,
) -> Result<String, AuthError> {
    let authorization = header(request.headers, "authorization").ok_or(
        AuthError::InvalidAuthorization("the Authorization header is absent"),
    )?;
    let fields = authorization
        .strip_prefix(ALGORITHM)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(AuthError::InvalidAuthorization(
            "the algorithm is not TC3-HMAC-SHA256",
        ))?;
    let mut scope = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in fields.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(AuthError::InvalidAuthorization("a field is not key=value"))?;
        let slot = match key {
            "Credential" => &mut scope,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(AuthError::InvalidAuthorization("unknown field")),
        };
        if slot.replace(value).is_some() {
            return Err(AuthError::InvalidAuthorization("a field appears twice"));
        }
    }
    let (Some(scope), Some(signed_headers), Some(signature)) = (scope, signed_headers, signature)
    else {
        return Err(AuthError::InvalidAuthorization(
            "Credential, SignedHeaders and Signature are all required",
        ));
    };

    let mut parts = scope.split('/');
    let (Some(secret_id), Some(date), Some(scope_service), Some("tc3_request"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(AuthError::InvalidAuthorization(
            "Credential is not SecretId/Date/Service/tc3_request",
        ));
    };
    if secret_id != credential.secret_id {
        return Err(AuthError::SecretIdNotFound);
    }

    let timestamp_text =
        header(request.headers, "x-tc-timestamp").ok_or(AuthError::Missing("X-TC-Timestamp"))?;
    let timestamp: i64 = timestamp_text
        .parse()
        .map_err(|_| AuthError::InvalidAuthorization("X-TC-Timestamp is not a number"))?;
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        return Err(AuthError::SignatureExpire);
    }
    if date != utc_date(timestamp) {
        return Err(AuthError::SignatureFailure(
            "the credential date is not the UTC date of X-TC-Timestamp",
        ));
    }
    if service.is_some_and(|expected| expected != scope_service) {
        return Err(AuthError::SignatureFailure(
            "the credential scope names another service than the action's",
        ));
    }

    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(AuthError::InvalidAuthorization(
            "SignedHeaders must include content-type and host",
        ));
    }
    if !names.windows(2).all(|w| matches!(w, [a, b] if a < b))
        || names
            .iter()
            .any(|n| n.is_empty() || *n != n.to_ascii_lowercase())
    {
        return Err(AuthError::InvalidAuthorization(
            "SignedHeaders must be lower-case names in lexicographic order",
        ));
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let value = header(request.headers, name).ok_or(AuthError::SignatureFailure(
            "a signed header is absent from the request",
        ))?;
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&value.trim().to_ascii_lowercase());
        canonical_headers.push('\n');
    }
    let canonical_request = format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        request.method,
        request.query,
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(request.body))
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp_text}\n{date}/{scope_service}/tc3_request\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );

    let received = unhex(signature).ok_or(AuthError::SignatureFailure(
        "the signature is not 64 lower-case hex digits",
    ))?;
    let key = hmac(
        format!("TC3{}", credential.secret_key).as_bytes(),
        date.as_bytes(),
    );
    let key = hmac(&key, scope_service.as_bytes());
    let key = hmac(&key, b"tc3_request");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
        .map_err(|_| AuthError::SignatureFailure("key"))?;
    mac.update(string_to_sign.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&received)
        .map_err(|_| AuthError::SignatureFailure("the signature does not match"))?;
    Ok(scope_service.to_owned())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => Vec::new(),
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// 64 lower-case hex digits as 32 bytes.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

/// `YYYY-MM-DD`, the UTC date of a Unix timestamp.
pub fn utc_date(unix: i64) -> String {
    let CivilDate { year, month, day } = CivilDate::from_unix_days(unix.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    /// The worked example of "签名方法 v3" (Tencent Cloud API documentation, e.g. the CVM API's
    /// "签名方法 v3" page): `DescribeInstances` on `cvm.tencentcloudapi.com`, POST, JSON payload,
    /// X-TC-Timestamp 1551113065 (2019-02-25 UTC), SecretId `AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******`,
    /// SecretKey `Gu5t9xGARNpq86cd98joQYCN3*******` (the documentation masks them with asterisks
    /// and computes with the masked strings). Published intermediate values: hashed payload
    /// 35e9c5b0…f064, hashed canonical request 5ffe6a04…7031, signature 2230eefd…652c.
    const EXAMPLE_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
    const EXAMPLE_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";
    const EXAMPLE_PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const EXAMPLE_TIMESTAMP: i64 = 1_551_113_065;
    const EXAMPLE_AUTHORIZATION: &str = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";

    fn example_headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert("host", HeaderValue::from_static("cvm.tencentcloudapi.com"));
        h.insert("x-tc-action", HeaderValue::from_static("DescribeInstances"));
        h.insert("x-tc-timestamp", HeaderValue::from_static("1551113065"));
        h.insert("x-tc-version", HeaderValue::from_static("2017-03-12"));
        h.insert("x-tc-region", HeaderValue::from_static("ap-guangzhou"));
        h.insert(
            "authorization",
            HeaderValue::from_str(authorization).unwrap(),
        );
        h
    }

    fn check(headers: &HeaderMap, body: &[u8], key: &str, now: i64) -> Result<String, AuthError> {
        verify(
            &Received {
                method: "POST",
                query: "",
                headers,
                body,
            },
            Credential {
                secret_id: EXAMPLE_ID,
                secret_key: key,
            },
            Some("cvm"),
            now,
        )
    }

    #[test]
    fn the_published_example_verifies() {
        assert_eq!(
            hex(&Sha256::digest(EXAMPLE_PAYLOAD.as_bytes())),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let headers = example_headers(EXAMPLE_AUTHORIZATION);
        assert_eq!(
            check(
                &headers,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP
            ),
            Ok("cvm".to_owned())
        );
        // Four minutes later it still verifies; six minutes later it has expired.
        assert!(
            check(
                &headers,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP + 240
            )
            .is_ok()
        );
        assert_eq!(
            check(
                &headers,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP + 360
            ),
            Err(AuthError::SignatureExpire)
        );
    }

    #[test]
    fn any_change_is_refused() {
        let headers = example_headers(EXAMPLE_AUTHORIZATION);
        let tampered = EXAMPLE_PAYLOAD.replace("Limit\": 1", "Limit\": 2");
        assert_eq!(
            check(
                &headers,
                tampered.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP
            )
            .unwrap_err()
            .code(),
            "AuthFailure.SignatureFailure"
        );
        assert_eq!(
            check(
                &headers,
                EXAMPLE_PAYLOAD.as_bytes(),
                "another key",
                EXAMPLE_TIMESTAMP
            )
            .unwrap_err()
            .code(),
            "AuthFailure.SignatureFailure"
        );
        let mut moved = headers.clone();
        moved.insert("host", HeaderValue::from_static("evil.example"));
        assert!(
            check(
                &moved,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP
            )
            .is_err()
        );

        let other_id = example_headers(&EXAMPLE_AUTHORIZATION.replace("AKIDz8", "AKIDz9"));
        assert_eq!(
            check(
                &other_id,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP
            ),
            Err(AuthError::SecretIdNotFound)
        );
        let wrong_service = verify(
            &Received {
                method: "POST",
                query: "",
                headers: &headers,
                body: EXAMPLE_PAYLOAD.as_bytes(),
            },
            Credential {
                secret_id: EXAMPLE_ID,
                secret_key: EXAMPLE_KEY,
            },
            Some("faceid"),
            EXAMPLE_TIMESTAMP,
        );
        assert!(matches!(wrong_service, Err(AuthError::SignatureFailure(_))));

        for bad in [
            "TC3-HMAC-SHA1 Credential=x",
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, Signature=00",
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
        ] {
            let err = check(
                &example_headers(bad),
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP,
            )
            .unwrap_err();
            assert_eq!(
                err.code(),
                "AuthFailure.InvalidAuthorization",
                "{bad}: {err:?}"
            );
        }
        let mut no_time = headers.clone();
        no_time.remove("x-tc-timestamp");
        assert_eq!(
            check(
                &no_time,
                EXAMPLE_PAYLOAD.as_bytes(),
                EXAMPLE_KEY,
                EXAMPLE_TIMESTAMP
            ),
            Err(AuthError::Missing("X-TC-Timestamp"))
        );
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc_date(EXAMPLE_TIMESTAMP), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_399), "2000-02-28");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
    }
}
