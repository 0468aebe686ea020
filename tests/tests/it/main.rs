//! Workspace-level end-to-end tests (one binary).

mod browser;
mod faults;
