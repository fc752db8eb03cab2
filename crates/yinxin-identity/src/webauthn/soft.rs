//! A software passkey authenticator plus client, for tests: it plays the browser and the device,
//! producing the `RegistrationResponseJSON` / `AuthenticationResponseJSON` a real one would.
//!
//! It writes its own CBOR (with `ciborium`'s encoder) and DER, and signs with `p256` /
//! `ed25519-dalek`; none of the verifier's parsing code is used, so a test that passes shows the
//! two sides agree on the formats, not that one function agrees with itself.
//!
//! The public knobs (`user_present`, `user_verified`, ...) make the wrong responses refusal
//! tests need. Test code: keys are generated on the spot and never stored.

#![allow(clippy::expect_used)] // encoding into a Vec and signing with a fresh key cannot fail

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value;
use p256::ecdsa::signature::Signer as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// The key of a [`SoftAuthenticator`].
#[derive(Debug, Clone)]
enum SoftKey {
    Es256(p256::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

/// A software authenticator holding one credential.
#[derive(Debug, Clone)]
pub struct SoftAuthenticator {
    key: SoftKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    /// Set UP (default true).
    pub user_present: bool,
    /// Set UV (default true).
    pub user_verified: bool,
    /// Set BE (default false).
    pub backup_eligible: bool,
    /// Set BS (default false).
    pub backed_up: bool,
    /// Keep the signature counter at zero, as synced passkeys do (default false).
    pub zero_counter: bool,
    /// Write `"crossOrigin": true` into the client data (default false).
    pub cross_origin: bool,
    /// Append an extensions map (ED flag) to the authenticator data (default false).
    pub with_extensions: bool,
    /// The AAGUID reported at registration.
    pub aaguid: [u8; 16],
}

fn cbor_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).expect("CBOR into a Vec");
    out
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftAuthenticator {
    fn with_key(key: SoftKey) -> Self {
        let id: [u8; 16] = rand::random();
        Self {
            key,
            credential_id: id.to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            user_present: true,
            user_verified: true,
            backup_eligible: false,
            backed_up: false,
            zero_counter: false,
            cross_origin: false,
            with_extensions: false,
            aaguid: *b"yinxin-soft-auth",
        }
    }

    /// A new ES256 (P-256) credential with a random 16-byte id.
    pub fn new_es256() -> Self {
        Self::with_key(SoftKey::Es256(p256::ecdsa::SigningKey::random(
            &mut rand::rngs::OsRng,
        )))
    }

    /// A new Ed25519 credential with a random 16-byte id.
    pub fn new_ed25519() -> Self {
        Self::with_key(SoftKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &rand::random(),
        )))
    }

    /// The credential id.
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// Replaces the credential id (e.g. with one of 1024 bytes).
    pub fn set_credential_id(&mut self, id: Vec<u8>) {
        self.credential_id = id;
    }

    /// The signature counter as last reported.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// Sets the counter (the next assertion reports it plus one, unless `zero_counter`).
    pub fn set_counter(&mut self, counter: u32) {
        self.counter = counter;
    }

    /// The COSE algorithm of the key.
    pub fn algorithm(&self) -> i64 {
        match self.key {
            SoftKey::Es256(_) => -7,
            SoftKey::Ed25519(_) => -8,
        }
    }

    /// The credential public key as a COSE_Key, in CTAP2 canonical key order.
    pub fn cose_key(&self) -> Vec<u8> {
        let map = match &self.key {
            SoftKey::Es256(key) => {
                let point = key.verifying_key().to_encoded_point(false);
                let x = point.x().expect("uncompressed point has x").to_vec();
                let y = point.y().expect("uncompressed point has y").to_vec();
                vec![
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), Value::Bytes(x)),
                    (int(-3), Value::Bytes(y)),
                ]
            }
            SoftKey::Ed25519(key) => vec![
                (int(1), int(1)),
                (int(3), int(-8)),
                (int(-1), int(6)),
                (
                    int(-2),
                    Value::Bytes(key.verifying_key().to_bytes().to_vec()),
                ),
            ],
        };
        cbor_bytes(&Value::Map(map))
    }

    /// Signs `message` as the credential does: DER ECDSA or raw Ed25519.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.key {
            SoftKey::Es256(key) => {
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_der().as_bytes().to_vec()
            }
            SoftKey::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(message).to_bytes().to_vec()
            }
        }
    }

    /// `clientDataJSON` as a browser writes it.
    pub fn client_data_json(&self, ceremony: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
        let mut text = format!(
            r#"{{"type":"{ceremony}","challenge":"{}","origin":"{origin}","crossOrigin":{}"#,
            b64(challenge),
            self.cross_origin
        );
        text.push('}');
        text.into_bytes()
    }

    fn flags(&self, attested: bool) -> u8 {
        let mut flags = 0;
        for (on, bit) in [
            (self.user_present, 0x01),
            (self.user_verified, 0x04),
            (self.backup_eligible, 0x08),
            (self.backed_up, 0x10),
            (attested, 0x40),
            (self.with_extensions, 0x80),
        ] {
            if on {
                flags |= bit;
            }
        }
        flags
    }

    /// Authenticator data for `rp_id` with the current counter; with the attested credential
    /// data when `attested`.
    pub fn authenticator_data(&self, rp_id: &str, attested: bool) -> Vec<u8> {
        let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
        out.push(self.flags(attested));
        out.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            out.extend_from_slice(&self.aaguid);
            let len = u16::try_from(self.credential_id.len()).expect("credential id fits u16");
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&self.credential_id);
            out.extend_from_slice(&self.cose_key());
        }
        if self.with_extensions {
            out.extend_from_slice(&cbor_bytes(&Value::Map(vec![(
                Value::Text("credProtect".into()),
                int(2),
            )])));
        }
        out
    }

    /// A CBOR attestation object.
    pub fn attestation_object(fmt: &str, att_stmt: Value, auth_data: &[u8]) -> Vec<u8> {
        cbor_bytes(&Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text(fmt.into())),
            (Value::Text("attStmt".into()), att_stmt),
            (
                Value::Text("authData".into()),
                Value::Bytes(auth_data.to_vec()),
            ),
        ]))
    }

    /// A `RegistrationResponseJSON` around the given client data and attestation object.
    pub fn registration_json(
        &self,
        client_data_json: &[u8],
        attestation_object: &[u8],
    ) -> serde_json::Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data_json),
                "attestationObject": b64(attestation_object),
                "transports": ["internal", "hybrid", "carrier-pigeon"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }

    fn begin_registration(
        &mut self,
        challenge: &[u8],
        origin: &str,
        user_handle: &[u8],
    ) -> Vec<u8> {
        self.user_handle = user_handle.to_vec();
        if self.zero_counter {
            self.counter = 0;
        }
        self.client_data_json("webauthn.create", challenge, origin)
    }

    /// Registers with attestation `none` (the usual answer to our options).
    pub fn register(
        &mut self,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        user_handle: &[u8],
    ) -> serde_json::Value {
        let client_data = self.begin_registration(challenge, origin, user_handle);
        let auth_data = self.authenticator_data(rp_id, true);
        let object = Self::attestation_object("none", Value::Map(Vec::new()), &auth_data);
        self.registration_json(&client_data, &object)
    }

    /// Registers with `packed` self attestation: `sig` by the credential key itself.
    pub fn register_packed_self(
        &mut self,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        user_handle: &[u8],
    ) -> serde_json::Value {
        let client_data = self.begin_registration(challenge, origin, user_handle);
        let auth_data = self.authenticator_data(rp_id, true);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let att_stmt = Value::Map(vec![
            (Value::Text("alg".into()), int(self.algorithm())),
            (Value::Text("sig".into()), Value::Bytes(self.sign(&signed))),
        ]);
        let object = Self::attestation_object("packed", att_stmt, &auth_data);
        self.registration_json(&client_data, &object)
    }

    /// Registers with `packed` full attestation: `sig` by a fresh P-256 attestation key whose
    /// self-signed certificate is the only `x5c` entry.
    pub fn register_packed_x5c(
        &mut self,
        rp_id: &str,
        origin: &str,
        challenge: &[u8],
        user_handle: &[u8],
    ) -> serde_json::Value {
        let client_data = self.begin_registration(challenge, origin, user_handle);
        let auth_data = self.authenticator_data(rp_id, true);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let attestation_key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
        let signature: p256::ecdsa::Signature = attestation_key.sign(&signed);
        let att_stmt = Value::Map(vec![
            (Value::Text("alg".into()), int(-7)),
            (
                Value::Text("sig".into()),
                Value::Bytes(signature.to_der().as_bytes().to_vec()),
            ),
            (
                Value::Text("x5c".into()),
                Value::Array(vec![Value::Bytes(self_signed_certificate(
                    &attestation_key,
                ))]),
            ),
        ]);
        let object = Self::attestation_object("packed", att_stmt, &auth_data);
        self.registration_json(&client_data, &object)
    }

    /// Asserts (logs in): bumps the counter unless `zero_counter`, signs, and answers with the
    /// user handle given at registration.
    pub fn assert(&mut self, rp_id: &str, origin: &str, challenge: &[u8]) -> serde_json::Value {
        if !self.zero_counter {
            self.counter = self.counter.wrapping_add(1);
        }
        let client_data = self.client_data_json("webauthn.get", challenge, origin);
        let auth_data = self.authenticator_data(rp_id, false);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = self.sign(&signed);
        self.assertion_json(&client_data, &auth_data, &signature)
    }

    /// An `AuthenticationResponseJSON` around the given parts.
    pub fn assertion_json(
        &self,
        client_data_json: &[u8],
        authenticator_data: &[u8],
        signature: &[u8],
    ) -> serde_json::Value {
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data_json),
                "authenticatorData": b64(authenticator_data),
                "signature": b64(signature),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        })
    }
}

/// DER TLV with a definite length (short or long form).
fn der(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(u8::try_from(len).expect("short length"));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).expect("within the array");
        out.push(0x80 | u8::try_from(significant.len()).expect("few length bytes"));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// A minimal X.509 v3 certificate for `key`, signed by itself (ecdsa-with-SHA256), naming
/// "CN=yinxin soft attestation" as subject and issuer.
fn self_signed_certificate(key: &p256::ecdsa::SigningKey) -> Vec<u8> {
    let ecdsa_with_sha256 = der(
        0x30,
        &der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
    );
    let name = der(
        0x30,
        &der(
            0x31,
            &der(
                0x30,
                &[
                    der(0x06, &[0x55, 0x04, 0x03]),
                    der(0x0c, b"yinxin soft attestation"),
                ]
                .concat(),
            ),
        ),
    );
    let validity = der(
        0x30,
        &[der(0x17, b"250101000000Z"), der(0x17, b"350101000000Z")].concat(),
    );
    let point = key.verifying_key().to_encoded_point(false);
    let spki = der(
        0x30,
        &[
            der(
                0x30,
                &[
                    der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
                    der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
                ]
                .concat(),
            ),
            der(0x03, &[&[0u8][..], point.as_bytes()].concat()),
        ]
        .concat(),
    );
    let tbs = der(
        0x30,
        &[
            der(0xa0, &der(0x02, &[2])),
            der(0x02, &[0x01]),
            ecdsa_with_sha256.clone(),
            name.clone(),
            validity,
            name,
            spki,
        ]
        .concat(),
    );
    let signature: p256::ecdsa::Signature = key.sign(&tbs);
    let signature_bits = [&[0u8][..], signature.to_der().as_bytes()].concat();
    der(
        0x30,
        &[tbs, ecdsa_with_sha256, der(0x03, &signature_bits)].concat(),
    )
}
