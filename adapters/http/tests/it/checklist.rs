//! The security checklist at the HTTP boundary: items 17–18, 23–34 and 40 (and 37), one test
//! (or more) named after each.

use crate::harness::*;
use base64ct::{Base64, Encoding};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::Full;
use portico_core::model::AuditKind;
use portico_http::{ClientAddress, RateLimit, TrustedProxy};
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn checklist_17_links_come_from_the_agency_base_url_never_the_host_header() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.extra = vec![
        ("host".into(), "evil.example".into()),
        ("x-forwarded-host".into(), "evil.example".into()),
    ];
    let r = b
        .submit(
            &t,
            "/p/acme/forgot",
            "/p/acme/forgot",
            &[("login", "ann@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let url = t.link_url("ann@example.com", "password_reset").await;
    assert!(
        url.starts_with("https://portal.example/p/acme/reset?token="),
        "{url}"
    );
    assert!(!url.contains("evil"));
    // The same through the admin API and the JSON API.
    let bob = t.invited("bob@example.com").await;
    let req = Request::post(format!("/admin/v1/accounts/{}/invitation", bob.id))
        .header(header::AUTHORIZATION, format!("Bearer {}", t.key))
        .header(header::HOST, "evil.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::CREATED);
    assert!(
        t.link_url("bob@example.com", "invitation")
            .await
            .starts_with(ORIGIN)
    );
}

#[tokio::test]
async fn checklist_18_token_pages_drop_the_token_send_no_referrer_no_store_and_get_never_consumes()
{
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let token = t.link_for("ann@example.com", "invitation").await;
    let mut b = Browser::new();
    let landing = b.get(&t, &format!("/p/acme/activate?token={token}")).await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER);
    assert_eq!(landing.location(), "activate", "the token leaves the URL");
    assert_eq!(landing.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(landing.header("cache-control"), Some("no-store"));
    let c = landing.set_cookie(LINK).unwrap();
    for attr in [
        "HttpOnly",
        "Secure",
        "Path=/",
        "Max-Age=900",
        "SameSite=Lax",
    ] {
        assert!(c.contains(attr), "{attr} in {c}");
    }
    assert!(!c.contains("Domain"));
    // Opening the page (a mail scanner, a reload) any number of times consumes nothing.
    for _ in 0..3 {
        let form = b.get(&t, "/p/acme/activate").await;
        assert_eq!(form.status, StatusCode::OK);
        assert_eq!(form.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(form.header("cache-control"), Some("no-store"));
        assert!(!form.body.contains(&token));
    }
    assert!(t.audit(AuditKind::AccountActivated).await.is_empty());
    // The reset and confirm-email pages behave the same.
    for page in ["reset", "confirm-email"] {
        let r = Browser::new()
            .get(&t, &format!("/p/acme/{page}?token=prst_x"))
            .await;
        assert_eq!(r.location(), page);
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // Only the POST uses it.
    let r = b
        .submit(
            &t,
            "/p/acme/activate",
            "/p/acme/activate",
            &[("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.audit(AuditKind::AccountActivated).await.len(), 1);
}

#[tokio::test]
async fn checklist_23_unknown_forged_or_foreign_session_tokens_are_rejected() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.jar.insert(
        SESSION.into(),
        "pses_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
    );
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A real session of agency acme is nothing in another agency.
    t.portal
        .create_agency("other", "Other Estates", Default::default())
        .await
        .unwrap();
    let mut a = Browser::new();
    a.api_sign_in(&t, "ann@example.com", PW).await;
    let token = a.cookie(SESSION).unwrap().clone();
    let mut c = Browser::new();
    c.jar.insert("__Host-portico_session_other".into(), token);
    assert_eq!(
        c.json(&t, Method::GET, "/api/v1/other/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn checklist_24_every_sign_in_gets_a_new_session_id_and_a_planted_one_is_ended() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    // An attacker's own session planted in the victim's browser is replaced and ended.
    let mut attacker = Browser::new();
    attacker.api_sign_in(&t, "ann@example.com", PW).await;
    let planted = attacker.cookie(SESSION).unwrap().clone();
    let mut victim = Browser::new();
    victim.jar.insert(SESSION.into(), planted.clone());
    victim.sign_in(&t, "ann@example.com", PW).await;
    let mine = victim.cookie(SESSION).unwrap().clone();
    assert_ne!(mine, planted);
    assert_eq!(
        attacker
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    victim.sign_in(&t, "ann@example.com", PW).await;
    assert_ne!(victim.cookie(SESSION).unwrap(), &mine);
}

#[tokio::test]
async fn checklist_25_session_cookie_is_host_prefixed_secure_httponly_samesite_no_domain() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    for r in [
        Browser::new().sign_in(&t, "ann@example.com", PW).await,
        Browser::new().api_sign_in(&t, "ann@example.com", PW).await,
    ] {
        let c = r.set_cookie(SESSION).expect("the session cookie");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(attr), "{attr} in {c}");
        }
        assert!(!c.to_ascii_lowercase().contains("domain"), "{c}");
    }
    let pre = Browser::new()
        .get(&t, "/p/acme/sign-in")
        .await
        .set_cookie(PRE)
        .unwrap();
    assert!(pre.contains("HttpOnly") && pre.contains("Secure") && pre.contains("Path=/"));
    // Development over plain HTTP: no prefix (browsers would refuse it without Secure).
    let dev = T::with(|_| {}, |c| c.secure_cookies = false).await;
    dev.active("ann@example.com").await;
    let r = Browser::new()
        .api_sign_in(&dev, "ann@example.com", PW)
        .await;
    let c = r.set_cookie("portico_session_acme").unwrap();
    assert!(!c.contains("Secure"));
}

#[tokio::test]
async fn checklist_26_the_session_token_is_never_in_a_url_or_a_body() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let page = b.sign_in(&t, "ann@example.com", PW).await;
    let token = b.cookie(SESSION).unwrap().clone();
    assert!(!page.body.contains(&token) && !page.location().contains(&token));
    let api = Browser::new().api_sign_in(&t, "ann@example.com", PW).await;
    assert!(!api.body.contains("pses_"));
    for p in ["/p/acme/", "/p/acme/account"] {
        assert!(!b.get(&t, p).await.body.contains(&token), "{p}");
    }
    // Presented anywhere but the cookie, it is ignored.
    let req = Request::get(format!("/api/v1/acme/me?session={token}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn checklist_27_idle_and_absolute_timeouts_hold_at_the_http_boundary() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.api_sign_in(&t, "ann@example.com", PW).await;
    t.clock.advance(time::Duration::minutes(31));
    assert_eq!(
        b.json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    b.api_sign_in(&t, "ann@example.com", PW).await;
    let mut hours = 0;
    loop {
        t.clock.advance(time::Duration::minutes(20));
        let s = b
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status;
        hours += 20;
        if s == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(hours <= 12 * 60, "the absolute limit holds while active");
    }
    assert!(hours >= 12 * 60 - 20);
}

#[tokio::test]
async fn checklist_28_sign_out_ends_the_session_server_side_and_clears_site_data() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let token = b.cookie(SESSION).unwrap().clone();
    let home = b.get(&t, "/p/acme/").await;
    let r = b
        .post_form(&t, "/p/acme/sign-out", &[("csrf", &home.csrf())])
        .await;
    assert_eq!(
        r.header("clear-site-data"),
        Some("\"cookies\", \"storage\"")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.set_cookie(SESSION).unwrap().contains("Max-Age=0"));
    let mut replay = Browser::new();
    replay.jar.insert(SESSION.into(), token);
    assert_eq!(
        replay
            .json(&t, Method::GET, "/api/v1/acme/me", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.audit(AuditKind::SignedOut).await.len(), 1);
    // Signed-in pages are never cached.
    let mut c = Browser::new();
    c.sign_in(&t, "ann@example.com", PW).await;
    assert_eq!(
        c.get(&t, "/p/acme/account").await.header("cache-control"),
        Some("no-store")
    );
}

#[tokio::test]
async fn checklist_29_disable_or_delete_ends_sessions_and_the_admin_api_can_end_them() {
    let t = T::new().await;
    let a = t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    t.admin(
        Method::POST,
        &format!("/admin/v1/accounts/{}/end-sessions", a.id),
        None,
    )
    .await;
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::SEE_OTHER);
    b.sign_in(&t, "ann@example.com", PW).await;
    t.admin(
        Method::POST,
        &format!("/admin/v1/accounts/{}/disable", a.id),
        None,
    )
    .await;
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::SEE_OTHER);
    t.admin(
        Method::POST,
        &format!("/admin/v1/accounts/{}/enable", a.id),
        None,
    )
    .await;
    b.sign_in(&t, "ann@example.com", PW).await;
    let r = t
        .admin(
            Method::DELETE,
            &format!("/admin/v1/accounts/{}", a.id),
            Some(json!({"confirm": "ann@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn checklist_30_clients_list_and_end_their_own_sessions() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut phone = Browser::new();
    phone.sign_in(&t, "ann@example.com", PW).await;
    let mut laptop = Browser::new();
    laptop.addr = "192.0.2.50".parse().unwrap();
    laptop.sign_in(&t, "ann@example.com", PW).await;
    let page = laptop.get(&t, "/p/acme/account").await;
    // Activation signed in once too.
    assert_eq!(page.body.matches("<li>").count(), 3);
    assert!(page.body.contains("this browser"));
    assert!(page.body.contains("203.0.113.7"));
    let me = phone.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    let other = me.json()["session_id"].as_str().unwrap().to_string();
    assert!(
        page.body
            .contains(&format!("name=\"session\" value=\"{other}\""))
    );
    let r = laptop
        .post_form(
            &t,
            "/p/acme/end-session",
            &[("csrf", &page.csrf()), ("session", &other)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "account?notice=session_ended");
    assert_eq!(
        phone.get(&t, "/p/acme/").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(laptop.get(&t, "/p/acme/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn checklist_31_email_change_needs_the_password_and_is_confirmed_at_the_new_address() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let r = b
        .submit(
            &t,
            "/p/acme/account",
            "/p/acme/email",
            &[
                ("email", "ann@new.example"),
                ("password", "wrong wrong wrong"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.mails_to("ann@new.example").await, 0);
    b.submit(
        &t,
        "/p/acme/account",
        "/p/acme/email",
        &[("email", "ann@new.example"), ("password", PW)],
    )
    .await;
    assert_eq!(t.mails_to("ann@new.example").await, 1);
    assert_eq!(
        t.mail("ann@example.com", "email_change_notice").await.to,
        "ann@example.com"
    );
    // Nothing changed until the link is used.
    let me = b.json(&t, Method::GET, "/api/v1/acme/me", None).await;
    assert_eq!(me.json()["account"]["email"], "ann@example.com");
}

#[tokio::test]
async fn checklist_32_cross_site_posts_are_refused() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let home = b.get(&t, "/p/acme/").await;
    let csrf = home.csrf();
    // Fetch Metadata says cross-site: refused even with a valid token.
    let mut evil = b.clone();
    evil.same_origin = false;
    evil.extra = vec![("sec-fetch-site".into(), "cross-site".into())];
    let r = evil
        .post_form(&t, "/p/acme/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No Fetch Metadata, a foreign Origin: refused.
    evil.extra = vec![("origin".into(), "https://evil.example".into())];
    let r = evil
        .post_form(&t, "/p/acme/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = evil
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/sign-out-everywhere",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "cross_site_request");
    evil.extra = vec![("origin".into(), "null".into())];
    assert_eq!(
        evil.post_form(&t, "/p/acme/sign-out", &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Still signed in.
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn checklist_32_every_form_post_needs_a_csrf_token_bound_to_the_session() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    t.active("bob@example.com").await;
    let mut ann = Browser::new();
    ann.sign_in(&t, "ann@example.com", PW).await;
    let mut bob = Browser::new();
    bob.sign_in(&t, "bob@example.com", PW).await;
    let bobs = bob.get(&t, "/p/acme/account").await.csrf();
    for (path, fields) in [
        ("/p/acme/sign-out", vec![]),
        ("/p/acme/sign-out-everywhere", vec![]),
        ("/p/acme/password", vec![("current", PW), ("new", PW2)]),
        (
            "/p/acme/email",
            vec![("email", "x@example.com"), ("password", PW)],
        ),
        (
            "/p/acme/end-session",
            vec![("session", "00000000-0000-4000-8000-000000000000")],
        ),
    ] {
        let r = ann.post_form(&t, path, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without a token");
        let mut with_bobs = vec![("csrf", bobs.as_str())];
        with_bobs.extend(fields.iter().copied());
        let r = ann.post_form(&t, path, &with_bobs).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{path} with another session's token"
        );
    }
    assert_eq!(ann.get(&t, "/p/acme/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn checklist_32_no_state_change_on_get() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    for p in [
        "/p/acme/sign-out",
        "/p/acme/sign-out-everywhere",
        "/p/acme/password",
        "/p/acme/end-session",
    ] {
        let r = b.get(&t, p).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{p}");
    }
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::OK);
    let r = b.json(&t, Method::GET, "/api/v1/acme/sign-out", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // The JSON API wants JSON (a cross-site form cannot send it).
    let req = b
        .request(Method::POST, "/api/v1/acme/sign-out")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn checklist_33_login_csrf_needs_the_pre_session_token() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    // No pre-session cookie at all.
    let mut b = Browser::new();
    let r = b
        .post_form(
            &t,
            "/p/acme/sign-in",
            &[
                ("csrf", "x"),
                ("login", "ann@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(b.cookie(SESSION).is_none());
    // An attacker's token (from their own pre-session) is useless in the victim's browser.
    let mut attacker = Browser::new();
    let theirs = attacker.get(&t, "/p/acme/sign-in").await.csrf();
    let mut victim = Browser::new();
    victim.get(&t, "/p/acme/sign-in").await;
    for (path, fields) in [
        (
            "/p/acme/sign-in",
            vec![("login", "ann@example.com"), ("password", PW)],
        ),
        ("/p/acme/code", vec![("email", "ann@example.com")]),
        ("/p/acme/code-entry", vec![("code", "123456")]),
        ("/p/acme/forgot", vec![("login", "ann@example.com")]),
        ("/p/acme/activate", vec![("password", PW)]),
        ("/p/acme/reset", vec![("password", PW)]),
        ("/p/acme/confirm-email", vec![]),
    ] {
        let mut all = vec![("csrf", theirs.as_str())];
        all.extend(fields);
        let r = victim.post_form(&t, path, &all).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(victim.cookie(SESSION).is_none());
    // A token of another agency is refused too.
    let r = victim
        .post_form(
            &t,
            "/p/acme/sign-in",
            &[("csrf", &"A".repeat(43)), ("login", "a"), ("password", "b")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn checklist_34_hsts_csp_frame_ancestors_and_nosniff_on_every_answer() {
    let t = T::new().await;
    let pages = [
        Browser::new().get(&t, "/p/acme/sign-in").await,
        Browser::new().get(&t, "/p/nobody/sign-in").await,
        Browser::new().get(&t, "/api/v1/openapi.json").await,
        t.admin(Method::GET, "/admin/v1/agency", None).await,
    ];
    for r in &pages {
        let csp = r.header("content-security-policy").unwrap();
        for part in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            r.header("strict-transport-security"),
            Some("max-age=31536000")
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
    }
    // The one inline style block is allowed by its hash, and only it.
    let body = &pages[0].body;
    let css = body
        .split_once("<style>")
        .unwrap()
        .1
        .split_once("</style>")
        .unwrap()
        .0;
    let hash = format!("'sha256-{}'", Base64::encode_string(&Sha256::digest(css)));
    assert!(
        pages[0]
            .header("content-security-policy")
            .unwrap()
            .contains(&hash)
    );
}

#[tokio::test]
async fn checklist_34_redirects_only_to_allow_listed_places() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    for next in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "../other/",
        "javascript:alert(1)",
        "account/../../x",
    ] {
        let mut b = Browser::new();
        let form = b
            .get(&t, &format!("/p/acme/sign-in?next={}", urlenc(next)))
            .await;
        assert!(!form.body.contains("evil"), "{next}");
        let r = b
            .post_form(
                &t,
                "/p/acme/sign-in",
                &[
                    ("csrf", &form.csrf()),
                    ("login", "ann@example.com"),
                    ("password", PW),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "./", "{next}");
    }
}

fn urlenc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

#[tokio::test]
async fn checklist_34_per_address_rate_limit_answers_429_with_retry_after() {
    let t = T::with(
        |_| {},
        |c| {
            c.rate_limits.sensitive = Some(RateLimit::new(1, 3));
        },
    )
    .await;
    let mut b = Browser::new();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(b.api_sign_in(&t, "x@example.com", "y").await);
    }
    let last = statuses.last().unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(last.error_code(), "rate_limited");
    assert!(last.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Another address is not affected; GETs are not counted as sensitive.
    let mut other = Browser::new();
    other.addr = "192.0.2.1".parse().unwrap();
    assert_eq!(
        other.api_sign_in(&t, "x@example.com", "y").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(b.get(&t, "/p/acme/sign-in").await.status, StatusCode::OK);
    // A page answers 429 as a page.
    let r = b.post_form(&t, "/p/acme/sign-in", &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("<h1>"));
}

#[tokio::test]
async fn checklist_34_forwarded_for_is_trusted_only_when_configured() {
    // Default: X-Forwarded-For is ignored; the address is the connection's.
    let t = T::with(
        |_| {},
        |c| c.rate_limits.sensitive = Some(RateLimit::new(1, 1)),
    )
    .await;
    let mut b = Browser::new();
    b.extra = vec![("x-forwarded-for".into(), "198.51.100.99".into())];
    b.api_sign_in(&t, "x@example.com", "y").await;
    b.extra = vec![("x-forwarded-for".into(), "198.51.100.100".into())];
    assert_eq!(
        b.api_sign_in(&t, "x@example.com", "y").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let failed = t.audit(AuditKind::SignInFailed).await;
    assert_eq!(failed[0].address.unwrap().to_string(), "203.0.113.7");

    // One trusted proxy: the rightmost entry is the client; what the client wrote is not.
    let t = T::with(
        |_| {},
        |c| c.trusted_proxy = TrustedProxy::ForwardedFor { proxies: 1 },
    )
    .await;
    let req = Request::post("/api/v1/acme/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", "6.6.6.6, 198.51.100.7")
        .body(Full::new(Bytes::from(
            json!({"login": "x", "password": "y"}).to_string(),
        )))
        .unwrap();
    t.send(req).await;
    let failed = t.audit(AuditKind::SignInFailed).await;
    assert_eq!(failed[0].address.unwrap().to_string(), "198.51.100.7");
    // A host-set ClientAddress wins.
    let req = Request::post("/api/v1/acme/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", "198.51.100.8")
        .extension(ClientAddress("192.0.2.77".parse().unwrap()))
        .body(Full::new(Bytes::from(
            json!({"login": "x", "password": "y"}).to_string(),
        )))
        .unwrap();
    t.send(req).await;
    let failed = t.audit(AuditKind::SignInFailed).await;
    assert_eq!(failed[0].address.unwrap().to_string(), "192.0.2.77");
}

#[tokio::test]
async fn checklist_37_another_agencys_objects_answer_404() {
    let t = T::new().await;
    let other = portico_http::bootstrap_agency(
        &t.portal,
        "other",
        "Other Estates",
        Default::default(),
        "crm",
    )
    .await
    .unwrap();
    let theirs = t.invited_in(other.agency.id, "zed@example.com").await;
    for (m, p) in [
        (Method::GET, format!("/admin/v1/accounts/{}", theirs.id)),
        (
            Method::POST,
            format!("/admin/v1/accounts/{}/disable", theirs.id),
        ),
        (
            Method::POST,
            format!("/admin/v1/accounts/{}/invitation", theirs.id),
        ),
        (
            Method::POST,
            format!("/admin/v1/accounts/{}/end-sessions", theirs.id),
        ),
        (
            Method::DELETE,
            format!("/admin/v1/api-keys/{}", other.key.key.id),
        ),
    ] {
        let r = t.admin(m, &p, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
    }
    let inv = t.portal.invitations(other.agency.id, None).await.unwrap();
    let r = t
        .admin(
            Method::DELETE,
            &format!("/admin/v1/invitations/{}", inv[0].id),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Their key still works, for their agency only.
    let r = t
        .admin_with(
            other.key.raw.expose(),
            Method::GET,
            "/admin/v1/agency",
            None,
        )
        .await;
    assert_eq!(r.json()["slug"], "other");
}

#[tokio::test]
async fn checklist_40_api_keys_are_shown_once_revocable_rotatable_expiring_never_in_a_url() {
    let t = T::new().await;
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "billing"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let key = r.json()["api_key"]["key"].as_str().unwrap().to_string();
    let id = r.json()["api_key"]["id"].as_str().unwrap().to_string();
    assert!(key.starts_with("pkey_") && key.len() == 48);
    let list = t.admin(Method::GET, "/admin/v1/api-keys", None).await;
    assert!(!list.body.contains(&key), "never shown again");
    assert!(list.body.contains(&key[..12]), "the lookup prefix is shown");
    assert_eq!(
        t.admin_with(&key, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::OK
    );
    // In a URL it does nothing.
    let req = Request::get(format!("/admin/v1/agency?key={key}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(t.send(req).await.status, StatusCode::UNAUTHORIZED);
    // Rotate: the new key works, the old one no longer.
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/api-keys/{id}/rotate"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let rotated = r.json()["api_key"]["key"].as_str().unwrap().to_string();
    let rotated_id = r.json()["api_key"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.admin_with(&key, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.admin_with(&rotated, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::OK
    );
    // Revoke.
    let r = t
        .admin(
            Method::DELETE,
            &format!("/admin/v1/api-keys/{rotated_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.admin_with(&rotated, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Expiry.
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "temp", "expires_at": "2026-01-02T09:00:00Z"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let temp = r.json()["api_key"]["key"].as_str().unwrap().to_string();
    assert_eq!(
        t.admin_with(&temp, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::OK
    );
    t.clock.advance(time::Duration::days(2));
    assert_eq!(
        t.admin_with(&temp, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "past", "expires_at": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !t.audit(AuditKind::ApiKeyCreated)
            .await
            .iter()
            .any(|e| e.detail.contains(&key))
    );
}
