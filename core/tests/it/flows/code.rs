//! Sign-in with an emailed code.

use super::*;
use portico_core::idm::code::CodeError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

async fn code_harness() -> H {
    H::with_settings(|s| s.email_code_sign_in = true).await
}

/// Checklist 22: off by default per agency.
#[tokio::test]
async fn checklist_22_off_unless_the_agency_enables_it() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    assert_eq!(
        h.portal
            .request_code(h.agency.id, "ann@example.com", &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Disabled
    );
}

/// Checklist 21: six digits, ten minutes, bound to the attempt, single use.
#[tokio::test]
async fn checklist_21_a_code_signs_in_once() {
    let h = code_harness().await;
    let (acc, _) = h.active_client("ann@example.com").await;
    let ch = h
        .portal
        .request_code(h.agency.id, "ANN@example.com", &h.ctx)
        .await
        .unwrap();
    assert_eq!(ch.expires_at - h.clock.now(), Duration::minutes(10));
    let code = h.last_code("ann@example.com").await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let s = h
        .portal
        .verify_code(h.agency.id, ch.attempt.expose(), &code, &h.ctx)
        .await
        .unwrap();
    assert_eq!(s.account.id, acc.id);
    assert_eq!(
        h.portal
            .verify_code(h.agency.id, ch.attempt.expose(), &code, &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Rejected
    );
}

#[tokio::test]
async fn checklist_21_the_code_is_bound_to_the_attempt_that_asked() {
    let h = code_harness().await;
    h.active_client("ann@example.com").await;
    let first = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let code = h.last_code("ann@example.com").await;
    // Another attempt handle (asked for an unknown address) with the right code: refused.
    let other = h
        .portal
        .request_code(h.agency.id, "nobody@example.com", &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal
            .verify_code(h.agency.id, other.attempt.expose(), &code, &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Rejected
    );
    h.portal
        .verify_code(h.agency.id, first.attempt.expose(), &code, &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn checklist_21_codes_expire_after_ten_minutes() {
    let h = code_harness().await;
    h.active_client("ann@example.com").await;
    let ch = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let code = h.last_code("ann@example.com").await;
    h.clock.advance(Duration::minutes(10));
    assert_eq!(
        h.portal
            .verify_code(h.agency.id, ch.attempt.expose(), &code, &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Rejected
    );
}

#[tokio::test]
async fn checklist_21_five_tries_then_the_code_is_dead() {
    let h = code_harness().await;
    h.active_client("ann@example.com").await;
    let ch = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let code = h.last_code("ann@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            h.portal
                .verify_code(h.agency.id, ch.attempt.expose(), wrong, &h.ctx)
                .await
                .unwrap_err(),
            CodeError::Rejected
        );
    }
    // Even the right code is refused now.
    assert!(
        h.portal
            .verify_code(h.agency.id, ch.attempt.expose(), &code, &h.ctx)
            .await
            .is_err()
    );
    // Wrong codes counted toward the account's failure counter too (checklist 21 → 8).
    let state = h
        .store
        .throttle(h.agency.id, &ThrottleKey::login("ann@example.com"))
        .await
        .unwrap();
    assert!(state.failures >= 5, "{state:?}");
}

#[tokio::test]
async fn a_new_code_kills_the_old_one() {
    let h = code_harness().await;
    h.active_client("ann@example.com").await;
    let first = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let old = h.last_code("ann@example.com").await;
    let second = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    let new = h.last_code("ann@example.com").await;
    assert_eq!(
        h.portal
            .verify_code(h.agency.id, first.attempt.expose(), &old, &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Rejected
    );
    h.portal
        .verify_code(h.agency.id, second.attempt.expose(), &new, &h.ctx)
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_email_gets_the_same_answer_and_no_mail() {
    let h = code_harness().await;
    let ch = h
        .portal
        .request_code(h.agency.id, "nobody@example.com", &h.ctx)
        .await
        .unwrap();
    assert!(ch.attempt.expose().starts_with("pcat_"));
    assert!(h.mails().await.is_empty());
    assert_eq!(
        h.portal
            .verify_code(h.agency.id, ch.attempt.expose(), "123456", &h.ctx)
            .await
            .unwrap_err(),
        CodeError::Rejected
    );
}

#[tokio::test]
async fn a_first_code_sign_in_activates_an_invited_purchaser() {
    let h = code_harness().await;
    let acc = h.client("buyer@example.com").await;
    let ch = h
        .portal
        .request_code(h.agency.id, "buyer@example.com", &h.ctx)
        .await
        .unwrap();
    let code = h.last_code("buyer@example.com").await;
    h.portal
        .verify_code(h.agency.id, ch.attempt.expose(), &code, &h.ctx)
        .await
        .unwrap();
    assert_eq!(
        h.portal.account(h.agency.id, acc.id).await.unwrap().status,
        AccountStatus::Active
    );
}

#[tokio::test]
async fn malformed_input_is_refused_without_panic() {
    let h = code_harness().await;
    h.active_client("ann@example.com").await;
    let ch = h
        .portal
        .request_code(h.agency.id, "ann@example.com", &h.ctx)
        .await
        .unwrap();
    for (attempt, code) in [
        ("", ""),
        ("pcat_x", "123456"),
        (ch.attempt.expose(), "12345"),
        (ch.attempt.expose(), "1234567"),
        (ch.attempt.expose(), "12a456"),
        (ch.attempt.expose(), "١٢٣٤٥٦"),
    ] {
        assert_eq!(
            h.portal
                .verify_code(h.agency.id, attempt, code, &h.ctx)
                .await
                .unwrap_err(),
            CodeError::Rejected
        );
    }
}
