//! Flows against mocked ports (mockall): exact interactions and failure paths.

use super::*;
use async_trait::async_trait;
use mockall::mock;
use portico_core::hash::{PasswordHasher, Verification};
use portico_core::idm::signin::SignInError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use portico_core::testing::FailingRandom;

mock! {
    pub Hasher {}
    #[async_trait]
    impl PasswordHasher for Hasher {
        async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
        async fn verify(&self, password: &Password, stored: &PasswordHash) -> Result<Verification, HashError>;
        async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
    }
}

/// Checklist 12: an unknown user costs one dummy verification and nothing else.
#[tokio::test]
async fn checklist_12_unknown_user_calls_verify_dummy_exactly_once() {
    let h = H::new().await;
    let mut hasher = MockHasher::new();
    hasher.expect_verify_dummy().times(1).returning(|_| Ok(()));
    hasher.expect_verify().times(0);
    hasher.expect_hash().times(0);
    let portal = Portal::new(
        h.store.clone() as Arc<dyn Store>,
        Arc::new(hasher),
        Arc::new(h.clock.clone()),
        Arc::new(TestRandom::new(5)),
    );
    assert_eq!(
        portal
            .sign_in(
                h.agency.id,
                "nobody@example.com",
                &Password::new(PW),
                &h.ctx
            )
            .await
            .unwrap_err(),
        SignInError::Rejected
    );
}

/// Checklist 43: a broken hasher fails closed, never signs in.
#[tokio::test]
async fn checklist_43_hasher_failure_fails_closed() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let mut hasher = MockHasher::new();
    hasher
        .expect_verify()
        .returning(|_, _| Err(HashError::Unavailable));
    hasher.expect_verify_dummy().returning(|_| Ok(()));
    let portal = Portal::new(
        h.store.clone() as Arc<dyn Store>,
        Arc::new(hasher),
        Arc::new(h.clock.clone()),
        Arc::new(TestRandom::new(5)),
    );
    assert!(matches!(
        portal
            .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        SignInError::Internal(_)
    ));
}

/// No randomness, no token: invitation fails and nothing is stored or queued.
#[tokio::test]
async fn random_failure_fails_closed_and_stores_nothing() {
    let h = H::new().await;
    let acc = h.client("ann@example.com").await;
    let portal = Portal::new(
        h.store.clone() as Arc<dyn Store>,
        h.hasher.clone(),
        Arc::new(h.clock.clone()),
        Arc::new(FailingRandom),
    );
    assert!(
        portal
            .send_invitation(h.agency.id, staff(), acc.id, &h.ctx)
            .await
            .is_err()
    );
    assert!(h.mails().await.is_empty());
    assert!(
        h.portal
            .invitations(h.agency.id, None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A store that is down gives a typed error, never a panic, and no session.
#[tokio::test]
async fn store_unavailable_is_a_typed_error() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    h.store.set_unavailable(true);
    assert!(matches!(
        h.portal
            .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
            .await
            .unwrap_err(),
        SignInError::Internal(_)
    ));
    h.store.set_unavailable(false);
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}
