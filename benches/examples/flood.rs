//! Session-authenticated requests under a flood of password sign-ins.
//!
//! A multi-thread runtime with one worker per core; the hasher admits one argon2id verify per
//! core (m = 19,456 KiB, t = 2, p = 1) in `spawn_blocking`. A probe task issues 3,000
//! session-authenticated requests — `Portal::authenticate` of a session token, then
//! `Access::authorize` of a widget of a property — one every millisecond, and records each
//! one's latency; first alone, then while 8 tasks (more than the cores) sign in continuously.
//! Prints p50 / p90 / p99 / max of both runs and the sign-ins per second of the flood.
//!
//! `cargo run --release -p portico-benches --example flood`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/common/mod.rs"]
mod common;

use portico_core::access::{Action, Resource};
use portico_core::host::FakeHost;
use portico_core::idm::argon::HashParams;
use portico_core::widget::ids;
use portico_core::{Password, RequestContext};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PROBES: usize = 3_000;
const FLOODERS: usize = 8;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p90, p99) = (
        percentile(&samples, 0.50),
        percentile(&samples, 0.90),
        percentile(&samples, 0.99),
    );
    let max = samples[samples.len() - 1];
    println!(
        "{name:<24} n={:<5} p50={:>9.1?} p90={:>9.1?} p99={:>9.1?} max={:>9.1?}",
        samples.len(),
        p50,
        p90,
        p99,
        max
    );
    (p50, p99)
}

async fn probe(w: Arc<common::PortalWorld>, tokens: Arc<Vec<String>>) -> Vec<Duration> {
    let action = Action::ViewWidget(ids::PROPERTY_BALANCE.into());
    let resource = Resource::Property(w.property);
    let mut samples = Vec::with_capacity(PROBES);
    for i in 0..PROBES {
        let token = &tokens[i % tokens.len()];
        let t = Instant::now();
        let principal = w.portal.authenticate(w.agency, token).await.unwrap();
        let d = w
            .access
            .authorize(&principal, &action, &resource, w.now)
            .await
            .unwrap();
        samples.push(t.elapsed());
        assert!(d.allowed);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    samples
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let w = Arc::new(
            common::portal_world(200, HashParams::default(), cores, FakeHost::new()).await,
        );
        let password = Password::new(common::PASSWORD);
        let ctx = RequestContext::default();
        let mut tokens = Vec::new();
        for (_, login) in w.accounts.iter().take(16) {
            let s = w
                .portal
                .sign_in(w.agency, login, &password, &ctx)
                .await
                .unwrap();
            tokens.push(s.token.expose().to_string());
        }
        let tokens = Arc::new(tokens);
        println!(
            "{cores} cores, {cores} worker threads, hasher admits {cores} at once; {FLOODERS} flooding tasks"
        );

        let quiet = tokio::spawn(probe(w.clone(), tokens.clone())).await.unwrap();
        let (q50, q99) = summary("no flood", quiet);

        let stop = Arc::new(AtomicBool::new(false));
        let signed = Arc::new(AtomicU64::new(0));
        let mut flood = Vec::new();
        for f in 0..FLOODERS {
            let (w, stop, signed) = (w.clone(), stop.clone(), signed.clone());
            flood.push(tokio::spawn(async move {
                let password = Password::new(common::PASSWORD);
                let ctx = RequestContext::default();
                let mut i = 16 + f;
                while !stop.load(Ordering::Relaxed) {
                    let login = &w.accounts[i % w.accounts.len()].1;
                    w.portal
                        .sign_in(w.agency, login, &password, &ctx)
                        .await
                        .unwrap();
                    signed.fetch_add(1, Ordering::Relaxed);
                    i += FLOODERS;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = signed.load(Ordering::Relaxed);
        let started = Instant::now();
        let loaded = tokio::spawn(probe(w.clone(), tokens.clone())).await.unwrap();
        let rate = (signed.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for f in flood {
            f.await.unwrap();
        }
        let (f50, f99) = summary("flood of sign-ins", loaded);
        println!("flood: {rate:.1} sign-ins/s during the probe");
        println!(
            "p50 ratio {:.2}, p99 ratio {:.2} (flood / no flood)",
            f50.as_secs_f64() / q50.as_secs_f64(),
            f99.as_secs_f64() / q99.as_secs_f64()
        );
    });
}
