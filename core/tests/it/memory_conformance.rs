//! The whole storage conformance suite against the in-memory store.

portico_core::conformance_tests!(async { portico_core::memory::MemoryStore::new() });
