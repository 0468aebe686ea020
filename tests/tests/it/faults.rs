//! Faults (issue 9, item 5): the standalone server, in process, on PostgreSQL and SMTP each
//! behind a controllable proxy, under mixed load (client sign-ins, dashboards, admin set-up
//! with invitations, new properties) while PostgreSQL is cut for ~3 s and SMTP for ~10 s.
//!
//! Checked: every answer is 2xx, 429 or 503 (503 with `Retry-After` and nothing internal), no
//! request waits beyond the client's 10 s limit, nothing panics, the server serves again after
//! the restore without a restart, every acknowledged write is there afterwards, and every
//! acknowledged invitation (those acknowledged during the SMTP outage included) reaches the
//! SMTP server exactly once — except a message the mail worker had claimed when PostgreSQL
//! went away: its outcome cannot be recorded, so it keeps its claim until the worker's
//! 5-minute lease runs out (a known weakness of `core::outbox`, reported): for those the test
//! checks they are still listed as `sending` and have not been delivered twice. And a
//! message in flight at the instant SMTP is cut may be accepted without the reply getting
//! back: it is sent again with the same `Message-ID` (at most one per connection cut).
//!
//! Needs `PORTICO_TEST_POSTGRES_URL`, `PORTICO_TEST_SMTP_URL` and `PORTICO_TEST_MAILDEV_API`
//! (`bash .ci/maildev.sh`); skipped loudly without them. Takes about 50 s, most of it waiting
//! for the mail worker's first retry (30 s after a failed attempt).

// Integration-test helpers outside `#[test]` functions: unwrap is fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http::{Method, StatusCode};
use portico_core::access::grant::default_scopes;
use portico_core::access::{PropertyKind, Role};
use portico_core::hash::HashParams;
use portico_e2e::load::{Client, LoadError, Recorder, Reply, drive};
use portico_e2e::proxy::Proxy;
use portico_e2e::service_env;
use portico_postgres::sqlx::{self, AssertSqlSafe, Connection, PgConnection};
use portico_server::config::{Secret, decode_secret};
use portico_server::{Config, HostDataSource};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SLUG: &str = "faults";
const PW: &str = "violet tractor umbrella ocean 1987";
const SECRET_HEX: &str = "5e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
/// No request may take longer than this.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Clients signed in and reading dashboards.
const CLIENTS: usize = 6;
/// Staff workers setting up access (with invitations) and properties.
const STAFF: usize = 3;
/// Words that must never appear in an answer (driver, pool, database and SMTP internals).
const INTERNAL: &[&str] = &[
    "sqlx",
    "postgres",
    "pool",
    "connection",
    "database",
    "smtp",
    "lettre",
    "panick",
    "timed out",
    "io error",
    "os error",
    "backtrace",
];

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics on any thread other than the test's own (where assertion failures happen).
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let test_thread = std::thread::current()
                .name()
                .is_some_and(|n| n.contains("faults::"));
            if !test_thread {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A schema of this run's own (those of runs over 15 minutes old are dropped); returns the
/// URL whose connections use it.
async fn fresh_schema(url: &str) -> String {
    let now = unix_secs();
    let schema = format!("portico_faults_{now}_{}", std::process::id());
    let mut conn = PgConnection::connect(url).await.unwrap();
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'portico\\_faults\\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for other in old {
        let started = other.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
        if started.is_some_and(|s| now.saturating_sub(s) > 15 * 60) {
            let _ = sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{other}\" CASCADE")))
                .execute(&mut conn)
                .await;
        }
    }
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// maildev's API: the mails to each address of this run.
async fn mails_by_recipient(maildev: &Client, run: &str) -> BTreeMap<String, Vec<Value>> {
    let req = maildev.get("/api/email").body(Default::default()).unwrap();
    let reply = maildev.send(req).await.expect("maildev answers");
    assert!(reply.status.is_success(), "maildev: {}", reply.status);
    let all: Vec<Value> = serde_json::from_slice(&reply.body).expect("maildev's JSON");
    let mut by = BTreeMap::<String, Vec<Value>>::new();
    for mail in all {
        for to in mail["to"].as_array().into_iter().flatten() {
            if let Some(addr) = to["address"].as_str()
                && addr.contains(run)
            {
                by.entry(addr.to_string()).or_default().push(mail.clone());
            }
        }
    }
    by
}

/// The invitation token in a mail's text.
fn token_in(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap_or_default();
    let at = text.find("token=").expect("a link in the invitation") + "token=".len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Requests of the run, with the checks every answer must pass.
struct Run {
    client: Client,
    key: String,
    rec: Recorder,
    /// Answers that broke a rule (label, status, body), the first few.
    bad: Mutex<Vec<String>>,
}

impl Run {
    fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> http::Request<http_body_util::Full<bytes::Bytes>> {
        let auth = format!("Bearer {}", self.key);
        let headers = [
            ("authorization", auth.as_str()),
            ("x-portico-staff", "Fault Tester"),
        ];
        match body {
            Some(b) => self.client.json(method, path, &headers, &b).unwrap(),
            None => {
                let mut r = self.client.request(method, path);
                for (k, v) in headers {
                    r = r.header(k, v);
                }
                r.body(Default::default()).unwrap()
            }
        }
    }

    fn client_get(
        &self,
        path: &str,
        cookie: &str,
    ) -> http::Request<http_body_util::Full<bytes::Bytes>> {
        self.client
            .get(path)
            .header("cookie", cookie)
            .body(Default::default())
            .unwrap()
    }

    /// Sends, records, and checks the answer against the rules of a fault: 2xx, 429 or 503;
    /// a 503 says when to come back and shows nothing internal.
    async fn send(
        &self,
        label: &str,
        req: http::Request<http_body_util::Full<bytes::Bytes>>,
    ) -> Result<Reply, LoadError> {
        let outcome = self.client.send(req).await;
        self.rec.record(label, &outcome);
        let problem = match &outcome {
            Err(e) => Some(format!("{label}: {e}")),
            Ok(r) => {
                check_answer(r).map(|why| format!("{label}: {why}: {} {}", r.status, r.text()))
            }
        };
        if let Some(p) = problem {
            let mut bad = self.bad.lock().unwrap();
            if bad.len() < 20 {
                bad.push(p);
            }
        }
        outcome
    }
}

/// Why an answer breaks the rules, if it does.
fn check_answer(r: &Reply) -> Option<&'static str> {
    let s = r.status;
    if !(s.is_success()
        || s == StatusCode::TOO_MANY_REQUESTS
        || s == StatusCode::SERVICE_UNAVAILABLE)
    {
        return Some("unexpected status");
    }
    if s == StatusCode::SERVICE_UNAVAILABLE || s == StatusCode::TOO_MANY_REQUESTS {
        let retry = r
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if retry.is_none_or(|secs| secs == 0) {
            return Some("no Retry-After");
        }
        let lower = r.text().to_ascii_lowercase();
        if INTERNAL.iter().any(|w| lower.contains(w)) {
            return Some("internal text in the answer");
        }
        let code = r
            .json()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
        if code.is_none() {
            return Some("not a JSON error");
        }
    }
    None
}

/// Which phase of the faults the run is in (set by the conductor, read by the workers).
#[derive(Default)]
struct Phase {
    smtp_down: AtomicBool,
    pg_down: AtomicBool,
}

/// What staff workers were told was done.
#[derive(Default)]
struct Acknowledged {
    /// (account id, email, acknowledged while SMTP was cut).
    accounts: Mutex<Vec<(String, String, bool)>>,
    /// (property id, host ref).
    properties: Mutex<Vec<(String, String)>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_and_smtp_outages_under_load_fail_cleanly_lose_nothing_and_recover() {
    let Some(pg) = service_env("PORTICO_TEST_POSTGRES_URL") else {
        return;
    };
    let Some(smtp) = service_env("PORTICO_TEST_SMTP_URL") else {
        return;
    };
    let Some(maildev_api) = service_env("PORTICO_TEST_MAILDEV_API") else {
        return;
    };
    count_panics();
    let begun = Instant::now();
    let run = format!("r{}x{}", unix_secs(), std::process::id());
    let maildev = Client::new(&maildev_api, Duration::from_secs(10)).unwrap();

    // PostgreSQL and SMTP, each behind a proxy.
    let db = fresh_schema(&pg).await;
    let (pg_proxy, db_url) = Proxy::for_url(&db).await.unwrap();
    let (smtp_proxy, smtp_url) = Proxy::for_url(&smtp).await.unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: db_url,
        smtp_url: Some(smtp_url),
        argon2: HashParams::insecure_for_tests(),
        host_data: HostDataSource::Demo,
        csrf_secret: Some(Secret(decode_secret(SECRET_HEX).unwrap())),
        // Core's throttling stays on; the per-address limits would turn most of the load
        // from one loopback address into 429s and hide the faults.
        rate_limits: false,
        shutdown_grace: Duration::from_secs(5),
        ..Config::default()
    };
    let public = |addr| config.public_base_url_for(addr);
    let running = portico_server::start(config.clone()).await.unwrap();
    let base = public(running.addr());
    let settings = portico_server::server::agency_settings(&config, &base, SLUG);
    let boot = portico_http::bootstrap_agency(
        running.portal(),
        SLUG,
        "Faults Lettings",
        settings,
        "faults",
    )
    .await
    .unwrap();
    let r = Arc::new(Run {
        client: Client::new(&base, CLIENT_TIMEOUT).unwrap(),
        key: boot.key.raw.expose().to_string(),
        rec: Recorder::new(),
        bad: Mutex::new(Vec::new()),
    });

    // One property, and clients who hold a grant on it and have activated their account
    // through the invitation they were mailed.
    let prop = r
        .send("setup", r.admin(Method::POST, "/admin/v1/properties", Some(json!({
            "host_ref": format!("{run}-P0"), "kind": "lettings", "display_name": "1 Fault Lane"
        }))))
        .await
        .unwrap();
    assert_eq!(prop.status, StatusCode::OK, "{}", prop.text());
    let property = prop.json().unwrap()["property"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let scopes =
        serde_json::to_value(default_scopes(Role::Landlord, PropertyKind::Lettings)).unwrap();
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let email = format!("client{n}.{run}@faults.test");
        let made = r
            .send(
                "setup",
                r.admin(
                    Method::POST,
                    "/admin/v1/accounts",
                    Some(json!({
                        "email": email, "display_name": format!("Client {n}")
                    })),
                ),
            )
            .await
            .unwrap();
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
        let id = made.json().unwrap()["account"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let granted = r
            .send(
                "setup",
                r.admin(
                    Method::POST,
                    "/admin/v1/grants",
                    Some(json!({
                        "subject": {"type": "account", "id": id}, "property": property,
                        "role": "landlord", "scopes": scopes
                    })),
                ),
            )
            .await
            .unwrap();
        assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.text());
        clients.push(email);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let invitations = loop {
        let got = mails_by_recipient(&maildev, &run).await;
        if clients.iter().all(|c| got.contains_key(c)) {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "the clients' invitations did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for email in &clients {
        let token = token_in(&invitations[email][0]);
        let req = r
            .client
            .json(
                Method::POST,
                &format!("/api/v1/{SLUG}/activate"),
                &[],
                &json!({"token": token, "password": PW}),
            )
            .unwrap();
        let done = r.send("setup", req).await.unwrap();
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    }
    let setup_took = begun.elapsed();

    // The load: clients sign in and read their dashboard; staff set up access (each with an
    // invitation) and add properties. Meanwhile the conductor cuts and restores.
    let phase = Arc::new(Phase::default());
    let acked = Arc::new(Acknowledged::default());
    let cookies: Arc<Vec<Mutex<Option<String>>>> =
        Arc::new((0..CLIENTS).map(|_| Mutex::new(None)).collect());
    let conductor = {
        let phase = phase.clone();
        let (pg_proxy, smtp_proxy) = (Arc::new(pg_proxy), Arc::new(smtp_proxy));
        let (pgp, smp) = (pg_proxy.clone(), smtp_proxy.clone());
        let handle = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            smp.refuse().await;
            phase.smtp_down.store(true, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(3)).await;
            phase.pg_down.store(true, Ordering::SeqCst);
            pgp.refuse().await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            pgp.restore();
            phase.pg_down.store(false, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(4)).await;
            phase.smtp_down.store(false, Ordering::SeqCst);
            smp.restore();
        });
        (handle, pg_proxy, smtp_proxy)
    };
    let (conductor, pg_proxy, smtp_proxy) = conductor;
    let load_started = Instant::now();
    let outcome = {
        let (r, phase, acked, cookies, clients, property, run) = (
            r.clone(),
            phase.clone(),
            acked.clone(),
            cookies.clone(),
            clients.clone(),
            property.clone(),
            run.clone(),
        );
        drive(
            CLIENTS + STAFF,
            Duration::from_secs(16),
            move |worker, i| {
                let (r, phase, acked, cookies, clients, property, run) = (
                    r.clone(),
                    phase.clone(),
                    acked.clone(),
                    cookies.clone(),
                    clients.clone(),
                    property.clone(),
                    run.clone(),
                );
                async move {
                    let failed = if worker < CLIENTS {
                        client_iteration(&r, &cookies[worker], &clients[worker], &property).await
                    } else {
                        staff_iteration(&r, &phase, &acked, &run, worker, i).await
                    };
                    if failed {
                        // A real client backs off a little after a failure.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            },
        )
        .await
    };
    conductor.await.unwrap();
    let load_took = load_started.elapsed();
    let report = r.rec.report();
    eprintln!(
        "faults: load {load_took:?} ({} iterations)\n{report}",
        outcome.iterations
    );
    eprintln!(
        "faults: PostgreSQL proxy {:?}; SMTP proxy {:?}",
        pg_proxy.stats(),
        smtp_proxy.stats()
    );

    // Clean failures only; nothing hung; nothing panicked.
    let bad = r.bad.lock().unwrap().clone();
    assert!(
        bad.is_empty(),
        "answers that break the rules:\n{}",
        bad.join("\n")
    );
    assert_eq!(outcome.hung_workers, 0);
    let total = report.total();
    assert_eq!((total.timeouts, total.transport_errors), (0, 0));
    assert!(
        total.count(503) > 0,
        "the PostgreSQL outage was not felt: the test proves nothing"
    );
    assert!(pg_proxy.stats().dropped + pg_proxy.stats().refused > 0);
    assert!(
        smtp_proxy.stats().dropped + smtp_proxy.stats().refused > 0,
        "the worker never tried SMTP during the outage"
    );
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic in the server");

    // Served again without a restart: ready, a fresh sign-in, a dashboard, an admin write.
    let ready_by = Instant::now() + Duration::from_secs(10);
    loop {
        let req = r.client.get("/readyz").body(Default::default()).unwrap();
        if r.client
            .send(req)
            .await
            .is_ok_and(|x| x.status == StatusCode::OK)
        {
            break;
        }
        assert!(
            Instant::now() < ready_by,
            "not ready 10 s after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = Mutex::new(None);
    assert!(!client_iteration(&r, &fresh, &clients[0], &property).await);
    let after = r
        .send("after", r.admin(Method::POST, "/admin/v1/accounts", Some(json!({
            "email": format!("after.{run}@faults.test"), "display_name": "After", "invite": false
        }))))
        .await
        .unwrap();
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.text());

    // Every acknowledged write is there.
    let accounts = acked.accounts.lock().unwrap().clone();
    let properties = acked.properties.lock().unwrap().clone();
    assert!(!accounts.is_empty() && !properties.is_empty());
    for (id, email, _) in &accounts {
        let got = r
            .send(
                "verify",
                r.admin(Method::GET, &format!("/admin/v1/accounts/{id}"), None),
            )
            .await
            .unwrap();
        assert_eq!(
            got.status,
            StatusCode::OK,
            "acknowledged account {email} is gone"
        );
        assert!(got.text().contains(email.as_str()), "{}", got.text());
    }
    for (id, host_ref) in &properties {
        let got = r
            .send(
                "verify",
                r.admin(Method::GET, &format!("/admin/v1/properties/{id}"), None),
            )
            .await
            .unwrap();
        assert_eq!(
            got.status,
            StatusCode::OK,
            "acknowledged property {host_ref} is gone"
        );
        assert!(got.text().contains(host_ref.as_str()), "{}", got.text());
    }

    // Every acknowledged invitation goes out exactly once, the outage's ones after the mail
    // worker's retry (30 s after the failed attempt).
    let during = accounts.iter().filter(|(_, _, down)| *down).count();
    assert!(
        during > 0,
        "no invitation was acknowledged while SMTP was down"
    );
    let mail_by = Instant::now() + Duration::from_secs(40);
    let (mails, stranded) = loop {
        let got = mails_by_recipient(&maildev, &run).await;
        let missing: Vec<String> = accounts
            .iter()
            .map(|(_, e, _)| e.clone())
            .filter(|e| !got.contains_key(e))
            .collect();
        // A message the worker had claimed when PostgreSQL went away keeps its claim (the
        // outcome could not be recorded) until the 5-minute lease runs out; it is retaken then.
        let stranded = claimed(&r).await;
        let waiting: Vec<&String> = missing.iter().filter(|e| !stranded.contains(*e)).collect();
        if waiting.is_empty() {
            // Let any duplicate arrive before counting.
            tokio::time::sleep(Duration::from_secs(1)).await;
            break (mails_by_recipient(&maildev, &run).await, stranded);
        }
        assert!(
            Instant::now() < mail_by,
            "{} of {} acknowledged invitations never arrived and are not claimed (e.g. {})",
            waiting.len(),
            accounts.len(),
            waiting[0]
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // A message in flight when SMTP was cut may have been accepted by the server without the
    // reply getting back (RFC 1047): it is sent again with the same Message-ID, which lets
    // the recipient's mail system drop the copy. There can be no more such recipients than
    // SMTP connections the cut dropped; any other repeat is a bug.
    let mut lost_replies = Vec::new();
    for (_, email, down) in &accounts {
        let got = mails.get(email).map(Vec::as_slice).unwrap_or_default();
        let ids: std::collections::BTreeSet<&str> = got
            .iter()
            .filter_map(|m| m["headers"]["message-id"].as_str())
            .collect();
        let n = got.len();
        if stranded.contains(email) {
            // Sent or not before the cut, but never twice (yet).
            assert!(n <= 1, "{email} got {n} mails");
        } else if *down {
            // Queued while SMTP was cut: never attempted with a live connection.
            assert_eq!(
                n, 1,
                "{email} (acknowledged while SMTP was down) got {n} mails"
            );
        } else {
            assert!(n >= 1, "{email} got no mail");
            assert_eq!(ids.len(), 1, "{email} got different messages: {ids:?}");
            if n > 1 {
                lost_replies.push(email.clone());
            }
        }
    }
    assert!(
        lost_replies.len() as u64 <= smtp_proxy.stats().dropped,
        "more repeated mails than SMTP connections cut: {lost_replies:?}"
    );
    if !lost_replies.is_empty() {
        eprintln!(
            "faults: {} mail(s) in flight at the SMTP cut were sent again with the same \
             Message-ID: {lost_replies:?}",
            lost_replies.len()
        );
    }
    // Unacknowledged set-ups may or may not have happened, but never mail twice.
    for (email, got) in &mails {
        if !lost_replies.contains(email) {
            assert!(got.len() <= 1, "{email} got {} mails", got.len());
        }
    }
    // At most one batch can be caught between claim and record.
    assert!(
        stranded.len() <= 20,
        "{} messages left claimed",
        stranded.len()
    );
    if !stranded.is_empty() {
        eprintln!(
            "faults: KNOWN WEAKNESS: {} invitation(s) were claimed by the mail worker when \
             PostgreSQL went away; their outcome was not recorded, so they wait for the 5-minute \
             lease before being retried (a duplicate if the send had succeeded): {stranded:?}",
            stranded.len()
        );
    }
    let outbox = r
        .send(
            "verify",
            r.admin(Method::GET, "/admin/v1/outbox?status=failed", None),
        )
        .await
        .unwrap();
    assert_eq!(outbox.status, StatusCode::OK);
    let failed = outbox.json().unwrap()["messages"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(failed, 0, "mail given up: {}", outbox.text());
    eprintln!(
        "faults: setup {setup_took:?}; {} accounts ({during} during the SMTP outage) and {} properties acknowledged and found; every invitation delivered; total {:?}",
        accounts.len(),
        properties.len(),
        begun.elapsed()
    );
    running.shutdown().await.unwrap();
}

/// Recipients of messages the mail worker holds claimed (status `sending`).
async fn claimed(r: &Run) -> Vec<String> {
    let got = r
        .send(
            "verify",
            r.admin(
                Method::GET,
                "/admin/v1/outbox?status=sending&limit=200",
                None,
            ),
        )
        .await
        .unwrap();
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    got.json().unwrap()["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["to"].as_str().map(str::to_string))
        .collect()
}

/// A client: signs in when it has no session, then reads the portfolio and the dashboard.
/// `true` when something failed.
async fn client_iteration(
    r: &Run,
    cookie: &Mutex<Option<String>>,
    email: &str,
    property: &str,
) -> bool {
    let have = cookie.lock().unwrap().clone();
    let session = match have {
        Some(c) => c,
        None => {
            let req = r
                .client
                .json(
                    Method::POST,
                    &format!("/api/v1/{SLUG}/sign-in"),
                    &[],
                    &json!({"login": email, "password": PW}),
                )
                .unwrap();
            match r.send("sign-in", req).await {
                Ok(x) if x.status == StatusCode::OK => {
                    let c = x.cookie_header();
                    *cookie.lock().unwrap() = Some(c.clone());
                    c
                }
                _ => return true,
            }
        }
    };
    let dash = r
        .send(
            "dashboard",
            r.client_get(&format!("/api/v1/{SLUG}/properties/{property}"), &session),
        )
        .await;
    let list = r
        .send(
            "properties",
            r.client_get(&format!("/api/v1/{SLUG}/properties"), &session),
        )
        .await;
    let ok = |x: &Result<Reply, LoadError>| x.as_ref().is_ok_and(|x| x.status.is_success());
    // Sign in afresh now and then, so that sign-ins stay part of the mix.
    if ok(&dash) && ok(&list) && rand_ish(email) {
        *cookie.lock().unwrap() = None;
    }
    !(ok(&dash) && ok(&list))
}

/// Roughly one time in four, varying per call.
fn rand_ish(seed: &str) -> bool {
    static N: AtomicUsize = AtomicUsize::new(0);
    (N.fetch_add(1, Ordering::Relaxed) + seed.len()).is_multiple_of(4)
}

/// Staff: sets up access for a new person (with an invitation), or adds a property.
async fn staff_iteration(
    r: &Run,
    phase: &Phase,
    acked: &Acknowledged,
    run: &str,
    worker: usize,
    i: u64,
) -> bool {
    if i % 3 == 2 {
        let host_ref = format!("{run}-W{worker}-{i}");
        let req = r.admin(
            Method::POST,
            "/admin/v1/properties",
            Some(json!({
                "host_ref": host_ref, "kind": "sales", "display_name": format!("{i} Outage Road")
            })),
        );
        return match r.send("admin-property", req).await {
            Ok(x) if x.status.is_success() => {
                let id = x
                    .json()
                    .and_then(|v| v["property"]["id"].as_str().map(str::to_string));
                acked
                    .properties
                    .lock()
                    .unwrap()
                    .push((id.unwrap_or_default(), host_ref));
                false
            }
            _ => true,
        };
    }
    let email = format!("invitee.w{worker}.{i}.{run}@faults.test");
    // Read the phase before the request: acknowledged "during" means it was sent while cut.
    let smtp_down = phase.smtp_down.load(Ordering::SeqCst) && !phase.pg_down.load(Ordering::SeqCst);
    let req = r.admin(
        Method::POST,
        "/admin/v1/accounts",
        Some(json!({
            "email": email, "display_name": format!("Invitee {worker}-{i}")
        })),
    );
    match r.send("admin-invite", req).await {
        Ok(x) if x.status == StatusCode::CREATED => {
            let id = x
                .json()
                .and_then(|v| v["account"]["id"].as_str().map(str::to_string));
            let still_down = phase.smtp_down.load(Ordering::SeqCst);
            acked.accounts.lock().unwrap().push((
                id.unwrap_or_default(),
                email,
                smtp_down && still_down,
            ));
            false
        }
        _ => true,
    }
}
