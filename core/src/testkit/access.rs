//! Conformance of the access ports ([`PropertyStore`](crate::PropertyStore),
//! [`GrantStore`](crate::GrantStore), [`GroupStore`](crate::GroupStore),
//! [`DocumentStore`](crate::DocumentStore)): agency scoping, conflicts, immutable fields,
//! ordering, cascades and the audit record of every write. Each behaviour makes its own
//! agencies, so it may share a database with the others.

use super::fixtures::{new_account, new_agency, random_bytes, t0};
use crate::access::records::*;
use crate::error::StoreError;
use crate::ids::*;
use crate::model::*;
use crate::store::Store;
use time::{Duration, OffsetDateTime};

fn audit(agency: AgencyId, kind: AuditKind) -> AuditEvent {
    super::fixtures::audit(agency, kind, t0())
}

/// Two agencies with one account each.
struct Setup {
    a: AgencyId,
    b: AgencyId,
    alice: AccountId,
    bob: AccountId,
}

async fn setup(store: &dyn Store) -> Setup {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let alice = new_account(store, a.id, "alice@example.com").await;
    let bob = new_account(store, b.id, "bob@example.com").await;
    Setup {
        a: a.id,
        b: b.id,
        alice: alice.id,
        bob: bob.id,
    }
}

fn property(agency: AgencyId, host_ref: &str, name: &str) -> Property {
    Property {
        id: PropertyId::from_random_bytes(random_bytes()),
        agency,
        host_ref: host_ref.into(),
        kind: PropertyKind::Lettings,
        display_name: name.into(),
        manager: None,
        negotiator: None,
        valuer: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn grant(agency: AgencyId, subject: Subject, property: PropertyId, at: OffsetDateTime) -> Grant {
    Grant {
        id: GrantId::from_random_bytes(random_bytes()),
        agency,
        subject,
        property,
        role: Role::Landlord,
        scopes: [Scope::widget("property_balance")].into(),
        buyer_names: BuyerNameDisplay::FirstName,
        valid_from: None,
        valid_until: Some(t0() + Duration::days(30)),
        created_at: at,
        updated_at: at,
    }
}

fn group(agency: AgencyId, name: &str, parent: Option<GroupId>) -> Group {
    Group {
        id: GroupId::from_random_bytes(random_bytes()),
        agency,
        name: name.into(),
        parent,
        created_at: t0(),
    }
}

async fn audit_count(s: &dyn Store, agency: AgencyId, kind: AuditKind) -> usize {
    s.audit(
        agency,
        &AuditQuery {
            kind: Some(kind),
            limit: 1000,
            ..AuditQuery::default()
        },
    )
    .await
    .unwrap()
    .len()
}

/// Properties: conflicts, scoping, immutable fields, listing, cascading delete.
pub async fn access_properties(s: &dyn Store) {
    let Setup { a, b, alice, .. } = setup(s).await;
    let p1 = property(a, "P1", "B Street");
    let p2 = property(a, "P2", "A Street");
    s.insert_property(&p1, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    s.insert_property(&p2, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    let dup = property(a, "P1", "again");
    assert!(matches!(
        s.insert_property(&dup, &audit(a, AuditKind::AccessSetUp))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The same host_ref in another agency is another property.
    s.insert_property(&property(b, "P1", "B's"), &audit(b, AuditKind::AccessSetUp))
        .await
        .unwrap();
    assert_eq!(s.property(a, p1.id).await.unwrap(), p1);
    assert_eq!(s.property(b, p1.id).await, Err(StoreError::NotFound));
    assert_eq!(
        s.property_by_host_ref(a, "P1").await.unwrap(),
        Some(p1.clone())
    );
    assert_eq!(s.property_by_host_ref(a, "nope").await.unwrap(), None);
    // Update changes the portal fields only.
    let mut changed = p1.clone();
    changed.host_ref = "HACKED".into();
    changed.kind = PropertyKind::Sales;
    changed.display_name = "C Street".into();
    changed.negotiator = Some(StaffRef("n".into()));
    changed.updated_at = t0() + Duration::hours(1);
    s.update_property(&changed, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    let read = s.property(a, p1.id).await.unwrap();
    assert_eq!(read.host_ref, "P1");
    assert_eq!(read.kind, PropertyKind::Sales);
    assert_eq!(read.display_name, "C Street");
    let mut foreign = changed.clone();
    foreign.agency = b;
    assert_eq!(
        s.update_property(&foreign, &audit(b, AuditKind::AccessSetUp))
            .await,
        Err(StoreError::NotFound)
    );
    // Listing: by display name, unknown and foreign ids skipped.
    let listed = s
        .properties(
            a,
            &[p1.id, p2.id, PropertyId::from_random_bytes(random_bytes())],
        )
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![p2.id, p1.id]
    );
    assert!(s.properties(b, &[p1.id]).await.unwrap().is_empty());
    // Delete cascades grants and documents.
    s.insert_grant(
        &grant(a, Subject::Account(alice), p1.id, t0()),
        &audit(a, AuditKind::GrantChanged),
    )
    .await
    .unwrap();
    let doc = document(a, p1.id, "f1", t0());
    s.share_document(&doc, &audit(a, AuditKind::DocumentChanged))
        .await
        .unwrap();
    assert_eq!(
        s.delete_property(b, p1.id, &audit(b, AuditKind::AccessSetUp))
            .await,
        Err(StoreError::NotFound)
    );
    s.delete_property(a, p1.id, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    assert_eq!(s.property(a, p1.id).await, Err(StoreError::NotFound));
    assert!(s.grants_on(a, p1.id).await.unwrap().is_empty());
    assert!(
        s.grants_for(a, &[Subject::Account(alice)], None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.document(a, doc.id).await, Err(StoreError::NotFound));
    assert_eq!(s.property_by_host_ref(a, "P1").await.unwrap(), None);
    assert!(audit_count(s, a, AuditKind::AccessSetUp).await >= 5);
}

fn document(
    agency: AgencyId,
    property: PropertyId,
    host_ref: &str,
    at: OffsetDateTime,
) -> SharedDocument {
    SharedDocument {
        id: DocumentId::from_random_bytes(random_bytes()),
        agency,
        property,
        host_ref: host_ref.into(),
        category: DocumentCategory::Certificate,
        title: "Gas safety".into(),
        shared_at: at,
    }
}

/// Grants: unknown references, scoping, immutable fields, the hot-path query, delete.
pub async fn access_grants(s: &dyn Store) {
    let Setup { a, b, alice, bob } = setup(s).await;
    let p = property(a, "P", "P");
    let q = property(a, "Q", "Q");
    for x in [&p, &q] {
        s.insert_property(x, &audit(a, AuditKind::AccessSetUp))
            .await
            .unwrap();
    }
    let g = group(a, "G", None);
    s.insert_group(&g, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    // Unknown property, or another agency's property, is refused.
    let ghost = grant(
        a,
        Subject::Account(alice),
        PropertyId::from_random_bytes(random_bytes()),
        t0(),
    );
    assert_eq!(
        s.insert_grant(&ghost, &audit(a, AuditKind::GrantChanged))
            .await,
        Err(StoreError::NotFound)
    );
    let cross = grant(b, Subject::Account(bob), p.id, t0());
    assert_eq!(
        s.insert_grant(&cross, &audit(b, AuditKind::GrantChanged))
            .await,
        Err(StoreError::NotFound)
    );
    let g1 = grant(a, Subject::Account(alice), p.id, t0());
    let g2 = grant(a, Subject::Group(g.id), p.id, t0() + Duration::seconds(1));
    let g3 = grant(
        a,
        Subject::Account(alice),
        q.id,
        t0() + Duration::seconds(2),
    );
    for x in [&g1, &g2, &g3] {
        s.insert_grant(x, &audit(a, AuditKind::GrantChanged))
            .await
            .unwrap();
    }
    assert!(matches!(
        s.insert_grant(&g1, &audit(a, AuditKind::GrantChanged))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.grant(a, g1.id).await.unwrap(), g1);
    assert_eq!(s.grant(b, g1.id).await, Err(StoreError::NotFound));
    let both = [Subject::Account(alice), Subject::Group(g.id)];
    let ids = |v: Vec<Grant>| v.into_iter().map(|g| g.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.grants_for(a, &both, None).await.unwrap()),
        vec![g1.id, g2.id, g3.id]
    );
    assert_eq!(
        ids(s.grants_for(a, &both, Some(p.id)).await.unwrap()),
        vec![g1.id, g2.id]
    );
    assert_eq!(
        ids(s
            .grants_for(a, &[Subject::Group(g.id)], None)
            .await
            .unwrap()),
        vec![g2.id]
    );
    assert!(s.grants_for(b, &both, None).await.unwrap().is_empty());
    assert_eq!(ids(s.grants_on(a, p.id).await.unwrap()), vec![g1.id, g2.id]);
    // Update: only role, scopes, display, window, updated_at.
    let mut changed = g1.clone();
    changed.subject = Subject::Account(bob);
    changed.property = q.id;
    changed.role = Role::Tenant;
    changed.scopes.clear();
    changed.buyer_names = BuyerNameDisplay::Hidden;
    changed.valid_until = None;
    changed.updated_at = t0() + Duration::hours(2);
    s.update_grant(&changed, &audit(a, AuditKind::GrantChanged))
        .await
        .unwrap();
    let read = s.grant(a, g1.id).await.unwrap();
    assert_eq!((read.subject, read.property), (g1.subject, g1.property));
    assert_eq!(read.role, Role::Tenant);
    assert!(read.scopes.is_empty());
    assert_eq!(read.valid_until, None);
    let mut foreign = changed.clone();
    foreign.agency = b;
    assert_eq!(
        s.update_grant(&foreign, &audit(b, AuditKind::GrantChanged))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        s.delete_grant(b, g1.id, &audit(b, AuditKind::GrantChanged))
            .await,
        Err(StoreError::NotFound)
    );
    s.delete_grant(a, g1.id, &audit(a, AuditKind::GrantChanged))
        .await
        .unwrap();
    assert_eq!(s.grant(a, g1.id).await, Err(StoreError::NotFound));
    assert_eq!(
        ids(s.grants_for(a, &both, None).await.unwrap()),
        vec![g2.id, g3.id]
    );
    assert_eq!(audit_count(s, a, AuditKind::GrantChanged).await, 5);
}

/// Groups: names, parents, members, ancestry, cascading delete.
pub async fn access_groups(s: &dyn Store) {
    let Setup { a, b, alice, bob } = setup(s).await;
    let top = group(a, "National", None);
    let mid = group(a, "VIC", Some(top.id));
    let low = group(a, "Melbourne", Some(mid.id));
    for g in [&top, &mid, &low] {
        s.insert_group(g, &audit(a, AuditKind::GroupChanged))
            .await
            .unwrap();
    }
    assert!(matches!(
        s.insert_group(&group(a, "VIC", None), &audit(a, AuditKind::GroupChanged))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Same name in another agency is fine; a parent of another agency is unknown.
    s.insert_group(&group(b, "VIC", None), &audit(b, AuditKind::GroupChanged))
        .await
        .unwrap();
    assert_eq!(
        s.insert_group(
            &group(b, "X", Some(top.id)),
            &audit(b, AuditKind::GroupChanged)
        )
        .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(s.group(a, mid.id).await.unwrap(), mid);
    assert_eq!(s.group(b, mid.id).await, Err(StoreError::NotFound));
    let names: Vec<String> = s
        .groups(a)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, vec!["Melbourne", "National", "VIC"]);
    // Members.
    assert!(
        s.add_member(a, low.id, alice, &audit(a, AuditKind::GroupChanged))
            .await
            .unwrap()
    );
    assert!(
        !s.add_member(a, low.id, alice, &audit(a, AuditKind::GroupChanged))
            .await
            .unwrap()
    );
    assert_eq!(
        s.add_member(
            a,
            GroupId::from_random_bytes(random_bytes()),
            alice,
            &audit(a, AuditKind::GroupChanged)
        )
        .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        s.add_member(a, low.id, bob, &audit(a, AuditKind::GroupChanged))
            .await,
        Err(StoreError::NotFound),
        "an account of another agency is unknown here"
    );
    assert_eq!(s.members(a, low.id).await.unwrap(), vec![alice]);
    assert!(s.members(b, low.id).await.unwrap().is_empty());
    assert_eq!(s.groups_of(a, alice).await.unwrap(), vec![low.id]);
    let mut chain: Vec<GroupId> = s
        .group_ancestry(a, alice)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    chain.sort();
    let mut expected = vec![top.id, mid.id, low.id];
    expected.sort();
    assert_eq!(chain, expected);
    assert!(s.group_ancestry(b, alice).await.unwrap().is_empty());
    // Update: rename and move.
    let mut moved = low.clone();
    moved.name = "Melb".into();
    moved.parent = Some(top.id);
    s.update_group(&moved, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    assert_eq!(s.group(a, low.id).await.unwrap(), moved);
    let mut clash = moved.clone();
    clash.name = "VIC".into();
    assert!(matches!(
        s.update_group(&clash, &audit(a, AuditKind::GroupChanged))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Delete: refused with subgroups; cascades memberships and the group's grants.
    assert!(matches!(
        s.delete_group(a, top.id, &audit(a, AuditKind::GroupChanged))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let p = property(a, "P", "P");
    s.insert_property(&p, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    let gg = grant(a, Subject::Group(low.id), p.id, t0());
    s.insert_grant(&gg, &audit(a, AuditKind::GrantChanged))
        .await
        .unwrap();
    s.delete_group(a, low.id, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    assert_eq!(s.grant(a, gg.id).await, Err(StoreError::NotFound));
    assert!(s.groups_of(a, alice).await.unwrap().is_empty());
    assert!(
        !s.remove_member(a, low.id, alice, &audit(a, AuditKind::GroupChanged))
            .await
            .unwrap()
    );
    // Remove member.
    s.add_member(a, mid.id, alice, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    assert!(
        s.remove_member(a, mid.id, alice, &audit(a, AuditKind::GroupChanged))
            .await
            .unwrap()
    );
    assert!(s.members(a, mid.id).await.unwrap().is_empty());
}

/// Documents: conflicts, scoping, newest first, unshare.
pub async fn access_documents(s: &dyn Store) {
    let Setup { a, b, .. } = setup(s).await;
    let p = property(a, "P", "P");
    s.insert_property(&p, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    let d1 = document(a, p.id, "f1", t0());
    let d2 = document(a, p.id, "f2", t0() + Duration::hours(1));
    for d in [&d1, &d2] {
        s.share_document(d, &audit(a, AuditKind::DocumentChanged))
            .await
            .unwrap();
    }
    assert!(matches!(
        s.share_document(
            &document(a, p.id, "f1", t0()),
            &audit(a, AuditKind::DocumentChanged)
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.share_document(
            &document(b, p.id, "f9", t0()),
            &audit(b, AuditKind::DocumentChanged)
        )
        .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(s.document(a, d1.id).await.unwrap(), d1);
    assert_eq!(s.document(b, d1.id).await, Err(StoreError::NotFound));
    let listed: Vec<DocumentId> = s
        .documents_of(a, p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, vec![d2.id, d1.id]);
    assert!(s.documents_of(b, p.id).await.unwrap().is_empty());
    assert_eq!(
        s.unshare_document(b, d1.id, &audit(b, AuditKind::DocumentChanged))
            .await,
        Err(StoreError::NotFound)
    );
    s.unshare_document(a, d1.id, &audit(a, AuditKind::DocumentChanged))
        .await
        .unwrap();
    assert_eq!(s.document(a, d1.id).await, Err(StoreError::NotFound));
    assert_eq!(audit_count(s, a, AuditKind::DocumentChanged).await, 3);
}

/// Deleting an account removes its grants and memberships, and nothing of others.
pub async fn access_account_deletion_cascade(s: &dyn Store) {
    let Setup { a, alice, .. } = setup(s).await;
    let p = property(a, "P", "P");
    s.insert_property(&p, &audit(a, AuditKind::AccessSetUp))
        .await
        .unwrap();
    let g = group(a, "G", None);
    s.insert_group(&g, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    s.add_member(a, g.id, alice, &audit(a, AuditKind::GroupChanged))
        .await
        .unwrap();
    let mine = grant(a, Subject::Account(alice), p.id, t0());
    let theirs = grant(a, Subject::Group(g.id), p.id, t0());
    for x in [&mine, &theirs] {
        s.insert_grant(x, &audit(a, AuditKind::GrantChanged))
            .await
            .unwrap();
    }
    s.delete_account(a, alice, &audit(a, AuditKind::AccountDeleted))
        .await
        .unwrap();
    assert_eq!(s.grant(a, mine.id).await, Err(StoreError::NotFound));
    assert_eq!(s.grant(a, theirs.id).await.unwrap(), theirs);
    assert!(s.members(a, g.id).await.unwrap().is_empty());
    assert!(s.groups_of(a, alice).await.unwrap().is_empty());
}
