//! Opaque tokens: 256 random bits, URL-safe, with a short type prefix.
//!
//! ```text
//!   pinv_Q2xhc3NpYyBleGFtcGxlIG9mIGEgdG9rZW4gYm9keSBoZXJl
//!   └┬─┘ └──────────────── 43 chars: base64url(32 random bytes) ─┘
//!  kind
//! ```
//!
//! The prefix makes a leaked token recognisable (secret scanners, support staff) and lets a
//! token meant for one purpose be refused at once when presented for another. Only the
//! SHA-256 of the whole string is stored ([`RawToken::hash`]).

use crate::Random;
use crate::error::RandomError;
use crate::secret::RawToken;
use base64ct::{Base64UrlUnpadded, Encoding};
use thiserror::Error;

/// Number of random bytes in every token.
pub const TOKEN_BYTES: usize = 32;
/// Length of the encoded random part.
pub const TOKEN_BODY_LEN: usize = 43;

/// What a token is for. Each kind has its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// Invitation (activation) link.
    Invitation,
    /// Password reset link.
    PasswordReset,
    /// Confirmation link sent to a new email address.
    EmailChange,
    /// A client's session (cookie or bearer).
    Session,
    /// A staff member's read-only preview session.
    Preview,
    /// The handle of a sign-in-by-code attempt.
    CodeAttempt,
    /// An agency's admin API key.
    ApiKey,
}

impl TokenKind {
    /// The prefix, without the separating underscore.
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Invitation => "pinv",
            TokenKind::PasswordReset => "prst",
            TokenKind::EmailChange => "pemc",
            TokenKind::Session => "pses",
            TokenKind::Preview => "ppvw",
            TokenKind::CodeAttempt => "pcat",
            TokenKind::ApiKey => "pkey",
        }
    }

    /// Every kind, for exhaustive tests.
    pub const ALL: [TokenKind; 7] = [
        TokenKind::Invitation,
        TokenKind::PasswordReset,
        TokenKind::EmailChange,
        TokenKind::Session,
        TokenKind::Preview,
        TokenKind::CodeAttempt,
        TokenKind::ApiKey,
    ];
}

/// Why a presented token string was refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenFormatError {
    /// Not `prefix_body`, wrong length or characters outside the URL-safe alphabet.
    #[error("the token is malformed")]
    Malformed,
    /// A well-formed token of another kind (for example a session token used as a reset link).
    #[error("the token is of another kind")]
    WrongKind,
}

/// Draws a fresh token of the given kind from the randomness port.
pub fn generate(kind: TokenKind, random: &dyn Random) -> Result<RawToken, RandomError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    random.fill(&mut bytes)?;
    let body = Base64UrlUnpadded::encode_string(&bytes);
    Ok(RawToken::new(format!("{}_{}", kind.prefix(), body)))
}

/// Checks that `text` is a well-formed token of `kind`, without any lookup.
///
/// Bounded work whatever the input: the length is checked before anything else.
pub fn parse(kind: TokenKind, text: &str) -> Result<RawToken, TokenFormatError> {
    let max = 5 + TOKEN_BODY_LEN;
    if text.len() > max + 8 {
        return Err(TokenFormatError::Malformed);
    }
    let (prefix, body) = text.split_once('_').ok_or(TokenFormatError::Malformed)?;
    if body.len() != TOKEN_BODY_LEN
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(TokenFormatError::Malformed);
    }
    // The last character must encode only the bits of a 32-byte value (canonical encoding).
    let mut decoded = [0u8; TOKEN_BYTES];
    match Base64UrlUnpadded::decode(body, &mut decoded) {
        Ok(d) if d.len() == TOKEN_BYTES => {}
        _ => return Err(TokenFormatError::Malformed),
    }
    if prefix != kind.prefix() {
        return if TokenKind::ALL.iter().any(|k| k.prefix() == prefix) {
            Err(TokenFormatError::WrongKind)
        } else {
            Err(TokenFormatError::Malformed)
        };
    }
    Ok(RawToken::new(text))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::TestRandom;

    /// Checklist 13: 256 random bits, URL-safe, typed prefix; a thousand draws never repeat.
    #[test]
    fn checklist_13_tokens_are_256_bits_and_unique() {
        let random = TestRandom::new(11);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let t = generate(TokenKind::PasswordReset, &random).unwrap();
            let body = &t.expose()["prst_".len()..];
            let mut out = [0u8; TOKEN_BYTES];
            assert_eq!(Base64UrlUnpadded::decode(body, &mut out).unwrap().len(), 32);
            assert!(seen.insert(t.expose().to_string()));
        }
    }

    #[test]
    fn generated_tokens_parse_and_differ() {
        let random = TestRandom::new(7);
        let a = generate(TokenKind::Session, &random).unwrap();
        let b = generate(TokenKind::Session, &random).unwrap();
        assert_ne!(a, b);
        assert!(a.expose().starts_with("pses_"));
        assert_eq!(a.expose().len(), 5 + TOKEN_BODY_LEN);
        assert_eq!(parse(TokenKind::Session, a.expose()).unwrap(), a);
    }

    #[test]
    fn wrong_kind_and_malformed_are_refused() {
        let random = TestRandom::new(1);
        let t = generate(TokenKind::Invitation, &random).unwrap();
        assert_eq!(
            parse(TokenKind::PasswordReset, t.expose()),
            Err(TokenFormatError::WrongKind)
        );
        for bad in [
            "",
            "pinv",
            "pinv_",
            "pinv_short",
            "nope_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "pinv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
            "pinv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                parse(TokenKind::Invitation, bad),
                Err(TokenFormatError::Malformed),
                "{bad}"
            );
        }
        let long = "x".repeat(10_000);
        assert_eq!(
            parse(TokenKind::Invitation, &long),
            Err(TokenFormatError::Malformed)
        );
    }

    #[test]
    fn tampering_one_character_changes_the_hash() {
        let random = TestRandom::new(3);
        let t = generate(TokenKind::Invitation, &random).unwrap();
        let mut s = t.expose().to_string();
        let last = s.pop().unwrap();
        s.push(if last == 'A' { 'E' } else { 'A' });
        let tampered = RawToken::new(s);
        assert_ne!(t.hash(), tampered.hash());
    }
}
