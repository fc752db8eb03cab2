//! The provider's side of the protocol: `POST /` with a signed JSON body, answered as Tencent Cloud
//! API 3.0 answers (HTTP 200, `{"Response": {..., "RequestId"}}`, or `{"Response": {"Error":
//! {"Code", "Message"}, "RequestId"}}`).
//!
//! Actions: faceid `PhoneVerification`, `BankCard4EVerification`, `ImageRecognition` (version
//! 2018-03-01) and ocr `IDCardOCR` (2018-11-19), with the documented parameters and result codes;
//! and two yinxin extensions in the same protocol (service faceid, version 2018-03-01), which
//! Tencent Cloud does not offer: `EnterpriseVerification` and `RemitVerificationDeposit` (see
//! docs/PROVIDERS.md). Unknown parameters are refused (`UnknownParameter`), as the provider does.

use base64::Engine as _;
use serde_json::{Map, Value, json};
use yinxin_domain::validate::{self, CivilDate};

use crate::dataset::{CardSide, image_key};
use crate::png::similarity;
use crate::{Deposit, Sim};

/// Version of the faceid actions (and of the yinxin extensions).
pub const FACEID_VERSION: &str = "2018-03-01";
/// Version of the ocr actions.
pub const OCR_VERSION: &str = "2018-11-19";
/// The similarity from which two faces are the same person (the documented recommendation: at 70
/// one false accept in a thousand).
pub const MATCH_THRESHOLD: f64 = 70.0;

/// The service and version an action belongs to.
pub fn action_api(action: &str) -> Option<(&'static str, &'static str)> {
    match action {
        "PhoneVerification"
        | "BankCard4EVerification"
        | "ImageRecognition"
        | "EnterpriseVerification"
        | "RemitVerificationDeposit" => Some(("faceid", FACEID_VERSION)),
        "IDCardOCR" => Some(("ocr", OCR_VERSION)),
        _ => None,
    }
}

/// An answer in the `Error` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Documented error code.
    pub code: &'static str,
    /// Message (never a value of the request).
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The business parameters of one call, with the names the action allows.
struct Params {
    map: Map<String, Value>,
}

impl Params {
    fn new(map: Map<String, Value>, allowed: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::new(
                "UnknownParameter",
                format!("The parameter `{unknown}` is not recognized."),
            ));
        }
        Ok(Self { map })
    }

    fn text(&self, name: &str) -> Result<&str, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Err(ApiError::new(
                "MissingParameter",
                format!("The request is missing a required parameter `{name}`."),
            )),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(ApiError::new(
                "InvalidParameter",
                format!("The parameter `{name}` must be a string."),
            )),
        }
    }

    fn optional_text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            _ => self.text(name).map(Some),
        }
    }

    fn integer(&self, name: &str) -> Result<i64, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Err(ApiError::new(
                "MissingParameter",
                format!("The request is missing a required parameter `{name}`."),
            )),
            Some(v) => v.as_i64().ok_or_else(|| {
                ApiError::new(
                    "InvalidParameter",
                    format!("The parameter `{name}` must be an integer."),
                )
            }),
        }
    }
}

fn today() -> CivilDate {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    CivilDate::from_unix_days(i64::try_from(days).unwrap_or(0))
}

fn valid_id_number(s: &str) -> bool {
    validate::resident_id(s, today()).is_ok_and(|id| id.number == s)
}

/// A name the authorities could hold: 1-30 Chinese characters, or `·` between them.
fn valid_name(s: &str) -> bool {
    let count = s.chars().count();
    (1..=30).contains(&count)
        && s.chars()
            .all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '·')
}

fn valid_mobile(s: &str) -> bool {
    validate::mainland_mobile(s).is_ok_and(|m| m == s)
}

/// The carrier of a mobile, as `PhoneVerification` names it in `Isp`.
fn isp(mobile: &str) -> &'static str {
    match mobile.get(..3).unwrap_or("") {
        "134" | "135" | "136" | "137" | "138" | "139" | "150" | "151" | "152" | "157" | "158"
        | "159" | "182" | "183" | "184" | "187" | "188" | "198" => "移动",
        "130" | "131" | "132" | "155" | "156" | "166" | "175" | "176" | "185" | "186" => "联通",
        "133" | "153" | "173" | "177" | "180" | "181" | "189" | "199" => "电信",
        _ => "",
    }
}

fn result(code: &str, description: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("Result".into(), code.into());
    m.insert("Description".into(), description.into());
    m
}

fn decode_image(b64: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Runs one action. `Ok` is the `Response` object without `RequestId`.
pub(crate) fn run(
    sim: &Sim,
    action: &str,
    body: Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    match action {
        "PhoneVerification" => {
            phone_verification(sim, Params::new(body, &["IdCard", "Name", "Phone"])?)
        }
        "BankCard4EVerification" => bank_card_4e(
            sim,
            Params::new(body, &["Name", "BankCard", "Phone", "IdCard", "CertType"])?,
        ),
        "ImageRecognition" => image_recognition(
            sim,
            Params::new(body, &["IdCard", "Name", "ImageBase64", "Optional"])?,
        ),
        "IDCardOCR" => id_card_ocr(
            sim,
            Params::new(body, &["ImageBase64", "CardSide", "Config"])?,
        ),
        "EnterpriseVerification" => enterprise_verification(
            sim,
            Params::new(
                body,
                &[
                    "EnterpriseName",
                    "CreditCode",
                    "LegalRepName",
                    "LegalRepIdCard",
                ],
            )?,
        ),
        "RemitVerificationDeposit" => remit_deposit(
            sim,
            Params::new(
                body,
                &["AccountName", "AccountNumber", "AmountFen", "Reference"],
            )?,
        ),
        _ => Err(ApiError::new(
            "InvalidAction",
            "The requested action does not exist.",
        )),
    }
}

/// `PhoneVerification`: name + ID number + mobile against the carrier's real-name record.
fn phone_verification(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let (id, name, phone) = (p.text("IdCard")?, p.text("Name")?, p.text("Phone")?);
    let mut out = if !valid_mobile(phone) {
        result("-6", "手机号码不合法")
    } else if !valid_id_number(id) {
        result("-7", "身份证号码有误")
    } else if !valid_name(name) {
        result("-8", "姓名校验不通过")
    } else {
        match sim.records.subscribers.get(phone) {
            None => result("-9", "没有记录"),
            Some(s) if s.name == name && s.id_number == id => result("0", "认证通过"),
            Some(_) => result("-4", "信息不一致"),
        }
    };
    out.insert("Isp".into(), isp(phone).into());
    Ok(out)
}

/// `BankCard4EVerification`: name + ID number + card + reserved mobile against the bank's record.
fn bank_card_4e(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let (name, card, phone, id) = (
        p.text("Name")?,
        p.text("BankCard")?,
        p.text("Phone")?,
        p.text("IdCard")?,
    );
    if p.map.get("CertType").is_some_and(|t| t.as_i64() != Some(0)) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "CertType: only 0 (resident identity card) is supported.",
        ));
    }
    Ok(if !valid_name(name) {
        result("-2", "姓名校验不通过")
    } else if !valid_id_number(id) {
        result("-3", "身份证号码有误")
    } else if validate::bank_card_number(card).map_or(true, |c| c != card) {
        result("-4", "银行卡号码有误")
    } else if !valid_mobile(phone) {
        result("-5", "手机号码不合法")
    } else {
        match sim.records.cards.get(card) {
            None => result("-9", "无效卡号"),
            Some(c) if c.name == name && c.id_number == id && c.reserved_mobile == phone => {
                result("0", "认证通过")
            }
            Some(_) => result("-6", "持卡人信息有误"),
        }
    })
}

/// `ImageRecognition`: a photo compared with the authoritative photo of (name, ID number).
fn image_recognition(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let (id, name, image) = (p.text("IdCard")?, p.text("Name")?, p.text("ImageBase64")?);
    let failed = |code: &str, description: &str| {
        let mut m = result(code, description);
        m.insert("Sim".into(), json!(0));
        m
    };
    if !valid_id_number(id) {
        return Ok(failed(
            "FailedOperation.IdFormatError",
            "输入的身份证号有误。",
        ));
    }
    if !valid_name(name) {
        return Ok(failed(
            "FailedOperation.NameFormatError",
            "输入的姓名有误。",
        ));
    }
    let Some(citizen) = sim.records.citizens.get(id) else {
        return Ok(failed(
            "FailedOperation.IdNoExistSystem",
            "库中无此号，请到户籍所在地进行核实。",
        ));
    };
    if citizen.name != name {
        return Ok(failed(
            "FailedOperation.IdNameMisMatch",
            "姓名和身份证号不一致，请核实后重试。",
        ));
    }
    let Some(bytes) = decode_image(image) else {
        return Ok(failed(
            "FailedOperation.ImageDecodeFailed",
            "图片解码失败。",
        ));
    };
    let sim_value = similarity(&bytes, &citizen.photo);
    let mut out = if sim_value >= MATCH_THRESHOLD {
        result("Success", "成功")
    } else {
        result(
            "FailedOperation.CompareLowSimilarity",
            "比对相似度未达到通过标准。",
        )
    };
    out.insert("Sim".into(), json!(sim_value));
    Ok(out)
}

/// `IDCardOCR`: the fields printed on one face of a card (errors in the `Error` object).
fn id_card_ocr(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let image = p.text("ImageBase64")?;
    let side = match p.optional_text("CardSide")? {
        None => None,
        Some("FRONT") => Some(CardSide::Front),
        Some("BACK") => Some(CardSide::Back),
        Some(_) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                "CardSide must be FRONT or BACK.",
            ));
        }
    };
    let bytes = decode_image(image)
        .ok_or_else(|| ApiError::new("FailedOperation.ImageDecodeFailed", "图片解码失败。"))?;
    let record = sim
        .records
        .card_images
        .get(&image_key(&bytes))
        .ok_or_else(|| ApiError::new("FailedOperation.ImageNoIdCard", "图片中未检测到身份证。"))?;
    if side.is_some_and(|s| s != record.side) {
        return Err(ApiError::new(
            "FailedOperation.OcrFailed",
            "OCR识别失败：图片不是所请求的身份证面。",
        ));
    }
    let person = sim
        .dataset
        .person(record.person)
        .ok_or_else(|| ApiError::new("InternalError", "内部错误。"))?;
    let front = record.side == CardSide::Front;
    let pick = |on_front: bool, value: &str| -> Value {
        if on_front == front {
            value.into()
        } else {
            "".into()
        }
    };
    let mut out = Map::new();
    out.insert("Name".into(), pick(true, &person.name));
    out.insert("Sex".into(), pick(true, person.sex));
    out.insert("Nation".into(), pick(true, person.ethnicity));
    out.insert("Birth".into(), pick(true, &person.birth));
    out.insert("Address".into(), pick(true, &person.address));
    out.insert("IdNum".into(), pick(true, &person.id_number));
    out.insert("Authority".into(), pick(false, &person.authority));
    out.insert("ValidDate".into(), pick(false, &person.valid_date));
    out.insert("AdvancedInfo".into(), "{}".into());
    Ok(out)
}

/// yinxin extension `EnterpriseVerification`: name + USCC + legal representative against the
/// enterprise registry.
fn enterprise_verification(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let (name, code, rep_name, rep_id) = (
        p.text("EnterpriseName")?,
        p.text("CreditCode")?,
        p.text("LegalRepName")?,
        p.text("LegalRepIdCard")?,
    );
    Ok(match sim.records.registry.get(code) {
        None => result("-2", "统一社会信用代码不存在"),
        Some(r) if r.name != name => result("-1", "企业名称不一致"),
        Some(r) if r.legal_rep_name != rep_name => result("-3", "法定代表人姓名不一致"),
        Some(r) if r.legal_rep_id_number != rep_id => result("-4", "法定代表人身份证号不一致"),
        Some(_) => result("0", "一致"),
    })
}

/// yinxin extension `RemitVerificationDeposit`: send a small deposit to a corporate account.
/// Idempotent in `Reference`: the same reference for the same account and amount answers the
/// first transfer again and sends nothing more.
fn remit_deposit(sim: &Sim, p: Params) -> Result<Map<String, Value>, ApiError> {
    let (account_name, account_number, amount, reference) = (
        p.text("AccountName")?,
        p.text("AccountNumber")?,
        p.integer("AmountFen")?,
        p.text("Reference")?,
    );
    let amount_fen = u32::try_from(amount)
        .ok()
        .filter(|a| (1..=99).contains(a))
        .ok_or_else(|| ApiError::new("InvalidParameterValue", "AmountFen must be 1 to 99."))?;
    if reference.is_empty()
        || reference.len() > 64
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "Reference must be 1 to 64 letters, digits, '-' or '_'.",
        ));
    }
    let mut out = match sim.records.accounts.get(account_number) {
        None => result("-1", "账户不存在"),
        Some(holder) if holder != account_name => result("-2", "户名不一致"),
        Some(_) => {
            let mut deposits = sim.deposits.lock().unwrap_or_else(|e| e.into_inner());
            let transfer_id = match deposits.iter().find(|d| d.reference == reference) {
                Some(d) if d.account_number == account_number && d.amount_fen == amount_fen => {
                    d.transfer_id.clone()
                }
                Some(_) => {
                    return Err(ApiError::new(
                        "InvalidParameterValue",
                        "Reference was already used for another transfer.",
                    ));
                }
                None => {
                    let transfer_id = sim.transfer_id(reference);
                    deposits.push(Deposit {
                        reference: reference.to_owned(),
                        account_number: account_number.to_owned(),
                        amount_fen,
                        transfer_id: transfer_id.clone(),
                    });
                    transfer_id
                }
            };
            let mut m = result("0", "已汇出");
            m.insert("TransferId".into(), transfer_id.into());
            return Ok(m);
        }
    };
    out.insert("TransferId".into(), "".into());
    Ok(out)
}
