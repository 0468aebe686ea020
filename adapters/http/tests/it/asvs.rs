//! Small ASVS 5.0 claims of docs/SECURITY.md that no other test pins down: password fields
//! (V6.2), a visible sign-out on every signed-in page (V7.4), and a sign-out that works from
//! each of them.

use crate::harness::*;
use http::{Method, StatusCode};
use serde_json::json;

/// ASVS 6.2.6–6.2.7: every password field is masked, names its autocomplete purpose (so
/// password managers fill it), and nothing blocks paste or caps the length below the policy.
#[tokio::test]
async fn asvs_6_2_password_fields_are_masked_autofillable_and_never_block_paste() {
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let token = t.link_for("ann@example.com", "invitation").await;
    let mut b = Browser::new();
    let sign_in = b.get(&t, "/p/acme/sign-in").await;
    b.get(&t, &format!("/p/acme/activate?token={token}")).await;
    let set = b.get(&t, "/p/acme/activate").await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    b.submit(
        &t,
        "/p/acme/activate",
        "/p/acme/activate",
        &[("password", PW)],
    )
    .await;
    let account = b.get(&t, "/p/acme/account").await;
    assert_eq!(account.status, StatusCode::OK);
    let mut fields = 0;
    for page in [&sign_in.body, &set.body, &account.body] {
        for input in page.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap();
            if tag.contains("password") && tag.contains("type=\"password\"") {
                fields += 1;
                assert!(
                    tag.contains("autocomplete=\"current-password\"")
                        || tag.contains("autocomplete=\"new-password\""),
                    "{tag}"
                );
                assert!(!tag.contains("maxlength"), "{tag}");
                assert!(!tag.contains("onpaste") && !tag.contains("oncopy"), "{tag}");
            }
        }
        assert!(
            !page.contains("<script"),
            "no script to interfere with paste"
        );
    }
    assert_eq!(
        fields, 5,
        "sign-in; set password; change password (current, new); change email"
    );
}

/// ASVS 7.4.4: every page shown to a signed-in client offers sign-out, and it works from each.
#[tokio::test]
async fn asvs_7_4_4_every_signed_in_page_offers_a_working_sign_out() {
    let t = T::with_access().await;
    let a = t.active("ann@example.com").await;
    let mut props = Vec::new();
    for h in ["P-1", "P-2"] {
        let r = t
            .admin(
                Method::POST,
                "/admin/v1/properties",
                Some(json!({"host_ref": h, "kind": "lettings", "display_name": h})),
            )
            .await;
        let p = r.json()["property"]["id"].as_str().unwrap().to_string();
        let r = t
            .admin(
                Method::POST,
                "/admin/v1/grants",
                Some(
                    json!({"subject": {"type": "account", "id": a.id.to_string()},
                            "property": p, "role": "landlord",
                            "scopes": ["widget:property_statement"]}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        props.push(p);
    }
    let p = &props[0];
    for page in [
        "/p/acme/".to_string(),
        "/p/acme/account".to_string(),
        format!("/p/acme/properties/{p}"),
        format!("/p/acme/properties/{p}/statement?from=2025-12-01&to=2025-12-31"),
    ] {
        let mut b = Browser::new();
        assert_eq!(
            b.sign_in(&t, "ann@example.com", PW).await.status,
            StatusCode::SEE_OTHER
        );
        let r = b.get(&t, &page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}: {}", r.body);
        let (_, form) = r
            .body
            .split_once("<form method=\"post\" action=\"")
            .and_then(|(_, rest)| {
                rest.split("<form method=\"post\" action=\"")
                    .chain(std::iter::once(rest))
                    .find(|f| f.split('"').next().unwrap().ends_with("sign-out"))
                    .map(|f| ((), f))
            })
            .unwrap_or_else(|| panic!("{page} offers no sign-out"));
        let action = form.split('"').next().unwrap();
        // Resolve the relative action against the page's path.
        let base = page.split('?').next().unwrap();
        let mut segs: Vec<&str> = base.split('/').collect();
        segs.pop();
        for part in action.split('/') {
            match part {
                ".." => {
                    segs.pop();
                }
                "." | "" => {}
                p => segs.push(p),
            }
        }
        let target = segs.join("/");
        assert_eq!(target, "/p/acme/sign-out", "{page}: {action}");
        let r = b
            .post_form(&t, &target, &[("csrf", r.csrf().as_str())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}: {}", r.body);
        assert_eq!(
            b.json(&t, Method::GET, "/api/v1/acme/me", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "{page}: signed out"
        );
    }
}

/// ASVS 9.1.3: the CSRF MAC key comes from the host's configuration and a weak one is refused.
#[test]
fn asvs_9_1_3_a_short_csrf_secret_is_refused() {
    assert!(matches!(
        portico_http::HttpConfig::new(vec![7u8; 31]),
        Err(portico_http::ConfigError::WeakCsrfSecret)
    ));
    assert!(portico_http::HttpConfig::new(vec![7u8; 32]).is_ok());
}

/// ASVS 6.3.2: a new agency has no accounts at all — no default or built-in login exists;
/// its only credential is the API key handed to the host.
#[tokio::test]
async fn asvs_6_3_2_a_new_agency_has_no_default_accounts() {
    let t = T::new().await;
    let r = t.admin(Method::GET, "/admin/v1/accounts", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["accounts"].as_array().unwrap().len(), 0);
    for login in ["admin", "root", "sa", "administrator", "acme"] {
        let mut b = Browser::new();
        assert_eq!(
            b.api_sign_in(&t, login, login).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// ASVS 6.2.10: a password never expires; it is valid until the client changes it or a reset
/// replaces it.
#[tokio::test]
async fn asvs_6_2_10_passwords_never_expire() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    t.clock.advance(time::Duration::days(3 * 365));
    let mut b = Browser::new();
    assert_eq!(
        b.api_sign_in(&t, "ann@example.com", PW).await.status,
        StatusCode::OK
    );
}
