//! The access ports beyond the conformance suite: group ancestry in one recursive query,
//! which must end even on a cycle in stored data.

use crate::common;
use portico_core::access::records::*;
use portico_core::ids::*;
use portico_core::model::AuditKind;
use portico_core::store::Store;
use portico_core::testkit::fixtures::*;
use std::time::Duration;

fn group(agency: AgencyId, name: &str, parent: Option<GroupId>) -> Group {
    Group {
        id: rid_group(),
        agency,
        name: name.into(),
        parent,
        created_at: t0(),
    }
}

fn rid_group() -> GroupId {
    GroupId::from_random_bytes(random_bytes())
}

async fn ancestry_follows_parents_and_ends_on_a_cycle(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let ev = || audit(ag.id, AuditKind::GroupChanged, t0());
    // root ← g1 ← g2 ← g3 ← leaf; alice is in leaf.
    let mut chain = vec![group(ag.id, "root", None)];
    for name in ["g1", "g2", "g3", "leaf"] {
        let parent = chain.last().map(|g| g.id);
        chain.push(group(ag.id, name, parent));
    }
    for g in &chain {
        store.insert_group(g, &ev()).await.unwrap();
    }
    let leaf = chain[4].id;
    assert!(
        store
            .add_member(ag.id, leaf, alice.id, &ev())
            .await
            .unwrap()
    );
    let mut found: Vec<GroupId> = store
        .group_ancestry(ag.id, alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    found.sort();
    let mut want: Vec<GroupId> = chain.iter().map(|g| g.id).collect();
    want.sort();
    assert_eq!(found, want);

    // A cycle (root's parent made the leaf) that core would refuse, stored anyway.
    let looped = Group {
        parent: Some(leaf),
        ..chain[0].clone()
    };
    store.update_group(&looped, &ev()).await.unwrap();
    let ancestry = tokio::time::timeout(
        Duration::from_secs(10),
        store.group_ancestry(ag.id, alice.id),
    )
    .await
    .expect("the recursive query ends")
    .unwrap();
    let mut ids: Vec<GroupId> = ancestry.iter().map(|g| g.id).collect();
    ids.sort();
    assert_eq!(ids, want, "each group once");

    // Another agency's account sees none of it.
    let other = new_agency(store).await;
    assert!(
        store
            .group_ancestry(other.id, alice.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn group_ancestry() {
    let store = common::store().await;
    ancestry_follows_parents_and_ends_on_a_cycle(&store).await;
}
