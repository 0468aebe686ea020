//! The identity flows, one file per flow (in the manner of kanidm's `idm/`).

pub mod argon;
pub mod password;
pub mod softlock;
