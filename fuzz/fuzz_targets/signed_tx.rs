#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = dojang_types::SignedTx::decode(data) {
        // Whatever decodes must re-encode to the same bytes (canonical encoding).
        assert_eq!(dojang_types::encode(&tx), data);
    }
});
