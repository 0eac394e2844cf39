//! SD-JWT presentations: splitting, the issuer JWT, disclosures and the key-binding JWT.
#![no_main]

use dojang_credentials::jose::Jws;
use dojang_credentials::sdjwt::{disclose, Disclosure, SdJwt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = Disclosure::parse(s);
    if let Ok(sd) = SdJwt::parse(s) {
        if let Ok(jws) = Jws::parse(&sd.jwt) {
            let _ = disclose(&jws.payload, &sd.disclosures);
        }
        if let Some(kb) = &sd.kb_jwt {
            let _ = Jws::parse(kb);
        }
    }
});
