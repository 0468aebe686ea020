//! Shared state and the small pieces every handler uses: the request context, bounded body
//! reading, JSON and form parsing, path parameters, agency and session lookup.

use crate::config::HttpConfig;
use crate::error::Failure;
use crate::security::{Binding, Cookies, cookie_value};
use crate::service::ClientAddress;
use axum::extract::FromRequestParts;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use portico_core::idm::session::SessionError;
use portico_core::model::{Agency, Principal};
use portico_core::{Portal, RequestContext};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// What every handler shares.
pub(crate) struct AppState {
    pub portal: Portal,
    /// Properties, grants, dashboards and documents (issue 3); `None` for an identity-only
    /// deployment, whose portfolio routes then answer 404.
    pub access: Option<portico_core::Access>,
    pub config: HttpConfig,
    pub cookies: Cookies,
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    /// The access service, or 404 when the deployment has none.
    pub(crate) fn access(&self) -> Result<&portico_core::Access, Failure> {
        self.access.as_ref().ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "not_enabled",
                "Properties are not enabled on this deployment.",
            )
        })
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.portal.clock().now()
    }

    /// The agency of a slug in the path; unknown → 404.
    pub(crate) async fn agency(&self, slug: &str) -> Result<Agency, Failure> {
        self.portal
            .agency_by_slug(slug)
            .await
            .map_err(Failure::from)
    }

    /// The signed-in principal of the session cookie of `agency`, with the cookie's value
    /// (the CSRF binding).
    pub(crate) async fn session(
        &self,
        agency: &Agency,
        headers: &HeaderMap,
    ) -> Result<(Principal, String), Failure> {
        let Some(raw) = cookie_value(headers, &self.cookies.session_name(&agency.slug)) else {
            return Err(Failure::unauthenticated());
        };
        match self.portal.authenticate(agency.id, &raw).await {
            Ok(p) => Ok((p, raw)),
            Err(SessionError::Internal(i)) => Err(Failure::internal(&i)),
            Err(_) => Err(Failure::unauthenticated()),
        }
    }

    /// Ends the asking session: a staff preview through access (audited as the end of the
    /// preview), a client's through the portal.
    pub(crate) async fn end_session(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
    ) -> Result<(), Failure> {
        if principal.is_preview()
            && let Some(access) = &self.access
        {
            access
                .end_preview(principal, self.now())
                .await
                .map_err(Failure::from)?;
            return Ok(());
        }
        self.portal
            .sign_out(principal, ctx)
            .await
            .map_err(Failure::from)
    }

    pub(crate) fn csrf_ok(&self, slug: &str, binding: Binding<'_>, presented: &str) -> bool {
        crate::security::csrf_ok(self.config.csrf_secret.bytes(), slug, binding, presented)
    }

    pub(crate) fn csrf_token(&self, slug: &str, binding: Binding<'_>) -> String {
        crate::security::csrf_token(self.config.csrf_secret.bytes(), slug, binding)
    }

    /// Checks Fetch Metadata / `Origin` of an unsafe request (checklist 32).
    pub(crate) fn check_origin(&self, agency: &Agency, headers: &HeaderMap) -> Result<(), Failure> {
        if crate::security::same_origin_request(headers, agency, &self.config.extra_origins) {
            Ok(())
        } else {
            Err(Failure::forbidden_origin())
        }
    }
}

/// The request context for core: the client address established by the service, and the
/// user agent.
pub(crate) fn context(parts_headers: &HeaderMap, ext: &http::Extensions) -> RequestContext {
    RequestContext {
        address: ext.get::<ClientAddress>().map(|a| a.0),
        user_agent: parts_headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect()),
    }
}

/// Reads a body up to `limit` bytes; more answers 413.
pub(crate) async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, Failure> {
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
                || format!("{e}").contains("length limit")
            {
                Err(Failure::too_large())
            } else {
                Err(Failure::bad_request("The request body could not be read."))
            }
        }
    }
}

/// Whether the request says its body is JSON (the client API needs it: a cross-site form
/// cannot send it without a CORS preflight, which Portico never grants).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false)
}

/// Parses a JSON body (an empty body reads as `{}`).
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            let msg: String = e.to_string().chars().take(200).collect();
            Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", msg)
        }
        _ => Failure::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The request body is not valid JSON.",
        ),
    })
}

/// Parses an `application/x-www-form-urlencoded` body.
pub(crate) fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|_| Failure::bad_request("The form could not be read."))
}

/// Path parameters; a malformed one answers 404 (JSON under `/api` and `/admin`, a page
/// elsewhere) rather than axum's plain-text rejection.
pub(crate) struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Params(t)),
            Err(_) => {
                let f = Failure::not_found();
                let p = parts.uri.path();
                if p.starts_with("/api/") || p.starts_with("/admin/") {
                    Err(f.json())
                } else {
                    Err(crate::pages::failure_page(&f, None))
                }
            }
        }
    }
}

/// Runs `answer` and returns its outcome no sooner than the configured answer floor after
/// `start` (see [`crate::HttpConfig::answer_floor`]): requests whose work differs between
/// existing and unknown accounts all answer at the same moment.
pub(crate) async fn answer_no_sooner<T>(st: &AppState, answer: impl Future<Output = T>) -> T {
    let start = tokio::time::Instant::now();
    let out = answer.await;
    let floor = st.config.answer_floor;
    if !floor.is_zero() {
        tokio::time::sleep_until(start + floor).await;
    }
    out
}
