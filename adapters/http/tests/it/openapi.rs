//! The OpenAPI document parses, is structurally valid, and lists every JSON route; every
//! route of the table is really routed.

use crate::harness::*;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use portico_http::openapi::{ROUTES, document};
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(document()).expect("the document is JSON")
}

fn resolve<'a>(doc: &'a Value, r: &str) -> Option<&'a Value> {
    let path = r.strip_prefix("#/")?;
    path.split('/').try_fold(doc, |v, seg| v.get(seg))
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap().to_string());
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_1_and_well_formed() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert!(d["info"]["title"].is_string() && d["info"]["version"].is_string());
    let paths = d["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    for (p, item) in paths {
        assert!(p.starts_with('/'), "{p}");
        for (method, op) in item.as_object().unwrap() {
            assert!(
                ["get", "put", "post", "delete", "patch"].contains(&method.as_str()),
                "{method} {p}"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {p}");
            for (code, r) in responses {
                assert!(code.len() == 3 && code.parse::<u16>().is_ok(), "{code}");
                assert!(r["description"].is_string(), "{method} {p} {code}");
            }
            // Every path parameter is declared.
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|x| x["in"] == "path")
                        .map(|x| x["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            for seg in p.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(declared.contains(&name), "{method} {p}: {name}");
            }
        }
    }
    let mut all = Vec::new();
    refs(&d, &mut all);
    assert!(!all.is_empty());
    for r in all {
        assert!(resolve(&d, &r).is_some(), "dangling {r}");
    }
    for scheme in ["sessionCookie", "apiKey"] {
        assert!(d["components"]["securitySchemes"][scheme].is_object());
    }
}

#[test]
fn every_json_route_is_documented_and_nothing_else() {
    let d = doc();
    let paths = d["paths"].as_object().unwrap();
    let json_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path.starts_with("/admin/"))
        .collect();
    for r in &json_routes {
        let item = paths
            .get(r.path)
            .unwrap_or_else(|| panic!("{} is not documented", r.path));
        assert!(
            item.get(r.method.to_ascii_lowercase()).is_some(),
            "{} {} is not documented",
            r.method,
            r.path
        );
    }
    for (p, item) in paths {
        for m in item.as_object().unwrap().keys() {
            assert!(
                json_routes
                    .iter()
                    .any(|r| r.path == p && r.method.eq_ignore_ascii_case(m)),
                "{m} {p} is documented but not in the route table"
            );
        }
    }
}

#[tokio::test]
async fn every_route_in_the_table_is_routed() {
    let t = T::new().await;
    for r in ROUTES {
        let path = r
            .path
            .replace("{slug}", "acme")
            .replace("{id}", "00000000-0000-4000-8000-000000000000");
        let req = Request::builder()
            .method(Method::from_bytes(r.method.as_bytes()).unwrap())
            .uri(&path)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let resp = t.send(req).await;
        assert_ne!(resp.status.as_u16(), 405, "{} {path}", r.method);
        assert!(
            !resp.body.contains("route_not_found")
                && !resp.body.contains("There is nothing at this address"),
            "{} {path} is not routed",
            r.method
        );
    }
}

/// Garbage in every place a request can carry it — bodies, content types, cookies, query
/// strings, path parameters, the API key — never makes a route panic or answer 5xx.
#[tokio::test]
async fn garbage_never_panics_or_answers_5xx() {
    let t = T::with_access().await;
    t.active("ann@example.com").await;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let samples: [&[u8]; 8] = [
        b"",
        b"{",
        b"[]",
        b"null",
        b"csrf=%ZZ&login=\xff\xfe&password=",
        b"{\"login\": 1, \"password\": [\"x\"]}",
        b"\x00\x01\x02\x03",
        b"{\"token\": \"pinv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"password\": \"x\"}",
    ];
    let types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ];
    let params = [
        "acme",
        "%00",
        "..",
        "00000000-0000-4000-8000-000000000000",
        "x",
    ];
    for r in ROUTES {
        for _ in 0..6 {
            let n = next();
            let param = params[(n % params.len() as u64) as usize];
            let path = r
                .path
                .replace("{slug}", "acme")
                .replace("{id}", param)
                .replace("{widget}", param)
                .replace("{account}", param);
            let query = [
                "",
                "?token=%ff%fe",
                "?next=//evil&from=2026-13-45&to=x",
                "?limit=-1&offset=x&kind=%00",
            ][((n >> 8) % 4) as usize];
            let body = samples[((n >> 16) % samples.len() as u64) as usize];
            let ctype = types[((n >> 24) % types.len() as u64) as usize];
            let req = Request::builder()
                .method(Method::from_bytes(r.method.as_bytes()).unwrap())
                .uri(format!("{path}{query}"))
                .header("content-type", ctype)
                .header(
                    "cookie",
                    "__Host-portico_session_acme=pses_%%%; __Host-portico_pre=;;; a=b=c",
                )
                .header(
                    "authorization",
                    if n % 2 == 0 {
                        "Bearer pkey_\u{0}".replace('\u{0}', "x")
                    } else {
                        format!("Bearer {}", t.key)
                    },
                )
                .header("sec-fetch-site", "same-origin")
                .body(Full::new(Bytes::from_static(body)))
                .unwrap();
            let resp = t.send(req).await;
            assert!(
                resp.status.as_u16() < 500,
                "{} {path}{query}: {} {}",
                r.method,
                resp.status,
                resp.body
            );
        }
    }
}

/// A real OpenAPI 3.1 parser reads the document, and every parameter, body and response
/// reference of every operation resolves.
#[test]
fn an_openapi_3_1_parser_accepts_the_document_and_resolves_every_reference() {
    let spec = oas3::from_json(document()).expect("a valid OpenAPI 3.1 document");
    let mut operations = 0;
    for (path, method, op) in spec.operations() {
        operations += 1;
        for p in &op.parameters {
            p.resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        }
        if let Some(b) = &op.request_body {
            b.resolve(&spec)
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        }
        assert!(!op.responses(&spec).is_empty(), "{method} {path}");
    }
    let json_routes = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path.starts_with("/admin/"))
        .count();
    assert_eq!(operations, json_routes);
}
