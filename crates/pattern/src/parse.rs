//! Pattern JSON to [`SubPattern`]s, validating as event-ruler does.
//!
//! The walk follows event-ruler's `JsonRuleCompiler` check for check and in
//! document order (serde_json keeps key order here), so the first error
//! reported is the one AWS reports.

use serde_json::{Map, Value};

use crate::ast::{AnythingBut, FieldCondition, NumericRange, Operator, SubPattern};
use crate::error::Reason;
use crate::ip::{literal_address, parse_cidr};
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

/// Parses pattern text into its `$or`-expanded alternatives.
pub fn parse_text(text: &str, dialect: Dialect) -> Result<Vec<SubPattern>, Reason> {
    let value: Value = serde_json::from_str(text).map_err(|e| Reason::Json(e.to_string()))?;
    parse_value(&value, dialect)
}

/// Parses an already-decoded pattern.
pub fn parse_value(value: &Value, dialect: Dialect) -> Result<Vec<SubPattern>, Reason> {
    let Value::Object(object) = value else {
        return Err(Reason::NotAnObject);
    };
    let mut compiler = Compiler {
        dialect,
        path: Vec::new(),
    };
    let mut alternatives = Vec::new();
    compiler.object(&mut alternatives, object, false)?;
    check_wildcard_complexity(&alternatives)?;
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

impl Compiler {
    fn object(
        &mut self,
        alts: &mut Vec<SubPattern>,
        object: &Map<String, Value>,
        in_or: bool,
    ) -> Result<(), Reason> {
        for (key, value) in object {
            if key == "$or" {
                self.or(alts, value)?;
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&key.as_str()) {
                return Err(Reason::ReservedInOr(key.clone()));
            }
            match value {
                Value::Object(child) => {
                    self.path.push(key.clone());
                    let result = self.object(alts, child, in_or);
                    self.path.pop();
                    result?;
                }
                Value::Array(values) => self.field(alts, key, values)?,
                _ => return Err(Reason::MustBeObjectOrArray(key.clone())),
            }
        }
        if object.is_empty() {
            return Err(Reason::EmptyObject);
        }
        Ok(())
    }

    /// `$or`: every existing alternative is crossed with every branch.
    fn or(&mut self, alts: &mut Vec<SubPattern>, value: &Value) -> Result<(), Reason> {
        let current = std::mem::take(alts);
        let Value::Array(branches) = value else {
            return Err(Reason::OrNotArray);
        };
        for branch in branches {
            let Value::Object(branch) = branch else {
                return Err(Reason::OrElementNotObject);
            };
            let mut forked = current.clone();
            if forked.is_empty() {
                forked.push(SubPattern::new());
            }
            self.object(&mut forked, branch, true)?;
            alts.extend(forked);
            if alts.len() > MAX_ALTERNATIVES {
                return Err(Reason::TooManyAlternatives(MAX_ALTERNATIVES));
            }
        }
        if branches.len() < 2 {
            return Err(Reason::OrTooFewObjects);
        }
        Ok(())
    }

    fn field(
        &mut self,
        alts: &mut Vec<SubPattern>,
        key: &str,
        values: &[Value],
    ) -> Result<(), Reason> {
        let mut operators = Vec::with_capacity(values.len());
        for value in values {
            operators.push(match value {
                Value::Object(expression) => self.match_expression(expression)?,
                Value::String(s) => match literal_address(s) {
                    Some(address) => Operator::Cidr(address),
                    None => Operator::ExactString(s.clone()),
                },
                Value::Number(n) => match Number::from_json(n) {
                    Some(number) => Operator::ExactNumber(number.key()),
                    None => return Err(Reason::BadMatchValue),
                },
                Value::Bool(b) => Operator::ExactBool(*b),
                Value::Null => Operator::ExactNull,
                Value::Array(_) => return Err(Reason::BadMatchValue),
            });
        }
        if operators.is_empty() {
            return Err(Reason::EmptyArray);
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

    fn match_expression(&self, expression: &Map<String, Value>) -> Result<Operator, Reason> {
        let Some((name, value)) = expression.iter().next() else {
            return Err(Reason::MatchNameNotFound);
        };
        let single_key = |op: Operator| {
            if expression.len() > 1 {
                Err(Reason::OnlyOneKey)
            } else {
                Ok(op)
            }
        };
        let sns = self.dialect == Dialect::Sns;
        match name.as_str() {
            // event-ruler's keyword is `exactly` (`Constants.EXACT_MATCH`);
            // `exact` is an unrecognized match type.
            "exactly" => match value {
                Value::String(s) => single_key(Operator::ExactString(s.clone())),
                _ => Err(Reason::MustBeString("exact")),
            },
            "prefix" | "suffix" => {
                let is_prefix = name == "prefix";
                let op = match value {
                    Value::String(s) => affix(is_prefix, s.clone(), false),
                    Value::Object(inner) if !sns => ignore_case_affix(is_prefix, inner)?,
                    _ => {
                        return Err(Reason::MustBeString(if is_prefix {
                            "prefix"
                        } else {
                            "suffix"
                        }))
                    }
                };
                single_key(op)
            }
            "equals-ignore-case" => match value {
                Value::String(s) => single_key(Operator::EqualsIgnoreCase(s.to_lowercase())),
                _ => Err(Reason::MustBeString("equals-ignore-case")),
            },
            "wildcard" if !sns => match value {
                Value::String(s) => {
                    let wildcard = Wildcard::parse(s).map_err(Reason::Wildcard)?;
                    single_key(Operator::Wildcard(wildcard))
                }
                _ => Err(Reason::MustBeString("wildcard")),
            },
            "numeric" => {
                let Value::Array(items) = value else {
                    return Err(Reason::NumericNotArray);
                };
                let range = numeric(items)?;
                if expression.len() > 1 {
                    return Err(Reason::TooManyNumericElements);
                }
                Ok(Operator::Numeric(range))
            }
            "anything-but" => {
                let op = self.anything_but(value)?;
                if expression.len() > 1 {
                    return Err(Reason::TooManyNumericElements);
                }
                Ok(Operator::AnythingBut(op))
            }
            "exists" => match value {
                Value::Bool(true) if sns => single_key(Operator::ExistsNonEmpty),
                Value::Bool(b) => single_key(Operator::Exists(*b)),
                _ => Err(Reason::ExistsNotBoolean),
            },
            "cidr" => match value {
                Value::String(s) => {
                    single_key(Operator::Cidr(parse_cidr(s).map_err(Reason::Cidr)?))
                }
                _ => Err(Reason::MustBeString("prefix")),
            },
            other => Err(Reason::UnrecognizedMatchType(other.to_owned())),
        }
    }

    fn anything_but(&self, value: &Value) -> Result<AnythingBut, Reason> {
        let (kind, inner, inner_keys) = match value {
            Value::Object(inner) => {
                let Some((op, inner_value)) = inner.iter().next() else {
                    return Err(Reason::AnythingButNameNotFound);
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
                    return Err(Reason::UnsupportedAnythingBut(op.clone()));
                }
                // SNS runs an older event-ruler compiler: `anything-but`
                // `prefix` takes a single string, and anything else is
                // reported as a bad prefix (AWS-recorded in LocalStack's
                // SNS filter-policy snapshots).
                if self.dialect == Dialect::Sns && !inner_value.is_string() {
                    return Err(Reason::MustBeString("prefix"));
                }
                (Some(op.as_str()), inner_value, inner.len())
            }
            other => (None, other, 1),
        };
        if !matches!(inner, Value::Array(_) | Value::String(_) | Value::Number(_)) {
            return Err(Reason::AnythingButBadValue);
        }
        let members: &[Value] = match inner {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        };
        let result = match kind {
            None => plain_anything_but(members, matches!(inner, Value::Array(_)))?,
            Some(op) => set_anything_but(op, members)?,
        };
        if inner_keys > 1 {
            return Err(Reason::TooManyNumericElements);
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
fn ignore_case_affix(is_prefix: bool, inner: &Map<String, Value>) -> Result<Operator, Reason> {
    let Some((op, value)) = inner.iter().next() else {
        return Err(if is_prefix {
            Reason::PrefixNameNotFound
        } else {
            Reason::SuffixNameNotFound
        });
    };
    if op != "equals-ignore-case" {
        return Err(if is_prefix {
            Reason::UnsupportedPrefix(op.clone())
        } else {
            Reason::UnsupportedSuffix(op.clone())
        });
    }
    let Value::String(text) = value else {
        return Err(Reason::MustBeString("equals-ignore-case"));
    };
    if inner.len() > 1 {
        return Err(Reason::OnlyOneKey);
    }
    Ok(affix(is_prefix, text.to_lowercase(), true))
}

/// `{"anything-but": "x"}`, `{"anything-but": 5}` and list forms.
fn plain_anything_but(members: &[Value], is_list: bool) -> Result<AnythingBut, Reason> {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for member in members {
        match member {
            Value::String(s) => strings.push(s.clone()),
            Value::Number(n) => {
                let q = Number::from_json(n)
                    .and_then(Number::quantized)
                    .ok_or(Reason::NumberOutOfRange)?;
                numbers.push(q);
            }
            _ => return Err(Reason::AnythingButBadMember),
        }
    }
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => Ok(AnythingBut::Strings(strings)),
        (true, false) => Ok(AnythingBut::Numbers(numbers)),
        _ if is_list => Err(Reason::AnythingButMixedTypes),
        _ => Err(Reason::AnythingButBadMember),
    }
}

/// `{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": ...}}`.
fn set_anything_but(op: &str, members: &[Value]) -> Result<AnythingBut, Reason> {
    let mut texts = Vec::with_capacity(members.len());
    for member in members {
        let Value::String(text) = member else {
            return Err(match op {
                "equals-ignore-case" => Reason::AnythingButIgnoreCaseBadMember,
                "wildcard" => Reason::MustBeString("wildcard"),
                _ => Reason::MustBeString("prefix/suffix"),
            });
        };
        if matches!(op, "prefix" | "suffix") && text.is_empty() {
            return Err(Reason::EmptyPrefixOrSuffix);
        }
        texts.push(text.clone());
    }
    Ok(match op {
        "prefix" => AnythingBut::Prefixes(texts),
        "suffix" => AnythingBut::Suffixes(texts),
        "equals-ignore-case" => {
            AnythingBut::IgnoreCase(texts.iter().map(|t| t.to_lowercase()).collect())
        }
        _ => AnythingBut::Wildcards(
            texts
                .iter()
                .map(|t| Wildcard::parse(t))
                .collect::<Result<_, _>>()
                .map_err(Reason::Wildcard)?,
        ),
    })
}

/// A numeric value in range, quantized.
fn bound(value: Option<&Value>, operator: &str) -> Result<i64, Reason> {
    let name = if operator == "=" { "equals" } else { operator };
    let Some(Value::Number(n)) = value else {
        return Err(Reason::NotNumeric(name.to_owned()));
    };
    Number::from_json(n)
        .and_then(|n| quantize(n.as_f64()))
        .ok_or(Reason::NumberOutOfRange)
}

/// The body of `{"numeric": [...]}`.
fn numeric(items: &[Value]) -> Result<NumericRange, Reason> {
    let Some(Value::String(operator)) = items.first() else {
        return Err(Reason::InvalidNumericMember(token_text(items.first())));
    };
    match operator.as_str() {
        "=" | "<" | "<=" => {
            let value = bound(items.get(1), operator)?;
            if items.len() > 2 {
                return Err(Reason::TooManyNumericElements);
            }
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
            let low = (bound(items.get(1), operator)?, operator == ">");
            if items.len() == 2 {
                return Ok(NumericRange {
                    low: Some(low),
                    high: None,
                });
            }
            let Some(Value::String(top_operator)) = items.get(2) else {
                return Err(Reason::BadRangeValue(token_text(items.get(2))));
            };
            if top_operator != "<" && top_operator != "<=" {
                return Err(Reason::BadRangeOperator(top_operator.clone()));
            }
            let high = (bound(items.get(3), top_operator)?, top_operator == "<");
            if items.len() > 4 {
                return Err(Reason::TooManyRangeTerms);
            }
            if low.0 >= high.0 {
                return Err(Reason::BottomNotBelowTop);
            }
            Ok(NumericRange {
                low: Some(low),
                high: Some(high),
            })
        }
        other => Err(Reason::UnrecognizedNumericOperator(other.to_owned())),
    }
}
