//! The admin API, through the service.

use crate::harness::*;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::Full;
use portico_core::model::{AgencySettings, AuditKind};
use portico_http::ClientAddress;
use serde_json::json;

#[tokio::test]
async fn no_key_bad_key_or_key_in_the_url_is_401() {
    let t = T::new().await;
    let req = Request::get("/admin/v1/agency")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "invalid_api_key");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    let r = t
        .admin_with(
            "pkey_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            Method::GET,
            "/admin/v1/agency",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let req = Request::get(format!("/admin/v1/agency?api_key={}", t.key))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
    let req = Request::get("/admin/v1/agency")
        .header(header::AUTHORIZATION, format!("Basic {}", t.key))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn agency_settings_read_and_replace() {
    let t = T::new().await;
    let r = t.admin(Method::GET, "/admin/v1/agency", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["slug"], "acme");
    let mut settings = serde_json::to_value(AgencySettings {
        portal_base_url: format!("{ORIGIN}/p/acme"),
        ..AgencySettings::default()
    })
    .unwrap();
    settings["hide_sales"] = json!(true);
    let r = t
        .admin(
            Method::PUT,
            "/admin/v1/agency",
            Some(json!({"name": "Acme Homes", "settings": settings})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["name"], "Acme Homes");
    assert_eq!(r.json()["settings"]["hide_sales"], true);
    // Out of range: 422.
    let mut bad = settings.clone();
    bad["password_min_length"] = json!(4);
    let r = t
        .admin(
            Method::PUT,
            "/admin/v1/agency",
            Some(json!({"name": "Acme", "settings": bad})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_setting");
    // No mass assignment of the slug or id.
    let r = t
        .admin(
            Method::PUT,
            "/admin/v1/agency",
            Some(json!({"name": "Acme", "settings": settings, "slug": "evil"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.admin(Method::GET, "/admin/v1/agency", None).await.json()["slug"],
        "acme"
    );
    assert!(!t.audit(AuditKind::SettingsChanged).await.is_empty());
}

#[tokio::test]
async fn set_up_access_invites_and_conflicts_are_409() {
    let t = T::new().await;
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(json!({
                "email": "ann@example.com", "display_name": "Ann Owner", "contact": "C-1"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["created"], true);
    assert_eq!(v["invitation"]["state"], "pending");
    assert_eq!(v["account"]["status"], "invited");
    assert!(
        t.link_url("ann@example.com", "invitation")
            .await
            .starts_with(ORIGIN)
    );
    // The same person again: reused (200).
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(json!({
                "email": "ann@example.com", "display_name": "Ann Owner", "contact": "C-2"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["created"], false);
    // Someone else wanting Ann's address as a username: 409.
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(json!({
                "email": "bob@example.com", "username": "ann@example.com", "display_name": "Bob"
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "login_taken");
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(json!({"email": "nope", "display_name": "X"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "invalid_email");
}

#[tokio::test]
async fn accounts_get_list_edit_disable_enable_delete() {
    let t = T::new().await;
    let a = t.active("ann@example.com").await;
    let path = format!("/admin/v1/accounts/{}", a.id);
    let r = t.admin(Method::GET, &path, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["account"]["status"], "active");
    assert!(!r.body.contains("argon2"), "never the hash");
    let r = t
        .admin(Method::GET, "/admin/v1/accounts?limit=10", None)
        .await;
    assert_eq!(r.json()["accounts"].as_array().unwrap().len(), 1);
    let r = t
        .admin(Method::GET, "/admin/v1/accounts?limit=many", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"display_name": "Ann B. Owner"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["account"]["display_name"], "Ann B. Owner");
    let r = t
        .admin(Method::PATCH, &path, Some(json!({"password": "x"})))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no password field"
    );

    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let r = t
        .admin(Method::POST, &format!("{path}/disable"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.api_sign_in(&t, "ann@example.com", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = t.admin(Method::POST, &format!("{path}/enable"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.api_sign_in(&t, "ann@example.com", PW).await.status,
        StatusCode::OK
    );

    let r = t
        .admin(
            Method::DELETE,
            &path,
            Some(json!({"confirm": "ANN@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error_code(), "confirmation_mismatch");
    let r = t.admin(Method::DELETE, &path, None).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "confirmation required"
    );
    let r = t
        .admin(
            Method::DELETE,
            &path,
            Some(json!({"confirm": "ann@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.admin(Method::GET, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.admin(Method::GET, "/admin/v1/accounts/not-a-uuid", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn invitations_resend_list_revoke() {
    let t = T::new().await;
    let a = t.invited("ann@example.com").await;
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/invitation", a.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["invitation"]["id"].as_str().unwrap().to_string();
    let list = t
        .admin(
            Method::GET,
            &format!("/admin/v1/invitations?account={}", a.id),
            None,
        )
        .await;
    let items = list.json()["invitations"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["state"] == "superseded"));
    let r = t
        .admin(Method::DELETE, &format!("/admin/v1/invitations/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t
        .admin(Method::DELETE, &format!("/admin/v1/invitations/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "not_pending");
    // An active account gets a reset, not an invitation.
    let b = t.active("bob@example.com").await;
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/invitation", b.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "already_active");
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/password-reset", b.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.json()["sent"], "password_reset");
    assert!(
        t.link_url("bob@example.com", "password_reset")
            .await
            .contains("/reset?token=")
    );
}

#[tokio::test]
async fn end_sessions_of_an_account() {
    let t = T::new().await;
    let a = t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/end-sessions", a.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["ended"], 2, "the activation session and this one");
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn audit_log_is_paged_and_filtered_and_names_the_staff_member() {
    let t = T::new().await;
    let a = t.active("ann@example.com").await;
    t.active("bob@example.com").await;
    Browser::new()
        .api_sign_in(&t, "ann@example.com", "wrong wrong wrong")
        .await;
    t.admin(
        Method::POST,
        &format!("/admin/v1/accounts/{}/disable", a.id),
        None,
    )
    .await;
    let r = t
        .admin(Method::GET, "/admin/v1/audit?kind=signin.failed", None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ev = r.json()["events"].as_array().unwrap().clone();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["address"], "203.0.113.7");
    let r = t
        .admin(
            Method::GET,
            &format!("/admin/v1/audit?account={}&kind=account.disabled", a.id),
            None,
        )
        .await;
    let ev = r.json()["events"].as_array().unwrap().clone();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["actor"]["type"], "staff");
    assert_eq!(ev[0]["actor"]["staff"], "Sam Staff");
    let r = t
        .admin(Method::GET, "/admin/v1/audit?limit=2&offset=1", None)
        .await;
    assert_eq!(r.json()["events"].as_array().unwrap().len(), 2);
    let r = t
        .admin(
            Method::GET,
            "/admin/v1/audit?from=2030-01-01T00:00:00Z",
            None,
        )
        .await;
    assert!(r.json()["events"].as_array().unwrap().is_empty());
    let r = t
        .admin(Method::GET, "/admin/v1/audit?kind=nope", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .admin(Method::GET, "/admin/v1/audit?from=yesterday", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn outbox_shows_status_never_content() {
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let r = t.admin(Method::GET, "/admin/v1/outbox", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let m = r.json()["messages"].as_array().unwrap().clone();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["template"], "invitation");
    assert_eq!(m[0]["status"], "queued");
    assert!(!r.body.contains("pinv_"), "no link in the status");
    let r = t
        .admin(Method::GET, "/admin/v1/outbox?status=sent", None)
        .await;
    assert!(r.json()["messages"].as_array().unwrap().is_empty());
    let r = t
        .admin(Method::GET, "/admin/v1/outbox?status=lost", None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn admin_rate_limit_when_configured() {
    let t = T::with(
        |_| {},
        |c| c.rate_limits.admin = Some(portico_http::RateLimit::new(1, 2)),
    )
    .await;
    let mut last = StatusCode::OK;
    for _ in 0..3 {
        last = t.admin(Method::GET, "/admin/v1/agency", None).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn staff_header_must_be_text() {
    let t = T::new().await;
    let req = Request::get("/admin/v1/agency")
        .header(header::AUTHORIZATION, format!("Bearer {}", t.key))
        .header(
            "x-portico-staff",
            http::HeaderValue::from_bytes(b"Sam \xff").unwrap(),
        )
        .extension(ClientAddress("198.51.100.1".parse().unwrap()))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::BAD_REQUEST);
}
