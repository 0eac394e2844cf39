#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(block) = dojang_types::decode::<dojang_types::Block>(data) {
        assert_eq!(dojang_types::encode(&block), data);
    }
});
