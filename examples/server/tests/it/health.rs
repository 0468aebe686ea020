//! `/healthz`, `/readyz`, request ids, and the `/demo` pages only in demo mode.

use crate::common::*;
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use portico_core::store::Store;
use std::sync::Arc;
use tower::ServiceExt;

#[tokio::test]
async fn health_and_readiness_answer_with_a_request_id() {
    let running = portico_server::start(test_config(false)).await.unwrap();
    let addr = running.addr();
    let mut c = Http::new(&running.started().public_base_url);
    let r = c.get(addr, "/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    let id = r.header("x-request-id").expect("a request id").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let r = c.get(addr, "/readyz").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(
        r.header("x-request-id"),
        Some(id.as_str()),
        "one id per request"
    );
    // A caller's id (a load balancer's) is kept and echoed.
    let r = c
        .send(
            addr,
            http::Method::GET,
            "/healthz",
            &[("x-request-id", "lb-42")],
            None,
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("lb-42"));
    // One that is not an id is replaced, so clients cannot write text into the logs.
    for odd in ["two words", "a\"quote", &"x".repeat(129)] {
        let r = c
            .send(
                addr,
                http::Method::GET,
                "/healthz",
                &[("x-request-id", odd)],
                None,
            )
            .await;
        let echoed = r.header("x-request-id").unwrap();
        assert_ne!(echoed, odd);
        assert_eq!(echoed.len(), 36, "a fresh UUID: {echoed}");
    }
    // The portal is behind the same listener, with its own headers.
    let r = c.get(addr, "/p/nope/sign-in").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("x-request-id").is_some());
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn demo_pages_exist_only_in_demo_mode() {
    let prod = portico_server::start(test_config(false)).await.unwrap();
    let mut c = Http::new(&prod.started().public_base_url);
    assert!(prod.started().demo.is_none());
    for path in ["/demo/", "/demo/mailbox", "/demo/console"] {
        let r = c.get(prod.addr(), path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} without --demo");
    }
    prod.shutdown().await.unwrap();

    let demo = portico_server::start(test_config(true)).await.unwrap();
    let seed = demo.started().demo.clone().expect("a demo seed");
    assert_eq!(seed.slug, "demo");
    assert!(seed.api_key.starts_with("pkey_"));
    let mut c = Http::new(&demo.started().public_base_url);
    assert_eq!(c.get(demo.addr(), "/demo/").await.status, StatusCode::OK);
    // The printed key works on the admin API.
    let r = c
        .admin(
            demo.addr(),
            &seed.api_key,
            http::Method::GET,
            "/admin/v1/agency",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["slug"], "demo");
    let text = portico_server::cli::summary(&test_config(true), demo.started());
    let base = &demo.started().public_base_url;
    for line in [
        format!("{base}/p/demo/"),
        format!("{base}/demo/console"),
        format!("{base}/demo/mailbox"),
        seed.api_key.clone(),
    ] {
        assert!(text.contains(&line), "summary lacks {line}: {text}");
    }
    demo.shutdown().await.unwrap();
}

#[tokio::test]
async fn readiness_is_503_when_the_store_does_not_answer() {
    let path = std::env::temp_dir().join(format!("portico-readyz-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = portico_sqlite::SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let app = portico_server::server::health_routes(Arc::new(store.clone()) as Arc<dyn Store>);
    let get = |uri: &'static str| {
        Request::builder()
            .uri(uri)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let r = app.clone().oneshot(get("/readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    store.pool().close().await;
    let r = app.clone().oneshot(get("/readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.headers()["retry-after"],
        "5",
        "a load balancer knows when to look again"
    );
    // Liveness does not depend on the store.
    let r = app.oneshot(get("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn a_bad_database_stops_the_start_naming_the_setting() {
    let config = portico_server::Config {
        database_url: "sqlite:///nonexistent-dir/sub/portico.db".into(),
        ..test_config(false)
    };
    let e = portico_server::start(config).await.unwrap_err();
    assert!(e.to_string().contains("database_url"), "{e}");
    // The port was not taken by a half-started server: a second start works.
    let ok = portico_server::start(test_config(false)).await.unwrap();
    ok.shutdown().await.unwrap();
}
