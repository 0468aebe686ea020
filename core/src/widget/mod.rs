//! Widgets: the blocks of a property's dashboard, and the registry that lists them.
//!
//! A [`Widget`] names itself, says which kinds of property it applies to and which scopes a
//! grant must hold to see it, and fetches its data through the [`HostData`] port. The
//! [`WidgetRegistry`] starts with the built-in catalogue ([`WidgetRegistry::builtin`]); a host
//! adds its own with [`WidgetRegistry::register`].
//!
//! Whatever a widget returns passes through [`redact`] before it leaves core: buyers' names
//! in offers, viewings and feedback are cut to what the grant allows.

pub mod dashboard;
pub mod lettings;
pub mod sales;
pub mod team;

use crate::access::records::{
    BuyerNameDisplay, DocumentCategory, Property, PropertyKind, Scope, SharedDocument, is_widget_id,
};
use crate::host::*;
use crate::ids::DocumentId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;

/// Ids of the built-in widgets (stable: they appear in grants' scopes and agency settings).
pub mod ids {
    /// Lettings: a statement generated on demand for a period.
    pub const PROPERTY_STATEMENT: &str = "property_statement";
    /// Lettings: transactions and the amount due to the owner.
    pub const PROPERTY_BALANCE: &str = "property_balance";
    /// Lettings: rent against due dates, arrears.
    pub const TENANT_BALANCE: &str = "tenant_balance";
    /// Lettings: the landlord float.
    pub const LANDLORD_FLOAT: &str = "landlord_float";
    /// Lettings: items not yet deducted.
    pub const FUTURE_DEDUCTIONS: &str = "future_deductions";
    /// Lettings: shared statements.
    pub const STATEMENT_DOCUMENTS: &str = "statement_documents";
    /// Both kinds: other shared documents.
    pub const DOCUMENTS: &str = "documents";
    /// Lettings: shared certificates.
    pub const CERTIFICATE_DOCUMENTS: &str = "certificate_documents";
    /// Lettings: shared inspection documents.
    pub const INSPECTION_DOCUMENTS: &str = "inspection_documents";
    /// Lettings: inspection reports from the CRM.
    pub const INSPECTION_REPORTS: &str = "inspection_reports";
    /// Lettings: shared tenancy agreements.
    pub const TENANCY_DOCUMENTS: &str = "tenancy_documents";
    /// Sales: offers made.
    pub const CURRENT_OFFERS: &str = "current_offers";
    /// Sales: viewings, past and future.
    pub const VIEWINGS: &str = "viewings";
    /// Sales: feedback from viewings.
    pub const VIEWING_FEEDBACK: &str = "viewing_feedback";
    /// Both kinds: the agency contact for the property.
    pub const TEAM_MEMBER: &str = "team_member";
}

/// What a widget's fetch can use. Built by core for one property and one viewer.
pub struct WidgetContext<'a> {
    /// The host-data port.
    pub host: &'a dyn HostData,
    /// The property.
    pub property: &'a Property,
    /// The property as the host is asked about it.
    pub host_property: HostProperty,
    /// Documents shared from the property that the viewer's grants may read.
    pub documents: &'a [SharedDocument],
    /// How buyers' names may be shown. Core redacts the built-in data types afterwards
    /// whatever the widget did; a widget returning [`WidgetData::Custom`] JSON must apply
    /// this itself, as core cannot see names inside it.
    pub buyer_names: BuyerNameDisplay,
    /// The time of the request.
    pub now: OffsetDateTime,
}

/// A shared document as the client sees it listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSummary {
    /// Identifier (to download it).
    pub id: DocumentId,
    /// Title.
    pub title: String,
    /// Category.
    pub category: DocumentCategory,
    /// When it was shared.
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: OffsetDateTime,
}

impl From<&SharedDocument> for DocumentSummary {
    fn from(d: &SharedDocument) -> Self {
        Self {
            id: d.id,
            title: d.title.clone(),
            category: d.category,
            shared_at: d.shared_at,
        }
    }
}

/// A widget's data, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WidgetData {
    /// The statement widget on the dashboard: a form to generate a statement for a period
    /// (generated on demand by [`crate::access::Access::statement`]).
    StatementForm {
        /// The period proposed (the previous calendar month).
        default_period: Period,
    },
    /// A generated statement.
    Statement(Statement),
    /// Property balance.
    PropertyBalance(PropertyBalance),
    /// Tenant balance.
    TenantBalance(TenantBalance),
    /// Landlord float.
    LandlordFloat(LandlordFloat),
    /// Future deductions.
    FutureDeductions(FutureDeductions),
    /// Inspection reports.
    InspectionReports(Vec<InspectionReport>),
    /// Shared documents, newest first.
    Documents(Vec<DocumentSummary>),
    /// Offers.
    Offers(Vec<Offer>),
    /// Viewings, split at the time of the request.
    Viewings {
        /// Viewings before now, newest first.
        past: Vec<Viewing>,
        /// Viewings from now on, soonest first.
        future: Vec<Viewing>,
    },
    /// Viewing feedback.
    Feedback(Vec<ViewingFeedback>),
    /// The team member card.
    TeamMember(TeamMember),
    /// A host-defined widget's data.
    Custom(serde_json::Value),
}

/// One block of the dashboard.
#[async_trait]
pub trait Widget: Send + Sync {
    /// Stable id (see [`is_widget_id`]); also the widget's scope `widget:<id>`.
    fn id(&self) -> &str;
    /// Title shown to the client.
    fn title(&self) -> &str;
    /// Whether the widget belongs on dashboards of this kind of property.
    fn applies_to(&self, kind: PropertyKind) -> bool;
    /// The scopes a viewer's grants must hold, all of them, to see it. By default the
    /// widget's own scope.
    fn required_scopes(&self) -> Vec<Scope> {
        vec![Scope::widget(self.id())]
    }
    /// Fetches the data. `Ok(None)` when there is nothing to show (the widget is left out).
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError>;
}

/// A widget that could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WidgetError {
    /// The id is not 1–64 of `a-z 0-9 _ . -`.
    #[error("invalid widget id")]
    InvalidId,
    /// A widget with this id is already registered.
    #[error("a widget with id `{0}` is already registered")]
    Duplicate(String),
}

/// The widgets known to a deployment, in dashboard order.
#[derive(Clone, Default)]
pub struct WidgetRegistry {
    widgets: Vec<Arc<dyn Widget>>,
}

impl std::fmt::Debug for WidgetRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.widgets.iter().map(|w| w.id().to_string()))
            .finish()
    }
}

impl WidgetRegistry {
    /// A registry without widgets.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in catalogue: lettings, sales, documents and the team member card.
    pub fn builtin() -> Self {
        let mut widgets = lettings::catalogue();
        widgets.extend(sales::catalogue());
        widgets.push(Arc::new(team::TeamMemberWidget));
        Self { widgets }
    }

    /// Adds a widget after the others.
    pub fn register(&mut self, widget: Arc<dyn Widget>) -> Result<(), WidgetError> {
        if !is_widget_id(widget.id()) {
            return Err(WidgetError::InvalidId);
        }
        if self.get(widget.id()).is_some() {
            return Err(WidgetError::Duplicate(widget.id().to_string()));
        }
        self.widgets.push(widget);
        Ok(())
    }

    /// The widget with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Widget>> {
        self.widgets.iter().find(|w| w.id() == id)
    }

    /// Every widget, in dashboard order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Widget>> {
        self.widgets.iter()
    }

    /// Every scope a grant could usefully hold on a property of `kind` (what staff pick from).
    pub fn scopes_for(&self, kind: PropertyKind) -> Vec<Scope> {
        let mut out: Vec<Scope> = Vec::new();
        for w in self.widgets.iter().filter(|w| w.applies_to(kind)) {
            for s in w.required_scopes() {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }
}

/// A widget listing the shared documents of one category.
#[derive(Debug, Clone)]
pub struct DocumentsWidget {
    /// Widget id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The category listed.
    pub category: DocumentCategory,
    /// Kinds of property it applies to.
    pub kinds: &'static [PropertyKind],
}

#[async_trait]
impl Widget for DocumentsWidget {
    fn id(&self) -> &str {
        self.id
    }
    fn title(&self) -> &str {
        self.title
    }
    fn applies_to(&self, kind: PropertyKind) -> bool {
        self.kinds.contains(&kind)
    }
    fn required_scopes(&self) -> Vec<Scope> {
        vec![Scope::widget(self.id), Scope::Documents(self.category)]
    }
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError> {
        Ok(Some(WidgetData::Documents(
            ctx.documents
                .iter()
                .filter(|d| d.category == self.category)
                .map(DocumentSummary::from)
                .collect(),
        )))
    }
}

fn redact_name(name: &mut Option<PersonName>, display: BuyerNameDisplay) {
    match display {
        BuyerNameDisplay::FullName => {}
        BuyerNameDisplay::FirstName => {
            if let Some(n) = name {
                n.last = None;
            }
        }
        BuyerNameDisplay::Hidden => *name = None,
    }
}

/// Cuts buyers' names in offers, viewings and feedback to what `display` allows. Core calls
/// it on every widget's data before it leaves (whatever the widget did itself).
pub fn redact(data: &mut WidgetData, display: BuyerNameDisplay) {
    match data {
        WidgetData::Offers(list) => list
            .iter_mut()
            .for_each(|o| redact_name(&mut o.buyer, display)),
        WidgetData::Viewings { past, future } => past
            .iter_mut()
            .chain(future.iter_mut())
            .for_each(|v| redact_name(&mut v.buyer, display)),
        WidgetData::Feedback(list) => list
            .iter_mut()
            .for_each(|f| redact_name(&mut f.buyer, display)),
        _ => {}
    }
}
