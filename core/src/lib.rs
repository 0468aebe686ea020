//! # portico-core
//!
//! The domain of Portico, an embeddable client portal for property CRMs: who may sign in, how
//! (invitation, password, reset, emailed code), for how long (sessions), what they may see
//! (grants, groups, widgets) and what happened (audit).
//!
//! Core talks to the world only through the ports it defines: storage ([`store`]), mail
//! ([`mail::Mailer`]), host CRM data, the [`Clock`] and [`Random`]. It knows nothing of SQL,
//! SMTP or HTTP, and never reads the system clock.
#![warn(missing_docs)]

pub mod access;
pub mod access_store;
pub mod clock;
pub mod error;
pub mod hash;
pub mod host;
pub mod idm;
pub mod ids;
pub mod mail;
pub mod memory;
pub mod model;
pub mod outbox;
pub mod portal;
pub mod random;
pub mod secret;
pub mod store;
pub mod token;
pub mod widget;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use access::Access;
pub use access_store::{DocumentStore, GrantStore, GroupStore, PropertyStore};
pub use clock::Clock;
pub use error::{HashError, MailError, RandomError, StoreError};
pub use ids::*;
pub use portal::{Internal, Portal, PortalConfig, RequestContext, SignedIn};
pub use random::Random;
pub use secret::{Password, PasswordHash, RawToken, TokenHash};
