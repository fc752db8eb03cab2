//! Validation of identity documents, codes and contact details by their published rules (ACC-1, ACC-2).
//!
//! Every function here is pure: no I/O and no clock (the caller passes `today`). Each returns the
//! value in its normal form, ready to seal and to index, or an [`Invalid`] naming the rule that
//! failed. Validating a normal form again returns it unchanged (checked by the `validators` fuzz
//! target).
//!
//! PI rule: an [`Invalid`] NEVER contains the value it refused, nor any part of it beyond the
//! three-digit prefix of a mobile number: every message is one of the fixed texts of
//! [`message::ALL`] or [`message::mobile_prefix`]. The values refused here are personal
//! information (ID numbers, mobiles, e-mails), and refusal messages travel to responses and logs.
//!
//! Sources of the rules:
//! - Resident ID: GB 11643-1999 (structure; ISO 7064 MOD 11-2 check).
//! - Mainland Travel Permit for Hong Kong and Macao Residents: Ministry of Public Security,
//!   "港澳居民来往内地通行证号码规则" (2010): H or M, 8-digit lifetime number, then a 2-digit issue
//!   count, which the card-style permits no longer print.
//! - Mainland Travel Permit for Taiwan Residents: the 2008 "一人一号、终身不变" notice (8-digit
//!   lifetime number; the earlier form added a 2-digit issue count and a bracketed issuing-office
//!   code).
//! - Foreign Permanent Resident ID: National Immigration Administration, "新版外国人永久居留身份证
//!   机读信息规则" (2023): 18 characters, first digit 9, MOD 11-2 check as the resident ID; the
//!   2017 version is 3 Latin letters + 12 digits.
//! - Mobile numbers: MIIT, "我国公众移动通信网网号及H0分配情况" (as of March 2023).
//! - USCC: GB 32100-2015; organization code: GB 11714-1997.
//! - E-mail: RFC 5321 / 5322 (dot-atom subset), RFC 6531 (UTF-8 local parts).
//! - Bank card numbers: ISO/IEC 7812-1 (12-19 digits, Luhn check digit of its Annex B).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::DomainError;

/// The stable reason codes of [`Invalid`]. NEVER rename one: clients match on these strings.
pub mod reason {
    /// Too few or too many characters (for an image: bytes or pixels).
    pub const LENGTH: &str = "length";
    /// A character the format does not allow.
    pub const CHARSET: &str = "charset";
    /// The check character does not match the rest (a mistyped character).
    pub const CHECK_CHARACTER: &str = "check_character";
    /// The embedded birth date is not a calendar date, before 1900 or in the future.
    pub const BIRTH_DATE: &str = "birth_date";
    /// The embedded region (province, administrative division) code is not one.
    pub const REGION: &str = "region";
    /// The leading character(s) are not ones the numbering plan allocates.
    pub const PREFIX: &str = "prefix";
    /// The characters are allowed but not in this arrangement.
    pub const SYNTAX: &str = "syntax";
    /// Not an ISO 3166-1 country/region code.
    pub const COUNTRY: &str = "country";
    /// A username that could carry personal information (a mobile or ID number).
    pub const LOOKS_LIKE_PI: &str = "looks_like_pi";
    /// A file in a format not accepted here (an upload that is neither a PNG nor a JPEG image).
    pub const FORMAT: &str = "format";

    /// Every reason code.
    pub const ALL: [&str; 10] = [
        LENGTH,
        CHARSET,
        CHECK_CHARACTER,
        BIRTH_DATE,
        REGION,
        PREFIX,
        SYNTAX,
        COUNTRY,
        LOOKS_LIKE_PI,
        FORMAT,
    ];
}

/// Why a value was refused: a stable reason code and a message without the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// One of [`reason::ALL`].
    pub reason: &'static str,
    /// What rule failed, in words a user can act on. NEVER contains the refused value.
    pub message: String,
}

impl Invalid {
    fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    /// The refusal as the domain error `INVALID_INPUT`, naming the field: "`field`: message".
    pub fn for_field(&self, field: &str) -> DomainError {
        DomainError::invalid(field, &self.message)
    }
}

/// Every refusal message. Each is fixed text: a message is one of [`message::ALL`] or, for a
/// mobile number, [`message::mobile_prefix`] of its first three digits. So no message can carry
/// the refused value (the `validators` fuzz target checks every refusal against this list).
pub mod message {
    /// 15-digit resident ID numbers (GB 11643-1989).
    pub const RESIDENT_ID_FIRST_GENERATION: &str = "15-digit first-generation ID numbers are no \
        longer accepted: enter the 18-character number of the current (second-generation) card";
    /// Resident ID of another length.
    pub const RESIDENT_ID_LENGTH: &str = "a resident ID number has 18 characters";
    /// Resident ID with other characters.
    pub const RESIDENT_ID_CHARSET: &str =
        "a resident ID number is 17 digits followed by a digit or X";
    /// Resident ID not starting with a province-level code.
    pub const RESIDENT_ID_REGION: &str = "the first two digits of a resident ID number are a \
        province-level code, and these are not one";
    /// Resident ID whose characters 7-14 are not a date.
    pub const RESIDENT_ID_BIRTH_NOT_A_DATE: &str = "characters 7-14 of a resident ID number are \
        the birth date (YYYYMMDD), and these are not a calendar date";
    /// Resident ID with a birth date before 1900.
    pub const RESIDENT_ID_BIRTH_TOO_EARLY: &str =
        "the birth date in a resident ID number is before 1900-01-01";
    /// Resident ID with a birth date after today.
    pub const RESIDENT_ID_BIRTH_FUTURE: &str =
        "the birth date in a resident ID number is in the future";
    /// Resident ID with a wrong check character.
    pub const RESIDENT_ID_CHECK: &str = "the last character of the resident ID number does not \
        match the check computed from the first 17 digits (ISO 7064 MOD 11-2): look for a \
        mistyped digit";
    /// `document_number` with an unknown holder country.
    pub const HOLDER_COUNTRY: &str = "the holder's country/region is not an ISO 3166-1 code";
    /// Chinese passport in none of the formats.
    pub const PASSPORT_CN: &str = "this is not the format of a passport of the People's Republic \
        of China: E + 8 digits, E + a letter + 7 digits, or an older G, 14/15, DE/SE/PE, D, S or \
        P form";
    /// Other passport of another length.
    pub const PASSPORT_LENGTH: &str = "a passport number has 5 to 20 letters and digits";
    /// Other passport with other characters.
    pub const PASSPORT_CHARSET: &str = "a passport number has only the letters A-Z and digits";
    /// Hong Kong/Macao permit not in the format.
    pub const HK_MACAO_PERMIT: &str = "a Mainland Travel Permit number for Hong Kong and Macao \
        residents is H (Hong Kong) or M (Macao) and 8 digits (10 on older permits)";
    /// Taiwan permit not in the format.
    pub const TAIWAN_PERMIT: &str = "a Mainland Travel Permit number for Taiwan residents is 8 \
        digits (older permits: 10 digits, possibly followed by a bracketed office code such as \
        (B))";
    /// Foreign permanent resident ID of another length.
    pub const FPR_LENGTH: &str = "a Foreign Permanent Resident ID number has 18 characters (2023 \
        version) or 15 (2017 version)";
    /// 2023 version with other characters.
    pub const FPR_2023_CHARSET: &str = "a Foreign Permanent Resident ID number of 18 characters \
        (2023 version) is 17 digits followed by a digit or X";
    /// 2023 version not starting with 9.
    pub const FPR_2023_PREFIX: &str = "a Foreign Permanent Resident ID number of 18 characters \
        (2023 version) starts with 9";
    /// 2023 version without a province code of the issuing office.
    pub const FPR_2023_REGION: &str = "characters 2-3 of a Foreign Permanent Resident ID number \
        are the province code of the issuing office, and these are not one";
    /// 2023 version whose characters 7-14 are not a date.
    pub const FPR_BIRTH_NOT_A_DATE: &str = "characters 7-14 of a Foreign Permanent Resident ID \
        number are the birth date (YYYYMMDD), and these are not a calendar date";
    /// 2023 version with a birth date before 1900.
    pub const FPR_BIRTH_TOO_EARLY: &str =
        "the birth date in a Foreign Permanent Resident ID number is before 1900-01-01";
    /// 2023 version with a birth date after today.
    pub const FPR_BIRTH_FUTURE: &str =
        "the birth date in a Foreign Permanent Resident ID number is in the future";
    /// 2023 version with a wrong check character.
    pub const FPR_2023_CHECK: &str = "the last character of the Foreign Permanent Resident ID \
        number does not match the check computed from the first 17 digits (ISO 7064 MOD 11-2): \
        look for a mistyped digit";
    /// 2017 version not 3 letters and 12 digits.
    pub const FPR_2017_SYNTAX: &str = "a Foreign Permanent Resident ID number of 15 characters \
        (2017 version) is 3 letters and 12 digits";
    /// 2017 version without an alpha-3 nationality code.
    pub const FPR_2017_COUNTRY: &str = "the first three letters of a Foreign Permanent Resident ID \
        number (2017 version) are not an ISO 3166-1 alpha-3 nationality code";
    /// Mobile with other characters.
    pub const MOBILE_CHARSET: &str = "a mainland mobile number has only digits (spaces, hyphens \
        and a +86 or 0086 prefix are allowed)";
    /// Mobile of another length.
    pub const MOBILE_LENGTH: &str = "a mainland mobile number has 11 digits";
    /// Mobile not starting with 1.
    pub const MOBILE_START: &str = "a mainland mobile number starts with 1";
    /// Mobile in an unallocated block of 174.
    pub const MOBILE_174: &str =
        "this 174 number is in an unallocated block (only 1740, 1741 and 1749 are allocated)";
    /// Mobile in an unallocated block of 161.
    pub const MOBILE_161: &str =
        "this 161 number is in an unallocated block (only 1619 is allocated)";
    /// E-mail without exactly one `@`.
    pub const EMAIL_ONE_AT: &str = "an e-mail address has exactly one @";
    /// E-mail local part of another length.
    pub const EMAIL_LOCAL_LENGTH: &str = "the part of an e-mail address before the @ has 1 to \
        64 characters (64 bytes of UTF-8: a Chinese character counts as 3)";
    /// E-mail local part with other characters.
    pub const EMAIL_LOCAL_CHARSET: &str = "the part of an e-mail address before the @ has only \
        letters, digits, dots and !#$%&'*+/=?^_`{|}~-";
    /// E-mail local part with misplaced dots.
    pub const EMAIL_LOCAL_DOTS: &str = "the part of an e-mail address before the @ does not \
        start or end with a dot, nor have two dots in a row";
    /// E-mail domain of another length.
    pub const EMAIL_DOMAIN_LENGTH: &str = "the domain of an e-mail address has 1 to 253 characters";
    /// E-mail domain of one label.
    pub const EMAIL_DOMAIN_LABELS: &str =
        "the domain of an e-mail address has at least two labels, as in example.com";
    /// E-mail domain with misplaced dots.
    pub const EMAIL_DOMAIN_DOTS: &str = "the domain of an e-mail address does not start or end \
        with a dot, nor have two dots in a row";
    /// E-mail domain label too long.
    pub const EMAIL_LABEL_LENGTH: &str =
        "a label of an e-mail domain (between dots) has at most 63 characters";
    /// E-mail domain with other characters.
    pub const EMAIL_DOMAIN_CHARSET: &str =
        "the domain of an e-mail address has only letters, digits, hyphens and dots";
    /// E-mail domain label with a hyphen at an end.
    pub const EMAIL_LABEL_HYPHEN: &str =
        "a label of an e-mail domain does not start or end with a hyphen";
    /// E-mail with a numeric top-level label.
    pub const EMAIL_TLD_DIGITS: &str = "the last label of an e-mail domain is not all digits";
    /// E-mail too long.
    pub const EMAIL_LENGTH: &str =
        "an e-mail address has at most 254 characters (254 bytes of UTF-8)";
    /// USCC of another length.
    pub const USCC_LENGTH: &str = "a unified social credit code has 18 characters";
    /// USCC with other characters.
    pub const USCC_CHARSET: &str = "a unified social credit code has only digits and the \
        capital letters A-Y except I, O, S, V";
    /// USCC without a registration-authority code first.
    pub const USCC_PREFIX: &str = "the first character of a unified social credit code is a \
        registration-authority code (1-9, A-H, N or Y), and this is not one";
    /// USCC without a division code in characters 3-8.
    pub const USCC_REGION: &str = "characters 3-8 of a unified social credit code are an \
        administrative division code of 6 digits";
    /// USCC with a wrong check character.
    pub const USCC_CHECK: &str = "the last character of the unified social credit code does not \
        match the check computed from the first 17 (GB 32100-2015): look for a mistyped \
        character";
    /// Organization code of another length.
    pub const ORGANIZATION_CODE_LENGTH: &str =
        "an organization code has 9 characters (10 with the hyphen before the last)";
    /// Organization code with other characters.
    pub const ORGANIZATION_CODE_CHARSET: &str =
        "an organization code is 8 digits or capital letters followed by a digit or X";
    /// Organization code with a wrong check character.
    pub const ORGANIZATION_CODE_CHECK: &str = "the last character of the organization code does \
        not match the check computed from the first 8 (GB 11714-1997): look for a mistyped \
        character";
    /// Neither USCC nor organization code length.
    pub const CREDIT_CODE_LENGTH: &str = "a unified social credit code has 18 characters, an \
        organization code 9 (10 with the hyphen)";
    /// Username of another length.
    pub const USERNAME_LENGTH: &str = "a username has 3 to 32 characters";
    /// Username with other characters.
    pub const USERNAME_CHARSET: &str = "a username has only ASCII letters, digits, _ . and -";
    /// Username not starting with a letter.
    pub const USERNAME_START: &str = "a username starts with a letter";
    /// Username with 11 or more digits.
    pub const USERNAME_DIGITS: &str =
        "a username has at most 10 digits, so that it never carries a mobile or ID number";
    /// Country/region code not 2 letters.
    pub const COUNTRY_FORMAT: &str = "a country/region code has 2 letters (ISO 3166-1 alpha-2)";
    /// Country/region code ISO 3166-1 does not assign.
    pub const COUNTRY_UNKNOWN: &str = "this is not an ISO 3166-1 alpha-2 country/region code";
    /// Bank card number with other characters.
    pub const BANK_CARD_CHARSET: &str =
        "a bank card number has only digits (spaces between them are allowed)";
    /// Bank card number of another length.
    pub const BANK_CARD_LENGTH: &str = "a bank card number has 12 to 19 digits (a UnionPay card \
        has 16 to 19)";
    /// Bank card number with a wrong check digit.
    pub const BANK_CARD_CHECK: &str = "the last digit of the bank card number does not match the \
        check digit computed from the others (Luhn, ISO/IEC 7812-1): look for a mistyped digit";

    /// Every fixed message.
    pub const ALL: [&str; 59] = [
        RESIDENT_ID_FIRST_GENERATION,
        RESIDENT_ID_LENGTH,
        RESIDENT_ID_CHARSET,
        RESIDENT_ID_REGION,
        RESIDENT_ID_BIRTH_NOT_A_DATE,
        RESIDENT_ID_BIRTH_TOO_EARLY,
        RESIDENT_ID_BIRTH_FUTURE,
        RESIDENT_ID_CHECK,
        HOLDER_COUNTRY,
        PASSPORT_CN,
        PASSPORT_LENGTH,
        PASSPORT_CHARSET,
        HK_MACAO_PERMIT,
        TAIWAN_PERMIT,
        FPR_LENGTH,
        FPR_2023_CHARSET,
        FPR_2023_PREFIX,
        FPR_2023_REGION,
        FPR_BIRTH_NOT_A_DATE,
        FPR_BIRTH_TOO_EARLY,
        FPR_BIRTH_FUTURE,
        FPR_2023_CHECK,
        FPR_2017_SYNTAX,
        FPR_2017_COUNTRY,
        MOBILE_CHARSET,
        MOBILE_LENGTH,
        MOBILE_START,
        MOBILE_174,
        MOBILE_161,
        EMAIL_ONE_AT,
        EMAIL_LOCAL_LENGTH,
        EMAIL_LOCAL_CHARSET,
        EMAIL_LOCAL_DOTS,
        EMAIL_DOMAIN_LENGTH,
        EMAIL_DOMAIN_LABELS,
        EMAIL_DOMAIN_DOTS,
        EMAIL_LABEL_LENGTH,
        EMAIL_DOMAIN_CHARSET,
        EMAIL_LABEL_HYPHEN,
        EMAIL_TLD_DIGITS,
        EMAIL_LENGTH,
        USCC_LENGTH,
        USCC_CHARSET,
        USCC_PREFIX,
        USCC_REGION,
        USCC_CHECK,
        ORGANIZATION_CODE_LENGTH,
        ORGANIZATION_CODE_CHARSET,
        ORGANIZATION_CODE_CHECK,
        CREDIT_CODE_LENGTH,
        USERNAME_LENGTH,
        USERNAME_CHARSET,
        USERNAME_START,
        USERNAME_DIGITS,
        COUNTRY_FORMAT,
        COUNTRY_UNKNOWN,
        BANK_CARD_CHARSET,
        BANK_CARD_LENGTH,
        BANK_CARD_CHECK,
    ];

    /// The one message with a part of the value in it: the 3-digit prefix of a mobile number
    /// that no network has (never more of the number).
    pub fn mobile_prefix(prefix: u32) -> String {
        format!("{prefix:03} is not a mainland mobile prefix")
    }
}

/// The identity documents a person may register with (ACC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// 居民身份证 (second generation, 18 characters).
    ResidentIdCard,
    /// 护照, of any country.
    Passport,
    /// 港澳居民来往内地通行证.
    HkMacaoResidentPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanResidentPermit,
    /// 外国人永久居留身份证 (2017 or 2023 version).
    ForeignPermanentResidentId,
}

impl DocumentType {
    /// Every document type, in the order registration forms list them.
    pub const ALL: [DocumentType; 5] = [
        Self::ResidentIdCard,
        Self::Passport,
        Self::HkMacaoResidentPermit,
        Self::TaiwanResidentPermit,
        Self::ForeignPermanentResidentId,
    ];

    /// The official name (zh-CN).
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ResidentIdCard => "居民身份证",
            Self::Passport => "护照",
            Self::HkMacaoResidentPermit => "港澳居民来往内地通行证",
            Self::TaiwanResidentPermit => "台湾居民来往大陆通行证",
            Self::ForeignPermanentResidentId => "外国人永久居留身份证",
        }
    }

    /// The name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::ResidentIdCard => "Resident Identity Card",
            Self::Passport => "Passport",
            Self::HkMacaoResidentPermit => {
                "Mainland Travel Permit for Hong Kong and Macao Residents"
            }
            Self::TaiwanResidentPermit => "Mainland Travel Permit for Taiwan Residents",
            Self::ForeignPermanentResidentId => "Foreign Permanent Resident ID Card",
        }
    }
}

/// A date of the Gregorian calendar, without time zone (a birth date, "today" in Beijing time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year (e.g. 1949).
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
}

impl CivilDate {
    /// The date, if it is one on the calendar (February 29 only in leap years).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        (day >= 1 && day <= days_in_month(year, month)?).then_some(Self { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian; Howard Hinnant's
    /// days-to-civil algorithm).
    pub fn from_unix_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Days from 1970-01-01 to `self` (the inverse of [`CivilDate::from_unix_days`]).
    pub fn unix_days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Completed years from `self` to `today`: the age on `today` of a person born on `self`
    /// (PRIV-13 asks whether a user is under 14). Someone born on February 29 completes a year on
    /// March 1 in common years. Negative when `today` is before `self`.
    pub fn years_until(self, today: CivilDate) -> i32 {
        let before_anniversary = (today.month, today.day) < (self.month, self.day);
        today
            .year
            .saturating_sub(self.year)
            .saturating_sub(i32::from(before_anniversary))
    }

    /// Whether `year` is a leap year of the Gregorian calendar.
    pub fn is_leap_year(year: i32) -> bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> Option<u8> {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if CivilDate::is_leap_year(year) => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// The earliest birth date accepted in a document number.
const EARLIEST_BIRTH_DATE: CivilDate = CivilDate {
    year: 1900,
    month: 1,
    day: 1,
};

/// Sex as a resident ID number encodes it (GB 11643-1999: the 17th digit, odd for male).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Odd 17th digit.
    Male,
    /// Even 17th digit.
    Female,
}

/// A valid resident ID number and what it encodes. Its `Debug` shows none of it (it is PI).
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// The number: 18 characters, check character `X` in upper case.
    pub number: String,
    /// The birth date (characters 7-14).
    pub birth_date: CivilDate,
    /// The sex (character 17).
    pub sex: Sex,
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResidentId(<redacted>)")
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// A full-width form of an ASCII character (U+FF01..U+FF5E, what a Chinese input method types in
/// full-width mode) as that ASCII character; any other character unchanged.
fn fold_full_width(c: char) -> char {
    let u = u32::from(c);
    if (0xFF01..=0xFF5E).contains(&u) {
        char::from_u32(u - 0xFEE0).unwrap_or(c)
    } else {
        c
    }
}

/// A code as typed, in its normal form: all whitespace (also U+3000) removed, full-width ASCII
/// folded, ASCII letters upper-cased. Idempotent.
fn compact_upper(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| fold_full_width(c).to_ascii_uppercase())
        .collect()
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

/// The number the ASCII digits of `d` spell (callers have checked they are digits).
fn decimal(d: &[u8]) -> u32 {
    d.iter().fold(0u32, |acc, &b| {
        acc.saturating_mul(10)
            .saturating_add(u32::from(b.wrapping_sub(b'0')))
    })
}

/// `YYYYMMDD` in ASCII digits as a date.
fn yyyymmdd(d: &[u8]) -> Option<CivilDate> {
    if d.len() != 8 || !all_digits(d) {
        return None;
    }
    let year = i32::try_from(decimal(d.get(0..4)?)).ok()?;
    let month = u8::try_from(decimal(d.get(4..6)?)).ok()?;
    let day = u8::try_from(decimal(d.get(6..8)?)).ok()?;
    CivilDate::new(year, month, day)
}

/// The three messages of a birth date embedded in a document number.
struct BirthDateMessages {
    not_a_date: &'static str,
    too_early: &'static str,
    future: &'static str,
}

/// The birth date written as `YYYYMMDD` in `d`: a calendar date from 1900-01-01 to `today`.
fn birth_date(d: &[u8], today: CivilDate, m: &BirthDateMessages) -> Result<CivilDate, Invalid> {
    let date = yyyymmdd(d).ok_or_else(|| Invalid::new(reason::BIRTH_DATE, m.not_a_date))?;
    if date < EARLIEST_BIRTH_DATE {
        return Err(Invalid::new(reason::BIRTH_DATE, m.too_early));
    }
    if date > today {
        return Err(Invalid::new(reason::BIRTH_DATE, m.future));
    }
    Ok(date)
}

/// Province-level codes of GB/T 2260 that begin resident ID numbers: the mainland provinces,
/// autonomous regions and municipalities, 71 Taiwan, 81 Hong Kong, 82 Macao, and 83 (residence
/// permits of Hong Kong, Macao and Taiwan residents).
fn is_province_code(p: u32) -> bool {
    is_mainland_province_code(p) || matches!(p, 71 | 81..=83)
}

/// Province-level codes of the mainland (where the National Immigration Administration accepts
/// permanent-residence applications).
fn is_mainland_province_code(p: u32) -> bool {
    matches!(p, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65)
}

/// ISO 7064 MOD 11-2 check character of 17 ASCII digits (GB 11643-1999). Weight of position i
/// (1-based, left to right) is 2^(18-i) mod 11.
fn mod11_2_check(body: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied().unwrap_or(b'?')
}

// ---------------------------------------------------------------------------------------------
// Resident ID (GB 11643-1999)
// ---------------------------------------------------------------------------------------------

/// A resident ID number (居民身份证, GB 11643-1999), with the birth date and sex it encodes.
///
/// Whitespace is ignored, full-width characters are folded and a lower-case `x` is read as `X`.
/// Refused, each with its own reason: not 18 characters (`length`; a 15-digit first-generation
/// number has its own message), not 17 digits + digit or `X` (`charset`), not a province-level
/// code first (`region`), no calendar date in characters 7-14 or one before 1900-01-01 or after
/// `today` (`birth_date`), a check character that does not match (`check_character`).
pub fn resident_id(s: &str, today: CivilDate) -> Result<ResidentId, Invalid> {
    const BIRTH: BirthDateMessages = BirthDateMessages {
        not_a_date: message::RESIDENT_ID_BIRTH_NOT_A_DATE,
        too_early: message::RESIDENT_ID_BIRTH_TOO_EARLY,
        future: message::RESIDENT_ID_BIRTH_FUTURE,
    };
    let number = compact_upper(s);
    let b = number.as_bytes();
    if b.len() == 15 && all_digits(b) {
        return Err(Invalid::new(
            reason::LENGTH,
            message::RESIDENT_ID_FIRST_GENERATION,
        ));
    }
    if number.chars().count() != 18 {
        return Err(Invalid::new(reason::LENGTH, message::RESIDENT_ID_LENGTH));
    }
    let (body, check) = match b {
        [body @ .., check] if body.len() == 17 => (body, *check),
        _ => {
            return Err(Invalid::new(reason::CHARSET, message::RESIDENT_ID_CHARSET));
        }
    };
    if !all_digits(body) || !(check.is_ascii_digit() || check == b'X') {
        return Err(Invalid::new(reason::CHARSET, message::RESIDENT_ID_CHARSET));
    }
    if !is_province_code(decimal(body.get(0..2).unwrap_or_default())) {
        return Err(Invalid::new(reason::REGION, message::RESIDENT_ID_REGION));
    }
    let birth = birth_date(body.get(6..14).unwrap_or_default(), today, &BIRTH)?;
    if mod11_2_check(body) != check {
        return Err(Invalid::new(
            reason::CHECK_CHARACTER,
            message::RESIDENT_ID_CHECK,
        ));
    }
    let sex = match body.get(16).map(|d| d.wrapping_sub(b'0') % 2) {
        Some(1) => Sex::Male,
        _ => Sex::Female,
    };
    Ok(ResidentId {
        number,
        birth_date: birth,
        sex,
    })
}

// ---------------------------------------------------------------------------------------------
// Other identity documents
// ---------------------------------------------------------------------------------------------

/// A document number of `kind`, held by a person of `country` (ISO 3166-1 alpha-2 or alpha-3,
/// e.g. `CN`, `CHN`, `HK`), in its normal form: whitespace removed, full-width characters folded,
/// letters upper-cased.
///
/// - [`DocumentType::ResidentIdCard`] — [`resident_id`].
/// - [`DocumentType::Passport`] — for `CN`, the formats of passports of the People's Republic of
///   China — `E` + 8 digits (2012), `E` + a letter other than I and O + 7 digits (since April
///   2017), and the older `G` + 8 digits, `14`/`15` + 7 digits, `DE`/`SE`/`PE` + 7 digits,
///   `D`/`P` + 7 digits, `S` + 7 or 8 digits, `S.`/`P.` + 7 digits; for any other country 5-20
///   ASCII letters and digits (lengths vary by state; ICAO 9303 allows up to 9 in the MRZ field,
///   longer numbers exist on older documents).
/// - [`DocumentType::HkMacaoResidentPermit`] — `H` (Hong Kong) or `M` (Macao) + the 8-digit lifetime
///   number, or + 10 digits (lifetime number and 2-digit issue count, permits before the card
///   style).
/// - [`DocumentType::TaiwanResidentPermit`] — the 8-digit lifetime number (since 2008-09-25), or the
///   older 10 digits (lifetime number + 2-digit issue count), optionally followed by the bracketed
///   issuing-office code, e.g. `1234567801(B)`.
/// - [`DocumentType::ForeignPermanentResidentId`] — the 2023 version, 18 characters: `9`, the
///   2-digit province code of the issuing office, a 3-digit nationality code, the birth date
///   `YYYYMMDD`, a 3-digit sequence and the MOD 11-2 check character (checked); or the 2017
///   version, 15 characters: an ISO 3166-1 alpha-3 nationality code and 12 digits. The NIA
///   publishes the 2017 layout only as "3 Latin letters + 12 digits"; descriptions of the digits
///   and of a check digit in third-party code disagree, so only that layout is checked.
pub fn document_number(
    kind: DocumentType,
    country: &str,
    s: &str,
    today: CivilDate,
) -> Result<String, Invalid> {
    let country = country_alpha2(country)
        .ok_or_else(|| Invalid::new(reason::COUNTRY, message::HOLDER_COUNTRY))?;
    match kind {
        DocumentType::ResidentIdCard => resident_id(s, today).map(|id| id.number),
        DocumentType::Passport => passport(country, s),
        DocumentType::HkMacaoResidentPermit => hk_macao_permit(s),
        DocumentType::TaiwanResidentPermit => taiwan_permit(s),
        DocumentType::ForeignPermanentResidentId => foreign_permanent_resident_id(s, today),
    }
}

fn passport(country: &str, s: &str) -> Result<String, Invalid> {
    let number = compact_upper(s);
    if country == "CN" {
        return if is_chinese_passport_number(number.as_bytes()) {
            Ok(number)
        } else {
            Err(Invalid::new(reason::SYNTAX, message::PASSPORT_CN))
        };
    }
    let n = number.chars().count();
    if !(5..=20).contains(&n) {
        return Err(Invalid::new(reason::LENGTH, message::PASSPORT_LENGTH));
    }
    if !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Invalid::new(reason::CHARSET, message::PASSPORT_CHARSET));
    }
    Ok(number)
}

fn is_chinese_passport_number(b: &[u8]) -> bool {
    let digits = |rest: &[u8], n: usize| rest.len() == n && all_digits(rest);
    match b {
        // Ordinary e-passport: E + 8 digits (2012-2017), E + letter (not I, O) + 7 digits.
        [b'E', rest @ ..] if digits(rest, 8) => true,
        [b'E', letter, rest @ ..] => {
            letter.is_ascii_uppercase() && !matches!(letter, b'I' | b'O') && digits(rest, 7)
        }
        // Older ordinary passports.
        [b'G', rest @ ..] => digits(rest, 8),
        [b'1', b'4' | b'5', rest @ ..] => digits(rest, 7),
        // Diplomatic (D), service (S) and public-affairs ordinary (P) passports.
        [b'D' | b'S' | b'P', b'E', rest @ ..] if digits(rest, 7) => true,
        [b'S' | b'P', b'.', rest @ ..] => digits(rest, 7),
        [b'S', rest @ ..] => digits(rest, 7) || digits(rest, 8),
        [b'D' | b'P', rest @ ..] => digits(rest, 7),
        _ => false,
    }
}

fn hk_macao_permit(s: &str) -> Result<String, Invalid> {
    const FORMAT: &str = message::HK_MACAO_PERMIT;
    let number = compact_upper(s);
    let n = number.chars().count();
    if n != 9 && n != 11 {
        return Err(Invalid::new(reason::LENGTH, FORMAT));
    }
    match number.as_bytes() {
        [b'H' | b'M', rest @ ..] if all_digits(rest) => Ok(number),
        [b'H' | b'M', ..] => Err(Invalid::new(reason::CHARSET, FORMAT)),
        _ => Err(Invalid::new(reason::PREFIX, FORMAT)),
    }
}

fn taiwan_permit(s: &str) -> Result<String, Invalid> {
    const FORMAT: &str = message::TAIWAN_PERMIT;
    let number = compact_upper(s);
    let b = number.as_bytes();
    let ok = match b {
        _ if all_digits(b) => b.len() == 8 || b.len() == 10,
        [digits @ .., b'(', office, b')'] => {
            digits.len() == 10 && all_digits(digits) && office.is_ascii_alphanumeric()
        }
        _ => false,
    };
    if ok {
        Ok(number)
    } else if all_digits(b) {
        Err(Invalid::new(reason::LENGTH, FORMAT))
    } else {
        Err(Invalid::new(reason::SYNTAX, FORMAT))
    }
}

fn foreign_permanent_resident_id(s: &str, today: CivilDate) -> Result<String, Invalid> {
    const BIRTH: BirthDateMessages = BirthDateMessages {
        not_a_date: message::FPR_BIRTH_NOT_A_DATE,
        too_early: message::FPR_BIRTH_TOO_EARLY,
        future: message::FPR_BIRTH_FUTURE,
    };
    let number = compact_upper(s);
    let b = number.as_bytes();
    match number.chars().count() {
        18 => {
            let (body, check) = match b {
                [body @ .., check]
                    if body.len() == 17
                        && all_digits(body)
                        && (check.is_ascii_digit() || *check == b'X') =>
                {
                    (body, *check)
                }
                _ => {
                    return Err(Invalid::new(reason::CHARSET, message::FPR_2023_CHARSET));
                }
            };
            if body.first() != Some(&b'9') {
                return Err(Invalid::new(reason::PREFIX, message::FPR_2023_PREFIX));
            }
            if !is_mainland_province_code(decimal(body.get(1..3).unwrap_or_default())) {
                return Err(Invalid::new(reason::REGION, message::FPR_2023_REGION));
            }
            birth_date(body.get(6..14).unwrap_or_default(), today, &BIRTH)?;
            if mod11_2_check(body) != check {
                return Err(Invalid::new(
                    reason::CHECK_CHARACTER,
                    message::FPR_2023_CHECK,
                ));
            }
            Ok(number)
        }
        15 => {
            let (letters, digits) = match b {
                [l0, l1, l2, digits @ ..] => ([*l0, *l1, *l2], digits),
                _ => ([0; 3], &[][..]),
            };
            if !letters.iter().all(u8::is_ascii_uppercase)
                || digits.len() != 12
                || !all_digits(digits)
            {
                return Err(Invalid::new(reason::SYNTAX, message::FPR_2017_SYNTAX));
            }
            let alpha3 = std::str::from_utf8(&letters).unwrap_or_default();
            if !COUNTRIES.iter().any(|(_, a3)| *a3 == alpha3) {
                return Err(Invalid::new(reason::COUNTRY, message::FPR_2017_COUNTRY));
            }
            Ok(number)
        }
        _ => Err(Invalid::new(reason::LENGTH, message::FPR_LENGTH)),
    }
}

// ---------------------------------------------------------------------------------------------
// Mobile numbers (MIIT numbering plan)
// ---------------------------------------------------------------------------------------------

/// A mainland China mobile number, as its 11 digits.
///
/// Spaces and hyphens are ignored (also full-width ones), and one leading `+86` or `0086` is
/// removed. Refused: anything else than digits (`charset`), not 11 digits (`length`), a network
/// code MIIT has not allocated to public mobile networks (`prefix`; the message names the
/// 3-digit prefix, never the number).
///
/// Allocated (MIIT, as of March 2023): 13x, 145-149, 150-153, 155-159, 162, 165-167, 170-173,
/// 1740-1741 and 1749 (satellite), 175-178, 18x, 190-193 (192: China Broadnet), 195-199, and 1619
/// (satellite). 146, 148 and 172 are also used for IoT cards; whether a number receives SMS is
/// for the SMS check to find out, not for this syntax check.
pub fn mainland_mobile(s: &str) -> Result<String, Invalid> {
    let compact: String = s
        .chars()
        .map(fold_full_width)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    let b = national.as_bytes();
    if !all_digits(b) {
        return Err(Invalid::new(reason::CHARSET, message::MOBILE_CHARSET));
    }
    if b.len() != 11 {
        return Err(Invalid::new(reason::LENGTH, message::MOBILE_LENGTH));
    }
    if b.first() != Some(&b'1') {
        return Err(Invalid::new(reason::PREFIX, message::MOBILE_START));
    }
    let prefix = decimal(b.get(0..3).unwrap_or_default());
    let h0 = b.get(3).map_or(0, |d| d.wrapping_sub(b'0'));
    let allocated = match prefix {
        130..=139 | 145..=153 | 155..=159 | 162 | 165..=167 | 170..=173 | 175..=178 => true,
        180..=193 | 195..=199 => true,
        174 => matches!(h0, 0 | 1 | 9),
        161 => h0 == 9,
        _ => false,
    };
    if !allocated {
        let text = match prefix {
            174 => message::MOBILE_174.to_owned(),
            161 => message::MOBILE_161.to_owned(),
            p => message::mobile_prefix(p),
        };
        return Err(Invalid::new(reason::PREFIX, text));
    }
    Ok(national.to_owned())
}

// ---------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------

/// An e-mail address, checked for syntax only (whether it receives mail is for the confirmation
/// mail to find out). Surrounding whitespace is removed and the domain lower-cased; the local part
/// keeps its case (RFC 5321 lets the receiving host decide).
///
/// The practical subset of RFC 5321/5322 accepted: exactly one `@`; a local part of 1-64 octets
/// of dot-atom text (letters, digits, ``!#$%&'*+/=?^_`{|}~-``, and non-ASCII letters and digits
/// as RFC 6531 allows), no dot at either end or two in a row; a domain of at most 253 characters
/// and at least two labels, each 1-63 characters of letters, digits and hyphens (non-ASCII
/// letters and digits too: the A-label form is not computed), not starting or ending with a
/// hyphen, the last not all digits; at most 254 octets in all. No quoted local parts, comments
/// or address literals.
pub fn email(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let mut parts = t.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => (local, domain),
        _ => {
            return Err(Invalid::new(reason::SYNTAX, message::EMAIL_ONE_AT));
        }
    };
    if local.is_empty() || local.len() > 64 {
        return Err(Invalid::new(reason::LENGTH, message::EMAIL_LOCAL_LENGTH));
    }
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+/=?^_`{|}~-.".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    if !local.chars().all(atext) {
        return Err(Invalid::new(reason::CHARSET, message::EMAIL_LOCAL_CHARSET));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(Invalid::new(reason::SYNTAX, message::EMAIL_LOCAL_DOTS));
    }
    let domain = domain.to_lowercase();
    if domain.is_empty() || domain.chars().count() > 253 {
        return Err(Invalid::new(reason::LENGTH, message::EMAIL_DOMAIN_LENGTH));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(Invalid::new(reason::SYNTAX, message::EMAIL_DOMAIN_LABELS));
    }
    for label in &labels {
        if label.is_empty() {
            return Err(Invalid::new(reason::SYNTAX, message::EMAIL_DOMAIN_DOTS));
        }
        if label.chars().count() > 63 {
            return Err(Invalid::new(reason::LENGTH, message::EMAIL_LABEL_LENGTH));
        }
        if !label.chars().all(|c| {
            c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
        }) {
            return Err(Invalid::new(reason::CHARSET, message::EMAIL_DOMAIN_CHARSET));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Invalid::new(reason::SYNTAX, message::EMAIL_LABEL_HYPHEN));
        }
    }
    if labels.last().is_some_and(|tld| all_digits(tld.as_bytes())) {
        return Err(Invalid::new(reason::SYNTAX, message::EMAIL_TLD_DIGITS));
    }
    let address = format!("{local}@{domain}");
    if address.len() > 254 {
        return Err(Invalid::new(reason::LENGTH, message::EMAIL_LENGTH));
    }
    Ok(address)
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015) and organization code (GB 11714-1997)
// ---------------------------------------------------------------------------------------------

/// The 31 characters of GB 32100-2015, in the order of their values 0-30 (no I, O, S, V, Z).
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Registration-authority codes (character 1) of GB 32100 and its published code table: 1 编制,
/// 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管 (工商), A 中央军委改革和编制
/// 办公室, B-H reserved for further authorities, N 农业, Y 其他.
const USCC_AUTHORITIES: &[u8] = b"123456789ABCDEFGHNY";

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARSET
        .iter()
        .position(|&x| x == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check character of the first 17 characters of a USCC: weights 3^i mod 31,
/// check = (31 - sum mod 31) mod 31, written with the same 31 characters.
fn uscc_check(body: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut sum = 0u32;
    for (&c, w) in body.iter().zip(WEIGHTS) {
        sum += uscc_value(c)? * w;
    }
    USCC_CHARSET.get(((31 - sum % 31) % 31) as usize).copied()
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015), normalized: whitespace removed,
/// full-width characters folded, upper case.
///
/// Refused: not 18 characters (`length`), a character outside `0-9 A-H J-N P-R T U W-Y`
/// (`charset`), a first character that is no registration-authority code (`prefix`), characters
/// 3-8 (the administrative division of the registering authority) not 6 digits (`region`), a check
/// character that does not match (`check_character`). The organization code in characters 9-17
/// is not checked separately: the USCC check covers it.
pub fn unified_social_credit_code(s: &str) -> Result<String, Invalid> {
    let code = compact_upper(s);
    if code.chars().count() != 18 {
        return Err(Invalid::new(reason::LENGTH, message::USCC_LENGTH));
    }
    let b = code.as_bytes();
    if !b.iter().all(|&c| uscc_value(c).is_some()) {
        return Err(Invalid::new(reason::CHARSET, message::USCC_CHARSET));
    }
    if !b.first().is_some_and(|c| USCC_AUTHORITIES.contains(c)) {
        return Err(Invalid::new(reason::PREFIX, message::USCC_PREFIX));
    }
    if !b.get(2..8).is_some_and(all_digits) {
        return Err(Invalid::new(reason::REGION, message::USCC_REGION));
    }
    let (body, check) = match b {
        [body @ .., check] => (body, Some(*check)),
        [] => (b, None),
    };
    if uscc_check(body) != check {
        return Err(Invalid::new(reason::CHECK_CHARACTER, message::USCC_CHECK));
    }
    Ok(code)
}

/// The check character of the 8 characters of an organization code (GB 11714-1997): digits are
/// worth 0-9 and letters A-Z 10-35, weights 3 7 9 10 5 8 4 2, check = 11 - sum mod 11, with 10
/// written `X` and 11 written `0`.
fn organization_code_check(body: &[u8]) -> Option<u8> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0u32;
    for (&c, w) in body.iter().zip(WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    match 11 - sum % 11 {
        10 => Some(b'X'),
        11 => Some(b'0'),
        d => u8::try_from(d).ok().map(|d| b'0' + d),
    }
}

/// An organization code (组织机构代码, GB 11714-1997) as its 9 characters without the hyphen.
///
/// Written `XXXXXXXX-X` or without the hyphen; whitespace is ignored, full-width characters are
/// folded, letters upper-cased. Refused: not 9 characters (10 with the hyphen before the last,
/// `length`), not 8 digits or capital letters followed by a digit or `X` (`charset`), a check
/// character that does not match (`check_character`).
pub fn organization_code(s: &str) -> Result<String, Invalid> {
    let mut code = compact_upper(s);
    if code.len() == 10 && code.as_bytes().get(8) == Some(&b'-') {
        code.remove(8);
    }
    if code.chars().count() != 9 {
        return Err(Invalid::new(
            reason::LENGTH,
            message::ORGANIZATION_CODE_LENGTH,
        ));
    }
    let (body, check) = match code.as_bytes() {
        [body @ .., check]
            if body.len() == 8
                && body
                    .iter()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
                && (check.is_ascii_digit() || *check == b'X') =>
        {
            (body, *check)
        }
        _ => {
            return Err(Invalid::new(
                reason::CHARSET,
                message::ORGANIZATION_CODE_CHARSET,
            ));
        }
    };
    if organization_code_check(body) != Some(check) {
        return Err(Invalid::new(
            reason::CHECK_CHARACTER,
            message::ORGANIZATION_CODE_CHECK,
        ));
    }
    Ok(code)
}

/// A unified social credit code or, for organizations registered before it, an organization code
/// (ACC-2): 18 characters are checked as a USCC, 9 (or 10 with the hyphen) as an organization
/// code.
pub fn credit_or_organization_code(s: &str) -> Result<String, Invalid> {
    let code = compact_upper(s);
    match code.chars().count() {
        18 => unified_social_credit_code(&code),
        9 | 10 => organization_code(&code),
        _ => Err(Invalid::new(reason::LENGTH, message::CREDIT_CODE_LENGTH)),
    }
}

// ---------------------------------------------------------------------------------------------
// Bank card numbers (ISO/IEC 7812-1)
// ---------------------------------------------------------------------------------------------

/// The Luhn check digit (ISO/IEC 7812-1 Annex B) of the ASCII digits `body`: from the rightmost
/// digit leftwards, every other digit is doubled starting with the rightmost, a doubled digit
/// above 9 counts as the sum of its two digits (the same as subtracting 9), and the check digit
/// brings the total to a multiple of 10.
fn luhn_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            match (i % 2 == 0, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            }
        })
        .sum();
    // (10 - sum mod 10) mod 10 is at most 9.
    b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// A bank card number (IDV-1(b): the four-factor bank-card check) as its digits only.
///
/// Whitespace anywhere is ignored (cards print the number in groups of four) and full-width
/// digits are folded. Refused: anything but digits (`charset`), not 12-19 digits (`length`: an
/// ISO/IEC 7812-1 number has at most 19, the shortest card numbers in use 12, China UnionPay's
/// 16-19), a last digit that is not the Luhn check digit of the others (`check_character`: the
/// Luhn check catches every single mistyped digit and most swaps of two neighbours).
///
/// Whether the card exists and belongs to the person is for the bank-card check to find out; this
/// is a syntax check, so that a mistyped number is answered at once and never sent to a provider.
pub fn bank_card_number(s: &str) -> Result<String, Invalid> {
    let number: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(fold_full_width)
        .collect();
    let b = number.as_bytes();
    if !all_digits(b) {
        return Err(Invalid::new(reason::CHARSET, message::BANK_CARD_CHARSET));
    }
    if !(12..=19).contains(&b.len()) {
        return Err(Invalid::new(reason::LENGTH, message::BANK_CARD_LENGTH));
    }
    match b {
        [body @ .., check] if luhn_check_digit(body) == *check => Ok(number),
        _ => Err(Invalid::new(
            reason::CHECK_CHARACTER,
            message::BANK_CARD_CHECK,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Username and country/region
// ---------------------------------------------------------------------------------------------

/// A username, trimmed, case kept: 3-32 ASCII letters, digits, `_`, `.` and `-`, starting with a
/// letter.
///
/// A username is shown and logged where personal information may not be, so it must not carry
/// any: `@` is outside the character set (no e-mail address), and 11 or more digits in all are
/// refused (`looks_like_pi`: every mainland mobile and ID number has at least 11).
pub fn username(s: &str) -> Result<String, Invalid> {
    let name = s.trim();
    if !(3..=32).contains(&name.chars().count()) {
        return Err(Invalid::new(reason::LENGTH, message::USERNAME_LENGTH));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(Invalid::new(reason::CHARSET, message::USERNAME_CHARSET));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(Invalid::new(reason::SYNTAX, message::USERNAME_START));
    }
    if name.bytes().filter(u8::is_ascii_digit).count() >= 11 {
        return Err(Invalid::new(
            reason::LOOKS_LIKE_PI,
            message::USERNAME_DIGITS,
        ));
    }
    Ok(name.to_owned())
}

/// A country or region as its ISO 3166-1 alpha-2 code, upper case (`CN`, `HK`, `MO`, `TW`, ...).
pub fn country_region(s: &str) -> Result<String, Invalid> {
    let code = compact_upper(s);
    if code.chars().count() != 2 {
        return Err(Invalid::new(reason::LENGTH, message::COUNTRY_FORMAT));
    }
    if !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new(reason::CHARSET, message::COUNTRY_FORMAT));
    }
    match COUNTRIES.binary_search_by(|(a2, _)| (*a2).cmp(code.as_str())) {
        Ok(_) => Ok(code),
        Err(_) => Err(Invalid::new(reason::COUNTRY, message::COUNTRY_UNKNOWN)),
    }
}

/// The alpha-2 code of an ISO 3166-1 alpha-2 or alpha-3 code (any case, surrounding whitespace
/// ignored).
pub fn country_alpha2(code: &str) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    match code.len() {
        2 => COUNTRIES
            .binary_search_by(|(a2, _)| (*a2).cmp(code.as_str()))
            .ok()
            .and_then(|i| COUNTRIES.get(i))
            .map(|(a2, _)| *a2),
        3 => COUNTRIES
            .iter()
            .find(|(_, a3)| *a3 == code)
            .map(|(a2, _)| *a2),
        _ => None,
    }
}

/// The alpha-3 code of an ISO 3166-1 alpha-2 code (`CN` → `CHN`).
pub fn country_alpha3(alpha2: &str) -> Option<&'static str> {
    COUNTRIES
        .binary_search_by(|(a2, _)| (*a2).cmp(alpha2))
        .ok()
        .and_then(|i| COUNTRIES.get(i))
        .map(|(_, a3)| *a3)
}

/// ISO 3166-1 alpha-2 and alpha-3 codes, sorted by alpha-2 (taken from the Debian iso-codes
/// 4.15 data, 249 entries, including CN, HK, MO and TW).
#[rustfmt::skip]
const COUNTRIES: [(&str, &str); 249] = [
    ("AD", "AND"), ("AE", "ARE"), ("AF", "AFG"), ("AG", "ATG"), ("AI", "AIA"), ("AL", "ALB"),
    ("AM", "ARM"), ("AO", "AGO"), ("AQ", "ATA"), ("AR", "ARG"), ("AS", "ASM"), ("AT", "AUT"),
    ("AU", "AUS"), ("AW", "ABW"), ("AX", "ALA"), ("AZ", "AZE"), ("BA", "BIH"), ("BB", "BRB"),
    ("BD", "BGD"), ("BE", "BEL"), ("BF", "BFA"), ("BG", "BGR"), ("BH", "BHR"), ("BI", "BDI"),
    ("BJ", "BEN"), ("BL", "BLM"), ("BM", "BMU"), ("BN", "BRN"), ("BO", "BOL"), ("BQ", "BES"),
    ("BR", "BRA"), ("BS", "BHS"), ("BT", "BTN"), ("BV", "BVT"), ("BW", "BWA"), ("BY", "BLR"),
    ("BZ", "BLZ"), ("CA", "CAN"), ("CC", "CCK"), ("CD", "COD"), ("CF", "CAF"), ("CG", "COG"),
    ("CH", "CHE"), ("CI", "CIV"), ("CK", "COK"), ("CL", "CHL"), ("CM", "CMR"), ("CN", "CHN"),
    ("CO", "COL"), ("CR", "CRI"), ("CU", "CUB"), ("CV", "CPV"), ("CW", "CUW"), ("CX", "CXR"),
    ("CY", "CYP"), ("CZ", "CZE"), ("DE", "DEU"), ("DJ", "DJI"), ("DK", "DNK"), ("DM", "DMA"),
    ("DO", "DOM"), ("DZ", "DZA"), ("EC", "ECU"), ("EE", "EST"), ("EG", "EGY"), ("EH", "ESH"),
    ("ER", "ERI"), ("ES", "ESP"), ("ET", "ETH"), ("FI", "FIN"), ("FJ", "FJI"), ("FK", "FLK"),
    ("FM", "FSM"), ("FO", "FRO"), ("FR", "FRA"), ("GA", "GAB"), ("GB", "GBR"), ("GD", "GRD"),
    ("GE", "GEO"), ("GF", "GUF"), ("GG", "GGY"), ("GH", "GHA"), ("GI", "GIB"), ("GL", "GRL"),
    ("GM", "GMB"), ("GN", "GIN"), ("GP", "GLP"), ("GQ", "GNQ"), ("GR", "GRC"), ("GS", "SGS"),
    ("GT", "GTM"), ("GU", "GUM"), ("GW", "GNB"), ("GY", "GUY"), ("HK", "HKG"), ("HM", "HMD"),
    ("HN", "HND"), ("HR", "HRV"), ("HT", "HTI"), ("HU", "HUN"), ("ID", "IDN"), ("IE", "IRL"),
    ("IL", "ISR"), ("IM", "IMN"), ("IN", "IND"), ("IO", "IOT"), ("IQ", "IRQ"), ("IR", "IRN"),
    ("IS", "ISL"), ("IT", "ITA"), ("JE", "JEY"), ("JM", "JAM"), ("JO", "JOR"), ("JP", "JPN"),
    ("KE", "KEN"), ("KG", "KGZ"), ("KH", "KHM"), ("KI", "KIR"), ("KM", "COM"), ("KN", "KNA"),
    ("KP", "PRK"), ("KR", "KOR"), ("KW", "KWT"), ("KY", "CYM"), ("KZ", "KAZ"), ("LA", "LAO"),
    ("LB", "LBN"), ("LC", "LCA"), ("LI", "LIE"), ("LK", "LKA"), ("LR", "LBR"), ("LS", "LSO"),
    ("LT", "LTU"), ("LU", "LUX"), ("LV", "LVA"), ("LY", "LBY"), ("MA", "MAR"), ("MC", "MCO"),
    ("MD", "MDA"), ("ME", "MNE"), ("MF", "MAF"), ("MG", "MDG"), ("MH", "MHL"), ("MK", "MKD"),
    ("ML", "MLI"), ("MM", "MMR"), ("MN", "MNG"), ("MO", "MAC"), ("MP", "MNP"), ("MQ", "MTQ"),
    ("MR", "MRT"), ("MS", "MSR"), ("MT", "MLT"), ("MU", "MUS"), ("MV", "MDV"), ("MW", "MWI"),
    ("MX", "MEX"), ("MY", "MYS"), ("MZ", "MOZ"), ("NA", "NAM"), ("NC", "NCL"), ("NE", "NER"),
    ("NF", "NFK"), ("NG", "NGA"), ("NI", "NIC"), ("NL", "NLD"), ("NO", "NOR"), ("NP", "NPL"),
    ("NR", "NRU"), ("NU", "NIU"), ("NZ", "NZL"), ("OM", "OMN"), ("PA", "PAN"), ("PE", "PER"),
    ("PF", "PYF"), ("PG", "PNG"), ("PH", "PHL"), ("PK", "PAK"), ("PL", "POL"), ("PM", "SPM"),
    ("PN", "PCN"), ("PR", "PRI"), ("PS", "PSE"), ("PT", "PRT"), ("PW", "PLW"), ("PY", "PRY"),
    ("QA", "QAT"), ("RE", "REU"), ("RO", "ROU"), ("RS", "SRB"), ("RU", "RUS"), ("RW", "RWA"),
    ("SA", "SAU"), ("SB", "SLB"), ("SC", "SYC"), ("SD", "SDN"), ("SE", "SWE"), ("SG", "SGP"),
    ("SH", "SHN"), ("SI", "SVN"), ("SJ", "SJM"), ("SK", "SVK"), ("SL", "SLE"), ("SM", "SMR"),
    ("SN", "SEN"), ("SO", "SOM"), ("SR", "SUR"), ("SS", "SSD"), ("ST", "STP"), ("SV", "SLV"),
    ("SX", "SXM"), ("SY", "SYR"), ("SZ", "SWZ"), ("TC", "TCA"), ("TD", "TCD"), ("TF", "ATF"),
    ("TG", "TGO"), ("TH", "THA"), ("TJ", "TJK"), ("TK", "TKL"), ("TL", "TLS"), ("TM", "TKM"),
    ("TN", "TUN"), ("TO", "TON"), ("TR", "TUR"), ("TT", "TTO"), ("TV", "TUV"), ("TW", "TWN"),
    ("TZ", "TZA"), ("UA", "UKR"), ("UG", "UGA"), ("UM", "UMI"), ("US", "USA"), ("UY", "URY"),
    ("UZ", "UZB"), ("VA", "VAT"), ("VC", "VCT"), ("VE", "VEN"), ("VG", "VGB"), ("VI", "VIR"),
    ("VN", "VNM"), ("VU", "VUT"), ("WF", "WLF"), ("WS", "WSM"), ("YE", "YEM"), ("YT", "MYT"),
    ("ZA", "ZAF"), ("ZM", "ZMB"), ("ZW", "ZWE"),
];

// ---------------------------------------------------------------------------------------------
// Console operators
// ---------------------------------------------------------------------------------------------
/// Whether `name` may name an operator at the console (`--operator`: who revokes a certificate,
/// who grants a staff role): 1 to 64 ASCII letters, digits, `.`, `_`, `-`, `@`. It is recorded as
/// given, so it is kept to what is safe in a record and a log line.
pub fn is_operator_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    const TODAY: CivilDate = CivilDate {
        year: 2025,
        month: 6,
        day: 15,
    };

    fn date(y: i32, m: u8, d: u8) -> CivilDate {
        CivilDate::new(y, m, d).unwrap()
    }

    /// The MOD 11-2 check character computed independently of the module's weight table:
    /// weight of position i (1-based, left to right) = 2^(18-i) mod 11, check = (12 - sum mod 11)
    /// mod 11, 10 written X.
    fn check_char(body: &str) -> char {
        assert_eq!(body.len(), 17);
        let sum: u64 = body
            .bytes()
            .enumerate()
            .map(|(i, b)| u64::from(b - b'0') * ((1u64 << (17 - i)) % 11))
            .sum();
        match (12 - sum % 11) % 11 {
            10 => 'X',
            d => char::from_digit(u32::try_from(d).unwrap(), 10).unwrap(),
        }
    }

    fn with_check(body: &str) -> String {
        format!("{body}{}", check_char(body))
    }

    /// A wrong check character for `body`.
    fn with_wrong_check(body: &str) -> String {
        let right = check_char(body);
        let wrong = if right == '0' { '1' } else { '0' };
        format!("{body}{wrong}")
    }

    fn refused<T: std::fmt::Debug>(r: Result<T, Invalid>) -> Invalid {
        r.expect_err("expected a refusal")
    }

    // --- CivilDate ---------------------------------------------------------------------------

    #[test]
    fn civil_date_knows_the_calendar() {
        assert!(CivilDate::new(2000, 2, 29).is_some()); // divisible by 400
        assert!(CivilDate::new(1900, 2, 29).is_none()); // divisible by 100 only
        assert!(CivilDate::new(2024, 2, 29).is_some());
        assert!(CivilDate::new(2023, 2, 29).is_none());
        assert!(CivilDate::new(2023, 4, 31).is_none());
        assert!(CivilDate::new(2023, 12, 31).is_some());
        assert!(CivilDate::new(2023, 13, 1).is_none());
        assert!(CivilDate::new(2023, 0, 1).is_none());
        assert!(CivilDate::new(2023, 1, 0).is_none());
        assert!(date(1999, 12, 31) < date(2000, 1, 1));
        assert_eq!(date(2024, 3, 5).to_string(), "2024-03-05");
    }

    #[test]
    fn years_until_counts_completed_years() {
        let born = date(2011, 6, 15);
        assert_eq!(born.years_until(date(2025, 6, 14)), 13);
        assert_eq!(born.years_until(date(2025, 6, 15)), 14);
        assert_eq!(born.years_until(date(2025, 12, 31)), 14);
        assert_eq!(born.years_until(born), 0);
        assert_eq!(born.years_until(date(2011, 6, 14)), -1);
        let leap = date(2008, 2, 29);
        assert_eq!(leap.years_until(date(2022, 2, 28)), 13);
        assert_eq!(leap.years_until(date(2022, 3, 1)), 14);
        assert_eq!(leap.years_until(date(2024, 2, 29)), 16);
        let extreme = CivilDate {
            year: i32::MIN,
            month: 1,
            day: 1,
        };
        assert_eq!(
            extreme.years_until(CivilDate {
                year: i32::MAX,
                month: 1,
                day: 1
            }),
            i32::MAX
        );
    }

    // --- Resident ID -------------------------------------------------------------------------

    #[test]
    fn resident_id_accepts_the_gb_11643_example() {
        let id = resident_id("11010519491231002X", TODAY).unwrap();
        assert_eq!(id.number, "11010519491231002X");
        assert_eq!(id.birth_date, date(1949, 12, 31));
        assert_eq!(id.sex, Sex::Female);
        // Lower-case x, spaces, full-width digits: the same number.
        for spelling in [
            "11010519491231002x",
            " 110105 19491231 002X ",
            "１１０１０５１９４９１２３１００２ｘ",
        ] {
            assert_eq!(
                resident_id(spelling, TODAY).unwrap().number,
                "11010519491231002X"
            );
        }
    }

    #[test]
    fn resident_id_accepts_generated_numbers_and_reads_the_sex() {
        for (body, sex, birth) in [
            ("44030420000229001", Sex::Male, date(2000, 2, 29)),
            ("31010119900101002", Sex::Female, date(1990, 1, 1)),
            ("65010219000101003", Sex::Male, date(1900, 1, 1)),
            ("81000020250615004", Sex::Female, TODAY),
            ("83000019851111005", Sex::Male, date(1985, 11, 11)),
            ("71000019700707006", Sex::Female, date(1970, 7, 7)),
        ] {
            let number = with_check(body);
            let id = resident_id(&number, TODAY).unwrap();
            assert_eq!(id.number, number);
            assert_eq!(id.sex, sex);
            assert_eq!(id.birth_date, birth);
        }
        // Every check character value occurs, X included.
        let checks: std::collections::BTreeSet<char> = (0..200)
            .map(|n| check_char(&format!("1101051990010{n:04}")))
            .collect();
        assert_eq!(checks.len(), 11);
    }

    #[test]
    fn resident_id_refusals_have_distinct_reasons() {
        let cases = [
            ("1101051949123100", reason::LENGTH),
            ("11010519491231002XX", reason::LENGTH),
            ("", reason::LENGTH),
            ("11010519491231A02X", reason::CHARSET),
            ("11010519491231002Y", reason::CHARSET),
            ("1101051949123100２é", reason::CHARSET),
        ];
        for (input, expected) in cases {
            assert_eq!(
                refused(resident_id(input, TODAY)).reason,
                expected,
                "{input}"
            );
        }
        // Region: 10, 16, 39, 66, 84, 91 are not province-level codes.
        for region in ["10", "16", "39", "66", "84", "91", "00"] {
            let number = with_check(&format!("{region}010519491231002"));
            assert_eq!(refused(resident_id(&number, TODAY)).reason, reason::REGION);
        }
        // Birth date: not on the calendar, before 1900, after today.
        for birth in [
            "19990230", "20230229", "19991301", "19990000", "18991231", "20250616",
        ] {
            let number = with_check(&format!("110105{birth}002"));
            let invalid = refused(resident_id(&number, TODAY));
            assert_eq!(invalid.reason, reason::BIRTH_DATE, "{birth}");
        }
        assert!(
            refused(resident_id(&with_check("11010520250616002"), TODAY))
                .message
                .contains("future")
        );
        assert!(
            refused(resident_id(&with_check("11010518991231002"), TODAY))
                .message
                .contains("1900")
        );
        // Check character.
        let wrong = with_wrong_check("11010519491231002");
        let invalid = refused(resident_id(&wrong, TODAY));
        assert_eq!(invalid.reason, reason::CHECK_CHARACTER);
        assert_eq!(
            refused(resident_id("110105194912310021", TODAY)).reason,
            reason::CHECK_CHARACTER
        );
    }

    #[test]
    fn first_generation_numbers_are_refused_with_their_own_message() {
        let invalid = refused(resident_id("110105491231002", TODAY));
        assert_eq!(invalid.reason, reason::LENGTH);
        assert!(invalid.message.contains("first-generation"));
        assert!(invalid.message.contains("no longer accepted"));
        let other = refused(resident_id("1101054912310", TODAY));
        assert!(!other.message.contains("first-generation"));
    }

    #[test]
    fn resident_id_debug_shows_nothing() {
        let id = resident_id("11010519491231002X", TODAY).unwrap();
        let shown = format!("{id:?} {id:#?}");
        assert!(!shown.contains("11010519491231002X"));
        assert!(!shown.contains("1949"));
    }

    // --- Other documents ---------------------------------------------------------------------

    #[test]
    fn document_number_dispatches_resident_ids() {
        assert_eq!(
            document_number(
                DocumentType::ResidentIdCard,
                "CN",
                "11010519491231002x",
                TODAY
            )
            .unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            refused(document_number(
                DocumentType::ResidentIdCard,
                "CN",
                "11010519491231002",
                TODAY
            ))
            .reason,
            reason::LENGTH
        );
    }

    #[test]
    fn document_number_needs_an_iso_country() {
        for country in ["", "XX", "ZZZ", "C", "CHINA", "中国"] {
            let invalid = refused(document_number(
                DocumentType::Passport,
                country,
                "E12345678",
                TODAY,
            ));
            assert_eq!(invalid.reason, reason::COUNTRY, "{country}");
        }
        for country in ["CN", "CHN", "cn", " chn "] {
            assert!(document_number(DocumentType::Passport, country, "E12345678", TODAY).is_ok());
        }
    }

    #[test]
    fn chinese_passports() {
        for (input, normal) in [
            ("E12345678", "E12345678"),
            ("ea1234567", "EA1234567"),
            ("EF1260892", "EF1260892"),
            ("E 1234 5678", "E12345678"),
            ("G12345678", "G12345678"),
            ("141234567", "141234567"),
            ("151234567", "151234567"),
            ("DE1234567", "DE1234567"),
            ("SE1234567", "SE1234567"),
            ("PE1234567", "PE1234567"),
            ("S.1234567", "S.1234567"),
            ("P.1234567", "P.1234567"),
            ("S12345678", "S12345678"),
            ("S1234567", "S1234567"),
            ("D1234567", "D1234567"),
            ("P1234567", "P1234567"),
        ] {
            assert_eq!(
                document_number(DocumentType::Passport, "CN", input, TODAY).unwrap(),
                normal,
                "{input}"
            );
            assert_eq!(
                document_number(DocumentType::Passport, "CHN", input, TODAY).unwrap(),
                normal
            );
        }
        for input in [
            "E1234567",   // 7 digits after E
            "E123456789", // 9 digits
            "EI1234567",  // I is not used
            "EO1234567",  // O is not used
            "X12345678",
            "161234567",
            "G1234567",
            "K12345678", // Hong Kong SAR passport: country HK, not CN
            "",
        ] {
            let invalid = refused(document_number(DocumentType::Passport, "CN", input, TODAY));
            assert_eq!(invalid.reason, reason::SYNTAX, "{input}");
        }
    }

    #[test]
    fn other_passports() {
        assert_eq!(
            document_number(DocumentType::Passport, "US", " 56789 1234 ", TODAY).unwrap(),
            "567891234"
        );
        assert_eq!(
            document_number(DocumentType::Passport, "HK", "k12345678", TODAY).unwrap(),
            "K12345678"
        );
        assert_eq!(
            document_number(DocumentType::Passport, "DEU", "c01x00t47", TODAY).unwrap(),
            "C01X00T47"
        );
        assert_eq!(
            refused(document_number(DocumentType::Passport, "US", "1234", TODAY)).reason,
            reason::LENGTH
        );
        assert_eq!(
            refused(document_number(
                DocumentType::Passport,
                "US",
                "123456789012345678901",
                TODAY
            ))
            .reason,
            reason::LENGTH
        );
        assert_eq!(
            refused(document_number(
                DocumentType::Passport,
                "US",
                "12345-678",
                TODAY
            ))
            .reason,
            reason::CHARSET
        );
        assert_eq!(
            refused(document_number(
                DocumentType::Passport,
                "JP",
                "ＴＲ１２３４５é",
                TODAY
            ))
            .reason,
            reason::CHARSET
        );
    }

    #[test]
    fn hong_kong_and_macao_permits() {
        let kind = DocumentType::HkMacaoResidentPermit;
        for (input, normal) in [
            ("H12345678", "H12345678"),
            ("m12345678", "M12345678"),
            ("H1234567801", "H1234567801"),
            ("M 1234 5678 00", "M1234567800"),
        ] {
            assert_eq!(
                document_number(kind, "HK", input, TODAY).unwrap(),
                normal,
                "{input}"
            );
        }
        for (input, expected) in [
            ("H1234567", reason::LENGTH),
            ("H123456789", reason::LENGTH),
            ("H123456780123", reason::LENGTH),
            ("K12345678", reason::PREFIX),
            ("112345678", reason::PREFIX),
            ("H1234567A", reason::CHARSET),
            ("HA234567801", reason::CHARSET),
        ] {
            assert_eq!(
                refused(document_number(kind, "MO", input, TODAY)).reason,
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn taiwan_permits() {
        let kind = DocumentType::TaiwanResidentPermit;
        for (input, normal) in [
            ("12345678", "12345678"),
            ("1234567801", "1234567801"),
            ("1234567801(B)", "1234567801(B)"),
            ("1234567801(b)", "1234567801(B)"),
            ("1234567801（Ｂ）", "1234567801(B)"),
            ("1234567801(3)", "1234567801(3)"),
        ] {
            assert_eq!(
                document_number(kind, "TW", input, TODAY).unwrap(),
                normal,
                "{input}"
            );
        }
        for (input, expected) in [
            ("1234567", reason::LENGTH),
            ("123456789", reason::LENGTH),
            ("12345678901", reason::LENGTH),
            ("12345678(B)", reason::SYNTAX),
            ("1234567801(BB)", reason::SYNTAX),
            ("1234567801()", reason::SYNTAX),
            ("T1234567", reason::SYNTAX),
        ] {
            assert_eq!(
                refused(document_number(kind, "TW", input, TODAY)).reason,
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn foreign_permanent_resident_ids() {
        let kind = DocumentType::ForeignPermanentResidentId;
        // 2023 version: 9, province 11, nationality 398, born 1990-12-31, sequence 002.
        let new = with_check("91139819901231002");
        assert_eq!(document_number(kind, "KZ", &new, TODAY).unwrap(), new);
        let lower_x = with_check("94484019851001003");
        assert_eq!(
            document_number(kind, "US", &lower_x.to_lowercase(), TODAY).unwrap(),
            lower_x
        );
        // 2017 version: alpha-3 nationality and 12 digits.
        assert_eq!(
            document_number(kind, "KZ", "kaz110090123105", TODAY).unwrap(),
            "KAZ110090123105"
        );
        for (input, expected) in [
            (with_check("11010519491231002"), reason::PREFIX),
            (with_check("98139819901231002"), reason::REGION),
            (with_check("97139819901231002"), reason::REGION),
            (with_check("91139819900230002"), reason::BIRTH_DATE),
            (with_check("91139820250616002"), reason::BIRTH_DATE),
            (
                with_wrong_check("91139819901231002"),
                reason::CHECK_CHARACTER,
            ),
            ("91139819901231002Y".to_owned(), reason::CHARSET),
            ("QQQ110090123105".to_owned(), reason::COUNTRY),
            ("KA1110090123105".to_owned(), reason::SYNTAX),
            ("KAZ11009012310A".to_owned(), reason::SYNTAX),
            ("KAZ11009012310".to_owned(), reason::LENGTH),
            ("9113981990123100".to_owned(), reason::LENGTH),
        ] {
            assert_eq!(
                refused(document_number(kind, "KZ", &input, TODAY)).reason,
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn document_types() {
        let labels: std::collections::BTreeSet<_> =
            DocumentType::ALL.iter().map(|t| t.label_zh()).collect();
        assert_eq!(labels.len(), 5);
        assert_eq!(
            DocumentType::HkMacaoResidentPermit.label_zh(),
            "港澳居民来往内地通行证"
        );
        assert_eq!(
            DocumentType::TaiwanResidentPermit.label_zh(),
            "台湾居民来往大陆通行证"
        );
        assert!(DocumentType::ALL.iter().all(|t| !t.label_en().is_empty()));
    }

    // --- Mobile ------------------------------------------------------------------------------

    #[test]
    fn mobiles_are_normalized_to_11_digits() {
        for input in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "0086 13800138000",
            "008613800138000",
            "１３８００１３８０００",
            "\t13800138000\n",
        ] {
            assert_eq!(mainland_mobile(input).unwrap(), "13800138000", "{input}");
        }
        for good in [
            "14512345678",
            "14912345678",
            "15312345678",
            "16212345678",
            "16712345678",
            "17012345678",
            "17312345678",
            "17401234567",
            "17491234567",
            "17812345678",
            "19012345678",
            "19212345678",
            "19312345678",
            "19512345678",
            "19612345678",
            "19912345678",
            "16191234567",
            "13491234567",
        ] {
            assert_eq!(mainland_mobile(good).unwrap(), good);
        }
    }

    #[test]
    fn mobile_refusals() {
        for (input, expected) in [
            ("1380013800", reason::LENGTH),
            ("138001380001", reason::LENGTH),
            ("", reason::LENGTH),
            ("+86", reason::LENGTH),
            ("8613800138000", reason::LENGTH),
            ("138o0138000", reason::CHARSET),
            ("(138)00138000", reason::CHARSET),
            ("+85213800138000", reason::CHARSET),
            ("+86+8613800138000", reason::CHARSET),
            ("23800138000", reason::PREFIX),
        ] {
            assert_eq!(refused(mainland_mobile(input)).reason, expected, "{input}");
        }
        for prefix in [
            "120", "121", "129", "140", "141", "142", "143", "144", "154", "160", "163", "164",
            "168", "169", "179", "194",
        ] {
            let number = format!("{prefix}12345678");
            let invalid = refused(mainland_mobile(&number));
            assert_eq!(invalid.reason, reason::PREFIX, "{prefix}");
            assert_eq!(
                invalid.message,
                format!("{prefix} is not a mainland mobile prefix")
            );
        }
        let invalid = refused(mainland_mobile("17421234567"));
        assert_eq!(invalid.reason, reason::PREFIX);
        assert!(invalid.message.contains("1740"));
        assert_eq!(
            refused(mainland_mobile("16101234567")).reason,
            reason::PREFIX
        );
    }

    // --- E-mail ------------------------------------------------------------------------------

    #[test]
    fn emails_are_trimmed_and_their_domain_lower_cased() {
        for (input, normal) in [
            ("user@example.com", "user@example.com"),
            (
                "  User.Name+tag@Example.COM \n",
                "User.Name+tag@example.com",
            ),
            ("a@b.co", "a@b.co"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            (
                "x!#$%&'*+/=?^_`{|}~-@sub.example.org",
                "x!#$%&'*+/=?^_`{|}~-@sub.example.org",
            ),
            ("张三@例子.中国", "张三@例子.中国"),
            ("用户@ÉXAMPLE.cn", "用户@éxample.cn"),
            ("a@xn--fiqs8s.xn--55qx5d", "a@xn--fiqs8s.xn--55qx5d"),
            ("a@1.2.example", "a@1.2.example"),
            ("a@b-c.com", "a@b-c.com"),
        ] {
            assert_eq!(email(input).unwrap(), normal, "{input}");
        }
        let local64 = "a".repeat(64);
        assert!(email(&format!("{local64}@example.com")).is_ok());
        let label63 = "b".repeat(63);
        assert!(email(&format!("a@{label63}.com")).is_ok());
    }

    #[test]
    fn email_refusals() {
        let local65 = "a".repeat(65);
        let label64 = "b".repeat(64);
        let long_domain = format!("{}.com", vec!["c".repeat(60); 5].join("."));
        let long_address = format!(
            "{}@{}.com",
            "a".repeat(60),
            vec!["d".repeat(60); 4].join(".")
        );
        for (input, expected) in [
            ("userexample.com", reason::SYNTAX),
            ("a@b@example.com", reason::SYNTAX),
            ("@example.com", reason::LENGTH),
            (&format!("{local65}@example.com"), reason::LENGTH),
            ("a b@example.com", reason::CHARSET),
            ("a\"b@example.com", reason::CHARSET),
            ("a,b@example.com", reason::CHARSET),
            ("a\u{202e}b@example.com", reason::CHARSET),
            (".user@example.com", reason::SYNTAX),
            ("user.@example.com", reason::SYNTAX),
            ("us..er@example.com", reason::SYNTAX),
            ("user@", reason::LENGTH),
            ("user@localhost", reason::SYNTAX),
            ("user@example..com", reason::SYNTAX),
            ("user@.example.com", reason::SYNTAX),
            ("user@example.com.", reason::SYNTAX),
            (&format!("user@{label64}.com"), reason::LENGTH),
            ("user@exa_mple.com", reason::CHARSET),
            ("user@[127.0.0.1]", reason::CHARSET),
            ("user@-example.com", reason::SYNTAX),
            ("user@example-.com", reason::SYNTAX),
            ("user@192.168.0.1", reason::SYNTAX),
            (&format!("user@{long_domain}"), reason::LENGTH),
            (&long_address, reason::LENGTH),
        ] {
            assert_eq!(refused(email(input)).reason, expected, "{input}");
        }
    }

    // --- USCC and organization code ----------------------------------------------------------

    /// USCCs published by the organizations themselves or by public registers.
    const REAL_USCCS: [(&str, &str); 5] = [
        // Huawei Technologies Co., Ltd. (Wikipedia infobox, 机构代码).
        ("914403001922038216", "Huawei Technologies"),
        // Shenzhen Tencent Computer Systems Co., Ltd. (business-licence report).
        ("91440300708461136T", "Shenzhen Tencent Computer Systems"),
        // Bank of China Limited (serialNumber in the EV certificate of www.boc.cn); national
        // level, so characters 3-8 are 100000.
        ("911000001000013428", "Bank of China"),
        // Beijing Baidu Netcom Science and Technology Co., Ltd.
        ("91110000802100433B", "Beijing Baidu Netcom"),
        // Alibaba (China) Network Technology Co., Ltd.
        ("91330100716105852F", "Alibaba (China) Network Technology"),
    ];

    #[test]
    fn real_usccs_are_accepted() {
        for (code, who) in REAL_USCCS {
            assert_eq!(unified_social_credit_code(code).unwrap(), code, "{who}");
            assert_eq!(credit_or_organization_code(code).unwrap(), code, "{who}");
            // The organization code inside is valid by GB 11714 as well.
            assert_eq!(
                organization_code(&code[8..17]).unwrap(),
                &code[8..17],
                "{who}"
            );
            // Lower case and spaces are normalized.
            let spaced = format!(
                " {} {} ",
                &code[..8].to_lowercase(),
                &code[8..].to_lowercase()
            );
            assert_eq!(unified_social_credit_code(&spaced).unwrap(), code, "{who}");
        }
    }

    #[test]
    fn uscc_check_character_takes_every_value() {
        // Bodies that make the check 0 (sum ≡ 0 mod 31) and Y (value 30) exist and round-trip.
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..2000u32 {
            let body = format!("91110000MA{n:07}");
            let check = uscc_check(body.as_bytes()).unwrap();
            let code = format!("{body}{}", char::from(check));
            assert_eq!(unified_social_credit_code(&code).unwrap(), code);
            seen.insert(check);
        }
        assert_eq!(seen.len(), 31);
    }

    #[test]
    fn uscc_refusals() {
        for (input, expected) in [
            ("91440300708461136", reason::LENGTH),
            ("91440300708461136TT", reason::LENGTH),
            ("", reason::LENGTH),
            ("9144030070846113IT", reason::CHARSET),
            ("9144030070846113OT", reason::CHARSET),
            ("9144030070846113ST", reason::CHARSET),
            ("9144030070846113VT", reason::CHARSET),
            ("9144030070846113ZT", reason::CHARSET),
            ("914403007084611é6T", reason::CHARSET),
            ("01440300708461136T", reason::PREFIX),
            ("J1440300708461136T", reason::PREFIX),
            ("9144A300708461136T", reason::REGION),
            ("91440300708461136U", reason::CHECK_CHARACTER),
            ("914403001922038217", reason::CHECK_CHARACTER),
            ("914403001922083216", reason::CHECK_CHARACTER), // two digits swapped
        ] {
            assert_eq!(
                refused(unified_social_credit_code(input)).reason,
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn organization_codes() {
        assert_eq!(organization_code("19220382-1").unwrap(), "192203821");
        assert_eq!(organization_code("192203821").unwrap(), "192203821");
        assert_eq!(organization_code(" 70846113-6 ").unwrap(), "708461136");
        assert_eq!(organization_code("ma01n9jk-2").unwrap(), "MA01N9JK2");
        // Check values 10 (X) and 11 (0).
        let mut x = None;
        let mut zero = None;
        for n in 0..200u32 {
            let body = format!("{n:08}");
            match organization_code_check(body.as_bytes()) {
                Some(b'X') => x = Some(format!("{body}-X")),
                Some(b'0') => zero = Some(format!("{body}-0")),
                _ => {}
            }
        }
        let x = x.unwrap();
        assert_eq!(organization_code(&x).unwrap(), x.replace('-', ""));
        assert_eq!(
            organization_code(&x.to_lowercase()).unwrap(),
            x.replace('-', "")
        );
        let zero = zero.unwrap();
        assert_eq!(organization_code(&zero).unwrap(), zero.replace('-', ""));
        for (input, expected) in [
            ("1922038-21", reason::LENGTH),
            ("19220382--1", reason::LENGTH),
            ("19220382", reason::LENGTH),
            ("1922038212", reason::LENGTH),
            ("1922_382-1", reason::CHARSET),
            ("19220382-Y", reason::CHARSET),
            ("19220382-2", reason::CHECK_CHARACTER),
            ("29220382-1", reason::CHECK_CHARACTER),
        ] {
            assert_eq!(
                refused(organization_code(input)).reason,
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn credit_or_organization_code_dispatches_on_length() {
        assert_eq!(
            credit_or_organization_code("91440300708461136t").unwrap(),
            "91440300708461136T"
        );
        assert_eq!(
            credit_or_organization_code("70846113-6").unwrap(),
            "708461136"
        );
        assert_eq!(
            credit_or_organization_code("708461136").unwrap(),
            "708461136"
        );
        assert_eq!(
            refused(credit_or_organization_code("9144030070846113")).reason,
            reason::LENGTH
        );
        assert_eq!(
            refused(credit_or_organization_code("91440300708461136U")).reason,
            reason::CHECK_CHARACTER
        );
        assert_eq!(
            refused(credit_or_organization_code("70846113-7")).reason,
            reason::CHECK_CHARACTER
        );
    }

    // --- Username and country ----------------------------------------------------------------

    #[test]
    fn usernames() {
        for (input, normal) in [
            ("zhangsan", "zhangsan"),
            (" Zhang.San_1990 ", "Zhang.San_1990"),
            ("abc", "abc"),
            ("a-b", "a-b"),
            ("user1234567890", "user1234567890"),
        ] {
            assert_eq!(username(input).unwrap(), normal);
        }
        assert!(username(&format!("a{}", "b".repeat(31))).is_ok());
        for (input, expected) in [
            ("ab", reason::LENGTH),
            (&*format!("a{}", "b".repeat(32)), reason::LENGTH),
            ("zhang san", reason::CHARSET),
            ("zhang@example.com", reason::CHARSET),
            ("张三丰", reason::CHARSET),
            ("1zhang", reason::SYNTAX),
            ("_zhang", reason::SYNTAX),
            ("a13800138000", reason::LOOKS_LIKE_PI),
            ("a138.0013.8000", reason::LOOKS_LIKE_PI),
            ("id11010519491231002X", reason::LOOKS_LIKE_PI),
        ] {
            assert_eq!(refused(username(input)).reason, expected, "{input}");
        }
    }

    #[test]
    fn countries() {
        for (input, normal) in [
            ("CN", "CN"),
            ("hk", "HK"),
            (" Mo ", "MO"),
            ("tw", "TW"),
            ("us", "US"),
        ] {
            assert_eq!(country_region(input).unwrap(), normal);
        }
        for (input, expected) in [
            ("CHN", reason::LENGTH),
            ("", reason::LENGTH),
            ("C1", reason::CHARSET),
            ("XX", reason::COUNTRY),
            ("UK", reason::COUNTRY),
        ] {
            assert_eq!(refused(country_region(input)).reason, expected, "{input}");
        }
        assert_eq!(country_alpha2("CHN"), Some("CN"));
        assert_eq!(country_alpha2("twn"), Some("TW"));
        assert_eq!(country_alpha2("HK"), Some("HK"));
        assert_eq!(country_alpha2("XYZ"), None);
        assert_eq!(country_alpha3("MO"), Some("MAC"));
        assert!(
            COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted by alpha-2"
        );
        assert!(
            COUNTRIES
                .iter()
                .all(|(a2, a3)| country_alpha2(a3) == Some(*a2) && country_alpha3(a2) == Some(*a3))
        );
    }

    // --- Bank card numbers --------------------------------------------------------------------

    /// Published test card numbers (card schemes' and payment processors' documentation), and
    /// UnionPay-style numbers completed with a check digit computed by hand.
    const VALID_CARDS: [&str; 10] = [
        "6200000000000005",    // UnionPay test card, 16 digits
        "6205500000000000004", // UnionPay test card, 19 digits
        "6200000000000047",    // UnionPay test card
        "4111111111111111",    // Visa test card
        "5555555555554444",    // Mastercard test card
        "378282246310005",     // American Express test card, 15 digits
        "3530111333300000",    // JCB test card
        "6222021234567890128", // 19 digits, the body of the example
        "621700123456789011",  // 18 digits
        "955880012344",        // 12 digits
    ];

    /// Whether `digits` pass the Luhn check, computed independently of the module: the digit sum
    /// of every doubled digit read from a table, the total a multiple of 10.
    // `u32::is_multiple_of` is newer than the workspace's rust-version (1.85).
    #[allow(clippy::manual_is_multiple_of)]
    fn luhn_valid(digits: &str) -> bool {
        const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
        let total: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 { DOUBLED[d as usize] } else { d }
            })
            .sum();
        total % 10 == 0
    }

    #[test]
    fn bank_card_numbers_are_accepted_as_their_digits() {
        for card in VALID_CARDS {
            assert!(luhn_valid(card), "{card}");
            assert_eq!(bank_card_number(card).unwrap(), card);
        }
        for (input, normal) in [
            ("6222 0212 3456 7890 128", "6222021234567890128"),
            (" 6200\u{3000}0000 0000 0005\n", "6200000000000005"),
            ("６２０００００００００００００５", "6200000000000005"),
            ("4111\t1111 1111 1111", "4111111111111111"),
        ] {
            assert_eq!(bank_card_number(input).unwrap(), normal, "{input}");
        }
    }

    #[test]
    fn bank_card_check_digit_catches_every_single_mistyped_digit() {
        for card in VALID_CARDS {
            for position in 0..card.len() {
                for digit in b'0'..=b'9' {
                    let mut typed = card.as_bytes().to_vec();
                    if typed[position] == digit {
                        continue;
                    }
                    typed[position] = digit;
                    let typed = String::from_utf8(typed).unwrap();
                    let invalid = refused(bank_card_number(&typed));
                    assert_eq!(invalid.reason, reason::CHECK_CHARACTER, "{typed}");
                    assert_eq!(invalid.message, message::BANK_CARD_CHECK);
                }
            }
        }
    }

    #[test]
    fn bank_card_check_digit_takes_every_value_and_agrees_with_an_independent_luhn() {
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..3000u64 {
            let body = format!("62220212{n:010}");
            let check = luhn_check_digit(body.as_bytes());
            let card = format!("{body}{}", char::from(check));
            assert!(luhn_valid(&card), "{card}");
            assert_eq!(bank_card_number(&card).unwrap(), card);
            seen.insert(check);
        }
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn bank_card_refusals() {
        for (input, expected) in [
            ("", reason::LENGTH),
            ("95588001234", reason::LENGTH),          // 11 digits
            ("62000000000000000005", reason::LENGTH), // 20 digits, Luhn-valid
            ("6222-0212-3456-7890-128", reason::CHARSET),
            ("6222021234567890l28", reason::CHARSET),
            ("+6200000000000005", reason::CHARSET),
            ("6200000000000006", reason::CHECK_CHARACTER),
            ("2600000000000005", reason::CHECK_CHARACTER), // two digits swapped
            ("6222021234567890123", reason::CHECK_CHARACTER),
        ] {
            assert_eq!(refused(bank_card_number(input)).reason, expected, "{input}");
        }
    }

    // --- The PI rule -------------------------------------------------------------------------

    #[test]
    fn no_message_contains_the_input() {
        let ids = [
            "110105491231002",
            "1101051949123100",
            "11010519491231002Y",
            "10010519491231002X",
            "110105199902300021",
            "110105202506160021",
            "110105194912310021",
        ];
        let mobiles = ["12012345678", "1380013800", "138o0138000", "17421234567"];
        let emails = [
            "zhang.san@@example.com",
            "zhang..san@example.com",
            "zhangsan@example",
        ];
        let codes = [
            "91440300708461136U",
            "9144030070846113IT",
            "01440300708461136T",
            "19220382-2",
            "9144030070846113",
        ];
        let mut messages = Vec::new();
        for s in ids {
            messages.push((s, refused(resident_id(s, TODAY))));
            for kind in DocumentType::ALL {
                if let Err(e) = document_number(kind, "CN", s, TODAY) {
                    messages.push((s, e));
                }
            }
        }
        for s in mobiles {
            messages.push((s, refused(mainland_mobile(s))));
        }
        for s in emails {
            messages.push((s, refused(email(s))));
        }
        for s in codes {
            messages.push((s, refused(credit_or_organization_code(s))));
        }
        for s in ["a13800138000", "zhang san"] {
            messages.push((s, refused(username(s))));
        }
        for s in ["6222021234567890123", "6222-0212-3456-7890", "95588001234"] {
            messages.push((s, refused(bank_card_number(s))));
        }
        assert!(messages.len() > 20);
        for (input, invalid) in messages {
            assert!(
                !invalid.message.contains(input),
                "message {:?} contains its input",
                invalid.message
            );
            assert!(reason::ALL.contains(&invalid.reason));
            assert!(
                message::ALL.contains(&invalid.message.as_str())
                    || invalid
                        .message
                        .ends_with(" is not a mainland mobile prefix"),
                "{:?} is not a fixed message",
                invalid.message
            );
            // No run of 6 or more digits from the input either.
            let digits: String = input.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 6 {
                assert!(
                    !invalid.message.contains(&digits[..6]),
                    "{}",
                    invalid.message
                );
            }
        }
    }

    #[test]
    fn fixed_messages_are_distinct_and_carry_no_number() {
        let distinct: std::collections::BTreeSet<_> = message::ALL.iter().collect();
        assert_eq!(distinct.len(), message::ALL.len());
        for text in message::ALL {
            let longest_digit_run = text
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest_digit_run <= 5, "{text}");
        }
        assert_eq!(
            message::mobile_prefix(120),
            "120 is not a mainland mobile prefix"
        );
    }

    #[test]
    fn invalid_becomes_a_domain_error_naming_the_field() {
        let invalid = refused(mainland_mobile("12012345678"));
        let error = invalid.for_field("mobile");
        assert_eq!(error.code, crate::ErrorCode::InvalidInput);
        assert_eq!(error.message, "mobile: 120 is not a mainland mobile prefix");
        assert_eq!(invalid.to_string(), invalid.message);
    }
}
