//! SIGN-2, SIGN-3, ACC-2: signature images and enterprise seals, through the server.

use base64::Engine;

use super::*;
use yinxin_domain::AccountId;

/// A real unified social credit code (GB 32100 check character correct).
const USCC: &str = "91440300708461136T";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn enterprise_body(policy: &str) -> Value {
    serde_json::json!({
        "name": "深圳市腾讯计算机系统有限公司",
        "kind": "legal_person",
        "credit_code": USCC,
        "legal_representative": {
            "name": "马化腾",
            "country_region": "CN",
            "document_type": "resident_id_card",
            "document_number": resident_id("44030419711029001"),
        },
        "legal_representative_warranty": true,
        "accept_policy_version": policy,
        "consents": ["sensitive_personal_information"],
    })
}

/// GET `path` as `token`: (status, content type, body bytes).
pub(crate) async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
    yinxin_sign::image::decode_png(png, "png").unwrap()
}

fn code_of(e: &Value) -> Option<&str> {
    e["code"].as_str()
}

/// SIGN-2: a person's signature images — styled, drawn, uploaded — are theirs alone to see and
/// delete; garbage is refused naming the field.
async fn signature_images_belong_to_their_owner(db: &TestDb) {
    let app = TestApp::start(db).await;
    let (a1, t1) = app.signed_up(21).await;
    let (_a2, t2) = app.signed_up(22).await;

    // The registered name (王小明) in the kai style.
    let (s, kai) = app
        .post_as(
            "/api/v1/signature-images",
            &t1,
            &serde_json::json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!(s, 201, "{kai}");
    assert_eq!(kai["source"], "style");
    assert_eq!(kai["style"], "kai");
    assert_eq!(kai["account"], a1.as_str());
    let kai_id = kai["id"].as_str().unwrap().to_owned();
    let (s, ct, png) = get_bytes(&app, &format!("/api/v1/signature-images/{kai_id}"), &t1).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    let (w, h, rgba) = decode(&png);
    assert_eq!(
        (w, h),
        (
            kai["width"].as_u64().unwrap() as u32,
            kai["height"].as_u64().unwrap() as u32
        )
    );
    assert!(
        rgba.chunks_exact(4).filter(|p| p[3] > 128).count() > 1000,
        "ink"
    );
    assert_eq!(&rgba[..4], &[0, 0, 0, 0], "transparent corner");

    // Another account sees nothing of it, and cannot delete it.
    let (s, e) = app
        .get_as(&format!("/api/v1/signature-images/{kai_id}"), &t2)
        .await;
    assert_eq!((s, code_of(&e)), (404, Some("NOT_FOUND")), "{e}");
    let (s, e) = app
        .delete_as(&format!("/api/v1/signature-images/{kai_id}"), &t2)
        .await;
    assert_eq!(s, 404, "{e}");
    let (s, list) = app.get_as("/api/v1/signature-images", &t2).await;
    assert_eq!((s, list["images"].as_array().unwrap().len()), (200, 0));
    let (s, _) = app
        .get_as("/api/v1/signature-images", "not-a-session")
        .await;
    assert_eq!(s, 401);

    // Refusals name what is wrong.
    for (body, field) in [
        (
            serde_json::json!({"source": "style", "style": "cursive"}),
            "style",
        ),
        (serde_json::json!({"source": "pencil"}), "source"),
        (
            serde_json::json!({"source": "strokes", "width": 100, "height": 100, "strokes": [[[5, 5], [150, 5]]]}),
            "strokes",
        ),
        (
            serde_json::json!({"source": "strokes", "width": 100, "height": 100, "strokes": []}),
            "strokes",
        ),
        (
            serde_json::json!({"source": "strokes", "width": 100, "height": 100, "strokes": [[[5, 5]]], "pressure": [1]}),
            "pressure",
        ),
        (serde_json::json!({"source": "style"}), "style"),
        (
            serde_json::json!({"source": "style", "style": "kai", "png": "aGVsbG8="}),
            "png",
        ),
        (
            serde_json::json!({"source": "strokes", "height": 100, "strokes": [[[5, 5]]]}),
            "width",
        ),
        (
            serde_json::json!({"source": "strokes", "width": 9000, "height": 100, "strokes": [[[5, 5]]]}),
            "width",
        ),
        (
            serde_json::json!({"source": "upload", "png": "aGVsbG8="}),
            "png",
        ),
        (serde_json::json!({"source": "upload", "png": "%%%"}), "png"),
    ] {
        let (s, e) = app.post_as("/api/v1/signature-images", &t1, &body).await;
        assert_eq!(
            (s, code_of(&e)),
            (400, Some("INVALID_INPUT")),
            "{body}: {e}"
        );
        assert!(
            e["message"].as_str().unwrap().contains(field),
            "{body}: {e}"
        );
    }

    // Strokes drawn by hand; the rendered image only.
    let (s, drawn) = app
        .post_as(
            "/api/v1/signature-images",
            &t1,
            &serde_json::json!({"source": "strokes", "width": 200, "height": 80, "pen_width": 8,
                "strokes": [[[10, 60], [60, 10], [110, 60], [190, 20]], [[100, 70]]]}),
        )
        .await;
    assert_eq!(s, 201, "{drawn}");
    assert_eq!(drawn["source"], "strokes");
    assert_eq!(
        (drawn["width"].as_u64(), drawn["height"].as_u64()),
        (Some(200), Some(80))
    );
    let drawn_id = drawn["id"].as_str().unwrap().to_owned();
    let (_, _, drawn_png) =
        get_bytes(&app, &format!("/api/v1/signature-images/{drawn_id}"), &t1).await;
    let (_, _, rgba) = decode(&drawn_png);
    // The pixel at (10, 60), the first point, is ink; (190, 70) is not.
    assert_eq!(rgba[(60 * 200 + 10) * 4 + 3], 255);
    assert_eq!(rgba[(70 * 200 + 190) * 4 + 3], 0);

    // The same PNG uploaded comes back re-encoded with the same pixels.
    let b64 = base64::engine::general_purpose::STANDARD.encode(&drawn_png);
    let (s, up) = app
        .post_as(
            "/api/v1/signature-images",
            &t1,
            &serde_json::json!({"source": "upload", "png": b64}),
        )
        .await;
    assert_eq!(s, 201, "{up}");
    let (_, _, up_png) = get_bytes(
        &app,
        &format!("/api/v1/signature-images/{}", up["id"].as_str().unwrap()),
        &t1,
    )
    .await;
    assert_eq!(decode(&up_png).2, rgba);

    // The images are sealed: the stored blob is not the PNG.
    let (s, list) = app.get_as("/api/v1/signature-images", &t1).await;
    assert_eq!((s, list["images"].as_array().unwrap().len()), (200, 3));

    // The owner deletes one; it is gone.
    let (s, _) = app
        .delete_as(&format!("/api/v1/signature-images/{kai_id}"), &t1)
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .get_as(&format!("/api/v1/signature-images/{kai_id}"), &t1)
        .await;
    assert_eq!(s, 404);
    let (s, list) = app.get_as("/api/v1/signature-images", &t1).await;
    assert_eq!((s, list["images"].as_array().unwrap().len()), (200, 2));
    // PRIV-2: a hand-drawn signature is sensitive; once the separate consent is withdrawn no
    // more are collected, while a styled one (not sensitive) still is.
    let version = policy_version(&app).await;
    let (s, c) = app
        .post_as(
            "/api/v1/consents",
            &t1,
            &serde_json::json!({"scope": "sensitive_personal_information", "action": "withdrawn", "policy_version": version}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let (s, e) = app
        .post_as(
            "/api/v1/signature-images",
            &t1,
            &serde_json::json!({"source": "strokes", "width": 100, "height": 100, "strokes": [[[5, 5], [50, 50]]]}),
        )
        .await;
    assert_eq!((s, code_of(&e)), (403, Some("CONSENT_REQUIRED")), "{e}");
    let (s, e) = app
        .post_as(
            "/api/v1/signature-images",
            &t1,
            &serde_json::json!({"source": "style", "style": "ming"}),
        )
        .await;
    assert_eq!(s, 201, "{e}");

    let (s, e) = app.get_as("/api/v1/signature-images/nope", &t1).await;
    assert_eq!(
        (s, e["message"].as_str()),
        (400, Some("id: must be a UUID"))
    );
}

/// SIGN-2: a registered name with a character the style's font lacks is refused by position.
async fn a_name_the_font_lacks_is_refused(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let mut reg = person(23, &version);
    // U+2A6A5 (CJK Extension B) is not in AR PL UKai.
    reg["name"] = Value::from("王\u{2A6A5}");
    let (s, r, _) = app.post("/api/v1/accounts/personal", &reg).await;
    assert_eq!(s, 201, "{r}");
    let (s, sess, _) = app
        .post(
            "/api/v1/sessions",
            &serde_json::json!({"method": "password", "username": "user23", "password": "correct horse 42"}),
        )
        .await;
    assert_eq!(s, 201);
    let t = sess["token"].as_str().unwrap();
    let (s, e) = app
        .post_as(
            "/api/v1/signature-images",
            t,
            &serde_json::json!({"source": "style", "style": "kai"}),
        )
        .await;
    assert_eq!((s, code_of(&e)), (400, Some("INVALID_INPUT")), "{e}");
    let m = e["message"].as_str().unwrap();
    assert!(m.starts_with("name: character 2 (U+2A6A5)"), "{m}");
}

/// SIGN-3, ACC-2: seals are made by agents with manage_seals, seen only by the enterprise's
/// agents, and used only under a live seal authorization for the purpose.
async fn seals_are_used_only_under_a_live_authorization(db: &TestDb) {
    let app = TestApp::start(db).await;
    let version = policy_version(&app).await;
    let (a1, t1) = app.signed_up(31).await;
    let (a2, t2) = app.signed_up(32).await;
    let (_a3, t3) = app.signed_up(33).await;
    let (s, reg) = app
        .post_as(
            "/api/v1/accounts/enterprise",
            &t1,
            &enterprise_body(&version),
        )
        .await;
    assert_eq!(s, 201, "{reg}");
    let ent = reg["enterprise_id"].as_str().unwrap().to_owned();
    let seals = format!("/api/v1/enterprises/{ent}/seals");

    // A contract seal: round, red ring, with a 13-digit code.
    let (s, seal) = app
        .post_as(&seals, &t1, &serde_json::json!({"category": "contract"}))
        .await;
    assert_eq!(s, 201, "{seal}");
    assert_eq!(seal["category"], "contract");
    assert_eq!(seal["created_by"], a1.as_str());
    let code = seal["anti_counterfeit_code"].as_str().unwrap();
    assert!(
        code.len() == 13 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let seal_id = seal["id"].as_str().unwrap().to_owned();
    let (s, ct, png) = get_bytes(&app, &format!("{seals}/{seal_id}/image"), &t1).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    let (w, h, rgba) = decode(&png);
    assert_eq!((w, h), (400, 400));
    let px = |x: usize, y: usize| &rgba[(y * 400 + x) * 4..(y * 400 + x) * 4 + 4];
    // Mid-ring at the top and the bottom, and the star's centre, are red; a corner is clear.
    for (x, y) in [(200, 12), (200, 388), (12, 200), (200, 200)] {
        let p = px(x, y);
        assert!(p[0] > 150 && p[1] < 80 && p[3] > 200, "({x},{y}) {p:?}");
    }
    assert_eq!(px(2, 2)[3], 0);
    // The enterprise's copy of its data carries the seal image (issue 8 item 2), the very PNG.
    let ent_record = db
        .stores
        .accounts
        .account(ent.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let passphrase = "the enterprise's passphrase";
    let sealed = app
        .state
        .accounts
        .export(&ent_record, passphrase, None)
        .await
        .unwrap();
    let copy: serde_json::Value =
        serde_json::from_slice(&yinxin_identity::export::open(&sealed, passphrase).unwrap())
            .unwrap();
    let file = copy["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == seal_id.as_str())
        .unwrap_or_else(|| panic!("no seal in {}", copy["files"]));
    assert_eq!(file["field"], "signing.seal_image");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(file["content_base64"].as_str().unwrap())
            .unwrap(),
        png
    );

    // The legal representative's seal is square and has no code.
    let (s, legal) = app
        .post_as(
            &seals,
            &t1,
            &serde_json::json!({"category": "legal_representative"}),
        )
        .await;
    assert_eq!(s, 201, "{legal}");
    assert!(legal["anti_counterfeit_code"].is_null());
    assert_eq!(
        (legal["width"].as_u64(), legal["height"].as_u64()),
        (Some(304), Some(304))
    );

    let (s, e) = app
        .post_as(&seals, &t1, &serde_json::json!({"category": "personal"}))
        .await;
    assert_eq!((s, code_of(&e)), (400, Some("INVALID_INPUT")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("category"), "{e}");

    // Someone who acts for none of it learns nothing.
    let (s, e) = app
        .post_as(&seals, &t2, &serde_json::json!({"category": "contract"}))
        .await;
    assert_eq!((s, code_of(&e)), (404, Some("NOT_FOUND")), "{e}");
    assert_eq!(app.get_as(&seals, &t2).await.0, 404);
    assert_eq!(
        get_bytes(&app, &format!("{seals}/{seal_id}/image"), &t2)
            .await
            .0,
        404
    );
    // A seal id under another enterprise id, and an unknown seal, are 404 too.
    let other = AccountId::random();
    assert_eq!(
        get_bytes(
            &app,
            &format!("/api/v1/enterprises/{other}/seals/{seal_id}/image"),
            &t1
        )
        .await
        .0,
        404
    );
    let unknown = AccountId::random();
    assert_eq!(
        get_bytes(&app, &format!("{seals}/{unknown}/image"), &t1)
            .await
            .0,
        404
    );

    // An agent with use_seals sees the seals but may not make one.
    let until = now() + 30 * 86_400;
    let (s, ent_auth) = app
        .post_as(
            &format!("/api/v1/enterprises/{ent}/authorizations"),
            &t1,
            &serde_json::json!({"agent_username": "user32", "scopes": ["use_seals"], "valid_until": until}),
        )
        .await;
    assert_eq!(s, 201, "{ent_auth}");
    let (s, e) = app
        .post_as(&seals, &t2, &serde_json::json!({"category": "finance"}))
        .await;
    assert_eq!((s, code_of(&e)), (403, Some("FORBIDDEN")), "{e}");
    let (s, list) = app.get_as(&seals, &t2).await;
    assert_eq!((s, list["seals"].as_array().unwrap().len()), (200, 2));

    // Without a seal authorization: no.
    let may = |purpose: &'static str| format!("{seals}/{seal_id}/may-use?purpose={purpose}");
    let (s, m) = app.get_as(&may("contract_signing"), &t2).await;
    assert_eq!((s, m["allowed"].as_bool()), (200, Some(false)), "{m}");

    // Granted for contract signing: yes for that purpose only.
    let auths = format!("{seals}/{seal_id}/authorizations");
    let (s, e) = app
        .post_as(
            &auths,
            &t2,
            &serde_json::json!({"agent_username": "user32", "purposes": ["contract_signing"], "valid_until": until}),
        )
        .await;
    assert_eq!(
        (s, code_of(&e)),
        (403, Some("FORBIDDEN")),
        "granting needs manage_seals: {e}"
    );
    let (s, grant) = app
        .post_as(
            &auths,
            &t1,
            &serde_json::json!({"agent_username": "user32", "purposes": ["contract_signing"], "valid_until": until}),
        )
        .await;
    assert_eq!(s, 201, "{grant}");
    assert_eq!(grant["agent"], a2.as_str());
    assert_eq!(grant["granted_by"], a1.as_str());
    let grant_id = grant["id"].as_str().unwrap().to_owned();
    let (s, m) = app.get_as(&may("contract_signing"), &t2).await;
    assert_eq!((s, m["allowed"].as_bool()), (200, Some(true)), "{m}");
    assert_eq!(m["authorization"]["id"], grant_id.as_str());
    let (_, m) = app.get_as(&may("auto_sign"), &t2).await;
    assert_eq!(m["allowed"].as_bool(), Some(false));
    let (s, e) = app.get_as(&may("everything"), &t2).await;
    assert_eq!((s, code_of(&e)), (400, Some("INVALID_INPUT")), "{e}");

    // Refusals of a grant name the field.
    for (body, field) in [
        (
            serde_json::json!({"agent_username": "user32", "purposes": [], "valid_until": until}),
            "purposes",
        ),
        (
            serde_json::json!({"agent_username": "user32", "purposes": ["stamping"], "valid_until": until}),
            "purposes",
        ),
        (
            serde_json::json!({"agent_username": "user32", "purposes": ["auto_sign"], "valid_until": now() - 10}),
            "valid_until",
        ),
        (
            serde_json::json!({"agent_username": "user32", "purposes": ["auto_sign"], "valid_until": now() + 9999 * 86_400}),
            "valid_until",
        ),
        // user33 holds no authorization for the enterprise.
        (
            serde_json::json!({"agent_username": "user33", "purposes": ["auto_sign"], "valid_until": until}),
            "agent_username",
        ),
    ] {
        let (s, e) = app.post_as(&auths, &t1, &body).await;
        assert_eq!(
            (s, code_of(&e)),
            (400, Some("INVALID_INPUT")),
            "{body}: {e}"
        );
        assert!(
            e["message"].as_str().unwrap().contains(field),
            "{body}: {e}"
        );
    }
    let (s, _) = app
        .post_as(
            &auths,
            &t1,
            &serde_json::json!({"agent_username": "nobody", "purposes": ["auto_sign"], "valid_until": until}),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(app.get_as(&may("contract_signing"), &t3).await.0, 404);

    // Revoked: no; the record says who and when; a second revocation is a conflict.
    let (s, revoked) = app
        .post_as(&format!("{auths}/{grant_id}/revoke"), &t1, &Value::Null)
        .await;
    assert_eq!(s, 200, "{revoked}");
    assert_eq!(revoked["revoked_by"], a1.as_str());
    assert!(revoked["revoked_at"].as_i64().unwrap() >= now() - 5);
    let (_, m) = app.get_as(&may("contract_signing"), &t2).await;
    assert_eq!(m["allowed"].as_bool(), Some(false), "{m}");
    let (s, e) = app
        .post_as(&format!("{auths}/{grant_id}/revoke"), &t1, &Value::Null)
        .await;
    assert_eq!((s, code_of(&e)), (409, Some("CONFLICT")), "{e}");
    let (s, e) = app
        .post_as(&format!("{auths}/{grant_id}/revoke"), &t2, &Value::Null)
        .await;
    assert_eq!(s, 403, "{e}");

    // Expired: granted for two seconds, then no.
    let (s, short) = app
        .post_as(
            &auths,
            &t1,
            &serde_json::json!({"agent_username": "user32", "purposes": ["auto_sign"], "valid_until": now() + 2}),
        )
        .await;
    assert_eq!(s, 201, "{short}");
    let (_, m) = app.get_as(&may("auto_sign"), &t2).await;
    assert_eq!(m["allowed"].as_bool(), Some(true), "{m}");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (_, m) = app.get_as(&may("auto_sign"), &t2).await;
    assert_eq!(m["allowed"].as_bool(), Some(false), "{m}");

    // A live seal authorization no longer counts once the agent's enterprise authorization is
    // revoked (ACC-2): the agent is then a stranger to the enterprise.
    let (s, _) = app
        .post_as(
            &auths,
            &t1,
            &serde_json::json!({"agent_username": "user32", "purposes": ["document_signing"], "valid_until": until}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(
        app.get_as(&may("document_signing"), &t2).await.1["allowed"].as_bool(),
        Some(true)
    );
    let (s, _) = app
        .delete_as(
            &format!(
                "/api/v1/enterprises/{ent}/authorizations/{}",
                ent_auth["id"].as_str().unwrap()
            ),
            &t1,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(app.get_as(&may("document_signing"), &t2).await.0, 404);

    // The history of the seal's authorizations, for managers.
    let (s, list) = app.get_as(&auths, &t1).await;
    assert_eq!(
        (s, list["authorizations"].as_array().unwrap().len()),
        (200, 3)
    );
    let (s, _) = app.get_as(&auths, &t2).await;
    assert_eq!(s, 404);
}

backend_tests!(
    signature_images_belong_to_their_owner,
    a_name_the_font_lacks_is_refused,
    seals_are_used_only_under_a_live_authorization,
);
