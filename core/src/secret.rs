//! Secrets as newtypes whose `Debug` prints nothing secret.
//!
//! A [`Password`] or a [`RawToken`] may travel through the program, but it can never be printed,
//! logged or serialized by accident: neither implements `Display` or `Serialize`, and `Debug`
//! prints a fixed placeholder. Only the SHA-256 [`TokenHash`] of a token is ever stored.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

/// A password as the client typed it. `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Wraps a password as typed.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }
    /// The password as typed. Use only to hash or check it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The password in Unicode NFKC form: what is hashed and checked, so that the same
    /// password typed on two keyboards verifies the same.
    pub fn normalized(&self) -> Password {
        Password(self.0.nfkc().collect())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<&str> for Password {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// The raw value of a token (link, session, code attempt or API key) as handed to its holder.
///
/// It exists only in memory and in the email or cookie that carries it; `Debug` shows the
/// non-secret type prefix only.
#[derive(Clone, PartialEq, Eq)]
pub struct RawToken(String);

impl RawToken {
    /// Wraps a token string received from outside (it is parsed and checked later).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The token's text, to put into a link, a cookie or an answer shown once.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The SHA-256 of the token: the only form that is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(self.0.as_bytes())
    }
}

impl fmt::Debug for RawToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.0.split_once('_').map(|(p, _)| p).unwrap_or("?");
        write!(f, "RawToken({prefix}_<redacted>)")
    }
}

/// The SHA-256 digest of a token. Equality is constant-time.
// The manual `PartialEq` compares the same bytes that `Hash` hashes, only in constant time, so
// the two agree.
#[allow(clippy::derived_hash_with_manual_eq)]
#[derive(Clone, Copy, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// SHA-256 of the given bytes.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut out = [0u8; 32];
        out.copy_from_slice(&digest);
        Self(out)
    }
    /// SHA-256 over several parts, each prefixed by its length so that parts cannot slide into
    /// each other (used to bind an emailed code to the attempt that asked for it).
    pub fn of_parts(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&hasher.finalize());
        Self(out)
    }
    /// The digest's bytes, for storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    /// Reads a digest back from storage; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
}

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest is not secret, but eight hex digits are plenty to tell two apart.
        write!(f, "TokenHash(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// A stored password hash in PHC string form (`$argon2id$v=19$m=…`).
///
/// Not a secret in the sense of a token, but never printed either: an offline attacker should
/// not get it from a log.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from storage. It is parsed (and its cost bounded) when used.
    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }
    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = self.0.split('$').nth(1).unwrap_or("?");
        write!(f, "PasswordHash(${algorithm}$<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let p = Password::new("correct horse battery staple");
        assert!(!format!("{p:?}").contains("horse"));
        let t = RawToken::new("pses_abcdefSECRET");
        let shown = format!("{t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("pses"));
        let h = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
        assert!(!format!("{h:?}").contains("aGFzaA"));
    }

    #[test]
    fn token_hash_equality_and_parts() {
        assert_eq!(TokenHash::of(b"x"), TokenHash::of(b"x"));
        assert_ne!(TokenHash::of(b"x"), TokenHash::of(b"y"));
        assert_ne!(
            TokenHash::of_parts(&[b"ab", b"c"]),
            TokenHash::of_parts(&[b"a", b"bc"])
        );
        assert!(TokenHash::from_slice(&[0u8; 31]).is_none());
    }

    #[test]
    fn nfkc_normalisation() {
        // U+FB01 LATIN SMALL LIGATURE FI normalises to "fi".
        assert_eq!(Password::new("\u{FB01}").normalized().expose(), "fi");
    }
}
