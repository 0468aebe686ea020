//! Password sign-in, equal answers, equal work, throttling.

use super::*;
use portico_core::hash::HashParams;
use portico_core::idm::signin::SignInError;
#[allow(unused_imports)]
use portico_core::store::{AccountStore as _, SessionStore as _, ThrottleStore as _};
use time::Duration;

#[tokio::test]
async fn sign_in_by_username_or_email_in_any_case() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    for login in ["ann@example.com", "ANN@Example.com", "  ann@example.com "] {
        let s = h
            .portal
            .sign_in(h.agency.id, login, &Password::new(PW), &h.ctx)
            .await
            .unwrap();
        assert_eq!(s.account.email, "ann@example.com");
    }
}

/// Checklist 11 and 12: unknown user, wrong password, disabled and not activated all answer
/// the same, and each costs exactly one argon2 verification.
#[tokio::test]
async fn checklist_11_12_same_answer_and_same_work_on_every_failure_path() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let invited = h.client("new@example.com").await;
    let (disabled, _) = h.active_client("gone@example.com").await;
    h.portal
        .disable_account(h.agency.id, staff(), disabled.id, &h.ctx)
        .await
        .unwrap();
    let _ = invited;
    let cases = [
        ("nobody@example.com", PW),
        ("ann@example.com", "wrong password entirely here"),
        ("new@example.com", PW),
        ("gone@example.com", PW),
    ];
    for (i, (login, pw)) in cases.into_iter().enumerate() {
        // Separate addresses so throttling stays out of the way.
        let ctx = RequestContext::from_address(format!("198.51.100.{i}").parse().unwrap());
        h.hasher.reset();
        let err = h
            .portal
            .sign_in(h.agency.id, login, &Password::new(pw), &ctx)
            .await
            .unwrap_err();
        assert_eq!(err, SignInError::Rejected, "{login}");
        assert_eq!(err.to_string(), "the username or password is not correct");
        assert_eq!(h.hasher.verifications(), 1, "{login}: one verification");
        assert_eq!(h.hasher.hashes(), 0, "{login}: no hashing");
    }
    // The success path costs one verification too.
    h.hasher.reset();
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    assert_eq!(h.hasher.verifications(), 1);
}

/// Checklist 2: overlong input is rejected (never truncated), with the same answer and work.
#[tokio::test]
async fn checklist_2_overlong_password_rejected_not_truncated() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let long = format!("{PW}{}", "x".repeat(600));
    h.hasher.reset();
    assert_eq!(
        h.portal
            .sign_in(h.agency.id, "ann@example.com", &Password::new(long), &h.ctx)
            .await
            .unwrap_err(),
        SignInError::Rejected
    );
    assert_eq!(h.hasher.verifications(), 1);
    // p and p + "x" never both verify.
    assert!(
        h.portal
            .sign_in(
                h.agency.id,
                "ann@example.com",
                &Password::new(format!("{PW}x")),
                &h.ctx
            )
            .await
            .is_err()
    );
}

#[tokio::test]
async fn nfkc_equivalent_passwords_sign_in() {
    let h = H::new().await;
    let (_, token) = h.invite("ann@example.com").await;
    // Set with a ligature, sign in with the plain letters.
    let set = "o\u{FB03}ce coffee and tea at noon";
    h.portal
        .activate(h.agency.id, &token, &Password::new(set), &h.ctx)
        .await
        .unwrap();
    h.portal
        .sign_in(
            h.agency.id,
            "ann@example.com",
            &Password::new("office coffee and tea at noon"),
            &h.ctx,
        )
        .await
        .unwrap();
}

/// Checklist 6: a hash with older parameters is upgraded at sign-in.
#[tokio::test]
async fn checklist_6_rehash_on_sign_in_when_parameters_rise() {
    let h = H::new().await;
    let (acc, _) = h.active_client("ann@example.com").await;
    let old = h
        .portal
        .account(h.agency.id, acc.id)
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(old.as_str().contains("m=64,t=1,p=1"));
    // The same store, behind a portal with stronger parameters.
    let random: Arc<dyn Random> = Arc::new(TestRandom::new(99));
    let stronger = Portal::new(
        h.store.clone() as Arc<dyn Store>,
        Arc::new(
            Argon2Hasher::new(
                HashParams {
                    memory_kib: 128,
                    iterations: 2,
                    parallelism: 1,
                },
                2,
                random.clone(),
            )
            .unwrap(),
        ),
        Arc::new(h.clock.clone()),
        random,
    );
    stronger
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    let new = h
        .portal
        .account(h.agency.id, acc.id)
        .await
        .unwrap()
        .password_hash
        .unwrap();
    assert!(new.as_str().contains("m=128,t=2,p=1"), "{new:?}");
    // And the password still works.
    stronger
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
}

/// Checklist 8–10: growing delays after a few failures, capped at a minute, and a hard stop
/// after 100 consecutive failures that only a reset lifts.
#[tokio::test]
async fn checklist_8_9_10_throttling_per_account() {
    let h = H::new().await;
    let (acc, _) = h.active_client("ann@example.com").await;
    let wrong = Password::new("not the right password at all");
    // Vary the address so only the account counter matters.
    let ctx = |i: u32| {
        RequestContext::from_address(format!("10.{}.{}.1", i / 250, i % 250).parse().unwrap())
    };
    for i in 0..6 {
        assert_eq!(
            h.portal
                .sign_in(h.agency.id, "ann@example.com", &wrong, &ctx(i))
                .await
                .unwrap_err(),
            SignInError::Rejected
        );
    }
    // Five free failures, then growing delays: after the sixth failure the next attempt right
    // away is throttled — even with the right password, and for a case variant (checklist 9).
    let err = h
        .portal
        .sign_in(h.agency.id, "ANN@example.com", &Password::new(PW), &ctx(6))
        .await
        .unwrap_err();
    let SignInError::Throttled { retry_after } = err else {
        panic!("expected throttling, got {err:?}")
    };
    assert!(retry_after > h.clock.now());
    assert!(retry_after <= h.clock.now() + Duration::seconds(60));
    // After the delay, the right password works and clears the counter.
    h.clock.set(retry_after);
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &ctx(7))
        .await
        .unwrap();

    // 100 consecutive failures, each after its delay: then even the right password is refused.
    let mut i = 10;
    let mut failures = 0;
    while failures < 100 {
        match h
            .portal
            .sign_in(h.agency.id, "ann@example.com", &wrong, &ctx(i))
            .await
        {
            Err(SignInError::Rejected) => failures += 1,
            Err(SignInError::Throttled { retry_after }) => {
                // Delays never exceed a minute: a real user is never locked out for long by
                // someone typing wrong passwords (checklist 10).
                assert!(retry_after - h.clock.now() <= Duration::seconds(60));
                h.clock.set(retry_after);
            }
            other => panic!("{other:?}"),
        }
        i += 1;
    }
    h.clock.advance(Duration::hours(1));
    h.hasher.reset();
    assert_eq!(
        h.portal
            .sign_in(
                h.agency.id,
                "ann@example.com",
                &Password::new(PW),
                &ctx(900)
            )
            .await
            .unwrap_err(),
        SignInError::Rejected,
        "locked after 100 failures"
    );
    assert_eq!(
        h.hasher.verifications(),
        1,
        "the locked answer costs the same work"
    );
    // A day later: still locked (no window that resets by itself).
    h.clock.advance(Duration::days(1));
    assert!(
        h.portal
            .sign_in(
                h.agency.id,
                "ann@example.com",
                &Password::new(PW),
                &ctx(901)
            )
            .await
            .is_err()
    );
    // The reset path stays open and lifts the lock (checklist 10).
    h.portal
        .request_password_reset(h.agency.id, "ann@example.com", &ctx(902))
        .await
        .unwrap();
    let token = h.last_link("ann@example.com").await;
    h.portal
        .reset_password(h.agency.id, &token, &Password::new(PW2), &ctx(903))
        .await
        .unwrap();
    h.portal
        .sign_in(
            h.agency.id,
            "ann@example.com",
            &Password::new(PW2),
            &ctx(904),
        )
        .await
        .unwrap();
    let _ = acc;
}

/// Checklist 9: an address spraying many logins is throttled.
#[tokio::test]
async fn checklist_9_throttling_per_address() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let wrong = Password::new("not the right password at all");
    let mut throttled = false;
    for i in 0..25 {
        match h
            .portal
            .sign_in(h.agency.id, &format!("user{i}@example.com"), &wrong, &h.ctx)
            .await
        {
            Err(SignInError::Rejected) => {}
            Err(SignInError::Throttled { .. }) => {
                throttled = true;
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(throttled, "one address spraying 25 logins is slowed down");
    // Another address is not affected.
    let other = RequestContext::from_address("192.0.2.99".parse().unwrap());
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &other)
        .await
        .unwrap();
}

/// Throttling is keyed on the typed login, so it looks the same for unknown accounts.
#[tokio::test]
async fn checklist_11_throttling_does_not_reveal_accounts() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let wrong = Password::new("not the right password at all");
    let mut answers = Vec::new();
    for login in ["ann@example.com", "nobody@example.com"] {
        let mut seq = Vec::new();
        for i in 0..7 {
            let ctx =
                RequestContext::from_address(format!("10.9.{}.{i}", login.len()).parse().unwrap());
            seq.push(
                match h.portal.sign_in(h.agency.id, login, &wrong, &ctx).await {
                    Err(SignInError::Rejected) => "rejected",
                    Err(SignInError::Throttled { .. }) => "throttled",
                    _ => "other",
                },
            );
        }
        answers.push(seq);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].contains(&"throttled"));
}

/// Checklist 41: failed and successful sign-ins are audited with the address; no secret.
#[tokio::test]
async fn checklist_41_42_sign_ins_are_audited_without_secrets() {
    let h = H::new().await;
    h.active_client("ann@example.com").await;
    let _ = h
        .portal
        .sign_in(
            h.agency.id,
            "ann@example.com",
            &Password::new("wrong wrong wrong wrong"),
            &h.ctx,
        )
        .await;
    h.portal
        .sign_in(h.agency.id, "ann@example.com", &Password::new(PW), &h.ctx)
        .await
        .unwrap();
    let events = h.audit_all().await;
    let failed = events
        .iter()
        .find(|e| e.kind == AuditKind::SignInFailed)
        .unwrap();
    assert_eq!(failed.address, h.ctx.address);
    assert!(failed.detail.contains("wrong_password"));
    for e in &events {
        let text = format!("{e:?}");
        assert!(
            !text.contains(PW) && !text.contains("wrong wrong"),
            "{text}"
        );
        assert!(!text.contains("pses_") && !text.contains("pinv_"), "{text}");
    }
}
