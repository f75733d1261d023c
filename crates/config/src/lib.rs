//! Start-up resources: a TOML or YAML file declaring, per account and region, the queues,
//! topics, subscriptions, event buses, rules (with targets), archives, connections and API
//! destinations to create before the emulator answers.
//!
//! Entries are the inputs of the AWS operations that create them (`CreateQueue`,
//! `CreateTopic`, `Subscribe`, `CreateEventBus`, `PutRule` + `PutTargets`, `CreateArchive`,
//! `CreateConnection`, `CreateApiDestination`), with AWS's member names, so that every value is
//! validated by the same code as an API call ([`Api`]). A few conveniences spare ARNs: a
//! name where an ARN of this account and region is expected, JSON documents (policies,
//! patterns) written as objects, `Tags` as a map, booleans and numbers for attribute values.
//!
//! [`load`] reads and checks the whole file first (syntax, sections, known fields, required
//! names); [`apply`] then creates the resources in dependency order across all regions
//! (connections, API destinations, queues with dead-letter queues first, topics,
//! subscriptions, buses, archives, rules). Every error names the file, the line and the field.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use serde_json::{json, Map, Value};

/// An AWS error answered by an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs one AWS operation in an account and region, as a request would.
pub trait Api: Sync {
    /// `service`: `sqs`, `sns` or `events`; `input`: the operation's input, keyed by the
    /// model's member names.
    fn call<'a>(
        &'a self,
        service: &'static str,
        account: &'a str,
        region: &'a str,
        operation: &'static str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>>;
}

/// A configuration error: `file:line: what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Yaml,
}

/// One kind of entry: its section name, the member that names it, the fields it takes.
struct Kind {
    section: &'static str,
    name: &'static str,
    fields: &'static [&'static str],
}

const QUEUES: Kind = Kind {
    section: "queues",
    name: "QueueName",
    fields: &["QueueName", "Attributes", "tags"],
};
const TOPICS: Kind = Kind {
    section: "topics",
    name: "Name",
    fields: &["Name", "Attributes", "Tags", "DataProtectionPolicy"],
};
const SUBSCRIPTIONS: Kind = Kind {
    section: "subscriptions",
    name: "Endpoint",
    fields: &[
        "TopicArn",
        "Topic",
        "Protocol",
        "Endpoint",
        "Attributes",
        "ReturnSubscriptionArn",
    ],
};
const BUSES: Kind = Kind {
    section: "event_buses",
    name: "Name",
    fields: &[
        "Name",
        "Description",
        "EventSourceName",
        "KmsKeyIdentifier",
        "DeadLetterConfig",
        "Tags",
    ],
};
const RULES: Kind = Kind {
    section: "rules",
    name: "Name",
    fields: &[
        "Name",
        "EventBusName",
        "EventPattern",
        "ScheduleExpression",
        "State",
        "Description",
        "RoleArn",
        "Tags",
        "Targets",
    ],
};
const TARGETS: Kind = Kind {
    section: "Targets",
    name: "Id",
    fields: &[
        "Id",
        "Arn",
        "Queue",
        "Topic",
        "EventBus",
        "ApiDestination",
        "RoleArn",
        "Input",
        "InputPath",
        "InputTransformer",
        "KinesisParameters",
        "RunCommandParameters",
        "EcsParameters",
        "BatchParameters",
        "SqsParameters",
        "HttpParameters",
        "RedshiftDataParameters",
        "SageMakerPipelineParameters",
        "DeadLetterConfig",
        "RetryPolicy",
        "AppSyncParameters",
    ],
};
const ARCHIVES: Kind = Kind {
    section: "archives",
    name: "ArchiveName",
    fields: &[
        "ArchiveName",
        "EventSourceArn",
        "EventBus",
        "Description",
        "EventPattern",
        "RetentionDays",
        "KmsKeyIdentifier",
    ],
};
const CONNECTIONS: Kind = Kind {
    section: "connections",
    name: "Name",
    fields: &[
        "Name",
        "Description",
        "AuthorizationType",
        "AuthParameters",
        "InvocationConnectivityParameters",
        "KmsKeyIdentifier",
    ],
};
const API_DESTINATIONS: Kind = Kind {
    section: "api_destinations",
    name: "Name",
    fields: &[
        "Name",
        "Description",
        "ConnectionArn",
        "Connection",
        "InvocationEndpoint",
        "HttpMethod",
        "InvocationRateLimitPerSecond",
    ],
};

const KINDS: [&Kind; 8] = [
    &QUEUES,
    &TOPICS,
    &SUBSCRIPTIONS,
    &BUSES,
    &RULES,
    &ARCHIVES,
    &CONNECTIONS,
    &API_DESTINATIONS,
];

const REGION_FIELDS: &[&str] = &[
    "account",
    "region",
    "queues",
    "topics",
    "subscriptions",
    "event_buses",
    "rules",
    "archives",
    "connections",
    "api_destinations",
];

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct StartupConfig {
    file: PathBuf,
    text: String,
    format: Format,
    regions: Vec<Region>,
}

#[derive(Debug, Clone)]
struct Region {
    account: String,
    region: String,
    entries: Map<String, Value>,
}

/// Reads and checks `path` (`.toml`, `.yaml` or `.yml`); `account` and `region` are the
/// defaults for blocks that do not name theirs.
pub fn load(path: &Path, account: &str, region: &str) -> Result<StartupConfig, ConfigError> {
    let err = |line: usize, message: String| ConfigError {
        file: path.to_owned(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, format!("cannot read: {e}")))?;
    parse(path, text, account, region)
}

/// [`load`] from text already read.
pub fn parse(
    path: &Path,
    text: String,
    account: &str,
    region: &str,
) -> Result<StartupConfig, ConfigError> {
    let err = |line: usize, message: String| ConfigError {
        file: path.to_owned(),
        line,
        message,
    };
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => Format::Toml,
        Some("yaml") | Some("yml") => Format::Yaml,
        _ => {
            return Err(err(
                0,
                "the start-up config is a .toml, .yaml or .yml file".into(),
            ))
        }
    };
    let root: Value = match format {
        Format::Toml => toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_at(&text, s.start));
            err(line, e.message().trim().to_owned())
        })?,
        Format::Yaml => {
            if text.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                serde_yaml::from_str(&text).map_err(|e| {
                    let line = e.location().map_or(0, |l| l.line());
                    err(line, e.to_string())
                })?
            }
        }
    };
    let mut config = StartupConfig {
        file: path.to_owned(),
        text,
        format,
        regions: Vec::new(),
    };
    let Value::Object(root) = root else {
        return Err(err(
            1,
            "the file must be a table/mapping with `regions`".into(),
        ));
    };
    for key in root.keys() {
        if key != "regions" {
            return Err(config.error_at_key(
                key,
                0,
                format!("unknown field `{key}` (expected `regions`)"),
            ));
        }
    }
    let regions = match root.get("regions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(_) => {
            return Err(config.error_at_key("regions", 0, "`regions` must be a list".into()))
        }
    };
    for block in regions {
        let Value::Object(mut block) = block else {
            return Err(config.error_at_key(
                "regions",
                0,
                "each of `regions` must be a table/mapping".into(),
            ));
        };
        for key in block.keys() {
            if !REGION_FIELDS.contains(&key.as_str()) {
                return Err(config.error_at_key(
                    key,
                    0,
                    format!(
                        "unknown field `{key}` in a region (expected one of {})",
                        REGION_FIELDS.join(", ")
                    ),
                ));
            }
        }
        let text_field = |block: &Map<String, Value>, key: &str, default: &str| match block.get(key)
        {
            None => Ok(default.to_owned()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(_) => Err(key.to_owned()),
        };
        let acct = text_field(&block, "account", account)
            .map_err(|k| config.error_at_key(&k, 0, format!("field `{k}` must be a string")))?;
        if acct.len() != 12 || !acct.bytes().all(|b| b.is_ascii_digit()) {
            return Err(config.error_at_key(
                "account",
                0,
                format!("field `account`: an account id is 12 digits, not {acct:?}"),
            ));
        }
        let reg = text_field(&block, "region", region)
            .map_err(|k| config.error_at_key(&k, 0, format!("field `{k}` must be a string")))?;
        block.remove("account");
        block.remove("region");
        for kind in KINDS {
            let Some(list) = block.get(kind.section) else {
                continue;
            };
            let Value::Array(list) = list else {
                return Err(config.error_at_key(
                    kind.section,
                    0,
                    format!("`{}` must be a list", kind.section),
                ));
            };
            for entry in list {
                config.check_entry(kind, entry)?;
                if std::ptr::eq(kind, &RULES) {
                    if let Some(targets) = entry.get("Targets") {
                        let Value::Array(targets) = targets else {
                            return Err(config.entry_error(
                                kind,
                                entry,
                                Some("Targets"),
                                "`Targets` must be a list".into(),
                            ));
                        };
                        for target in targets {
                            config.check_entry(&TARGETS, target)?;
                        }
                    }
                }
            }
        }
        config.regions.push(Region {
            account: acct,
            region: reg,
            entries: block,
        });
    }
    Ok(config)
}

/// 1-based line of byte `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A string scalar of `v` as the config wrote it.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl StartupConfig {
    /// How many resources the file declares (targets not counted).
    pub fn len(&self) -> usize {
        self.regions
            .iter()
            .map(|r| {
                KINDS
                    .iter()
                    .filter_map(|k| r.entries.get(k.section).and_then(Value::as_array))
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }

    /// Whether `line` declares `key` (`key = ...`, `key: ...`, `- key: ...`, `[key]`, `[[a.key]]`).
    fn declares(&self, line: &str, key: &str) -> bool {
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        let t = t.trim_start_matches('"').trim_start_matches('\'');
        if let Some(rest) = t.strip_prefix(key) {
            let rest = rest
                .trim_start_matches('"')
                .trim_start_matches('\'')
                .trim_start();
            return match self.format {
                Format::Toml => rest.starts_with('=') || rest.starts_with('.'),
                Format::Yaml => rest.starts_with(':'),
            };
        }
        if self.format == Format::Toml && t.starts_with('[') {
            let inner = t.trim_matches(|c| c == '[' || c == ']' || c == ' ');
            return inner == key || inner.ends_with(&format!(".{key}"));
        }
        false
    }

    /// Whether `line` has `key` as a key anywhere (inline tables, flow mappings).
    fn mentions_key(&self, line: &str, key: &str) -> bool {
        let sep = match self.format {
            Format::Toml => "=",
            Format::Yaml => ":",
        };
        line.match_indices(key).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let after = line[at + key.len()..]
                .trim_start_matches(['"', '\''])
                .trim_start();
            before.is_none_or(|c| !c.is_alphanumeric() && c != '_') && after.starts_with(sep)
        })
    }

    /// The first line from `from` (0-based) that declares `key`, 1-based (0: not found).
    fn error_at_key(&self, key: &str, from: usize, message: String) -> ConfigError {
        let line = self
            .lines()
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, l)| self.declares(l, key))
            .map_or(0, |(i, _)| i + 1);
        ConfigError {
            file: self.file.clone(),
            line,
            message,
        }
    }

    /// The 0-based line range of the entry whose `name_key` is `name`.
    fn entry_lines(&self, name_key: &str, name: &str) -> Option<(usize, usize)> {
        let lines = self.lines();
        let is_name_line = |l: &str| {
            self.declares(l, name_key) && {
                let value = match self.format {
                    Format::Toml => l.split_once('=').map(|x| x.1),
                    Format::Yaml => l.split_once(':').map(|x| x.1),
                }
                .unwrap_or("")
                .trim()
                .trim_matches(['"', '\'']);
                value == name
            }
        };
        let at = lines.iter().position(|l| is_name_line(l))?;
        let starts_entry = |l: &str| match self.format {
            Format::Toml => l.trim_start().starts_with("[["),
            Format::Yaml => l.trim_start().starts_with("- "),
        };
        let indent = |l: &str| l.len() - l.trim_start().len();
        let start = (0..=at)
            .rev()
            .find(|i| starts_entry(lines[*i]))
            .unwrap_or(at);
        let end = (at + 1..lines.len())
            .find(|i| {
                starts_entry(lines[*i])
                    && (self.format == Format::Toml || indent(lines[*i]) <= indent(lines[start]))
            })
            .unwrap_or(lines.len());
        Some((start, end))
    }

    fn entry_error(
        &self,
        kind: &Kind,
        entry: &Value,
        field: Option<&str>,
        message: String,
    ) -> ConfigError {
        let name = entry.get(kind.name).and_then(scalar).unwrap_or_default();
        let lines = self.lines();
        let (line, label) = match self.entry_lines(kind.name, &name) {
            Some((start, end)) => {
                let field_line = field.and_then(|f| {
                    (start..end)
                        .find(|i| self.declares(lines[*i], f))
                        .or_else(|| (start..end).find(|i| self.mentions_key(lines[*i], f)))
                });
                let name_line = (start..end).find(|i| self.declares(lines[*i], kind.name));
                (
                    field_line.or(name_line).unwrap_or(start) + 1,
                    format!("{} {name:?}", kind.section),
                )
            }
            None => (0, kind.section.to_owned()),
        };
        let field = field.map(|f| format!(", field {f}")).unwrap_or_default();
        ConfigError {
            file: self.file.clone(),
            line,
            message: format!("{label}{field}: {message}"),
        }
    }

    fn check_entry(&self, kind: &Kind, entry: &Value) -> Result<(), ConfigError> {
        let Value::Object(map) = entry else {
            return Err(self.error_at_key(
                kind.section,
                0,
                format!("each of `{}` must be a table/mapping", kind.section),
            ));
        };
        if map
            .get(kind.name)
            .and_then(scalar)
            .is_none_or(|s| s.is_empty())
        {
            let line = self.error_at_key(kind.section, 0, String::new()).line;
            return Err(ConfigError {
                file: self.file.clone(),
                line,
                message: format!(
                    "{}: an entry without `{}` (required)",
                    kind.section, kind.name
                ),
            });
        }
        for key in map.keys() {
            if !kind.fields.contains(&key.as_str()) {
                return Err(self.entry_error(
                    kind,
                    entry,
                    Some(key),
                    format!(
                        "unknown field `{key}` (expected one of {})",
                        kind.fields.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The error for an operation that refused `entry`: the field is the first of the entry's
    /// members (or attribute names) that AWS's message mentions.
    fn api_error(&self, kind: &Kind, entry: &Value, operation: &str, e: ApiError) -> ConfigError {
        // Attribute names first (AWS's messages name the attribute), then the entry's members.
        let mut candidates: Vec<String> = Vec::new();
        if let Some(Value::Object(attributes)) = entry.get("Attributes") {
            candidates.extend(attributes.keys().cloned());
        }
        if let Value::Object(map) = entry {
            candidates.extend(map.keys().cloned());
        }
        let field = candidates
            .iter()
            .find(|c| e.message.contains(c.as_str()))
            .cloned()
            .or_else(|| {
                let pattern =
                    e.code.contains("EventPattern") || e.message.contains("Event pattern");
                (pattern && entry.get("EventPattern").is_some()).then(|| "EventPattern".into())
            });
        self.entry_error(
            kind,
            entry,
            field.as_deref(),
            format!("{operation} failed: {}: {}", e.code, e.message),
        )
    }
}

/// An attribute value as AWS takes it: text as is, numbers and booleans as text, JSON
/// documents (objects, lists) as compact JSON text.
fn attribute_text(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        Value::Null => Value::String(String::new()),
        Value::Number(_) | Value::Bool(_) => Value::String(scalar(v).unwrap_or_default()),
        _ => Value::String(v.to_string()),
    }
}

fn attributes(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), attribute_text(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// `Tags` as AWS's list of `{Key, Value}` (a map is accepted too).
fn tag_list(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::Object(m) => Some(Value::Array(
            m.iter()
                .map(|(k, v)| json!({"Key": k, "Value": attribute_text(v)}))
                .collect(),
        )),
        other => Some(other.clone()),
    }
}

fn is_arn(s: &str) -> bool {
    s.starts_with("arn:")
}

struct Ctx<'a> {
    account: &'a str,
    region: &'a str,
}

impl Ctx<'_> {
    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }
    fn queue_arn(&self, name_or_arn: &str) -> String {
        if is_arn(name_or_arn) {
            name_or_arn.to_owned()
        } else {
            self.arn("sqs", name_or_arn)
        }
    }
    fn topic_arn(&self, name_or_arn: &str) -> String {
        if is_arn(name_or_arn) {
            name_or_arn.to_owned()
        } else {
            self.arn("sns", name_or_arn)
        }
    }
    fn bus_arn(&self, name_or_arn: &str) -> String {
        if is_arn(name_or_arn) {
            name_or_arn.to_owned()
        } else {
            self.arn("events", &format!("event-bus/{name_or_arn}"))
        }
    }
}

/// `RedrivePolicy` (queues, subscriptions) whose `deadLetterTargetArn` may be a queue name.
fn redrive_policy(ctx: &Ctx<'_>, v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut m = m.clone();
            if let Some(Value::String(target)) = m.get("deadLetterTargetArn") {
                let arn = ctx.queue_arn(target);
                m.insert("deadLetterTargetArn".into(), Value::String(arn));
            }
            Value::String(Value::Object(m).to_string())
        }
        other => attribute_text(other),
    }
}

fn json_text(v: &Value) -> Value {
    attribute_text(v)
}

/// The dead-letter queue a queue entry's `RedrivePolicy` names, if it is written as a name or
/// an ARN of the same account and region.
fn redrive_target(entry: &Value) -> Option<String> {
    let policy = entry.get("Attributes")?.get("RedrivePolicy")?;
    let target = match policy {
        Value::Object(m) => m.get("deadLetterTargetArn")?.as_str()?.to_owned(),
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()?
            .get("deadLetterTargetArn")?
            .as_str()?
            .to_owned(),
        _ => return None,
    };
    Some(target.rsplit(':').next().unwrap_or(&target).to_owned())
}

/// Queue entries ordered so that a dead-letter queue is created before the queues using it.
fn queues_in_order(list: &[Value]) -> Vec<&Value> {
    let name = |e: &Value| e.get("QueueName").and_then(scalar).unwrap_or_default();
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut left: Vec<&Value> = list.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|e| {
            let ready = redrive_target(e)
                .is_none_or(|t| done.contains(&t) || !list.iter().any(|o| name(o) == t));
            if ready {
                done.push(name(e));
                out.push(*e);
            }
            !ready
        });
        if left.len() == before {
            // A cycle: let CreateQueue report it.
            out.append(&mut left);
        }
    }
    out
}

/// Creates the configured resources through `api`, in dependency order. Stops at the first
/// refusal with an error naming the file, line and field.
pub async fn apply(config: &StartupConfig, api: &dyn Api) -> Result<(), ConfigError> {
    let sections = |kind: &Kind| -> Vec<(Ctx<'_>, Vec<Value>)> {
        config
            .regions
            .iter()
            .map(|r| {
                let list = r
                    .entries
                    .get(kind.section)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                (
                    Ctx {
                        account: &r.account,
                        region: &r.region,
                    },
                    list,
                )
            })
            .collect()
    };
    let call = |ctx: &Ctx<'_>,
                kind: &'static Kind,
                entry: Value,
                service: &'static str,
                operation: &'static str,
                input: Value| {
        let account = ctx.account.to_owned();
        let region = ctx.region.to_owned();
        async move {
            api.call(service, &account, &region, operation, input)
                .await
                .map_err(|e| config.api_error(kind, &entry, operation, e))
        }
    };
    let mut connection_arns: Vec<((String, String, String), String)> = Vec::new();
    let mut destination_arns: Vec<((String, String, String), String)> = Vec::new();
    let key = |ctx: &Ctx<'_>, name: &str| {
        (
            ctx.account.to_owned(),
            ctx.region.to_owned(),
            name.to_owned(),
        )
    };

    for (ctx, list) in sections(&CONNECTIONS) {
        for e in list {
            let mut input = e.as_object().cloned().unwrap_or_default();
            let name = e.get("Name").and_then(scalar).unwrap_or_default();
            input.insert("Name".into(), Value::String(name.clone()));
            let out = call(
                &ctx,
                &CONNECTIONS,
                e.clone(),
                "events",
                "CreateConnection",
                Value::Object(input),
            )
            .await?;
            if let Some(arn) = out.get("ConnectionArn").and_then(Value::as_str) {
                connection_arns.push((key(&ctx, &name), arn.to_owned()));
            }
        }
    }
    for (ctx, list) in sections(&API_DESTINATIONS) {
        for e in list {
            let mut input = e.as_object().cloned().unwrap_or_default();
            let name = e.get("Name").and_then(scalar).unwrap_or_default();
            input.insert("Name".into(), Value::String(name.clone()));
            if let Some(conn) = input.remove("Connection").as_ref().and_then(scalar) {
                let arn = connection_arns
                    .iter()
                    .find(|(k, _)| *k == key(&ctx, &conn))
                    .map(|(_, a)| a.clone())
                    .ok_or_else(|| {
                        config.entry_error(
                            &API_DESTINATIONS,
                            &e,
                            Some("Connection"),
                            format!(
                                "no connection {conn:?} in this account and region's `connections`"
                            ),
                        )
                    })?;
                input.insert("ConnectionArn".into(), Value::String(arn));
            }
            let out = call(
                &ctx,
                &API_DESTINATIONS,
                e.clone(),
                "events",
                "CreateApiDestination",
                Value::Object(input),
            )
            .await?;
            if let Some(arn) = out.get("ApiDestinationArn").and_then(Value::as_str) {
                destination_arns.push((key(&ctx, &name), arn.to_owned()));
            }
        }
    }
    for (ctx, list) in sections(&QUEUES) {
        for e in queues_in_order(&list) {
            let mut attrs = attributes(e.get("Attributes"));
            if let Some(policy) = e.get("Attributes").and_then(|a| a.get("RedrivePolicy")) {
                attrs.insert("RedrivePolicy".into(), redrive_policy(&ctx, policy));
            }
            let mut input =
                json!({"QueueName": e.get("QueueName").and_then(scalar).unwrap_or_default()});
            if !attrs.is_empty() {
                input["Attributes"] = Value::Object(attrs);
            }
            if let Some(tags) = e.get("tags") {
                input["tags"] = Value::Object(attributes(Some(tags)));
            }
            call(&ctx, &QUEUES, e.clone(), "sqs", "CreateQueue", input).await?;
        }
    }
    for (ctx, list) in sections(&TOPICS) {
        for e in list {
            let mut input = json!({"Name": e.get("Name").and_then(scalar).unwrap_or_default()});
            let attrs = attributes(e.get("Attributes"));
            if !attrs.is_empty() {
                input["Attributes"] = Value::Object(attrs);
            }
            if let Some(tags) = tag_list(e.get("Tags")) {
                input["Tags"] = tags;
            }
            if let Some(p) = e.get("DataProtectionPolicy") {
                input["DataProtectionPolicy"] = json_text(p);
            }
            call(&ctx, &TOPICS, e.clone(), "sns", "CreateTopic", input).await?;
        }
    }
    for (ctx, list) in sections(&SUBSCRIPTIONS) {
        for e in list {
            let topic = e
                .get("TopicArn")
                .or(e.get("Topic"))
                .and_then(scalar)
                .unwrap_or_default();
            let protocol = e.get("Protocol").and_then(scalar).unwrap_or_default();
            let mut endpoint = e.get("Endpoint").and_then(scalar).unwrap_or_default();
            if protocol == "sqs" {
                endpoint = ctx.queue_arn(&endpoint);
            }
            let mut attrs = attributes(e.get("Attributes"));
            if let Some(policy) = e.get("Attributes").and_then(|a| a.get("RedrivePolicy")) {
                attrs.insert("RedrivePolicy".into(), redrive_policy(&ctx, policy));
            }
            let mut input = json!({
                "TopicArn": ctx.topic_arn(&topic),
                "Protocol": protocol,
                "Endpoint": endpoint,
                "ReturnSubscriptionArn": true,
            });
            if !attrs.is_empty() {
                input["Attributes"] = Value::Object(attrs);
            }
            call(&ctx, &SUBSCRIPTIONS, e.clone(), "sns", "Subscribe", input).await?;
        }
    }
    for (ctx, list) in sections(&BUSES) {
        for e in list {
            let mut input = e.as_object().cloned().unwrap_or_default();
            if let Some(tags) = tag_list(e.get("Tags")) {
                input.insert("Tags".into(), tags);
            }
            call(
                &ctx,
                &BUSES,
                e.clone(),
                "events",
                "CreateEventBus",
                Value::Object(input),
            )
            .await?;
        }
    }
    for (ctx, list) in sections(&ARCHIVES) {
        for e in list {
            let mut input = e.as_object().cloned().unwrap_or_default();
            if let Some(bus) = input.remove("EventBus").as_ref().and_then(scalar) {
                input.insert("EventSourceArn".into(), Value::String(ctx.bus_arn(&bus)));
            }
            if let Some(p) = e.get("EventPattern") {
                input.insert("EventPattern".into(), json_text(p));
            }
            call(
                &ctx,
                &ARCHIVES,
                e.clone(),
                "events",
                "CreateArchive",
                Value::Object(input),
            )
            .await?;
        }
    }
    for (ctx, list) in sections(&RULES) {
        for e in list {
            let mut input = e.as_object().cloned().unwrap_or_default();
            let targets = input.remove("Targets");
            if let Some(p) = e.get("EventPattern") {
                input.insert("EventPattern".into(), json_text(p));
            }
            if let Some(tags) = tag_list(e.get("Tags")) {
                input.insert("Tags".into(), tags);
            }
            call(
                &ctx,
                &RULES,
                e.clone(),
                "events",
                "PutRule",
                Value::Object(input),
            )
            .await?;
            let Some(Value::Array(targets)) = targets else {
                continue;
            };
            let mut list = Vec::new();
            for t in &targets {
                let mut target = t.as_object().cloned().unwrap_or_default();
                if let Some(q) = target.remove("Queue").as_ref().and_then(scalar) {
                    target.insert("Arn".into(), Value::String(ctx.queue_arn(&q)));
                }
                if let Some(topic) = target.remove("Topic").as_ref().and_then(scalar) {
                    target.insert("Arn".into(), Value::String(ctx.topic_arn(&topic)));
                }
                if let Some(bus) = target.remove("EventBus").as_ref().and_then(scalar) {
                    target.insert("Arn".into(), Value::String(ctx.bus_arn(&bus)));
                }
                if let Some(dest) = target.remove("ApiDestination").as_ref().and_then(scalar) {
                    let arn = destination_arns
                        .iter()
                        .find(|(k, _)| *k == key(&ctx, &dest))
                        .map(|(_, a)| a.clone())
                        .ok_or_else(|| {
                            config.entry_error(&TARGETS, t, Some("ApiDestination"), format!("no API destination {dest:?} in this account and region's `api_destinations`"))
                        })?;
                    target.insert("Arn".into(), Value::String(arn));
                }
                if let Some(input) = target.get("Input") {
                    let text = json_text(input);
                    target.insert("Input".into(), text);
                }
                if let Some(Value::Object(dlq)) = target.get("DeadLetterConfig") {
                    let mut dlq = dlq.clone();
                    if let Some(arn) = dlq.get("Arn").and_then(Value::as_str) {
                        let arn = ctx.queue_arn(arn);
                        dlq.insert("Arn".into(), Value::String(arn));
                    }
                    target.insert("DeadLetterConfig".into(), Value::Object(dlq));
                }
                list.push(Value::Object(target));
            }
            let rule = e.get("Name").and_then(scalar).unwrap_or_default();
            let mut put = json!({"Rule": rule, "Targets": list});
            if let Some(bus) = e.get("EventBusName") {
                put["EventBusName"] = bus.clone();
            }
            let out = call(&ctx, &RULES, e.clone(), "events", "PutTargets", put).await?;
            if let Some(failed) = out
                .get("FailedEntries")
                .and_then(Value::as_array)
                .and_then(|f| f.first())
            {
                let id = failed.get("TargetId").and_then(scalar).unwrap_or_default();
                let target = targets
                    .iter()
                    .find(|t| t.get("Id").and_then(scalar).as_deref() == Some(id.as_str()))
                    .unwrap_or(&e);
                let code = failed.get("ErrorCode").and_then(scalar).unwrap_or_default();
                let message = failed
                    .get("ErrorMessage")
                    .and_then(scalar)
                    .unwrap_or_default();
                return Err(config.api_error(
                    &TARGETS,
                    target,
                    "PutTargets",
                    ApiError { code, message },
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(name: &str, text: &str) -> Result<StartupConfig, ConfigError> {
        parse(
            Path::new(name),
            text.to_owned(),
            "000000000000",
            "us-east-1",
        )
    }

    #[test]
    fn a_type_error_names_the_line_and_the_field() {
        let text = "regions:\n  - region: us-east-1\n    queues:\n      - QueueName: a\n      - QueueName: b\n        Atributes: {}\n";
        let err = parse_text("x.yaml", text).unwrap_err();
        assert_eq!(err.line, 6, "{err}");
        assert!(err.message.contains("Atributes"), "{err}");
        let toml = "[[regions]]\n[[regions.queues]]\nQueueName = \"a\"\n\n[[regions.queues]]\nQueueName = \"b\"\nAtributes = {}\n";
        let err = parse_text("x.toml", toml).unwrap_err();
        assert_eq!(err.line, 7, "{err}");
        let config = parse_text(
            "x.toml",
            "[[regions]]\n[[regions.queues]]\nQueueName = \"b\"\nAttributes = { VisibilityTimeout = 99999 }\n",
        )
        .expect("valid");
        let entry = json!({"QueueName": "b", "Attributes": {"VisibilityTimeout": 99999}});
        let err = config.api_error(
            &QUEUES,
            &entry,
            "CreateQueue",
            ApiError {
                code: "InvalidAttributeValue".into(),
                message: "Invalid value for the parameter VisibilityTimeout.".into(),
            },
        );
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("field VisibilityTimeout"), "{err}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse_text("x.toml", "[[regions]]\nregion = \n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        let err = parse_text("x.yaml", "regions:\n  - region: [\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
    }

    #[test]
    fn dead_letter_queues_come_first() {
        let list = vec![
            json!({"QueueName": "a", "Attributes": {"RedrivePolicy": {"deadLetterTargetArn": "b", "maxReceiveCount": 3}}}),
            json!({"QueueName": "b"}),
        ];
        let names: Vec<&str> = queues_in_order(&list)
            .iter()
            .map(|e| e["QueueName"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names, ["b", "a"]);
    }
}
