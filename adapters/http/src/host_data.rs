//! Host data over HTTP: an implementation of core's [`HostData`] port that calls the CRM's own
//! REST endpoints, so that a CRM written in any language feeds the widgets. The JSON contract
//! is in `docs/HOST-DATA.md`.
//!
//! Every call is `POST {base_url}/v1/{call}` with a JSON body naming the agency and the
//! property, the configured authentication header, a connect timeout and an overall timeout,
//! and a cap on the response size. `404` is "not found", `501` "not provided"; anything else
//! that is not `200` — and a timeout, a refused connection, a malformed answer — is
//! "unavailable" (the widget shows as unavailable; nothing else fails).

use base64ct::{Base64, Encoding};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use portico_core::AgencyId;
use portico_core::access::StaffRef;
use portico_core::host::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Why a host-data client could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HostClientError {
    /// The base URL is not an absolute `https://` URL (or `http://` when allowed).
    #[error("the host base URL must be an absolute https URL (http only when allowed)")]
    BaseUrl,
    /// The authentication header's name or value is not a valid header.
    #[error("the authentication header is not a valid HTTP header")]
    AuthHeader,
    /// TLS could not be set up (no platform verifier).
    #[error("TLS could not be set up: {0}")]
    Tls(String),
}

/// Settings of the host-data client.
#[derive(Clone)]
pub struct HostClientConfig {
    /// Where the CRM serves the contract (`https://crm.example/portico`); calls go to
    /// `{base_url}/v1/{call}`.
    pub base_url: String,
    /// Header sent on every call (`Authorization: Bearer …`), to prove to the CRM that the
    /// caller is Portico. `Debug` never shows its value.
    pub auth_header: Option<(String, String)>,
    /// Time to open the connection (default 2 s).
    pub connect_timeout: Duration,
    /// Time for a whole call (default 5 s).
    pub request_timeout: Duration,
    /// Largest JSON answer read (default 1 MiB).
    pub max_response_bytes: usize,
    /// Largest document answer read, base64 included (default 32 MiB).
    pub max_document_bytes: usize,
    /// Accept a plain `http://` base URL (default `false`: for a CRM on the same host or in
    /// tests only).
    pub allow_plain_http: bool,
}

impl fmt::Debug for HostClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostClientConfig")
            .field("base_url", &self.base_url)
            .field(
                "auth_header",
                &self.auth_header.as_ref().map(|(n, _)| (n, "<redacted>")),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_plain_http", &self.allow_plain_http)
            .finish()
    }
}

impl HostClientConfig {
    /// Defaults for a CRM at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            auth_header: None,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            max_response_bytes: 1024 * 1024,
            max_document_bytes: 32 * 1024 * 1024,
            allow_plain_http: false,
        }
    }

    /// Sets the authentication header.
    pub fn auth_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.auth_header = Some((name.into(), value.into()));
        self
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The [`HostData`] port over HTTP. Cheap to clone.
#[derive(Clone)]
pub struct HttpHostData {
    inner: Arc<Inner>,
}

struct Inner {
    config: HostClientConfig,
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    prefix: String,
    auth: Option<(HeaderName, HeaderValue)>,
    connector: Option<tokio_rustls::TlsConnector>,
}

impl fmt::Debug for HttpHostData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpHostData")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl HttpHostData {
    /// A client for the CRM described by `config` (TLS verified against the platform's
    /// roots).
    pub fn new(config: HostClientConfig) -> Result<Self, HostClientError> {
        let uri: Uri = config
            .base_url
            .trim_end_matches('/')
            .parse()
            .map_err(|_| HostClientError::BaseUrl)?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if config.allow_plain_http => false,
            _ => return Err(HostClientError::BaseUrl),
        };
        let authority = uri.authority().ok_or(HostClientError::BaseUrl)?;
        if authority.as_str().contains('@') || uri.query().is_some() {
            return Err(HostClientError::BaseUrl);
        }
        let host = authority.host().to_string();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/').to_string();
        let auth = match &config.auth_header {
            None => None,
            Some((n, v)) => {
                let name =
                    HeaderName::try_from(n.as_str()).map_err(|_| HostClientError::AuthHeader)?;
                let mut value =
                    HeaderValue::try_from(v.as_str()).map_err(|_| HostClientError::AuthHeader)?;
                value.set_sensitive(true);
                Some((name, value))
            }
        };
        let connector = if tls {
            use rustls_platform_verifier::BuilderVerifierExt;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| HostClientError::Tls(e.to_string()))?
                .with_platform_verifier()
                .map_err(|e| HostClientError::Tls(e.to_string()))?
                .with_no_client_auth();
            Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
        } else {
            None
        };
        Ok(Self {
            inner: Arc::new(Inner {
                authority: authority.as_str().to_string(),
                config,
                tls,
                host,
                port,
                prefix,
                auth,
                connector,
            }),
        })
    }

    async fn connect(&self) -> Result<Box<dyn Io>, HostError> {
        let i = &self.inner;
        let tcp = tokio::time::timeout(
            i.config.connect_timeout,
            TcpStream::connect((i.host.as_str(), i.port)),
        )
        .await
        .map_err(|_| unavailable("connect timed out"))?
        .map_err(|_| unavailable("connection failed"))?;
        match (&i.connector, i.tls) {
            (Some(c), true) => {
                let name = rustls::pki_types::ServerName::try_from(i.host.clone())
                    .map_err(|_| unavailable("invalid server name"))?;
                let s = c
                    .connect(name, tcp)
                    .await
                    .map_err(|_| unavailable("TLS handshake failed"))?;
                Ok(Box::new(s))
            }
            _ => Ok(Box::new(tcp)),
        }
    }

    /// One call: `(status, body)`, the body cut at `limit`.
    async fn post(
        &self,
        call: &str,
        body: &Value,
        limit: usize,
    ) -> Result<(StatusCode, Bytes), HostError> {
        let i = &self.inner;
        let work = async {
            let io = self.connect().await?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
                .await
                .map_err(|_| unavailable("HTTP handshake failed"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(format!("{}/v1/{call}", i.prefix))
                .header(header::HOST, i.authority.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .header(header::USER_AGENT, "portico-host-client/1")
                .body(Full::new(Bytes::from(body.to_string())))
                .map_err(|_| unavailable("request could not be built"))?;
            if let Some((n, v)) = &i.auth {
                req.headers_mut().insert(n.clone(), v.clone());
            }
            let resp = sender
                .send_request(req)
                .await
                .map_err(|_| unavailable("request failed"))?;
            let status = resp.status();
            let bytes = Limited::new(resp.into_body(), limit)
                .collect()
                .await
                .map_err(|_| unavailable("answer too large or cut"))?
                .to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(i.config.request_timeout, work)
            .await
            .map_err(|_| unavailable("timed out"))?
    }

    async fn call<T: DeserializeOwned>(&self, call: &str, body: Value) -> Result<T, HostError> {
        let (status, bytes) = self
            .post(call, &body, self.inner.config.max_response_bytes)
            .await?;
        check(status)?;
        decode(&bytes)
    }
}

fn unavailable(why: &str) -> HostError {
    HostError::Unavailable(why.to_string())
}

fn check(status: StatusCode) -> Result<(), HostError> {
    match status {
        StatusCode::OK => Ok(()),
        StatusCode::NOT_FOUND => Err(HostError::NotFound),
        StatusCode::NOT_IMPLEMENTED => Err(HostError::Unsupported),
        s => Err(HostError::Unavailable(format!(
            "host answered {}",
            s.as_u16()
        ))),
    }
}

/// The JSON field names that hold a calendar date (`YYYY-MM-DD` on the wire).
const DATE_FIELDS: &[&str] = &["date", "due_on", "paid_on", "from", "to"];

/// Turns the contract's `YYYY-MM-DD` dates into the form core's serde reads.
fn dates_in(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if DATE_FIELDS.contains(&k.as_str())
                    && let Value::String(s) = x
                    && let Some(d) = parse_date(s)
                {
                    *x = serde_json::to_value(d).unwrap_or(Value::Null);
                } else {
                    dates_in(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(dates_in),
        _ => {}
    }
}

/// The other way: core's serde form of a date becomes `YYYY-MM-DD` (client JSON and pages).
pub(crate) fn iso_dates(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if DATE_FIELDS.contains(&k.as_str())
                    && x.is_array()
                    && let Ok(d) = serde_json::from_value::<time::Date>(x.clone())
                {
                    *x = Value::String(date_text(d));
                } else {
                    iso_dates(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(iso_dates),
        _ => {}
    }
}

pub(crate) fn parse_date(s: &str) -> Option<time::Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &f).ok()
}

fn date_text(d: time::Date) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&f).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HostError> {
    let mut v: Value =
        serde_json::from_slice(bytes).map_err(|_| unavailable("answer is not JSON"))?;
    dates_in(&mut v);
    serde_json::from_value(v).map_err(|e| {
        tracing::warn!(error = %e, "host answer does not follow the contract");
        unavailable("answer does not follow the contract")
    })
}

fn decode_document(bytes: &[u8]) -> Result<DocumentContent, HostError> {
    let w: DocumentWire = serde_json::from_slice(bytes)
        .map_err(|_| unavailable("answer does not follow the contract"))?;
    let bytes = Base64::decode_vec(w.content_base64.trim())
        .map_err(|_| unavailable("document is not base64"))?;
    Ok(DocumentContent {
        file_name: w.file_name,
        content_type: w.content_type,
        bytes,
    })
}

/// Decodes the answer to `call` as [`HttpHostData`] does after a `200`, and turns the decoded
/// value back into the JSON the client API shows (dates as `YYYY-MM-DD`). For the fuzz targets
/// (`crate::fuzzing::host_answer`).
pub(crate) fn decode_answer(call: &str, bytes: &[u8]) -> Result<Value, HostError> {
    fn shown<T: serde::Serialize>(r: Result<T, HostError>) -> Result<Value, HostError> {
        let mut v = serde_json::to_value(r?).map_err(|_| unavailable("not serialisable"))?;
        iso_dates(&mut v);
        Ok(v)
    }
    match call {
        "statement" => shown(decode::<Statement>(bytes)),
        "property-balance" => shown(decode::<PropertyBalance>(bytes)),
        "tenant-balance" => shown(decode::<TenantBalance>(bytes)),
        "landlord-float" => shown(decode::<LandlordFloat>(bytes)),
        "future-deductions" => shown(decode::<FutureDeductions>(bytes)),
        "inspection-reports" => shown(decode::<Vec<InspectionReport>>(bytes)),
        "offers" => shown(decode::<Vec<Offer>>(bytes)),
        "viewings" => shown(decode::<Vec<Viewing>>(bytes)),
        "viewing-feedback" => shown(decode::<Vec<ViewingFeedback>>(bytes)),
        "team-member" => shown(decode::<TeamMember>(bytes)),
        "document-content" => shown(decode_document(bytes)),
        "custom" => serde_json::from_slice(bytes).map_err(|_| unavailable("answer is not JSON")),
        _ => Err(HostError::Unsupported),
    }
}

fn property_json(p: &HostProperty) -> Value {
    json!({
        "agency": p.agency.to_string(),
        "host_ref": p.host_ref,
        "kind": p.kind,
        "role": p.role,
    })
}

#[derive(Deserialize)]
struct DocumentWire {
    file_name: String,
    content_type: String,
    content_base64: String,
}

#[async_trait::async_trait]
impl HostData for HttpHostData {
    async fn document_content(
        &self,
        property: &HostProperty,
        document_ref: &str,
    ) -> Result<DocumentContent, HostError> {
        let body = json!({ "property": property_json(property), "document_ref": document_ref });
        let (status, bytes) = self
            .post(
                "document-content",
                &body,
                self.inner.config.max_document_bytes,
            )
            .await?;
        check(status)?;
        decode_document(&bytes)
    }

    async fn statement(&self, p: &HostProperty, period: Period) -> Result<Statement, HostError> {
        let body = json!({
            "property": property_json(p),
            "period": { "from": date_text(period.from), "to": date_text(period.to) },
        });
        self.call("statement", body).await
    }

    async fn property_balance(&self, p: &HostProperty) -> Result<PropertyBalance, HostError> {
        self.call("property-balance", json!({ "property": property_json(p) }))
            .await
    }

    async fn tenant_balance(&self, p: &HostProperty) -> Result<TenantBalance, HostError> {
        self.call("tenant-balance", json!({ "property": property_json(p) }))
            .await
    }

    async fn landlord_float(&self, p: &HostProperty) -> Result<LandlordFloat, HostError> {
        self.call("landlord-float", json!({ "property": property_json(p) }))
            .await
    }

    async fn future_deductions(&self, p: &HostProperty) -> Result<FutureDeductions, HostError> {
        self.call("future-deductions", json!({ "property": property_json(p) }))
            .await
    }

    async fn inspection_reports(
        &self,
        p: &HostProperty,
    ) -> Result<Vec<InspectionReport>, HostError> {
        self.call(
            "inspection-reports",
            json!({ "property": property_json(p) }),
        )
        .await
    }

    async fn offers(&self, p: &HostProperty) -> Result<Vec<Offer>, HostError> {
        self.call("offers", json!({ "property": property_json(p) }))
            .await
    }

    async fn viewings(&self, p: &HostProperty) -> Result<Vec<Viewing>, HostError> {
        self.call("viewings", json!({ "property": property_json(p) }))
            .await
    }

    async fn viewing_feedback(&self, p: &HostProperty) -> Result<Vec<ViewingFeedback>, HostError> {
        self.call("viewing-feedback", json!({ "property": property_json(p) }))
            .await
    }

    async fn team_member(
        &self,
        agency: AgencyId,
        staff: &StaffRef,
    ) -> Result<Option<TeamMember>, HostError> {
        let body = json!({ "agency": agency.to_string(), "staff": staff.0 });
        match self.call("team-member", body).await {
            Ok(m) => Ok(Some(m)),
            Err(HostError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn custom(&self, p: &HostProperty, widget: &str) -> Result<Value, HostError> {
        let (status, bytes) = self
            .post(
                "custom",
                &json!({ "property": property_json(p), "widget": widget }),
                self.inner.config.max_response_bytes,
            )
            .await?;
        check(status)?;
        serde_json::from_slice(&bytes).map_err(|_| unavailable("answer is not JSON"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_on_the_wire_are_iso() {
        let mut v = json!({"date": "2026-01-05", "description": "2026-01-05", "items": [{"due_on": "2026-02-01", "paid_on": null}]});
        dates_in(&mut v);
        let t: Transaction = serde_json::from_value(json!({
            "date": v["date"], "description": v["description"], "amount": {"minor": 1, "currency": "GBP"}
        }))
        .unwrap();
        assert_eq!(date_text(t.date), "2026-01-05");
        assert_eq!(
            t.description, "2026-01-05",
            "only date fields are read as dates"
        );
    }

    #[test]
    fn base_urls() {
        assert!(HttpHostData::new(HostClientConfig::new("http://crm.example")).is_err());
        let mut c = HostClientConfig::new("http://127.0.0.1:9/x/");
        c.allow_plain_http = true;
        assert!(HttpHostData::new(c).is_ok());
        assert!(HttpHostData::new(HostClientConfig::new("ftp://crm.example")).is_err());
        assert!(HttpHostData::new(HostClientConfig::new("https://u:p@crm.example")).is_err());
        let c = HostClientConfig::new("https://crm.example")
            .auth_header("Authorization", "Bearer s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        let bad = HostClientConfig::new("https://crm.example").auth_header("Bad Header", "x");
        assert!(matches!(
            HttpHostData::new(bad),
            Err(HostClientError::AuthHeader)
        ));
    }
}
