//! Agencies.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::AgencyId;
use crate::store::Store;

/// Agencies are stored and read back whole, by id and by slug; a taken slug is a `Conflict`;
/// an update replaces name and settings but never the slug; the deployment-wide list holds
/// every agency, ordered by slug.
pub async fn agency_insert_read_update_list(store: &dyn Store) {
    let a = agency();
    let b = agency();
    store.insert_agency(&a).await.unwrap();
    store.insert_agency(&b).await.unwrap();
    assert_eq!(store.agency(a.id).await.unwrap(), a);
    assert_eq!(store.agency_by_slug(&b.slug).await.unwrap(), b);
    assert_eq!(
        store.agency(rid::<AgencyId>()).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .agency_by_slug(&format!("none-{}", random_hex(12)))
            .await,
        Err(StoreError::NotFound)
    );

    // A taken slug is refused and nothing is stored.
    let dup = crate::model::Agency {
        slug: a.slug.clone(),
        ..agency()
    };
    assert!(matches!(
        store.insert_agency(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.agency(dup.id).await, Err(StoreError::NotFound));
    assert_eq!(store.agency_by_slug(&a.slug).await.unwrap(), a);

    // An update changes name and settings, never the slug.
    let mut changed = a.clone();
    changed.name = "Renamed Lettings".into();
    changed.settings.email_code_sign_in = true;
    changed.settings.hidden_widgets = vec!["documents".into()];
    changed.settings.branding.colour = Some("#112233".into());
    changed.slug = format!("moved-{}", random_hex(12));
    store.update_agency(&changed).await.unwrap();
    let read = store.agency(a.id).await.unwrap();
    assert_eq!(read.name, "Renamed Lettings");
    assert_eq!(read.settings, changed.settings);
    assert_eq!(read.slug, a.slug, "the slug never changes");
    assert_eq!(read.created_at, a.created_at);
    assert_eq!(
        store.agency_by_slug(&changed.slug).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.agency_by_slug(&a.slug).await.unwrap(), read);
    assert_eq!(store.agency(b.id).await.unwrap(), b, "others untouched");

    assert_eq!(
        store.update_agency(&agency()).await,
        Err(StoreError::NotFound)
    );

    let all = store.list_agencies().await.unwrap();
    assert!(
        all.windows(2).all(|w| w[0].slug <= w[1].slug),
        "ordered by slug"
    );
    assert!(all.contains(&read));
    assert!(all.contains(&b));
}
