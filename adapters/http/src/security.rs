//! Cookies, CSRF tokens, Fetch-Metadata / `Origin` checks and the allow-list of redirects.

use crate::config::HttpConfig;
use base64ct::{Base64UrlUnpadded, Encoding};
use cookie::{Cookie, SameSite};
use hmac::{KeyInit, Mac};
use http::{HeaderMap, HeaderValue, header};
use portico_core::Random;
use portico_core::model::Agency;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Name of the pre-session cookie the anonymous forms' CSRF tokens are bound to.
const PRE: &str = "portico_pre";
/// Name of the cookie that carries a link token after it is dropped from the URL.
const LINK: &str = "portico_link";
/// Name of the cookie that carries a sign-in-by-code attempt handle.
const ATTEMPT: &str = "portico_attempt";

/// Lifetime of the link cookie (15 minutes).
pub(crate) const LINK_COOKIE_SECONDS: i64 = 15 * 60;
/// Lifetime of the attempt cookie (10 minutes, a code's life).
pub(crate) const ATTEMPT_COOKIE_SECONDS: i64 = 10 * 60;

/// Longest cookie value read (tokens are 48 characters).
const MAX_COOKIE_VALUE: usize = 128;

/// The cookie names of one deployment (prefixed `__Host-` when cookies are secure).
#[derive(Debug, Clone)]
pub(crate) struct Cookies {
    secure: bool,
}

impl Cookies {
    pub(crate) fn new(config: &HttpConfig) -> Self {
        Self {
            secure: config.secure_cookies,
        }
    }

    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    /// The session cookie of an agency: one per agency, since `__Host-` cookies cannot carry
    /// a `Path`.
    pub(crate) fn session_name(&self, slug: &str) -> String {
        self.name(&format!("portico_session_{slug}"))
    }
    pub(crate) fn pre_name(&self) -> String {
        self.name(PRE)
    }
    pub(crate) fn link_name(&self) -> String {
        self.name(LINK)
    }
    pub(crate) fn attempt_name(&self, slug: &str) -> String {
        self.name(&format!("{ATTEMPT}_{slug}"))
    }

    /// A `Set-Cookie` value: HttpOnly, `Path=/`, no `Domain`, Secure when configured.
    pub(crate) fn set(
        &self,
        name: &str,
        value: &str,
        same_site: SameSite,
        max_age: Option<i64>,
    ) -> Option<HeaderValue> {
        let mut c = Cookie::build((name.to_string(), value.to_string()))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(same_site);
        if let Some(s) = max_age {
            c = c.max_age(cookie::time::Duration::seconds(s));
        }
        HeaderValue::from_str(&c.build().encoded().to_string()).ok()
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub(crate) fn clear(&self, name: &str) -> Option<HeaderValue> {
        self.set(name, "", SameSite::Lax, Some(0))
    }
}

/// The value of the named cookie in the request, if present, sane and not too long.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    for h in headers.get_all(header::COOKIE) {
        let Ok(s) = h.to_str() else { continue };
        for c in Cookie::split_parse_encoded(s).flatten() {
            if c.name() == name {
                let v = c.value();
                if !v.is_empty()
                    && v.len() <= MAX_COOKIE_VALUE
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// A fresh pre-session value: 32 random bytes, URL-safe.
pub(crate) fn new_pre_value(random: &dyn Random) -> Option<String> {
    let mut b = [0u8; 32];
    random.fill(&mut b).ok()?;
    Some(Base64UrlUnpadded::encode_string(&b))
}

/// What a CSRF token is bound to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Binding<'a> {
    /// A signed-in session (the session cookie's value).
    Session(&'a str),
    /// The pre-session cookie of the anonymous forms (login CSRF: checklist 33).
    PreSession(&'a str),
}

fn mac(secret: &[u8], slug: &str, binding: Binding<'_>) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(secret).ok()?;
    let (tag, value) = match binding {
        Binding::Session(v) => ("session", v),
        Binding::PreSession(v) => ("pre", v),
    };
    for part in [
        &b"portico-csrf-v1"[..],
        slug.as_bytes(),
        tag.as_bytes(),
        value.as_bytes(),
    ] {
        m.update(&(part.len() as u64).to_be_bytes());
        m.update(part);
    }
    Some(m)
}

/// The CSRF token for a form: an HMAC over the agency and the binding.
pub(crate) fn csrf_token(secret: &[u8], slug: &str, binding: Binding<'_>) -> String {
    match mac(secret, slug, binding) {
        Some(m) => Base64UrlUnpadded::encode_string(&m.finalize().into_bytes()),
        None => String::new(),
    }
}

/// Checks a presented CSRF token in constant time.
pub(crate) fn csrf_ok(secret: &[u8], slug: &str, binding: Binding<'_>, presented: &str) -> bool {
    if presented.is_empty() || presented.len() > 64 {
        return false;
    }
    let mut decoded = [0u8; 32];
    let Ok(d) = Base64UrlUnpadded::decode(presented, &mut decoded) else {
        return false;
    };
    if d.len() != 32 {
        return false;
    }
    let Some(m) = mac(secret, slug, binding) else {
        return false;
    };
    let expected = m.finalize().into_bytes();
    expected.as_slice().ct_eq(&decoded).into()
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Whether an unsafe request may come from where the browser says it comes from
/// (checklist 32): `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user); with
/// no Fetch Metadata, an `Origin` header must be the agency's portal origin or an allowed
/// extra origin. Non-browser clients that send neither pass here and still need the CSRF
/// token (forms) or a JSON body (API).
pub(crate) fn same_origin_request(headers: &HeaderMap, agency: &Agency, extra: &[String]) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        None => true,
        Some(Err(_)) => false,
        Some(Ok(origin)) => {
            let origin = origin.trim_end_matches('/').to_ascii_lowercase();
            if origin == "null" {
                return false;
            }
            origin_of(&agency.settings.portal_base_url).as_deref() == Some(origin.as_str())
                || extra
                    .iter()
                    .any(|e| e.trim_end_matches('/').eq_ignore_ascii_case(&origin))
        }
    }
}

/// The pages a `next` parameter may send a client to after signing in (checklist 34): a
/// relative page of the same agency's portal, by the first segment of its path. Anything else
/// (absolute URLs, `//host`, `..`, backslashes, unknown pages) goes to the home page.
pub(crate) fn safe_next(next: &str) -> &'static str {
    const ALLOWED: &[&str] = &["", "account"];
    let ok_chars = next
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/');
    if !ok_chars || next.starts_with('/') || next.contains("//") || next.len() > 200 {
        return "./";
    }
    match ALLOWED.iter().find(|a| **a == next) {
        Some(&"") | None => "./",
        Some(a) => a,
    }
}

/// Whether a client may only read (a staff preview): unsafe methods are refused.
pub(crate) fn is_safe_method(m: &http::Method) -> bool {
    matches!(*m, http::Method::GET | http::Method::HEAD)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn csrf_round_trip_and_binding() {
        let k = [7u8; 32];
        let t = csrf_token(&k, "acme", Binding::Session("abc"));
        assert!(csrf_ok(&k, "acme", Binding::Session("abc"), &t));
        assert!(!csrf_ok(&k, "acme", Binding::Session("abd"), &t));
        assert!(!csrf_ok(&k, "other", Binding::Session("abc"), &t));
        assert!(!csrf_ok(&k, "acme", Binding::PreSession("abc"), &t));
        assert!(!csrf_ok(&k, "acme", Binding::Session("abc"), ""));
        assert!(!csrf_ok(&k, "acme", Binding::Session("abc"), "%%%"));
        assert!(!csrf_ok(
            &k,
            "acme",
            Binding::Session("abc"),
            &"A".repeat(10_000)
        ));
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Portal.Example:8443/p/acme").as_deref(),
            Some("https://portal.example:8443")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://u@evil/"), None);
    }

    #[test]
    fn next_is_allow_listed() {
        assert_eq!(safe_next(""), "./");
        assert_eq!(safe_next("account"), "account");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "../other",
            "nope",
            "/p/acme/",
        ] {
            assert_eq!(safe_next(bad), "./", "{bad}");
        }
    }
}
