//! PKCS#10 requests (RFC 2986), checked before issuance.
