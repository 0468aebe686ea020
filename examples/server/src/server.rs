//! Assembling and running the server: store, hasher, portal, access, the HTTP service with
//! health checks, request ids and request logs, the mail worker, and graceful shutdown.

use crate::config::{Config, ConfigError, Database, HostDataSource, Secret, to_hex};
use crate::demo;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::response::IntoResponse;
use axum::routing::get;
use http::{Request, Response, StatusCode};
use portico_core::hash::Argon2Hasher;
use portico_core::host::HostData;
use portico_core::model::AgencySettings;
use portico_core::outbox::OutboxWorker;
use portico_core::store::Store;
use portico_core::{Access, Clock, Portal, PortalConfig, Random, StoreError};
use portico_http::{ClientAddress, HttpConfig, PorticoService, RateLimits, TrustedProxy};
use portico_system::{OsRandom, SystemClock};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// Why the server could not start (or stopped with an error).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database ({setting}): {source}")]
    Store {
        /// The setting naming the database.
        setting: &'static str,
        /// What failed.
        source: StoreError,
    },
    /// The password hasher refused its parameters.
    #[error("argon2 parameters: {0}")]
    Hasher(portico_core::HashError),
    /// The HTTP layer refused its configuration.
    #[error("http configuration: {0}")]
    Http(#[from] portico_http::ConfigError),
    /// The host-data client could not be built.
    #[error("host_data_url: {0}")]
    HostData(#[from] portico_http::HostClientError),
    /// The SMTP mailer could not be built.
    #[error("smtp_url: {0}")]
    Smtp(#[from] portico_smtp::SmtpConfigError),
    /// The demo seed failed.
    #[error("demo seed: {0}")]
    Demo(#[from] demo::DemoError),
    /// Creating an agency failed.
    #[error("create-agency: {0}")]
    Bootstrap(#[from] portico_http::BootstrapError),
    /// Binding, reading or writing a file, or serving failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A task of the server panicked or was cancelled.
    #[error("server task failed: {0}")]
    Task(String),
}

/// The assembled core services over the configured store.
#[derive(Clone)]
pub struct Services {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Whether it is SQLite or PostgreSQL.
    pub database: Database,
    /// The portal (flows).
    pub portal: Portal,
    /// The access service (properties, dashboards).
    pub access: Access,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// Opens the store (applying migrations) and builds the portal and access services.
/// `mail_notify`: the outbox worker's notifier, when there is one.
pub async fn open(
    config: &Config,
    mail_notify: Option<Arc<tokio::sync::Notify>>,
) -> Result<Services, ServerError> {
    config.validate()?;
    let database = config.database()?;
    let store_err = |source| ServerError::Store {
        setting: "database_url",
        source,
    };
    let store: Arc<dyn Store> = match database {
        Database::Sqlite => Arc::new(
            portico_sqlite::SqliteStore::connect(&config.database_url)
                .await
                .map_err(store_err)?,
        ),
        Database::Postgres => Arc::new(
            portico_postgres::PostgresStore::connect(&config.database_url)
                .await
                .map_err(store_err)?,
        ),
    };
    tracing::info!(database = ?database, "database open, migrations applied");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let random: Arc<dyn Random> = Arc::new(OsRandom);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let hasher =
        Argon2Hasher::new(config.argon2, workers, random.clone()).map_err(ServerError::Hasher)?;
    let portal_config = PortalConfig {
        reset_lifetime: config.reset_lifetime,
        code_lifetime: config.code_lifetime,
        ..PortalConfig::default()
    };
    let mut portal = Portal::new(
        store.clone(),
        Arc::new(hasher),
        clock.clone(),
        random.clone(),
    )
    .with_config(portal_config);
    if let Some(n) = mail_notify {
        portal = portal.with_mail_notifier(n);
    }
    let host: Arc<dyn HostData> = match &config.host_data {
        HostDataSource::Demo => Arc::new(demo::DemoHost::new()),
        HostDataSource::Http {
            url,
            auth_header,
            allow_plain_http,
        } => {
            let mut c = portico_http::HostClientConfig::new(url.clone());
            if let Some((n, v)) = auth_header {
                c = c.auth_header(n.clone(), v.clone());
            }
            c.allow_plain_http = *allow_plain_http;
            Arc::new(portico_http::HttpHostData::new(c)?)
        }
    };
    let access = Access::new(store.clone(), host, clock, random);
    Ok(Services {
        store,
        database,
        portal,
        access,
    })
}

/// Agency settings for agencies this server creates (its lifetimes, its public URL).
pub fn agency_settings(config: &Config, public_base_url: &str, slug: &str) -> AgencySettings {
    AgencySettings {
        portal_base_url: format!("{}/p/{slug}", public_base_url.trim_end_matches('/')),
        invitation_lifetime: config.invitation_lifetime,
        session_idle_timeout: config.session_idle_timeout,
        session_absolute_lifetime: config.session_absolute_lifetime,
        ..AgencySettings::default()
    }
}

/// `/healthz` (the process answers) and `/readyz` (the store answers within 2 seconds; 503
/// when it does not).
pub fn health_routes(store: Arc<dyn Store>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(store)
}

async fn readyz(State(store): State<Arc<dyn Store>>) -> axum::response::Response {
    // Any answer from the store (found or not) means it is reachable.
    let probe = tokio::time::timeout(
        Duration::from_secs(2),
        store.agency_by_slug("--readiness-probe--"),
    )
    .await;
    match probe {
        Ok(Ok(_)) | Ok(Err(StoreError::NotFound)) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the store does not answer");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness: the store did not answer within 2 s");
            unavailable()
        }
    }
}

/// Not ready: try again in 5 s (as the portal's own 503s say).
fn unavailable() -> axum::response::Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::RETRY_AFTER, "5")],
        "store unavailable\n",
    )
        .into_response()
}

/// Adds request ids (`x-request-id`, kept from the request or a new UUID, echoed on the
/// response), one log line per response (method, path without the query, status, latency;
/// never headers, cookies or query strings) and the client address for the portal.
pub fn observe(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<axum::body::Body>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!(
                "request",
                request_id = %id,
                method = %req.method(),
                path = %req.uri().path(),
            )
        })
        .on_request(())
        .on_response(
            |res: &Response<axum::body::Body>, latency: Duration, _span: &Span| {
                tracing::info!(
                    status = res.status().as_u16(),
                    latency_ms = latency.as_secs_f64() * 1000.0,
                    "response"
                );
            },
        )
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    router
        .layer(axum::middleware::map_request(client_address))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_odd_request_id))
}

/// Keeps a caller's `x-request-id` (a load balancer's) only if it looks like an id: 1 to 128
/// characters of letters, digits, `-`, `_`, `.`, `:`. Anything else is replaced by a fresh one,
/// so a client cannot write arbitrary text into the logs.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    (1..=128).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

async fn drop_odd_request_id(mut req: Request<axum::body::Body>) -> Request<axum::body::Body> {
    let odd = req
        .headers()
        .get_all("x-request-id")
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !acceptable_request_id(v.as_bytes()));
    if odd {
        req.headers_mut().remove("x-request-id");
    }
    req
}

async fn client_address(mut req: Request<axum::body::Body>) -> Request<axum::body::Body> {
    if req.extensions().get::<ClientAddress>().is_none()
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
    {
        let ip = peer.ip();
        req.extensions_mut().insert(ClientAddress(ip));
    }
    req
}

/// The HTTP configuration from the server's.
pub fn http_config(
    config: &Config,
    secret: &Secret,
    public_base_url: &str,
) -> Result<HttpConfig, ServerError> {
    let mut h = HttpConfig::new(secret.0.clone())?;
    h.secure_cookies = config.secure_cookies_for(public_base_url);
    h.trusted_proxy = match config.trusted_proxies {
        0 => TrustedProxy::None,
        n => TrustedProxy::ForwardedFor { proxies: n },
    };
    if !config.rate_limits {
        h.rate_limits = RateLimits::none();
    }
    Ok(h)
}

/// The CSRF secret: the configured one, or in demo mode one generated once into a file next
/// to the database (read back on later runs).
pub async fn csrf_secret(config: &Config) -> Result<Secret, ServerError> {
    if let Some(s) = &config.csrf_secret {
        return Ok(s.clone());
    }
    if !config.demo {
        return Err(ConfigError::Missing {
            setting: "csrf_secret",
            reason: "give 32 random bytes (hex or base64), the same on every node".into(),
        }
        .into());
    }
    let fresh = || -> Result<Secret, ServerError> {
        let mut b = vec![0u8; 32];
        OsRandom
            .fill(&mut b)
            .map_err(|e| ServerError::Task(format!("random: {e}")))?;
        Ok(Secret(b))
    };
    let Some(path) = config.demo_secret_path() else {
        return fresh();
    };
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => crate::config::decode_secret(&text)
            .map(Secret)
            .map_err(|reason| {
                ConfigError::Invalid {
                    setting: "csrf_secret_file",
                    origin: path.display().to_string(),
                    reason,
                }
                .into()
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let s = fresh()?;
            write_private(&path, &to_hex(&s.0))
                .await
                .map_err(|source| ServerError::Io {
                    what: format!("writing the demo CSRF secret to {}", path.display()),
                    source,
                })?;
            tracing::info!(path = %path.display(), "generated a CSRF secret for demo mode");
            Ok(s)
        }
        Err(source) => Err(ServerError::Io {
            what: format!("reading the demo CSRF secret {}", path.display()),
            source,
        }),
    }
}

async fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    use tokio::io::AsyncWriteExt;
    let mut f = opts.open(path).await?;
    f.write_all(text.as_bytes()).await?;
    f.flush().await
}

/// What `serve` tells the operator once it is up.
#[derive(Debug, Clone)]
pub struct Started {
    /// The bound address.
    pub addr: SocketAddr,
    /// Public base URL (no trailing slash).
    pub public_base_url: String,
    /// The demo seed, in demo mode.
    pub demo: Option<demo::DemoSeed>,
    /// Whether the mail worker runs (an SMTP URL is set).
    pub mail_worker: bool,
}

/// A running server.
pub struct Running {
    started: Started,
    store: Arc<dyn Store>,
    portal: Portal,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// Triggers a graceful shutdown of a [`Running`] server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    /// Stop accepting connections; in-flight requests get `shutdown_grace` to finish; the mail
    /// worker finishes its batch and stops.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.started.addr
    }

    /// What was started (address, URLs, demo seed).
    pub fn started(&self) -> &Started {
        &self.started
    }

    /// The store (tests read the outbox through it).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The portal.
    pub fn portal(&self) -> &Portal {
        &self.portal
    }

    /// A handle that triggers the shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Triggers the shutdown and waits for it.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        self.shutdown.send_replace(true);
        self.wait().await
    }

    /// Waits until the server has stopped (after a trigger, or a failure).
    pub async fn wait(self) -> Result<(), ServerError> {
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
    }

    /// Waits for SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> Result<(), ServerError> {
        let handle = self.shutdown_handle();
        tokio::spawn(async move {
            signal().await;
            tracing::info!("shutdown signal received: finishing in-flight requests");
            handle.trigger();
        });
        self.wait().await
    }
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn triggered(mut rx: watch::Receiver<bool>) {
    // An error means the sender is gone: treat it as a trigger.
    let _ = rx.wait_for(|v| *v).await;
}

/// Starts the server described by `config`.
pub async fn start(config: Config) -> Result<Running, ServerError> {
    start_with(config, Router::new()).await
}

/// Starts the server with extra routes of the host's (merged before the portal, which takes
/// every other path).
pub async fn start_with(config: Config, extra: Router) -> Result<Running, ServerError> {
    config.validate()?;
    let secret = csrf_secret(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Io {
            what: format!("listen: cannot bind {}", config.listen),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Io {
        what: "listen".into(),
        source,
    })?;
    let public_base_url = config.public_base_url_for(addr);

    // The mailer (only with an SMTP server), created inside the runtime.
    let mailer = match &config.smtp_url {
        Some(url) => Some(Arc::new(portico_smtp::SmtpMailer::from_url(
            url,
            &config.smtp_sender,
        )?)),
        None => None,
    };
    let mut services = open(&config, None).await?;

    let demo_seed = if config.demo {
        let seed = demo::seed(&services.portal, &services.access, &public_base_url).await?;
        tracing::info!(agency = %seed.slug, clients = seed.clients.len(), "demo agency seeded");
        Some(seed)
    } else {
        None
    };

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let worker_task = match mailer {
        Some(mailer) => {
            let w = OutboxWorker::new(services.store.clone(), mailer, Arc::new(SystemClock));
            // The portal wakes the worker whenever it queues mail.
            services.portal = services.portal.clone().with_mail_notifier(w.notifier());
            let rx = shutdown_rx.clone();
            tracing::info!("mail worker started");
            Some(tokio::spawn(async move { w.run(triggered(rx)).await }))
        }
        None => {
            tracing::info!("no smtp_url: mail stays in the outbox");
            None
        }
    };

    let http = http_config(&config, &secret, &public_base_url)?;
    let service = PorticoService::builder(services.portal.clone())
        .config(http)
        .access(services.access.clone())
        .build()?;
    let mut app = Router::new()
        .merge(health_routes(services.store.clone()))
        .merge(extra);
    if let Some(seed) = &demo_seed {
        app = app.merge(demo::router(demo::DemoState {
            store: services.store.clone(),
            api_key: seed.api_key.clone(),
            slug: seed.slug.clone(),
            public_base_url: public_base_url.clone(),
        }));
    }
    let app = observe(app.fallback_service(service));

    let grace = config.shutdown_grace;
    let rx = shutdown_rx.clone();
    let task = tokio::spawn(async move {
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(triggered(rx.clone()))
        .into_future();
        let bound = async {
            triggered(rx).await;
            tokio::time::sleep(grace).await;
        };
        let result = tokio::select! {
            r = serve => r.map_err(|source| ServerError::Io { what: "serving".into(), source }),
            () = bound => {
                tracing::warn!(grace_ms = grace.as_millis() as u64,
                    "shutdown grace elapsed: remaining requests are cut");
                Ok(())
            }
        };
        if let Some(w) = worker_task
            && let Err(e) = w.await
        {
            tracing::error!(error = %e, "mail worker failed");
        }
        tracing::info!("server stopped");
        result
    });
    tracing::info!(%addr, public_base_url = %public_base_url, demo = config.demo, "listening");
    Ok(Running {
        started: Started {
            addr,
            public_base_url,
            demo: demo_seed,
            mail_worker: config.smtp_url.is_some(),
        },
        store: services.store,
        portal: services.portal,
        shutdown: shutdown_tx,
        task,
    })
}

/// Creates an agency and its first admin API key (the `create-agency` command).
pub async fn create_agency(
    config: &Config,
    slug: &str,
    name: &str,
) -> Result<portico_http::Bootstrapped, ServerError> {
    let services = open(config, None).await?;
    let public = config.public_base_url_for(config.listen);
    let settings = agency_settings(config, &public, slug);
    Ok(portico_http::bootstrap_agency(&services.portal, slug, name, settings, "first key").await?)
}
