//! A test harness: a portal over the in-memory store with a manual clock, the service in
//! front of it, and a tiny browser (cookie jar, CSRF field reader) that drives it with
//! `oneshot`, without sockets.

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use portico_core::hash::{Argon2Hasher, HashParams};
use portico_core::idm::account::SetUpAccess;
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::{OutboxStore, Store};
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::*;
use portico_http::{ClientAddress, HttpConfig, PorticoService, RateLimits, bootstrap_agency};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub const PW: &str = "violet tractor umbrella ocean 1987";
pub const PW2: &str = "seventeen quiet lanterns over harbour";
pub const ORIGIN: &str = "https://portal.example";
pub const SECRET: &[u8; 32] = b"an http test csrf secret, 32 b!!";

pub struct T {
    pub portal: Portal,
    pub store: Arc<MemoryStore>,
    pub clock: ManualClock,
    pub svc: PorticoService,
    pub agency: Agency,
    /// The agency's first admin API key.
    pub key: String,
    /// The CRM behind the widgets (with access on).
    pub host: portico_core::host::FakeHost,
}

pub fn staff() -> Actor {
    Actor::Staff {
        key: None,
        staff: "Sam Staff".into(),
    }
}

pub fn token_of(url: &str) -> String {
    url.split_once("?token=").expect("a token").1.to_string()
}

impl T {
    pub async fn new() -> Self {
        Self::with(|_| {}, |_| {}).await
    }

    pub async fn with(
        settings: impl FnOnce(&mut AgencySettings),
        config: impl FnOnce(&mut HttpConfig),
    ) -> Self {
        Self::build(settings, config, false).await
    }

    /// With the access service (properties, dashboards, documents, preview).
    pub async fn with_access() -> Self {
        Self::build(|_| {}, |_| {}, true).await
    }

    pub async fn build(
        settings: impl FnOnce(&mut AgencySettings),
        config: impl FnOnce(&mut HttpConfig),
        with_access: bool,
    ) -> Self {
        let store = Arc::new(MemoryStore::new());
        let clock = ManualClock::new();
        let random: Arc<dyn Random> = Arc::new(TestRandom::new(11));
        let hasher = Arc::new(
            Argon2Hasher::new(HashParams::insecure_for_tests(), 4, random.clone()).unwrap(),
        );
        let portal = Portal::new(
            store.clone() as Arc<dyn Store>,
            hasher,
            Arc::new(clock.clone()),
            random,
        );
        let mut s = AgencySettings {
            portal_base_url: format!("{ORIGIN}/p/acme"),
            email_code_sign_in: true,
            ..AgencySettings::default()
        };
        settings(&mut s);
        let boot = bootstrap_agency(&portal, "acme", "Acme Lettings", s, "crm")
            .await
            .unwrap();
        let mut cfg = HttpConfig::new(*SECRET).unwrap();
        cfg.rate_limits = RateLimits::none();
        cfg.answer_floor = std::time::Duration::ZERO;
        config(&mut cfg);
        let host = portico_core::host::FakeHost::new();
        let mut builder = PorticoService::builder(portal.clone()).config(cfg);
        if with_access {
            builder = builder.access(portico_core::Access::new(
                store.clone() as Arc<dyn Store>,
                Arc::new(host.clone()),
                Arc::new(clock.clone()),
                Arc::new(TestRandom::new(12)),
            ));
        }
        let svc = builder.build().unwrap();
        Self {
            portal,
            store,
            clock,
            svc,
            agency: boot.agency,
            key: boot.key.raw.expose().to_string(),
            host,
        }
    }

    /// Sends one request through the service (time moves one second per request, so mail
    /// and audit order is well defined).
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Resp {
        self.clock.advance(time::Duration::seconds(1));
        let r = self.svc.clone().oneshot(req).await.unwrap();
        let (parts, body) = r.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// An admin API call with the agency's key.
    pub async fn admin(&self, method: Method, path: &str, body: Option<serde_json::Value>) -> Resp {
        self.admin_with(&self.key.clone(), method, path, body).await
    }

    pub async fn admin_with(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header("x-portico-staff", "Sam Staff")
            .extension(ClientAddress("198.51.100.1".parse().unwrap()));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        self.send(b.body(body).unwrap()).await
    }

    pub fn ctx(&self) -> RequestContext {
        RequestContext::from_address("203.0.113.9".parse().unwrap())
    }

    /// An invited account (no password yet).
    pub async fn invited(&self, email: &str) -> Account {
        self.invited_in(self.agency.id, email).await
    }

    pub async fn invited_in(&self, agency: AgencyId, email: &str) -> Account {
        let a = self
            .portal
            .set_up_access(
                agency,
                staff(),
                SetUpAccess {
                    contact: None,
                    email: email.into(),
                    username: None,
                    display_name: "Ann Owner".into(),
                },
                &self.ctx(),
            )
            .await
            .unwrap()
            .account;
        self.clock.advance(time::Duration::seconds(1));
        self.portal
            .send_invitation(agency, staff(), a.id, &self.ctx())
            .await
            .unwrap();
        self.clock.advance(time::Duration::seconds(1));
        a
    }

    /// An active account with password [`PW`].
    pub async fn active(&self, email: &str) -> Account {
        let a = self.invited(email).await;
        let token = self.link_for(email, "invitation").await;
        self.portal
            .activate(self.agency.id, &token, &Password::new(PW), &self.ctx())
            .await
            .unwrap();
        self.clock.advance(time::Duration::seconds(1));
        a
    }

    /// The newest mail of `template` to `to`.
    pub async fn mail(&self, to: &str, template: &str) -> OutboxMessage {
        self.store
            .outbox(self.agency.id, None, 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.to == to && m.content.template() == template)
            .max_by_key(|m| m.created_at)
            .expect("a mail")
    }

    pub async fn mails_to(&self, to: &str) -> usize {
        self.store
            .outbox(self.agency.id, None, 0, 1000)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.to == to)
            .count()
    }

    /// The link (URL) in the newest mail of `template` to `to`.
    pub async fn link_url(&self, to: &str, template: &str) -> String {
        match self.mail(to, template).await.content {
            MailContent::Invitation { activation_url, .. } => activation_url,
            MailContent::PasswordReset { reset_url, .. } => reset_url,
            MailContent::EmailChangeConfirm { confirm_url, .. } => confirm_url,
            other => panic!("no link in {other:?}"),
        }
    }

    pub async fn link_for(&self, to: &str, template: &str) -> String {
        token_of(&self.link_url(to, template).await)
    }

    pub async fn code_for(&self, to: &str) -> String {
        match self.mail(to, "sign_in_code").await.content {
            MailContent::SignInCode { code, .. } => code,
            other => panic!("no code in {other:?}"),
        }
    }

    pub async fn audit(&self, kind: AuditKind) -> Vec<AuditEvent> {
        self.portal
            .audit_log(
                self.agency.id,
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

/// A response, its body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn location(&self) -> &str {
        self.header("location").expect("a Location")
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
    /// The `Set-Cookie` line of the named cookie.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_string()
    }
    /// The CSRF field of the page.
    pub fn csrf(&self) -> String {
        let (_, rest) = self
            .body
            .split_once("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body));
        rest.split('"').next().unwrap().to_string()
    }
}

/// A browser: a cookie jar, an address, same-origin by default.
#[derive(Debug, Clone)]
pub struct Browser {
    pub jar: BTreeMap<String, String>,
    pub addr: IpAddr,
    /// Extra headers on every request (e.g. a cross-site `Sec-Fetch-Site`).
    pub extra: Vec<(String, String)>,
    pub same_origin: bool,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            jar: BTreeMap::new(),
            addr: "203.0.113.7".parse().unwrap(),
            extra: Vec::new(),
            same_origin: true,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.jar.get(name)
    }

    fn absorb(&mut self, r: &Resp) {
        for c in r.set_cookies() {
            let first = c.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            if c.contains("Max-Age=0") || value.is_empty() {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_string(), value.to_string());
            }
        }
    }

    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        let mut b = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::USER_AGENT, "TestBrowser/1.0")
            .extension(ClientAddress(self.addr));
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            b = b.header(header::COOKIE, cookie);
        }
        if self.same_origin {
            b = b.header("sec-fetch-site", "same-origin");
            if method != Method::GET {
                b = b.header(header::ORIGIN, ORIGIN);
            }
        }
        for (k, v) in &self.extra {
            b = b.header(k, v);
        }
        b
    }

    pub async fn get(&mut self, t: &T, path: &str) -> Resp {
        let req = self
            .request(Method::GET, path)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let r = t.send(req).await;
        self.absorb(&r);
        r
    }

    pub async fn post_form(&mut self, t: &T, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = self
            .request(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let r = t.send(req).await;
        self.absorb(&r);
        r
    }

    pub async fn json(
        &mut self,
        t: &T,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut b = self.request(method, path);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let r = t.send(b.body(body).unwrap()).await;
        self.absorb(&r);
        r
    }

    /// Opens a form page and posts it with its CSRF token.
    pub async fn submit(
        &mut self,
        t: &T,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Resp {
        let form = self.get(t, page).await;
        assert_eq!(form.status, StatusCode::OK, "{page}: {}", form.body);
        let csrf = form.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(t, action, &all).await
    }

    /// Signs in through the sign-in page.
    pub async fn sign_in(&mut self, t: &T, login: &str, password: &str) -> Resp {
        self.submit(
            t,
            "/p/acme/sign-in",
            "/p/acme/sign-in",
            &[("login", login), ("password", password)],
        )
        .await
    }

    /// Signs in through the JSON API.
    pub async fn api_sign_in(&mut self, t: &T, login: &str, password: &str) -> Resp {
        self.json(
            t,
            Method::POST,
            "/api/v1/acme/sign-in",
            Some(serde_json::json!({ "login": login, "password": password })),
        )
        .await
    }
}

pub const SESSION: &str = "__Host-portico_session_acme";
pub const PRE: &str = "__Host-portico_pre";
pub const LINK: &str = "__Host-portico_link";
pub const ATTEMPT: &str = "__Host-portico_attempt_acme";
