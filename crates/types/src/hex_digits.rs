//! Hex as the API carries it: transactions (a batch of ballots is megabytes of hex) and every
//! hash in a JSON answer (a vehicle's history page holds over a hundred). Decoding digit by
//! digit with an error check each was a measurable part of admitting a ballot and of reading a
//! history; this decodes a pair of digits with one table look-up each and stops at the first
//! bad one.

/// Each byte's value as a hex digit (either case), or `INVALID`.
const INVALID: u8 = 0xff;
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The bytes `text` spells in hex (upper or lower case), or what is wrong with it.
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("an odd number of hex digits ({})", text.len()));
    }
    let mut out = vec![0u8; text.len() / 2];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes `text` into exactly `out.len()` bytes (a hash, a key), or says what is wrong.
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), String> {
    let digits = text.as_bytes();
    if digits.len() != 2 * out.len() {
        return Err(format!("{} hex digits where {} bytes take {}", digits.len(), out.len(), 2 * out.len()));
    }
    for (i, (o, pair)) in out.iter_mut().zip(digits.chunks_exact(2)).enumerate() {
        let (hi, lo) = (DIGITS[pair[0] as usize], DIGITS[pair[1] as usize]);
        if hi == INVALID || lo == INVALID {
            let at = 2 * i + usize::from(hi != INVALID);
            let c = text.get(at..).and_then(|rest| rest.chars().next()).unwrap_or('?');
            return Err(format!("{c:?} at position {at} is not a hex digit"));
        }
        *o = (hi << 4) | lo;
    }
    Ok(())
}

/// The 64 lower-case hex digits of 32 bytes, without allocating.
pub fn encode32(bytes: &[u8; 32]) -> [u8; 64] {
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = LOWER[(b >> 4) as usize];
        pair[1] = LOWER[(b & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_into, encode32};

    #[test]
    fn decodes_either_case_as_the_hex_crate_does() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&hex::encode(&bytes)).unwrap(), bytes);
        assert_eq!(decode(&hex::encode_upper(&bytes)).unwrap(), bytes);
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn names_an_odd_length_and_the_first_bad_digit() {
        assert_eq!(decode("abc").unwrap_err(), "an odd number of hex digits (3)");
        assert_eq!(decode("0g12").unwrap_err(), "'g' at position 1 is not a hex digit");
        assert_eq!(decode("00x1").unwrap_err(), "'x' at position 2 is not a hex digit");
        assert_eq!(decode("0xab").unwrap_err(), "'x' at position 1 is not a hex digit");
        // A multi-byte character is named whole, not cut in the middle.
        assert_eq!(decode("00é00").unwrap_err(), "'é' at position 2 is not a hex digit");
        assert_eq!(decode("0é0").unwrap_err(), "'é' at position 1 is not a hex digit");
    }

    #[test]
    fn decodes_into_exactly_the_length_asked_and_encodes_32_bytes_as_the_hex_crate_does() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        let text = hex::encode(bytes);
        assert_eq!(encode32(&bytes).as_slice(), text.as_bytes());
        let mut out = [0u8; 32];
        decode_into(&text, &mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(decode_into(&text[2..], &mut out).unwrap_err(), "62 hex digits where 32 bytes take 64");
        assert_eq!(decode_into(&format!("{text}00"), &mut out).unwrap_err(), "66 hex digits where 32 bytes take 64");
    }
}
