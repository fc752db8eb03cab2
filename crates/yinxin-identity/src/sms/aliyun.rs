//! Alibaba Cloud SMS adapter (ACC-3): `SendSms`, API version 2017-05-25, RPC style, signature
//! version 1.0 (HMAC-SHA1), as documented in Alibaba Cloud's "Signature mechanism" pages for RPC
//! APIs and in the `SendSms` reference of the `dysmsapi` product.
//!
//! The request is a `POST` of an `application/x-www-form-urlencoded` body holding the common
//! parameters, the business parameters and `Signature`:
//!
//! ```text
//! canonical    = sorted params, each name and value percent-encoded (RFC 3986), "k=v" joined by "&"
//! StringToSign = "POST" + "&" + percent_encode("/") + "&" + percent_encode(canonical)
//! Signature    = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign))
//! ```
//!
//! [`sign`], [`verify`] and [`percent_encode`] are public so that tests and a local simulator can
//! play the provider. Nothing here logs the number, the template parameters (the code) or the
//! secret, and a refusal's text is scrubbed of them before it leaves this module.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::Url;
use serde::Deserialize;
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{SmsError, SmsGateway, SmsMessage, SmsReceipt};

/// The public endpoint of the SMS API (mainland China).
pub const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com/";
/// The region the SMS API documents for its public endpoint.
pub const DEFAULT_REGION_ID: &str = "cn-hangzhou";
/// `SendSms` belongs to this API version; the adapter speaks no other.
pub const API_VERSION: &str = "2017-05-25";

/// A send that takes longer than this is reported as unavailable (the provider recommends at
/// least one second; ten leaves room for a slow network without holding a login open for long).
const TIMEOUT: Duration = Duration::from_secs(10);
/// Success and error answers are a few hundred bytes; anything far larger is not the provider.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Settings for [`Aliyun`]: where to send and whose account pays.
#[derive(Clone, Deserialize)]
pub struct AliyunConfig {
    /// API endpoint; `https://` except on a loopback host (a local simulator).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// The AccessKey ID (sent in every request; not secret).
    pub access_key_id: String,
    /// The AccessKey secret (the HMAC key; never sent, logged or shown by `Debug`).
    pub access_key_secret: Zeroizing<String>,
    /// The approved signature name shown at the head of each message (e.g. `银信`).
    pub sign_name: String,
    /// `RegionId` common parameter.
    #[serde(default = "default_region_id")]
    pub region_id: String,
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_owned()
}

fn default_region_id() -> String {
    DEFAULT_REGION_ID.to_owned()
}

impl fmt::Debug for AliyunConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AliyunConfig")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"[redacted]")
            .field("sign_name", &self.sign_name)
            .field("region_id", &self.region_id)
            .finish()
    }
}

/// Sends template messages through Alibaba Cloud's `SendSms`.
pub struct Aliyun {
    config: AliyunConfig,
    endpoint: Url,
    client: reqwest::Client,
}

impl fmt::Debug for Aliyun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aliyun")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Aliyun {
    /// Checks the settings and builds the HTTP client. The error names the setting that is wrong.
    pub fn new(config: AliyunConfig) -> Result<Self, String> {
        let endpoint =
            Url::parse(&config.endpoint).map_err(|e| format!("SMS endpoint is not a URL ({e})"))?;
        match endpoint.scheme() {
            "https" => {}
            // The request carries the number and a login code: cleartext only to this machine.
            "http" if is_loopback(&endpoint) => {}
            "http" => {
                return Err(
                    "SMS endpoint must use https:// (http:// is accepted only for a loopback host)"
                        .to_owned(),
                );
            }
            other => return Err(format!("SMS endpoint has unsupported scheme {other:?}")),
        }
        if config.access_key_id.trim().is_empty() {
            return Err("SMS access_key_id is empty".to_owned());
        }
        if config.access_key_secret.is_empty() {
            return Err("SMS access_key_secret is empty".to_owned());
        }
        if config.sign_name.trim().is_empty() {
            return Err("SMS sign_name is empty".to_owned());
        }
        if config.region_id.trim().is_empty() {
            return Err("SMS region_id is empty".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect would turn the POST into a GET without the form: never what we want.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("SMS HTTP client could not be built ({e})"))?;
        Ok(Self {
            config,
            endpoint,
            client,
        })
    }

    /// The form for one message, signed.
    fn signed_form(&self, message: &SmsMessage, timestamp: &str, nonce: &str) -> String {
        let mut params: Vec<(String, String)> = vec![
            ("AccessKeyId".into(), self.config.access_key_id.clone()),
            ("Action".into(), "SendSms".into()),
            ("Format".into(), "JSON".into()),
            ("RegionId".into(), self.config.region_id.clone()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureNonce".into(), nonce.to_owned()),
            ("SignatureVersion".into(), "1.0".into()),
            ("Timestamp".into(), timestamp.to_owned()),
            ("Version".into(), API_VERSION.into()),
            ("PhoneNumbers".into(), message.mobile.clone()),
            ("SignName".into(), self.config.sign_name.clone()),
            ("TemplateCode".into(), message.template.clone()),
        ];
        if !message.params.is_empty() {
            params.push(("TemplateParam".into(), template_param(&message.params)));
        }
        let signature = sign(&self.config.access_key_secret, "POST", &params);
        params.push(("Signature".into(), signature));
        // The same encoding as the signature's: a valid form body (`%20` decodes to a space).
        params
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[async_trait]
impl SmsGateway for Aliyun {
    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let body = self.signed_form(message, &timestamp_now(), &new_nonce());
        let response = self
            .client
            .post(self.endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| SmsError::Unavailable(transport_error(&e)))?;
        let status = response.status();
        let bytes = read_capped(response).await?;
        interpret(status, &bytes, message)
    }

    fn name(&self) -> &'static str {
        "aliyun"
    }
}

/// Percent-encodes per RFC 3986 as Alibaba Cloud's signature requires: every byte of the UTF-8
/// form except `A-Z a-z 0-9 - _ . ~` becomes `%XY` (upper-case hex), so a space is `%20` (not
/// `+`), `*` is `%2A`, and `~` stays as it is.
pub fn percent_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The signature (base64) of a request's parameters under signature version 1.0. A `Signature`
/// entry among `params` is left out, as the provider does when it checks.
pub fn sign(secret: &str, method: &str, params: &[(String, String)]) -> String {
    let string_to_sign = string_to_sign(method, params);
    // Key is the secret followed by "&" (the empty token secret of the OAuth-style scheme).
    let key = Zeroizing::new(format!("{secret}&"));
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts a key of any length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a received request's `Signature` (as the provider would): recomputes it over all other
/// parameters and compares in constant time. A request with no `Signature`, or more than one, fails.
pub fn verify(secret: &str, method: &str, params: &[(String, String)]) -> bool {
    let mut received = params.iter().filter(|(k, _)| k == "Signature");
    let (Some((_, signature)), None) = (received.next(), received.next()) else {
        return false;
    };
    let expected = sign(secret, method, params);
    expected.as_bytes().ct_eq(signature.as_bytes()).into()
}

/// `METHOD&%2F&percent_encode(canonicalized query)`, parameters sorted by name.
fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort();
    let canonical = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical)
    )
}

/// `TemplateParam`: the template variables as one JSON object.
fn template_param(params: &[(String, String)]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(object).to_string()
}

/// A fresh `SignatureNonce`: the provider rejects a nonce it has seen (replay protection).
fn new_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn timestamp_now() -> String {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601_utc(unix)
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC, the form the provider documents for `Timestamp`.
fn iso8601_utc(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(i64::MAX / 2);
    let secs = unix % 86_400;
    let yinxin_domain::validate::CivilDate { year, month, day } =
        yinxin_domain::validate::CivilDate::from_unix_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Why the request did not get an answer, without the request itself.
pub(crate) fn transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The URL is the configured endpoint (no secret: credentials travel in the body).
    format!("{kind}: {e}")
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, SmsError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SmsError::Unavailable(transport_error(&e)))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(SmsError::Unavailable(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The JSON the provider answers with, success or error (`Code` is `OK` on success).
#[derive(Deserialize)]
struct SendSmsResponse {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "BizId")]
    biz_id: Option<String>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

fn interpret(
    status: reqwest::StatusCode,
    body: &[u8],
    message: &SmsMessage,
) -> Result<SmsReceipt, SmsError> {
    let parsed: Option<SendSmsResponse> = serde_json::from_slice(body).ok();
    let Some(SendSmsResponse {
        code: Some(code),
        message: text,
        biz_id,
        request_id,
    }) = parsed
    else {
        return Err(SmsError::Unavailable(format!(
            "HTTP {status} without a provider code"
        )));
    };
    if status.is_server_error() {
        return Err(SmsError::Unavailable(format!("HTTP {status}: {code}")));
    }
    if code == "OK" {
        // BizId identifies the message for delivery receipts; the request id is the fallback so
        // that a message that did go out is never reported as failed (and sent again).
        return match biz_id.or(request_id).filter(|id| !id.is_empty()) {
            Some(provider_id) => Ok(SmsReceipt { provider_id }),
            None => Err(SmsError::Unavailable(
                "provider said OK but gave no BizId".to_owned(),
            )),
        };
    }
    let mut text = scrub(text.unwrap_or_default(), message);
    if let Some(id) = request_id {
        text = format!("{text} (RequestId {id})");
    }
    Err(SmsError::Refused {
        code: scrub(code, message),
        message: text,
    })
}

/// Removes the number and the template values (the login code) from provider text, which some
/// error messages echo; `SmsError` promises never to carry them.
fn scrub(mut text: String, message: &SmsMessage) -> String {
    let secrets = std::iter::once(message.mobile.as_str())
        .chain(message.params.iter().map(|(_, v)| v.as_str()))
        .filter(|s| !s.is_empty());
    for s in secrets {
        if text.contains(s) {
            text = text.replace(s, "***");
        }
    }
    text
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use std::collections::HashSet;
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::post;
    use axum::{Form, Json, Router};
    use serde_json::{Value, json};

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Alibaba Cloud's published worked example of signature version 1.0 (`DescribeRegions` with
    /// AccessKey ID `testid` and secret `testsecret`, HMAC key `testsecret&`), from the "API 签名
    /// 机制(示例)" page of the Alibaba Cloud developer community (developer.aliyun.com/ask/210168);
    /// the same signature appears in the sample URL of every "Signature mechanism" page for RPC
    /// APIs on help.aliyun.com. That page shows the StringToSign with its `%26` separators
    /// rendered as `&`; with `%26` (as its own rules require) `openssl dgst -sha1 -hmac
    /// 'testsecret&' -binary | base64` gives the published value, which this test also asserts.
    #[test]
    fn signature_matches_the_published_example() {
        let params = pairs(&[
            ("TimeStamp", "2016-02-23T12:46:24Z"),
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("Version", "2014-05-26"),
            ("SignatureVersion", "1.0"),
        ]);
        assert_eq!(
            string_to_sign("GET", &params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(
            sign("testsecret", "GET", &params),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );

        // The published signed URL verifies, and any change to it does not.
        let mut signed = params.clone();
        signed.push(("Signature".into(), "CT9X0VtwR86fNWSnsc6v8YGOjuE=".into()));
        assert!(verify("testsecret", "GET", &signed));
        assert!(!verify("testsecret", "POST", &signed));
        assert!(!verify("othersecret", "GET", &signed));
        signed[3].1 = "DescribeInstances".into();
        assert!(!verify("testsecret", "GET", &signed));
        assert!(!verify("testsecret", "GET", &params), "no Signature at all");
    }

    #[test]
    fn percent_encoding_follows_the_provider_rules() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~"), "~");
        assert_eq!(percent_encode("A-Z_a.z~09"), "A-Z_a.z~09");
        assert_eq!(percent_encode("+/=&:"), "%2B%2F%3D%26%3A");
        assert_eq!(
            percent_encode("{\"code\":\"1\"}"),
            "%7B%22code%22%3A%221%22%7D"
        );
        // UTF-8 bytes, upper-case hex: 银 is E9 93 B6, 信 is E4 BF A1.
        assert_eq!(percent_encode("银信"), "%E9%93%B6%E4%BF%A1");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn timestamps_are_iso8601_utc() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(1_456_231_584), "2016-02-23T12:46:24Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn debug_redacts_the_secret_and_bad_settings_are_named() {
        let config = config("http://127.0.0.1:9/", "very-secret-value");
        let shown = format!("{:?}", Aliyun::new(config.clone()).unwrap());
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]"));

        let err = Aliyun::new(AliyunConfig {
            endpoint: "http://dysmsapi.aliyuncs.com/".into(),
            ..config.clone()
        })
        .unwrap_err();
        assert!(err.contains("https"), "{err}");
        let err = Aliyun::new(AliyunConfig {
            access_key_secret: Zeroizing::new(String::new()),
            ..config.clone()
        })
        .unwrap_err();
        assert!(err.contains("access_key_secret"), "{err}");
        assert!(
            Aliyun::new(AliyunConfig {
                endpoint: DEFAULT_ENDPOINT.into(),
                ..config
            })
            .is_ok()
        );
    }

    #[test]
    fn config_defaults_endpoint_and_region() {
        let config: AliyunConfig = serde_json::from_value(json!({
            "access_key_id": "id",
            "access_key_secret": "secret",
            "sign_name": "银信",
        }))
        .unwrap();
        assert_eq!(config.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(config.region_id, DEFAULT_REGION_ID);
    }

    const SECRET: &str = "sim-secret";
    const OK_NUMBER: &str = "13800000000";
    const LIMITED_NUMBER: &str = "13900000000";

    /// The provider, as far as these tests need it: checks what Alibaba Cloud checks and answers
    /// the way its documentation shows.
    async fn provider(
        State(seen_nonces): State<Arc<Mutex<HashSet<String>>>>,
        Form(form): Form<Vec<(String, String)>>,
    ) -> (StatusCode, Json<Value>) {
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        if !verify(SECRET, "POST", &form) {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched with our calculation.",
                    "RequestId": "req-sig",
                })),
            );
        }
        if !seen_nonces
            .lock()
            .unwrap()
            .insert(get("SignatureNonce").to_owned())
        {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"Code": "SignatureNonceUsed", "Message": "nonce used"})),
            );
        }
        assert_eq!(get("AccessKeyId"), "sim-id");
        assert_eq!(get("Action"), "SendSms");
        assert_eq!(get("Version"), "2017-05-25");
        assert_eq!(get("Format"), "JSON");
        assert_eq!(get("RegionId"), "cn-hangzhou");
        assert_eq!(get("SignatureMethod"), "HMAC-SHA1");
        assert_eq!(get("SignatureVersion"), "1.0");
        assert_eq!(get("SignName"), "银信 * 测试");
        assert_eq!(get("TemplateCode"), "SMS_123456789");
        let template: Value = serde_json::from_str(get("TemplateParam")).unwrap();
        assert_eq!(template, json!({"code": "123456", "product": "a b~c"}));
        let timestamp = get("Timestamp");
        assert_eq!(timestamp.len(), 20, "{timestamp}");
        assert!(timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T');
        match get("PhoneNumbers") {
            OK_NUMBER => (
                StatusCode::OK,
                Json(json!({
                    "Code": "OK", "Message": "OK", "BizId": "biz-1", "RequestId": "req-1",
                })),
            ),
            LIMITED_NUMBER => (
                StatusCode::OK,
                Json(json!({
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    // Echoes the number, to show that the adapter does not pass it on.
                    "Message": format!("触发号码天级流控Permits:10 {LIMITED_NUMBER}"),
                    "RequestId": "req-2",
                })),
            ),
            other => panic!("unexpected number {other}"),
        }
    }

    async fn start_provider() -> SocketAddr {
        let app = Router::new()
            .route("/", post(provider))
            .route("/broken", post(|| async { "<html>502 Bad Gateway</html>" }))
            .with_state(Arc::new(Mutex::new(HashSet::new())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    fn config(endpoint: &str, secret: &str) -> AliyunConfig {
        AliyunConfig {
            endpoint: endpoint.to_owned(),
            access_key_id: "sim-id".into(),
            access_key_secret: Zeroizing::new(secret.to_owned()),
            sign_name: "银信 * 测试".into(),
            region_id: DEFAULT_REGION_ID.into(),
        }
    }

    fn message(mobile: &str) -> SmsMessage {
        SmsMessage {
            mobile: mobile.to_owned(),
            template: "SMS_123456789".into(),
            params: pairs(&[("code", "123456"), ("product", "a b~c")]),
        }
    }

    #[tokio::test]
    async fn round_trip_through_a_local_provider() {
        let addr = start_provider().await;
        let gateway = Aliyun::new(config(&format!("http://{addr}/"), SECRET)).unwrap();
        assert_eq!(gateway.name(), "aliyun");

        // Twice: a fresh nonce each time, or the provider would refuse the second as a replay.
        for _ in 0..2 {
            let receipt = gateway.send(&message(OK_NUMBER)).await.unwrap();
            assert_eq!(receipt.provider_id, "biz-1");
        }

        match gateway.send(&message(LIMITED_NUMBER)).await {
            Err(SmsError::Refused { code, message }) => {
                assert_eq!(code, "isv.BUSINESS_LIMIT_CONTROL");
                assert!(!message.contains(LIMITED_NUMBER), "{message}");
                assert!(message.contains("req-2"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }

        let wrong = Aliyun::new(config(&format!("http://{addr}/"), "not-the-secret")).unwrap();
        match wrong.send(&message(OK_NUMBER)).await {
            Err(SmsError::Refused { code, .. }) => assert_eq!(code, "SignatureDoesNotMatch"),
            other => panic!("expected SignatureDoesNotMatch, got {other:?}"),
        }

        let broken = Aliyun::new(config(&format!("http://{addr}/broken"), SECRET)).unwrap();
        assert!(matches!(
            broken.send(&message(OK_NUMBER)).await,
            Err(SmsError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_dead_endpoint_is_unavailable() {
        let closed = {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        let gateway = Aliyun::new(config(&format!("http://{closed}/"), SECRET)).unwrap();
        match gateway.send(&message(OK_NUMBER)).await {
            Err(SmsError::Unavailable(why)) => {
                assert!(!why.contains(OK_NUMBER) && !why.contains("123456"), "{why}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }
}
