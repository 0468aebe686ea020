//! Integration tests of the Cedar comparison: the two engines must agree before any timing
//! of them means anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
