//! The password policy, after NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 §6.2
//! (security checklist items 1–4).
//!
//! A password is checked in its Unicode NFKC form (the form that is hashed), its length counted
//! in Unicode scalar values. Any character is allowed — spaces, punctuation, emoji, any script —
//! and there are no composition rules ("one digit, one capital…"). A password is refused only
//! when it is:
//!
//! - shorter than the minimum ([`PasswordPolicyError::TooShort`], item 1);
//! - longer than the maximum, in characters or in bytes ([`PasswordPolicyError::TooLong`],
//!   item 2): it is *refused*, never truncated, so that `p` and `p + "x"` never both verify;
//! - one of the most common passwords, compared case-insensitively, with and without its
//!   spaces ([`PasswordPolicyError::Common`], item 4);
//! - built around a context word: the username, the email address or its local part, or the
//!   agency's name ([`PasswordPolicyError::ContainsPersonalInfo`], item 4);
//! - too repetitive: fewer than 4 distinct characters, or one shorter sequence repeated
//!   ([`PasswordPolicyError::Repetitive`]).
//!
//! # Where the blocklist comes from
//!
//! `core/data/common-passwords.txt` holds the first 10,000 distinct entries (lower-cased, in
//! rank order) of the `passwords` frequency list shipped in the PyPI package `zxcvbn` 4.5.0
//! (`zxcvbn/frequency_lists.py`; zxcvbn-python by Daniel Wolf, MIT licence, "Copyright (c) 2016
//! Daniel Wolf"). That list is the one of Dropbox's zxcvbn (MIT licence, "Copyright (c) 2012-2016
//! Dan Wheeler and Dropbox, Inc."), which ranked the passwords of Mark Burnett's corpus of
//! 10 million leaked passwords (xato.net, released into the public domain). Under the MIT
//! licence the copyright notices above are kept with the data; the data file itself carries
//! nothing but the passwords, one a line.

use crate::model::AgencySettings;
use crate::secret::Password;
use std::collections::HashSet;
use std::sync::LazyLock;
use thiserror::Error;

/// The common-password blocklist: one lower-cased password a line.
const COMMON_PASSWORDS_TXT: &str = include_str!("../../data/common-passwords.txt");

/// The blocklist as a set, built on first use.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    COMMON_PASSWORDS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Whether `lowered` (an NFKC-normalised, lower-cased password) is on the blocklist.
fn is_common(lowered: &str) -> bool {
    COMMON_PASSWORDS.contains(lowered)
}

/// The fewest characters a context word must have to be refused inside a password: shorter
/// ones ("al", "bob") would refuse too many innocent passwords.
const MIN_CONTEXT_WORD_CHARS: usize = 4;

/// The fewest distinct characters a password must have.
const MIN_DISTINCT_CHARS: usize = 4;

/// The lengths a password must keep to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode scalar values, after NFKC) accepted.
    pub min_chars: u32,
    /// Most characters (Unicode scalar values, after NFKC) accepted.
    pub max_chars: u32,
    /// Most bytes (UTF-8) accepted, both as typed and after NFKC: bounds the cost of
    /// normalising and hashing a hostile input.
    pub max_bytes: usize,
}

impl Default for PasswordPolicy {
    /// 15 to 128 characters, at most 512 bytes.
    fn default() -> Self {
        Self::with_lengths(15, 128)
    }
}

impl PasswordPolicy {
    /// The policy of an agency: its `password_min_length` and `password_max_length`, and a byte
    /// cap of 4 × the character cap (every character fits in 4 UTF-8 bytes).
    ///
    /// As defence in depth against settings that skipped [`AgencySettings::validate`], the
    /// minimum is never taken below 8 (checklist item 1) nor the maximum below 64 (item 2).
    pub fn for_agency(settings: &AgencySettings) -> Self {
        Self::with_lengths(
            settings.password_min_length.max(8),
            settings.password_max_length.max(64),
        )
    }

    /// A policy of the given character limits, with the byte cap at 4 × `max_chars`.
    fn with_lengths(min_chars: u32, max_chars: u32) -> Self {
        let max_bytes = usize::try_from(max_chars)
            .unwrap_or(usize::MAX)
            .saturating_mul(4);
        Self {
            min_chars,
            max_chars,
            max_bytes,
        }
    }

    /// Checks a new password (on set, reset and change), in its NFKC form.
    ///
    /// The first rule broken is returned; its message can be shown to the client as it is.
    /// Never panics, whatever the input.
    pub fn check(
        &self,
        password: &Password,
        ctx: &PolicyContext<'_>,
    ) -> Result<(), PasswordPolicyError> {
        let too_long = PasswordPolicyError::TooLong {
            max: self.max_chars,
        };
        // Refuse an oversized input before normalising it: NFKC costs time in proportion.
        if password.expose().len() > self.max_bytes {
            return Err(too_long);
        }
        let normalized = password.normalized();
        let pw = normalized.expose();
        let chars = pw.chars().count();
        if pw.len() > self.max_bytes
            || chars > usize::try_from(self.max_chars).unwrap_or(usize::MAX)
        {
            return Err(too_long);
        }
        if chars < usize::try_from(self.min_chars).unwrap_or(usize::MAX) {
            return Err(PasswordPolicyError::TooShort {
                min: self.min_chars,
            });
        }
        let lowered = pw.to_lowercase();
        let without_spaces: String = lowered.chars().filter(|c| !c.is_whitespace()).collect();
        if is_common(&lowered) || is_common(&without_spaces) {
            return Err(PasswordPolicyError::Common);
        }
        if ctx.words().any(|w| contains_word(&lowered, &w)) {
            return Err(PasswordPolicyError::ContainsPersonalInfo);
        }
        if is_repetitive(&lowered, self.min_chars) {
            return Err(PasswordPolicyError::Repetitive);
        }
        Ok(())
    }
}

/// What a password must not be built around: the account's and the agency's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PolicyContext<'a> {
    /// The account's username (may be empty when the account signs in by email).
    pub username: &'a str,
    /// The account's email address.
    pub email: &'a str,
    /// The agency's display name.
    pub agency_name: &'a str,
}

impl PolicyContext<'_> {
    /// The context words, each trimmed, NFKC-normalised and lower-cased: the username, the
    /// email, the email's local part and the agency's name, those of at least 4 characters.
    fn words(&self) -> impl Iterator<Item = String> + '_ {
        let local_part = self
            .email
            .rsplit_once('@')
            .map(|(local, _)| local)
            .unwrap_or("");
        [self.username, self.email, local_part, self.agency_name]
            .into_iter()
            .map(crate::model::login_key)
            .filter(|w| w.chars().count() >= MIN_CONTEXT_WORD_CHARS)
    }
}

/// Only the letters and digits of `s`: "Acme-Lettings" and "acme lettings" both give
/// "acmelettings".
fn squash(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether the lower-cased password contains the context word as it is, or once both are
/// stripped of spaces and punctuation ("ACME-lettings!" contains "Acme Lettings").
fn contains_word(lowered_password: &str, word: &str) -> bool {
    if lowered_password.contains(word) {
        return true;
    }
    let word = squash(word);
    word.chars().count() >= MIN_CONTEXT_WORD_CHARS && squash(lowered_password).contains(&word)
}

/// Whether the password has fewer than 4 distinct characters, or is one sequence repeated at
/// least twice (a partial copy may end it) where that sequence alone would be shorter than the
/// minimum length: "abcabcabcabcabc", "correcthorsecorrecthorse" under a minimum of 15.
fn is_repetitive(lowered: &str, min_chars: u32) -> bool {
    let chars: Vec<char> = lowered.chars().collect();
    let distinct: HashSet<char> = chars.iter().copied().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return true;
    }
    let period = smallest_period(&chars);
    period.saturating_mul(2) <= chars.len()
        && period < usize::try_from(min_chars).unwrap_or(usize::MAX)
}

/// The smallest `p > 0` with `s[i] == s[i - p]` for every `i ≥ p` (`s.len()` when none is
/// smaller), by the Knuth–Morris–Pratt prefix function: linear time.
fn smallest_period(s: &[char]) -> usize {
    let n = s.len();
    if n == 0 {
        return 0;
    }
    // border[i]: length of the longest proper prefix of s[..=i] that is also its suffix.
    let mut border = vec![0usize; n];
    for i in 1..n {
        let mut k = border[i - 1];
        while k > 0 && s[i] != s[k] {
            k = border[k - 1];
        }
        if s[i] == s[k] {
            k += 1;
        }
        border[i] = k;
    }
    n - border[n - 1]
}

/// Why a new password was refused. The message tells the client plainly; [`reason_code`]
/// gives a stable machine code.
///
/// [`reason_code`]: PasswordPolicyError::reason_code
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PasswordPolicyError {
    /// Fewer characters than the minimum.
    #[error("The password must be at least {min} characters long.")]
    TooShort {
        /// The minimum, in characters.
        min: u32,
    },
    /// More characters (or bytes) than the maximum. Refused, never truncated.
    #[error("The password must be at most {max} characters long.")]
    TooLong {
        /// The maximum, in characters.
        max: u32,
    },
    /// On the list of common and breached passwords.
    #[error(
        "This password is one of the most common passwords, which attackers try first. Please choose another."
    )]
    Common,
    /// Contains the username, the email address or the agency's name.
    #[error(
        "The password must not contain your username, your email address or the agency's name."
    )]
    ContainsPersonalInfo,
    /// Too few distinct characters, or a short sequence repeated.
    #[error(
        "The password is too repetitive: use more different characters, not a short sequence repeated."
    )]
    Repetitive,
}

impl PasswordPolicyError {
    /// A stable machine code for the reason: `too_short`, `too_long`, `common`,
    /// `contains_personal_info` or `repetitive`.
    pub fn reason_code(&self) -> &'static str {
        match self {
            PasswordPolicyError::TooShort { .. } => "too_short",
            PasswordPolicyError::TooLong { .. } => "too_long",
            PasswordPolicyError::Common => "common",
            PasswordPolicyError::ContainsPersonalInfo => "contains_personal_info",
            PasswordPolicyError::Repetitive => "repetitive",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CTX: PolicyContext<'static> = PolicyContext {
        username: "jsmith",
        email: "john.smith@example.com",
        agency_name: "Acme Lettings",
    };

    const GOOD: &str = "violet tractor hums near the quiet harbour";

    fn check(policy: &PasswordPolicy, pw: &str) -> Result<(), PasswordPolicyError> {
        policy.check(&Password::new(pw), &CTX)
    }

    fn check_default(pw: &str) -> Result<(), PasswordPolicyError> {
        check(&PasswordPolicy::default(), pw)
    }

    /// A policy with the lowest minimum an agency may set, to reach the blocklist with the
    /// (mostly short) common passwords.
    fn min8() -> PasswordPolicy {
        PasswordPolicy {
            min_chars: 8,
            ..PasswordPolicy::default()
        }
    }

    /// `n` characters without repetition or context words.
    fn varied(n: usize) -> String {
        const ALPHABET: &[char] = &[
            'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', 'a', 's', 'd', 'f', 'g', 'h', 'j',
            'k', 'l', 'z', 'x', 'c', 'v', 'b', 'n', 'm', '1', '2', '3', '4', '5', '6', '7', '8',
            '9', '0', ' ',
        ];
        // Stepping by 7 through 37 symbols never repeats with a period below 37.
        (0..n).map(|i| ALPHABET[(i * 7 + i / 37) % 37]).collect()
    }

    #[test]
    fn checklist_1_defaults_and_agency_settings() {
        let p = PasswordPolicy::default();
        assert_eq!((p.min_chars, p.max_chars, p.max_bytes), (15, 128, 512));
        let settings = AgencySettings {
            password_min_length: 20,
            password_max_length: 200,
            ..AgencySettings::default()
        };
        let p = PasswordPolicy::for_agency(&settings);
        assert_eq!((p.min_chars, p.max_chars, p.max_bytes), (20, 200, 800));
        // Out-of-range settings never weaken the floor.
        let settings = AgencySettings {
            password_min_length: 3,
            password_max_length: 10,
            ..AgencySettings::default()
        };
        let p = PasswordPolicy::for_agency(&settings);
        assert_eq!((p.min_chars, p.max_chars), (8, 64));
        assert_eq!(
            PasswordPolicy::for_agency(&AgencySettings::default()),
            PasswordPolicy::default()
        );
    }

    #[test]
    fn checklist_1_minimum_length() {
        assert_eq!(
            check_default(&varied(14)),
            Err(PasswordPolicyError::TooShort { min: 15 })
        );
        assert_eq!(check_default(&varied(15)), Ok(()));
        assert_eq!(
            check_default(""),
            Err(PasswordPolicyError::TooShort { min: 15 })
        );
        let err = check_default("short").unwrap_err();
        assert_eq!(
            err.to_string(),
            "The password must be at least 15 characters long."
        );
        assert_eq!(err.reason_code(), "too_short");
    }

    #[test]
    fn checklist_2_long_passwords_accepted_up_to_max_then_rejected() {
        assert_eq!(check_default(&varied(64)), Ok(()));
        assert_eq!(check_default(&varied(100)), Ok(()));
        assert_eq!(check_default(&varied(128)), Ok(()));
        let err = check_default(&varied(129)).unwrap_err();
        assert_eq!(err, PasswordPolicyError::TooLong { max: 128 });
        assert_eq!(err.reason_code(), "too_long");
        assert_eq!(
            err.to_string(),
            "The password must be at most 128 characters long."
        );
        // A huge input is refused (before normalisation), never truncated.
        let huge = "x".repeat(10_000_000);
        assert_eq!(
            check_default(&huge),
            Err(PasswordPolicyError::TooLong { max: 128 })
        );
        // An agency maximum applies as set.
        let p = PasswordPolicy::for_agency(&AgencySettings {
            password_max_length: 64,
            ..AgencySettings::default()
        });
        assert_eq!(check(&p, &varied(64)), Ok(()));
        assert!(matches!(
            check(&p, &varied(65)),
            Err(PasswordPolicyError::TooLong { max: 64 })
        ));
    }

    #[test]
    fn checklist_2_length_counts_characters_not_bytes() {
        // 15 four-byte emoji are 15 characters (60 bytes): long enough, and distinct enough.
        let emoji: String = (0..15u32)
            .map(|i| char::from_u32(0x1F600 + i).unwrap())
            .collect();
        assert_eq!(emoji.len(), 60);
        assert_eq!(check_default(&emoji), Ok(()));
        // 14 of them are too short, whatever their bytes.
        let fourteen: String = emoji.chars().take(14).collect();
        assert_eq!(
            check_default(&fourteen),
            Err(PasswordPolicyError::TooShort { min: 15 })
        );
        // 128 emoji (512 bytes) are at the limit; 129 are over it.
        let many: String = (0..129u32)
            .map(|i| char::from_u32(0x1F300 + i).unwrap())
            .collect();
        let at_limit: String = many.chars().take(128).collect();
        assert_eq!(check_default(&at_limit), Ok(()));
        assert_eq!(
            check_default(&many),
            Err(PasswordPolicyError::TooLong { max: 128 })
        );
        // Any script, spaces included.
        assert_eq!(check_default("Ключ от дома у соседки Тани"), Ok(()));
        assert_eq!(check_default("東京の古い本屋で見つけた青い地図"), Ok(()));
    }

    #[test]
    fn checklist_2_max_bytes_is_enforced() {
        let p = PasswordPolicy {
            max_bytes: 40,
            ..PasswordPolicy::default()
        };
        // 15 characters but 45 bytes (three-byte CJK characters).
        let cjk = "東京の古い本屋で見つけた青い地";
        assert_eq!(cjk.chars().count(), 15);
        assert_eq!(
            check(&p, cjk),
            Err(PasswordPolicyError::TooLong { max: 128 })
        );
    }

    #[test]
    fn checklist_2_nfkc_normalisation_before_counting() {
        // Fullwidth letters normalise to ASCII: the fullwidth form of a common password is
        // still that common password.
        let fullwidth: String = "qazwsxedcrfvtgb"
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
            .collect();
        assert_ne!(fullwidth, "qazwsxedcrfvtgb");
        assert_eq!(check_default(&fullwidth), Err(PasswordPolicyError::Common));
        // A fullwidth good passphrase is accepted, as its ASCII form is.
        let fullwidth_good: String = GOOD
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(check_default(&fullwidth_good), Ok(()));
        // U+FDFA is one character that NFKC expands to 18: counted after normalisation.
        let p = PasswordPolicy {
            max_chars: 64,
            max_bytes: 256,
            ..PasswordPolicy::default()
        };
        let expanding = "\u{FDFA}".repeat(4);
        assert_eq!(expanding.chars().count(), 4);
        assert_eq!(
            check(&p, &expanding),
            Err(PasswordPolicyError::TooLong { max: 64 })
        );
        // Composed and decomposed accents are the same password.
        let composed = "café au lait sous la pluie";
        let decomposed = "cafe\u{301} au lait sous la pluie";
        assert_eq!(check_default(composed), check_default(decomposed));
        assert_eq!(check_default(decomposed), Ok(()));
    }

    #[test]
    fn checklist_3_no_composition_rules() {
        // All lower case, no digits, no symbols: fine.
        assert_eq!(check_default(GOOD), Ok(()));
        assert_eq!(check_default("correct horse battery staple"), Ok(()));
        // Spaces anywhere, leading and trailing included.
        assert_eq!(check_default("  lemon sky over twelve hills  "), Ok(()));
        // Emoji and punctuation.
        assert_eq!(check_default("🏠 keys under the 🪴 on tuesday!"), Ok(()));
    }

    #[test]
    fn checklist_4_blocklist_is_real_and_loaded() {
        assert!(
            COMMON_PASSWORDS.len() >= 10_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
        for pw in [
            "123456", "password", "qwerty", "iloveyou", "trustno1", "letmein",
        ] {
            assert!(is_common(pw), "{pw}");
        }
        // Lower-cased, trimmed, one a line.
        assert!(
            COMMON_PASSWORDS
                .iter()
                .all(|p| { !p.is_empty() && *p == p.to_lowercase() && p.trim() == *p })
        );
        assert_eq!(COMMON_PASSWORDS_TXT.lines().count(), COMMON_PASSWORDS.len());
    }

    #[test]
    fn checklist_4_blocklist_hits_any_case() {
        let p = min8();
        for pw in [
            "password", "Password", "PASSWORD", "pAsSwOrD", "baseball", "BaseBall", "iloveyou",
            "ILoveYou", "trustno1", "TrustNo1", "1qaz2wsx", "1QAZ2WSX",
        ] {
            let err = check(&p, pw).unwrap_err();
            assert_eq!(err, PasswordPolicyError::Common, "{pw}");
            assert_eq!(err.reason_code(), "common");
        }
        // Spaces do not hide a common password.
        assert_eq!(check(&p, " pass word "), Err(PasswordPolicyError::Common));
        // Long common passwords are caught under the default policy too.
        for pw in [
            "qazwsxedcrfvtgb",
            "QazWsxEdcRfvTgb",
            "1qaz2wsx3edc4rfv",
            "123456789qwerty",
        ] {
            assert_eq!(check_default(pw), Err(PasswordPolicyError::Common), "{pw}");
        }
        // Not on the list: a real passphrase.
        assert_eq!(check(&p, GOOD), Ok(()));
    }

    #[test]
    fn checklist_4_context_words() {
        let refused = [
            "jsmith likes long walks",
            "long walks with JSMITH",
            "john.smith@example.com rocks",
            "JOHN.SMITH is my name ok",
            "john smith is my name ok", // squashed: "johnsmith"
            "acme lettings forever and ever",
            "ACME-LETTINGS forever and ever",
            "AcmeLettings forever and ever",
        ];
        for pw in refused {
            let err = check_default(pw).unwrap_err();
            assert_eq!(err, PasswordPolicyError::ContainsPersonalInfo, "{pw}");
            assert_eq!(err.reason_code(), "contains_personal_info");
        }
        // Context words shorter than 4 characters are not refused.
        let short = PolicyContext {
            username: "al",
            email: "bob@example.com",
            agency_name: "XYZ",
        };
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check(&Password::new("al and bob went to xyz town"), &short),
            Ok(())
        );
        // The email itself still counts when its local part is short.
        assert_eq!(
            p.check(&Password::new("write to bob@example.com today"), &short),
            Err(PasswordPolicyError::ContainsPersonalInfo)
        );
        // An empty context refuses nothing.
        assert_eq!(
            p.check(&Password::new(GOOD), &PolicyContext::default()),
            Ok(())
        );
        // Context words are compared NFKC-normalised too.
        let fullwidth_user = PolicyContext {
            username: "\u{FF4A}\u{FF53}\u{FF4D}\u{FF49}\u{FF54}\u{FF48}", // ｊｓｍｉｔｈ
            ..PolicyContext::default()
        };
        assert_eq!(
            p.check(
                &Password::new("hello jsmith my old friend"),
                &fullwidth_user
            ),
            Err(PasswordPolicyError::ContainsPersonalInfo)
        );
    }

    #[test]
    fn checklist_4_repetition() {
        for pw in [
            "aaaaaaaaaaaaaaaa",
            "abababababababab",
            "abcabcabcabcabcabc",
            "abcabcabcabcabc",
            "AbcaBcabCabcabc", // case-insensitively
            "1212121212121212",
            "abcdabcdabcdabcdab", // a partial copy at the end
            "correcthorsecorrecthorse",
            "🙂🙃🙂🙃🙂🙃🙂🙃🙂🙃🙂🙃🙂🙃🙂🙃",
            "aabbaabbaabbaabbaabb",
            "buffalo buffalo buffalo buffalo buffalo",
        ] {
            let err = check_default(pw).unwrap_err();
            assert_eq!(err, PasswordPolicyError::Repetitive, "{pw}");
            assert_eq!(err.reason_code(), "repetitive");
        }
        // A repeated sequence that is itself long enough is fine.
        let long_unit = "violet tractor hums!";
        assert_eq!(check_default(&long_unit.repeat(2)), Ok(()));
        // A phrase that merely repeats some words is fine.
        assert_eq!(check_default("the cat and the hat and the bat"), Ok(()));
        assert_eq!(smallest_period(&[]), 0);
        assert_eq!(smallest_period(&['a', 'b', 'a']), 2);
        assert_eq!(smallest_period(&['a', 'b', 'c']), 3);
    }

    #[test]
    fn checklist_4_messages_are_plain() {
        for e in [
            PasswordPolicyError::TooShort { min: 15 },
            PasswordPolicyError::TooLong { max: 128 },
            PasswordPolicyError::Common,
            PasswordPolicyError::ContainsPersonalInfo,
            PasswordPolicyError::Repetitive,
        ] {
            let m = e.to_string();
            assert!(m.starts_with("Th") && m.ends_with('.'), "{m}");
            assert!(!e.reason_code().is_empty());
        }
    }

    #[test]
    fn good_passphrase_accepted() {
        assert_eq!(check_default(GOOD), Ok(()));
        assert_eq!(check(&min8(), "tulip-7-orbit"), Ok(()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Checklist items 1–4: bad input never panics, and the verdict is deterministic.
        #[test]
        fn checklist_2_check_never_panics_and_is_deterministic(
            pw in prop_oneof![
                any::<String>(),
                // Long input of any scalar values: combining marks, expanding ligatures, …
                proptest::collection::vec(any::<char>(), 0..700)
                    .prop_map(|cs| cs.into_iter().collect::<String>()),
            ],
            username in any::<String>(),
            email in any::<String>(),
            agency_name in any::<String>(),
        ) {
            let ctx = PolicyContext { username: &username, email: &email, agency_name: &agency_name };
            let p = PasswordPolicy::default();
            let first = p.check(&Password::new(pw.clone()), &ctx);
            let second = p.check(&Password::new(pw.clone()), &ctx);
            prop_assert_eq!(first, second);
            if let Err(e) = first {
                prop_assert!(!e.reason_code().is_empty());
            }
        }

        /// Checklist item 2: length is decided on characters, and over-long input is refused.
        #[test]
        fn checklist_2_length_verdicts(pw in "\\PC{0,200}") {
            let p = PasswordPolicy::default();
            let n = Password::new(pw.clone()).normalized().expose().chars().count();
            let verdict = p.check(&Password::new(pw), &PolicyContext::default());
            if n > 128 {
                prop_assert_eq!(verdict, Err(PasswordPolicyError::TooLong { max: 128 }));
            } else if n < 15 {
                let short_or_long = matches!(
                    verdict,
                    Err(PasswordPolicyError::TooShort { min: 15 } | PasswordPolicyError::TooLong { .. })
                );
                prop_assert!(short_or_long, "{:?}", verdict);
            } else {
                let short = matches!(verdict, Err(PasswordPolicyError::TooShort { .. }));
                prop_assert!(!short, "{:?}", verdict);
            }
        }

        /// Checklist item 4: the blocklist is matched whatever the case.
        #[test]
        fn checklist_4_blocklist_any_case(idx in 0usize..10_000, flips in any::<u64>()) {
            let entry = COMMON_PASSWORDS_TXT.lines().nth(idx).unwrap();
            let varied: String = entry
                .chars()
                .enumerate()
                .map(|(i, c)| if flips >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect();
            let p = PasswordPolicy { min_chars: 1, ..PasswordPolicy::default() };
            prop_assert_eq!(p.check(&Password::new(varied), &PolicyContext::default()), Err(PasswordPolicyError::Common));
        }
    }
}
