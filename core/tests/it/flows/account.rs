//! Setting up access: create or reuse a login profile.

use super::*;
use portico_core::idm::account::{AccountError, SetUpAccess};
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};

fn req(email: &str, username: Option<&str>, contact: Option<&str>) -> SetUpAccess {
    SetUpAccess {
        contact: contact.map(|c| ContactRef(c.into())),
        email: email.into(),
        username: username.map(str::to_string),
        display_name: "Ann Owner".into(),
    }
}

#[tokio::test]
async fn username_defaults_to_email_and_account_starts_invited() {
    let h = H::new().await;
    let r = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("Ann@Example.com", None, Some("c-1")),
            &h.ctx,
        )
        .await
        .unwrap();
    assert!(r.created);
    assert_eq!(r.account.username, "Ann@Example.com");
    assert_eq!(r.account.username_key, "ann@example.com");
    assert_eq!(r.account.status, AccountStatus::Invited);
    assert!(r.account.password_hash.is_none());
    assert_eq!(h.audit_kinds().await, vec![AuditKind::AccessSetUp]);
}

#[tokio::test]
async fn same_person_reuses_one_login_for_several_contacts() {
    let h = H::new().await;
    let a = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("ann@example.com", None, Some("c-1")),
            &h.ctx,
        )
        .await
        .unwrap();
    // Another property's contact record of the same person (same email, other case).
    let b = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("ANN@example.com", None, Some("c-2")),
            &h.ctx,
        )
        .await
        .unwrap();
    assert!(!b.created);
    assert_eq!(a.account.id, b.account.id);
    let contacts = h
        .store
        .contacts_of(h.agency.id, a.account.id)
        .await
        .unwrap();
    assert_eq!(
        contacts,
        vec![ContactRef("c-1".into()), ContactRef("c-2".into())]
    );
    // The same contact again: idempotent.
    let c = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("ann@example.com", None, Some("c-2")),
            &h.ctx,
        )
        .await
        .unwrap();
    assert_eq!(c.account.id, a.account.id);
    assert!(!c.created);
}

#[tokio::test]
async fn custom_usernames_are_unique_per_agency_case_insensitively() {
    let h = H::new().await;
    h.portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("a@example.com", Some("AnnO"), None),
            &h.ctx,
        )
        .await
        .unwrap();
    let err = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("b@example.com", Some("anno"), None),
            &h.ctx,
        )
        .await
        .unwrap_err();
    assert_eq!(err, AccountError::Taken);
    // A username equal to another login's email is refused too (sign-in would be ambiguous).
    let err = h
        .portal
        .set_up_access(
            h.agency.id,
            staff(),
            req("c@example.com", Some("A@example.com"), None),
            &h.ctx,
        )
        .await
        .unwrap_err();
    assert_eq!(err, AccountError::Taken);
    // The same username in another agency is fine.
    let other = h.other_agency("other").await;
    h.portal
        .set_up_access(
            other.id,
            staff(),
            req("b@example.com", Some("anno"), None),
            &h.ctx,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_error_and_nothing_stored() {
    let h = H::new().await;
    for (r, e) in [
        (req("not-an-email", None, None), AccountError::InvalidEmail),
        (
            req("a@example.com", Some("  "), None),
            AccountError::InvalidUsername,
        ),
        (
            req("a@example.com", Some("bad\nname"), None),
            AccountError::InvalidUsername,
        ),
        (
            SetUpAccess {
                display_name: "".into(),
                ..req("a@example.com", None, None)
            },
            AccountError::InvalidName,
        ),
    ] {
        assert_eq!(
            h.portal
                .set_up_access(h.agency.id, staff(), r, &h.ctx)
                .await
                .unwrap_err(),
            e
        );
    }
    assert!(
        h.portal
            .accounts(h.agency.id, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Unknown agency.
    let ghost = AgencyId::from_random_bytes([9; 16]);
    assert_eq!(
        h.portal
            .set_up_access(ghost, staff(), req("a@example.com", None, None), &h.ctx)
            .await
            .unwrap_err(),
        AccountError::NotFound
    );
}

/// Checklist 29: disabling an account ends its sessions and kills its links at once.
#[tokio::test]
async fn checklist_29_disable_ends_sessions_and_links() {
    let h = H::new().await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    h.portal
        .send_password_reset(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    let reset = h.last_link("ann@example.com").await;
    h.portal
        .disable_account(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    assert!(
        h.portal
            .authenticate(h.agency.id, signed.token.expose())
            .await
            .is_err()
    );
    assert!(
        h.portal
            .reset_password(h.agency.id, &reset, &Password::new(PW2), &h.ctx)
            .await
            .is_err()
    );
    assert!(
        h.portal
            .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .is_err()
    );
    h.portal
        .enable_account(h.agency.id, staff(), acc.id, &h.ctx)
        .await
        .unwrap();
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn deletion_needs_the_exact_username_and_removes_everything() {
    let h = H::new().await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    assert_eq!(
        h.portal
            .delete_account(h.agency.id, staff(), acc.id, "ANN@example.com", &h.ctx)
            .await
            .unwrap_err(),
        AccountError::ConfirmationMismatch
    );
    h.portal
        .delete_account(h.agency.id, staff(), acc.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal.account(h.agency.id, acc.id).await.unwrap_err(),
        AccountError::NotFound
    );
    assert!(
        h.portal
            .authenticate(h.agency.id, signed.token.expose())
            .await
            .is_err()
    );
    // The audit keeps a record of the deletion, without personal data.
    let deleted = h
        .audit_all()
        .await
        .into_iter()
        .find(|e| e.kind == AuditKind::AccountDeleted)
        .unwrap();
    assert!(!deleted.detail.contains("ann"));
}

#[tokio::test]
async fn staff_can_end_a_clients_sessions() {
    let h = H::new().await;
    let (acc, signed) = h.active_client("ann@example.com").await;
    assert_eq!(
        h.portal
            .end_sessions_of(h.agency.id, staff(), acc.id, &h.ctx)
            .await
            .unwrap(),
        1
    );
    assert!(
        h.portal
            .authenticate(h.agency.id, signed.token.expose())
            .await
            .is_err()
    );
}
