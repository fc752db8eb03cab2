//! Ceremonies end to end with the software authenticator, and one refusal test per check.

use ciborium::Value;
use sha2::{Digest as _, Sha256};

use super::soft::SoftAuthenticator;
use super::*;

const RP_ID: &str = "example.cn";
const ORIGIN: &str = "https://example.cn";
const USER: &[u8] = b"user-handle-0001";

fn rp() -> RelyingParty {
    RelyingParty {
        id: RP_ID.into(),
        name: "银信".into(),
        origins: vec![ORIGIN.into(), "http://localhost:8080".into()],
    }
}

fn registration(json: serde_json::Value) -> RegistrationResponse {
    serde_json::from_value(json).unwrap()
}

fn authentication(json: serde_json::Value) -> AuthenticationResponse {
    serde_json::from_value(json).unwrap()
}

fn register(auth: &mut SoftAuthenticator) -> (NewCredential, StoredCredential) {
    let challenge = new_challenge();
    let resp = registration(auth.register(RP_ID, ORIGIN, &challenge, USER));
    let new = verify_registration(&rp(), &challenge, &resp).unwrap();
    let stored = StoredCredential {
        credential_id: new.credential_id.clone(),
        public_key_cose: new.public_key_cose.clone(),
        sign_count: new.sign_count,
        user_handle: USER.to_vec(),
    };
    (new, stored)
}

fn login(
    auth: &mut SoftAuthenticator,
    stored: &StoredCredential,
) -> Result<AssertionOutcome, WebauthnError> {
    let challenge = new_challenge();
    let resp = authentication(auth.assert(RP_ID, ORIGIN, &challenge));
    verify_assertion(&rp(), &challenge, stored, &resp)
}

/// Registration response with `f` applied to its JSON.
fn registration_with(
    f: impl FnOnce(&mut serde_json::Value),
) -> Result<NewCredential, WebauthnError> {
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let mut json = auth.register(RP_ID, ORIGIN, &challenge, USER);
    f(&mut json);
    verify_registration(&rp(), &challenge, &registration(json))
}

/// A registration whose attestation object is `object` (client data and ids otherwise valid).
fn registration_of_object(
    auth: &SoftAuthenticator,
    challenge: &[u8],
    object: &[u8],
) -> RegistrationResponse {
    let client_data = auth.client_data_json("webauthn.create", challenge, ORIGIN);
    registration(auth.registration_json(&client_data, object))
}

/// An assertion of `auth` whose authenticator data is `auth_data`, signed properly.
fn assertion_of_data(
    auth: &SoftAuthenticator,
    challenge: &[u8],
    auth_data: &[u8],
) -> AuthenticationResponse {
    let client_data = auth.client_data_json("webauthn.get", challenge, ORIGIN);
    let mut signed = auth_data.to_vec();
    signed.extend_from_slice(&Sha256::digest(&client_data));
    authentication(auth.assertion_json(&client_data, auth_data, &auth.sign(&signed)))
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

// ---- success ----

#[test]
fn es256_registration_and_logins() {
    let mut auth = SoftAuthenticator::new_es256();
    let (new, mut stored) = register(&mut auth);
    assert_eq!(new.algorithm, ALG_ES256);
    assert_eq!(new.credential_id, auth.credential_id());
    assert_eq!(new.attestation_format, "none");
    assert_eq!(new.aaguid, *b"yinxin-soft-auth");
    assert_eq!(new.sign_count, 0);
    assert!(!new.backup_eligible && !new.backed_up);
    assert_eq!(
        new.transports,
        ["internal", "hybrid"],
        "unknown transports are dropped"
    );
    // The stored key parses again.
    assert_eq!(
        CredentialPublicKey::from_cose(&new.public_key_cose, field::STORED_KEY)
            .unwrap()
            .algorithm(),
        ALG_ES256
    );
    for expected in 1..=3 {
        let outcome = login(&mut auth, &stored).unwrap();
        assert_eq!(outcome.new_sign_count, expected);
        assert!(outcome.user_verified);
        stored.sign_count = outcome.new_sign_count;
    }
}

#[test]
fn ed25519_registration_and_logins() {
    let mut auth = SoftAuthenticator::new_ed25519();
    let (new, mut stored) = register(&mut auth);
    assert_eq!(new.algorithm, ALG_EDDSA);
    for expected in 1..=2 {
        let outcome = login(&mut auth, &stored).unwrap();
        assert_eq!(outcome.new_sign_count, expected);
        stored.sign_count = outcome.new_sign_count;
    }
}

#[test]
fn packed_self_attestation_both_algorithms() {
    for mut auth in [
        SoftAuthenticator::new_es256(),
        SoftAuthenticator::new_ed25519(),
    ] {
        let challenge = new_challenge();
        let resp = registration(auth.register_packed_self(RP_ID, ORIGIN, &challenge, USER));
        let new = verify_registration(&rp(), &challenge, &resp).unwrap();
        assert_eq!(new.attestation_format, "packed");
        assert_eq!(new.algorithm, auth.algorithm());
        let stored = StoredCredential {
            credential_id: new.credential_id,
            public_key_cose: new.public_key_cose,
            sign_count: new.sign_count,
            user_handle: USER.to_vec(),
        };
        assert_eq!(login(&mut auth, &stored).unwrap().new_sign_count, 1);
    }
}

#[test]
fn packed_x5c_attestation_verifies_with_the_leaf_key() {
    let mut auth = SoftAuthenticator::new_ed25519();
    let challenge = new_challenge();
    let resp = registration(auth.register_packed_x5c(RP_ID, ORIGIN, &challenge, USER));
    let new = verify_registration(&rp(), &challenge, &resp).unwrap();
    assert_eq!(new.attestation_format, "packed");
}

#[test]
fn packed_x5c_with_a_signature_by_another_key_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let good = auth.register_packed_x5c(RP_ID, ORIGIN, &challenge, USER);
    let good = registration(good);
    let object = decode_b64url(&good.response.attestation_object, "t", 1 << 20).unwrap();
    let value: Value = ciborium::de::from_reader(object.as_slice()).unwrap();
    let mut entries = value.into_map().unwrap();
    for (key, stmt) in &mut entries {
        if key.as_text() == Some("attStmt") {
            for (k, v) in stmt.as_map_mut().unwrap() {
                if k.as_text() == Some("sig") {
                    // The credential key's signature is not the attestation key's.
                    *v = Value::Bytes(auth.sign(b"something else"));
                }
            }
        }
    }
    let resp = registration_of_object(&auth, &challenge, &cbor(&Value::Map(entries)));
    assert_eq!(
        verify_registration(&rp(), &challenge, &resp),
        Err(WebauthnError::Attestation {
            what: "packed attStmt: sig does not verify"
        })
    );
}

#[test]
fn zero_counter_authenticator_is_accepted_with_zero() {
    let mut auth = SoftAuthenticator::new_es256();
    auth.zero_counter = true;
    auth.backup_eligible = true;
    auth.backed_up = true;
    let (new, stored) = register(&mut auth);
    assert!(new.backup_eligible && new.backed_up);
    for _ in 0..2 {
        let outcome = login(&mut auth, &stored).unwrap();
        assert_eq!(outcome.new_sign_count, 0);
        assert!(outcome.backed_up);
    }
}

#[test]
fn extensions_are_skipped_on_both_ceremonies() {
    let mut auth = SoftAuthenticator::new_ed25519();
    auth.with_extensions = true;
    let (_, stored) = register(&mut auth);
    assert_eq!(login(&mut auth, &stored).unwrap().new_sign_count, 1);
}

#[test]
fn localhost_origin_and_padded_base64_are_accepted() {
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let mut json = auth.register(RP_ID, "http://localhost:8080", &challenge, USER);
    // Padding is tolerated: 16-byte ids need "==".
    let padded = format!("{}==", json["rawId"].as_str().unwrap());
    json["rawId"] = padded.into();
    verify_registration(&rp(), &challenge, &registration(json)).unwrap();
}

#[test]
fn options_have_the_webauthn_json_shape() {
    let rp = rp();
    let created = creation_options(&rp, &[1, 2, 3], b"uid", "alice", "Alice", &[vec![0xff; 3]]);
    assert_eq!(created["rp"]["id"], RP_ID);
    assert_eq!(created["user"]["id"], "dWlk");
    assert_eq!(created["challenge"], "AQID");
    assert_eq!(created["pubKeyCredParams"][0]["alg"], -7);
    assert_eq!(created["pubKeyCredParams"][1]["alg"], -8);
    assert_eq!(created["attestation"], "none");
    assert_eq!(
        created["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(
        created["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert_eq!(created["timeout"], 300_000);
    assert_eq!(created["excludeCredentials"][0]["id"], "____");
    let requested = request_options(&rp, &[1, 2, 3], &[]);
    assert_eq!(requested["rpId"], RP_ID);
    assert_eq!(requested["userVerification"], "required");
    assert_eq!(requested["allowCredentials"], serde_json::json!([]));
}

#[test]
fn relying_party_check() {
    // The test RP lists a localhost origin for the padding test: not a consistent setting.
    assert!(rp().check().unwrap_err().contains("RP ID"));
    let mut bad = rp();
    bad.origins = vec![ORIGIN.into(), "https://login.example.cn".into()];
    bad.check().unwrap();
    let local = RelyingParty {
        id: "localhost".into(),
        name: "dev".into(),
        origins: vec!["http://localhost:8080".into()],
    };
    local.check().unwrap();
    bad.origins = vec!["http://example.cn".into()];
    assert!(bad.check().unwrap_err().contains("https"));
    bad.origins = vec!["https://evil.example".into()];
    assert!(bad.check().unwrap_err().contains("RP ID"));
    bad.origins = vec!["https://login.example.cn/path".into()];
    assert!(bad.check().is_err());
    bad.origins = vec!["https://login.example.cn:8443".into()];
    bad.check().unwrap();
    bad.id = "Example.CN".into();
    assert!(bad.check().is_err());
}

#[test]
fn challenges_are_fresh() {
    assert_ne!(new_challenge(), new_challenge());
}

// ---- refusals: client data and envelope ----

#[test]
fn wrong_challenge_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let json = auth.register(RP_ID, ORIGIN, &new_challenge(), USER);
    assert_eq!(
        verify_registration(&rp(), &new_challenge(), &registration(json)),
        Err(WebauthnError::ChallengeMismatch)
    );
    let (_, stored) = register(&mut auth);
    let resp = authentication(auth.assert(RP_ID, ORIGIN, &new_challenge()));
    let err = verify_assertion(&rp(), &new_challenge(), &stored, &resp).unwrap_err();
    assert_eq!(err, WebauthnError::ChallengeMismatch);
    assert_eq!(
        err.to_string(),
        "response.clientDataJSON: challenge does not match the one issued"
    );
    assert_eq!(err.field(), "response.clientDataJSON");
}

#[test]
fn wrong_origin_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let json = auth.register(RP_ID, "https://example.cn.evil.test", &challenge, USER);
    assert_eq!(
        verify_registration(&rp(), &challenge, &registration(json)),
        Err(WebauthnError::OriginNotAllowed)
    );
    let (_, stored) = register(&mut auth);
    let resp = authentication(auth.assert(RP_ID, "http://example.cn", &challenge));
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::OriginNotAllowed)
    );
}

#[test]
fn wrong_rp_id_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let json = auth.register("evil.test", ORIGIN, &challenge, USER);
    let err = verify_registration(&rp(), &challenge, &registration(json)).unwrap_err();
    assert_eq!(
        err,
        WebauthnError::RpIdMismatch {
            field: field::ATTESTATION_OBJECT
        }
    );
    let (_, stored) = register(&mut auth);
    let resp = authentication(auth.assert("cn", ORIGIN, &challenge));
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::RpIdMismatch {
            field: field::AUTHENTICATOR_DATA
        })
    );
}

#[test]
fn cross_origin_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    auth.cross_origin = true;
    let challenge = new_challenge();
    let json = auth.register(RP_ID, ORIGIN, &challenge, USER);
    assert_eq!(
        verify_registration(&rp(), &challenge, &registration(json)),
        Err(WebauthnError::CrossOrigin)
    );
}

#[test]
fn wrong_client_data_type_is_refused() {
    // An assertion's client data replayed as a registration's, and the reverse.
    let mut auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let client_data = auth.client_data_json("webauthn.get", &challenge, ORIGIN);
    let object = SoftAuthenticator::attestation_object(
        "none",
        Value::Map(vec![]),
        &auth.authenticator_data(RP_ID, true),
    );
    let resp = registration(auth.registration_json(&client_data, &object));
    assert_eq!(
        verify_registration(&rp(), &challenge, &resp),
        Err(WebauthnError::ClientDataType {
            expected: "webauthn.create"
        })
    );
    let (_, stored) = register(&mut auth);
    let client_data = auth.client_data_json("webauthn.create", &challenge, ORIGIN);
    let data = auth.authenticator_data(RP_ID, false);
    let mut signed = data.clone();
    signed.extend_from_slice(&Sha256::digest(&client_data));
    let resp = authentication(auth.assertion_json(&client_data, &data, &auth.sign(&signed)));
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::ClientDataType {
            expected: "webauthn.get"
        })
    );
}

#[test]
fn malformed_client_data_is_refused() {
    let err = registration_with(|json| {
        json["response"]["clientDataJSON"] = b64url(br#"{"type":"webauthn.create""#).into();
    })
    .unwrap_err();
    assert_eq!(err, WebauthnError::ClientDataMalformed);
    let err = registration_with(|json| {
        json["response"]["clientDataJSON"] = b64url(
            br#"{"type":"webauthn.create","type":"webauthn.create","challenge":"","origin":""}"#,
        )
        .into();
    })
    .unwrap_err();
    assert_eq!(err, WebauthnError::ClientDataMalformed, "duplicate member");
}

#[test]
fn wrong_credential_type_is_refused() {
    let err = registration_with(|json| json["type"] = "password".into()).unwrap_err();
    assert_eq!(err, WebauthnError::CredentialType);
    assert_eq!(err.field(), "type");
}

#[test]
fn id_raw_id_mismatch_is_refused() {
    let err = registration_with(|json| json["id"] = b64url(b"another id").into()).unwrap_err();
    assert_eq!(err, WebauthnError::IdMismatch);
    // rawId consistent with id but not the credential in the authenticator data.
    let err = registration_with(|json| {
        json["id"] = b64url(b"another id").into();
        json["rawId"] = b64url(b"another id").into();
    })
    .unwrap_err();
    assert_eq!(err.field(), "rawId");
}

#[test]
fn bad_base64_is_refused() {
    let err = registration_with(|json| json["rawId"] = "not base64!".into()).unwrap_err();
    assert_eq!(err, WebauthnError::Base64 { field: "rawId" });
}

#[test]
fn oversize_inputs_are_refused_before_decoding() {
    let huge = "A".repeat(MAX_CLIENT_DATA / 3 * 4 + 8);
    let err = registration_with(|json| json["response"]["clientDataJSON"] = huge.clone().into())
        .unwrap_err();
    assert_eq!(
        err,
        WebauthnError::TooLarge {
            field: field::CLIENT_DATA,
            limit: MAX_CLIENT_DATA
        }
    );
    let err =
        registration_with(|json| json["response"]["attestationObject"] = huge.into()).unwrap_err();
    assert_eq!(err.field(), field::ATTESTATION_OBJECT);
    assert!(matches!(err, WebauthnError::TooLarge { .. }));
    // Exactly 64 KiB + 1 decoded byte (the text length alone would pass).
    let just_over = b64url(&vec![0u8; MAX_CLIENT_DATA + 1]);
    let err = decode_b64url(&just_over, field::CLIENT_DATA, MAX_CLIENT_DATA).unwrap_err();
    assert!(matches!(err, WebauthnError::TooLarge { .. }));
}

// ---- refusals: flags ----

#[test]
fn user_presence_missing_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, stored) = register(&mut auth);
    auth.user_present = false;
    assert_eq!(
        login(&mut auth, &stored),
        Err(WebauthnError::UserNotPresent {
            field: field::AUTHENTICATOR_DATA
        })
    );
}

#[test]
fn user_verification_missing_is_refused() {
    let mut auth = SoftAuthenticator::new_ed25519();
    auth.user_verified = false;
    let challenge = new_challenge();
    let json = auth.register(RP_ID, ORIGIN, &challenge, USER);
    assert_eq!(
        verify_registration(&rp(), &challenge, &registration(json)),
        Err(WebauthnError::UserNotVerified {
            field: field::ATTESTATION_OBJECT
        })
    );
    auth.user_verified = true;
    let (_, stored) = register(&mut auth);
    auth.user_verified = false;
    assert_eq!(
        login(&mut auth, &stored),
        Err(WebauthnError::UserNotVerified {
            field: field::AUTHENTICATOR_DATA
        })
    );
}

#[test]
fn backed_up_without_backup_eligible_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    auth.backed_up = true;
    let challenge = new_challenge();
    let json = auth.register(RP_ID, ORIGIN, &challenge, USER);
    assert_eq!(
        verify_registration(&rp(), &challenge, &registration(json)),
        Err(WebauthnError::BackupState {
            field: field::ATTESTATION_OBJECT
        })
    );
}

#[test]
fn attested_data_missing_on_registration_or_present_on_login_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let object = SoftAuthenticator::attestation_object(
        "none",
        Value::Map(vec![]),
        &auth.authenticator_data(RP_ID, false),
    );
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::NoCredentialData)
    );
    let mut auth = SoftAuthenticator::new_es256();
    let (_, stored) = register(&mut auth);
    auth.set_counter(5);
    let resp = assertion_of_data(&auth, &challenge, &auth.authenticator_data(RP_ID, true));
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::UnexpectedCredentialData)
    );
}

// ---- refusals: signatures and counter ----

#[test]
fn bad_signature_is_refused() {
    for mut auth in [
        SoftAuthenticator::new_es256(),
        SoftAuthenticator::new_ed25519(),
    ] {
        let (_, stored) = register(&mut auth);
        let challenge = new_challenge();
        let mut json = auth.assert(RP_ID, ORIGIN, &challenge);
        let mut signature =
            decode_b64url(json["response"]["signature"].as_str().unwrap(), "t", 1024).unwrap();
        // The last byte: inside the DER S integer for ES256, inside S for Ed25519.
        *signature.last_mut().unwrap() ^= 0x01;
        json["response"]["signature"] = b64url(&signature).into();
        assert_eq!(
            verify_assertion(&rp(), &challenge, &stored, &authentication(json)),
            Err(WebauthnError::BadSignature)
        );
    }
}

#[test]
fn signature_by_another_credential_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, stored) = register(&mut auth);
    let mut other = SoftAuthenticator::new_es256();
    other.set_credential_id(auth.credential_id().to_vec());
    let challenge = new_challenge();
    let resp = authentication(other.assert(RP_ID, ORIGIN, &challenge));
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::BadSignature)
    );
}

#[test]
fn tampered_authenticator_data_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, stored) = register(&mut auth);
    let challenge = new_challenge();
    let mut json = auth.assert(RP_ID, ORIGIN, &challenge);
    let mut data = decode_b64url(
        json["response"]["authenticatorData"].as_str().unwrap(),
        "t",
        1024,
    )
    .unwrap();
    // Raise the counter after signing.
    *data.last_mut().unwrap() = 0x7f;
    json["response"]["authenticatorData"] = b64url(&data).into();
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &authentication(json)),
        Err(WebauthnError::BadSignature)
    );
}

#[test]
fn counter_regression_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, mut stored) = register(&mut auth);
    stored.sign_count = 10;
    auth.set_counter(9); // next assertion reports 10: not above the stored 10
    let err = login(&mut auth, &stored).unwrap_err();
    assert_eq!(
        err,
        WebauthnError::CounterRegression {
            stored: 10,
            received: 10
        }
    );
    assert!(err.to_string().contains("cloned"));
    // A counter that drops to zero after being non-zero is a regression too (L3 §7.2).
    auth.zero_counter = true;
    auth.set_counter(0);
    assert_eq!(
        login(&mut auth, &stored),
        Err(WebauthnError::CounterRegression {
            stored: 10,
            received: 0
        })
    );
    auth.zero_counter = false;
    auth.set_counter(10);
    assert_eq!(login(&mut auth, &stored).unwrap().new_sign_count, 11);
}

#[test]
fn other_credential_and_user_handle_are_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, mut stored) = register(&mut auth);
    let mut wrong = stored.clone();
    wrong.credential_id = b"someone else's".to_vec();
    assert_eq!(
        login(&mut auth, &wrong),
        Err(WebauthnError::CredentialMismatch)
    );
    stored.user_handle = b"another account".to_vec();
    assert_eq!(
        login(&mut auth, &stored),
        Err(WebauthnError::UserHandleMismatch)
    );
}

#[test]
fn unusable_stored_key_is_a_server_fault() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, mut stored) = register(&mut auth);
    stored.public_key_cose = vec![0xa0];
    let err = login(&mut auth, &stored).unwrap_err();
    assert_eq!(err, WebauthnError::StoredKey);
    assert!(err.is_server_fault());
}

// ---- refusals: COSE keys ----

/// Registration whose attested credential data carries `cose_key` instead of the real key.
fn registration_with_key(cose_key: &[u8]) -> Result<NewCredential, WebauthnError> {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let mut data = auth.authenticator_data(RP_ID, true);
    let real = auth.cose_key();
    data.truncate(data.len() - real.len());
    data.extend_from_slice(cose_key);
    let object = SoftAuthenticator::attestation_object("none", Value::Map(vec![]), &data);
    verify_registration(
        &rp(),
        &challenge,
        &registration_of_object(&auth, &challenge, &object),
    )
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

#[test]
fn unsupported_algorithm_is_refused() {
    // An RS256 key: kty RSA (3), alg -257, n, e.
    let rsa = cbor(&Value::Map(vec![
        (int(1), int(3)),
        (int(3), int(-257)),
        (int(-1), Value::Bytes(vec![0xc5; 256])),
        (int(-2), Value::Bytes(vec![1, 0, 1])),
    ]));
    let err = registration_with_key(&rsa).unwrap_err();
    assert_eq!(
        err,
        WebauthnError::UnsupportedAlgorithm {
            field: field::ATTESTATION_OBJECT,
            alg: -257
        }
    );
    assert!(err.to_string().contains("-257"));
}

#[test]
fn malformed_cose_keys_are_refused() {
    let auth = SoftAuthenticator::new_es256();
    let good = auth.cose_key();
    let value: Value = ciborium::de::from_reader(good.as_slice()).unwrap();
    let entries = value.into_map().unwrap();
    let with = |key: i64, replacement: Option<Value>| {
        let mut entries: Vec<(Value, Value)> = entries
            .iter()
            .filter(|(k, _)| *k != int(key))
            .cloned()
            .collect();
        if let Some(v) = replacement {
            entries.push((int(key), v));
        }
        cbor(&Value::Map(entries))
    };
    let cases = [
        (with(3, None), "alg (3) missing or not an integer"),
        (
            with(1, Some(int(1))),
            "ES256 needs kty EC2 (2) and crv P-256 (1)",
        ),
        (
            with(-1, Some(int(2))),
            "ES256 needs kty EC2 (2) and crv P-256 (1)",
        ),
        (
            with(-2, Some(Value::Bytes(vec![1; 31]))),
            "x (-2) is not 32 bytes",
        ),
        (with(-3, Some(Value::Bool(true))), "y (-3) is not 32 bytes"),
        (
            with(-3, Some(Value::Bytes(vec![0; 32]))),
            "(x, y) is not a point on P-256",
        ),
    ];
    for (key, what) in cases {
        assert_eq!(
            registration_with_key(&key),
            Err(WebauthnError::CoseKey {
                field: field::ATTESTATION_OBJECT,
                what
            }),
            "{what}"
        );
    }
    // A duplicate alg entry.
    let mut duplicated = entries.clone();
    duplicated.push((int(3), int(-8)));
    assert!(matches!(
        registration_with_key(&cbor(&Value::Map(duplicated))),
        Err(WebauthnError::CoseKey { .. })
    ));
    // An Ed25519 small-order key (the identity point).
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = cbor(&Value::Map(vec![
        (int(1), int(1)),
        (int(3), int(-8)),
        (int(-1), int(6)),
        (int(-2), Value::Bytes(identity.to_vec())),
    ]));
    assert!(matches!(
        registration_with_key(&weak),
        Err(WebauthnError::CoseKey { .. })
    ));
}

// ---- refusals: attestation object and authenticator data ----

#[test]
fn malformed_cbor_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let cases: [&[u8]; 4] = [
        &[0xa3, 0x63, b'f', b'm'], // truncated map
        &[0xff],                   // a lone break
        &[0x5f, 0x41],             // unterminated indefinite byte string
        &[0x80],                   // an array, not a map
    ];
    for bytes in cases {
        let err = verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, bytes),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                WebauthnError::Malformed {
                    field: "response.attestationObject",
                    ..
                }
            ),
            "{bytes:?}: {err:?}"
        );
    }
}

#[test]
fn unknown_format_is_refused_and_unverified_formats_are_recorded() {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let data = auth.authenticator_data(RP_ID, true);
    let object = SoftAuthenticator::attestation_object("my-own", Value::Map(vec![]), &data);
    assert!(matches!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::UnsupportedAttestation { .. })
    ));
    let stmt = Value::Map(vec![(Value::Text("ver".into()), Value::Text("2.0".into()))]);
    let object = SoftAuthenticator::attestation_object("tpm", stmt, &data);
    let new = verify_registration(
        &rp(),
        &challenge,
        &registration_of_object(&auth, &challenge, &object),
    )
    .unwrap();
    assert_eq!(new.attestation_format, "tpm");
}

#[test]
fn none_with_a_statement_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let stmt = Value::Map(vec![(Value::Text("sig".into()), Value::Bytes(vec![1, 2]))]);
    let object =
        SoftAuthenticator::attestation_object("none", stmt, &auth.authenticator_data(RP_ID, true));
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::Attestation {
            what: "format \"none\" requires an empty attStmt"
        })
    );
}

#[test]
fn packed_self_with_wrong_alg_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let challenge = new_challenge();
    let data = auth.authenticator_data(RP_ID, true);
    let stmt = Value::Map(vec![
        (Value::Text("alg".into()), int(-8)),
        (Value::Text("sig".into()), Value::Bytes(vec![0; 64])),
    ]);
    let object = SoftAuthenticator::attestation_object("packed", stmt, &data);
    assert!(matches!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::Attestation { .. })
    ));
}

#[test]
fn truncated_authenticator_data_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let full = auth.authenticator_data(RP_ID, true);
    // Every prefix is refused, never accepted and never a panic.
    for len in 0..full.len() {
        let prefix = full.get(..len).unwrap();
        let err = parse_authenticator_data(prefix, field::ATTESTATION_OBJECT).unwrap_err();
        assert!(
            matches!(
                err,
                WebauthnError::Truncated { .. } | WebauthnError::CoseKey { .. }
            ),
            "{len}: {err:?}"
        );
    }
    let challenge = new_challenge();
    let resp = assertion_of_data(&auth, &challenge, full.get(..36).unwrap());
    let stored = StoredCredential {
        credential_id: auth.credential_id().to_vec(),
        public_key_cose: auth.cose_key(),
        sign_count: 0,
        user_handle: Vec::new(),
    };
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::Truncated {
            field: field::AUTHENTICATOR_DATA
        })
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    let (_, stored) = register(&mut auth);
    auth.set_counter(1);
    let challenge = new_challenge();
    let mut data = auth.authenticator_data(RP_ID, false);
    data.push(0);
    let resp = assertion_of_data(&auth, &challenge, &data);
    assert_eq!(
        verify_assertion(&rp(), &challenge, &stored, &resp),
        Err(WebauthnError::TrailingBytes {
            field: field::AUTHENTICATOR_DATA
        })
    );
    // After the attested credential data on registration.
    let mut data = auth.authenticator_data(RP_ID, true);
    data.extend_from_slice(&[0xa0]);
    let object = SoftAuthenticator::attestation_object("none", Value::Map(vec![]), &data);
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::TrailingBytes {
            field: field::ATTESTATION_OBJECT
        })
    );
    // After the attestation object's map.
    let mut object = SoftAuthenticator::attestation_object(
        "none",
        Value::Map(vec![]),
        &auth.authenticator_data(RP_ID, true),
    );
    object.push(0x00);
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &registration_of_object(&auth, &challenge, &object)
        ),
        Err(WebauthnError::TrailingBytes {
            field: field::ATTESTATION_OBJECT
        })
    );
}

#[test]
fn credential_id_longer_than_1023_bytes_is_refused() {
    let mut auth = SoftAuthenticator::new_es256();
    auth.set_credential_id(vec![7; 1024]);
    let data = auth.authenticator_data(RP_ID, true);
    assert_eq!(
        parse_authenticator_data(&data, field::ATTESTATION_OBJECT),
        Err(WebauthnError::CredentialIdTooLong {
            field: field::ATTESTATION_OBJECT
        })
    );
    let challenge = new_challenge();
    let json = auth.register(RP_ID, ORIGIN, &challenge, USER);
    assert!(matches!(
        verify_registration(&rp(), &challenge, &registration(json)),
        Err(WebauthnError::TooLarge { field: "rawId", .. })
    ));
}

#[test]
fn extension_flag_without_a_map_is_refused() {
    let auth = SoftAuthenticator::new_es256();
    let mut data = auth.authenticator_data(RP_ID, false);
    *data.get_mut(32).unwrap() |= FLAG_ED;
    assert_eq!(
        parse_authenticator_data(&data, field::AUTHENTICATOR_DATA),
        Err(WebauthnError::Truncated {
            field: field::AUTHENTICATOR_DATA
        })
    );
    data.push(0x01); // an integer, not a map
    assert!(matches!(
        parse_authenticator_data(&data, field::AUTHENTICATOR_DATA),
        Err(WebauthnError::Malformed { .. })
    ));
}

#[test]
fn refusal_texts_do_not_echo_input() {
    let marker = "ZZZZattackerZZZZ";
    let err = registration_with(|json| {
        json["response"]["clientDataJSON"] = b64url(
            format!(r#"{{"type":"{marker}","challenge":"{marker}","origin":"{marker}"}}"#)
                .as_bytes(),
        )
        .into();
    })
    .unwrap_err();
    assert!(!err.to_string().contains(marker), "{err}");
    let err = registration_with(|json| json["type"] = marker.into()).unwrap_err();
    assert!(!err.to_string().contains(marker), "{err}");
}

#[test]
fn every_refusal_text_starts_with_its_field() {
    let f = field::ATTESTATION_OBJECT;
    let all = [
        WebauthnError::TooLarge { field: f, limit: 1 },
        WebauthnError::Base64 { field: f },
        WebauthnError::CredentialType,
        WebauthnError::IdMismatch,
        WebauthnError::ClientDataMalformed,
        WebauthnError::ClientDataType { expected: TYPE_GET },
        WebauthnError::ChallengeMismatch,
        WebauthnError::OriginNotAllowed,
        WebauthnError::CrossOrigin,
        WebauthnError::Malformed {
            field: f,
            what: "x",
        },
        WebauthnError::Truncated { field: f },
        WebauthnError::TrailingBytes { field: f },
        WebauthnError::RpIdMismatch { field: f },
        WebauthnError::UserNotPresent { field: f },
        WebauthnError::UserNotVerified { field: f },
        WebauthnError::BackupState { field: f },
        WebauthnError::NoCredentialData,
        WebauthnError::UnexpectedCredentialData,
        WebauthnError::CredentialIdTooLong { field: f },
        WebauthnError::CoseKey {
            field: f,
            what: "x",
        },
        WebauthnError::UnsupportedAlgorithm {
            field: f,
            alg: -257,
        },
        WebauthnError::Attestation { what: "x" },
        WebauthnError::UnsupportedAttestation { what: "x" },
        WebauthnError::BadSignature,
        WebauthnError::CredentialMismatch,
        WebauthnError::UserHandleMismatch,
        WebauthnError::CounterRegression {
            stored: 2,
            received: 1,
        },
        WebauthnError::StoredKey,
    ];
    for err in all {
        let text = err.to_string();
        assert_eq!(
            text,
            format!("{}: {}", err.field(), err.reason()),
            "{err:?}"
        );
        assert!(!err.reason().is_empty());
        assert_eq!(err.is_server_fault(), err == WebauthnError::StoredKey);
    }
}

// ---- a fixed vector, built by hand without the soft authenticator ----

/// The Ed25519 key of RFC 8032 §7.1 TEST 1 (secret 9d61b19d…, public d75a9801…), a hand-written
/// COSE key and authenticator data, and a "none" registration followed by an assertion whose
/// signature is computed here with the RFC's secret key.
#[test]
fn fixed_vector_ed25519() {
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    let public = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    assert_eq!(public.len(), 32);
    // COSE_Key {1: 1, 3: -8, -1: 6, -2: h'd75a…'}, byte by byte.
    let mut cose = vec![0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20];
    cose.extend_from_slice(&public);
    // SHA-256("localhost") = 49960de5…
    let rp_hash = hex("49960de5880e8c687434170f6476605b8fe4aeb9a28632c7995cf3ba831d9763");
    let mut auth_data = rp_hash.clone();
    auth_data.push(0x45); // UP | UV | AT
    auth_data.extend_from_slice(&[0, 0, 0, 0]);
    auth_data.extend_from_slice(&[0; 16]); // AAGUID
    auth_data.extend_from_slice(&[0x00, 0x04, 0xca, 0xfe, 0xba, 0xbe]);
    auth_data.extend_from_slice(&cose);
    // {"fmt": "none", "attStmt": {}, "authData": h'…'} with a 2-byte length.
    let mut object = vec![0xa3, 0x63, b'f', b'm', b't', 0x64, b'n', b'o', b'n', b'e'];
    object.extend_from_slice(&[0x67, b'a', b't', b't', b'S', b't', b'm', b't', 0xa0]);
    object.extend_from_slice(&[0x68, b'a', b'u', b't', b'h', b'D', b'a', b't', b'a', 0x58]);
    object.push(u8::try_from(auth_data.len()).unwrap());
    object.extend_from_slice(&auth_data);
    let client_data = br#"{"type":"webauthn.create","challenge":"AAECAw","origin":"http://localhost:8080","crossOrigin":false}"#;
    let rp = RelyingParty {
        id: "localhost".into(),
        name: "test".into(),
        origins: vec!["http://localhost:8080".into()],
    };
    let json = serde_json::json!({
        "id": "yv66vg", "rawId": "yv66vg", "type": "public-key",
        "response": { "clientDataJSON": b64url(client_data), "attestationObject": b64url(&object) },
    });
    let new = verify_registration(&rp, &[0, 1, 2, 3], &registration(json)).unwrap();
    assert_eq!(new.credential_id, [0xca, 0xfe, 0xba, 0xbe]);
    assert_eq!(new.public_key_cose, cose);
    assert_eq!(new.algorithm, -8);
    assert_eq!(new.aaguid, [0; 16]);

    let secret: [u8; 32] = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        .try_into()
        .unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    assert_eq!(key.verifying_key().to_bytes().to_vec(), public);
    let mut assertion_data = rp_hash;
    assertion_data.extend_from_slice(&[0x05, 0, 0, 0, 1]);
    let client_data =
        br#"{"type":"webauthn.get","challenge":"BAUGBw","origin":"http://localhost:8080"}"#;
    let mut signed = assertion_data.clone();
    signed.extend_from_slice(&Sha256::digest(client_data));
    let signature = ed25519_dalek::Signer::sign(&key, &signed).to_bytes();
    let json = serde_json::json!({
        "id": "yv66vg", "rawId": "yv66vg", "type": "public-key",
        "response": {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(&assertion_data),
            "signature": b64url(&signature),
            "userHandle": null,
        },
    });
    let stored = StoredCredential {
        credential_id: new.credential_id,
        public_key_cose: new.public_key_cose,
        sign_count: 0,
        user_handle: b"u".to_vec(),
    };
    let outcome = verify_assertion(&rp, &[4, 5, 6, 7], &stored, &authentication(json)).unwrap();
    assert_eq!(outcome.new_sign_count, 1);
}

// ---- the fuzz target's seed corpus ----

/// Writes `fuzz/corpus/webauthn/`: valid and broken inputs of each kind, prefixed with the fuzz
/// target's selector byte (0 attestation object, 1 authenticator data, 2 client data, 3 COSE
/// key). Run by hand: `cargo test -p yinxin-identity --lib write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes the committed fuzz seed corpus"]
fn write_fuzz_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/webauthn");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, selector: u8, bytes: &[u8]| {
        let mut data = vec![selector];
        data.extend_from_slice(bytes);
        std::fs::write(dir.join(name), data).unwrap();
    };
    let object_of = |json: &serde_json::Value| {
        decode_b64url(
            json["response"]["attestationObject"].as_str().unwrap(),
            "t",
            1 << 20,
        )
        .unwrap()
    };
    let challenge = [0u8, 1, 2, 3];
    let mut es = SoftAuthenticator::new_es256();
    let mut ed = SoftAuthenticator::new_ed25519();
    write(
        "attobj-none-es256",
        0,
        &object_of(&es.register(RP_ID, ORIGIN, &challenge, USER)),
    );
    write(
        "attobj-none-ed25519",
        0,
        &object_of(&ed.register(RP_ID, ORIGIN, &challenge, USER)),
    );
    write(
        "attobj-packed-self",
        0,
        &object_of(&es.register_packed_self(RP_ID, ORIGIN, &challenge, USER)),
    );
    write(
        "attobj-packed-x5c",
        0,
        &object_of(&ed.register_packed_x5c(RP_ID, ORIGIN, &challenge, USER)),
    );
    let good = object_of(&es.register(RP_ID, ORIGIN, &challenge, USER));
    write("attobj-truncated", 0, good.get(..good.len() - 9).unwrap());
    write("attobj-trailing", 0, &[&good[..], &[0x00]].concat());
    let data = es.authenticator_data(RP_ID, true);
    let tpm = Value::Map(vec![(Value::Text("ver".into()), Value::Text("2.0".into()))]);
    write(
        "attobj-tpm",
        0,
        &SoftAuthenticator::attestation_object("tpm", tpm, &data),
    );
    let stmt = Value::Map(vec![(Value::Text("sig".into()), Value::Bytes(vec![1]))]);
    write(
        "attobj-none-with-stmt",
        0,
        &SoftAuthenticator::attestation_object("none", stmt, &data),
    );
    ed.with_extensions = true;
    write(
        "attobj-extensions",
        0,
        &object_of(&ed.register(RP_ID, ORIGIN, &challenge, USER)),
    );

    es.set_counter(8);
    write("authdata-get", 1, &es.authenticator_data(RP_ID, false));
    write(
        "authdata-get-ed-extensions",
        1,
        &ed.authenticator_data(RP_ID, false),
    );
    write(
        "authdata-with-attested",
        1,
        &es.authenticator_data(RP_ID, true),
    );
    write(
        "authdata-trailing",
        1,
        &[&es.authenticator_data(RP_ID, false)[..], &[0xa0]].concat(),
    );
    es.user_verified = false;
    write("authdata-no-uv", 1, &es.authenticator_data(RP_ID, false));
    es.user_verified = true;
    es.backed_up = true;
    write(
        "authdata-bs-without-be",
        1,
        &es.authenticator_data(RP_ID, false),
    );
    es.backed_up = false;
    es.set_counter(7);
    write(
        "authdata-counter-equal",
        1,
        &es.authenticator_data(RP_ID, false),
    );
    write(
        "authdata-other-rp",
        1,
        &es.authenticator_data("evil.test", false),
    );
    write(
        "authdata-short",
        1,
        &es.authenticator_data(RP_ID, false)[..36],
    );

    write(
        "clientdata-create",
        2,
        &es.client_data_json("webauthn.create", &challenge, ORIGIN),
    );
    write(
        "clientdata-get",
        2,
        &es.client_data_json("webauthn.get", &challenge, ORIGIN),
    );
    write(
        "clientdata-other-origin",
        2,
        &es.client_data_json("webauthn.create", &challenge, "https://evil.test"),
    );
    write(
        "clientdata-padded-challenge",
        2,
        br#"{"type":"webauthn.create","challenge":"AAECAw==","origin":"https://example.cn"}"#,
    );
    write("clientdata-duplicate-type", 2, br#"{"type":"webauthn.get","type":"webauthn.create","challenge":"AAECAw","origin":"https://example.cn"}"#);
    es.cross_origin = true;
    write(
        "clientdata-cross-origin",
        2,
        &es.client_data_json("webauthn.create", &challenge, ORIGIN),
    );

    write("cose-es256", 3, &es.cose_key());
    write("cose-ed25519", 3, &ed.cose_key());
    write(
        "cose-rs256",
        3,
        &cbor(&Value::Map(vec![
            (int(1), int(3)),
            (int(3), int(-257)),
            (int(-1), Value::Bytes(vec![0xc5; 64])),
            (int(-2), Value::Bytes(vec![1, 0, 1])),
        ])),
    );
    let mut off_curve = es.cose_key();
    *off_curve.last_mut().unwrap() ^= 1;
    write("cose-es256-off-curve", 3, &off_curve);
}
