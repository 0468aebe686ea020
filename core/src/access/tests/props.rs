//! Property tests of the decision point against a naive model: the union of the live grants
//! held by the account and by every group on its group chain.

use super::*;
use proptest::prelude::*;

const ACCOUNTS: usize = 3;
const PROPERTIES: usize = 3;
const GROUPS: usize = 4;

fn universe() -> Vec<Scope> {
    vec![
        Scope::widget(w::PROPERTY_BALANCE),
        Scope::widget(w::CURRENT_OFFERS),
        Scope::widget(w::TEAM_MEMBER),
        Scope::widget(w::STATEMENT_DOCUMENTS),
        Scope::Documents(DocumentCategory::Statement),
        Scope::Documents(DocumentCategory::General),
    ]
}

#[derive(Debug, Clone)]
struct GrantGen {
    /// `Ok(account)` or `Err(group)`.
    subject: Result<usize, usize>,
    property: usize,
    scopes: Vec<bool>,
    from: Option<i64>,
    len: Option<i64>,
}

impl GrantGen {
    fn window(&self) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
        let from = self.from.map(|h| T0 + Duration::hours(h));
        let until = self
            .len
            .map(|l| T0 + Duration::hours(self.from.unwrap_or(-100) + l));
        (from, until)
    }
    fn live(&self, now: OffsetDateTime) -> bool {
        let (from, until) = self.window();
        from.is_none_or(|f| f <= now) && until.is_none_or(|u| now < u)
    }
}

#[derive(Debug, Clone)]
struct World {
    kinds: Vec<PropertyKind>,
    doc_statement: Vec<bool>,
    parents: Vec<Option<usize>>,
    members: Vec<(usize, usize)>,
    grants: Vec<GrantGen>,
    now: i64,
}

fn world() -> impl Strategy<Value = World> {
    let grant = (
        prop_oneof![(0..ACCOUNTS).prop_map(Ok), (0..GROUPS).prop_map(Err)],
        0..PROPERTIES,
        proptest::collection::vec(any::<bool>(), 6),
        proptest::option::of(-72i64..72),
        proptest::option::of(1i64..150),
    )
        .prop_map(|(subject, property, scopes, from, len)| GrantGen {
            subject,
            property,
            scopes,
            from,
            len,
        });
    (
        proptest::collection::vec(
            prop_oneof![Just(PropertyKind::Lettings), Just(PropertyKind::Sales)],
            PROPERTIES,
        ),
        proptest::collection::vec(any::<bool>(), PROPERTIES),
        proptest::collection::vec(proptest::option::of(0usize..GROUPS), GROUPS),
        proptest::collection::vec((0..ACCOUNTS, 0..GROUPS), 0..7),
        proptest::collection::vec(grant, 0..10),
        -96i64..96,
    )
        .prop_map(
            |(kinds, doc_statement, parents, members, grants, now)| World {
                kinds,
                doc_statement,
                // Parents only among earlier groups: a forest, never a cycle.
                parents: parents
                    .into_iter()
                    .enumerate()
                    .map(|(j, p)| p.filter(|_| j > 0).map(|p| p % j.max(1)))
                    .collect(),
                members,
                grants,
                now,
            },
        )
}

#[derive(Debug, Clone)]
enum Query {
    Property(Action),
    Document(Action),
}

fn queries() -> Vec<Query> {
    let mut q: Vec<Query> = vec![
        Query::Property(Action::View),
        Query::Property(Action::Update),
    ];
    for id in [
        w::PROPERTY_BALANCE,
        w::CURRENT_OFFERS,
        w::TEAM_MEMBER,
        w::STATEMENT_DOCUMENTS,
    ] {
        q.push(Query::Property(Action::ViewWidget(id.into())));
    }
    q.push(Query::Document(Action::View));
    q.push(Query::Document(Action::Download));
    q.push(Query::Document(Action::Update));
    q
}

impl World {
    /// The groups of an account: direct memberships and all their ancestors.
    fn chain(&self, account: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for &(a, g) in &self.members {
            if a == account {
                let mut at = Some(g);
                while let Some(x) = at {
                    if !out.insert(x) {
                        break;
                    }
                    at = self.parents[x];
                }
            }
        }
        out
    }

    /// The model's answer, with grant `without` removed.
    fn allowed(
        &self,
        account: usize,
        property: usize,
        q: &Query,
        now: OffsetDateTime,
        without: Option<usize>,
    ) -> bool {
        let chain = self.chain(account);
        let live: Vec<&GrantGen> = self
            .grants
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != without)
            .map(|(_, g)| g)
            .filter(|g| g.property == property && g.live(now))
            .filter(|g| match g.subject {
                Ok(a) => a == account,
                Err(grp) => chain.contains(&grp),
            })
            .collect();
        if live.is_empty() {
            return false;
        }
        let u = universe();
        let union: BTreeSet<&Scope> = live
            .iter()
            .flat_map(|g| {
                u.iter()
                    .zip(&g.scopes)
                    .filter(|(_, on)| **on)
                    .map(|(s, _)| s)
            })
            .collect();
        let kind = self.kinds[property];
        let needed: Vec<Scope> = match q {
            Query::Property(Action::View | Action::Update) => vec![],
            Query::Property(Action::ViewWidget(id)) => {
                let fits = match id.as_str() {
                    w::PROPERTY_BALANCE | w::STATEMENT_DOCUMENTS => kind == PropertyKind::Lettings,
                    w::CURRENT_OFFERS => kind == PropertyKind::Sales,
                    _ => true,
                };
                if !fits {
                    return false;
                }
                if id == w::STATEMENT_DOCUMENTS {
                    vec![
                        Scope::widget(id),
                        Scope::Documents(DocumentCategory::Statement),
                    ]
                } else {
                    vec![Scope::widget(id)]
                }
            }
            Query::Document(Action::View | Action::Download) => {
                vec![Scope::Documents(if self.doc_statement[property] {
                    DocumentCategory::Statement
                } else {
                    DocumentCategory::General
                })]
            }
            _ => return false,
        };
        needed.iter().all(|s| union.contains(s))
    }
}

struct Built {
    fx: Fx,
    accounts: Vec<AccountId>,
    properties: Vec<PropertyId>,
    documents: Vec<DocumentId>,
    grants: Vec<GrantId>,
}

async fn build(world: &World) -> Built {
    let fx = Fx::new().await;
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        accounts.push(fx.account(&format!("client{i}")).await);
    }
    let mut properties = Vec::new();
    let mut documents = Vec::new();
    for (i, kind) in world.kinds.iter().enumerate() {
        let p = fx.property(*kind, &format!("{i} Prop St")).await;
        let d = fx
            .access
            .share_document(
                &fx.staff,
                p.id,
                DocumentShare {
                    host_ref: format!("doc-{i}"),
                    category: if world.doc_statement[i] {
                        DocumentCategory::Statement
                    } else {
                        DocumentCategory::General
                    },
                    title: "Doc".into(),
                },
                T0,
            )
            .await
            .unwrap();
        properties.push(p.id);
        documents.push(d.id);
    }
    let mut groups: Vec<GroupId> = Vec::new();
    for (j, parent) in world.parents.iter().enumerate() {
        let g = fx
            .access
            .create_group(
                &fx.staff,
                &format!("group{j}"),
                parent.map(|p| groups[p]),
                T0,
            )
            .await
            .unwrap();
        groups.push(g.id);
    }
    for &(a, g) in &world.members {
        fx.access
            .add_member(&fx.staff, groups[g], accounts[a], T0)
            .await
            .unwrap();
    }
    let u = universe();
    let mut grants = Vec::new();
    for g in &world.grants {
        let (valid_from, valid_until) = g.window();
        let grant = fx
            .grant_spec(GrantSpec {
                subject: match g.subject {
                    Ok(a) => Subject::Account(accounts[a]),
                    Err(x) => Subject::Group(groups[x]),
                },
                property: properties[g.property],
                role: Role::Landlord,
                scopes: u
                    .iter()
                    .zip(&g.scopes)
                    .filter(|(_, on)| **on)
                    .map(|(s, _)| s.clone())
                    .collect(),
                buyer_names: BuyerNameDisplay::Hidden,
                valid_from,
                valid_until,
            })
            .await;
        grants.push(grant.id);
    }
    Built {
        fx,
        accounts,
        properties,
        documents,
        grants,
    }
}

impl Built {
    fn resource(&self, property: usize, q: &Query) -> (Action, Resource) {
        match q {
            Query::Property(a) => (a.clone(), Resource::Property(self.properties[property])),
            Query::Document(a) => (a.clone(), Resource::Document(self.documents[property])),
        }
    }

    async fn decide(
        &self,
        p: &Principal,
        property: usize,
        q: &Query,
        now: OffsetDateTime,
    ) -> Decision {
        let (action, resource) = self.resource(property, q);
        self.fx
            .access
            .authorize(p, &action, &resource, now)
            .await
            .unwrap()
    }
}

fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deny by default: with no live grant reaching the account, nothing is allowed; and
    /// every decision equals the union of the live grants on the account's group chain.
    #[test]
    fn no_grant_no_access_and_group_access_is_the_union_of_the_chain(world in world()) {
        run(async {
            let b = build(&world).await;
            let now = T0 + Duration::hours(world.now);
            for (a, &account) in b.accounts.iter().enumerate() {
                let p = b.fx.client(b.fx.agency(), account).await;
                for prop in 0..PROPERTIES {
                    for q in queries() {
                        let d = b.decide(&p, prop, &q, now).await;
                        let expected = world.allowed(a, prop, &q, now, None);
                        assert_eq!(d.allowed, expected, "{q:?} on {prop} for {a}: {d:?}");
                        let any_live = world.allowed(a, prop, &Query::Property(Action::View), now, None);
                        if !any_live {
                            assert!(!d.allowed);
                        }
                    }
                }
            }
        });
    }

    /// Another agency's objects are never reachable, whatever that agency's grants.
    #[test]
    fn another_agency_never(world in world()) {
        run(async {
            let b = build(&world).await;
            let now = T0 + Duration::hours(world.now);
            let rival = b.fx.account_in(b.fx.other_staff.agency, "rival").await;
            let mine = b.fx.property_of(&b.fx.other_staff, PropertyKind::Lettings, "R").await;
            b.fx.access.create_grant(&b.fx.other_staff, GrantSpec {
                subject: Subject::Account(rival),
                property: mine.id,
                role: Role::Landlord,
                scopes: universe().into_iter().collect(),
                buyer_names: BuyerNameDisplay::FullName,
                valid_from: None,
                valid_until: None,
            }, T0).await.unwrap();
            let rp = b.fx.client(b.fx.other_staff.agency, rival).await;
            for prop in 0..PROPERTIES {
                for q in queries() {
                    let d = b.decide(&rp, prop, &q, now).await;
                    assert!(!d.allowed && d.is_not_found(), "{d:?}");
                }
            }
            // A principal of the other agency naming this agency's accounts finds nothing.
            for &account in &b.accounts {
                let forged = Principal { agency: b.fx.other_staff.agency, ..b.fx.client(b.fx.agency(), account).await };
                for prop in 0..PROPERTIES {
                    for q in queries() {
                        assert!(b.decide(&forged, prop, &q, now).await.is_not_found());
                    }
                }
            }
        });
    }

    /// After a revocation or an expiry the decision is a denial at once; removing a grant
    /// never adds access; an account left with no grant has its sessions ended.
    #[test]
    fn revoke_and_expiry_deny_at_once_and_removal_never_adds(world in world(), pick in any::<prop::sample::Index>()) {
        run(async {
            let b = build(&world).await;
            let now = T0 + Duration::hours(world.now);
            let mut principals = Vec::new();
            for &account in &b.accounts {
                principals.push(b.fx.client(b.fx.agency(), account).await);
            }
            let mut before = Vec::new();
            for p in &principals {
                for prop in 0..PROPERTIES {
                    for q in queries() {
                        before.push(b.decide(p, prop, &q, now).await.allowed);
                    }
                }
            }
            if b.grants.is_empty() {
                assert!(before.iter().all(|a| !a));
                return;
            }
            let k = pick.index(b.grants.len());
            b.fx.access.revoke_grant(&b.fx.staff, b.grants[k], now).await.unwrap();
            let mut i = 0;
            for (a, p) in principals.iter().enumerate() {
                for prop in 0..PROPERTIES {
                    for q in queries() {
                        let after = b.decide(p, prop, &q, now).await.allowed;
                        assert!(!after || before[i], "removing a grant added access");
                        assert_eq!(after, world.allowed(a, prop, &q, now, Some(k)));
                        i += 1;
                    }
                }
            }
            // Far in the future every grant with an end has ended.
            let later = T0 + Duration::days(365);
            for (a, p) in principals.iter().enumerate() {
                for prop in 0..PROPERTIES {
                    let d = b.decide(p, prop, &Query::Property(Action::View), later).await;
                    assert_eq!(d.allowed, world.allowed(a, prop, &Query::Property(Action::View), later, Some(k)));
                }
            }
            // Sessions of accounts left with nothing current or future are gone.
            let mut remaining = world.clone();
            remaining.grants.remove(k);
            for (a, &account) in b.accounts.iter().enumerate() {
                let chain = remaining.chain(a);
                let reached = world.grants[k].subject == Ok(a)
                    || matches!(world.grants[k].subject, Err(g) if chain.contains(&g));
                let left = remaining.grants.iter().any(|g| {
                    let mine = match g.subject { Ok(x) => x == a, Err(x) => chain.contains(&x) };
                    mine && g.window().1.is_none_or(|u| now < u)
                });
                let sessions = b.fx.store.sessions_of(b.fx.agency(), account).await.unwrap().len();
                if reached && !left {
                    assert_eq!(sessions, 0);
                } else {
                    assert_eq!(sessions, 1);
                }
            }
        });
    }

    /// A preview sees at most what its client sees — here exactly — and never writes.
    #[test]
    fn preview_is_a_subset_of_client_and_never_writes(world in world()) {
        run(async {
            let b = build(&world).await;
            let now = T0 + Duration::hours(world.now);
            for &account in &b.accounts {
                let client = b.fx.client(b.fx.agency(), account).await;
                let preview = b.fx.access.start_preview(&b.fx.staff, account, now).await.unwrap().principal();
                for prop in 0..PROPERTIES {
                    for q in queries() {
                        let c = b.decide(&client, prop, &q, now).await;
                        let v = b.decide(&preview, prop, &q, now).await;
                        assert!(!v.allowed || c.allowed);
                        match &q {
                            Query::Property(Action::Update) | Query::Document(Action::Update) => {
                                assert!(!v.allowed);
                            }
                            _ => assert_eq!(v, c),
                        }
                    }
                }
            }
        });
    }
}
