//! Token parsing (`portico_core::token::parse`) for every kind, on arbitrary text and on
//! tokens built from arbitrary bytes: never a panic; what is accepted is exactly
//! `{prefix}_{43 URL-safe characters}` encoding 32 bytes canonically; a token built from 32
//! bytes parses back to itself for its own kind and is `WrongKind` for every other.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portico_core::error::RandomError;
use portico_core::token::{self, TOKEN_BODY_LEN, TokenFormatError, TokenKind};

/// A "generator" that hands out the fuzzer's bytes.
struct Fixed([u8; 32]);

impl portico_core::Random for Fixed {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        let n = buf.len().min(32);
        buf[..n].copy_from_slice(&self.0[..n]);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for kind in TokenKind::ALL {
        match token::parse(kind, &text) {
            Ok(t) => {
                assert_eq!(t.expose(), text.as_ref());
                let (prefix, body) = text.split_once('_').expect("a separator");
                assert_eq!(prefix, kind.prefix());
                assert_eq!(body.len(), TOKEN_BODY_LEN);
                assert!(
                    body.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                );
            }
            Err(TokenFormatError::WrongKind) => {
                let prefix = text.split_once('_').map(|p| p.0).unwrap_or_default();
                assert_ne!(prefix, kind.prefix());
                assert!(TokenKind::ALL.iter().any(|k| k.prefix() == prefix));
            }
            Err(_) => {}
        }
    }
    if data.len() >= 33 {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&data[1..33]);
        let random = Fixed(bytes);
        let kind = TokenKind::ALL[usize::from(data[0]) % TokenKind::ALL.len()];
        let t = token::generate(kind, &random).expect("a token");
        assert_eq!(token::parse(kind, t.expose()).expect("round trip"), t);
        for other in TokenKind::ALL.iter().filter(|k| **k != kind) {
            assert_eq!(
                token::parse(*other, t.expose()),
                Err(TokenFormatError::WrongKind)
            );
        }
    }
});
