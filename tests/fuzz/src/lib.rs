//! The shared harness of the fuzz targets: one `PorticoService` over the in-memory store (with
//! the access service and a fake CRM), an agency `acme` with an admin key, an active client
//! with a live session and a property granted to her, all driven through `oneshot` on a
//! current-thread runtime.
//!
//! Inputs of the `service` and `admin` targets are requests written as text, so that the seeds
//! are readable and libFuzzer's mutations stay close to real requests:
//!
//! ```text
//! POST /p/acme/sign-in?next={eprobe}
//! content-type: application/x-www-form-urlencoded
//! cookie: __Host-portico_pre={pre}
//!
//! csrf={precsrf}&login=ann%40example.com&password={eprobe}
//! ```
//!
//! Placeholders are replaced before sending: `{key}` (the admin key), `{session}` (the client's
//! session token) and `{csrf}` (its CSRF token), `{pre}` / `{precsrf}` (a pre-session cookie and
//! its CSRF token), `{account}`, `{property}`, and the probe `{probe}` = `<fz"'>` (raw) or
//! `{eprobe}` (percent-encoded). The properties checked on every answer: no panic (the fuzzer's
//! panic hook aborts), no 5xx but 503, and no `<fz` in an HTML page (input echoed unescaped).

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use portico_core::hash::{Argon2Hasher, HashParams};
use portico_core::idm::account::SetUpAccess;
use portico_core::memory::MemoryStore;
use portico_core::model::{Actor, AgencySettings, MailContent};
use portico_core::store::{OutboxStore, Store};
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::{Password, Portal, Random, RequestContext};
use portico_http::{ClientAddress, HttpConfig, PorticoService, RateLimits, bootstrap_agency};
use std::sync::Arc;
use tower::ServiceExt;

/// The CSRF secret of the fuzzed service.
pub const SECRET: &[u8; 32] = b"a fuzzing csrf secret of 32 b!!!";
/// The probe: if it comes back unescaped in an HTML page, input was echoed as markup.
pub const PROBE: &str = "<fz\"'>";
/// The probe, percent-encoded (for paths, queries and form bodies).
pub const EPROBE: &str = "%3Cfz%22%27%3E";
/// The pre-session cookie value the harness uses (any URL-safe value will do).
pub const PRE: &str = "fuzzpresessionvalue0123456789abcdefghijklmn";

/// The fuzzed service and the values placeholders stand for.
pub struct Harness {
    /// The runtime every request runs on.
    pub rt: tokio::runtime::Runtime,
    /// The service.
    pub svc: PorticoService,
    /// The portal behind it.
    pub portal: Portal,
    /// The clock (moved one second per request).
    pub clock: ManualClock,
    /// `{key}`.
    pub key: String,
    /// `{session}`.
    pub session: String,
    /// `{account}`.
    pub account: String,
    /// `{property}`.
    pub property: String,
}

/// An answer, its body read.
pub struct Answer {
    /// Status.
    pub status: http::StatusCode,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

fn ctx() -> RequestContext {
    RequestContext::from_address([203, 0, 113, 9].into())
}

impl Harness {
    /// Builds the service and its fixtures. Panics on failure (a harness bug, not a finding).
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let clock = ManualClock::new();
        let store = Arc::new(MemoryStore::new());
        let random: Arc<dyn Random> = Arc::new(TestRandom::new(5));
        let hasher = Arc::new(
            Argon2Hasher::new(HashParams::insecure_for_tests(), 2, random.clone()).expect("hasher"),
        );
        let portal = Portal::new(
            store.clone() as Arc<dyn Store>,
            hasher,
            Arc::new(clock.clone()),
            random,
        );
        let host = portico_core::host::FakeHost::new();
        let access = portico_core::Access::new(
            store.clone() as Arc<dyn Store>,
            Arc::new(host.clone()),
            Arc::new(clock.clone()),
            Arc::new(TestRandom::new(6)),
        );
        let mut cfg = HttpConfig::new(*SECRET).expect("config");
        cfg.rate_limits = RateLimits::none();
        cfg.answer_floor = std::time::Duration::ZERO;
        let svc = PorticoService::builder(portal.clone())
            .config(cfg)
            .access(access)
            .build()
            .expect("service");
        let (key, session, account) = rt.block_on(async {
            let settings = AgencySettings {
                portal_base_url: "https://portal.example/p/acme".into(),
                email_code_sign_in: true,
                ..AgencySettings::default()
            };
            let boot = bootstrap_agency(&portal, "acme", "Acme Lettings", settings, "crm")
                .await
                .expect("agency");
            let agency = boot.agency.id;
            let staff = Actor::Staff {
                key: None,
                staff: "Sam".into(),
            };
            let a = portal
                .set_up_access(
                    agency,
                    staff.clone(),
                    SetUpAccess {
                        contact: None,
                        email: "ann@example.com".into(),
                        username: None,
                        display_name: "Ann Owner".into(),
                    },
                    &ctx(),
                )
                .await
                .expect("account")
                .account;
            portal
                .send_invitation(agency, staff, a.id, &ctx())
                .await
                .expect("invitation");
            let url = store
                .outbox(agency, None, 0, 10)
                .await
                .expect("outbox")
                .into_iter()
                .find_map(|m| match m.content {
                    MailContent::Invitation { activation_url, .. } => Some(activation_url),
                    _ => None,
                })
                .expect("an invitation");
            let token = url.split_once("token=").expect("token").1.to_string();
            let pw = Password::new("violet tractor umbrella ocean 1987");
            portal
                .activate(agency, &token, &pw, &ctx())
                .await
                .expect("activate");
            let signed = portal
                .sign_in(agency, "ann@example.com", &pw, &ctx())
                .await
                .expect("sign in");
            (
                boot.key.raw.expose().to_string(),
                signed.token.expose().to_string(),
                a.id.to_string(),
            )
        });
        let mut h = Self {
            rt,
            svc,
            portal,
            clock,
            key,
            session,
            account,
            property: String::new(),
        };
        let r = h.send_text(
            "POST /admin/v1/properties\ncontent-type: application/json\n\n\
             {\"host_ref\": \"P-1\", \"kind\": \"lettings\", \"display_name\": \"1 High Street\", \"manager\": \"pm-1\"}",
            true,
        );
        if let Some(a) = r {
            let v: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
            h.property = v["property"]["id"].as_str().unwrap_or_default().to_string();
        }
        let scopes = portico_core::access::grant::default_scopes(
            portico_core::access::Role::Landlord,
            portico_core::access::PropertyKind::Lettings,
        );
        let grant = serde_json::json!({
            "subject": {"type": "account", "id": h.account},
            "property": h.property,
            "role": "landlord",
            "scopes": scopes,
        });
        let grant = format!("POST /admin/v1/grants\ncontent-type: application/json\n\n{grant}");
        let _ = h.send_text(&grant, true);
        h
    }

    /// Replaces the placeholders.
    pub fn expand(&self, text: &str) -> String {
        let csrf = portico_http::fuzzing::csrf_token(SECRET, "acme", true, &self.session);
        let precsrf = portico_http::fuzzing::csrf_token(SECRET, "acme", false, PRE);
        text.replace("{key}", &self.key)
            .replace("{session}", &self.session)
            .replace("{csrf}", &csrf)
            .replace("{precsrf}", &precsrf)
            .replace("{pre}", PRE)
            .replace("{account}", &self.account)
            .replace("{property}", &self.property)
            .replace("{eprobe}", EPROBE)
            .replace("{probe}", PROBE)
    }

    /// Parses a request written as text (see the crate docs) and sends it; `None` when the
    /// text is not a request `http` accepts (bad method, URI or header). With `admin`, the
    /// path is put under `/admin/v1/` and the admin key and a staff name are added unless
    /// the text has its own.
    pub fn send_text(&mut self, text: &str, admin: bool) -> Option<Answer> {
        let text = self.expand(text);
        let (head, body) = match text.split_once("\n\n") {
            Some((h, b)) => (h, b),
            None => (text.as_str(), ""),
        };
        let mut lines = head.lines();
        let first = lines.next()?;
        let (method, mut path) = first.split_once(' ').unwrap_or(("GET", first));
        let owned;
        if admin && !path.starts_with("/admin/v1/") {
            owned = format!("/admin/v1/{}", path.trim_start_matches('/'));
            path = &owned;
        }
        let method = http::Method::from_bytes(method.as_bytes()).ok()?;
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .extension(ClientAddress([198, 51, 100, 7].into()));
        let mut has_auth = false;
        let mut has_staff = false;
        for l in lines {
            let (n, v) = l.split_once(':')?;
            let n = n.trim();
            has_auth |= n.eq_ignore_ascii_case("authorization");
            has_staff |= n.eq_ignore_ascii_case("x-portico-staff");
            b = b.header(n, v.trim_start());
        }
        if admin {
            if !has_auth {
                b = b.header("authorization", format!("Bearer {}", self.key));
            }
            if !has_staff {
                b = b.header("x-portico-staff", "Sam Staff");
            }
        }
        let req = b
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .ok()?;
        Some(self.send(req))
    }

    /// Sends a request and reads the whole answer.
    pub fn send(&mut self, req: Request<Full<Bytes>>) -> Answer {
        self.clock.advance(time::Duration::seconds(1));
        let svc = self.svc.clone();
        self.rt.block_on(async move {
            let r: Response<_> = match svc.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let (parts, body) = r.into_parts();
            let body = match body.collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) => panic!("the answer's body failed: {e}"),
            };
            Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        })
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// The properties every answer must have: not a 5xx (503 aside), and no probe echoed as markup
/// in an HTML page.
pub fn check_answer(request: &str, a: &Answer) {
    let s = a.status.as_u16();
    assert!(
        !(500..600).contains(&s) || s == 503,
        "{request:?} answered {s}: {}",
        String::from_utf8_lossy(&a.body)
    );
    let html = a
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        let body = String::from_utf8_lossy(&a.body).to_ascii_lowercase();
        assert!(
            !body.contains("<fz"),
            "{request:?}: input echoed unescaped into HTML: {body}"
        );
    }
}

/// Splits `data` at NUL bytes into exactly `n` text fields (missing ones empty, the last one
/// taking the rest), read as UTF-8 with replacement characters.
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut out: Vec<String> = data
        .splitn(n, |b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    out.resize(n, String::new());
    out
}
