//! Benchmarks of Portico live in `benches/`; this library is empty.
