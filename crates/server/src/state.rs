//! `ferrybridge state export|import --data-dir DIR` (offline, on a stopped server's data
//! directory) and `--state-file` (imported at start). The format: see
//! `ferrybridge_engine::sqs::snapshot` and docs/persistence.md.

use std::path::Path;
use std::sync::Arc;

use ferrybridge_engine::clock::SystemClock;
use ferrybridge_engine::sqs::snapshot::{FORMAT, VERSION};
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_engine::sts::StsEngine;
use serde_json::{json, Value};

use crate::Config;

/// The engines of a data directory, restored, with the services over them.
struct Opened {
    sqs: Arc<SqsEngine>,
    sns: ferrybridge_sns::Sns,
    events: ferrybridge_events::Events,
    journal: Arc<ferrybridge_store::Durable>,
}

fn open(dir: &Path) -> Result<Opened, String> {
    let mut config = Config::ephemeral();
    config.data_dir = Some(dir.to_path_buf());
    let opened = crate::persistence::open(&config)?.ok_or("no data directory")?;
    let mut sqs = SqsEngine::new(Arc::new(SystemClock));
    let mut sts = StsEngine::new(Arc::new(SystemClock));
    let mut sns = ferrybridge_engine::sns::SnsEngine::new(Arc::new(SystemClock));
    let mut events = ferrybridge_engine::events::EventsEngine::new(Arc::new(SystemClock));
    let journal = opened.attach(&mut sqs, &mut sts, &mut sns, &mut events)?;
    let sqs = Arc::new(sqs);
    let (sns, _) = ferrybridge_sns::Sns::new(
        Arc::new(sns),
        sqs.clone(),
        ferrybridge_sns::Signer::shared(),
    );
    let sns = sns.with_access_checks(false);
    let (events, _) = ferrybridge_events::Events::new(
        Arc::new(events),
        sqs.clone(),
        sns.clone(),
        Arc::from("http://localhost"),
    );
    // Offline: nothing calls out; an imported OAuth connection stays AUTHORIZING until the
    // server's first call through it fetches its token.
    let events = events
        .with_access_checks(false)
        .with_background_authorization(false);
    Ok(Opened {
        sqs,
        sns,
        events,
        journal,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The state document of the given engines (SQS queues and optionally messages, SNS topics
/// and subscriptions, platform applications with their endpoints, SMS attributes,
/// EventBridge buses, rules, targets, archives, connections and API destinations), secrets
/// included (see [`redact_secrets`]).
pub(crate) async fn document(
    sqs: &SqsEngine,
    sns: &ferrybridge_sns::Sns,
    events: &ferrybridge_events::Events,
    account: Option<&str>,
    region: Option<&str>,
    messages: bool,
) -> Result<Value, String> {
    let mut sns_part = crate::state_doc::export_sns(sns, account, region).await?;
    let mut events_part = crate::state_doc::export_events(events, account, region)?;
    merge(
        &mut sns_part,
        crate::state_doc_integrations::export_sns(sns, account, region)?,
    );
    merge(
        &mut events_part,
        crate::state_doc_integrations::export_events(events, account, region)?,
    );
    Ok(json!({
        "format": FORMAT,
        "version": VERSION,
        "sqs": sqs.export(account, region, messages),
        "sns": sns_part,
        "events": events_part,
    }))
}

/// Adds the members of `more` (an object) to `into` (an object).
fn merge(into: &mut Value, more: Value) {
    if let (Some(into), Value::Object(more)) = (into.as_object_mut(), more) {
        into.extend(more);
    }
}

/// Writes every secret of `doc` as `null` (`state export --redact-secrets`,
/// `?redactSecrets=true`): connection passwords, API key values, OAuth client secrets and
/// secret parameter values, platform application credentials.
pub fn redact_secrets(doc: &mut Value) {
    crate::state_doc_integrations::redact_secrets(doc);
}

/// Moves a document into another account and/or region before it is imported
/// (`state import --account/--region`); see `state_doc_rehome`.
pub fn rehome(doc: &mut Value, account: Option<&str>, region: Option<&str>) -> Result<(), String> {
    crate::state_doc_rehome::rehome(doc, account, region)
}

/// Imports a state document into the given engines: every part is checked first (SNS and
/// EventBridge on scratch engines, SQS by its own dry run) and nothing is applied on error.
/// Journals the SNS and EventBridge changes (`--data-dir`). Returns what was created.
pub(crate) async fn apply(
    sqs: &SqsEngine,
    sns: &ferrybridge_sns::Sns,
    events: &ferrybridge_events::Events,
    doc: &Value,
) -> Result<Value, String> {
    crate::state_doc::validate(doc, sqs.clock().clone()).await?;
    let (queues, messages) = sqs.import(doc)?;
    let done = crate::state_doc::import(sns, events, doc).await?;
    sns.engine().journal_state();
    events.engine().journal_state();
    Ok(json!({
        "queues": queues,
        "messages": messages,
        "topics": done.topics,
        "subscriptions": done.subscriptions,
        "buses": done.buses,
        "rules": done.rules,
        "archives": done.archives,
        "connections": done.integrations.connections,
        "apiDestinations": done.integrations.api_destinations,
        "platformApplications": done.integrations.platform_applications,
        "platformEndpoints": done.integrations.platform_endpoints,
        "smsAttributes": done.integrations.sms_attributes,
    }))
}

/// The state document of a data directory (the server using it must be stopped).
pub fn export(
    dir: &Path,
    account: Option<&str>,
    region: Option<&str>,
    messages: bool,
) -> Result<Value, String> {
    let o = open(dir)?;
    let doc = runtime()?.block_on(document(
        &o.sqs, &o.sns, &o.events, account, region, messages,
    ));
    o.journal.close();
    doc
}

/// Imports a state document into a data directory (validated first; nothing is written on
/// error). Returns what was created.
pub fn import(dir: &Path, doc: &Value) -> Result<Value, String> {
    let o = open(dir)?;
    let result = runtime()?.block_on(apply(&o.sqs, &o.sns, &o.events, doc));
    o.journal.close();
    result
}

/// One admin call to a running server at `endpoint` (`http://host:port`): its JSON answer.
fn remote(
    endpoint: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> Result<Value, String> {
    use std::io::{Read, Write};
    let rest = endpoint.trim_end_matches('/');
    let Some(authority) = rest.strip_prefix("http://") else {
        return Err(format!(
            "--endpoint {endpoint}: only http://host:port is supported (use the plain port)"
        ));
    };
    let mut stream = std::net::TcpStream::connect(authority)
        .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(300)));
    let body = body.unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| format!("{endpoint}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("{endpoint}: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or(format!("{endpoint}: not an HTTP answer"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let value: Value = serde_json::from_str(&body)
        .map_err(|_| format!("{endpoint}: HTTP {status}: {}", body.trim()))?;
    if status != 200 {
        return Err(format!("{endpoint}: HTTP {status}: {value}"));
    }
    Ok(value)
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", percent(v.as_ref()?))))
        .collect();
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The state document of a running server (`GET /_ferrybridge/state/export`); with
/// `redact`, the server writes secrets as `null`.
pub fn export_remote(
    endpoint: &str,
    token: Option<&str>,
    account: Option<&str>,
    region: Option<&str>,
    messages: bool,
    redact: bool,
) -> Result<Value, String> {
    let path = format!(
        "/_ferrybridge/state/export{}",
        query(&[
            ("account", account),
            ("region", region),
            ("messages", Some(if messages { "true" } else { "false" })),
            ("redactSecrets", redact.then_some("true")),
        ])
    );
    remote(endpoint, token, "GET", &path, None)
}

/// Imports a state document into a running server (`POST /_ferrybridge/state/import`).
pub fn import_remote(endpoint: &str, token: Option<&str>, doc: &Value) -> Result<Value, String> {
    let body = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
    remote(
        endpoint,
        token,
        "POST",
        "/_ferrybridge/state/import",
        Some(&body),
    )
}

/// Reads and parses a state file.
pub fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
