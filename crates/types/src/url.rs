//! Percent-encoding one URL component (a query value, a path segment, a fragment part), as
//! RFC 3986 asks: every byte but the unreserved characters is written `%XX`.

/// `s` with everything but `A-Z a-z 0-9 - . _ ~` percent-encoded (UTF-8 bytes, upper-case hex).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(percent_encode("a-Z.0_~"), "a-Z.0_~");
        assert_eq!(percent_encode("a b/é?&=#%"), "a%20b%2F%C3%A9%3F%26%3D%23%25");
        assert_eq!(percent_encode("did:web:seoul.go.kr"), "did%3Aweb%3Aseoul.go.kr");
        assert_eq!(percent_encode("서울"), "%EC%84%9C%EC%9A%B8");
    }
}
