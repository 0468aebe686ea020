//! Throttle counters.

use super::fixtures::*;
use crate::model::*;
use crate::store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Counters start at zero, count failures per key and per agency with the last failure's
/// time, and reset to zero.
pub async fn throttle_counters_per_key_and_agency(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let k1 = ThrottleKey::login("alice@example.com");
    let k2 = ThrottleKey::address([203, 0, 113, 9].into());
    assert_eq!(
        store.throttle(a.id, &k1).await.unwrap(),
        ThrottleState::default()
    );
    for i in 1..=3u32 {
        assert_eq!(
            store
                .record_failure(a.id, &k1, t(i64::from(i)))
                .await
                .unwrap(),
            ThrottleState {
                failures: i,
                last_failure_at: Some(t(i64::from(i))),
            }
        );
    }
    store.record_failure(a.id, &k2, t(10)).await.unwrap();
    store.record_failure(b.id, &k1, t(20)).await.unwrap();
    assert_eq!(
        store.throttle(a.id, &k1).await.unwrap(),
        ThrottleState {
            failures: 3,
            last_failure_at: Some(t(3)),
        }
    );
    assert_eq!(store.throttle(a.id, &k2).await.unwrap().failures, 1);
    assert_eq!(
        store.throttle(b.id, &k1).await.unwrap(),
        ThrottleState {
            failures: 1,
            last_failure_at: Some(t(20)),
        }
    );
    assert_eq!(
        store.throttle(b.id, &k2).await.unwrap(),
        ThrottleState::default()
    );

    store.clear_throttle(a.id, &k1).await.unwrap();
    assert_eq!(
        store.throttle(a.id, &k1).await.unwrap(),
        ThrottleState::default()
    );
    assert_eq!(store.throttle(a.id, &k2).await.unwrap().failures, 1);
    assert_eq!(store.throttle(b.id, &k1).await.unwrap().failures, 1);
    store.clear_throttle(a.id, &k1).await.unwrap();
    assert_eq!(
        store
            .record_failure(a.id, &k1, t(30))
            .await
            .unwrap()
            .failures,
        1,
        "counts again from zero"
    );
}

/// 32 concurrent failures on one key are all counted.
pub async fn throttle_concurrent_failures(store: Arc<dyn Store>) {
    let a = new_agency(&*store).await;
    let key = ThrottleKey::login("alice@example.com");
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = Arc::clone(&store);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            store
                .record_failure(a.id, &key, t(1))
                .await
                .unwrap()
                .failures
        }));
    }
    let mut seen = BTreeSet::new();
    for task in tasks {
        seen.insert(task.await.unwrap());
    }
    assert_eq!(seen, (1..=32).collect::<BTreeSet<u32>>());
    assert_eq!(store.throttle(a.id, &key).await.unwrap().failures, 32);
}
