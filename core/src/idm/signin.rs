//! Sign-in with username (or email) and password.
//!
//! Every refusal looks the same: unknown user, wrong password, account not activated,
//! disabled, or password disabled after 100 failures all answer [`SignInError::Rejected`] and
//! cost exactly one argon2 verification (a dummy one where there is no real hash), so neither
//! the answer nor its timing tells whether an account exists (checklist 11–12).
//!
//! Throttling ([`crate::idm::softlock`]) is keyed on the *typed* login name, normalised, whether
//! or not an account has it, and on the client address; so a throttled answer tells nothing
//! either. A throttled request is refused before any lookup or hashing.

use crate::hash::Verification;
use crate::idm::softlock::{self, Decision};
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext, SignedIn};
use crate::secret::Password;
use thiserror::Error;
use time::OffsetDateTime;

/// Longest login name looked up (an email address is at most 254 bytes).
pub const MAX_LOGIN_BYTES: usize = 320;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignInError {
    /// Wrong username or password — or any other reason the caller must not learn.
    #[error("the username or password is not correct")]
    Rejected,
    /// Too many failures for this login name or address: try again after `retry_after`.
    #[error("too many attempts; try again later")]
    Throttled {
        /// When a new attempt will be considered.
        retry_after: OffsetDateTime,
    },
    /// Storage or hashing failed; fail closed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

/// Why a failure happened, for the audit log only (never for the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailReason {
    UnknownAccount,
    WrongPassword,
    NotActivated,
    Disabled,
    Locked,
    TooLong,
    BadStoredHash,
}

impl FailReason {
    fn as_str(self) -> &'static str {
        match self {
            FailReason::UnknownAccount => "unknown_account",
            FailReason::WrongPassword => "wrong_password",
            FailReason::NotActivated => "not_activated",
            FailReason::Disabled => "disabled",
            FailReason::Locked => "locked",
            FailReason::TooLong => "input_too_long",
            FailReason::BadStoredHash => "stored_hash_invalid",
        }
    }
}

impl Portal {
    /// The throttle decision for a login name and address, before anything else is done.
    pub(crate) async fn throttle_decision(
        &self,
        agency: AgencyId,
        keys: &[ThrottleKey],
        address: Option<&ThrottleKey>,
        now: OffsetDateTime,
    ) -> Result<Decision, Internal> {
        let mut decision = Decision::Allow;
        for key in keys {
            let state = self.store.throttle(agency, key).await?;
            decision = softlock::combine(
                decision,
                softlock::decide(&self.config.account_throttle, &state, now),
            );
        }
        if let Some(key) = address {
            let state = self.store.throttle(agency, key).await?;
            decision = softlock::combine(
                decision,
                softlock::decide(&self.config.address_throttle, &state, now),
            );
        }
        Ok(decision)
    }

    pub(crate) async fn record_failures(
        &self,
        agency: AgencyId,
        keys: &[ThrottleKey],
        now: OffsetDateTime,
    ) -> Result<(), Internal> {
        for key in keys {
            self.store.record_failure(agency, key, now).await?;
        }
        Ok(())
    }

    /// Signs a client in with username (or email) and password.
    pub async fn sign_in(
        &self,
        agency: AgencyId,
        login: &str,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn, SignInError> {
        let now = self.now();
        let agency = match self.store.agency(agency).await {
            Ok(a) => a,
            Err(crate::error::StoreError::NotFound) => {
                self.hasher
                    .verify_dummy(password)
                    .await
                    .map_err(Internal::from)?;
                return Err(SignInError::Rejected);
            }
            Err(e) => return Err(Internal::from(e).into()),
        };
        let login = if login.len() > MAX_LOGIN_BYTES {
            &login[..login.floor_char_boundary(MAX_LOGIN_BYTES)]
        } else {
            login
        };
        let login_throttle = ThrottleKey::login(login);
        let address_throttle = ctx.address.map(ThrottleKey::address);

        match self
            .throttle_decision(
                agency.id,
                std::slice::from_ref(&login_throttle),
                address_throttle.as_ref(),
                now,
            )
            .await?
        {
            Decision::Allow => {}
            Decision::Wait { until } => {
                self.audit(
                    agency.id,
                    Actor::Anonymous,
                    None,
                    AuditKind::SignInThrottled,
                    ctx,
                    "method=password",
                )
                .await?;
                return Err(SignInError::Throttled { retry_after: until });
            }
            Decision::Locked => {
                // Password disabled until a reset (checklist 8); answered like a wrong
                // password, with the same work.
                let account = self
                    .store
                    .account_by_login(agency.id, &login_key(login))
                    .await
                    .map_err(Internal::from)?;
                return self
                    .fail(
                        &agency,
                        account.map(|a| a.id),
                        password,
                        FailReason::Locked,
                        &[],
                        ctx,
                        now,
                    )
                    .await;
            }
        }

        let mut failure_keys = vec![login_throttle.clone()];
        failure_keys.extend(address_throttle.clone());

        let policy = crate::idm::password::PasswordPolicy::for_agency(&agency.settings);
        if password.expose().len() > policy.max_bytes {
            return self
                .fail(
                    &agency,
                    None,
                    password,
                    FailReason::TooLong,
                    &failure_keys,
                    ctx,
                    now,
                )
                .await;
        }
        let password = password.normalized();
        let account = self
            .store
            .account_by_login(agency.id, &login_key(login))
            .await
            .map_err(Internal::from)?;
        let Some(account) = account else {
            return self
                .fail(
                    &agency,
                    None,
                    &password,
                    FailReason::UnknownAccount,
                    &failure_keys,
                    ctx,
                    now,
                )
                .await;
        };
        let reason = match (account.status, &account.password_hash) {
            (AccountStatus::Disabled, _) => Some(FailReason::Disabled),
            (_, None) | (AccountStatus::Invited, _) => Some(FailReason::NotActivated),
            (AccountStatus::Active, Some(_)) => None,
        };
        if let Some(reason) = reason {
            return self
                .fail(
                    &agency,
                    Some(account.id),
                    &password,
                    reason,
                    &failure_keys,
                    ctx,
                    now,
                )
                .await;
        }
        let Some(stored) = account.password_hash.clone() else {
            return Err(SignInError::Rejected);
        };
        match self.hasher.verify(&password, &stored).await {
            Ok(Verification::Match { needs_rehash }) => {
                if needs_rehash {
                    // Best effort: a failed rehash must not fail the sign-in.
                    if let Ok(h) = self.hasher.hash(&password).await
                        && let Err(e) = self
                            .store
                            .set_password_hash(agency.id, account.id, &h)
                            .await
                    {
                        tracing::warn!(agency = %agency.id, account = %account.id, error = %e, "rehash not stored");
                    }
                }
                self.succeed(
                    &agency,
                    account,
                    &login_throttle,
                    ctx,
                    now,
                    "method=password",
                )
                .await
            }
            Ok(Verification::Mismatch) => {
                self.record_failures(agency.id, &failure_keys, now).await?;
                self.audit(
                    agency.id,
                    Actor::Anonymous,
                    Some(account.id),
                    AuditKind::SignInFailed,
                    ctx,
                    &format!(
                        "method=password reason={}",
                        FailReason::WrongPassword.as_str()
                    ),
                )
                .await?;
                Err(SignInError::Rejected)
            }
            Err(crate::error::HashError::InvalidHash) => {
                // A corrupt or hostile stored hash: fail closed, found before any hashing;
                // do the dummy work so the timing stays the same.
                tracing::warn!(agency = %agency.id, account = %account.id, "stored password hash refused");
                self.fail(
                    &agency,
                    Some(account.id),
                    &password,
                    FailReason::BadStoredHash,
                    &failure_keys,
                    ctx,
                    now,
                )
                .await
            }
            Err(e) => Err(Internal::from(e).into()),
        }
    }

    /// The one refusal: one dummy verification, failure counters, an audit record.
    #[allow(clippy::too_many_arguments)]
    async fn fail(
        &self,
        agency: &Agency,
        account: Option<AccountId>,
        password: &Password,
        reason: FailReason,
        failure_keys: &[ThrottleKey],
        ctx: &RequestContext,
        now: OffsetDateTime,
    ) -> Result<SignedIn, SignInError> {
        self.hasher
            .verify_dummy(password)
            .await
            .map_err(Internal::from)?;
        self.record_failures(agency.id, failure_keys, now).await?;
        self.audit(
            agency.id,
            Actor::Anonymous,
            account,
            AuditKind::SignInFailed,
            ctx,
            &format!("method=password reason={}", reason.as_str()),
        )
        .await?;
        Err(SignInError::Rejected)
    }

    /// A new session after a successful sign-in; clears the login's failure counters.
    pub(crate) async fn succeed(
        &self,
        agency: &Agency,
        account: Account,
        typed: &ThrottleKey,
        ctx: &RequestContext,
        now: OffsetDateTime,
        detail: &str,
    ) -> Result<SignedIn, SignInError> {
        for key in [
            typed.clone(),
            ThrottleKey::login(&account.username),
            ThrottleKey::login(&account.email),
        ] {
            self.store
                .clear_throttle(agency.id, &key)
                .await
                .map_err(Internal::from)?;
        }
        // The address counter is not cleared: an attacker signing in to their own account
        // between guesses must not reset the limit on the address they spray from.
        let (raw, session) = self
            .new_session(agency, account.id, SessionKind::Client, now, ctx)
            .map_err(Internal::from)?;
        let audit = self
            .audit_event(
                agency.id,
                now,
                Actor::Client {
                    account: account.id,
                },
                Some(account.id),
                AuditKind::SignInSucceeded,
                ctx,
                detail,
            )
            .map_err(Internal::from)?;
        self.store
            .insert_session(&session, Some(&audit))
            .await
            .map_err(Internal::from)?;
        Ok(SignedIn {
            token: raw,
            session,
            account,
        })
    }
}
