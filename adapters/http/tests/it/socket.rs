//! A few requests over a real socket: the service served by plain hyper, and mounted in an
//! axum router under a prefix.

use crate::harness::*;
use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use portico_core::model::AuditKind;
use portico_http::ClientAddress;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower::ServiceExt;

type Chunks = futures::stream::Iter<
    std::vec::IntoIter<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>,
>;
type ChunkedBody = StreamBody<Chunks>;
type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn read(r: http::Response<hyper::body::Incoming>) -> (StatusCode, http::HeaderMap, String) {
    let (p, b) = r.into_parts();
    let bytes = b.collect().await.unwrap().to_bytes();
    (
        p.status,
        p.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Serves the service with plain hyper; the peer address goes in as `ClientAddress`.
async fn serve_hyper(t: &T) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = t.svc.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                return;
            };
            let svc = svc.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ClientAddress(peer.ip()));
                        svc.clone().oneshot(req)
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn cookie_of(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let first = s.split(';').next()?;
        let (n, v) = first.split_once('=')?;
        (n == name).then(|| v.to_string())
    })
}

fn csrf_of(body: &str) -> String {
    body.split_once("name=\"csrf\" value=\"")
        .unwrap()
        .1
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn sign_in_over(c: &HttpClient, base: &str, t: &T) -> (String, String) {
    let r = c
        .request(
            Request::get(format!("{base}/p/acme/sign-in"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, h, body) = read(r).await;
    assert_eq!(s, StatusCode::OK);
    let pre = cookie_of(&h, PRE).unwrap();
    let form = serde_urlencoded::to_string([
        ("csrf", csrf_of(&body).as_str()),
        ("login", "ann@example.com"),
        ("password", PW),
    ])
    .unwrap();
    let r = c
        .request(
            Request::post(format!("{base}/p/acme/sign-in"))
                .header(header::COOKIE, format!("{PRE}={pre}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .body(Full::new(Bytes::from(form)))
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, h, body) = read(r).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let _ = t;
    (
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string(),
        cookie_of(&h, SESSION).unwrap(),
    )
}

#[tokio::test]
async fn over_a_real_socket_with_plain_hyper() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let addr = serve_hyper(&t).await;
    let base = format!("http://{addr}");
    let c = client();
    let (location, session) = sign_in_over(&c, &base, &t).await;
    assert_eq!(location, "./");
    let r = c
        .request(
            Request::get(format!("{base}/api/v1/acme/me"))
                .header(header::COOKIE, format!("{SESSION}={session}"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, _, body) = read(r).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("ann@example.com"));
    let ok = t.audit(AuditKind::SignInSucceeded).await;
    assert_eq!(ok[0].address.unwrap().to_string(), "127.0.0.1");
    // Admin without a key.
    let r = c
        .request(
            Request::get(format!("{base}/admin/v1/agency"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(read(r).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413_over_a_socket() {
    let t = T::new().await;
    let addr = serve_hyper(&t).await;
    let c: Client<_, ChunkedBody> = Client::builder(TokioExecutor::new()).build_http();
    // Chunked, with no Content-Length: the limit is enforced while reading.
    let chunks: Vec<_> = (0..100)
        .map(|_| Ok(hyper::body::Frame::data(Bytes::from(vec![b'a'; 1024]))))
        .collect();
    let body = StreamBody::new(futures::stream::iter(chunks));
    let r = c
        .request(
            Request::post(format!("http://{addr}/api/v1/acme/sign-in"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, _, body) = read(r).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("body_too_large"));
}

#[tokio::test]
async fn mounted_in_an_axum_router_under_a_prefix_a_client_signs_in() {
    let t = T::new().await;
    t.active("ann@example.com").await;
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "the host's own page" }))
        .nest_service("/portal", t.svc.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let base = format!("http://{addr}/portal");
    let c = client();
    let (location, session) = sign_in_over(&c, &base, &t).await;
    // The redirect is relative, so it stays under the prefix.
    let home = format!("{base}/p/acme/{}", location.trim_start_matches("./"));
    let r = c
        .request(
            Request::get(&home)
                .header(header::COOKIE, format!("{SESSION}={session}"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let (s, _, body) = read(r).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("Welcome, Ann Owner"));
    // The address came from axum's ConnectInfo.
    let ok = t.audit(AuditKind::SignInSucceeded).await;
    assert_eq!(ok[0].address.unwrap().to_string(), "127.0.0.1");
    // The host's own routes still work.
    let r = c
        .request(
            Request::get(format!("http://{addr}/"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(read(r).await.2, "the host's own page");
}
