//! The decision point: one function decides every client request, deny by default.
//!
//! [`Access::authorize`] loads what it needs from the store on every call — the account, the
//! resource, the agency's settings, the account's groups and the grants on the property — and
//! hands it to a pure function of that data and `now` ([`decide`]). Nothing is cached in the
//! session, so a revoked or expired grant is refused at the next request (checklist 38).
//! Every store read is scoped by the principal's agency: another agency's object is not
//! found (checklist 37). A staff preview decides exactly as its client, except that every
//! mutating action is refused before anything is read (checklist 39).

use super::records::*;
use super::{Access, AccessPorts};
use crate::error::StoreError;
use crate::ids::*;
use crate::model::{AccountStatus, AgencySettings, Principal};
use crate::widget::WidgetRegistry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use time::OffsetDateTime;

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "widget", rename_all = "snake_case")]
pub enum Action {
    /// See a property (portfolio, dashboard), a document's listing, or one's own account.
    View,
    /// Read one widget of a property's dashboard.
    ViewWidget(String),
    /// Download a shared document's bytes.
    Download,
    /// Change something (a client's own write on a property or on their account). Never
    /// allowed to a staff preview.
    Update,
}

impl Action {
    /// Whether the action changes state (refused to previews).
    pub fn is_mutating(&self) -> bool {
        matches!(self, Action::Update)
    }
}

/// What it is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Resource {
    /// A login profile (only one's own is ever visible).
    Account(AccountId),
    /// A property.
    Property(PropertyId),
    /// A shared document.
    Document(DocumentId),
}

/// Through what a grant reaches the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Via {
    /// Held by the account itself.
    Direct,
    /// Held by a group the account is in, directly or beneath.
    Group {
        /// The group holding the grant.
        id: GroupId,
        /// Its name.
        name: String,
    },
}

/// Why a decision went the way it did. `Display` gives the human sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// A live grant allows it.
    Granted {
        /// The grant.
        grant: GrantId,
        /// Its role.
        role: Role,
        /// How it reaches the account.
        via: Via,
        /// When it ends, if it does.
        #[serde(with = "time::serde::rfc3339::option")]
        until: Option<OffsetDateTime>,
    },
    /// One's own account.
    OwnAccount,
    /// Unknown in the principal's agency — or another agency's (answered as not found).
    NotFound,
    /// The account is disabled.
    AccountDisabled,
    /// A staff preview is read-only.
    PreviewReadOnly,
    /// The agency hides properties of this kind.
    KindHidden {
        /// The hidden kind.
        kind: PropertyKind,
    },
    /// The agency hides this widget.
    WidgetHidden {
        /// The widget.
        widget: String,
    },
    /// The widget does not belong on this kind of property.
    WidgetNotForKind {
        /// The widget.
        widget: String,
        /// The property's kind.
        kind: PropertyKind,
    },
    /// No grant at all on the property.
    NoGrant,
    /// Every grant on the property has ended.
    GrantExpired {
        /// When the last one ended.
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// No grant on the property has started yet.
    GrantNotYetValid {
        /// When the first one starts.
        #[serde(with = "time::serde::rfc3339")]
        from: OffsetDateTime,
    },
    /// Live grants exist but none holds the scope needed.
    ScopeMissing {
        /// The scope needed.
        scope: Scope,
    },
    /// The action makes no sense on this resource.
    NotApplicable,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Granted {
                role, via, until, ..
            } => {
                write!(f, "granted as {role}")?;
                match via {
                    Via::Direct => f.write_str(" directly")?,
                    Via::Group { name, .. } => write!(f, " via group {name}")?,
                }
                if let Some(u) = until {
                    write!(f, " until {}", u.date())?;
                }
                Ok(())
            }
            Reason::OwnAccount => f.write_str("own account"),
            Reason::NotFound => f.write_str("not found (unknown, or another agency's)"),
            Reason::AccountDisabled => f.write_str("account disabled"),
            Reason::PreviewReadOnly => f.write_str("preview is read-only"),
            Reason::KindHidden { kind } => {
                write!(f, "{} properties are hidden by the agency", kind.as_str())
            }
            Reason::WidgetHidden { widget } => write!(f, "widget {widget} is hidden by the agency"),
            Reason::WidgetNotForKind { widget, kind } => {
                write!(
                    f,
                    "widget {widget} is not shown on {} properties",
                    kind.as_str()
                )
            }
            Reason::NoGrant => f.write_str("no grant"),
            Reason::GrantExpired { at } => write!(f, "grant expired on {}", at.date()),
            Reason::GrantNotYetValid { from } => {
                write!(f, "grant not valid before {}", from.date())
            }
            Reason::ScopeMissing { scope } => write!(f, "scope missing: {scope}"),
            Reason::NotApplicable => f.write_str("action not applicable to this resource"),
        }
    }
}

/// The answer of the decision point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allowed or not.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
}

impl Decision {
    fn allow(reason: Reason) -> Self {
        Self {
            allowed: true,
            reason,
        }
    }
    fn deny(reason: Reason) -> Self {
        Self {
            allowed: false,
            reason,
        }
    }
    /// Whether the refusal must be answered as "not found" (HTTP 404): another agency's
    /// object, an unknown one and one the account holds no grant on all look the same.
    pub fn is_not_found(&self) -> bool {
        !self.allowed && matches!(self.reason, Reason::NotFound | Reason::NoGrant)
    }
}

/// A grant that reaches an account, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The grant.
    pub grant: Grant,
    /// Directly, or through which group.
    pub via: Via,
}

/// What the decision reads for one request about one property, loaded fresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The account asking (or previewed).
    pub account: AccountId,
    /// The property concerned.
    pub property: Property,
    /// The document concerned, if the resource is one.
    pub document: Option<SharedDocument>,
    /// The agency's settings.
    pub settings: AgencySettings,
    /// Every grant on the property reaching the account, whatever its validity.
    pub grants: Vec<Held>,
}

/// What an account may see of one property now: the union of its live grants there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveAccess {
    /// The property.
    pub property: Property,
    /// Roles held.
    pub roles: BTreeSet<Role>,
    /// Scopes held (union).
    pub scopes: BTreeSet<Scope>,
    /// Buyer-name display: the most revealing among the live grants.
    pub buyer_names: BuyerNameDisplay,
    /// The live grants.
    pub grants: Vec<GrantId>,
}

impl Loaded {
    /// The live grants, best explanation first: direct before group, longest-lasting first.
    pub fn live(&self, now: OffsetDateTime) -> Vec<&Held> {
        let mut live: Vec<&Held> = self
            .grants
            .iter()
            .filter(|h| h.grant.validity(now) == Validity::Live)
            .collect();
        live.sort_by(|a, b| {
            let key = |h: &Held| {
                (
                    !matches!(h.via, Via::Direct),
                    h.grant.valid_until.is_some(),
                    std::cmp::Reverse(h.grant.valid_until),
                    h.grant.id,
                )
            };
            key(a).cmp(&key(b))
        });
        live
    }

    /// The union of the live grants.
    pub fn effective(&self, now: OffsetDateTime) -> EffectiveAccess {
        let live = self.live(now);
        EffectiveAccess {
            property: self.property.clone(),
            roles: live.iter().map(|h| h.grant.role).collect(),
            scopes: live
                .iter()
                .flat_map(|h| h.grant.scopes.iter().cloned())
                .collect(),
            buyer_names: live
                .iter()
                .map(|h| h.grant.buyer_names)
                .max()
                .unwrap_or_default(),
            grants: live.iter().map(|h| h.grant.id).collect(),
        }
    }
}

fn granted(h: &Held) -> Decision {
    Decision::allow(Reason::Granted {
        grant: h.grant.id,
        role: h.grant.role,
        via: h.via.clone(),
        until: h.grant.valid_until,
    })
}

/// The decision itself: a pure function of what was loaded, the action and `now`.
///
/// `preview` refuses every mutating action; otherwise a preview decides as its client.
pub fn decide(
    preview: bool,
    action: &Action,
    loaded: &Loaded,
    widgets: &WidgetRegistry,
    now: OffsetDateTime,
) -> Decision {
    if preview && action.is_mutating() {
        return Decision::deny(Reason::PreviewReadOnly);
    }
    let kind = loaded.property.kind;
    let live = loaded.live(now);
    if live.is_empty() {
        let mut ended: Option<OffsetDateTime> = None;
        let mut starts: Option<OffsetDateTime> = None;
        for h in &loaded.grants {
            match h.grant.validity(now) {
                Validity::Expired => ended = ended.max(h.grant.valid_until),
                Validity::NotYet => {
                    starts = match (starts, h.grant.valid_from) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    }
                }
                Validity::Live => {}
            }
        }
        return Decision::deny(match (starts, ended) {
            (Some(from), _) => Reason::GrantNotYetValid { from },
            (None, Some(at)) => Reason::GrantExpired { at },
            (None, None) => Reason::NoGrant,
        });
    }
    let hidden = match kind {
        PropertyKind::Lettings => loaded.settings.hide_lettings,
        PropertyKind::Sales => loaded.settings.hide_sales,
    };
    if hidden {
        return Decision::deny(Reason::KindHidden { kind });
    }
    // What the action needs, beyond a live grant.
    let needed: Vec<Scope> = match (action, &loaded.document) {
        (Action::View | Action::Update, None) => Vec::new(),
        (Action::ViewWidget(id), None) => {
            let Some(w) = widgets.get(id) else {
                return Decision::deny(Reason::NotFound);
            };
            if loaded.settings.hidden_widgets.iter().any(|h| h == id) {
                return Decision::deny(Reason::WidgetHidden { widget: id.clone() });
            }
            if !w.applies_to(kind) {
                return Decision::deny(Reason::WidgetNotForKind {
                    widget: id.clone(),
                    kind,
                });
            }
            w.required_scopes()
        }
        (Action::View | Action::Download, Some(doc)) => vec![Scope::Documents(doc.category)],
        _ => return Decision::deny(Reason::NotApplicable),
    };
    for scope in &needed {
        if !live.iter().any(|h| h.grant.scopes.contains(scope)) {
            return Decision::deny(Reason::ScopeMissing {
                scope: scope.clone(),
            });
        }
    }
    // Explain by the best grant holding the first needed scope (or any, if none needed).
    let explain = needed
        .first()
        .and_then(|s| live.iter().find(|h| h.grant.scopes.contains(s)))
        .or(live.first());
    match explain {
        Some(h) => granted(h),
        None => Decision::deny(Reason::NoGrant),
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// The decision point. Decides whether `principal` may do `action` on `resource` at
    /// `now`, reading everything from the store (deny by default). A storage failure is an
    /// error, never an allow.
    pub async fn authorize(
        &self,
        principal: &Principal,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<Decision, StoreError> {
        self.decide_for(
            principal.agency,
            principal.account,
            principal.is_preview(),
            action,
            resource,
            now,
        )
        .await
        .map(|(d, _)| d)
    }

    /// Staff's "why can this user see this?": the decision the account's own session would
    /// get, with its reason.
    pub async fn explain(
        &self,
        staff: &super::Staff,
        account: AccountId,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<Decision, StoreError> {
        self.decide_for(staff.agency, account, false, action, resource, now)
            .await
            .map(|(d, _)| d)
    }

    /// Decides, and hands back what was loaded (so a dashboard decides each widget on the
    /// very same data).
    pub(crate) async fn decide_for(
        &self,
        agency: AgencyId,
        account: AccountId,
        preview: bool,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<(Decision, Option<Loaded>), StoreError> {
        if preview && action.is_mutating() {
            return Ok((Decision::deny(Reason::PreviewReadOnly), None));
        }
        match self.load(agency, account, resource).await? {
            Err(reason) => Ok((Decision::deny(reason), None)),
            Ok(None) => Ok((
                match action {
                    Action::View | Action::Update => Decision::allow(Reason::OwnAccount),
                    _ => Decision::deny(Reason::NotApplicable),
                },
                None,
            )),
            Ok(Some(loaded)) => {
                let d = decide(preview, action, &loaded, &self.widgets, now);
                Ok((d, Some(loaded)))
            }
        }
    }

    /// Loads what a decision reads. `Ok(Err(reason))` for a refusal found while loading;
    /// `Ok(Ok(None))` for the account's own account resource.
    async fn load(
        &self,
        agency: AgencyId,
        account: AccountId,
        resource: &Resource,
    ) -> Result<Result<Option<Loaded>, Reason>, StoreError> {
        let acc = match self.store.account(agency, account).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Ok(Err(Reason::NotFound)),
            Err(e) => return Err(e),
        };
        if acc.agency != agency {
            return Ok(Err(Reason::NotFound));
        }
        if acc.status == AccountStatus::Disabled {
            return Ok(Err(Reason::AccountDisabled));
        }
        let (property_id, document) = match *resource {
            Resource::Account(id) => {
                return Ok(if id == account {
                    Ok(None)
                } else {
                    Err(Reason::NotFound)
                });
            }
            Resource::Property(id) => (id, None),
            Resource::Document(id) => match self.store.document(agency, id).await {
                Ok(d) if d.agency == agency => (d.property, Some(d)),
                Ok(_) | Err(StoreError::NotFound) => return Ok(Err(Reason::NotFound)),
                Err(e) => return Err(e),
            },
        };
        let property = match self.store.property(agency, property_id).await {
            Ok(p) if p.agency == agency => p,
            Ok(_) | Err(StoreError::NotFound) => return Ok(Err(Reason::NotFound)),
            Err(e) => return Err(e),
        };
        let settings = match self.store.agency(agency).await {
            Ok(a) => a.settings,
            Err(StoreError::NotFound) => return Ok(Err(Reason::NotFound)),
            Err(e) => return Err(e),
        };
        let grants = self.held_grants(agency, account, Some(property.id)).await?;
        Ok(Ok(Some(Loaded {
            account,
            property,
            document,
            settings,
            grants,
        })))
    }

    /// Every grant reaching the account (directly or through its groups and their
    /// ancestors), on one property or on all.
    pub(crate) async fn held_grants(
        &self,
        agency: AgencyId,
        account: AccountId,
        property: Option<PropertyId>,
    ) -> Result<Vec<Held>, StoreError> {
        let groups = self.store.group_ancestry(agency, account).await?;
        let mut subjects = Vec::with_capacity(groups.len() + 1);
        subjects.push(Subject::Account(account));
        subjects.extend(groups.iter().map(|g| Subject::Group(g.id)));
        let grants = self.store.grants_for(agency, &subjects, property).await?;
        Ok(grants
            .into_iter()
            .filter(|g| g.agency == agency && subjects.contains(&g.subject))
            .map(|grant| {
                let via = match grant.subject {
                    Subject::Account(_) => Via::Direct,
                    Subject::Group(id) => Via::Group {
                        id,
                        name: groups
                            .iter()
                            .find(|g| g.id == id)
                            .map(|g| g.name.clone())
                            .unwrap_or_default(),
                    },
                };
                Held { grant, via }
            })
            .collect())
    }

    /// Whether the account holds at least one live grant now (directly or through groups).
    pub async fn has_live_grant(
        &self,
        agency: AgencyId,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(self
            .held_grants(agency, account, None)
            .await?
            .iter()
            .any(|h| h.grant.validity(now) == Validity::Live))
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// The decision point as a guard, for the portal's per-function checks: `Ok(())` when
    /// allowed; otherwise the refusal as an error — [`AccessError::NotFound`] for another
    /// agency's, unknown or ungranted objects (HTTP 404), [`AccessError::ReadOnly`] for a
    /// preview's write, [`AccessError::Denied`] otherwise — recorded in the audit log
    /// (`access.denied`, checklist 41).
    ///
    /// [`AccessError::NotFound`]: super::AccessError::NotFound
    /// [`AccessError::ReadOnly`]: super::AccessError::ReadOnly
    /// [`AccessError::Denied`]: super::AccessError::Denied
    pub async fn require(
        &self,
        principal: &Principal,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<(), super::AccessError> {
        self.guard(principal, action, resource, now).await.map(drop)
    }

    /// Decides for a client operation and turns a refusal into its error (see
    /// [`Self::require`]). Returns what the decision loaded.
    pub(crate) async fn enforce(
        &self,
        principal: &Principal,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<Loaded, super::AccessError> {
        self.guard(principal, action, resource, now)
            .await?
            .ok_or(super::AccessError::NotFound)
    }

    async fn guard(
        &self,
        principal: &Principal,
        action: &Action,
        resource: &Resource,
        now: OffsetDateTime,
    ) -> Result<Option<Loaded>, super::AccessError> {
        use super::AccessError;
        let (decision, loaded) = self
            .decide_for(
                principal.agency,
                principal.account,
                principal.is_preview(),
                action,
                resource,
                now,
            )
            .await?;
        if !decision.allowed {
            let audit = self.audit_event(
                principal.agency,
                now,
                principal_actor(principal),
                Some(principal.account),
                crate::model::AuditKind::AccessDenied,
                None,
                &format!("{action:?} on {resource:?}: {}", decision.reason),
            )?;
            self.store.append_audit(&audit).await?;
            return Err(match decision.reason {
                Reason::NotFound | Reason::NoGrant => AccessError::NotFound,
                Reason::PreviewReadOnly => AccessError::ReadOnly,
                other => AccessError::Denied(other),
            });
        }
        Ok(loaded)
    }

    /// Records what a staff preview looked at (`preview.viewed`, with staff and client).
    pub(crate) async fn preview_viewed(
        &self,
        principal: &Principal,
        now: OffsetDateTime,
        what: &str,
    ) -> Result<(), super::AccessError> {
        if principal.is_preview() {
            let audit = self.audit_event(
                principal.agency,
                now,
                principal_actor(principal),
                Some(principal.account),
                crate::model::AuditKind::PreviewViewed,
                None,
                what,
            )?;
            self.store.append_audit(&audit).await?;
        }
        Ok(())
    }
}

/// Who acts for audit purposes: the client, or for a preview the staff member.
pub(crate) fn principal_actor(principal: &Principal) -> crate::model::Actor {
    use crate::model::{Actor, SessionKind};
    match &principal.kind {
        SessionKind::Client => Actor::Client {
            account: principal.account,
        },
        SessionKind::Preview { staff } => Actor::Staff {
            key: None,
            staff: crate::model::sanitize_text(staff, 100),
        },
    }
}
