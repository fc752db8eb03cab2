//! PRIV-1, PRIV-4: policy versions published once; after a material update, consent again or
//! nothing more is collected; withdrawal closes the same gate and never deletes history.

use super::*;
use yinxin_identity::{PolicyDocument, today_in_china};

fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let d = today_in_china(now);
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn doc(version: &str, effective_on: &str, material: bool, text: &str) -> PolicyDocument {
    PolicyDocument {
        version: version.into(),
        updated_on: today(),
        effective_on: effective_on.into(),
        material,
        text: text.into(),
    }
}

fn consent(scope: &str, action: &str, version: &str) -> Value {
    serde_json::json!({"scope": scope, "action": action, "policy_version": version})
}

async fn code_of(app: &TestApp, path: &str, token: &str) -> (u16, String, String) {
    let (s, v) = app.get_as(path, token).await;
    (
        s,
        v["code"].as_str().unwrap_or_default().to_owned(),
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn a_material_update_holds_every_request_until_consent(db: &TestDb) {
    let app = TestApp::start(db).await;
    let original = policy_version(&app).await;
    let (_, t1) = app.signed_up(41).await;
    assert_eq!(code_of(&app, "/api/v1/me", &t1).await.0, 200);

    // Publishing: checked, once, never edited.
    let accounts = &app.state.accounts;
    let v2 = format!("{}.2", today());
    let text2 = "# 隐私政策 v2\n\nWe now also process X.";
    for (bad, field) in [
        (doc("", &today(), true, text2), "version:"),
        (doc("a b", &today(), true, text2), "version:"),
        (doc(&v2, "2026-02-30", true, text2), "effective_on:"),
        (doc(&v2, "2020-01-01", true, text2), "effective_on:"),
        (doc(&v2, &today(), true, " "), "text:"),
    ] {
        let e = ApiErrorish::of(accounts.publish_policy(&bad).await.unwrap_err());
        assert_eq!(e.code, "INVALID_INPUT");
        assert!(e.message.starts_with(field), "{}", e.message);
    }
    // A material version that takes effect tomorrow holds nobody yet.
    let tomorrow = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let d = today_in_china(now + 86_400);
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    };
    accounts
        .publish_policy(&doc("zz-future", &tomorrow, true, "future"))
        .await
        .unwrap();
    assert_eq!(code_of(&app, "/api/v1/me", &t1).await.0, 200);
    assert_eq!(policy_version(&app).await, original);

    let p2 = accounts
        .publish_policy(&doc(&v2, &today(), true, text2))
        .await
        .unwrap();
    // Again with the same text: nothing changes; with another text: refused.
    assert_eq!(
        accounts
            .publish_policy(&doc(&v2, &today(), true, text2))
            .await
            .unwrap(),
        p2
    );
    let e = ApiErrorish::of(
        accounts
            .publish_policy(&doc(&v2, &today(), true, "edited"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, "CONFLICT");

    let (s, current) = app.json("/api/v1/policies/current").await;
    assert_eq!(s, 200);
    assert_eq!(current["version"], v2.as_str());
    assert_eq!(current["text"], text2);
    assert_eq!(current["material"], true);
    assert_eq!(
        current["text_sha256"].as_str().unwrap(),
        yinxin_identity::policy::sha256_hex(text2.as_bytes())
    );

    // Every request that could collect or use PI is held; the message says what to do.
    for path in ["/api/v1/me", "/api/v1/me/profile", "/api/v1/me/permissions"] {
        let (s, code, message) = code_of(&app, path, &t1).await;
        assert_eq!((s, code.as_str()), (403, "CONSENT_REQUIRED"), "{path}");
        assert!(
            message.contains(&v2) && message.contains("POST /api/v1/consents"),
            "{message}"
        );
    }
    let (s, e, _) = app
        .send(
            app.http
                .put(format!("{}/api/v1/me/permissions/location", app.base))
                .bearer_auth(&t1)
                .json(&serde_json::json!({"granted": true})),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (403, Some("CONSENT_REQUIRED")));
    // Consents stay readable; consent to the old version is refused.
    let (s, _) = app.get_as("/api/v1/me/consents", &t1).await;
    assert_eq!(s, 200);
    let (s, e) = app
        .post_as(
            "/api/v1/consents",
            &t1,
            &consent("privacy_policy", "given", &original),
        )
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (403, Some("CONSENT_REQUIRED")),
        "{e}"
    );

    // New registrations accept the new version.
    let (s, _, _) = app
        .post("/api/v1/accounts/personal", &person(42, &original))
        .await;
    assert_eq!(s, 403);
    let (_, t2) = app.signed_up(42).await;
    assert_eq!(code_of(&app, "/api/v1/me", &t2).await.0, 200);

    // Consenting again opens the gate.
    let (s, c) = app
        .post_as(
            "/api/v1/consents",
            &t1,
            &consent("privacy_policy", "given", &v2),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["text_sha256"], current["text_sha256"]);
    assert_eq!(code_of(&app, "/api/v1/me", &t1).await.0, 200);

    // A non-material update holds nobody who accepted the last material one.
    let v3 = format!("{}.3", today());
    accounts
        .publish_policy(&doc(&v3, &today(), false, "typo fixed"))
        .await
        .unwrap();
    assert_eq!(policy_version(&app).await, v3);
    assert_eq!(code_of(&app, "/api/v1/me", &t1).await.0, 200);
    assert_eq!(code_of(&app, "/api/v1/me", &t2).await.0, 200);

    // Withdrawal closes the gate (nothing more is collected) and keeps the history.
    let (s, w) = app
        .post_as(
            "/api/v1/consents",
            &t1,
            &consent("privacy_policy", "withdrawn", &v3),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    let (s, code, message) = code_of(&app, "/api/v1/me/profile", &t1).await;
    assert_eq!((s, code.as_str()), (403, "CONSENT_REQUIRED"));
    assert!(message.contains("withdrawn"), "{message}");
    let (s, all) = app.get_as("/api/v1/me/consents", &t1).await;
    assert_eq!(s, 200);
    let actions: Vec<(&str, &str)> = all["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["scope"].as_str().unwrap(), c["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("privacy_policy", "given"),
            ("sensitive_personal_information", "given"),
            ("privacy_policy", "given"),
            ("privacy_policy", "withdrawn"),
        ]
    );
    // Logging out still works.
    let (s, _) = app.delete_as("/api/v1/sessions/current", &t1).await;
    assert_eq!(s, 204);
}

/// Verifies `jwt` with OpenSSL (a tool we did not write) against the Ed25519 JWK `x`.
pub(super) fn openssl_verifies(jwt: &str, x: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let dir = tempfile::tempdir().unwrap();
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    // SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed 12-byte prefix, then the key.
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend(URL_SAFE_NO_PAD.decode(x).unwrap());
    std::fs::write(dir.path().join("pub.der"), &spki).unwrap();
    std::fs::write(dir.path().join("input"), input).unwrap();
    std::fs::write(dir.path().join("sig"), URL_SAFE_NO_PAD.decode(sig).unwrap()).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "pub.der",
        ])
        .args(["-rawin", "-in", "input", "-sigfile", "sig"])
        .current_dir(dir.path())
        .output()
        .expect("openssl is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Signature Verified Successfully")
}

/// PRIV-1: each consent can be downloaded as a receipt signed by the service, verifiable by
/// anyone with the published key; the receipt names no personal information.
async fn consent_receipts_are_signed_and_verifiable(db: &TestDb) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (account, t1) = app.signed_up(43).await;
    let (_, t2) = app.signed_up(44).await;
    let (s, keys) = app.json("/api/v1/consent-receipts/keys").await;
    assert_eq!(s, 200);
    let key = &keys["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let x = key["x"].as_str().unwrap();

    let (_, consents) = app.get_as("/api/v1/me/consents", &t1).await;
    let sensitive = consents["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "sensitive_personal_information")
        .unwrap();
    let id = sensitive["id"].as_str().unwrap();
    let (s, r) = app
        .get_as(&format!("/api/v1/me/consents/{id}/receipt"), &t1)
        .await;
    assert_eq!(s, 200, "{r}");
    let jwt = r["receipt"].as_str().unwrap();
    assert!(openssl_verifies(jwt, x), "OpenSSL refused the receipt");
    let parts: Vec<&str> = jwt.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], key["kid"]);
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims, r["claims"]);
    assert_eq!(claims["version"], "KI-CR-v1.1.0");
    assert_eq!(claims["consentReceiptID"], id);
    assert_eq!(claims["piiPrincipalId"], account.as_str());
    assert_eq!(claims["policyVersion"], version.as_str());
    assert_eq!(claims["policyTextSha256"], sensitive["text_sha256"]);
    assert_eq!(claims["action"], "given");
    assert_eq!(claims["sensitive"], true);
    assert_eq!(
        claims["services"][0]["purposes"][0]["consentType"],
        "EXPLICIT"
    );
    assert!(
        claims["spiCat"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("Identity document number"))
    );
    for pi in ["王小明", "13800130043", "xiaoming", "user43"] {
        assert!(
            !jwt.contains(pi) && !claims.to_string().contains(pi),
            "{pi} in the receipt"
        );
    }

    // A changed claim or another key does not verify.
    let forged_claims = URL_SAFE_NO_PAD.encode(
        claims
            .to_string()
            .replace("\"given\"", "\"withdrawn\"")
            .as_bytes(),
    );
    let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    assert!(!openssl_verifies(&forged, x));
    assert!(!openssl_verifies(jwt, &URL_SAFE_NO_PAD.encode([7u8; 32])));

    // Only one's own receipts.
    let (s, _) = app
        .get_as(&format!("/api/v1/me/consents/{id}/receipt"), &t2)
        .await;
    assert_eq!(s, 404);
    let (s, e) = app.get_as("/api/v1/me/consents/nope/receipt", &t1).await;
    assert_eq!((s, e["code"].as_str()), (400, Some("INVALID_INPUT")));
    let (s, _) = app.json(&format!("/api/v1/me/consents/{id}/receipt")).await;
    assert_eq!(s, 401);

    // A withdrawal has its own receipt.
    let (s, w) = app
        .post_as(
            "/api/v1/consents",
            &t1,
            &consent("sensitive_personal_information", "withdrawn", &version),
        )
        .await;
    assert_eq!(s, 201);
    let (s, r) = app
        .get_as(
            &format!("/api/v1/me/consents/{}/receipt", w["id"].as_str().unwrap()),
            &t1,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["claims"]["action"], "withdrawn");
    assert!(openssl_verifies(r["receipt"].as_str().unwrap(), x));
}

backend_tests!(
    a_material_update_holds_every_request_until_consent,
    consent_receipts_are_signed_and_verifiable,
);
