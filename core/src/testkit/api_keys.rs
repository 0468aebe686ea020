//! Admin API keys.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::ApiKeyId;
use crate::model::*;
use crate::store::Store;

/// Keys are stored whole with their audit record, found by prefix across agencies, listed
/// per agency newest first, and revoked once (`Ok(false)` after; `NotFound` if unknown in
/// the agency).
pub async fn api_keys_prefix_list_revoke(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let k1 = api_key(a.id, t(1));
    let k2 = ApiKey {
        prefix: k1.prefix.clone(),
        expires_at: None,
        ..api_key(a.id, t(2))
    };
    let k3 = ApiKey {
        prefix: k1.prefix.clone(),
        ..api_key(b.id, t(3))
    };
    let lone = api_key(a.id, t(4));
    let ev = audit(a.id, AuditKind::ApiKeyCreated, t(1));
    store.insert_api_key(&k1, &ev).await.unwrap();
    assert!(audit_log(store, a.id).await.contains(&ev));
    for k in [&k2, &k3, &lone] {
        store
            .insert_api_key(k, &audit(k.agency, AuditKind::ApiKeyCreated, k.created_at))
            .await
            .unwrap();
    }

    let by_prefix = sorted_by(store.api_keys_by_prefix(&k1.prefix).await.unwrap(), |k| {
        k.id
    });
    assert_eq!(
        by_prefix,
        sorted_by(vec![k1.clone(), k2.clone(), k3.clone()], |k| k.id),
        "deployment-wide"
    );
    assert_eq!(
        store.api_keys_by_prefix(&lone.prefix).await.unwrap(),
        vec![lone.clone()]
    );
    assert!(
        store
            .api_keys_by_prefix(&format!("pkey_{}", random_hex(7)))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.api_keys(a.id).await.unwrap(),
        vec![lone.clone(), k2.clone(), k1.clone()]
    );
    assert_eq!(store.api_keys(b.id).await.unwrap(), vec![k3.clone()]);

    let ev = audit(a.id, AuditKind::ApiKeyRevoked, t(10));
    assert!(store.revoke_api_key(a.id, k1.id, t(10), &ev).await.unwrap());
    assert!(audit_log(store, a.id).await.contains(&ev));
    let revoked = ApiKey {
        revoked_at: Some(t(10)),
        ..k1.clone()
    };
    assert!(!revoked.is_live(t(11)));
    assert_eq!(
        store.api_keys(a.id).await.unwrap(),
        vec![lone.clone(), k2.clone(), revoked.clone()]
    );
    assert!(
        store
            .api_keys_by_prefix(&k1.prefix)
            .await
            .unwrap()
            .contains(&revoked)
    );
    let log = audit_log(store, a.id).await;
    assert!(
        !store
            .revoke_api_key(
                a.id,
                k1.id,
                t(12),
                &audit(a.id, AuditKind::ApiKeyRevoked, t(12))
            )
            .await
            .unwrap()
    );
    assert_eq!(
        sorted_by(audit_log(store, a.id).await, |e| e.id),
        sorted_by(log.clone(), |e| e.id),
        "nothing appended"
    );
    assert_eq!(
        store
            .revoke_api_key(
                a.id,
                rid::<ApiKeyId>(),
                t(12),
                &audit(a.id, AuditKind::ApiKeyRevoked, t(12))
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.api_keys(a.id).await.unwrap(), vec![lone, k2, revoked]);
}
