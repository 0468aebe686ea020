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

    /// A fixed "generator" that hands out given bytes (for the round-trip properties).
    struct Fixed([u8; TOKEN_BYTES]);

    impl Random for Fixed {
        fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
            let n = buf.len().min(TOKEN_BYTES);
            buf[..n].copy_from_slice(&self.0[..n]);
            Ok(())
        }
    }

    proptest::proptest! {
        /// Any 32 bytes make a token that parses back to itself for its kind and is refused
        /// as another kind's.
        #[test]
        fn prop_generated_tokens_round_trip(bytes in proptest::array::uniform32(0u8..), k in 0usize..7) {
            let kind = TokenKind::ALL[k];
            let t = generate(kind, &Fixed(bytes)).unwrap();
            proptest::prop_assert_eq!(t.expose().len(), 5 + TOKEN_BODY_LEN);
            proptest::prop_assert_eq!(parse(kind, t.expose()), Ok(t.clone()));
            let body = &t.expose()[5..];
            let mut back = [0u8; TOKEN_BYTES];
            proptest::prop_assert_eq!(Base64UrlUnpadded::decode(body, &mut back).unwrap(), &bytes[..]);
            for other in TokenKind::ALL.iter().filter(|o| **o != kind) {
                proptest::prop_assert_eq!(parse(*other, t.expose()), Err(TokenFormatError::WrongKind));
            }
        }

        /// Whatever the text, parsing never panics, and accepts only `prefix_` + 43 URL-safe
        /// characters of the right kind.
        #[test]
        fn prop_parse_accepts_only_well_formed(text in ".{0,80}", k in 0usize..7) {
            let kind = TokenKind::ALL[k];
            if let Ok(t) = parse(kind, &text) {
                proptest::prop_assert_eq!(t.expose(), text.as_str());
                let prefix = format!("{}_", kind.prefix());
                proptest::prop_assert!(text.starts_with(&prefix));
                proptest::prop_assert_eq!(text.len(), 5 + TOKEN_BODY_LEN);
            }
        }

        /// Texts shaped like tokens (prefix, underscore, 43 characters of the alphabet) are
        /// accepted exactly when the body is the canonical encoding of 32 bytes.
        #[test]
        fn prop_token_shaped_texts(body in "[A-Za-z0-9_-]{43}", k in 0usize..7) {
            let kind = TokenKind::ALL[k];
            let text = format!("{}_{body}", kind.prefix());
            let mut out = [0u8; TOKEN_BYTES];
            let canonical = Base64UrlUnpadded::decode(&body, &mut out).is_ok();
            proptest::prop_assert_eq!(parse(kind, &text).is_ok(), canonical);
            if canonical {
                proptest::prop_assert_eq!(Base64UrlUnpadded::encode_string(&out), body);
            }
        }

        /// Changing one character of a token either makes it malformed or makes another
        /// token (another hash): never the same one.
        #[test]
        fn prop_one_character_changed(bytes in proptest::array::uniform32(0u8..), at in 0usize..48, c in proptest::char::range('!', '~')) {
            let t = generate(TokenKind::Session, &Fixed(bytes)).unwrap();
            let mut chars: Vec<char> = t.expose().chars().collect();
            proptest::prop_assume!(chars[at] != c);
            chars[at] = c;
            let text: String = chars.into_iter().collect();
            if let Ok(other) = parse(TokenKind::Session, &text) {
                proptest::prop_assert_ne!(other.hash(), t.hash());
            }
        }
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
