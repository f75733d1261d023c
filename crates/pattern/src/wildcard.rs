//! `wildcard` patterns: `*` matches any run of characters, `\*` and `\\` are
//! literal.
//!
//! Also event-ruler's wildcard complexity measure ([`complexity`]), which
//! EventBridge uses to reject patterns as "too complex".

use std::collections::HashSet;

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

    /// The pattern as event-ruler's byte machine sees it: the quoted value,
    /// one token per byte, `None` for each `*`.
    fn tokens(&self) -> Vec<Option<u8>> {
        let mut tokens = vec![Some(b'"')];
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                tokens.push(None);
            }
            tokens.extend(piece.iter().copied().map(Some));
        }
        tokens.push(Some(b'"'));
        tokens
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

/// Most wildcard prefixes that one value may leave active at once before
/// EventBridge rejects a pattern ("Rule is too complex"). Calibrated on
/// patterns AWS accepted (complexity 7 and 9) and rejected (11 and 12); see
/// the case tables.
pub const MAX_COMPLEXITY: usize = 10;

/// Bound on the subsets of NFA states explored by [`complexity`].
const MAX_EXPLORED: usize = 20_000;

/// event-ruler's `MachineComplexityEvaluator` measure for the wildcard
/// patterns that share one field: the largest number of wildcard-pattern
/// prefixes that a single input value can match at the same time, each
/// distinct pattern counted separately. Patterns are taken as event-ruler
/// stores them, wrapped in double quotes.
///
/// The search stops as soon as the count exceeds `limit` and returns it.
pub fn complexity(patterns: &[&Wildcard], limit: usize) -> usize {
    let mut distinct: Vec<&Wildcard> = Vec::new();
    for pattern in patterns {
        if !distinct.contains(pattern) {
            distinct.push(pattern);
        }
    }
    let tokens: Vec<Vec<Option<u8>>> = distinct.iter().map(|w| w.tokens()).collect();
    search(&tokens, limit)
}

/// The subset search behind [`complexity`], over token lists (`None` for
/// `*`).
fn search(tokens: &[Vec<Option<u8>>], limit: usize) -> usize {
    if tokens.is_empty() {
        return 0;
    }
    // Every byte that some literal token mentions, plus `None`, which stands
    // for all the bytes none of them mentions.
    let mut alphabet: Vec<Option<u8>> = tokens
        .iter()
        .flatten()
        .flatten()
        .map(|&b| Some(b))
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(None);

    let start: Vec<Vec<u32>> = tokens.iter().map(|t| closure(t, vec![0])).collect();
    let mut seen: HashSet<Vec<Vec<u32>>> = HashSet::new();
    seen.insert(start.clone());
    let mut pending = vec![start];
    let mut worst = 0;
    while let Some(active) = pending.pop() {
        for &byte in &alphabet {
            let next: Vec<Vec<u32>> = tokens
                .iter()
                .zip(&active)
                .map(|(t, states)| step(t, states, byte))
                .collect();
            // The start position is not a prefix any input has matched.
            let weight: usize = next
                .iter()
                .map(|states| states.iter().filter(|&&k| k > 0).count())
                .sum();
            worst = worst.max(weight);
            if worst > limit {
                return worst;
            }
            if seen.len() < MAX_EXPLORED && !seen.contains(&next) {
                seen.insert(next.clone());
                pending.push(next);
            }
        }
    }
    worst
}

/// Position `k` of a pattern's NFA: the first `k` tokens consumed. A `*`
/// token is skippable (epsilon to the next position) and its position loops
/// on any byte.
fn closure(tokens: &[Option<u8>], mut states: Vec<u32>) -> Vec<u32> {
    let mut i = 0;
    while i < states.len() {
        let k = states[i] as usize;
        if k < tokens.len() && tokens[k].is_none() && !states.contains(&(k as u32 + 1)) {
            states.push(k as u32 + 1);
        }
        i += 1;
    }
    states.sort_unstable();
    states
}

fn step(tokens: &[Option<u8>], states: &[u32], byte: Option<u8>) -> Vec<u32> {
    let mut next = Vec::new();
    for &k in states {
        let k = k as usize;
        if k > 0 && tokens[k - 1].is_none() && !next.contains(&(k as u32)) {
            next.push(k as u32);
        }
        if k < tokens.len()
            && byte.is_some()
            && tokens[k] == byte
            && !next.contains(&(k as u32 + 1))
        {
            next.push(k as u32 + 1);
        }
    }
    closure(tokens, next)
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

    fn unquoted_complexity(patterns: &[&str]) -> usize {
        // event-ruler's own tests add patterns without the JSON quotes.
        let tokens: Vec<Vec<Option<u8>>> = patterns
            .iter()
            .map(|p| {
                let t = wc(p).tokens();
                t[1..t.len() - 1].to_vec()
            })
            .collect();
        search(&tokens, usize::MAX)
    }

    /// The expected values of event-ruler's `MachineComplexityEvaluatorTest`.
    #[test]
    fn complexity_agrees_with_event_ruler() {
        let cases: &[(&[&str], usize)] = &[
            (&["*"], 1),
            (&["abc"], 1),
            (&["*ab"], 2),
            (&["*aa"], 3),
            (&["a*b"], 2),
            (&["aa*"], 2),
            (&["a*bc"], 2),
            (&["a*bb"], 3),
            (&["a*bcb"], 3),
            (&["a*bbb"], 4),
            (&["*ab*ad"], 4),
            (&["*ab*d"], 3),
            (&["*aba*"], 4),
            (&["a*b*bb"], 5),
            (&["a*b*cb"], 4),
            (&["a*b*cd"], 3),
            (&["a*b*b"], 4),
            (&["a*bb*"], 4),
            (&["ab*b*"], 3),
            (&["*ab*b*b*"], 7),
            (&["*a*a*a*a*a*a*a*a*"], 17),
            (&["*", "ab*c"], 3),
            (&["ab*c", "x*xx"], 3),
            (&["*abc", "*abcde"], 4),
            (&["a*bcd", "ab*cd"], 4),
            (&["a*bc", "a*bcde"], 4),
            (&["a*aaa", "aa*aa"], 7),
            (&["a*bc", "abc*d"], 4),
            (&["a*aaa", "aaa*a"], 6),
            (&["a*aax", "aaa*x"], 5),
            (&["a*bc", "abc*"], 4),
            (&["a*aa", "aaa*"], 5),
            (&["abc*", "abcde*"], 3),
            (&["ab*cd", "ab*wx", "ab*yz"], 6),
            (
                &["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"],
                10,
            ),
            // testEvaluateQuaminaExploder
            (
                &[
                    "aahed*", "aal*ii", "aargh*", "aarti*", "a*baca", "*abaci", "a*back", "ab*acs",
                    "abaf*t", "*abaka", "ab*amp", "a*band", "*abase", "abash*", "abas*k", "ab*ate",
                    "aba*ya", "abbas*", "abbed*", "ab*bes", "abbey*", "*abbot", "ab*cee", "abea*m",
                    "abe*ar", "a*bele", "a*bers", "abet*s", "*abhor", "abi*de", "a*bies", "*abled",
                ],
                45,
            ),
        ];
        for (patterns, expected) in cases {
            assert_eq!(unquoted_complexity(patterns), *expected, "{patterns:?}");
        }
    }

    #[test]
    fn complexity_of_quoted_patterns() {
        let of = |patterns: &[&str]| {
            let parsed: Vec<Wildcard> = patterns.iter().map(|p| wc(p)).collect();
            let refs: Vec<&Wildcard> = parsed.iter().collect();
            complexity(&refs, usize::MAX)
        };
        assert_eq!(of(&["*:*:*:*:*:event-bus/*"]), 11);
        assert_eq!(of(&["/Users/*/dir/dir/dir/dir/dir/doc.txt"]), 7);
        assert_eq!(of(&["arn:aws:events:us-east-1:*:event-bus/*"]), 3);
        assert_eq!(of(&["x*", "x*"]), of(&["x*"]));
        assert_eq!(complexity(&[], MAX_COMPLEXITY), 0);
        // Every wildcard value on a field shares the opening quote, so each
        // one counts at least once: eleven of them are always too complex.
        let eleven: Vec<String> = (0..11).map(|i| format!("v{i}*")).collect();
        let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
        assert_eq!(of(&eleven[..10]), 10);
        assert!(of(&eleven) > MAX_COMPLEXITY);
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

#[cfg(test)]
mod bounded {
    use super::*;

    fn measure(texts: &[String]) -> (usize, std::time::Duration) {
        let parsed: Vec<Wildcard> = texts
            .iter()
            .map(|t| Wildcard::parse(t).expect("valid"))
            .collect();
        let refs: Vec<&Wildcard> = parsed.iter().collect();
        let started = std::time::Instant::now();
        let c = complexity(&refs, MAX_COMPLEXITY);
        (c, started.elapsed())
    }

    /// Long wildcards on one field stay cheap to measure, and a long
    /// repeating literal after a star stops early.
    #[test]
    fn search_is_bounded() {
        let long: Vec<String> = ["alpha", "beta", "gamma", "delta"]
            .iter()
            .map(|k| format!("{k}-*-{}", "abcdefghij".repeat(80)))
            .collect();
        let (c, took) = measure(&long);
        assert!(c <= MAX_COMPLEXITY, "{c}");
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
        let repeating = vec![format!("*{}", "ab".repeat(900))];
        let (c, took) = measure(&repeating);
        assert!(c > MAX_COMPLEXITY, "{c}");
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }
}
