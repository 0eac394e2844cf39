//! Transactions arrive as hex: a batch of ballots is megabytes of it, and decoding it digit by
//! digit with an error check each was a measurable part of admitting a ballot. This decodes a
//! pair of digits with one table look-up each and stops at the first bad one.

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
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("an odd number of hex digits ({})", digits.len()));
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let (hi, lo) = (DIGITS[pair[0] as usize], DIGITS[pair[1] as usize]);
        if hi == INVALID || lo == INVALID {
            let at = 2 * i + usize::from(hi != INVALID);
            let c = text.get(at..).and_then(|rest| rest.chars().next()).unwrap_or('?');
            return Err(format!("{c:?} at position {at} is not a hex digit"));
        }
        out.push((hi << 4) | lo);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

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
}
