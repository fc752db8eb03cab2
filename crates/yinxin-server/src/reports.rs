//! Evidence reports (出证; issue 7 item 4, EVID-2): a PDF a court, an arbitrator or the parties
//! can read, stating what the service recorded about an envelope or a certificate, with the
//! machine-readable evidence attached, signed and timestamped by the service.
//!
//! - `GET /api/v1/envelopes/{id}/evidence-report?lang=zh-CN|en` — for the envelope's owner and
//!   its signers (anyone else: `404`, as for the envelope). It states the envelope and its
//!   signers; every version of the document with its SHA-256 and SM3; each signature — the
//!   certificate as it is in the signed PDF, when it was made and timestamped, the identity
//!   checks of the signer (and, for a seal, of the enterprise) that stood then (method,
//!   assurance, time: never a number or a name from the check), the confirmation of intent
//!   (method, when, the digest it bound) or the seal authorization, and the verification of the
//!   final PDF; the audit trail; and the evidence log entry of each signature.
//! - `GET /api/v1/certificates/{serial}/evidence-report?lang=…` — for the holder: the
//!   certificate, the identity check it was issued on, its revocation, its log entries.
//!
//! Attached (PDF associated files): each entry's proof bundle (`*.proof.json`, checked offline by
//! `yinxin verify proof FILE --key VKEY`), `evidence.json` (every bundle with the salt that opens
//! its commitments: the record can be shown to match its leaf, docs/LEDGER.md), and for a
//! certificate its DER. The report is set by [`yinxin_sign::report`] and signed with the
//! service's evidence-report certificate (`ProfileKind::EvidenceSigning`, one per issuing CA,
//! docs/CA.md) at PAdES B-LTA: signature timestamp, /DSS with the chain and the CRL, document
//! timestamp. A signature whose entry is not yet under a signed checkpoint makes the request
//! `409` (ask again in a few seconds): a report never leaves a proof out.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yinxin_crypto::KeyAlgorithm;
use yinxin_domain::envelope::{Envelope, EnvelopeEventKind, EnvelopeState};
use yinxin_domain::signing::{DocumentRecord, IntentDigest, IntentRecord, SignatureRecord, to_hex};
use yinxin_domain::verification::{OutcomeKind, VerificationRecord};
use yinxin_domain::{AccountId, DomainError, ErrorCode};
use yinxin_ledger::bundle::{Bundle, ProofReport};
use yinxin_ledger::note::NoteVerifier;
use yinxin_pki::cms::DigestAlgorithm;
use yinxin_sign::chain::rfc3339_unix;
use yinxin_sign::pades::Appearance;
use yinxin_sign::report::{Attachment, Block, Report, render};

use crate::AppState;
use crate::certificates::{ca, normalize_serial};
use crate::documents::{PadesJob, PadesLevel, run_pades, tsa_for};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Caller;
use crate::log::{RecordEvidence, record_evidence, the_log};
use crate::verify::SignatureView;

/// The routes.
pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(envelope_report))
        .routes(routes!(certificate_report))
}

/// The report's language.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

impl Lang {
    fn of(q: &ReportQuery) -> Result<Self, ApiError> {
        match q.lang.as_deref() {
            None | Some("zh-CN" | "zh") => Ok(Self::Zh),
            Some("en") => Ok(Self::En),
            Some(_) => Err(DomainError::invalid("lang", "zh-CN or en").into()),
        }
    }

    fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    fn tag(self) -> &'static str {
        self.t("zh-CN", "en")
    }

    /// A time as the reader reads it: Beijing time in Chinese, UTC in English (the report says
    /// which once, in its introduction).
    fn time(self, unix: i64) -> String {
        let shifted = match self {
            Self::Zh => unix.saturating_add(8 * 3600),
            Self::En => unix,
        };
        rfc3339_unix(shifted)
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_owned()
    }

    /// An RFC 3339 UTC time from a certificate or a token (`2026-12-03T09:00:50Z`) the same
    /// way; anything else as it is.
    fn time_text(self, rfc3339: &str) -> String {
        parse_utc(rfc3339).map_or_else(|| rfc3339.to_owned(), |t| self.time(t))
    }

    fn time_ms(self, ms: i64) -> String {
        self.time(ms.div_euclid(1000))
    }
}

/// Unix seconds of `YYYY-MM-DDTHH:MM:SSZ` (days from the civil date, proleptic Gregorian).
fn parse_utc(s: &str) -> Option<i64> {
    let at = |i: usize, c: &str| s.get(i..=i) == Some(c);
    if s.len() != 20 || !(at(4, "-") && at(7, "-") && at(10, "T") && at(19, "Z")) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A report being written: its blocks, and the evidence attached as it is stated.
struct Doc {
    lang: Lang,
    blocks: Vec<Block>,
    attachments: Vec<Attachment>,
    evidence: Vec<RecordEvidence>,
}

impl Doc {
    fn new(lang: Lang, zh: &'static str, en: &'static str) -> Self {
        Self {
            lang,
            blocks: vec![Block::Title(lang.t(zh, en).into())],
            attachments: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// States a record's log entry and attaches its proof bundle.
    fn entry(&mut self, (e, proof): (RecordEvidence, ProofReport)) -> Result<(), ApiError> {
        let a = proof_attachment(self.lang, &e)?;
        write_entry(self, &a.name, &proof);
        self.attachments.push(a);
        self.evidence.push(e);
        Ok(())
    }

    /// The report, with `evidence.json` attached, titled `zh`/`en`, its footer naming `subject`.
    fn finish(
        mut self,
        zh: &'static str,
        en: &'static str,
        subject: &str,
    ) -> Result<Report, ApiError> {
        let lang = self.lang;
        self.attachments
            .insert(0, evidence_attachment(lang, &self.evidence)?);
        Ok(Report {
            title: lang.t(zh, en).into(),
            language: lang.tag().into(),
            blocks: self.blocks,
            attachments: self.attachments,
            footer: footer(lang, subject),
            page_label: page_label(lang),
            created: std::time::SystemTime::now(),
        })
    }

    fn heading(&mut self, zh: &'static str, en: &'static str) {
        self.blocks.push(Block::Heading(self.lang.t(zh, en).into()));
    }

    fn field(&mut self, zh: &'static str, en: &'static str, value: impl Into<String>) {
        self.blocks.push(Block::Field {
            label: self.lang.t(zh, en).into(),
            value: value.into(),
        });
    }

    fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }

    fn mono(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Mono(text.into()));
    }

    fn yes(&self, b: bool) -> String {
        self.lang
            .t(if b { "是" } else { "否" }, if b { "yes" } else { "no" })
            .into()
    }
}

fn method_name(lang: Lang, m: yinxin_domain::verification::Method) -> &'static str {
    use yinxin_domain::verification::Method::*;
    match m {
        Carrier => lang.t(
            "运营商实名核验（姓名、身份证号、手机号）",
            "carrier real-name check (name, ID number, mobile)",
        ),
        BankCard => lang.t(
            "银行卡核验（姓名、身份证号、银行卡号、预留手机号）",
            "bank card check (name, ID number, card, reserved mobile)",
        ),
        Face => lang.t(
            "人脸比对（与权威库照片比对）",
            "face comparison with the authoritative photo",
        ),
        IdCardCapture => lang.t("身份证识读", "ID card capture"),
        Enterprise => lang.t(
            "企业信息核验（名称、统一社会信用代码、法定代表人）",
            "enterprise information check (name, USCC, legal representative)",
        ),
        EnterpriseAccount => lang.t(
            "对公账户打款核验",
            "corporate account check by a small deposit",
        ),
    }
}

/// The identity check of `subject` that stood at `at`: the newest match at or before it.
async fn check_at(
    state: &AppState,
    subject: AccountId,
    at: i64,
) -> Result<Option<VerificationRecord>, ApiError> {
    let history = state.verifications.history(subject).await?;
    Ok(history
        .records
        .into_iter()
        .find(|r| r.outcome == OutcomeKind::Match && r.at <= at))
}

fn write_check(
    d: &mut Doc,
    zh: &'static str,
    en: &'static str,
    check: Option<&VerificationRecord>,
) {
    let lang = d.lang;
    let value = match check {
        Some(r) => format!(
            "{}; {} {}; {}",
            method_name(lang, r.method),
            lang.t("保证级别", "assurance"),
            r.assurance.map(|a| a.as_str()).unwrap_or("-"),
            lang.time(r.at)
        ),
        None => lang.t("无记录", "none recorded").into(),
    };
    d.field(zh, en, value);
}

fn digest_line(alg: IntentDigest, digest: &[u8]) -> String {
    format!("{}: {}", alg.as_str().to_uppercase(), to_hex(digest))
}

/// Each signature's (or seal's) evidence, ready to attach; `409` while one is not yet under a
/// signed checkpoint.
async fn evidence_of(
    state: &AppState,
    kind: &str,
    id: &str,
) -> Result<(RecordEvidence, ProofReport), ApiError> {
    let log = the_log(state)?;
    let e = record_evidence(state, kind, id).await.map_err(|e| {
        if e.code() == ErrorCode::NotFound {
            ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "evidence: the log entry of {kind} {id} is not yet under a signed \
                     checkpoint; ask for the report again in a few seconds"
                ),
            )
        } else {
            e
        }
    })?;
    let verifier = NoteVerifier::parse(&log.vkey())
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("log key: {e}")))?;
    let text = serde_json::to_vec(&e.bundle)
        .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
    let report = Bundle::parse(&text)
        .and_then(|(_, proof)| proof.verify(&verifier))
        .map_err(|err| {
            ApiError::internal(
                ErrorCode::Internal,
                format!("evidence of {kind} {id} does not verify: {err}"),
            )
        })?;
    Ok((e, report))
}

fn write_entry(d: &mut Doc, file: &str, p: &ProofReport) {
    let lang = d.lang;
    d.field(
        "证据日志",
        "Evidence log",
        format!(
            "{} {}, {} {} ({}), {} {}",
            lang.t("条目", "entry"),
            p.index,
            lang.t("检查点", "checkpoint of"),
            p.checkpoint.size,
            p.checkpoint.origin,
            lang.t("附件", "attachment"),
            file
        ),
    );
    d.field("条目时间", "Entry time", lang.time_ms(p.entry.time_ms));
    d.mono(format!(
        "{} {}",
        lang.t("叶哈希", "leaf hash"),
        to_hex(&p.leaf_hash)
    ));
}

fn proof_attachment(lang: Lang, e: &RecordEvidence) -> Result<Attachment, ApiError> {
    let data = serde_json::to_vec_pretty(&e.bundle)
        .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
    Ok(Attachment {
        name: format!("{}-{}.proof.json", e.kind, safe_name(&e.record_id)),
        description: format!(
            "{} {} {}",
            lang.t("证据日志包含证明", "Evidence log proof bundle of"),
            e.kind,
            e.record_id
        ),
        mime: "application/json".into(),
        data,
    })
}

fn safe_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `evidence.json`: every record's evidence with its salt.
fn evidence_attachment(lang: Lang, items: &[RecordEvidence]) -> Result<Attachment, ApiError> {
    #[derive(Serialize)]
    struct EvidenceFile<'a> {
        format: &'static str,
        records: &'a [RecordEvidence],
    }
    let data = serde_json::to_vec_pretty(&EvidenceFile {
        format: "yinxin-evidence-v1",
        records: items,
    })
    .map_err(|e| ApiError::internal(ErrorCode::Internal, e.to_string()))?;
    Ok(Attachment {
        name: "evidence.json".into(),
        description: lang
            .t(
                "全部证据：每条记录的包含证明及打开其承诺的盐值",
                "All evidence: each record's proof bundle and the salt that opens its commitments",
            )
            .into(),
        mime: "application/json".into(),
        data,
    })
}

fn intro(d: &mut Doc, what: &str, at: i64) {
    let lang = d.lang;
    d.para(match lang {
        Lang::Zh => format!(
            "本报告由印信电子认证服务依其记录生成，陈述{what}的相关事实。报告由本服务的出证证书签名，\
             并加盖时间戳（PAdES B-LTA），任何修改都会使签名失效。文中时间均为北京时间（UTC+8）。所附证据包可离线核验：\
             `yinxin verify proof 文件 --key 日志公钥` 验证条目包含于已签名的日志检查点，\
             evidence.json 中的盐值可打开条目对记录的承诺。生成时间：{}。",
            lang.time(at)
        ),
        Lang::En => format!(
            "This report was generated by the yinxin electronic certification service from its \
             records and states the facts recorded about {what}. It is signed with the \
             service's evidence-report certificate and timestamped (PAdES B-LTA): any change \
             invalidates the signature. All times are UTC. The attached proof bundles can be checked offline: \
             `yinxin verify proof FILE --key LOG_KEY` shows each entry is included under a \
             signed checkpoint of the log, and the salts in evidence.json open the entries' \
             commitments to the records. Generated {}.",
            lang.time(at)
        ),
    });
}

fn state_name(lang: Lang, s: EnvelopeState) -> &'static str {
    match s {
        EnvelopeState::Sent => lang.t("签署中", "out for signature"),
        EnvelopeState::Completed => lang.t("已完成", "completed"),
        EnvelopeState::Declined => lang.t("已拒签", "declined"),
        EnvelopeState::Expired => lang.t("已过期", "expired"),
        EnvelopeState::Cancelled => lang.t("已撤销", "cancelled"),
    }
}

fn event_name(lang: Lang, k: EnvelopeEventKind) -> &'static str {
    match k {
        EnvelopeEventKind::Sent => lang.t("发起", "sent"),
        EnvelopeEventKind::Notified => lang.t("通知签署方", "signer notified"),
        EnvelopeEventKind::Viewed => lang.t("查看文件", "document viewed"),
        EnvelopeEventKind::IntentConfirmed => lang.t("确认签署意愿", "intent confirmed"),
        EnvelopeEventKind::Signed => lang.t("签署", "signed"),
        EnvelopeEventKind::Declined => lang.t("拒签", "declined"),
        EnvelopeEventKind::Cancelled => lang.t("撤销", "cancelled"),
        EnvelopeEventKind::Expired => lang.t("过期", "expired"),
        EnvelopeEventKind::Completed => lang.t("全部签署完成", "completed"),
    }
}

/// Who a party is in the report: the owner, or a signer by position (no account ids, names or
/// numbers: the certificate states who signed).
fn party(lang: Lang, e: &Envelope, account: Option<AccountId>, position: Option<u32>) -> String {
    match (position, account) {
        (Some(p), _) => format!("{} {}", lang.t("签署方", "signer"), p + 1),
        (None, Some(a)) if a == e.owner => lang.t("发起方", "sender").into(),
        (None, Some(_)) => lang.t("其他参与方", "another party").into(),
        (None, None) => lang.t("系统", "the service").into(),
    }
}

fn version_name(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Zh => format!("第 {n} 版"),
        Lang::En => format!("version {n}"),
    }
}

fn write_version(d: &mut Doc, n: usize, v: &DocumentRecord) {
    let lang = d.lang;
    d.field(
        "版本",
        "Version",
        format!(
            "{} ({}), {} {}, {} {}, {}",
            version_name(lang, n),
            v.id,
            v.size,
            lang.t("字节", "bytes"),
            v.pages,
            lang.t("页", "pages"),
            lang.time(v.created_at)
        ),
    );
    d.mono(format!("SHA-256 {}", to_hex(&v.sha256)));
    d.mono(format!("SM3     {}", to_hex(&v.sm3)));
}

fn write_verification(d: &mut Doc, v: &SignatureView) {
    let lang = d.lang;
    if let Some(s) = &v.signer {
        d.field("证书主体", "Certificate subject", s.subject.clone());
        d.field("颁发者", "Issuer", s.issuer.clone());
        d.field("证书序列号", "Serial", s.serial.clone());
        d.field(
            "有效期",
            "Validity",
            format!(
                "{} — {}",
                lang.time_text(&s.not_before),
                lang.time_text(&s.not_after)
            ),
        );
        d.mono(format!(
            "{} SHA-256 {}",
            lang.t("证书指纹", "fingerprint"),
            s.fingerprint
        ));
    }
    d.field(
        "签名完整",
        "Integrity",
        match &v.problem {
            Some(p) if !v.integrity => format!("{} ({p})", d.yes(false)),
            _ => d.yes(v.integrity),
        },
    );
    d.field(
        "证书链",
        "Chain",
        match (&v.chain.root, v.chain.trusted) {
            (Some(root), true) => format!("{} {root}", lang.t("可信，至根证书", "trusted, to")),
            _ => format!(
                "{} {}",
                lang.t("不可信", "not trusted"),
                v.chain.problem.clone().unwrap_or_default()
            ),
        },
    );
    d.field(
        "签署时吊销状态",
        "Revocation at signing",
        v.revocation.at_signing_time.clone(),
    );
    if let Some(t) = &v.timestamp {
        d.field(
            "时间戳",
            "Timestamp",
            format!(
                "{} ({}; {} {})",
                t.time
                    .as_deref()
                    .map(|t| lang.time_text(t))
                    .unwrap_or_default(),
                t.tsa.clone().unwrap_or_default(),
                lang.t("有效", "valid"),
                d.yes(t.valid)
            ),
        );
    }
    d.field(
        "PAdES 级别",
        "PAdES level",
        v.level.clone().unwrap_or_else(|| "-".into()),
    );
}

fn write_intent(d: &mut Doc, r: &SignatureRecord, intent: Option<&IntentRecord>) {
    let lang = d.lang;
    match intent {
        Some(i) => {
            let method = match i.method {
                yinxin_domain::signing::IntentMethod::Sms => lang.t(
                    "短信验证码（发至实名手机号）",
                    "SMS code to the real-name mobile",
                ),
                yinxin_domain::signing::IntentMethod::Passkey => lang.t(
                    "通行密钥（WebAuthn，已验证用户）",
                    "passkey (WebAuthn, user verified)",
                ),
            };
            d.field(
                "意愿认证",
                "Intent confirmed",
                format!(
                    "{method}; {}",
                    i.confirmed_at.map(|t| lang.time(t)).unwrap_or_default()
                ),
            );
            d.mono(format!(
                "{} {}",
                lang.t("意愿绑定摘要", "intent bound to"),
                digest_line(i.digest_algorithm, &i.digest)
            ));
        }
        None => d.field(
            "意愿认证",
            "Intent confirmed",
            format!(
                "{} {}",
                lang.t(
                    "无（依企业自动签章授权加盖）：",
                    "none (applied under the enterprise's automatic-sealing authorization)",
                ),
                r.seal_authorization.clone().unwrap_or_default()
            ),
        ),
    }
}

fn footer(lang: Lang, what: &str) -> String {
    format!(
        "{} — {what}",
        lang.t("印信 电子认证服务 出证报告", "yinxin evidence report")
    )
}

fn page_label(lang: Lang) -> String {
    lang.t("第 {n} 页，共 {N} 页", "page {n} of {N}").into()
}

/// Typesets `report`, signs it with the service's evidence-report certificate and timestamps it
/// (B-LTA), and answers it as `application/pdf`.
async fn signed_report(state: &AppState, report: Report, file: &str) -> Result<Response, ApiError> {
    let ca = ca(state)?;
    let font = state.fonts.report().map_err(|e| {
        ApiError::internal(ErrorCode::ProviderUnavailable, format!("report font: {e}"))
    })?;
    let pdf = crate::verify::blocking(move || render(&report, &font))
        .await?
        .map_err(|e| ApiError::internal(ErrorCode::Internal, format!("report: {e}")))?;
    // P-256 first: what every PDF reader verifies; SM2 when the service has only that.
    let mut signer = None;
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Sm2]
        .into_iter()
        .chain(ca.algorithms())
    {
        if let Ok(s) = ca.evidence_signer(alg).await {
            signer = Some((alg, s));
            break;
        }
    }
    let (alg, s) = signer.ok_or_else(|| {
        ApiError::new(
            ErrorCode::ProviderUnavailable,
            "evidence report: the CA has no evidence-report certificate",
        )
    })?;
    let level = PadesLevel::BLta;
    let crl = ca.crl(&s.issuing_ca).await.map_err(ApiError::from)?;
    let signed = run_pades(PadesJob {
        parent: pdf,
        page: 1,
        rect: [0.0; 4],
        appearance: Appearance::Invisible,
        reason: Some("yinxin evidence report (EVID-2)".into()),
        location: None,
        signer: s.signer,
        certificate: s.certificate_der,
        chain: s.chain,
        level,
        tsa: tsa_for(state, level)?,
        crls: vec![crl],
        ocsp_responses: Vec::new(),
        status_from: None,
        hash: DigestAlgorithm::for_key(alg),
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        signed,
    )
        .into_response())
}

/// An envelope's evidence report (出证报告), for its owner and its signers: a signed and
/// timestamped PDF with the proof bundles attached. Another account's envelope is `404`.
#[utoipa::path(get, path = "/api/v1/envelopes/{id}/evidence-report", tag = "signing",
    params(("id" = String, Path, description = "The envelope"), ReportQuery),
    responses(
        (status = 200, description = "The report, signed and timestamped (PAdES B-LTA)", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "lang is neither zh-CN nor en", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A signature's log entry is not yet under a signed checkpoint: ask again in a few seconds", body = ErrorBody),
        (status = 503, description = "The log, the CA or the TSA is not configured", body = ErrorBody)))]
async fn envelope_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(&q)?;
    let (e, events) = state.accounts.envelope_events(&caller.account, &id).await?;
    let facts = state.accounts.envelope_facts(&e, &events).await?;
    let (_, current) = state.accounts.envelope_document(&e).await?;
    let verification = crate::verify::verify_document(&state, current.to_vec()).await?;
    let at = crate::signing::unix_now();

    let mut d = Doc::new(
        lang,
        "电子签署出证报告",
        "Evidence Report: Electronic Signing",
    );
    intro(
        &mut d,
        &format!("{} {}", lang.t("签署流程", "envelope"), e.id),
        at,
    );

    d.heading("一、签署流程", "1. Envelope");
    d.field("流程编号", "Envelope", e.id.clone());
    d.field("状态", "State", state_name(lang, e.state_at(at)));
    d.field(
        "签署顺序",
        "Order",
        match e.order {
            yinxin_domain::envelope::EnvelopeOrder::Sequential => lang.t("依次签署", "sequential"),
            yinxin_domain::envelope::EnvelopeOrder::Parallel => lang.t("无序签署", "parallel"),
        },
    );
    d.field("发起时间", "Sent", lang.time(e.created_at));
    d.field("截止时间", "Expires", lang.time(e.expires_at));
    if let Some(c) = e.closed_at {
        d.field("结束时间", "Closed", lang.time(c));
    }
    for s in &e.signers {
        let role = if s.enterprise.is_some() {
            lang.t(
                "企业（经办人加盖印章）",
                "enterprise (seal applied by its agent)",
            )
        } else {
            lang.t("个人", "person")
        };
        d.field(
            "签署方",
            "Signer",
            format!(
                "{} {}: {role}; {} {}/{}{}",
                lang.t("签署方", "signer"),
                s.position + 1,
                lang.t("已签", "signed"),
                s.signed_fields,
                s.fields.len(),
                if s.declined {
                    lang.t("；已拒签", "; declined")
                } else {
                    ""
                }
            ),
        );
    }

    d.heading("二、文件", "2. Document versions");
    d.para(lang.t(
        "第 1 版为发起时的文件，其后每次签署产生一个新版本（增量更新，不改动此前的字节）。",
        "Version 1 is the document as sent; each signature made a new version (an incremental \
         update that leaves the earlier bytes unchanged).",
    ));
    for (n, v) in facts.versions.iter().enumerate() {
        write_version(&mut d, n + 1, v);
    }

    d.heading("三、签署记录", "3. Signatures");
    let position_of = |sig: &SignatureRecord| {
        events
            .iter()
            .find(|ev| {
                ev.kind == EnvelopeEventKind::Signed && ev.reference.as_deref() == Some(&sig.id)
            })
            .and_then(|ev| ev.position)
    };
    // The PDF's signatures by certificate, in revision order: a certificate that signed twice
    // (two fields of one signer) has its signatures taken in the order they were made.
    let mut views: BTreeMap<String, std::collections::VecDeque<&SignatureView>> = BTreeMap::new();
    for v in verification
        .signatures
        .iter()
        .filter(|v| v.kind == "signature")
    {
        if let Some(s) = &v.signer {
            views.entry(s.serial.clone()).or_default().push_back(v);
        }
    }
    for (i, (sig, intent)) in facts.signatures.iter().enumerate() {
        d.blocks.push(Block::Heading(format!(
            "{} {} — {} {}",
            lang.t("签署", "Signature"),
            i + 1,
            lang.t("签署方", "signer"),
            position_of(sig)
                .map(|p| (p + 1).to_string())
                .unwrap_or_default()
        )));
        d.field("签名编号", "Signature id", sig.id.clone());
        d.field("签署时间", "Signed at", lang.time(sig.created_at));
        d.field(
            "方式",
            "Kind",
            if sig.seal.is_some() {
                lang.t("企业电子印章", "enterprise seal")
            } else {
                lang.t("个人电子签名", "personal signature")
            },
        );
        let person = check_at(&state, sig.account, sig.created_at).await?;
        write_check(
            &mut d,
            if sig.enterprise.is_some() {
                "经办人身份核验"
            } else {
                "身份核验"
            },
            if sig.enterprise.is_some() {
                "Agent's identity check"
            } else {
                "Identity check"
            },
            person.as_ref(),
        );
        if let Some(ent) = sig.enterprise {
            let check = check_at(&state, ent, sig.created_at).await?;
            write_check(
                &mut d,
                "企业身份核验",
                "Enterprise identity check",
                check.as_ref(),
            );
            d.field(
                "印章及授权",
                "Seal and authorization",
                format!(
                    "{} / {}",
                    sig.seal.clone().unwrap_or_default(),
                    sig.seal_authorization.clone().unwrap_or_default()
                ),
            );
        }
        write_intent(&mut d, sig, intent.as_ref());
        d.mono(format!(
            "{} {}",
            lang.t("签署前文件摘要", "signed over"),
            digest_line(sig.digest_algorithm, &sig.digest)
        ));
        if let Some(after) = sig
            .document
            .as_ref()
            .and_then(|id| facts.versions.iter().position(|v| &v.id == id))
        {
            d.field(
                "签署后版本",
                "Resulting version",
                version_name(lang, after + 1),
            );
        }
        match views
            .get_mut(&sig.certificate_serial)
            .and_then(std::collections::VecDeque::pop_front)
        {
            Some(v) => write_verification(&mut d, v),
            None => d.field(
                "验证",
                "Verification",
                lang.t(
                    "当前文件中未找到该证书的签名",
                    "no signature of this certificate in the current document",
                ),
            ),
        }
        d.entry(evidence_of(&state, "signature", &sig.id).await?)?;
    }
    if facts.signatures.is_empty() {
        d.para(lang.t("尚无签署。", "Nothing has been signed yet."));
    }
    for v in verification
        .signatures
        .iter()
        .filter(|v| v.kind == "document_timestamp")
    {
        d.field(
            "文档时间戳",
            "Document timestamp",
            v.timestamp
                .as_ref()
                .and_then(|t| t.time.as_deref())
                .map(|t| lang.time_text(t))
                .unwrap_or_default(),
        );
    }
    d.field(
        "当前文件验证",
        "Current document verifies",
        d.yes(verification.valid),
    );

    d.heading("四、过程记录", "4. Audit trail");
    for ev in &events {
        d.blocks.push(Block::Field {
            label: lang.time(ev.at),
            value: format!(
                "{}. {} — {}",
                ev.seq,
                event_name(lang, ev.kind),
                party(lang, &e, ev.account, ev.position)
            ),
        });
    }

    let report = d.finish("电子签署出证报告", "Evidence report", &e.id)?;
    signed_report(
        &state,
        report,
        &format!("evidence-envelope-{}.pdf", safe_name(&e.id)),
    )
    .await
}

/// A certificate's evidence report, for its holder: the certificate, the identity check it was
/// issued on, its revocation and its log entries, signed and timestamped, with the proof bundles
/// and the certificate attached. Another account's certificate is `404`.
#[utoipa::path(get, path = "/api/v1/certificates/{serial}/evidence-report", tag = "pki",
    params(("serial" = String, Path, description = "Serial, hex"), ReportQuery),
    responses(
        (status = 200, description = "The report, signed and timestamped (PAdES B-LTA)", content_type = "application/pdf", body = Vec<u8>),
        (status = 400, description = "lang is neither zh-CN nor en, or the serial is not hex", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The issuance's log entry is not yet under a signed checkpoint: ask again in a few seconds", body = ErrorBody),
        (status = 503, description = "The log, the CA or the TSA is not configured", body = ErrorBody)))]
async fn certificate_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(serial): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(&q)?;
    let serial = normalize_serial(&serial)?;
    let authority = ca(&state)?;
    let r = authority.public_record(&serial).await?;
    if r.holder != caller.account.id {
        return Err(yinxin_pki::ca::CaError::NotFound.into());
    }
    let der = authority.unseal(&r, caller.account.subject).await?;
    let described = yinxin_sign::chain::describe(&der).ok_or_else(|| {
        ApiError::internal(
            ErrorCode::Internal,
            "a stored certificate that does not parse",
        )
    })?;
    let at = crate::signing::unix_now();
    let mut d = Doc::new(lang, "数字证书出证报告", "Evidence Report: Certificate");
    intro(
        &mut d,
        &format!("{} {serial}", lang.t("数字证书", "certificate")),
        at,
    );

    d.heading("一、证书", "1. Certificate");
    d.field("证书主体", "Subject", described.subject);
    d.field("颁发者", "Issuer", described.issuer);
    d.field("序列号", "Serial", r.serial.clone());
    d.field("证书类型", "Profile", r.profile.clone());
    d.field("密钥算法", "Key algorithm", r.algorithm.clone());
    d.field(
        "有效期",
        "Validity",
        format!("{} — {}", lang.time(r.not_before), lang.time(r.not_after)),
    );
    d.field("签发时间", "Issued at", lang.time(r.issued_at));
    if let Some(old) = &r.renews {
        d.field("更新自", "Renews", old.clone());
    }
    d.field(
        "托管密钥",
        "Key held by the service",
        match (&r.hosted_key_id, r.key_destroyed_at) {
            (Some(_), Some(t)) => format!(
                "{}; {} {}",
                d.yes(true),
                lang.t("已销毁于", "destroyed"),
                lang.time(t)
            ),
            (Some(_), None) => d.yes(true),
            (None, _) => d.yes(false),
        },
    );
    d.mono(format!("SHA-256 {}", r.fingerprint));
    let check = check_at(&state, r.holder, r.issued_at).await?;
    write_check(
        &mut d,
        "签发所依身份核验",
        "Identity check at issuance",
        check.as_ref(),
    );

    d.heading("二、状态", "2. Status");
    match &r.revocation {
        Some(rev) => {
            d.field("状态", "Status", lang.t("已吊销", "revoked"));
            d.field("吊销时间", "Revoked at", lang.time(rev.at));
            d.field("吊销原因", "Reason", rev.reason.clone());
        }
        None if r.not_after <= at => d.field("状态", "Status", lang.t("已过期", "expired")),
        None => d.field("状态", "Status", lang.t("有效", "valid")),
    }

    d.heading("三、证据日志", "3. Evidence log");
    d.para(lang.t("签发记录：", "Issuance:"));
    d.entry(evidence_of(&state, "certificate", &serial).await?)?;
    if r.revocation.is_some() {
        // As for the evidence route: a revocation recorded without its entry (by an older
        // version of the service) is left out, and the report says so.
        match evidence_of(&state, "revocation", &serial).await {
            Ok(e) => {
                d.para(lang.t("吊销记录：", "Revocation:"));
                d.entry(e)?;
            }
            Err(e) if e.code() == ErrorCode::Conflict => d.para(lang.t(
                "吊销记录尚无证据日志条目。",
                "The revocation has no evidence log entry yet.",
            )),
            Err(e) => return Err(e),
        }
    }
    d.attachments.push(Attachment {
        name: format!("certificate-{serial}.cer"),
        description: lang.t("证书（DER）", "The certificate (DER)").into(),
        mime: "application/pkix-cert".into(),
        data: der.to_vec(),
    });
    let report = d.finish("数字证书出证报告", "Certificate evidence report", &serial)?;
    signed_report(
        &state,
        report,
        &format!("evidence-certificate-{serial}.pdf"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_times() {
        let q = |l: Option<&str>| ReportQuery {
            lang: l.map(str::to_owned),
        };
        assert_eq!(Lang::of(&q(None)).unwrap(), Lang::Zh);
        assert_eq!(Lang::of(&q(Some("en"))).unwrap(), Lang::En);
        assert!(Lang::of(&q(Some("fr"))).is_err());
        // 2026-12-03 00:00:00 UTC is 08:00 in Beijing.
        assert_eq!(Lang::Zh.time(1_796_256_000), "2026-12-03 08:00:00");
        assert_eq!(Lang::En.time(1_796_256_000), "2026-12-03 00:00:00");
        assert_eq!(parse_utc("2026-12-03T00:00:00Z"), Some(1_796_256_000));
        assert_eq!(parse_utc("2000-02-29T23:59:59Z"), Some(951_868_799));
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            Lang::Zh.time_text("2026-12-03T00:00:00Z"),
            "2026-12-03 08:00:00"
        );
        assert_eq!(Lang::Zh.time_text("soon"), "soon");
        assert_eq!(parse_utc("2026-13-03T00:00:00Z"), None);
        assert_eq!(safe_name("a/b.c"), "a_b_c");
    }
}
