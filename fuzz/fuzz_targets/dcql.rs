//! DCQL queries and the policy check between two of them.
#![no_main]

use dojang_credentials::DcqlQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(q) = DcqlQuery::parse(&v) {
        let _ = q.within(&q);
        for c in &q.credentials {
            for claim in &c.claims {
                let _ = c.allows(&claim.path);
            }
        }
    }
});
