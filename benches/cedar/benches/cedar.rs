//! Portico's one decision vs the same decision by Cedar, on the same sample of requests over
//! the same generated agency (see the crate documentation for the model).
//!
//! * `authorize/portico`: `Access::authorize` on the in-memory store (loads account, property,
//!   agency settings, group ancestry and grants, then decides), one sampled request per
//!   iteration, round-robin over the whole mixed sample.
//! * `authorize/cedar`: building the Cedar request (principal, action, resource, context) and
//!   `Authorizer::is_authorized` over the policy set and entities, same requests.
//!
//! Before timing, every request is checked to get the same answer from both.
//!
//! `cargo bench -p portico-bench-cedar`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::Criterion;
use portico_bench_cedar::{NOW, Size, generate};
use portico_core::access::{Action, Resource};
use std::hint::black_box;
use std::time::Duration;

fn main() {
    let mut c = Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let world = rt.block_on(generate(Size::FULL)).unwrap();
    let disagreements = rt.block_on(world.disagreements()).unwrap();
    assert!(disagreements.is_empty(), "{:?}", disagreements.first());
    let allowed = world
        .cases
        .iter()
        .filter(|c| rt.block_on(world.portico_allows(c)).unwrap())
        .count();
    eprintln!(
        "generated and checked in {:?}: {} requests, {} allowed, {} denied, both engines agree on all",
        started.elapsed(),
        world.cases.len(),
        allowed,
        world.cases.len() - allowed
    );
    let requests: Vec<_> = world
        .cases
        .iter()
        .map(|c| {
            (
                c.principal.clone(),
                Action::ViewWidget(c.widget.clone()),
                Resource::Property(c.property),
            )
        })
        .collect();

    let mut group = c.benchmark_group("authorize");
    let mut i = 0usize;
    group.bench_function("portico", |b| {
        b.to_async(&rt).iter(|| {
            i = (i + 1) % requests.len();
            let (p, action, resource) = &requests[i];
            let access = &world.access;
            async move {
                black_box(
                    access
                        .authorize(p, action, resource, NOW)
                        .await
                        .unwrap()
                        .allowed,
                )
            }
        })
    });
    let mut i = 0usize;
    group.bench_function("cedar", |b| {
        b.iter(|| {
            i = (i + 1) % world.cases.len();
            let case = &world.cases[i];
            black_box(world.cedar_allows(case).unwrap())
        })
    });
    group.finish();
    c.final_summary();
}
