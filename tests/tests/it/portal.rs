//! The whole loop in a real headless Chromium against the standalone server in demo mode:
//! staff (the demo console, on the admin API) invite a client; the client opens the email in
//! the demo mailbox, activates, signs in, picks a property, reads the lettings dashboard,
//! downloads a shared document and signs out; forgotten password; sign-in with a code; a
//! staff preview that cannot change anything; a revoked client loses access on the next click.
//! Screenshots of every step go to `target/e2e-screenshots/`.

use portico_e2e::browser::{Browser, Driver};
use portico_e2e::service_env;
use portico_server::{Config, Running};
use std::time::Duration;

const NEW_PASSWORD: &str = "copper kettle meadow lantern 42";
const RESET_PASSWORD: &str = "granite harbour swallow evening 77";
const CLIENT: &str = "nina.fairweather@example.com";

struct Env {
    server: Running,
    base: String,
    _dir: tempfile::TempDir,
}

async fn start_server() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portico.db");
    let config = Config {
        demo: true,
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}?mode=rwc", db.display()),
        // Real argon2id, with small parameters: the debug build is slow.
        argon2: portico_core::hash::HashParams {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        },
        ..Config::default()
    };
    let server = portico_server::start(config).await.unwrap();
    let base = format!("http://{}", server.addr());
    Env {
        server,
        base,
        _dir: dir,
    }
}

/// The newest mail to `to` in the demo mailbox: (subject, link or code).
async fn newest_mail(staff: &Browser, base: &str, to: &str, what: &str) -> String {
    let sel = format!("article[data-testid=mail][data-to=\"{to}\"]");
    for _ in 0..50 {
        staff
            .goto(&format!("{base}/demo/mailbox?to={to}"))
            .await
            .unwrap();
        if staff.exists(&sel).await.unwrap() {
            let mail = staff.find(&sel).await.unwrap();
            let subject = mail
                .find(fantoccini::Locator::Css("[data-testid=mail-subject]"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if subject.to_lowercase().contains(what) {
                let link = mail
                    .find_all(fantoccini::Locator::Css("[data-testid=mail-link]"))
                    .await
                    .unwrap();
                if let Some(a) = link.first() {
                    return a.attr("href").await.unwrap().unwrap();
                }
                let code = mail
                    .find(fantoccini::Locator::Css("[data-testid=mail-code]"))
                    .await
                    .unwrap();
                return code.text().await.unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no {what:?} mail to {to} in the mailbox");
}

/// Status of a same-origin fetch made by the page (with the browser's cookies).
async fn fetch_status(b: &Browser, method: &str, url: &str) -> (u64, String) {
    let r = b
        .client
        .execute_async(
            "const [m, u, done] = arguments;
             fetch(u, { method: m, credentials: 'same-origin', redirect: 'manual' })
               .then(r => done([r.status, r.headers.get('content-type') || '']))
               .catch(e => done([0, String(e)]));",
            vec![method.into(), url.into()],
        )
        .await
        .unwrap();
    (
        r[0].as_u64().unwrap_or(0),
        r[1].as_str().unwrap_or_default().to_string(),
    )
}

/// The values of the browser's cookies (session and pre-session cookies are secrets).
async fn cookie_values(b: &Browser) -> Vec<String> {
    b.client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| c.value().to_string())
        .collect()
}

/// The raw token of a link (`…?token=…`), or the whole link when it has none.
fn token_of(url: &str) -> String {
    url.split_once("token=")
        .map_or(url, |(_, t)| t.split('&').next().unwrap_or(t))
        .to_string()
}

async fn sign_in(b: &Browser, base: &str, login: &str, password: &str) {
    b.goto(&format!("{base}/p/demo/sign-in")).await.unwrap();
    b.fill("#login", login).await.unwrap();
    b.fill("#password", password).await.unwrap();
    b.click("form[action=sign-in] button[type=submit]")
        .await
        .unwrap();
    b.wait_text("Sign out").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_loop_in_chromium() {
    let (Some(chromedriver), Some(chromium)) = (
        service_env("PORTICO_TEST_CHROMEDRIVER"),
        service_env("PORTICO_TEST_CHROMIUM"),
    ) else {
        return;
    };
    let logs = portico_e2e::global_log_capture();
    let env = start_server().await;
    let base = env.base.clone();
    let mut driver = Driver::start(&chromedriver, &chromium).await.unwrap();
    let staff = driver.browser("staff").await.unwrap();
    let client = driver.browser("client").await.unwrap();

    // --- staff: set up access on a let property and send the invitation ------------------
    staff.goto(&format!("{base}/demo/console")).await.unwrap();
    staff.wait_text("Clients and their grants").await.unwrap();
    // Wait for the console to load the CRM data (the property list fills in).
    staff.find("#setup-property option").await.unwrap();
    staff.fill("#setup-email", CLIENT).await.unwrap();
    staff.fill("#setup-name", "Nina Fairweather").await.unwrap();
    staff
        .find("#setup-role")
        .await
        .unwrap()
        .select_by_value("landlord")
        .await
        .unwrap();
    let invite = staff.find("#setup-invite").await.unwrap();
    if invite.prop("checked").await.unwrap().as_deref() != Some("true") {
        invite.click().await.unwrap();
    }
    staff.click("#setup-submit").await.unwrap();
    let result = staff.find("#setup-result").await.unwrap();
    for _ in 0..50 {
        if result.text().await.unwrap().contains("Invitation sent") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        result.text().await.unwrap().contains("Invitation sent"),
        "setup result: {}",
        result.text().await.unwrap()
    );
    staff.screenshot("01-console-invited").await.unwrap();

    // --- the email, activation, first sign-in -------------------------------------------
    let link = newest_mail(&staff, &base, CLIENT, "invit").await;
    staff.screenshot("02-mailbox-invitation").await.unwrap();
    assert!(link.contains("/p/demo/activate"), "{link}");
    client.goto(&link).await.unwrap();
    client.screenshot("03-activate").await.unwrap();
    client.fill("#password", NEW_PASSWORD).await.unwrap();
    client.click("form button[type=submit]").await.unwrap();
    client.wait_text("Sign").await.unwrap();
    // Whether activation signs in or asks to sign in, the client ends up signed in.
    if !client.text().await.unwrap().contains("Sign out") {
        sign_in(&client, &base, CLIENT, NEW_PASSWORD).await;
    }
    // The activation link is single-use: opened again, it offers no password form.
    client.goto(&link).await.unwrap();
    assert!(
        !client.exists("#password").await.unwrap(),
        "a used invitation link still offers activation"
    );

    // --- pick the property, read the dashboard ------------------------------------------
    client.goto(&format!("{base}/p/demo/")).await.unwrap();
    let text = client.wait_text("Sign out").await.unwrap();
    if client.exists("a[href^='properties/']").await.unwrap() {
        client.screenshot("04-portfolio").await.unwrap();
        client.click("a[href^='properties/']").await.unwrap();
    } else {
        assert!(text.contains("Sign out"));
    }
    client.find("section h2").await.unwrap();
    let dashboard_url = client.url().await.unwrap();
    assert!(
        dashboard_url.contains("/p/demo/properties/"),
        "{dashboard_url}"
    );
    let dash = client.text().await.unwrap();
    assert!(
        !dash.contains("not available right now"),
        "a widget is unavailable:\n{dash}"
    );
    // A tall window so that the screenshot shows the whole dashboard (README's picture).
    client.client.set_window_size(1280, 2400).await.unwrap();
    client.screenshot("05-dashboard").await.unwrap();
    client.client.set_window_size(1280, 900).await.unwrap();

    // --- staff share a document of that property; the client downloads it --------------
    staff.goto(&format!("{base}/demo/console")).await.unwrap();
    staff.find("#share-document option").await.unwrap();
    let property_label = staff
        .find("#setup-property option:checked")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    staff
        .find("#share-property")
        .await
        .unwrap()
        .select_by_label(&property_label)
        .await
        .unwrap();
    staff.find("#share-document option").await.unwrap();
    staff.click("#share-submit").await.unwrap();
    staff
        .find("#shared-docs li[data-testid=shared-doc]")
        .await
        .unwrap();
    staff.screenshot("06-console-shared").await.unwrap();

    client.goto(&dashboard_url).await.unwrap();
    let doc = client.find("a[href^='../documents/']").await.unwrap();
    let href = doc.prop("href").await.unwrap().unwrap();
    let (status, ctype) = fetch_status(&client, "GET", &href).await;
    assert_eq!(status, 200, "download of {href}");
    assert!(
        !ctype.starts_with("text/html"),
        "a document, not a page: {ctype}"
    );

    // --- sign out: the dashboard is gone ------------------------------------------------
    client
        .click("form[action$='sign-out'] button")
        .await
        .unwrap();
    client.wait_text("Sign in").await.unwrap();
    client.goto(&dashboard_url).await.unwrap();
    let after = client.text().await.unwrap();
    assert!(after.contains("Sign in"), "after sign-out:\n{after}");
    client.screenshot("07-signed-out").await.unwrap();

    // --- forgotten password ---------------------------------------------------------------
    client.goto(&format!("{base}/p/demo/forgot")).await.unwrap();
    client.fill("#login", CLIENT).await.unwrap();
    client.click("form[action=forgot] button").await.unwrap();
    client.wait_text("email").await.unwrap();
    client.screenshot("08-forgot-sent").await.unwrap();
    let reset = newest_mail(&staff, &base, CLIENT, "reset").await;
    client.goto(&reset).await.unwrap();
    client.fill("#password", RESET_PASSWORD).await.unwrap();
    client.click("form button[type=submit]").await.unwrap();
    client.wait_text("Sign").await.unwrap();
    sign_in(&client, &base, CLIENT, RESET_PASSWORD).await;
    client
        .click("form[action$='sign-out'] button")
        .await
        .unwrap();
    client.wait_text("Sign in").await.unwrap();

    // --- sign in with an emailed code -------------------------------------------------------
    client.goto(&format!("{base}/p/demo/code")).await.unwrap();
    client.fill("#email", CLIENT).await.unwrap();
    client.click("form[action=code] button").await.unwrap();
    client.find("#code").await.unwrap();
    let code = newest_mail(&staff, &base, CLIENT, "code").await;
    let client_cookies = cookie_values(&client).await;
    assert!(code.chars().all(|c| c.is_ascii_digit()), "code {code:?}");
    client.fill("#code", &code).await.unwrap();
    client.click("form button[type=submit]").await.unwrap();
    client.wait_text("Sign out").await.unwrap();
    client.screenshot("09-signed-in-by-code").await.unwrap();

    // --- a staff preview that cannot change anything ---------------------------------------
    let preview = driver.browser("preview").await.unwrap();
    staff.goto(&format!("{base}/demo/console")).await.unwrap();
    let row = format!("tr[data-testid=client-row][data-email=\"{CLIENT}\"]");
    staff
        .click(&format!("{row} [data-action=preview]"))
        .await
        .unwrap();
    let plink = staff.find("#preview-link").await.unwrap();
    let mut preview_url = String::new();
    for _ in 0..50 {
        preview_url = plink.prop("href").await.unwrap().unwrap_or_default();
        if preview_url.contains("/p/demo/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        preview_url.contains("/p/demo/"),
        "preview url {preview_url}"
    );
    preview.goto(&preview_url).await.unwrap();
    let preview_cookies = cookie_values(&preview).await;
    preview
        .find("section h2, a[href^='properties/']")
        .await
        .unwrap();
    preview.screenshot("10-preview").await.unwrap();
    preview
        .goto(&format!("{base}/p/demo/account"))
        .await
        .unwrap();
    assert!(
        !preview.exists("#current").await.unwrap(),
        "a preview is not offered the password form"
    );
    let (status, _) = fetch_status(
        &preview,
        "POST",
        &format!("{base}/p/demo/sign-out-everywhere"),
    )
    .await;
    assert!(
        status == 403 || status == 400,
        "a mutating request from a preview is refused, got {status}"
    );

    // --- revoke: the client loses access on the next click ----------------------------------
    staff.goto(&format!("{base}/demo/console")).await.unwrap();
    staff
        .find(&format!("{row} li[data-testid=grant]"))
        .await
        .unwrap();
    staff
        .client
        .execute("window.confirm = () => true;", vec![])
        .await
        .unwrap();
    staff
        .click(&format!("{row} [data-action=revoke-grant]"))
        .await
        .unwrap();
    for _ in 0..50 {
        if !staff
            .exists(&format!("{row} li[data-testid=grant]"))
            .await
            .unwrap()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !staff
            .exists(&format!("{row} li[data-testid=grant]"))
            .await
            .unwrap(),
        "the grant is gone from the console"
    );
    staff.screenshot("11-console-revoked").await.unwrap();
    client.goto(&dashboard_url).await.unwrap();
    let revoked = client.text().await.unwrap();
    assert!(
        !revoked.contains("Documents") && !client.exists("section h2").await.unwrap(),
        "the revoked client still sees the dashboard:\n{revoked}"
    );
    client.screenshot("12-client-revoked").await.unwrap();

    // --- no secret of this run in the server's logs or the audit log (issue 9.7) --------
    let key = env.server.started().demo.as_ref().unwrap().api_key.clone();
    let audit = staff
        .client
        .execute_async(
            "const [key, done] = arguments;
             fetch('/admin/v1/audit?limit=1000', { headers: { authorization: 'Bearer ' + key } })
               .then(r => r.text()).then(done).catch(e => done('ERROR ' + e));",
            vec![key.clone().into()],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        audit.contains("account.activated") || audit.contains("activat"),
        "audit: {audit:.300}"
    );
    let log = logs.text();
    assert!(
        log.contains("/p/demo/"),
        "the capture saw the server's requests"
    );
    let demo_password = env.server.started().demo.as_ref().unwrap().clients[0]
        .password
        .clone()
        .unwrap_or_default();
    let mut secrets: Vec<String> = vec![
        NEW_PASSWORD.into(),
        RESET_PASSWORD.into(),
        demo_password,
        token_of(&link),
        token_of(&reset),
        token_of(&preview_url),
        code.clone(),
        key,
    ];
    secrets.extend(client_cookies);
    secrets.extend(preview_cookies);
    secrets.retain(|s| s.len() >= 6);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    for (what, text) in [("server log", &log), ("audit log", &audit)] {
        let found = portico_core::testing::secrets::find_secrets(text, &refs);
        assert!(found.is_empty(), "secrets in the {what}: {found:#?}");
    }

    preview.close().await.unwrap();
    client.close().await.unwrap();
    staff.close().await.unwrap();
    env.server.shutdown().await.unwrap();
}
