//! Composing the lettings dashboard (every lettings widget) when each host call answers after
//! a fixed delay: 20 ms each, the landlord float 50 ms (the slowest widget).
//!
//! * `dashboard/slowest_widget`: `Access::widget` for the landlord float alone (the same
//!   decision and rendering path, one host call of 50 ms).
//! * `dashboard/lettings_all`: `Access::dashboard` of the property: 11 lettings widgets plus
//!   the team member card (12 widgets), six host calls (20 ms × 5 and 50 ms), fetched concurrently.
//!
//! Ratio = lettings_all / slowest_widget (1.0 = tracks the slowest; the sum would be 3.0).
//!
//! `cargo bench -p portico-benches --bench dashboard`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/mod.rs"]
mod common;

use criterion::Criterion;
use portico_core::SessionId;
use portico_core::host::{FakeHost, HostCall, TeamMember};
use portico_core::idm::argon::HashParams;
use portico_core::model::{Principal, SessionKind};
use portico_core::widget::ids;
use std::hint::black_box;
use std::time::Duration;

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let host = FakeHost::new();
    for call in [
        HostCall::PropertyBalance,
        HostCall::TenantBalance,
        HostCall::FutureDeductions,
        HostCall::InspectionReports,
        HostCall::TeamMember,
    ] {
        host.delay(call, Duration::from_millis(20));
    }
    host.delay(HostCall::LandlordFloat, Duration::from_millis(50));
    host.add_team_member(
        "pm1",
        TeamMember {
            first_name: "Pat".into(),
            last_name: "Manager".into(),
            title: Some("Property manager".into()),
            phone: None,
            email: Some("pat@example.com".into()),
            photo_url: None,
        },
    );
    let w = rt.block_on(common::portal_world(
        1,
        HashParams::insecure_for_tests(),
        2,
        host,
    ));
    let principal = Principal {
        agency: w.agency,
        account: w.accounts[0].0,
        session: SessionId::from_random_bytes([1; 16]),
        kind: SessionKind::Client,
    };
    // Sanity: every widget renders, none times out.
    let d = rt
        .block_on(w.access.dashboard(&principal, w.property, w.now))
        .unwrap();
    let shown: Vec<&str> = d.widgets.iter().map(|v| v.id.as_str()).collect();
    eprintln!("dashboard widgets ({}): {shown:?}", shown.len());
    assert!(shown.contains(&ids::LANDLORD_FLOAT) && shown.contains(&ids::TEAM_MEMBER));
    assert!(
        d.widgets.iter().all(|v| matches!(
            v.state,
            portico_core::widget::dashboard::WidgetState::Ready { .. }
        )),
        "{d:?}"
    );

    let mut group = c.benchmark_group("dashboard");
    group.bench_function("slowest_widget", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                w.access
                    .widget(&principal, w.property, ids::LANDLORD_FLOAT, w.now)
                    .await
                    .unwrap(),
            )
        })
    });
    group.bench_function("lettings_all", |b| {
        b.to_async(&rt).iter(|| async {
            black_box(
                w.access
                    .dashboard(&principal, w.property, w.now)
                    .await
                    .unwrap(),
            )
        })
    });
    group.finish();
    c.final_summary();
}
