//! Helpers: a test configuration, and a small HTTP client over real sockets.

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use portico_core::hash::HashParams;
use portico_server::config::Secret;
use portico_server::{Config, HostDataSource};
use std::collections::BTreeMap;
use std::net::SocketAddr;

pub const PW: &str = "violet tractor umbrella ocean 1987";
pub const PW2: &str = "seventeen quiet lanterns over harbour";
pub const SECRET_HEX: &str = "8f1c2d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334455";

/// A server on a free port over a private in-memory SQLite database, fast hashing.
pub fn test_config(demo: bool) -> Config {
    Config {
        demo,
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: "sqlite::memory:".into(),
        argon2: HashParams::insecure_for_tests(),
        host_data: HostDataSource::Demo,
        csrf_secret: Some(Secret(
            portico_server::config::decode_secret(SECRET_HEX).unwrap(),
        )),
        shutdown_grace: std::time::Duration::from_secs(5),
        ..Config::default()
    }
}

/// A response, its body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A client with a cookie jar, talking to one address at a time, as a browser on the
/// `origin` page would (same-origin fetch metadata, `Origin` on writes).
#[derive(Debug, Clone)]
pub struct Http {
    pub jar: BTreeMap<String, String>,
    pub origin: String,
}

impl Http {
    pub fn new(origin: &str) -> Self {
        Self {
            jar: BTreeMap::new(),
            origin: origin.trim_end_matches('/').to_string(),
        }
    }

    pub async fn send(
        &mut self,
        addr: SocketAddr,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Resp {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let mut b = Request::builder()
            .method(method.clone())
            .uri(format!("http://{addr}{path}"))
            .header("sec-fetch-site", "same-origin");
        if method != Method::GET {
            b = b.header(header::ORIGIN, self.origin.as_str());
        }
        if !self.jar.is_empty() {
            let c = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            b = b.header(header::COOKIE, c);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let r = client.request(b.body(body).unwrap()).await.unwrap();
        let (parts, body) = r.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let resp = Resp {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for c in resp.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let first = c.split(';').next().unwrap();
            let (name, value) = first.split_once('=').unwrap();
            if c.contains("Max-Age=0") || value.is_empty() {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_string(), value.to_string());
            }
        }
        resp
    }

    pub async fn get(&mut self, addr: SocketAddr, path: &str) -> Resp {
        self.send(addr, Method::GET, path, &[], None).await
    }

    pub async fn post(&mut self, addr: SocketAddr, path: &str, body: serde_json::Value) -> Resp {
        self.send(addr, Method::POST, path, &[], Some(body)).await
    }

    /// An admin API call.
    pub async fn admin(
        &mut self,
        addr: SocketAddr,
        key: &str,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let auth = format!("Bearer {key}");
        self.send(
            addr,
            method,
            path,
            &[
                ("authorization", auth.as_str()),
                ("x-portico-staff", "Sam Staff"),
            ],
            body,
        )
        .await
    }
}

/// The token in a link.
pub fn token_of(url: &str) -> String {
    url.split_once("?token=").expect("a token").1.to_string()
}

/// The link in the newest mail of `template` to `to` in the agency's outbox.
pub async fn link_in_outbox(
    store: &dyn portico_core::store::Store,
    agency: portico_core::AgencyId,
    to: &str,
    template: &str,
) -> String {
    use portico_core::model::MailContent;
    let mail = store
        .outbox(agency, None, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to && m.content.template() == template)
        .max_by_key(|m| m.created_at)
        .expect("a mail");
    match mail.content {
        MailContent::Invitation { activation_url, .. } => activation_url,
        MailContent::PasswordReset { reset_url, .. } => reset_url,
        other => panic!("no link in {other:?}"),
    }
}
