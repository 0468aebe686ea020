//! Properties, grants, groups, documents, dashboards and staff preview over HTTP (issue 3's
//! side of the service).

use crate::harness::*;
use http::{Method, StatusCode};
use portico_core::access::grant::default_scopes;
use portico_core::access::{PropertyKind, Role};
use portico_core::model::AuditKind;
use serde_json::{Value, json};

async fn property(t: &T, host_ref: &str, kind: &str) -> String {
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/properties",
            Some(json!({"host_ref": host_ref, "kind": kind, "display_name": format!("{host_ref} High Street"), "manager": "pm-1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["property"]["id"].as_str().unwrap().to_string()
}

fn scopes(role: Role, kind: PropertyKind) -> Value {
    serde_json::to_value(default_scopes(role, kind)).unwrap()
}

async fn grant(t: &T, subject: Value, property: &str) -> String {
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/grants",
            Some(json!({
                "subject": subject, "property": property, "role": "landlord",
                "scopes": scopes(Role::Landlord, PropertyKind::Lettings)
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["grant"]["id"].as_str().unwrap().to_string()
}

async fn share(t: &T, property: &str, host_ref: &str) -> String {
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/properties/{property}/documents"),
            Some(json!({"host_ref": host_ref, "category": "certificate", "title": "Gas safety"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["document"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_landlord_picks_a_property_and_sees_its_dashboard_and_documents() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p1 = property(&t, "P-1", "lettings").await;
    let p2 = property(&t, "P-2", "lettings").await;
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p1).await;
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p2).await;
    let doc = share(&t, &p1, "DOC-1").await;
    t.host.add_document(
        "DOC-1",
        portico_core::host::DocumentContent {
            file_name: "gas safety.pdf".into(),
            content_type: "text/html".into(),
            bytes: b"<script>alert(1)</script>".to_vec(),
        },
    );

    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let home = b.get(&t, "/p/acme/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains("Your properties"));
    assert!(home.body.contains(&format!("href=\"properties/{p1}\"")));
    assert_eq!(home.body.matches("<h1").count(), 1);

    let dash = b.get(&t, &format!("/p/acme/properties/{p1}")).await;
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
    assert_eq!(dash.body.matches("<h1").count(), 1);
    assert!(dash.body.contains("P-1 High Street"));
    assert!(
        dash.body.contains("<h2"),
        "widgets are sections with headings"
    );
    assert!(dash.body.contains(&format!("href=\"../documents/{doc}\"")));
    assert!(dash.body.contains("All your properties"));
    assert_eq!(dash.header("cache-control"), Some("no-store"));
    // PORTICO_DUMP_PAGES=<dir> writes the pages out, to look at them in a browser.
    if let Ok(dir) = std::env::var("PORTICO_DUMP_PAGES") {
        std::fs::write(format!("{dir}/dashboard.html"), &dash.body).unwrap();
        std::fs::write(format!("{dir}/portfolio.html"), &home.body).unwrap();
        let acc = b.get(&t, "/p/acme/account").await;
        std::fs::write(format!("{dir}/account.html"), &acc.body).unwrap();
        let si = Browser::new().get(&t, "/p/acme/sign-in").await;
        std::fs::write(format!("{dir}/sign-in.html"), &si.body).unwrap();
    }

    let file = b.get(&t, &format!("/p/acme/documents/{doc}")).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        file.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(
        file.header("content-type"),
        Some("application/octet-stream"),
        "a host's HTML is never served as HTML"
    );
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"gas safety.pdf\"")
    );

    // The same through the JSON API.
    let list = b
        .json(&t, Method::GET, "/api/v1/acme/properties", None)
        .await;
    assert_eq!(list.json()["properties"].as_array().unwrap().len(), 2);
    let d = b
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p1}"),
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(!d.json()["widgets"].as_array().unwrap().is_empty());
    let docs = b
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p1}/documents"),
            None,
        )
        .await;
    assert_eq!(docs.json()["documents"][0]["id"], doc.as_str());
    let dl = b
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/documents/{doc}"),
            None,
        )
        .await;
    assert_eq!(dl.status, StatusCode::OK);
}

#[tokio::test]
async fn one_property_goes_straight_to_its_dashboard() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p).await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let home = b.get(&t, "/p/acme/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), format!("properties/{p}"));
}

#[tokio::test]
async fn statements_on_demand_as_page_and_json() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p).await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let page = b
        .get(
            &t,
            &format!("/p/acme/properties/{p}/statement?from=2025-12-01&to=2025-12-31"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Statement 2025-12-01 to 2025-12-31"));
    let api = b
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}/statement?from=2025-12-01&to=2025-12-31"),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.json()["period"]["from"], "2025-12-01");
    let bad = b
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}/statement?from=2025-12-31&to=2025-12-01"),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn checklist_38_without_a_grant_a_property_is_404_and_a_revoked_grant_ends_access_at_once() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    t.active("bob@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    let g = grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p).await;
    let mut bob = Browser::new();
    bob.api_sign_in(&t, "bob@example.com", PW).await;
    let r = bob
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        bob.get(&t, &format!("/p/acme/properties/{p}")).await.status,
        StatusCode::NOT_FOUND
    );

    let mut ann = Browser::new();
    ann.api_sign_in(&t, "ann@example.com", PW).await;
    assert_eq!(
        ann.json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}"),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = t
        .admin(Method::DELETE, &format!("/admin/v1/grants/{g}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ann
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}"),
            None,
        )
        .await;
    assert!(
        r.status == StatusCode::NOT_FOUND || r.status == StatusCode::UNAUTHORIZED,
        "{}",
        r.status
    );
}

#[tokio::test]
async fn group_grants_flow_down_to_members() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    let national = t
        .admin(
            Method::POST,
            "/admin/v1/groups",
            Some(json!({"name": "National"})),
        )
        .await;
    assert_eq!(national.status, StatusCode::CREATED, "{}", national.body);
    let national = national.json()["group"]["id"].as_str().unwrap().to_string();
    let state = t
        .admin(
            Method::POST,
            "/admin/v1/groups",
            Some(json!({"name": "State", "parent": national})),
        )
        .await;
    let state = state.json()["group"]["id"].as_str().unwrap().to_string();
    let r = t
        .admin(
            Method::PUT,
            &format!("/admin/v1/groups/{state}/members/{}", a.id),
            None,
        )
        .await;
    assert_eq!(r.json()["added"], true);
    grant(&t, json!({"type": "group", "id": national}), &p).await;
    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let list = b
        .json(&t, Method::GET, "/api/v1/acme/properties", None)
        .await;
    assert_eq!(list.json()["properties"].as_array().unwrap().len(), 1);
    // A cycle is refused.
    let r = t
        .admin(
            Method::PATCH,
            &format!("/admin/v1/groups/{national}"),
            Some(json!({"parent": state})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "group_cycle");
    let r = t
        .admin(
            Method::GET,
            &format!("/admin/v1/groups/{state}/members"),
            None,
        )
        .await;
    assert_eq!(r.json()["members"][0], a.id.to_string());
    let r = t
        .admin(
            Method::DELETE,
            &format!("/admin/v1/groups/{national}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "it has a subgroup");
    assert_eq!(
        t.admin(Method::GET, "/admin/v1/groups", None).await.json()["groups"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn checklist_36_37_admin_access_refuses_mass_assignment_and_other_agencies_objects() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/grants",
            Some(json!({
                "subject": {"type": "account", "id": a.id.to_string()}, "property": p,
                "role": "landlord", "scopes": ["widget:no_such_widget"]
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/properties",
            Some(
                json!({"host_ref": "X", "kind": "lettings", "display_name": "X", "agency": "evil"}),
            ),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no mass assignment"
    );
    // Another agency's key sees nothing of ours.
    let other =
        portico_http::bootstrap_agency(&t.portal, "other", "Other", Default::default(), "crm")
            .await
            .unwrap();
    let key = other.key.raw.expose().to_string();
    for (m, path) in [
        (Method::GET, format!("/admin/v1/properties/{p}")),
        (Method::DELETE, format!("/admin/v1/properties/{p}")),
        (Method::POST, format!("/admin/v1/accounts/{}/preview", a.id)),
    ] {
        let r = t.admin_with(&key, m, &path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = t
        .admin_with(
            &key,
            Method::GET,
            &format!("/admin/v1/properties/{p}/grants"),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "our property does not exist for them: {}",
        r.body
    );
    assert!(!r.body.contains("grants"), "nothing of ours");
    let r = t
        .admin_with(
            &key,
            Method::POST,
            "/admin/v1/grants",
            Some(json!({
                "subject": {"type": "account", "id": a.id.to_string()}, "property": p,
                "role": "landlord", "scopes": []
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = t
        .admin(
            Method::PUT,
            "/admin/v1/visibility",
            Some(json!({"hidden_widgets": ["viewings"], "hide_sales": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}

#[tokio::test]
async fn checklist_39_staff_preview_opens_the_portal_read_only() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let p = property(&t, "P-1", "lettings").await;
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p).await;
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/preview", a.id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("https://portal.example/p/acme/preview?token=ppvw_"),
        "{url}"
    );
    let mut staff = Browser::new();
    let landing = staff.get(&t, url.strip_prefix(ORIGIN).unwrap()).await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER);
    assert_eq!(landing.location(), "./");
    assert_eq!(landing.header("referrer-policy"), Some("no-referrer"));
    assert!(staff.cookie(SESSION).unwrap().starts_with("ppvw_"));
    let dash = staff.get(&t, &format!("/p/acme/properties/{p}")).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(dash.body.contains("Staff preview"));
    let me = staff.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    assert_eq!(me.json()["preview"], true);
    // Read-only: nothing changes.
    let r = staff
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password",
            Some(json!({"current_password": PW, "new_password": PW2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "read_only");
    let account = staff.get(&t, "/p/acme/account").await;
    let r = staff
        .post_form(
            &t,
            "/p/acme/password",
            &[("csrf", &account.csrf()), ("current", PW), ("new", PW2)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = staff
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/sign-out-everywhere",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!t.audit(AuditKind::PreviewStarted).await.is_empty());
    // A forged or expired preview link opens nothing.
    let bad = Browser::new()
        .get(&t, "/p/acme/preview?token=ppvw_nope")
        .await;
    assert_eq!(bad.status, StatusCode::GONE);
    t.clock.advance(time::Duration::minutes(16));
    assert_eq!(
        staff
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn identity_only_deployments_answer_404_for_properties() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let r = b
        .json(&t, Method::GET, "/api/v1/acme/properties", None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_enabled");
    let r = t.admin(Method::GET, "/admin/v1/groups", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn names_from_staff_and_the_crm_are_escaped_in_pages() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/properties",
            Some(json!({"host_ref": "P-X", "kind": "lettings", "display_name": "<script>alert(1)</script>"})),
        )
        .await;
    let p = r.json()["property"]["id"].as_str().unwrap().to_string();
    grant(&t, json!({"type": "account", "id": a.id.to_string()}), &p).await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let dash = b.get(&t, &format!("/p/acme/properties/{p}")).await;
    assert_eq!(dash.status, StatusCode::OK);
    assert!(!dash.body.contains("<script>alert(1)"));
    assert!(dash.body.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn a_preview_can_be_closed_with_sign_out() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{}/preview", a.id),
            None,
        )
        .await;
    let url = r.json()["url"].as_str().unwrap().to_string();
    let mut staff = Browser::new();
    staff.get(&t, url.strip_prefix(ORIGIN).unwrap()).await;
    let page = staff.get(&t, "/p/acme/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let r = staff
        .post_form(&t, "/p/acme/sign-out", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut replay = Browser::new();
    replay.jar.insert(
        SESSION.into(),
        url.split_once("token=").unwrap().1.to_string(),
    );
    assert_eq!(
        replay
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let closed = t.audit(AuditKind::SignedOut).await;
    assert!(closed.iter().any(|e| e.detail.contains("preview")));
}
