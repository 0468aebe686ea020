//! The storage conformance suite (feature `testkit`), in the manner of object_store's
//! `integration.rs`: one `pub async fn` per behaviour of the ports of [`crate::store`], each
//! panicking when the store under test departs from the contract. The in-memory store runs
//! it, and so must every storage adapter.
//!
//! # Running it
//!
//! One line in an adapter's tests gives one `#[tokio::test]` per behaviour:
//!
//! ```text
//! portico_core::conformance_tests!(async { my_adapter::connect_test_db().await });
//! ```
//!
//! The expression is evaluated once per test; its value is anything that
//! [`IntoStore`]: a store by value, an `Arc` of one, or an `Arc<dyn Store>`. The expansion
//! names `::portico_core`, so depend on the crate under that name; it needs no `tokio` of
//! your own.
//!
//! # Sharing one database
//!
//! Every behaviour creates its own agencies with random ids and slugs, so the tests may run
//! in parallel against one database, and again against a database that earlier runs left
//! records in. The deployment-wide methods need more care, and the suite keeps to these rules:
//!
//! * [`outbox_claim_lease_retry`] is the only behaviour that claims mail. It works in the
//!   years 1980–1999 and first claims away (with a lease in the year 9000) whatever is due by
//!   2000: leftovers of earlier runs. Every other behaviour's mail is due in 2026 or later,
//!   or in the year 9000.
//! * [`purge_removes_only_dead`] is the only behaviour that purges. It purges what died
//!   before 1900-01-11 and keeps its own records in the years 1900–1901; everything else
//!   lives in 1980 or later.
//!
//! Two runs of the suite at the same moment against one database may still disturb each
//! other's claiming and purging: run adapters' suites one at a time per database.
//!
//! # Behaviours that spawn tasks
//!
//! The behaviours racing concurrent calls (`*_concurrent_*`, `session_revocation_races_touch`)
//! take an `Arc<dyn Store>`, to `tokio::spawn` on a multi-threaded runtime; every other one
//! takes `&dyn Store`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod fixtures;

mod access;
mod accounts;
mod agencies;
mod api_keys;
mod audit;
mod changes;
mod codes;
mod housekeeping;
mod isolation;
mod links;
mod outbox;
mod sessions;
mod throttle;

pub use access::*;
pub use accounts::*;
pub use agencies::*;
pub use api_keys::*;
pub use audit::*;
pub use changes::*;
pub use codes::*;
pub use housekeeping::*;
pub use isolation::*;
pub use links::*;
pub use outbox::*;
pub use sessions::*;
pub use throttle::*;

use crate::store::Store;
use std::sync::Arc;

/// What a conformance factory may produce: a store by value, an `Arc` of one, or an
/// `Arc<dyn Store>`.
pub trait IntoStore {
    /// The store, shared.
    fn into_store(self) -> Arc<dyn Store>;
}

impl<S: Store + 'static> IntoStore for S {
    fn into_store(self) -> Arc<dyn Store> {
        Arc::new(self)
    }
}

impl<S: Store + 'static> IntoStore for Arc<S> {
    fn into_store(self) -> Arc<dyn Store> {
        self
    }
}

impl IntoStore for Arc<dyn Store> {
    fn into_store(self) -> Arc<dyn Store> {
        self
    }
}

/// Turns a factory's output into the shared store the behaviours take.
pub fn into_store(store: impl IntoStore) -> Arc<dyn Store> {
    store.into_store()
}

/// What the macros need, whatever the calling crate depends on.
#[doc(hidden)]
pub mod __private {
    pub use tokio;
}

/// Expands to one `#[tokio::test(flavor = "multi_thread", worker_threads = 4)]` per behaviour
/// of the conformance suite ([`crate::testkit`]), each running against a store made by the
/// given async expression (evaluated anew for each test; see [`IntoStore`]).
///
/// ```text
/// mod memory_conformance {
///     portico_core::conformance_tests!(async { portico_core::memory::MemoryStore::new() });
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_tests! { $factory;
            by_ref: [
                agency_insert_read_update_list,
                account_insert_and_read,
                account_logins_unique_per_agency,
                account_contacts,
                account_list_paged,
                account_update_profile,
                account_set_password_hash,
                apply_change_password_and_status,
                apply_change_new_email,
                apply_change_end_sessions,
                apply_change_revokes_links_and_codes,
                apply_change_throttle_session_mail_audit,
                apply_change_conflict_changes_nothing,
                apply_change_unknown_account_changes_nothing,
                delete_account_cascade,
                link_issue_and_read,
                link_issue_supersedes_same_purpose,
                link_revoke,
                link_redeem_applies_change,
                link_redeem_refused,
                link_redeem_error_changes_nothing,
                session_insert_lookup_touch_delete,
                session_delete_sessions_of,
                code_issue_and_count_attempts,
                code_revoke,
                code_redeem,
                code_redeem_error_changes_nothing,
                throttle_counters_per_key_and_agency,
                audit_round_trip_filters_and_paging,
                audit_page_limits,
                outbox_enqueue_and_list,
                outbox_claim_lease_retry,
                outbox_unknown_message,
                api_keys_prefix_list_revoke,
                purge_removes_only_dead,
                isolation_accounts,
                isolation_links,
                isolation_sessions,
                isolation_codes,
                isolation_throttle_audit_outbox,
                isolation_api_keys,
                access_properties,
                access_grants,
                access_groups,
                access_documents,
                access_account_deletion_cascade,
            ]
            by_arc: [
                link_concurrent_redeem,
                code_concurrent_redeem,
                code_concurrent_attempts,
                session_revocation_races_touch,
                throttle_concurrent_failures,
            ]
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($factory:expr; by_ref: [$($r:ident),* $(,)?] by_arc: [$($a:ident),* $(,)?]) => {
        $(
            #[$crate::testkit::__private::tokio::test(
                flavor = "multi_thread",
                worker_threads = 4,
                crate = "::portico_core::testkit::__private::tokio"
            )]
            async fn $r() {
                let store = $crate::testkit::into_store($factory.await);
                $crate::testkit::$r(&*store).await;
            }
        )*
        $(
            #[$crate::testkit::__private::tokio::test(
                flavor = "multi_thread",
                worker_threads = 4,
                crate = "::portico_core::testkit::__private::tokio"
            )]
            async fn $a() {
                let store = $crate::testkit::into_store($factory.await);
                $crate::testkit::$a(store).await;
            }
        )*
    };
}
