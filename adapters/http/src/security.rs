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
        Self::with_secure(config.secure_cookies)
    }

    pub(crate) fn with_secure(secure: bool) -> Self {
        Self { secure }
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

    fn jar(header: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(header) {
            h.append(header::COOKIE, v);
        }
        h
    }

    proptest::proptest! {
        /// A cookie the service sets (secure or not) reads back as the same value, among
        /// other cookies, whatever their order.
        #[test]
        fn prop_set_cookie_round_trips(
            value in "[A-Za-z0-9_-]{1,128}",
            other in "[A-Za-z0-9_-]{0,40}",
            secure in proptest::bool::ANY,
            first in proptest::bool::ANY,
        ) {
            let cookies = Cookies::with_secure(secure);
            let name = cookies.session_name("acme");
            let set = cookies.set(&name, &value, SameSite::Lax, Some(60)).unwrap();
            let set = set.to_str().unwrap();
            proptest::prop_assert!(set.contains("HttpOnly") && set.contains("Path=/"));
            proptest::prop_assert_eq!(set.contains("Secure"), secure);
            let pair = set.split(';').next().unwrap();
            let header = if first {
                format!("{pair}; unrelated={other}")
            } else {
                format!("unrelated={other}; {pair}")
            };
            proptest::prop_assert_eq!(cookie_value(&jar(&header), &name), Some(value));
        }

        /// Whatever the Cookie header, a value read is non-empty, at most 128 characters of
        /// the URL-safe alphabet; and never a panic.
        #[test]
        fn prop_cookie_values_are_sane(header in "[ -~]{0,300}", name in "[a-z_-]{1,12}") {
            for n in [name.as_str(), "__Host-portico_pre"] {
                if let Some(v) = cookie_value(&jar(&header), n) {
                    proptest::prop_assert!(!v.is_empty() && v.len() <= MAX_COOKIE_VALUE);
                    proptest::prop_assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
                }
            }
        }

        /// A value with a character outside the alphabet inside it, or longer than 128
        /// characters, is never read.
        #[test]
        fn prop_odd_values_are_refused(
            odd in "[A-Za-z0-9_-]{1,10}[!#$&'()*+./:<>?@^`{|}~=][A-Za-z0-9_-]{1,10}",
            long in "[A-Za-z0-9_-]{129,300}",
        ) {
            for value in [odd, long] {
                let got = cookie_value(&jar(&format!("portico_pre={value}")), "portico_pre");
                proptest::prop_assert!(got.is_none(), "{:?} read from {:?}", got, value);
            }
        }

        /// A CSRF token checks for its own agency and binding only; any other text fails.
        #[test]
        fn prop_csrf_binding(
            slug in "[a-z]{1,10}",
            value in "[A-Za-z0-9_-]{1,60}",
            session in proptest::bool::ANY,
            other in "[ -~]{0,70}",
        ) {
            let k = [9u8; 32];
            let b = if session { Binding::Session(&value) } else { Binding::PreSession(&value) };
            let flipped = if session { Binding::PreSession(&value) } else { Binding::Session(&value) };
            let t = csrf_token(&k, &slug, b);
            proptest::prop_assert!(csrf_ok(&k, &slug, b, &t));
            proptest::prop_assert!(!csrf_ok(&k, &slug, flipped, &t));
            let other_slug = format!("{slug}x");
            proptest::prop_assert!(!csrf_ok(&k, &other_slug, b, &t));
            if other != t {
                proptest::prop_assert!(!csrf_ok(&k, &slug, b, &other));
            }
        }

        /// `next` only ever leads to an allow-listed page.
        #[test]
        fn prop_next_is_allow_listed(next in "[ -~]{0,60}") {
            proptest::prop_assert!(matches!(safe_next(&next), "./" | "account"));
        }
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
