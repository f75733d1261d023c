//! Pattern text as Jackson's streaming parser sees it, for EventBridge's
//! error messages.
//!
//! event-ruler compiles a pattern while it reads it token by token with
//! Jackson, and every error it raises (`JsonParseException`) ends with the
//! parser's current location:
//! `\n at [Source: (String)"<pattern>"; line: 1, column: 11]`. The column is
//! 1-based, in UTF-16 units, and points just after the last character the
//! parser consumed; Jackson reads ahead in ways this module reproduces:
//!
//! * a field name is returned only after the colon and the first token of its
//!   value have been read (the whole number or literal, a bracket, or just the
//!   opening quote of a string);
//! * a string value is read lazily: the closing quote is consumed only when
//!   event-ruler asks for its text;
//! * a number ends at the character after it, which is not consumed.
//!
//! Syntax errors carry Jackson's own message texts (jackson-core 2.17+:
//! "unexpected character" errors point at the character itself).
//!
//! This runs only once a pattern has been rejected; valid patterns never
//! come here.

/// Jackson's list of what a value may start with, in its error messages.
const VALID_VALUES: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// Jackson shows at most this many characters of the source (UTF-16 units).
const MAX_SNIPPET: usize = 500;

/// Jackson truncates the text of an unrecognized token at this length.
const MAX_TOKEN: usize = 256;

/// A parser position as Jackson reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    Field,
    Str,
    Scalar,
}

/// One token of the stream, with where the parser stands once
/// `nextToken()` has returned it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The decoded field name ([`Kind::Field`]), the decoded text
    /// ([`Kind::Str`]) or the literal text ([`Kind::Scalar`]).
    pub text: String,
    pub at: Loc,
    /// For strings, where the parser stands once the text has been read
    /// (after the closing quote); otherwise `at`.
    pub text_end: Loc,
    /// False for a string whose end the scan did not reach.
    pub complete: bool,
}

/// The tokens of the first JSON value in the text, and the syntax error that
/// stopped the scan, if any (for text after a complete first value: the
/// error Jackson would raise on reading the next value, if any).
#[derive(Debug)]
pub(crate) struct Scan {
    pub tokens: Vec<Token>,
    pub error: Option<(String, Loc)>,
    /// Where the scan stopped.
    pub end: Loc,
}

#[derive(Debug, Clone, Copy)]
struct Context {
    array: bool,
    start: Loc,
    entries: usize,
}

struct Lexer<'a> {
    text: &'a str,
    chars: Vec<char>,
    /// UTF-16 offset of each char, plus the total at the end.
    units: Vec<usize>,
    ptr: usize,
    line: usize,
    line_start: usize,
    stack: Vec<Context>,
    tokens: Vec<Token>,
}

type Step<T> = Result<T, (String, Loc)>;

/// Scans `text` the way Jackson reads it for event-ruler.
pub(crate) fn scan(text: &str) -> Scan {
    let chars: Vec<char> = text.chars().collect();
    let mut units = Vec::with_capacity(chars.len() + 1);
    let mut total = 0;
    for c in &chars {
        units.push(total);
        total += c.len_utf16();
    }
    units.push(total);
    let mut lexer = Lexer {
        text,
        chars,
        units,
        ptr: 0,
        line: 1,
        line_start: 0,
        stack: Vec::new(),
        tokens: Vec::new(),
    };
    let error = match lexer.run() {
        Err(error) => Some(error),
        Ok(()) => match lexer.skip_ws() {
            Err(error) => Some(error),
            Ok(None) => None,
            Ok(Some(_)) => lexer.next_root_value().err(),
        },
    };
    Scan {
        end: lexer.loc(),
        tokens: lexer.tokens,
        error,
    }
}

/// `\n at [Source: ...; line: L, column: C]`, Jackson's location suffix.
pub(crate) fn location_suffix(text: &str, at: Loc) -> String {
    format!("\n at {}", describe(text, at))
}

/// `[Source: (String)"..."; line: L, column: C]` (`JsonLocation.toString()`).
fn describe(text: &str, at: Loc) -> String {
    let mut out = String::with_capacity(text.len().min(600) + 40);
    out.push_str("[Source: (String)\"");
    let mut total = 0;
    for c in text.chars() {
        total += c.len_utf16();
        if total > MAX_SNIPPET {
            continue;
        }
        if is_iso_control(c) && c != '\r' && c != '\n' {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    if total > MAX_SNIPPET {
        out.push_str(&format!("[truncated {} chars]", total - MAX_SNIPPET));
    }
    out.push_str(&format!("; line: {}, column: {}]", at.line, at.column));
    out
}

fn is_iso_control(c: char) -> bool {
    matches!(c as u32, 0..=0x1f | 0x7f..=0x9f)
}

/// Jackson's `_getCharDesc`.
fn char_desc(c: char) -> String {
    let code = c as u32;
    if is_iso_control(c) {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

/// Java's `Character.isJavaIdentifierStart`, near enough.
fn identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '$' || c == '_'
}

/// Java's `Character.isJavaIdentifierPart`, near enough.
fn identifier_part(c: char) -> bool {
    c.is_alphanumeric() || c == '$' || c == '_'
}

fn type_desc(context: Option<&Context>) -> &'static str {
    match context {
        Some(c) if c.array => "Array",
        Some(_) => "Object",
        None => "root",
    }
}

enum Value {
    Str,
    Container,
    Scalar,
}

impl Lexer<'_> {
    fn loc_at(&self, ptr: usize) -> Loc {
        let ptr = ptr.min(self.chars.len());
        Loc {
            line: self.line,
            column: self.units[ptr] - self.units[self.line_start.min(ptr)] + 1,
        }
    }

    fn loc(&self) -> Loc {
        self.loc_at(self.ptr)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.ptr).copied()
    }

    /// Consumes `c` and reports it as Jackson's `_reportUnexpectedChar`
    /// does, pointing at the character.
    fn unexpected<T>(&mut self, c: char, comment: &str) -> Step<T> {
        self.ptr += 1;
        let at = self.loc_at(self.ptr - 1);
        Err((
            format!("Unexpected character ({}): {comment}", char_desc(c)),
            at,
        ))
    }

    fn unexpected_in_number<T>(&mut self, c: char, comment: &str) -> Step<T> {
        self.ptr += 1;
        let at = self.loc_at(self.ptr - 1);
        Err((
            format!(
                "Unexpected character ({}) in numeric value: {comment}",
                char_desc(c)
            ),
            at,
        ))
    }

    fn eof<T>(&self, what: &str) -> Step<T> {
        Err((format!("Unexpected end-of-input{what}"), self.loc()))
    }

    /// Skips white space, leaving the next character unread.
    fn skip_ws(&mut self) -> Step<Option<char>> {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' => self.ptr += 1,
                '\n' => {
                    self.ptr += 1;
                    self.line += 1;
                    self.line_start = self.ptr;
                }
                '\r' => {
                    self.ptr += 1;
                    if self.peek() == Some('\n') {
                        self.ptr += 1;
                    }
                    self.line += 1;
                    self.line_start = self.ptr;
                }
                '/' => {
                    return self.unexpected(
                        c,
                        "maybe a (non-standard) comment? (not recognized as one since \
                         Feature 'ALLOW_COMMENTS' not enabled for parser)",
                    )
                }
                c if (c as u32) < 0x20 => {
                    self.ptr += 1;
                    return Err((
                        format!(
                            "Illegal character ({}): only regular white space (\\r, \\n, \\t) \
                             is allowed between tokens",
                            char_desc(c)
                        ),
                        self.loc(),
                    ));
                }
                c => return Ok(Some(c)),
            }
        }
        Ok(None)
    }

    fn push(&mut self, kind: Kind, text: String, at: Loc) -> usize {
        self.tokens.push(Token {
            kind,
            text,
            at,
            text_end: at,
            complete: kind != Kind::Str,
        });
        self.tokens.len() - 1
    }

    /// Reads tokens until the first value is complete.
    fn run(&mut self) -> Step<()> {
        loop {
            let Some(mut c) = self.skip_ws()? else {
                return match self.stack.last() {
                    Some(context) => {
                        let marker = if context.array { "Array" } else { "Object" };
                        self.eof(&format!(
                            ": expected close marker for {marker} (start marker at {})",
                            describe(self.text, context.start)
                        ))
                    }
                    None => Ok(()),
                };
            };
            if c == ']' || c == '}' {
                self.ptr += 1;
                let Some(context) = self.stack.last().copied() else {
                    let expected = if c == ']' { '}' } else { ']' };
                    return Err(self.mismatch(c, expected, None));
                };
                if context.array != (c == ']') {
                    let expected = if context.array { ']' } else { '}' };
                    return Err(self.mismatch(c, expected, Some(context)));
                }
                self.stack.pop();
                let kind = if context.array {
                    Kind::EndArray
                } else {
                    Kind::EndObject
                };
                let at = self.loc();
                self.push(kind, String::new(), at);
                if self.stack.is_empty() {
                    return Ok(());
                }
                continue;
            }
            let context = self.stack.last().copied();
            if let Some(context) = context {
                if context.entries > 0 {
                    if c != ',' {
                        let comment = format!(
                            "was expecting comma to separate {} entries",
                            type_desc(Some(&context))
                        );
                        return self.unexpected(c, &comment);
                    }
                    self.ptr += 1;
                    c = match self.skip_ws()? {
                        Some(c) => c,
                        None => {
                            return self.eof(&format!(
                                " within/between {} entries",
                                type_desc(Some(&context))
                            ))
                        }
                    };
                }
                if let Some(top) = self.stack.last_mut() {
                    top.entries += 1;
                }
            }
            let in_object = matches!(context, Some(Context { array: false, .. }));
            let field = if in_object {
                if c != '"' {
                    return self.unexpected(c, "was expecting double-quote to start field name");
                }
                self.ptr += 1;
                let name = self.string(true)?;
                let between = " within/between Object entries";
                match self.skip_ws()? {
                    Some(':') => self.ptr += 1,
                    Some(other) => {
                        return self.unexpected(
                            other,
                            "was expecting a colon to separate field name and value",
                        )
                    }
                    None => return self.eof(between),
                }
                c = match self.skip_ws()? {
                    Some(c) => c,
                    None => return self.eof(between),
                };
                Some(name)
            } else {
                None
            };
            let start = self.loc_at(self.ptr);
            let first = self.ptr;
            let value = self.value_start(c, context.is_none())?;
            let at = self.loc();
            if let Some(name) = field {
                self.push(Kind::Field, name, at);
            }
            let kind = match (&value, c) {
                (Value::Str, _) => Kind::Str,
                (Value::Container, '[') => Kind::StartArray,
                (Value::Container, _) => Kind::StartObject,
                (Value::Scalar, _) => Kind::Scalar,
            };
            let literal = match value {
                Value::Scalar => self.chars[first..self.ptr].iter().collect(),
                _ => String::new(),
            };
            let index = self.push(kind, literal, at);
            match value {
                Value::Str => {
                    let text = self.string(false)?;
                    let end = self.loc();
                    if let Some(token) = self.tokens.get_mut(index) {
                        token.text = text;
                        token.text_end = end;
                        token.complete = true;
                    }
                }
                Value::Container => self.stack.push(Context {
                    array: c == '[',
                    start,
                    entries: 0,
                }),
                Value::Scalar => {}
            }
            if self.stack.is_empty() {
                return Ok(());
            }
        }
    }

    /// A second value at the root, read only to find Jackson's complaint
    /// about it.
    fn next_root_value(&mut self) -> Step<()> {
        match self.skip_ws()? {
            Some(c) if c == ']' || c == '}' => {
                self.ptr += 1;
                let expected = if c == ']' { '}' } else { ']' };
                Err(self.mismatch(c, expected, None))
            }
            Some(c) => {
                self.value_start(c, true)?;
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn mismatch(&self, actual: char, expected: char, context: Option<Context>) -> (String, Loc) {
        let start = context.map_or(Loc { line: 1, column: 0 }, |c| c.start);
        (
            format!(
                "Unexpected close marker '{actual}': expected '{expected}' (for {} starting at {})",
                type_desc(context.as_ref()),
                describe(self.text, start)
            ),
            self.loc_at(self.ptr.saturating_sub(1)),
        )
    }

    /// Consumes the first token of a value (only the opening quote of a
    /// string).
    fn value_start(&mut self, c: char, root: bool) -> Step<Value> {
        match c {
            '"' => {
                self.ptr += 1;
                Ok(Value::Str)
            }
            '[' | '{' => {
                self.ptr += 1;
                Ok(Value::Container)
            }
            't' => self.literal("true"),
            'f' => self.literal("false"),
            'n' => self.literal("null"),
            '-' | '0'..='9' => self.number(root),
            '}' => self.unexpected(c, "expected a value"),
            c if identifier_start(c) => {
                self.ptr += 1;
                self.invalid_token(c.to_string())
            }
            c => self.unexpected(c, &format!("expected a valid value {VALID_VALUES}")),
        }
    }

    fn literal(&mut self, word: &str) -> Step<Value> {
        for (i, expected) in word.char_indices() {
            if self.peek() != Some(expected) {
                return self.invalid_token(word[..i].to_owned());
            }
            self.ptr += 1;
        }
        if self.peek().is_some_and(identifier_part) {
            return self.invalid_token(word.to_owned());
        }
        Ok(Value::Scalar)
    }

    /// Jackson's `_reportInvalidToken`: the token runs on over identifier
    /// characters.
    fn invalid_token<T>(&mut self, mut token: String) -> Step<T> {
        while let Some(c) = self.peek() {
            if !identifier_part(c) {
                break;
            }
            self.ptr += 1;
            token.push(c);
            if token.chars().count() >= MAX_TOKEN {
                token.push_str("...");
                break;
            }
        }
        Err((
            format!("Unrecognized token '{token}': was expecting {VALID_VALUES}"),
            self.loc(),
        ))
    }

    fn digits(&mut self) -> usize {
        let mut count = 0;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.ptr += 1;
            count += 1;
        }
        count
    }

    fn number(&mut self, root: bool) -> Step<Value> {
        if self.peek() == Some('-') {
            self.ptr += 1;
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {}
                Some(c) => {
                    return self.unexpected_in_number(
                        c,
                        "expected digit (0-9) to follow minus sign, for valid numeric value",
                    )
                }
                None => return self.eof(" in a Number value"),
            }
        }
        if self.peek() == Some('0') {
            self.ptr += 1;
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err((
                    "Invalid numeric value: Leading zeroes not allowed".to_owned(),
                    self.loc(),
                ));
            }
        } else {
            self.digits();
        }
        if self.peek() == Some('.') {
            self.ptr += 1;
            if self.digits() == 0 {
                return match self.peek() {
                    Some(c) => {
                        self.unexpected_in_number(c, "Decimal point not followed by a digit")
                    }
                    None => self.eof(" in a Number value"),
                };
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.ptr += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.ptr += 1;
            }
            if self.digits() == 0 {
                return match self.peek() {
                    Some(c) => {
                        self.unexpected_in_number(c, "Exponent indicator not followed by a digit")
                    }
                    None => self.eof(" in a Number value"),
                };
            }
        }
        if root {
            if let Some(c) = self.peek() {
                if !matches!(c, ' ' | '\t' | '\n' | '\r') {
                    return self.unexpected(c, "Expected space separating root-level values");
                }
            }
        }
        Ok(Value::Scalar)
    }

    /// Reads a string after its opening quote, through the closing quote;
    /// returns the decoded text.
    fn string(&mut self, name: bool) -> Step<String> {
        let mut units: Vec<u16> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return self.eof(if name {
                    " in field name"
                } else {
                    ": was expecting closing quote for a string value"
                });
            };
            self.ptr += 1;
            match c {
                '"' => return Ok(String::from_utf16_lossy(&units)),
                '\\' => self.escape(&mut units)?,
                c if (c as u32) < 0x20 => {
                    let what = if name { "name" } else { "string value" };
                    return Err((
                        format!(
                            "Illegal unquoted character ({}): has to be escaped using \
                             backslash to be included in {what}",
                            char_desc(c)
                        ),
                        self.loc(),
                    ));
                }
                c => {
                    let mut buffer = [0u16; 2];
                    units.extend_from_slice(c.encode_utf16(&mut buffer));
                }
            }
        }
    }

    fn escape(&mut self, units: &mut Vec<u16>) -> Step<()> {
        let Some(c) = self.peek() else {
            return self.eof(" in character escape sequence");
        };
        self.ptr += 1;
        let unit = match c {
            'b' => 0x08,
            't' => 0x09,
            'n' => 0x0a,
            'f' => 0x0c,
            'r' => 0x0d,
            '"' | '/' | '\\' => c as u16,
            'u' => {
                let mut value = 0u16;
                for _ in 0..4 {
                    let Some(h) = self.peek() else {
                        return self.eof(" in character escape sequence");
                    };
                    let Some(digit) = h.to_digit(16) else {
                        return self
                            .unexpected(h, "expected a hex-digit for character escape sequence");
                    };
                    self.ptr += 1;
                    value = (value << 4) | digit as u16;
                }
                value
            }
            other => {
                return Err((
                    format!("Unrecognized character escape {}", char_desc(other)),
                    self.loc(),
                ))
            }
        };
        units.push(unit);
        Ok(())
    }
}

/// One step from a value to a value inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// The value of a field (the last one, when a name repeats).
    Key(String),
    /// An array element.
    Index(usize),
}

/// Where, relative to one value, event-ruler raises an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Once the value's first token has been read.
    Start,
    /// Once a string's text has been read (its closing quote).
    Text,
    /// Once the value's last token has been read (`]` or `}`).
    End,
    /// Once the n-th token after the value has been read.
    After(usize),
}

/// Index of the token after the value that starts at `index`; `None` if
/// the scan stopped inside it.
fn skip(tokens: &[Token], index: usize) -> Option<usize> {
    let token = tokens.get(index)?;
    let close = match token.kind {
        Kind::StartObject => Kind::EndObject,
        Kind::StartArray => Kind::EndArray,
        _ => return Some(index + 1),
    };
    let mut next = index + 1;
    loop {
        let token = tokens.get(next)?;
        if token.kind == close {
            return Some(next + 1);
        }
        if token.kind == Kind::Field {
            next += 1;
        }
        next = skip(tokens, next)?;
    }
}

/// The first token of the value at `path` (outermost step first), and its
/// last one if the scan got that far.
fn find(tokens: &[Token], path: &[Seg]) -> Option<(usize, Option<usize>)> {
    let mut start = 0;
    for seg in path {
        let token = tokens.get(start)?;
        let mut next = Some(start + 1);
        let mut found = None;
        match (seg, token.kind) {
            (Seg::Key(key), Kind::StartObject) => {
                while let Some(field) =
                    next.filter(|&n| tokens.get(n).is_some_and(|t| t.kind == Kind::Field))
                {
                    if tokens[field].text == *key {
                        found = Some(field + 1);
                    }
                    next = skip(tokens, field + 1);
                }
            }
            (Seg::Index(wanted), Kind::StartArray) => {
                let mut i = 0;
                while let Some(element) =
                    next.filter(|&n| tokens.get(n).is_some_and(|t| t.kind != Kind::EndArray))
                {
                    if i == *wanted {
                        found = Some(element);
                        break;
                    }
                    i += 1;
                    next = skip(tokens, element);
                }
            }
            _ => return None,
        }
        start = found?;
    }
    Some((
        start,
        skip(tokens, start).and_then(|end| end.checked_sub(1)),
    ))
}

/// Where the parser stands at `stage` of the value at `path`; `None` if the
/// scan did not get there.
pub(crate) fn locate(tokens: &[Token], path: &[Seg], stage: Stage) -> Option<Loc> {
    let (first, last) = find(tokens, path)?;
    let token = match stage {
        Stage::Start => tokens.get(first)?,
        Stage::Text => {
            let token = tokens.get(first)?;
            return token.complete.then_some(token.text_end);
        }
        Stage::End => tokens.get(last?)?,
        Stage::After(n) => tokens.get(last? + n)?,
    };
    Some(token.at)
}

/// Whether the scan read the whole first value (only text after it failed).
pub(crate) fn first_value_complete(tokens: &[Token]) -> bool {
    skip(tokens, 0).is_some()
}

/// The part of the value the scan read, closing what it left open (an
/// unfinished string reads as empty). event-ruler compiles as it reads, so
/// a rule error in this part comes before a syntax error after it.
pub(crate) fn partial_value(tokens: &[Token]) -> Option<serde_json::Value> {
    build(tokens, 0).map(|(value, _)| value)
}

fn build(tokens: &[Token], index: usize) -> Option<(serde_json::Value, usize)> {
    use serde_json::Value as Json;
    let token = tokens.get(index)?;
    match token.kind {
        Kind::StartObject => {
            let mut map = serde_json::Map::new();
            let mut next = index + 1;
            while let Some(field) = tokens.get(next).filter(|t| t.kind == Kind::Field) {
                let Some((value, after)) = build(tokens, next + 1) else {
                    break;
                };
                map.insert(field.text.clone(), value);
                next = after;
            }
            if tokens.get(next).is_some_and(|t| t.kind == Kind::EndObject) {
                next += 1;
            }
            Some((Json::Object(map), next))
        }
        Kind::StartArray => {
            let mut items = Vec::new();
            let mut next = index + 1;
            while tokens.get(next).is_some_and(|t| t.kind != Kind::EndArray) {
                let Some((value, after)) = build(tokens, next) else {
                    break;
                };
                items.push(value);
                next = after;
            }
            if tokens.get(next).is_some_and(|t| t.kind == Kind::EndArray) {
                next += 1;
            }
            Some((Json::Array(items), next))
        }
        Kind::Str => Some((Json::String(token.text.clone()), index + 1)),
        Kind::Scalar => Some((serde_json::from_str(&token.text).ok()?, index + 1)),
        Kind::Field | Kind::EndObject | Kind::EndArray => None,
    }
}
