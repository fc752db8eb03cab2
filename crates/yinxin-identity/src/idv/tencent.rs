//! Tencent Cloud adapter (IDV-1..IDV-3): identity checks through Tencent Cloud API 3.0 — faceid
//! (人脸核身, version 2018-03-01) and ocr (文字识别, version 2018-11-19) — signed with
//! TC3-HMAC-SHA256 ("签名方法 v3").
//!
//! Every call is a `POST /` of a JSON body to the service's endpoint, with the headers
//! `Host`, `Content-Type: application/json; charset=utf-8`, `X-TC-Action`, `X-TC-Version`,
//! `X-TC-Timestamp` (Unix seconds), `X-TC-Region` (when configured) and
//!
//! ```text
//! Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<Date>/<service>/tc3_request,
//!                SignedHeaders=content-type;host, Signature=<hex>
//! CanonicalRequest = "POST\n/\n\n" + "content-type:<ct>\nhost:<host>\n" + "\n"
//!                    + "content-type;host\n" + hex(SHA-256(body))
//! StringToSign     = "TC3-HMAC-SHA256\n" + timestamp + "\n" + Date/service/tc3_request + "\n"
//!                    + hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC(HMAC(HMAC(HMAC("TC3" + SecretKey, Date), service), "tc3_request"),
//!                    StringToSign))
//! ```
//!
//! (Date is the UTC date of the timestamp, `YYYY-MM-DD`; header values lower-cased and trimmed.)
//! Answers are `{"Response": {..., "RequestId"}}`, or `{"Response": {"Error": {"Code",
//! "Message"}, "RequestId"}}` when the call itself failed.
//!
//! | check | action(s) | parameters |
//! |---|---|---|
//! | `Carrier` | faceid `PhoneVerification` | `IdCard`, `Name`, `Phone` |
//! | `BankCard` | faceid `BankCard4EVerification` | `Name`, `BankCard`, `Phone`, `IdCard` |
//! | `Face` | faceid `ImageRecognition`, twice: the face, then the document photo | `IdCard`, `Name`, `ImageBase64` |
//! | `IdCardCapture` | ocr `IDCardOCR`, twice: `CardSide` `FRONT`, then `BACK` | `ImageBase64`, `CardSide` |
//! | `Enterprise` | faceid `EnterpriseVerification` (**yinxin extension**) | `EnterpriseName`, `CreditCode`, `LegalRepName`, `LegalRepIdCard` |
//! | `Deposit` | faceid `RemitVerificationDeposit` (**yinxin extension**) | `AccountName`, `AccountNumber`, `AmountFen`, `Reference` |
//!
//! The two extensions are not Tencent Cloud actions: Tencent FaceID offers no enterprise check and
//! no deposit. They are yinxin's definition, in the same signed protocol, for a provider (or a
//! gateway in front of one) that implements them, and for `yinxin-authority-sim`; see
//! docs/PROVIDERS.md. How each documented result code becomes an [`Answer`] or a
//! [`ProviderError`] is in the code tables below (`phone_verification_code`, `bank_card_code`,
//! `image_code`, `ocr_code`, `enterprise_code`, `deposit_code`, `common_error`) and in
//! docs/PROVIDERS.md.
//!
//! What a call sends is built in memory that is wiped when the HTTP client lets go of it (the
//! request body and the base64 of images live in [`Zeroizing`] buffers, sized once, handed to the
//! client as [`bytes::Bytes::from_owner`]); the answer is read into a wiped buffer too. Copies
//! the HTTP and TLS layers make on their own (write and read buffers, TLS records) are beyond
//! this module's reach. Nothing here logs a value or a body: one line per call with the
//! provider's name, the action, the result code, the provider's RequestId and the time taken.

use std::cell::RefCell;
use std::fmt;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yinxin_domain::validate::CivilDate;
use yinxin_domain::verification::{Factor, Method};
use zeroize::{Zeroize, Zeroizing};

use super::provider::{
    Answer, Check, IdCardFields, IdentityProvider, ImageBytes, ProviderError, Secret,
};
use crate::sms::aliyun::{is_loopback, transport_error};

/// The faceid endpoint (mainland China).
pub const DEFAULT_ENDPOINT: &str = "https://faceid.tencentcloudapi.com/";
/// The ocr endpoint (mainland China).
pub const DEFAULT_OCR_ENDPOINT: &str = "https://ocr.tencentcloudapi.com/";
/// The faceid API version (also that of the yinxin extension actions).
pub const FACEID_VERSION: &str = "2018-03-01";
/// The ocr API version.
pub const OCR_VERSION: &str = "2018-11-19";
/// `ImageRecognition` similarity from which a face is the person's: the documented
/// recommendation (at 70, one false accept in a thousand; at 80, one in ten thousand).
pub const SIMILARITY_THRESHOLD: f64 = 70.0;
/// The signature algorithm.
const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The headers the signature covers (the documented minimum).
const SIGNED_HEADERS: &str = "content-type;host";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// Answers are a few hundred bytes (OCR without crops a few KiB); anything far larger is not the
/// provider.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Settings for [`TencentCloud`].
#[derive(Clone, Deserialize)]
pub struct TencentConfig {
    /// The provider's name in the processor register (IDV-3).
    #[serde(default = "default_name")]
    pub name: String,
    /// faceid base URL; `https://` except on a loopback host (the simulator).
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// ocr base URL; `https://` except on a loopback host.
    #[serde(default = "default_ocr_endpoint")]
    pub ocr_endpoint: String,
    /// SecretId (sent in every request; not secret).
    pub secret_id: String,
    /// SecretKey (the HMAC key; never sent, logged or shown by `Debug`).
    pub secret_key: Zeroizing<String>,
    /// `X-TC-Region`, sent when set (faceid needs none; ocr documents it, e.g. `ap-beijing`).
    #[serde(default)]
    pub region: Option<String>,
    /// How long to wait for a connection, in seconds. The check as a whole is bounded by the
    /// caller.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: u64,
}

fn default_name() -> String {
    "tencent".to_owned()
}

fn default_endpoint() -> String {
    DEFAULT_ENDPOINT.to_owned()
}

fn default_ocr_endpoint() -> String {
    DEFAULT_OCR_ENDPOINT.to_owned()
}

fn default_connect_timeout_secs() -> u64 {
    5
}

impl fmt::Debug for TencentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentConfig")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("ocr_endpoint", &self.ocr_endpoint)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"[redacted]")
            .field("region", &self.region)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .finish()
    }
}

/// A service of Tencent Cloud API 3.0 that the adapter calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    FaceId,
    Ocr,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::FaceId => "faceid",
            Self::Ocr => "ocr",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Self::FaceId => FACEID_VERSION,
            Self::Ocr => OCR_VERSION,
        }
    }
}

/// Where a service is, and the `Host` its requests are signed for.
#[derive(Clone, Debug)]
struct Endpoint {
    url: Url,
    host: String,
}

/// Identity checks through Tencent Cloud (faceid, ocr) or a provider speaking the same protocol.
pub struct TencentCloud {
    config: TencentConfig,
    faceid: Endpoint,
    ocr: Endpoint,
    client: reqwest::Client,
}

impl fmt::Debug for TencentCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TencentCloud")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Checks an endpoint setting: a base URL, `https://` unless the host is loopback (IDV-1: what is
/// sent, images included, travels encrypted to a real provider).
fn endpoint(setting: &str, raw: &str) -> Result<Endpoint, String> {
    let url = Url::parse(raw).map_err(|e| format!("{setting} is not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{setting} must use https:// (http:// is accepted only for a loopback host: \
                 127.0.0.0/8, ::1 or localhost)"
            ));
        }
        other => return Err(format!("{setting} has unsupported scheme {other:?}")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{setting} must not carry credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{setting} must be a base URL such as https://faceid.tencentcloudapi.com/ (API 3.0 \
             signs the path /)"
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| format!("{setting} has no host"))?;
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    Ok(Endpoint { url, host })
}

impl TencentCloud {
    /// Checks the settings and builds the HTTP client. The error names the setting that is wrong.
    pub fn new(config: TencentConfig) -> Result<Self, String> {
        let faceid = endpoint("endpoint", &config.endpoint)?;
        let ocr = endpoint("ocr_endpoint", &config.ocr_endpoint)?;
        if config.name.trim().is_empty() {
            return Err("name is empty".to_owned());
        }
        if config.secret_id.trim().is_empty() {
            return Err("secret_id is empty".to_owned());
        }
        if config.secret_key.is_empty() {
            return Err("secret_key is empty".to_owned());
        }
        if config
            .region
            .as_deref()
            .is_some_and(|r| r.trim().is_empty())
        {
            return Err("region is empty (leave it out instead)".to_owned());
        }
        if config.connect_timeout_secs == 0 {
            return Err("connect_timeout_secs must be at least 1".to_owned());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
            // A redirect would resend a signed body elsewhere: never.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client could not be built ({e})"))?;
        Ok(Self {
            config,
            faceid,
            ocr,
            client,
        })
    }

    /// One signed call: the provider's reply, or why there is none.
    async fn call<P: Serialize>(
        &self,
        service: Service,
        action: &'static str,
        params: &P,
    ) -> Result<Reply, ProviderError> {
        let endpoint = match service {
            Service::FaceId => &self.faceid,
            Service::Ocr => &self.ocr,
        };
        let body = json_body(params)?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let authorization = authorization(
            &self.config.secret_id,
            &self.config.secret_key,
            service.name(),
            &endpoint.host,
            timestamp,
            &body,
        );
        let mut request = self
            .client
            .post(endpoint.url.clone())
            .header(reqwest::header::HOST, endpoint.host.as_str())
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("X-TC-Action", action)
            .header("X-TC-Version", service.version())
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(reqwest::header::AUTHORIZATION, authorization);
        if let Some(region) = &self.config.region {
            request = request.header("X-TC-Region", region.as_str());
        }
        // The client owns the body from here; the buffer is wiped when it is done with it.
        let request = request.body(bytes::Bytes::from_owner(WipedBody(body)));

        let started = Instant::now();
        let outcome = async {
            let response = request.send().await.map_err(|e| self.transport(&e))?;
            let status = response.status();
            let bytes = read_capped(response)
                .await
                .map_err(|e| self.transport(&e))?
                .ok_or_else(too_large)?;
            interpret(status, &bytes)
        }
        .await;
        let (result, request_id) = match &outcome {
            Ok(reply) => (
                reply
                    .error
                    .as_ref()
                    .map(|e| e.code.as_str())
                    .or(reply.result.as_deref())
                    .unwrap_or("ok"),
                reply.request_id.as_deref().unwrap_or(""),
            ),
            Err(ProviderError::Timeout(_)) => ("timeout", ""),
            Err(_) => ("unavailable", ""),
        };
        // What the provider wrote is logged only in the shapes its codes and ids have, so a
        // reply that echoes a value sent cannot carry it into the log.
        let (result, request_id) = (loggable_code(result), loggable_request_id(request_id));
        tracing::info!(
            provider = %self.config.name,
            action,
            result,
            request_id,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "provider call"
        );
        outcome
    }

    fn transport(&self, e: &reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            ProviderError::Timeout(Duration::from_secs(self.config.connect_timeout_secs))
        } else {
            ProviderError::Unavailable(transport_error(e))
        }
    }
}

#[async_trait]
impl IdentityProvider for TencentCloud {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn supports(&self, method: Method) -> bool {
        Method::ALL.contains(&method)
    }

    async fn check(&self, check: &Check) -> Result<Answer, ProviderError> {
        run(self, check).await
    }
}

// ---------------------------------------------------------------------------------------------
// Checks: the calls of each check and what their replies come to
// ---------------------------------------------------------------------------------------------

/// Where the replies of a check come from: signed HTTP calls ([`TencentCloud`]), or bytes given by
/// the fuzz target ([`fuzz_reply`]). What becomes of a reply once it is read — [`interpret`], the
/// code tables, the composition of two calls — is [`run`], the same code for both.
trait Calls {
    /// The reply to one call of `action` with `params`.
    fn reply<P: Serialize + Sync>(
        &self,
        service: Service,
        action: &'static str,
        params: &P,
    ) -> impl Future<Output = Result<Reply, ProviderError>> + Send;
}

impl Calls for TencentCloud {
    fn reply<P: Serialize + Sync>(
        &self,
        service: Service,
        action: &'static str,
        params: &P,
    ) -> impl Future<Output = Result<Reply, ProviderError>> + Send {
        self.call(service, action, params)
    }
}

/// One check: its calls, and the answer their replies come to.
async fn run<C: Calls>(calls: &C, check: &Check) -> Result<Answer, ProviderError> {
    match check {
        Check::Carrier {
            name,
            id_number,
            mobile,
        } => {
            #[derive(Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct PhoneVerification<'a> {
                id_card: &'a str,
                name: &'a str,
                phone: &'a str,
            }
            let secrets = [name.reveal(), id_number.reveal(), mobile.reveal()];
            let reply = calls
                .reply(
                    Service::FaceId,
                    "PhoneVerification",
                    &PhoneVerification {
                        id_card: id_number.reveal(),
                        name: name.reveal(),
                        phone: mobile.reveal(),
                    },
                )
                .await?;
            decide(
                &reply,
                "PhoneVerification",
                &secrets,
                phone_verification_code,
            )
        }
        Check::BankCard {
            name,
            id_number,
            card_number,
            mobile,
        } => {
            #[derive(Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct BankCard4EVerification<'a> {
                name: &'a str,
                bank_card: &'a str,
                phone: &'a str,
                id_card: &'a str,
            }
            let secrets = [
                name.reveal(),
                id_number.reveal(),
                card_number.reveal(),
                mobile.reveal(),
            ];
            let reply = calls
                .reply(
                    Service::FaceId,
                    "BankCard4EVerification",
                    &BankCard4EVerification {
                        name: name.reveal(),
                        bank_card: card_number.reveal(),
                        phone: mobile.reveal(),
                        id_card: id_number.reveal(),
                    },
                )
                .await?;
            decide(&reply, "BankCard4EVerification", &secrets, bank_card_code)
        }
        Check::Face {
            name,
            id_number,
            document_photo,
            face,
        } => {
            let on_face = compare(calls, name, id_number, face.reveal(), Factor::Face).await?;
            // If the name and number are not the authority's, comparing the document photo
            // cannot help: it is not sent (data minimization).
            if let Answer::Mismatch(factors) = &on_face
                && factors
                    .iter()
                    .any(|f| matches!(f, Factor::Name | Factor::DocumentNumber))
            {
                return Ok(on_face);
            }
            let on_document = compare(
                calls,
                name,
                id_number,
                document_photo.reveal(),
                Factor::DocumentPhoto,
            )
            .await?;
            Ok(both(on_face, on_document))
        }
        Check::IdCardCapture { front, back } => {
            let front = match read_side(calls, front.reveal(), "FRONT").await? {
                Ok(reply) => reply,
                Err(mismatch) => return Ok(mismatch),
            };
            let back = match read_side(calls, back.reveal(), "BACK").await? {
                Ok(reply) => reply,
                Err(mismatch) => return Ok(mismatch),
            };
            let text = |v: Option<Zeroizing<String>>| Secret(v.unwrap_or_default());
            let fields = IdCardFields {
                name: text(front.name),
                sex: text(front.sex),
                ethnicity: text(front.nation),
                birth: text(front.birth),
                address: text(front.address),
                id_number: text(front.id_num),
                authority: text(back.authority),
                valid_date: text(back.valid_date),
            };
            // A face that gave none of its fields was not read.
            if fields.id_number.reveal().is_empty() || fields.valid_date.reveal().is_empty() {
                return Ok(Answer::Mismatch(vec![Factor::DocumentPhoto]));
            }
            Ok(Answer::Read(Box::new(fields)))
        }
        Check::Enterprise {
            name,
            credit_code,
            legal_rep_name,
            legal_rep_id_number,
        } => {
            /// yinxin extension action (not a Tencent Cloud action): see the module docs.
            #[derive(Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct EnterpriseVerification<'a> {
                enterprise_name: &'a str,
                credit_code: &'a str,
                legal_rep_name: &'a str,
                legal_rep_id_card: &'a str,
            }
            let secrets = [
                name.reveal(),
                credit_code.reveal(),
                legal_rep_name.reveal(),
                legal_rep_id_number.reveal(),
            ];
            let reply = calls
                .reply(
                    Service::FaceId,
                    "EnterpriseVerification",
                    &EnterpriseVerification {
                        enterprise_name: name.reveal(),
                        credit_code: credit_code.reveal(),
                        legal_rep_name: legal_rep_name.reveal(),
                        legal_rep_id_card: legal_rep_id_number.reveal(),
                    },
                )
                .await?;
            decide(&reply, "EnterpriseVerification", &secrets, enterprise_code)
        }
        Check::Deposit {
            account_name,
            account_number,
            amount_fen,
            reference,
        } => {
            /// yinxin extension action (not a Tencent Cloud action): see the module docs.
            #[derive(Serialize)]
            #[serde(rename_all = "PascalCase")]
            struct RemitVerificationDeposit<'a> {
                account_name: &'a str,
                account_number: &'a str,
                amount_fen: u32,
                reference: &'a str,
            }
            let secrets = [account_name.reveal(), account_number.reveal()];
            let reply = calls
                .reply(
                    Service::FaceId,
                    "RemitVerificationDeposit",
                    &RemitVerificationDeposit {
                        account_name: account_name.reveal(),
                        account_number: account_number.reveal(),
                        amount_fen: *amount_fen,
                        reference,
                    },
                )
                .await?;
            match decide(&reply, "RemitVerificationDeposit", &secrets, deposit_code)? {
                Answer::Match => match reply.transfer_id.filter(|id| !id.is_empty()) {
                    Some(transfer_id) => Ok(Answer::DepositSent { transfer_id }),
                    // Sent or not, we cannot tell: never "sent" without the provider's id.
                    None => Err(ProviderError::Unavailable(
                        "RemitVerificationDeposit: result 0 without a TransferId".to_owned(),
                    )),
                },
                other => Ok(other),
            }
        }
    }
}

/// `ImageRecognition` of one image against the authoritative photo of (name, ID number).
async fn compare<C: Calls>(
    calls: &C,
    name: &Secret,
    id_number: &Secret,
    image: &[u8],
    factor: Factor,
) -> Result<Answer, ProviderError> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct ImageRecognition<'a> {
        id_card: &'a str,
        name: &'a str,
        image_base64: &'a str,
    }
    let image_base64 = base64_wiped(image);
    let secrets = [name.reveal(), id_number.reveal()];
    let reply = calls
        .reply(
            Service::FaceId,
            "ImageRecognition",
            &ImageRecognition {
                id_card: id_number.reveal(),
                name: name.reveal(),
                image_base64: &image_base64,
            },
        )
        .await?;
    let answer = decide(&reply, "ImageRecognition", &secrets, |code| {
        image_code(code, factor)
    })?;
    // "Success" is a match only from the documented threshold.
    match (answer, reply.sim) {
        (Answer::Match, Some(sim)) if sim >= SIMILARITY_THRESHOLD => Ok(Answer::Match),
        (Answer::Match, _) => Ok(Answer::Mismatch(vec![factor])),
        (other, _) => Ok(other),
    }
}

/// `IDCardOCR` of one face of the card: its reply, or the mismatch it came to.
async fn read_side<C: Calls>(
    calls: &C,
    image: &[u8],
    side: &'static str,
) -> Result<Result<Reply, Answer>, ProviderError> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct IdCardOcr<'a> {
        image_base64: &'a str,
        card_side: &'a str,
    }
    let image_base64 = base64_wiped(image);
    let reply = calls
        .reply(
            Service::Ocr,
            "IDCardOCR",
            &IdCardOcr {
                image_base64: &image_base64,
                card_side: side,
            },
        )
        .await?;
    // IDCardOCR reports failures in the Error object only; without one, the face was read.
    match &reply.error {
        Some(error) => error_outcome(
            error,
            reply.request_id.as_deref(),
            "IDCardOCR",
            &[],
            ocr_code,
        )
        .map(Err),
        None => Ok(Ok(reply)),
    }
}

/// Both comparisons of a face check: a match if both matched, else every factor either named.
fn both(a: Answer, b: Answer) -> Answer {
    let mut factors = Vec::new();
    for answer in [a, b] {
        if let Answer::Mismatch(f) = answer {
            factors.extend(f);
        }
    }
    if factors.is_empty() {
        return Answer::Match;
    }
    factors.sort();
    factors.dedup();
    Answer::Mismatch(factors)
}

// ---------------------------------------------------------------------------------------------
// Wire: requests in wiped memory, answers read into wiped memory
// ---------------------------------------------------------------------------------------------

/// A request body the HTTP client owns until it is sent; wiped when dropped.
struct WipedBody(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for WipedBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Counts what a serializer writes, to size the real buffer once.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON of `params` in a buffer allocated once at its exact size, so that no copy of the
/// values is left behind by a growing `Vec` (each reallocation would free unwiped memory).
fn json_body<P: Serialize>(params: &P) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
    let unserializable =
        |e: serde_json::Error| ProviderError::Unavailable(format!("request not serializable: {e}"));
    let mut count = ByteCount(0);
    serde_json::to_writer(&mut count, params).map_err(unserializable)?;
    let mut body = Zeroizing::new(Vec::with_capacity(count.0));
    serde_json::to_writer(&mut *body, params).map_err(unserializable)?;
    Ok(body)
}

/// Standard base64 (with padding, RFC 4648) of `bytes`, in a wiped buffer of the exact size.
fn base64_wiped(bytes: &[u8]) -> Zeroizing<String> {
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    let mut buf = Zeroizing::new(vec![0u8; len]);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, buf.as_mut_slice())
        .unwrap_or(0);
    buf.truncate(written);
    // Base64 is ASCII: the buffer becomes the String without a copy.
    match String::from_utf8(std::mem::take(&mut *buf)) {
        Ok(text) => Zeroizing::new(text),
        Err(e) => {
            e.into_bytes().zeroize();
            Zeroizing::new(String::new())
        }
    }
}

/// The answer's body, in one wiped buffer (an OCR answer holds what the card says); `None` if it
/// is larger than anything the provider sends.
async fn read_capped(
    mut response: reqwest::Response,
) -> Result<Option<Zeroizing<Vec<u8>>>, reqwest::Error> {
    let mut body = Zeroizing::new(Vec::with_capacity(MAX_RESPONSE_BYTES));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// An answer larger than [`MAX_RESPONSE_BYTES`] (`read_capped` gave up on it).
fn too_large() -> ProviderError {
    ProviderError::Unavailable(format!("an answer larger than {MAX_RESPONSE_BYTES} bytes"))
}

/// The `Error` object of an answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiError {
    code: String,
    #[serde(default)]
    message: String,
}

/// The `Response` object of every answer the adapter reads (the fields of all its actions).
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Reply {
    error: Option<ApiError>,
    request_id: Option<String>,
    result: Option<String>,
    sim: Option<f64>,
    transfer_id: Option<String>,
    name: Option<Zeroizing<String>>,
    sex: Option<Zeroizing<String>>,
    nation: Option<Zeroizing<String>>,
    birth: Option<Zeroizing<String>>,
    address: Option<Zeroizing<String>>,
    id_num: Option<Zeroizing<String>>,
    authority: Option<Zeroizing<String>>,
    valid_date: Option<Zeroizing<String>>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Reply,
}

/// The answer as a [`Reply`], or why there is none: a 5xx, or anything that is not the provider's
/// JSON, is `Unavailable`.
fn interpret(status: reqwest::StatusCode, body: &[u8]) -> Result<Reply, ProviderError> {
    if status.is_server_error() {
        return Err(ProviderError::Unavailable(format!("HTTP {status}")));
    }
    let reply = serde_json::from_slice::<Envelope>(body)
        .map(|e| e.response)
        .map_err(|_| {
            ProviderError::Unavailable(format!("HTTP {status} without a readable answer"))
        })?;
    if !status.is_success() && reply.error.is_none() {
        return Err(ProviderError::Unavailable(format!("HTTP {status}")));
    }
    Ok(reply)
}

// ---------------------------------------------------------------------------------------------
// Result codes
// ---------------------------------------------------------------------------------------------

/// What a provider code means for the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    /// Every factor matched.
    Match,
    /// These factors did not match (all compared, where the code does not say which).
    Mismatch(&'static [Factor]),
    /// The provider (or the authority behind it) is busy or failed: try again, or elsewhere.
    Busy,
    /// The provider refused the call (credentials, quota, parameters).
    Refused,
}

use Factor::{
    BankAccount, CardNumber, CreditCode, DocumentNumber, DocumentPhoto, EnterpriseName,
    LegalRepDocumentNumber, LegalRepName, Mobile, Name, ReservedMobile,
};

const CARRIER_ALL: &[Factor] = &[Name, DocumentNumber, Mobile];
const BANK_ALL: &[Factor] = &[Name, DocumentNumber, CardNumber, ReservedMobile];

/// `PhoneVerification` `Result` (faceid 2018-03-01).
///
/// `-4` "信息不一致" (the mobile is registered, to another name and number) cannot say which of
/// the three is wrong, so it names all three; so do `-9` "没有记录" and `-10` "认证未通过".
/// `-5` (not registered under a real name, older documentation) and `-6` (not a valid number)
/// name the mobile. `-11` is the verification centre being busy.
fn phone_verification_code(code: &str) -> Option<Meaning> {
    Some(match code {
        "0" => Meaning::Match,
        "-4" | "-9" | "-10" => Meaning::Mismatch(CARRIER_ALL),
        "-5" | "-6" => Meaning::Mismatch(&[Mobile]),
        "-7" => Meaning::Mismatch(&[DocumentNumber]),
        "-8" => Meaning::Mismatch(&[Name]),
        "-11" => Meaning::Busy,
        _ => return None,
    })
}

/// `BankCard4EVerification` `Result` (faceid 2018-03-01).
///
/// `-1` "认证未通过" names all four factors; `-6` "持卡人信息有误" (the card exists, its holder's
/// details differ) names the holder's: name, number and reserved mobile. `-7` to `-17` are states
/// of the card (no card-not-present payments, confiscated, invalid, no issuer, dormant, swallowed,
/// reported lost, expired, restricted, PIN tries exceeded, not supported by the issuer): the card
/// cannot prove the identity, so they name the card. `-18` is the verification centre being busy.
fn bank_card_code(code: &str) -> Option<Meaning> {
    Some(match code {
        "0" => Meaning::Match,
        "-1" => Meaning::Mismatch(BANK_ALL),
        "-2" => Meaning::Mismatch(&[Name]),
        "-3" => Meaning::Mismatch(&[DocumentNumber]),
        "-4" => Meaning::Mismatch(&[CardNumber]),
        "-5" => Meaning::Mismatch(&[ReservedMobile]),
        "-6" => Meaning::Mismatch(&[Name, DocumentNumber, ReservedMobile]),
        "-7" | "-8" | "-9" | "-10" | "-11" | "-12" | "-13" | "-14" | "-15" | "-16" | "-17" => {
            Meaning::Mismatch(&[CardNumber])
        }
        "-18" => Meaning::Busy,
        _ => return None,
    })
}

/// `ImageRecognition` `Result` (or `Error.Code`, which carries the same codes), for the image of
/// `factor` (the face or the document photo).
///
/// `Success` is a match only with `Sim` ≥ [`SIMILARITY_THRESHOLD`] (checked by the caller). Codes
/// about the image sent (low similarity, no or several faces, fake, blur, size, undecodable) name
/// that image; `IdNameMisMatch` names the name and number; `IdFormatError`, `IdNoExistSystem` (no
/// such number) and `IdPhotoNoExist` (no photo under it, so the face cannot prove this identity)
/// name the number; `NameFormatError` the name. Engine, database and download failures are
/// `Busy`; `RequestLimitExceeded` (the call quota) is `Refused`.
fn image_code(code: &str, factor: Factor) -> Option<Meaning> {
    let image: &'static [Factor] = if factor == DocumentPhoto {
        &[DocumentPhoto]
    } else {
        &[Factor::Face]
    };
    Some(match code.strip_prefix("FailedOperation.") {
        None if code == "Success" => Meaning::Match,
        None => return None,
        Some(
            "CompareLowSimilarity"
            | "CompareFail"
            | "LifePhotoDetectFake"
            | "LifePhotoDetectFaces"
            | "LifePhotoDetectNoFaces"
            | "LifePhotoPoorQuality"
            | "LifePhotoSizeError"
            | "ImageDecodeFailed"
            | "EmptyImageError"
            | "ImageBlur"
            | "ImageSizeTooLarge"
            | "IdPhotoPoorQuality",
        ) => Meaning::Mismatch(image),
        Some("IdNameMisMatch") => Meaning::Mismatch(&[Name, DocumentNumber]),
        Some("IdFormatError" | "IdNoExistSystem" | "IdPhotoNoExist") => {
            Meaning::Mismatch(&[DocumentNumber])
        }
        Some("NameFormatError") => Meaning::Mismatch(&[Name]),
        Some(
            "CompareSystemError"
            | "DbError"
            | "IdPhotoSystemNoanswer"
            | "UnKnown"
            | "DownLoadError"
            | "FileSaveError"
            | "DecryptSystemError",
        ) => Meaning::Busy,
        Some("RequestLimitExceeded") => Meaning::Refused,
        Some(_) => return None,
    })
}

/// `IDCardOCR` `Error.Code` (ocr 2018-11-19): an image that is no readable card face names the
/// document image; engine failures are `Busy`; account states (arrears, daily count, service not
/// opened, charge status) are `Refused`.
fn ocr_code(code: &str) -> Option<Meaning> {
    Some(match code {
        "FailedOperation.ImageNoIdCard"
        | "FailedOperation.ImageDecodeFailed"
        | "FailedOperation.ImageBlur"
        | "FailedOperation.EmptyImageError"
        | "FailedOperation.ImageSizeTooLarge"
        | "FailedOperation.OcrFailed"
        | "FailedOperation.IdCardInfoIllegal"
        | "FailedOperation.MultiCardError"
        | "FailedOperation.DetectFailed"
        | "InvalidParameter.EngineImageDecodeFailed"
        | "LimitExceeded.TooLargeFileError" => Meaning::Mismatch(&[DocumentPhoto]),
        "FailedOperation.UnKnowError"
        | "FailedOperation.EngineRecognizeTimeout"
        | "FailedOperation.DownLoadError" => Meaning::Busy,
        "FailedOperation.ArrearsError"
        | "FailedOperation.CountLimitError"
        | "FailedOperation.UnOpenError"
        | "ResourcesSoldOut.ChargeStatusException" => Meaning::Refused,
        _ => return None,
    })
}

/// `EnterpriseVerification` `Result` (yinxin extension): `0` match, `-1` the name differs from
/// the registered one, `-2` no such credit code, `-3` the legal representative's name differs,
/// `-4` the legal representative's ID number differs.
fn enterprise_code(code: &str) -> Option<Meaning> {
    Some(match code {
        "0" => Meaning::Match,
        "-1" => Meaning::Mismatch(&[EnterpriseName]),
        "-2" => Meaning::Mismatch(&[CreditCode]),
        "-3" => Meaning::Mismatch(&[LegalRepName]),
        "-4" => Meaning::Mismatch(&[LegalRepDocumentNumber]),
        _ => return None,
    })
}

/// `RemitVerificationDeposit` `Result` (yinxin extension): `0` sent (with `TransferId`), `-1` no
/// such account, `-2` the account is held under another name (the name given or the account
/// number may be the wrong one: both are named).
fn deposit_code(code: &str) -> Option<Meaning> {
    Some(match code {
        "0" => Meaning::Match,
        "-1" => Meaning::Mismatch(&[BankAccount]),
        "-2" => Meaning::Mismatch(&[EnterpriseName, BankAccount]),
        _ => return None,
    })
}

/// An `Error.Code` no action table claims (the common error codes of API 3.0): internal errors and
/// the request-frequency limit are `Busy`; anything else — `AuthFailure.*` (signature, key,
/// expired timestamp), parameters, unknown action or version, quotas, unauthorized or unopened
/// services — is `Refused`.
fn common_error(code: &str) -> Meaning {
    let family = code.split('.').next().unwrap_or(code);
    match family {
        "InternalError" | "RequestLimitExceeded" | "ServiceUnavailable" => Meaning::Busy,
        _ => Meaning::Refused,
    }
}

/// What a reply with a `Result` comes to, through the action's `table`.
fn decide(
    reply: &Reply,
    action: &str,
    secrets: &[&str],
    table: impl Fn(&str) -> Option<Meaning>,
) -> Result<Answer, ProviderError> {
    if let Some(error) = &reply.error {
        return error_outcome(error, reply.request_id.as_deref(), action, secrets, table);
    }
    let Some(code) = reply.result.as_deref() else {
        return Err(ProviderError::Unavailable(format!(
            "{action}: an answer without Result"
        )));
    };
    match table(code) {
        Some(meaning) => apply(
            meaning,
            action,
            code,
            "",
            reply.request_id.as_deref(),
            secrets,
        ),
        // An unknown code is never read as a match, nor blamed on the user.
        None => Err(ProviderError::Unavailable(format!(
            "{action}: unknown result code {:?}",
            scrub(code, secrets)
        ))),
    }
}

/// What an `Error` object comes to: the action's table if it knows the code, else the common
/// error codes.
fn error_outcome(
    error: &ApiError,
    request_id: Option<&str>,
    action: &str,
    secrets: &[&str],
    table: impl Fn(&str) -> Option<Meaning>,
) -> Result<Answer, ProviderError> {
    let meaning = match table(&error.code) {
        // An error is never a match.
        Some(Meaning::Match) | None => common_error(&error.code),
        Some(other) => other,
    };
    apply(
        meaning,
        action,
        &error.code,
        &error.message,
        request_id,
        secrets,
    )
}

fn apply(
    meaning: Meaning,
    action: &str,
    code: &str,
    message: &str,
    request_id: Option<&str>,
    secrets: &[&str],
) -> Result<Answer, ProviderError> {
    match meaning {
        Meaning::Match => Ok(Answer::Match),
        Meaning::Mismatch(factors) => Ok(Answer::Mismatch(factors.to_vec())),
        Meaning::Busy => Err(ProviderError::Unavailable(format!(
            "{action}: {}",
            scrub(code, secrets)
        ))),
        Meaning::Refused => {
            let mut message = scrub(message, secrets);
            if let Some(id) = request_id {
                message = format!("{message} (RequestId {})", scrub(id, secrets));
            }
            Err(ProviderError::Refused {
                code: scrub(code, secrets),
                message,
            })
        }
    }
}

/// Provider text without the values that were sent (some messages echo them): `ProviderError`
/// promises never to carry them. Every text of the reply that goes into an error goes through
/// here: the code, the message and the RequestId.
/// A result or error code as the provider documents them (`0`, `-4`, `FailedOperation.X`), else
/// a placeholder.
fn loggable_code(code: &str) -> &str {
    let numeric = {
        let digits = code.strip_prefix('-').unwrap_or(code);
        (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let identifier = code.len() <= 64
        && code.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    if numeric || identifier {
        code
    } else {
        "<unexpected>"
    }
}

/// A request id in the provider's UUID shape, else a placeholder.
fn loggable_request_id(id: &str) -> &str {
    let groups: Vec<&str> = id.split('-').collect();
    let shape = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if shape || id.is_empty() {
        id
    } else {
        "<unexpected>"
    }
}

fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret) {
            text = text.replace(secret, "***");
        }
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: a check whose reply is given as bytes
// ---------------------------------------------------------------------------------------------

/// The values the checks of [`fuzz_reply`] send, which no [`ProviderError`] may carry: name,
/// resident ID number, mobile, card number, enterprise name, credit code, the legal
/// representative's name and ID number, account number. Made up.
#[doc(hidden)]
pub const FUZZ_VALUES: [&str; 9] = [
    "张三",
    "11010519491231002X",
    "13800138000",
    "6222020200112233445",
    "银信示例科技有限公司",
    "91110108MA01ABCD2X",
    "李四",
    "440305199003071234",
    "110060149018800012345",
];

/// What [`fuzz_reply`] came to: the check's answer, and the actions called, in order.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzOutcome {
    /// What [`IdentityProvider::check`] would have returned.
    pub answer: Result<Answer, ProviderError>,
    /// The actions called, in order (what would have been sent).
    pub calls: Vec<&'static str>,
}

/// Runs one check of [`TencentCloud`] — the same code as [`IdentityProvider::check`] — with one of
/// its calls answered by HTTP `status` and `body`, as if they had just been read from the provider
/// (`read_capped`'s size limit included), and any other call of the check answered as a provider
/// would to let it go on. For the fuzz target `fuzz/fuzz_targets/provider_reply.rs`; not an API.
///
/// `action_index` modulo 8 picks the call whose reply is given:
///
/// | index | check | call |
/// |---|---|---|
/// | 0 | `Carrier` | `PhoneVerification` |
/// | 1 | `BankCard` | `BankCard4EVerification` |
/// | 2 | `Face` | `ImageRecognition` of the face (the document photo, if sent, matches: `Sim` 95) |
/// | 3 | `Face` | `ImageRecognition` of the document photo (the face matched: `Sim` 95) |
/// | 4 | `IdCardCapture` | `IDCardOCR` `FRONT` (the back, if sent, is read) |
/// | 5 | `IdCardCapture` | `IDCardOCR` `BACK` (the front was read) |
/// | 6 | `Enterprise` | `EnterpriseVerification` |
/// | 7 | `Deposit` | `RemitVerificationDeposit` |
///
/// The checks send [`FUZZ_VALUES`]. A `status` outside 100..=999, which HTTP cannot carry, is
/// `Unavailable` with no call.
#[doc(hidden)]
pub fn fuzz_reply(action_index: u8, status: u16, body: &[u8]) -> FuzzOutcome {
    let Ok(status) = reqwest::StatusCode::from_u16(status) else {
        return FuzzOutcome {
            answer: Err(ProviderError::Unavailable(format!("HTTP status {status}"))),
            calls: Vec::new(),
        };
    };
    let [
        name,
        id_number,
        mobile,
        card_number,
        enterprise,
        credit_code,
        rep_name,
        rep_id,
        account,
    ] = FUZZ_VALUES.map(Secret::new);
    let image = || ImageBytes::new(vec![0x89, b'P', b'N', b'G']);
    let (check, action, occurrence) = match action_index % 8 {
        0 => (
            Check::Carrier {
                name,
                id_number,
                mobile,
            },
            "PhoneVerification",
            0,
        ),
        1 => (
            Check::BankCard {
                name,
                id_number,
                card_number,
                mobile,
            },
            "BankCard4EVerification",
            0,
        ),
        index @ (2 | 3) => (
            Check::Face {
                name,
                id_number,
                document_photo: image(),
                face: image(),
            },
            "ImageRecognition",
            usize::from(index == 3),
        ),
        index @ (4 | 5) => (
            Check::IdCardCapture {
                front: image(),
                back: image(),
            },
            "IDCardOCR",
            usize::from(index == 5),
        ),
        6 => (
            Check::Enterprise {
                name: enterprise,
                credit_code,
                legal_rep_name: rep_name,
                legal_rep_id_number: rep_id,
            },
            "EnterpriseVerification",
            0,
        ),
        _ => (
            Check::Deposit {
                account_name: enterprise,
                account_number: account,
                amount_fen: 37,
                reference: "fuzz-reference".to_owned(),
            },
            "RemitVerificationDeposit",
            0,
        ),
    };
    let scripted = Scripted {
        action,
        occurrence,
        status,
        body,
        calls: RefCell::new(Vec::new()),
    };
    // Every scripted reply is ready at once: one poll runs the check to its end.
    let answer = match std::pin::pin!(run(&scripted, &check))
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(answer) => answer,
        Poll::Pending => Err(ProviderError::Unavailable(
            "a scripted call did not complete".to_owned(),
        )),
    };
    FuzzOutcome {
        answer,
        calls: scripted.calls.into_inner(),
    }
}

/// [`Calls`] for [`fuzz_reply`]: call number `occurrence` (from 0) of `action` gets `status` and
/// `body`; any other call gets [`canned`].
struct Scripted<'a> {
    action: &'static str,
    occurrence: usize,
    status: reqwest::StatusCode,
    body: &'a [u8],
    calls: RefCell<Vec<&'static str>>,
}

impl Calls for Scripted<'_> {
    fn reply<P: Serialize + Sync>(
        &self,
        _service: Service,
        action: &'static str,
        _params: &P,
    ) -> impl Future<Output = Result<Reply, ProviderError>> + Send {
        let mut calls = self.calls.borrow_mut();
        let earlier = calls.iter().filter(|a| **a == action).count();
        calls.push(action);
        std::future::ready(if action == self.action && earlier == self.occurrence {
            // What `TencentCloud::call` does once the status and body are in.
            if self.body.len() > MAX_RESPONSE_BYTES {
                Err(too_large())
            } else {
                interpret(self.status, self.body)
            }
        } else {
            Ok(canned(action))
        })
    }
}

/// A reply that lets a check go on: a face that matches, a card face that was read (both faces'
/// fields).
fn canned(action: &str) -> Reply {
    let text = |s: &str| Some(Zeroizing::new(s.to_owned()));
    match action {
        "ImageRecognition" => Reply {
            result: Some("Success".to_owned()),
            sim: Some(95.0),
            request_id: Some("canned".to_owned()),
            ..Reply::default()
        },
        "IDCardOCR" => Reply {
            request_id: Some("canned".to_owned()),
            name: text("王五"),
            sex: text("男"),
            nation: text("汉"),
            birth: text("1949/12/31"),
            address: text("北京市朝阳区示例路1号"),
            id_num: text("11010519491231002X"),
            authority: text("北京市公安局朝阳分局"),
            valid_date: text("2010.07.21-2030.07.21"),
            ..Reply::default()
        },
        _ => Reply::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// TC3-HMAC-SHA256
// ---------------------------------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            // Writing to a String cannot fail.
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `YYYY-MM-DD`, the UTC date of a Unix timestamp (the credential scope's date).
fn utc_date(timestamp: u64) -> String {
    let days = i64::try_from(timestamp / 86_400).unwrap_or(i64::MAX / 2);
    let CivilDate { year, month, day } = CivilDate::from_unix_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The canonical request of a `POST /` with a JSON body, signing `content-type` and `host`.
fn canonical_request(host: &str, payload: &[u8]) -> String {
    format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\n{SIGNED_HEADERS}\n{}",
        CONTENT_TYPE.to_ascii_lowercase(),
        host.trim().to_ascii_lowercase(),
        hex(&Sha256::digest(payload))
    )
}

fn string_to_sign(timestamp: u64, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts a key of any length"));
    mac.update(message);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

/// `Signature`: hex of HMAC-SHA256 under the key derived from the SecretKey, the date and the
/// service.
fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    let mut key = Zeroizing::new(String::with_capacity(3 + secret_key.len()));
    key.push_str("TC3");
    key.push_str(secret_key);
    let secret_date = hmac_sha256(key.as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    let secret_signing = hmac_sha256(&secret_service, b"tc3_request");
    hex(&hmac_sha256(&secret_signing, string_to_sign.as_bytes()))
}

/// The `Authorization` header of a `POST /` to `host` of `service` with body `payload`.
fn authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    timestamp: u64,
    payload: &[u8],
) -> String {
    let date = utc_date(timestamp);
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = string_to_sign(timestamp, &scope, &canonical_request(host, payload));
    format!(
        "{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={}",
        signature(secret_key, &date, service, &to_sign)
    )
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use serde_json::json;
    use yinxin_authority_sim::dataset::{
        ACCOUNT_NAME_DIFFERS, FACE_OF_ANOTHER, LEGAL_REP_DIFFERS, MOBILE_ELSEWHERE, NO_RECORD,
        RESERVED_MOBILE_DIFFERS,
    };
    use yinxin_authority_sim::{Dataset, SimConfig, SimHandle};
    use yinxin_domain::image::encode_png_gray;

    use super::*;
    use crate::idv::provider::ImageBytes;

    // -----------------------------------------------------------------------------------------
    // The signer
    // -----------------------------------------------------------------------------------------

    /// The worked example of Tencent Cloud's "签名方法 v3" page (e.g. in the CVM API
    /// documentation): `DescribeInstances` POSTed to `cvm.tencentcloudapi.com` with
    /// `Content-Type: application/json; charset=utf-8`, X-TC-Timestamp 1551113065, SecretId
    /// `AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******` and SecretKey `Gu5t9xGARNpq86cd98joQYCN3*******`
    /// (masked in the documentation, and computed with the masked strings). The page publishes the
    /// hashed payload, the hashed canonical request and the signature; `python3` with `hmac` and
    /// `hashlib` gives the same three.
    #[test]
    fn only_code_shapes_reach_the_log() {
        for ok in [
            "0",
            "-4",
            "-11",
            "FailedOperation.ImageDecodeFailed",
            "AuthFailure",
        ] {
            assert_eq!(loggable_code(ok), ok);
        }
        for bad in ["13800138000", "张三", "-1234", "Code with spaces", ""] {
            assert_eq!(loggable_code(bad), "<unexpected>", "{bad}");
        }
        let uuid = "0b8a6f3e-1d2c-4e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(loggable_request_id(uuid), uuid);
        assert_eq!(loggable_request_id("张三-110105"), "<unexpected>");
    }

    #[test]
    fn signature_matches_the_published_example() {
        let payload = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let canonical = canonical_request("cvm.tencentcloudapi.com", payload);
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\n\
             host:cvm.tencentcloudapi.com\n\ncontent-type;host\n\
             35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let to_sign = string_to_sign(1_551_113_065, "2019-02-25/cvm/tc3_request", &canonical);
        assert_eq!(
            to_sign,
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signature(
                "Gu5t9xGARNpq86cd98joQYCN3*******",
                "2019-02-25",
                "cvm",
                &to_sign
            ),
            "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
        assert_eq!(
            authorization(
                "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
                "Gu5t9xGARNpq86cd98joQYCN3*******",
                "cvm",
                "cvm.tencentcloudapi.com",
                1_551_113_065,
                payload,
            ),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/\
             tc3_request, SignedHeaders=content-type;host, \
             Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    #[test]
    fn scope_dates_are_utc() {
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
        // 2024-02-29 23:59:59 UTC is already March 1st in Beijing: the scope takes UTC.
        assert_eq!(utc_date(1_709_251_199), "2024-02-29");
        assert_eq!(utc_date(1_709_251_200), "2024-03-01");
    }

    // -----------------------------------------------------------------------------------------
    // Bodies in wiped memory
    // -----------------------------------------------------------------------------------------

    #[test]
    fn bodies_are_sized_once_and_images_encoded_exactly() {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Params<'a> {
            name: &'a str,
            image_base64: &'a str,
            amount_fen: u32,
        }
        let image = base64_wiped(&[0xFF, 0x00, 0x7F, 0x80]);
        assert_eq!(&*image, "/wB/gA==");
        assert_eq!(&*base64_wiped(&[]), "");
        let body = json_body(&Params {
            name: "王\"小\\明",
            image_base64: &image,
            amount_fen: 42,
        })
        .unwrap();
        assert_eq!(body.len(), body.capacity(), "no reallocation");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            json!({"Name": "王\"小\\明", "ImageBase64": "/wB/gA==", "AmountFen": 42})
        );
    }

    // -----------------------------------------------------------------------------------------
    // Result codes
    // -----------------------------------------------------------------------------------------

    fn reply(value: serde_json::Value) -> Reply {
        serde_json::from_value::<Envelope>(json!({ "Response": value }))
            .unwrap()
            .response
    }

    #[test]
    fn every_documented_code_has_a_meaning() {
        use Meaning::{Busy, Match, Mismatch, Refused};
        assert_eq!(phone_verification_code("0"), Some(Match));
        assert_eq!(phone_verification_code("-4"), Some(Mismatch(CARRIER_ALL)));
        assert_eq!(phone_verification_code("-5"), Some(Mismatch(&[Mobile])));
        assert_eq!(phone_verification_code("-6"), Some(Mismatch(&[Mobile])));
        assert_eq!(
            phone_verification_code("-7"),
            Some(Mismatch(&[DocumentNumber]))
        );
        assert_eq!(phone_verification_code("-8"), Some(Mismatch(&[Name])));
        assert_eq!(phone_verification_code("-9"), Some(Mismatch(CARRIER_ALL)));
        assert_eq!(phone_verification_code("-10"), Some(Mismatch(CARRIER_ALL)));
        assert_eq!(phone_verification_code("-11"), Some(Busy));
        assert_eq!(phone_verification_code("-12"), None);

        assert_eq!(bank_card_code("0"), Some(Match));
        assert_eq!(bank_card_code("-1"), Some(Mismatch(BANK_ALL)));
        assert_eq!(bank_card_code("-2"), Some(Mismatch(&[Name])));
        assert_eq!(bank_card_code("-3"), Some(Mismatch(&[DocumentNumber])));
        assert_eq!(bank_card_code("-4"), Some(Mismatch(&[CardNumber])));
        assert_eq!(bank_card_code("-5"), Some(Mismatch(&[ReservedMobile])));
        assert_eq!(
            bank_card_code("-6"),
            Some(Mismatch(&[Name, DocumentNumber, ReservedMobile]))
        );
        for state in 7..=17 {
            assert_eq!(
                bank_card_code(&format!("-{state}")),
                Some(Mismatch(&[CardNumber]))
            );
        }
        assert_eq!(bank_card_code("-18"), Some(Busy));
        assert_eq!(bank_card_code("1"), None);

        let face = |c: &str| image_code(c, Factor::Face);
        let document = |c: &str| image_code(c, DocumentPhoto);
        assert_eq!(face("Success"), Some(Match));
        assert_eq!(
            face("FailedOperation.CompareLowSimilarity"),
            Some(Mismatch(&[Factor::Face]))
        );
        assert_eq!(
            document("FailedOperation.CompareLowSimilarity"),
            Some(Mismatch(&[DocumentPhoto]))
        );
        assert_eq!(
            document("FailedOperation.LifePhotoDetectNoFaces"),
            Some(Mismatch(&[DocumentPhoto]))
        );
        assert_eq!(
            face("FailedOperation.IdNameMisMatch"),
            Some(Mismatch(&[Name, DocumentNumber]))
        );
        assert_eq!(
            face("FailedOperation.IdNoExistSystem"),
            Some(Mismatch(&[DocumentNumber]))
        );
        assert_eq!(
            face("FailedOperation.NameFormatError"),
            Some(Mismatch(&[Name]))
        );
        assert_eq!(face("FailedOperation.CompareSystemError"), Some(Busy));
        assert_eq!(face("FailedOperation.RequestLimitExceeded"), Some(Refused));
        assert_eq!(face("FailedOperation.Whatever"), None);
        assert_eq!(face("0"), None);

        assert_eq!(
            ocr_code("FailedOperation.ImageNoIdCard"),
            Some(Mismatch(&[DocumentPhoto]))
        );
        assert_eq!(ocr_code("FailedOperation.UnKnowError"), Some(Busy));
        assert_eq!(ocr_code("FailedOperation.ArrearsError"), Some(Refused));
        assert_eq!(ocr_code("AuthFailure.SignatureFailure"), None);

        assert_eq!(enterprise_code("0"), Some(Match));
        assert_eq!(enterprise_code("-1"), Some(Mismatch(&[EnterpriseName])));
        assert_eq!(enterprise_code("-2"), Some(Mismatch(&[CreditCode])));
        assert_eq!(enterprise_code("-3"), Some(Mismatch(&[LegalRepName])));
        assert_eq!(
            enterprise_code("-4"),
            Some(Mismatch(&[LegalRepDocumentNumber]))
        );
        assert_eq!(deposit_code("0"), Some(Match));
        assert_eq!(deposit_code("-1"), Some(Mismatch(&[BankAccount])));
        assert_eq!(
            deposit_code("-2"),
            Some(Mismatch(&[EnterpriseName, BankAccount]))
        );

        for refused in [
            "AuthFailure.SignatureFailure",
            "AuthFailure.SignatureExpire",
            "AuthFailure.SecretIdNotFound",
            "InvalidParameter",
            "MissingParameter",
            "UnknownParameter",
            "InvalidAction",
            "NoSuchVersion",
            "LimitExceeded",
            "UnauthorizedOperation.Nonactivated",
        ] {
            assert_eq!(common_error(refused), Refused, "{refused}");
        }
        for busy in [
            "InternalError",
            "InternalError.UnKnown",
            "RequestLimitExceeded",
        ] {
            assert_eq!(common_error(busy), Busy, "{busy}");
        }
    }

    #[test]
    fn replies_become_answers_or_errors() {
        let secrets = ["13800138000", "张三"];
        let decided = |r: serde_json::Value| {
            decide(
                &reply(r),
                "PhoneVerification",
                &secrets,
                phone_verification_code,
            )
        };
        assert_eq!(
            decided(json!({"Result": "0", "RequestId": "r"})),
            Ok(Answer::Match)
        );
        assert_eq!(
            decided(json!({"Result": "-8", "RequestId": "r"})),
            Ok(Answer::Mismatch(vec![Name]))
        );
        assert!(matches!(
            decided(json!({"Result": "-11"})),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            decided(json!({"Result": "42"})),
            Err(ProviderError::Unavailable(m)) if m.contains("unknown result code")
        ));
        assert!(matches!(
            decided(json!({"RequestId": "r"})),
            Err(ProviderError::Unavailable(_))
        ));
        match decided(json!({
            "Error": {"Code": "InvalidParameterValue", "Message": "Phone 13800138000 of 张三 is bad"},
            "RequestId": "req-9",
        })) {
            Err(ProviderError::Refused { code, message }) => {
                assert_eq!(code, "InvalidParameterValue");
                assert_eq!(message, "Phone *** of *** is bad (RequestId req-9)");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decided(json!({"Error": {"Code": "InternalError", "Message": "x"}})),
            Err(ProviderError::Unavailable(_))
        ));
        // ImageRecognition failures may come in the Error object: the same table applies.
        assert_eq!(
            decide(
                &reply(json!({"Error": {"Code": "FailedOperation.ImageBlur", "Message": ""}})),
                "ImageRecognition",
                &[],
                |c| image_code(c, Factor::Face)
            ),
            Ok(Answer::Mismatch(vec![Factor::Face]))
        );
        // An error code that a table reads as a match is not one.
        assert!(
            decide(
                &reply(json!({"Error": {"Code": "Success", "Message": ""}})),
                "ImageRecognition",
                &[],
                |c| image_code(c, Factor::Face)
            )
            .is_err()
        );
    }

    /// Found by the fuzz target `provider_reply`: the RequestId, a code read as the provider
    /// being busy and an unknown result code went into errors unscrubbed.
    #[test]
    fn no_error_carries_a_value_sent() {
        let secrets = ["13800138000", "张三"];
        let decided = |r: serde_json::Value| {
            decide(
                &reply(r),
                "PhoneVerification",
                &secrets,
                phone_verification_code,
            )
            .unwrap_err()
            .to_string()
        };
        for r in [
            json!({"Error": {"Code": "AuthFailure", "Message": "张三"}, "RequestId": "r-13800138000"}),
            json!({"Error": {"Code": "InternalError.13800138000", "Message": ""}}),
            json!({"Error": {"Code": "UnknownParameter.张三", "Message": ""}}),
            json!({"Result": "张三", "RequestId": "r"}),
        ] {
            let shown = decided(r);
            assert!(
                !shown.contains("13800138000") && !shown.contains("张三"),
                "{shown}"
            );
            assert!(shown.contains("***"), "{shown}");
        }
    }

    #[test]
    fn fuzz_reply_runs_the_check() {
        let ok = |index: u8, body: &str| fuzz_reply(index, 200, body.as_bytes());
        let phone = ok(0, r#"{"Response": {"Result": "-8", "RequestId": "r"}}"#);
        assert_eq!(phone.answer, Ok(Answer::Mismatch(vec![Name])));
        assert_eq!(phone.calls, ["PhoneVerification"]);
        // The face blamed the name and number: the document photo is not sent.
        let face = ok(
            2,
            r#"{"Response": {"Result": "FailedOperation.IdNameMisMatch"}}"#,
        );
        assert_eq!(
            face.answer,
            Ok(Answer::Mismatch(vec![Name, DocumentNumber]))
        );
        assert_eq!(face.calls, ["ImageRecognition"]);
        let document = ok(3, r#"{"Response": {"Result": "Success", "Sim": 69.5}}"#);
        assert_eq!(document.answer, Ok(Answer::Mismatch(vec![DocumentPhoto])));
        assert_eq!(document.calls, ["ImageRecognition", "ImageRecognition"]);
        let back = ok(
            5,
            r#"{"Response": {"Authority": "某公安局", "ValidDate": "2010.07.21-2030.07.21"}}"#,
        );
        match back.answer {
            Ok(Answer::Read(fields)) => assert_eq!(fields.authority.reveal(), "某公安局"),
            other => panic!("{other:?}"),
        }
        let deposit = ok(7, r#"{"Response": {"Result": "0", "TransferId": "T1"}}"#);
        assert_eq!(
            deposit.answer,
            Ok(Answer::DepositSent {
                transfer_id: "T1".to_owned()
            })
        );
        assert!(matches!(
            fuzz_reply(0, 503, b"{}").answer,
            Err(ProviderError::Unavailable(_))
        ));
        assert!(fuzz_reply(0, 42, b"").calls.is_empty());
    }

    #[test]
    fn unreadable_answers_are_unavailable() {
        use reqwest::StatusCode;
        let ok = br#"{"Response": {"Result": "0", "RequestId": "r"}}"#;
        assert_eq!(
            interpret(StatusCode::OK, ok).unwrap().result.as_deref(),
            Some("0")
        );
        assert!(matches!(
            interpret(StatusCode::SERVICE_UNAVAILABLE, ok),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            interpret(StatusCode::OK, b"<html>502 Bad Gateway</html>"),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            interpret(StatusCode::FORBIDDEN, b"{\"Response\": {}}"),
            Err(ProviderError::Unavailable(_))
        ));
        let refused =
            br#"{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "m"}}}"#;
        assert!(
            interpret(StatusCode::UNAUTHORIZED, refused)
                .unwrap()
                .error
                .is_some()
        );
    }

    #[test]
    fn both_comparisons_must_match() {
        assert_eq!(both(Answer::Match, Answer::Match), Answer::Match);
        assert_eq!(
            both(Answer::Match, Answer::Mismatch(vec![DocumentPhoto])),
            Answer::Mismatch(vec![DocumentPhoto])
        );
        assert_eq!(
            both(
                Answer::Mismatch(vec![Factor::Face]),
                Answer::Mismatch(vec![DocumentPhoto, Factor::Face])
            ),
            Answer::Mismatch(vec![DocumentPhoto, Factor::Face])
        );
    }

    // -----------------------------------------------------------------------------------------
    // Settings
    // -----------------------------------------------------------------------------------------

    fn config(endpoint: &str, secret_key: &str) -> TencentConfig {
        TencentConfig {
            name: "tencent-sim".into(),
            endpoint: endpoint.to_owned(),
            ocr_endpoint: endpoint.to_owned(),
            secret_id: yinxin_authority_sim::DEFAULT_SECRET_ID.into(),
            secret_key: Zeroizing::new(secret_key.to_owned()),
            region: None,
            connect_timeout_secs: 2,
        }
    }

    #[test]
    fn settings_are_checked_and_the_key_never_shown() {
        let good = config("http://127.0.0.1:9/", "very-secret-value");
        let shown = format!("{:?}", TencentCloud::new(good.clone()).unwrap());
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]"));

        for loopback in [
            "http://127.0.0.1:8091/",
            "http://127.1.2.3/",
            "http://localhost:8091/",
            "http://[::1]:8091/",
            "https://faceid.tencentcloudapi.com/",
        ] {
            assert!(
                TencentCloud::new(config(loopback, "k")).is_ok(),
                "{loopback}"
            );
        }
        // IDV-1: a real provider gets TLS only.
        for (setting, bad) in [
            ("endpoint", "http://faceid.tencentcloudapi.com/"),
            ("endpoint", "http://10.0.0.8:8091/"),
            ("endpoint", "http://[::2]/"),
            ("endpoint", "ftp://127.0.0.1/"),
            ("endpoint", "https://faceid.tencentcloudapi.com/v3"),
            ("endpoint", "https://user:pw@faceid.tencentcloudapi.com/"),
            ("endpoint", "not a url"),
        ] {
            let err = TencentCloud::new(TencentConfig {
                endpoint: bad.into(),
                ..good.clone()
            })
            .unwrap_err();
            assert!(err.starts_with(setting), "{bad}: {err}");
        }
        let err = TencentCloud::new(TencentConfig {
            ocr_endpoint: "http://ocr.tencentcloudapi.com/".into(),
            ..good.clone()
        })
        .unwrap_err();
        assert!(
            err.starts_with("ocr_endpoint") && err.contains("https"),
            "{err}"
        );
        let err = TencentCloud::new(TencentConfig {
            secret_key: Zeroizing::new(String::new()),
            ..good.clone()
        })
        .unwrap_err();
        assert!(err.contains("secret_key"), "{err}");
        let err = TencentCloud::new(TencentConfig {
            region: Some(" ".into()),
            ..good.clone()
        })
        .unwrap_err();
        assert!(err.contains("region"), "{err}");
        let err = TencentCloud::new(TencentConfig {
            connect_timeout_secs: 0,
            ..good
        })
        .unwrap_err();
        assert!(err.contains("connect_timeout_secs"), "{err}");
    }

    #[test]
    fn config_defaults() {
        let c: TencentConfig =
            serde_json::from_value(json!({"secret_id": "AKID", "secret_key": "k"})).unwrap();
        assert_eq!(c.name, "tencent");
        assert_eq!(c.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(c.ocr_endpoint, DEFAULT_OCR_ENDPOINT);
        assert_eq!(c.region, None);
        assert_eq!(c.connect_timeout_secs, 5);
        let provider = TencentCloud::new(c).unwrap();
        assert_eq!(provider.name(), "tencent");
        assert!(Method::ALL.into_iter().all(|m| provider.supports(m)));
    }

    // -----------------------------------------------------------------------------------------
    // Against the simulator
    // -----------------------------------------------------------------------------------------

    async fn simulator() -> (SimHandle, TencentCloud, Dataset) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = yinxin_authority_sim::serve(listener, SimConfig::default())
            .await
            .unwrap();
        let provider = TencentCloud::new(config(
            &sim.endpoint(),
            yinxin_authority_sim::DEFAULT_SECRET_KEY,
        ))
        .unwrap();
        // The fixtures as a client would fetch them.
        let data: serde_json::Value = reqwest::get(format!("{}_fixtures", sim.endpoint()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(data["seed"], yinxin_authority_sim::DEFAULT_SEED);
        (
            sim,
            provider,
            yinxin_authority_sim::dataset(yinxin_authority_sim::DEFAULT_SEED),
        )
    }

    async fn calls(sim: &SimHandle, action: &str) -> u64 {
        let counts: serde_json::Value = reqwest::get(format!("{}_calls", sim.endpoint()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counts[action].as_u64().unwrap_or(0)
    }

    fn s(v: &str) -> Secret {
        Secret::new(v)
    }

    fn img(v: &[u8]) -> ImageBytes {
        ImageBytes::new(v.to_vec())
    }

    fn mismatch(factors: &[Factor]) -> Answer {
        Answer::Mismatch(factors.to_vec())
    }

    #[tokio::test]
    async fn every_personal_check_against_the_simulator() {
        let (sim, provider, data) = simulator().await;
        for p in &data.persons {
            let carrier = provider
                .check(&Check::Carrier {
                    name: s(&p.name),
                    id_number: s(&p.id_number),
                    mobile: s(&p.mobile),
                })
                .await
                .unwrap();
            let bank = provider
                .check(&Check::BankCard {
                    name: s(&p.name),
                    id_number: s(&p.id_number),
                    card_number: s(&p.card_number),
                    mobile: s(&p.reserved_mobile),
                })
                .await
                .unwrap();
            let face = provider
                .check(&Check::Face {
                    name: s(&p.name),
                    id_number: s(&p.id_number),
                    document_photo: img(&p.photo),
                    face: img(&p.live_face),
                })
                .await
                .unwrap();
            let capture = provider
                .check(&Check::IdCardCapture {
                    front: img(&p.id_card_front),
                    back: img(&p.id_card_back),
                })
                .await
                .unwrap();
            for (check, answer, expected) in [
                ("carrier", &carrier, p.expected.carrier),
                ("bank_card", &bank, p.expected.bank_card),
                ("face", &face, p.expected.face),
            ] {
                assert_eq!(
                    *answer == Answer::Match,
                    expected == "match",
                    "person {} {check}: {answer:?}",
                    p.index
                );
            }
            let Answer::Read(fields) = capture else {
                panic!("person {}: {capture:?}", p.index);
            };
            assert_eq!(fields.name.reveal(), p.name);
            assert_eq!(fields.sex.reveal(), p.sex);
            assert_eq!(fields.ethnicity.reveal(), p.ethnicity);
            assert_eq!(fields.birth.reveal(), p.birth);
            assert_eq!(fields.address.reveal(), p.address);
            assert_eq!(fields.id_number.reveal(), p.id_number);
            assert_eq!(fields.authority.reveal(), p.authority);
            assert_eq!(fields.valid_date.reveal(), p.valid_date);

            match p.index {
                MOBILE_ELSEWHERE => assert_eq!(carrier, mismatch(CARRIER_ALL)),
                RESERVED_MOBILE_DIFFERS => {
                    assert_eq!(bank, mismatch(&[Name, DocumentNumber, ReservedMobile]));
                }
                FACE_OF_ANOTHER => assert_eq!(face, mismatch(&[Factor::Face])),
                NO_RECORD => {
                    assert_eq!(carrier, mismatch(CARRIER_ALL));
                    assert_eq!(bank, mismatch(&[CardNumber]));
                    assert_eq!(face, mismatch(&[DocumentNumber]));
                }
                _ => {}
            }
        }
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn personal_mismatches_name_their_factors() {
        let (sim, provider, data) = simulator().await;
        let (p, q) = (&data.persons[0], &data.persons[1]);

        let carrier = |name: &str, id: &str, mobile: &str| Check::Carrier {
            name: s(name),
            id_number: s(id),
            mobile: s(mobile),
        };
        let provider = &provider;
        let answer = |c| async move { provider.check(&c).await.unwrap() };
        assert_eq!(
            answer(carrier(&p.name, &p.id_number, &p.mobile)).await,
            Answer::Match
        );
        assert_eq!(
            answer(carrier(&q.name, &p.id_number, &p.mobile)).await,
            mismatch(CARRIER_ALL)
        );
        assert_eq!(
            answer(carrier("Zhang San", &p.id_number, &p.mobile)).await,
            mismatch(&[Name])
        );
        assert_eq!(
            answer(carrier(&p.name, "110101199001011234", &p.mobile)).await,
            mismatch(&[DocumentNumber])
        );
        assert_eq!(
            answer(carrier(&p.name, &p.id_number, "12345678901")).await,
            mismatch(&[Mobile])
        );

        let bank = Check::BankCard {
            name: s(&p.name),
            id_number: s(&p.id_number),
            card_number: s(&q.card_number),
            mobile: s(&p.reserved_mobile),
        };
        assert_eq!(
            answer(bank).await,
            mismatch(&[Name, DocumentNumber, ReservedMobile])
        );

        // Someone else's document photo: the face matches, the document does not.
        let face = |name: &str, document: &[u8], live: &[u8]| Check::Face {
            name: s(name),
            id_number: s(&p.id_number),
            document_photo: img(document),
            face: img(live),
        };
        assert_eq!(
            answer(face(&p.name, &q.photo, &p.live_face)).await,
            mismatch(&[DocumentPhoto])
        );
        assert_eq!(
            answer(face(&p.name, &q.photo, &q.live_face)).await,
            mismatch(&[DocumentPhoto, Factor::Face])
        );
        // Anything that is not a readable image scores 0.
        assert_eq!(
            answer(face(&p.name, &p.photo, b"\xff\xd8\xff not a face")).await,
            mismatch(&[Factor::Face])
        );
        // A name that is not the number's: the document photo is never sent.
        let before = calls(&sim, "ImageRecognition").await;
        assert_eq!(
            answer(face(&q.name, &p.photo, &p.live_face)).await,
            mismatch(&[Name, DocumentNumber])
        );
        assert_eq!(calls(&sim, "ImageRecognition").await, before + 1);

        // Card faces swapped, or no card at all; the back is not sent after a failed front.
        let before = calls(&sim, "IDCardOCR").await;
        for (front, back) in [
            (&p.id_card_back, &p.id_card_front),
            (&encode_png_gray(96, 60, &[9; 96 * 60]), &p.id_card_back),
        ] {
            assert_eq!(
                answer(Check::IdCardCapture {
                    front: img(front),
                    back: img(back),
                })
                .await,
                mismatch(&[DocumentPhoto])
            );
        }
        assert_eq!(calls(&sim, "IDCardOCR").await, before + 2);
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn enterprise_checks_and_deposits_against_the_simulator() {
        let (sim, provider, data) = simulator().await;
        let enterprise = |e: &yinxin_authority_sim::Enterprise| Check::Enterprise {
            name: s(&e.name),
            credit_code: s(&e.credit_code),
            legal_rep_name: s(&e.legal_rep_name),
            legal_rep_id_number: s(&e.legal_rep_id_number),
        };
        let mut sent = Vec::new();
        for e in &data.enterprises {
            let answer = provider.check(&enterprise(e)).await.unwrap();
            assert_eq!(
                answer == Answer::Match,
                e.expected.enterprise == "match",
                "{answer:?}"
            );
            if e.index == LEGAL_REP_DIFFERS {
                assert_eq!(answer, mismatch(&[LegalRepName]));
            }
            let reference = format!("ref-{}", e.index);
            let deposit = Check::Deposit {
                account_name: s(&e.account_name),
                account_number: s(&e.account_number),
                amount_fen: 11 + u32::try_from(e.index).unwrap(),
                reference: reference.clone(),
            };
            match provider.check(&deposit).await.unwrap() {
                Answer::DepositSent { transfer_id } => {
                    assert_eq!(e.expected.deposit, "sent");
                    // The same reference again: the same transfer, nothing more sent.
                    assert_eq!(
                        provider.check(&deposit).await.unwrap(),
                        Answer::DepositSent {
                            transfer_id: transfer_id.clone()
                        }
                    );
                    sent.push((reference, e.account_number.clone(), transfer_id));
                }
                other => {
                    assert_eq!(e.index, ACCOUNT_NAME_DIFFERS);
                    assert_eq!(other, mismatch(&[EnterpriseName, BankAccount]));
                }
            }
        }

        let e = &data.enterprises[0];
        let other = &data.enterprises[1];
        let check = |name: &str, code: &str, rep: &str, rep_id: &str| Check::Enterprise {
            name: s(name),
            credit_code: s(code),
            legal_rep_name: s(rep),
            legal_rep_id_number: s(rep_id),
        };
        for (c, expected) in [
            (
                check(
                    &other.name,
                    &e.credit_code,
                    &e.legal_rep_name,
                    &e.legal_rep_id_number,
                ),
                mismatch(&[EnterpriseName]),
            ),
            (
                check(
                    &e.name,
                    &other.credit_code,
                    &e.legal_rep_name,
                    &e.legal_rep_id_number,
                ),
                mismatch(&[EnterpriseName]),
            ),
            (
                check(
                    &e.name,
                    "91110000000000000X",
                    &e.legal_rep_name,
                    &e.legal_rep_id_number,
                ),
                mismatch(&[CreditCode]),
            ),
            (
                check(
                    &e.name,
                    &e.credit_code,
                    &e.legal_rep_name,
                    &other.legal_rep_id_number,
                ),
                mismatch(&[LegalRepDocumentNumber]),
            ),
        ] {
            assert_eq!(provider.check(&c).await.unwrap(), expected);
        }

        let deposit = |number: &str, amount_fen: u32| Check::Deposit {
            account_name: s(&e.account_name),
            account_number: s(number),
            amount_fen,
            reference: "ref-x".into(),
        };
        assert_eq!(
            provider
                .check(&deposit("6222020000000000", 5))
                .await
                .unwrap(),
            mismatch(&[BankAccount])
        );
        match provider.check(&deposit(&e.account_number, 0)).await {
            Err(ProviderError::Refused { code, message }) => {
                assert_eq!(code, "InvalidParameterValue");
                assert!(!message.contains(&e.account_number), "{message}");
            }
            other => panic!("{other:?}"),
        }

        let deposits: serde_json::Value = reqwest::get(format!("{}_deposits", sim.endpoint()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let listed: Vec<(String, String, String, u64)> = deposits
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["reference"].as_str().unwrap().to_owned(),
                    d["account_number"].as_str().unwrap().to_owned(),
                    d["transfer_id"].as_str().unwrap().to_owned(),
                    d["amount_fen"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(listed.len(), sent.len());
        for ((reference, account, transfer), (r, a, t, amount)) in sent.iter().zip(&listed) {
            assert_eq!((reference, account, transfer), (r, a, t));
            assert!((11..=15).contains(amount));
        }
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn refusals_and_outages() {
        let (sim, provider, data) = simulator().await;
        let p = &data.persons[0];
        let carrier = Check::Carrier {
            name: s(&p.name),
            id_number: s(&p.id_number),
            mobile: s(&p.mobile),
        };

        let wrong_key =
            TencentCloud::new(config(&sim.endpoint(), "not-the-simulator-key")).unwrap();
        match wrong_key.check(&carrier).await {
            Err(ProviderError::Refused { code, message }) => {
                assert_eq!(code, "AuthFailure.SignatureFailure");
                assert!(message.contains("RequestId"), "{message}");
                assert!(!message.contains(&p.mobile) && !message.contains(&p.name));
            }
            other => panic!("{other:?}"),
        }
        let unknown_id = TencentCloud::new(TencentConfig {
            secret_id: "AKIDsomeoneelse".into(),
            ..config(&sim.endpoint(), yinxin_authority_sim::DEFAULT_SECRET_KEY)
        })
        .unwrap();
        assert!(matches!(
            unknown_id.check(&carrier).await,
            Err(ProviderError::Refused { code, .. }) if code == "AuthFailure.SecretIdNotFound"
        ));

        let control = |body: serde_json::Value| {
            let url = format!("{}_control", sim.endpoint());
            async move {
                let r = reqwest::Client::new()
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
            }
        };
        control(json!({"down": true})).await;
        match provider.check(&carrier).await {
            Err(ProviderError::Unavailable(why)) => assert!(why.contains("503"), "{why}"),
            other => panic!("{other:?}"),
        }
        control(json!({"down": false})).await;
        assert_eq!(provider.check(&carrier).await, Ok(Answer::Match));
        sim.shutdown().await;

        // Nobody listening any more.
        assert!(matches!(
            provider.check(&carrier).await,
            Err(ProviderError::Unavailable(_))
        ));
    }
}
