//! The sign-in flows, end to end over the in-memory store, with a manual clock, a
//! deterministic random generator and a counting hasher.

mod account;
mod api_key;
mod code;
mod invitation;
mod mocks;
mod reset;
mod session;
mod signin;
mod tenancy;

use portico_core::hash::{Argon2Hasher, HashParams};
use portico_core::idm::account::SetUpAccess;
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::{AuditStore, OutboxStore, Store};
use portico_core::testing::{CountingHasher, ManualClock, TestRandom};
use portico_core::*;
use std::sync::Arc;

pub const PW: &str = "violet tractor umbrella ocean 1987";
pub const PW2: &str = "seventeen quiet lanterns over harbour";

pub struct H {
    pub portal: Portal,
    pub store: Arc<MemoryStore>,
    pub clock: ManualClock,
    pub hasher: Arc<CountingHasher<Argon2Hasher>>,
    pub agency: Agency,
    pub ctx: RequestContext,
    /// Outbox ids in the order the harness first saw them (the clock is frozen, so
    /// timestamps tie).
    seen: std::sync::Mutex<Vec<OutboxId>>,
}

pub fn staff() -> Actor {
    Actor::Staff {
        key: None,
        staff: "Sam Staff".into(),
    }
}

pub fn token_of(url: &str) -> String {
    url.split_once("?token=")
        .expect("link has a token")
        .1
        .to_string()
}

impl H {
    pub async fn new() -> Self {
        Self::with_settings(|_| {}).await
    }

    pub async fn with_settings(f: impl FnOnce(&mut AgencySettings)) -> Self {
        let store = Arc::new(MemoryStore::new());
        Self::on_store(store, 1, f).await
    }

    pub async fn on_store(
        store: Arc<MemoryStore>,
        seed: u64,
        f: impl FnOnce(&mut AgencySettings),
    ) -> Self {
        let clock = ManualClock::new();
        let random: Arc<dyn Random> = Arc::new(TestRandom::new(seed));
        let hasher = Arc::new(CountingHasher::new(
            Argon2Hasher::new(HashParams::insecure_for_tests(), 4, random.clone()).unwrap(),
        ));
        let portal = Portal::new(
            store.clone() as Arc<dyn Store>,
            hasher.clone(),
            Arc::new(clock.clone()),
            random,
        );
        let mut settings = AgencySettings {
            portal_base_url: "https://portal.acme.example/p/acme".into(),
            ..AgencySettings::default()
        };
        f(&mut settings);
        let slug = format!("acme-{seed}");
        let agency = portal
            .create_agency(&slug, "Acme Lettings", settings)
            .await
            .unwrap();
        Self {
            portal,
            store,
            clock,
            hasher,
            agency,
            ctx: RequestContext::from_address("203.0.113.7".parse().unwrap()),
            seen: Default::default(),
        }
    }

    /// Another agency on the same store and portal.
    pub async fn other_agency(&self, slug: &str) -> Agency {
        self.portal
            .create_agency(slug, "Other Estates", AgencySettings::default())
            .await
            .unwrap()
    }

    pub async fn client(&self, email: &str) -> Account {
        self.portal
            .set_up_access(
                self.agency.id,
                staff(),
                SetUpAccess {
                    contact: None,
                    email: email.into(),
                    username: None,
                    display_name: "Ann Owner".into(),
                },
                &self.ctx,
            )
            .await
            .unwrap()
            .account
    }

    pub async fn mails(&self) -> Vec<OutboxMessage> {
        self.mails_of(self.agency.id).await
    }

    /// Mail of an agency, oldest first.
    pub async fn mails_of(&self, agency: AgencyId) -> Vec<OutboxMessage> {
        let all = self.store.outbox(agency, None, 0, 1000).await.unwrap();
        let mut seen = self.seen.lock().unwrap();
        let mut fresh: Vec<_> = all.iter().filter(|m| !seen.contains(&m.id)).collect();
        fresh.reverse();
        seen.extend(fresh.iter().map(|m| m.id));
        seen.iter()
            .filter_map(|id| all.iter().find(|m| m.id == *id).cloned())
            .collect()
    }

    pub async fn mails_to(&self, to: &str) -> Vec<OutboxMessage> {
        self.mails()
            .await
            .into_iter()
            .filter(|m| m.to == to)
            .collect()
    }

    /// The token of the newest link-carrying mail to `to`.
    pub async fn last_link(&self, to: &str) -> String {
        let mails = self.mails_to(to).await;
        for m in mails.iter().rev() {
            match &m.content {
                MailContent::Invitation { activation_url, .. } => return token_of(activation_url),
                MailContent::PasswordReset { reset_url, .. } => return token_of(reset_url),
                MailContent::EmailChangeConfirm { confirm_url, .. } => {
                    return token_of(confirm_url);
                }
                _ => {}
            }
        }
        panic!("no link mailed to {to}");
    }

    pub async fn last_code(&self, to: &str) -> String {
        for m in self.mails_to(to).await.iter().rev() {
            if let MailContent::SignInCode { code, .. } = &m.content {
                return code.clone();
            }
        }
        panic!("no code mailed to {to}");
    }

    pub async fn invite(&self, email: &str) -> (Account, String) {
        let account = self.client(email).await;
        self.portal
            .send_invitation(self.agency.id, staff(), account.id, &self.ctx)
            .await
            .unwrap();
        let token = self.last_link(email).await;
        (account, token)
    }

    pub async fn active_client(&self, email: &str) -> (Account, SignedIn) {
        let (_, token) = self.invite(email).await;
        let signed = self
            .portal
            .activate(self.agency.id, &token, &Password::new(PW), &self.ctx)
            .await
            .unwrap();
        (signed.account.clone(), signed)
    }

    pub async fn audit_kinds(&self) -> Vec<AuditKind> {
        let q = AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        };
        let mut v: Vec<_> = self
            .store
            .audit(self.agency.id, &q)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        v.reverse();
        v
    }

    pub async fn audit_all(&self) -> Vec<AuditEvent> {
        let q = AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        };
        self.store.audit(self.agency.id, &q).await.unwrap()
    }
}
