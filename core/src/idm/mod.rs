//! The identity flows, one file per flow (in the manner of kanidm's `idm/`). Each is a set of
//! `impl Portal` methods; the pure rules (password policy, throttling, session liveness) are
//! plain functions of their inputs and of the time passed in.

pub mod account;
pub mod agency;
pub mod api_key;
pub mod argon;
pub mod code;
pub mod credentials;
pub mod invitation;
pub mod link;
pub mod password;
pub mod reset;
pub mod session;
pub mod signin;
pub mod softlock;
