//! A fresh database file per test, in the target's temporary directory.

use portico_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

static CLEAN: Once = Once::new();
static NEXT: AtomicU64 = AtomicU64::new(0);

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portico-sqlite-it")
}

/// Removes databases that earlier runs left, five minutes old or more.
fn clean_old() {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(300));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A path for a new database file, unique to this run and call.
pub fn db_path() -> PathBuf {
    CLEAN.call_once(clean_old);
    std::fs::create_dir_all(dir()).unwrap();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    dir().join(format!("{}-{nanos}-{n}.db", std::process::id()))
}

/// The URL of a database file.
pub fn url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A store on a fresh, migrated database file (WAL mode, foreign keys on).
pub async fn store() -> SqliteStore {
    SqliteStore::connect(&url(&db_path())).await.unwrap()
}

/// Two stores (two pools, as two processes would have) on one fresh database file.
pub async fn two_stores() -> (SqliteStore, SqliteStore) {
    let path = db_path();
    let a = SqliteStore::connect(&url(&path)).await.unwrap();
    let b = SqliteStore::connect(&url(&path)).await.unwrap();
    (a, b)
}
