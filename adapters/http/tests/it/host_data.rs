//! The host-data client against a fake CRM served on a real socket (loopback).

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use portico_core::AgencyId;
use portico_core::access::{PropertyKind, Role, StaffRef};
use portico_core::host::*;
use portico_http::{HostClientConfig, HttpHostData};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Default)]
struct Seen {
    calls: Vec<(String, Option<String>, Value)>,
}

/// A CRM that answers each call from a fixed table; `slow` sleeps first.
async fn crm(seen: Arc<Mutex<Seen>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let auth = req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string());
                        let body: Value = serde_json::from_slice(
                            &req.into_body().collect().await.unwrap().to_bytes(),
                        )
                        .unwrap_or(Value::Null);
                        seen.lock()
                            .unwrap()
                            .calls
                            .push((path.clone(), auth, body.clone()));
                        let (status, out) = answer(&path, &body).await;
                        Ok::<_, std::convert::Infallible>(
                            Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(out)))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}/portico")
}

async fn answer(path: &str, body: &Value) -> (StatusCode, String) {
    let gbp = |m: i64| json!({"minor": m, "currency": "GBP"});
    match path {
        "/portico/v1/property-balance" => (
            StatusCode::OK,
            json!({
                "transactions": [{"date": "2026-01-05", "description": "Rent", "amount": gbp(95000)}],
                "due_to_owner": gbp(85500)
            })
            .to_string(),
        ),
        "/portico/v1/statement" => {
            let p = &body["period"];
            (
                StatusCode::OK,
                json!({
                    "period": {"from": p["from"], "to": p["to"]},
                    "opening_balance": gbp(0),
                    "transactions": [],
                    "closing_balance": gbp(0)
                })
                .to_string(),
            )
        }
        "/portico/v1/tenant-balance" => (StatusCode::NOT_FOUND, "{}".into()),
        "/portico/v1/landlord-float" => (StatusCode::NOT_IMPLEMENTED, "{}".into()),
        "/portico/v1/future-deductions" => (StatusCode::INTERNAL_SERVER_ERROR, "oops".into()),
        "/portico/v1/inspection-reports" => (StatusCode::OK, "not json".into()),
        "/portico/v1/offers" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, "[]".into())
        }
        "/portico/v1/viewings" => (StatusCode::OK, format!("[{}]", "1,".repeat(700_000) + "1")),
        "/portico/v1/team-member" => match body["staff"].as_str() {
            Some("pm-1") => (
                StatusCode::OK,
                json!({"first_name": "Pat", "last_name": "Manager", "title": "Property manager",
                       "phone": null, "email": "pat@agency.example", "photo_url": null})
                .to_string(),
            ),
            _ => (StatusCode::NOT_FOUND, "{}".into()),
        },
        "/portico/v1/document-content" => (
            StatusCode::OK,
            json!({"file_name": "gas.pdf", "content_type": "application/pdf", "content_base64": "JVBERi0xLjQK"})
                .to_string(),
        ),
        "/portico/v1/custom" => (StatusCode::OK, json!({"hello": body["widget"]}).to_string()),
        _ => (StatusCode::NOT_FOUND, "{}".into()),
    }
}

fn property() -> HostProperty {
    HostProperty {
        agency: AgencyId::from_random_bytes([1; 16]),
        host_ref: "P-100".into(),
        kind: PropertyKind::Lettings,
        role: Role::Landlord,
    }
}

async fn client() -> (HttpHostData, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let base = crm(seen.clone()).await;
    let mut cfg = HostClientConfig::new(base).auth_header("Authorization", "Bearer crm-secret");
    cfg.allow_plain_http = true;
    cfg.request_timeout = Duration::from_millis(800);
    (HttpHostData::new(cfg).unwrap(), seen)
}

#[tokio::test]
async fn host_data_calls_follow_the_contract() {
    let (h, seen) = client().await;
    let p = property();
    let b = h.property_balance(&p).await.unwrap();
    assert_eq!(b.due_to_owner.minor, 85500);
    assert_eq!(b.transactions[0].date.to_string(), "2026-01-05");
    let period = Period {
        from: time::macros::date!(2025 - 12 - 01),
        to: time::macros::date!(2025 - 12 - 31),
    };
    let s = h.statement(&p, period).await.unwrap();
    assert_eq!(s.period, period);
    let calls = seen.lock().unwrap().calls.clone();
    let (path, auth, body) = &calls[1];
    assert_eq!(path, "/portico/v1/statement");
    assert_eq!(auth.as_deref(), Some("Bearer crm-secret"));
    assert_eq!(body["period"]["from"], "2025-12-01");
    assert_eq!(body["property"]["host_ref"], "P-100");
    assert_eq!(body["property"]["kind"], "lettings");
    assert_eq!(body["property"]["role"], "landlord");
    assert_eq!(body["property"]["agency"], p.agency.to_string());

    let d = h.document_content(&p, "DOC-1").await.unwrap();
    assert_eq!(d.file_name, "gas.pdf");
    assert_eq!(d.bytes, b"%PDF-1.4\n");
    let m = h
        .team_member(p.agency, &StaffRef("pm-1".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.first_name, "Pat");
    assert_eq!(
        h.team_member(p.agency, &StaffRef("gone".into()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(h.custom(&p, "energy").await.unwrap()["hello"], "energy");
}

#[tokio::test]
async fn host_data_failures_map_to_host_errors() {
    let (h, _) = client().await;
    let p = property();
    assert_eq!(h.tenant_balance(&p).await, Err(HostError::NotFound));
    assert_eq!(h.landlord_float(&p).await, Err(HostError::Unsupported));
    assert!(matches!(
        h.future_deductions(&p).await,
        Err(HostError::Unavailable(_))
    ));
    assert!(matches!(
        h.inspection_reports(&p).await,
        Err(HostError::Unavailable(_))
    ));
    // Too slow: the overall timeout.
    let started = std::time::Instant::now();
    assert!(matches!(h.offers(&p).await, Err(HostError::Unavailable(_))));
    assert!(started.elapsed() < Duration::from_secs(2));
    // Too large: cut at the limit.
    assert!(matches!(
        h.viewings(&p).await,
        Err(HostError::Unavailable(_))
    ));
    // Nobody listening.
    let mut cfg = HostClientConfig::new("http://127.0.0.1:1/");
    cfg.allow_plain_http = true;
    let dead = HttpHostData::new(cfg).unwrap();
    match dead.property_balance(&p).await {
        Err(HostError::Unavailable(why)) => assert!(!why.contains("secret")),
        other => panic!("{other:?}"),
    }
}
