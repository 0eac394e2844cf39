//! The few DER shapes PKCS#11 hands us for elliptic-curve keys.

/// `CKA_EC_PARAMS` for P-256: the OID 1.2.840.10045.3.1.7.
pub const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `CKA_EC_PARAMS` for Ed25519: the OID 1.3.101.112 (RFC 8410).
pub const ED25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// The older form some tokens use: PrintableString "edwards25519".
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

pub fn is_ed25519_params(p: &[u8]) -> bool {
    p == ED25519_OID || p == ED25519_NAME
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the point (PKCS#11 v2.40+); some tokens give the
/// bare point. Either way the result is exactly `len` bytes.
pub fn ec_point(raw: &[u8], len: usize) -> Result<Vec<u8>, String> {
    if raw.len() == len {
        return Ok(raw.to_vec());
    }
    match raw {
        [0x04, l, rest @ ..] if usize::from(*l) == len && rest.len() == len => Ok(rest.to_vec()),
        _ => Err(format!("CKA_EC_POINT of {} bytes is not a {len}-byte point", raw.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_accepts_bare_and_wrapped_points_only() {
        let p = [9u8; 32];
        assert_eq!(ec_point(&p, 32).unwrap(), p);
        let mut wrapped = vec![0x04, 32];
        wrapped.extend_from_slice(&p);
        assert_eq!(ec_point(&wrapped, 32).unwrap(), p);
        assert!(ec_point(&wrapped[..33], 32).is_err());
        assert!(ec_point(&[0x04, 31, 0], 32).is_err());
        assert!(ec_point(&[], 65).is_err());
        assert!(is_ed25519_params(ED25519_OID) && is_ed25519_params(ED25519_NAME) && !is_ed25519_params(P256_PARAMS));
    }
}
