//! Portico's authorization decision side by side with the same decisions expressed as a Cedar
//! policy set and entities, evaluated by `cedar-policy` 4.
//!
//! [`generate`] builds one agency through core's Access API on the in-memory store —
//! 10,000 accounts (1 in 97 disabled), 50,000 properties, 100,000 grants (10,000 held by client
//! groups three deep: 10 national → 100 regional → 1,000 local), a second agency with
//! properties of its own — and the equivalent Cedar model ([`CedarModel`]) from the very same
//! records. [`World::cases`] is the sample of requests: live direct grants, grants reached
//! through a group, expired and not-yet-valid grants, a scope missing, a widget that does not
//! belong on the property's kind, no grant at all, another agency's property and a disabled
//! account. [`World::disagreements`] proves both engines answer alike on every one of them.
//!
//! ## The Cedar model
//!
//! * `User::"<account id>"` — attributes `agency` (entity) and `active` (bool); parents: its
//!   local group. `Group::"<id>"` — parent: its parent group. Cedar's transitive closure
//!   makes a user a descendant of its regional and national groups.
//! * `Agency::"<id>"` — `hide_lettings`, `hide_sales`, `hidden_widgets` (the settings the
//!   decision reads).
//! * `Property::"<id>"` — `agency`, `kind`, and `access`: a record from each scope
//!   (`widget:<id>`, `documents:<category>`) to the set of subjects (users and groups) holding
//!   a **live** grant with that scope on the property.
//! * One `permit` policy per widget of the built-in catalogue: the principal is active, of the
//!   resource's agency, the widget belongs on the kind and is not hidden, and for every scope
//!   the widget needs, `principal in resource.access["<scope>"]` (union of grants, as in
//!   Portico).
//!
//! Cedar has no quantifier over a set of records, so a grant's validity window cannot be
//! checked inside one policy over entity data; the model applies it when the entities are
//! built (a host would rebuild them at every start and end of a grant). This favours Cedar:
//! Portico checks validity on every request.
#![warn(missing_docs)]

use async_trait::async_trait;
use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression,
};
use portico_core::access::grant::GrantSpec;
use portico_core::access::property::PropertySpec;
use portico_core::access::{
    Action, BuyerNameDisplay, PropertyKind, Resource, Role, Scope, Staff, Subject,
};
use portico_core::host::{DocumentContent, HostData, HostError, HostProperty};
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::{AccountStore, AgencyStore};
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::widget::WidgetRegistry;
use portico_core::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant every decision is taken at.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 09:00 UTC);

/// How big the generated data set is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Accounts in the agency.
    pub accounts: usize,
    /// Properties in the agency.
    pub properties: usize,
    /// Grants in the agency (the first `group_grants` held by groups).
    pub grants: usize,
    /// Grants held by client groups.
    pub group_grants: usize,
    /// Properties of the second agency.
    pub other_properties: usize,
    /// Requests per category in the sample.
    pub per_case: usize,
}

impl Size {
    /// The size the issue asks for: 10,000 accounts, 50,000 properties, 100,000 grants.
    pub const FULL: Size = Size {
        accounts: 10_000,
        properties: 50_000,
        grants: 100_000,
        group_grants: 10_000,
        other_properties: 1_000,
        per_case: 64,
    };
}

/// Something went wrong while generating the world or asking Cedar.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Core refused a step of the generation.
    #[error("portico: {0}")]
    Portico(String),
    /// Cedar refused the model or a request.
    #[error("cedar: {0}")]
    Cedar(String),
}

fn portico<E: std::fmt::Display>(e: E) -> BenchError {
    BenchError::Portico(e.to_string())
}

fn cedar<E: std::fmt::Display>(e: E) -> BenchError {
    BenchError::Cedar(e.to_string())
}

/// A host without data: the decision never calls it.
struct NoHost;

#[async_trait]
impl HostData for NoHost {
    async fn document_content(
        &self,
        _p: &HostProperty,
        _r: &str,
    ) -> Result<DocumentContent, HostError> {
        Err(HostError::Unsupported)
    }
}

/// splitmix64: a small deterministic generator for the data set.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One request of the sample: may `principal` see `widget` of `property`?
#[derive(Debug, Clone)]
pub struct Case {
    /// What the case exercises (allow or deny is whatever the engines answer).
    pub label: &'static str,
    /// The session's principal.
    pub principal: Principal,
    /// The property asked about.
    pub property: PropertyId,
    /// The widget asked for.
    pub widget: String,
}

/// The same decisions as a Cedar policy set over Cedar entities.
pub struct CedarModel {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    user: EntityTypeName,
    property: EntityTypeName,
    action: EntityUid,
}

impl std::fmt::Debug for CedarModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarModel").finish_non_exhaustive()
    }
}

impl CedarModel {
    /// The policy set's text (one `permit` per widget).
    pub fn policy_text(widgets: &WidgetRegistry) -> String {
        let mut out = String::new();
        for w in widgets.iter() {
            let id = w.id();
            let kinds: Vec<String> = [PropertyKind::Lettings, PropertyKind::Sales]
                .into_iter()
                .filter(|k| w.applies_to(*k))
                .map(|k| format!("\"{}\"", k.as_str()))
                .collect();
            let mut scopes = String::new();
            for s in w.required_scopes() {
                scopes.push_str(&format!(
                    "\n  && resource.access has \"{s}\" && principal in resource.access[\"{s}\"]"
                ));
            }
            out.push_str(&format!(
                "@id(\"{id}\")\npermit(principal is User, action == Action::\"view_widget\", resource is Property)\nwhen {{\n  context.widget == \"{id}\"\n  && principal.active\n  && principal.agency == resource.agency\n  && [{kinds}].contains(resource.kind)\n  && !resource.agency.hidden_widgets.contains(\"{id}\")\n  && (resource.kind != \"lettings\" || !resource.agency.hide_lettings)\n  && (resource.kind != \"sales\" || !resource.agency.hide_sales){scopes}\n}};\n\n",
                kinds = kinds.join(", ")
            ));
        }
        out
    }

    /// Builds the request and asks Cedar: what a host using Cedar does per decision.
    pub fn is_allowed(
        &self,
        account: AccountId,
        property: PropertyId,
        widget: &str,
    ) -> Result<bool, BenchError> {
        let principal =
            EntityUid::from_type_name_and_id(self.user.clone(), EntityId::new(account.to_string()));
        let resource = EntityUid::from_type_name_and_id(
            self.property.clone(),
            EntityId::new(property.to_string()),
        );
        let context = Context::from_pairs([(
            "widget".to_string(),
            RestrictedExpression::new_string(widget.to_string()),
        )])
        .map_err(cedar)?;
        let request =
            Request::new(principal, self.action.clone(), resource, context, None).map_err(cedar)?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &self.entities);
        Ok(response.decision() == cedar_policy::Decision::Allow)
    }
}

/// The generated agency, its Cedar twin and the sample of requests.
pub struct World {
    /// Portico's access service over the in-memory store.
    pub access: Access<MemoryStore>,
    /// The Cedar model of the same records.
    pub cedar: CedarModel,
    /// The sample of requests.
    pub cases: Vec<Case>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("cases", &self.cases.len())
            .finish_non_exhaustive()
    }
}

/// One case on which the two engines disagree.
#[derive(Debug, Clone)]
pub struct Disagreement {
    /// The case.
    pub case: Case,
    /// Portico's answer, with its reason.
    pub portico: String,
    /// Cedar's answer.
    pub cedar: bool,
}

impl World {
    /// Portico's answer to one case (the decision point every request goes through).
    pub async fn portico_allows(&self, case: &Case) -> Result<bool, BenchError> {
        let d = self
            .access
            .authorize(
                &case.principal,
                &Action::ViewWidget(case.widget.clone()),
                &Resource::Property(case.property),
                NOW,
            )
            .await
            .map_err(portico)?;
        Ok(d.allowed)
    }

    /// Cedar's answer to one case.
    pub fn cedar_allows(&self, case: &Case) -> Result<bool, BenchError> {
        self.cedar
            .is_allowed(case.principal.account, case.property, &case.widget)
    }

    /// Every case where the engines answer differently (empty when they agree).
    pub async fn disagreements(&self) -> Result<Vec<Disagreement>, BenchError> {
        let mut out = Vec::new();
        for case in &self.cases {
            let d = self
                .access
                .authorize(
                    &case.principal,
                    &Action::ViewWidget(case.widget.clone()),
                    &Resource::Property(case.property),
                    NOW,
                )
                .await
                .map_err(portico)?;
            let c = self.cedar_allows(case)?;
            if d.allowed != c {
                out.push(Disagreement {
                    case: case.clone(),
                    portico: format!("{} ({})", d.allowed, d.reason),
                    cedar: c,
                });
            }
        }
        Ok(out)
    }
}

struct GrantRecord {
    subject: Subject,
    property: PropertyId,
    scopes: BTreeSet<Scope>,
    valid_from: Option<OffsetDateTime>,
    valid_until: Option<OffsetDateTime>,
}

impl GrantRecord {
    fn live(&self, now: OffsetDateTime) -> bool {
        self.valid_from.is_none_or(|f| f <= now) && self.valid_until.is_none_or(|u| now < u)
    }
}

fn account(
    random: &TestRandom,
    agency: AgencyId,
    i: usize,
    status: AccountStatus,
) -> Result<(Account, AuditEvent), BenchError> {
    let id = AccountId::from_random_bytes(random.bytes16().map_err(portico)?);
    let email = format!("client{i}@example.com");
    let account = Account {
        id,
        agency,
        username: email.clone(),
        username_key: login_key(&email),
        email: email.clone(),
        email_key: login_key(&email),
        display_name: format!("Client {i}"),
        status,
        password_hash: None,
        created_at: NOW,
        activated_at: Some(NOW),
        password_changed_at: None,
    };
    let audit = AuditEvent {
        id: AuditId::from_random_bytes(random.bytes16().map_err(portico)?),
        agency,
        at: NOW,
        actor: Actor::System,
        account: Some(id),
        kind: AuditKind::AccessSetUp,
        address: None,
        detail: String::new(),
    };
    Ok((account, audit))
}

fn uid(ty: &EntityTypeName, id: impl std::fmt::Display) -> EntityUid {
    EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id.to_string()))
}

fn type_name(s: &str) -> Result<EntityTypeName, BenchError> {
    EntityTypeName::from_str(s).map_err(cedar)
}

/// Generates the world: both agencies through core's Access API, the Cedar model from the
/// same records, and the sample of requests.
pub async fn generate(size: Size) -> Result<World, BenchError> {
    let store = Arc::new(MemoryStore::new());
    let random = Arc::new(TestRandom::new(7));
    let access = Access::new(
        store.clone(),
        Arc::new(NoHost),
        Arc::new(ManualClock::at(NOW)),
        random.clone(),
    );
    let widgets = WidgetRegistry::builtin();
    let mut mix = Mix(42);

    // Two agencies: the one under test and another whose properties nobody here may see.
    let mut agencies = Vec::new();
    for (slug, name) in [("bench", "Bench Realty"), ("other", "Other Lettings")] {
        let agency = Agency {
            id: AgencyId::from_random_bytes(random.bytes16().map_err(portico)?),
            slug: slug.into(),
            name: name.into(),
            settings: AgencySettings::default(),
            created_at: NOW,
        };
        store.insert_agency(&agency).await.map_err(portico)?;
        agencies.push(agency);
    }
    let (agency, other) = (&agencies[0], &agencies[1]);
    let staff = Staff {
        agency: agency.id,
        key: None,
        name: "bench".into(),
        address: None,
    };
    let other_staff = Staff {
        agency: other.id,
        ..staff.clone()
    };

    let mut accounts = Vec::with_capacity(size.accounts);
    for i in 0..size.accounts {
        let status = if i % 97 == 5 {
            AccountStatus::Disabled
        } else {
            AccountStatus::Active
        };
        let (a, audit) = account(&random, agency.id, i, status)?;
        store
            .insert_account(&a, None, &audit)
            .await
            .map_err(portico)?;
        accounts.push((a.id, status == AccountStatus::Active));
    }

    let property_spec = |i: usize, kind| PropertySpec {
        host_ref: format!("P{i}"),
        kind,
        display_name: format!("{i} High Street"),
        manager: None,
        negotiator: None,
        valuer: None,
    };
    let kind_of = |i: usize| {
        if i.is_multiple_of(2) {
            PropertyKind::Lettings
        } else {
            PropertyKind::Sales
        }
    };
    let mut properties = Vec::with_capacity(size.properties);
    for i in 0..size.properties {
        let p = access
            .upsert_property(&staff, property_spec(i, kind_of(i)), NOW)
            .await
            .map_err(portico)?;
        properties.push((p.id, p.kind));
    }
    let mut other_properties = Vec::with_capacity(size.other_properties);
    for i in 0..size.other_properties {
        let p = access
            .upsert_property(&other_staff, property_spec(i, kind_of(i)), NOW)
            .await
            .map_err(portico)?;
        other_properties.push((p.id, p.kind));
    }

    // Groups three deep: 10 national, 10 regional under each, 10 local under each regional.
    let mut parent_of: HashMap<GroupId, Option<GroupId>> = HashMap::new();
    let mut locals = Vec::new();
    let mut all_groups = Vec::new();
    for n in 0..10 {
        let national = access
            .create_group(&staff, &format!("N{n}"), None, NOW)
            .await
            .map_err(portico)?;
        parent_of.insert(national.id, None);
        all_groups.push(national.id);
        for r in 0..10 {
            let regional = access
                .create_group(&staff, &format!("N{n}R{r}"), Some(national.id), NOW)
                .await
                .map_err(portico)?;
            parent_of.insert(regional.id, Some(national.id));
            all_groups.push(regional.id);
            for l in 0..10 {
                let local = access
                    .create_group(&staff, &format!("N{n}R{r}L{l}"), Some(regional.id), NOW)
                    .await
                    .map_err(portico)?;
                parent_of.insert(local.id, Some(regional.id));
                all_groups.push(local.id);
                locals.push(local.id);
            }
        }
    }
    // Accounts under each group (directly or beneath), to pick members of a grant's group.
    let mut under: HashMap<GroupId, Vec<usize>> = HashMap::new();
    let mut local_of = Vec::with_capacity(accounts.len());
    for (i, &(a, _)) in accounts.iter().enumerate() {
        let local = locals[i % locals.len()];
        access
            .add_member(&staff, local, a, NOW)
            .await
            .map_err(portico)?;
        local_of.push(local);
        let mut g = Some(local);
        while let Some(id) = g {
            under.entry(id).or_default().push(i);
            g = parent_of.get(&id).copied().flatten();
        }
    }

    // Grants: a quarter hold the team member card only; one in ten has ended, one in ten has
    // not started, one in ten ends in a year.
    let mut grants = Vec::with_capacity(size.grants);
    for i in 0..size.grants {
        let (property, kind) = properties[mix.below(properties.len())];
        let subject = if i < size.group_grants {
            Subject::Group(all_groups[mix.below(all_groups.len())])
        } else {
            Subject::Account(accounts[mix.below(accounts.len())].0)
        };
        let scopes: BTreeSet<Scope> = if i % 4 == 0 {
            [Scope::widget(portico_core::widget::ids::TEAM_MEMBER)].into()
        } else {
            widgets.scopes_for(kind).into_iter().collect()
        };
        let (valid_from, valid_until) = match i % 10 {
            1 => (
                Some(NOW - Duration::days(400)),
                Some(NOW - Duration::days(1)),
            ),
            2 => (Some(NOW + Duration::days(7)), None),
            3 => (None, Some(NOW + Duration::days(365))),
            _ => (None, None),
        };
        access
            .create_grant(
                &staff,
                GrantSpec {
                    subject,
                    property,
                    role: Role::Landlord,
                    scopes: scopes.clone(),
                    buyer_names: BuyerNameDisplay::FirstName,
                    valid_from,
                    valid_until,
                },
                NOW,
            )
            .await
            .map_err(portico)?;
        grants.push(GrantRecord {
            subject,
            property,
            scopes,
            valid_from,
            valid_until,
        });
    }

    let cedar = cedar_model(
        &widgets,
        &agencies,
        &accounts,
        &local_of,
        &parent_of,
        properties
            .iter()
            .map(|p| (p.0, p.1, agency.id))
            .chain(other_properties.iter().map(|p| (p.0, p.1, other.id))),
        &grants,
    )?;

    // The sample.
    let principal = |account: AccountId| -> Result<Principal, BenchError> {
        Ok(Principal {
            agency: agency.id,
            account,
            session: SessionId::from_random_bytes(random.bytes16().map_err(portico)?),
            kind: SessionKind::Client,
        })
    };
    let kind_by_id: HashMap<PropertyId, PropertyKind> = properties.iter().copied().collect();
    let widget_for = |kind: PropertyKind, n: usize, fits: bool| -> String {
        let ids: Vec<&str> = widgets
            .iter()
            .filter(|w| w.applies_to(kind) == fits)
            .map(|w| w.id())
            .collect();
        ids[n % ids.len()].to_string()
    };
    let team = portico_core::widget::ids::TEAM_MEMBER;
    // Random pairs (mostly no grant; a disabled account now and then) and another agency's
    // property.
    let mut random_pairs = Vec::new();
    for n in 0..size.per_case {
        let (a, active) = accounts[mix.below(accounts.len())];
        let (p, k) = properties[mix.below(properties.len())];
        random_pairs.push(Case {
            label: if active {
                "no grant (random pair)"
            } else {
                "disabled account"
            },
            principal: principal(a)?,
            property: p,
            widget: widget_for(k, n, true),
        });
        let (p, k) = other_properties[mix.below(other_properties.len())];
        random_pairs.push(Case {
            label: "other agency's property",
            principal: principal(a)?,
            property: p,
            widget: widget_for(k, n, true),
        });
    }
    let mut cases = Vec::new();
    let mut take = |label: &'static str,
                    filter: &dyn Fn(&GrantRecord) -> bool,
                    widget: &dyn Fn(&GrantRecord, usize) -> String|
     -> Result<(), BenchError> {
        let mut n = 0;
        for g in grants.iter().filter(|g| filter(g)) {
            if n == size.per_case {
                break;
            }
            let account = match g.subject {
                Subject::Account(a) => a,
                Subject::Group(id) => {
                    let members = under.get(&id).map(Vec::as_slice).unwrap_or_default();
                    if members.is_empty() {
                        continue;
                    }
                    accounts[members[n % members.len()]].0
                }
            };
            cases.push(Case {
                label,
                principal: principal(account)?,
                property: g.property,
                widget: widget(g, n),
            });
            n += 1;
        }
        Ok(())
    };
    let kind = |g: &GrantRecord| {
        kind_by_id
            .get(&g.property)
            .copied()
            .unwrap_or(PropertyKind::Lettings)
    };
    let is_direct = |g: &GrantRecord| matches!(g.subject, Subject::Account(_));
    let full = |g: &GrantRecord| g.scopes.len() > 1;
    take(
        "direct grant",
        &|g| is_direct(g) && g.live(NOW) && full(g),
        &|g, n| widget_for(kind(g), n, true),
    )?;
    take(
        "via group (up to 3 deep)",
        &|g| !is_direct(g) && g.live(NOW) && full(g),
        &|g, n| widget_for(kind(g), n, true),
    )?;
    take(
        "grant expired",
        &|g| g.valid_until.is_some_and(|u| u <= NOW),
        &|_, _| team.to_string(),
    )?;
    take(
        "grant not yet valid",
        &|g| g.valid_from.is_some_and(|f| f > NOW),
        &|_, _| team.to_string(),
    )?;
    take("scope missing", &|g| g.live(NOW) && !full(g), &|g, n| {
        let w = widget_for(kind(g), n, true);
        if w == team {
            widget_for(kind(g), n + 1, true)
        } else {
            w
        }
    })?;
    take(
        "widget not for the kind",
        &|g| g.live(NOW) && full(g),
        &|g, n| widget_for(kind(g), n, false),
    )?;
    // Disabled accounts holding a live direct grant.
    let disabled: HashSet<AccountId> = accounts
        .iter()
        .filter(|(_, active)| !active)
        .map(|(a, _)| *a)
        .collect();
    take(
        "disabled account",
        &|g| matches!(g.subject, Subject::Account(a) if disabled.contains(&a)) && g.live(NOW),
        &|_, _| team.to_string(),
    )?;

    cases.extend(random_pairs);
    Ok(World {
        access,
        cedar,
        cases,
    })
}

#[allow(clippy::too_many_arguments)]
fn cedar_model(
    widgets: &WidgetRegistry,
    agencies: &[Agency],
    accounts: &[(AccountId, bool)],
    local_of: &[GroupId],
    parent_of: &HashMap<GroupId, Option<GroupId>>,
    properties: impl Iterator<Item = (PropertyId, PropertyKind, AgencyId)>,
    grants: &[GrantRecord],
) -> Result<CedarModel, BenchError> {
    let user_t = type_name("User")?;
    let group_t = type_name("Group")?;
    let agency_t = type_name("Agency")?;
    let property_t = type_name("Property")?;
    let action_t = type_name("Action")?;
    let mut entities = Vec::new();

    for a in agencies {
        let hidden = RestrictedExpression::new_set(
            a.settings
                .hidden_widgets
                .iter()
                .map(|w| RestrictedExpression::new_string(w.clone())),
        );
        entities.push(
            Entity::new(
                uid(&agency_t, a.id),
                HashMap::from([
                    (
                        "hide_lettings".to_string(),
                        RestrictedExpression::new_bool(a.settings.hide_lettings),
                    ),
                    (
                        "hide_sales".to_string(),
                        RestrictedExpression::new_bool(a.settings.hide_sales),
                    ),
                    ("hidden_widgets".to_string(), hidden),
                ]),
                HashSet::new(),
            )
            .map_err(cedar)?,
        );
    }
    let agency0 = agencies
        .first()
        .ok_or_else(|| BenchError::Cedar("no agency".into()))?
        .id;
    for (i, &(a, active)) in accounts.iter().enumerate() {
        entities.push(
            Entity::new(
                uid(&user_t, a),
                HashMap::from([
                    (
                        "agency".to_string(),
                        RestrictedExpression::new_entity_uid(uid(&agency_t, agency0)),
                    ),
                    ("active".to_string(), RestrictedExpression::new_bool(active)),
                ]),
                HashSet::from([uid(&group_t, local_of[i])]),
            )
            .map_err(cedar)?,
        );
    }
    for (g, parent) in parent_of {
        entities.push(Entity::new_no_attrs(
            uid(&group_t, g),
            parent.iter().map(|p| uid(&group_t, p)).collect(),
        ));
    }
    // Live grants, per property and scope: the subjects holding them.
    let mut access: HashMap<PropertyId, BTreeMap<String, Vec<EntityUid>>> = HashMap::new();
    for g in grants.iter().filter(|g| g.live(NOW)) {
        let subject = match g.subject {
            Subject::Account(a) => uid(&user_t, a),
            Subject::Group(id) => uid(&group_t, id),
        };
        let by_scope = access.entry(g.property).or_default();
        for s in &g.scopes {
            by_scope
                .entry(s.to_string())
                .or_default()
                .push(subject.clone());
        }
    }
    for (p, kind, agency) in properties {
        let record = RestrictedExpression::new_record(
            access
                .remove(&p)
                .unwrap_or_default()
                .into_iter()
                .map(|(scope, subjects)| {
                    (
                        scope,
                        RestrictedExpression::new_set(
                            subjects
                                .into_iter()
                                .map(RestrictedExpression::new_entity_uid),
                        ),
                    )
                }),
        )
        .map_err(cedar)?;
        entities.push(
            Entity::new(
                uid(&property_t, p),
                HashMap::from([
                    (
                        "agency".to_string(),
                        RestrictedExpression::new_entity_uid(uid(&agency_t, agency)),
                    ),
                    (
                        "kind".to_string(),
                        RestrictedExpression::new_string(kind.as_str().to_string()),
                    ),
                    ("access".to_string(), record),
                ]),
                HashSet::new(),
            )
            .map_err(cedar)?,
        );
    }
    let entities = Entities::from_entities(entities, None).map_err(cedar)?;
    let policies = PolicySet::from_str(&CedarModel::policy_text(widgets)).map_err(cedar)?;
    Ok(CedarModel {
        policies,
        entities,
        authorizer: Authorizer::new(),
        user: user_t,
        property: property_t,
        action: uid(&action_t, "view_widget"),
    })
}
