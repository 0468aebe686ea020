//! A failure part-way through a multi-record write leaves nothing: failures are injected with
//! a trigger that refuses one account's rows, so that nothing else in the database is hit.

use crate::common;
use portico_core::StoreError;
use portico_core::model::*;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use portico_postgres::PostgresStore;
use sqlx::AssertSqlSafe;

/// Makes every insert into `table` whose `column` equals `value` fail (a trigger of its own,
/// so that other tests sharing the schema are not hit).
async fn inject_failure(store: &PostgresStore, name: &str, table: &str, column: &str, value: &str) {
    sqlx::query(AssertSqlSafe(format!(
        "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'injected failure'; END; $$"
    )))
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW \
         WHEN (NEW.{column}::text = '{value}') EXECUTE FUNCTION {name}()"
    )))
    .execute(store.pool())
    .await
    .unwrap();
}

async fn remove_failure(store: &PostgresStore, name: &str, table: &str) {
    for sql in [
        format!("DROP TRIGGER {name} ON {table}"),
        format!("DROP FUNCTION {name}()"),
    ] {
        sqlx::query(AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap();
    }
}

fn activation(alice: &Account) -> CredentialChange {
    let mut c = change(alice, t(2));
    c.password_hash = Some(password_hash());
    c.status = Some(AccountStatus::Active);
    c.end_sessions = EndSessions::All;
    c.revoke_links = true;
    c.clear_throttle = vec![ThrottleKey::login(&alice.username)];
    c.new_session = Some(session(alice, t(2)));
    c.mail = vec![mail(alice.agency, &alice.email, t(2))];
    c.audit = vec![audit_of(alice, AuditKind::AccountActivated, t(2))];
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_whose_session_insert_fails_leaves_nothing() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let invitation = issue_link(&store, &alice, LinkPurpose::Invitation, t(1)).await;
    let reset = issue_link(&store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let old = start_session(&store, &alice, t(1)).await;
    let key = ThrottleKey::login(&alice.username);
    store.record_failure(ag.id, &key, t(1)).await.unwrap();
    let before = snapshot(&store, ag.id, alice.id).await;

    let name_session = common::unique("portico_it_fail");
    inject_failure(
        &store,
        &name_session,
        "portico_sessions",
        "account",
        &alice.id.to_string(),
    )
    .await;
    let c = activation(&alice);
    let res = store.redeem_link(ag.id, invitation.id, &c).await;
    assert!(matches!(res, Err(StoreError::Other(_))), "{res:?}");

    // Nothing happened: the link is unused, the password unset, the status unchanged, the old
    // session alive, the reset link live, the counter kept, no mail, no audit.
    assert_eq!(snapshot(&store, ag.id, alice.id).await, before);
    let link = store.link(ag.id, invitation.id).await.unwrap();
    assert_eq!(link.used_at, None);
    let account = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(account.password_hash, None);
    assert_eq!(account.status, AccountStatus::Invited);
    assert_eq!(account.activated_at, None);
    assert!(
        store
            .session_by_hash(ag.id, &old.hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.link(ag.id, reset.id).await.unwrap().revoked_at, None);
    assert_eq!(store.throttle(ag.id, &key).await.unwrap().failures, 1);

    // Once the failure is gone the same activation goes through, whole.
    remove_failure(&store, &name_session, "portico_sessions").await;
    assert!(store.redeem_link(ag.id, invitation.id, &c).await.unwrap());
    let account = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(account.password_hash, c.password_hash);
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.activated_at, Some(t(2)));
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![c.new_session.clone().unwrap()]
    );
    assert!(
        store
            .link(ag.id, reset.id)
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert_eq!(store.throttle(ag.id, &key).await.unwrap().failures, 0);
    assert!(!store.redeem_link(ag.id, invitation.id, &c).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_link_whose_mail_fails_leaves_the_old_link_live() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let first = issue_link(&store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let before = snapshot(&store, ag.id, alice.id).await;

    let name_mail = common::unique("portico_it_fail");
    inject_failure(
        &store,
        &name_mail,
        "portico_outbox",
        "recipient",
        "refused@example.com",
    )
    .await;
    let second = link(&alice, LinkPurpose::PasswordReset, t(2));
    let res = store
        .issue_link(
            &second,
            &mail(ag.id, "refused@example.com", t(2)),
            &audit_of(&alice, AuditKind::PasswordResetSent, t(2)),
        )
        .await;
    assert!(matches!(res, Err(StoreError::Other(_))), "{res:?}");
    assert_eq!(snapshot(&store, ag.id, alice.id).await, before);
    assert_eq!(store.link(ag.id, first.id).await.unwrap().revoked_at, None);
    assert_eq!(
        store.link(ag.id, second.id).await,
        Err(StoreError::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_sign_in_whose_audit_fails_leaves_the_code_unused() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let code = issue_code(&store, &alice, t(1)).await;
    let mut c = change(&alice, t(2));
    c.new_session = Some(session(&alice, t(2)));
    let ev = audit_of(&alice, AuditKind::SignInSucceeded, t(2));
    c.audit = vec![ev.clone()];
    let before = snapshot(&store, ag.id, alice.id).await;

    let name_audit = common::unique("portico_it_fail");
    inject_failure(
        &store,
        &name_audit,
        "portico_audit",
        "id",
        &ev.id.to_string(),
    )
    .await;
    let res = store.redeem_code(ag.id, code.id, 5, &c).await;
    assert!(matches!(res, Err(StoreError::Other(_))), "{res:?}");
    assert_eq!(snapshot(&store, ag.id, alice.id).await, before);

    remove_failure(&store, &name_audit, "portico_audit").await;
    assert!(store.redeem_code(ag.id, code.id, 5, &c).await.unwrap());
    assert!(!store.redeem_code(ag.id, code.id, 5, &c).await.unwrap());
}
