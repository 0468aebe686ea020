//! The route table of the service and the OpenAPI 3.1 document of its JSON APIs (served at
//! `/api/v1/openapi.json`).

/// How a route is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone (a page, or a JSON call that starts a sign-in).
    Public,
    /// Anyone, with a CSRF token bound to the pre-session cookie (anonymous form posts).
    PreSessionCsrf,
    /// A client session cookie (read).
    Session,
    /// A client session cookie and a CSRF token bound to it (form posts).
    SessionCsrf,
    /// An agency's admin API key: `Authorization: Bearer pkey_…`.
    ApiKey,
}

/// One route of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path template (`{name}` for a parameter).
    pub path: &'static str,
    /// Authentication.
    pub auth: Auth,
    /// What it does.
    pub summary: &'static str,
}

const fn r(method: &'static str, path: &'static str, auth: Auth, summary: &'static str) -> Route {
    Route {
        method,
        path,
        auth,
        summary,
    }
}

use Auth::*;

/// Every route of the service.
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    // pages
    r("GET", "/p/{slug}", Public, "redirects to the portal home"),
    r(
        "GET",
        "/p/{slug}/",
        Session,
        "portal home (signed in; else redirects to sign-in)",
    ),
    r("GET", "/p/{slug}/sign-in", Public, "sign-in form"),
    r(
        "POST",
        "/p/{slug}/sign-in",
        PreSessionCsrf,
        "signs in; sets the session cookie",
    ),
    r(
        "POST",
        "/p/{slug}/sign-out",
        SessionCsrf,
        "signs out; Clear-Site-Data",
    ),
    r(
        "POST",
        "/p/{slug}/sign-out-everywhere",
        SessionCsrf,
        "ends every session of the client",
    ),
    r(
        "GET",
        "/p/{slug}/account",
        Session,
        "sessions, change password, change email",
    ),
    r(
        "POST",
        "/p/{slug}/password",
        SessionCsrf,
        "changes the password (current one needed)",
    ),
    r(
        "POST",
        "/p/{slug}/email",
        SessionCsrf,
        "asks to change the email address",
    ),
    r(
        "POST",
        "/p/{slug}/end-session",
        SessionCsrf,
        "ends one of the client's sessions",
    ),
    r("GET", "/p/{slug}/forgot", Public, "forgotten-password form"),
    r(
        "POST",
        "/p/{slug}/forgot",
        PreSessionCsrf,
        "asks for a reset link (same answer always)",
    ),
    r(
        "GET",
        "/p/{slug}/activate",
        Public,
        "activation: ?token= moves to a cookie; then the form",
    ),
    r(
        "POST",
        "/p/{slug}/activate",
        PreSessionCsrf,
        "activates: sets the password, signs in",
    ),
    r(
        "GET",
        "/p/{slug}/reset",
        Public,
        "reset: ?token= moves to a cookie; then the form",
    ),
    r(
        "POST",
        "/p/{slug}/reset",
        PreSessionCsrf,
        "sets a new password (no sign-in)",
    ),
    r(
        "GET",
        "/p/{slug}/code",
        Public,
        "sign in with an emailed code: email form",
    ),
    r(
        "POST",
        "/p/{slug}/code",
        PreSessionCsrf,
        "emails a code; sets the attempt cookie",
    ),
    r("GET", "/p/{slug}/code-entry", Public, "code entry form"),
    r(
        "POST",
        "/p/{slug}/code-entry",
        PreSessionCsrf,
        "checks the code; signs in",
    ),
    r(
        "GET",
        "/p/{slug}/confirm-email",
        Public,
        "email change: ?token= moves to a cookie; then confirm",
    ),
    r(
        "POST",
        "/p/{slug}/confirm-email",
        PreSessionCsrf,
        "confirms the new email address",
    ),
    // client API
    r(
        "GET",
        "/api/v1/openapi.json",
        Public,
        "this API's OpenAPI 3.1 document",
    ),
    r(
        "POST",
        "/api/v1/{slug}/sign-in",
        Public,
        "signs in; session in a cookie",
    ),
    r("POST", "/api/v1/{slug}/sign-out", Session, "signs out"),
    r(
        "POST",
        "/api/v1/{slug}/sign-out-everywhere",
        Session,
        "ends every session",
    ),
    r("GET", "/api/v1/{slug}/me", Session, "the signed-in account"),
    r(
        "GET",
        "/api/v1/{slug}/sessions",
        Session,
        "the client's sessions",
    ),
    r(
        "DELETE",
        "/api/v1/{slug}/sessions/{id}",
        Session,
        "ends one of the client's sessions",
    ),
    r(
        "POST",
        "/api/v1/{slug}/password",
        Session,
        "changes the password; renews the session",
    ),
    r(
        "POST",
        "/api/v1/{slug}/email",
        Session,
        "asks to change the email address",
    ),
    r(
        "POST",
        "/api/v1/{slug}/links/inspect",
        Public,
        "checks an emailed link without using it",
    ),
    r(
        "POST",
        "/api/v1/{slug}/activate",
        Public,
        "activates an account; signs in",
    ),
    r(
        "POST",
        "/api/v1/{slug}/password-reset/request",
        Public,
        "asks for a reset link",
    ),
    r(
        "POST",
        "/api/v1/{slug}/password-reset",
        Public,
        "sets a new password with a reset link",
    ),
    r(
        "POST",
        "/api/v1/{slug}/confirm-email",
        Public,
        "confirms a new email address",
    ),
    r(
        "POST",
        "/api/v1/{slug}/code/request",
        Public,
        "emails a sign-in code",
    ),
    r(
        "POST",
        "/api/v1/{slug}/code/verify",
        Public,
        "checks a code; signs in",
    ),
    r("GET", "/api/v1/{slug}/properties", Session, "the portfolio: properties the client may see"),
    r("GET", "/api/v1/{slug}/properties/{id}", Session, "a property's dashboard"),
    r("GET", "/api/v1/{slug}/properties/{id}/widgets/{widget}", Session, "one widget"),
    r("GET", "/api/v1/{slug}/properties/{id}/statement", Session, "a statement for ?from=&to="),
    r("GET", "/api/v1/{slug}/properties/{id}/documents", Session, "shared documents of a property"),
    r("GET", "/api/v1/{slug}/documents/{id}", Session, "downloads a shared document"),
    // admin API
    r(
        "GET",
        "/admin/v1/agency",
        ApiKey,
        "the key's agency and its settings",
    ),
    r(
        "PUT",
        "/admin/v1/agency",
        ApiKey,
        "replaces the agency's name and settings",
    ),
    r(
        "GET",
        "/admin/v1/accounts",
        ApiKey,
        "lists login profiles (paged)",
    ),
    r(
        "POST",
        "/admin/v1/accounts",
        ApiKey,
        "sets up access (and sends the invitation)",
    ),
    r(
        "GET",
        "/admin/v1/accounts/{id}",
        ApiKey,
        "one login profile",
    ),
    r(
        "PATCH",
        "/admin/v1/accounts/{id}",
        ApiKey,
        "edits username or display name",
    ),
    r(
        "DELETE",
        "/admin/v1/accounts/{id}",
        ApiKey,
        "deletes for good; needs {\"confirm\": username}",
    ),
    r(
        "POST",
        "/admin/v1/accounts/{id}/disable",
        ApiKey,
        "disables; ends sessions, kills links",
    ),
    r(
        "POST",
        "/admin/v1/accounts/{id}/enable",
        ApiKey,
        "enables again",
    ),
    r(
        "POST",
        "/admin/v1/accounts/{id}/end-sessions",
        ApiKey,
        "ends every session of the account",
    ),
    r(
        "POST",
        "/admin/v1/accounts/{id}/invitation",
        ApiKey,
        "sends or re-sends the invitation",
    ),
    r(
        "POST",
        "/admin/v1/accounts/{id}/password-reset",
        ApiKey,
        "sends a reset (or invitation) email",
    ),
    r(
        "GET",
        "/admin/v1/invitations",
        ApiKey,
        "invitations and their state (?account=)",
    ),
    r(
        "DELETE",
        "/admin/v1/invitations/{id}",
        ApiKey,
        "revokes a pending invitation",
    ),
    r(
        "GET",
        "/admin/v1/api-keys",
        ApiKey,
        "the agency's API keys (no secrets)",
    ),
    r(
        "POST",
        "/admin/v1/api-keys",
        ApiKey,
        "creates a key; shown once",
    ),
    r("DELETE", "/admin/v1/api-keys/{id}", ApiKey, "revokes a key"),
    r(
        "POST",
        "/admin/v1/api-keys/{id}/rotate",
        ApiKey,
        "new key, old one revoked; shown once",
    ),
    r(
        "GET",
        "/admin/v1/audit",
        ApiKey,
        "audit log (?account, kind, from, until, offset, limit)",
    ),
    r(
        "GET",
        "/admin/v1/outbox",
        ApiKey,
        "mail outbox status (?status, offset, limit)",
    ),
    // issue 3: portfolio pages
    r("GET", "/p/{slug}/preview", Public, "staff preview: ?token= becomes the cookie; then the portal"),
    r("GET", "/p/{slug}/properties/{id}", Session, "property dashboard with its widgets"),
    r("GET", "/p/{slug}/properties/{id}/statement", Session, "a statement for ?from=&to="),
    r("GET", "/p/{slug}/documents/{id}", Session, "downloads a shared document"),
    // issue 3: admin
    r("POST", "/admin/v1/properties", ApiKey, "creates or updates a property (by host_ref)"),
    r("GET", "/admin/v1/properties/{id}", ApiKey, "one property"),
    r("DELETE", "/admin/v1/properties/{id}", ApiKey, "removes a property from the portal"),
    r("PUT", "/admin/v1/visibility", ApiKey, "widgets and property kinds hidden for every client"),
    r("GET", "/admin/v1/properties/{id}/grants", ApiKey, "grants on a property"),
    r("GET", "/admin/v1/properties/{id}/documents", ApiKey, "documents shared from a property"),
    r("POST", "/admin/v1/properties/{id}/documents", ApiKey, "shares a CRM file into the portal"),
    r("DELETE", "/admin/v1/documents/{id}", ApiKey, "unshares a document (the CRM file stays)"),
    r("POST", "/admin/v1/grants", ApiKey, "grants a subject access to a property"),
    r("GET", "/admin/v1/grants/{id}", ApiKey, "one grant"),
    r("PATCH", "/admin/v1/grants/{id}", ApiKey, "changes role, scopes, buyer names, validity"),
    r("DELETE", "/admin/v1/grants/{id}", ApiKey, "revokes a grant (sessions end if it was the last)"),
    r("GET", "/admin/v1/accounts/{id}/grants", ApiKey, "grants held by an account"),
    r("POST", "/admin/v1/accounts/{id}/preview", ApiKey, "opens a read-only preview; returns its link"),
    r("GET", "/admin/v1/groups", ApiKey, "client groups"),
    r("POST", "/admin/v1/groups", ApiKey, "creates a group (optionally under a parent)"),
    r("PATCH", "/admin/v1/groups/{id}", ApiKey, "renames or moves a group"),
    r("DELETE", "/admin/v1/groups/{id}", ApiKey, "deletes a group without subgroups"),
    r("GET", "/admin/v1/groups/{id}/grants", ApiKey, "grants held by a group"),
    r("GET", "/admin/v1/groups/{id}/members", ApiKey, "a group's members"),
    r("PUT", "/admin/v1/groups/{id}/members/{account}", ApiKey, "adds an account to a group"),
    r("DELETE", "/admin/v1/groups/{id}/members/{account}", ApiKey, "removes an account from a group"),
];

/// The OpenAPI 3.1 document (JSON) of the client and admin APIs.
pub fn document() -> &'static str {
    crate::api::OPENAPI
}
