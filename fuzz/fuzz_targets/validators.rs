//! The validators of `yinxin_domain::validate` (ACC-1, ACC-2) on arbitrary text.
//!
//! The input is decoded with `String::from_utf8_lossy` (what a JSON body can carry is UTF-8), then
//! every validator — `document_number` for every document type and several holder countries — is
//! checked for:
//!
//! - no panic, and determinism;
//! - idempotence: when a value is accepted, its normal form is accepted again and is its own
//!   normal form (a value normalized once, by an import or a migration, still validates and
//!   still indexes the same);
//! - insensitivity to surrounding whitespace;
//! - the normal form is a fixed point of the blind-index `Normalization` of its field
//!   (`DocumentNumber`, `CreditCode`, `Mobile`), so validated values index as they are stored;
//! - the shape of each normal form (11 digits starting with 1, 18 USCC characters, ...);
//! - the PI rule: a refusal's reason is one of `reason::ALL`, and its message is one of the fixed
//!   texts of `message::ALL`, or the mobile-prefix message naming 3 digits of the input (and not
//!   containing the input, when that has 6 characters or more);
//! - `bank_card_number` against an independent oracle: accepted exactly when the input without
//!   whitespace (full-width digits folded) is 12-19 digits passing the Luhn check, and then every
//!   other last digit is refused.
//!
//! A second part reads the first bytes as a date and checks `CivilDate::new` against an
//! independent day count, and `years_until`'s sign and anniversary rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_domain::pi::Normalization;
use yinxin_domain::validate::{
    self, CivilDate, DocumentType, Invalid, bank_card_number, country_region,
    credit_or_organization_code, document_number, email, mainland_mobile, message,
    organization_code, reason, resident_id, unified_social_credit_code, username,
};

const TODAY: CivilDate = CivilDate {
    year: 2025,
    month: 6,
    day: 15,
};

const EARLIER: CivilDate = CivilDate {
    year: 2000,
    month: 1,
    day: 1,
};

/// Holder countries for `document_number`: CN in both spellings (Chinese passport rules), others
/// (generic passport rules).
const COUNTRIES: [&str; 4] = ["CN", "CHN", "US", "HKG"];

const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The PI rule for one refusal of `input`.
///
/// A message is one of the fixed texts of `message::ALL`, so it carries nothing of the input. (The
/// literal property "the message does not contain the input" is unsound: an input can be a piece
/// of a fixed text. This target found `address has exactly on ` within 6,531 executions.) The one
/// message built at run time names the 3-digit prefix of a mobile number: it must come from
/// `mainland_mobile`, name digits the input has, and not contain the input.
fn assert_no_leak(what: &str, input: &str, invalid: &Invalid, mobile: bool) {
    assert!(
        reason::ALL.contains(&invalid.reason),
        "{what}: unknown reason {:?}",
        invalid.reason
    );
    let text = invalid.message.as_str();
    if message::ALL.contains(&text) {
        return;
    }
    assert!(mobile, "{what}: {text:?} is not a fixed message");
    let prefix = text
        .strip_suffix(" is not a mainland mobile prefix")
        .unwrap_or_else(|| panic!("{what}: {text:?} is not a fixed message"));
    assert!(
        prefix.len() == 3 && prefix.bytes().all(|b| b.is_ascii_digit()),
        "{what}: {text:?}"
    );
    assert_eq!(text, message::mobile_prefix(prefix.parse().unwrap()));
    let digits: String = input
        .chars()
        .map(|c| match u32::from(c) {
            u @ 0xFF10..=0xFF19 => char::from_u32(u - 0xFEE0).unwrap(),
            _ => c,
        })
        .filter(char::is_ascii_digit)
        .collect();
    assert!(digits.contains(prefix), "{what}: {text:?} for {input:?}");
    for shown in [input, input.trim()] {
        if shown.chars().count() >= 6 {
            assert!(!text.contains(shown), "{what}: {text:?} contains {input:?}");
        }
    }
}

/// The properties every validator has; returns its result for further checks.
fn check(
    what: &str,
    input: &str,
    validate: impl Fn(&str) -> Result<String, Invalid>,
) -> Result<String, Invalid> {
    check_with(what, input, validate, false)
}

fn check_with(
    what: &str,
    input: &str,
    validate: impl Fn(&str) -> Result<String, Invalid>,
    mobile: bool,
) -> Result<String, Invalid> {
    let result = validate(input);
    assert_eq!(
        validate(input),
        result,
        "{what} is not deterministic on {input:?}"
    );
    let padded = format!(" \t{input}\r\n ");
    assert_eq!(
        validate(&padded),
        result,
        "{what} depends on surrounding whitespace of {input:?}"
    );
    match &result {
        Ok(normal) => {
            assert_eq!(
                validate(normal).as_ref(),
                Ok(normal),
                "{what}: the normal form {normal:?} of {input:?} does not validate to itself"
            );
            assert_eq!(normal.trim(), normal, "{what}: {normal:?} is not trimmed");
        }
        Err(invalid) => assert_no_leak(what, input, invalid, mobile),
    }
    result
}

fn assert_indexes_as_stored(what: &str, n: Normalization, normal: &str) {
    assert_eq!(
        n.apply(normal),
        normal,
        "{what}: {normal:?} is not a fixed point of {n:?}"
    );
}

fn is_province_code(p: &str) -> bool {
    matches!(
        p.parse::<u32>().unwrap_or(0),
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83
    )
}

/// The Luhn check (ISO/IEC 7812-1 Annex B), written apart from the module's: the digit sum of
/// each doubled digit from a table.
fn luhn_valid(digits: &str) -> bool {
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let total: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = usize::from(b - b'0');
            if i % 2 == 1 { DOUBLED[d] } else { d as u32 }
        })
        .sum();
    total % 10 == 0
}

/// What `bank_card_number` must answer for `s`, decided without it.
fn expected_bank_card(s: &str) -> Option<String> {
    let digits: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match u32::from(c) {
            u @ 0xFF10..=0xFF19 => char::from_u32(u - 0xFEE0).unwrap(),
            _ => c,
        })
        .collect();
    let ok = digits.bytes().all(|b| b.is_ascii_digit())
        && (12..=19).contains(&digits.len())
        && luhn_valid(&digits);
    ok.then_some(digits)
}

fn check_dates(data: &[u8]) {
    let &[y0, y1, m, d, ty, tm, td, ..] = data else {
        return;
    };
    let year = i32::from(i16::from_le_bytes([y0, y1]));
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    };
    let date = CivilDate::new(year, m, d);
    assert_eq!(
        date.is_some(),
        d >= 1 && d <= days_in_month,
        "CivilDate::new({year}, {m}, {d})"
    );
    let (Some(born), Some(today)) = (
        date,
        CivilDate::new(1900 + i32::from(ty), tm % 12 + 1, td % 28 + 1),
    ) else {
        return;
    };
    let age = born.years_until(today);
    assert_eq!(born.years_until(born), 0);
    assert_eq!(age >= 0, born <= today, "{born} .. {today}: {age}");
    // An anniversary completes a year; the day before it does not.
    if let Some(anniversary) = CivilDate::new(born.year + 30, born.month, born.day) {
        assert_eq!(born.years_until(anniversary), 30);
    }
    if today.year > born.year {
        assert!(age >= today.year - born.year - 1 && age <= today.year - born.year);
    }
}

fuzz_target!(|data: &[u8]| {
    check_dates(data);

    let s = String::from_utf8_lossy(data);
    let s: &str = &s;

    // Resident ID, directly and through document_number.
    let id = check("resident_id", s, |v| {
        resident_id(v, TODAY).map(|id| id.number)
    });
    if let Ok(number) = &id {
        let parsed = resident_id(s, TODAY).unwrap();
        assert_eq!(number.len(), 18);
        assert!(number[..17].bytes().all(|b| b.is_ascii_digit()));
        assert!(is_province_code(&number[..2]));
        assert!(parsed.birth_date <= TODAY);
        assert!(parsed.birth_date.year >= 1900);
        assert_eq!(
            parsed.birth_date.to_string().replace('-', ""),
            number[6..14],
            "birth date of {number}"
        );
        let odd = (number.as_bytes()[16] - b'0') % 2 == 1;
        assert_eq!(parsed.sex == validate::Sex::Male, odd);
        assert!(!format!("{parsed:?}").contains(number.as_str()));
        assert_indexes_as_stored("resident_id", Normalization::DocumentNumber, number);
    }
    // Accepted with an earlier "today" means accepted now.
    if resident_id(s, EARLIER).is_ok() {
        assert!(
            id.is_ok(),
            "resident_id accepted {s:?} in 2000 but not in 2025"
        );
    }

    for kind in DocumentType::ALL {
        for country in COUNTRIES {
            let what = format!("document_number({kind:?}, {country})");
            let r = check(&what, s, |v| document_number(kind, country, v, TODAY));
            if kind == DocumentType::ResidentIdCard {
                assert_eq!(r, id, "{what} disagrees with resident_id on {s:?}");
            }
            if let Ok(normal) = &r {
                assert!(
                    !normal
                        .bytes()
                        .any(|b| b.is_ascii_lowercase() || b.is_ascii_whitespace()),
                    "{what}: {normal:?}"
                );
                assert!(normal.is_ascii(), "{what}: {normal:?} is not ASCII");
                assert_indexes_as_stored(&what, Normalization::DocumentNumber, normal);
            }
        }
        // The holder's country is needed in a form ISO 3166-1 knows.
        let r = document_number(kind, "ZZ", s, TODAY);
        assert_eq!(r.map_err(|e| e.reason), Err(reason::COUNTRY));
    }

    if let Ok(mobile) = check_with("mainland_mobile", s, mainland_mobile, true) {
        assert_eq!(mobile.len(), 11, "{mobile:?}");
        assert!(mobile.starts_with('1') && mobile.bytes().all(|b| b.is_ascii_digit()));
        assert_indexes_as_stored("mainland_mobile", Normalization::Mobile, &mobile);
        assert_eq!(
            mainland_mobile(&format!("+86 {mobile}")).as_ref(),
            Ok(&mobile)
        );
        assert_eq!(
            mainland_mobile(&format!("0086-{mobile}")).as_ref(),
            Ok(&mobile)
        );
    }

    if let Ok(address) = check("email", s, email) {
        let (local, domain) = address.split_once('@').expect("one @");
        assert!(!domain.contains('@'), "{address:?}");
        assert!(!local.is_empty() && local.len() <= 64, "{address:?}");
        assert_eq!(domain.to_lowercase(), domain, "{address:?}");
        assert!(address.len() <= 254);
        // The ASCII case of the domain does not matter; the local part keeps its case.
        assert_eq!(
            email(&format!("{local}@{}", domain.to_ascii_uppercase())).as_ref(),
            Ok(&address),
            "domain case of {address:?}"
        );
    }

    let uscc = check("unified_social_credit_code", s, unified_social_credit_code);
    if let Ok(code) = &uscc {
        assert_eq!(code.len(), 18);
        assert!(code.chars().all(|c| USCC_CHARSET.contains(c)), "{code:?}");
        assert_indexes_as_stored("uscc", Normalization::CreditCode, code);
    }
    let org = check("organization_code", s, organization_code);
    if let Ok(code) = &org {
        assert_eq!(code.len(), 9);
        assert!(!code.contains('-'));
        assert_indexes_as_stored("organization_code", Normalization::CreditCode, code);
    }
    let either = check(
        "credit_or_organization_code",
        s,
        credit_or_organization_code,
    );
    let compact_len = s.chars().filter(|c| !c.is_whitespace()).count();
    match compact_len {
        18 => assert_eq!(either, uscc, "credit_or_organization_code vs USCC on {s:?}"),
        9 | 10 => assert_eq!(
            either, org,
            "credit_or_organization_code vs org code on {s:?}"
        ),
        _ => assert!(either.is_err()),
    }

    if let Ok(name) = check("username", s, username) {
        let n = name.chars().count();
        assert!((3..=32).contains(&n), "{name:?}");
        assert!(name.starts_with(|c: char| c.is_ascii_alphabetic()));
        assert!(name.bytes().filter(u8::is_ascii_digit).count() <= 10);
        assert!(!name.contains('@'));
    }

    if let Ok(code) = check("country_region", s, country_region) {
        assert_eq!(code.len(), 2);
        assert!(code.bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(validate::country_alpha2(&code), Some(code.as_str()));
    }

    let card = check("bank_card_number", s, bank_card_number);
    assert_eq!(
        card.as_ref().ok(),
        expected_bank_card(s).as_ref(),
        "bank_card_number on {s:?}"
    );
    if let Ok(card) = &card {
        let (body, last) = card.split_at(card.len() - 1);
        for digit in '0'..='9' {
            if last != digit.to_string() {
                let typed = format!("{body}{digit}");
                let r = bank_card_number(&typed).map_err(|e| e.reason);
                assert_eq!(r, Err(reason::CHECK_CHARACTER), "{typed:?}");
            }
        }
    }
});
