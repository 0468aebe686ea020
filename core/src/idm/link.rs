//! What every single-use link shares: parsing, lookup, state, issue and redemption.
//!
//! Opening a link (a GET, or a mail scanner following it) only [`inspects`](Portal::inspect_link)
//! it; only submitting the form redeems it, atomically and once.

use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal};
use crate::secret::RawToken;
use crate::store::CredentialChange;
use crate::token::{self, TokenKind};
use thiserror::Error;
use time::OffsetDateTime;

/// Why a link was refused. Each case has its own page ("ask for a new link").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Unknown, tampered, malformed, or of another purpose or agency.
    #[error("this link is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("this link has expired")]
    Expired,
    /// Already used.
    #[error("this link has already been used")]
    Used,
    /// A newer link was sent; only the newest works.
    #[error("a newer link has been sent; use the latest email")]
    Superseded,
    /// Revoked by staff or by a change of the account.
    #[error("this link has been withdrawn")]
    Revoked,
}

impl LinkError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Invalid => "link_invalid",
            LinkError::Expired => "link_expired",
            LinkError::Used => "link_used",
            LinkError::Superseded => "link_superseded",
            LinkError::Revoked => "link_revoked",
        }
    }
}

/// What a valid link's landing page may show (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// The link's id.
    pub id: LinkId,
    /// Its purpose.
    pub purpose: LinkPurpose,
    /// The account's display name ("Welcome, Ann").
    pub display_name: String,
    /// The account's username (shown so the client knows what to sign in with).
    pub username: String,
    /// When the link dies.
    pub expires_at: OffsetDateTime,
}

pub(crate) fn token_kind(purpose: LinkPurpose) -> TokenKind {
    match purpose {
        LinkPurpose::Invitation => TokenKind::Invitation,
        LinkPurpose::PasswordReset => TokenKind::PasswordReset,
        LinkPurpose::EmailChange => TokenKind::EmailChange,
    }
}

pub(crate) fn state_error(state: LinkState) -> Option<LinkError> {
    match state {
        LinkState::Pending => None,
        LinkState::Used => Some(LinkError::Used),
        LinkState::Expired => Some(LinkError::Expired),
        LinkState::Superseded => Some(LinkError::Superseded),
        LinkState::Revoked => Some(LinkError::Revoked),
    }
}

/// A freshly issued link: its record and raw token (which goes only into the email).
pub(crate) struct Issued {
    pub link: LinkToken,
    pub raw: RawToken,
}

/// Either a refusal of the link or a failure underneath.
#[derive(Debug)]
pub(crate) enum Found {
    Refused(LinkError),
    Failed(Internal),
}

impl From<Internal> for Found {
    fn from(e: Internal) -> Self {
        Found::Failed(e)
    }
}

impl Portal {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_link(
        &self,
        agency: AgencyId,
        account: AccountId,
        purpose: LinkPurpose,
        now: OffsetDateTime,
        lifetime: time::Duration,
        created_by: Actor,
        new_email: Option<String>,
    ) -> Result<Issued, Internal> {
        let raw = token::generate(token_kind(purpose), self.random.as_ref())?;
        let link = LinkToken {
            id: LinkId::from_random_bytes(self.random.bytes16()?),
            agency,
            account,
            purpose,
            hash: raw.hash(),
            created_at: now,
            expires_at: now + lifetime,
            used_at: None,
            revoked_at: None,
            revocation: None,
            created_by,
            new_email,
        };
        Ok(Issued { link, raw })
    }

    /// Finds the live link of `purpose` behind `raw` in `agency`, or says why not.
    pub(crate) async fn find_live_link(
        &self,
        agency: AgencyId,
        purpose: LinkPurpose,
        raw: &str,
        now: OffsetDateTime,
    ) -> Result<LinkToken, Found> {
        let token = token::parse(token_kind(purpose), raw)
            .map_err(|_| Found::Refused(LinkError::Invalid))?;
        let link = self
            .store
            .link_by_hash(agency, &token.hash())
            .await
            .map_err(|e| Found::Failed(e.into()))?
            .ok_or(Found::Refused(LinkError::Invalid))?;
        // Defence in depth: the store matched the hash; the record must also be of this
        // agency and purpose, and the hash must match in constant time.
        if link.agency != agency || link.purpose != purpose || link.hash != token.hash() {
            return Err(Found::Refused(LinkError::Invalid));
        }
        match state_error(link.state(now)) {
            Some(e) => Err(Found::Refused(e)),
            None => Ok(link),
        }
    }

    /// Checks a link without using it (the landing page of an emailed link). Safe for mail
    /// scanners: a read never consumes.
    pub async fn inspect_link(
        &self,
        agency: AgencyId,
        purpose: LinkPurpose,
        raw: &str,
    ) -> Result<LinkInfo, InspectError> {
        let now = self.now();
        let link = match self.find_live_link(agency, purpose, raw, now).await {
            Ok(l) => l,
            Err(Found::Refused(e)) => return Err(InspectError::Link(e)),
            Err(Found::Failed(e)) => return Err(InspectError::Internal(e)),
        };
        let account = self
            .store
            .account(agency, link.account)
            .await
            .map_err(|e| InspectError::Internal(e.into()))?;
        Ok(LinkInfo {
            id: link.id,
            purpose,
            display_name: account.display_name,
            username: account.username,
            expires_at: link.expires_at,
        })
    }

    /// Redeems `link` with `change`; when the atomic guard fails (a concurrent redemption won,
    /// or the link died meanwhile) reads it again to say why.
    pub(crate) async fn redeem(
        &self,
        link: &LinkToken,
        change: &CredentialChange,
    ) -> Result<(), Found> {
        let won = self
            .store
            .redeem_link(link.agency, link.id, change)
            .await
            .map_err(|e| Found::Failed(e.into()))?;
        if won {
            return Ok(());
        }
        let now_state = self
            .store
            .link(link.agency, link.id)
            .await
            .map_err(|e| Found::Failed(e.into()))?
            .state(change.at);
        Err(Found::Refused(
            state_error(now_state).unwrap_or(LinkError::Used),
        ))
    }
}

/// Why a link could not be inspected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The link is refused.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Storage failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}
