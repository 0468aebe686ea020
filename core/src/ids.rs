//! Identifiers of Portico's records.
//!
//! Every identifier is a random (version 4) UUID drawn from the [`Random`](crate::Random) port,
//! wrapped in a newtype so that an account id can never be passed where an agency id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps an existing UUID (for adapters reading it back from storage).
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The inner UUID (for adapters writing it to storage).
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
            /// Builds an identifier from 16 random bytes.
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An agency: the tenant. Every record belongs to exactly one.
    AgencyId
);
id_type!(
    /// A login profile (portal account) of a client of an agency.
    AccountId
);
id_type!(
    /// A single-use link token: an invitation, a password reset or an email change.
    LinkId
);
id_type!(
    /// A signed-in session (a client's or a staff preview).
    SessionId
);
id_type!(
    /// A sign-in attempt by emailed code.
    CodeId
);
id_type!(
    /// An audit record.
    AuditId
);
id_type!(
    /// A message in the mail outbox.
    OutboxId
);
id_type!(
    /// An admin API key of an agency.
    ApiKeyId
);
id_type!(
    /// A property as the portal knows it (a reference to the CRM's record plus portal settings).
    PropertyId
);
id_type!(
    /// A grant: a subject's access to one property.
    GrantId
);
id_type!(
    /// A client group (groups may sit in parent groups).
    GroupId
);
id_type!(
    /// A CRM document shared into the portal.
    DocumentId
);
