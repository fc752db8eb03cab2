//! Distinguished names (RFC 5280 §4.1.2.4), built attribute by attribute. Values are UTF8String
//! (RFC 5280 §4.1.2.6: "MUST use UTF8String" for new certificates) except `countryName`, which is
//! a PrintableString of two letters (X.520).

use const_oid::db::rfc4519;
use der::asn1::{Any, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use der::{Decode, Encode};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::PkiError;

/// organizationIdentifier (X.520, 2.5.4.97): carries the unified social credit code of an
/// enterprise subject (GM/T 0015-2023).
pub const ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");

/// A name under construction, most significant attribute first (C, O, OU, CN).
#[derive(Clone, Debug, Default)]
pub struct NameBuilder {
    rdns: Vec<(ObjectIdentifier, String)>,
}

impl NameBuilder {
    /// An empty name.
    pub fn new() -> Self {
        Self::default()
    }

    /// countryName: two letters.
    pub fn country(mut self, c: &str) -> Self {
        self.rdns.push((rfc4519::C, c.to_owned()));
        self
    }

    /// organizationName.
    pub fn organization(mut self, o: &str) -> Self {
        self.rdns.push((rfc4519::O, o.to_owned()));
        self
    }

    /// organizationalUnitName.
    pub fn organizational_unit(mut self, ou: &str) -> Self {
        self.rdns.push((rfc4519::OU, ou.to_owned()));
        self
    }

    /// organizationIdentifier (the USCC of an enterprise).
    pub fn organization_identifier(mut self, id: &str) -> Self {
        self.rdns.push((ORGANIZATION_IDENTIFIER, id.to_owned()));
        self
    }

    /// serialNumber (X.520): how the subject's document appears when the profile says so (CERT-4).
    pub fn serial_number(mut self, s: &str) -> Self {
        self.rdns.push((rfc4519::SERIAL_NUMBER, s.to_owned()));
        self
    }

    /// commonName.
    pub fn common_name(mut self, cn: &str) -> Self {
        self.rdns.push((rfc4519::CN, cn.to_owned()));
        self
    }

    /// The name, one attribute per RDN.
    pub fn build(&self) -> Result<Name, PkiError> {
        let mut seq = RdnSequence::default();
        for (oid, value) in &self.rdns {
            let value = if *oid == rfc4519::C {
                if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(PkiError::Invalid(
                        "a country name is two capital letters (ISO 3166-1 alpha-2)".into(),
                    ));
                }
                Any::from(PrintableStringRef::new(value)?)
            } else {
                if value.is_empty() || value.chars().count() > 64 {
                    return Err(PkiError::Invalid(format!(
                        "a name attribute {oid} has 1 to 64 characters"
                    )));
                }
                Any::from(Utf8StringRef::new(value)?)
            };
            let atv = AttributeTypeAndValue { oid: *oid, value };
            seq.push(RelativeDistinguishedName::try_from(vec![atv])?);
        }
        // Through DER: x509-cert checks the RFC 5280 rules of a name when it decodes one.
        Ok(Name::from_der(&seq.to_der()?)?)
    }
}
