//! The randomness port. Core never opens the OS generator itself; production passes
//! `portico_system::OsRandom`, tests a deterministic generator.

use crate::error::RandomError;

/// A cryptographically secure random generator.
pub trait Random: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError>;

    /// Sixteen random bytes, for identifiers.
    fn bytes16(&self) -> Result<[u8; 16], RandomError> {
        let mut b = [0u8; 16];
        self.fill(&mut b)?;
        Ok(b)
    }

    /// A uniformly distributed number in `0..bound` (rejection sampling, no modulo bias).
    fn below(&self, bound: u32) -> Result<u32, RandomError> {
        if bound == 0 {
            return Ok(0);
        }
        let zone = u32::MAX - (u32::MAX % bound);
        loop {
            let mut b = [0u8; 4];
            self.fill(&mut b)?;
            let v = u32::from_be_bytes(b);
            if v < zone {
                return Ok(v % bound);
            }
        }
    }

    /// A string of `n` uniformly random decimal digits (emailed sign-in codes).
    fn digits(&self, n: usize) -> Result<String, RandomError> {
        let mut s = String::with_capacity(n);
        for _ in 0..n {
            let d = self.below(10)?;
            s.push(char::from(b'0' + d as u8));
        }
        Ok(s)
    }
}

impl<R: Random + ?Sized> Random for std::sync::Arc<R> {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        (**self).fill(buf)
    }
}
