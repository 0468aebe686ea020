//! Graceful shutdown: in-flight requests finish, new connections are refused, a stuck request
//! is cut after the grace period, and the mail worker stops.

use crate::common::*;
use axum::Router;
use axum::routing::get;
use http::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Generous guard so that a hang fails the test instead of blocking the suite.
const GUARD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_in_flight_request_completes_after_shutdown_is_triggered() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (e, r) = (entered.clone(), release.clone());
    let extra = Router::new().route(
        "/slow",
        get(move || {
            let (e, r) = (e.clone(), r.clone());
            async move {
                e.notify_one();
                r.notified().await;
                "finished"
            }
        }),
    );
    let running = portico_server::start_with(test_config(false), extra)
        .await
        .unwrap();
    let addr = running.addr();
    let base = running.started().public_base_url.clone();
    let client = tokio::spawn(async move { Http::new(&base).get(addr, "/slow").await });
    tokio::time::timeout(GUARD, entered.notified())
        .await
        .unwrap();

    let handle = running.shutdown_handle();
    let stopped = tokio::spawn(running.wait());
    handle.trigger();
    // The listener closes: new connections are refused while the request is in flight.
    tokio::time::timeout(GUARD, async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the listener closes");
    assert!(
        !stopped.is_finished(),
        "the server waits for the in-flight request"
    );
    release.notify_one();
    let r = tokio::time::timeout(GUARD, client).await.unwrap().unwrap();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "finished");
    tokio::time::timeout(GUARD, stopped)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_stuck_request_is_cut_after_the_grace_period_and_the_mail_worker_stops() {
    let entered = Arc::new(Notify::new());
    let e = entered.clone();
    let extra = Router::new().route(
        "/stuck",
        get(move || {
            let e = e.clone();
            async move {
                e.notify_one();
                std::future::pending::<&'static str>().await
            }
        }),
    );
    // An SMTP server that is not there: the worker runs (and retries) until shutdown.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = portico_server::Config {
        shutdown_grace: Duration::from_millis(300),
        smtp_url: Some(smtp),
        ..test_config(false)
    };
    let running = portico_server::start_with(config, extra).await.unwrap();
    assert!(running.started().mail_worker);
    let addr = running.addr();
    let base = running.started().public_base_url.clone();
    let _client = tokio::spawn(async move { Http::new(&base).get(addr, "/stuck").await });
    tokio::time::timeout(GUARD, entered.notified())
        .await
        .unwrap();
    tokio::time::timeout(GUARD, running.shutdown())
        .await
        .expect("shutdown is bounded by the grace period")
        .unwrap();
}

/// The real thing: the binary stops cleanly on SIGTERM.
#[cfg(unix)]
#[tokio::test]
async fn the_binary_stops_cleanly_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = std::env::temp_dir().join(format!("portico-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .env_clear()
        .env("PORTICO_LISTEN", "127.0.0.1:0")
        .env(
            "PORTICO_DATABASE_URL",
            format!("sqlite://{}/p.db", dir.display()),
        )
        .env("PORTICO_CSRF_SECRET", SECRET_HEX)
        .env("PORTICO_HOST_DATA_SOURCE", "demo")
        .env("PORTICO_LOG_FORMAT", "json")
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: std::net::SocketAddr = tokio::time::timeout(GUARD, async {
        loop {
            let line = out
                .next_line()
                .await
                .unwrap()
                .expect("the server prints its address");
            if let Some(a) = line.strip_prefix("Portico is listening on http://") {
                return a.trim().parse().unwrap();
            }
        }
    })
    .await
    .unwrap();
    let r = Http::new(&format!("http://{addr}"))
        .get(addr, "/readyz")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(GUARD, child.wait())
        .await
        .expect("the server exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    use tokio::io::AsyncReadExt;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert!(err.contains("shutdown signal received"), "{err}");
    assert!(err.contains("server stopped"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
