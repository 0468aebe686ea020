//! The storage conformance suite of portico-core, on a fresh database file per behaviour.

portico_core::conformance_tests!(async { crate::common::store().await });

/// The suite again, every behaviour sharing one database file (as the suite allows): what one
/// behaviour leaves behind must not disturb another.
mod shared {
    use portico_sqlite::SqliteStore;
    use tokio::sync::OnceCell;

    static PATH: OnceCell<std::path::PathBuf> = OnceCell::const_new();

    async fn shared() -> SqliteStore {
        let path = PATH
            .get_or_init(|| async {
                // Migrate once, before the behaviours connect side by side.
                let path = crate::common::db_path();
                let first = SqliteStore::connect(&crate::common::url(&path))
                    .await
                    .unwrap();
                first.close().await;
                path
            })
            .await;
        SqliteStore::connect(&crate::common::url(path))
            .await
            .unwrap()
    }

    portico_core::conformance_tests!(async { shared().await });
}

/// The suite again on `sqlite::memory:` (one connection, so concurrent calls queue).
mod in_memory {
    portico_core::conformance_tests!(async {
        portico_sqlite::SqliteStore::connect("sqlite::memory:")
            .await
            .unwrap()
    });
}
