//! The tower `Service`: body boxing, client address, body limit, per-address rate limits,
//! routing, security headers, and a last-resort 500 if a handler ever panics.

use crate::config::{ConfigError, HttpConfig, TrustedProxy};
use crate::error::Failure;
use crate::extract::AppState;
use crate::ratelimit::{Class, Limiters};
use crate::security::Cookies;
use crate::{BoxError, admin, admin_access, api, pages, portfolio};
use axum::Router;
use bytes::{Buf, Bytes};
use futures::FutureExt;
use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use portico_core::Portal;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::ServiceExt;

/// The body of every response.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// The client's address, as a request extension. A host that knows it better than the
/// connection (its own proxy logic) sets this before calling the service; it wins over
/// `ConnectInfo` and [`TrustedProxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// Portico's HTTP front: pages, client API and admin API as one `Clone` tower `Service` with
/// `Error = Infallible`, for any request body. Build it with [`PorticoService::builder`].
#[derive(Clone)]
pub struct PorticoService {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router,
    state: Arc<AppState>,
    limiters: Limiters,
    csp: HeaderValue,
}

impl std::fmt::Debug for PorticoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PorticoService")
            .field("config", &self.inner.state.config)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PorticoService`] over a [`Portal`].
#[derive(Debug)]
pub struct PorticoServiceBuilder {
    portal: Portal,
    access: Option<portico_core::Access>,
    config: Option<HttpConfig>,
}

impl PorticoService {
    /// A builder over `portal`; a configuration (with its CSRF secret) is required.
    pub fn builder(portal: Portal) -> PorticoServiceBuilder {
        PorticoServiceBuilder {
            portal,
            access: None,
            config: None,
        }
    }
}

impl PorticoServiceBuilder {
    /// Sets the HTTP configuration.
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Adds the access service (properties, grants, groups, dashboards, documents, staff
    /// preview). Without it the portfolio routes answer 404 and the home page is a welcome.
    pub fn access(mut self, access: portico_core::Access) -> Self {
        self.access = Some(access);
        self
    }

    /// Builds the service: checks the configuration and loads the page templates.
    pub fn build(self) -> Result<PorticoService, ConfigError> {
        let config = self.config.ok_or(ConfigError::Missing)?;
        config.validate()?;
        pages::check_templates().map_err(ConfigError::Templates)?;
        let csp = format!(
            "default-src 'self'; style-src 'self' '{}'; img-src 'self' https:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
            pages::style_hash()
        );
        let csp = HeaderValue::from_str(&csp).map_err(|e| ConfigError::Templates(e.to_string()))?;
        let state = Arc::new(AppState {
            cookies: Cookies::new(&config),
            portal: self.portal,
            access: self.access,
            config,
        });
        let router = Router::new()
            .merge(pages::routes())
            .merge(api::routes())
            .merge(admin::routes())
            .merge(portfolio::routes())
            .merge(admin_access::routes())
            .fallback(fallback)
            .with_state(state.clone());
        Ok(PorticoService {
            inner: Arc::new(Inner {
                limiters: Limiters::new(&state.config.rate_limits),
                router,
                state,
                csp,
            }),
        })
    }
}

async fn fallback(req: Request<axum::body::Body>) -> axum::response::Response {
    let f = Failure::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "There is nothing at this address.",
    );
    if is_json_area(req.uri().path()) {
        f.json()
    } else {
        pages::failure_page(&f, None)
    }
}

fn is_json_area(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/admin/")
}

fn box_body<B>(body: B) -> axum::body::Body
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    axum::body::Body::new(
        body.map_frame(|f| f.map_data(|mut d| d.copy_to_bytes(d.remaining())))
            .map_err(Into::into),
    )
}

impl<B> tower::Service<Request<B>> for PorticoService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let req = req.map(box_body);
        Box::pin(async move {
            let json = is_json_area(req.uri().path());
            let response = match AssertUnwindSafe(inner.handle(req)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => {
                    tracing::error!("a request handler panicked");
                    let f = Failure::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal_error",
                        "Something went wrong on our side. Please try again later.",
                    );
                    if json {
                        f.json()
                    } else {
                        pages::failure_page(&f, None)
                    }
                }
            };
            let mut response = response.map(|b| b.map_err(BoxError::from).boxed_unsync());
            inner.secure_headers(&mut response);
            Ok(response)
        })
    }
}

impl Inner {
    async fn handle(&self, mut req: Request<axum::body::Body>) -> axum::response::Response {
        let path = req.uri().path().to_string();
        let json = is_json_area(&path);
        let refuse = |f: Failure| {
            if json {
                f.json()
            } else {
                pages::failure_page(&f, None)
            }
        };

        let addr = self.client_address(&req);
        if let Some(a) = addr {
            req.extensions_mut().insert(ClientAddress(a));
        }

        let too_long = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > self.state.config.body_limit as u64);
        if too_long {
            return refuse(Failure::too_large());
        }

        // Without a known address there is no key to limit by; core's throttling per login
        // name still applies. Hosts must give the address (ConnectInfo or ClientAddress).
        if let Some(a) = addr {
            let class = if path.starts_with("/admin/") {
                Class::Admin
            } else if crate::security::is_safe_method(req.method()) {
                Class::General
            } else {
                Class::Sensitive
            };
            if let Err(wait) = self.limiters.check(class, a) {
                return refuse(Failure::rate_limited(wait));
            }
        }

        if let Some(f) = self.preview_write(req.method(), req.headers(), &path).await {
            return refuse(f);
        }

        match self.router.clone().oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        }
    }

    /// A staff preview is read-only everywhere (checklist 39): an unsafe request to a portal
    /// page or the client API that carries a live preview session of the agency is refused,
    /// whatever the route — the anonymous ones (sign-in, links, codes, forgotten password)
    /// included — except signing out, which ends the preview. Only a cookie with the preview
    /// prefix costs a lookup.
    async fn preview_write(
        &self,
        method: &http::Method,
        headers: &http::HeaderMap,
        path: &str,
    ) -> Option<Failure> {
        if crate::security::is_safe_method(method) {
            return None;
        }
        let rest = path
            .strip_prefix("/p/")
            .or_else(|| path.strip_prefix("/api/v1/"))?;
        let (slug, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if slug.is_empty() || tail == "sign-out" {
            return None;
        }
        let cookies = &self.state.cookies;
        let raw = crate::security::cookie_value(headers, &cookies.session_name(slug))?;
        let prefix = portico_core::token::TokenKind::Preview.prefix();
        if !raw.starts_with(prefix) || raw.as_bytes().get(prefix.len()) != Some(&b'_') {
            return None;
        }
        let agency = self.state.agency(slug).await.ok()?;
        match self.state.session(&agency, headers).await {
            Ok((p, _)) if p.is_preview() => Some(Failure::read_only()),
            _ => None,
        }
    }

    fn client_address(&self, req: &Request<axum::body::Body>) -> Option<IpAddr> {
        if let Some(a) = req.extensions().get::<ClientAddress>() {
            return Some(a.0);
        }
        let conn = req
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        match self.state.config.trusted_proxy {
            TrustedProxy::None => conn,
            TrustedProxy::ForwardedFor { proxies } => {
                let mut entries: Vec<IpAddr> = Vec::new();
                for h in req.headers().get_all("x-forwarded-for") {
                    let Ok(s) = h.to_str() else { return conn };
                    for part in s.split(',') {
                        match part.trim().parse::<IpAddr>() {
                            Ok(ip) => entries.push(ip),
                            Err(_) => entries.push(IpAddr::from([0, 0, 0, 0])),
                        }
                    }
                }
                let n = usize::from(proxies);
                if entries.len() >= n {
                    let ip = entries[entries.len() - n];
                    if ip.is_unspecified() { conn } else { Some(ip) }
                } else {
                    conn
                }
            }
        }
    }

    fn secure_headers(&self, r: &mut Response<ResponseBody>) {
        let h = r.headers_mut();
        let defaults: [(header::HeaderName, HeaderValue); 7] = [
            (header::CONTENT_SECURITY_POLICY, self.csp.clone()),
            (
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ];
        for (name, value) in defaults {
            if !h.contains_key(&name) {
                h.insert(name, value);
            }
        }
    }
}
