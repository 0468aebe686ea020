//! The portal pages, through the service.

use crate::harness::*;
use http::StatusCode;
use portico_core::model::AuditKind;

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[tokio::test]
async fn sign_in_page_is_accessible_and_sets_a_pre_session_cookie() {
    let t = T::new().await;
    let mut b = Browser::new();
    let r = b.get(&t, "/p/acme/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(r.body.contains("name=\"viewport\""));
    assert_eq!(count(&r.body, "<h1"), 1);
    assert!(r.body.contains("<label for=\"login\">"));
    assert!(r.body.contains("id=\"login\""));
    assert!(r.body.contains("<label for=\"password\">"));
    assert!(r.body.contains(":focus-visible"));
    assert!(r.body.contains("Acme Lettings"));
    assert!(!r.csrf().is_empty());
    assert!(b.cookie(PRE).is_some());
    // A second visit keeps the same pre-session cookie.
    let r2 = b.get(&t, "/p/acme/sign-in").await;
    assert!(r2.set_cookie(PRE).is_none());
    assert_eq!(r.csrf(), r2.csrf());
}

#[tokio::test]
async fn every_page_has_one_h1_labels_and_a_viewport() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    for p in ["/p/acme/sign-in", "/p/acme/forgot", "/p/acme/code"] {
        let r = b.get(&t, p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert_eq!(count(&r.body, "<h1"), 1, "{p}");
        assert!(r.body.contains("name=\"viewport\""), "{p}");
        for id in r.body.split("<input type=\"").skip(1) {
            if id.starts_with("hidden") {
                continue;
            }
            let id = id.split("id=\"").nth(1).unwrap().split('"').next().unwrap();
            assert!(
                r.body.contains(&format!("<label for=\"{id}\">")),
                "{p}: {id}"
            );
        }
    }
    b.sign_in(&t, "ann@example.com", PW).await;
    for p in ["/p/acme/", "/p/acme/account"] {
        let r = b.get(&t, p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert_eq!(count(&r.body, "<h1"), 1, "{p}");
    }
}

#[tokio::test]
async fn sign_in_then_home_then_sign_out() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let r = b.sign_in(&t, "ann@example.com", PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "./");
    assert!(b.cookie(SESSION).unwrap().starts_with("pses_"));
    let home = b.get(&t, "/p/acme/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Welcome, Ann Owner"));
    let csrf = home.csrf();
    let out = b
        .post_form(&t, "/p/acme/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "sign-in?notice=signed_out");
    assert!(b.cookie(SESSION).is_none());
    let again = b.get(&t, "/p/acme/").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location(), "sign-in");
    let page = b.get(&t, "/p/acme/sign-in?notice=signed_out").await;
    assert!(page.body.contains("You have signed out."));
}

#[tokio::test]
async fn wrong_password_shows_the_form_again_with_401() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let r = b
        .sign_in(&t, "ann@example.com", "not the password at all")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("The username or password is not correct."));
    assert!(r.body.contains("role=\"alert\""));
    assert!(r.body.contains("value=\"ann@example.com\""));
    assert!(b.cookie(SESSION).is_none());
}

#[tokio::test]
async fn repeated_failures_answer_429_with_retry_after() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let mut saw = None;
    for _ in 0..15 {
        let r = b
            .sign_in(&t, "ann@example.com", "wrong wrong wrong wrong")
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            saw = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = saw.expect("throttled");
    let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(secs >= 1);
    assert!(r.body.contains("Too many attempts"));
}

#[tokio::test]
async fn unknown_agency_and_unknown_page_are_404() {
    let t = T::new().await;
    let mut b = Browser::new();
    let r = b.get(&t, "/p/nobody/sign-in").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<h1>"));
    let r = b.get(&t, "/p/acme/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b.get(&t, "/p/Not_A_Slug/sign-in").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn slug_without_slash_redirects_to_home() {
    let t = T::new().await;
    let r = Browser::new().get(&t, "/p/acme").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "acme/");
}

#[tokio::test]
async fn activation_moves_the_token_to_a_cookie_then_signs_in() {
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let url = t.link_url("ann@example.com", "invitation").await;
    let path = url.strip_prefix(ORIGIN).unwrap();
    assert!(path.starts_with("/p/acme/activate?token=pinv_"));
    let mut b = Browser::new();
    let landing = b.get(&t, path).await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER);
    assert_eq!(landing.location(), "activate");
    assert!(b.cookie(LINK).unwrap().starts_with("pinv_"));
    let form = b.get(&t, "/p/acme/activate").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Welcome, Ann Owner"));
    assert!(!form.body.contains("pinv_"), "the token is not in the page");
    let csrf = form.csrf();
    let done = b
        .post_form(&t, "/p/acme/activate", &[("csrf", &csrf), ("password", PW)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "./");
    assert!(b.cookie(SESSION).is_some());
    assert!(b.cookie(LINK).is_none(), "the link cookie is cleared");
    assert_eq!(b.get(&t, "/p/acme/").await.status, StatusCode::OK);
    // The link is used now: opening it again says so and offers a new one.
    let mut b2 = Browser::new();
    b2.get(&t, path).await;
    let used = b2.get(&t, "/p/acme/activate").await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.body.contains("already been used"));
    assert!(used.body.contains("href=\"forgot\""));
}

#[tokio::test]
async fn expired_superseded_and_invalid_links_each_have_their_page() {
    let t = T::new().await;
    let a = t.invited("ann@example.com").await;
    let first = t.link_for("ann@example.com", "invitation").await;
    t.portal
        .send_invitation(t.agency.id, staff(), a.id, &t.ctx())
        .await
        .unwrap();
    let mut b = Browser::new();
    b.get(&t, &format!("/p/acme/activate?token={first}")).await;
    let r = b.get(&t, "/p/acme/activate").await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("A newer link has been sent"));
    assert!(r.body.contains("Ask for a new link"));

    t.clock.advance(time::Duration::hours(49));
    let second = t.link_for("ann@example.com", "invitation").await;
    b.get(&t, &format!("/p/acme/activate?token={second}")).await;
    let r = b.get(&t, "/p/acme/activate").await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.body.contains("This link has expired"));

    b.get(&t, "/p/acme/activate?token=pinv_garbage").await;
    let r = b.get(&t, "/p/acme/activate").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("This link is not valid"));

    let r = Browser::new().get(&t, "/p/acme/activate").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "no cookie at all");
}

#[tokio::test]
async fn a_weak_password_keeps_the_link_usable() {
    let t = T::new().await;
    t.invited("ann@example.com").await;
    let token = t.link_for("ann@example.com", "invitation").await;
    let mut b = Browser::new();
    b.get(&t, &format!("/p/acme/activate?token={token}")).await;
    let form = b.get(&t, "/p/acme/activate").await;
    let csrf = form.csrf();
    let r = b
        .post_form(
            &t,
            "/p/acme/activate",
            &[("csrf", &csrf), ("password", "short")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 15 characters"));
    assert!(r.body.contains("role=\"alert\""));
    let r = b
        .post_form(
            &t,
            "/p/acme/activate",
            &[("csrf", &r.csrf()), ("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forgot_gives_the_same_answer_for_known_and_unknown() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let known = b
        .submit(
            &t,
            "/p/acme/forgot",
            "/p/acme/forgot",
            &[("login", "ann@example.com")],
        )
        .await;
    let unknown = b
        .submit(
            &t,
            "/p/acme/forgot",
            "/p/acme/forgot",
            &[("login", "nobody@example.com")],
        )
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);
    assert!(
        t.link_url("ann@example.com", "password_reset")
            .await
            .contains("/reset?token=prst_")
    );
    assert_eq!(t.mails_to("nobody@example.com").await, 0);
}

#[tokio::test]
async fn reset_sets_a_new_password_without_signing_in() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.submit(
        &t,
        "/p/acme/forgot",
        "/p/acme/forgot",
        &[("login", "ann@example.com")],
    )
    .await;
    let url = t.link_url("ann@example.com", "password_reset").await;
    let landing = b.get(&t, url.strip_prefix(ORIGIN).unwrap()).await;
    assert_eq!(landing.location(), "reset");
    let r = b
        .submit(&t, "/p/acme/reset", "/p/acme/reset", &[("password", PW2)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "sign-in?notice=password_reset");
    assert!(b.cookie(SESSION).is_none(), "no automatic sign-in");
    assert_eq!(
        b.sign_in(&t, "ann@example.com", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.sign_in(&t, "ann@example.com", PW2).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_in_with_an_emailed_code() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let r = b
        .submit(
            &t,
            "/p/acme/code",
            "/p/acme/code",
            &[("email", "ann@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "code-entry");
    let attempt = r.set_cookie(ATTEMPT).unwrap();
    assert!(attempt.contains("SameSite=Strict") && attempt.contains("HttpOnly"));
    let code = t.code_for("ann@example.com").await;
    let wrong = b
        .submit(
            &t,
            "/p/acme/code-entry",
            "/p/acme/code-entry",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("not correct"));
    let ok = b
        .submit(
            &t,
            "/p/acme/code-entry",
            "/p/acme/code-entry",
            &[("code", &code)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(b.cookie(SESSION).is_some());
    assert!(b.cookie(ATTEMPT).is_none());
}

#[tokio::test]
async fn code_pages_are_404_when_the_agency_has_them_off() {
    let t = T::with(|s| s.email_code_sign_in = false, |_| {}).await;
    let mut b = Browser::new();
    assert_eq!(
        b.get(&t, "/p/acme/code").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !b.get(&t, "/p/acme/sign-in")
            .await
            .body
            .contains("href=\"code\"")
    );
}

#[tokio::test]
async fn code_entry_without_an_attempt_goes_back_to_the_request() {
    let t = T::new().await;
    let r = Browser::new().get(&t, "/p/acme/code-entry").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "code");
}

#[tokio::test]
async fn account_page_change_password_renews_the_session() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let before = b.cookie(SESSION).cloned().unwrap();
    let r = b
        .submit(
            &t,
            "/p/acme/account",
            "/p/acme/password",
            &[("current", PW), ("new", PW2)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "account?notice=password_changed");
    let after = b.cookie(SESSION).cloned().unwrap();
    assert_ne!(before, after);
    let page = b.get(&t, "/p/acme/account?notice=password_changed").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Your password has been changed"));
    // A wrong current password is refused.
    let r = b
        .submit(
            &t,
            "/p/acme/account",
            "/p/acme/password",
            &[("current", "wrong wrong wrong wrong"), ("new", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn account_page_signed_out_redirects_with_next() {
    let t = T::new().await;
    let r = Browser::new().get(&t, "/p/acme/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "sign-in?next=account");
}

#[tokio::test]
async fn sign_in_follows_an_allow_listed_next() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    let form = b.get(&t, "/p/acme/sign-in?next=account").await;
    assert!(form.body.contains("name=\"next\" value=\"account\""));
    let r = b
        .post_form(
            &t,
            "/p/acme/sign-in",
            &[
                ("csrf", &form.csrf()),
                ("login", "ann@example.com"),
                ("password", PW),
                ("next", "account"),
            ],
        )
        .await;
    assert_eq!(r.location(), "account");
}

#[tokio::test]
async fn change_email_and_confirm_at_the_new_address() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let mut b = Browser::new();
    b.sign_in(&t, "ann@example.com", PW).await;
    let r = b
        .submit(
            &t,
            "/p/acme/account",
            "/p/acme/email",
            &[("email", "ann@new.example"), ("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "account?notice=email_change_sent");
    assert!(
        t.mails_to("ann@example.com").await >= 2,
        "notice to the old address"
    );
    let url = t.link_url("ann@new.example", "email_change_confirm").await;
    let mut other = Browser::new();
    let landing = other.get(&t, url.strip_prefix(ORIGIN).unwrap()).await;
    assert_eq!(landing.location(), "confirm-email");
    let done = other
        .submit(&t, "/p/acme/confirm-email", "/p/acme/confirm-email", &[])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Your new email address is confirmed"));
    assert_eq!(t.audit(AuditKind::EmailChanged).await.len(), 1);
}

#[tokio::test]
async fn a_huge_form_is_413() {
    let t = T::new().await;
    let mut b = Browser::new();
    let big = "x".repeat(200_000);
    let r = b
        .post_form(&t, "/p/acme/sign-in", &[("login", &big), ("password", "x")])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn garbage_cookies_and_forms_never_break_a_page() {
    let t = T::new().await;
    let mut b = Browser::new();
    b.jar.insert(SESSION.into(), "%%%==pses_".into());
    b.jar.insert(PRE.into(), "x".repeat(5000));
    let r = b.get(&t, "/p/acme/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.get(&t, "/p/acme/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = b
        .post_form(
            &t,
            "/p/acme/sign-in",
            &[("csrf", "%%%%"), ("login", "\u{0}")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
