//! `GET /privacy`: the privacy notice as HTML, zh-CN by default, English with `?lang=en` (PRIV-5).
//!
//! The tables of what is collected, why, on what basis, for how long and what happens afterwards
//! are rendered from the inventory (`yinxin_domain::inventory::INVENTORY`) — the same list the vault
//! enforces — so the notice cannot drift from what the code stores.

use std::fmt::Write;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yinxin_domain::ErrorCode;
use yinxin_domain::inventory::INVENTORY;
use yinxin_domain::pi::{Category, Disposition, LegalBasis, PiField, Purpose, Retention, Storage};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// Notice language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

/// `?lang=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NoticeQuery {
    /// `zh-CN` (default) or `en`.
    pub lang: Option<String>,
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

fn category(c: Category, l: Lang) -> &'static str {
    match c {
        Category::Identity => pick(l, "身份信息", "Identity"),
        Category::IdentityDocument => pick(l, "身份证件信息", "Identity document"),
        Category::Biometric => pick(l, "生物识别信息", "Biometric"),
        Category::Financial => pick(l, "金融账户信息", "Financial"),
        Category::Contact => pick(l, "联系方式", "Contact"),
        Category::Device => pick(l, "设备信息", "Device"),
        Category::Location => pick(l, "位置信息", "Location"),
        Category::Log => pick(l, "日志信息", "Logs"),
        Category::Enterprise => pick(l, "企业信息", "Enterprise"),
        Category::Document => pick(l, "签署文件", "Documents for signing"),
    }
}

fn purpose(p: Purpose, l: Lang) -> &'static str {
    match p {
        Purpose::AccountRegistration => pick(l, "注册账户", "account registration"),
        Purpose::Login => pick(l, "登录", "login"),
        Purpose::AccountSecurity => pick(l, "账户安全与风险控制", "account security"),
        Purpose::RealNameVerification => pick(l, "实名身份核验", "real-name verification"),
        Purpose::CertificateIssuance => pick(l, "签发数字证书", "certificate issuance"),
        Purpose::RenewalReminder => pick(l, "证书到期提醒", "renewal reminders"),
        Purpose::CertificateInformation => pick(
            l,
            "向您使用证书的依赖方应用提供证书信息",
            "certificate information for the applications where you use the certificate",
        ),
        Purpose::Invoicing => pick(l, "开具发票", "invoicing"),
        Purpose::ElectronicSigning => pick(l, "电子签名", "electronic signing"),
        Purpose::CustomerSupport => pick(l, "客户服务", "customer support"),
        Purpose::DisputeResolution => pick(l, "争议解决", "dispute resolution"),
        Purpose::LegalRecordKeeping => pick(l, "依法留存", "legally required records"),
        Purpose::SubjectAccess => pick(l, "响应您的查阅复制请求", "your access requests"),
    }
}

fn basis(b: LegalBasis, l: Lang) -> &'static str {
    match b {
        LegalBasis::Consent => pick(l, "同意", "consent"),
        LegalBasis::SeparateConsent => pick(l, "单独同意", "separate consent"),
        LegalBasis::Contract => pick(l, "履行合同所必需", "necessary for the contract"),
        LegalBasis::LegalObligation => pick(l, "履行法定义务所必需", "legal obligation"),
    }
}

fn retention(r: Retention, l: Lang) -> String {
    match (r, l) {
        (Retention::Transient, Lang::Zh) => "仅在处理过程中于内存中使用，不保存".into(),
        (Retention::Transient, Lang::En) => {
            "held in memory during processing only; never stored".into()
        }
        (Retention::UntilAccountCancelled { grace_days }, Lang::Zh) => {
            format!("账户存续期间，注销后 {grace_days} 天")
        }
        (Retention::UntilAccountCancelled { grace_days }, Lang::En) => {
            format!("while the account exists, then {grace_days} days after cancellation")
        }
        (Retention::AfterCertificateExpiry { years }, Lang::Zh) => format!("证书失效后 {years} 年"),
        (Retention::AfterCertificateExpiry { years }, Lang::En) => {
            format!("{years} years after the certificate expires")
        }
        (Retention::Days { days }, Lang::Zh) => format!("收集后 {days} 天"),
        (Retention::Days { days }, Lang::En) => format!("{days} days after collection"),
        (Retention::UntilConsentWithdrawn, Lang::Zh) => "至您撤回同意或关闭相应权限".into(),
        (Retention::UntilConsentWithdrawn, Lang::En) => {
            "until you withdraw consent or turn the permission off".into()
        }
    }
}

fn disposition(d: Disposition, l: Lang) -> &'static str {
    match d {
        Disposition::Erase => pick(l, "删除（销毁密钥）", "erased (key destroyed)"),
        Disposition::Anonymize => pick(l, "匿名化", "anonymized"),
        Disposition::KeepSealed { .. } => pick(
            l,
            "依法封存，仅用于法定目的",
            "kept sealed for the legal purpose only",
        ),
    }
}

fn storage(s: Storage, l: Lang) -> &'static str {
    match s {
        Storage::Sealed | Storage::SealedIndexed { .. } => pick(l, "加密存储", "stored encrypted"),
        Storage::NeverStored => pick(l, "不存储", "never stored"),
    }
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn row(out: &mut String, f: &PiField, l: Lang) {
    let label = pick(l, f.label_zh, f.label_en);
    let purposes: Vec<&str> = f.purposes.iter().map(|p| purpose(*p, l)).collect();
    let sep = pick(l, "、", ", ");
    let sensitive = if f.sensitive {
        pick(l, "是", "yes")
    } else {
        pick(l, "否", "no")
    };
    let _ = writeln!(
        out,
        "<tr id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(f.name),
        esc(label),
        category(f.category, l),
        sensitive,
        esc(&purposes.join(sep)),
        basis(f.legal_basis, l),
        esc(&retention(f.retention, l)),
        disposition(f.disposition, l),
        storage(f.storage, l),
    );
}

/// Renders the notice.
/// What the notice states beyond the inventory, read from the running service: how much identity
/// certificates carry (CERT-4), the processors (IDV-3) and the relying applications (CERT-6).
#[derive(Debug, Default)]
struct Facts {
    subject_mode: Option<yinxin_pki::ca::SubjectMode>,
    /// Legal name, purpose, data items, location.
    processors: Vec<(String, String, Vec<String>, String)>,
    /// Name, legal name, data items.
    apps: Vec<(String, String, Vec<String>)>,
}

fn certificates_paragraph(l: Lang, mode: yinxin_pki::ca::SubjectMode) -> &'static str {
    use yinxin_pki::ca::SubjectMode;
    match (mode, l) {
        (SubjectMode::KeyedHash, Lang::Zh) => {
            "您的数字证书主体包含您经核验的姓名，以及由您的证件号码经服务密钥计算的散列值（不含证件号码本身），用于在线识别证书持有人。"
        }
        (SubjectMode::KeyedHash, Lang::En) => {
            "Your certificate's subject carries your verified name and a keyed hash of your identity document number (never the number itself), so that the holder can be identified online."
        }
        (SubjectMode::Masked, Lang::Zh) => {
            "您的数字证书主体包含您经核验的姓名，以及仅显示首尾字符的证件号码。"
        }
        (SubjectMode::Masked, Lang::En) => {
            "Your certificate's subject carries your verified name and your identity document number with all but its first and last characters masked."
        }
        (SubjectMode::Full, Lang::Zh) => {
            "您的数字证书主体包含您经核验的姓名及完整的证件号码；任何取得证书的人都能看到。"
        }
        (SubjectMode::Full, Lang::En) => {
            "Your certificate's subject carries your verified name and your full identity document number; anyone who receives the certificate sees them."
        }
    }
}

fn render(l: Lang, version: &str, effective_on: &str, text: &str, facts: &Facts) -> String {
    let mut out = String::new();
    let (html_lang, title) = match l {
        Lang::Zh => ("zh-CN", "印信隐私政策"),
        Lang::En => ("en", "yinxin privacy notice"),
    };
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
    );
    let _ = writeln!(out, "<h1>{title}</h1>");
    let _ = writeln!(
        out,
        "<p>{} {} · {} {}</p>",
        pick(l, "版本", "Version"),
        esc(version),
        pick(l, "生效日期", "effective"),
        esc(effective_on)
    );
    for para in text.split("\n\n").filter(|p| !p.trim().starts_with('#')) {
        let _ = writeln!(out, "<p>{}</p>", esc(para.trim()));
    }
    let _ = writeln!(
        out,
        "<h2>{}</h2>",
        pick(
            l,
            "我们处理的个人信息",
            "The personal information we process"
        )
    );
    let heads = match l {
        Lang::Zh => [
            "个人信息",
            "类别",
            "敏感个人信息",
            "目的",
            "处理依据",
            "保存期限",
            "到期处理",
            "存储方式",
        ],
        Lang::En => [
            "Field",
            "Category",
            "Sensitive",
            "Purposes",
            "Legal basis",
            "Retention",
            "Afterwards",
            "Storage",
        ],
    };
    out.push_str("<table><thead><tr>");
    for h in heads {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for f in INVENTORY {
        row(&mut out, f, l);
    }
    out.push_str("</tbody></table>\n");
    if let Some(mode) = facts.subject_mode {
        let _ = writeln!(
            out,
            "<h2 id=\"certificates\">{}</h2><p>{}</p>",
            pick(l, "数字证书中的身份信息", "Identity in your certificates"),
            certificates_paragraph(l, mode)
        );
    }
    let _ = writeln!(
        out,
        "<h2 id=\"processors\">{}</h2>",
        pick(l, "受托处理者", "Processors")
    );
    if facts.processors.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            pick(
                l,
                "目前没有向任何受托处理者提供个人信息。",
                "No personal information is currently provided to any processor."
            )
        );
    } else {
        out.push_str("<ul>\n");
        for (name, purpose, items, location) in &facts.processors {
            let _ = writeln!(
                out,
                "<li>{} — {} — {} — {}</li>",
                esc(name),
                esc(purpose),
                esc(&items.join(", ")),
                esc(location)
            );
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<h2 id=\"relying-apps\">{}</h2><p>{}</p>",
        pick(l, "依赖方应用", "Relying applications"),
        pick(
            l,
            "仅当您声明在某应用中使用某张证书时，该应用才能获得该证书的信息及下列数据项；到期前可获得您的手机号用于续期提醒（事件型证书除外）。每次提供均记录于您的披露记录。",
            "An application receives a certificate's information, and the data items listed, only once you say you use that certificate with it; before expiry it may receive your mobile number for a renewal reminder (never for event certificates). Every provision is in your disclosure log."
        )
    );
    if !facts.apps.is_empty() {
        out.push_str("<ul>\n");
        for (name, legal, items) in &facts.apps {
            let _ = writeln!(
                out,
                "<li>{} ({}) — {}</li>",
                esc(name),
                esc(legal),
                esc(&items.join(", "))
            );
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<p>{} <a href=\"/api/v1/privacy/inventory\">/api/v1/privacy/inventory</a></p></body></html>",
        pick(l, "机器可读清单：", "Machine-readable inventory:")
    );
    out
}

/// The privacy notice as HTML, its tables generated from the inventory (PRIV-5).
#[utoipa::path(get, path = "/privacy", tag = "privacy",
    params(NoticeQuery),
    responses(
        (status = 200, description = "The notice", content_type = "text/html", body = String),
        (status = 400, description = "Unknown language", body = ErrorBody)
    ))]
pub(crate) async fn privacy_notice(
    State(state): State<AppState>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, ApiError> {
    let lang = match q.lang.as_deref() {
        None | Some("zh" | "zh-CN" | "zh-cn") => Lang::Zh,
        Some("en") => Lang::En,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "lang: use zh-CN (the default) or en",
            ));
        }
    };
    let p = state.accounts.current_policy().await?;
    let text = state
        .accounts
        .policy_text(&p.version)
        .await?
        .unwrap_or_default();
    let facts = Facts {
        subject_mode: state.ca.as_ref().map(|ca| ca.subject_mode()),
        processors: state
            .verifications
            .processors()
            .await?
            .into_iter()
            .map(|p| {
                // PIPL art. 39 (CERT-9): a recipient abroad is named as such in the notice.
                let location = if p.outside_prc {
                    format!(
                        "{} (境外：仅经您对出境的单独同意 / outside the mainland: only with your \
                         separate consent to the transfer)",
                        p.location
                    )
                } else {
                    p.location
                };
                (p.legal_name, p.purpose, p.data_items, location)
            })
            .collect(),
        apps: state
            .accounts
            .relying_apps()
            .await?
            .into_iter()
            .map(|a| (a.name, a.legal_name, a.data_items))
            .collect(),
    };
    let html = render(lang, &p.version, &p.effective_on, &text, &facts);
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}
