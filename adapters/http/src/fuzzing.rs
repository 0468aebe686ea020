//! Entry points for the fuzz targets in `tests/fuzz/` (not part of the API: hidden from the
//! docs, no stability promise). Each one is a thin wrapper over a private parser, so the fuzzer
//! exercises exactly the code the service runs on outside input.

use http::HeaderMap;
use portico_core::host::HostError;
use serde_json::Value;

/// The value of cookie `name` in `headers` as the service reads it (`None` when absent,
/// empty, too long or outside the token alphabet).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    crate::security::cookie_value(headers, name)
}

/// A `Set-Cookie` value as the service writes it (secure or not), for round trips.
pub fn set_cookie(secure: bool, name: &str, value: &str) -> Option<http::HeaderValue> {
    crate::security::Cookies::with_secure(secure).set(name, value, cookie::SameSite::Lax, Some(60))
}

/// The CSRF token for a binding (`session`: a session cookie's value, else a pre-session one).
pub fn csrf_token(secret: &[u8], slug: &str, session: bool, binding: &str) -> String {
    crate::security::csrf_token(secret, slug, binding_of(session, binding))
}

/// Whether `presented` is the CSRF token of the binding.
pub fn csrf_ok(secret: &[u8], slug: &str, session: bool, binding: &str, presented: &str) -> bool {
    crate::security::csrf_ok(secret, slug, binding_of(session, binding), presented)
}

fn binding_of(session: bool, value: &str) -> crate::security::Binding<'_> {
    if session {
        crate::security::Binding::Session(value)
    } else {
        crate::security::Binding::PreSession(value)
    }
}

/// Where a `next` parameter sends a client after sign-in.
pub fn safe_next(next: &str) -> &'static str {
    crate::security::safe_next(next)
}

/// `scheme://host[:port]` of an absolute http(s) URL, lower-cased.
pub fn origin_of(url: &str) -> Option<String> {
    crate::security::origin_of(url)
}

/// Decodes a host-data answer of `call` (`statement`, `property-balance`, `tenant-balance`,
/// `landlord-float`, `future-deductions`, `inspection-reports`, `offers`, `viewings`,
/// `viewing-feedback`, `team-member`, `document-content`, `custom`) exactly as
/// [`HttpHostData`](crate::HttpHostData) does after a `200`, and re-encodes a decoded value the
/// way the client JSON shows it. An unknown call decodes nothing.
pub fn host_answer(call: &str, bytes: &[u8]) -> Result<Value, HostError> {
    crate::host_data::decode_answer(call, bytes)
}
