//! Demo mode: the seed (idempotent, real activation flow), the host data behind every widget,
//! the mailbox, and the staff console's page, script and admin calls — all over the in-memory
//! store, with the demo router in front of a `PorticoService` as the server mounts them.

use axum::Router;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use portico_core::access::Staff;
use portico_core::access::records::{PropertyKind, Role, Subject};
use portico_core::hash::{Argon2Hasher, HashParams};
use portico_core::host::Period;
use portico_core::memory::MemoryStore;
use portico_core::model::{AccountStatus, MailContent};
use portico_core::store::Store;
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::widget::WidgetData;
use portico_core::widget::dashboard::WidgetState as DashState;
use portico_core::{Access, Clock, Password, Portal, Random, RequestContext};
use portico_http::{ClientAddress, HttpConfig, PorticoService, RateLimits};
use portico_server::demo::{
    self, CONSOLE_KEY_NAME, DEMO_PASSWORD, DemoError, DemoHost, DemoSeed, DemoState, PROPERTIES,
};
use serde_json::{Value, json};
use std::sync::Arc;
use time::macros::{date, datetime};
use tower::ServiceExt;

const BASE: &str = "http://127.0.0.1:8080";
const SECRET: &[u8; 32] = b"a demo test csrf secret, 32 b!!!";

struct D {
    portal: Portal,
    access: Access,
    store: Arc<dyn Store>,
    clock: ManualClock,
    seed: DemoSeed,
}

struct Resp {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn setup() -> D {
    setup_on(Arc::new(MemoryStore::new()), 31).await
}

/// A portal and access over `store` (random seeds from `rng`, so two "processes" on one
/// database draw different ids), seeded.
async fn setup_on(store: Arc<dyn Store>, rng: u64) -> D {
    let clock = ManualClock::at(datetime!(2026-11-23 10:00 UTC));
    let random: Arc<dyn Random> = Arc::new(TestRandom::new(rng));
    let hasher =
        Arc::new(Argon2Hasher::new(HashParams::insecure_for_tests(), 4, random.clone()).unwrap());
    let portal = Portal::new(store.clone(), hasher, Arc::new(clock.clone()), random);
    let access = Access::new(
        store.clone(),
        Arc::new(DemoHost::at(date!(2026 - 11 - 23))),
        Arc::new(clock.clone()),
        Arc::new(TestRandom::new(rng + 1)),
    );
    let seed = demo::seed(&portal, &access, BASE).await.unwrap();
    D {
        portal,
        access,
        store,
        clock,
        seed,
    }
}

impl D {
    /// The demo router in front of the portal's service, as the server mounts them.
    fn app(&self) -> Router {
        let mut cfg = HttpConfig::new(*SECRET).unwrap();
        cfg.rate_limits = RateLimits::none();
        cfg.secure_cookies = false;
        let svc = PorticoService::builder(self.portal.clone())
            .config(cfg)
            .access(self.access.clone())
            .build()
            .unwrap();
        demo::router(DemoState {
            store: self.store.clone(),
            api_key: self.seed.api_key.clone(),
            slug: self.seed.slug.clone(),
            public_base_url: BASE.into(),
        })
        .fallback_service(svc)
    }

    async fn send(&self, req: Request<Full<Bytes>>) -> Resp {
        self.clock.advance(time::Duration::seconds(1));
        let r = self
            .app()
            .oneshot(req.map(axum::body::Body::new))
            .await
            .unwrap();
        let (parts, body) = r.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(
            Request::get(path)
                .extension(ClientAddress("198.51.100.7".parse().unwrap()))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
    }

    /// An admin call as the console makes it.
    async fn admin_with(&self, key: &str, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header("x-portico-staff", "Demo staff (console)")
            .header("sec-fetch-site", "same-origin")
            .extension(ClientAddress("198.51.100.7".parse().unwrap()));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        self.send(b.body(body).unwrap()).await
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let key = self.seed.api_key.clone();
        self.admin_with(&key, method, path, body).await
    }

    fn staff(&self) -> Staff {
        Staff {
            agency: self.seed.agency.id,
            key: None,
            name: "test".into(),
            address: None,
        }
    }

    /// Everything the seed makes, counted.
    async fn census(&self) -> Vec<(&'static str, usize)> {
        let agency = self.seed.agency.id;
        let staff = self.staff();
        let accounts = self.portal.accounts(agency, 0, 1000).await.unwrap();
        let mut properties = 0;
        let mut documents = 0;
        let mut property_grants = 0;
        for p in PROPERTIES {
            if let Some(found) = self
                .store
                .property_by_host_ref(agency, p.host_ref)
                .await
                .unwrap()
            {
                properties += 1;
                documents += self
                    .access
                    .shared_documents(&staff, found.id)
                    .await
                    .unwrap()
                    .len();
                property_grants += self.access.grants_on(&staff, found.id).await.unwrap().len();
            }
        }
        let groups = self.access.groups(&staff).await.unwrap();
        let mut members = 0;
        for g in &groups {
            members += self.access.members(&staff, g.id).await.unwrap().len();
        }
        let mut account_grants = 0;
        for a in &accounts {
            account_grants += self
                .access
                .grants_of(&staff, Subject::Account(a.id))
                .await
                .unwrap()
                .len();
        }
        let mail = self
            .store
            .outbox(agency, None, 0, 1000)
            .await
            .unwrap()
            .len();
        let agencies = self.store.list_agencies().await.unwrap().len();
        vec![
            ("agencies", agencies),
            ("accounts", accounts.len()),
            ("properties", properties),
            ("documents", documents),
            ("grants on properties", property_grants),
            ("grants of accounts", account_grants),
            ("groups", groups.len()),
            ("group members", members),
            ("mail", mail),
        ]
    }

    /// A client signed in with the demo password.
    async fn client(&self, email: &str) -> portico_core::model::Principal {
        let signed = self
            .portal
            .sign_in(
                self.seed.agency.id,
                email,
                &Password::new(DEMO_PASSWORD),
                &RequestContext::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("{email}: {e}"));
        self.portal
            .authenticate(self.seed.agency.id, signed.token.expose())
            .await
            .unwrap()
    }
}

// ---- seed -------------------------------------------------------------------------------

#[tokio::test]
async fn the_seed_is_idempotent_and_rotates_the_console_key() {
    let d = setup().await;
    let before = d.census().await;
    assert_eq!(before[0], ("agencies", 1));
    assert_eq!(before[1], ("accounts", 6));
    assert_eq!(before[2], ("properties", 6));
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");
    let old_key = d.seed.api_key.clone();
    assert_eq!(
        d.admin(Method::GET, "/admin/v1/agency", None).await.status,
        StatusCode::OK
    );

    d.clock.advance(time::Duration::minutes(5));
    let again = demo::seed(&d.portal, &d.access, BASE).await.unwrap();
    assert_eq!(
        d.census().await,
        before,
        "a second seed duplicated something"
    );
    assert_eq!(again.agency.id, d.seed.agency.id);
    assert_eq!(again.clients, d.seed.clients);
    assert_ne!(again.api_key, old_key);

    // The old console key is dead, the new one works; one live console key remains.
    let old = d
        .admin_with(&old_key, Method::GET, "/admin/v1/agency", None)
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
    let new = d
        .admin_with(&again.api_key, Method::GET, "/admin/v1/agency", None)
        .await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.json()["slug"], "demo");
    let live: Vec<_> = d
        .portal
        .api_keys(d.seed.agency.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.name == CONSOLE_KEY_NAME && k.revoked_at.is_none())
        .collect();
    assert_eq!(live.len(), 1);
}

#[tokio::test]
async fn the_seed_sets_the_agency_up_for_the_demo() {
    let d = setup().await;
    let a = &d.seed.agency;
    assert_eq!((a.slug.as_str(), a.name.as_str()), ("demo", "Harbour & Co"));
    assert_eq!(a.settings.portal_base_url, format!("{BASE}/p/demo"));
    assert!(a.settings.email_code_sign_in);

    // Active accounts went through activation (password set, activated_at), one is invited.
    let accounts = d.portal.accounts(a.id, 0, 100).await.unwrap();
    for c in &d.seed.clients {
        let acc = accounts.iter().find(|x| x.email == c.email).unwrap();
        match &c.password {
            Some(p) => {
                assert_eq!(p, DEMO_PASSWORD);
                assert_eq!(acc.status, AccountStatus::Active, "{}", c.email);
                assert!(acc.activated_at.is_some());
            }
            None => assert_eq!(acc.status, AccountStatus::Invited, "{}", c.email),
        }
    }
    let invited = d
        .seed
        .clients
        .iter()
        .filter(|c| c.password.is_none())
        .count();
    assert_eq!(invited, 1);
    let roles: Vec<&str> = d.seed.clients.iter().map(|c| c.role.as_str()).collect();
    for r in ["tenant", "vendor", "buyer"] {
        assert!(roles.contains(&r), "{roles:?}");
    }

    // A changed public URL moves the links; a bad one is refused before anything is done.
    let moved = demo::seed(&d.portal, &d.access, "https://demo.example/")
        .await
        .unwrap();
    assert_eq!(
        moved.agency.settings.portal_base_url,
        "https://demo.example/p/demo"
    );
    for bad in ["", "ftp://x", "127.0.0.1:8080", "http://a b"] {
        assert!(
            matches!(
                demo::seed(&d.portal, &d.access, bad).await,
                Err(DemoError::BaseUrl)
            ),
            "{bad}"
        );
    }
}

// ---- host data behind every widget ------------------------------------------------------

#[tokio::test]
async fn every_widget_of_every_demo_property_renders_with_data() {
    let d = setup().await;
    let now = d.clock.now();
    let mut seen_by_owners = std::collections::BTreeSet::new();
    for c in d.seed.clients.iter().filter(|c| c.password.is_some()) {
        let principal = d.client(&c.email).await;
        let portfolio = d.access.portfolio(&principal, now).await.unwrap();
        assert!(!portfolio.is_empty(), "{} sees nothing", c.email);
        for entry in portfolio {
            let dash = d
                .access
                .dashboard(&principal, entry.property, now)
                .await
                .unwrap();
            let owner = dash.roles.contains(&Role::Landlord) || dash.roles.contains(&Role::Vendor);
            for w in &dash.widgets {
                let DashState::Ready { data } = &w.state else {
                    panic!(
                        "{} / {}: widget {} {:?}",
                        c.email, dash.display_name, w.id, w.state
                    );
                };
                let has_data = match data {
                    WidgetData::StatementForm { .. } | WidgetData::TeamMember(_) => true,
                    WidgetData::PropertyBalance(b) => !b.transactions.is_empty(),
                    WidgetData::TenantBalance(b) => !b.instalments.is_empty(),
                    WidgetData::LandlordFloat(f) => !f.expenses.is_empty(),
                    WidgetData::FutureDeductions(f) => !f.items.is_empty(),
                    WidgetData::InspectionReports(r) => !r.is_empty(),
                    WidgetData::Documents(docs) => !docs.is_empty(),
                    WidgetData::Offers(o) => !o.is_empty(),
                    WidgetData::Viewings { past, future } => !past.is_empty() && !future.is_empty(),
                    WidgetData::Feedback(f) => !f.is_empty(),
                    other => panic!("unexpected widget data {other:?}"),
                };
                assert!(
                    has_data,
                    "{} / {}: {} is empty",
                    c.email, dash.display_name, w.id
                );
            }
            assert!(
                dash.widgets.iter().any(|w| w.id == "team_member"),
                "{}: no contact card",
                dash.display_name
            );
            if owner {
                // An owner's default scopes cover every widget of the kind.
                let all = d
                    .access
                    .widgets()
                    .iter()
                    .filter(|w| w.applies_to(dash.kind))
                    .count();
                assert_eq!(dash.widgets.len(), all, "{}", dash.display_name);
                seen_by_owners.insert(dash.display_name.clone());
            }
        }
    }
    assert_eq!(seen_by_owners.len(), PROPERTIES.len(), "{seen_by_owners:?}");
}

#[tokio::test]
async fn a_tenant_sees_rent_and_documents_and_an_owner_statements_and_downloads() {
    let d = setup().await;
    let now = d.clock.now();
    let tenant = d.client("tom.reilly@example.com").await;
    let mine = d.access.portfolio(&tenant, now).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, PropertyKind::Lettings);
    let dash = d
        .access
        .dashboard(&tenant, mine[0].property, now)
        .await
        .unwrap();
    let ids: Vec<&str> = dash.widgets.iter().map(|w| w.id.as_str()).collect();
    assert!(ids.contains(&"tenant_balance") && ids.contains(&"tenancy_documents"));
    assert!(!ids.contains(&"property_balance"), "{ids:?}");

    // The buyer sees the sale's documents but not its offers.
    let buyer = d.client("james.whitfield@example.com").await;
    let theirs = d.access.portfolio(&buyer, now).await.unwrap();
    let dash = d
        .access
        .dashboard(&buyer, theirs[0].property, now)
        .await
        .unwrap();
    assert!(dash.widgets.iter().all(|w| w.id != "current_offers"));
    // The vendor sees offers with first names only.
    let vendor = d.client("priya.shah@example.com").await;
    let sale = d.access.portfolio(&vendor, now).await.unwrap()[0].property;
    let dash = d.access.dashboard(&vendor, sale, now).await.unwrap();
    let offers = dash
        .widgets
        .iter()
        .find(|w| w.id == "current_offers")
        .unwrap();
    let DashState::Ready {
        data: WidgetData::Offers(list),
    } = &offers.state
    else {
        panic!("{offers:?}")
    };
    assert!(list.iter().any(|o| {
        o.buyer
            .as_ref()
            .is_some_and(|b| b.first == "James" && b.last.is_none())
    }));

    // A generated statement and every shared document of a let property, as its owner.
    let owner = d.client("margaret.ellison@example.com").await;
    let flat = d
        .access
        .portfolio(&owner, now)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.display_name.starts_with("Flat 4"))
        .unwrap()
        .property;
    let st = d
        .access
        .statement(
            &owner,
            flat,
            Period {
                from: date!(2026 - 10 - 01),
                to: date!(2026 - 10 - 31),
            },
            now,
        )
        .await
        .unwrap();
    assert!(
        st.transactions
            .iter()
            .any(|t| t.description.starts_with("Rent received"))
    );
    let docs = d.access.documents(&owner, flat, now).await.unwrap();
    assert!(docs.len() >= 7, "{docs:?}");
    for doc in docs {
        let content = d.access.download(&owner, doc.id, now).await.unwrap();
        assert!(
            content.bytes.starts_with(b"%PDF-1.4")
                || content.content_type.starts_with("text/plain"),
            "{}",
            doc.title
        );
    }
}

// ---- mailbox ----------------------------------------------------------------------------

/// HTML text with the entities the templates produce decoded.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {s}"))
        + start.len();
    let len = s[from..].find(end).unwrap();
    &s[from..from + len]
}

#[tokio::test]
async fn the_mailbox_shows_the_invitation_and_its_link_works() {
    let d = setup().await;
    let r = d.get("/demo/mailbox").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert_eq!(r.header("cache-control"), "no-store");
    assert!(
        r.body
            .contains("demo mailbox — never enabled in production")
    );
    assert!(r.body.contains("grace.okafor@example.com"));
    assert!(r.body.contains("invitation"));

    let mine = d.get("/demo/mailbox?to=grace.okafor@example.com").await;
    assert!(!mine.body.contains("tom.reilly@example.com"));
    let mine_body = unescape(&mine.body);
    let link = between(&mine_body, "data-testid=\"mail\"", "</article>");
    let href = between(link, "href=\"", "\"");
    assert!(
        href.starts_with(&format!("{BASE}/p/demo/activate?token=pinv_")),
        "{href}"
    );
    // The text body shows the same link, clickable.
    assert!(link.contains("data-testid=\"mail-text-link\""));

    // The link activates Grace's account through the portal's API.
    let token = href.split_once("?token=").unwrap().1;
    let act = d
        .send(
            Request::post("/api/v1/demo/activate")
                .header(header::CONTENT_TYPE, "application/json")
                .header("sec-fetch-site", "same-origin")
                .extension(ClientAddress("198.51.100.7".parse().unwrap()))
                .body(Full::new(Bytes::from(
                    json!({ "token": token, "password": "grace picks a long passphrase 99" })
                        .to_string(),
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(act.status, StatusCode::OK, "{}", act.body);
    // The index shows her state as it is now.
    let idx = d.get("/demo/").await;
    let row = between(
        &idx.body,
        "data-email=\"grace.okafor@example.com\"",
        "</tr>",
    );
    assert!(
        row.contains(">active<") && !row.contains("open the invitation"),
        "{row}"
    );

    // One email on its own page: the HTML the client gets, without any script.
    let id = between(&mine_body, "/demo/mailbox/", "\"");
    let one = d.get(&format!("/demo/mailbox/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.header("content-security-policy").contains("sandbox"));
    assert!(
        one.header("content-security-policy")
            .contains("default-src 'none'")
    );
    assert!(one.body.contains("/p/demo/activate?token=pinv_"));
    assert!(!one.body.to_lowercase().contains("<script"));
    for bad in [
        "not-an-id",
        "00000000-0000-0000-0000-000000000000",
        "%2e%2e",
    ] {
        assert_eq!(
            d.get(&format!("/demo/mailbox/{bad}")).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_mailbox_shows_redacted_mail_and_an_unseeded_agency_plainly() {
    let d = setup().await;
    // A delivered message keeps no link: the mailbox says so instead of rendering it.
    let agency = d.seed.agency.id;
    let first = d.store.outbox(agency, None, 0, 1).await.unwrap().remove(0);
    let claimed = d
        .store
        .claim_mail(
            d.clock.now(),
            d.clock.now() + time::Duration::minutes(5),
            100,
        )
        .await
        .unwrap();
    assert!(claimed.iter().any(|m| m.id == first.id));
    d.store
        .mail_sent(
            first.id,
            d.clock.now(),
            &MailContent::Redacted {
                original: first.content.template().into(),
            },
        )
        .await
        .unwrap();
    let r = d.get("/demo/mailbox").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("removed once it was delivered"));
    assert_eq!(
        d.get(&format!("/demo/mailbox/{}", first.id)).await.status,
        StatusCode::GONE
    );

    // The demo pages over a store without the demo agency.
    let empty = setup().await;
    let app = demo::router(DemoState {
        store: Arc::new(MemoryStore::new()),
        api_key: empty.seed.api_key.clone(),
        slug: "demo".into(),
        public_base_url: BASE.into(),
    });
    let r = app
        .oneshot(
            Request::get("/demo/mailbox")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

// ---- index and console ------------------------------------------------------------------

#[tokio::test]
async fn the_index_and_console_are_served_with_a_strict_csp() {
    let d = setup().await;
    let idx = d.get("/demo/").await;
    assert_eq!(idx.status, StatusCode::OK);
    assert!(idx.body.contains(DEMO_PASSWORD));
    assert!(unescape(&idx.body).contains(&format!("href=\"{BASE}/p/demo/\"")));
    assert!(idx.body.contains("margaret.ellison@example.com"));
    let redirect = d.get("/demo").await;
    assert_eq!(redirect.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.header("location"), "/demo/");

    let page = d.get("/demo/console").await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(page.body.contains(&format!(
        "<meta name=\"portico-admin-key\" content=\"{}\">",
        d.seed.api_key
    )));
    // Every script is a file: no inline script at all.
    for tag in page.body.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        assert!(
            open.contains("src=\"/demo/console.js\""),
            "inline script: {open}"
        );
    }
    for id in [
        "status",
        "refresh-clients",
        "clients-body",
        "setup-email",
        "setup-name",
        "setup-property",
        "setup-role",
        "setup-scopes",
        "setup-invite",
        "setup-submit",
        "preview-link",
        "share-property",
        "share-document",
        "share-submit",
        "shared-docs",
        "refresh-audit",
        "audit-body",
    ] {
        assert!(
            page.body
                .contains(&format!("id=\"{id}\" data-testid=\"{id}\"")),
            "{id}"
        );
    }

    let js = d.get("/demo/console.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(
        js.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert!(js.body.contains("'Authorization': 'Bearer ' + KEY"));
    assert!(!js.body.contains("innerHTML"));
    let css = d.get("/demo/demo.css").await;
    assert!(css.header("content-type").starts_with("text/css"));

    let crm = d.get("/demo/crm.json").await.json();
    assert_eq!(
        crm["properties"].as_array().unwrap().len(),
        PROPERTIES.len()
    );
}

/// Every admin call the console script makes, with the demo key, in the order a member of
/// staff would make them.
#[tokio::test]
async fn the_consoles_admin_calls_work_with_the_demo_key() {
    let d = setup().await;
    let crm = d.get("/demo/crm.json").await.json();

    // Clients and their grants; groups with members and grants.
    let accounts = d
        .admin(Method::GET, "/admin/v1/accounts?limit=200", None)
        .await;
    assert_eq!(accounts.status, StatusCode::OK);
    let accounts = accounts.json()["accounts"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 6);
    let margaret = accounts
        .iter()
        .find(|a| a["email"] == "margaret.ellison@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let grants = d
        .admin(
            Method::GET,
            &format!("/admin/v1/accounts/{margaret}/grants"),
            None,
        )
        .await
        .json();
    assert_eq!(grants["grants"].as_array().unwrap().len(), 4);
    let some_property = grants["grants"][0]["property"]
        .as_str()
        .unwrap()
        .to_string();
    let p = d
        .admin(
            Method::GET,
            &format!("/admin/v1/properties/{some_property}"),
            None,
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let groups = d.admin(Method::GET, "/admin/v1/groups", None).await.json();
    let family = &groups["groups"][0];
    assert_eq!(family["name"], "Okafor family");
    let gid = family["id"].as_str().unwrap();
    let members = d
        .admin(
            Method::GET,
            &format!("/admin/v1/groups/{gid}/members"),
            None,
        )
        .await
        .json();
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    let ggrants = d
        .admin(Method::GET, &format!("/admin/v1/groups/{gid}/grants"), None)
        .await
        .json();
    assert_eq!(ggrants["grants"].as_array().unwrap().len(), 1);

    // Set up a client's access: account, property (upsert: no duplicate), grant, invitation.
    let set = d
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(json!({ "email": "new.tenant@example.com", "display_name": "Nina Tenant", "invite": false })),
        )
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);
    let nina = set.json()["account"]["id"].as_str().unwrap().to_string();
    let house = crm["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["host_ref"] == "HC-L-1002")
        .unwrap()
        .clone();
    let up = d
        .admin(
            Method::POST,
            "/admin/v1/properties",
            Some(json!({
                "host_ref": house["host_ref"], "kind": house["kind"], "display_name": house["display_name"],
                "manager": house["manager"], "negotiator": house["negotiator"], "valuer": house["valuer"],
            })),
        )
        .await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    let house_id = up.json()["property"]["id"].as_str().unwrap().to_string();
    let existing = d
        .store
        .property_by_host_ref(d.seed.agency.id, "HC-L-1002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        house_id,
        existing.id.to_string(),
        "the upsert made a new property"
    );
    let scopes = crm["default_scopes"]["tenant/lettings"].clone();
    let bad = d
        .admin(
            Method::POST,
            "/admin/v1/grants",
            Some(
                json!({ "subject": { "type": "account", "id": nina }, "property": house_id,
                         "role": "tenant", "scopes": ["widget:no_such_widget"] }),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let g = d
        .admin(
            Method::POST,
            "/admin/v1/grants",
            Some(
                json!({ "subject": { "type": "account", "id": nina }, "property": house_id,
                         "role": "tenant", "scopes": scopes, "buyer_names": "hidden" }),
            ),
        )
        .await;
    assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
    let grant = g.json()["grant"]["id"].as_str().unwrap().to_string();
    let inv = d
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{nina}/invitation"),
            None,
        )
        .await;
    assert_eq!(inv.status, StatusCode::CREATED, "{}", inv.body);
    let mailbox = d.get("/demo/mailbox?to=new.tenant@example.com").await;
    assert!(
        unescape(&mailbox.body).contains("/p/demo/activate?token=pinv_"),
        "{}",
        mailbox.body
    );

    // Preview as the client: a URL on the agency's public base.
    let pv = d
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{margaret}/preview"),
            None,
        )
        .await;
    assert_eq!(pv.status, StatusCode::CREATED, "{}", pv.body);
    assert!(
        pv.json()["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{BASE}/p/demo/preview?token=ppvw_"))
    );

    // Share a file the seed left unshared, list, unshare.
    let docs_path = format!("/admin/v1/properties/{house_id}/documents");
    let before = d.admin(Method::GET, &docs_path, None).await.json()["documents"]
        .as_array()
        .unwrap()
        .len();
    let letter = house["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["host_ref"] == "letter-rent-review")
        .unwrap()
        .clone();
    let shared = d
        .admin(
            Method::POST,
            &docs_path,
            Some(json!({ "host_ref": letter["host_ref"], "category": letter["category"], "title": letter["title"] })),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let doc_id = shared.json()["document"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let after = d.admin(Method::GET, &docs_path, None).await.json()["documents"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before + 1);
    let again = d
        .admin(
            Method::POST,
            &docs_path,
            Some(json!({ "host_ref": letter["host_ref"], "category": letter["category"], "title": "again" })),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let un = d
        .admin(
            Method::DELETE,
            &format!("/admin/v1/documents/{doc_id}"),
            None,
        )
        .await;
    assert_eq!(un.status, StatusCode::NO_CONTENT);

    // Revoke the grant; disable and enable an account.
    let rv = d
        .admin(Method::DELETE, &format!("/admin/v1/grants/{grant}"), None)
        .await;
    assert_eq!(rv.status, StatusCode::OK, "{}", rv.body);
    let tom = accounts
        .iter()
        .find(|a| a["email"] == "tom.reilly@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (action, want) in [("disable", "disabled"), ("enable", "active")] {
        let r = d
            .admin(
                Method::POST,
                &format!("/admin/v1/accounts/{tom}/{action}"),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{action}: {}", r.body);
        let a = d
            .admin(Method::GET, &format!("/admin/v1/accounts/{tom}"), None)
            .await
            .json();
        assert_eq!(a["account"]["status"], want);
    }

    // The audit log, latest 50, newest first, names the console as the actor.
    let audit = d.admin(Method::GET, "/admin/v1/audit?limit=50", None).await;
    assert_eq!(audit.status, StatusCode::OK);
    let events = audit.json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 50);
    assert!(
        events
            .windows(2)
            .all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str())
    );
    assert!(
        events
            .iter()
            .any(|e| e["actor"].to_string().contains("Demo staff (console)"))
    );

    // Without the key, or with a wrong one, nothing.
    let none = d
        .send(
            Request::get("/admin/v1/accounts")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let wrong = d
        .admin_with(
            "pkey_not-a-real-key",
            Method::GET,
            "/admin/v1/accounts",
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_failing_host_shows_as_unavailable_not_as_a_demo_error() {
    // The demo host answers NotFound for a property it does not know: the widget shows as
    // unavailable, the rest of the dashboard renders.
    let d = setup().await;
    let staff = d.staff();
    let stray = d
        .access
        .upsert_property(
            &staff,
            portico_core::access::property::PropertySpec {
                host_ref: "HC-L-9999".into(),
                kind: PropertyKind::Lettings,
                display_name: "Not in the CRM".into(),
                manager: Some(portico_core::access::records::StaffRef(
                    "sarah.mitchell".into(),
                )),
                negotiator: None,
                valuer: None,
            },
            d.clock.now(),
        )
        .await
        .unwrap();
    let owner = d.client("margaret.ellison@example.com").await;
    let account = d
        .portal
        .accounts(d.seed.agency.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.email == "margaret.ellison@example.com")
        .unwrap();
    d.access
        .create_grant(
            &staff,
            portico_core::access::grant::GrantSpec {
                subject: Subject::Account(account.id),
                property: stray.id,
                role: Role::Landlord,
                scopes: portico_core::access::grant::default_scopes(
                    Role::Landlord,
                    PropertyKind::Lettings,
                ),
                buyer_names: Default::default(),
                valid_from: None,
                valid_until: None,
            },
            d.clock.now(),
        )
        .await
        .unwrap();
    let dash = d
        .access
        .dashboard(&owner, stray.id, d.clock.now())
        .await
        .unwrap();
    let balance = dash
        .widgets
        .iter()
        .find(|w| w.id == "property_balance")
        .unwrap();
    assert!(
        matches!(balance.state, DashState::Unavailable { .. }),
        "{balance:?}"
    );
    let team = dash.widgets.iter().find(|w| w.id == "team_member").unwrap();
    assert!(matches!(team.state, DashState::Ready { .. }));
}

#[tokio::test]
async fn a_sign_in_code_can_be_read_in_the_mailbox_and_used() {
    let d = setup().await;
    let json_post = |path: &str, body: Value, cookie: Option<&str>| {
        let mut b = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header("sec-fetch-site", "same-origin")
            .extension(ClientAddress("198.51.100.9".parse().unwrap()));
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Full::new(Bytes::from(body.to_string()))).unwrap()
    };
    let asked = d
        .send(json_post(
            "/api/v1/demo/code/request",
            json!({ "email": "priya.shah@example.com" }),
            None,
        ))
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let cookies: Vec<String> = asked
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    assert!(!cookies.is_empty());

    let mailbox = d.get("/demo/mailbox?to=priya.shah@example.com").await;
    let code = between(&mailbox.body, "data-testid=\"mail-code\">", "<").to_string();
    assert_eq!(code.len(), 6, "{code}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let cookie = cookies.join("; ");
    let refused = d
        .send(json_post(
            "/api/v1/demo/code/verify",
            json!({ "code": wrong }),
            Some(&cookie),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let ok = d
        .send(json_post(
            "/api/v1/demo/code/verify",
            json!({ "code": code }),
            Some(&cookie),
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

// ---- on SQLite, the server's default ----------------------------------------------------

/// A fresh database file under the target's temporary directory.
fn sqlite_file() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portico-server-it");
    std::fs::create_dir_all(&dir).unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    dir.join(format!("demo-{}-{nanos}.db", std::process::id()))
}

#[tokio::test]
async fn on_sqlite_the_seed_survives_a_restart_and_the_demo_works() {
    let path = sqlite_file();
    let url = format!("sqlite://{}", path.display());
    let first = portico_sqlite::SqliteStore::connect(&url).await.unwrap();
    let d = setup_on(Arc::new(first), 41).await;
    let before = d.census().await;
    assert_eq!(before[1], ("accounts", 6));
    let old_key = d.seed.api_key.clone();

    // A second process on the same file seeds again: nothing new, a fresh key.
    let second = portico_sqlite::SqliteStore::connect(&url).await.unwrap();
    let d2 = setup_on(Arc::new(second), 51).await;
    assert_eq!(d2.census().await, before);
    assert_eq!(d2.seed.agency.id, d.seed.agency.id);
    assert_eq!(
        d2.admin_with(&old_key, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        d2.admin(Method::GET, "/admin/v1/accounts", None)
            .await
            .status,
        StatusCode::OK
    );

    // The mailbox and a dashboard over SQLite.
    let mailbox = d2.get("/demo/mailbox?to=grace.okafor@example.com").await;
    assert!(unescape(&mailbox.body).contains("/p/demo/activate?token=pinv_"));
    let owner = d2.client("margaret.ellison@example.com").await;
    let now = d2.clock.now();
    for entry in d2.access.portfolio(&owner, now).await.unwrap() {
        let dash = d2
            .access
            .dashboard(&owner, entry.property, now)
            .await
            .unwrap();
        assert!(
            dash.widgets
                .iter()
                .all(|w| matches!(w.state, DashState::Ready { .. })),
            "{}",
            dash.display_name
        );
    }
    drop((d, d2));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
