//! The whole conformance suite again, every behaviour against ONE store at the same time: as
//! adapters run it against one database. Proves the behaviours do not disturb each other.

use portico_core::memory::MemoryStore;
use std::sync::{Arc, OnceLock};

fn shared() -> Arc<MemoryStore> {
    static STORE: OnceLock<Arc<MemoryStore>> = OnceLock::new();
    Arc::clone(STORE.get_or_init(|| Arc::new(MemoryStore::new())))
}

portico_core::conformance_tests!(async { shared() });
