#!/usr/bin/env python3
"""Writes adapters/http/openapi.json (run from the repository root). The document is
checked in; this script is how it was written, kept so that edits stay consistent."""
import json

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def err(desc): return {"description": desc, "content": {"application/json": {"schema": ref("Error")}}}
def ok(desc, schema=None):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {"application/json": {"schema": schema}}
    return r
def body(schema): return {"required": True, "content": {"application/json": {"schema": schema}}}
def obj(props, required=None):
    o = {"type": "object", "properties": props, "additionalProperties": False}
    o["required"] = list(props) if required is None else required
    return o
S = {"type": "string"}
DT = {"type": "string", "format": "date-time"}
NDT = {"type": ["string", "null"], "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}

slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]{2,63}$"}, "description": "The agency's slug."}
idp = {"name": "id", "in": "path", "required": True, "schema": UUID}
def q(name, schema, desc): return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}
paging = [q("offset", {"type": "integer", "minimum": 0}, "Skip this many."), q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "At most this many.")]

common_client = {"400": err("Malformed request"), "403": err("Cross-site request refused"), "404": err("Unknown agency"), "413": err("Body too large"), "415": err("Content-Type must be application/json"), "422": err("Invalid field"), "429": err("Too many requests (Retry-After)"), "500": err("Internal error"), "503": err("Unavailable (Retry-After)")}
common_admin = {"400": err("Malformed request"), "401": err("Missing or invalid API key"), "404": err("Not found in the key's agency"), "413": err("Body too large"), "422": err("Invalid field"), "429": err("Too many requests"), "500": err("Internal error"), "503": err("Unavailable")}

def op(summary, tag, responses, params=(), req=None, security=None, common=None):
    o = {"summary": summary, "tags": [tag], "responses": {**(common or {}), **responses}}
    if params: o["parameters"] = list(params)
    if req is not None: o["requestBody"] = body(req)
    if security is not None: o["security"] = security
    return o

cookie = [{"sessionCookie": []}]
key = [{"apiKey": []}]
none = []
signed = ok("Signed in; the session is in the Set-Cookie header only", ref("SignedIn"))

paths = {}
def add(method, path, o): paths.setdefault(path, {})[method.lower()] = o

add("GET", "/api/v1/openapi.json", {"summary": "This document", "tags": ["client"], "security": none, "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}})
C = "client"
add("POST", "/api/v1/{slug}/sign-in", op("Sign in with username (or email) and password", C, {"200": signed, "401": err("Wrong username or password (same answer for every reason)")}, [slug], obj({"login": S, "password": S}), none, common_client))
add("POST", "/api/v1/{slug}/sign-out", op("Sign out (ends the session; Clear-Site-Data)", C, {"204": ok("Signed out")}, [slug], obj({}, []), cookie, common_client))
add("POST", "/api/v1/{slug}/sign-out-everywhere", op("End every session of the client", C, {"204": ok("Signed out everywhere"), "401": err("Not signed in")}, [slug], obj({}, []), cookie, common_client))
add("GET", "/api/v1/{slug}/me", op("The signed-in account", C, {"200": ok("The account", obj({"account": ref("Account"), "session_id": UUID, "preview": {"type": "boolean"}})), "401": err("Not signed in")}, [slug], None, cookie, common_client))
add("GET", "/api/v1/{slug}/sessions", op("The client's live sessions", C, {"200": ok("Sessions", obj({"sessions": {"type": "array", "items": ref("SessionInfo")}})), "401": err("Not signed in")}, [slug], None, cookie, common_client))
add("DELETE", "/api/v1/{slug}/sessions/{id}", op("End one of the client's sessions", C, {"204": ok("Ended"), "401": err("Not signed in")}, [slug, idp], None, cookie, common_client))
add("POST", "/api/v1/{slug}/password", op("Change the password (needs the current one); other sessions end and this one is renewed", C, {"200": signed, "401": err("Not signed in")}, [slug], obj({"current_password": S, "new_password": S}), cookie, common_client))
add("POST", "/api/v1/{slug}/email", op("Ask to change the email address (needs the current password)", C, {"202": ok("Confirmation sent to the new address", obj({"status": S})), "401": err("Not signed in")}, [slug], obj({"current_password": S, "new_email": S}), cookie, common_client))
add("POST", "/api/v1/{slug}/links/inspect", op("Check an emailed link without using it", C, {"200": ok("The link is usable", ref("LinkInfo")), "410": err("Expired, used, superseded or revoked")}, [slug], obj({"purpose": {"type": "string", "enum": ["invitation", "password_reset", "email_change"]}, "token": S}), none, common_client))
add("POST", "/api/v1/{slug}/activate", op("Activate an account from its invitation link; signs in", C, {"200": signed, "410": err("Link expired, used, superseded or revoked")}, [slug], obj({"token": S, "password": S}), none, common_client))
add("POST", "/api/v1/{slug}/password-reset/request", op("Ask for a password reset email (same answer whether or not the account exists)", C, {"202": ok("Accepted", obj({"status": S}))}, [slug], obj({"login": S}), none, common_client))
add("POST", "/api/v1/{slug}/password-reset", op("Set a new password with a reset link (no sign-in)", C, {"204": ok("Password changed; every session ended"), "410": err("Link expired, used, superseded or revoked")}, [slug], obj({"token": S, "password": S}), none, common_client))
add("POST", "/api/v1/{slug}/confirm-email", op("Confirm a new email address with its link", C, {"204": ok("Email changed"), "410": err("Link expired, used, superseded or revoked")}, [slug], obj({"token": S}), none, common_client))
add("POST", "/api/v1/{slug}/code/request", op("Email a sign-in code; the attempt handle is set in a cookie", C, {"202": ok("Accepted (same answer for unknown addresses)", obj({"status": S, "expires_at": DT}))}, [slug], obj({"email": S}), none, common_client))
add("POST", "/api/v1/{slug}/code/verify", op("Check the code of this browser's attempt; signs in", C, {"200": signed, "401": err("Wrong or expired code")}, [slug], obj({"code": S}), none, common_client))

widgetp = {"name": "widget", "in": "path", "required": True, "schema": S}
accountp = {"name": "account", "in": "path", "required": True, "schema": UUID}
period_q = [{"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}, {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}]
binary = {"description": "The document, as an attachment", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
add("GET", "/api/v1/{slug}/properties", op("The portfolio: properties the client may see", C, {"200": ok("Properties", obj({"properties": {"type": "array", "items": ref("PortfolioEntry")}})), "401": err("Not signed in")}, [slug], None, cookie, common_client))
add("GET", "/api/v1/{slug}/properties/{id}", op("A property's dashboard: its widgets, each ready or unavailable", C, {"200": ok("Dashboard", ref("Dashboard")), "401": err("Not signed in")}, [slug, idp], None, cookie, common_client))
add("GET", "/api/v1/{slug}/properties/{id}/widgets/{widget}", op("One widget of the dashboard", C, {"200": ok("Widget", ref("WidgetView")), "401": err("Not signed in")}, [slug, idp, widgetp], None, cookie, common_client))
add("GET", "/api/v1/{slug}/properties/{id}/statement", op("A property statement for a period, generated now by the CRM", C, {"200": ok("Statement", {"type": "object"}), "401": err("Not signed in")}, [slug, idp] + period_q, None, cookie, common_client))
add("GET", "/api/v1/{slug}/properties/{id}/documents", op("Documents shared from a property that the client may read", C, {"200": ok("Documents", obj({"documents": {"type": "array", "items": ref("DocumentSummary")}})), "401": err("Not signed in")}, [slug, idp], None, cookie, common_client))
add("GET", "/api/v1/{slug}/documents/{id}", op("Download a shared document", C, {"200": binary, "401": err("Not signed in")}, [slug, idp], None, cookie, common_client))

A = "admin"
add("GET", "/admin/v1/agency", op("The key's agency", A, {"200": ok("The agency", ref("Agency"))}, (), None, key, common_admin))
add("PUT", "/admin/v1/agency", op("Replace the agency's name and settings", A, {"200": ok("The agency", ref("Agency"))}, (), obj({"name": S, "settings": ref("AgencySettings")}), key, common_admin))
add("GET", "/admin/v1/accounts", op("List login profiles", A, {"200": ok("Accounts", obj({"accounts": {"type": "array", "items": ref("Account")}}))}, paging, None, key, common_admin))
add("POST", "/admin/v1/accounts", op("Set up access for a client (reuses the login of the same contact or email); sends the invitation for a new login unless invite is false", A, {"201": ok("Created", ref("AccessSetUp")), "200": ok("Existing login reused", ref("AccessSetUp")), "409": err("Username or email taken; contact linked elsewhere")}, (), obj({"email": S, "username": {"type": ["string", "null"]}, "display_name": S, "contact": {"type": ["string", "null"]}, "invite": {"type": ["boolean", "null"]}}, ["email", "display_name"]), key, common_admin))
add("GET", "/admin/v1/accounts/{id}", op("One login profile", A, {"200": ok("The account", obj({"account": ref("Account")}))}, [idp], None, key, common_admin))
add("PATCH", "/admin/v1/accounts/{id}", op("Edit username or display name", A, {"200": ok("The account", obj({"account": ref("Account")})), "409": err("Username taken")}, [idp], obj({"username": {"type": ["string", "null"]}, "display_name": {"type": ["string", "null"]}}, []), key, common_admin))
add("DELETE", "/admin/v1/accounts/{id}", op("Delete a login for good; confirm with its exact username", A, {"204": ok("Deleted")}, [idp], obj({"confirm": S}), key, common_admin))
add("POST", "/admin/v1/accounts/{id}/disable", op("Disable: no sign-in, every session ends, every link dies", A, {"204": ok("Disabled")}, [idp], None, key, common_admin))
add("POST", "/admin/v1/accounts/{id}/enable", op("Enable a disabled login again", A, {"204": ok("Enabled")}, [idp], None, key, common_admin))
add("POST", "/admin/v1/accounts/{id}/end-sessions", op("End every session of the login", A, {"200": ok("Sessions ended", obj({"ended": {"type": "integer"}}))}, [idp], None, key, common_admin))
add("POST", "/admin/v1/accounts/{id}/invitation", op("Send or re-send the invitation (a new link kills the old one)", A, {"201": ok("Sent", obj({"invitation": ref("Invitation")})), "409": err("Already active or disabled")}, [idp], None, key, common_admin))
add("POST", "/admin/v1/accounts/{id}/password-reset", op("Send a password reset email (an invitation if not activated yet)", A, {"202": ok("Sent", obj({"sent": {"type": "string", "enum": ["invitation", "password_reset"]}})), "409": err("Account disabled")}, [idp], None, key, common_admin))
add("GET", "/admin/v1/invitations", op("Invitations and their state", A, {"200": ok("Invitations", obj({"invitations": {"type": "array", "items": ref("Invitation")}}))}, [q("account", UUID, "Only this account's.")], None, key, common_admin))
add("DELETE", "/admin/v1/invitations/{id}", op("Revoke a pending invitation", A, {"204": ok("Revoked"), "409": err("Not pending")}, [idp], None, key, common_admin))
add("GET", "/admin/v1/api-keys", op("The agency's API keys (no secrets)", A, {"200": ok("Keys", obj({"api_keys": {"type": "array", "items": ref("ApiKey")}}))}, (), None, key, common_admin))
add("POST", "/admin/v1/api-keys", op("Create an API key; the key is in the answer once and never again", A, {"201": ok("Created", obj({"api_key": ref("NewApiKey")}))}, (), obj({"name": S, "expires_at": NDT}, ["name"]), key, common_admin))
add("DELETE", "/admin/v1/api-keys/{id}", op("Revoke an API key at once", A, {"204": ok("Revoked")}, [idp], None, key, common_admin))
add("POST", "/admin/v1/api-keys/{id}/rotate", op("Rotate: a new key with the same name and expiry, the old one revoked", A, {"201": ok("Created", obj({"api_key": ref("NewApiKey")}))}, [idp], None, key, common_admin))
add("GET", "/admin/v1/audit", op("The audit log, newest first", A, {"200": ok("Events", obj({"events": {"type": "array", "items": ref("AuditEvent")}, "offset": {"type": "integer"}, "limit": {"type": "integer"}}))}, [q("account", UUID, "Only events about this account."), q("kind", S, "Only events of this kind (e.g. signin.failed)."), q("from", DT, "At or after."), q("until", DT, "Before.")] + paging, None, key, common_admin))
add("GET", "/admin/v1/outbox", op("Mail outbox status (never the content)", A, {"200": ok("Messages", obj({"messages": {"type": "array", "items": ref("OutboxMessage")}, "offset": {"type": "integer"}, "limit": {"type": "integer"}}))}, [q("status", {"type": "string", "enum": ["queued", "sending", "sent", "failed"]}, "Only this status.")] + paging, None, key, common_admin))

add("POST", "/admin/v1/properties", op("Create or update a property (by host_ref)", A, {"200": ok("The property", obj({"property": ref("Property")}))}, (), ref("PropertySpec"), key, common_admin))
add("GET", "/admin/v1/properties/{id}", op("One property", A, {"200": ok("The property", obj({"property": ref("Property")}))}, [idp], None, key, common_admin))
add("DELETE", "/admin/v1/properties/{id}", op("Remove a property from the portal (its grants and shares go with it)", A, {"204": ok("Removed")}, [idp], None, key, common_admin))
add("PUT", "/admin/v1/visibility", op("Widgets and property kinds hidden for every client of the agency", A, {"204": ok("Set")}, (), obj({"hidden_widgets": {"type": "array", "items": S}, "hide_lettings": {"type": "boolean"}, "hide_sales": {"type": "boolean"}}, []), key, common_admin))
add("GET", "/admin/v1/properties/{id}/grants", op("Grants on a property", A, {"200": ok("Grants", obj({"grants": {"type": "array", "items": ref("Grant")}}))}, [idp], None, key, common_admin))
add("GET", "/admin/v1/properties/{id}/documents", op("Documents shared from a property", A, {"200": ok("Documents", obj({"documents": {"type": "array", "items": ref("SharedDocument")}}))}, [idp], None, key, common_admin))
add("POST", "/admin/v1/properties/{id}/documents", op("Share a CRM file into the portal", A, {"201": ok("Shared", obj({"document": ref("SharedDocument")}))}, [idp], obj({"host_ref": S, "category": {"type": "string", "enum": ["statement", "certificate", "inspection", "tenancy", "general"]}, "title": S}), key, common_admin))
add("DELETE", "/admin/v1/documents/{id}", op("Unshare a document (the CRM's file is untouched)", A, {"204": ok("Unshared")}, [idp], None, key, common_admin))
add("POST", "/admin/v1/grants", op("Grant a subject (account or group) access to a property", A, {"201": ok("The grant", obj({"grant": ref("Grant")})), "409": err("Conflict")}, (), ref("GrantSpec"), key, common_admin))
add("GET", "/admin/v1/grants/{id}", op("One grant", A, {"200": ok("The grant", obj({"grant": ref("Grant")}))}, [idp], None, key, common_admin))
add("PATCH", "/admin/v1/grants/{id}", op("Change a grant's role, scopes, buyer-name display or validity", A, {"200": ok("The grant", obj({"grant": ref("Grant")}))}, [idp], {"type": "object"}, key, common_admin))
add("DELETE", "/admin/v1/grants/{id}", op("Revoke a grant; accounts left with no grant lose their sessions", A, {"200": ok("Revoked", obj({"revoked": obj({"accounts_cut_off": {"type": "integer"}, "sessions_ended": {"type": "integer"}})}))}, [idp], None, key, common_admin))
add("GET", "/admin/v1/accounts/{id}/grants", op("Grants held directly by an account", A, {"200": ok("Grants", obj({"grants": {"type": "array", "items": ref("Grant")}}))}, [idp], None, key, common_admin))
add("POST", "/admin/v1/accounts/{id}/preview", op("Open a read-only preview of the portal as this client (15 minutes); the link opens it", A, {"201": ok("Preview", obj({"url": S, "session_id": UUID, "expires_at": DT})), "409": err("Account disabled")}, [idp], None, key, common_admin))
add("GET", "/admin/v1/groups", op("Client groups", A, {"200": ok("Groups", obj({"groups": {"type": "array", "items": ref("Group")}}))}, (), None, key, common_admin))
add("POST", "/admin/v1/groups", op("Create a client group, optionally under a parent", A, {"201": ok("The group", obj({"group": ref("Group")})), "409": err("Name taken")}, (), obj({"name": S, "parent": {"type": ["string", "null"], "format": "uuid"}}, ["name"]), key, common_admin))
add("PATCH", "/admin/v1/groups/{id}", op("Rename or move a group", A, {"200": ok("The group", obj({"group": ref("Group")})), "409": err("Cycle or name taken")}, [idp], obj({"name": {"type": ["string", "null"]}, "parent": {"type": ["string", "null"], "format": "uuid"}}, []), key, common_admin))
add("DELETE", "/admin/v1/groups/{id}", op("Delete a group without subgroups", A, {"204": ok("Deleted"), "409": err("Has subgroups")}, [idp], None, key, common_admin))
add("GET", "/admin/v1/groups/{id}/grants", op("Grants held by a group", A, {"200": ok("Grants", obj({"grants": {"type": "array", "items": ref("Grant")}}))}, [idp], None, key, common_admin))
add("GET", "/admin/v1/groups/{id}/members", op("A group's members", A, {"200": ok("Members", obj({"members": {"type": "array", "items": UUID}}))}, [idp], None, key, common_admin))
add("PUT", "/admin/v1/groups/{id}/members/{account}", op("Add an account to a group", A, {"200": ok("Added", obj({"added": {"type": "boolean"}}))}, [idp, accountp], None, key, common_admin))
add("DELETE", "/admin/v1/groups/{id}/members/{account}", op("Remove an account from a group", A, {"200": ok("Removed", obj({"removed": {"type": "boolean"}}))}, [idp, accountp], None, key, common_admin))

schemas = {
  "Error": obj({"error": obj({"code": {"type": "string", "description": "Stable machine code"}, "message": {"type": "string", "description": "Human text"}})}),
  "Account": obj({"id": UUID, "username": S, "email": S, "display_name": S, "status": {"type": "string", "enum": ["invited", "active", "disabled"]}, "created_at": DT, "activated_at": NDT, "password_changed_at": NDT}),
  "SignedIn": obj({"account": ref("Account"), "session": obj({"id": UUID, "idle_expires_at": DT, "absolute_expires_at": DT})}),
  "SessionInfo": obj({"id": UUID, "created_at": DT, "last_seen_at": DT, "address": {"type": ["string", "null"]}, "user_agent": {"type": ["string", "null"]}, "current": {"type": "boolean"}}),
  "LinkInfo": obj({"purpose": S, "display_name": S, "username": S, "expires_at": DT}),
  "AgencySettings": {"type": "object", "description": "Per-agency settings; durations in seconds. Omitted fields take their defaults.", "properties": {"portal_base_url": S, "invitation_lifetime": {"type": "integer"}, "password_min_length": {"type": "integer"}, "password_max_length": {"type": "integer"}, "email_code_sign_in": {"type": "boolean"}, "session_idle_timeout": {"type": "integer"}, "session_absolute_lifetime": {"type": "integer"}, "branding": {"type": "object"}, "hidden_widgets": {"type": "array", "items": S}, "hide_lettings": {"type": "boolean"}, "hide_sales": {"type": "boolean"}}},
  "Agency": obj({"id": UUID, "slug": S, "name": S, "settings": ref("AgencySettings"), "created_at": DT}),
  "Invitation": obj({"id": UUID, "account": UUID, "state": {"type": "string", "enum": ["pending", "used", "expired", "superseded", "revoked"]}, "created_at": DT, "expires_at": DT, "used_at": NDT, "created_by": {"type": "object"}}),
  "AccessSetUp": obj({"account": ref("Account"), "created": {"type": "boolean"}, "invitation": {"oneOf": [ref("Invitation"), {"type": "null"}]}}),
  "ApiKey": obj({"id": UUID, "name": S, "prefix": S, "created_at": DT, "expires_at": NDT, "revoked_at": NDT}),
  "NewApiKey": obj({"id": UUID, "name": S, "prefix": S, "created_at": DT, "expires_at": NDT, "revoked_at": NDT, "key": {"type": "string", "description": "The key itself (pkey_…): shown once"}}),
  "AuditEvent": obj({"id": UUID, "at": DT, "kind": S, "actor": {"type": "object"}, "account": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}, "detail": S}),
  "PortfolioEntry": {"type": "object", "properties": {"property": UUID, "display_name": S, "kind": {"type": "string", "enum": ["lettings", "sales"]}, "roles": {"type": "array", "items": S}, "via_groups": {"type": "array", "items": S}}},
  "WidgetView": {"type": "object", "description": "A widget: state is ready (with data: {type, data}) or unavailable (with reason: failed, timed_out, unsupported). Dates are YYYY-MM-DD, money {minor, currency}.", "properties": {"id": S, "title": S, "state": {"type": "string", "enum": ["ready", "unavailable"]}, "data": {"type": "object"}, "reason": S}, "required": ["id", "title", "state"]},
  "Dashboard": {"type": "object", "properties": {"property": UUID, "display_name": S, "kind": S, "roles": {"type": "array", "items": S}, "widgets": {"type": "array", "items": ref("WidgetView")}}},
  "DocumentSummary": {"type": "object", "properties": {"id": UUID, "title": S, "category": S, "shared_at": DT}},
  "Property": {"type": "object", "properties": {"id": UUID, "host_ref": S, "kind": S, "display_name": S}},
  "PropertySpec": obj({"host_ref": S, "kind": {"type": "string", "enum": ["lettings", "sales"]}, "display_name": S, "manager": {"type": ["string", "null"]}, "negotiator": {"type": ["string", "null"]}, "valuer": {"type": ["string", "null"]}}, ["host_ref", "kind", "display_name"]),
  "Subject": obj({"type": {"type": "string", "enum": ["account", "group"]}, "id": UUID}),
  "GrantSpec": obj({"subject": ref("Subject"), "property": UUID, "role": {"type": "string", "enum": ["landlord", "vendor", "tenant", "applicant", "purchaser", "customer"]}, "scopes": {"type": "array", "items": {"type": "string", "description": "widget:<id> or documents:<category>"}}, "buyer_names": {"type": "string", "enum": ["first_name", "full_name", "hidden"]}, "valid_from": NDT, "valid_until": NDT}, ["subject", "property", "role", "scopes"]),
  "Grant": {"type": "object", "properties": {"id": UUID, "subject": ref("Subject"), "property": UUID, "role": S, "scopes": {"type": "array", "items": S}, "buyer_names": S, "valid_from": NDT, "valid_until": NDT, "created_at": DT, "updated_at": DT}},
  "Group": {"type": "object", "properties": {"id": UUID, "name": S, "parent": {"type": ["string", "null"]}, "created_at": DT}},
  "SharedDocument": {"type": "object", "properties": {"id": UUID, "property": UUID, "host_ref": S, "category": S, "title": S, "shared_at": DT}},
  "OutboxMessage": obj({"id": UUID, "to": S, "template": S, "status": S, "attempts": {"type": "integer"}, "created_at": DT, "next_attempt_at": DT, "last_error": {"type": ["string", "null"]}, "sent_at": NDT}),
}

doc = {
  "openapi": "3.1.0",
  "info": {"title": "Portico client and admin API", "version": "1.0.0", "description": "The client JSON API (`/api/v1/{slug}/…`) for hosts that build their own front end, and the admin API (`/admin/v1/…`) for the host CRM. Errors are `{\"error\": {\"code\", \"message\"}}` with a stable machine code. The client session travels only in the `__Host-portico_session_{slug}` cookie; unsafe client calls need `Content-Type: application/json` and a same-origin browser context."},
  "servers": [{"url": "/"}],
  "tags": [{"name": "client", "description": "Client JSON API"}, {"name": "admin", "description": "Admin API for the host CRM"}],
  "security": [],
  "paths": paths,
  "components": {"schemas": schemas, "securitySchemes": {
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "__Host-portico_session_{slug}", "description": "The client session (HttpOnly; set by sign-in)."},
    "apiKey": {"type": "http", "scheme": "bearer", "description": "An agency's admin API key (pkey_…); never in a URL."}}},
}
with open("adapters/http/openapi.json", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
