//! Admin routes of access (issue 3): properties, widget visibility, grants, client groups,
//! document shares and staff preview. The staff context's agency is the API key's
//! (checklist 37); every body type refuses unknown fields, so no agency, subject or property
//! can be slipped in where it is not expected (checklist 36).

use crate::admin::{Caller, caller_and_body, caller_only, id, no_content, ok};
use crate::error::{ApiFailure, Failure};
use crate::extract::{AppState, Params, Shared};
use crate::host_data::iso_dates;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use http::StatusCode;
use http::request::Parts;
use portico_core::access::document::DocumentShare;
use portico_core::access::grant::{GrantChanges, GrantSpec};
use portico_core::access::group::GroupChanges;
use portico_core::access::property::{PropertySpec, Visibility};
use portico_core::access::{Staff, Subject};
use portico_core::{AccountId, DocumentId, GrantId, GroupId, PropertyId};
use serde::Deserialize;
use serde_json::{Value, json};

type ApiResult = Result<Response, ApiFailure>;

/// The admin routes of access.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/admin/v1/properties", post(upsert_property))
        .route(
            "/admin/v1/properties/{id}",
            get(get_property).delete(remove_property),
        )
        .route("/admin/v1/visibility", put(set_visibility))
        .route("/admin/v1/properties/{id}/grants", get(grants_on))
        .route(
            "/admin/v1/properties/{id}/documents",
            get(shared_documents).post(share_document),
        )
        .route(
            "/admin/v1/documents/{id}",
            axum::routing::delete(unshare_document),
        )
        .route("/admin/v1/grants", post(create_grant))
        .route(
            "/admin/v1/grants/{id}",
            get(get_grant).patch(update_grant).delete(revoke_grant),
        )
        .route("/admin/v1/accounts/{id}/grants", get(grants_of_account))
        .route("/admin/v1/accounts/{id}/preview", post(start_preview))
        .route("/admin/v1/groups", get(groups).post(create_group))
        .route(
            "/admin/v1/groups/{id}",
            axum::routing::patch(update_group).delete(delete_group),
        )
        .route("/admin/v1/groups/{id}/grants", get(grants_of_group))
        .route("/admin/v1/groups/{id}/members", get(members))
        .route(
            "/admin/v1/groups/{id}/members/{account}",
            put(add_member).delete(remove_member),
        )
}

fn staff(c: &Caller) -> Staff {
    let name = match &c.actor {
        portico_core::model::Actor::Staff { staff, .. } => staff.clone(),
        _ => String::new(),
    };
    Staff {
        agency: c.key.agency,
        key: Some(c.key.id),
        name,
        address: c.ctx.address,
    }
}

fn js<T: serde::Serialize>(t: &T) -> Value {
    let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
    iso_dates(&mut v);
    v
}

async fn with_access(st: &AppState, parts: &Parts) -> Result<(Caller, Staff), Failure> {
    st.access()?;
    let c = caller_only(st, parts).await?;
    let s = staff(&c);
    Ok((c, s))
}

async fn with_body<T: serde::de::DeserializeOwned>(
    st: &AppState,
    req: Request,
) -> Result<(Staff, T), Failure> {
    st.access()?;
    let (c, body) = caller_and_body(st, req).await?;
    Ok((staff(&c), body))
}

// ---- properties -------------------------------------------------------------------------

async fn upsert_property(State(st): State<Shared>, req: Request) -> ApiResult {
    let (s, spec): (_, PropertySpec) = with_body(&st, req).await?;
    let p = st
        .access()?
        .upsert_property(&s, spec, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "property": js(&p) })))
}

async fn get_property(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let p = st
        .access()?
        .property(&s, id::<PropertyId>(&raw, "property")?)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "property": js(&p) })))
}

async fn remove_property(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    st.access()?
        .remove_property(&s, id::<PropertyId>(&raw, "property")?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn set_visibility(State(st): State<Shared>, req: Request) -> ApiResult {
    let (s, v): (_, Visibility) = with_body(&st, req).await?;
    st.access()?
        .set_visibility(&s, v, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

// ---- grants -----------------------------------------------------------------------------

async fn create_grant(State(st): State<Shared>, req: Request) -> ApiResult {
    let (s, spec): (_, GrantSpec) = with_body(&st, req).await?;
    let g = st
        .access()?
        .create_grant(&s, spec, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::CREATED, json!({ "grant": js(&g) })))
}

async fn get_grant(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let g = st
        .access()?
        .grant(&s, id::<GrantId>(&raw, "grant")?)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "grant": js(&g) })))
}

async fn update_grant(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    req: Request,
) -> ApiResult {
    let grant = id::<GrantId>(&raw, "grant")?;
    let (s, changes): (_, GrantChanges) = with_body(&st, req).await?;
    let g = st
        .access()?
        .update_grant(&s, grant, changes, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "grant": js(&g) })))
}

async fn revoke_grant(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let r = st
        .access()?
        .revoke_grant(&s, id::<GrantId>(&raw, "grant")?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "revoked": js(&r) })))
}

async fn grants_on(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let list = st
        .access()?
        .grants_on(&s, id::<PropertyId>(&raw, "property")?)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "grants": js(&list) })))
}

async fn grants_of_account(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let subject = Subject::Account(id::<AccountId>(&raw, "account")?);
    let list = st
        .access()?
        .grants_of(&s, subject)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "grants": js(&list) })))
}

async fn grants_of_group(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let subject = Subject::Group(id::<GroupId>(&raw, "group")?);
    let list = st
        .access()?
        .grants_of(&s, subject)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "grants": js(&list) })))
}

// ---- groups -----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
    #[serde(default)]
    parent: Option<GroupId>,
}

async fn groups(State(st): State<Shared>, parts: Parts) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let list = st.access()?.groups(&s).await.map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "groups": js(&list) })))
}

async fn create_group(State(st): State<Shared>, req: Request) -> ApiResult {
    let (s, body): (_, NewGroup) = with_body(&st, req).await?;
    let g = st
        .access()?
        .create_group(&s, &body.name, body.parent, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::CREATED, json!({ "group": js(&g) })))
}

async fn update_group(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    req: Request,
) -> ApiResult {
    let group = id::<GroupId>(&raw, "group")?;
    let (s, changes): (_, GroupChanges) = with_body(&st, req).await?;
    let g = st
        .access()?
        .update_group(&s, group, changes, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "group": js(&g) })))
}

async fn delete_group(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    st.access()?
        .delete_group(&s, id::<GroupId>(&raw, "group")?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

async fn members(State(st): State<Shared>, Params(raw): Params<String>, parts: Parts) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let list = st
        .access()?
        .members(&s, id::<GroupId>(&raw, "group")?)
        .await
        .map_err(Failure::from)?;
    let ids: Vec<String> = list.iter().map(ToString::to_string).collect();
    Ok(ok(StatusCode::OK, json!({ "members": ids })))
}

async fn add_member(
    State(st): State<Shared>,
    Params((g, a)): Params<(String, String)>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let added = st
        .access()?
        .add_member(
            &s,
            id::<GroupId>(&g, "group")?,
            id::<AccountId>(&a, "account")?,
            st.now(),
        )
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "added": added })))
}

async fn remove_member(
    State(st): State<Shared>,
    Params((g, a)): Params<(String, String)>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let removed = st
        .access()?
        .remove_member(
            &s,
            id::<GroupId>(&g, "group")?,
            id::<AccountId>(&a, "account")?,
            st.now(),
        )
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "removed": removed })))
}

// ---- documents --------------------------------------------------------------------------

async fn shared_documents(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    let list = st
        .access()?
        .shared_documents(&s, id::<PropertyId>(&raw, "property")?)
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::OK, json!({ "documents": js(&list) })))
}

async fn share_document(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    req: Request,
) -> ApiResult {
    let property = id::<PropertyId>(&raw, "property")?;
    let (s, share): (_, DocumentShare) = with_body(&st, req).await?;
    let d = st
        .access()?
        .share_document(&s, property, share, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(ok(StatusCode::CREATED, json!({ "document": js(&d) })))
}

async fn unshare_document(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (_, s) = with_access(&st, &parts).await?;
    st.access()?
        .unshare_document(&s, id::<DocumentId>(&raw, "document")?, st.now())
        .await
        .map_err(Failure::from)?;
    Ok(no_content())
}

// ---- preview ----------------------------------------------------------------------------

async fn start_preview(
    State(st): State<Shared>,
    Params(raw): Params<String>,
    parts: Parts,
) -> ApiResult {
    let (c, s) = with_access(&st, &parts).await?;
    let started = st
        .access()?
        .start_preview(&s, id::<AccountId>(&raw, "account")?, st.now())
        .await
        .map_err(Failure::from)?;
    let agency = st
        .portal
        .agency(c.key.agency)
        .await
        .map_err(Failure::from)?;
    // The link is built from the agency's configured base URL, never from the request.
    let url = format!(
        "{}/preview?token={}",
        agency.settings.base_url(),
        started.token.expose()
    );
    Ok(ok(
        StatusCode::CREATED,
        json!({
            "url": url,
            "session_id": started.session.id.to_string(),
            "expires_at": crate::api::ts(started.session.absolute_expires_at),
        }),
    ))
}
