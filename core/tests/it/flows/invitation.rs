//! Invitations and activation.

use super::*;
use portico_core::idm::invitation::{ActivationError, InvitationError};
use portico_core::idm::link::{InspectError, LinkError};
use portico_core::idm::password::PasswordPolicyError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

#[tokio::test]
async fn checklist_17_invitation_links_come_from_the_agency_base_url() {
    let h = H::new().await;
    let acc = h.client("ann@example.com").await;
    let inv = h
        .portal
        .send_invitation(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    assert_eq!(inv.state, LinkState::Pending);
    assert_eq!(inv.expires_at - inv.created_at, Duration::hours(48));
    let mails = h.mails_to("ann@example.com").await;
    assert_eq!(mails.len(), 1);
    match &mails[0].content {
        MailContent::Invitation {
            activation_url,
            login_url,
            expires_at,
            recipient_name,
        } => {
            assert!(
                activation_url
                    .starts_with("https://portal.acme.example/p/acme/activate?token=pinv_")
            );
            assert_eq!(login_url, "https://portal.acme.example/p/acme/sign-in");
            assert_eq!(*expires_at, inv.expires_at);
            assert_eq!(recipient_name, "Ann Owner");
        }
        other => panic!("unexpected mail {other:?}"),
    }
    assert_eq!(
        h.portal
            .invitations(h.agency.id, Some(acc.id))
            .await
            .unwrap(),
        vec![inv]
    );
}

#[tokio::test]
async fn lifetime_is_configurable_per_agency() {
    let h = H::with_settings(|s| s.invitation_lifetime = Duration::hours(2)).await;
    let acc = h.client("ann@example.com").await;
    let inv = h
        .portal
        .send_invitation(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    assert_eq!(inv.expires_at - inv.created_at, Duration::hours(2));
}

#[tokio::test]
async fn activation_sets_the_password_activates_and_signs_in() {
    let h = H::new().await;
    let (acc, token) = h.invite("ann@example.com").await;
    // Opening the link (GET, mail scanner) never uses it up — checklist 18.
    for _ in 0..3 {
        let info = h
            .portal
            .inspect_link(h.agency.id, LinkPurpose::Invitation, &token)
            .await
            .unwrap();
        assert_eq!(info.display_name, "Ann Owner");
    }
    let signed = h
        .portal
        .activate(h.agency.id, &token, &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    assert_eq!(signed.account.status, AccountStatus::Active);
    let stored = h.portal.account(h.agency.id, acc.id).await.unwrap();
    assert_eq!(stored.status, AccountStatus::Active);
    assert!(stored.activated_at.is_some());
    assert!(
        stored
            .password_hash
            .unwrap()
            .as_str()
            .starts_with("$argon2id$")
    );
    let p = h
        .portal
        .authenticate(h.agency.id, signed.token.expose())
        .await
        .unwrap();
    assert_eq!(p.account, acc.id);
    let kinds = h.audit_kinds().await;
    assert!(kinds.ends_with(&[AuditKind::AccountActivated, AuditKind::SignInSucceeded]));
    // The invitation now reads as used (accepted).
    assert_eq!(
        h.portal
            .invitations(h.agency.id, Some(acc.id))
            .await
            .unwrap()[0]
            .state,
        LinkState::Used
    );
}

/// Done-when: expired, used, superseded and tampered links are each refused with their own error.
#[tokio::test]
async fn expired_used_superseded_and_tampered_links_each_have_their_own_error() {
    let h = H::new().await;
    let pw = Password::new(PW);

    // Expired.
    let (_, expired) = h.invite("exp@example.com").await;
    h.clock.advance(Duration::hours(48));
    assert_eq!(
        h.portal
            .activate(h.agency.id, &expired, &pw, &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Expired)
    );
    assert_eq!(
        h.portal
            .inspect_link(h.agency.id, LinkPurpose::Invitation, &expired)
            .await
            .unwrap_err(),
        InspectError::Link(LinkError::Expired)
    );

    // Used.
    let (_, used) = h.invite("used@example.com").await;
    h.portal
        .activate(h.agency.id, &used, &pw, &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .activate(h.agency.id, &used, &pw, &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Used)
    );

    // Superseded by a resend: the old link dies, the new one works.
    let (acc, first) = h.invite("resent@example.com").await;
    h.portal
        .send_invitation(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    let second = h.last_link("resent@example.com").await;
    assert_ne!(first, second);
    assert_eq!(
        h.portal
            .activate(h.agency.id, &first, &pw, &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Superseded)
    );
    h.portal
        .activate(h.agency.id, &second, &pw, &h.ctx)
        .await
        .unwrap();

    // Tampered: one character changed.
    let (_, good) = h.invite("tamper@example.com").await;
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        h.portal
            .activate(h.agency.id, &bad, &pw, &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Invalid)
    );
    // Garbage and tokens of another kind are invalid too.
    for junk in ["", "pinv_", "hello", &"x".repeat(5000)] {
        assert_eq!(
            h.portal
                .activate(h.agency.id, junk, &pw, &h.ctx)
                .await
                .unwrap_err(),
            ActivationError::Link(LinkError::Invalid)
        );
    }
    // The untampered link still works.
    h.portal
        .activate(h.agency.id, &good, &pw, &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn revoked_invitations_are_refused() {
    let h = H::new().await;
    let (acc, token) = h.invite("ann@example.com").await;
    let inv = h
        .portal
        .invitations(h.agency.id, Some(acc.id))
        .await
        .unwrap()[0]
        .clone();
    h.portal
        .revoke_invitation(h.agency.id, staff(), inv.id, &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .revoke_invitation(h.agency.id, staff(), inv.id, &h.ctx)
            .await
            .unwrap_err(),
        InvitationError::NotPending
    );
    assert_eq!(
        h.portal
            .activate(h.agency.id, &token, &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Revoked)
    );
    assert_eq!(
        h.portal
            .invitations(h.agency.id, Some(acc.id))
            .await
            .unwrap()[0]
            .state,
        LinkState::Revoked
    );
}

#[tokio::test]
async fn a_refused_password_leaves_the_link_usable() {
    let h = H::new().await;
    let (acc, token) = h.invite("ann@example.com").await;
    for (pw, expected) in [
        ("short", PasswordPolicyError::TooShort { min: 15 }),
        (
            "ann@example.com is my password",
            PasswordPolicyError::ContainsPersonalInfo,
        ),
        (
            "acme lettings forever and ever",
            PasswordPolicyError::ContainsPersonalInfo,
        ),
    ] {
        assert_eq!(
            h.portal
                .activate(h.agency.id, &token, &Password::new(pw), &h.ctx)
                .await
                .unwrap_err(),
            ActivationError::Password(expected),
            "{pw}"
        );
    }
    assert_eq!(
        h.portal.account(h.agency.id, acc.id).await.unwrap().status,
        AccountStatus::Invited
    );
    h.portal
        .activate(h.agency.id, &token, &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn active_or_disabled_accounts_get_no_invitation() {
    let h = H::new().await;
    let (acc, _) = h.active_client("ann@example.com").await;
    assert_eq!(
        h.portal
            .send_invitation(h.agency.id, staff(), acc.id, &h.ctx)
            .await
            .unwrap_err(),
        InvitationError::AlreadyActive
    );
    let other = h.client("bob@example.com").await;
    h.portal
        .disable_account(h.agency.id, staff(), other.id, &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .send_invitation(h.agency.id, staff(), other.id, &h.ctx)
            .await
            .unwrap_err(),
        InvitationError::AccountDisabled
    );
}

/// Checklist 14: of many concurrent activations of one link exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checklist_14_concurrent_activations_exactly_one_wins() {
    let h = H::new().await;
    let (_, token) = h.invite("ann@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let portal = h.portal.clone();
        let agency = h.agency.id;
        let token = token.clone();
        let ctx = h.ctx.clone();
        tasks.push(tokio::spawn(async move {
            portal
                .activate(agency, &token, &Password::new(PW), &ctx)
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert_eq!(e, ActivationError::Link(LinkError::Used)),
        }
    }
    assert_eq!(wins, 1);
}

/// Checklist 15: an invitation token is never a reset token.
#[tokio::test]
async fn checklist_15_tokens_are_purpose_bound() {
    let h = H::new().await;
    let (_, token) = h.invite("ann@example.com").await;
    assert!(matches!(
        h.portal
            .reset_password(h.agency.id, &token, &Password::new(PW), &h.ctx)
            .await,
        Err(portico_core::idm::reset::ResetError::Link(
            LinkError::Invalid
        ))
    ));
    assert!(h.portal.authenticate(h.agency.id, &token).await.is_err());
}

/// Checklist 18: a GET (or a mail scanner) never consumes a link; only the POST does.
#[tokio::test]
async fn checklist_18_inspecting_a_link_never_consumes_it() {
    let h = H::new().await;
    let (acc, token) = h.invite("ann@example.com").await;
    for _ in 0..10 {
        h.portal
            .inspect_link(h.agency.id, LinkPurpose::Invitation, &token)
            .await
            .unwrap();
    }
    let inv = &h
        .portal
        .invitations(h.agency.id, Some(acc.id))
        .await
        .unwrap()[0];
    assert_eq!(inv.state, LinkState::Pending);
    assert!(inv.used_at.is_none());
    h.portal
        .activate(h.agency.id, &token, &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}

/// Checklist 13: 256-bit tokens from the random port, stored only as SHA-256, bound to one
/// account, agency and purpose.
#[tokio::test]
async fn checklist_13_link_tokens_are_random_hashed_and_bound() {
    use portico_core::store::LinkStore;
    let h = H::new().await;
    let (acc, token) = h.invite("ann@example.com").await;
    let raw = RawToken::new(token.clone());
    let link = h
        .store
        .link_by_hash(h.agency.id, &raw.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.account, acc.id);
    assert_eq!(link.agency, h.agency.id);
    assert_eq!(link.purpose, LinkPurpose::Invitation);
    // 43 base64url characters after the prefix: 256 bits.
    assert_eq!(token.len(), "pinv_".len() + 43);
    // The stored record holds the hash, never the token.
    assert!(!format!("{link:?}").contains(&token[5..]));
}
