//! The whole password sign-in against a bare argon2id verify with the same parameters
//! (m = 19,456 KiB, t = 2, p = 1: `HashParams::default()`).
//!
//! * `signin/argon2_verify`: `argon2::Argon2::verify_password` of the stored PHC string, on
//!   the bench thread: the floor.
//! * `signin/portal`: `Portal::sign_in` on the in-memory store — agency and account reads,
//!   throttle checks, the verify (in `spawn_blocking` behind the hasher's semaphore), the
//!   session written with its audit event, the throttle cleared.
//!
//! Overhead = portal / argon2_verify − 1.
//!
//! `cargo bench -p portico-benches --bench signin`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/mod.rs"]
mod common;

use argon2::password_hash::PasswordVerifier as _;
use criterion::Criterion;
use portico_core::host::FakeHost;
use portico_core::idm::argon::HashParams;
use portico_core::{Password, RequestContext};
use std::hint::black_box;
use std::time::Duration;

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(common::portal_world(
        100,
        HashParams::default(),
        2,
        FakeHost::new(),
    ));
    let mut group = c.benchmark_group("signin");
    let parsed = argon2::PasswordHash::new(&w.phc).unwrap();
    assert!(w.phc.contains("m=19456,t=2,p=1"), "{}", w.phc);
    group.bench_function("argon2_verify", |b| {
        b.iter(|| {
            argon2::Argon2::default()
                .verify_password(black_box(common::PASSWORD.as_bytes()), &parsed)
                .unwrap()
        })
    });
    let password = Password::new(common::PASSWORD);
    let ctx = RequestContext::default();
    let mut i = 0usize;
    group.bench_function("portal", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 1) % w.accounts.len();
            let login = &w.accounts[i].1;
            let (portal, password, ctx, agency) = (&w.portal, &password, &ctx, w.agency);
            async move { black_box(portal.sign_in(agency, login, password, ctx).await.unwrap()) }
        })
    });
    group.finish();
    c.final_summary();
}
