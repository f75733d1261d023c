//! `ferrybridge state export/import`: SQS resources (and optionally messages) as versioned
//! JSON, for fixtures a team checks into its repository. See docs/persistence.md.
//!
//! ```json
//! {"format": "ferrybridge-state", "version": 1,
//!  "sqs": {"queues": [{"accountId": "000000000000", "region": "us-east-1", "name": "orders",
//!                      "attributes": {"VisibilityTimeout": "30"}, "tags": {"team": "a"},
//!                      "messages": [{"body": "hi", "messageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
//!                                    "messageGroupId": null, "messageDeduplicationId": null,
//!                                    "messageId": "…", "sentTimestamp": 1700000000000}]}]}}
//! ```
//! On import a message is sent again (a new id and sent timestamp; `messageId` and
//! `sentTimestamp` are informative). A queue that exists already is kept as it is (its
//! attributes must not conflict) and the file's messages for it are not imported again, so
//! importing the same file at every start (`--state-file`) does not duplicate them.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::message::{AttributePayload, MessageAttributeValue};
use super::{NewMessage, QueueKey, SqsEngine};

/// The `format` and `version` written and accepted.
pub const FORMAT: &str = "ferrybridge-state";
/// The version written. Version 1 (SQS only) is still read; version 2 adds `sns` and
/// `events`, read by the server (`ferrybridge_server::state_doc`).
pub const VERSION: u64 = 2;

impl SqsEngine {
    /// The `sqs` part of an export: every queue of the matching accounts and regions, sorted,
    /// with its messages if `messages`.
    pub fn export(&self, account: Option<&str>, region: Option<&str>, messages: bool) -> Value {
        let mut queues = Vec::new();
        for (a, r) in self.locations() {
            if account.is_some_and(|x| x != a) || region.is_some_and(|x| x != r) {
                continue;
            }
            for q in self.list_queues(&a, &r, "") {
                let meta = q.meta();
                let attrs: Map<String, Value> = super::attributes::ALL_ATTRIBUTE_NAMES
                    .iter()
                    .filter(|n| !super::attributes::READ_ONLY_ATTRIBUTE_NAMES.contains(n))
                    .filter_map(|n| meta.attributes.get(n).map(|v| (n.to_string(), json!(v))))
                    .collect();
                let mut entry = json!({
                    "accountId": a, "region": r, "name": q.name(),
                    "attributes": attrs, "tags": meta.tags,
                });
                if messages {
                    let list: Vec<Value> = q
                        .messages_in_order()
                        .into_iter()
                        .map(|m| {
                            let attrs: Map<String, Value> = m
                                .attributes()
                                .iter()
                                .map(|(n, v)| {
                                    let value = match &v.value {
                                        AttributePayload::String(s) => {
                                            json!({"DataType": v.data_type, "StringValue": s})
                                        }
                                        AttributePayload::Binary(b) => json!({
                                            "DataType": v.data_type,
                                            "BinaryValue": base64::engine::general_purpose::STANDARD.encode(b),
                                        }),
                                    };
                                    (n.clone(), value)
                                })
                                .collect();
                            json!({
                                "body": &*m.body,
                                "messageAttributes": attrs,
                                "messageGroupId": m.message_group_id(),
                                "messageDeduplicationId": m.extra.as_deref().and_then(|x| x.message_deduplication_id.as_deref()),
                                "messageId": m.message_id(),
                                "sentTimestamp": m.sent_ms,
                            })
                        })
                        .collect();
                    entry["messages"] = Value::Array(list);
                }
                queues.push(entry);
            }
        }
        json!({"queues": queues})
    }

    /// Imports the `sqs` part of a state document. Everything is checked first (format, names,
    /// attributes, conflicts with existing queues, messages) on a scratch engine; nothing is
    /// changed here unless all of it is valid. Returns (queues created, messages sent).
    pub fn import(&self, doc: &Value) -> Result<(usize, usize), String> {
        let queues = parse(doc)?;
        // Dry run: the existing queues' configuration plus the file, on an engine of its own.
        let scratch = SqsEngine::new(self.clock.clone());
        let existing: Vec<_> = self
            .locations()
            .into_iter()
            .flat_map(|(a, r)| self.list_queues(&a, &r, ""))
            .collect();
        let mut redrives = Vec::new();
        for q in &existing {
            let (attrs, redrive) = split_redrive(current_attributes(&q.meta()));
            let (copy, _) = scratch
                .create_queue(q.key().clone(), &attrs, &[])
                .map_err(|e| format!("queue {}: {}", q.name(), e.message))?;
            redrives.extend(redrive.map(|r| (copy, r)));
        }
        for (q, redrive) in redrives {
            scratch
                .set_queue_attributes(&q, [("RedrivePolicy", redrive.as_str())])
                .map_err(|e| format!("queue {}: {}", q.name(), e.message))?;
        }
        apply(&scratch, &queues)?;
        apply(self, &queues)
    }
}

type Parsed = Vec<(
    QueueKey,
    Vec<(String, String)>,
    Vec<(String, String)>,
    Vec<NewMessage>,
)>;

fn current_attributes(meta: &super::QueueMeta) -> Vec<(String, String)> {
    super::attributes::ALL_ATTRIBUTE_NAMES
        .iter()
        .filter(|n| !super::attributes::READ_ONLY_ATTRIBUTE_NAMES.contains(n))
        .filter_map(|n| meta.attributes.get(n).map(|v| (n.to_string(), v)))
        .collect()
}

fn split_redrive(attrs: Vec<(String, String)>) -> (Vec<(String, String)>, Option<String>) {
    let (redrive, rest): (Vec<_>, Vec<_>) =
        attrs.into_iter().partition(|(k, _)| k == "RedrivePolicy");
    (rest, redrive.into_iter().last().map(|(_, v)| v))
}

/// Queues first (dead-letter policies once every queue exists, so the file's order does not
/// matter), then the messages of the queues this import created.
fn apply(engine: &SqsEngine, queues: &Parsed) -> Result<(usize, usize), String> {
    let (mut created, mut sent) = (0, 0);
    let mut new_queues = Vec::new();
    for (key, attributes, tags, messages) in queues {
        let (attrs, redrive) = split_redrive(attributes.clone());
        let existing = engine.queue(key).ok();
        let wanted = if existing.is_some() {
            attributes.clone()
        } else {
            attrs
        };
        if let Some(q) = existing {
            // Kept as it is; the file must not contradict it.
            engine
                .create_queue(q.key().clone(), &wanted, &[])
                .map_err(|e| format!("queue {}: {}", key.name, e.message))?;
            continue;
        }
        let (q, _) = engine
            .create_queue(key.clone(), &wanted, tags)
            .map_err(|e| format!("queue {}: {}", key.name, e.message))?;
        created += 1;
        new_queues.push((q, redrive, messages));
    }
    for (q, redrive, _) in &new_queues {
        if let Some(r) = redrive {
            engine
                .set_queue_attributes(q, [("RedrivePolicy", r.as_str())])
                .map_err(|e| format!("queue {}: {}", q.name(), e.message))?;
        }
    }
    for (q, _, messages) in new_queues {
        let key = q.key();
        for (i, m) in messages.iter().enumerate() {
            q.send(m.clone())
                .map_err(|e| format!("queue {} message {i}: {}", key.name, e.message))?;
            sent += 1;
        }
    }
    Ok((created, sent))
}

fn parse(doc: &Value) -> Result<Parsed, String> {
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!("not a state file: \"format\" must be {FORMAT:?}"));
    }
    match doc.get("version").and_then(Value::as_u64) {
        Some(1 | VERSION) => {}
        v => {
            return Err(format!(
                "unsupported version {v:?} (this ferrybridge reads 1 to {VERSION})"
            ))
        }
    }
    let Some(sqs) = doc.get("sqs") else {
        return Ok(Vec::new());
    };
    let list = sqs
        .get("queues")
        .and_then(Value::as_array)
        .ok_or("sqs.queues must be an array")?;
    let mut out = Vec::new();
    for (i, q) in list.iter().enumerate() {
        let at = format!("sqs.queues[{i}]");
        let s = |field: &str| -> Result<String, String> {
            q.get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or(format!("{at}.{field} must be a string"))
        };
        let key = QueueKey::new(s("accountId")?, s("region")?, s("name")?);
        let pairs = |field: &str| -> Result<Vec<(String, String)>, String> {
            match q.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(v) => Ok((k.clone(), v.clone())),
                        _ => Err(format!("{at}.{field}.{k} must be a string")),
                    })
                    .collect(),
                Some(_) => Err(format!("{at}.{field} must be an object")),
            }
        };
        let attributes = pairs("attributes")?;
        let tags = pairs("tags")?;
        let mut messages = Vec::new();
        for (j, m) in q
            .get("messages")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let at = format!("{at}.messages[{j}]");
            let body = m
                .get("body")
                .and_then(Value::as_str)
                .ok_or(format!("{at}.body must be a string"))?;
            let opt = |f: &str| m.get(f).and_then(Value::as_str).map(str::to_string);
            let mut attrs = Vec::new();
            if let Some(map) = m.get("messageAttributes").and_then(Value::as_object) {
                for (name, v) in map {
                    let data_type = v
                        .get("DataType")
                        .and_then(Value::as_str)
                        .ok_or(format!("{at}.messageAttributes.{name}.DataType is missing"))?;
                    let value = if let Some(s) = v.get("StringValue").and_then(Value::as_str) {
                        MessageAttributeValue::string(data_type, s)
                    } else if let Some(b) = v.get("BinaryValue").and_then(Value::as_str) {
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .map_err(|_| {
                                format!("{at}.messageAttributes.{name}.BinaryValue is not base64")
                            })?;
                        MessageAttributeValue::binary(data_type, bytes)
                    } else {
                        return Err(format!("{at}.messageAttributes.{name} has no value"));
                    };
                    attrs.push((name.clone(), value));
                }
            }
            messages.push(NewMessage {
                body: body.to_string(),
                attributes: attrs,
                sender_id: key.account_id.clone(),
                message_group_id: opt("messageGroupId"),
                message_deduplication_id: opt("messageDeduplicationId"),
                ..NewMessage::default()
            });
        }
        out.push((key, attributes, tags, messages));
    }
    Ok(out)
}
