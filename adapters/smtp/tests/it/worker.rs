//! worker tests (need MemoryStore)
