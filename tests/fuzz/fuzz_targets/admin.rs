//! The admin API on arbitrary requests made with a valid key (so that the inputs reach the
//! handlers' parsing, not just the key check): no panic, no 5xx but 503.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portico_fuzz::{Harness, check_answer};
use std::cell::RefCell;

thread_local! {
    static H: RefCell<Harness> = RefCell::new(Harness::new());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 16 * 1024 {
        return;
    }
    H.with(|h| {
        let mut h = h.borrow_mut();
        if let Some(a) = h.send_text(text, true) {
            check_answer(text, &a);
        }
    });
});
