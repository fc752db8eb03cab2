//! Blind-index normalization (`yinxin_domain::pi::Normalization::apply`).
//!
//! The input is decoded the way `Vault::index_entry` decodes a value (`String::from_utf8_lossy`),
//! then every variant is checked for:
//!
//! - idempotence: `n(n(s)) == n(s)` (a normalized value is its own normal form, so a value that
//!   was normalized once — by a migration, an import or a caller — still finds its subject);
//! - insensitivity to surrounding whitespace (`apply` trims first);
//! - the per-variant shape its code produces:
//!   - `DocumentNumber` / `CreditCode`: no whitespace at all, no ASCII lower-case letter, and the
//!     result does not depend on the ASCII case of the input or on whitespace inside it;
//!   - `Email`: no leading/trailing whitespace, `to_lowercase` is a fixed point, ASCII case of the
//!     input does not matter;
//!   - `Mobile`: ASCII digits only; punctuation and letters between the digits do not matter; the
//!     number written with a `+86` or `0086` prefix normalizes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_domain::pi::Normalization;

const ALL: [Normalization; 5] = [
    Normalization::DocumentNumber,
    Normalization::Mobile,
    Normalization::Email,
    Normalization::CreditCode,
    Normalization::Username,
];

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s: &str = &s;
    for n in ALL {
        let once = n.apply(s);
        let twice = n.apply(&once);
        assert_eq!(twice, once, "{n:?} is not idempotent on {s:?}");

        let padded = format!(" \t{s}\r\n ");
        assert_eq!(
            n.apply(&padded),
            once,
            "{n:?} depends on surrounding whitespace of {s:?}"
        );

        match n {
            Normalization::DocumentNumber | Normalization::CreditCode => {
                assert!(
                    !once.chars().any(char::is_whitespace),
                    "{n:?} left whitespace in {once:?}"
                );
                assert!(
                    !once.chars().any(|c| c.is_ascii_lowercase()),
                    "{n:?} left ASCII lower case in {once:?}"
                );
                assert_eq!(
                    n.apply(&s.to_ascii_lowercase()),
                    once,
                    "{n:?} depends on ASCII case of {s:?}"
                );
                // Whitespace anywhere inside is dropped: "1101 0519 4912 3100 2x" is one number.
                let spaced: String = s.chars().flat_map(|c| [c, ' ']).collect();
                assert_eq!(
                    n.apply(&spaced),
                    once,
                    "{n:?} depends on inner whitespace of {s:?}"
                );
                // Nothing but whitespace is removed.
                assert_eq!(
                    once.chars().count(),
                    s.chars().filter(|c| !c.is_whitespace()).count(),
                    "{n:?} dropped non-whitespace from {s:?}"
                );
            }
            Normalization::Username => {
                assert_eq!(once.trim(), once, "Username result {once:?} is not trimmed");
                assert!(
                    !once.chars().any(|c| c.is_ascii_uppercase()),
                    "Username left ASCII upper case in {once:?}"
                );
                assert_eq!(
                    n.apply(&s.to_ascii_uppercase()),
                    once,
                    "Username depends on ASCII case of {s:?}"
                );
            }
            Normalization::Email => {
                assert_eq!(once.trim(), once, "Email result {once:?} is not trimmed");
                assert_eq!(
                    once.to_lowercase(),
                    once,
                    "Email result {once:?} is not lower case"
                );
                assert_eq!(
                    n.apply(&s.to_ascii_uppercase()),
                    n.apply(&s.to_ascii_lowercase()),
                    "Email depends on ASCII case of {s:?}"
                );
            }
            Normalization::Mobile => {
                assert!(
                    once.bytes().all(|b| b.is_ascii_digit()),
                    "Mobile result {once:?} is not digits only"
                );
                // Only the digits (and whether the trimmed value starts with '+') matter.
                let t = s.trim();
                let plus = if t.starts_with('+') { "+" } else { "" };
                let digits: String = t.chars().filter(char::is_ascii_digit).collect();
                assert_eq!(
                    n.apply(&format!("{plus}{digits}")),
                    once,
                    "Mobile depends on non-digits of {s:?}"
                );
                // The result is the input's digits with only country codes removed: an optional
                // `86` after a `+`, then `0086` groups.
                assert!(
                    digits.ends_with(&once),
                    "Mobile result {once:?} is not a suffix of the digits of {s:?}"
                );
                let removed = &digits[..digits.len() - once.len()];
                let removed = if plus == "+" {
                    removed.strip_prefix("86").unwrap_or(removed)
                } else {
                    removed
                };
                assert!(
                    removed.len() % 4 == 0 && removed.as_bytes().chunks(4).all(|c| c == b"0086"),
                    "Mobile removed {removed:?} from {s:?}, not only country codes"
                );
                assert!(
                    !once.starts_with("0086"),
                    "Mobile result {once:?} starts with 0086"
                );
                // The same number written with a country code normalizes the same.
                assert_eq!(n.apply(&format!("+86 {once}")), once, "+86 {once:?}");
                assert_eq!(n.apply(&format!("0086 {once}")), once, "0086 {once:?}");
            }
        }
    }
});
