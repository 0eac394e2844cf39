//! Percent-encoding one URL component (a query value, a path segment, a fragment part), as
//! RFC 3986 asks: every byte but the unreserved characters is written `%XX`; and reading a
//! query back.

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

/// A query value decoded: `%XX` becomes its byte and, as forms write it, `+` a space. A `%` not
/// followed by two hex digits is kept as it is; bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of query parameter `name` in `url`, decoded; the first when it appears twice.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next().unwrap_or_default();
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_undoes_encoding_and_survives_malformed_escapes() {
        for s in ["a b/é?&=#%", "서울", "", "%", "a+b"] {
            assert_eq!(percent_decode(&percent_encode(s)), s);
        }
        assert_eq!(percent_decode("a+b%20c"), "a b c");
        assert_eq!(percent_decode("%zz%4"), "%zz%4", "malformed escapes stay as written");
        assert_eq!(percent_decode("%aé"), "%aé", "a multi-byte character after % is not cut");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(query_param("https://a.kr/cb?code=x%2By&state=s#f", "code").as_deref(), Some("x+y"));
        assert_eq!(query_param("https://a.kr/cb?code=1&code=2", "code").as_deref(), Some("1"));
        assert_eq!(query_param("https://a.kr/cb?flag&x=1", "flag").as_deref(), Some(""));
        assert_eq!(query_param("https://a.kr/cb", "code"), None);
    }

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(percent_encode("a-Z.0_~"), "a-Z.0_~");
        assert_eq!(percent_encode("a b/é?&=#%"), "a%20b%2F%C3%A9%3F%26%3D%23%25");
        assert_eq!(percent_encode("did:web:seoul.go.kr"), "did%3Aweb%3Aseoul.go.kr");
        assert_eq!(percent_encode("서울"), "%EC%84%9C%EC%9A%B8");
    }
}
