//! The client JSON API, through the service.

use crate::harness::*;
use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::Full;
use serde_json::json;

#[tokio::test]
async fn sign_in_sets_the_cookie_and_never_returns_the_token() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let r = b.api_sign_in(&t, "ann@example.com", PW).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["account"]["email"], "ann@example.com");
    assert!(v["session"]["id"].is_string());
    assert!(!r.body.contains("pses_"), "no token in the body");
    assert!(b.cookie(SESSION).unwrap().starts_with("pses_"));
    let me = b.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["account"]["username"], "ann@example.com");
    assert_eq!(me.json()["preview"], false);
}

#[tokio::test]
async fn wrong_password_is_401_with_a_stable_code() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let r = Browser::new()
        .api_sign_in(&t, "ann@example.com", "not it not it not it")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "invalid_credentials");
    assert!(r.json()["error"]["message"].is_string());
    let unknown = Browser::new()
        .api_sign_in(&t, "nobody@example.com", "x")
        .await;
    assert_eq!(unknown.status, r.status);
    assert_eq!(unknown.body, r.body, "same answer for unknown users");
}

#[tokio::test]
async fn throttled_sign_in_is_429_with_retry_after() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    for _ in 0..15 {
        let r = b
            .api_sign_in(&t, "ann@example.com", "wrong wrong wrong")
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.error_code(), "too_many_attempts");
            assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
            return;
        }
    }
    panic!("never throttled");
}

#[tokio::test]
async fn bad_requests_answer_json_errors() {
    let t = T::new().await;
    let mut b = Browser::new();
    // Not JSON: 415.
    let req = b
        .request(Method::POST, "/api/v1/acme/sign-in")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Full::new(Bytes::from("{}")))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.error_code(), "json_required");
    // Malformed JSON: 400.
    let req = b
        .request(Method::POST, "/api/v1/acme/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from("{\"login\": ")))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "malformed_json");
    // Missing field: 422.
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/sign-in",
            Some(json!({"login": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_request");
    // Unknown agency: 404.
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/nobody/sign-in",
            Some(json!({"login": "x", "password": "y"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Unknown route: 404 JSON.
    let r = b.json(&t, Method::GET, "/api/v1/acme/nothing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "route_not_found");
}

#[tokio::test]
async fn not_signed_in_is_401() {
    let t = T::new().await;
    let mut b = Browser::new();
    for (m, p) in [
        (Method::GET, "/api/v1/acme/me"),
        (Method::GET, "/api/v1/acme/sessions"),
    ] {
        let r = b.json(&t, m, p, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        assert_eq!(r.error_code(), "not_signed_in");
    }
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password",
            Some(json!({"current_password": "a", "new_password": "b"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = b
        .json(
            &t,
            Method::DELETE,
            "/api/v1/acme/sessions/00000000-0000-4000-8000-000000000000",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_list_and_end_and_sign_out() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut phone = Browser::new();
    let mut laptop = Browser::new();
    phone.api_sign_in(&t, "ann@example.com", PW).await;
    laptop.api_sign_in(&t, "ann@example.com", PW).await;
    let list = laptop
        .json(&t, Method::GET, "/api/v1/acme/sessions", None)
        .await;
    let sessions = list.json()["sessions"].as_array().unwrap().clone();
    // Activation signed in once too.
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let me = phone.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    let phone_id = me.json()["session_id"].as_str().unwrap().to_string();
    let id = phone_id.as_str();
    let r = laptop
        .json(
            &t,
            Method::DELETE,
            &format!("/api/v1/acme/sessions/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        phone
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = laptop
        .json(
            &t,
            Method::DELETE,
            &format!("/api/v1/acme/sessions/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = laptop
        .json(&t, Method::DELETE, "/api/v1/acme/sessions/not-a-uuid", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let out = laptop
        .json(&t, Method::POST, "/api/v1/acme/sign-out", Some(json!({})))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        out.header("clear-site-data"),
        Some("\"cookies\", \"storage\"")
    );
    assert!(laptop.cookie(SESSION).is_none());
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut a = Browser::new();
    let mut b = Browser::new();
    a.api_sign_in(&t, "ann@example.com", PW).await;
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let r = a
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/sign-out-everywhere",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn activate_inspect_and_reset_by_api() {
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let token = t.link_for("ann@example.com", "invitation").await;
    let mut b = Browser::new();
    let info = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/links/inspect",
            Some(json!({"purpose": "invitation", "token": token})),
        )
        .await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(info.json()["display_name"], "Ann Owner");
    let wrong_purpose = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/links/inspect",
            Some(json!({"purpose": "password_reset", "token": token})),
        )
        .await;
    assert_eq!(wrong_purpose.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_purpose.error_code(), "link_invalid");
    let weak = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/activate",
            Some(json!({"token": token, "password": "short"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.error_code(), "password_too_short");
    let ok = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/activate",
            Some(json!({"token": token, "password": PW})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(b.cookie(SESSION).is_some());
    let again = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/activate",
            Some(json!({"token": token, "password": PW})),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.error_code(), "link_used");

    let req = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password-reset/request",
            Some(json!({"login": "ann@example.com"})),
        )
        .await;
    assert_eq!(req.status, StatusCode::ACCEPTED);
    let unknown = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password-reset/request",
            Some(json!({"login": "zed@example.com"})),
        )
        .await;
    assert_eq!(unknown.status, req.status);
    assert_eq!(unknown.body, req.body);
    let reset = t.link_for("ann@example.com", "password_reset").await;
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password-reset",
            Some(json!({"token": reset, "password": PW2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "a reset ends every session"
    );
    assert_eq!(
        b.api_sign_in(&t, "ann@example.com", PW2).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn code_sign_in_by_api_is_bound_to_the_browser() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/request",
            Some(json!({"email": "ann@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(!r.body.contains("pcat_"));
    assert!(b.cookie(ATTEMPT).is_some());
    let code = t.code_for("ann@example.com").await;
    // Another browser (no attempt cookie) cannot use it.
    let r = Browser::new()
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/verify",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "invalid_code");
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/verify",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(b.cookie(SESSION).is_some());
}

#[tokio::test]
async fn code_sign_in_off_is_404() {
    let t = T::with(|s| s.email_code_sign_in = false, |_| {}).await;
    let r = Browser::new()
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/request",
            Some(json!({"email": "a@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "code_sign_in_disabled");
}

#[tokio::test]
async fn change_password_and_email_by_api() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let before = b.cookie(SESSION).cloned();
    let wrong = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password",
            Some(json!({"current_password": "nope nope nope", "new_password": PW2})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.error_code(), "wrong_password");
    let ok = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password",
            Some(json!({"current_password": PW, "new_password": PW2})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_ne!(b.cookie(SESSION).cloned(), before);
    let email = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/email",
            Some(json!({"current_password": PW2, "new_email": "ann@new.example"})),
        )
        .await;
    assert_eq!(email.status, StatusCode::ACCEPTED, "{}", email.body);
    let token = t.link_for("ann@new.example", "email_change_confirm").await;
    let r = b
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/confirm-email",
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let me = b.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    assert_eq!(me.json()["account"]["email"], "ann@new.example");
}

#[tokio::test]
async fn the_openapi_document_is_served() {
    let t = T::new().await;
    let r = Browser::new().get(&t, "/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["openapi"], "3.1.0");
}

#[tokio::test]
async fn storage_down_is_503_with_retry_after_and_no_internal_text() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    t.store.set_unavailable(true);
    let r = Browser::new().api_sign_in(&t, "ann@example.com", PW).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error_code(), "unavailable");
    assert!(r.header("retry-after").is_some());
    assert!(!r.body.to_lowercase().contains("storage"), "{}", r.body);
    let page = Browser::new().get(&t, "/p/acme/sign-in").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("<h1>"));
    let admin = t.admin(Method::GET, "/admin/v1/agency", None).await;
    assert_eq!(admin.status, StatusCode::SERVICE_UNAVAILABLE);
    t.store.set_unavailable(false);
    assert_eq!(
        Browser::new()
            .api_sign_in(&t, "ann@example.com", PW)
            .await
            .status,
        StatusCode::OK
    );
}
