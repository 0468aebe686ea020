//! What a signed-in client (or a staff preview) sees: the portfolio (pick a property), the
//! property dashboard with its widgets, statements on demand and document downloads — as
//! pages under `/p/{slug}/…` and as JSON under `/api/v1/{slug}/…`. Every read goes through
//! core's decision point (grants read afresh each time); these handlers only translate.

use crate::error::{ApiFailure, Failure, json_response};
use crate::extract::{AppState, Params, Shared};
use crate::host_data::{iso_dates, parse_date};
use crate::pages::{
    InAgency, PageFailure, PageResult, notice_text, query, render, see_other, token_page_headers,
};
use crate::security::Binding;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cookie::SameSite;
use http::{HeaderValue, StatusCode, header};
use minijinja::{Value, context};
use portico_core::PropertyId;
use portico_core::host::{DocumentContent, Period};
use portico_core::model::{Agency, Principal};
use portico_core::{DocumentId, token};
use serde::Deserialize;
use serde_json::json;

/// The portfolio routes (pages and client JSON).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/p/{slug}/preview", get(preview_landing))
        .route("/p/{slug}/properties/{id}", get(dashboard_page))
        .route("/p/{slug}/properties/{id}/statement", get(statement_page))
        .route("/p/{slug}/documents/{id}", get(download_page))
        .route("/api/v1/{slug}/properties", get(api_portfolio))
        .route("/api/v1/{slug}/properties/{id}", get(api_dashboard))
        .route(
            "/api/v1/{slug}/properties/{id}/widgets/{widget}",
            get(api_widget),
        )
        .route(
            "/api/v1/{slug}/properties/{id}/statement",
            get(api_statement),
        )
        .route(
            "/api/v1/{slug}/properties/{id}/documents",
            get(api_documents),
        )
        .route("/api/v1/{slug}/documents/{id}", get(api_download))
}

fn to_json<T: serde::Serialize>(t: &T) -> serde_json::Value {
    let mut v = serde_json::to_value(t).unwrap_or(serde_json::Value::Null);
    iso_dates(&mut v);
    v
}

fn id<T: std::str::FromStr>(s: &str) -> Result<T, Failure> {
    s.parse::<T>().map_err(|_| Failure::not_found())
}

/// The signed-in principal of a page, or a redirect to sign in.
async fn page_session(
    st: &AppState,
    agency: &Agency,
    headers: &http::HeaderMap,
    back: &str,
) -> Result<Result<(Principal, String), Response>, PageFailure> {
    match st.session(agency, headers).await {
        Ok(s) => Ok(Ok(s)),
        Err(f) if f.status == StatusCode::UNAUTHORIZED => Ok(Err(see_other(back))),
        Err(f) => Err(PageFailure(f, Some(Box::new(agency.clone())))),
    }
}

/// The home page with access on: the portfolio; straight to the dashboard when there is
/// exactly one property.
pub(crate) async fn home(
    st: &AppState,
    agency: &Agency,
    principal: &Principal,
    raw: &str,
    notice: Option<&str>,
) -> PageResult {
    let access = st.access().page(agency)?;
    let list = access.portfolio(principal, st.now()).await.page(agency)?;
    if list.len() == 1 && notice.is_none() {
        return Ok(see_other(&format!("properties/{}", list[0].property)));
    }
    Ok(render(
        StatusCode::OK,
        "portfolio.html",
        context! {
            title => "Your properties",
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
            properties => Value::from(minijinja::value::Serde(to_json(&list))),
            csrf => st.csrf_token(&agency.slug, Binding::Session(raw)),
            preview => principal.is_preview(),
            notice => notice_text(notice),
        },
    ))
}

async fn dashboard_page(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, raw) = match page_session(&st, &agency, req.headers(), "../sign-in").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let access = st.access().page(&agency)?;
    let property: PropertyId = id(&raw_id).page(&agency)?;
    let now = st.now();
    let dash = access
        .dashboard(&principal, property, now)
        .await
        .page(&agency)?;
    let many = access
        .portfolio(&principal, now)
        .await
        .map(|l| l.len() > 1)
        .unwrap_or(false);
    let v = to_json(&dash);
    Ok(render(
        StatusCode::OK,
        "dashboard.html",
        context! {
            title => dash.display_name.clone(),
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
            display_name => dash.display_name.clone(),
            kind => Value::from(minijinja::value::Serde(v["kind"].clone())),
            roles => Value::from(minijinja::value::Serde(&v["roles"])),
            widgets => Value::from(minijinja::value::Serde(&v["widgets"])),
            property_id => property.to_string(),
            many,
            csrf => st.csrf_token(&agency.slug, Binding::Session(&raw)),
            preview => principal.is_preview(),
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

fn period(req: &Request) -> Result<Period, Failure> {
    let q: PeriodQuery = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let bad = || {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_period",
            "Give the period as from=YYYY-MM-DD and to=YYYY-MM-DD, from not after to.",
        )
    };
    let from = q.from.as_deref().and_then(parse_date).ok_or_else(bad)?;
    let to = q.to.as_deref().and_then(parse_date).ok_or_else(bad)?;
    if from > to || (to - from).whole_days() > 366 * 3 {
        return Err(bad());
    }
    Ok(Period { from, to })
}

async fn statement_page(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, raw) = match page_session(&st, &agency, req.headers(), "../../sign-in").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let access = st.access().page(&agency)?;
    let property: PropertyId = id(&raw_id).page(&agency)?;
    let period = period(&req).page(&agency)?;
    let now = st.now();
    let statement = access
        .statement(&principal, property, period, now)
        .await
        .page(&agency)?;
    let dash_name = access
        .portfolio(&principal, now)
        .await
        .ok()
        .and_then(|l| l.into_iter().find(|p| p.property == property))
        .map(|p| p.display_name)
        .unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        "statement.html",
        context! {
            title => "Statement",
            agency_name => agency.name.clone(),
            logo_url => agency.settings.branding.logo_url.clone(),
            statement => Value::from(minijinja::value::Serde(to_json(&statement))),
            property_id => property.to_string(),
            display_name => dash_name,
            csrf => st.csrf_token(&agency.slug, Binding::Session(&raw)),
            preview => principal.is_preview(),
        },
    ))
}

/// Types a browser may be given as they are; anything else downloads as octet-stream (the
/// host's type is not trusted to be harmless on this origin).
fn safe_content_type(t: &str) -> &'static str {
    match t
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "text/plain" => "text/plain; charset=utf-8",
        "text/csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "document".to_string()
    } else {
        cleaned
    }
}

/// A document as an attachment: never rendered on this origin (sandboxed, nosniff).
fn attachment(doc: DocumentContent) -> Response {
    let mut r = (StatusCode::OK, doc.bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(safe_content_type(&doc.content_type)),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        safe_file_name(&doc.file_name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

async fn download_page(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let (principal, _) = match page_session(&st, &agency, req.headers(), "../sign-in").await? {
        Ok(s) => s,
        Err(redirect) => return Ok(redirect),
    };
    let access = st.access().page(&agency)?;
    let doc: DocumentId = id(&raw_id).page(&agency)?;
    let content = access
        .download(&principal, doc, st.now())
        .await
        .page(&agency)?;
    Ok(attachment(content))
}

/// A staff preview opens here: `?token=ppvw_…` becomes the session cookie at once and the
/// browser goes to the portal without it (the token leaves the URL; no referrer, no store).
async fn preview_landing(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> PageResult {
    let agency = st.agency(&slug).await?;
    let q = query(&req);
    let mut r = see_other("./");
    if let Some(t) = q.token
        && token::parse(token::TokenKind::Preview, &t).is_ok()
        && st.portal.authenticate(agency.id, &t).await.is_ok()
    {
        crate::pages::add_cookie(
            &mut r,
            st.cookies.set(
                &st.cookies.session_name(&agency.slug),
                &t,
                SameSite::Lax,
                None,
            ),
        );
    } else {
        r = crate::pages::failure_page(
            &Failure::new(
                StatusCode::GONE,
                "preview_invalid",
                "This preview link is not valid or has expired. Open a new preview from the CRM.",
            ),
            Some(&agency),
        );
    }
    token_page_headers(&mut r);
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// client JSON

type ApiResult = Result<Response, ApiFailure>;

async fn api_principal(
    st: &AppState,
    slug: &str,
    headers: &http::HeaderMap,
) -> Result<(Agency, Principal), Failure> {
    let agency = st.agency(slug).await?;
    let (p, _) = st.session(&agency, headers).await?;
    Ok((agency, p))
}

async fn api_portfolio(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let list = st
        .access()?
        .portfolio(&p, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "properties": to_json(&list) }),
    ))
}

async fn api_dashboard(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let d = st
        .access()?
        .dashboard(&p, id(&raw_id)?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(json_response(StatusCode::OK, &to_json(&d)))
}

async fn api_widget(
    State(st): State<Shared>,
    Params((slug, raw_id, widget)): Params<(String, String, String)>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let w = st
        .access()?
        .widget(&p, id(&raw_id)?, &widget, st.now())
        .await
        .map_err(Failure::from)?
        .ok_or_else(Failure::not_found)?;
    Ok(json_response(StatusCode::OK, &to_json(&w)))
}

async fn api_statement(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let period = period(&req)?;
    let s = st
        .access()?
        .statement(&p, id(&raw_id)?, period, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(json_response(StatusCode::OK, &to_json(&s)))
}

async fn api_documents(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let docs = st
        .access()?
        .documents(&p, id(&raw_id)?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "documents": to_json(&docs) }),
    ))
}

async fn api_download(
    State(st): State<Shared>,
    Params((slug, raw_id)): Params<(String, String)>,
    req: Request,
) -> ApiResult {
    let (_, p) = api_principal(&st, &slug, req.headers()).await?;
    let doc = st
        .access()?
        .download(&p, id(&raw_id)?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(attachment(doc))
}
