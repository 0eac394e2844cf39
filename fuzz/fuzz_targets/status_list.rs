//! Status list tokens: the JWT, the base64 and the zlib stream (with its size guard).
#![no_main]

use dojang_credentials::StatusList;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(list) = StatusList::from_token(s, "u") {
        let _ = list.get(list.len() as u64 / 2);
    }
});
