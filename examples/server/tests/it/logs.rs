//! Request logs: one line per request with its id, method, path, status and latency, and
//! never a token, password, cookie, API key or query string, captured over a run that invites,
//! activates, signs in and signs out.

use crate::common::*;
use http::{Method, StatusCode};
use portico_server::LogFormat;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs the whole flow with the server's own log format installed on this (single) test
/// thread, where the server's tasks run too.
async fn flow(format: LogFormat) -> (String, Vec<String>) {
    let logs = Buffer::default();
    let _guard = tracing::subscriber::set_default(portico_server::logging::subscriber(
        format,
        logs.clone(),
        false,
    ));
    let running = portico_server::start(test_config(true)).await.unwrap();
    let addr = running.addr();
    let seed = running.started().demo.clone().unwrap();
    let key = seed.api_key.clone();
    let mut staff = Http::new(&running.started().public_base_url);
    let r = staff
        .admin(
            addr,
            &key,
            Method::POST,
            "/admin/v1/accounts",
            Some(serde_json::json!({"email": "ann@example.com", "display_name": "Ann Owner"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = link_in_outbox(
        running.store().as_ref(),
        seed.agency.id,
        "ann@example.com",
        "invitation",
    )
    .await;
    let token = token_of(&url);

    let mut ann = Http::new(&running.started().public_base_url);
    // The emailed link, with its token in the query string.
    let r = ann
        .get(addr, &format!("/p/demo/activate?token={token}"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = ann
        .post(
            addr,
            "/api/v1/demo/activate",
            serde_json::json!({"token": token, "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ann
        .post(addr, "/api/v1/demo/sign-out", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = ann
        .post(
            addr,
            "/api/v1/demo/sign-in",
            serde_json::json!({"login": "ann@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cookies: Vec<String> = ann.jar.values().cloned().collect();
    assert!(!cookies.is_empty(), "signed in with a cookie");
    let r = ann.get(addr, "/api/v1/demo/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let request_id = r.header("x-request-id").unwrap().to_string();
    // A wrong password too (it must not be logged either).
    let r = Http::new(&running.started().public_base_url)
        .post(
            addr,
            "/api/v1/demo/sign-in",
            serde_json::json!({"login": "ann@example.com", "password": PW2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    running.shutdown().await.unwrap();

    let mut secrets = vec![token, PW.to_string(), PW2.to_string(), key];
    secrets.extend(cookies);
    let text = logs.text();
    assert!(
        text.contains(&request_id),
        "the request id is logged: {text}"
    );
    (text, secrets)
}

fn assert_clean(text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret is in the logs: {s}\n{text}"
        );
    }
    assert!(!text.contains("token="), "no query string: {text}");
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );
    assert!(!text.to_ascii_lowercase().contains("cookie"), "{text}");
}

#[tokio::test]
async fn json_logs_carry_request_facts_and_no_secret() {
    let (text, secrets) = flow(LogFormat::Json).await;
    assert_clean(&text, &secrets);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let activate = lines
        .iter()
        .find(|l| l["span"]["path"] == "/p/demo/activate")
        .expect("the activation link's request is logged");
    assert_eq!(activate["span"]["method"], "GET");
    assert_eq!(activate["fields"]["status"], 303);
    assert!(activate["fields"]["latency_ms"].is_number());
    assert!(activate["span"]["request_id"].as_str().unwrap().len() >= 32);
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["path"] == "/api/v1/demo/sign-in" && l["fields"]["status"] == 401),
        "the failed sign-in is logged by status"
    );
    assert!(
        text.contains("demo agency seeded"),
        "the seed summary is logged"
    );
    assert!(text.contains("migrations applied"));
}

#[tokio::test]
async fn pretty_logs_carry_no_secret_either() {
    let (text, secrets) = flow(LogFormat::Pretty).await;
    assert_clean(&text, &secrets);
    assert!(text.contains("path=/api/v1/demo/sign-in"), "{text}");
}
