//! Benchmarks of Portico live in `benches/`; this crate has no code of its own.
