//! `wildcard` patterns: `*` matches any run of characters, `\*` and `\\` are
//! literal.

/// A compiled wildcard pattern: the literal pieces between `*`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    /// Literal pieces; there is a `*` between consecutive pieces.
    pieces: Vec<Vec<u8>>,
}

impl Wildcard {
    /// Parses a wildcard pattern with event-ruler's error texts.
    ///
    /// Error positions count bytes of the pattern as event-ruler sees it,
    /// wrapped in quotes, hence the `+ 1`.
    pub fn parse(text: &str) -> Result<Wildcard, String> {
        let bytes = text.as_bytes();
        let mut pieces = vec![Vec::new()];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'*' => {
                    if bytes.get(i + 1) == Some(&b'*') {
                        return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
                    }
                    pieces.push(Vec::new());
                }
                b'\\' => match bytes.get(i + 1) {
                    Some(&next @ (b'*' | b'\\')) => {
                        push_byte(&mut pieces, next);
                        i += 1;
                    }
                    _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
                },
                other => push_byte(&mut pieces, other),
            }
            i += 1;
        }
        Ok(Wildcard { pieces })
    }

    /// True if the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        let mut rest = value.as_bytes();
        let (first, tail) = match self.pieces.split_first() {
            Some(split) => split,
            None => return rest.is_empty(),
        };
        if !rest.starts_with(first) {
            return false;
        }
        rest = &rest[first.len()..];
        let Some((last, middle)) = tail.split_last() else {
            return rest.is_empty();
        };
        // Leftmost placement of each middle piece is optimal for `*`-only globs.
        for piece in middle {
            match find(rest, piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        rest.ends_with(last)
    }
}

fn push_byte(pieces: &mut [Vec<u8>], byte: u8) {
    if let Some(last) = pieces.last_mut() {
        last.push(byte);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wc(p: &str) -> Wildcard {
        Wildcard::parse(p).expect("valid wildcard")
    }

    #[test]
    fn matching() {
        assert!(wc("dir/*.png").matches("dir/a.png"));
        assert!(wc("dir/*.png").matches("dir/.png"));
        assert!(!wc("dir/*.png").matches("dir/a.jpg"));
        assert!(wc("*").matches(""));
        assert!(wc("a*b*c").matches("abc"));
        assert!(wc("a*b*c").matches("aXbYbc"));
        assert!(!wc("a*b*c").matches("acb"));
        assert!(wc("*a*").matches("banana"));
        assert!(wc("x").matches("x"));
        assert!(!wc("x").matches("xx"));
        assert!(wc("a\\*b").matches("a*b"));
        assert!(!wc("a\\*b").matches("axb"));
        assert!(wc("a\\\\b").matches("a\\b"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            Wildcard::parse("a**").unwrap_err(),
            "Consecutive wildcard characters at pos 2"
        );
        assert_eq!(
            Wildcard::parse("a\\b").unwrap_err(),
            "Invalid escape character at pos 2"
        );
        assert_eq!(
            Wildcard::parse("a\\").unwrap_err(),
            "Invalid escape character at pos 2"
        );
    }
}
