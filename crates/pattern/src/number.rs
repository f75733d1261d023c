//! Numbers compared by value.
//!
//! EventBridge and SNS compare JSON numbers by value, not by spelling, so `3`,
//! `3.0` and `30e-1` are the same number. Like event-ruler, numeric matching is
//! defined on the range -5.0e9..=5.0e9 with six digits after the decimal
//! point: inside that range a number is reduced to an integer count of
//! millionths ([`quantize`]), which is both hashable (exact matching) and
//! ordered (ranges). Numbers outside the range can still be matched exactly,
//! by their integer or floating-point value.

/// Largest magnitude that numeric operators accept (AWS's documented limit).
pub const NUMERIC_LIMIT: f64 = 5.0e9;

/// A JSON number as it arrives from the parser, before canonicalisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A non-negative integer literal.
    Unsigned(u64),
    /// A negative integer literal.
    Signed(i64),
    /// A literal with a fraction or exponent.
    Float(f64),
}

/// Canonical, hashable identity of a number value, used for exact matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberKey {
    /// Millionths of a number inside the numeric range.
    Quantized(i64),
    /// An integral number outside the numeric range.
    Integer(i128),
    /// Anything else, by bit pattern (normalised so that -0.0 == 0.0).
    Bits(u64),
}

impl Number {
    /// Converts a `serde_json` number.
    pub fn from_json(number: &serde_json::Number) -> Option<Number> {
        if let Some(unsigned) = number.as_u64() {
            Some(Number::Unsigned(unsigned))
        } else if let Some(signed) = number.as_i64() {
            Some(Number::Signed(signed))
        } else {
            number.as_f64().map(Number::Float)
        }
    }

    /// Parses the text form used by SNS `Number` attributes ("1.5e3").
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(unsigned) = text.parse::<u64>() {
            return Some(Number::Unsigned(unsigned));
        }
        if let Ok(signed) = text.parse::<i64>() {
            return Some(Number::Signed(signed));
        }
        // Rust accepts "inf"/"NaN" spellings that are not JSON numbers.
        let looks_numeric = text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
        if !looks_numeric {
            return None;
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::Float)
    }

    /// The value as a float (exact for integers below 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Unsigned(u) => u as f64,
            Number::Signed(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Millionths of the value, or `None` outside -5e9..=5e9.
    pub fn quantized(self) -> Option<i64> {
        quantize(self.as_f64())
    }

    /// The canonical identity used for exact matching.
    pub fn key(self) -> NumberKey {
        if let Some(q) = self.quantized() {
            return NumberKey::Quantized(q);
        }
        match self {
            Number::Unsigned(u) => NumberKey::Integer(i128::from(u)),
            Number::Signed(i) => NumberKey::Integer(i128::from(i)),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => NumberKey::Integer(f as i128),
            Number::Float(f) => NumberKey::Bits(if f == 0.0 { 0 } else { f.to_bits() }),
        }
    }
}

/// Millionths of `value` rounded down, or `None` outside the numeric range.
///
/// `value * 1e6` stays below 2^53 for the whole range, so the product is exact
/// to within one unit and comparisons keep six decimal digits.
pub fn quantize(value: f64) -> Option<i64> {
    if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&value) {
        return None;
    }
    Some((value * 1e6).floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_three_are_equal() {
        let three = Number::Unsigned(3).key();
        assert_eq!(Number::Float(3.0).key(), three);
        assert_eq!(Number::parse("30e-1").map(Number::key), Some(three));
        assert_eq!(Number::parse("3.0000000").map(Number::key), Some(three));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let account = Number::Unsigned(123_456_789_012);
        assert_eq!(account.key(), Number::Float(123_456_789_012.0).key());
        assert_ne!(account.key(), Number::Unsigned(123_456_789_013).key());
    }

    #[test]
    fn range_limits() {
        assert!(quantize(5.0e9).is_some());
        assert!(quantize(-5.0e9).is_some());
        assert!(quantize(5.0e9 + 1.0).is_none());
        assert!(quantize(f64::NAN).is_none());
        assert!(Number::parse("nan").is_none());
        assert!(Number::parse("abc").is_none());
    }
}
