//! The whole `PorticoService` on arbitrary requests (pages, client API, admin API): no panic,
//! no 5xx but 503, no input echoed unescaped into HTML. See `src/lib.rs` for the input format.
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
        if let Some(a) = h.send_text(text, false) {
            check_answer(text, &a);
        }
    });
});
