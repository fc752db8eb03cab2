//! ACC-3: passkeys — register, log in, refusals — with a software authenticator speaking
//! WebAuthn. No biometric ever reaches the server: the authenticator only signs.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use yinxin_identity::webauthn::soft::SoftAuthenticator;

const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:8080";

fn b64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// Registration options: (challenge id, challenge, user handle, options).
async fn registration_options(app: &TestApp, token: &str) -> (String, Vec<u8>, Vec<u8>, Value) {
    let (s, o) = app
        .post_as("/api/v1/me/passkeys/options", token, &Value::Null)
        .await;
    assert_eq!(s, 200, "{o}");
    let pk = o["public_key"].clone();
    (
        o["challenge_id"].as_str().unwrap().to_owned(),
        b64(&pk["challenge"]),
        b64(&pk["user"]["id"]),
        pk,
    )
}

async fn login_options(app: &TestApp) -> (String, Vec<u8>) {
    let (s, o, _) = app
        .post("/api/v1/sessions/passkey-options", &Value::Null)
        .await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["public_key"]["allowCredentials"], serde_json::json!([]));
    (
        o["challenge_id"].as_str().unwrap().to_owned(),
        b64(&o["public_key"]["challenge"]),
    )
}

async fn passkey_login(app: &TestApp, challenge_id: &str, credential: &Value) -> (u16, Value) {
    let (s, v, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "passkey", "challenge_id": challenge_id, "credential": credential}),
        )
        .await;
    (s, v)
}

async fn passkeys_register_and_log_in_with_user_verification(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (account, token) = app.signed_up(51).await;
    let (_, other) = app.signed_up(52).await;

    let (cid, challenge, handle, pk) = registration_options(&app, &token).await;
    assert_eq!(pk["rp"]["id"], RP);
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["attestation"], "none");
    assert_eq!(pk["excludeCredentials"], serde_json::json!([]));
    // The user handle is random-looking, not the account id or a name.
    assert_ne!(handle, account.as_bytes());
    assert!(!String::from_utf8_lossy(&handle).contains("user51"));

    let mut es = SoftAuthenticator::new_es256();
    // Refusals first: wrong origin, no user verification, each its own field; nothing stored.
    let bad_origin = es.register(RP, "https://evil.example", &challenge, &handle);
    let (s, e) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": bad_origin}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")), "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("credential."),
        "{e}"
    );
    // The challenge was used up by the refused attempt.
    let good = es.register(RP, ORIGIN, &challenge, &handle);
    let (s, e) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": good}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("challenge_id:"),
        "{e}"
    );

    let (cid, challenge, handle, _) = registration_options(&app, &token).await;
    es.user_verified = false;
    let no_uv = es.register(RP, ORIGIN, &challenge, &handle);
    let (s, e) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": no_uv}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    es.user_verified = true;
    // Another account's challenge is not this account's.
    let (cid_other, ch_other, h_other, _) = registration_options(&app, &other).await;
    let stolen = es.register(RP, ORIGIN, &ch_other, &h_other);
    let (s, _) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid_other, "credential": stolen}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, list) = app.get_as("/api/v1/me/passkeys", &token).await;
    assert_eq!((s, list["passkeys"].as_array().unwrap().len()), (200, 0));

    // Registered.
    let (cid, challenge, handle, _) = registration_options(&app, &token).await;
    let reg = es.register(RP, ORIGIN, &challenge, &handle);
    let (s, info) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": reg}),
        )
        .await;
    assert_eq!(s, 201, "{info}");
    assert_eq!(info["algorithm"], "ES256");
    assert_eq!(info["attestation_format"], "none");
    // The same credential again is refused; the next options exclude it.
    let (cid, challenge, handle, pk) = registration_options(&app, &token).await;
    assert_eq!(pk["excludeCredentials"].as_array().unwrap().len(), 1);
    let again = es.register(RP, ORIGIN, &challenge, &handle);
    let (s, e) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": again}),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("ALREADY_EXISTS")),
        "{e}"
    );

    // Login with it; the session says how.
    let (cid, challenge) = login_options(&app).await;
    let assertion = es.assert(RP, ORIGIN, &challenge);
    let (s, sess) = passkey_login(&app, &cid, &assertion).await;
    assert_eq!(s, 201, "{sess}");
    assert_eq!(sess["account_id"], account.as_str());
    let (s, me) = app
        .get_as("/api/v1/me", sess["token"].as_str().unwrap())
        .await;
    assert_eq!((s, me["session_method"].as_str()), (200, Some("passkey")));

    // Replays and forgeries.
    let (s, e) = passkey_login(&app, &cid, &assertion).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (401, Some("UNAUTHENTICATED")),
        "replayed challenge: {e}"
    );
    let (cid, _) = login_options(&app).await;
    let (s, _) = passkey_login(&app, &cid, &assertion).await;
    assert_eq!(s, 401, "an old assertion on a new challenge");
    let (cid, challenge) = login_options(&app).await;
    let stranger = SoftAuthenticator::new_es256().assert(RP, ORIGIN, &challenge);
    let (s, e) = passkey_login(&app, &cid, &stranger).await;
    assert_eq!(s, 401, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("password or an SMS code"),
        "{e}"
    );
    let (cid, challenge) = login_options(&app).await;
    es.user_verified = false;
    let (s, _) = passkey_login(&app, &cid, &es.assert(RP, ORIGIN, &challenge)).await;
    assert_eq!(s, 401, "no user verification");
    es.user_verified = true;
    let (cid, challenge) = login_options(&app).await;
    es.set_counter(0);
    let (s, e) = passkey_login(&app, &cid, &es.assert(RP, ORIGIN, &challenge)).await;
    assert_eq!(
        s, 401,
        "a counter that went back (cloned authenticator): {e}"
    );
    es.set_counter(100);
    let (cid, challenge) = login_options(&app).await;
    let (s, _) = passkey_login(&app, &cid, &es.assert(RP, ORIGIN, &challenge)).await;
    assert_eq!(s, 201);

    // An Ed25519 passkey too; deleting one leaves the other (and the password) working.
    let mut ed = SoftAuthenticator::new_ed25519();
    let (cid, challenge, handle, _) = registration_options(&app, &token).await;
    let (s, info_ed) = app
        .post_as(
            "/api/v1/me/passkeys",
            &token,
            &serde_json::json!({"challenge_id": cid, "credential": ed.register(RP, ORIGIN, &challenge, &handle)}),
        )
        .await;
    assert_eq!((s, info_ed["algorithm"].as_str()), (201, Some("EdDSA")));
    let id = info["id"].as_str().unwrap();
    let (s, _) = app
        .delete_as(&format!("/api/v1/me/passkeys/{id}"), &other)
        .await;
    assert_eq!(s, 404, "another account's passkey");
    let (s, _) = app
        .delete_as(&format!("/api/v1/me/passkeys/{id}"), &token)
        .await;
    assert_eq!(s, 204);
    let (cid, challenge) = login_options(&app).await;
    let (s, _) = passkey_login(&app, &cid, &es.assert(RP, ORIGIN, &challenge)).await;
    assert_eq!(s, 401, "a deleted passkey");
    let (cid, challenge) = login_options(&app).await;
    let (s, _) = passkey_login(&app, &cid, &ed.assert(RP, ORIGIN, &challenge)).await;
    assert_eq!(s, 201);
    let (s, _, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "password", "username": "user51", "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 201, "password login stays available");
}

backend_tests!(passkeys_register_and_log_in_with_user_verification,);
