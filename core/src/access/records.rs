//! The portal's view of the CRM: properties, grants, client groups and shared documents.
//!
//! The CRM stays the system of record. These records hold only references into it
//! (`host_ref`s, staff references) and the portal's own settings (who may see what).

use crate::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use time::OffsetDateTime;

/// Whether a property is let or for sale: it decides which widgets its dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    /// A let property (landlords, tenants).
    Lettings,
    /// A property for sale (vendors, buyers, purchasers).
    Sales,
}

impl PropertyKind {
    /// Stable text form, for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyKind::Lettings => "lettings",
            PropertyKind::Sales => "sales",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lettings" => Some(Self::Lettings),
            "sales" => Some(Self::Sales),
            _ => None,
        }
    }
}

/// A staff member as the host CRM names them (an opaque reference, resolved by the host).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffRef(pub String);

/// A property known to the portal: a reference to the CRM's record and who looks after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Identifier.
    pub id: PropertyId,
    /// The agency it belongs to.
    pub agency: AgencyId,
    /// The CRM's identifier of the property (unique per agency, never changes).
    pub host_ref: String,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// Address or name shown to clients.
    pub display_name: String,
    /// Property manager (lettings team member card).
    pub manager: Option<StaffRef>,
    /// Negotiator (sales team member card).
    pub negotiator: Option<StaffRef>,
    /// Valuer (sales team member card when no negotiator is set).
    pub valuer: Option<StaffRef>,
    /// When the portal first learnt of it.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Property {
    /// The staff member whose card the dashboard shows: the property manager for lettings;
    /// the negotiator for sales, else the valuer; none if none is set.
    pub fn team_member(&self) -> Option<&StaffRef> {
        match self.kind {
            PropertyKind::Lettings => self.manager.as_ref(),
            PropertyKind::Sales => self.negotiator.as_ref().or(self.valuer.as_ref()),
        }
    }
}

/// The role a grant gives on a property. It names the relationship; what is visible is
/// decided by the grant's [`Scope`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Landlord or owner of a let property.
    Landlord,
    /// Vendor (owner selling).
    Vendor,
    /// Tenant.
    Tenant,
    /// Applicant or prospective buyer.
    Applicant,
    /// Purchaser (an accepted buyer, until settlement).
    Purchaser,
    /// Customer of a service contractor.
    Customer,
}

impl Role {
    /// Stable text form (also the word used in decision reasons).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Landlord => "landlord",
            Role::Vendor => "vendor",
            Role::Tenant => "tenant",
            Role::Applicant => "applicant",
            Role::Purchaser => "purchaser",
            Role::Customer => "customer",
        }
    }
    /// Parses the text form (`owner` is read as landlord, `buyer` as applicant).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "landlord" | "owner" => Self::Landlord,
            "vendor" => Self::Vendor,
            "tenant" => Self::Tenant,
            "applicant" | "buyer" => Self::Applicant,
            "purchaser" => Self::Purchaser,
            "customer" => Self::Customer,
            _ => return None,
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The category of a shared document; a grant's scopes name the categories it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentCategory {
    /// Statements generated for the property.
    Statement,
    /// Safety certificates.
    Certificate,
    /// Inspection documents.
    Inspection,
    /// Tenancy agreements.
    Tenancy,
    /// Anything else staff copied across.
    General,
}

impl DocumentCategory {
    /// Every category.
    pub const ALL: [DocumentCategory; 5] = [
        DocumentCategory::Statement,
        DocumentCategory::Certificate,
        DocumentCategory::Inspection,
        DocumentCategory::Tenancy,
        DocumentCategory::General,
    ];
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentCategory::Statement => "statement",
            DocumentCategory::Certificate => "certificate",
            DocumentCategory::Inspection => "inspection",
            DocumentCategory::Tenancy => "tenancy",
            DocumentCategory::General => "general",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One thing a grant lets its holder see: a widget (by id) or a category of documents.
///
/// Text form: `widget:<id>` or `documents:<category>` (how it is stored and sent).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// The widget with this id.
    Widget(String),
    /// Shared documents of this category (list and download).
    Documents(DocumentCategory),
}

impl Scope {
    /// The scope of a widget.
    pub fn widget(id: &str) -> Self {
        Scope::Widget(id.to_string())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Widget(id) => write!(f, "widget:{id}"),
            Scope::Documents(c) => write!(f, "documents:{}", c.as_str()),
        }
    }
}

/// A scope's text form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid scope `{0}`: expected `widget:<id>` or `documents:<category>`")]
pub struct ScopeParseError(pub String);

impl FromStr for Scope {
    type Err = ScopeParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ScopeParseError(crate::model::sanitize_text(s, 80));
        match s.split_once(':') {
            Some(("widget", id)) if is_widget_id(id) => Ok(Scope::Widget(id.to_string())),
            Some(("documents", c)) => DocumentCategory::parse(c)
                .map(Scope::Documents)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for Scope {
    type Error = ScopeParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Scope> for String {
    fn from(value: Scope) -> Self {
        value.to_string()
    }
}

/// Whether `id` is a well-formed widget id: 1 to 64 of `a-z`, `0-9`, `_`, `.`, `-`.
pub fn is_widget_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
}

/// How prospective buyers' names appear to the client in offers, viewings and feedback.
///
/// Ordered from least to most revealing; when several grants apply, the most revealing one
/// wins (access is the union of grants, so removing a grant can never reveal more).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BuyerNameDisplay {
    /// No name at all.
    #[default]
    Hidden,
    /// First name only.
    FirstName,
    /// First name and surname.
    FullName,
}

impl BuyerNameDisplay {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            BuyerNameDisplay::Hidden => "hidden",
            BuyerNameDisplay::FirstName => "first_name",
            BuyerNameDisplay::FullName => "full_name",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "hidden" => Self::Hidden,
            "first_name" => Self::FirstName,
            "full_name" => Self::FullName,
            _ => return None,
        })
    }
}

/// Who holds a grant: one login profile, or a client group (and so everyone beneath it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// One account.
    Account(AccountId),
    /// A client group: its members and the members of every group beneath it.
    Group(GroupId),
}

/// A subject's access to one property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Identifier.
    pub id: GrantId,
    /// Agency (always that of the subject and the property).
    pub agency: AgencyId,
    /// Who holds it.
    pub subject: Subject,
    /// On which property.
    pub property: PropertyId,
    /// As what.
    pub role: Role,
    /// What it lets the holder see.
    pub scopes: BTreeSet<Scope>,
    /// How buyers' names are shown.
    pub buyer_names: BuyerNameDisplay,
    /// Not valid before (inclusive), if set.
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    /// Not valid from this instant on (exclusive), if set: a buyer's access ends at settlement.
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// Created at.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed at.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where a grant stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// In force.
    Live,
    /// Starts later.
    NotYet,
    /// Over.
    Expired,
}

impl Grant {
    /// Where the grant stands at `now`: a pure function of time.
    pub fn validity(&self, now: OffsetDateTime) -> Validity {
        if self.valid_until.is_some_and(|u| now >= u) {
            Validity::Expired
        } else if self.valid_from.is_some_and(|f| now < f) {
            Validity::NotYet
        } else {
            Validity::Live
        }
    }
}

/// A client group. Groups may sit in a parent group; a grant on a group reaches its members
/// and everyone in the groups beneath it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Identifier.
    pub id: GroupId,
    /// Agency.
    pub agency: AgencyId,
    /// Name (unique in the agency), shown in decision reasons.
    pub name: String,
    /// The parent group, if any.
    pub parent: Option<GroupId>,
    /// Created at.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A CRM document made visible in the portal. The bytes stay in the CRM: unsharing removes
/// this record only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDocument {
    /// Identifier.
    pub id: DocumentId,
    /// Agency.
    pub agency: AgencyId,
    /// The property it belongs to.
    pub property: PropertyId,
    /// The CRM's identifier of the file (unique per property).
    pub host_ref: String,
    /// Category (decides which scope reads it and which widget lists it).
    pub category: DocumentCategory,
    /// Title shown to the client.
    pub title: String,
    /// When it was shared.
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: OffsetDateTime,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_as_text() {
        for s in [
            Scope::widget("property_balance"),
            Scope::Documents(DocumentCategory::Tenancy),
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
        }
        for bad in [
            "",
            "widget:",
            "widget:Bad Id",
            "documents:nope",
            "x:y",
            "widget",
        ] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn team_member_falls_back_to_the_valuer() {
        let t = time::macros::datetime!(2026-01-01 0:00 UTC);
        let mut p = Property {
            id: PropertyId::from_random_bytes([1; 16]),
            agency: AgencyId::from_random_bytes([2; 16]),
            host_ref: "P1".into(),
            kind: PropertyKind::Sales,
            display_name: "1 High St".into(),
            manager: Some(StaffRef("m".into())),
            negotiator: None,
            valuer: Some(StaffRef("v".into())),
            created_at: t,
            updated_at: t,
        };
        assert_eq!(p.team_member(), Some(&StaffRef("v".into())));
        p.negotiator = Some(StaffRef("n".into()));
        assert_eq!(p.team_member(), Some(&StaffRef("n".into())));
        p.kind = PropertyKind::Lettings;
        assert_eq!(p.team_member(), Some(&StaffRef("m".into())));
        p.manager = None;
        assert_eq!(p.team_member(), None);
    }
}
