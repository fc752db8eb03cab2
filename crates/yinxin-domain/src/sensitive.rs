//! [`Sensitive<T>`]: the wrapper personal information travels in once it leaves the vault.
//!
//! It has no `Display` and no `Serialize`, and its `Debug` prints only the field's name, so a
//! value cannot reach a log line, a JSON body or an error message by accident. The only way in is
//! [`Sensitive::expose`], which states a purpose and is refused unless the inventory declares that
//! purpose for the field (PRIV-5).

use std::fmt;

use zeroize::Zeroize;

use crate::error::{DomainError, ErrorCode};
use crate::pi::{PiField, Purpose};

/// A personal-information value bound to its declared field. Zeroized on drop.
pub struct Sensitive<T: Zeroize> {
    field: &'static PiField,
    value: T,
}

impl<T: Zeroize> Sensitive<T> {
    /// Wraps `value` as a value of `field`.
    pub fn new(field: &'static PiField, value: T) -> Self {
        Self { field, value }
    }

    /// The declared field this value belongs to.
    pub fn field(&self) -> &'static PiField {
        self.field
    }

    /// The value, for `purpose`. Refused with [`ErrorCode::PurposeNotDeclared`] when the inventory
    /// does not list `purpose` for this field (PRIV-5: no use beyond the declared purposes).
    pub fn expose(&self, purpose: Purpose) -> Result<&T, DomainError> {
        if self.field.allows(purpose) {
            Ok(&self.value)
        } else {
            Err(DomainError::new(
                ErrorCode::PurposeNotDeclared,
                format!(
                    "field {} may not be used for {purpose:?}: the inventory does not declare that purpose",
                    self.field.name
                ),
            ))
        }
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sensitive<{}>(<redacted>)", self.field.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{PERSON_DOCUMENT_NUMBER, PERSON_MOBILE};

    #[test]
    fn debug_never_shows_the_value() {
        let s = Sensitive::new(&PERSON_MOBILE, "13800138000".to_owned());
        let shown = format!("{s:?} {s:#?}");
        assert!(!shown.contains("13800138000"));
        assert!(shown.contains("person.mobile"));
    }

    #[test]
    fn expose_only_for_declared_purposes() {
        let s = Sensitive::new(&PERSON_DOCUMENT_NUMBER, "11010519491231002X".to_owned());
        assert_eq!(
            s.expose(Purpose::RealNameVerification).unwrap(),
            "11010519491231002X"
        );
        // An ID number is not a marketing or support key.
        let err = s.expose(Purpose::CustomerSupport).unwrap_err();
        assert_eq!(err.code, ErrorCode::PurposeNotDeclared);
        assert!(!err.message.contains("11010519491231002X"));
    }
}
