//! Sign-in with a code sent by email (purchaser portals).
//!
//! ```text
//!  request_code(email) ──► CodeChallenge { attempt handle }   (same shape for unknown emails)
//!        │                         │ kept by the browser that asked
//!        ▼                         ▼
//!   email: 6 digits ──► verify_code(attempt, digits) ──► session
//! ```
//!
//! The code is bound to the attempt that asked for it: only its hash over (attempt handle,
//! code) is stored, so a leaked database does not reveal live codes and a code typed into
//! another browser is useless. Six digits from the CSPRNG, ten minutes, at most five tries
//! counted *before* each check, then the code is dead; a new code kills the old one; each
//! wrong code also counts toward the account's failure counter (checklist 21).
//!
//! An agency setting, off by default: email is not an authentication factor under
//! SP 800-63B-4 (see docs/SECURITY.md for the accepted deviation).

use crate::idm::softlock::Decision;
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext, SignedIn};
use crate::secret::{RawToken, TokenHash};
use crate::store::{CredentialChange, EndSessions};
use crate::token::{self, TokenKind};
use thiserror::Error;
use time::OffsetDateTime;

/// The handle of a sign-in-by-code attempt, to keep (cookie or form field) until the code is
/// entered. The same for unknown addresses.
#[derive(Debug, Clone)]
pub struct CodeChallenge {
    /// The attempt handle (`pcat_…`).
    pub attempt: RawToken,
    /// When the code (if one was sent) dies.
    pub expires_at: OffsetDateTime,
}

/// Why a code request or check was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CodeError {
    /// The agency does not allow sign-in by code.
    #[error("sign-in by emailed code is not enabled")]
    Disabled,
    /// Wrong, expired, used or unknown code, or too many tries — the caller must not learn
    /// which.
    #[error("the code is not correct or has expired; ask for a new code")]
    Rejected,
    /// Too many failures; try again after `retry_after`.
    #[error("too many attempts; try again later")]
    Throttled {
        /// When a new attempt will be considered.
        retry_after: OffsetDateTime,
    },
    /// Storage or randomness failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<crate::error::StoreError> for CodeError {
    fn from(e: crate::error::StoreError) -> Self {
        CodeError::Internal(e.into())
    }
}

fn code_hash(attempt: &RawToken, code: &str) -> TokenHash {
    TokenHash::of_parts(&[
        b"portico-code-v1",
        attempt.expose().as_bytes(),
        code.as_bytes(),
    ])
}

impl Portal {
    /// Asks for a sign-in code for `email`. Answers a challenge whatever the address: a code
    /// is emailed only to an existing, not disabled account, within the email rate limits.
    pub async fn request_code(
        &self,
        agency: AgencyId,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<CodeChallenge, CodeError> {
        let now = self.now();
        let agency = match self.store.agency(agency).await {
            Ok(a) => a,
            Err(crate::error::StoreError::NotFound) => return Err(CodeError::Disabled),
            Err(e) => return Err(e.into()),
        };
        if !agency.settings.email_code_sign_in {
            return Err(CodeError::Disabled);
        }
        let attempt = token::generate(TokenKind::CodeAttempt, self.random.as_ref())
            .map_err(Internal::from)?;
        let expires_at = now + self.config.code_lifetime;
        let challenge = CodeChallenge {
            attempt: attempt.clone(),
            expires_at,
        };
        let address_ok = self.address_mail_allowed(agency.id, ctx, now).await?;
        let email = &email
            [..email.floor_char_boundary(crate::idm::signin::MAX_LOGIN_BYTES.min(email.len()))];
        let account = self
            .store
            .account_by_login(agency.id, &login_key(email))
            .await?
            .filter(|a| a.email_key == login_key(email) && a.status != AccountStatus::Disabled);
        let Some(account) = account else {
            // The same reads and the same write as for an existing account (issue 9).
            self.code_mail_allowed(&agency, self.decoy_account()?, now)
                .await?;
            self.decoy_code(&agency, &attempt, now).await?;
            self.audit(
                agency.id,
                Actor::Anonymous,
                None,
                AuditKind::CodeSent,
                ctx,
                "unknown account: no email sent",
            )
            .await?;
            return Ok(challenge);
        };
        if !address_ok || !self.code_mail_allowed(&agency, account.id, now).await? {
            tracing::info!(agency = %agency.id, "code email dropped by rate limit");
            self.decoy_code(&agency, &attempt, now).await?;
            return Ok(challenge);
        }
        let digits = self
            .random
            .digits(self.config.code_digits)
            .map_err(Internal::from)?;
        let code = EmailCode {
            id: CodeId::from_random_bytes(self.random.bytes16().map_err(Internal::from)?),
            agency: agency.id,
            account: account.id,
            attempt_hash: attempt.hash(),
            code_hash: code_hash(&attempt, &digits),
            created_at: now,
            expires_at,
            attempts: 0,
            used_at: None,
            revoked_at: None,
        };
        let mail = self
            .outbox_message(
                agency.id,
                now,
                &account.email,
                MailContent::SignInCode {
                    recipient_name: account.display_name.clone(),
                    code: digits,
                    expires_at,
                },
            )
            .map_err(Internal::from)?;
        let audit = self
            .audit_event(
                agency.id,
                now,
                Actor::Anonymous,
                Some(account.id),
                AuditKind::CodeSent,
                ctx,
                &format!("code {} expires {expires_at}", code.id),
            )
            .map_err(Internal::from)?;
        self.store.issue_code(&code, &mail, &audit).await?;
        self.mail_queued();
        Ok(challenge)
    }

    /// The write of issuing a code, for a request that sends nothing (unknown or
    /// rate-limited account), so that its timing does not tell it apart (issue 9): the same
    /// records handed to `issue_code` for an account that does not exist, which every store
    /// refuses (`NotFound`) without keeping anything.
    async fn decoy_code(
        &self,
        agency: &Agency,
        attempt: &RawToken,
        now: OffsetDateTime,
    ) -> Result<(), Internal> {
        let account = self.decoy_account()?;
        let digits = self.random.digits(self.config.code_digits)?;
        let expires_at = now + self.config.code_lifetime;
        let code = EmailCode {
            id: CodeId::from_random_bytes(self.random.bytes16()?),
            agency: agency.id,
            account,
            attempt_hash: attempt.hash(),
            code_hash: code_hash(attempt, &digits),
            created_at: now,
            expires_at,
            attempts: 0,
            used_at: None,
            revoked_at: None,
        };
        let mail = self.outbox_message(
            agency.id,
            now,
            "decoy@invalid",
            MailContent::SignInCode {
                recipient_name: String::new(),
                code: digits,
                expires_at,
            },
        )?;
        let audit = self.audit_event(
            agency.id,
            now,
            Actor::Anonymous,
            Some(account),
            AuditKind::CodeSent,
            &RequestContext::default(),
            "decoy",
        )?;
        match self.store.issue_code(&code, &mail, &audit).await {
            Err(crate::error::StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
            Ok(()) => {
                tracing::error!(agency = %agency.id, "a store accepted a code for no account");
                Ok(())
            }
        }
    }

    async fn code_mail_allowed(
        &self,
        agency: &Agency,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<bool, Internal> {
        // Codes are counted through the audit log of the last hour.
        let q = AuditQuery {
            account: Some(account),
            kind: Some(AuditKind::CodeSent),
            from: Some(now - time::Duration::hours(1)),
            until: None,
            offset: 0,
            limit: 100,
        };
        let sent = self.store.audit(agency.id, &q).await?.len();
        Ok(sent < self.config.emails_per_account_per_hour)
    }

    /// Checks a code against the attempt that asked for it and, if right, signs in. A first
    /// sign-in by code activates an invited account (the code proves the address).
    pub async fn verify_code(
        &self,
        agency: AgencyId,
        attempt: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<SignedIn, CodeError> {
        let now = self.now();
        let agency = match self.store.agency(agency).await {
            Ok(a) => a,
            Err(crate::error::StoreError::NotFound) => return Err(CodeError::Rejected),
            Err(e) => return Err(e.into()),
        };
        if !agency.settings.email_code_sign_in {
            return Err(CodeError::Disabled);
        }
        let address_key = ctx.address.map(ThrottleKey::address);
        if let Decision::Wait { until } = self
            .throttle_decision(agency.id, &[], address_key.as_ref(), now)
            .await?
        {
            return Err(CodeError::Throttled { retry_after: until });
        }
        let Ok(attempt) = token::parse(TokenKind::CodeAttempt, attempt) else {
            self.record_failures(agency.id, address_key.as_slice(), now)
                .await?;
            return Err(CodeError::Rejected);
        };
        // The try is counted before the code is looked at.
        let Some(record) = self
            .store
            .count_code_attempt(agency.id, &attempt.hash(), now)
            .await?
        else {
            self.record_failures(agency.id, address_key.as_slice(), now)
                .await?;
            return Err(CodeError::Rejected);
        };
        let account = self.store.account(agency.id, record.account).await?;
        let account_key = ThrottleKey::login(&account.email);
        let mut failure_keys = vec![account_key.clone()];
        failure_keys.extend(address_key.clone());
        let fail = |detail: &'static str| async move {
            self.record_failures(agency.id, &failure_keys, now).await?;
            if record.attempts >= self.config.code_max_attempts {
                self.store.revoke_code(agency.id, record.id, now).await?;
            }
            self.audit(
                agency.id,
                Actor::Anonymous,
                Some(record.account),
                AuditKind::SignInFailed,
                ctx,
                detail,
            )
            .await?;
            Err::<SignedIn, CodeError>(CodeError::Rejected)
        };
        if record.attempts > self.config.code_max_attempts {
            return fail("method=code reason=too_many_tries").await;
        }
        if self
            .throttle_decision(agency.id, std::slice::from_ref(&account_key), None, now)
            .await?
            != Decision::Allow
        {
            return fail("method=code reason=locked").await;
        }
        let well_formed =
            code.len() == self.config.code_digits && code.bytes().all(|b| b.is_ascii_digit());
        if !well_formed || code_hash(&attempt, code) != record.code_hash {
            return fail("method=code reason=wrong_code").await;
        }
        if account.status == AccountStatus::Disabled {
            return fail("method=code reason=disabled").await;
        }
        let (raw, session) = self
            .new_session(&agency, account.id, SessionKind::Client, now, ctx)
            .map_err(Internal::from)?;
        let mut change = CredentialChange::new(agency.id, account.id, now);
        if account.status == AccountStatus::Invited {
            change.status = Some(AccountStatus::Active);
        }
        change.end_sessions = EndSessions::None;
        change.clear_throttle = vec![account_key, ThrottleKey::login(&account.username)];
        change.new_session = Some(session.clone());
        change.audit.push(
            self.audit_event(
                agency.id,
                now,
                Actor::Client {
                    account: account.id,
                },
                Some(account.id),
                AuditKind::SignInSucceeded,
                ctx,
                "method=code",
            )
            .map_err(Internal::from)?,
        );
        if !self
            .store
            .redeem_code(agency.id, record.id, self.config.code_max_attempts, &change)
            .await?
        {
            return Err(CodeError::Rejected);
        }
        let mut account = account;
        if account.status == AccountStatus::Invited {
            account.status = AccountStatus::Active;
            account.activated_at.get_or_insert(now);
        }
        Ok(SignedIn {
            token: raw,
            session,
            account,
        })
    }
}
