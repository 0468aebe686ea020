//! Agency B can never see or use anything of agency A.

use super::*;
use portico_core::idm::account::AccountError;
use portico_core::idm::invitation::{ActivationError, InvitationError};
use portico_core::idm::link::LinkError;
use portico_core::idm::session::SessionError;
use portico_core::idm::signin::SignInError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};

/// Checklist 37: another agency's object answers "not found"; tokens are agency-bound.
#[tokio::test]
async fn checklist_37_agency_b_cannot_see_or_use_anything_of_agency_a() {
    let h = H::new().await;
    let b = h.other_agency("other").await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    let (pending, token) = h.invite("pending@example.com").await;
    let inv = h
        .portal
        .invitations(h.agency.id, Some(pending.id))
        .await
        .unwrap()[0]
        .clone();

    // Reads.
    assert_eq!(
        h.portal.account(b.id, acc.id).await.unwrap_err(),
        AccountError::NotFound
    );
    assert!(h.portal.accounts(b.id, 0, 100).await.unwrap().is_empty());
    assert!(h.portal.invitations(b.id, None).await.unwrap().is_empty());
    assert!(
        h.portal
            .invitations(b.id, Some(pending.id))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(h.mails_of(b.id).await.is_empty());
    let q = AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    };
    assert!(h.portal.audit_log(b.id, &q).await.unwrap().is_empty());

    // Writes.
    assert_eq!(
        h.portal
            .send_invitation(b.id, staff(), pending.id, &h.ctx)
            .await
            .unwrap_err(),
        InvitationError::NotFound
    );
    assert_eq!(
        h.portal
            .revoke_invitation(b.id, staff(), inv.id, &h.ctx)
            .await
            .unwrap_err(),
        InvitationError::NotFound
    );
    assert_eq!(
        h.portal
            .disable_account(b.id, staff(), acc.id, &h.ctx)
            .await
            .unwrap_err(),
        AccountError::NotFound
    );
    assert_eq!(
        h.portal
            .delete_account(b.id, staff(), acc.id, "ann@example.com", &h.ctx)
            .await
            .unwrap_err(),
        AccountError::NotFound
    );
    assert_eq!(
        h.portal
            .end_sessions_of(b.id, staff(), acc.id, &h.ctx)
            .await
            .unwrap_err(),
        AccountError::NotFound
    );

    // Tokens of A presented to B.
    assert_eq!(
        h.portal
            .activate(b.id, &token, &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        ActivationError::Link(LinkError::Invalid)
    );
    assert_eq!(
        h.portal
            .authenticate(b.id, signed.token.expose())
            .await
            .unwrap_err(),
        SessionError::Invalid
    );
    assert_eq!(
        h.portal
            .sign_in(b.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        SignInError::Rejected
    );

    // A is untouched by all of it.
    assert_eq!(
        h.portal.account(h.agency.id, acc.id).await.unwrap().status,
        AccountStatus::Active
    );
    h.portal
        .authenticate(h.agency.id, signed.token.expose())
        .await
        .unwrap();
    h.portal
        .activate(h.agency.id, &token, &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_same_email_is_two_separate_logins_in_two_agencies() {
    let h = H::new().await;
    let b = h.other_agency("other").await;
    let (a_acc, _) = h.active_client("ann@example.com").await;
    let b_acc = h
        .portal
        .set_up_access(
            b.id,
            staff(),
            portico_core::idm::account::SetUpAccess {
                contact: None,
                email: "ann@example.com".into(),
                username: None,
                display_name: "Ann at B".into(),
            },
            &h.ctx,
        )
        .await
        .unwrap();
    assert!(b_acc.created);
    assert_ne!(a_acc.id, b_acc.account.id);
    // A's password does not open B's (not activated) login.
    assert!(
        h.portal
            .sign_in(b.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .is_err()
    );
}
