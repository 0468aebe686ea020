//! The demo pages under `/demo`: the index, the mailbox (the outbox as the clients would read
//! it) and the staff console (HTML and a vanilla JS file calling the admin API).
//!
//! Every page carries a strict CSP: scripts only from this origin (no inline script), styles
//! only from the served stylesheet. An email opened on its own page may use inline styles (the
//! email templates do) but no script at all.

use super::host::{PROPERTIES, documents_of};
use super::seed::{DEMO_AGENCY_NAME, DEMO_PASSWORD, clients};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::{HeaderValue, StatusCode, header};
use minijinja::{Environment, Value, context};
use portico_core::access::grant::default_scopes;
use portico_core::access::records::{PropertyKind, Role};
use portico_core::model::{Agency, MailContent, OutboxMessage};
use portico_core::store::Store;
use portico_core::widget::WidgetRegistry;
use portico_core::{OutboxId, StoreError};
use portico_smtp::Templates;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::format_description;

/// The CSP of the demo pages: scripts and styles only from this origin.
pub(crate) const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
     base-uri 'none'";
/// The CSP of one email shown on its own: the email's inline styles, no script, sandboxed.
pub(crate) const MAIL_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src https: data:; frame-ancestors 'none'; form-action 'none'; base-uri 'none'; \
     sandbox allow-popups allow-popups-to-escape-sandbox";
/// How many outbox messages the mailbox reads.
const MAILBOX_LIMIT: u32 = 300;
/// The staff name the console sends in `X-Portico-Staff`.
const CONSOLE_STAFF: &str = "Demo staff (console)";

const CONSOLE_JS: &str = include_str!("assets/console.js");
const DEMO_CSS: &str = include_str!("assets/demo.css");

/// What the demo pages need: the storage (the mailbox reads the outbox), the console's API
/// key, the agency's slug and the server's public base URL.
#[derive(Clone)]
pub struct DemoState {
    /// The storage the portal uses.
    pub store: Arc<dyn Store>,
    /// The raw console API key (`pkey_…`) injected into the console page.
    pub api_key: String,
    /// The demo agency's slug.
    pub slug: String,
    /// Where the server is reached (`http://127.0.0.1:8080`).
    pub public_base_url: String,
}

impl std::fmt::Debug for DemoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoState")
            .field("slug", &self.slug)
            .field("public_base_url", &self.public_base_url)
            .finish_non_exhaustive()
    }
}

struct Web {
    state: DemoState,
    mail: Templates,
    pages: Environment<'static>,
}

type Shared = Arc<Web>;

fn pages() -> Environment<'static> {
    let mut env = Environment::new();
    let templates: [(&str, &str); 4] = [
        ("layout.html", include_str!("templates/layout.html")),
        ("index.html", include_str!("templates/index.html")),
        ("mailbox.html", include_str!("templates/mailbox.html")),
        ("console.html", include_str!("templates/console.html")),
    ];
    for (name, source) in templates {
        if let Err(e) = env.add_template(name, source) {
            // The templates are compiled in and tested; this only logs a broken edit.
            tracing::error!("demo template {name} does not parse: {e}");
        }
    }
    env
}

/// Routes under `/demo`: `/demo/` (index), `/demo/mailbox` (outbox mail, demo only),
/// `/demo/mailbox/{id}` (one email as HTML), `/demo/console` (staff console over the admin
/// API), `/demo/console.js`, `/demo/demo.css` and `/demo/crm.json` (the demo CRM's catalogue
/// of properties and files, which the console registers and shares through the admin API).
pub fn router(state: DemoState) -> Router {
    let web = Arc::new(Web {
        state,
        mail: Templates::new(),
        pages: pages(),
    });
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(index))
        .route("/demo/mailbox", get(mailbox))
        .route("/demo/mailbox/{id}", get(mail_html))
        .route("/demo/console", get(console))
        .route("/demo/console.js", get(console_js))
        .route("/demo/demo.css", get(demo_css))
        .route("/demo/crm.json", get(crm_json))
        .with_state(web)
}

// ---- responses --------------------------------------------------------------------------

fn respond(
    status: StatusCode,
    content_type: &'static str,
    csp: &'static str,
    body: String,
) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html(status: StatusCode, body: String) -> Response {
    respond(status, "text/html; charset=utf-8", PAGE_CSP, body)
}

fn render(web: &Web, name: &str, ctx: Value) -> Response {
    match web.pages.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => {
            tracing::error!("demo page {name} failed to render: {e}");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This demo page failed to render.",
            )
        }
    }
}

fn failure(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Demo</title>\
         <link rel=\"stylesheet\" href=\"/demo/demo.css\"></head><body><main>\
         <p class=\"banner\">demo mailbox — never enabled in production</p><h1>{}</h1>\
         <p>{}</p><p><a href=\"/demo/\">Back to the demo</a></p></main></body></html>",
        status.as_u16(),
        escape(message)
    );
    html(status, body)
}

/// HTML-escapes text.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text as HTML with every `http(s)://` URL a link.
pub(crate) fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    loop {
        let start = [rest.find("https://"), rest.find("http://")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = start else { break };
        out.push_str(&escape(&rest[..start]));
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ')', ';', ':', '!', '?']);
        let url = if url.is_empty() { &tail[..end] } else { url };
        out.push_str(&format!(
            "<a href=\"{0}\" data-testid=\"mail-text-link\">{0}</a>",
            escape(url)
        ));
        rest = &tail[url.len()..];
    }
    out.push_str(&escape(rest));
    out
}

fn when(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[day] [month repr:short] [year], [hour]:[minute]:[second] UTC"
    ))
    .unwrap_or_else(|_| t.to_string())
}

// ---- index ------------------------------------------------------------------------------

fn portal_url(st: &DemoState) -> String {
    format!(
        "{}/p/{}/",
        st.public_base_url.trim_end_matches('/'),
        st.slug
    )
}

#[derive(Serialize)]
struct ClientRow {
    name: &'static str,
    email: &'static str,
    role: &'static str,
    note: &'static str,
    /// `active`, `invited` or `disabled` as stored now (the seed's plan if unreadable).
    state: &'static str,
}

/// The accounts' states now, by email (empty if the agency cannot be read).
async fn states(st: &DemoState) -> Vec<(String, &'static str)> {
    let Ok(agency) = st.store.agency_by_slug(&st.slug).await else {
        return Vec::new();
    };
    st.store
        .list_accounts(agency.id, 0, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.email, a.status.as_str()))
        .collect()
}

async fn index(State(web): State<Shared>) -> Response {
    let now = states(&web.state).await;
    let people: Vec<ClientRow> = clients()
        .iter()
        .map(|c| ClientRow {
            name: c.name,
            email: c.email,
            role: c.role,
            note: c.note,
            state: now
                .iter()
                .find(|(email, _)| email == c.email)
                .map_or(if c.active { "active" } else { "invited" }, |(_, s)| *s),
        })
        .collect();
    let properties: Vec<Value> = PROPERTIES
        .iter()
        .map(|p| {
            context! {
                display_name => p.display_name,
                summary => p.summary,
                kind => p.kind.as_str(),
            }
        })
        .collect();
    let ctx = context! {
        agency => DEMO_AGENCY_NAME,
        portal_url => portal_url(&web.state),
        password => DEMO_PASSWORD,
        clients => Value::from(minijinja::value::Serde(&people)),
        properties => properties,
    };
    render(&web, "index.html", ctx)
}

// ---- mailbox ----------------------------------------------------------------------------

async fn agency_and_mail(web: &Web) -> Result<(Agency, Vec<OutboxMessage>), Response> {
    let agency = match web.state.store.agency_by_slug(&web.state.slug).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => {
            return Err(failure(
                StatusCode::NOT_FOUND,
                "The demo agency has not been seeded.",
            ));
        }
        Err(e) => {
            tracing::warn!("demo mailbox: storage failed: {e}");
            return Err(failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage is unavailable; try again.",
            ));
        }
    };
    let mut mail = match web
        .state
        .store
        .outbox(agency.id, None, 0, MAILBOX_LIMIT)
        .await
    {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!("demo mailbox: storage failed: {e}");
            return Err(failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "Storage is unavailable; try again.",
            ));
        }
    };
    mail.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok((agency, mail))
}

/// The link a message carries, if any.
fn action_url(c: &MailContent) -> Option<&str> {
    match c {
        MailContent::Invitation { activation_url, .. } => Some(activation_url),
        MailContent::PasswordReset { reset_url, .. } => Some(reset_url),
        MailContent::EmailChangeConfirm { confirm_url, .. } => Some(confirm_url),
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
struct MailboxQuery {
    to: Option<String>,
}

async fn mailbox(State(web): State<Shared>, Query(q): Query<MailboxQuery>) -> Response {
    let (agency, mail) = match agency_and_mail(&web).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let filter = q.to.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let rows: Vec<Value> = mail
        .iter()
        .filter(|m| filter.is_none_or(|f| m.to.eq_ignore_ascii_case(f)))
        .map(|m| {
            let rendered = web.mail.render(&agency, m);
            let (subject, body) = match &rendered {
                Ok(r) => (r.subject.clone(), linkify(&r.text)),
                Err(_) => (
                    format!("({})", m.content.template().replace('_', " ")),
                    "<em>The content of this message was removed once it was delivered \
                     (links and codes are not kept).</em>"
                        .to_string(),
                ),
            };
            // The text body as HTML: escaped, links clickable.
            context! {
                id => m.id.to_string(),
                to => m.to.clone(),
                template => m.content.template(),
                status => m.status.as_str(),
                created => when(m.created_at),
                subject => subject,
                body => Value::from_safe_string(body),
                action_url => action_url(&m.content),
                code => match &m.content {
                    MailContent::SignInCode { code, .. } => Some(code.clone()),
                    _ => None,
                },
                redacted => rendered.is_err(),
            }
        })
        .collect();
    let ctx = context! {
        agency => agency.name,
        messages => rows,
        filter => filter,
        portal_url => portal_url(&web.state),
    };
    render(&web, "mailbox.html", ctx)
}

async fn mail_html(State(web): State<Shared>, Path(raw): Path<String>) -> Response {
    let Ok(id) = raw.parse::<OutboxId>() else {
        return failure(StatusCode::NOT_FOUND, "No such message.");
    };
    let (agency, mail) = match agency_and_mail(&web).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(m) = mail.iter().find(|m| m.id == id) else {
        return failure(StatusCode::NOT_FOUND, "No such message.");
    };
    match web.mail.render(&agency, m) {
        Ok(r) => respond(StatusCode::OK, "text/html; charset=utf-8", MAIL_CSP, r.html),
        Err(_) => failure(
            StatusCode::GONE,
            "The content of this message was removed once it was delivered.",
        ),
    }
}

// ---- console ----------------------------------------------------------------------------

async fn console(State(web): State<Shared>) -> Response {
    let ctx = context! {
        agency => DEMO_AGENCY_NAME,
        api_key => web.state.api_key.clone(),
        staff => CONSOLE_STAFF,
        portal_url => portal_url(&web.state),
    };
    render(&web, "console.html", ctx)
}

async fn console_js() -> Response {
    respond(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        PAGE_CSP,
        CONSOLE_JS.to_string(),
    )
}

async fn demo_css() -> Response {
    respond(
        StatusCode::OK,
        "text/css; charset=utf-8",
        PAGE_CSP,
        DEMO_CSS.to_string(),
    )
}

#[derive(Serialize)]
struct CrmDocument {
    host_ref: String,
    category: &'static str,
    title: String,
}

#[derive(Serialize)]
struct CrmProperty {
    host_ref: &'static str,
    kind: &'static str,
    display_name: &'static str,
    summary: &'static str,
    manager: Option<&'static str>,
    negotiator: Option<&'static str>,
    valuer: Option<&'static str>,
    documents: Vec<CrmDocument>,
}

/// The demo CRM's catalogue: its properties and files, the roles, the scopes staff may pick
/// per kind of property and the default scopes per role and kind.
pub(crate) fn crm_catalogue(today: time::Date) -> serde_json::Value {
    let properties: Vec<CrmProperty> = PROPERTIES
        .iter()
        .map(|p| CrmProperty {
            host_ref: p.host_ref,
            kind: p.kind.as_str(),
            display_name: p.display_name,
            summary: p.summary,
            manager: p.manager,
            negotiator: p.negotiator,
            valuer: p.valuer,
            documents: documents_of(p.host_ref, today)
                .into_iter()
                .map(|d| CrmDocument {
                    host_ref: d.host_ref,
                    category: d.category.as_str(),
                    title: d.title,
                })
                .collect(),
        })
        .collect();
    let registry = WidgetRegistry::builtin();
    let kinds = [PropertyKind::Lettings, PropertyKind::Sales];
    let roles = [
        Role::Landlord,
        Role::Tenant,
        Role::Vendor,
        Role::Applicant,
        Role::Purchaser,
    ];
    let mut scopes = serde_json::Map::new();
    let mut defaults = serde_json::Map::new();
    for kind in kinds {
        let all: Vec<String> = registry
            .scopes_for(kind)
            .iter()
            .map(ToString::to_string)
            .collect();
        scopes.insert(kind.as_str().into(), serde_json::json!(all));
        for role in roles {
            let d: Vec<String> = default_scopes(role, kind)
                .iter()
                .map(ToString::to_string)
                .collect();
            defaults.insert(
                format!("{}/{}", role.as_str(), kind.as_str()),
                serde_json::json!(d),
            );
        }
    }
    serde_json::json!({
        "properties": properties,
        "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "scopes": scopes,
        "default_scopes": defaults,
    })
}

async fn crm_json() -> Response {
    let body = crm_catalogue(OffsetDateTime::now_utc().date()).to_string();
    respond(StatusCode::OK, "application/json", PAGE_CSP, body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn linkify_escapes_and_links() {
        let out = linkify("Go to https://x.example/p/demo/activate?token=pinv_a&b=1.\n<b>hi</b>");
        assert_eq!(
            out,
            "Go to <a href=\"https://x.example/p/demo/activate?token=pinv_a&amp;b=1\" \
             data-testid=\"mail-text-link\">https://x.example/p/demo/activate?token=pinv_a&amp;b=1</a>.\n\
             &lt;b&gt;hi&lt;/b&gt;"
        );
        assert_eq!(linkify("no links"), "no links");
        assert_eq!(
            linkify("javascript:alert(1) http://"),
            "javascript:alert(1) <a href=\"http://\" data-testid=\"mail-text-link\">http://</a>"
        );
    }

    #[test]
    fn every_page_template_parses() {
        let env = pages();
        for name in ["layout.html", "index.html", "mailbox.html", "console.html"] {
            env.get_template(name).unwrap();
        }
    }

    #[test]
    fn the_catalogue_offers_every_property_and_default_scopes() {
        let c = crm_catalogue(time::macros::date!(2026 - 11 - 23));
        assert_eq!(c["properties"].as_array().unwrap().len(), PROPERTIES.len());
        assert!(
            c["default_scopes"]["tenant/lettings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "widget:tenant_balance")
        );
        assert!(
            c["scopes"]["sales"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "widget:current_offers")
        );
    }
}
