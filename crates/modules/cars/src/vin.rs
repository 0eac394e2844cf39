//! CAR-09: a vehicle is one VIN across every record. A VIN is 17 characters of A–Z and 0–9
//! without I, O and Q (ISO 3779), and its ninth character is the check digit computed from the
//! other sixteen (the North American scheme, which Korean makers also stamp): a mistyped VIN
//! would start a second, empty history for the same car, so it is refused at the door.

/// Why a text is not a VIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VinError {
    #[error("CAR-09: a VIN has 17 characters, '{vin}' has {len}")]
    Length { vin: String, len: usize },
    #[error(
        "CAR-09: '{c}' at position {at} of VIN '{vin}' is not allowed (A-Z and 0-9, never I, O or Q; capitals only)"
    )]
    Character { vin: String, c: char, at: usize },
    #[error("CAR-09: VIN '{vin}' has check digit '{found}' where its other characters give '{expected}': mistyped?")]
    CheckDigit { vin: String, found: char, expected: char },
}

/// Each character's value in the check-digit sum (ISO 3779 transliteration).
fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => return None,
    })
}

const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// The check digit the other sixteen characters of `vin` give (`X` stands for 10).
pub fn check_digit(vin: &[u8; 17]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in vin.iter().zip(WEIGHTS) {
        sum += value(*c)? * w;
    }
    Some(match sum % 11 {
        10 => 'X',
        d => char::from(b'0' + d as u8),
    })
}

/// CAR-09: `vin` as every record must write it, or why it is not a VIN.
pub fn check(vin: &str) -> Result<(), VinError> {
    let len = vin.chars().count();
    if len != 17 {
        return Err(VinError::Length { vin: vin.chars().take(40).collect(), len });
    }
    let allowed = |c: char| matches!(c, 'A'..='Z' | '0'..='9') && !"IOQ".contains(c);
    if let Some((at, c)) = vin.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        return Err(VinError::Character { vin: vin.into(), c, at: at + 1 });
    }
    // Seventeen allowed characters are seventeen bytes, each with a value.
    let bytes: &[u8; 17] =
        vin.as_bytes().try_into().map_err(|_| VinError::Length { vin: vin.into(), len: vin.len() })?;
    let expected = check_digit(bytes).ok_or_else(|| VinError::Length { vin: vin.into(), len })?;
    let found = char::from(bytes[8]);
    if found != expected {
        return Err(VinError::CheckDigit { vin: vin.into(), found, expected });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn car_09_well_known_vins_pass_their_check_digit() {
        // The textbook example and real makers' VINs, check digit at position 9.
        for vin in ["1M8GDM9AXKP042788", "11111111111111111", "1HGCM82633A004352", "KMHDN45D22U123456"] {
            assert_eq!(check(vin), Ok(()), "{vin}");
        }
    }

    #[test]
    fn car_09_a_wrong_check_digit_a_bad_character_or_length_is_refused_by_name() {
        assert_eq!(
            check("1M8GDM9A1KP042788"),
            Err(VinError::CheckDigit { vin: "1M8GDM9A1KP042788".into(), found: '1', expected: 'X' })
        );
        assert!(matches!(check("1M8GDM9AXKP04278"), Err(VinError::Length { len: 16, .. })));
        assert!(matches!(check("1M8GDM9AXKP0427888"), Err(VinError::Length { len: 18, .. })));
        assert!(matches!(check("1M8GDM9AXKP04278O"), Err(VinError::Character { c: 'O', at: 17, .. })));
        assert!(matches!(check("1m8GDM9AXKP042788"), Err(VinError::Character { c: 'm', at: 2, .. })));
        assert!(matches!(check("1M8GDM9AXKP04278é"), Err(VinError::Character { c: 'é', at: 17, .. })));
        assert!(matches!(check(""), Err(VinError::Length { len: 0, .. })));
    }
}
