//! Failures as HTTP answers: a status, a stable machine code and a human message. Core's typed
//! errors map onto them here; `Internal` answers 503 (storage unavailable) or 500, generically,
//! and is logged — never shown.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use portico_core::idm::account::AccountError;
use portico_core::idm::agency::AgencyError;
use portico_core::idm::api_key::ApiKeyError;
use portico_core::idm::code::CodeError;
use portico_core::idm::credentials::CredentialError;
use portico_core::idm::invitation::{ActivationError, InvitationError};
use portico_core::idm::link::{InspectError, LinkError};
use portico_core::idm::password::PasswordPolicyError;
use portico_core::idm::reset::ResetError;
use portico_core::idm::session::SessionError;
use portico_core::idm::signin::SignInError;
use portico_core::{Internal, StoreError};
use time::OffsetDateTime;

/// A refusal or failure, as told to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Seconds, for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
    /// Whether to add `WWW-Authenticate: Bearer` (admin 401).
    pub bearer: bool,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
            bearer: false,
        }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing was found here.",
        )
    }

    pub(crate) fn bad_request(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "You are not signed in, or your session has ended. Please sign in.",
        )
    }

    pub(crate) fn forbidden_origin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "This request did not come from this portal's own pages.",
        )
    }

    pub(crate) fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "This form has expired. Please go back, reload the page and try again.",
        )
    }

    pub(crate) fn read_only() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "read_only",
            "A preview cannot change anything.",
        )
    }

    pub(crate) fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "The request is too large.",
        )
    }

    pub(crate) fn rate_limited(seconds: u64) -> Self {
        let mut f = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests. Please wait a moment and try again.",
        );
        f.retry_after = Some(seconds.max(1));
        f
    }

    pub(crate) fn throttled(retry_after: OffsetDateTime, now: OffsetDateTime) -> Self {
        let secs = (retry_after - now).whole_seconds().max(0) as u64 + 1;
        let mut f = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "Too many attempts. Please wait a moment and try again.",
        );
        f.retry_after = Some(secs);
        f
    }

    /// The generic answer to a failure underneath; the detail goes to the log only.
    pub(crate) fn internal(e: &Internal) -> Self {
        match e {
            Internal::Store(StoreError::Unavailable(_)) => {
                tracing::warn!(error = %e, "storage unavailable");
                let mut f = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The service is unavailable for a moment. Please try again shortly.",
                );
                f.retry_after = Some(5);
                f
            }
            other => {
                tracing::error!(error = %other, "internal failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on our side. Please try again later.",
                )
            }
        }
    }

    pub(crate) fn password(e: &PasswordPolicyError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("password_{}", e.reason_code()),
            e.to_string(),
        )
    }

    pub(crate) fn link(e: LinkError) -> Self {
        let status = match e {
            LinkError::Invalid => StatusCode::BAD_REQUEST,
            _ => StatusCode::GONE,
        };
        Self::new(status, e.code(), e.to_string())
    }

    fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// The JSON answer `{"error": {"code": …, "message": …}}`.
    pub(crate) fn json(&self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        });
        let mut r = json_response(self.status, &body);
        self.decorate(&mut r);
        r
    }

    pub(crate) fn decorate(&self, r: &mut Response) {
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.bearer {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico-admin\""),
            );
        }
    }
}

/// A failure answered as JSON (client and admin API).
#[derive(Debug)]
pub(crate) struct ApiFailure(pub Failure);

impl<E: Into<Failure>> From<E> for ApiFailure {
    fn from(e: E) -> Self {
        ApiFailure(e.into())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        self.0.json()
    }
}

impl From<Internal> for Failure {
    fn from(e: Internal) -> Self {
        Failure::internal(&e)
    }
}

impl From<SessionError> for Failure {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Invalid | SessionError::Expired => Failure::unauthenticated(),
            SessionError::ReadOnly => Failure::read_only(),
            SessionError::NotFound => Failure::new(
                StatusCode::NOT_FOUND,
                "session_not_found",
                "No such session.",
            ),
            SessionError::Internal(i) => Failure::internal(&i),
            _ => Failure::internal(&Internal::Store(StoreError::Other("unknown".into()))),
        }
    }
}

fn unknown() -> Failure {
    Failure::internal(&Internal::Store(StoreError::Other(
        "unclassified core error".into(),
    )))
}

impl From<AgencyError> for Failure {
    fn from(e: AgencyError) -> Self {
        match e {
            AgencyError::InvalidSlug => Failure::unprocessable("invalid_slug", e.to_string()),
            AgencyError::InvalidName => Failure::unprocessable("invalid_name", e.to_string()),
            AgencyError::SlugTaken => Failure::conflict("slug_taken", e.to_string()),
            AgencyError::NotFound => Failure::not_found(),
            AgencyError::Settings(s) => Failure::unprocessable("invalid_setting", s.to_string()),
            AgencyError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        let m = e.to_string();
        match e {
            AccountError::InvalidEmail => Failure::unprocessable("invalid_email", m),
            AccountError::InvalidUsername => Failure::unprocessable("invalid_username", m),
            AccountError::InvalidName => Failure::unprocessable("invalid_name", m),
            AccountError::Taken => Failure::conflict("login_taken", m),
            AccountError::ContactLinkedElsewhere => {
                Failure::conflict("contact_linked_elsewhere", m)
            }
            AccountError::ConfirmationMismatch => {
                Failure::unprocessable("confirmation_mismatch", m)
            }
            AccountError::NotFound => Failure::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No such account.",
            ),
            AccountError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<InvitationError> for Failure {
    fn from(e: InvitationError) -> Self {
        let m = e.to_string();
        match e {
            InvitationError::NotFound => Failure::new(StatusCode::NOT_FOUND, "not_found", m),
            InvitationError::AlreadyActive => Failure::conflict("already_active", m),
            InvitationError::AccountDisabled => Failure::conflict("account_disabled", m),
            InvitationError::NotPending => Failure::conflict("not_pending", m),
            InvitationError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<ActivationError> for Failure {
    fn from(e: ActivationError) -> Self {
        match e {
            ActivationError::Link(l) => Failure::link(l),
            ActivationError::Password(p) => Failure::password(&p),
            ActivationError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<InspectError> for Failure {
    fn from(e: InspectError) -> Self {
        match e {
            InspectError::Link(l) => Failure::link(l),
            InspectError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<ResetError> for Failure {
    fn from(e: ResetError) -> Self {
        let m = e.to_string();
        match e {
            ResetError::Link(l) => Failure::link(l),
            ResetError::Password(p) => Failure::password(&p),
            ResetError::NotFound => Failure::new(
                StatusCode::NOT_FOUND,
                "account_not_found",
                "No such account.",
            ),
            ResetError::AccountDisabled => Failure::conflict("account_disabled", m),
            ResetError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<CredentialError> for Failure {
    fn from(e: CredentialError) -> Self {
        let m = e.to_string();
        match e {
            CredentialError::WrongPassword => {
                Failure::new(StatusCode::FORBIDDEN, "wrong_password", m)
            }
            CredentialError::Throttled => {
                let mut f = Failure::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", m);
                f.retry_after = Some(60);
                f
            }
            CredentialError::Password(p) => Failure::password(&p),
            CredentialError::EmailUnavailable => Failure::unprocessable("email_unavailable", m),
            CredentialError::ReadOnly => Failure::read_only(),
            CredentialError::Link(l) => Failure::link(l),
            CredentialError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

impl From<ApiKeyError> for Failure {
    fn from(e: ApiKeyError) -> Self {
        let m = e.to_string();
        match e {
            ApiKeyError::Invalid => {
                let mut f = Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_api_key",
                    "A valid API key is needed: Authorization: Bearer pkey_…",
                );
                f.bearer = true;
                f
            }
            ApiKeyError::InvalidName => Failure::unprocessable("invalid_name", m),
            ApiKeyError::InvalidExpiry => Failure::unprocessable("invalid_expiry", m),
            ApiKeyError::NotFound => {
                Failure::new(StatusCode::NOT_FOUND, "api_key_not_found", "No such key.")
            }
            ApiKeyError::Internal(i) => Failure::internal(&i),
            _ => unknown(),
        }
    }
}

/// Sign-in and code errors need the time (for `Retry-After`): map them with these.
pub(crate) fn sign_in_failure(e: SignInError, now: OffsetDateTime) -> Failure {
    match e {
        SignInError::Rejected => Failure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The username or password is not correct.",
        ),
        SignInError::Throttled { retry_after } => Failure::throttled(retry_after, now),
        SignInError::Internal(i) => Failure::internal(&i),
        _ => unknown(),
    }
}

pub(crate) fn code_failure(e: CodeError, now: OffsetDateTime) -> Failure {
    match e {
        CodeError::Disabled => Failure::new(
            StatusCode::NOT_FOUND,
            "code_sign_in_disabled",
            "Sign-in with an emailed code is not available here.",
        ),
        CodeError::Rejected => Failure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "The code is not correct or has expired. Please ask for a new code.",
        ),
        CodeError::Throttled { retry_after } => Failure::throttled(retry_after, now),
        CodeError::Internal(i) => Failure::internal(&i),
        _ => unknown(),
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, v: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

// ---------------------------------------------------------------------------------------------
// access (issue 3)

use portico_core::access::AccessError;
use portico_core::access::grant::GrantError;
use portico_core::access::group::GroupError;
use portico_core::access::preview::PreviewError;
use portico_core::host::HostError;

fn store_failure(e: StoreError) -> Failure {
    Failure::internal(&Internal::Store(e))
}

fn random_failure(e: portico_core::RandomError) -> Failure {
    Failure::internal(&Internal::Random(e))
}

impl From<AccessError> for Failure {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotFound => Failure::not_found(),
            AccessError::Denied(reason) => {
                tracing::info!(reason = ?reason, "access denied");
                Failure::new(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    "You do not have access to this.",
                )
            }
            AccessError::ReadOnly => Failure::read_only(),
            AccessError::Invalid { field, reason } => {
                Failure::unprocessable("invalid_field", format!("`{field}` is not valid: {reason}"))
            }
            AccessError::Conflict(_) => {
                Failure::conflict("conflict", "This conflicts with an existing record.")
            }
            AccessError::Host(HostError::NotFound) => Failure::not_found(),
            AccessError::Host(h) => {
                tracing::warn!(error = %h, "host data unavailable");
                let mut f = Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "host_unavailable",
                    "This information cannot be fetched right now. Please try again later.",
                );
                f.retry_after = Some(30);
                f
            }
            AccessError::Store(s) => store_failure(s),
            AccessError::Random(r) => random_failure(r),
            _ => unknown(),
        }
    }
}

impl From<GrantError> for Failure {
    fn from(e: GrantError) -> Self {
        let m = e.to_string();
        match e {
            GrantError::NotFound => Failure::new(StatusCode::NOT_FOUND, "grant_not_found", m),
            GrantError::PropertyNotFound => {
                Failure::new(StatusCode::NOT_FOUND, "property_not_found", m)
            }
            GrantError::SubjectNotFound => {
                Failure::new(StatusCode::NOT_FOUND, "subject_not_found", m)
            }
            GrantError::UnknownWidget(_) => Failure::unprocessable("unknown_widget", m),
            GrantError::EmptyWindow => Failure::unprocessable("empty_window", m),
            GrantError::Store(s) => store_failure(s),
            GrantError::Random(r) => random_failure(r),
            _ => unknown(),
        }
    }
}

impl From<GroupError> for Failure {
    fn from(e: GroupError) -> Self {
        let m = e.to_string();
        match e {
            GroupError::NotFound => Failure::new(StatusCode::NOT_FOUND, "group_not_found", m),
            GroupError::ParentNotFound => {
                Failure::new(StatusCode::NOT_FOUND, "parent_not_found", m)
            }
            GroupError::AccountNotFound => {
                Failure::new(StatusCode::NOT_FOUND, "account_not_found", m)
            }
            GroupError::Cycle { .. } => Failure::conflict("group_cycle", m),
            GroupError::HasSubgroups => Failure::conflict("group_has_subgroups", m),
            GroupError::NameTaken => Failure::conflict("group_name_taken", m),
            GroupError::InvalidName => Failure::unprocessable("invalid_name", m),
            GroupError::Store(s) => store_failure(s),
            GroupError::Random(r) => random_failure(r),
            _ => unknown(),
        }
    }
}

impl From<PreviewError> for Failure {
    fn from(e: PreviewError) -> Self {
        let m = e.to_string();
        match e {
            PreviewError::AccountNotFound => {
                Failure::new(StatusCode::NOT_FOUND, "account_not_found", m)
            }
            PreviewError::AccountDisabled => Failure::conflict("account_disabled", m),
            PreviewError::Store(s) => store_failure(s),
            PreviewError::Random(r) => random_failure(r),
            _ => unknown(),
        }
    }
}
