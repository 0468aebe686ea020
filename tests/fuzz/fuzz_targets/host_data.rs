//! Host-data answers (what a CRM sends back to `HttpHostData`), decoded exactly as the client
//! does after a `200` and re-encoded as the client JSON shows them: never a panic. The first
//! byte picks the call.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CALLS: &[&str] = &[
    "statement",
    "property-balance",
    "tenant-balance",
    "landlord-float",
    "future-deductions",
    "inspection-reports",
    "offers",
    "viewings",
    "viewing-feedback",
    "team-member",
    "document-content",
    "custom",
];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let call = CALLS[usize::from(*first) % CALLS.len()];
    if let Ok(v) = portico_http::fuzzing::host_answer(call, rest) {
        // What is shown again parses as JSON.
        let text = v.to_string();
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    }
});
