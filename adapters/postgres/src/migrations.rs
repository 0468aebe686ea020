//! Portico's migrations, embedded in the binary and tracked in their own table.

use crate::error;
use portico_core::StoreError;
use sqlx::PgPool;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// The table recording which of Portico's migrations ran (never the host's own table).
pub(crate) const TABLE: &str = "portico_migrations";

/// Every migration, in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "identity",
        include_str!("../migrations/0001_identity.sql"),
    ),
    (2, "access", include_str!("../migrations/0002_access.sql")),
];

/// Builds the migrator.
fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                (*description).into(),
                MigrationType::Simple,
                (*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name(TABLE);
    migrator
}

/// Applies the migrations not yet applied.
pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
    migrator().run(pool).await.map_err(|e| {
        tracing::debug!(error = %e, "Portico PostgreSQL migration failed");
        match e {
            sqlx::migrate::MigrateError::Execute(inner)
            | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => error::map(inner),
            other => StoreError::Other(format!("migration failed: {other}")),
        }
    })
}
