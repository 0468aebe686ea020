//! The portal pages under `/p/{agency_slug}/…`: server-rendered HTML that works without
//! JavaScript. Every form carries a CSRF token: bound to the session when signed in, to the
//! pre-session cookie on the anonymous forms (login CSRF, checklist 33). Emailed links land on
//! a GET that consumes nothing, moves the token into a short-lived cookie and redirects to the
//! same page without it (checklist 18).
//!
//! Links and redirects are relative (`sign-in`, `./`), so the pages work wherever the host
//! mounts the service.

use crate::error::{Failure, code_failure, sign_in_failure};
use crate::extract::{AppState, Params, Shared, context, parse_form, read_body};
use crate::security::{
    ATTEMPT_COOKIE_SECONDS, Binding, LINK_COOKIE_SECONDS, cookie_value, new_pre_value, safe_next,
};
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64ct::{Base64, Encoding};
use cookie::SameSite;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use minijinja::{Environment, Value, context};
use portico_core::idm::invitation::ActivationError;
use portico_core::idm::link::{InspectError, LinkError, LinkInfo};
use portico_core::idm::reset::ResetError;
use portico_core::model::{Agency, LinkPurpose, Principal};
use portico_core::{Password, SessionId};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("forgot.html", include_str!("../templates/forgot.html")),
    (
        "set_password.html",
        include_str!("../templates/set_password.html"),
    ),
    (
        "code_request.html",
        include_str!("../templates/code_request.html"),
    ),
    (
        "code_enter.html",
        include_str!("../templates/code_enter.html"),
    ),
    (
        "confirm_email.html",
        include_str!("../templates/confirm_email.html"),
    ),
    ("home.html", include_str!("../templates/home.html")),
    ("account.html", include_str!("../templates/account.html")),
    (
        "portfolio.html",
        include_str!("../templates/portfolio.html"),
    ),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    (
        "statement.html",
        include_str!("../templates/statement.html"),
    ),
];

static ENV: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_filter("money", money);
    env.add_filter("label", label);
    env.add_filter("date", date);
    env.add_filter("columns", columns);
    env.add_filter("tone", tone);
    env.add_test("money", is_money);
    env.add_test("negative", is_negative);
    env.add_test("date", is_date);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|e| e.to_string())?;
    }
    Ok(env)
});

/// Minor units and currency of a `{"minor": …, "currency": …}` value, if it is one.
fn money_parts(v: &Value) -> Option<(i64, String)> {
    let minor = v.get_attr("minor").ok()?;
    let currency = v.get_attr("currency").ok()?;
    if minor.is_undefined() || currency.is_undefined() {
        return None;
    }
    Some((i64::try_from(minor).ok()?, currency.to_string()))
}

/// `{"minor": 124120, "currency": "GBP"}` → `£1,241.20`; `€`, `$` for EUR and USD, else
/// `1,241.20 XYZ`; negative amounts start with a minus sign `−` (U+2212). Anything that
/// is not a money value renders as an empty string.
pub(crate) fn money(v: Value) -> String {
    let Some((minor, currency)) = money_parts(&v) else {
        return String::new();
    };
    let abs = minor.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let number = format!("{grouped}.{:02}", abs % 100);
    let sign = if minor < 0 { "\u{2212}" } else { "" };
    match currency.as_str() {
        "GBP" => format!("{sign}£{number}"),
        "EUR" => format!("{sign}€{number}"),
        "USD" => format!("{sign}${number}"),
        _ => format!("{sign}{number} {currency}"),
    }
}

/// `true` for a money value (`minor` and `currency`).
fn is_money(v: Value) -> bool {
    money_parts(&v).is_some()
}

/// `true` for a money value below zero (for the `neg` class).
fn is_negative(v: Value) -> bool {
    money_parts(&v).is_some_and(|(m, _)| m < 0)
}

/// `2026-11-10` → `10 Nov 2026`; an RFC 3339 date-time → `10 Nov 2026, 14:30` (its own
/// offset). Any other value is returned unchanged as text.
pub(crate) fn date(v: Value) -> String {
    let s = v.to_string();
    format_date(&s).unwrap_or(s)
}

/// `true` when a value is a date or a date-time that [`date`] formats.
fn is_date(v: Value) -> bool {
    v.as_str().is_some_and(|s| format_date(s).is_some())
}

fn format_date(s: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let day = format_description!("[day padding:none] [month repr:short] [year]");
    if s.len() == 10 {
        let d = time::Date::parse(s, format_description!("[year]-[month]-[day]")).ok()?;
        return d.format(&day).ok();
    }
    let t = time::OffsetDateTime::parse(s, &Rfc3339).ok()?;
    let hm = format_description!("[hour]:[minute]");
    Some(format!(
        "{}, {}",
        t.date().format(&day).ok()?,
        t.time().format(&hm).ok()?
    ))
}

/// Columns for a list of uniform records: every item a map with the same keys (not a money
/// value) → the keys, dates first and money last; anything else → none (generic rendering).
fn columns(v: Value) -> Value {
    let Ok(iter) = v.try_iter() else {
        return Value::from(());
    };
    let items: Vec<Value> = iter.collect();
    let mut keys: Option<Vec<String>> = None;
    for it in &items {
        if it.kind() != minijinja::value::ValueKind::Map || is_money(it.clone()) {
            return Value::from(());
        }
        let Ok(ks) = it.try_iter() else {
            return Value::from(());
        };
        let ks: Vec<String> = ks.map(|k| k.to_string()).collect();
        match &keys {
            None => keys = Some(ks),
            Some(prev) if *prev == ks => {}
            Some(_) => return Value::from(()),
        }
    }
    let (Some(keys), Some(first)) = (keys, items.first()) else {
        return Value::from(());
    };
    let rank = |k: &String| {
        let x = first.get_attr(k).unwrap_or_default();
        if is_date(x.clone()) {
            0
        } else if is_money(x) {
            2
        } else {
            1
        }
    };
    let mut keys = keys;
    keys.sort_by_key(rank);
    Value::from(keys)
}

/// Tone of a status word for its pill: `good`, `bad`, `warn` or `neutral` (a fixed set,
/// safe in a class attribute whatever the host sends).
fn tone(s: String) -> &'static str {
    match s.trim().to_ascii_lowercase().as_str() {
        "valid" | "accepted" | "completed" | "complete" | "paid" | "active" | "agreed"
        | "confirmed" | "attended" | "satisfactory" => "good",
        "expired" | "rejected" | "declined" | "cancelled" | "canceled" | "withdrawn"
        | "overdue" | "failed" | "unsatisfactory" | "no show" | "no_show" => "bad",
        "pending" | "due" | "expiring" | "expiring soon" | "expiring_soon" | "booked"
        | "scheduled" | "under offer" | "under_offer" | "awaiting" | "submitted" => "warn",
        _ => "neutral",
    }
}

/// `due_to_owner` → `Due to owner`.
fn label(s: String) -> String {
    let t = s.replace('_', " ");
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => t,
    }
}

/// Loads the templates (at build time of the service, so a broken one fails early).
pub(crate) fn check_templates() -> Result<(), String> {
    ENV.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// `sha256-…` of the one inline `<style>` block, for the Content-Security-Policy.
pub(crate) fn style_hash() -> String {
    let base = TEMPLATES[0].1;
    let css = base
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .unwrap_or("");
    format!("sha256-{}", Base64::encode_string(&Sha256::digest(css)))
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub(crate) fn render(status: StatusCode, name: &str, ctx: Value) -> Response {
    let out = match ENV.as_ref() {
        Ok(env) => env.get_template(name).and_then(|t| t.render(ctx)),
        Err(e) => {
            tracing::error!(error = %e, "templates unavailable");
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"en\"><title>Error</title><h1>Something went wrong</h1></html>".into(),
            );
        }
    };
    match out {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, template = name, "template failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><html lang=\"en\"><title>Error</title><h1>Something went wrong</h1></html>".into(),
            )
        }
    }
}

fn title_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "This request could not be read",
        401 => "Please sign in",
        403 => "Not allowed",
        404 => "Page not found",
        410 => "This link can no longer be used",
        413 => "Too large",
        422 => "Please check what you entered",
        429 => "Too many attempts",
        503 => "Temporarily unavailable",
        _ => "Something went wrong",
    }
}

/// A failure as a page: a heading, the message, and the next step where there is one.
pub(crate) fn failure_page(f: &Failure, agency: Option<&Agency>) -> Response {
    let (next_href, next_label) = match f.code.as_str() {
        c if c.starts_with("link_") => ("forgot", "Ask for a new link"),
        "csrf_failed" | "cross_site_request" => ("sign-in", "Back to sign in"),
        "invalid_code" => ("code", "Ask for a new code"),
        _ if agency.is_some() => ("./", "Go to the portal"),
        _ => ("", ""),
    };
    let title = match f.code.as_str() {
        "link_invalid" => "This link is not valid",
        "link_expired" => "This link has expired",
        "link_used" => "This link has already been used",
        "link_superseded" => "A newer link has been sent",
        "link_revoked" => "This link has been withdrawn",
        _ => title_of(f.status),
    };
    let message = match f.code.as_str() {
        "link_invalid" => {
            "This link is not valid. Open the link from your most recent email again, or ask for a new link."
        }
        "link_expired" => {
            "This link has expired. Ask for a new link and use it soon after it arrives."
        }
        "link_used" => {
            "This link has already been used. If you set your password, sign in; otherwise ask for a new link."
        }
        "link_superseded" => {
            "A newer link has been sent to you: please use the most recent email, or ask for a new link."
        }
        "link_revoked" => {
            "This link has been withdrawn. Ask for a new link, or contact the agency."
        }
        _ => f.message.as_str(),
    };
    let mut r = render(
        f.status,
        "message.html",
        context! {
            title,
            message,
            is_error => true,
            next_href,
            next_label,
            agency_name => agency.map(|a| a.name.clone()),
            logo_url => agency.and_then(|a| a.settings.branding.logo_url.clone()),
        },
    );
    f.decorate(&mut r);
    r
}

/// A failure rendered as a page of its agency.
pub(crate) struct PageFailure(pub Failure, pub Option<Box<Agency>>);

impl From<Failure> for PageFailure {
    fn from(f: Failure) -> Self {
        PageFailure(f, None)
    }
}

impl IntoResponse for PageFailure {
    fn into_response(self) -> Response {
        failure_page(&self.0, self.1.as_deref())
    }
}

pub(crate) trait InAgency<T> {
    fn page(self, agency: &Agency) -> Result<T, PageFailure>;
}

impl<T, E: Into<Failure>> InAgency<T> for Result<T, E> {
    fn page(self, agency: &Agency) -> Result<T, PageFailure> {
        self.map_err(|e| PageFailure(e.into(), Some(Box::new(agency.clone()))))
    }
}

pub(crate) type PageResult = Result<Response, PageFailure>;

/// The page routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/p/{slug}", get(slash))
        .route("/p/{slug}/", get(home))
        .route("/p/{slug}/sign-in", get(sign_in_form).post(sign_in))
        .route("/p/{slug}/sign-out", post(sign_out))
        .route("/p/{slug}/sign-out-everywhere", post(sign_out_everywhere))
        .route("/p/{slug}/account", get(account))
        .route("/p/{slug}/password", post(change_password))
        .route("/p/{slug}/email", post(change_email))
        .route("/p/{slug}/end-session", post(end_session))
        .route("/p/{slug}/forgot", get(forgot_form).post(forgot))
        .route("/p/{slug}/activate", get(activate_form).post(activate))
        .route("/p/{slug}/reset", get(reset_form).post(reset))
        .route("/p/{slug}/code", get(code_form).post(code_request))
        .route(
            "/p/{slug}/code-entry",
            get(code_entry_form).post(code_verify),
        )
        .route(
            "/p/{slug}/confirm-email",
            get(confirm_email_form).post(confirm_email),
        )
}

// ---------------------------------------------------------------------------------------------
// helpers

pub(crate) fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub(crate) fn add_cookie(r: &mut Response, v: Option<HeaderValue>) {
    if let Some(v) = v {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(crate) fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "signed_out" => "You have signed out.",
        "password_reset" => {
            "Your password has been changed. Please sign in with your new password."
        }
        "password_changed" => "Your password has been changed. Your other sessions have ended.",
        "email_change_sent" => {
            "We have sent a confirmation link to your new address. Your address changes once you open it."
        }
        "session_ended" => "That session has ended.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PageQuery {
    pub token: Option<String>,
    pub next: Option<String>,
    pub notice: Option<String>,
}

pub(crate) fn query(req: &Request) -> PageQuery {
    req.uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// The pre-session value of this browser, and the cookie to set if it is new.
fn pre_session(st: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let name = st.cookies.pre_name();
    match cookie_value(headers, &name) {
        Some(v) if v.len() == 43 => (v, None),
        _ => {
            let v = new_pre_value(st.portal.random().as_ref()).unwrap_or_default();
            let c = st.cookies.set(&name, &v, SameSite::Lax, None);
            (v, c)
        }
    }
}

/// An anonymous form page: the template with the pre-session CSRF token.
fn anon_page(
    st: &AppState,
    agency: &Agency,
    headers: &HeaderMap,
    status: StatusCode,
    template: &str,
    extra: Value,
) -> Response {
    let (pre, set) = pre_session(st, headers);
    let csrf = st.csrf_token(&agency.slug, Binding::PreSession(&pre));
    let ctx = context! {
        csrf,
        agency_name => agency.name.clone(),
        logo_url => agency.settings.branding.logo_url.clone(),
        code_enabled => agency.settings.email_code_sign_in,
        min_length => agency.settings.password_min_length,
        ..extra
    };
    let mut r = render(status, template, ctx);
    add_cookie(&mut r, set);
    r
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

/// The checks of an anonymous form post: origin, body, pre-session CSRF. Returns the body.
async fn anon_post(
    st: &AppState,
    agency: &Agency,
    req: Request,
) -> Result<(HeaderMap, http::Extensions, bytes::Bytes), PageFailure> {
    let (parts, body) = req.into_parts();
    st.check_origin(agency, &parts.headers).page(agency)?;
    let bytes = read_body(body, st.config.body_limit).await.page(agency)?;
    let form: CsrfOnly = parse_form(&bytes).page(agency)?;
    let pre = cookie_value(&parts.headers, &st.cookies.pre_name());
    let ok = pre.is_some_and(|p| st.csrf_ok(&agency.slug, Binding::PreSession(&p), &form.csrf));
    if !ok {
        return Err(PageFailure(Failure::csrf(), Some(Box::new(agency.clone()))));
    }
    Ok((parts.headers, parts.extensions, bytes))
}

/// The checks of a signed-in form post: origin, session, body, session-bound CSRF, and no
/// change from a staff preview (unless `allow_preview`, for sign-out).
async fn session_post(
    st: &AppState,
    agency: &Agency,
    req: Request,
    allow_preview: bool,
) -> Result<(Principal, String, HeaderMap, http::Extensions, bytes::Bytes), PageFailure> {
    let (parts, body) = req.into_parts();
    st.check_origin(agency, &parts.headers).page(agency)?;
    let (principal, raw) = st.session(agency, &parts.headers).await.page(agency)?;
    let bytes = read_body(body, st.config.body_limit).await.page(agency)?;
    let form: CsrfOnly = parse_form(&bytes).page(agency)?;
    if !st.csrf_ok(&agency.slug, Binding::Session(&raw), &form.csrf) {
        return Err(PageFailure(Failure::csrf(), Some(Box::new(agency.clone()))));
    }
    if principal.is_preview() && !allow_preview {
        return Err(PageFailure(
            Failure::read_only(),
            Some(Box::new(agency.clone())),
        ));
    }
    Ok((principal, raw, parts.headers, parts.extensions, bytes))
}

pub(crate) fn session_cookie(st: &AppState, agency: &Agency, token: &str) -> Option<HeaderValue> {
    st.cookies.set(
        &st.cookies.session_name(&agency.slug),
        token,
        SameSite::Lax,
        None,
    )
}

/// The headers of a page reached with a token (checklist 18).
pub(crate) fn token_page_headers(r: &mut Response) {
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A GET with `?token=`: nothing is used up; the token moves into a 15-minute cookie and the
/// browser goes to the same page without it.
fn land_with_token(st: &AppState, token: &str, page: &str) -> Response {
    let mut r = see_other(page);
    let well_formed = token.len() <= 64
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        // Lax, not Strict: the redirect that follows a click in a webmail is a cross-site
        // navigation, and a Strict cookie would not be sent with it.
        add_cookie(
            &mut r,
            st.cookies.set(
                &st.cookies.link_name(),
                token,
                SameSite::Lax,
                Some(LINK_COOKIE_SECONDS),
            ),
        );
    }
    token_page_headers(&mut r);
    r
}

fn clear_link(st: &AppState, r: &mut Response) {
    add_cookie(r, st.cookies.clear(&st.cookies.link_name()));
}

// ---------------------------------------------------------------------------------------------
// signed-in pages

async fn slash(Params(slug): Params<String>) -> Response {
    see_other(&format!("{slug}/"))
}

async fn home(State(st): State<Shared>, Params(slug): Params<String>, req: Request) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, raw) = match st.session(&agency, req.headers()).await {
        Ok(s) => s,
        Err(f) if f.status == StatusCode::UNAUTHORIZED => return Ok(see_other("sign-in")),
        Err(f) => return Err(PageFailure(f, Some(Box::new(agency)))),
    };
    let q = query(&req);
    if st.access.is_some() {
        return crate::portfolio::home(&st, &agency, &principal, &raw, q.notice.as_deref()).await;
    }
    let account = st
        .portal
        .account(agency.id, principal.account)
        .await
        .page(&agency)?;
    Ok(render(
        StatusCode::OK,
        "home.html",
        context! {
            title => "Your portal",
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
            display_name => account.display_name,
            csrf => st.csrf_token(&agency.slug, Binding::Session(&raw)),
            preview => principal.is_preview(),
            notice => notice_text(q.notice.as_deref()),
        },
    ))
}

pub(crate) fn fmt_time(t: time::OffsetDateTime) -> String {
    let f =
        time::macros::format_description!("[day] [month repr:short] [year], [hour]:[minute] UTC");
    t.format(&f).unwrap_or_default()
}

async fn account(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, raw) = match st.session(&agency, req.headers()).await {
        Ok(s) => s,
        Err(f) if f.status == StatusCode::UNAUTHORIZED => {
            return Ok(see_other("sign-in?next=account"));
        }
        Err(f) => return Err(PageFailure(f, Some(Box::new(agency)))),
    };
    let account = st
        .portal
        .account(agency.id, principal.account)
        .await
        .page(&agency)?;
    let sessions: Vec<Value> = st
        .portal
        .my_sessions(&principal)
        .await
        .page(&agency)?
        .into_iter()
        .map(|s| {
            context! {
                id => s.id.to_string(),
                created_at => fmt_time(s.created_at),
                user_agent => s.user_agent,
                address => s.address.map(|a| a.to_string()),
                current => s.current,
            }
        })
        .collect();
    let q = query(&req);
    Ok(render(
        StatusCode::OK,
        "account.html",
        context! {
            title => "Your account",
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
            username => account.username,
            email => account.email,
            sessions,
            min_length => agency.settings.password_min_length,
            csrf => st.csrf_token(&agency.slug, Binding::Session(&raw)),
            preview => principal.is_preview(),
            notice => notice_text(q.notice.as_deref()),
        },
    ))
}

/// Sign-out answers: the session cookie removed, `Clear-Site-Data`, `no-store` (checklist 28).
fn signed_out(st: &AppState, agency: &Agency) -> Response {
    let mut r = see_other("sign-in?notice=signed_out");
    add_cookie(
        &mut r,
        st.cookies.clear(&st.cookies.session_name(&agency.slug)),
    );
    r.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cookies\", \"storage\""),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn sign_out(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    st.check_origin(&agency, req.headers()).page(&agency)?;
    // Not signed in (any more): nothing to end, the cookies are cleared all the same.
    match st.session(&agency, req.headers()).await {
        Ok(_) => {}
        Err(f) if f.status == StatusCode::UNAUTHORIZED => return Ok(signed_out(&st, &agency)),
        Err(f) => return Err(PageFailure(f, Some(Box::new(agency)))),
    }
    let (principal, _, headers, ext, _) = session_post(&st, &agency, req, true).await?;
    st.end_session(&principal, &context(&headers, &ext))
        .await
        .page(&agency)?;
    Ok(signed_out(&st, &agency))
}

async fn sign_out_everywhere(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, _, headers, ext, _) = session_post(&st, &agency, req, false).await?;
    st.portal
        .sign_out_everywhere(&principal, &context(&headers, &ext))
        .await
        .page(&agency)?;
    Ok(signed_out(&st, &agency))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChangePasswordForm {
    current: String,
    new: String,
}

fn back_to_account(f: Failure, agency: &Agency) -> PageFailure {
    PageFailure(f, Some(Box::new(agency.clone())))
}

async fn change_password(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, _, headers, ext, bytes) = session_post(&st, &agency, req, false).await?;
    let form: ChangePasswordForm = parse_form(&bytes).page(&agency)?;
    let signed = st
        .portal
        .change_password(
            &principal,
            &Password::new(form.current),
            &Password::new(form.new),
            &context(&headers, &ext),
        )
        .await
        .map_err(|e| back_to_account(e.into(), &agency))?;
    let mut r = see_other("account?notice=password_changed");
    add_cookie(&mut r, session_cookie(&st, &agency, signed.token.expose()));
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    password: String,
    email: String,
}

async fn change_email(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, _, headers, ext, bytes) = session_post(&st, &agency, req, false).await?;
    let form: EmailForm = parse_form(&bytes).page(&agency)?;
    st.portal
        .request_email_change(
            &principal,
            &Password::new(form.password),
            &form.email,
            &context(&headers, &ext),
        )
        .await
        .page(&agency)?;
    Ok(see_other("account?notice=email_change_sent"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EndSessionForm {
    session: String,
}

async fn end_session(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, _, headers, ext, bytes) = session_post(&st, &agency, req, false).await?;
    let form: EndSessionForm = parse_form(&bytes).page(&agency)?;
    let Ok(id) = form.session.parse::<SessionId>() else {
        return Err(PageFailure(Failure::not_found(), Some(Box::new(agency))));
    };
    st.portal
        .end_my_session(&principal, id, &context(&headers, &ext))
        .await
        .page(&agency)?;
    if id == principal.session {
        return Ok(signed_out(&st, &agency));
    }
    Ok(see_other("account?notice=session_ended"))
}

// ---------------------------------------------------------------------------------------------
// sign-in

async fn sign_in_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let q = query(&req);
    Ok(anon_page(
        &st,
        &agency,
        req.headers(),
        StatusCode::OK,
        "sign_in.html",
        context! {
            title => "Sign in",
            next => safe_next(q.next.as_deref().unwrap_or("")).trim_start_matches("./"),
            notice => notice_text(q.notice.as_deref()),
            login => "",
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignInForm {
    login: String,
    password: String,
    next: String,
}

async fn sign_in(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: SignInForm = parse_form(&bytes).page(&agency)?;
    let ctx = context(&headers, &ext);
    let login: String = form.login.chars().take(320).collect();
    match st
        .portal
        .sign_in(agency.id, &login, &Password::new(form.password), &ctx)
        .await
    {
        Ok(signed) => {
            // A session this browser had before in this agency ends: one browser, one session.
            if let Ok((old, _)) = st.session(&agency, &headers).await
                && old.session != signed.session.id
                && let Err(e) = st.portal.sign_out(&old, &ctx).await
            {
                tracing::warn!(error = %e, "previous session not ended");
            }
            let mut r = see_other(safe_next(&form.next));
            add_cookie(&mut r, session_cookie(&st, &agency, signed.token.expose()));
            Ok(r)
        }
        Err(e) => {
            let f = sign_in_failure(e, st.now());
            if f.status == StatusCode::UNAUTHORIZED || f.status == StatusCode::TOO_MANY_REQUESTS {
                let mut r = anon_page(
                    &st,
                    &agency,
                    &headers,
                    f.status,
                    "sign_in.html",
                    context! {
                        title => "Sign in",
                        error => f.message.clone(),
                        login,
                        next => safe_next(&form.next).trim_start_matches("./"),
                    },
                );
                f.decorate(&mut r);
                Ok(r)
            } else {
                Err(PageFailure(f, Some(Box::new(agency))))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// forgotten password

async fn forgot_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    Ok(anon_page(
        &st,
        &agency,
        req.headers(),
        StatusCode::OK,
        "forgot.html",
        context! { title => "Forgotten password" },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    login: String,
}

async fn forgot(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    crate::extract::answer_no_sooner(&st.clone(), forgot_now(st, slug, req)).await
}

async fn forgot_now(st: Shared, slug: String, req: Request) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: LoginForm = parse_form(&bytes).page(&agency)?;
    st.portal
        .request_password_reset(agency.id, &form.login, &context(&headers, &ext))
        .await
        .page(&agency)?;
    // The same answer whether or not the account exists (checklist 16).
    Ok(render(
        StatusCode::OK,
        "message.html",
        context! {
            title => "Check your email",
            message => "If an account exists for what you entered, we have sent an email with a link. It works for a limited time; if it does not arrive, check your spam folder or ask again.",
            next_href => "sign-in",
            next_label => "Back to sign in",
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// links: activate, reset, confirm email

/// The link behind this browser's link cookie, inspected (never consumed).
async fn inspect(
    st: &AppState,
    agency: &Agency,
    headers: &HeaderMap,
    purpose: LinkPurpose,
) -> Result<(String, LinkInfo), Failure> {
    let Some(raw) = cookie_value(headers, &st.cookies.link_name()) else {
        return Err(Failure::link(LinkError::Invalid));
    };
    match st.portal.inspect_link(agency.id, purpose, &raw).await {
        Ok(info) => Ok((raw, info)),
        Err(InspectError::Link(e)) => Err(Failure::link(e)),
        Err(e) => Err(e.into()),
    }
}

fn link_failure(st: &AppState, agency: &Agency, f: Failure) -> Response {
    let mut r = failure_page(&f, Some(agency));
    if f.code.starts_with("link_") {
        clear_link(st, &mut r);
    }
    token_page_headers(&mut r);
    r
}

struct SetPasswordPage {
    action: &'static str,
    heading: &'static str,
    button: &'static str,
}

const ACTIVATE: SetPasswordPage = SetPasswordPage {
    action: "activate",
    heading: "Activate your account",
    button: "Set password and sign in",
};
const RESET: SetPasswordPage = SetPasswordPage {
    action: "reset",
    heading: "Choose a new password",
    button: "Set new password",
};

fn set_password_page(
    st: &AppState,
    agency: &Agency,
    headers: &HeaderMap,
    page: &SetPasswordPage,
    info: Option<&LinkInfo>,
    error: Option<Failure>,
) -> Response {
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let mut r = anon_page(
        st,
        agency,
        headers,
        status,
        "set_password.html",
        context! {
            title => page.heading,
            heading => page.heading,
            action => page.action,
            button => page.button,
            display_name => info.map(|i| i.display_name.clone()),
            username => info.map(|i| i.username.clone()),
            error => error.map(|e| e.message),
        },
    );
    token_page_headers(&mut r);
    r
}

async fn link_form(
    st: Shared,
    slug: String,
    req: Request,
    purpose: LinkPurpose,
    page: &SetPasswordPage,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    if let Some(token) = query(&req).token {
        return Ok(land_with_token(&st, &token, page.action));
    }
    match inspect(&st, &agency, req.headers(), purpose).await {
        Ok((_, info)) => Ok(set_password_page(
            &st,
            &agency,
            req.headers(),
            page,
            Some(&info),
            None,
        )),
        Err(f) => Ok(link_failure(&st, &agency, f)),
    }
}

async fn activate_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    link_form(st, slug, req, LinkPurpose::Invitation, &ACTIVATE).await
}

async fn reset_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    link_form(st, slug, req, LinkPurpose::PasswordReset, &RESET).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn activate(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: PasswordForm = parse_form(&bytes).page(&agency)?;
    let Some(raw) = cookie_value(&headers, &st.cookies.link_name()) else {
        return Ok(link_failure(
            &st,
            &agency,
            Failure::link(LinkError::Invalid),
        ));
    };
    match st
        .portal
        .activate(
            agency.id,
            &raw,
            &Password::new(form.password),
            &context(&headers, &ext),
        )
        .await
    {
        Ok(signed) => {
            let mut r = see_other("./");
            clear_link(&st, &mut r);
            add_cookie(&mut r, session_cookie(&st, &agency, signed.token.expose()));
            token_page_headers(&mut r);
            Ok(r)
        }
        Err(ActivationError::Password(p)) => {
            let info = inspect(&st, &agency, &headers, LinkPurpose::Invitation)
                .await
                .ok()
                .map(|(_, i)| i);
            Ok(set_password_page(
                &st,
                &agency,
                &headers,
                &ACTIVATE,
                info.as_ref(),
                Some(Failure::password(&p)),
            ))
        }
        Err(e) => Ok(link_failure(&st, &agency, e.into())),
    }
}

async fn reset(State(st): State<Shared>, Params(slug): Params<String>, req: Request) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: PasswordForm = parse_form(&bytes).page(&agency)?;
    let Some(raw) = cookie_value(&headers, &st.cookies.link_name()) else {
        return Ok(link_failure(
            &st,
            &agency,
            Failure::link(LinkError::Invalid),
        ));
    };
    match st
        .portal
        .reset_password(
            agency.id,
            &raw,
            &Password::new(form.password),
            &context(&headers, &ext),
        )
        .await
    {
        Ok(()) => {
            // No automatic sign-in after a reset (checklist 19).
            let mut r = see_other("sign-in?notice=password_reset");
            clear_link(&st, &mut r);
            token_page_headers(&mut r);
            Ok(r)
        }
        Err(ResetError::Password(p)) => {
            let info = inspect(&st, &agency, &headers, LinkPurpose::PasswordReset)
                .await
                .ok()
                .map(|(_, i)| i);
            Ok(set_password_page(
                &st,
                &agency,
                &headers,
                &RESET,
                info.as_ref(),
                Some(Failure::password(&p)),
            ))
        }
        Err(e) => Ok(link_failure(&st, &agency, e.into())),
    }
}

async fn confirm_email_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    if let Some(token) = query(&req).token {
        return Ok(land_with_token(&st, &token, "confirm-email"));
    }
    match inspect(&st, &agency, req.headers(), LinkPurpose::EmailChange).await {
        Ok((_, info)) => {
            let mut r = anon_page(
                &st,
                &agency,
                req.headers(),
                StatusCode::OK,
                "confirm_email.html",
                context! {
                    title => "Confirm your new email address",
                    display_name => info.display_name,
                },
            );
            token_page_headers(&mut r);
            Ok(r)
        }
        Err(f) => Ok(link_failure(&st, &agency, f)),
    }
}

async fn confirm_email(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, _) = anon_post(&st, &agency, req).await?;
    let Some(raw) = cookie_value(&headers, &st.cookies.link_name()) else {
        return Ok(link_failure(
            &st,
            &agency,
            Failure::link(LinkError::Invalid),
        ));
    };
    match st
        .portal
        .confirm_email_change(agency.id, &raw, &context(&headers, &ext))
        .await
    {
        Ok(()) => {
            let mut r = render(
                StatusCode::OK,
                "message.html",
                context! {
                    title => "Your email address has changed",
                    message => "Your new email address is confirmed. Use it from now on.",
                    next_href => "./",
                    next_label => "Go to the portal",
                    agency_name => agency.name.clone(),
                    logo_url => agency.settings.branding.logo_url.clone(),
                },
            );
            clear_link(&st, &mut r);
            token_page_headers(&mut r);
            Ok(r)
        }
        Err(e) => Ok(link_failure(&st, &agency, e.into())),
    }
}

// ---------------------------------------------------------------------------------------------
// sign-in with an emailed code

fn code_disabled() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "code_sign_in_disabled",
        "Sign-in with an emailed code is not available here.",
    )
}

async fn code_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    if !agency.settings.email_code_sign_in {
        return Err(PageFailure(code_disabled(), Some(Box::new(agency))));
    }
    Ok(anon_page(
        &st,
        &agency,
        req.headers(),
        StatusCode::OK,
        "code_request.html",
        context! { title => "Sign in with a code" },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodeRequestForm {
    email: String,
}

async fn code_request(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    crate::extract::answer_no_sooner(&st.clone(), code_request_now(st, slug, req)).await
}

async fn code_request_now(st: Shared, slug: String, req: Request) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: CodeRequestForm = parse_form(&bytes).page(&agency)?;
    let challenge = st
        .portal
        .request_code(agency.id, &form.email, &context(&headers, &ext))
        .await
        .map_err(|e| PageFailure(code_failure(e, st.now()), Some(Box::new(agency.clone()))))?;
    let mut r = see_other("code-entry");
    add_cookie(
        &mut r,
        st.cookies.set(
            &st.cookies.attempt_name(&agency.slug),
            challenge.attempt.expose(),
            SameSite::Strict,
            Some(ATTEMPT_COOKIE_SECONDS),
        ),
    );
    Ok(r)
}

async fn code_entry_form(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    if !agency.settings.email_code_sign_in {
        return Err(PageFailure(code_disabled(), Some(Box::new(agency))));
    }
    if cookie_value(req.headers(), &st.cookies.attempt_name(&agency.slug)).is_none() {
        return Ok(see_other("code"));
    }
    Ok(anon_page(
        &st,
        &agency,
        req.headers(),
        StatusCode::OK,
        "code_enter.html",
        context! { title => "Enter your code" },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CodeForm {
    code: String,
}

async fn code_verify(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (headers, ext, bytes) = anon_post(&st, &agency, req).await?;
    let form: CodeForm = parse_form(&bytes).page(&agency)?;
    let attempt_name = st.cookies.attempt_name(&agency.slug);
    let attempt = cookie_value(&headers, &attempt_name).unwrap_or_default();
    let code: String = form
        .code
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(32)
        .collect();
    match st
        .portal
        .verify_code(agency.id, &attempt, &code, &context(&headers, &ext))
        .await
    {
        Ok(signed) => {
            let mut r = see_other("./");
            add_cookie(&mut r, st.cookies.clear(&attempt_name));
            add_cookie(&mut r, session_cookie(&st, &agency, signed.token.expose()));
            Ok(r)
        }
        Err(e) => {
            let f = code_failure(e, st.now());
            if f.status == StatusCode::UNAUTHORIZED || f.status == StatusCode::TOO_MANY_REQUESTS {
                let mut r = anon_page(
                    &st,
                    &agency,
                    &headers,
                    f.status,
                    "code_enter.html",
                    context! { title => "Enter your code", error => f.message.clone() },
                );
                f.decorate(&mut r);
                Ok(r)
            } else {
                Err(PageFailure(f, Some(Box::new(agency))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn js(v: serde_json::Value) -> Value {
        Value::from(minijinja::value::Serde(v))
    }

    fn m(minor: i64, currency: &str) -> Value {
        js(json!({"minor": minor, "currency": currency}))
    }

    #[test]
    fn money_uses_symbols_grouping_and_a_real_minus_sign() {
        assert_eq!(money(m(124_120, "GBP")), "£1,241.20");
        assert_eq!(money(m(-20_880, "GBP")), "\u{2212}£208.80");
        assert_eq!(money(m(5, "EUR")), "€0.05");
        assert_eq!(money(m(123_456_789, "USD")), "$1,234,567.89");
        assert_eq!(money(m(100_000, "CHF")), "1,000.00 CHF");
        assert_eq!(money(m(-99_999, "JPY")), "\u{2212}999.99 JPY");
        assert_eq!(money(m(0, "GBP")), "£0.00");
        assert_eq!(
            money(m(i64::MIN, "GBP")),
            "\u{2212}£92,233,720,368,547,758.08"
        );
        // Not money: nothing rather than a panic or a made-up amount.
        assert_eq!(money(Value::from("12")), "");
        assert_eq!(money(js(json!({"minor": "x", "currency": "GBP"}))), "");
        assert!(is_negative(m(-1, "GBP")));
        assert!(!is_negative(m(0, "GBP")));
        assert!(!is_money(js(json!({"minor": 1}))));
    }

    #[test]
    fn dates_read_like_dates_and_anything_else_is_left_alone() {
        assert_eq!(date(Value::from("2026-11-10")), "10 Nov 2026");
        assert_eq!(date(Value::from("2026-01-05")), "5 Jan 2026");
        assert_eq!(
            date(Value::from("2026-11-10T14:30:00Z")),
            "10 Nov 2026, 14:30"
        );
        assert_eq!(date(Value::from("2026-02-30")), "2026-02-30");
        assert_eq!(date(Value::from("Gutter clearance")), "Gutter clearance");
        assert!(is_date(Value::from("2026-11-10")));
        assert!(!is_date(Value::from("10/11/2026")));
        assert!(!is_date(Value::from(20_261_110)));
    }

    #[test]
    fn uniform_records_get_columns_dates_first_money_last() {
        let rows = js(json!([
            {"amount": {"minor": 1, "currency": "GBP"}, "date": "2026-11-10", "description": "Rent"},
            {"amount": {"minor": -1, "currency": "GBP"}, "date": "2026-11-03", "description": "Fee"}
        ]));
        let cols: Vec<String> = columns(rows)
            .try_iter()
            .unwrap()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(cols, ["date", "description", "amount"]);
        for other in [
            json!([{"a": 1}, {"b": 1}]),
            json!([{"a": 1}, "text"]),
            json!([1, 2]),
            json!([{"minor": 1, "currency": "GBP"}]),
            json!([]),
            json!("text"),
        ] {
            assert!(columns(js(other.clone())).is_none(), "{other}");
        }
    }

    #[test]
    fn status_tones_are_a_fixed_set() {
        assert_eq!(tone("Valid".into()), "good");
        assert_eq!(tone("expired".into()), "bad");
        assert_eq!(tone("pending".into()), "warn");
        assert_eq!(tone("\" onmouseover=\"x".into()), "neutral");
    }

    fn dashboard(data: serde_json::Value) -> String {
        let env = ENV.as_ref().unwrap();
        let ctx = js(json!({
            "display_name": "1 High Street", "kind": "lettings", "roles": ["landlord"],
            "property_id": "p1", "csrf": "c", "many": true,
            "widgets": [{"id": "w1", "title": "Widget", "state": "ready", "data": data}]
        }));
        env.get_template("dashboard.html")
            .unwrap()
            .render(ctx)
            .unwrap()
    }

    #[test]
    fn a_list_of_records_renders_as_a_table_with_headline_figures() {
        let html = dashboard(json!({"type": "property_balance", "data": {
            "due_to_owner": {"minor": 102_720, "currency": "GBP"},
            "transactions": [
                {"date": "2026-11-10", "description": "Payment <to> landlord", "amount": {"minor": -166_920, "currency": "GBP"}},
                {"date": "2026-11-01", "description": "Rent", "amount": {"minor": 120_000, "currency": "GBP"}}
            ]
        }}));
        assert!(html.contains("<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Transactions\"><table>"), "{html}");
        assert!(html.contains("<caption>Transactions</caption>"), "{html}");
        assert!(html.contains("<th scope=\"col\">Date</th><th scope=\"col\">Description</th><th scope=\"col\" class=\"num\">Amount</th>"), "{html}");
        assert!(
            html.contains(
                "<td class=\"num\"><span class=\"money neg\">\u{2212}£1,669.20</span></td>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"money\">£1,200.00</span>"),
            "{html}"
        );
        assert!(
            html.contains("<time datetime=\"2026-11-10\">10 Nov 2026</time>"),
            "{html}"
        );
        assert!(
            html.contains("Payment &lt;to&gt; landlord"),
            "host text is escaped"
        );
        assert!(html.contains("<p class=\"figure\"><span class=\"figure-label\">Due to owner</span> <span class=\"money\">£1,027.20</span></p>"), "{html}");
        assert!(!html.contains("<dl"), "no nested lists for records: {html}");
        assert!(html.contains("id=\"w-w1\""));
        assert!(html.contains("action=\"../sign-out\""));
        assert!(html.contains("<main id=\"main\" class=\"wide\">"));
    }

    #[test]
    fn statuses_are_pills_and_odd_lists_fall_back_to_a_generic_rendering() {
        let html = dashboard(json!({"type": "offers", "data": [
            {"made_at": "2026-11-01T10:00:00Z", "status": "rejected", "amount": {"minor": 100, "currency": "EUR"}, "buyer": {"first": "Jo", "last": "Bloggs"}}
        ]}));
        assert!(
            html.contains("<span class=\"pill bad\">Rejected</span>"),
            "{html}"
        );
        assert!(html.contains("<td>Jo Bloggs</td>"), "{html}");
        assert!(html.contains("1 Nov 2026, 10:00"), "{html}");
        let html = dashboard(
            json!({"type": "custom", "data": {"notes": [{"a": 1}, {"b": "two"}, "three"]}}),
        );
        assert!(!html.contains("<table"), "{html}");
        assert!(html.contains("<ul class=\"plain\">"), "{html}");
        assert!(html.contains("<dt>B</dt><dd>two</dd>"), "{html}");
        assert!(html.contains("<li>three</li>"), "{html}");
        let html = dashboard(json!({"type": "custom", "data": {"notes": []}}));
        assert!(html.contains("None."), "{html}");
    }
}
