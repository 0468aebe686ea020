//! Sessions: timeouts, sign-out, the client's own list.

use super::*;
use portico_core::idm::session::SessionError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

/// Checklist 27: idle timeout enforced server-side.
#[tokio::test]
async fn checklist_27_idle_timeout() {
    let h = H::new().await;
    let (_, s) = h.active_client("ann@example.com").await;
    h.clock.advance(Duration::minutes(29));
    h.portal
        .authenticate(h.agency.id, s.token.expose())
        .await
        .unwrap();
    // Activity slid the idle expiry: 29 more minutes are fine.
    h.clock.advance(Duration::minutes(29));
    h.portal
        .authenticate(h.agency.id, s.token.expose())
        .await
        .unwrap();
    h.clock.advance(Duration::minutes(31));
    assert_eq!(
        h.portal
            .authenticate(h.agency.id, s.token.expose())
            .await
            .unwrap_err(),
        SessionError::Expired
    );
    // And it is gone for good.
    assert_eq!(
        h.portal
            .authenticate(h.agency.id, s.token.expose())
            .await
            .unwrap_err(),
        SessionError::Invalid
    );
}

/// Checklist 27: the absolute lifetime holds however busy the session is.
#[tokio::test]
async fn checklist_27_absolute_lifetime() {
    let h = H::with_settings(|s| {
        s.session_absolute_lifetime = Duration::hours(2);
    })
    .await;
    let (_, s) = h.active_client("ann@example.com").await;
    for _ in 0..5 {
        h.clock.advance(Duration::minutes(20));
        h.portal
            .authenticate(h.agency.id, s.token.expose())
            .await
            .unwrap();
    }
    h.clock.advance(Duration::minutes(20));
    assert_eq!(
        h.portal
            .authenticate(h.agency.id, s.token.expose())
            .await
            .unwrap_err(),
        SessionError::Expired
    );
}

/// Checklist 23: opaque tokens, unknown ones rejected, only the hash stored.
#[tokio::test]
async fn checklist_23_unknown_tokens_rejected_and_only_hashes_stored() {
    let h = H::new().await;
    let (_, s) = h.active_client("ann@example.com").await;
    for bad in [
        "",
        "pses_",
        "pses_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "garbage",
        &"p".repeat(9999),
    ] {
        assert_eq!(
            h.portal.authenticate(h.agency.id, bad).await.unwrap_err(),
            SessionError::Invalid
        );
    }
    let stored = h
        .store
        .session_by_hash(h.agency.id, &s.token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.hash, s.token.hash());
    // The raw token appears nowhere in the store's sessions or audit.
    let dump = format!(
        "{:?}{:?}",
        h.store
            .sessions_of(h.agency.id, s.account.id)
            .await
            .unwrap(),
        h.audit_all().await
    );
    assert!(!dump.contains(s.token.expose()));
    assert!(!format!("{:?}", s.token).contains(&s.token.expose()[5..]));
}

/// Checklist 24: a new session id on every sign-in.
#[tokio::test]
async fn checklist_24_new_session_on_every_sign_in() {
    let h = H::new().await;
    let (_, a) = h.active_client("ann@example.com").await;
    let b = h
        .portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    assert_ne!(a.session.id, b.session.id);
    assert_ne!(a.token, b.token);
}

/// Checklist 28: sign-out ends the session server-side.
#[tokio::test]
async fn checklist_28_sign_out_ends_the_session() {
    let h = H::new().await;
    let (_, s) = h.active_client("ann@example.com").await;
    let p = h
        .portal
        .authenticate(h.agency.id, s.token.expose())
        .await
        .unwrap();
    h.portal.sign_out(&p, &h.ctx).await.unwrap();
    assert_eq!(
        h.portal
            .authenticate(h.agency.id, s.token.expose())
            .await
            .unwrap_err(),
        SessionError::Invalid
    );
    // Idempotent.
    h.portal.sign_out(&p, &h.ctx).await.unwrap();
    assert!(h.audit_kinds().await.contains(&AuditKind::SignedOut));
}

/// Checklist 30: a client lists and ends their own sessions.
#[tokio::test]
async fn checklist_30_list_and_end_own_sessions() {
    let h = H::new().await;
    let (_, a) = h.active_client("ann@example.com").await;
    let b = h
        .portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    let me = h
        .portal
        .authenticate(h.agency.id, b.token.expose())
        .await
        .unwrap();
    let list = h.portal.my_sessions(&me).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s.current).count(), 1);
    h.portal
        .end_my_session(&me, a.session.id, &h.ctx)
        .await
        .unwrap();
    assert!(
        h.portal
            .authenticate(h.agency.id, a.token.expose())
            .await
            .is_err()
    );
    // Someone else's session id: not found.
    let (_, other) = h.active_client("bob@example.com").await;
    assert_eq!(
        h.portal
            .end_my_session(&me, other.session.id, &h.ctx)
            .await
            .unwrap_err(),
        SessionError::NotFound
    );
    h.portal
        .authenticate(h.agency.id, other.token.expose())
        .await
        .unwrap();
    // Sign out everywhere.
    assert_eq!(h.portal.sign_out_everywhere(&me, &h.ctx).await.unwrap(), 1);
    assert!(
        h.portal
            .authenticate(h.agency.id, b.token.expose())
            .await
            .is_err()
    );
}
