//! Tests of access: the checklist items 35–39, grants, groups, settings, documents,
//! preview, the dashboard, and property tests of the decision point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod props;

use super::grant::{GrantChanges, GrantError, GrantSpec};
use super::group::{GroupChanges, GroupError};
use super::preview::{PREVIEW_LIFETIME, PreviewError};
use super::property::{PropertySpec, Visibility};
use super::*;
use crate::access::document::DocumentShare;
use crate::host::{DocumentContent, FakeHost, HostCall, HostError, Period, TeamMember};
use crate::memory::MemoryStore;
use crate::model::*;
use crate::secret::PasswordHash;
use crate::store::*;
use crate::testing::TestRandom;
use crate::widget::dashboard::{Unavailable, WidgetState};
use crate::widget::{Widget, WidgetContext, WidgetData, WidgetRegistry, ids as w};
use async_trait::async_trait;
use std::collections::BTreeSet;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

pub(super) const T0: OffsetDateTime = datetime!(2026-06-01 09:00 UTC);

pub(super) struct Fx {
    pub store: Arc<MemoryStore>,
    pub host: FakeHost,
    pub access: Access<MemoryStore>,
    pub random: Arc<TestRandom>,
    pub staff: Staff,
    pub other_staff: Staff,
}

fn rid(random: &TestRandom) -> [u8; 16] {
    random.bytes16().unwrap()
}

impl Fx {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut AgencySettings)) -> Self {
        let store = Arc::new(MemoryStore::new());
        let host = FakeHost::new();
        let random = Arc::new(TestRandom::new(42));
        let access = Access::new(
            store.clone(),
            Arc::new(host.clone()),
            Arc::new(crate::testing::ManualClock::at(T0)),
            random.clone(),
        );
        let mut settings = AgencySettings::default();
        f(&mut settings);
        let mut staffs = Vec::new();
        for slug in ["acme", "rival"] {
            let agency = Agency {
                id: AgencyId::from_random_bytes(rid(&random)),
                slug: slug.into(),
                name: slug.into(),
                settings: settings.clone(),
                created_at: T0,
            };
            store.insert_agency(&agency).await.unwrap();
            staffs.push(Staff {
                agency: agency.id,
                key: None,
                name: format!("Sam of {slug}"),
                address: None,
            });
        }
        let other_staff = staffs.pop().unwrap();
        let staff = staffs.pop().unwrap();
        Self {
            store,
            host,
            access,
            random,
            staff,
            other_staff,
        }
    }

    pub fn agency(&self) -> AgencyId {
        self.staff.agency
    }

    pub async fn account_in(&self, agency: AgencyId, name: &str) -> AccountId {
        let id = AccountId::from_random_bytes(rid(&self.random));
        let email = format!("{name}@example.com");
        let account = Account {
            id,
            agency,
            username: email.clone(),
            username_key: login_key(&email),
            email: email.clone(),
            email_key: login_key(&email),
            display_name: name.into(),
            status: AccountStatus::Active,
            password_hash: Some(PasswordHash::new(
                "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
            )),
            created_at: T0,
            activated_at: Some(T0),
            password_changed_at: Some(T0),
        };
        let audit = self.event(agency, Some(id), AuditKind::AccessSetUp);
        self.store
            .insert_account(&account, None, &audit)
            .await
            .unwrap();
        id
    }

    pub async fn account(&self, name: &str) -> AccountId {
        self.account_in(self.agency(), name).await
    }

    pub fn event(
        &self,
        agency: AgencyId,
        account: Option<AccountId>,
        kind: AuditKind,
    ) -> AuditEvent {
        AuditEvent {
            id: AuditId::from_random_bytes(rid(&self.random)),
            agency,
            at: T0,
            actor: Actor::System,
            account,
            kind,
            address: None,
            detail: String::new(),
        }
    }

    pub async fn property_of(&self, staff: &Staff, kind: PropertyKind, name: &str) -> Property {
        self.access
            .upsert_property(
                staff,
                PropertySpec {
                    host_ref: format!("crm-{name}"),
                    kind,
                    display_name: name.into(),
                    manager: Some(StaffRef("mgr-1".into())),
                    negotiator: None,
                    valuer: Some(StaffRef("val-1".into())),
                },
                T0,
            )
            .await
            .unwrap()
    }

    pub async fn property(&self, kind: PropertyKind, name: &str) -> Property {
        self.property_of(&self.staff, kind, name).await
    }

    pub async fn grant(
        &self,
        subject: Subject,
        property: PropertyId,
        role: Role,
        scopes: &[Scope],
    ) -> Grant {
        self.grant_spec(GrantSpec {
            subject,
            property,
            role,
            scopes: scopes.iter().cloned().collect(),
            buyer_names: BuyerNameDisplay::FullName,
            valid_from: None,
            valid_until: None,
        })
        .await
    }

    pub async fn grant_spec(&self, spec: GrantSpec) -> Grant {
        self.access
            .create_grant(&self.staff, spec, T0)
            .await
            .unwrap()
    }

    /// A signed-in client session of `account`.
    pub async fn client(&self, agency: AgencyId, account: AccountId) -> Principal {
        let token =
            crate::token::generate(crate::token::TokenKind::Session, self.random.as_ref()).unwrap();
        let session = Session {
            id: SessionId::from_random_bytes(rid(&self.random)),
            agency,
            account,
            hash: token.hash(),
            kind: SessionKind::Client,
            created_at: T0,
            last_seen_at: T0,
            idle_expires_at: T0 + Duration::hours(1),
            absolute_expires_at: T0 + Duration::hours(12),
            address: None,
            user_agent: None,
        };
        self.store.insert_session(&session, None).await.unwrap();
        Principal {
            agency,
            account,
            session: session.id,
            kind: SessionKind::Client,
        }
    }

    pub async fn audit(&self, kind: AuditKind) -> Vec<AuditEvent> {
        self.store
            .audit(
                self.agency(),
                &AuditQuery {
                    kind: Some(kind),
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap()
    }
}

pub(super) fn all_lettings_scopes() -> Vec<Scope> {
    WidgetRegistry::builtin().scopes_for(PropertyKind::Lettings)
}

pub(super) fn all_sales_scopes() -> Vec<Scope> {
    WidgetRegistry::builtin().scopes_for(PropertyKind::Sales)
}

fn view_widget(id: &str) -> Action {
    Action::ViewWidget(id.to_string())
}

fn ready_ids(d: &crate::widget::dashboard::Dashboard) -> Vec<&str> {
    d.widgets
        .iter()
        .filter(|v| matches!(v.state, WidgetState::Ready { .. }))
        .map(|v| v.id.as_str())
        .collect()
}

// ---------------------------------------------------------------- checklist 35–39

#[tokio::test]
async fn checklist_35_deny_by_default_per_function_and_per_object() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let mine = fx.property(PropertyKind::Lettings, "1 Mine St").await;
    let theirs = fx.property(PropertyKind::Lettings, "2 Theirs St").await;
    let p = fx.client(fx.agency(), alice).await;

    // No grant at all: nothing, whatever the action.
    for action in [
        Action::View,
        view_widget(w::PROPERTY_BALANCE),
        Action::Update,
    ] {
        let d = fx
            .access
            .authorize(&p, &action, &Resource::Property(mine.id), T0)
            .await
            .unwrap();
        assert!(!d.allowed);
        assert_eq!(d.reason, Reason::NoGrant);
    }
    assert!(fx.access.portfolio(&p, T0).await.unwrap().is_empty());

    // A grant on one property, one scope: only that object, only that function.
    fx.grant(
        Subject::Account(alice),
        mine.id,
        Role::Landlord,
        &[Scope::widget(w::PROPERTY_BALANCE)],
    )
    .await;
    let allowed = |a: Action, r: Resource| {
        let fx = &fx;
        let p = &p;
        async move { fx.access.authorize(p, &a, &r, T0).await.unwrap() }
    };
    assert!(
        allowed(Action::View, Resource::Property(mine.id))
            .await
            .allowed
    );
    assert!(
        allowed(
            view_widget(w::PROPERTY_BALANCE),
            Resource::Property(mine.id)
        )
        .await
        .allowed
    );
    let d = allowed(view_widget(w::TENANT_BALANCE), Resource::Property(mine.id)).await;
    assert_eq!(
        d.reason,
        Reason::ScopeMissing {
            scope: Scope::widget(w::TENANT_BALANCE)
        }
    );
    assert_eq!(d.reason.to_string(), "scope missing: widget:tenant_balance");
    assert!(
        !allowed(Action::View, Resource::Property(theirs.id))
            .await
            .allowed
    );
    assert!(
        !allowed(
            view_widget(w::PROPERTY_BALANCE),
            Resource::Property(theirs.id)
        )
        .await
        .allowed
    );
    // Unknown widget, unknown property, someone else's account: not found.
    assert!(
        allowed(view_widget("nope"), Resource::Property(mine.id))
            .await
            .is_not_found()
    );
    let ghost = PropertyId::from_random_bytes([9; 16]);
    assert!(
        allowed(Action::View, Resource::Property(ghost))
            .await
            .is_not_found()
    );
    let bob = fx.account("bob").await;
    assert!(
        allowed(Action::View, Resource::Account(bob))
            .await
            .is_not_found()
    );
    assert!(
        allowed(Action::View, Resource::Account(alice))
            .await
            .allowed
    );
    // A dashboard shows only what is allowed, and a refused one is audited.
    let dash = fx.access.dashboard(&p, mine.id, T0).await.unwrap();
    assert_eq!(ready_ids(&dash), vec![w::PROPERTY_BALANCE]);
    // Not granted answers like unknown: no existence oracle.
    assert_eq!(
        fx.access.dashboard(&p, theirs.id, T0).await.unwrap_err(),
        AccessError::NotFound
    );
    assert!(!fx.audit(AuditKind::AccessDenied).await.is_empty());
}

#[tokio::test]
async fn checklist_36_field_level_redaction_and_no_mass_assignment() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Sales, "3 Sale Rd").await;
    let g = fx
        .grant_spec(GrantSpec {
            subject: Subject::Account(alice),
            property: house.id,
            role: Role::Vendor,
            scopes: [Scope::widget(w::CURRENT_OFFERS)].into(),
            buyer_names: BuyerNameDisplay::Hidden,
            valid_from: None,
            valid_until: None,
        })
        .await;
    let p = fx.client(fx.agency(), alice).await;
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    let json = serde_json::to_string(&dash).unwrap();
    assert!(!json.contains("Jane") && !json.contains("Doe"), "{json}");

    // The write bodies have no agency, subject or property to assign.
    for body in [
        r#"{"agency":"00000000-0000-4000-8000-000000000000"}"#,
        r#"{"subject":{"type":"account","id":"00000000-0000-4000-8000-000000000000"}}"#,
        r#"{"property":"00000000-0000-4000-8000-000000000000"}"#,
        r#"{"role":"landlord","is_admin":true}"#,
    ] {
        assert!(
            serde_json::from_str::<GrantChanges>(body).is_err(),
            "{body}"
        );
    }
    let spec_with_agency = format!(
        r#"{{"subject":{{"type":"account","id":"{alice}"}},"property":"{}","role":"vendor","scopes":[],"agency":"{}"}}"#,
        house.id, fx.other_staff.agency
    );
    assert!(serde_json::from_str::<GrantSpec>(&spec_with_agency).is_err());
    // An edit keeps agency, subject and property whatever else changes.
    let changed = fx
        .access
        .update_grant(
            &fx.staff,
            g.id,
            GrantChanges {
                role: Some(Role::Landlord),
                ..GrantChanges::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.agency, changed.subject, changed.property),
        (g.agency, g.subject, g.property)
    );
    // Another agency's staff cannot edit it at all.
    assert_eq!(
        fx.access
            .update_grant(&fx.other_staff, g.id, GrantChanges::default(), T0)
            .await,
        Err(GrantError::NotFound)
    );
}

#[tokio::test]
async fn checklist_37_agency_from_context_and_other_agency_is_not_found() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 Acme St").await;
    let doc = fx
        .access
        .share_document(
            &fx.staff,
            house.id,
            DocumentShare {
                host_ref: "file-1".into(),
                category: DocumentCategory::General,
                title: "Gas safety".into(),
            },
            T0,
        )
        .await
        .unwrap();
    let g = fx
        .grant(
            Subject::Account(alice),
            house.id,
            Role::Landlord,
            &all_lettings_scopes(),
        )
        .await;

    // A client of the other agency, with full grants on its own property.
    let rival = fx.account_in(fx.other_staff.agency, "rita").await;
    let rp = fx.client(fx.other_staff.agency, rival).await;
    for (action, resource) in [
        (Action::View, Resource::Property(house.id)),
        (
            view_widget(w::PROPERTY_BALANCE),
            Resource::Property(house.id),
        ),
        (Action::Download, Resource::Document(doc.id)),
        (Action::View, Resource::Account(alice)),
    ] {
        let d = fx
            .access
            .authorize(&rp, &action, &resource, T0)
            .await
            .unwrap();
        assert!(d.is_not_found(), "{action:?} {resource:?}: {d:?}");
    }
    // A principal claiming the other agency for alice's account finds nothing either.
    let forged = Principal {
        agency: fx.other_staff.agency,
        ..fx.client(fx.agency(), alice).await
    };
    assert!(
        fx.access
            .authorize(&forged, &Action::View, &Resource::Property(house.id), T0)
            .await
            .unwrap()
            .is_not_found()
    );
    assert_eq!(
        fx.access.dashboard(&rp, house.id, T0).await.unwrap_err(),
        AccessError::NotFound
    );
    assert_eq!(
        fx.access.download(&rp, doc.id, T0).await.unwrap_err(),
        AccessError::NotFound
    );
    // Staff of the other agency cannot reach anything of this one.
    let o = &fx.other_staff;
    assert_eq!(
        fx.access
            .create_grant(
                o,
                GrantSpec {
                    subject: Subject::Account(rival),
                    property: house.id,
                    role: Role::Landlord,
                    scopes: BTreeSet::new(),
                    buyer_names: BuyerNameDisplay::Hidden,
                    valid_from: None,
                    valid_until: None,
                },
                T0
            )
            .await
            .unwrap_err(),
        GrantError::PropertyNotFound
    );
    let rival_house = fx
        .property_of(o, PropertyKind::Lettings, "9 Rival Rd")
        .await;
    assert_eq!(
        fx.access
            .create_grant(
                o,
                GrantSpec {
                    subject: Subject::Account(alice),
                    property: rival_house.id,
                    role: Role::Landlord,
                    scopes: BTreeSet::new(),
                    buyer_names: BuyerNameDisplay::Hidden,
                    valid_from: None,
                    valid_until: None,
                },
                T0
            )
            .await
            .unwrap_err(),
        GrantError::SubjectNotFound
    );
    assert_eq!(
        fx.access.revoke_grant(o, g.id, T0).await.unwrap_err(),
        GrantError::NotFound
    );
    assert_eq!(
        fx.access.unshare_document(o, doc.id, T0).await.unwrap_err(),
        AccessError::NotFound
    );
    assert_eq!(
        fx.access.start_preview(o, alice, T0).await.unwrap_err(),
        PreviewError::AccountNotFound
    );
    assert_eq!(
        fx.access.grants_on(o, house.id).await.unwrap_err(),
        GrantError::PropertyNotFound
    );
    assert_eq!(
        fx.access
            .grants_of(o, Subject::Account(alice))
            .await
            .unwrap_err(),
        GrantError::SubjectNotFound
    );
    assert_eq!(
        fx.access.shared_documents(o, house.id).await.unwrap_err(),
        AccessError::NotFound
    );
}

#[tokio::test]
async fn checklist_38_revoked_grant_takes_effect_on_the_next_request() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let a = fx.property(PropertyKind::Lettings, "1 A St").await;
    let b = fx.property(PropertyKind::Lettings, "2 B St").await;
    let ga = fx
        .grant(
            Subject::Account(alice),
            a.id,
            Role::Landlord,
            &all_lettings_scopes(),
        )
        .await;
    let gb = fx
        .grant(
            Subject::Account(alice),
            b.id,
            Role::Landlord,
            &all_lettings_scopes(),
        )
        .await;
    let p = fx.client(fx.agency(), alice).await;
    let view = |id| Resource::Property(id);
    assert!(
        fx.access
            .authorize(&p, &Action::View, &view(a.id), T0)
            .await
            .unwrap()
            .allowed
    );

    // Revoking one of two grants: refused at once, the session lives on.
    let r = fx.access.revoke_grant(&fx.staff, ga.id, T0).await.unwrap();
    assert_eq!(r.sessions_ended, 0);
    let d = fx
        .access
        .authorize(&p, &Action::View, &view(a.id), T0)
        .await
        .unwrap();
    assert_eq!(d.reason, Reason::NoGrant);
    assert_eq!(
        fx.store
            .sessions_of(fx.agency(), alice)
            .await
            .unwrap()
            .len(),
        1
    );

    // Narrowing scopes: refused at once.
    fx.access
        .update_grant(
            &fx.staff,
            gb.id,
            GrantChanges {
                scopes: Some(BTreeSet::new()),
                ..GrantChanges::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert!(
        !fx.access
            .authorize(&p, &view_widget(w::PROPERTY_BALANCE), &view(b.id), T0)
            .await
            .unwrap()
            .allowed
    );

    // Revoking the last grant: every session of the account ends, and the next request is
    // refused.
    let _second = fx.client(fx.agency(), alice).await;
    let r = fx.access.revoke_grant(&fx.staff, gb.id, T0).await.unwrap();
    assert_eq!((r.accounts_cut_off, r.sessions_ended), (1, 2));
    assert!(
        fx.store
            .sessions_of(fx.agency(), alice)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !fx.access
            .authorize(&p, &Action::View, &view(b.id), T0)
            .await
            .unwrap()
            .allowed
    );
    assert!(!fx.audit(AuditKind::SessionsEnded).await.is_empty());
    assert_eq!(fx.audit(AuditKind::GrantChanged).await.len(), 5);
}

#[tokio::test]
async fn checklist_39_preview_is_its_own_read_only_session_audited_with_both() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    fx.grant(
        Subject::Account(alice),
        house.id,
        Role::Landlord,
        &[
            Scope::widget(w::PROPERTY_BALANCE),
            Scope::widget(w::TEAM_MEMBER),
        ],
    )
    .await;
    let client = fx.client(fx.agency(), alice).await;
    let before = fx.store.account(fx.agency(), alice).await.unwrap();

    let started = fx.access.start_preview(&fx.staff, alice, T0).await.unwrap();
    let s = &started.session;
    assert_eq!(
        s.kind,
        SessionKind::Preview {
            staff: "Sam of acme".into()
        }
    );
    assert!(s.absolute_expires_at - s.created_at <= PREVIEW_LIFETIME);
    assert!(s.idle_expires_at <= s.absolute_expires_at);
    assert!(started.token.expose().starts_with("ppvw_"));
    assert_ne!(s.id, client.session);
    // Stored as a preview session, found by the hash of its token.
    let stored = fx
        .store
        .session_by_hash(fx.agency(), &started.token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, s.id);
    let preview = started.principal();
    assert!(preview.is_preview());

    // Sees what the client sees.
    let as_client = fx.access.dashboard(&client, house.id, T0).await.unwrap();
    let as_preview = fx.access.dashboard(&preview, house.id, T0).await.unwrap();
    assert_eq!(as_client, as_preview);
    assert_eq!(
        fx.access.portfolio(&client, T0).await.unwrap(),
        fx.access.portfolio(&preview, T0).await.unwrap()
    );
    // Never writes.
    for r in [Resource::Property(house.id), Resource::Account(alice)] {
        let d = fx
            .access
            .authorize(&preview, &Action::Update, &r, T0)
            .await
            .unwrap();
        assert_eq!(d.reason, Reason::PreviewReadOnly);
        assert!(
            fx.access
                .authorize(&client, &Action::Update, &r, T0)
                .await
                .unwrap()
                .allowed
        );
    }
    // The client's credentials and sessions are untouched.
    assert_eq!(fx.store.account(fx.agency(), alice).await.unwrap(), before);
    let sessions = fx.store.sessions_of(fx.agency(), alice).await.unwrap();
    assert_eq!(sessions.len(), 2);
    // Audited with staff and client.
    let started_ev = fx.audit(AuditKind::PreviewStarted).await;
    assert_eq!(started_ev.len(), 1);
    assert_eq!(started_ev[0].account, Some(alice));
    assert!(matches!(&started_ev[0].actor, Actor::Staff { staff, .. } if staff == "Sam of acme"));
    let viewed = fx.audit(AuditKind::PreviewViewed).await;
    assert_eq!(viewed.len(), 2);
    assert!(viewed.iter().all(|e| e.account == Some(alice)
        && matches!(&e.actor, Actor::Staff { staff, .. } if staff == "Sam of acme")));

    // Every preview is a new session; leaving deletes it.
    let again = fx.access.start_preview(&fx.staff, alice, T0).await.unwrap();
    assert_ne!(again.session.id, s.id);
    assert!(fx.access.end_preview(&preview, T0).await.unwrap());
    assert!(!fx.access.end_preview(&client, T0).await.unwrap());
    assert_eq!(
        fx.store
            .sessions_of(fx.agency(), alice)
            .await
            .unwrap()
            .len(),
        2
    );

    // Refused for a disabled account and for another agency's account.
    let mut change = CredentialChange::new(fx.agency(), alice, T0);
    change.status = Some(AccountStatus::Disabled);
    fx.store.apply_change(&change).await.unwrap();
    assert_eq!(
        fx.access
            .start_preview(&fx.staff, alice, T0)
            .await
            .unwrap_err(),
        PreviewError::AccountDisabled
    );
    let rival = fx.account_in(fx.other_staff.agency, "rita").await;
    assert_eq!(
        fx.access
            .start_preview(&fx.staff, rival, T0)
            .await
            .unwrap_err(),
        PreviewError::AccountNotFound
    );
    // A disabled account's open sessions see nothing.
    assert_eq!(
        fx.access
            .authorize(&client, &Action::View, &Resource::Property(house.id), T0)
            .await
            .unwrap()
            .reason,
        Reason::AccountDisabled
    );
}

// ---------------------------------------------------------------- grants and reasons

#[tokio::test]
async fn reasons_are_human_and_expiry_is_a_function_of_time() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Sales, "1 A St").await;
    let national = fx
        .access
        .create_group(&fx.staff, "National", None, T0)
        .await
        .unwrap();
    let vic = fx
        .access
        .create_group(&fx.staff, "VIC", Some(national.id), T0)
        .await
        .unwrap();
    fx.access
        .add_member(&fx.staff, vic.id, alice, T0)
        .await
        .unwrap();
    let from = datetime!(2026-07-01 00:00 UTC);
    let until = datetime!(2027-01-31 00:00 UTC);
    fx.grant_spec(GrantSpec {
        subject: Subject::Group(national.id),
        property: house.id,
        role: Role::Landlord,
        scopes: [Scope::widget(w::VIEWINGS)].into(),
        buyer_names: BuyerNameDisplay::FirstName,
        valid_from: Some(from),
        valid_until: Some(until),
    })
    .await;
    let p = fx.client(fx.agency(), alice).await;
    let ask = |at| {
        let fx = &fx;
        let p = &p;
        async move {
            fx.access
                .authorize(p, &Action::View, &Resource::Property(house.id), at)
                .await
                .unwrap()
        }
    };
    let before = ask(T0).await;
    assert!(!before.allowed);
    assert_eq!(
        before.reason.to_string(),
        "grant not valid before 2026-07-01"
    );
    let during = ask(from).await;
    assert!(during.allowed);
    assert_eq!(
        during.reason.to_string(),
        "granted as landlord via group National until 2027-01-31"
    );
    let last = ask(until - Duration::nanoseconds(1)).await;
    assert!(last.allowed);
    let after = ask(until).await;
    assert!(!after.allowed);
    assert_eq!(after.reason.to_string(), "grant expired on 2027-01-31");
    // Staff ask the same question about the account.
    let explained = fx
        .access
        .explain(
            &fx.staff,
            alice,
            &Action::View,
            &Resource::Property(house.id),
            from,
        )
        .await
        .unwrap();
    assert_eq!(explained, during);
    let direct = fx
        .grant(Subject::Account(alice), house.id, Role::Vendor, &[])
        .await;
    let d = ask(from).await;
    assert_eq!(d.reason.to_string(), "granted as vendor directly");
    assert!(matches!(d.reason, Reason::Granted { grant, .. } if grant == direct.id));
}

#[tokio::test]
async fn grant_input_is_checked() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let spec = |scopes: BTreeSet<Scope>, from, until| GrantSpec {
        subject: Subject::Account(alice),
        property: house.id,
        role: Role::Tenant,
        scopes,
        buyer_names: BuyerNameDisplay::Hidden,
        valid_from: from,
        valid_until: until,
    };
    let err = |s| {
        let fx = &fx;
        async move { fx.access.create_grant(&fx.staff, s, T0).await.unwrap_err() }
    };
    assert_eq!(
        err(spec([Scope::widget("made_up")].into(), None, None)).await,
        GrantError::UnknownWidget("made_up".into())
    );
    assert_eq!(
        err(spec(BTreeSet::new(), Some(T0), Some(T0))).await,
        GrantError::EmptyWindow
    );
    let mut s = spec(BTreeSet::new(), None, None);
    s.property = PropertyId::from_random_bytes([3; 16]);
    assert_eq!(err(s).await, GrantError::PropertyNotFound);
    let mut s = spec(BTreeSet::new(), None, None);
    s.subject = Subject::Group(GroupId::from_random_bytes([4; 16]));
    assert_eq!(err(s).await, GrantError::SubjectNotFound);
    assert_eq!(
        fx.access
            .revoke_grant(&fx.staff, GrantId::from_random_bytes([5; 16]), T0)
            .await
            .unwrap_err(),
        GrantError::NotFound
    );
}

// ---------------------------------------------------------------- groups

#[tokio::test]
async fn group_cycles_are_refused() {
    let fx = Fx::new().await;
    let a = fx
        .access
        .create_group(&fx.staff, "National", None, T0)
        .await
        .unwrap();
    let b = fx
        .access
        .create_group(&fx.staff, "VIC", Some(a.id), T0)
        .await
        .unwrap();
    let c = fx
        .access
        .create_group(&fx.staff, "Melbourne", Some(b.id), T0)
        .await
        .unwrap();
    let move_under = |g: GroupId, parent: GroupId| {
        let fx = &fx;
        async move {
            fx.access
                .update_group(
                    &fx.staff,
                    g,
                    GroupChanges {
                        name: None,
                        parent: Some(Some(parent)),
                    },
                    T0,
                )
                .await
        }
    };
    let e = move_under(a.id, c.id).await.unwrap_err();
    assert_eq!(
        e,
        GroupError::Cycle {
            group: a.id,
            parent: c.id
        }
    );
    assert!(e.to_string().contains("cycle"));
    assert!(matches!(
        move_under(b.id, b.id).await,
        Err(GroupError::Cycle { .. })
    ));
    // A legal move works; unknown parents and duplicate names are refused.
    move_under(c.id, a.id).await.unwrap();
    assert_eq!(
        move_under(c.id, GroupId::from_random_bytes([1; 16]))
            .await
            .unwrap_err(),
        GroupError::ParentNotFound
    );
    assert_eq!(
        fx.access
            .create_group(&fx.staff, "VIC", None, T0)
            .await
            .unwrap_err(),
        GroupError::NameTaken
    );
    assert_eq!(
        fx.access
            .create_group(&fx.staff, " \n ", None, T0)
            .await
            .unwrap_err(),
        GroupError::InvalidName
    );
    assert_eq!(
        fx.access
            .delete_group(&fx.staff, a.id, T0)
            .await
            .unwrap_err(),
        GroupError::HasSubgroups
    );
    // Another agency's group is not found.
    assert_eq!(
        fx.access
            .update_group(&fx.other_staff, a.id, GroupChanges::default(), T0)
            .await
            .unwrap_err(),
        GroupError::NotFound
    );
}

#[tokio::test]
async fn group_access_flows_down_and_stops_when_membership_ends() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let national = fx
        .access
        .create_group(&fx.staff, "National", None, T0)
        .await
        .unwrap();
    let vic = fx
        .access
        .create_group(&fx.staff, "VIC", Some(national.id), T0)
        .await
        .unwrap();
    let melb = fx
        .access
        .create_group(&fx.staff, "Melbourne", Some(vic.id), T0)
        .await
        .unwrap();
    fx.access
        .add_member(&fx.staff, melb.id, alice, T0)
        .await
        .unwrap();
    fx.grant(
        Subject::Group(national.id),
        house.id,
        Role::Landlord,
        &[Scope::widget(w::PROPERTY_BALANCE)],
    )
    .await;
    fx.grant(
        Subject::Group(vic.id),
        house.id,
        Role::Landlord,
        &[Scope::widget(w::TENANT_BALANCE)],
    )
    .await;
    let p = fx.client(fx.agency(), alice).await;
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    assert_eq!(
        ready_ids(&dash),
        vec![w::PROPERTY_BALANCE, w::TENANT_BALANCE]
    );
    let portfolio = fx.access.portfolio(&p, T0).await.unwrap();
    assert_eq!(portfolio.len(), 1);
    assert_eq!(
        portfolio[0].via_groups,
        ["National".to_string(), "VIC".to_string()].into()
    );
    // Moving Melbourne to the top cuts what National and VIC granted, and with it the sessions.
    fx.access
        .update_group(
            &fx.staff,
            melb.id,
            GroupChanges {
                name: None,
                parent: Some(None),
            },
            T0,
        )
        .await
        .unwrap();
    assert!(fx.access.portfolio(&p, T0).await.unwrap().is_empty());
    assert!(
        fx.store
            .sessions_of(fx.agency(), alice)
            .await
            .unwrap()
            .is_empty()
    );
    // Back under VIC, then out of the group: same.
    fx.access
        .update_group(
            &fx.staff,
            melb.id,
            GroupChanges {
                name: None,
                parent: Some(Some(vic.id)),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(fx.access.portfolio(&p, T0).await.unwrap().len(), 1);
    assert!(
        fx.access
            .remove_member(&fx.staff, melb.id, alice, T0)
            .await
            .unwrap()
    );
    assert!(fx.access.portfolio(&p, T0).await.unwrap().is_empty());
}

// ---------------------------------------------------------------- settings and portfolio

#[tokio::test]
async fn agency_settings_hide_widgets_and_kinds() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let let_ = fx.property(PropertyKind::Lettings, "1 Let St").await;
    let sale = fx.property(PropertyKind::Sales, "2 Sale St").await;
    fx.grant(
        Subject::Account(alice),
        let_.id,
        Role::Landlord,
        &all_lettings_scopes(),
    )
    .await;
    fx.grant(
        Subject::Account(alice),
        sale.id,
        Role::Vendor,
        &all_sales_scopes(),
    )
    .await;
    let p = fx.client(fx.agency(), alice).await;
    assert_eq!(fx.access.portfolio(&p, T0).await.unwrap().len(), 2);
    let dash = fx.access.dashboard(&p, let_.id, T0).await.unwrap();
    assert!(dash.widgets.iter().any(|v| v.id == w::LANDLORD_FLOAT));

    fx.access
        .set_visibility(
            &fx.staff,
            Visibility {
                hidden_widgets: vec![w::LANDLORD_FLOAT.into()],
                hide_lettings: false,
                hide_sales: true,
            },
            T0,
        )
        .await
        .unwrap();
    let dash = fx.access.dashboard(&p, let_.id, T0).await.unwrap();
    assert!(!dash.widgets.iter().any(|v| v.id == w::LANDLORD_FLOAT));
    let d = fx
        .access
        .authorize(
            &p,
            &view_widget(w::LANDLORD_FLOAT),
            &Resource::Property(let_.id),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        d.reason.to_string(),
        "widget landlord_float is hidden by the agency"
    );
    let portfolio = fx.access.portfolio(&p, T0).await.unwrap();
    assert_eq!(portfolio.len(), 1);
    assert_eq!(portfolio[0].property, let_.id);
    let d = fx
        .access
        .authorize(&p, &Action::View, &Resource::Property(sale.id), T0)
        .await
        .unwrap();
    assert_eq!(
        d.reason.to_string(),
        "sales properties are hidden by the agency"
    );
    // A widget of the wrong kind is never shown.
    let d = fx
        .access
        .authorize(
            &p,
            &view_widget(w::CURRENT_OFFERS),
            &Resource::Property(let_.id),
            T0,
        )
        .await
        .unwrap();
    assert!(matches!(d.reason, Reason::WidgetNotForKind { .. }));
    // Unknown widget ids are refused in settings.
    assert!(matches!(
        fx.access
            .set_visibility(
                &fx.staff,
                Visibility {
                    hidden_widgets: vec!["nope".into()],
                    ..Visibility::default()
                },
                T0
            )
            .await,
        Err(AccessError::Invalid { .. })
    ));
    assert_eq!(fx.audit(AuditKind::SettingsChanged).await.len(), 1);
}

// ---------------------------------------------------------------- dashboard

#[tokio::test(start_paused = true)]
async fn dashboard_renders_everything_but_a_failing_and_a_slow_widget() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    fx.grant(
        Subject::Account(alice),
        house.id,
        Role::Landlord,
        &all_lettings_scopes(),
    )
    .await;
    fx.host
        .fail(
            HostCall::PropertyBalance,
            HostError::Unavailable("boom".into()),
        )
        .delay(HostCall::TenantBalance, std::time::Duration::from_secs(30))
        .delay(
            HostCall::LandlordFloat,
            std::time::Duration::from_millis(1500),
        )
        .add_team_member(
            "mgr-1",
            TeamMember {
                first_name: "Pat".into(),
                last_name: "Manager".into(),
                title: Some("Property manager".into()),
                phone: None,
                email: Some("pat@acme.example".into()),
                photo_url: None,
            },
        );
    let p = fx.client(fx.agency(), alice).await;
    let started = tokio::time::Instant::now();
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    // Concurrent: the whole dashboard took the time limit, not the sum of the delays.
    assert_eq!(started.elapsed(), crate::access::DEFAULT_WIDGET_TIMEOUT);
    let state = |id: &str| {
        dash.widgets
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.state.clone())
            .unwrap()
    };
    assert_eq!(
        state(w::PROPERTY_BALANCE),
        WidgetState::Unavailable {
            reason: Unavailable::Failed
        }
    );
    assert_eq!(
        state(w::TENANT_BALANCE),
        WidgetState::Unavailable {
            reason: Unavailable::TimedOut
        }
    );
    let ids: Vec<&str> = dash.widgets.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            w::PROPERTY_STATEMENT,
            w::PROPERTY_BALANCE,
            w::TENANT_BALANCE,
            w::LANDLORD_FLOAT,
            w::FUTURE_DEDUCTIONS,
            w::STATEMENT_DOCUMENTS,
            w::DOCUMENTS,
            w::CERTIFICATE_DOCUMENTS,
            w::INSPECTION_DOCUMENTS,
            w::INSPECTION_REPORTS,
            w::TENANCY_DOCUMENTS,
            w::TEAM_MEMBER,
        ]
    );
    let ready = ready_ids(&dash);
    assert_eq!(ready.len(), ids.len() - 2, "{ready:?}");
    assert!(matches!(
        state(w::TEAM_MEMBER),
        WidgetState::Ready {
            data: WidgetData::TeamMember(ref m)
        } if m.first_name == "Pat"
    ));
    // A shorter limit makes the slower one time out too.
    let quick = fx
        .access
        .clone()
        .with_widget_timeout(std::time::Duration::from_secs(1));
    let dash = quick.dashboard(&p, house.id, T0).await.unwrap();
    assert_eq!(ready_ids(&dash).len(), ids.len() - 3);
}

#[tokio::test]
async fn buyer_names_appear_exactly_as_the_grant_says() {
    for (display, first, last) in [
        (BuyerNameDisplay::FullName, true, true),
        (BuyerNameDisplay::FirstName, true, false),
        (BuyerNameDisplay::Hidden, false, false),
    ] {
        let fx = Fx::new().await;
        let alice = fx.account("alice").await;
        let house = fx.property(PropertyKind::Sales, "1 A St").await;
        fx.grant_spec(GrantSpec {
            subject: Subject::Account(alice),
            property: house.id,
            role: Role::Vendor,
            scopes: all_sales_scopes().into_iter().collect(),
            buyer_names: display,
            valid_from: None,
            valid_until: None,
        })
        .await;
        let p = fx.client(fx.agency(), alice).await;
        let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
        let mut seen = 0;
        for v in &dash.widgets {
            let WidgetState::Ready { data } = &v.state else {
                continue;
            };
            let names: Vec<&Option<crate::host::PersonName>> = match data {
                WidgetData::Offers(o) => o.iter().map(|o| &o.buyer).collect(),
                WidgetData::Viewings { past, future } => {
                    past.iter().chain(future).map(|v| &v.buyer).collect()
                }
                WidgetData::Feedback(f) => f.iter().map(|f| &f.buyer).collect(),
                _ => continue,
            };
            assert!(!names.is_empty(), "{}", v.id);
            for n in names {
                seen += 1;
                assert_eq!(
                    n.as_ref().map(|n| n.first.as_str()),
                    first.then_some("Jane")
                );
                assert_eq!(
                    n.as_ref().and_then(|n| n.last.as_deref()),
                    last.then_some("Doe")
                );
            }
            let json = serde_json::to_string(data).unwrap();
            assert_eq!(json.contains("Jane"), first, "{json}");
            assert_eq!(json.contains("Doe"), last, "{json}");
        }
        assert_eq!(seen, 3, "offers, viewings and feedback each name a buyer");
    }
}

#[tokio::test]
async fn team_member_card_follows_the_property() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let member = |n: &str| TeamMember {
        first_name: n.into(),
        last_name: "X".into(),
        title: None,
        phone: None,
        email: None,
        photo_url: None,
    };
    fx.host
        .add_team_member("mgr-1", member("Manny"))
        .add_team_member("neg-1", member("Nell"))
        .add_team_member("val-1", member("Val"));
    let card = |id: PropertyId| {
        let fx = &fx;
        async move {
            let p = fx.client(fx.agency(), alice).await;
            let d = fx.access.dashboard(&p, id, T0).await.unwrap();
            d.widgets
                .into_iter()
                .find(|v| v.id == w::TEAM_MEMBER)
                .map(|v| match v.state {
                    WidgetState::Ready {
                        data: WidgetData::TeamMember(m),
                    } => m.first_name,
                    other => panic!("{other:?}"),
                })
        }
    };
    let scopes = [Scope::widget(w::TEAM_MEMBER)];
    let lettings = fx.property(PropertyKind::Lettings, "1 Let St").await;
    fx.grant(
        Subject::Account(alice),
        lettings.id,
        Role::Landlord,
        &scopes,
    )
    .await;
    assert_eq!(card(lettings.id).await.as_deref(), Some("Manny"));
    let sale = fx.property(PropertyKind::Sales, "2 Sale St").await;
    fx.grant(Subject::Account(alice), sale.id, Role::Vendor, &scopes)
        .await;
    assert_eq!(card(sale.id).await.as_deref(), Some("Val"));
    let spec = |neg: Option<&str>, val: Option<&str>| PropertySpec {
        host_ref: "crm-2 Sale St".into(),
        kind: PropertyKind::Sales,
        display_name: "2 Sale St".into(),
        manager: None,
        negotiator: neg.map(|s| StaffRef(s.into())),
        valuer: val.map(|s| StaffRef(s.into())),
    };
    let same = fx
        .access
        .upsert_property(&fx.staff, spec(Some("neg-1"), Some("val-1")), T0)
        .await
        .unwrap();
    assert_eq!(same.id, sale.id);
    assert_eq!(card(sale.id).await.as_deref(), Some("Nell"));
    fx.access
        .upsert_property(&fx.staff, spec(None, None), T0)
        .await
        .unwrap();
    assert_eq!(card(sale.id).await, None);
}

#[tokio::test]
async fn statements_are_generated_on_demand_for_a_period() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let p = fx.client(fx.agency(), alice).await;
    let period = Period {
        from: date!(2026 - 05 - 01),
        to: date!(2026 - 05 - 31),
    };
    assert_eq!(
        fx.access
            .statement(&p, house.id, period, T0)
            .await
            .unwrap_err(),
        AccessError::NotFound
    );
    fx.grant(
        Subject::Account(alice),
        house.id,
        Role::Landlord,
        &[Scope::widget(w::PROPERTY_STATEMENT)],
    )
    .await;
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    assert!(matches!(
        &dash.widgets[0].state,
        WidgetState::Ready { data: WidgetData::StatementForm { default_period } } if *default_period == period
    ));
    let s = fx.access.statement(&p, house.id, period, T0).await.unwrap();
    assert_eq!(s.period, period);
    let backwards = Period {
        from: period.to,
        to: period.from,
    };
    assert!(matches!(
        fx.access.statement(&p, house.id, backwards, T0).await,
        Err(AccessError::Invalid { .. })
    ));
}

struct WeatherWidget;

#[async_trait]
impl Widget for WeatherWidget {
    fn id(&self) -> &str {
        "acme.weather"
    }
    fn title(&self) -> &str {
        "Weather"
    }
    fn applies_to(&self, _kind: PropertyKind) -> bool {
        true
    }
    async fn fetch(&self, ctx: &WidgetContext<'_>) -> Result<Option<WidgetData>, HostError> {
        Ok(Some(WidgetData::Custom(
            ctx.host.custom(&ctx.host_property, self.id()).await?,
        )))
    }
}

#[tokio::test]
async fn hosts_register_their_own_widgets() {
    let mut registry = WidgetRegistry::builtin();
    registry.register(Arc::new(WeatherWidget)).unwrap();
    assert!(registry.register(Arc::new(WeatherWidget)).is_err());
    let fx = Fx::new().await;
    let access = fx.access.clone().with_widgets(registry);
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Sales, "1 A St").await;
    access
        .create_grant(
            &fx.staff,
            GrantSpec {
                subject: Subject::Account(alice),
                property: house.id,
                role: Role::Vendor,
                scopes: [Scope::widget("acme.weather")].into(),
                buyer_names: BuyerNameDisplay::Hidden,
                valid_from: None,
                valid_until: None,
            },
            T0,
        )
        .await
        .unwrap();
    let p = fx.client(fx.agency(), alice).await;
    let dash = access.dashboard(&p, house.id, T0).await.unwrap();
    assert_eq!(ready_ids(&dash), vec!["acme.weather"]);
    let one = access
        .widget(&p, house.id, "acme.weather", T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.id, "acme.weather");
}

// ---------------------------------------------------------------- documents

#[tokio::test]
async fn documents_share_unshare_and_download_by_category_scope() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let share = |host_ref: &str, category| {
        let fx = &fx;
        let share = DocumentShare {
            host_ref: host_ref.into(),
            category,
            title: format!("Doc {host_ref}"),
        };
        async move {
            fx.access
                .share_document(&fx.staff, house.id, share, T0)
                .await
                .unwrap()
        }
    };
    let cert = share("f-cert", DocumentCategory::Certificate).await;
    let tenancy = share("f-ten", DocumentCategory::Tenancy).await;
    assert!(matches!(
        fx.access
            .share_document(
                &fx.staff,
                house.id,
                DocumentShare {
                    host_ref: "f-cert".into(),
                    category: DocumentCategory::General,
                    title: "again".into()
                },
                T0
            )
            .await,
        Err(AccessError::Conflict(_))
    ));
    fx.host.add_document(
        "f-cert",
        DocumentContent {
            file_name: "gas.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF".to_vec(),
        },
    );
    fx.grant(
        Subject::Account(alice),
        house.id,
        Role::Landlord,
        &[
            Scope::widget(w::CERTIFICATE_DOCUMENTS),
            Scope::Documents(DocumentCategory::Certificate),
        ],
    )
    .await;
    let p = fx.client(fx.agency(), alice).await;
    let listed = fx.access.documents(&p, house.id, T0).await.unwrap();
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![cert.id]
    );
    let got = fx.access.download(&p, cert.id, T0).await.unwrap();
    assert_eq!(got.bytes, b"%PDF");
    let d = fx.access.download(&p, tenancy.id, T0).await.unwrap_err();
    assert_eq!(
        d,
        AccessError::Denied(Reason::ScopeMissing {
            scope: Scope::Documents(DocumentCategory::Tenancy)
        })
    );
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    assert!(matches!(
        &dash.widgets[0].state,
        WidgetState::Ready { data: WidgetData::Documents(list) } if list.len() == 1
    ));
    // Unsharing removes it from the portal only: the host is not asked to delete anything.
    let calls_before = fx.host.calls();
    fx.access
        .unshare_document(&fx.staff, cert.id, T0)
        .await
        .unwrap();
    assert_eq!(fx.host.calls(), calls_before);
    assert_eq!(
        fx.access.download(&p, cert.id, T0).await.unwrap_err(),
        AccessError::NotFound
    );
    assert_eq!(fx.audit(AuditKind::DocumentChanged).await.len(), 3);
}

// ---------------------------------------------------------------- deletion, ports

#[tokio::test]
async fn deleting_an_account_removes_its_grants_and_memberships() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let bob = fx.account("bob").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let g = fx
        .access
        .create_group(&fx.staff, "G", None, T0)
        .await
        .unwrap();
    for a in [alice, bob] {
        fx.access.add_member(&fx.staff, g.id, a, T0).await.unwrap();
        fx.grant(Subject::Account(a), house.id, Role::Landlord, &[])
            .await;
    }
    fx.grant(Subject::Group(g.id), house.id, Role::Landlord, &[])
        .await;
    let audit = fx.event(fx.agency(), None, AuditKind::AccountDeleted);
    fx.store
        .delete_account(fx.agency(), alice, &audit)
        .await
        .unwrap();
    let a = fx.agency();
    assert!(
        fx.store
            .grants_for(a, &[Subject::Account(alice)], None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(fx.store.groups_of(a, alice).await.unwrap().is_empty());
    assert_eq!(fx.store.members(a, g.id).await.unwrap(), vec![bob]);
    assert_eq!(fx.store.grants_on(a, house.id).await.unwrap().len(), 2);
    // Removing the property takes its grants with it.
    fx.access
        .remove_property(&fx.staff, house.id, T0)
        .await
        .unwrap();
    assert!(fx.store.grants_on(a, house.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn storage_failure_fails_closed() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    fx.grant(Subject::Account(alice), house.id, Role::Landlord, &[])
        .await;
    let p = fx.client(fx.agency(), alice).await;
    fx.store.set_unavailable(true);
    assert!(
        fx.access
            .authorize(&p, &Action::View, &Resource::Property(house.id), T0)
            .await
            .is_err()
    );
    assert!(matches!(
        fx.access.dashboard(&p, house.id, T0).await,
        Err(AccessError::Store(StoreError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn the_portal_can_hold_it_over_dyn_store() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let access: Access = Access::new(
        store,
        Arc::new(FakeHost::new()),
        Arc::new(crate::testing::ManualClock::at(T0)),
        Arc::new(TestRandom::new(1)),
    );
    assert!(access.widgets().get(w::TEAM_MEMBER).is_some());
}

#[tokio::test]
async fn the_portal_authenticates_previews_and_cuts_off_revoked_clients() {
    use crate::hash::{Argon2Hasher, HashParams};
    let fx = Fx::new().await;
    let clock = crate::testing::ManualClock::at(T0);
    let random: Arc<dyn Random> = Arc::new(TestRandom::new(9));
    let portal = crate::Portal::new(
        fx.store.clone() as Arc<dyn Store>,
        Arc::new(Argon2Hasher::new(HashParams::insecure_for_tests(), 1, random.clone()).unwrap()),
        Arc::new(clock.clone()),
        random,
    );
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let g = fx
        .grant(
            Subject::Account(alice),
            house.id,
            Role::Landlord,
            &all_lettings_scopes(),
        )
        .await;
    let access = fx
        .access
        .clone()
        .with_preview_lifetime(Duration::minutes(10));
    let started = access.start_preview(&fx.staff, alice, T0).await.unwrap();
    assert_eq!(
        started.session.absolute_expires_at,
        T0 + Duration::minutes(10)
    );
    let p = portal
        .authenticate(fx.agency(), started.token.expose())
        .await
        .unwrap();
    assert!(p.is_preview());
    assert_eq!(p, started.principal());
    assert!(access.dashboard(&p, house.id, T0).await.is_ok());
    // Past its lifetime the preview is gone.
    clock.advance(Duration::minutes(11));
    assert!(
        portal
            .authenticate(fx.agency(), started.token.expose())
            .await
            .is_err()
    );
    // Revoking the last grant ends the client's sessions: the next request is refused.
    let again = access
        .start_preview(&fx.staff, alice, clock.now())
        .await
        .unwrap();
    access
        .revoke_grant(&fx.staff, g.id, clock.now())
        .await
        .unwrap();
    assert!(
        portal
            .authenticate(fx.agency(), again.token.expose())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn require_guards_and_audits_refusals() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let p = fx.client(fx.agency(), alice).await;
    let view = Resource::Property(house.id);
    assert_eq!(
        fx.access.require(&p, &Action::View, &view, T0).await,
        Err(AccessError::NotFound)
    );
    fx.grant(Subject::Account(alice), house.id, Role::Landlord, &[])
        .await;
    fx.access
        .require(&p, &Action::View, &view, T0)
        .await
        .unwrap();
    fx.access
        .require(&p, &Action::Update, &Resource::Account(alice), T0)
        .await
        .unwrap();
    assert!(matches!(
        fx.access
            .require(&p, &view_widget(w::PROPERTY_BALANCE), &view, T0)
            .await,
        Err(AccessError::Denied(Reason::ScopeMissing { .. }))
    ));
    let preview = fx
        .access
        .start_preview(&fx.staff, alice, T0)
        .await
        .unwrap()
        .principal();
    assert_eq!(
        fx.access
            .require(&preview, &Action::Update, &view, T0)
            .await,
        Err(AccessError::ReadOnly)
    );
    let denied = fx.audit(AuditKind::AccessDenied).await;
    assert_eq!(denied.len(), 3);
    assert!(
        denied
            .iter()
            .any(|e| matches!(e.actor, Actor::Staff { .. }))
    );
    assert!(denied.iter().all(|e| e.account == Some(alice)));
}

#[test]
fn decisions_serialize_for_the_admin_api() {
    let d = Decision {
        allowed: true,
        reason: Reason::Granted {
            grant: GrantId::from_random_bytes([1; 16]),
            role: Role::Landlord,
            via: Via::Group {
                id: GroupId::from_random_bytes([2; 16]),
                name: "National".into(),
            },
            until: None,
        },
    };
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["reason"]["reason"], "granted");
    assert_eq!(json["reason"]["via"]["name"], "National");
    let back: Decision = serde_json::from_value(json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn default_scopes_follow_the_role() {
    use super::grant::default_scopes;
    let landlord = default_scopes(Role::Landlord, PropertyKind::Lettings);
    assert!(landlord.contains(&Scope::widget(w::PROPERTY_STATEMENT)));
    assert!(landlord.contains(&Scope::Documents(DocumentCategory::Statement)));
    assert_eq!(
        landlord.iter().collect::<BTreeSet<_>>(),
        all_lettings_scopes().iter().collect::<BTreeSet<_>>()
    );
    let tenant = default_scopes(Role::Tenant, PropertyKind::Lettings);
    assert!(tenant.contains(&Scope::widget(w::TENANCY_DOCUMENTS)));
    assert!(tenant.contains(&Scope::Documents(DocumentCategory::Tenancy)));
    assert!(!tenant.contains(&Scope::widget(w::LANDLORD_FLOAT)));
    assert!(!tenant.contains(&Scope::Documents(DocumentCategory::Statement)));
    let vendor = default_scopes(Role::Vendor, PropertyKind::Sales);
    assert!(vendor.contains(&Scope::widget(w::CURRENT_OFFERS)));
    let buyer = default_scopes(Role::Applicant, PropertyKind::Sales);
    assert!(!buyer.contains(&Scope::widget(w::CURRENT_OFFERS)));
    assert!(buyer.contains(&Scope::widget(w::TEAM_MEMBER)));
    // Every default names a registered widget, so a grant accepts it.
    let registry = WidgetRegistry::builtin();
    for role in [
        Role::Landlord,
        Role::Vendor,
        Role::Tenant,
        Role::Applicant,
        Role::Purchaser,
        Role::Customer,
    ] {
        for kind in [PropertyKind::Lettings, PropertyKind::Sales] {
            for s in default_scopes(role, kind) {
                if let Scope::Widget(id) = s {
                    assert!(registry.get(&id).is_some(), "{id}");
                }
            }
        }
    }
}

#[tokio::test]
async fn hidden_and_unscoped_widgets_never_reach_the_host() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    fx.grant(
        Subject::Account(alice),
        house.id,
        Role::Tenant,
        &[
            Scope::widget(w::TENANT_BALANCE),
            Scope::widget(w::LANDLORD_FLOAT),
        ],
    )
    .await;
    fx.access
        .set_visibility(
            &fx.staff,
            Visibility {
                hidden_widgets: vec![w::LANDLORD_FLOAT.into()],
                ..Visibility::default()
            },
            T0,
        )
        .await
        .unwrap();
    let p = fx.client(fx.agency(), alice).await;
    let dash = fx.access.dashboard(&p, house.id, T0).await.unwrap();
    assert_eq!(ready_ids(&dash), vec![w::TENANT_BALANCE]);
    assert_eq!(fx.host.calls(), vec![HostCall::TenantBalance]);
    assert_eq!(dash.roles, [Role::Tenant].into());
}

#[tokio::test]
async fn a_cycle_stored_behind_cores_back_cannot_hang_a_decision() {
    let fx = Fx::new().await;
    let alice = fx.account("alice").await;
    let house = fx.property(PropertyKind::Lettings, "1 A St").await;
    let a = fx
        .access
        .create_group(&fx.staff, "A", None, T0)
        .await
        .unwrap();
    let b = fx
        .access
        .create_group(&fx.staff, "B", Some(a.id), T0)
        .await
        .unwrap();
    fx.access
        .add_member(&fx.staff, b.id, alice, T0)
        .await
        .unwrap();
    fx.grant(Subject::Group(a.id), house.id, Role::Landlord, &[])
        .await;
    // Two racing moves could leave A under B and B under A; the store alone does not refuse it.
    let looped = Group {
        parent: Some(b.id),
        ..a.clone()
    };
    fx.store
        .update_group(
            &looped,
            &fx.event(fx.agency(), None, AuditKind::GroupChanged),
        )
        .await
        .unwrap();
    let p = fx.client(fx.agency(), alice).await;
    let d = fx
        .access
        .authorize(&p, &Action::View, &Resource::Property(house.id), T0)
        .await
        .unwrap();
    assert!(d.allowed);
    assert_eq!(fx.access.portfolio(&p, T0).await.unwrap().len(), 1);
    // And core still refuses to make it worse.
    let c = fx
        .access
        .create_group(&fx.staff, "C", None, T0)
        .await
        .unwrap();
    assert!(matches!(
        fx.access
            .update_group(
                &fx.staff,
                a.id,
                GroupChanges {
                    name: None,
                    parent: Some(Some(b.id)),
                },
                T0
            )
            .await,
        Err(GroupError::Cycle { .. })
    ));
    assert!(
        fx.access
            .update_group(
                &fx.staff,
                c.id,
                GroupChanges {
                    name: None,
                    parent: Some(Some(a.id)),
                },
                T0
            )
            .await
            .is_ok()
    );
}
