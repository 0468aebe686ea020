//! Forgotten password, staff-sent reset, change of password and email.

use super::*;
use portico_core::idm::credentials::CredentialError;
use portico_core::idm::link::LinkError;
use portico_core::idm::reset::ResetError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

/// Checklist 16: same answer for unknown accounts, no email, an audit record.
#[tokio::test]
async fn checklist_16_unknown_account_same_answer_no_email_audited() {
    let h = H::new().await;
    h.portal
        .request_password_reset(h.agency.id, "nobody@example.com", &h.ctx)
        .await
        .unwrap();
    assert!(h.mails().await.is_empty());
    assert_eq!(
        h.audit_kinds().await,
        vec![AuditKind::PasswordResetRequested]
    );
}

/// The decoy work done for an unknown, disabled or rate-limited account (so that its timing
/// matches a real request's, issue 9) keeps nothing: no link, no mail, no audit record of it.
#[tokio::test]
async fn decoy_work_for_requests_that_send_nothing_keeps_nothing() {
    let h = H::new().await;
    let (acc, _) = h.active_client("ann@example.com").await;
    let mails_before = h.mails().await.len();
    let audit_before = h.audit_kinds().await.len();
    for _ in 0..3 {
        h.portal
            .request_password_reset(h.agency.id, "nobody@example.com", &h.ctx)
            .await
            .unwrap();
    }
    h.portal
        .disable_account(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    use portico_core::store::LinkStore as _;
    let resets = h
        .store
        .links(h.agency.id, None, Some(LinkPurpose::PasswordReset))
        .await
        .unwrap();
    assert!(resets.is_empty(), "{resets:?}");
    assert_eq!(h.mails().await.len(), mails_before);
    let kinds = h.audit_kinds().await;
    assert!(
        !kinds[audit_before..].contains(&AuditKind::PasswordResetSent),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn checklist_19_reset_link_one_hour_single_use_ends_sessions_no_sign_in() {
    let h = H::new().await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    let second = h
        .portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    // By username or by email.
    h.portal
        .request_password_reset(h.agency.id, "ANN@example.com", &h.ctx)
        .await
        .unwrap();
    let mail = h.mails_to("ann@example.com").await.pop().unwrap();
    let MailContent::PasswordReset {
        reset_url,
        expires_at,
        ..
    } = &mail.content
    else {
        panic!("{mail:?}")
    };
    assert!(reset_url.starts_with("https://portal.acme.example/p/acme/reset?token=prst_"));
    assert_eq!(*expires_at - h.clock.now(), Duration::hours(1));
    let token = token_of(reset_url);
    // Nothing changes until the link is used (checklist 16).
    h.portal
        .authenticate(h.agency.id, signed.token.expose())
        .await
        .unwrap();
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();

    h.portal
        .reset_password(h.agency.id, &token, &Password::new(PW2), &h.ctx)
        .await
        .unwrap();
    // Checklist 19: every session ended, a notice sent, no automatic sign-in.
    for s in [&signed, &second] {
        assert!(
            h.portal
                .authenticate(h.agency.id, s.token.expose())
                .await
                .is_err()
        );
    }
    assert!(
        h.store
            .sessions_of(h.agency.id, acc.id)
            .await
            .unwrap()
            .len()
            <= 1
    );
    let last = h.mails_to("ann@example.com").await.pop().unwrap();
    assert!(matches!(last.content, MailContent::PasswordChanged { .. }));
    assert!(
        h.portal
            .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .is_err()
    );
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW2), &h.ctx)
        .await
        .unwrap();
    // Single use.
    assert_eq!(
        h.portal
            .reset_password(h.agency.id, &token, &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        ResetError::Link(LinkError::Used)
    );
}

#[tokio::test]
async fn reset_link_expires_after_an_hour() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let token = h.last_link("ann@example.com").await;
    h.clock.advance(Duration::minutes(61));
    assert_eq!(
        h.portal
            .reset_password(h.agency.id, &token, &Password::new(PW2), &h.ctx)
            .await
            .unwrap_err(),
        ResetError::Link(LinkError::Expired)
    );
}

#[tokio::test]
async fn a_newer_reset_link_kills_the_older_one() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let first = h.last_link("ann@example.com").await;
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .reset_password(h.agency.id, &first, &Password::new(PW2), &h.ctx)
            .await
            .unwrap_err(),
        ResetError::Link(LinkError::Superseded)
    );
}

#[tokio::test]
async fn reset_requests_are_rate_limited_per_account() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    // The invitation counts toward the hourly budget too; start with a fresh hour.
    h.clock.advance(Duration::minutes(61));
    for i in 0..8 {
        let ctx = RequestContext::from_address(format!("10.0.0.{i}").parse().unwrap());
        h.portal
            .request_password_reset(h.agency.id, "ann@example.com", &ctx)
            .await
            .unwrap();
    }
    let resets = h
        .mails_to("ann@example.com")
        .await
        .into_iter()
        .filter(|m| matches!(m.content, MailContent::PasswordReset { .. }))
        .count();
    assert_eq!(resets, 5, "at most 5 reset emails an hour");
    h.clock.advance(Duration::minutes(61));
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.mails_to("ann@example.com")
            .await
            .into_iter()
            .filter(|m| matches!(m.content, MailContent::PasswordReset { .. }))
            .count(),
        6
    );
}

#[tokio::test]
async fn reset_for_an_invited_account_sends_a_fresh_invitation() {
    let h = H::new().await;
    h.client("new@example.com").await;
    h.portal
        .request_password_reset(h.agency.id, "new@example.com", &h.ctx)
        .await
        .unwrap();
    let mail = h.mails_to("new@example.com").await.pop().unwrap();
    assert!(matches!(mail.content, MailContent::Invitation { .. }));
}

/// Checklist 20: staff trigger a reset but never set or learn a password.
#[tokio::test]
async fn checklist_20_staff_send_a_reset_or_an_invitation() {
    let h = H::new().await;
    let (active, _) = h.active_client("ann@example.com").await;
    let invited = h.client("new@example.com").await;
    assert_eq!(
        h.portal
            .send_password_reset(h.agency.id, staff(), active.id, &h.ctx)
            .await
            .unwrap(),
        LinkPurpose::PasswordReset
    );
    assert_eq!(
        h.portal
            .send_password_reset(h.agency.id, staff(), invited.id, &h.ctx)
            .await
            .unwrap(),
        LinkPurpose::Invitation
    );
    assert!(
        h.audit_kinds()
            .await
            .contains(&AuditKind::PasswordResetSent)
    );
}

/// Checklist 5: a change of password needs the current one and ends the other sessions.
#[tokio::test]
async fn checklist_5_24_change_password_needs_current_and_renews_sessions() {
    let h = H::new().await;
    let (_, first) = h.active_client("ann@example.com").await;
    let second = h
        .portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    let me = h
        .portal
        .authenticate(h.agency.id, second.token.expose())
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .change_password(
                &me,
                &Password::new("not my password at all"),
                &Password::new(PW2),
                &h.ctx
            )
            .await
            .unwrap_err(),
        CredentialError::WrongPassword
    );
    assert!(matches!(
        h.portal
            .change_password(&me, &Password::new(PW), &Password::new("short"), &h.ctx)
            .await
            .unwrap_err(),
        CredentialError::Password(_)
    ));
    let fresh = h
        .portal
        .change_password(&me, &Password::new(PW), &Password::new(PW2), &h.ctx)
        .await
        .unwrap();
    // Other sessions end; the caller continues on a new session id (checklist 24).
    for old in [&first, &second] {
        assert!(
            h.portal
                .authenticate(h.agency.id, old.token.expose())
                .await
                .is_err()
        );
    }
    assert_ne!(fresh.session.id, second.session.id);
    h.portal
        .authenticate(h.agency.id, fresh.token.expose())
        .await
        .unwrap();
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW2), &h.ctx)
        .await
        .unwrap();
    assert!(matches!(
        h.mails_to("ann@example.com").await.pop().unwrap().content,
        MailContent::PasswordChanged { .. }
    ));
}

/// Checklist 31: email change needs re-authentication, confirmation at the new address and a
/// notice to the old one.
#[tokio::test]
async fn checklist_31_email_change_is_confirmed_at_the_new_address() {
    let h = H::new().await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    h.client("taken@example.com").await;
    let me = h
        .portal
        .authenticate(h.agency.id, signed.token.expose())
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .request_email_change(
                &me,
                &Password::new("wrong wrong wrong wrong"),
                "new@example.com",
                &h.ctx
            )
            .await
            .unwrap_err(),
        CredentialError::WrongPassword
    );
    assert_eq!(
        h.portal
            .request_email_change(&me, &Password::new(PW), "taken@example.com", &h.ctx)
            .await
            .unwrap_err(),
        CredentialError::EmailUnavailable
    );
    h.portal
        .request_email_change(&me, &Password::new(PW), "ann.new@example.com", &h.ctx)
        .await
        .unwrap();
    // Nothing changes before confirmation.
    assert_eq!(
        h.portal.account(h.agency.id, acc.id).await.unwrap().email,
        "ann@example.com"
    );
    let notice = h.mails_to("ann@example.com").await.pop().unwrap();
    assert!(matches!(
        notice.content,
        MailContent::EmailChangeNotice { .. }
    ));
    let token = h.last_link("ann.new@example.com").await;
    h.portal
        .confirm_email_change(h.agency.id, &token, &h.ctx)
        .await
        .unwrap();
    let acc = h.portal.account(h.agency.id, acc.id).await.unwrap();
    assert_eq!(acc.email, "ann.new@example.com");
    assert_eq!(acc.email_key, "ann.new@example.com");
}
