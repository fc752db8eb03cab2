//! The passkey verifier's parsers of untrusted bytes (`yinxin_identity::webauthn`, ACC-3).
//!
//! The first byte chooses what the rest is (modulo 4):
//!
//! - 0: an `attestationObject`, parsed and then verified as a registration whose client data is
//!   valid. Accepted ⇒ the parts parse on their own, the credential id is the one the
//!   authenticator data names, the algorithm is ES256 or EdDSA and the key re-parses.
//! - 1: `authenticatorData`. Accepted by the parser ⇒ the fixed fields are the input's bytes,
//!   AT/ED agree with the parts present, and with neither flag the input is exactly 37 bytes.
//!   Then an assertion carrying it, signed by a software authenticator, is verified: it must be
//!   accepted exactly when the flags and rpIdHash are right (UP, UV, BS only with BE, no AT,
//!   SHA-256 of the RP ID) and the counter is above the stored 7: an oracle independent of the
//!   verifier's order of checks.
//! - 2: `clientDataJSON`, parsed and then verified inside an otherwise valid registration:
//!   accepted exactly when type, challenge, origin and crossOrigin are right.
//! - 3: a COSE_Key. Accepted ⇒ algorithm -7 or -8.
//!
//! For every input: no panic, and every function gives the same answer twice.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use yinxin_identity::webauthn::soft::SoftAuthenticator;
use yinxin_identity::webauthn::{
    self, AttestationObject, AuthenticationResponse, ClientData, CredentialPublicKey,
    RegistrationResponse, RelyingParty, StoredCredential, WebauthnError, b64url, field,
    parse_authenticator_data,
};

const RP_ID: &str = "example.cn";
const ORIGIN: &str = "https://example.cn";
const CHALLENGE: [u8; 4] = [0, 1, 2, 3];
const STORED_COUNT: u32 = 7;

struct Fixture {
    rp: RelyingParty,
    authenticator: SoftAuthenticator,
    stored: StoredCredential,
    /// A valid "none" attestation object of `authenticator`.
    attestation_object: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let authenticator = SoftAuthenticator::new_ed25519();
        let stored = StoredCredential {
            credential_id: authenticator.credential_id().to_vec(),
            public_key_cose: authenticator.cose_key(),
            sign_count: STORED_COUNT,
            user_handle: b"user".to_vec(),
        };
        let attestation_object = SoftAuthenticator::attestation_object(
            "none",
            ciborium::Value::Map(Vec::new()),
            &authenticator.authenticator_data(RP_ID, true),
        );
        Fixture {
            rp: RelyingParty {
                id: RP_ID.into(),
                name: "fuzz".into(),
                origins: vec![ORIGIN.into()],
            },
            authenticator,
            stored,
            attestation_object,
        }
    })
}

fn registration(raw_id: &[u8], client_data: &[u8], object: &[u8]) -> RegistrationResponse {
    let json = serde_json::json!({
        "id": b64url(raw_id),
        "rawId": b64url(raw_id),
        "type": "public-key",
        "response": { "clientDataJSON": b64url(client_data), "attestationObject": b64url(object) },
    });
    serde_json::from_value(json).expect("a well-formed RegistrationResponseJSON")
}

fn create_client_data() -> Vec<u8> {
    format!(
        r#"{{"type":"webauthn.create","challenge":"{}","origin":"{ORIGIN}"}}"#,
        b64url(&CHALLENGE)
    )
    .into_bytes()
}

fn attestation_object(data: &[u8]) {
    let fx = fixture();
    let parsed = AttestationObject::parse(data);
    assert_eq!(
        parsed,
        AttestationObject::parse(data),
        "parse is deterministic"
    );
    let raw_id = parsed
        .as_ref()
        .ok()
        .and_then(|o| {
            parse_authenticator_data(&o.auth_data, field::ATTESTATION_OBJECT)
                .ok()
                .and_then(|d| d.attested.map(|a| a.credential_id.to_vec()))
        })
        .unwrap_or_else(|| b"fuzz".to_vec());
    let resp = registration(&raw_id, &create_client_data(), data);
    let result = webauthn::verify_registration(&fx.rp, &CHALLENGE, &resp);
    assert_eq!(
        result,
        webauthn::verify_registration(&fx.rp, &CHALLENGE, &resp)
    );
    if let Ok(new) = result {
        let object = parsed.expect("accepted ⇒ the object parses");
        let auth = parse_authenticator_data(&object.auth_data, field::ATTESTATION_OBJECT)
            .expect("accepted ⇒ the authenticator data parses");
        let attested = auth.attested.expect("accepted ⇒ attested credential data");
        assert_eq!(attested.credential_id, new.credential_id.as_slice());
        assert_eq!(attested.public_key_cose, new.public_key_cose.as_slice());
        assert!(new.algorithm == -7 || new.algorithm == -8);
        let key = CredentialPublicKey::from_cose(&new.public_key_cose, field::STORED_KEY)
            .expect("the stored key re-parses");
        assert_eq!(key.algorithm(), new.algorithm);
        assert_eq!(new.attestation_format, object.fmt);
    }
}

fn authenticator_data(data: &[u8]) {
    let fx = fixture();
    let parsed = parse_authenticator_data(data, field::AUTHENTICATOR_DATA);
    assert_eq!(
        parsed,
        parse_authenticator_data(data, field::AUTHENTICATOR_DATA)
    );
    let Ok(auth) = parsed else { return };
    if data.len() > webauthn::MAX_AUTHENTICATOR_DATA {
        return;
    }
    assert_eq!(
        auth.rp_id_hash.as_slice(),
        data.get(..32).expect("≥ 32 bytes")
    );
    assert_eq!(Some(&auth.flags), data.get(32));
    let count: [u8; 4] = data.get(33..37).expect("≥ 37 bytes").try_into().expect("4");
    assert_eq!(auth.sign_count, u32::from_be_bytes(count));
    assert_eq!(auth.attested.is_some(), auth.flags & webauthn::FLAG_AT != 0);
    assert_eq!(
        auth.extensions.is_some(),
        auth.flags & webauthn::FLAG_ED != 0
    );
    if auth.attested.is_none() && auth.extensions.is_none() {
        assert_eq!(data.len(), 37);
    }

    let client_data = format!(
        r#"{{"type":"webauthn.get","challenge":"{}","origin":"{ORIGIN}"}}"#,
        b64url(&CHALLENGE)
    );
    let mut signed = data.to_vec();
    signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
    let signature = fx.authenticator.sign(&signed);
    let json = fx
        .authenticator
        .assertion_json(client_data.as_bytes(), data, &signature);
    let resp: AuthenticationResponse = serde_json::from_value(json).expect("well-formed");
    // The soft authenticator answers with its (empty) user handle: treated as absent.
    let result = webauthn::verify_assertion(&fx.rp, &CHALLENGE, &fx.stored, &resp);
    assert_eq!(
        result,
        webauthn::verify_assertion(&fx.rp, &CHALLENGE, &fx.stored, &resp)
    );
    let flags = auth.flags;
    let expected_ok = auth.rp_id_hash == <[u8; 32]>::from(Sha256::digest(RP_ID.as_bytes()))
        && flags & webauthn::FLAG_UP != 0
        && flags & webauthn::FLAG_UV != 0
        && (flags & webauthn::FLAG_BS == 0 || flags & webauthn::FLAG_BE != 0)
        && flags & webauthn::FLAG_AT == 0
        && auth.sign_count > STORED_COUNT;
    assert_eq!(result.is_ok(), expected_ok, "{result:?}");
    if let Ok(outcome) = result {
        assert_eq!(outcome.new_sign_count, auth.sign_count);
        assert!(outcome.user_verified);
    }
}

fn client_data(data: &[u8]) {
    let fx = fixture();
    let parsed = ClientData::parse(data);
    assert_eq!(parsed, ClientData::parse(data));
    let check = parsed
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|c| c.check(webauthn::TYPE_CREATE, &CHALLENGE, &fx.rp));
    if let Ok(c) = &parsed {
        if check.is_ok() {
            assert_eq!(c.ceremony, "webauthn.create");
            assert_eq!(c.origin, ORIGIN);
            assert_ne!(c.cross_origin, Some(true));
        }
    }
    let resp = registration(
        fx.authenticator.credential_id(),
        data,
        &fx.attestation_object,
    );
    let result = webauthn::verify_registration(&fx.rp, &CHALLENGE, &resp);
    assert_eq!(
        result,
        webauthn::verify_registration(&fx.rp, &CHALLENGE, &resp)
    );
    if data.len() > webauthn::MAX_CLIENT_DATA {
        assert!(matches!(result, Err(WebauthnError::TooLarge { .. })));
        return;
    }
    match (&check, &result) {
        (Ok(()), Ok(_)) => {}
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("client data check {check:?} but registration {result:?}"),
    }
}

fn cose_key(data: &[u8]) {
    let key = CredentialPublicKey::from_cose(data, field::STORED_KEY);
    assert_eq!(key, CredentialPublicKey::from_cose(data, field::STORED_KEY));
    match key {
        Ok(key) => assert!(key.algorithm() == -7 || key.algorithm() == -8),
        Err(e) => assert!(matches!(
            e,
            WebauthnError::CoseKey { .. } | WebauthnError::UnsupportedAlgorithm { .. }
        )),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => attestation_object(rest),
        1 => authenticator_data(rest),
        2 => client_data(rest),
        _ => cose_key(rest),
    }
});
