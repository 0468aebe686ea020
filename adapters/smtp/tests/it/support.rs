//! Shared helpers: environment, maildev's API, fixtures, fake SMTP servers.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use portico_core::model::{Agency, AgencySettings, MailContent, OutboxMessage, OutboxStatus};
use portico_core::{AgencyId, OutboxId};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Where the real SMTP server and its API are, or `None` (after printing why) to skip.
/// With `PORTICO_REQUIRE_SERVICES=1` (CI) a missing server fails the test instead.
pub struct Env {
    pub smtp_url: String,
    pub api: String,
}

pub fn env() -> Option<Env> {
    let smtp_url = std::env::var("PORTICO_TEST_SMTP_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let api = std::env::var("PORTICO_TEST_MAILDEV_API")
        .ok()
        .filter(|s| !s.is_empty());
    match (smtp_url, api) {
        (Some(smtp_url), Some(api)) => Some(Env {
            smtp_url,
            api: api.trim_end_matches('/').to_string(),
        }),
        (None, _) => skip("PORTICO_TEST_SMTP_URL"),
        (Some(_), None) => skip("PORTICO_TEST_MAILDEV_API"),
    }
}

fn skip(var: &str) -> Option<Env> {
    let required = std::env::var("PORTICO_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    assert!(!required, "{var} not set, and PORTICO_REQUIRE_SERVICES=1");
    // Straight to the process's stderr, past the test harness's capture, so it shows.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {var} not set");
    None
}

/// A number unique to this call, across calls and runs (maildev keeps mail between runs).
pub fn nonce_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (nanos << 32) ^ (u128::from(std::process::id()) << 16) ^ u128::from(n)
}

/// [`nonce_u128`] in hex.
pub fn nonce() -> String {
    format!("{:x}", nonce_u128())
}

/// A unique recipient address for one test.
pub fn unique_address(tag: &str) -> String {
    format!("{tag}-{}@client.example", nonce())
}

/// A URL that carries a fresh secret-looking token.
pub fn token_url(path: &str) -> (String, String) {
    let token = format!("tok_{}", nonce());
    (
        format!("https://portal.acme.example/p/acme/{path}#token={token}"),
        token,
    )
}

pub fn agency() -> Agency {
    let mut settings = AgencySettings {
        portal_base_url: "https://portal.acme.example/p/acme".into(),
        ..AgencySettings::default()
    };
    settings.branding.sender_address = "portal@acme.example".into();
    settings.branding.reply_to = Some("office@acme.example".into());
    settings.branding.logo_url = Some("https://cdn.acme.example/logo.png".into());
    settings.branding.colour = Some("#8a1538".into());
    Agency {
        id: AgencyId::from_uuid(uuid::Uuid::from_u128(nonce_u128())),
        slug: format!("acme-{}", nonce()),
        name: "Acme Lettings".into(),
        settings,
        created_at: time::macros::datetime!(2026-01-01 09:00 UTC),
    }
}

pub fn message(agency: &Agency, to: &str, content: MailContent) -> OutboxMessage {
    let now = time::macros::datetime!(2026-11-23 14:00 UTC);
    OutboxMessage {
        id: OutboxId::from_uuid(uuid::Uuid::from_u128(nonce_u128())),
        agency: agency.id,
        to: to.into(),
        content,
        status: OutboxStatus::Queued,
        attempts: 0,
        created_at: now,
        next_attempt_at: now,
        last_error: None,
        sent_at: None,
    }
}

/// maildev's HTTP API.
pub struct Maildev {
    api: String,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
}

impl Maildev {
    pub fn new(api: &str) -> Self {
        Self {
            api: api.to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Every mail maildev holds.
    pub async fn all(&self) -> Vec<Value> {
        let uri: hyper::Uri = format!("{}/api/email", self.api).parse().unwrap();
        let resp = self.client.get(uri).await.expect("maildev API answers");
        assert!(resp.status().is_success(), "maildev API: {}", resp.status());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<Vec<Value>>(&body).unwrap()
    }

    /// The raw message (headers and MIME body) of a mail, as the SMTP server received it.
    pub async fn source(&self, mail: &Value) -> String {
        let id = mail["id"].as_str().expect("a mail id");
        let uri: hyper::Uri = format!("{}/api/email/{id}/source", self.api)
            .parse()
            .unwrap();
        let resp = self.client.get(uri).await.expect("maildev API answers");
        assert!(resp.status().is_success(), "maildev API: {}", resp.status());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8_lossy(&body).into_owned()
    }

    /// The mails sent to `address`.
    pub async fn to(&self, address: &str) -> Vec<Value> {
        self.all()
            .await
            .into_iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|t| t["address"] == address))
            })
            .collect()
    }

    /// Waits (up to 10 s) until at least `n` mails to `address` have arrived; returns them.
    pub async fn wait_for(&self, address: &str, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            let got = self.to(address).await;
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let got = self.to(address).await;
        panic!("expected {n} mails to {address}, got {}", got.len());
    }
}

/// A minimal SMTP server that accepts the session but answers `RCPT TO` with `rcpt_reply`
/// (e.g. `550 5.1.1 No such user` or `451 4.3.0 Try again later`). Returns its port.
pub async fn fake_smtp(rcpt_reply: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                if write.write_all(b"220 fake.test ESMTP\r\n").await.is_err() {
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 fake.test".to_string(),
                        "RCPT" => rcpt_reply.to_string(),
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => "250 OK".to_string(),
                    };
                    if write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// Host and port of an `smtp://host:port` URL.
pub fn host_port(url: &str) -> (String, u16) {
    let c = portico_smtp::SmtpConfig::from_url(url).unwrap();
    (c.host, c.port)
}

/// A TCP relay on `port` to the real SMTP server: "the SMTP server coming back up".
/// Returns a handle that stops it when aborted.
pub async fn relay(port: u16, target: (String, u16)) -> tokio::task::JoinHandle<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) =
                    tokio::net::TcpStream::connect((target.0.as_str(), target.1)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    })
}
