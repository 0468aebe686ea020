//! The idempotent seed of the demo agency: agency, console key, properties, clients (made
//! active through the real invitation → activation flow), groups, grants and shared documents.

use super::host::{PROPERTIES, documents_of};
use super::{DemoClient, DemoError, DemoSeed};
use portico_core::access::Staff;
use portico_core::access::document::DocumentShare;
use portico_core::access::grant::{GrantSpec, default_scopes};
use portico_core::access::property::PropertySpec;
use portico_core::access::records::{BuyerNameDisplay, Property, Role, StaffRef, Subject};
use portico_core::idm::account::SetUpAccess;
use portico_core::idm::agency::AgencyError;
use portico_core::model::{
    Account, AccountStatus, Actor, Agency, AgencySettings, ContactRef, MailContent,
};
use portico_core::{Access, AccountId, Password, Portal, RequestContext};

/// The demo agency's slug.
pub const DEMO_SLUG: &str = "demo";
/// The demo agency's name.
pub const DEMO_AGENCY_NAME: &str = "Harbour & Co";
/// The password of every active demo client (passes the password policy).
pub const DEMO_PASSWORD: &str = "harbour demo passphrase 2026";
/// The name of the console's API key (revoked and made afresh at each seed).
pub const CONSOLE_KEY_NAME: &str = "demo-console";
/// The staff name the seed acts under (audit log).
const SEED_STAFF: &str = "demo seed";
/// The group holding the Okafor family's grant.
const FAMILY_GROUP: &str = "Okafor family";

/// A grant the seed gives: property, role, how buyers' names show.
type GrantPlan = (&'static str, Role, BuyerNameDisplay);

/// A demo client as the seed sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// The CRM's contact reference.
    pub contact: &'static str,
    /// Email (also the sign-in name).
    pub email: &'static str,
    /// Name.
    pub name: &'static str,
    /// Activated with [`DEMO_PASSWORD`] (else left invited, its invitation in the mailbox).
    pub active: bool,
    /// Roles, for people.
    pub role: &'static str,
    /// What the client sees.
    pub note: &'static str,
    /// Grants held by the account itself.
    grants: &'static [GrantPlan],
    /// Member of the family group (which holds the grant on the cottage).
    in_family_group: bool,
}

const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        contact: "HC-C-301",
        email: "margaret.ellison@example.com",
        name: "Margaret Ellison",
        active: true,
        role: "landlord, vendor",
        note: "landlord of a flat, a house and an HMO; selling a flat",
        grants: &[
            ("HC-L-1001", Role::Landlord, BuyerNameDisplay::Hidden),
            ("HC-L-1002", Role::Landlord, BuyerNameDisplay::Hidden),
            ("HC-L-1003", Role::Landlord, BuyerNameDisplay::Hidden),
            ("HC-S-2002", Role::Vendor, BuyerNameDisplay::FirstName),
        ],
        in_family_group: false,
    },
    DemoAccount {
        contact: "HC-C-302",
        email: "david.okafor@example.com",
        name: "David Okafor",
        active: true,
        role: "landlord",
        note: "landlord of a cottage, through the \"Okafor family\" group",
        grants: &[],
        in_family_group: true,
    },
    DemoAccount {
        contact: "HC-C-303",
        email: "tom.reilly@example.com",
        name: "Tom Reilly",
        active: true,
        role: "tenant",
        note: "tenant of Flat 4, 27 Marine Parade",
        grants: &[("HC-L-1001", Role::Tenant, BuyerNameDisplay::Hidden)],
        in_family_group: false,
    },
    DemoAccount {
        contact: "HC-C-304",
        email: "priya.shah@example.com",
        name: "Priya Shah",
        active: true,
        role: "vendor",
        note: "selling 9 Clifton Terrace: offers, viewings, feedback",
        grants: &[("HC-S-2001", Role::Vendor, BuyerNameDisplay::FirstName)],
        in_family_group: false,
    },
    DemoAccount {
        contact: "HC-C-305",
        email: "james.whitfield@example.com",
        name: "James Whitfield",
        active: true,
        role: "buyer",
        note: "buyer with an offer on 9 Clifton Terrace",
        grants: &[("HC-S-2001", Role::Applicant, BuyerNameDisplay::Hidden)],
        in_family_group: false,
    },
    DemoAccount {
        contact: "HC-C-306",
        email: "grace.okafor@example.com",
        name: "Grace Okafor",
        active: false,
        role: "landlord (invited)",
        note: "invited, not yet active: open her invitation in the mailbox",
        grants: &[],
        in_family_group: true,
    },
];

/// The demo clients the seed sets up, in a fixed order.
pub fn clients() -> &'static [DemoAccount] {
    ACCOUNTS
}

impl DemoAccount {
    fn client(&self) -> DemoClient {
        DemoClient {
            email: self.email.into(),
            password: self.active.then(|| DEMO_PASSWORD.to_string()),
            role: self.role.into(),
            note: self.note.into(),
        }
    }
}

fn settings(base: &str, current: Option<&AgencySettings>) -> AgencySettings {
    let mut s = current.cloned().unwrap_or_default();
    s.portal_base_url = format!("{base}/p/{DEMO_SLUG}");
    s.email_code_sign_in = true;
    s
}

async fn agency(portal: &Portal, base: &str) -> Result<Agency, DemoError> {
    match portal.agency_by_slug(DEMO_SLUG).await {
        Ok(a) => {
            let wanted = settings(base, Some(&a.settings));
            if wanted == a.settings {
                return Ok(a);
            }
            Ok(portal
                .update_agency(
                    a.id,
                    Actor::System,
                    &a.name,
                    wanted,
                    &RequestContext::default(),
                )
                .await?)
        }
        Err(AgencyError::NotFound) => {
            match portal
                .create_agency(DEMO_SLUG, DEMO_AGENCY_NAME, settings(base, None))
                .await
            {
                Ok(a) => Ok(a),
                // Another node seeded it meanwhile: use theirs.
                Err(AgencyError::SlugTaken) => Ok(portal.agency_by_slug(DEMO_SLUG).await?),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Revokes the previous console keys and makes a fresh one.
async fn console_key(portal: &Portal, agency: &Agency) -> Result<String, DemoError> {
    let ctx = RequestContext::default();
    for k in portal.api_keys(agency.id).await? {
        if k.name == CONSOLE_KEY_NAME && k.revoked_at.is_none() {
            portal
                .revoke_api_key(agency.id, Actor::System, k.id, &ctx)
                .await?;
        }
    }
    let key = portal
        .create_api_key(agency.id, Actor::System, CONSOLE_KEY_NAME, None, &ctx)
        .await?;
    Ok(key.raw.expose().to_string())
}

async fn properties(access: &Access, staff: &Staff) -> Result<Vec<Property>, DemoError> {
    let mut out = Vec::with_capacity(PROPERTIES.len());
    for p in PROPERTIES {
        if let Some(found) = access
            .store()
            .property_by_host_ref(staff.agency, p.host_ref)
            .await?
        {
            out.push(found);
            continue;
        }
        let spec = PropertySpec {
            host_ref: p.host_ref.into(),
            kind: p.kind,
            display_name: p.display_name.into(),
            manager: p.manager.map(|s| StaffRef(s.into())),
            negotiator: p.negotiator.map(|s| StaffRef(s.into())),
            valuer: p.valuer.map(|s| StaffRef(s.into())),
        };
        out.push(access.upsert_property(staff, spec, access.now()).await?);
    }
    Ok(out)
}

async fn share_documents(
    access: &Access,
    staff: &Staff,
    properties: &[Property],
) -> Result<(), DemoError> {
    let today = access.now().date();
    for p in properties {
        let shared = access.shared_documents(staff, p.id).await?;
        for d in documents_of(&p.host_ref, today)
            .into_iter()
            .filter(|d| d.shared_by_seed)
        {
            if shared.iter().any(|s| s.host_ref == d.host_ref) {
                continue;
            }
            let share = DocumentShare {
                host_ref: d.host_ref,
                category: d.category,
                title: d.title,
            };
            access
                .share_document(staff, p.id, share, access.now())
                .await?;
        }
    }
    Ok(())
}

/// The newest invitation link in the outbox for `email`.
async fn invitation_token(portal: &Portal, agency: &Agency, email: &str) -> Option<String> {
    let mail = portal.store().outbox(agency.id, None, 0, 500).await.ok()?;
    mail.into_iter()
        .filter(|m| m.to == email)
        .filter_map(|m| match m.content {
            MailContent::Invitation { activation_url, .. } => Some((m.created_at, activation_url)),
            _ => None,
        })
        .max_by_key(|(at, _)| *at)
        .and_then(|(_, url)| url.split_once("?token=").map(|(_, t)| t.to_string()))
}

async fn invite(
    portal: &Portal,
    agency: &Agency,
    plan: &DemoAccount,
    account: AccountId,
    actor: Actor,
) -> Result<(), DemoError> {
    portal
        .send_invitation(agency.id, actor, account, &RequestContext::default())
        .await
        .map(|_| ())
        .map_err(|source| DemoError::Invitation {
            email: plan.email.into(),
            source,
        })
}

async fn account(
    portal: &Portal,
    agency: &Agency,
    plan: &DemoAccount,
) -> Result<Account, DemoError> {
    let ctx = RequestContext::default();
    let actor = Actor::Staff {
        key: None,
        staff: SEED_STAFF.into(),
    };
    let err = |source| DemoError::Account {
        email: plan.email.into(),
        source,
    };
    let set = portal
        .set_up_access(
            agency.id,
            actor.clone(),
            SetUpAccess {
                contact: Some(ContactRef(plan.contact.into())),
                email: plan.email.into(),
                username: None,
                display_name: plan.name.into(),
            },
            &ctx,
        )
        .await
        .map_err(err)?;
    let account = set.account;
    let invite = |actor: Actor| invite(portal, agency, plan, account.id, actor);
    if account.status != AccountStatus::Invited {
        return Ok(account);
    }
    if !plan.active {
        // Left invited: one invitation, sent when the account is made.
        if set.created {
            invite(actor).await?;
        }
        return Ok(account);
    }
    // The real flow: invitation mail, then activation with the link it carries.
    invite(actor).await?;
    let token = invitation_token(portal, agency, plan.email)
        .await
        .ok_or_else(|| DemoError::MailMissing {
            email: plan.email.into(),
        })?;
    let signed_in = portal
        .activate(agency.id, &token, &Password::new(DEMO_PASSWORD), &ctx)
        .await
        .map_err(|source| DemoError::Activation {
            email: plan.email.into(),
            source,
        })?;
    Ok(signed_in.account)
}

async fn grant(
    access: &Access,
    staff: &Staff,
    subject: Subject,
    property: &Property,
    role: Role,
    buyer_names: BuyerNameDisplay,
) -> Result<(), DemoError> {
    let held = access.grants_of(staff, subject).await?;
    if held
        .iter()
        .any(|g| g.property == property.id && g.role == role)
    {
        return Ok(());
    }
    let spec = GrantSpec {
        subject,
        property: property.id,
        role,
        scopes: default_scopes(role, property.kind),
        buyer_names,
        valid_from: None,
        valid_until: None,
    };
    access.create_grant(staff, spec, access.now()).await?;
    Ok(())
}

/// Idempotent seed of the demo agency (slug "demo"); on a re-run it finds the agency and
/// issues a fresh console API key (the previous `demo-console` keys are revoked).
///
/// `public_base_url` is where the server is reached (`http://127.0.0.1:8080`): the agency's
/// `portal_base_url` becomes `{public_base_url}/p/demo`, from which emailed links are built.
/// Active clients reach their state through the real invitation and activation flow, so the
/// outbox must not be drained by a delivery worker while this runs.
pub async fn seed(
    portal: &Portal,
    access: &Access,
    public_base_url: &str,
) -> Result<DemoSeed, DemoError> {
    let base = public_base_url.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://"))
        || base.len() <= "https://".len()
        || base.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(DemoError::BaseUrl);
    }
    let agency = agency(portal, base).await?;
    let api_key = console_key(portal, &agency).await?;
    let staff = Staff {
        agency: agency.id,
        key: None,
        name: SEED_STAFF.into(),
        address: None,
    };
    let props = properties(access, &staff).await?;
    let prop = |host_ref: &str| props.iter().find(|p| p.host_ref == host_ref);
    share_documents(access, &staff, &props).await?;

    let family = match access
        .groups(&staff)
        .await?
        .into_iter()
        .find(|g| g.name == FAMILY_GROUP)
    {
        Some(g) => g,
        None => {
            access
                .create_group(&staff, FAMILY_GROUP, None, access.now())
                .await?
        }
    };
    if let Some(cottage) = prop("HC-L-1004") {
        grant(
            access,
            &staff,
            Subject::Group(family.id),
            cottage,
            Role::Landlord,
            BuyerNameDisplay::Hidden,
        )
        .await?;
    }

    let mut accounts: Vec<AccountId> = Vec::with_capacity(ACCOUNTS.len());
    for plan in ACCOUNTS {
        let a = account(portal, &agency, plan).await?;
        for &(host_ref, role, names) in plan.grants {
            if let Some(p) = prop(host_ref) {
                grant(access, &staff, Subject::Account(a.id), p, role, names).await?;
            }
        }
        if plan.in_family_group {
            let members = access.members(&staff, family.id).await?;
            if !members.contains(&a.id) {
                access
                    .add_member(&staff, family.id, a.id, access.now())
                    .await?;
            }
        }
        accounts.push(a.id);
    }
    tracing::info!(
        "demo seed: {} properties, {} clients",
        props.len(),
        accounts.len()
    );
    Ok(DemoSeed {
        agency,
        api_key,
        slug: DEMO_SLUG.into(),
        clients: ACCOUNTS.iter().map(DemoAccount::client).collect(),
    })
}
