//! The client JSON API under `/api/v1/{agency_slug}/…`, for hosts that build their own front
//! end. The session travels only in the `__Host-` cookie (never in a URL or a JSON body a
//! script could store: checklist 26); tokens of emailed links travel in JSON bodies, never in
//! URLs. Unsafe requests need `Content-Type: application/json` and pass the Fetch-Metadata /
//! `Origin` check (checklist 32).

use crate::error::{ApiFailure, Failure, code_failure, sign_in_failure};
use crate::extract::{AppState, Params, Shared, context, is_json, parse_json, read_body};
use crate::security::{ATTEMPT_COOKIE_SECONDS, cookie_value};
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use cookie::SameSite;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use portico_core::model::{Account, Agency, LinkPurpose, Principal};
use portico_core::{Password, SessionId, SignedIn};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type ApiResult = Result<Response, ApiFailure>;

/// RFC 3339 text of a time.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn ts_opt(t: Option<OffsetDateTime>) -> Value {
    t.map(|t| Value::String(ts(t))).unwrap_or(Value::Null)
}

/// The OpenAPI 3.1 document of the client and admin APIs.
pub(crate) const OPENAPI: &str = include_str!("../openapi.json");

/// The client API routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/{slug}/sign-in", post(sign_in))
        .route("/api/v1/{slug}/sign-out", post(sign_out))
        .route(
            "/api/v1/{slug}/sign-out-everywhere",
            post(sign_out_everywhere),
        )
        .route("/api/v1/{slug}/me", get(me))
        .route("/api/v1/{slug}/sessions", get(sessions))
        .route("/api/v1/{slug}/sessions/{id}", delete(end_session))
        .route("/api/v1/{slug}/password", post(change_password))
        .route("/api/v1/{slug}/email", post(change_email))
        .route("/api/v1/{slug}/links/inspect", post(inspect_link))
        .route("/api/v1/{slug}/activate", post(activate))
        .route("/api/v1/{slug}/password-reset/request", post(request_reset))
        .route("/api/v1/{slug}/password-reset", post(reset))
        .route("/api/v1/{slug}/confirm-email", post(confirm_email))
        .route("/api/v1/{slug}/code/request", post(request_code))
        .route("/api/v1/{slug}/code/verify", post(verify_code))
}

async fn openapi() -> Response {
    let mut r = OPENAPI.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn ok_json(status: StatusCode, v: Value) -> Response {
    crate::error::json_response(status, &v)
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) fn account_json(a: &Account) -> Value {
    json!({
        "id": a.id.to_string(),
        "username": a.username,
        "email": a.email,
        "display_name": a.display_name,
        "status": a.status.as_str(),
        "created_at": ts(a.created_at),
        "activated_at": ts_opt(a.activated_at),
        "password_changed_at": ts_opt(a.password_changed_at),
    })
}

/// An unsafe request's checks: origin, JSON content type, bounded body. Returns the parsed
/// body with the headers and extensions.
async fn unsafe_json<T: DeserializeOwned>(
    st: &AppState,
    agency: &Agency,
    req: Request,
) -> Result<(T, HeaderMap, http::Extensions), Failure> {
    let (parts, body) = req.into_parts();
    st.check_origin(agency, &parts.headers)?;
    let bytes = read_body(body, st.config.body_limit).await?;
    if !is_json(&parts.headers) {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "json_required",
            "Send the request with Content-Type: application/json.",
        ));
    }
    let t = parse_json(&bytes)?;
    Ok((t, parts.headers, parts.extensions))
}

/// A signed-in client's unsafe request: the checks above plus a live session that is not a
/// preview.
async fn signed_in_json<T: DeserializeOwned>(
    st: &AppState,
    agency: &Agency,
    req: Request,
    allow_preview: bool,
) -> Result<(Principal, T, HeaderMap, http::Extensions), Failure> {
    let (principal, _) = st.session(agency, req.headers()).await?;
    if principal.is_preview() && !allow_preview {
        return Err(Failure::read_only());
    }
    let (t, h, e) = unsafe_json(st, agency, req).await?;
    Ok((principal, t, h, e))
}

fn with_session(st: &AppState, agency: &Agency, signed: &SignedIn, status: StatusCode) -> Response {
    let mut r = ok_json(
        status,
        json!({
            "account": account_json(&signed.account),
            "session": {
                "id": signed.session.id.to_string(),
                "idle_expires_at": ts(signed.session.idle_expires_at),
                "absolute_expires_at": ts(signed.session.absolute_expires_at),
            }
        }),
    );
    if let Some(c) = st.cookies.set(
        &st.cookies.session_name(&agency.slug),
        signed.token.expose(),
        SameSite::Lax,
        None,
    ) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

fn signed_out(st: &AppState, agency: &Agency) -> Response {
    let mut r = no_content();
    if let Some(c) = st.cookies.clear(&st.cookies.session_name(&agency.slug)) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r.headers_mut().insert(
        header::HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cookies\", \"storage\""),
    );
    r
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    login: String,
    password: String,
}

async fn sign_in(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (SignInBody, _, _) = unsafe_json(&st, &agency, req).await?;
    let ctx = context(&headers, &ext);
    let login: String = body.login.chars().take(320).collect();
    let signed = st
        .portal
        .sign_in(agency.id, &login, &Password::new(body.password), &ctx)
        .await
        .map_err(|e| sign_in_failure(e, st.now()))?;
    if let Ok((old, _)) = st.session(&agency, &headers).await
        && old.session != signed.session.id
        && let Err(e) = st.portal.sign_out(&old, &ctx).await
    {
        tracing::warn!(error = %e, "previous session not ended");
    }
    Ok(with_session(&st, &agency, &signed, StatusCode::OK))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn sign_out(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, _): (Principal, _) = match st.session(&agency, req.headers()).await {
        Ok(p) => p,
        Err(f) if f.status == StatusCode::UNAUTHORIZED => {
            st.check_origin(&agency, req.headers())?;
            return Ok(signed_out(&st, &agency));
        }
        Err(f) => return Err(f.into()),
    };
    let (_, _, headers, ext): (_, Empty, _, _) = signed_in_json(&st, &agency, req, true).await?;
    st.end_session(&principal, &context(&headers, &ext)).await?;
    Ok(signed_out(&st, &agency))
}

async fn sign_out_everywhere(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, _, headers, ext): (_, Empty, _, _) =
        signed_in_json(&st, &agency, req, false).await?;
    st.portal
        .sign_out_everywhere(&principal, &context(&headers, &ext))
        .await
        .map_err(Failure::from)?;
    Ok(signed_out(&st, &agency))
}

async fn me(State(st): State<Shared>, Params(slug): Params<String>, req: Request) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, _) = st.session(&agency, req.headers()).await?;
    let account = st
        .portal
        .account(agency.id, principal.account)
        .await
        .map_err(Failure::from)?;
    Ok(ok_json(
        StatusCode::OK,
        json!({
            "account": account_json(&account),
            "session_id": principal.session.to_string(),
            "preview": principal.is_preview(),
        }),
    ))
}

async fn sessions(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, _) = st.session(&agency, req.headers()).await?;
    let list: Vec<Value> = st
        .portal
        .my_sessions(&principal)
        .await
        .map_err(Failure::from)?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id.to_string(),
                "created_at": ts(s.created_at),
                "last_seen_at": ts(s.last_seen_at),
                "address": s.address.map(|a| a.to_string()),
                "user_agent": s.user_agent,
                "current": s.current,
            })
        })
        .collect();
    Ok(ok_json(StatusCode::OK, json!({ "sessions": list })))
}

async fn end_session(
    State(st): State<Shared>,
    Params((slug, id)): Params<(String, String)>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, _) = st.session(&agency, req.headers()).await?;
    if principal.is_preview() {
        return Err(Failure::read_only().into());
    }
    st.check_origin(&agency, req.headers())?;
    let Ok(id) = id.parse::<SessionId>() else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "session_not_found",
            "No such session.",
        )
        .into());
    };
    let ctx = context(req.headers(), req.extensions());
    st.portal
        .end_my_session(&principal, id, &ctx)
        .await
        .map_err(Failure::from)?;
    if id == principal.session {
        return Ok(signed_out(&st, &agency));
    }
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, body, headers, ext): (_, ChangePasswordBody, _, _) =
        signed_in_json(&st, &agency, req, false).await?;
    let signed = st
        .portal
        .change_password(
            &principal,
            &Password::new(body.current_password),
            &Password::new(body.new_password),
            &context(&headers, &ext),
        )
        .await
        .map_err(Failure::from)?;
    Ok(with_session(&st, &agency, &signed, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeEmailBody {
    current_password: String,
    new_email: String,
}

async fn change_email(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (principal, body, headers, ext): (_, ChangeEmailBody, _, _) =
        signed_in_json(&st, &agency, req, false).await?;
    st.portal
        .request_email_change(
            &principal,
            &Password::new(body.current_password),
            &body.new_email,
            &context(&headers, &ext),
        )
        .await
        .map_err(Failure::from)?;
    Ok(ok_json(
        StatusCode::ACCEPTED,
        json!({ "status": "confirmation_sent" }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InspectBody {
    purpose: LinkPurpose,
    token: String,
}

async fn inspect_link(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, _, _): (InspectBody, _, _) = unsafe_json(&st, &agency, req).await?;
    let info = st
        .portal
        .inspect_link(agency.id, body.purpose, &body.token)
        .await
        .map_err(Failure::from)?;
    Ok(ok_json(
        StatusCode::OK,
        json!({
            "purpose": info.purpose.as_str(),
            "display_name": info.display_name,
            "username": info.username,
            "expires_at": ts(info.expires_at),
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenPasswordBody {
    token: String,
    password: String,
}

async fn activate(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (TokenPasswordBody, _, _) = unsafe_json(&st, &agency, req).await?;
    let signed = st
        .portal
        .activate(
            agency.id,
            &body.token,
            &Password::new(body.password),
            &context(&headers, &ext),
        )
        .await
        .map_err(Failure::from)?;
    Ok(with_session(&st, &agency, &signed, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    login: String,
}

async fn request_reset(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    crate::extract::answer_no_sooner(&st.clone(), request_reset_now(st, slug, req)).await
}

async fn request_reset_now(st: Shared, slug: String, req: Request) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (LoginBody, _, _) = unsafe_json(&st, &agency, req).await?;
    st.portal
        .request_password_reset(agency.id, &body.login, &context(&headers, &ext))
        .await
        .map_err(Failure::from)?;
    Ok(ok_json(
        StatusCode::ACCEPTED,
        json!({ "status": "if_the_account_exists_an_email_is_on_its_way" }),
    ))
}

async fn reset(State(st): State<Shared>, Params(slug): Params<String>, req: Request) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (TokenPasswordBody, _, _) = unsafe_json(&st, &agency, req).await?;
    st.portal
        .reset_password(
            agency.id,
            &body.token,
            &Password::new(body.password),
            &context(&headers, &ext),
        )
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

async fn confirm_email(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (TokenBody, _, _) = unsafe_json(&st, &agency, req).await?;
    st.portal
        .confirm_email_change(agency.id, &body.token, &context(&headers, &ext))
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

async fn request_code(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    crate::extract::answer_no_sooner(&st.clone(), request_code_now(st, slug, req)).await
}

async fn request_code_now(st: Shared, slug: String, req: Request) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (EmailBody, _, _) = unsafe_json(&st, &agency, req).await?;
    let challenge = st
        .portal
        .request_code(agency.id, &body.email, &context(&headers, &ext))
        .await
        .map_err(|e| code_failure(e, st.now()))?;
    let mut r = ok_json(
        StatusCode::ACCEPTED,
        json!({ "status": "if_the_address_has_an_account_a_code_is_on_its_way",
                "expires_at": ts(challenge.expires_at) }),
    );
    if let Some(c) = st.cookies.set(
        &st.cookies.attempt_name(&agency.slug),
        challenge.attempt.expose(),
        SameSite::Strict,
        Some(ATTEMPT_COOKIE_SECONDS),
    ) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

async fn verify_code(
    State(st): State<Shared>,
    Params(slug): Params<String>,
    req: Request,
) -> ApiResult {
    let agency = st.agency(&slug).await?;
    let (body, headers, ext): (CodeBody, _, _) = unsafe_json(&st, &agency, req).await?;
    let attempt_name = st.cookies.attempt_name(&agency.slug);
    let attempt = cookie_value(&headers, &attempt_name).unwrap_or_default();
    let code: String = body.code.chars().take(32).collect();
    let signed = st
        .portal
        .verify_code(agency.id, &attempt, &code, &context(&headers, &ext))
        .await
        .map_err(|e| code_failure(e, st.now()))?;
    let mut r = with_session(&st, &agency, &signed, StatusCode::OK);
    if let Some(c) = st.cookies.clear(&attempt_name) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}
