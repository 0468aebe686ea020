//! Secrets (issue 9, item 7): a full flow through the service — invitation, activation,
//! sign-in (right and wrong), code sign-in, reset, password and email change, staff preview,
//! API keys made, rotated, used, forged and revoked — with every `tracing` event captured at
//! TRACE level; then every captured line, every audit record (over the admin API and from the
//! store), the outbox and a dump of the whole store are scanned for every raw token, code,
//! password, cookie value and API key the flow used. None may appear.
//!
//! The scanner is `portico_core::testing::secrets` (feature `test-util`); see its docs to
//! scan other text, such as a standalone server's log file.

use crate::harness::*;
use http::{Method, StatusCode};
use portico_core::model::{AuditQuery, MailContent};
use portico_core::outbox::OutboxWorker;
use portico_core::store::Store;
use portico_core::testing::RecordingMailer;
use portico_core::testing::secrets::{LogCapture, find_known, find_secrets};
use serde_json::json;
use std::sync::Arc;

const WRONG: &str = "definitely not the password 42";
const PW3: &str = "a third long passphrase for the sweep";

/// Every secret a flow used, with a label for failure messages.
#[derive(Default)]
struct Used(Vec<(String, String)>);

impl Used {
    fn add(&mut self, label: &str, value: &str) {
        assert!(!value.is_empty(), "{label} is empty");
        if !self.0.iter().any(|(_, v)| v == value) {
            self.0.push((label.to_string(), value.to_string()));
        }
    }
    fn cookies(&mut self, label: &str, b: &Browser) {
        for (name, value) in &b.jar {
            self.add(&format!("{label}: cookie {name}"), value);
        }
    }
    fn values(&self) -> Vec<&str> {
        self.0.iter().map(|(_, v)| v.as_str()).collect()
    }
}

fn report(what: &str, text: &str, used: &Used) -> Vec<String> {
    find_secrets(text, &used.values())
        .into_iter()
        .map(|f| {
            let label = match f.kind {
                portico_core::testing::secrets::FindingKind::Known { index, encoding } => {
                    format!("{} ({encoding})", used.0[index].0)
                }
                ref k => format!("{k:?}"),
            };
            format!("{what}, line {}: {label}: {}", f.line, f.excerpt)
        })
        .collect()
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_an_audit_record_or_the_store() {
    let capture = LogCapture::new();
    let _guard = capture.set_default();
    let t = T::with_access().await;
    let mut used = Used::default();
    used.add("password", PW);
    used.add("second password", PW2);
    used.add("third password", PW3);
    used.add("wrong password", WRONG);
    used.add("bootstrap API key", &t.key);

    // Staff invite Erin through the admin API; Erin activates through the pages.
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/accounts",
            Some(
                json!({"email": "erin@example.com", "display_name": "Erin Client", "invite": true}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let erin = r.json()["account"]["id"].as_str().unwrap().to_string();
    let invitation = t.link_for("erin@example.com", "invitation").await;
    used.add("invitation token", &invitation);
    let mut b = Browser::new();
    let landing = b
        .get(&t, &format!("/p/acme/activate?token={invitation}"))
        .await;
    assert_eq!(landing.status, StatusCode::SEE_OTHER, "{}", landing.body);
    used.cookies("activation", &b);
    let r = b
        .submit(
            &t,
            "/p/acme/activate",
            "/p/acme/activate",
            &[("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    used.cookies("activated", &b);

    // Wrong, then right, password; through the pages and the API.
    let r = b.sign_in(&t, "erin@example.com", WRONG).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = b.sign_in(&t, "erin@example.com", PW).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    used.cookies("page sign-in", &b);
    let mut api = Browser::new();
    assert_eq!(
        api.api_sign_in(&t, "ERIN@example.com", WRONG).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.api_sign_in(&t, "erin@example.com", PW).await.status,
        StatusCode::OK
    );
    used.cookies("api sign-in", &api);

    // Sign-in with an emailed code: a wrong code, then the right one.
    let mut c = Browser::new();
    let r = c
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/request",
            Some(json!({"email": "erin@example.com"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    used.cookies("code attempt", &c);
    let code = t.code_for("erin@example.com").await;
    used.add("emailed code", &code);
    let wrong_code = if code == "000000" { "000001" } else { "000000" };
    let r = c
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/verify",
            Some(json!({"code": wrong_code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = c
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/code/verify",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    used.cookies("code sign-in", &c);

    // Forgotten password: request, reset, sign in again.
    let r = api
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password-reset/request",
            Some(json!({"login": "erin@example.com"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let reset = t.link_for("erin@example.com", "password_reset").await;
    used.add("reset token", &reset);
    let r = api
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password-reset",
            Some(json!({"token": reset, "password": PW2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        api.api_sign_in(&t, "erin@example.com", PW2).await.status,
        StatusCode::OK
    );
    used.cookies("after reset", &api);

    // Change the password and the email address.
    let r = api
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/password",
            Some(json!({"current_password": PW2, "new_password": PW3})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    used.cookies("password changed", &api);
    let r = api
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/email",
            Some(json!({"current_password": PW3, "new_email": "erin.new@example.com"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let confirm = t
        .link_for("erin.new@example.com", "email_change_confirm")
        .await;
    used.add("email change token", &confirm);
    let r = api
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/confirm-email",
            Some(json!({"token": confirm})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);

    // Staff preview: a property, a grant, the preview link, a refused write.
    let p = t
        .admin(
            Method::POST,
            "/admin/v1/properties",
            Some(json!({"host_ref": "P-1", "kind": "lettings", "display_name": "1 High Street"})),
        )
        .await;
    let p = p.json()["property"]["id"].as_str().unwrap().to_string();
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/grants",
            Some(
                json!({"subject": {"type": "account", "id": erin}, "property": p,
                        "role": "landlord", "scopes": ["widget:property_balance"]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/accounts/{erin}/preview"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_string();
    used.add("preview token", &token_of(&url));
    let mut staff = Browser::new();
    staff.get(&t, url.strip_prefix(ORIGIN).unwrap()).await;
    used.cookies("preview", &staff);
    assert_eq!(
        staff
            .get(&t, &format!("/p/acme/properties/{p}"))
            .await
            .status,
        StatusCode::OK
    );
    let r = staff
        .json(
            &t,
            Method::POST,
            "/api/v1/acme/sign-out-everywhere",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A client without a grant is refused.
    t.active("bob@example.com").await;
    let mut bob = Browser::new();
    bob.api_sign_in(&t, "bob@example.com", PW).await;
    used.cookies("bob", &bob);
    let r = bob
        .json(
            &t,
            Method::GET,
            &format!("/api/v1/acme/properties/{p}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // API keys: make one, use it, rotate it, use the new one, forge one, revoke.
    let r = t
        .admin(
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "crm sync"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key = r.json()["api_key"]["key"].as_str().unwrap().to_string();
    let key_id = r.json()["api_key"]["id"].as_str().unwrap().to_string();
    used.add("new API key", &key);
    let r = t
        .admin_with(&key, Method::GET, "/admin/v1/accounts", None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t
        .admin(
            Method::POST,
            &format!("/admin/v1/api-keys/{key_id}/rotate"),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let rotated = r.json()["api_key"]["key"].as_str().unwrap().to_string();
    used.add("rotated API key", &rotated);
    assert_eq!(
        t.admin_with(&rotated, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.admin_with(&key, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let forged = format!("{}{}", &rotated[..12], "Z".repeat(rotated.len() - 12));
    used.add("forged API key", &forged);
    assert_eq!(
        t.admin_with(&forged, Method::GET, "/admin/v1/agency", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let new_id = t
        .admin(Method::GET, "/admin/v1/api-keys", None)
        .await
        .json()["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| rotated.starts_with(k["prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        t.admin(
            Method::DELETE,
            &format!("/admin/v1/api-keys/{new_id}"),
            None
        )
        .await
        .status
        .is_success()
    );

    // The scan would see them: before delivery, the outbox in the store still carries the
    // links and the code (they are redacted once sent).
    let before = format!("{:?}", t.store);
    let seen = find_known(&before, &[&invitation, &reset, &confirm, &code]);
    assert!(
        seen.len() >= 4,
        "the undelivered mail should carry its links and code: {seen:#?}"
    );

    // Deliver the mail (the worker logs each send).
    let mailer = RecordingMailer::new();
    let worker = OutboxWorker::new(
        t.store.clone() as Arc<dyn Store>,
        Arc::new(mailer.clone()),
        Arc::new(t.clock.clone()),
    );
    let report_ = worker.run_once().await.unwrap();
    assert!(mailer.sent().len() >= 5, "{report_:?}");
    assert!(
        mailer.sent().iter().any(|m| matches!(
            &m.content,
            MailContent::SignInCode { code: c, .. } if *c == code
        )),
        "the mailer got the real code"
    );

    // Everything a reader of logs, of the audit trail or of the database could see.
    let mut problems = Vec::new();
    let lines = capture.lines();
    assert!(
        lines.iter().filter(|l| l.contains("mail sent")).count() >= 5,
        "{lines:#?}"
    );
    problems.extend(report("log", &capture.text(), &used));
    let audit = t
        .admin(Method::GET, "/admin/v1/audit?limit=1000", None)
        .await;
    assert_eq!(audit.status, StatusCode::OK);
    let events = audit.json()["events"].as_array().unwrap().len();
    assert!(events >= 20, "{events} audit events");
    problems.extend(report("GET /admin/v1/audit", &audit.body, &used));
    let stored = t
        .portal
        .audit_log(
            t.agency.id,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), events);
    problems.extend(report("audit store", &format!("{stored:#?}"), &used));
    let outbox = t
        .admin(Method::GET, "/admin/v1/outbox?limit=500", None)
        .await;
    problems.extend(report("GET /admin/v1/outbox", &outbox.body, &used));
    problems.extend(report("store dump", &format!("{:#?}", t.store), &used));
    assert!(
        problems.is_empty(),
        "{} secrets found:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(used.0.len() >= 15, "{} secrets used", used.0.len());
}
