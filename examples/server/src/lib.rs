//! # portico-server
//!
//! The standalone Portico server. This part holds the demo mode: the demo agency and its
//! in-process host data ([`demo::DemoHost`], [`demo::seed`]) and the demo-only pages under
//! `/demo` (index, mailbox, staff console) in [`demo::router`].
#![warn(missing_docs)]

pub mod demo;
