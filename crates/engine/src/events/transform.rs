//! What a rule target receives for a matched event: the event itself, a constant `Input`, the
//! part of the event an `InputPath` selects, or an `InputTransformer` template filled in from
//! the event.
//!
//! Sources (AWS is the spec):
//! * "Amazon EventBridge input transformation" (eb-transform-target-input) and the
//!   `InputTransformer` / `Target` API reference: predefined variables, the EC2 examples, "for
//!   strings, quotes are required", "EventBridge doesn't escape values extracted by Input Path",
//!   "the JSON that is passed to the target is minified", "a placeholder cannot be used as an
//!   object key", supported path syntax (dot notation, dashes, underscores, alphanumerics,
//!   array indices, wildcards, forward slashes).
//! * The botocore model (events 2015-10-07): `Input` ≤ 8192, `InputPath` ≤ 256,
//!   `InputPathsMap` ≤ 100 entries with keys `[A-Za-z0-9\_\-]+` of 1..=256 characters (so the
//!   dotted `aws.events.*` names can never be keys), `InputTemplate` 1..=8192.
//! * Outputs and messages AWS returned in LocalStack's AWS-validated snapshot tests
//!   (`tests/aws/services/events/test_events_inputs.snapshot.json`).
//!
//! Validation happens once, at `PutTargets` ([`TargetInput::from_target`]); rendering a
//! matched event ([`TargetInput::render`]) only reads the event.

use serde_json::{Map, Value};
use time::OffsetDateTime;

/// What a target sends for a matched event.
#[derive(Debug, Clone)]
pub enum TargetInput {
    /// No input field: the event envelope, as JSON text.
    Event,
    /// `Input`: this JSON text, verbatim; nothing from the event.
    Constant(String),
    /// `InputPath`: the part of the event the path selects, as JSON text.
    Path(InputPath),
    /// `InputTransformer`: a template filled in from the event.
    Transformer(InputTransformer),
}

/// A `PutTargets` validation failure (AWS sends these as `ValidationException`), or a reason a
/// matched event produced nothing to deliver.
///
/// AWS's messages name the target. [`TargetInput::from_target`] does not know the target's id,
/// so its errors carry an empty one: attach it with [`TransformError::for_target`] (or call
/// [`TargetInput::from_put_targets`]) before using the `Display` text as the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// More than one of `Input`, `InputPath` and `InputTransformer` (AWS-recorded message).
    #[error(
        "Only one of Input, InputPath, or InputTransformer must be provided for target {target}."
    )]
    MoreThanOneInput { target: String },
    /// `Input` is not JSON, or a JSON (`{`…) `InputTemplate` is not JSON once its placeholders
    /// are filled in (AWS's message for both, as CloudFormation users report it).
    #[error("Input for target {target} is not a valid JSON text.")]
    NotJson { target: String },
    /// `InputPath`, or a value of `InputPathsMap`, is not a path EventBridge supports.
    #[error("InputPath for target {target} is invalid.")]
    InvalidPath { target: String },
    /// The template uses `<name>` with `name` neither in `InputPathsMap` nor predefined
    /// (AWS-recorded message).
    #[error("InputTemplate for target {target} contains invalid placeholder {placeholder}.")]
    InvalidPlaceholder { target: String, placeholder: String },
    /// `<aws.events.event>` or `<aws.events.event.json>` in a template that is not a JSON
    /// object.
    #[error("InputTemplate for target {target} contains placeholder {placeholder} valid only for JSON template.")]
    JsonOnlyPlaceholder { target: String, placeholder: String },
    /// At delivery: the `InputPath` selects nothing in this event, so nothing is sent.
    #[error("InputPath {path} selects nothing in the event")]
    NothingSelected { path: String },
    /// At delivery: a JSON template filled in with this event's values is not JSON (a value
    /// with a `"` placed inside a quoted string, which AWS does not escape), so nothing is sent.
    #[error("the InputTemplate filled in for this event is not valid JSON")]
    RenderedNotJson,
    /// At delivery: the input for this event would be larger than the target services
    /// accept ([`MAX_RENDERED_INPUT`]); rendering stopped as soon as it was.
    #[error("the input for this event is larger than {limit} bytes")]
    TooLarge { limit: usize },
}

impl TransformError {
    /// The same error, naming the target `id` (AWS's messages include it).
    pub fn for_target(self, id: &str) -> TransformError {
        let target = id.to_owned();
        match self {
            TransformError::MoreThanOneInput { .. } => TransformError::MoreThanOneInput { target },
            TransformError::NotJson { .. } => TransformError::NotJson { target },
            TransformError::InvalidPath { .. } => TransformError::InvalidPath { target },
            TransformError::InvalidPlaceholder { placeholder, .. } => {
                TransformError::InvalidPlaceholder {
                    target,
                    placeholder,
                }
            }
            TransformError::JsonOnlyPlaceholder { placeholder, .. } => {
                TransformError::JsonOnlyPlaceholder {
                    target,
                    placeholder,
                }
            }
            other @ (TransformError::NothingSelected { .. }
            | TransformError::RenderedNotJson
            | TransformError::TooLarge { .. }) => other,
        }
    }
}

/// What [`TargetInput::render`] needs to know besides the target's own configuration.
pub struct RenderContext<'a> {
    /// The full event envelope as delivered.
    pub event: &'a Value,
    /// Its JSON text (what an [`TargetInput::Event`] target gets).
    pub event_json: &'a str,
    /// `<aws.events.rule-arn>`.
    pub rule_arn: &'a str,
    /// `<aws.events.rule-name>`.
    pub rule_name: &'a str,
    /// `<aws.events.event.ingestion-time>`: when EventBridge received the event, an ISO 8601
    /// UTC timestamp (see [`ingestion_time`]).
    pub ingestion_time: &'a str,
}

/// `<aws.events.event.ingestion-time>` for an event received at `at`: ISO 8601 in UTC at
/// whole seconds, `2015-11-11T21:29:54Z`, the format of the envelope's own `time`.
pub fn ingestion_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

impl TargetInput {
    /// Validates a target's input fields as PutTargets does. At most one of the three may be
    /// given (AWS's message otherwise). `transformer` = (InputPathsMap entries in order,
    /// InputTemplate).
    ///
    /// The model's length and count limits are checked before this, by the protocol layer's
    /// constraint validation (AWS rejects those requests before looking at any target). Errors
    /// name no target; see [`TransformError::for_target`].
    pub fn from_target(
        input: Option<&str>,
        input_path: Option<&str>,
        transformer: Option<(&[(String, String)], &str)>,
    ) -> Result<TargetInput, TransformError> {
        let given = [input.is_some(), input_path.is_some(), transformer.is_some()];
        if given.iter().filter(|given| **given).count() > 1 {
            return Err(TransformError::MoreThanOneInput {
                target: String::new(),
            });
        }
        if let Some(input) = input {
            return validate_input(input).map(TargetInput::Constant);
        }
        if let Some(path) = input_path {
            return InputPath::parse(path).map(TargetInput::Path).ok_or(
                TransformError::InvalidPath {
                    target: String::new(),
                },
            );
        }
        if let Some((paths, template)) = transformer {
            return InputTransformer::new(paths, template).map(TargetInput::Transformer);
        }
        Ok(TargetInput::Event)
    }

    /// [`TargetInput::from_target`] for the target `id`, its errors naming it.
    pub fn from_put_targets(
        id: &str,
        input: Option<&str>,
        input_path: Option<&str>,
        transformer: Option<(&[(String, String)], &str)>,
    ) -> Result<TargetInput, TransformError> {
        Self::from_target(input, input_path, transformer).map_err(|error| error.for_target(id))
    }

    /// The payload delivered to the target for `event` (AWS renders it as text).
    ///
    /// Errors mean nothing is delivered: an `InputPath` that selects nothing
    /// ([`TransformError::NothingSelected`]) or a JSON template whose filled-in text is not
    /// JSON ([`TransformError::RenderedNotJson`]).
    ///
    /// Never produces more than [`MAX_RENDERED_INPUT`] bytes: a template that repeats a large
    /// value could otherwise render hundreds of megabytes from one event (a 40 KB value in a
    /// legal 8 KB template gives 111 MB), so rendering stops with
    /// [`TransformError::TooLarge`] as soon as the output passes the cap.
    pub fn render(&self, ctx: &RenderContext<'_>) -> Result<String, TransformError> {
        let rendered = match self {
            TargetInput::Event => Ok(ctx.event_json.to_owned()),
            TargetInput::Constant(input) => Ok(input.clone()),
            TargetInput::Path(path) => path.render(ctx),
            TargetInput::Transformer(transformer) => transformer.render(ctx),
        }?;
        if rendered.len() > MAX_RENDERED_INPUT {
            return Err(TransformError::TooLarge {
                limit: MAX_RENDERED_INPUT,
            });
        }
        Ok(rendered)
    }
}

/// `Input` must be JSON text (any JSON value); it is delivered exactly as given.
fn validate_input(input: &str) -> Result<String, TransformError> {
    serde_json::from_str::<Value>(input)
        .map(|_| input.to_owned())
        .map_err(|_| TransformError::NotJson {
            target: String::new(),
        })
}

// ---------------------------------------------------------------------------------------------
// JSON paths
// ---------------------------------------------------------------------------------------------

/// One step of an [`InputPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name`
    Key(String),
    /// `[3]`
    Index(usize),
    /// `.*` or `[*]`: every member of an object or element of an array.
    Wildcard,
}

/// A JSON path in the subset EventBridge supports: `$` followed by `.name` (letters, digits,
/// `_`, `-`, `/`), `.*`, `[N]` and `[*]`. Bracketed names (`$['a']`), filters, slices, recursive
/// descent (`..`) and paths not rooted at `$` are refused at PutTargets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPath {
    text: String,
    steps: Vec<Step>,
    wildcard: bool,
}

impl InputPath {
    /// Parses `text`; `None` when EventBridge would refuse it.
    pub fn parse(text: &str) -> Option<InputPath> {
        let rest = text.strip_prefix('$')?;
        let mut steps = Vec::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    let mut name = String::new();
                    while let Some(&c) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        name.push(c);
                        chars.next();
                    }
                    if name == "*" {
                        steps.push(Step::Wildcard);
                    } else if !name.is_empty() && name.chars().all(is_path_name_char) {
                        steps.push(Step::Key(name));
                    } else {
                        return None;
                    }
                }
                '[' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(c) => inner.push(c),
                            None => return None,
                        }
                    }
                    if inner == "*" {
                        steps.push(Step::Wildcard);
                    } else if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                        steps.push(Step::Index(inner.parse().ok()?));
                    } else {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        let wildcard = steps.contains(&Step::Wildcard);
        Some(InputPath {
            text: text.to_owned(),
            steps,
            wildcard,
        })
    }

    /// The path as it was given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the path selects in `event`: the one value of a definite path (`None` when it is
    /// not there), or, for a path with a wildcard, the array of everything it reaches.
    pub fn select(&self, event: &Value) -> Option<Value> {
        if !self.wildcard {
            let mut at = event;
            for step in &self.steps {
                at = match (step, at) {
                    (Step::Key(name), Value::Object(members)) => members.get(name)?,
                    (Step::Index(index), Value::Array(items)) => items.get(*index)?,
                    _ => return None,
                };
            }
            return Some(at.clone());
        }
        let mut reached = vec![event];
        for step in &self.steps {
            let mut next = Vec::new();
            for at in reached {
                match (step, at) {
                    (Step::Key(name), Value::Object(members)) => next.extend(members.get(name)),
                    (Step::Index(index), Value::Array(items)) => next.extend(items.get(*index)),
                    (Step::Wildcard, Value::Object(members)) => next.extend(members.values()),
                    (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                    _ => {}
                }
            }
            reached = next;
        }
        Some(Value::Array(reached.into_iter().cloned().collect()))
    }

    /// `InputPath` delivery: the selected value as JSON text; `$` is the event text itself.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<String, TransformError> {
        if self.steps.is_empty() {
            return Ok(ctx.event_json.to_owned());
        }
        match self.select(ctx.event) {
            Some(value) => Ok(value.to_string()),
            None => Err(TransformError::NothingSelected {
                path: self.text.clone(),
            }),
        }
    }
}

/// Characters of a `.name` step: the documented alphanumerics, dashes, underscores and
/// forward slashes.
fn is_path_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/'
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// The predefined variables (reserved: no `InputPathsMap` key can have these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Predefined {
    /// `aws.events.rule-arn`
    RuleArn,
    /// `aws.events.rule-name`
    RuleName,
    /// `aws.events.event.ingestion-time`
    IngestionTime,
    /// `aws.events.event`: the envelope without `detail`, `detail-type` named `detailType`.
    /// JSON templates only.
    Event,
    /// `aws.events.event.json`: the whole envelope. JSON templates only.
    EventJson,
}

impl Predefined {
    fn named(name: &str) -> Option<Predefined> {
        Some(match name {
            "aws.events.rule-arn" => Predefined::RuleArn,
            "aws.events.rule-name" => Predefined::RuleName,
            "aws.events.event.ingestion-time" => Predefined::IngestionTime,
            "aws.events.event" => Predefined::Event,
            "aws.events.event.json" => Predefined::EventJson,
            _ => return None,
        })
    }

    fn json_only(self) -> bool {
        matches!(self, Predefined::Event | Predefined::EventJson)
    }
}

/// Where a placeholder's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The `InputPathsMap` entry at this position.
    Path(usize),
    Predefined(Predefined),
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A placeholder; `in_string` when it sits inside a quoted JSON string of a JSON template.
    Placeholder {
        source: Source,
        in_string: bool,
    },
}

/// A validated `InputTransformer`.
#[derive(Debug, Clone)]
pub struct InputTransformer {
    paths: Vec<(String, InputPath)>,
    template: String,
    /// The template is a JSON object (its first non-blank character is `{`): values go in as
    /// JSON, and the result is checked and minified.
    json: bool,
    pieces: Vec<Piece>,
}

impl InputTransformer {
    /// Validates `InputPathsMap` (in order) and `InputTemplate` as PutTargets does.
    pub fn new(
        paths: &[(String, String)],
        template: &str,
    ) -> Result<InputTransformer, TransformError> {
        let mut parsed: Vec<(String, InputPath)> = Vec::with_capacity(paths.len());
        for (name, path) in paths {
            let path = InputPath::parse(path).ok_or(TransformError::InvalidPath {
                target: String::new(),
            })?;
            match parsed.iter_mut().find(|(known, _)| known == name) {
                Some(entry) => entry.1 = path,
                None => parsed.push((name.clone(), path)),
            }
        }
        let json = template.trim_start().starts_with('{');
        let pieces = parse_template(template, json, &parsed)?;
        let transformer = InputTransformer {
            paths: parsed,
            template: template.to_owned(),
            json,
            pieces,
        };
        if json && serde_json::from_str::<Value>(&transformer.validation_sample()).is_err() {
            return Err(TransformError::NotJson {
                target: String::new(),
            });
        }
        Ok(transformer)
    }

    /// The `InputTemplate` as given.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The `InputPathsMap` entries, in order.
    pub fn paths(&self) -> impl Iterator<Item = (&str, &str)> {
        self.paths
            .iter()
            .map(|(name, path)| (name.as_str(), path.as_str()))
    }

    /// The template with every placeholder replaced by a stand-in of its position (`null` as a
    /// JSON value, nothing inside a string), to check at PutTargets that a JSON template is
    /// JSON; `null` is not a valid object key, as AWS requires of placeholders.
    fn validation_sample(&self) -> String {
        let mut out = String::with_capacity(self.template.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Placeholder {
                    in_string: true, ..
                } => {}
                Piece::Placeholder {
                    in_string: false, ..
                } => out.push_str("null"),
            }
        }
        out
    }

    fn render(&self, ctx: &RenderContext<'_>) -> Result<String, TransformError> {
        let values: Vec<Option<Value>> = self
            .paths
            .iter()
            .map(|(_, path)| path.select(ctx.event))
            .collect();
        let mut out = String::with_capacity(self.template.len() + 64);
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Placeholder { source, in_string } => {
                    let value = match source {
                        Source::Path(index) => values.get(*index).cloned().flatten(),
                        Source::Predefined(predefined) => Some(predefined_value(*predefined, ctx)),
                    };
                    let raw = *in_string || !self.json;
                    insert(&mut out, value.as_ref(), raw, !self.json);
                    if out.len() > MAX_RENDERED_INPUT {
                        return Err(TransformError::TooLarge {
                            limit: MAX_RENDERED_INPUT,
                        });
                    }
                }
            }
        }
        if !self.json {
            return Ok(out);
        }
        if serde_json::from_str::<Value>(&out).is_err() {
            return Err(TransformError::RenderedNotJson);
        }
        Ok(minify(&out))
    }
}

/// Splits `template` into text and placeholders, checking every placeholder's name. A
/// placeholder is `<name>` with `name` made of letters, digits, `_`, `-` and `.`; other `<`
/// text is literal.
fn parse_template(
    template: &str,
    json: bool,
    paths: &[(String, InputPath)],
) -> Result<Vec<Piece>, TransformError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(name) = placeholder_at(rest) {
                let source = match Predefined::named(name) {
                    Some(predefined) => {
                        if predefined.json_only() && !json {
                            return Err(TransformError::JsonOnlyPlaceholder {
                                target: String::new(),
                                placeholder: name.to_owned(),
                            });
                        }
                        Source::Predefined(predefined)
                    }
                    None => match paths.iter().position(|(key, _)| key == name) {
                        Some(index) => Source::Path(index),
                        None => {
                            return Err(TransformError::InvalidPlaceholder {
                                target: String::new(),
                                placeholder: name.to_owned(),
                            })
                        }
                    },
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Placeholder {
                    source,
                    in_string: json && in_string,
                });
                rest = &rest[name.len() + 2..];
                escaped = false;
                continue;
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The name of the placeholder `text` starts with, if it starts with one.
fn placeholder_at(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))?;
    (end > 0 && inner[end..].starts_with('>')).then(|| &inner[..end])
}

/// A predefined variable's value for this event.
fn predefined_value(predefined: Predefined, ctx: &RenderContext<'_>) -> Value {
    match predefined {
        Predefined::RuleArn => Value::String(ctx.rule_arn.to_owned()),
        Predefined::RuleName => Value::String(ctx.rule_name.to_owned()),
        Predefined::IngestionTime => Value::String(ctx.ingestion_time.to_owned()),
        Predefined::EventJson => ctx.event.clone(),
        Predefined::Event => event_without_detail(ctx.event),
    }
}

/// `<aws.events.event>`: the envelope's fields without `detail`, `detail-type` as
/// `detailType`, in the order AWS sends them (id, account, detailType, time, source, region,
/// resources, version; AWS-recorded in LocalStack's `test_input_transformer_predefined_variables`
/// snapshot).
fn event_without_detail(event: &Value) -> Value {
    let Some(fields) = event.as_object() else {
        return event.clone();
    };
    let mut out = Map::new();
    for (name, from) in [
        ("id", "id"),
        ("account", "account"),
        ("detailType", "detail-type"),
        ("time", "time"),
        ("source", "source"),
        ("region", "region"),
        ("resources", "resources"),
        ("version", "version"),
    ] {
        if let Some(value) = fields.get(from) {
            out.insert(name.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

/// Appends a placeholder's value. `raw`: inside a quoted string, or anywhere in a template
/// that is not JSON: a string goes in as its characters, unescaped (AWS: "EventBridge doesn't
/// escape values extracted by Input Path"). Otherwise (a JSON value position) a string goes in
/// as a JSON string. Other values go in as JSON text either way; a path that selects nothing
/// is an empty string (AWS-recorded: `"… detail <command>"` gives `"… detail "`, and
/// `{"command": <command>}` gives `{"command":""}`). In a template that is not JSON
/// (`text_template`), an array or object goes in without JSON's quotes, as AWS renders it:
/// `[ACTIVE,INACTIVE]`, `{acc_id:0a78,sf_id:baz}` (issue 15, recorded on AWS).
fn insert(out: &mut String, value: Option<&Value>, raw: bool, text_template: bool) {
    match (value, raw) {
        (None, true) => {}
        (None, false) => out.push_str("\"\""),
        (Some(Value::String(text)), true) => out.push_str(text),
        (Some(value @ (Value::Array(_) | Value::Object(_))), _) if text_template => {
            unquoted(value, out)
        }
        (Some(value), _) => out.push_str(&value.to_string()),
    }
}

/// `value` as a string template shows it: strings without quotes, arrays as `[a,b]`, objects
/// as `{key:value,...}`, other values as JSON.
fn unquoted(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                unquoted(item, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(key);
                out.push(':');
                unquoted(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `text` (valid JSON) without the blanks between its tokens; strings and numbers are kept
/// exactly as written.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// Largest input a target receives: 256 KiB, what SQS (`SendMessage`), SNS (`Publish`) and
/// Lambda (asynchronous `Invoke`) accept, and the size of the largest event. A larger
/// rendered input fails the delivery (see [`TargetInput::render`]).
pub const MAX_RENDERED_INPUT: usize = 256 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULE_ARN: &str = "arn:aws:events:us-east-2:123456789012:rule/example";

    /// The EC2 event of "Amazon EventBridge input transformation" (eb-transform-target-input).
    fn ec2_event() -> Value {
        json!({
            "version": "0",
            "id": "7bf73129-1428-4cd3-a780-95db273d1602",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2015-11-11T21:29:54Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
            "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
        })
    }

    /// The doc's *Input Path* box (with the `resource` line of the later revision).
    fn ec2_paths() -> Vec<(String, String)> {
        [
            ("timestamp", "$.time"),
            ("instance", "$.detail.instance-id"),
            ("state", "$.detail.state"),
            ("resource", "$.resources[0]"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// The event LocalStack's AWS-validated tests send (`TEST_EVENT_PATTERN` + `EVENT_DETAIL`).
    fn localstack_event(detail: Value) -> Value {
        json!({
            "version": "0",
            "id": "1b3a8e4c-0000-4000-8000-000000000001",
            "detail-type": "core.update-account-command",
            "source": "core.update-account-command",
            "account": "111111111111",
            "time": "2024-05-13T12:27:07Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail
        })
    }

    fn event_detail() -> Value {
        json!({"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}})
    }

    fn pairs(entries: &[(&str, &str)]) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn render_with(input: &TargetInput, event: &Value) -> Result<String, TransformError> {
        let text = event.to_string();
        input.render(&RenderContext {
            event,
            event_json: &text,
            rule_arn: RULE_ARN,
            rule_name: "example",
            ingestion_time: "2015-11-11T21:29:55Z",
        })
    }

    /// Issue 17: a 40 KB value repeated by a legal 8 KB template would render 111 MB; the
    /// render stops once the output passes 256 KiB, for text and JSON templates alike.
    #[test]
    fn rendering_stops_at_the_cap() {
        let event = localstack_event(json!({"big": "x".repeat(40 * 1024)}));
        let paths = pairs(&[("v", "$.detail.big")]);
        let text_template = "<v>".repeat(2700);
        let json_template = format!("{{\"a\": [{}null]}}", "<v>,".repeat(1600));
        for template in [text_template.as_str(), json_template.as_str()] {
            // 8192: the longest InputTemplate the model allows.
            assert!(template.len() <= 8192, "{}", template.len());
            let input = TargetInput::from_target(None, None, Some((&paths, template)))
                .expect("a legal template");
            assert_eq!(
                render_with(&input, &event),
                Err(TransformError::TooLarge {
                    limit: MAX_RENDERED_INPUT
                })
            );
        }
        // Just under the cap still renders.
        let six = "<v>".repeat(6);
        let input = TargetInput::from_target(None, None, Some((&paths, six.as_str()))).unwrap();
        assert_eq!(render_with(&input, &event).unwrap().len(), 6 * 40 * 1024);
    }

    fn transform(paths: &[(String, String)], template: &str, event: &Value) -> String {
        let input = TargetInput::from_target(None, None, Some((paths, template)))
            .unwrap_or_else(|error| panic!("{template}: {error:?}"));
        render_with(&input, event).unwrap_or_else(|error| panic!("{template}: {error:?}"))
    }

    fn refused(
        input: Option<&str>,
        path: Option<&str>,
        transformer: Option<(&[(String, String)], &str)>,
    ) -> String {
        match TargetInput::from_put_targets("t1", input, path, transformer) {
            Ok(accepted) => panic!("accepted: {accepted:?}"),
            Err(error) => error.to_string(),
        }
    }

    // --- eb-transform-target-input: the Input Template examples table, EC2 event ----------

    #[test]
    fn docs_simple_string() {
        let out = transform(
            &ec2_paths(),
            r#""instance <instance> is in <state>""#,
            &ec2_event(),
        );
        assert_eq!(out, r#""instance i-0123456789 is in RUNNING""#);
    }

    #[test]
    fn docs_string_with_escaped_quotes() {
        let template = r#""instance \"<instance>\" is in <state>""#;
        let out = transform(&ec2_paths(), template, &ec2_event());
        assert_eq!(out, r#""instance \"i-0123456789\" is in RUNNING""#);
    }

    #[test]
    fn docs_simple_json_quotes_string_values_and_is_minified() {
        let template = "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}";
        let out = transform(&ec2_paths(), template, &ec2_event());
        assert_eq!(out, r#"{"instance":"i-0123456789","state":"RUNNING"}"#);
    }

    #[test]
    fn docs_json_with_strings_and_variables() {
        let template = "{\n \"instance\" : <instance>,\n \"state\": \"<state>\",\n \
                        \"instanceStatus\": \"instance \\\"<instance>\\\" is in <state>\"\n}";
        let out = transform(&ec2_paths(), template, &ec2_event());
        assert_eq!(
            out,
            r#"{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \"i-0123456789\" is in RUNNING"}"#
        );
    }

    #[test]
    fn docs_json_with_a_mix_of_variables_and_static_information() {
        let template = "{\n  \"instance\" : <instance>,\n  \"state\": [ 9, <state>, true ],\n  \
                        \"Transformed\" : \"Yes\"\n}\n";
        let out = transform(&ec2_paths(), template, &ec2_event());
        assert_eq!(
            out,
            r#"{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}"#
        );
    }

    #[test]
    fn docs_reserved_variables_in_json() {
        let template = "{\n  \"instance\" : <instance>,\n  \"state\": <state>,\n  \
                        \"ruleArn\" : <aws.events.rule-arn>,\n  \"ruleName\" : <aws.events.rule-name>,\n  \
                        \"originalEvent\" : <aws.events.event>\n}";
        let out = transform(&ec2_paths(), template, &ec2_event());
        let parsed: Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(parsed["instance"], "i-0123456789");
        assert_eq!(parsed["state"], "RUNNING");
        assert_eq!(parsed["ruleArn"], RULE_ARN);
        assert_eq!(parsed["ruleName"], "example");
        assert_eq!(
            parsed["originalEvent"]["id"],
            "7bf73129-1428-4cd3-a780-95db273d1602"
        );
        assert_eq!(
            parsed["originalEvent"]["detailType"],
            "EC2 Instance State-change Notification"
        );
        assert!(parsed["originalEvent"].get("detail").is_none());
        assert!(parsed["originalEvent"].get("detail-type").is_none());
    }

    #[test]
    fn docs_reserved_variables_in_a_string() {
        let out = transform(&[], r#""<aws.events.rule-name> triggered""#, &ec2_event());
        assert_eq!(out, r#""example triggered""#);
    }

    #[test]
    fn docs_array_index_path() {
        let out = transform(&ec2_paths(), r#"{"resource": <resource>}"#, &ec2_event());
        assert_eq!(
            out,
            r#"{"resource":"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}"#
        );
    }

    /// API reference, `InputTransformer`: an unquoted text template is delivered as text.
    #[test]
    fn api_reference_plain_text_template() {
        let event = json!({"detail": {"instance": "i-0123456789", "status": "RUNNING"}});
        let paths = pairs(&[
            ("instance", "$.detail.instance"),
            ("status", "$.detail.status"),
        ]);
        assert_eq!(
            transform(&paths, "<instance> is in state <status>", &event),
            "i-0123456789 is in state RUNNING"
        );
        assert_eq!(
            transform(&paths, r#"<instance> is in state \"<status>\""#, &event),
            r#"i-0123456789 is in state \"RUNNING\""#
        );
        // '{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}'
        let template =
            r#"{"myInstance": <instance>,"myStatus": "<instance> is in state \"<status>\""}"#;
        assert_eq!(
            transform(&paths, template, &event),
            r#"{"myInstance":"i-0123456789","myStatus":"i-0123456789 is in state \"RUNNING\""}"#
        );
    }

    // --- LocalStack test_events_inputs.py, AWS-recorded snapshot ---------------------------

    /// TestInputPath::test_put_events_with_input_path (`$.detail`).
    #[test]
    fn snapshot_input_path_detail() {
        let input = TargetInput::from_target(None, Some("$.detail"), None).expect("valid");
        let out = render_with(&input, &localstack_event(event_detail())).expect("rendered");
        assert_eq!(
            out,
            r#"{"command":"update-account","payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"}}"#
        );
    }

    /// TestInputPath::test_put_events_with_input_path_nested[event_detail0/1].
    #[test]
    fn snapshot_input_path_nested() {
        let input = TargetInput::from_target(None, Some("$.detail.payload"), None).expect("valid");
        let out = render_with(&input, &localstack_event(event_detail())).expect("rendered");
        assert_eq!(out, r#"{"acc_id":"0a787ecb-4015","sf_id":"baz"}"#);
        let duplicated = json!({
            "command": "update-account",
            "payload": {"acc_id": "0a787ecb-4015", "payload": {"message": "baz", "id": "123"}}
        });
        let out = render_with(&input, &localstack_event(duplicated)).expect("rendered");
        assert_eq!(
            out,
            r#"{"acc_id":"0a787ecb-4015","payload":{"message":"baz","id":"123"}}"#
        );
    }

    /// TestInputPath::test_put_events_with_input_path_max_level_depth: a string is sent as
    /// JSON text, quotes included (Body `"baz"`).
    #[test]
    fn snapshot_input_path_to_a_string() {
        let input =
            TargetInput::from_target(None, Some("$.detail.payload.sf_id"), None).expect("valid");
        let out = render_with(&input, &localstack_event(event_detail())).expect("rendered");
        assert_eq!(out, r#""baz""#);
    }

    /// TestInputPath::test_put_events_with_input_path_multiple_targets: a target without input
    /// fields gets the whole envelope.
    #[test]
    fn snapshot_no_input_fields_sends_the_event() {
        let input = TargetInput::from_target(None, None, None).expect("valid");
        let event = localstack_event(event_detail());
        assert_eq!(
            render_with(&input, &event).expect("rendered"),
            event.to_string()
        );
        let root = TargetInput::from_target(None, Some("$"), None).expect("valid");
        assert_eq!(
            render_with(&root, &event).expect("rendered"),
            event.to_string()
        );
    }

    fn snapshot_paths(command_path: &str) -> Vec<(String, String)> {
        pairs(&[
            ("detail-type", "$.detail-type"),
            ("timestamp", "$.time"),
            ("command", command_path),
        ])
    }

    /// TestInputTransformer::test_put_events_with_input_transformer_input_template_string.
    #[test]
    fn snapshot_string_template_match_all_and_missing_key() {
        let template = r#""Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>""#;
        let event = localstack_event(event_detail());
        assert_eq!(
            transform(&snapshot_paths("$.detail.command"), template, &event),
            r#""Event of core.update-account-command type, at time 2024-05-13T12:27:07Z, info extracted from detail update-account""#
        );
        assert_eq!(
            transform(&snapshot_paths("$.detail.notinmessage"), template, &event),
            r#""Event of core.update-account-command type, at time 2024-05-13T12:27:07Z, info extracted from detail ""#
        );
    }

    /// Same test, second template: a quoted string starting with `{[/` is not a JSON template.
    #[test]
    fn snapshot_string_template_with_special_starting_characters() {
        let template =
            r#""{[/Check with special starting characters for event of <detail-type> type""#;
        let event = localstack_event(event_detail());
        assert_eq!(
            transform(&snapshot_paths("$.detail.command"), template, &event),
            r#""{[/Check with special starting characters for event of core.update-account-command type""#
        );
    }

    /// TestInputTransformer::test_put_events_with_input_transformer_input_template_json: a path
    /// that selects nothing becomes `""` in a JSON value position.
    #[test]
    fn snapshot_json_template_match_all_and_missing_key() {
        let template =
            r#"{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}"#;
        let event = localstack_event(event_detail());
        assert_eq!(
            transform(&snapshot_paths("$.detail.command"), template, &event),
            r#"{"detailType":"core.update-account-command","time":"2024-05-13T12:27:07Z","command":"update-account"}"#
        );
        assert_eq!(
            transform(&snapshot_paths("$.detail.notinmessage"), template, &event),
            r#"{"detailType":"core.update-account-command","time":"2024-05-13T12:27:07Z","command":""}"#
        );
    }

    /// TestInputTransformer::test_put_events_with_input_transformer_missing_keys.
    #[test]
    fn snapshot_placeholder_not_in_the_map_is_refused() {
        let paths = snapshot_paths("$.detail.command");
        let template = r#""Event of <detail-type> type, with not defined key <notdefinedkey>""#;
        assert_eq!(
            refused(None, None, Some((&paths, template))),
            "InputTemplate for target t1 contains invalid placeholder notdefinedkey."
        );
    }

    /// test_input_transformer_predefined_variables, string template.
    #[test]
    fn snapshot_predefined_variables_in_a_string() {
        let template = r#""Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>""#;
        assert_eq!(
            transform(&[], template, &localstack_event(event_detail())),
            format!(
                r#""Message containing all pre defined variables {RULE_ARN} example 2015-11-11T21:29:55Z""#
            )
        );
    }

    /// test_input_transformer_predefined_variables, JSON template: `<aws.events.event>` has no
    /// detail, `detailType`, and AWS's key order; `<aws.events.event.json>` is the envelope.
    #[test]
    fn snapshot_predefined_event_variables_in_json() {
        let template = r#"{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}"#;
        let event = localstack_event(event_detail());
        let out = transform(&[], template, &event);
        let parsed: Value = serde_json::from_str(&out).expect("JSON");
        let original = parsed["originalEvent"].as_object().expect("object");
        let keys: Vec<&str> = original.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "account",
                "detailType",
                "time",
                "source",
                "region",
                "resources",
                "version"
            ]
        );
        assert_eq!(original["detailType"], "core.update-account-command");
        assert_eq!(parsed["originalEventJson"], event);
    }

    /// test_put_event_input_path_and_input_transformer.
    #[test]
    fn snapshot_input_path_and_input_transformer_together_are_refused() {
        let paths = snapshot_paths("$.detail.command");
        let message =
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.";
        assert_eq!(
            refused(None, Some("$.detail"), Some((&paths, "\"x\""))),
            message
        );
        assert_eq!(refused(Some("{}"), Some("$.detail"), None), message);
        assert_eq!(refused(Some("{}"), None, Some((&paths, "\"x\""))), message);
    }

    // --- Input -------------------------------------------------------------------------------

    #[test]
    fn input_is_delivered_verbatim() {
        let text = "{ \"a\" : 1.50,\n \"b\": [true] }";
        let input = TargetInput::from_target(Some(text), None, None).expect("valid");
        assert_eq!(render_with(&input, &ec2_event()).expect("rendered"), text);
        let scalar = TargetInput::from_target(Some("\"hello\""), None, None).expect("valid");
        assert_eq!(
            render_with(&scalar, &ec2_event()).expect("rendered"),
            "\"hello\""
        );
    }

    /// "Input for target LogGroupTarget is not a valid JSON text." (awsdocs
    /// aws-cloudformation-user-guide issue 1010).
    #[test]
    fn input_that_is_not_json_is_refused() {
        for text in ["hello", "{\"a\":", "", "{'a': 1}"] {
            assert_eq!(
                refused(Some(text), None, None),
                "Input for target t1 is not a valid JSON text.",
                "{text:?}"
            );
        }
    }

    // --- InputPath -----------------------------------------------------------------------------

    #[test]
    fn supported_paths_are_accepted() {
        for path in [
            "$",
            "$.detail",
            "$.detail-type",
            "$.detail.instance-id",
            "$.detail.a_b.c/d",
            "$.resources[0]",
            "$.detail.a[0].b[12]",
            "$.detail.*",
            "$.detail.items[*].id",
        ] {
            assert!(InputPath::parse(path).is_some(), "{path}");
        }
    }

    /// "InputPath for target <id> is invalid." for paths not rooted at `$` and bracket names.
    #[test]
    fn unsupported_paths_are_refused() {
        for path in [
            "",
            "detail",
            ".detail",
            "$.",
            "$..detail",
            "$.detail.",
            "$['detail']",
            "$.detail[\"a\"]",
            "$.resources[-1]",
            "$.resources[0",
            "$.resources[]",
            "$.a b",
            "$detail",
            "$.detail[?(@.a)]",
        ] {
            assert_eq!(
                refused(None, Some(path), None),
                "InputPath for target t1 is invalid.",
                "{path:?}"
            );
        }
    }

    #[test]
    fn input_path_that_selects_nothing_delivers_nothing() {
        let input = TargetInput::from_target(None, Some("$.detail.missing"), None).expect("valid");
        assert_eq!(
            render_with(&input, &ec2_event()),
            Err(TransformError::NothingSelected {
                path: "$.detail.missing".into()
            })
        );
    }

    #[test]
    fn wildcards_select_every_match_as_an_array() {
        let event = json!({"detail": {"items": [{"id": 1}, {"id": 2}, {"x": 3}]}});
        let path = InputPath::parse("$.detail.items[*].id").expect("valid");
        assert_eq!(path.select(&event), Some(json!([1, 2])));
        let path = InputPath::parse("$.detail.*").expect("valid");
        assert_eq!(
            path.select(&event),
            Some(json!([[{"id": 1}, {"id": 2}, {"x": 3}]]))
        );
    }

    #[test]
    fn definite_paths_select_one_value_or_nothing() {
        let event = ec2_event();
        let select = |path: &str| InputPath::parse(path).expect("valid").select(&event);
        assert_eq!(select("$.detail.state"), Some(json!("RUNNING")));
        assert_eq!(select("$.resources[1]"), None);
        assert_eq!(select("$.detail.state.deeper"), None);
        assert_eq!(select("$.detail[0]"), None);
    }

    // --- InputTransformer validation ------------------------------------------------------

    #[test]
    fn a_path_map_value_that_is_not_a_path_is_refused() {
        let paths = pairs(&[("ok", "$.detail"), ("bad", "detail.state")]);
        assert_eq!(
            refused(None, None, Some((&paths, "\"<ok>\""))),
            "InputPath for target t1 is invalid."
        );
    }

    /// "InputTemplate for target t1 contains placeholder aws.events.event.json valid only for
    /// JSON template." for a quoted string or an array template.
    #[test]
    fn event_variables_only_in_json_object_templates() {
        for (template, name) in [
            (
                r#""event: <aws.events.event.json>""#,
                "aws.events.event.json",
            ),
            ("[<aws.events.event.json>]", "aws.events.event.json"),
            ("<aws.events.event>", "aws.events.event"),
        ] {
            assert_eq!(
                refused(None, None, Some((&[], template))),
                format!("InputTemplate for target t1 contains placeholder {name} valid only for JSON template."),
            );
        }
        assert!(TargetInput::from_target(
            None,
            None,
            Some((&[], r#"{"e": <aws.events.event.json>}"#))
        )
        .is_ok());
    }

    #[test]
    fn json_templates_must_be_json_and_placeholders_cannot_be_keys() {
        let paths = pairs(&[("k", "$.detail.state")]);
        for template in [r#"{"a": <k>"#, r#"{<k>: 1}"#, r#"{"a": <k> <k>}"#, "{nope}"] {
            assert_eq!(
                refused(None, None, Some((&paths, template))),
                "Input for target t1 is not a valid JSON text.",
                "{template}"
            );
        }
    }

    #[test]
    fn angle_brackets_that_are_not_placeholders_are_text() {
        let paths = pairs(&[("state", "$.detail.state")]);
        let out = transform(&paths, "a < b > c <= <state> <not a name>", &ec2_event());
        assert_eq!(out, "a < b > c <= RUNNING <not a name>");
        assert_eq!(
            refused(None, None, Some((&paths, "<b>bold</b> <state>"))),
            "InputTemplate for target t1 contains invalid placeholder b."
        );
    }

    #[test]
    fn predefined_names_need_no_path_map_entry() {
        let out = transform(
            &[],
            "<aws.events.rule-name> <aws.events.rule-arn> <aws.events.event.ingestion-time>",
            &ec2_event(),
        );
        assert_eq!(out, format!("example {RULE_ARN} 2015-11-11T21:29:55Z"));
    }

    // --- InputTransformer rendering ------------------------------------------------------

    #[test]
    fn non_string_values_go_in_as_json() {
        let event =
            json!({"detail": {"n": 1.5, "b": false, "z": null, "o": {"k": "v"}, "a": [1, "x"]}});
        let paths = pairs(&[
            ("n", "$.detail.n"),
            ("b", "$.detail.b"),
            ("z", "$.detail.z"),
            ("o", "$.detail.o"),
            ("a", "$.detail.a"),
        ]);
        assert_eq!(
            transform(
                &paths,
                r#"{"n": <n>, "b": <b>, "z": <z>, "o": <o>, "a": <a>}"#,
                &event
            ),
            r#"{"n":1.5,"b":false,"z":null,"o":{"k":"v"},"a":[1,"x"]}"#
        );
        // A text template shows arrays and objects without JSON's quotes (issue 15, recorded
        // on AWS: `[ACTIVE,INACTIVE]`, `{acc_id:0a78,sf_id:baz}`).
        assert_eq!(
            transform(&paths, "n=<n> b=<b> z=<z> o=<o> a=<a>", &event),
            r#"n=1.5 b=false z=null o={k:v} a=[1,x]"#
        );
    }

    #[test]
    fn text_templates_show_arrays_and_objects_unquoted() {
        let event = json!({"detail": {
            "states": ["ACTIVE", "INACTIVE"],
            "payload": {"acc_id": "0a78", "sf_id": "baz"},
            "severity": ["HIGH"],
            "nested": {"l": [{"a": 1}], "t": true},
        }});
        let paths = pairs(&[
            ("states", "$.detail.states"),
            ("payload", "$.detail.payload"),
            ("severity", "$.detail.severity"),
            ("nested", "$.detail.nested"),
        ]);
        assert_eq!(
            transform(
                &paths,
                r#""<states> <payload> <severity> <nested>""#,
                &event
            ),
            r#""[ACTIVE,INACTIVE] {acc_id:0a78,sf_id:baz} [HIGH] {l:[{a:1}],t:true}""#
        );
        // A JSON template keeps JSON.
        assert_eq!(
            transform(&paths, r#"{"s": <states>, "p": <payload>}"#, &event),
            r#"{"s":["ACTIVE","INACTIVE"],"p":{"acc_id":"0a78","sf_id":"baz"}}"#
        );
    }

    /// "EventBridge doesn't escape values extracted by Input Path": a value with a quote inside
    /// a quoted string breaks the JSON, and such an event delivers nothing.
    #[test]
    fn values_inside_strings_are_not_escaped() {
        let event = json!({"detail": {"say": "he said \"hi\""}});
        let paths = pairs(&[("say", "$.detail.say")]);
        assert_eq!(transform(&paths, "\"<say>\"", &event), r#""he said "hi"""#);
        assert_eq!(
            transform(&paths, r#"{"v": <say>}"#, &event),
            r#"{"v":"he said \"hi\""}"#
        );
        let input = TargetInput::from_target(None, None, Some((&paths, r#"{"v": "<say>"}"#)))
            .expect("valid");
        assert_eq!(
            render_with(&input, &event),
            Err(TransformError::RenderedNotJson)
        );
    }

    #[test]
    fn missing_values_are_empty_in_text_and_strings() {
        let paths = pairs(&[("gone", "$.detail.gone")]);
        assert_eq!(transform(&paths, "[<gone>]", &ec2_event()), "[]");
        assert_eq!(
            transform(&paths, r#"{"a": "x<gone>y", "b": [<gone>]}"#, &ec2_event()),
            r#"{"a":"xy","b":[""]}"#
        );
    }

    #[test]
    fn json_output_keeps_strings_and_numbers_as_written() {
        let template = "{ \"a b\" : \"  spaced  \\\" q \" ,\n\t\"n\": 1.50e3 }";
        assert_eq!(
            transform(&[], template, &ec2_event()),
            r#"{"a b":"  spaced  \" q ","n":1.50e3}"#
        );
    }

    #[test]
    fn later_duplicate_path_map_keys_win() {
        let paths = pairs(&[("v", "$.detail.state"), ("v", "$.detail.instance-id")]);
        assert_eq!(transform(&paths, "<v>", &ec2_event()), "i-0123456789");
    }

    #[test]
    fn errors_name_the_target_only_once_told() {
        let error = TargetInput::from_target(Some("nope"), None, None).expect_err("refused");
        assert_eq!(
            error,
            TransformError::NotJson {
                target: String::new()
            }
        );
        assert_eq!(
            error.for_target("abc").to_string(),
            "Input for target abc is not a valid JSON text."
        );
    }

    #[test]
    fn ingestion_time_is_iso_8601_utc() {
        let at = OffsetDateTime::from_unix_timestamp(1_447_277_394).expect("valid");
        assert_eq!(ingestion_time(at), "2015-11-11T21:29:54Z");
    }
}
