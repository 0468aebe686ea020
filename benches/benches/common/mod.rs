//! A portal on the in-memory store shared by the `signin` and `dashboard` benches and the
//! `flood` example: one agency, accounts with a real argon2id password hash, one lettings
//! property that every account holds a grant on (all lettings scopes, the team member card),
//! and a `FakeHost` for host data.
#![allow(dead_code)]

use portico_core::access::grant::GrantSpec;
use portico_core::access::property::PropertySpec;
use portico_core::access::{BuyerNameDisplay, PropertyKind, Role, Scope, Staff, StaffRef, Subject};
use portico_core::hash::PasswordHasher;
use portico_core::host::FakeHost;
use portico_core::idm::argon::{Argon2Hasher, HashParams};
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::{AccountStore, AgencyStore, Store};
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::widget::WidgetRegistry;
use portico_core::*;
use std::sync::Arc;

pub const PASSWORD: &str = "violet tangerine harbour 1987";

pub struct PortalWorld {
    pub store: Arc<MemoryStore>,
    pub portal: Portal,
    pub access: Access<MemoryStore>,
    pub agency: AgencyId,
    /// (account, login).
    pub accounts: Vec<(AccountId, String)>,
    /// A lettings property every account may see, with its team member.
    pub property: PropertyId,
    pub host: FakeHost,
    /// The PHC string every account's password is stored as.
    pub phc: String,
    pub now: time::OffsetDateTime,
}

/// Builds the world: `accounts` accounts hashed with `params`, the hasher admitting
/// `max_concurrent` hashes at once.
pub async fn portal_world(
    accounts: usize,
    params: HashParams,
    max_concurrent: usize,
    host: FakeHost,
) -> PortalWorld {
    let store = Arc::new(MemoryStore::new());
    let random = Arc::new(TestRandom::new(11));
    let clock = Arc::new(ManualClock::new());
    let now = clock.now();
    let hasher = Arc::new(Argon2Hasher::new(params, max_concurrent, random.clone()).unwrap());
    let phc = hasher.hash(&Password::new(PASSWORD)).await.unwrap();
    let agency = Agency {
        id: AgencyId::from_random_bytes(random.bytes16().unwrap()),
        slug: "bench".into(),
        name: "Bench Lettings".into(),
        settings: AgencySettings::default(),
        created_at: now,
    };
    store.insert_agency(&agency).await.unwrap();
    let dyn_store: Arc<dyn Store> = store.clone();
    let portal = Portal::new(dyn_store, hasher, clock.clone(), random.clone());
    let access = Access::new(store.clone(), Arc::new(host.clone()), clock, random.clone());
    let staff = Staff {
        agency: agency.id,
        key: None,
        name: "bench".into(),
        address: None,
    };
    let property = access
        .upsert_property(
            &staff,
            PropertySpec {
                host_ref: "P1".into(),
                kind: PropertyKind::Lettings,
                display_name: "1 High Street".into(),
                manager: Some(StaffRef("pm1".into())),
                negotiator: None,
                valuer: None,
            },
            now,
        )
        .await
        .unwrap();
    let scopes: std::collections::BTreeSet<Scope> = WidgetRegistry::builtin()
        .scopes_for(PropertyKind::Lettings)
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for i in 0..accounts {
        let login = format!("client{i}@example.com");
        let account = Account {
            id: AccountId::from_random_bytes(random.bytes16().unwrap()),
            agency: agency.id,
            username: login.clone(),
            username_key: login_key(&login),
            email: login.clone(),
            email_key: login_key(&login),
            display_name: format!("Client {i}"),
            status: AccountStatus::Active,
            password_hash: Some(phc.clone()),
            created_at: now,
            activated_at: Some(now),
            password_changed_at: Some(now),
        };
        let audit = AuditEvent {
            id: AuditId::from_random_bytes(random.bytes16().unwrap()),
            agency: agency.id,
            at: now,
            actor: Actor::System,
            account: Some(account.id),
            kind: AuditKind::AccessSetUp,
            address: None,
            detail: String::new(),
        };
        store.insert_account(&account, None, &audit).await.unwrap();
        access
            .create_grant(
                &staff,
                GrantSpec {
                    subject: Subject::Account(account.id),
                    property: property.id,
                    role: Role::Landlord,
                    scopes: scopes.clone(),
                    buyer_names: BuyerNameDisplay::FirstName,
                    valid_from: None,
                    valid_until: None,
                },
                now,
            )
            .await
            .unwrap();
        out.push((account.id, login));
    }
    PortalWorld {
        store,
        portal,
        access,
        agency: agency.id,
        accounts: out,
        property: property.id,
        host,
        phc: phc.as_str().to_string(),
        now,
    }
}
