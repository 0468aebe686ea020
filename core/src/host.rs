//! The host-data port: how widgets read live data from the CRM.
//!
//! The CRM implements [`HostData`] (in process for Rust hosts; the standalone server wraps a
//! JSON-over-HTTP client in it for everyone else). Every method but
//! [`HostData::document_content`] has a default that answers [`HostError::Unsupported`], so a
//! host implements only what it has; an unsupported widget shows as unavailable.
//!
//! Models are plain serde types. Money is in minor units (pence, cents) with an ISO 4217
//! currency code, never floating point. Names of prospective buyers arrive in full: core
//! redacts them per the grant ([`crate::widget::redact`]) before any data leaves it.

use crate::access::records::{PropertyKind, Role, StaffRef};
use crate::ids::AgencyId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, OffsetDateTime};

/// Which property a host call is about, and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostProperty {
    /// Agency.
    pub agency: AgencyId,
    /// The CRM's identifier of the property.
    pub host_ref: String,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// The role of the viewer (a tenant's balance view may differ from a landlord's).
    pub role: Role,
}

/// A failure of the host.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HostError {
    /// The host does not provide this data.
    #[error("not provided by the host")]
    Unsupported,
    /// The host does not know the record.
    #[error("not found at the host")]
    NotFound,
    /// The host failed or cannot be reached now (retryable).
    #[error("host unavailable: {0}")]
    Unavailable(String),
}

/// An amount of money in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (pence, cents); negative for a debit.
    pub minor: i64,
    /// ISO 4217 code (`GBP`).
    pub currency: String,
}

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

/// One line of an account (property balance, float, statement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Booking date.
    pub date: Date,
    /// What it was.
    pub description: String,
    /// Amount (positive: in favour of the owner).
    pub amount: Money,
}

/// A property statement for a period, generated on demand by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The period covered.
    pub period: Period,
    /// Balance brought forward.
    pub opening_balance: Money,
    /// Lines of the period.
    pub transactions: Vec<Transaction>,
    /// Balance carried forward.
    pub closing_balance: Money,
}

/// Transactions of the property and the total due to the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyBalance {
    /// History, newest first.
    pub transactions: Vec<Transaction>,
    /// Total due to the owner.
    pub due_to_owner: Money,
}

/// One rent instalment against its due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentInstalment {
    /// Due date.
    pub due_on: Date,
    /// Amount due.
    pub due: Money,
    /// Amount paid so far.
    pub paid: Money,
    /// When it was paid in full, if it was.
    pub paid_on: Option<Date>,
}

/// Rent paid against due dates, and arrears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantBalance {
    /// Instalments, newest first.
    pub instalments: Vec<RentInstalment>,
    /// Outstanding amount.
    pub arrears: Money,
}

/// The landlord's float: running balance and what was taken from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LandlordFloat {
    /// Current balance.
    pub balance: Money,
    /// Expenses paid from it, newest first.
    pub expenses: Vec<Transaction>,
}

/// Items not yet deducted, and their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FutureDeductions {
    /// The items.
    pub items: Vec<Transaction>,
    /// Their sum.
    pub total: Money,
}

/// An inspection report recorded in the CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionReport {
    /// When the inspection took place.
    pub date: Date,
    /// Kind of inspection (routine, check-in, check-out …).
    pub kind: String,
    /// Summary of findings.
    pub summary: String,
}

/// A person's name, as the host gives it and as core redacts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// First name.
    pub first: String,
    /// Surname (removed when only first names are shown).
    pub last: Option<String>,
}

/// An offer made on a sales property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    /// Amount offered.
    pub amount: Money,
    /// State in the CRM (pending, accepted, rejected …).
    pub status: String,
    /// The prospective buyer (redacted per grant; `None` when hidden).
    pub buyer: Option<PersonName>,
}

/// A viewing, past or future.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewing {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The prospective buyer (redacted per grant; `None` when hidden).
    pub buyer: Option<PersonName>,
    /// Booked, done, cancelled …
    pub status: String,
}

/// Feedback after a viewing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewingFeedback {
    /// When the viewing took place.
    #[serde(with = "time::serde::rfc3339")]
    pub viewed_at: OffsetDateTime,
    /// The prospective buyer (redacted per grant; `None` when hidden).
    pub buyer: Option<PersonName>,
    /// The feedback.
    pub comment: String,
    /// Interest on a 1–5 scale, if recorded.
    pub interest: Option<u8>,
}

/// The agency contact shown on the team member card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// First name.
    pub first_name: String,
    /// Surname.
    pub last_name: String,
    /// Job title or role (property manager, negotiator, valuer).
    pub title: Option<String>,
    /// Preferred contact number.
    pub phone: Option<String>,
    /// Preferred contact email ("Email me").
    pub email: Option<String>,
    /// Photo (absolute https URL).
    pub photo_url: Option<String>,
}

/// A document's bytes, fetched from the CRM for a download.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentContent {
    /// File name to offer.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for DocumentContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentContent")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Live data from the CRM. Object-safe; implement what the CRM has.
#[async_trait]
pub trait HostData: Send + Sync {
    /// The bytes of a CRM file shared into the portal (`host_ref` of the document).
    async fn document_content(
        &self,
        property: &HostProperty,
        document_ref: &str,
    ) -> Result<DocumentContent, HostError>;

    /// A property statement for `period`, generated now.
    async fn statement(
        &self,
        _property: &HostProperty,
        _period: Period,
    ) -> Result<Statement, HostError> {
        Err(HostError::Unsupported)
    }
    /// Transactions and the amount due to the owner.
    async fn property_balance(
        &self,
        _property: &HostProperty,
    ) -> Result<PropertyBalance, HostError> {
        Err(HostError::Unsupported)
    }
    /// Rent against due dates and arrears.
    async fn tenant_balance(&self, _property: &HostProperty) -> Result<TenantBalance, HostError> {
        Err(HostError::Unsupported)
    }
    /// The landlord float.
    async fn landlord_float(&self, _property: &HostProperty) -> Result<LandlordFloat, HostError> {
        Err(HostError::Unsupported)
    }
    /// Items not yet deducted.
    async fn future_deductions(
        &self,
        _property: &HostProperty,
    ) -> Result<FutureDeductions, HostError> {
        Err(HostError::Unsupported)
    }
    /// Inspection reports, newest first.
    async fn inspection_reports(
        &self,
        _property: &HostProperty,
    ) -> Result<Vec<InspectionReport>, HostError> {
        Err(HostError::Unsupported)
    }
    /// Offers on a sales property, newest first, with buyers' full names.
    async fn offers(&self, _property: &HostProperty) -> Result<Vec<Offer>, HostError> {
        Err(HostError::Unsupported)
    }
    /// Viewings, past and future, with buyers' full names.
    async fn viewings(&self, _property: &HostProperty) -> Result<Vec<Viewing>, HostError> {
        Err(HostError::Unsupported)
    }
    /// Feedback from viewings, with buyers' full names.
    async fn viewing_feedback(
        &self,
        _property: &HostProperty,
    ) -> Result<Vec<ViewingFeedback>, HostError> {
        Err(HostError::Unsupported)
    }
    /// A staff member's card. `Ok(None)` if the host no longer knows them.
    async fn team_member(
        &self,
        _agency: AgencyId,
        _staff: &StaffRef,
    ) -> Result<Option<TeamMember>, HostError> {
        Err(HostError::Unsupported)
    }
    /// Data of a host-defined widget, as JSON (see [`crate::widget::Widget`]).
    async fn custom(
        &self,
        _property: &HostProperty,
        _widget: &str,
    ) -> Result<serde_json::Value, HostError> {
        Err(HostError::Unsupported)
    }
}

#[async_trait]
impl<H: HostData + ?Sized> HostData for std::sync::Arc<H> {
    async fn document_content(
        &self,
        property: &HostProperty,
        document_ref: &str,
    ) -> Result<DocumentContent, HostError> {
        (**self).document_content(property, document_ref).await
    }
    async fn statement(&self, p: &HostProperty, period: Period) -> Result<Statement, HostError> {
        (**self).statement(p, period).await
    }
    async fn property_balance(&self, p: &HostProperty) -> Result<PropertyBalance, HostError> {
        (**self).property_balance(p).await
    }
    async fn tenant_balance(&self, p: &HostProperty) -> Result<TenantBalance, HostError> {
        (**self).tenant_balance(p).await
    }
    async fn landlord_float(&self, p: &HostProperty) -> Result<LandlordFloat, HostError> {
        (**self).landlord_float(p).await
    }
    async fn future_deductions(&self, p: &HostProperty) -> Result<FutureDeductions, HostError> {
        (**self).future_deductions(p).await
    }
    async fn inspection_reports(
        &self,
        p: &HostProperty,
    ) -> Result<Vec<InspectionReport>, HostError> {
        (**self).inspection_reports(p).await
    }
    async fn offers(&self, p: &HostProperty) -> Result<Vec<Offer>, HostError> {
        (**self).offers(p).await
    }
    async fn viewings(&self, p: &HostProperty) -> Result<Vec<Viewing>, HostError> {
        (**self).viewings(p).await
    }
    async fn viewing_feedback(&self, p: &HostProperty) -> Result<Vec<ViewingFeedback>, HostError> {
        (**self).viewing_feedback(p).await
    }
    async fn team_member(
        &self,
        agency: AgencyId,
        staff: &StaffRef,
    ) -> Result<Option<TeamMember>, HostError> {
        (**self).team_member(agency, staff).await
    }
    async fn custom(&self, p: &HostProperty, widget: &str) -> Result<serde_json::Value, HostError> {
        (**self).custom(p, widget).await
    }
}

#[cfg(any(test, feature = "test-util"))]
pub use fake::{FakeHost, HostCall};

#[cfg(any(test, feature = "test-util"))]
mod fake {
    use super::*;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
    use std::time::Duration;

    /// The host calls the fake can be told to slow down or fail.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum HostCall {
        /// [`HostData::document_content`].
        DocumentContent,
        /// [`HostData::statement`].
        Statement,
        /// [`HostData::property_balance`].
        PropertyBalance,
        /// [`HostData::tenant_balance`].
        TenantBalance,
        /// [`HostData::landlord_float`].
        LandlordFloat,
        /// [`HostData::future_deductions`].
        FutureDeductions,
        /// [`HostData::inspection_reports`].
        InspectionReports,
        /// [`HostData::offers`].
        Offers,
        /// [`HostData::viewings`].
        Viewings,
        /// [`HostData::viewing_feedback`].
        ViewingFeedback,
        /// [`HostData::team_member`].
        TeamMember,
        /// [`HostData::custom`].
        Custom,
    }

    #[derive(Debug, Default)]
    struct Behaviour {
        delays: HashMap<HostCall, Duration>,
        failures: HashMap<HostCall, HostError>,
        calls: Vec<HostCall>,
        team: HashMap<String, TeamMember>,
        documents: HashMap<String, DocumentContent>,
    }

    /// A host with canned data for every call, and configurable delays and failures
    /// (delays use `tokio::time::sleep`, so tests can pause time).
    #[derive(Debug, Clone, Default)]
    pub struct FakeHost(Arc<Mutex<Behaviour>>);

    fn gbp(minor: i64) -> Money {
        Money {
            minor,
            currency: "GBP".into(),
        }
    }

    fn day(d: u8) -> Date {
        Date::from_calendar_date(2026, time::Month::January, d.clamp(1, 28)).unwrap_or(Date::MIN)
    }

    fn at(d: u8) -> OffsetDateTime {
        day(d).midnight().assume_utc()
    }

    impl FakeHost {
        /// A host answering every call at once.
        pub fn new() -> Self {
            Self::default()
        }
        fn lock(&self) -> MutexGuard<'_, Behaviour> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
        /// Makes `call` take `delay` before answering.
        pub fn delay(&self, call: HostCall, delay: Duration) -> &Self {
            self.lock().delays.insert(call, delay);
            self
        }
        /// Makes `call` fail with `error`.
        pub fn fail(&self, call: HostCall, error: HostError) -> &Self {
            self.lock().failures.insert(call, error);
            self
        }
        /// Registers a staff member's card.
        pub fn add_team_member(&self, staff: &str, member: TeamMember) -> &Self {
            self.lock().team.insert(staff.to_string(), member);
            self
        }
        /// Registers a file's bytes under its CRM reference.
        pub fn add_document(&self, host_ref: &str, content: DocumentContent) -> &Self {
            self.lock().documents.insert(host_ref.to_string(), content);
            self
        }
        /// Every call made so far, in order.
        pub fn calls(&self) -> Vec<HostCall> {
            self.lock().calls.clone()
        }
        async fn enter(&self, call: HostCall) -> Result<(), HostError> {
            let (delay, failure) = {
                let mut b = self.lock();
                b.calls.push(call);
                (b.delays.get(&call).copied(), b.failures.get(&call).cloned())
            };
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            match failure {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
        /// The buyer every canned offer, viewing and feedback names: Jane Doe.
        pub fn buyer() -> PersonName {
            PersonName {
                first: "Jane".into(),
                last: Some("Doe".into()),
            }
        }
    }

    #[async_trait]
    impl HostData for FakeHost {
        async fn document_content(
            &self,
            _property: &HostProperty,
            document_ref: &str,
        ) -> Result<DocumentContent, HostError> {
            self.enter(HostCall::DocumentContent).await?;
            self.lock()
                .documents
                .get(document_ref)
                .cloned()
                .ok_or(HostError::NotFound)
        }
        async fn statement(
            &self,
            _p: &HostProperty,
            period: Period,
        ) -> Result<Statement, HostError> {
            self.enter(HostCall::Statement).await?;
            Ok(Statement {
                period,
                opening_balance: gbp(0),
                transactions: vec![Transaction {
                    date: period.from,
                    description: "Rent".into(),
                    amount: gbp(120_000),
                }],
                closing_balance: gbp(120_000),
            })
        }
        async fn property_balance(&self, _p: &HostProperty) -> Result<PropertyBalance, HostError> {
            self.enter(HostCall::PropertyBalance).await?;
            Ok(PropertyBalance {
                transactions: vec![Transaction {
                    date: day(3),
                    description: "Rent received".into(),
                    amount: gbp(120_000),
                }],
                due_to_owner: gbp(108_000),
            })
        }
        async fn tenant_balance(&self, _p: &HostProperty) -> Result<TenantBalance, HostError> {
            self.enter(HostCall::TenantBalance).await?;
            Ok(TenantBalance {
                instalments: vec![RentInstalment {
                    due_on: day(1),
                    due: gbp(120_000),
                    paid: gbp(100_000),
                    paid_on: None,
                }],
                arrears: gbp(20_000),
            })
        }
        async fn landlord_float(&self, _p: &HostProperty) -> Result<LandlordFloat, HostError> {
            self.enter(HostCall::LandlordFloat).await?;
            Ok(LandlordFloat {
                balance: gbp(25_000),
                expenses: Vec::new(),
            })
        }
        async fn future_deductions(
            &self,
            _p: &HostProperty,
        ) -> Result<FutureDeductions, HostError> {
            self.enter(HostCall::FutureDeductions).await?;
            Ok(FutureDeductions {
                items: Vec::new(),
                total: gbp(0),
            })
        }
        async fn inspection_reports(
            &self,
            _p: &HostProperty,
        ) -> Result<Vec<InspectionReport>, HostError> {
            self.enter(HostCall::InspectionReports).await?;
            Ok(vec![InspectionReport {
                date: day(10),
                kind: "routine".into(),
                summary: "All in order".into(),
            }])
        }
        async fn offers(&self, _p: &HostProperty) -> Result<Vec<Offer>, HostError> {
            self.enter(HostCall::Offers).await?;
            Ok(vec![Offer {
                made_at: at(5),
                amount: gbp(35_000_000),
                status: "pending".into(),
                buyer: Some(Self::buyer()),
            }])
        }
        async fn viewings(&self, _p: &HostProperty) -> Result<Vec<Viewing>, HostError> {
            self.enter(HostCall::Viewings).await?;
            Ok(vec![Viewing {
                at: at(4),
                buyer: Some(Self::buyer()),
                status: "done".into(),
            }])
        }
        async fn viewing_feedback(
            &self,
            _p: &HostProperty,
        ) -> Result<Vec<ViewingFeedback>, HostError> {
            self.enter(HostCall::ViewingFeedback).await?;
            Ok(vec![ViewingFeedback {
                viewed_at: at(4),
                buyer: Some(Self::buyer()),
                comment: "Loved the garden".into(),
                interest: Some(4),
            }])
        }
        async fn team_member(
            &self,
            _agency: AgencyId,
            staff: &StaffRef,
        ) -> Result<Option<TeamMember>, HostError> {
            self.enter(HostCall::TeamMember).await?;
            Ok(self.lock().team.get(&staff.0).cloned())
        }
        async fn custom(
            &self,
            _p: &HostProperty,
            widget: &str,
        ) -> Result<serde_json::Value, HostError> {
            self.enter(HostCall::Custom).await?;
            Ok(serde_json::json!({ "widget": widget }))
        }
    }
}
