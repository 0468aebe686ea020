//! Cookie, CSRF, `next` and `Origin` parsing of portico-http (the functions the service runs,
//! through `portico_http::fuzzing`): never a panic; a cookie value read is always non-empty,
//! at most 128 URL-safe characters; a cookie the service sets reads back as itself; a CSRF token
//! checks only for its own binding; `next` only ever leads to an allow-listed page.
#![no_main]

use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use portico_http::fuzzing as f;

/// The input: fields separated by NUL bytes (see the seeds in `corpus/cookie/`).
#[derive(Debug)]
struct Input {
    cookie_header: String,
    name: String,
    value: String,
    secure: bool,
    session: bool,
    slug: String,
    binding: String,
    presented: String,
    next: String,
    origin: String,
}

fn token_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Input {
    fn parse(data: &[u8]) -> Self {
        let f = portico_fuzz::fields(data, 9);
        let flags = f[3].bytes().next().unwrap_or(0);
        Self {
            cookie_header: f[0].clone(),
            name: f[1].clone(),
            value: f[2].clone(),
            secure: flags & 1 == 1,
            session: flags & 2 == 2,
            slug: f[4].clone(),
            binding: f[5].clone(),
            presented: f[6].clone(),
            next: f[7].clone(),
            origin: f[8].clone(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let i = Input::parse(data);
    // Arbitrary Cookie headers.
    if let Ok(v) = HeaderValue::from_str(&i.cookie_header) {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, v);
        for name in [
            i.name.as_str(),
            "__Host-portico_session_acme",
            "__Host-portico_pre",
        ] {
            if let Some(v) = f::cookie_value(&h, name) {
                assert!(token_like(&v), "{v:?} read from {:?}", i.cookie_header);
            }
        }
    }

    // Round trip of a cookie the service sets.
    let name = if i.secure {
        "__Host-portico_link"
    } else {
        "portico_link"
    };
    if let Some(set) = f::set_cookie(i.secure, name, &i.value) {
        let set = set.to_str().expect("Set-Cookie is ASCII").to_string();
        assert!(set.contains("HttpOnly") && set.contains("Path=/"), "{set}");
        assert_eq!(set.contains("Secure"), i.secure, "{set}");
        let pair = set.split(';').next().expect("a pair");
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(pair) {
            h.append(header::COOKIE, v);
            let back = f::cookie_value(&h, name);
            if token_like(&i.value) {
                assert_eq!(back.as_deref(), Some(i.value.as_str()), "{set}");
            } else if let Some(b) = back {
                assert!(token_like(&b));
            }
        }
    }

    // CSRF tokens.
    let secret = b"a fuzzing csrf secret of 32 b!!!";
    let t = f::csrf_token(secret, &i.slug, i.session, &i.binding);
    assert!(f::csrf_ok(secret, &i.slug, i.session, &i.binding, &t));
    assert!(!f::csrf_ok(secret, &i.slug, !i.session, &i.binding, &t));
    if i.presented != t {
        assert!(!f::csrf_ok(
            secret,
            &i.slug,
            i.session,
            &i.binding,
            &i.presented
        ));
    }

    // `next` and origins.
    assert!(
        matches!(f::safe_next(&i.next), "./" | "account"),
        "{:?}",
        i.next
    );
    if let Some(o) = f::origin_of(&i.origin) {
        assert!(o.starts_with("https://") || o.starts_with("http://"), "{o}");
        let host = o.split_once("://").map(|p| p.1).unwrap_or_default();
        assert!(
            !host.is_empty() && !host.contains('@') && !host.contains('/'),
            "{o}"
        );
        assert_eq!(o, o.to_ascii_lowercase());
    }
});
