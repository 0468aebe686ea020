//! Secret scanning for tests (issue 9, item 7): find raw tokens, codes, passwords, cookie
//! values and API keys in logs, audit records, database dumps or any other text, and
//! capture every `tracing` event of a test to scan it.
//!
//! # Reuse
//!
//! Anything that produces text can be scanned — a test's captured `tracing` output, a
//! standalone server's log file, an `/admin/v1/audit` answer, a database dump:
//!
//! ```
//! use portico_core::testing::secrets::{find_secrets, LogCapture};
//!
//! // 1. Capture every tracing event (TRACE and up, spans too) on this thread.
//! let capture = LogCapture::new();
//! let _guard = capture.set_default();
//! tracing::info!(account = "a-1", "signed in");
//!
//! // 2. Collect every secret the run used: raw link tokens, session and attempt cookie
//! //    values, emailed codes, passwords (right and wrong ones), API keys.
//! let secrets = ["violet tractor umbrella ocean 1987", "493201"];
//!
//! // 3. Scan. Besides the listed values, token shapes (`pses_…`, `pkey_…`, …) are
//! //    reported even when the run forgot to list them.
//! let findings = find_secrets(&capture.text(), &secrets);
//! assert!(findings.is_empty(), "{findings:#?}");
//! ```
//!
//! For a log file: `find_secrets(&std::fs::read_to_string(path)?, &secrets)`. A finding
//! names the line and what was found, with the secret itself masked, so a failing test
//! does not print the secret in full either.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// The token prefixes of [`crate::token::TokenKind`], as they appear in text.
pub const TOKEN_PREFIXES: [&str; 7] = [
    "pinv_", "prst_", "pemc_", "pses_", "ppvw_", "pcat_", "pkey_",
];

/// The shortest run of token characters after a prefix that counts as a token (an API key's
/// 12-character lookup prefix, `pkey_` and 7 characters, is shown to staff on purpose and
/// stays below it).
pub const MIN_TOKEN_BODY: usize = 20;

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingKind {
    /// One of the listed secrets (by its index in the list), as is or encoded (percent,
    /// form or JSON encoding).
    Known {
        /// Index in the list passed to [`find_secrets`].
        index: usize,
        /// How it was written: `raw`, `percent`, `form` or `json`.
        encoding: &'static str,
    },
    /// Something shaped like a Portico token: a prefix such as `pses_` followed by at least
    /// [`MIN_TOKEN_BODY`] URL-safe characters.
    TokenShape {
        /// The prefix found.
        prefix: &'static str,
    },
}

/// A secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset in the whole text.
    pub offset: usize,
    /// What was found.
    pub kind: FindingKind,
    /// The line, with the secret masked (its first 4 characters kept), at most 200 chars.
    pub excerpt: String,
}

/// Every place in `haystack` where one of `secrets` occurs (raw, percent-encoded,
/// form-encoded or JSON-escaped), plus every token-shaped string ([`find_token_shapes`]).
///
/// A secret made only of digits (an emailed code) counts only where it stands alone — not
/// inside a longer run of digits, such as a timestamp. Empty secrets are ignored; secrets
/// shorter than 6 characters are refused with a panic, since they would match by chance
/// (this is a test helper).
pub fn find_secrets(haystack: &str, secrets: &[&str]) -> Vec<Finding> {
    let mut out = find_known(haystack, secrets);
    for f in find_token_shapes(haystack) {
        if !out.iter().any(|o| o.offset == f.offset) {
            out.push(f);
        }
    }
    out.sort_by_key(|f| f.offset);
    out
}

/// The listed secrets only (see [`find_secrets`]).
pub fn find_known(haystack: &str, secrets: &[&str]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, secret) in secrets.iter().enumerate() {
        if secret.is_empty() {
            continue;
        }
        assert!(
            secret.chars().count() >= 6,
            "secret #{index} is too short to scan for without false alarms"
        );
        let digits = secret.bytes().all(|b| b.is_ascii_digit());
        let mut forms: Vec<(&'static str, String)> = vec![("raw", (*secret).to_string())];
        for (name, enc) in [
            ("percent", percent(secret, false)),
            ("form", percent(secret, true)),
            ("json", json_escaped(secret)),
        ] {
            if !forms.iter().any(|(_, f)| *f == enc) {
                forms.push((name, enc));
            }
        }
        for (encoding, form) in forms {
            let mut from = 0;
            while let Some(k) = haystack[from..].find(&form) {
                let at = from + k;
                let end = at + form.len();
                from = at + 1;
                while !haystack.is_char_boundary(from) {
                    from += 1;
                }
                if digits {
                    let before = haystack[..at].bytes().last();
                    let after = haystack.as_bytes().get(end).copied();
                    if before.is_some_and(|b| b.is_ascii_digit())
                        || after.is_some_and(|b| b.is_ascii_digit())
                    {
                        continue;
                    }
                }
                if out.iter().any(|f: &Finding| f.offset == at) {
                    continue;
                }
                out.push(finding(
                    haystack,
                    at,
                    end,
                    FindingKind::Known { index, encoding },
                ));
            }
        }
    }
    out.sort_by_key(|f| f.offset);
    out
}

/// Every token-shaped string: one of [`TOKEN_PREFIXES`] (not preceded by a letter or
/// digit) followed by at least [`MIN_TOKEN_BODY`] characters of `[A-Za-z0-9_-]` — the
/// pattern `p(inv|rst|emc|ses|pvw|cat|key)_[A-Za-z0-9_-]{20,}`.
pub fn find_token_shapes(haystack: &str) -> Vec<Finding> {
    let bytes = haystack.as_bytes();
    let mut out = Vec::new();
    for prefix in TOKEN_PREFIXES {
        let mut from = 0;
        while let Some(k) = haystack[from..].find(prefix) {
            let at = from + k;
            from = at + prefix.len();
            if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let body = bytes[at + prefix.len()..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
                .count();
            if body >= MIN_TOKEN_BODY {
                let end = at + prefix.len() + body;
                out.push(finding(
                    haystack,
                    at,
                    end,
                    FindingKind::TokenShape { prefix },
                ));
            }
        }
    }
    out.sort_by_key(|f| f.offset);
    out
}

fn finding(haystack: &str, at: usize, end: usize, kind: FindingKind) -> Finding {
    let line_start = haystack[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = haystack[end..]
        .find('\n')
        .map_or(haystack.len(), |i| end + i);
    let keep: String = haystack[at..end].chars().take(4).collect();
    let excerpt = format!(
        "{}{keep}…[masked]{}",
        &haystack[line_start..at],
        &haystack[end..line_end]
    );
    Finding {
        line: haystack[..at].matches('\n').count() + 1,
        offset: at,
        kind,
        excerpt: excerpt.chars().take(200).collect(),
    }
}

fn percent(s: &str, form: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' if form => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn json_escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// A `tracing` subscriber that keeps every event and every span's fields, at every level,
/// as text lines (`LEVEL target: message field=value …`). Clones share the lines.
///
/// Install it for the current thread with [`LogCapture::set_default`] (a `#[tokio::test]`
/// runs its tasks on that thread), or pass [`LogCapture::dispatch`] to
/// `tracing::dispatcher::set_global_default` in a binary of its own.
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    lines: Arc<Mutex<Vec<String>>>,
    next_span: Arc<AtomicU64>,
}

impl LogCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// A dispatcher writing into this capture.
    pub fn dispatch(&self) -> tracing::Dispatch {
        tracing::Dispatch::new(self.clone())
    }

    /// Makes this capture the current thread's subscriber until the guard drops.
    pub fn set_default(&self) -> tracing::dispatcher::DefaultGuard {
        tracing::dispatcher::set_default(&self.dispatch())
    }

    /// The lines captured so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The lines captured so far, joined with newlines.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}

/// Writes every field as ` name=value` (the message first, bare).
#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

fn head(meta: &Metadata<'_>) -> String {
    format!("{} {}:", meta.level(), meta.target())
}

impl Subscriber for LogCapture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut f = Fields::default();
        span.record(&mut f);
        self.push(format!(
            "{} span {}{}",
            head(span.metadata()),
            span.metadata().name(),
            f.0
        ));
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _span: &Id, values: &Record<'_>) {
        let mut f = Fields::default();
        values.record(&mut f);
        self.push(format!("span record{}", f.0));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut f = Fields::default();
        event.record(&mut f);
        self.push(format!("{}{}", head(event.metadata()), f.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "pses_Q2hhbmdlIG1lIHBsZWFzZSwgdGhpcyBpcyBhIHRva2Vu";

    #[test]
    fn known_secrets_are_found_raw_and_encoded_and_masked() {
        let pw = "violet tractor umbrella ocean 1987";
        let text = format!(
            "INFO ok\nWARN login password={pw}\nbody=password=violet+tractor+umbrella+ocean+1987\n\
             url=?p=violet%20tractor%20umbrella%20ocean%201987\njson={}",
            serde_json::to_string(&format!("{pw}\"")).unwrap()
        );
        let f = find_secrets(&text, &[pw]);
        let encodings: Vec<_> = f
            .iter()
            .map(|f| match f.kind {
                FindingKind::Known { index: 0, encoding } => encoding,
                ref other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(encodings, ["raw", "form", "percent", "raw"]);
        assert_eq!(f[0].line, 2);
        assert!(
            f[0].excerpt
                .starts_with("WARN login password=viol…[masked]")
        );
        assert!(f.iter().all(|f| !f.excerpt.contains(pw)));
    }

    #[test]
    fn codes_count_only_where_they_stand_alone() {
        let text = "at 1764849301234 code 493201 sent\nid=x493201y\nts=14932015";
        let f = find_known(text, &["493201"]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].line, f[1].line), (1, 2));
    }

    #[test]
    fn token_shapes_are_found_without_being_listed() {
        let text = format!(
            "INFO cookie={TOKEN}; other\nDEBUG key prefix pkey_AbC1234 shown to staff\n\
             DEBUG xpses_{} is not a token start\nERROR ppvw_{}",
            "a".repeat(30),
            "b".repeat(20)
        );
        let f = find_token_shapes(&text);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].kind, FindingKind::TokenShape { prefix: "pses_" });
        assert_eq!(f[0].line, 1);
        assert_eq!(f[1].kind, FindingKind::TokenShape { prefix: "ppvw_" });
        assert_eq!(f[1].line, 4);
        // Listed and shaped at the same place: reported once.
        assert_eq!(find_secrets(&text, &[TOKEN]).len(), 2);
    }

    #[test]
    fn clean_text_has_no_findings() {
        let text = "INFO portico: mail sent id=1 agency=2 template=invitation attempt=1\n\
                    INFO access denied reason=NoGrant";
        assert!(
            find_secrets(
                text,
                &["violet tractor umbrella ocean 1987", "493201", TOKEN]
            )
            .is_empty()
        );
    }

    #[test]
    #[should_panic(expected = "too short")]
    fn short_secrets_are_refused() {
        find_secrets("abc", &["abc"]);
    }

    #[test]
    fn the_capture_keeps_every_level_and_span_fields() {
        let capture = LogCapture::new();
        {
            let _g = capture.set_default();
            tracing::trace!(cookie = TOKEN, "deep");
            let span = tracing::info_span!("request", path = "/p/acme/reset");
            let _e = span.enter();
            tracing::warn!(code = 493201, "oops");
        }
        tracing::error!("after the guard: not captured");
        let lines = capture.lines();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with("TRACE ") && lines[0].contains("deep"));
        assert!(lines[1].contains("span request path=/p/acme/reset"));
        assert!(lines[2].starts_with("WARN ") && lines[2].contains("code=493201"));
        let found = find_secrets(&capture.text(), &["493201"]);
        assert_eq!(
            found.len(),
            2,
            "the listed code and the token shape: {found:#?}"
        );
    }
}
