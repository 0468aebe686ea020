//! One authorization decision on a generated agency: 10,000 accounts, 50,000 properties,
//! 100,000 grants, client groups three deep (10 national → 100 regional → 1,000 local).
//!
//! The decision measured is `Access::authorize` over the in-memory store: the very code path
//! the portal runs on each request (account, resource, agency settings, group ancestry and
//! grants read afresh, then the pure decision).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use portico_core::access::grant::GrantSpec;
use portico_core::access::property::PropertySpec;
use portico_core::access::{
    Action, BuyerNameDisplay, PropertyKind, Resource, Role, Scope, Staff, Subject,
};
use portico_core::host::{DocumentContent, HostData, HostError, HostProperty};
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::{AccountStore, AgencyStore, SessionStore};
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::widget::ids as w;
use portico_core::*;
use std::hint::black_box;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const ACCOUNTS: usize = 10_000;
const PROPERTIES: usize = 50_000;
const GRANTS: usize = 100_000;
const GROUP_GRANTS: usize = 10_000;
const NOW: OffsetDateTime = datetime!(2026-06-01 09:00 UTC);

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

struct World {
    access: Access<MemoryStore>,
    /// (principal, property reached only through its groups).
    via_group: Vec<(Principal, PropertyId)>,
    /// (principal, property granted directly).
    direct: Vec<(Principal, PropertyId)>,
    /// (principal, property with no grant reaching it).
    denied: Vec<(Principal, PropertyId)>,
}

async fn generate() -> World {
    let store = Arc::new(MemoryStore::new());
    let random = Arc::new(TestRandom::new(7));
    let access = Access::new(
        store.clone(),
        Arc::new(NoHost),
        Arc::new(ManualClock::at(NOW)),
        random.clone(),
    );
    let agency = Agency {
        id: AgencyId::from_random_bytes(random.bytes16().unwrap()),
        slug: "bench".into(),
        name: "Bench Realty".into(),
        settings: AgencySettings::default(),
        created_at: NOW,
    };
    store.insert_agency(&agency).await.unwrap();
    let staff = Staff {
        agency: agency.id,
        key: None,
        name: "bench".into(),
        address: None,
    };
    let mut mix = Mix(42);

    let mut accounts = Vec::with_capacity(ACCOUNTS);
    for i in 0..ACCOUNTS {
        let id = AccountId::from_random_bytes(random.bytes16().unwrap());
        let email = format!("client{i}@example.com");
        let account = Account {
            id,
            agency: agency.id,
            username: email.clone(),
            username_key: email.clone(),
            email: email.clone(),
            email_key: email,
            display_name: format!("Client {i}"),
            status: AccountStatus::Active,
            password_hash: None,
            created_at: NOW,
            activated_at: Some(NOW),
            password_changed_at: None,
        };
        let audit = AuditEvent {
            id: AuditId::from_random_bytes(random.bytes16().unwrap()),
            agency: agency.id,
            at: NOW,
            actor: Actor::System,
            account: Some(id),
            kind: AuditKind::AccessSetUp,
            address: None,
            detail: String::new(),
        };
        store.insert_account(&account, None, &audit).await.unwrap();
        accounts.push(id);
    }

    let mut properties = Vec::with_capacity(PROPERTIES);
    for i in 0..PROPERTIES {
        let p = access
            .upsert_property(
                &staff,
                PropertySpec {
                    host_ref: format!("P{i}"),
                    kind: if i % 2 == 0 {
                        PropertyKind::Lettings
                    } else {
                        PropertyKind::Sales
                    },
                    display_name: format!("{i} High Street"),
                    manager: None,
                    negotiator: None,
                    valuer: None,
                },
                NOW,
            )
            .await
            .unwrap();
        properties.push(p.id);
    }

    // Groups three deep: 10 national, 10 regional under each, 10 local under each regional.
    let mut locals = Vec::new();
    let mut all_groups = Vec::new();
    for n in 0..10 {
        let national = access
            .create_group(&staff, &format!("N{n}"), None, NOW)
            .await
            .unwrap();
        all_groups.push(national.id);
        for r in 0..10 {
            let regional = access
                .create_group(&staff, &format!("N{n}R{r}"), Some(national.id), NOW)
                .await
                .unwrap();
            all_groups.push(regional.id);
            for l in 0..10 {
                let local = access
                    .create_group(&staff, &format!("N{n}R{r}L{l}"), Some(regional.id), NOW)
                    .await
                    .unwrap();
                all_groups.push(local.id);
                locals.push(local.id);
            }
        }
    }
    for (i, &a) in accounts.iter().enumerate() {
        access
            .add_member(&staff, locals[i % locals.len()], a, NOW)
            .await
            .unwrap();
    }

    let scopes: std::collections::BTreeSet<Scope> = [
        Scope::widget(w::PROPERTY_BALANCE),
        Scope::widget(w::CURRENT_OFFERS),
        Scope::widget(w::TEAM_MEMBER),
    ]
    .into();
    let mut direct = Vec::new();
    let mut group_grants: Vec<(GroupId, PropertyId)> = Vec::new();
    for i in 0..GRANTS {
        let property = properties[mix.below(PROPERTIES)];
        let subject = if i < GROUP_GRANTS {
            let g = all_groups[mix.below(all_groups.len())];
            group_grants.push((g, property));
            Subject::Group(g)
        } else {
            let a = accounts[mix.below(ACCOUNTS)];
            direct.push((a, property));
            Subject::Account(a)
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
                    valid_from: None,
                    valid_until: if i % 3 == 0 {
                        Some(NOW + Duration::days(365))
                    } else {
                        None
                    },
                },
                NOW,
            )
            .await
            .unwrap();
    }

    let principal = |account: AccountId| {
        let token =
            portico_core::token::generate(portico_core::token::TokenKind::Session, random.as_ref())
                .unwrap();
        let session = Session {
            id: SessionId::from_random_bytes(random.bytes16().unwrap()),
            agency: agency.id,
            account,
            hash: token.hash(),
            kind: SessionKind::Client,
            created_at: NOW,
            last_seen_at: NOW,
            idle_expires_at: NOW + Duration::hours(1),
            absolute_expires_at: NOW + Duration::hours(12),
            address: None,
            user_agent: None,
        };
        (
            session.clone(),
            Principal {
                agency: agency.id,
                account,
                session: session.id,
                kind: SessionKind::Client,
            },
        )
    };

    // Sample cases: direct grants, grants reached through a national group, denials.
    let mut direct_cases = Vec::new();
    for &(a, p) in direct.iter().step_by(direct.len() / 256) {
        let (s, pr) = principal(a);
        store.insert_session(&s, None).await.unwrap();
        direct_cases.push((pr, p));
    }
    let mut group_cases = Vec::new();
    for (i, &a) in accounts.iter().enumerate().step_by(ACCOUNTS / 256) {
        // The national group over this account's local group.
        let national_index = (i % locals.len()) / 100;
        let national = all_groups[national_index * 111];
        if let Some(&(_, p)) = group_grants.iter().find(|(g, _)| *g == national) {
            let (s, pr) = principal(a);
            store.insert_session(&s, None).await.unwrap();
            group_cases.push((pr, p));
        }
    }
    let mut denied = Vec::new();
    for &a in accounts.iter().step_by(ACCOUNTS / 256) {
        let (s, pr) = principal(a);
        store.insert_session(&s, None).await.unwrap();
        denied.push((pr, properties[mix.below(PROPERTIES)]));
    }
    World {
        access,
        via_group: group_cases,
        direct: direct_cases,
        denied,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let world = rt.block_on(generate());
    eprintln!(
        "generated 10,000 accounts, 50,000 properties, 100,000 grants, 1,110 groups in {:?}",
        started.elapsed()
    );
    // Sanity: the cases decide as expected.
    rt.block_on(async {
        let action = Action::ViewWidget(w::TEAM_MEMBER.into());
        for (p, prop) in world.direct.iter().chain(&world.via_group) {
            let d = world
                .access
                .authorize(p, &action, &Resource::Property(*prop), NOW)
                .await
                .unwrap();
            assert!(d.allowed, "{d:?}");
        }
        let (p, prop) = &world.via_group[0];
        let d = world
            .access
            .authorize(p, &action, &Resource::Property(*prop), NOW)
            .await
            .unwrap();
        eprintln!("example reason: {}", d.reason);
    });

    let mut group = c.benchmark_group("authorize");
    for (name, cases) in [
        ("direct_grant", &world.direct),
        ("via_group_3_deep", &world.via_group),
        ("denied_no_grant", &world.denied),
    ] {
        let action = Action::ViewWidget(w::TEAM_MEMBER.into());
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                i = (i + 1) % cases.len();
                let (p, prop) = &cases[i];
                let access = &world.access;
                let action = &action;
                async move {
                    black_box(
                        access
                            .authorize(p, action, &Resource::Property(*prop), NOW)
                            .await
                            .unwrap(),
                    )
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
