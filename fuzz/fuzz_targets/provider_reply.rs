//! Replies of the identity-verification provider (`yinxin_identity::idv::tencent`, IDV-1..IDV-3):
//! untrusted bytes from the network, run through `fuzz_reply` — the adapter's own check code from
//! the HTTP status and body on: `interpret`, the action's code table, `decide`/`apply`, and the
//! composition of the two calls of a face check or of an ID-card capture.
//!
//! Input layout (seeds are readable text, e.g. `0200{"Response": {...}}`):
//!
//! - byte 0: the call whose reply the body is, modulo 8 (`'0'`..`'7'` are 0..7):
//!   0 `PhoneVerification`, 1 `BankCard4EVerification`, 2 `ImageRecognition` of the face,
//!   3 `ImageRecognition` of the document photo, 4 `IDCardOCR` `FRONT`, 5 `IDCardOCR` `BACK`,
//!   6 `EnterpriseVerification`, 7 `RemitVerificationDeposit` (the other call of a two-call check
//!   gets a matching face, or a card face that was read);
//! - bytes 1..4: the HTTP status, three decimal digits (each byte minus `'0'`, modulo 10; below
//!   100 is taken as 100);
//! - the rest: the body.
//!
//! Checked for every input (docs/PROVIDERS.md, "Result codes"):
//!
//! - no panic; deterministic;
//! - no error carries a value the check sent (`ProviderError`: "never carries a value that was
//!   sent"; the provider's code, message and RequestId are scrubbed of them);
//! - a mismatch names at least one factor, none twice, and only factors of the check;
//!   `Read` only from `IDCardOCR`, `DepositSent` only from a deposit, with a non-empty transfer id;
//! - HTTP 5xx is `Unavailable`; any other status outside 2xx (1xx, 3xx, 4xx, 600-999) is never a
//!   match, a reading or a deposit sent;
//! - a body that is not JSON is `Unavailable`, whatever its bytes (the same answer as for an
//!   empty body);
//! - data minimization: the document photo is not sent after a face comparison that blamed the
//!   name or number, nor the card's back after an unreadable front;
//!
//! and, for a body that is a JSON object of the documented shape (the `Response` object with
//! `Error`, `Result`, `Sim`, ... of the documented types), against an oracle written from
//! PROVIDERS.md:
//!
//! - the answer is the documented one for `Result` (or `Error.Code`): every code of the tables,
//!   `Success` only from `Sim` >= 70, an unknown code `Unavailable` (never a match), an `Error`
//!   object never a match, `InternalError*`/`RequestLimitExceeded*` `Unavailable`, any other
//!   unknown error code `Refused` with the code, the message and the RequestId (scrubbed);
//!   `IDCardOCR` without `Error` a reading of the fields of the body, or a mismatch on the
//!   document photo when the number (front) or validity (back) is missing; a deposit `0` is sent
//!   only with a `TransferId`;
//! - the answer depends on the body only through the documented fields: with every other string,
//!   number and boolean of the body changed (and the text of `TransferId` and the card fields,
//!   which go into the answer), errors are exactly the same — so no error copies anything else of
//!   the body, not even a short run of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use yinxin_domain::verification::Factor;
use yinxin_identity::idv::provider::{Answer, ProviderError};
use yinxin_identity::idv::tencent::{FUZZ_VALUES, FuzzOutcome, SIMILARITY_THRESHOLD, fuzz_reply};

/// `MAX_RESPONSE_BYTES` of the adapter: larger bodies are refused before they are read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Phone,
    BankCard,
    Face,
    DocumentPhoto,
    OcrFront,
    OcrBack,
    Enterprise,
    Deposit,
}

impl Call {
    fn of(byte: u8) -> Self {
        [
            Self::Phone,
            Self::BankCard,
            Self::Face,
            Self::DocumentPhoto,
            Self::OcrFront,
            Self::OcrBack,
            Self::Enterprise,
            Self::Deposit,
        ][usize::from(byte % 8)]
    }

    fn action(self) -> &'static str {
        match self {
            Self::Phone => "PhoneVerification",
            Self::BankCard => "BankCard4EVerification",
            Self::Face | Self::DocumentPhoto => "ImageRecognition",
            Self::OcrFront | Self::OcrBack => "IDCardOCR",
            Self::Enterprise => "EnterpriseVerification",
            Self::Deposit => "RemitVerificationDeposit",
        }
    }

    /// The values the check sends (indexes into `FUZZ_VALUES`): what no error may carry.
    fn sent(self) -> Vec<&'static str> {
        let idx: &[usize] = match self {
            Self::Phone => &[0, 1, 2],
            Self::BankCard => &[0, 1, 3, 2],
            Self::Face | Self::DocumentPhoto => &[0, 1],
            Self::OcrFront | Self::OcrBack => &[],
            Self::Enterprise => &[4, 5, 6, 7],
            Self::Deposit => &[4, 8],
        };
        idx.iter().map(|&i| FUZZ_VALUES[i]).collect()
    }

    /// Every factor the check can blame.
    fn factors(self) -> &'static [Factor] {
        use Factor::*;
        match self {
            Self::Phone => &[Name, DocumentNumber, Mobile],
            Self::BankCard => &[Name, DocumentNumber, CardNumber, ReservedMobile],
            Self::Face | Self::DocumentPhoto => &[Name, DocumentNumber, Face, DocumentPhoto],
            Self::OcrFront | Self::OcrBack => &[DocumentPhoto],
            Self::Enterprise => &[
                EnterpriseName,
                CreditCode,
                LegalRepName,
                LegalRepDocumentNumber,
            ],
            Self::Deposit => &[EnterpriseName, BankAccount],
        }
    }
}

fn status_of(digits: &[u8; 3]) -> u16 {
    let d = |b: u8| u16::from(b.wrapping_sub(b'0') % 10);
    (d(digits[0]) * 100 + d(digits[1]) * 10 + d(digits[2])).max(100)
}

// -------------------------------------------------------------------------------------------------
// The oracle (docs/PROVIDERS.md)
// -------------------------------------------------------------------------------------------------

/// What a reply must come to.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Match,
    Mismatch(Vec<Factor>),
    Unavailable,
    Refused {
        code: String,
        message: String,
    },
    /// `IDCardOCR` without an error (the face's fields are checked separately).
    Read,
    DepositSent(String),
}

/// The `Response` object, read strictly as documented (objects, the documented types).
#[derive(Debug)]
struct Parsed {
    error: Option<(String, String)>,
    result: Option<String>,
    request_id: Option<String>,
    sim: Option<f64>,
    transfer_id: Option<String>,
    /// `Name`, `Sex`, `Nation`, `Birth`, `Address`, `IdNum`, `Authority`, `ValidDate`.
    card: [Option<String>; 8],
}

const CARD_FIELDS: [&str; 8] = [
    "Name",
    "Sex",
    "Nation",
    "Birth",
    "Address",
    "IdNum",
    "Authority",
    "ValidDate",
];

/// A string field: absent or null is `None`; another type means the reply is not readable.
fn text(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ()> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// `Some` when the body is `{"Response": {...}}` of the documented shape; `None` when it is not
/// (then only the invariants that hold for every body are checked).
fn parse(v: &Value) -> Option<Parsed> {
    let response = v.as_object()?.get("Response")?.as_object()?;
    let error = match response.get("Error") {
        None | Some(Value::Null) => None,
        Some(Value::Object(e)) => {
            let code = text(e, "Code").ok()??;
            let message = match e.get("Message") {
                None => String::new(),
                Some(Value::String(m)) => m.clone(),
                Some(_) => return None,
            };
            Some((code, message))
        }
        Some(_) => return None,
    };
    let sim = match response.get("Sim") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_f64()?),
        Some(_) => return None,
    };
    let mut card: [Option<String>; 8] = Default::default();
    for (slot, key) in card.iter_mut().zip(CARD_FIELDS) {
        *slot = text(response, key).ok()?;
    }
    Some(Parsed {
        error,
        result: text(response, "Result").ok()?,
        request_id: text(response, "RequestId").ok()?,
        sim,
        transfer_id: text(response, "TransferId").ok()?,
        card,
    })
}

/// A code's meaning in an action's table (PROVIDERS.md, "Result codes"): `None` if unknown.
fn table(call: Call, code: &str) -> Option<Expect> {
    use Expect::{Match, Unavailable};
    use Factor::*;
    let mismatch = |f: &[Factor]| Some(Expect::Mismatch(f.to_vec()));
    let refused = || {
        Some(Expect::Refused {
            code: String::new(),
            message: String::new(),
        })
    };
    match call {
        Call::Phone => match code {
            "0" => Some(Match),
            "-4" | "-9" | "-10" => mismatch(&[Name, DocumentNumber, Mobile]),
            "-5" | "-6" => mismatch(&[Mobile]),
            "-7" => mismatch(&[DocumentNumber]),
            "-8" => mismatch(&[Name]),
            "-11" => Some(Unavailable),
            _ => None,
        },
        Call::BankCard => match code {
            "0" => Some(Match),
            "-1" => mismatch(&[Name, DocumentNumber, CardNumber, ReservedMobile]),
            "-2" => mismatch(&[Name]),
            "-3" => mismatch(&[DocumentNumber]),
            "-4" => mismatch(&[CardNumber]),
            "-5" => mismatch(&[ReservedMobile]),
            "-6" => mismatch(&[Name, DocumentNumber, ReservedMobile]),
            "-7" | "-8" | "-9" | "-10" | "-11" | "-12" | "-13" | "-14" | "-15" | "-16" | "-17" => {
                mismatch(&[CardNumber])
            }
            "-18" => Some(Unavailable),
            _ => None,
        },
        Call::Face | Call::DocumentPhoto => {
            let image = if call == Call::Face {
                Face
            } else {
                DocumentPhoto
            };
            if code == "Success" {
                return Some(Match);
            }
            match code.strip_prefix("FailedOperation.")? {
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
                | "IdPhotoPoorQuality" => mismatch(&[image]),
                "IdNameMisMatch" => mismatch(&[Name, DocumentNumber]),
                "IdFormatError" | "IdNoExistSystem" | "IdPhotoNoExist" => {
                    mismatch(&[DocumentNumber])
                }
                "NameFormatError" => mismatch(&[Name]),
                "CompareSystemError"
                | "DbError"
                | "IdPhotoSystemNoanswer"
                | "UnKnown"
                | "DownLoadError"
                | "FileSaveError"
                | "DecryptSystemError" => Some(Unavailable),
                "RequestLimitExceeded" => refused(),
                _ => None,
            }
        }
        Call::OcrFront | Call::OcrBack => match code {
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
            | "LimitExceeded.TooLargeFileError" => mismatch(&[DocumentPhoto]),
            "FailedOperation.UnKnowError"
            | "FailedOperation.EngineRecognizeTimeout"
            | "FailedOperation.DownLoadError" => Some(Unavailable),
            "FailedOperation.ArrearsError"
            | "FailedOperation.CountLimitError"
            | "FailedOperation.UnOpenError"
            | "ResourcesSoldOut.ChargeStatusException" => refused(),
            _ => None,
        },
        Call::Enterprise => match code {
            "0" => Some(Match),
            "-1" => mismatch(&[EnterpriseName]),
            "-2" => mismatch(&[CreditCode]),
            "-3" => mismatch(&[LegalRepName]),
            "-4" => mismatch(&[LegalRepDocumentNumber]),
            _ => None,
        },
        Call::Deposit => match code {
            "0" => Some(Match),
            "-1" => mismatch(&[BankAccount]),
            "-2" => mismatch(&[EnterpriseName, BankAccount]),
            _ => None,
        },
    }
}

/// An error code no table claims ("Common errors"): `InternalError*` and `RequestLimitExceeded*`
/// are the provider being busy, everything else a refusal. Read as families of dotted codes
/// (`InternalError.X`, not `InternalErrorX`). `ServiceUnavailable*`, not listed in PROVIDERS.md,
/// is a common API 3.0 code that the adapter takes as the provider being down: accepted as such.
fn common(code: &str) -> Expect {
    match code.split('.').next().unwrap_or(code) {
        "InternalError" | "RequestLimitExceeded" | "ServiceUnavailable" => Expect::Unavailable,
        _ => Expect::Refused {
            code: String::new(),
            message: String::new(),
        },
    }
}

/// The values sent, replaced as `ProviderError` promises (each by `***`).
fn scrub(text: &str, sent: &[&str]) -> String {
    sent.iter()
        .fold(text.to_owned(), |t, s| t.replace(s, "***"))
}

/// What the fuzzed call's reply must come to, by itself.
fn expect_reply(call: Call, status: u16, p: &Parsed) -> Expect {
    let sent = call.sent();
    let refused = |code: &str, message: &str| {
        let mut message = scrub(message, &sent);
        if let Some(id) = &p.request_id {
            message = format!("{message} (RequestId {})", scrub(id, &sent));
        }
        Expect::Refused {
            code: scrub(code, &sent),
            message,
        }
    };
    let fill = |e: Expect, code: &str, message: &str| match e {
        Expect::Refused { .. } => refused(code, message),
        other => other,
    };
    if (500..600).contains(&status) {
        return Expect::Unavailable;
    }
    if let Some((code, message)) = &p.error {
        // An Error object is never a match: a code its table reads as one is a common error.
        let e = match table(call, code) {
            None | Some(Expect::Match) => common(code),
            Some(other) => other,
        };
        return fill(e, code, message);
    }
    if !(200..300).contains(&status) {
        return Expect::Unavailable;
    }
    match call {
        Call::OcrFront | Call::OcrBack => Expect::Read,
        _ => {
            let Some(code) = p.result.as_deref() else {
                return Expect::Unavailable;
            };
            match table(call, code) {
                None => Expect::Unavailable,
                Some(Expect::Match) => match call {
                    Call::Face | Call::DocumentPhoto
                        if !p.sim.is_some_and(|s| s >= SIMILARITY_THRESHOLD) =>
                    {
                        Expect::Mismatch(vec![if call == Call::Face {
                            Factor::Face
                        } else {
                            Factor::DocumentPhoto
                        }])
                    }
                    Call::Deposit => match p.transfer_id.as_deref() {
                        Some(id) if !id.is_empty() => Expect::DepositSent(id.to_owned()),
                        _ => Expect::Unavailable,
                    },
                    _ => Expect::Match,
                },
                Some(e) => fill(e, code, ""),
            }
        }
    }
}

fn sorted(f: &[Factor]) -> Vec<Factor> {
    let mut f = f.to_vec();
    f.sort();
    f
}

/// The whole check's answer against the oracle for a readable reply.
fn check_oracle(call: Call, status: u16, p: &Parsed, out: &FuzzOutcome) {
    let expected = expect_reply(call, status, p);
    let answer = &out.answer;
    match (&expected, answer) {
        (Expect::Match, Ok(Answer::Match)) => {}
        (Expect::Mismatch(e), Ok(Answer::Mismatch(got))) => {
            assert_eq!(sorted(e), sorted(got), "{call:?}: factors")
        }
        (Expect::Unavailable, Err(ProviderError::Unavailable(_))) => {}
        (
            Expect::Refused { code, message },
            Err(ProviderError::Refused {
                code: got_code,
                message: got_message,
            }),
        ) => {
            assert_eq!(code, got_code, "{call:?}: refusal code");
            assert_eq!(message, got_message, "{call:?}: refusal message");
        }
        (Expect::DepositSent(id), Ok(Answer::DepositSent { transfer_id })) => {
            assert_eq!(id, transfer_id)
        }
        (Expect::Read, _) => {
            // The face given must carry its key field; the other face is canned and read.
            let key = if call == Call::OcrFront { 5 } else { 7 };
            let readable = p.card[key].as_deref().is_some_and(|v| !v.is_empty());
            match answer {
                Ok(Answer::Read(fields)) => {
                    assert!(readable, "{call:?}: read without its key field: {p:?}");
                    let got = [
                        fields.name.reveal(),
                        fields.sex.reveal(),
                        fields.ethnicity.reveal(),
                        fields.birth.reveal(),
                        fields.address.reveal(),
                        fields.id_number.reveal(),
                        fields.authority.reveal(),
                        fields.valid_date.reveal(),
                    ];
                    let own = if call == Call::OcrFront { 0..6 } else { 6..8 };
                    for i in own {
                        assert_eq!(
                            got[i],
                            p.card[i].as_deref().unwrap_or(""),
                            "{call:?}: field {}",
                            CARD_FIELDS[i]
                        );
                    }
                }
                Ok(Answer::Mismatch(f)) => {
                    assert!(!readable, "{call:?}: a readable face refused: {p:?}");
                    assert_eq!(f, &[Factor::DocumentPhoto]);
                }
                other => panic!("{call:?}: a face without error came to {other:?}"),
            }
        }
        (e, got) => panic!("{call:?} HTTP {status}: expected {e:?}, got {got:?} for {p:?}"),
    }
}

// -------------------------------------------------------------------------------------------------
// Invariants for every body
// -------------------------------------------------------------------------------------------------

fn check_shape(call: Call, status: u16, out: &FuzzOutcome) {
    let sent = call.sent();
    match &out.answer {
        Ok(Answer::Match) => {
            assert!(
                !matches!(call, Call::OcrFront | Call::OcrBack | Call::Deposit),
                "{call:?}: a plain match"
            );
        }
        Ok(Answer::Mismatch(factors)) => {
            assert!(!factors.is_empty(), "{call:?}: a mismatch naming nothing");
            let mut unique = factors.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), factors.len(), "{call:?}: {factors:?} twice");
            for f in factors {
                assert!(call.factors().contains(f), "{call:?}: blames {f:?}");
            }
        }
        Ok(Answer::Read(_)) => {
            assert!(
                matches!(call, Call::OcrFront | Call::OcrBack),
                "{call:?}: Read"
            );
        }
        Ok(Answer::DepositSent { transfer_id }) => {
            assert_eq!(call, Call::Deposit, "DepositSent");
            assert!(
                !transfer_id.is_empty(),
                "a deposit sent without a transfer id"
            );
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    ProviderError::Unavailable(_) | ProviderError::Refused { .. }
                ),
                "{call:?}: {e:?}"
            );
            let shown = format!("{e} {e:?}");
            for value in &sent {
                assert!(
                    !shown.contains(value),
                    "{call:?}: the error carries the value {value:?} that was sent: {shown}"
                );
            }
        }
    }
    if (500..600).contains(&status) {
        assert!(
            matches!(out.answer, Err(ProviderError::Unavailable(_))),
            "{call:?}: HTTP {status} came to {:?}",
            out.answer
        );
    }
    if !(200..300).contains(&status) {
        assert!(
            matches!(out.answer, Err(_) | Ok(Answer::Mismatch(_))),
            "{call:?}: HTTP {status} came to {:?}",
            out.answer
        );
    }
    // What was called: the fuzzed call, and the other call of the check only when it may be sent.
    let action = call.action();
    let n = out.calls.len();
    assert!(out.calls.iter().all(|a| *a == action), "{:?}", out.calls);
    match call {
        Call::Face => {
            let stops = match &out.answer {
                Err(_) => true,
                Ok(Answer::Mismatch(f)) => f
                    .iter()
                    .any(|f| matches!(f, Factor::Name | Factor::DocumentNumber)),
                Ok(_) => false,
            };
            assert_eq!(n, if stops { 1 } else { 2 }, "{call:?}: {out:?}");
        }
        Call::OcrFront => match &out.answer {
            Err(_) => assert_eq!(n, 1, "the back sent after an error on the front"),
            Ok(Answer::Read(_)) => assert_eq!(n, 2),
            _ => assert!((1..=2).contains(&n)),
        },
        Call::DocumentPhoto | Call::OcrBack => assert_eq!(n, 2),
        _ => assert_eq!(n, 1),
    }
}

/// The body with every value the oracle does not read changed: strings (keeping empty ones empty),
/// numbers and booleans. `Result`, `RequestId`, `Error.Code`, `Error.Message` and `Sim` are kept.
fn alter(v: &Value, path: &mut Vec<String>) -> Value {
    const KEPT: [&[&str]; 5] = [
        &["Response", "Result"],
        &["Response", "RequestId"],
        &["Response", "Sim"],
        &["Response", "Error", "Code"],
        &["Response", "Error", "Message"],
    ];
    if KEPT.iter().any(|k| k.iter().eq(path.iter())) {
        return v.clone();
    }
    match v {
        Value::String(s) => Value::String(match s.as_str() {
            "" => String::new(),
            "~" => "~~".to_owned(),
            _ => "~".to_owned(),
        }),
        Value::Number(n) => Value::Number(Number::from(u8::from(n.as_f64() == Some(0.0)))),
        Value::Bool(b) => Value::Bool(!b),
        Value::Null => Value::Null,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| {
                    path.push("[]".to_owned());
                    let altered = alter(item, path);
                    path.pop();
                    altered
                })
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, item)| {
                    path.push(k.clone());
                    let altered = alter(item, path);
                    path.pop();
                    (k.clone(), altered)
                })
                .collect(),
        ),
    }
}

/// Whether `body` is one JSON value (RFC 8259), surrounded by whitespace only. Lenient where a
/// parser may be (any byte other than `"`, `\\` inside strings, no depth limit, any number size),
/// so that what it refuses no JSON parser accepts.
fn is_json(body: &[u8]) -> bool {
    fn ws(b: &[u8], mut i: usize) -> usize {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }
    fn digits(b: &[u8], mut i: usize) -> (usize, usize) {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - start)
    }
    fn string(b: &[u8], mut i: usize) -> Option<usize> {
        // b[i] is the opening quote.
        i += 1;
        loop {
            match *b.get(i)? {
                b'"' => return Some(i + 1),
                b'\\' => match *b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = b.get(i + 2..i + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                },
                _ => i += 1,
            }
        }
    }
    fn value(b: &[u8], i: usize) -> Option<usize> {
        let i = ws(b, i);
        match *b.get(i)? {
            b'{' => {
                let mut i = ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    return Some(i + 1);
                }
                loop {
                    if b.get(i) != Some(&b'"') {
                        return None;
                    }
                    i = ws(b, string(b, i)?);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i = ws(b, value(b, i + 1)?);
                    match *b.get(i)? {
                        b',' => i = ws(b, i + 1),
                        b'}' => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let mut i = ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    return Some(i + 1);
                }
                loop {
                    i = ws(b, value(b, i)?);
                    match *b.get(i)? {
                        b',' => i += 1,
                        b']' => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'"' => string(b, i),
            b't' => b[i..].starts_with(b"true").then_some(i + 4),
            b'f' => b[i..].starts_with(b"false").then_some(i + 5),
            b'n' => b[i..].starts_with(b"null").then_some(i + 4),
            b'-' | b'0'..=b'9' => {
                let mut i = i + usize::from(b[i] == b'-');
                match b.get(i) {
                    Some(b'0') => i += 1,
                    Some(b'1'..=b'9') => i = digits(b, i).0,
                    _ => return None,
                }
                if b.get(i) == Some(&b'.') {
                    let (end, n) = digits(b, i + 1);
                    if n == 0 {
                        return None;
                    }
                    i = end;
                }
                if matches!(b.get(i), Some(b'e' | b'E')) {
                    i += 1;
                    if matches!(b.get(i), Some(b'+' | b'-')) {
                        i += 1;
                    }
                    let (end, n) = digits(b, i);
                    if n == 0 {
                        return None;
                    }
                    i = end;
                }
                Some(i)
            }
            _ => None,
        }
    }
    value(body, 0).is_some_and(|end| ws(body, end) == body.len())
}

/// Two outcomes that must be the same but for the text of a reading or a transfer id.
fn same_but_values(a: &FuzzOutcome, b: &FuzzOutcome) -> bool {
    a.calls == b.calls
        && match (&a.answer, &b.answer) {
            (Ok(Answer::Read(_)), Ok(Answer::Read(_))) => true,
            (Ok(Answer::DepositSent { .. }), Ok(Answer::DepositSent { .. })) => true,
            (x, y) => x == y,
        }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<4>() else {
        return;
    };
    let call = Call::of(head[0]);
    let status = status_of(&[head[1], head[2], head[3]]);
    let index = head[0] % 8;

    let out = fuzz_reply(index, status, body);
    assert_eq!(fuzz_reply(index, status, body), out, "not deterministic");
    check_shape(call, status, &out);

    // The answer to a body that cannot be the provider's.
    let unreadable = fuzz_reply(index, status, b"");
    assert!(matches!(
        unreadable.answer,
        Err(ProviderError::Unavailable(_))
    ));

    if !is_json(body) {
        assert_eq!(out, unreadable, "a body that is not JSON, HTTP {status}");
        return;
    }
    // JSON. Numbers too large for a Value (1e999), or invalid UTF-8 in a string, are not checked
    // further.
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    // The same JSON written canonically (no duplicate keys, no escapes that need none) reads the
    // same, or the original was refused as unreadable (a duplicate field, say).
    let Ok(canonical) = serde_json::to_vec(&value) else {
        return;
    };
    if canonical.len() > MAX_RESPONSE_BYTES {
        return;
    }
    let out0 = fuzz_reply(index, status, &canonical);
    check_shape(call, status, &out0);
    assert!(
        out == out0 || out == unreadable,
        "{call:?}: the body and its canonical form differ: {out:?} / {out0:?}"
    );

    let Some(parsed) = parse(&value) else {
        return;
    };
    check_oracle(call, status, &parsed, &out0);

    let altered = alter(&value, &mut Vec::new());
    let Ok(altered) = serde_json::to_vec(&altered) else {
        return;
    };
    if altered.len() > MAX_RESPONSE_BYTES {
        return;
    }
    let out1 = fuzz_reply(index, status, &altered);
    assert!(
        same_but_values(&out0, &out1),
        "{call:?}: the answer depends on a field the documentation does not name: \
         {out0:?} / {out1:?}"
    );
});
