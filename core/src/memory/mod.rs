//! The in-memory store: the reference behaviour of every storage port.
//!
//! One mutex per concern group; an operation that spans records takes what it needs, always
//! in the order `state` then `access`, and validates everything before changing anything, so
//! a failed call changes nothing.

mod access;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The in-memory store. Cheap to create; one per test.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    access: Mutex<access::AccessState>,
}

/// Records of the identity ports (agencies, accounts, links, sessions, codes, throttle,
/// audit, outbox, API keys).
#[derive(Debug, Default)]
struct State {}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    #[allow(dead_code)]
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[allow(dead_code)]
    fn access(&self) -> MutexGuard<'_, access::AccessState> {
        self.access.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
