//! Pattern JSON to [`SubPattern`]s, validating as event-ruler does.
//!
//! The walk follows event-ruler's `JsonRuleCompiler` check for check and in
//! document order (serde_json keeps key order here), so the first error
//! reported is the one AWS reports.

use serde_json::{Map, Value};

use crate::ast::{AnythingBut, FieldCondition, NumericRange, Operator, SubPattern};
use crate::error::{PatternError, Reason};
use crate::ip::{literal_address, parse_cidr};
use crate::jackson::{self, Seg, Stage};
use crate::number::{quantize, Number};
use crate::wildcard::{self, Wildcard};

/// Most `$or` alternatives one pattern may expand into (our bound).
pub const MAX_ALTERNATIVES: usize = 1024;

/// Field names event-ruler reserves inside `$or` objects
/// (`Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// Which service's operator set applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// EventBridge: the whole language.
    EventBridge,
    /// SNS: no `wildcard`, no `equals-ignore-case` inside `prefix`/`suffix`,
    /// and `anything-but` takes only the `prefix` sub-operator, with a single
    /// string.
    Sns,
}

/// A rejected pattern: the reason and where event-ruler's parser stands
/// when it raises it.
#[derive(Debug)]
pub(crate) struct Fail {
    reason: Reason,
    /// Steps from the root to the value the stage refers to, innermost
    /// first (pushed while the error travels out of the walk).
    path: Vec<Seg>,
    /// `None`: raised once parsing is over, without a location.
    stage: Option<Stage>,
    /// event-ruler catches the error and raises it again, so Jackson's
    /// location appears twice.
    twice: bool,
}

impl Fail {
    fn new(reason: Reason, stage: Option<Stage>) -> Fail {
        Fail {
            reason,
            path: Vec::new(),
            stage,
            twice: false,
        }
    }

    /// Raised once the value's first token has been read.
    fn start(reason: Reason) -> Fail {
        Fail::new(reason, Some(Stage::Start))
    }

    /// Raised once the string's text has been read.
    fn text(reason: Reason) -> Fail {
        Fail::new(reason, Some(Stage::Text))
    }

    /// Raised once the value's closing bracket has been read.
    fn end(reason: Reason) -> Fail {
        Fail::new(reason, Some(Stage::End))
    }

    /// Raised once the token after the value has been read.
    fn next(reason: Reason) -> Fail {
        Fail::new(reason, Some(Stage::After(1)))
    }

    /// Raised after parsing, with no location.
    fn unplaced(reason: Reason) -> Fail {
        Fail::new(reason, None)
    }

    fn key(mut self, key: &str) -> Fail {
        self.path.push(Seg::Key(key.to_owned()));
        self
    }

    fn index(mut self, index: usize) -> Fail {
        self.path.push(Seg::Index(index));
        self
    }

    fn twice(mut self, twice: bool) -> Fail {
        self.twice = twice;
        self
    }

    /// The EventBridge error, with Jackson's location in `text`.
    fn into_pattern_error(self, text: &str) -> PatternError {
        let scan = jackson::scan(text);
        let location = self.location(text, &scan.tokens).unwrap_or_default();
        PatternError::Invalid {
            reason: self.reason,
            location,
        }
    }

    /// Jackson's location suffix, or `None` if the tokens do not reach the
    /// place the error is raised.
    fn location(&self, text: &str, tokens: &[jackson::Token]) -> Option<String> {
        let stage = self.stage?;
        let path: Vec<Seg> = self.path.iter().rev().cloned().collect();
        let at = jackson::locate(tokens, &path, stage)?;
        let suffix = jackson::location_suffix(text, at);
        Some(if self.twice { suffix.repeat(2) } else { suffix })
    }
}

/// The error for text that is not JSON, as event-ruler reports it. It
/// compiles while Jackson reads, so what comes first wins: a root that is not
/// an object (reported at its first token), a rule error in the part read
/// before the syntax error, or Jackson's syntax error.
fn syntax_error(text: &str) -> PatternError {
    let scan = jackson::scan(text);
    if let Some(first) = scan
        .tokens
        .first()
        .filter(|t| t.kind != jackson::Kind::StartObject)
    {
        return PatternError::Invalid {
            reason: Reason::NotAnObject,
            location: jackson::location_suffix(text, first.at),
        };
    }
    let read = jackson::partial_value(&scan.tokens);
    if let Some(Err(fail)) = read.map(|value| compile(&value, Dialect::EventBridge)) {
        match fail.location(text, &scan.tokens) {
            Some(location) => {
                return PatternError::Invalid {
                    reason: fail.reason,
                    location,
                }
            }
            // The first value is complete (only more text follows it), so
            // event-ruler raises this error too, without a location.
            None if jackson::first_value_complete(&scan.tokens) => {
                return PatternError::Invalid {
                    reason: fail.reason,
                    location: String::new(),
                }
            }
            None => {}
        }
    }
    let (reason, at) = match scan.error {
        Some((message, at)) => (Reason::Json(message), Some(at)),
        // Nothing but white space: Jackson reports no token at all, which
        // is not an object.
        None if scan.tokens.is_empty() => (Reason::NotAnObject, Some(scan.end)),
        // A complete, valid pattern followed by another JSON value: Jackson
        // (and event-ruler, which stops after the first value) has no
        // complaint; the wording is ours.
        None => (
            Reason::Json("Unexpected content after the end of the pattern".to_owned()),
            None,
        ),
    };
    PatternError::Invalid {
        reason,
        location: at.map_or_else(String::new, |at| jackson::location_suffix(text, at)),
    }
}

/// Parses EventBridge pattern text into its `$or`-expanded alternatives,
/// with AWS's error messages.
pub(crate) fn parse_event_pattern(text: &str) -> Result<Vec<SubPattern>, PatternError> {
    let value: Value = serde_json::from_str(text).map_err(|_| syntax_error(text))?;
    compile(&value, Dialect::EventBridge).map_err(|fail| fail.into_pattern_error(text))
}

/// Parses an already-decoded pattern.
pub fn parse_value(value: &Value, dialect: Dialect) -> Result<Vec<SubPattern>, Reason> {
    compile(value, dialect).map_err(|fail| fail.reason)
}

fn compile(value: &Value, dialect: Dialect) -> Result<Vec<SubPattern>, Fail> {
    let Value::Object(object) = value else {
        return Err(Fail::start(Reason::NotAnObject));
    };
    let mut compiler = Compiler {
        dialect,
        path: Vec::new(),
    };
    let mut alternatives = Vec::new();
    compiler.object(&mut alternatives, object, false)?;
    check_wildcard_complexity(&alternatives).map_err(Fail::unplaced)?;
    Ok(alternatives)
}

/// EventBridge refuses a pattern whose `wildcard` values on one field could
/// leave more than [`wildcard::MAX_COMPLEXITY`] prefixes active at once for a
/// single value. event-ruler measures this per byte machine; all the
/// alternatives' wildcards on a path are measured together here, which can
/// only over-count when `$or` branches put them behind different values of
/// earlier fields.
fn check_wildcard_complexity(alternatives: &[SubPattern]) -> Result<(), Reason> {
    let mut by_path: Vec<(&str, Vec<&Wildcard>)> = Vec::new();
    for condition in alternatives.iter().flatten() {
        for operator in &condition.operators {
            if let Operator::Wildcard(w) = operator {
                match by_path.iter_mut().find(|(p, _)| *p == condition.path) {
                    Some((_, list)) => list.push(w),
                    None => by_path.push((&condition.path, vec![w])),
                }
            }
        }
    }
    for (_, wildcards) in &by_path {
        if wildcard::complexity(wildcards, wildcard::MAX_COMPLEXITY) > wildcard::MAX_COMPLEXITY {
            return Err(Reason::RuleTooComplex);
        }
    }
    Ok(())
}

/// Token text as Jackson's `getText()` would show it in a message.
fn token_text(value: Option<&Value>) -> String {
    match value {
        None => "]".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Object(_)) => "{".to_owned(),
        Some(Value::Array(_)) => "[".to_owned(),
    }
}

struct Compiler {
    dialect: Dialect,
    /// Keys of the enclosing objects.
    path: Vec<String>,
}

/// Where an error about element `index` of an array is raised once that
/// element has been read: at the element, or at the `]` if there is none.
fn at_element(reason: Reason, items: &[Value], index: usize) -> Fail {
    if index < items.len() {
        Fail::start(reason).index(index)
    } else {
        Fail::end(reason)
    }
}

impl Compiler {
    fn object(
        &mut self,
        alts: &mut Vec<SubPattern>,
        object: &Map<String, Value>,
        in_or: bool,
    ) -> Result<(), Fail> {
        for (key, value) in object {
            if key == "$or" {
                self.or(alts, value).map_err(|f| f.key(key))?;
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&key.as_str()) {
                return Err(Fail::start(Reason::ReservedInOr(key.clone())).key(key));
            }
            match value {
                Value::Object(child) => {
                    self.path.push(key.clone());
                    let result = self.object(alts, child, in_or);
                    self.path.pop();
                    result.map_err(|f| f.key(key))?;
                }
                Value::Array(values) => self.field(alts, key, values).map_err(|f| f.key(key))?,
                _ => return Err(Fail::start(Reason::MustBeObjectOrArray(key.clone())).key(key)),
            }
        }
        if object.is_empty() {
            return Err(Fail::end(Reason::EmptyObject));
        }
        Ok(())
    }

    /// `$or`: every existing alternative is crossed with every branch.
    fn or(&mut self, alts: &mut Vec<SubPattern>, value: &Value) -> Result<(), Fail> {
        let current = std::mem::take(alts);
        let Value::Array(branches) = value else {
            return Err(Fail::start(Reason::OrNotArray));
        };
        for (i, branch) in branches.iter().enumerate() {
            let Value::Object(branch) = branch else {
                return Err(Fail::start(Reason::OrElementNotObject).index(i));
            };
            let mut forked = current.clone();
            if forked.is_empty() {
                forked.push(SubPattern::new());
            }
            self.object(&mut forked, branch, true)
                .map_err(|f| f.index(i))?;
            alts.extend(forked);
            if alts.len() > MAX_ALTERNATIVES {
                return Err(Fail::unplaced(Reason::TooManyAlternatives(
                    MAX_ALTERNATIVES,
                )));
            }
        }
        if branches.len() < 2 {
            return Err(Fail::end(Reason::OrTooFewObjects));
        }
        Ok(())
    }

    fn field(
        &mut self,
        alts: &mut Vec<SubPattern>,
        key: &str,
        values: &[Value],
    ) -> Result<(), Fail> {
        let mut operators = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            operators.push(match value {
                Value::Object(expression) => {
                    self.match_expression(expression).map_err(|f| f.index(i))?
                }
                Value::String(s) => match literal_address(s) {
                    Some(address) => Operator::Cidr(address),
                    None => Operator::ExactString(s.clone()),
                },
                Value::Number(n) => match Number::from_json(n) {
                    Some(number) => Operator::ExactNumber(number.key()),
                    None => return Err(Fail::start(Reason::BadMatchValue).index(i)),
                },
                Value::Bool(b) => Operator::ExactBool(*b),
                Value::Null => Operator::ExactNull,
                Value::Array(_) => return Err(Fail::start(Reason::BadMatchValue).index(i)),
            });
        }
        if operators.is_empty() {
            return Err(Fail::end(Reason::EmptyArray));
        }
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path.join("."))
        };
        if alts.is_empty() {
            alts.push(SubPattern::new());
        }
        for alt in alts.iter_mut() {
            // A repeated path replaces the earlier one, as in event-ruler.
            match alt.iter_mut().find(|c| c.path == path) {
                Some(existing) => existing.operators = operators.clone(),
                None => alt.push(FieldCondition {
                    path: path.clone(),
                    operators: operators.clone(),
                }),
            }
        }
        Ok(())
    }

    /// One `{"<operator>": ...}` object. Errors about its value are placed
    /// relative to that value (the first field's).
    fn match_expression(&self, expression: &Map<String, Value>) -> Result<Operator, Fail> {
        let Some((name, value)) = expression.iter().next() else {
            return Err(Fail::end(Reason::MatchNameNotFound));
        };
        self.operator(name, value, expression.len())
            .map_err(|f| f.key(name))
    }

    fn operator(&self, name: &str, value: &Value, keys: usize) -> Result<Operator, Fail> {
        // After the value, event-ruler reads the next token and wants `}`.
        let single_key = |op: Operator| {
            if keys > 1 {
                Err(Fail::next(Reason::OnlyOneKey))
            } else {
                Ok(op)
            }
        };
        let sns = self.dialect == Dialect::Sns;
        match name {
            // event-ruler's keyword is `exactly` (`Constants.EXACT_MATCH`);
            // `exact` is an unrecognized match type.
            "exactly" => match value {
                Value::String(s) => single_key(Operator::ExactString(s.clone())),
                _ => Err(Fail::start(Reason::MustBeString("exact"))),
            },
            "prefix" | "suffix" => {
                let is_prefix = name == "prefix";
                let op = match value {
                    Value::String(s) => affix(is_prefix, s.clone(), false),
                    Value::Object(inner) if !sns => ignore_case_affix(is_prefix, inner)?,
                    _ => {
                        return Err(Fail::start(Reason::MustBeString(if is_prefix {
                            "prefix"
                        } else {
                            "suffix"
                        })))
                    }
                };
                single_key(op)
            }
            "equals-ignore-case" => match value {
                Value::String(s) => single_key(Operator::EqualsIgnoreCase(s.to_lowercase())),
                _ => Err(Fail::start(Reason::MustBeString("equals-ignore-case"))),
            },
            "wildcard" if !sns => match value {
                Value::String(s) => {
                    let wildcard =
                        Wildcard::parse(s).map_err(|e| Fail::text(Reason::Wildcard(e)))?;
                    single_key(Operator::Wildcard(wildcard))
                }
                _ => Err(Fail::start(Reason::MustBeString("wildcard"))),
            },
            "numeric" => {
                let Value::Array(items) = value else {
                    return Err(Fail::start(Reason::NumericNotArray));
                };
                let range = numeric(items)?;
                if keys > 1 {
                    return Err(Fail::next(Reason::TooManyNumericElements));
                }
                Ok(Operator::Numeric(range))
            }
            "anything-but" => {
                let op = self.anything_but(value)?;
                if keys > 1 {
                    return Err(Fail::next(Reason::TooManyNumericElements));
                }
                Ok(Operator::AnythingBut(op))
            }
            "exists" => match value {
                Value::Bool(true) if sns => single_key(Operator::ExistsNonEmpty),
                Value::Bool(b) => single_key(Operator::Exists(*b)),
                _ => Err(Fail::start(Reason::ExistsNotBoolean)),
            },
            // event-ruler's CIDR parser throws past the compiler, without a
            // location.
            "cidr" => match value {
                Value::String(s) => single_key(Operator::Cidr(
                    parse_cidr(s).map_err(|e| Fail::unplaced(Reason::Cidr(e)))?,
                )),
                _ => Err(Fail::start(Reason::MustBeString("prefix"))),
            },
            other => Err(Fail::start(Reason::UnrecognizedMatchType(other.to_owned()))),
        }
    }

    fn anything_but(&self, value: &Value) -> Result<AnythingBut, Fail> {
        let (kind, inner, inner_keys) = match value {
            Value::Object(inner) => {
                let Some((op, inner_value)) = inner.iter().next() else {
                    return Err(Fail::end(Reason::AnythingButNameNotFound));
                };
                let allowed = match self.dialect {
                    Dialect::EventBridge => {
                        matches!(
                            op.as_str(),
                            "equals-ignore-case" | "prefix" | "suffix" | "wildcard"
                        )
                    }
                    Dialect::Sns => op == "prefix",
                };
                if !allowed {
                    return Err(Fail::start(Reason::UnsupportedAnythingBut(op.clone())).key(op));
                }
                // SNS runs an older event-ruler compiler: `anything-but`
                // `prefix` takes a single string, and anything else is
                // reported as a bad prefix (AWS-recorded in LocalStack's
                // SNS filter-policy snapshots).
                if self.dialect == Dialect::Sns && !inner_value.is_string() {
                    return Err(Fail::start(Reason::MustBeString("prefix")).key(op));
                }
                (Some(op.as_str()), inner_value, inner.len())
            }
            other => (None, other, 1),
        };
        // Errors about the operand are placed inside the inner object.
        let inside = |fail: Fail| match kind {
            Some(op) => fail.key(op),
            None => fail,
        };
        if !matches!(inner, Value::Array(_) | Value::String(_) | Value::Number(_)) {
            return Err(inside(Fail::start(Reason::AnythingButBadValue)));
        }
        let is_list = matches!(inner, Value::Array(_));
        let members: &[Value] = match inner {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        };
        let result = match kind {
            None => plain_anything_but(members, is_list),
            Some(op) => set_anything_but(op, members, is_list),
        }
        .map_err(inside)?;
        if inner_keys > 1 {
            return Err(inside(Fail::next(Reason::TooManyNumericElements)));
        }
        Ok(result)
    }
}

fn affix(is_prefix: bool, text: String, ignore_case: bool) -> Operator {
    if is_prefix {
        Operator::Prefix { text, ignore_case }
    } else {
        Operator::Suffix { text, ignore_case }
    }
}

/// `{"prefix": {"equals-ignore-case": "..."}}` and the suffix twin.
fn ignore_case_affix(is_prefix: bool, inner: &Map<String, Value>) -> Result<Operator, Fail> {
    let Some((op, value)) = inner.iter().next() else {
        return Err(Fail::end(if is_prefix {
            Reason::PrefixNameNotFound
        } else {
            Reason::SuffixNameNotFound
        }));
    };
    if op != "equals-ignore-case" {
        return Err(Fail::start(if is_prefix {
            Reason::UnsupportedPrefix(op.clone())
        } else {
            Reason::UnsupportedSuffix(op.clone())
        })
        .key(op));
    }
    let Value::String(text) = value else {
        return Err(Fail::start(Reason::MustBeString("equals-ignore-case")).key(op));
    };
    if inner.len() > 1 {
        return Err(Fail::next(Reason::OnlyOneKey).key(op));
    }
    Ok(affix(is_prefix, text.to_lowercase(), true))
}

/// Places an error about member `i` of an `anything-but` operand: a list's
/// members are read in a loop whose errors event-ruler catches and raises
/// again (so the location shows twice); a single value is the operand
/// itself.
fn member(fail: Fail, i: usize, is_list: bool) -> Fail {
    if is_list {
        fail.index(i).twice(true)
    } else {
        fail
    }
}

/// `{"anything-but": "x"}`, `{"anything-but": 5}` and list forms.
fn plain_anything_but(members: &[Value], is_list: bool) -> Result<AnythingBut, Fail> {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for (i, value) in members.iter().enumerate() {
        match value {
            Value::String(s) => strings.push(s.clone()),
            Value::Number(n) => {
                let Some(q) = Number::from_json(n).and_then(Number::quantized) else {
                    // A range error (IllegalArgumentException): caught and
                    // raised once inside a list, not caught for a single
                    // value.
                    return Err(if is_list {
                        Fail::start(Reason::NumberOutOfRange).index(i)
                    } else {
                        Fail::unplaced(Reason::NumberOutOfRange)
                    });
                };
                numbers.push(q);
            }
            _ => {
                return Err(member(
                    Fail::start(Reason::AnythingButBadMember),
                    i,
                    is_list,
                ))
            }
        }
    }
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => Ok(AnythingBut::Strings(strings)),
        (true, false) => Ok(AnythingBut::Numbers(numbers)),
        _ if is_list => Err(Fail::end(Reason::AnythingButMixedTypes)),
        _ => Err(Fail::start(Reason::AnythingButBadMember)),
    }
}

/// `{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": ...}}`.
fn set_anything_but(op: &str, members: &[Value], is_list: bool) -> Result<AnythingBut, Fail> {
    let mut texts = Vec::with_capacity(members.len());
    for (i, value) in members.iter().enumerate() {
        let Value::String(text) = value else {
            let reason = match op {
                "equals-ignore-case" => Reason::AnythingButIgnoreCaseBadMember,
                "wildcard" => Reason::MustBeString("wildcard"),
                _ => Reason::MustBeString("prefix/suffix"),
            };
            return Err(member(Fail::start(reason), i, is_list));
        };
        if matches!(op, "prefix" | "suffix") && text.is_empty() {
            return Err(member(Fail::text(Reason::EmptyPrefixOrSuffix), i, is_list));
        }
        texts.push(text.clone());
    }
    Ok(match op {
        "prefix" => AnythingBut::Prefixes(texts),
        "suffix" => AnythingBut::Suffixes(texts),
        "equals-ignore-case" => {
            AnythingBut::IgnoreCase(texts.iter().map(|t| t.to_lowercase()).collect())
        }
        _ => {
            let mut wildcards = Vec::with_capacity(texts.len());
            for (i, text) in texts.iter().enumerate() {
                let wildcard = Wildcard::parse(text)
                    .map_err(|e| member(Fail::text(Reason::Wildcard(e)), i, is_list))?;
                wildcards.push(wildcard);
            }
            AnythingBut::Wildcards(wildcards)
        }
    })
}

/// Element `index` of a numeric expression, which must be a number.
fn operand<'a>(
    items: &'a [Value],
    index: usize,
    operator: &str,
) -> Result<&'a serde_json::Number, Fail> {
    let name = if operator == "=" { "equals" } else { operator };
    match items.get(index) {
        Some(Value::Number(n)) => Ok(n),
        _ => Err(at_element(
            Reason::NotNumeric(name.to_owned()),
            items,
            index,
        )),
    }
}

/// A bound in range, quantized. event-ruler builds the range, and checks
/// the bounds, once it has read the closing `]`.
fn bound(n: &serde_json::Number) -> Result<i64, Fail> {
    Number::from_json(n)
        .and_then(|n| quantize(n.as_f64()))
        .ok_or(Fail::end(Reason::NumberOutOfRange))
}

/// The body of `{"numeric": [...]}`.
fn numeric(items: &[Value]) -> Result<NumericRange, Fail> {
    let Some(Value::String(operator)) = items.first() else {
        return Err(at_element(
            Reason::InvalidNumericMember(token_text(items.first())),
            items,
            0,
        ));
    };
    match operator.as_str() {
        "=" | "<" | "<=" => {
            let value = operand(items, 1, operator)?;
            if items.len() > 2 {
                return Err(at_element(Reason::TooManyNumericElements, items, 2));
            }
            let value = bound(value)?;
            Ok(match operator.as_str() {
                "=" => NumericRange {
                    low: Some((value, false)),
                    high: Some((value, false)),
                },
                "<" => NumericRange {
                    low: None,
                    high: Some((value, true)),
                },
                _ => NumericRange {
                    low: None,
                    high: Some((value, false)),
                },
            })
        }
        ">" | ">=" => {
            let low = operand(items, 1, operator)?;
            if items.len() == 2 {
                return Ok(NumericRange {
                    low: Some((bound(low)?, operator == ">")),
                    high: None,
                });
            }
            let Some(Value::String(top_operator)) = items.get(2) else {
                return Err(at_element(
                    Reason::BadRangeValue(token_text(items.get(2))),
                    items,
                    2,
                ));
            };
            if top_operator != "<" && top_operator != "<=" {
                return Err(Fail::text(Reason::BadRangeOperator(top_operator.clone())).index(2));
            }
            let high = operand(items, 3, top_operator)?;
            if items.len() > 4 {
                return Err(at_element(Reason::TooManyRangeTerms, items, 4));
            }
            let low = (bound(low)?, operator == ">");
            let high = (bound(high)?, top_operator == "<");
            if low.0 >= high.0 {
                return Err(Fail::end(Reason::BottomNotBelowTop));
            }
            Ok(NumericRange {
                low: Some(low),
                high: Some(high),
            })
        }
        other => Err(at_element(
            Reason::UnrecognizedNumericOperator(other.to_owned()),
            items,
            1,
        )),
    }
}
