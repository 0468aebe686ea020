//! The authorization sweep (issue 9, item 4): every route of the service, as every kind of
//! caller, against a decision table written as data.
//!
//! Callers, in the order of the expectation columns:
//!
//! | column | caller |
//! | --- | --- |
//! | `anon` | no cookie, no key |
//! | `fclient` | a client of another agency: their session token in our cookie *and* theirs |
//! | `fkey` | another agency's admin API key |
//! | `bob` | a client of another property of the same agency |
//! | `pvw` | a staff preview session of the owner |
//! | `owner` | the client the objects belong to (the control for the client side) |
//! | `key` | the agency's own admin API key (the control for the admin side) |
//!
//! Each route is swept in a fresh world (two agencies, their clients, properties, grants, a
//! group, a shared document, a second API key, a pending invitation, a preview), with the
//! callers in that order, so the controls, which may change things, come last.
//!
//! Expected classes: `ok` any 2xx, `login` a 303 to the sign-in page, or an exact status.
//! Besides the status, no answer to a caller who may not see the owner's data contains it.
//!
//! The table cannot silently miss a route: [`the_table_covers_every_route`] checks it against
//! `openapi::ROUTES`, against every `.route(` registered in `adapters/http/src` (read from the
//! source files, so a new file counts too) and against the OpenAPI document.

use crate::harness::*;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::Full;
use portico_core::Password;
use portico_core::access::grant::default_scopes;
use portico_core::access::{PropertyKind, Role};
use portico_core::idm::account::SetUpAccess;
use portico_core::model::*;
use portico_core::store::OutboxStore;
use portico_http::ClientAddress;
use portico_http::openapi::{Auth, ROUTES};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The callers, in column order.
const CALLERS: [&str; 7] = ["anon", "fclient", "fkey", "bob", "pvw", "owner", "key"];

/// One row of the decision table.
struct Row {
    method: &'static str,
    /// The route's template, as in `openapi::ROUTES` and the router.
    route: &'static str,
    /// The concrete request: placeholders (`{p1}`, `{ann}`, …) are filled from the world.
    path: &'static str,
    /// JSON (client and admin API) or form fields (pages, `csrf` added), with placeholders.
    body: &'static str,
    /// Expected class per caller, in [`CALLERS`] order.
    expect: &'static str,
}

const fn row(
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: &'static str,
    expect: &'static str,
) -> Row {
    Row {
        method,
        route,
        path,
        body,
        expect,
    }
}

/// The decision table. Columns: anon fclient fkey bob pvw owner key.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    // ---- client JSON API -------------------------------------------------------------------
    row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "",
        "ok ok ok ok ok ok ok"),
    // Anyone may try to sign in; a wrong password is the same 401 for everyone.
    row("POST", "/api/v1/{slug}/sign-in", "/api/v1/acme/sign-in",
        r#"{"login":"nobody@example.com","password":"not the password at all"}"#,
        "401 401 401 401 403 401 401"),
    // Signing out without a session is a no-op answered like a success; a preview may sign out.
    row("POST", "/api/v1/{slug}/sign-out", "/api/v1/acme/sign-out", "{}",
        "ok ok ok ok ok ok ok"),
    row("POST", "/api/v1/{slug}/sign-out-everywhere", "/api/v1/acme/sign-out-everywhere", "{}",
        "401 401 401 ok 403 ok 401"),
    row("GET", "/api/v1/{slug}/me", "/api/v1/acme/me", "",
        "401 401 401 ok ok ok 401"),
    row("GET", "/api/v1/{slug}/sessions", "/api/v1/acme/sessions", "",
        "401 401 401 ok ok ok 401"),
    // The owner's session: another client of the agency is told it does not exist.
    row("DELETE", "/api/v1/{slug}/sessions/{id}", "/api/v1/acme/sessions/{ann_session}", "",
        "401 401 401 404 403 ok 401"),
    row("POST", "/api/v1/{slug}/password", "/api/v1/acme/password",
        r#"{"current_password":"{pw}","new_password":"{pw2}"}"#,
        "401 401 401 ok 403 ok 401"),
    row("POST", "/api/v1/{slug}/email", "/api/v1/acme/email",
        r#"{"current_password":"{pw}","new_email":"moved@example.com"}"#,
        "401 401 401 ok 403 ok 401"),
    // Link and code routes are public: the caller's identity never changes the answer.
    row("POST", "/api/v1/{slug}/links/inspect", "/api/v1/acme/links/inspect",
        r#"{"token":"{bogus_inv}","purpose":"invitation"}"#,
        "400 400 400 400 403 400 400"),
    row("POST", "/api/v1/{slug}/activate", "/api/v1/acme/activate",
        r#"{"token":"{bogus_inv}","password":"{pw2}"}"#,
        "400 400 400 400 403 400 400"),
    row("POST", "/api/v1/{slug}/password-reset/request", "/api/v1/acme/password-reset/request",
        r#"{"login":"nobody@example.com"}"#,
        "ok ok ok ok 403 ok ok"),
    row("POST", "/api/v1/{slug}/password-reset", "/api/v1/acme/password-reset",
        r#"{"token":"{bogus_rst}","password":"{pw2}"}"#,
        "400 400 400 400 403 400 400"),
    row("POST", "/api/v1/{slug}/confirm-email", "/api/v1/acme/confirm-email",
        r#"{"token":"{bogus_emc}"}"#,
        "400 400 400 400 403 400 400"),
    row("POST", "/api/v1/{slug}/code/request", "/api/v1/acme/code/request",
        r#"{"email":"nobody@example.com"}"#,
        "ok ok ok ok 403 ok ok"),
    row("POST", "/api/v1/{slug}/code/verify", "/api/v1/acme/code/verify",
        r#"{"code":"123456"}"#,
        "401 401 401 401 403 401 401"),
    // Properties: another property's client is told the owner's do not exist.
    row("GET", "/api/v1/{slug}/properties", "/api/v1/acme/properties", "",
        "401 401 401 ok ok ok 401"),
    row("GET", "/api/v1/{slug}/properties/{id}", "/api/v1/acme/properties/{p1}", "",
        "401 401 401 404 ok ok 401"),
    row("GET", "/api/v1/{slug}/properties/{id}/widgets/{widget}",
        "/api/v1/acme/properties/{p1}/widgets/property_balance", "",
        "401 401 401 404 ok ok 401"),
    row("GET", "/api/v1/{slug}/properties/{id}/statement",
        "/api/v1/acme/properties/{p1}/statement?from=2025-12-01&to=2025-12-31", "",
        "401 401 401 404 ok ok 401"),
    row("GET", "/api/v1/{slug}/properties/{id}/documents",
        "/api/v1/acme/properties/{p1}/documents", "",
        "401 401 401 404 ok ok 401"),
    row("GET", "/api/v1/{slug}/documents/{id}", "/api/v1/acme/documents/{doc1}", "",
        "401 401 401 404 ok ok 401"),

    // ---- portal pages ----------------------------------------------------------------------
    row("GET", "/p/{slug}", "/p/acme", "",
        "303 303 303 303 303 303 303"),
    row("GET", "/p/{slug}/", "/p/acme/", "",
        "login login login ok ok ok login"),
    row("GET", "/p/{slug}/sign-in", "/p/acme/sign-in", "",
        "ok ok ok ok ok ok ok"),
    row("POST", "/p/{slug}/sign-in", "/p/acme/sign-in",
        "login=nobody%40example.com&password=not+the+password+at+all&next=",
        "401 401 401 401 403 401 401"),
    row("POST", "/p/{slug}/sign-out", "/p/acme/sign-out", "",
        "login login login login login login login"),
    row("POST", "/p/{slug}/sign-out-everywhere", "/p/acme/sign-out-everywhere", "",
        "401 401 401 login 403 login 401"),
    row("GET", "/p/{slug}/account", "/p/acme/account", "",
        "login login login ok ok ok login"),
    row("POST", "/p/{slug}/password", "/p/acme/password", "current={pw}&new={pw2}",
        "401 401 401 303 403 303 401"),
    row("POST", "/p/{slug}/email", "/p/acme/email", "password={pw}&email=moved%40example.com",
        "401 401 401 303 403 303 401"),
    row("POST", "/p/{slug}/end-session", "/p/acme/end-session", "session={ann_session}",
        "401 401 401 404 403 login 401"),
    row("GET", "/p/{slug}/forgot", "/p/acme/forgot", "",
        "ok ok ok ok ok ok ok"),
    row("POST", "/p/{slug}/forgot", "/p/acme/forgot", "login=nobody%40example.com",
        "ok ok ok ok 403 ok ok"),
    row("GET", "/p/{slug}/activate", "/p/acme/activate", "",
        "400 400 400 400 400 400 400"),
    row("POST", "/p/{slug}/activate", "/p/acme/activate", "password={pw2}",
        "400 400 400 400 403 400 400"),
    row("GET", "/p/{slug}/reset", "/p/acme/reset", "",
        "400 400 400 400 400 400 400"),
    row("POST", "/p/{slug}/reset", "/p/acme/reset", "password={pw2}",
        "400 400 400 400 403 400 400"),
    row("GET", "/p/{slug}/code", "/p/acme/code", "",
        "ok ok ok ok ok ok ok"),
    row("POST", "/p/{slug}/code", "/p/acme/code", "email=nobody%40example.com",
        "303 303 303 303 403 303 303"),
    row("GET", "/p/{slug}/code-entry", "/p/acme/code-entry", "",
        "303 303 303 303 303 303 303"),
    row("POST", "/p/{slug}/code-entry", "/p/acme/code-entry", "code=123456",
        "401 401 401 401 403 401 401"),
    row("GET", "/p/{slug}/confirm-email", "/p/acme/confirm-email", "",
        "400 400 400 400 400 400 400"),
    row("POST", "/p/{slug}/confirm-email", "/p/acme/confirm-email", "",
        "400 400 400 400 403 400 400"),
    // A preview link without its token opens nothing, whoever follows it.
    row("GET", "/p/{slug}/preview", "/p/acme/preview", "",
        "410 410 410 410 410 410 410"),
    row("GET", "/p/{slug}/properties/{id}", "/p/acme/properties/{p1}", "",
        "login login login 404 ok ok login"),
    row("GET", "/p/{slug}/properties/{id}/statement",
        "/p/acme/properties/{p1}/statement?from=2025-12-01&to=2025-12-31", "",
        "login login login 404 ok ok login"),
    row("GET", "/p/{slug}/documents/{id}", "/p/acme/documents/{doc1}", "",
        "login login login 404 ok ok login"),

    // ---- admin API: only a key; another agency's key acts on its own agency, and the
    // ---- owner agency's objects answer 404 to it ------------------------------------------
    row("GET", "/admin/v1/agency", "/admin/v1/agency", "",
        "401 401 ok 401 401 401 ok"),
    row("PUT", "/admin/v1/agency", "/admin/v1/agency",
        r#"{"name":"Renamed","settings":{settings}}"#,
        "401 401 ok 401 401 401 ok"),
    row("GET", "/admin/v1/accounts", "/admin/v1/accounts", "",
        "401 401 ok 401 401 401 ok"),
    row("POST", "/admin/v1/accounts", "/admin/v1/accounts",
        r#"{"email":"new@example.com","display_name":"New Client"}"#,
        "401 401 ok 401 401 401 ok"),
    row("GET", "/admin/v1/accounts/{id}", "/admin/v1/accounts/{ann}", "",
        "401 401 404 401 401 401 ok"),
    row("PATCH", "/admin/v1/accounts/{id}", "/admin/v1/accounts/{ann}",
        r#"{"display_name":"Renamed"}"#,
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/accounts/{id}", "/admin/v1/accounts/{ann}",
        r#"{"confirm":"{ann_username}"}"#,
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/disable", "/admin/v1/accounts/{ann}/disable", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/enable", "/admin/v1/accounts/{ann}/enable", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/end-sessions", "/admin/v1/accounts/{ann}/end-sessions", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/invitation", "/admin/v1/accounts/{dan}/invitation", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/password-reset", "/admin/v1/accounts/{ann}/password-reset", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/invitations", "/admin/v1/invitations", "",
        "401 401 ok 401 401 401 ok"),
    row("DELETE", "/admin/v1/invitations/{id}", "/admin/v1/invitations/{dan_invitation}", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/api-keys", "/admin/v1/api-keys", "",
        "401 401 ok 401 401 401 ok"),
    row("POST", "/admin/v1/api-keys", "/admin/v1/api-keys", r#"{"name":"sweep"}"#,
        "401 401 ok 401 401 401 ok"),
    row("DELETE", "/admin/v1/api-keys/{id}", "/admin/v1/api-keys/{key2}", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/api-keys/{id}/rotate", "/admin/v1/api-keys/{key2}/rotate", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/audit", "/admin/v1/audit", "",
        "401 401 ok 401 401 401 ok"),
    row("GET", "/admin/v1/outbox", "/admin/v1/outbox", "",
        "401 401 ok 401 401 401 ok"),
    row("POST", "/admin/v1/properties", "/admin/v1/properties",
        r#"{"host_ref":"P-9","kind":"lettings","display_name":"Nine Sweep Lane"}"#,
        "401 401 ok 401 401 401 ok"),
    row("GET", "/admin/v1/properties/{id}", "/admin/v1/properties/{p1}", "",
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/properties/{id}", "/admin/v1/properties/{p1}", "",
        "401 401 404 401 401 401 ok"),
    row("PUT", "/admin/v1/visibility", "/admin/v1/visibility",
        r#"{"hidden_widgets":[],"hide_sales":false}"#,
        "401 401 ok 401 401 401 ok"),
    row("GET", "/admin/v1/properties/{id}/grants", "/admin/v1/properties/{p1}/grants", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/properties/{id}/documents", "/admin/v1/properties/{p1}/documents", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/properties/{id}/documents", "/admin/v1/properties/{p1}/documents",
        r#"{"host_ref":"DOC-9","category":"certificate","title":"EICR"}"#,
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/documents/{id}", "/admin/v1/documents/{doc1}", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/grants", "/admin/v1/grants",
        r#"{"subject":{"type":"account","id":"{bob}"},"property":"{p1}","role":"landlord","scopes":{scopes}}"#,
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/grants/{id}", "/admin/v1/grants/{g1}", "",
        "401 401 404 401 401 401 ok"),
    row("PATCH", "/admin/v1/grants/{id}", "/admin/v1/grants/{g1}", r#"{"role":"landlord"}"#,
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/grants/{id}", "/admin/v1/grants/{g1}", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/accounts/{id}/grants", "/admin/v1/accounts/{ann}/grants", "",
        "401 401 404 401 401 401 ok"),
    row("POST", "/admin/v1/accounts/{id}/preview", "/admin/v1/accounts/{ann}/preview", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/groups", "/admin/v1/groups", "",
        "401 401 ok 401 401 401 ok"),
    row("POST", "/admin/v1/groups", "/admin/v1/groups", r#"{"name":"Sweepers"}"#,
        "401 401 ok 401 401 401 ok"),
    row("PATCH", "/admin/v1/groups/{id}", "/admin/v1/groups/{grp}", r#"{"name":"Renamed"}"#,
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/groups/{id}", "/admin/v1/groups/{grp}", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/groups/{id}/grants", "/admin/v1/groups/{grp}/grants", "",
        "401 401 404 401 401 401 ok"),
    row("GET", "/admin/v1/groups/{id}/members", "/admin/v1/groups/{grp}/members", "",
        "401 401 404 401 401 401 ok"),
    row("PUT", "/admin/v1/groups/{id}/members/{account}", "/admin/v1/groups/{grp}/members/{bob}", "",
        "401 401 404 401 401 401 ok"),
    row("DELETE", "/admin/v1/groups/{id}/members/{account}", "/admin/v1/groups/{grp}/members/{ann}", "",
        "401 401 404 401 401 401 ok"),
];

/// What each caller presents.
#[derive(Clone)]
enum Who {
    Browser(Browser),
    Key(String),
}

/// Two agencies and everything the table's placeholders name.
struct World {
    t: T,
    vars: BTreeMap<&'static str, String>,
    callers: Vec<Who>,
}

async fn admin_ok(t: &T, m: Method, path: &str, body: Value) -> Value {
    let r = t.admin(m.clone(), path, Some(body)).await;
    assert!(r.status.is_success(), "{m} {path}: {} {}", r.status, r.body);
    r.json()
}

fn landlord_scopes() -> Value {
    serde_json::to_value(default_scopes(Role::Landlord, PropertyKind::Lettings)).unwrap()
}

impl World {
    async fn new() -> Self {
        let t = T::with_access().await;
        let mut vars: BTreeMap<&'static str, String> = BTreeMap::new();

        // Agency A (acme): the owner Ann, Bob on other properties, Dan invited.
        let ann = t.active("ann@example.com").await;
        let bob = t.active("bob@example.com").await;
        let dan = t.invited("dan@example.com").await;
        let mut props = Vec::new();
        for (n, name) in ["P-1", "P-2", "P-3", "P-4"].iter().enumerate() {
            let p = admin_ok(
                &t,
                Method::POST,
                "/admin/v1/properties",
                json!({"host_ref": name, "kind": "lettings",
                       "display_name": format!("{name} Owner Street {n}"), "manager": "pm-1"}),
            )
            .await;
            props.push(p["property"]["id"].as_str().unwrap().to_string());
        }
        let mut grants = Vec::new();
        for (who, p) in [(&ann, 0), (&bob, 1), (&ann, 2), (&bob, 3)] {
            let g = admin_ok(
                &t,
                Method::POST,
                "/admin/v1/grants",
                json!({"subject": {"type": "account", "id": who.id.to_string()},
                       "property": props[p], "role": "landlord", "scopes": landlord_scopes()}),
            )
            .await;
            grants.push(g["grant"]["id"].as_str().unwrap().to_string());
        }
        let doc = admin_ok(
            &t,
            Method::POST,
            &format!("/admin/v1/properties/{}/documents", props[0]),
            json!({"host_ref": "DOC-1", "category": "certificate", "title": "Secret Gas Certificate"}),
        )
        .await;
        t.host.add_document(
            "DOC-1",
            portico_core::host::DocumentContent {
                file_name: "gas.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: b"%PDF-1.7 owner only".to_vec(),
            },
        );
        let grp = admin_ok(
            &t,
            Method::POST,
            "/admin/v1/groups",
            json!({"name": "Owners"}),
        )
        .await;
        let grp = grp["group"]["id"].as_str().unwrap().to_string();
        let r = t
            .admin(
                Method::PUT,
                &format!("/admin/v1/groups/{grp}/members/{}", ann.id),
                None,
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let key2 = admin_ok(
            &t,
            Method::POST,
            "/admin/v1/api-keys",
            json!({"name": "second"}),
        )
        .await;
        let invitations = t
            .admin(Method::GET, "/admin/v1/invitations", None)
            .await
            .json();
        let dan_invitation = invitations["invitations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["account"] == dan.id.to_string().as_str())
            .expect("Dan's invitation")["id"]
            .as_str()
            .unwrap()
            .to_string();
        let settings =
            t.admin(Method::GET, "/admin/v1/agency", None).await.json()["settings"].clone();

        // Agency B (other): its key and its client Carl.
        let other = portico_http::bootstrap_agency(
            &t.portal,
            "other",
            "Other Lettings",
            AgencySettings {
                portal_base_url: format!("{ORIGIN}/p/other"),
                ..AgencySettings::default()
            },
            "crm",
        )
        .await
        .unwrap();
        let b = other.agency.id;
        let carl = t
            .portal
            .set_up_access(
                b,
                staff(),
                SetUpAccess {
                    contact: None,
                    email: "carl@example.com".into(),
                    username: None,
                    display_name: "Carl Elsewhere".into(),
                },
                &t.ctx(),
            )
            .await
            .unwrap()
            .account;
        t.portal
            .send_invitation(b, staff(), carl.id, &t.ctx())
            .await
            .unwrap();
        let invite = t
            .store
            .outbox(b, None, 0, 100)
            .await
            .unwrap()
            .into_iter()
            .find_map(|m| match m.content {
                MailContent::Invitation { activation_url, .. } => Some(token_of(&activation_url)),
                _ => None,
            })
            .expect("Carl's invitation");
        t.portal
            .activate(b, &invite, &Password::new(PW), &t.ctx())
            .await
            .unwrap();

        // Sessions.
        let signed = |agency, login: &'static str| {
            let portal = t.portal.clone();
            let ctx = t.ctx();
            async move {
                portal
                    .sign_in(agency, login, &Password::new(PW), &ctx)
                    .await
                    .unwrap()
            }
        };
        let ann_signed = signed(t.agency.id, "ann@example.com").await;
        let bob_signed = signed(t.agency.id, "bob@example.com").await;
        let carl_signed = signed(b, "carl@example.com").await;
        let browser_with = |token: &str, names: &[&str]| {
            let mut br = Browser::new();
            for n in names {
                br.jar.insert((*n).to_string(), token.to_string());
            }
            br
        };
        let fclient = browser_with(
            carl_signed.token.expose(),
            &[SESSION, "__Host-portico_session_other"],
        );
        let bob_b = browser_with(bob_signed.token.expose(), &[SESSION]);
        let owner = browser_with(ann_signed.token.expose(), &[SESSION]);
        let preview = admin_ok(
            &t,
            Method::POST,
            &format!("/admin/v1/accounts/{}/preview", ann.id),
            json!({}),
        )
        .await;
        let mut pvw = Browser::new();
        let landing = pvw
            .get(
                &t,
                preview["url"]
                    .as_str()
                    .unwrap()
                    .strip_prefix(ORIGIN)
                    .unwrap(),
            )
            .await;
        assert_eq!(landing.status, StatusCode::SEE_OTHER, "{}", landing.body);
        assert!(pvw.cookie(SESSION).unwrap().starts_with("ppvw_"));

        vars.insert("ann", ann.id.to_string());
        vars.insert("ann_username", ann.username.clone());
        vars.insert("bob", bob.id.to_string());
        vars.insert("dan", dan.id.to_string());
        vars.insert("dan_invitation", dan_invitation);
        vars.insert("p1", props[0].clone());
        vars.insert("g1", grants[0].clone());
        vars.insert("doc1", doc["document"]["id"].as_str().unwrap().to_string());
        vars.insert("grp", grp);
        vars.insert("key2", key2["api_key"]["id"].as_str().unwrap().to_string());
        vars.insert("ann_session", ann_signed.session.id.to_string());
        vars.insert("pw", PW.to_string());
        vars.insert("pw2", PW2.to_string());
        vars.insert("settings", settings.to_string());
        vars.insert("scopes", landlord_scopes().to_string());
        vars.insert("bogus_inv", format!("pinv_{}", "A".repeat(43)));
        vars.insert("bogus_rst", format!("prst_{}", "A".repeat(43)));
        vars.insert("bogus_emc", format!("pemc_{}", "A".repeat(43)));

        let callers = vec![
            Who::Browser(Browser::new()),
            Who::Browser(fclient),
            Who::Key(other.key.raw.expose().to_string()),
            Who::Browser(bob_b),
            Who::Browser(pvw),
            Who::Browser(owner),
            Who::Key(t.key.clone()),
        ];
        Self { t, vars, callers }
    }

    fn fill(&self, template: &str) -> String {
        let mut s = template.to_string();
        for (k, v) in &self.vars {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        assert!(!s.contains("{ann") && !s.contains("{p1}"), "unfilled: {s}");
        s
    }

    /// The owner's data that no one but the owner, a preview of the owner and the agency's
    /// key may ever see.
    fn owner_secrets(&self) -> Vec<String> {
        vec![
            "ann@example.com".into(),
            "P-1 Owner Street".into(),
            "P-3 Owner Street".into(),
            "Secret Gas Certificate".into(),
            "owner only".into(),
            self.vars["ann_session"].clone(),
        ]
    }
}

/// The status class of an answer.
fn class(r: &Resp) -> String {
    if r.status == StatusCode::SEE_OTHER
        && r.header("location").is_some_and(|l| l.contains("sign-in"))
    {
        return "login".into();
    }
    if r.status.is_success() {
        return "ok".into();
    }
    r.status.as_u16().to_string()
}

/// The browser-security headers every answer carries (ASVS 3.4.1, 3.4.3–3.4.6): HSTS of a
/// year, nosniff, no referrer, no framing, and a CSP with `object-src`/`base-uri` `'none'`
/// and `frame-ancestors 'none'` — or, for a document download, `default-src 'none'; sandbox`.
fn browser_headers(r: &Resp) -> Result<(), String> {
    let hsts = r.header("strict-transport-security").unwrap_or("");
    let age: u64 = hsts
        .split(';')
        .find_map(|p| p.trim().strip_prefix("max-age="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if age < 31_536_000 {
        return Err(format!("HSTS {hsts:?}"));
    }
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        if r.header(h) != Some(v) {
            return Err(format!("{h}: {:?}", r.header(h)));
        }
    }
    let csp = r.header("content-security-policy").unwrap_or("");
    let page = [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    .iter()
    .all(|p| csp.contains(p));
    if !page && csp != "default-src 'none'; sandbox" {
        return Err(format!("CSP {csp:?}"));
    }
    Ok(())
}

async fn call(w: &World, who: &Who, row: &Row) -> Resp {
    let auth = ROUTES
        .iter()
        .find(|r| r.method == row.method && r.path == row.route)
        .map(|r| r.auth);
    let method = Method::from_bytes(row.method.as_bytes()).unwrap();
    let path = w.fill(row.path);
    let page = row.route.starts_with("/p/");
    let mut browser = match who {
        Who::Browser(b) => b.clone(),
        Who::Key(_) => Browser::new(),
    };
    // A form post carries the CSRF token the caller's browser would have: bound to its
    // session for signed-in forms, to the pre-session cookie for anonymous ones.
    let mut form = String::new();
    if page && method == Method::POST {
        let csrf = if auth == Some(Auth::SessionCsrf) {
            let acc = browser.get(&w.t, "/p/acme/account").await;
            if acc.status == StatusCode::OK {
                acc.csrf()
            } else {
                let f = browser.get(&w.t, "/p/acme/forgot").await;
                f.csrf()
            }
        } else {
            let f = browser.get(&w.t, "/p/acme/forgot").await;
            f.csrf()
        };
        form = format!("csrf={csrf}");
        if !row.body.is_empty() {
            form.push('&');
            form.push_str(&w.fill(row.body));
        }
    }
    let mut b = browser.request(method.clone(), &path);
    if let Who::Key(k) = who {
        b = b
            .header(header::AUTHORIZATION, format!("Bearer {k}"))
            .header("x-portico-staff", "Sam Staff");
    }
    let body = if page && method == Method::POST {
        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Full::new(Bytes::from(form))
    } else if !row.body.is_empty() {
        b = b.header(header::CONTENT_TYPE, "application/json");
        Full::new(Bytes::from(w.fill(row.body)))
    } else if method != Method::GET {
        b = b.header(header::CONTENT_TYPE, "application/json");
        Full::new(Bytes::new())
    } else {
        Full::new(Bytes::new())
    };
    let b = b.extension(ClientAddress("203.0.113.7".parse().unwrap()));
    let req: Request<Full<Bytes>> = b.body(body).unwrap();
    w.t.send(req).await
}

/// Every route, as every caller, answers as the decision table says; no one who may not see
/// the owner's data gets any of it; a preview is refused on every unsafe request but
/// sign-out; every answer carries the browser-security headers and no CORS header.
#[tokio::test]
async fn every_route_as_every_caller_answers_as_the_decision_table_says() {
    let mut failures = Vec::new();
    for row in TABLE {
        let expect: Vec<&str> = row.expect.split_whitespace().collect();
        assert_eq!(expect.len(), CALLERS.len(), "{} {}", row.method, row.route);
        // Every unsafe request of a preview is refused, sign-out aside.
        if row.method != "GET" && !row.route.ends_with("/sign-out") {
            // On the admin API a preview is no caller at all (401); elsewhere it is read-only.
            let refused = if row.route.starts_with("/admin/") {
                "401"
            } else {
                "403"
            };
            assert_eq!(
                expect[4], refused,
                "{} {}: a preview must be refused on a mutating route",
                row.method, row.route
            );
        }
        let w = World::new().await;
        let secrets = w.owner_secrets();
        for (i, who) in w.callers.iter().enumerate() {
            let r = call(&w, who, row).await;
            let got = class(&r);
            if let Err(e) = browser_headers(&r) {
                failures.push(format!(
                    "{} {} as {}: {e}",
                    row.method, row.path, CALLERS[i]
                ));
            }
            // No answer ever opens the API to another origin (ASVS 3.4.2).
            assert!(
                r.header("access-control-allow-origin").is_none(),
                "{} {}: CORS header",
                row.method,
                row.path
            );
            assert!(
                r.status.as_u16() < 500,
                "{} {} as {}: {}",
                row.method,
                row.path,
                CALLERS[i],
                r.body
            );
            if got != expect[i] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {} ({}) {}",
                    row.method,
                    row.path,
                    CALLERS[i],
                    expect[i],
                    got,
                    r.header("location").unwrap_or(""),
                    if r.body.starts_with('{') {
                        r.body.chars().take(160).collect::<String>()
                    } else {
                        r.body
                            .split_once("<h1")
                            .map(|(_, h)| h.chars().take(80).collect::<String>())
                            .unwrap_or_default()
                    }
                ));
            }
            if ["anon", "fclient", "fkey", "bob"].contains(&CALLERS[i]) {
                for s in &secrets {
                    if r.body.contains(s.as_str())
                        || r.headers
                            .iter()
                            .any(|(_, v)| v.to_str().is_ok_and(|v| v.contains(s.as_str())))
                    {
                        failures.push(format!(
                            "{} {} as {}: the answer shows the owner's {s:?}",
                            row.method, row.path, CALLERS[i]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every `(method, path)` registered with `.route(` in a source file of `src`: the path is
/// the first string literal of the call, the methods the `get(`/`post(`/… inside it.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        if f.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&f).unwrap();
        let mut rest = src.as_str();
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            // The call's text, up to its closing parenthesis.
            let mut depth = 1usize;
            let mut end = 0;
            for (i, c) in call.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let text = &call[..end];
            let path = text
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("{}: a .route( without a path", f.display()));
            let args = &text[text.find(',').expect("a handler")..];
            let mut found = false;
            for m in ["get", "post", "put", "patch", "delete"] {
                let pat = format!("{m}(");
                let mut from = 0;
                while let Some(k) = args[from..].find(&pat) {
                    let pos = from + k;
                    let before = args[..pos].chars().last();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        out.insert((m.to_ascii_uppercase(), path.to_string()));
                        found = true;
                    }
                    from = pos + pat.len();
                }
            }
            assert!(found, "{}: no method for {path}", f.display());
            rest = &call[end..];
        }
    }
    out
}

/// The table, the route table (`openapi::ROUTES`), the router's registrations in the source
/// and the OpenAPI document name the same routes: a new route cannot be missed by the sweep.
#[test]
fn the_table_covers_every_route() {
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    assert_eq!(table.len(), TABLE.len(), "a route is in the table twice");
    let declared: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let registered = routes_in_source();
    assert!(
        registered.len() > 60,
        "the source scan found {}",
        registered.len()
    );
    for (what, set) in [
        ("openapi::ROUTES", &declared),
        ("a .route( in src", &registered),
    ] {
        let missing: Vec<_> = set.difference(&table).collect();
        assert!(
            missing.is_empty(),
            "in {what} but not in the sweep: {missing:?}"
        );
        let extra: Vec<_> = table.difference(set).collect();
        assert!(
            extra.is_empty(),
            "in the sweep but not in {what}: {extra:?}"
        );
    }
    let doc: Value = serde_json::from_str(portico_http::openapi::document()).unwrap();
    let mut documented = 0;
    for (p, item) in doc["paths"].as_object().unwrap() {
        for m in item.as_object().unwrap().keys() {
            documented += 1;
            assert!(
                table.contains(&(m.to_ascii_uppercase(), p.clone())),
                "{m} {p} is documented but not swept"
            );
        }
    }
    assert_eq!(
        documented,
        TABLE
            .iter()
            .filter(|r| r.route.starts_with("/api/") || r.route.starts_with("/admin/"))
            .count()
    );
    // Every path placeholder of the table's concrete requests is one the world fills.
    for r in TABLE {
        for seg in r.path.split('/') {
            if seg.starts_with('{') {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    [
                        "ann",
                        "bob",
                        "dan",
                        "dan_invitation",
                        "p1",
                        "g1",
                        "doc1",
                        "grp",
                        "key2",
                        "ann_session"
                    ]
                    .contains(&name.split('?').next().unwrap()),
                    "{}: unknown placeholder {name}",
                    r.path
                );
            }
        }
    }
}

/// The sweep's leak check can fail: the owner's own answers do carry the strings it looks for.
#[tokio::test]
async fn the_leak_check_is_not_vacuous() {
    let w = World::new().await;
    let Who::Browser(owner) = &w.callers[5] else {
        panic!("the owner is a browser")
    };
    let mut owner = owner.clone();
    let me = owner.json(&w.t, Method::GET, "/api/v1/acme/me", None).await;
    assert!(me.body.contains("ann@example.com"));
    let p = owner
        .json(
            &w.t,
            Method::GET,
            &w.fill("/api/v1/acme/properties/{p1}"),
            None,
        )
        .await;
    assert!(p.body.contains("P-1 Owner Street"), "{}", p.body);
    let d = owner
        .json(
            &w.t,
            Method::GET,
            &w.fill("/api/v1/acme/properties/{p1}/documents"),
            None,
        )
        .await;
    assert!(d.body.contains("Secret Gas Certificate"), "{}", d.body);
    let f = owner
        .json(
            &w.t,
            Method::GET,
            &w.fill("/api/v1/acme/documents/{doc1}"),
            None,
        )
        .await;
    assert!(f.body.contains("owner only"));
}
