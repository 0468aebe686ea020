//! Admin API keys (checklist 40).

use super::*;
use portico_core::idm::api_key::ApiKeyError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

#[tokio::test]
async fn checklist_40_keys_are_random_hashed_revocable_rotatable_and_expire() {
    let h = H::new().await;
    let k = h
        .portal
        .create_api_key(h.agency.id, staff(), "CRM sync", None, &h.ctx)
        .await
        .unwrap();
    assert!(k.raw.expose().starts_with("pkey_"));
    assert_eq!(k.key.prefix, &k.raw.expose()[..12]);
    assert_eq!(k.key.hash, k.raw.hash());
    // Listing shows no secret.
    let listed = h.portal.api_keys(h.agency.id).await.unwrap();
    assert!(!format!("{listed:?}").contains(&k.raw.expose()[12..]));
    let found = h.portal.authenticate_api_key(k.raw.expose()).await.unwrap();
    assert_eq!(found.agency, h.agency.id);

    // Tampered, malformed.
    let mut bad = k.raw.expose().to_string();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    for p in [bad.as_str(), "", "pkey_", "Bearer x"] {
        assert_eq!(
            h.portal.authenticate_api_key(p).await.unwrap_err(),
            ApiKeyError::Invalid
        );
    }

    // Rotation: the new key works, the old one is revoked.
    let rotated = h
        .portal
        .rotate_api_key(h.agency.id, staff(), k.key.id, &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .authenticate_api_key(k.raw.expose())
            .await
            .unwrap_err(),
        ApiKeyError::Invalid
    );
    h.portal
        .authenticate_api_key(rotated.raw.expose())
        .await
        .unwrap();

    // Expiry.
    let exp = h
        .portal
        .create_api_key(
            h.agency.id,
            staff(),
            "short",
            Some(h.clock.now() + Duration::hours(1)),
            &h.ctx,
        )
        .await
        .unwrap();
    h.portal
        .authenticate_api_key(exp.raw.expose())
        .await
        .unwrap();
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        h.portal
            .authenticate_api_key(exp.raw.expose())
            .await
            .unwrap_err(),
        ApiKeyError::Invalid
    );
    assert_eq!(
        h.portal
            .create_api_key(h.agency.id, staff(), "past", Some(h.clock.now()), &h.ctx)
            .await
            .unwrap_err(),
        ApiKeyError::InvalidExpiry
    );
    // Another agency cannot revoke it.
    let b = h.other_agency("other").await;
    assert!(
        h.portal
            .revoke_api_key(b.id, staff(), rotated.key.id, &h.ctx)
            .await
            .is_err()
    );
    h.portal
        .authenticate_api_key(rotated.raw.expose())
        .await
        .unwrap();
    let kinds = h.audit_kinds().await;
    assert!(kinds.contains(&AuditKind::ApiKeyCreated) && kinds.contains(&AuditKind::ApiKeyRevoked));
}
