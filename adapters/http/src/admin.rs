//! The admin API under `/admin/v1/…`, for the host CRM. Every request carries an agency's API
//! key as `Authorization: Bearer pkey_…` (never in a URL: checklist 40); the agency comes from
//! the key, never from the request, so another agency's object answers 404 (checklist 37).
//! The staff member acting is named by the `X-Portico-Staff` header and recorded in the audit.

use crate::api::{account_json, ts, ts_opt};
use crate::error::{ApiFailure, Failure};
use crate::extract::{AppState, Params, Shared, context, parse_json, read_body};
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, StatusCode, header};
use portico_core::idm::account::SetUpAccess;
use portico_core::model::{
    Actor, Agency, AgencySettings, ApiKey, AuditKind, AuditQuery, ContactRef, OutboxStatus,
};
use portico_core::{AccountId, ApiKeyId, LinkId, RequestContext};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type ApiResult = Result<Response, ApiFailure>;

/// Who calls: the key (naming the agency), the actor for the audit, the request context.
pub(crate) struct Caller {
    pub key: ApiKey,
    pub actor: Actor,
    pub ctx: RequestContext,
}

/// Longest staff name kept from `X-Portico-Staff`.
const MAX_STAFF: usize = 120;

async fn caller(
    st: &AppState,
    headers: &HeaderMap,
    ext: &http::Extensions,
) -> Result<Caller, Failure> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    let Some(presented) = presented else {
        return Err(portico_core::idm::api_key::ApiKeyError::Invalid.into());
    };
    let key = st
        .portal
        .authenticate_api_key(presented)
        .await
        .map_err(Failure::from)?;
    let staff = match headers.get("x-portico-staff") {
        None => format!("api key {}", key.name),
        Some(v) => match v.to_str() {
            Ok(s) if !s.trim().is_empty() => s.trim().chars().take(MAX_STAFF).collect(),
            Ok(_) => format!("api key {}", key.name),
            Err(_) => {
                return Err(Failure::bad_request(
                    "X-Portico-Staff must be visible ASCII text.",
                ));
            }
        },
    };
    Ok(Caller {
        actor: Actor::Staff {
            key: Some(key.id),
            staff,
        },
        key,
        ctx: context(headers, ext),
    })
}

/// Authenticates, then reads and parses the JSON body.
pub(crate) async fn caller_and_body<T: DeserializeOwned>(
    st: &AppState,
    req: Request,
) -> Result<(Caller, T), Failure> {
    let (parts, body) = req.into_parts();
    let c = caller(st, &parts.headers, &parts.extensions).await?;
    let bytes: Bytes = read_body(body, st.config.body_limit).await?;
    Ok((c, parse_json(&bytes)?))
}

pub(crate) async fn caller_only(st: &AppState, parts: &Parts) -> Result<Caller, Failure> {
    caller(st, &parts.headers, &parts.extensions).await
}

pub(crate) fn ok(status: StatusCode, v: Value) -> Response {
    crate::error::json_response(status, &v)
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) fn id<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, Failure> {
    s.parse::<T>().map_err(|_| {
        Failure::new(
            StatusCode::NOT_FOUND,
            &format!("{what}_not_found"),
            "Nothing was found with this id.",
        )
    })
}

fn query<T: DeserializeOwned + Default>(parts: &Parts) -> Result<T, Failure> {
    match parts.uri.query() {
        None => Ok(T::default()),
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "A query parameter is not valid.",
            )
        }),
    }
}

/// The admin routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/admin/v1/agency", get(get_agency).put(put_agency))
        .route("/admin/v1/accounts", get(list_accounts).post(set_up_access))
        .route(
            "/admin/v1/accounts/{id}",
            get(get_account).patch(edit_account).delete(delete_account),
        )
        .route("/admin/v1/accounts/{id}/disable", post(disable))
        .route("/admin/v1/accounts/{id}/enable", post(enable))
        .route("/admin/v1/accounts/{id}/end-sessions", post(end_sessions))
        .route("/admin/v1/accounts/{id}/invitation", post(send_invitation))
        .route("/admin/v1/accounts/{id}/password-reset", post(send_reset))
        .route("/admin/v1/invitations", get(invitations))
        .route(
            "/admin/v1/invitations/{id}",
            axum::routing::delete(revoke_invitation),
        )
        .route("/admin/v1/api-keys", get(api_keys).post(create_api_key))
        .route(
            "/admin/v1/api-keys/{id}",
            axum::routing::delete(revoke_api_key),
        )
        .route("/admin/v1/api-keys/{id}/rotate", post(rotate_api_key))
        .route("/admin/v1/audit", get(audit))
        .route("/admin/v1/outbox", get(outbox))
}

fn agency_json(a: &Agency) -> Value {
    json!({
        "id": a.id.to_string(),
        "slug": a.slug,
        "name": a.name,
        "settings": serde_json::to_value(&a.settings).unwrap_or(Value::Null),
        "created_at": ts(a.created_at),
    })
}

async fn get_agency(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let a = st
        .portal
        .agency(c.key.agency)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, agency_json(&a)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutAgency {
    name: String,
    settings: AgencySettings,
}

async fn put_agency(State(st): State<Shared>, req: Request) -> ApiResult {
    let (c, body): (_, PutAgency) = caller_and_body(&st, req).await?;
    let a = st
        .portal
        .update_agency(c.key.agency, c.actor, &body.name, body.settings, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, agency_json(&a)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Page {
    offset: u32,
    limit: Option<u32>,
}

async fn list_accounts(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let p: Page = query(&parts)?;
    let list = st
        .portal
        .accounts(c.key.agency, p.offset, p.limit.unwrap_or(100))
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::OK,
        json!({ "accounts": list.iter().map(account_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetUpBody {
    email: String,
    #[serde(default)]
    username: Option<String>,
    display_name: String,
    #[serde(default)]
    contact: Option<String>,
    /// Send the invitation at once (default true) when a new login was created.
    #[serde(default)]
    invite: Option<bool>,
}

async fn set_up_access(State(st): State<Shared>, req: Request) -> ApiResult {
    let (c, body): (_, SetUpBody) = caller_and_body(&st, req).await?;
    let set = st
        .portal
        .set_up_access(
            c.key.agency,
            c.actor.clone(),
            SetUpAccess {
                contact: body.contact.map(ContactRef),
                email: body.email,
                username: body.username,
                display_name: body.display_name,
            },
            &c.ctx,
        )
        .await
        .map_err(Failure::from)?;
    let mut invitation = Value::Null;
    if set.created && body.invite.unwrap_or(true) {
        let inv = st
            .portal
            .send_invitation(c.key.agency, c.actor, set.account.id, &c.ctx)
            .await
            .map_err(Failure::from)?;
        invitation = invitation_json(&inv);
    }
    let status = if set.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(ok(
        status,
        json!({ "account": account_json(&set.account), "created": set.created, "invitation": invitation }),
    ))
}

async fn get_account(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let a = st
        .portal
        .account(c.key.agency, id::<AccountId>(&raw, "account")?)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "account": account_json(&a) })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

async fn edit_account(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    req: Request,
) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let (c, body): (_, EditBody) = caller_and_body(&st, req).await?;
    let a = st
        .portal
        .update_profile(
            c.key.agency,
            c.actor,
            account,
            body.username,
            body.display_name,
            &c.ctx,
        )
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "account": account_json(&a) })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    confirm: String,
}

async fn delete_account(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    req: Request,
) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let (c, body): (_, DeleteBody) = caller_and_body(&st, req).await?;
    st.portal
        .delete_account(c.key.agency, c.actor, account, &body.confirm, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn disable(State(st): State<Shared>, Params(raw): Params<String>, parts: Parts) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let c = caller_only(&st, &parts).await?;
    st.portal
        .disable_account(c.key.agency, c.actor, account, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn enable(State(st): State<Shared>, Params(raw): Params<String>, parts: Parts) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let c = caller_only(&st, &parts).await?;
    st.portal
        .enable_account(c.key.agency, c.actor, account, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn end_sessions(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let c = caller_only(&st, &parts).await?;
    let n = st
        .portal
        .end_sessions_of(c.key.agency, c.actor, account, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "ended": n })))
}

fn invitation_json(i: &portico_core::idm::invitation::Invitation) -> Value {
    json!({
        "id": i.id.to_string(),
        "account": i.account.to_string(),
        "state": serde_json::to_value(i.state).unwrap_or(Value::Null),
        "created_at": ts(i.created_at),
        "expires_at": ts(i.expires_at),
        "used_at": ts_opt(i.used_at),
        "created_by": serde_json::to_value(&i.created_by).unwrap_or(Value::Null),
    })
}

async fn send_invitation(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let c = caller_only(&st, &parts).await?;
    let inv = st
        .portal
        .send_invitation(c.key.agency, c.actor, account, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::CREATED,
        json!({ "invitation": invitation_json(&inv) }),
    ))
}

async fn send_reset(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let account = id::<AccountId>(&raw, "account")?;
    let c = caller_only(&st, &parts).await?;
    let purpose = st
        .portal
        .send_password_reset(c.key.agency, c.actor, account, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::ACCEPTED,
        json!({ "sent": purpose.as_str() }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InvitationQuery {
    account: Option<String>,
}

async fn invitations(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let q: InvitationQuery = query(&parts)?;
    let account = match q.account {
        Some(a) => Some(id::<AccountId>(&a, "account")?),
        None => None,
    };
    let list = st
        .portal
        .invitations(c.key.agency, account)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::OK,
        json!({ "invitations": list.iter().map(invitation_json).collect::<Vec<_>>() }),
    ))
}

async fn revoke_invitation(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let link = id::<LinkId>(&raw, "invitation")?;
    let c = caller_only(&st, &parts).await?;
    st.portal
        .revoke_invitation(c.key.agency, c.actor, link, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

fn key_json(k: &ApiKey) -> Value {
    json!({
        "id": k.id.to_string(),
        "name": k.name,
        "prefix": k.prefix,
        "created_at": ts(k.created_at),
        "expires_at": ts_opt(k.expires_at),
        "revoked_at": ts_opt(k.revoked_at),
    })
}

async fn api_keys(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let keys = st
        .portal
        .api_keys(c.key.agency)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::OK,
        json!({ "api_keys": keys.iter().map(key_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
}

fn new_key_json(n: &portico_core::idm::api_key::NewApiKey) -> Value {
    let mut v = key_json(&n.key);
    if let Value::Object(m) = &mut v {
        m.insert("key".into(), Value::String(n.raw.expose().to_string()));
    }
    v
}

async fn create_api_key(State(st): State<Shared>, req: Request) -> ApiResult {
    let (c, body): (_, NewKeyBody) = caller_and_body(&st, req).await?;
    let n = st
        .portal
        .create_api_key(c.key.agency, c.actor, &body.name, body.expires_at, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::CREATED,
        json!({ "api_key": new_key_json(&n) }),
    ))
}

async fn revoke_api_key(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let key = id::<ApiKeyId>(&raw, "api_key")?;
    let c = caller_only(&st, &parts).await?;
    st.portal
        .revoke_api_key(c.key.agency, c.actor, key, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn rotate_api_key(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let key = id::<ApiKeyId>(&raw, "api_key")?;
    let c = caller_only(&st, &parts).await?;
    let n = st
        .portal
        .rotate_api_key(c.key.agency, c.actor, key, &c.ctx)
        .await
        .map_err(Failure::from)?;
    Ok(ok(
        StatusCode::CREATED,
        json!({ "api_key": new_key_json(&n) }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditParams {
    account: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    until: Option<String>,
    offset: u32,
    limit: Option<u32>,
}

fn time_param(s: Option<&str>, name: &str) -> Result<Option<OffsetDateTime>, Failure> {
    match s {
        None => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                format!("`{name}` must be an RFC 3339 time."),
            )
        }),
    }
}

async fn audit(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let p: AuditParams = query(&parts)?;
    let account = match p.account.as_deref() {
        Some(a) => Some(a.parse::<AccountId>().map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`account` must be an account id.",
            )
        })?),
        None => None,
    };
    let kind = match p.kind.as_deref() {
        Some(k) => Some(AuditKind::parse(k).ok_or_else(|| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`kind` is not a known event kind.",
            )
        })?),
        None => None,
    };
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let q = AuditQuery {
        account,
        kind,
        from: time_param(p.from.as_deref(), "from")?,
        until: time_param(p.until.as_deref(), "until")?,
        offset: p.offset,
        limit,
    };
    let events = st
        .portal
        .audit_log(c.key.agency, &q)
        .await
        .map_err(Failure::from)?;
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id.to_string(),
                "at": ts(e.at),
                "kind": e.kind.as_str(),
                "actor": serde_json::to_value(&e.actor).unwrap_or(Value::Null),
                "account": e.account.map(|a| a.to_string()),
                "address": e.address.map(|a| a.to_string()),
                "detail": e.detail,
            })
        })
        .collect();
    Ok(ok(
        StatusCode::OK,
        json!({ "events": list, "offset": p.offset, "limit": limit }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutboxParams {
    status: Option<String>,
    offset: u32,
    limit: Option<u32>,
}

async fn outbox(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let c = caller_only(&st, &parts).await?;
    let p: OutboxParams = query(&parts)?;
    let status = match p.status.as_deref() {
        Some(s) => Some(OutboxStatus::parse(s).ok_or_else(|| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                "`status` must be queued, sending, sent or failed.",
            )
        })?),
        None => None,
    };
    let limit = p.limit.unwrap_or(100).clamp(1, 500);
    let list = st
        .portal
        .store()
        .outbox(c.key.agency, status, p.offset, limit)
        .await
        .map_err(|e| Failure::internal(&e.into()))?;
    // Never the content: links and codes are for the recipient only.
    let list: Vec<Value> = list
        .iter()
        .map(|m| {
            json!({
                "id": m.id.to_string(),
                "to": m.to,
                "template": m.content.template(),
                "status": m.status.as_str(),
                "attempts": m.attempts,
                "created_at": ts(m.created_at),
                "next_attempt_at": ts(m.next_attempt_at),
                "last_error": m.last_error,
                "sent_at": ts_opt(m.sent_at),
            })
        })
        .collect();
    Ok(ok(
        StatusCode::OK,
        json!({ "messages": list, "offset": p.offset, "limit": limit }),
    ))
}
