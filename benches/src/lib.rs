//! Benchmarks of Portico live in `benches/`, `examples/` and `load/`; the library has no code of its own. The `hello` binary is the bare hyper server of the HTTP load comparison.
