use portico_bench_cedar::{Size, generate};
use std::collections::BTreeMap;

/// Portico and the Cedar model give the same answer on every request of the sample, on the
/// full-size data set, and the sample holds both allows and denies of every kind.
#[tokio::test]
async fn portico_and_cedar_agree_on_every_sampled_request() {
    let world = generate(Size::FULL).await.unwrap();
    let disagreements = world.disagreements().await.unwrap();
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {:?}",
        disagreements.len(),
        disagreements.first()
    );
    let mut by_label: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in &world.cases {
        let allowed = world.portico_allows(case).await.unwrap();
        let e = by_label.entry(case.label).or_default();
        if allowed {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    // Every category is present, and the expected way round dominates.
    let (allow, deny) = by_label["direct grant"];
    assert!(allow > 0 && allow >= deny, "{by_label:?}");
    let (allow, deny) = by_label["via group (up to 3 deep)"];
    assert!(allow > 0 && allow >= deny, "{by_label:?}");
    for denied in [
        "grant expired",
        "grant not yet valid",
        "scope missing",
        "widget not for the kind",
        "other agency's property",
        "disabled account",
    ] {
        let (allow, deny) = by_label[denied];
        assert!(deny > 0 && deny > allow, "{denied}: {by_label:?}");
        if matches!(
            denied,
            "widget not for the kind" | "other agency's property" | "disabled account"
        ) {
            assert_eq!(allow, 0, "{denied}: {by_label:?}");
        }
    }
}

/// Both engines allow a granted widget, and deny an unknown widget and an unknown property
/// (on a small data set).
#[tokio::test]
async fn an_unknown_widget_or_property_is_denied_by_both() {
    let world = generate(Size {
        accounts: 200,
        properties: 400,
        grants: 800,
        group_grants: 100,
        other_properties: 20,
        per_case: 8,
    })
    .await
    .unwrap();
    let mut case = world.cases[0].clone();
    assert!(world.portico_allows(&case).await.unwrap());
    assert!(world.cedar_allows(&case).unwrap());
    case.widget = "no_such_widget".into();
    assert!(!world.portico_allows(&case).await.unwrap());
    assert!(!world.cedar_allows(&case).unwrap());
    let mut case = world.cases[0].clone();
    case.property = portico_core::PropertyId::from_random_bytes([9; 16]);
    assert!(!world.portico_allows(&case).await.unwrap());
    assert!(!world.cedar_allows(&case).unwrap());
}
