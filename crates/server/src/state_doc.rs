//! The SNS and EventBridge parts of the state document (connections, API destinations,
//! platform applications and SMS attributes: `state_doc_integrations`) (`ferrybridge state export|import`,
//! `--state-file`, `/_ferrybridge/state/export|import`; format version 2, see
//! docs/persistence.md).
//!
//! Both directions go through the services' own operations, as a client would: export reads
//! with `ListTopics`, `GetTopicAttributes`, `ListEventBuses`, `DescribeRule`,
//! `ListTargetsByRule`...; import creates with `CreateTopic`, `Subscribe`, `CreateEventBus`,
//! `PutRule`, `PutTargets`, `CreateArchive`..., so a document is checked exactly as those
//! requests would be. Import runs the whole document first on scratch engines (nothing
//! exists there but the default buses) and applies nothing if any request fails; then it
//! applies it, keeping as they are the resources that exist already (a topic, a bus, a rule,
//! an archive of the same name: the document's entry for it is skipped).

use std::sync::Arc;

use ferrybridge_engine::clock::Clock;
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_engine::sns::SnsEngine;
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_events::Events;
use ferrybridge_protocol::{RequestContext, ServiceError};
use ferrybridge_sns::Sns;
use serde_json::{json, Map, Value};

use crate::state_doc_integrations::{ctx, failed};

/// Topic attributes that are read-only (not given to `CreateTopic`).
const TOPIC_READ_ONLY: &[&str] = &[
    "TopicArn",
    "Owner",
    "SubscriptionsConfirmed",
    "SubscriptionsPending",
    "SubscriptionsDeleted",
    "EffectiveDeliveryPolicy",
    "BeginningArchiveTime",
];

/// Subscription attributes `Subscribe` takes.
const SUBSCRIPTION_SETTABLE: &[&str] = &[
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn tags_map(list: Option<&Value>) -> Value {
    let mut m = Map::new();
    for t in list.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (text(t, "Key"), text(t, "Value")) {
            m.insert(k, Value::String(v));
        }
    }
    Value::Object(m)
}

fn tags_list(map: Option<&Value>) -> Value {
    Value::Array(
        map.and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

fn keep(loc: (&str, &str), account: Option<&str>, region: Option<&str>) -> bool {
    account.is_none_or(|a| a == loc.0) && region.is_none_or(|r| r == loc.1)
}

/// Pages through a listing: `call(token)` answers one page; `items` is its list's key.
async fn all_pages<F, Fut>(mut call: F, items: &str) -> Result<Vec<Value>, ServiceError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Value, ServiceError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = call(token).await?;
        out.extend(
            page.get(items)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        token = text(&page, "NextToken");
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// `{"topics": [...]}`: every topic (attributes, tags, subscriptions) of the matching
/// accounts and regions.
pub(crate) async fn export_sns(
    sns: &Sns,
    account: Option<&str>,
    region: Option<&str>,
) -> Result<Value, String> {
    let mut topics = Vec::new();
    for (a, r) in sns.engine().locations() {
        if !keep((&a, &r), account, region) {
            continue;
        }
        let c = ctx(&a, &r);
        let listed = all_pages(
            |token| sns.handle(&c, "ListTopics", json!({"NextToken": token}), true),
            "Topics",
        )
        .await
        .map_err(|e| failed("ListTopics", e))?;
        for t in listed {
            let Some(arn) = text(&t, "TopicArn") else {
                continue;
            };
            let name = arn.rsplit(':').next().unwrap_or_default().to_owned();
            let got = sns
                .handle(&c, "GetTopicAttributes", json!({"TopicArn": arn}), true)
                .await
                .map_err(|e| failed(&arn, e))?;
            let mut attributes = got
                .get("Attributes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            attributes.retain(|k, _| !TOPIC_READ_ONLY.contains(&k.as_str()));
            let tags = sns
                .handle(&c, "ListTagsForResource", json!({"ResourceArn": arn}), true)
                .await
                .map_err(|e| failed(&arn, e))?;
            let subs = all_pages(
                |token| {
                    sns.handle(
                        &c,
                        "ListSubscriptionsByTopic",
                        json!({"TopicArn": arn, "NextToken": token}),
                        true,
                    )
                },
                "Subscriptions",
            )
            .await
            .map_err(|e| failed(&arn, e))?;
            let mut subscriptions = Vec::new();
            for s in subs {
                let Some(sub_arn) = text(&s, "SubscriptionArn").filter(|a| a.starts_with("arn:"))
                else {
                    // Pending confirmation: no ARN to read attributes from.
                    continue;
                };
                let got = sns
                    .handle(
                        &c,
                        "GetSubscriptionAttributes",
                        json!({"SubscriptionArn": sub_arn}),
                        true,
                    )
                    .await
                    .map_err(|e| failed(&sub_arn, e))?;
                let mut attributes = got
                    .get("Attributes")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                attributes.retain(|k, v| {
                    SUBSCRIPTION_SETTABLE.contains(&k.as_str())
                        && !(k == "RawMessageDelivery" && v == "false")
                });
                subscriptions.push(json!({
                    "protocol": s.get("Protocol"),
                    "endpoint": s.get("Endpoint"),
                    "attributes": attributes,
                }));
            }
            topics.push(json!({
                "accountId": a,
                "region": r,
                "name": name,
                "attributes": attributes,
                "tags": tags_map(tags.get("Tags")),
                "subscriptions": subscriptions,
            }));
        }
    }
    Ok(json!({ "topics": topics }))
}

/// `{"buses": [...], "archives": [...]}`: every bus (settings, policy, tags, rules with their
/// targets; rules managed by a service or an archive are left out) and archive (without its
/// events) of the matching accounts and regions.
pub(crate) fn export_events(
    events: &Events,
    account: Option<&str>,
    region: Option<&str>,
) -> Result<Value, String> {
    let call = |c: &RequestContext, op: &str, input: Value| {
        events.handle(c, op, input).map_err(|e| failed(op, e))
    };
    let pages = |c: &RequestContext, op: &str, input: Value, items: &str| {
        let mut out = Vec::new();
        let mut input = input;
        loop {
            let page = call(c, op, input.clone())?;
            out.extend(
                page.get(items)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            match text(&page, "NextToken") {
                Some(t) => input["NextToken"] = Value::String(t),
                None => return Ok::<_, String>(out),
            }
        }
    };
    let mut buses = Vec::new();
    let mut archives = Vec::new();
    for (a, r) in events.engine().locations() {
        if !keep((&a, &r), account, region) {
            continue;
        }
        let c = ctx(&a, &r);
        for b in pages(&c, "ListEventBuses", json!({}), "EventBuses")? {
            let Some(name) = text(&b, "Name") else {
                continue;
            };
            let d = call(&c, "DescribeEventBus", json!({"Name": name}))?;
            let arn = text(&d, "Arn").unwrap_or_default();
            let tags = call(&c, "ListTagsForResource", json!({"ResourceARN": arn}))?;
            let mut rules = Vec::new();
            for rule in pages(&c, "ListRules", json!({"EventBusName": name}), "Rules")? {
                if rule.get("ManagedBy").is_some() {
                    continue;
                }
                let Some(rule_name) = text(&rule, "Name") else {
                    continue;
                };
                let d = call(
                    &c,
                    "DescribeRule",
                    json!({"Name": rule_name, "EventBusName": name}),
                )?;
                let rule_tags = call(
                    &c,
                    "ListTagsForResource",
                    json!({"ResourceARN": text(&d, "Arn")}),
                )?;
                let targets = pages(
                    &c,
                    "ListTargetsByRule",
                    json!({"Rule": rule_name, "EventBusName": name}),
                    "Targets",
                )?;
                let mut out = json!({"name": rule_name, "tags": tags_map(rule_tags.get("Tags")), "targets": targets});
                for (from, to) in [
                    ("EventPattern", "eventPattern"),
                    ("ScheduleExpression", "scheduleExpression"),
                    ("State", "state"),
                    ("Description", "description"),
                    ("RoleArn", "roleArn"),
                ] {
                    if let Some(v) = d.get(from) {
                        out[to] = v.clone();
                    }
                }
                rules.push(out);
            }
            let mut bus = json!({"accountId": a, "region": r, "name": name,
                "tags": tags_map(tags.get("Tags")), "rules": rules});
            for (from, to) in [
                ("Description", "description"),
                ("KmsKeyIdentifier", "kmsKeyIdentifier"),
                ("DeadLetterConfig", "deadLetterConfig"),
                ("Policy", "policy"),
            ] {
                if let Some(v) = d.get(from) {
                    bus[to] = v.clone();
                }
            }
            buses.push(bus);
        }
        for archive in pages(&c, "ListArchives", json!({}), "Archives")? {
            let Some(name) = text(&archive, "ArchiveName") else {
                continue;
            };
            let d = call(&c, "DescribeArchive", json!({"ArchiveName": name}))?;
            let mut out = json!({"accountId": a, "region": r, "name": name,
                "eventSourceArn": d.get("EventSourceArn"),
                "retentionDays": d.get("RetentionDays")});
            for (from, to) in [
                ("Description", "description"),
                ("EventPattern", "eventPattern"),
            ] {
                if let Some(v) = d.get(from) {
                    out[to] = v.clone();
                }
            }
            archives.push(out);
        }
    }
    Ok(json!({ "buses": buses, "archives": archives }))
}

fn loc(v: &Value, what: &str) -> Result<(String, String), String> {
    match (text(v, "accountId"), text(v, "region")) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(format!("{what}: accountId and region are required")),
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Applied {
    pub topics: usize,
    pub subscriptions: usize,
    pub buses: usize,
    pub rules: usize,
    pub archives: usize,
    /// Connections, API destinations, platform applications and endpoints, SMS attributes.
    pub integrations: crate::state_doc_integrations::Applied,
}

/// Runs the document's SNS and EventBridge parts against `sns` and `events`; with `skip_existing`,
/// resources that exist are kept and their entries skipped.
async fn apply(
    sns: &Sns,
    events: &Events,
    doc: &Value,
    skip_existing: bool,
) -> Result<Applied, String> {
    // Connections, API destinations and platform endpoints first: targets and subscriptions
    // name them, by ARNs that import gives anew (the document is rewritten with them).
    let (integrations, doc) =
        crate::state_doc_integrations::apply(sns, events, doc, skip_existing).await?;
    let doc = &doc;
    let mut done = Applied {
        integrations,
        ..Applied::default()
    };
    let empty = Vec::new();
    let list = |v: Option<&Value>, key: &str| -> Result<Vec<Value>, String> {
        match v.and_then(|v| v.get(key)) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(format!("{key} must be a list")),
        }
    };
    for t in list(doc.get("sns"), "topics")? {
        let (a, r) = loc(&t, "topic")?;
        let name = text(&t, "name").ok_or("topic: name is required")?;
        let what = format!("topic {name} ({a}, {r})");
        let c = ctx(&a, &r);
        let arn = format!("arn:aws:sns:{r}:{a}:{name}");
        if skip_existing && sns.engine().topic(&r, &arn).is_ok() {
            continue;
        }
        let attributes = t.get("attributes").cloned().unwrap_or(json!({}));
        sns.handle(
            &c,
            "CreateTopic",
            json!({"Name": name, "Attributes": attributes, "Tags": tags_list(t.get("tags"))}),
            true,
        )
        .await
        .map_err(|e| failed(&what, e))?;
        done.topics += 1;
        for s in t
            .get("subscriptions")
            .and_then(Value::as_array)
            .unwrap_or(&empty)
        {
            sns.handle(
                &c,
                "Subscribe",
                json!({"TopicArn": arn, "Protocol": s.get("protocol"), "Endpoint": s.get("endpoint"),
                       "Attributes": s.get("attributes").cloned().unwrap_or(json!({})),
                       "ReturnSubscriptionArn": true}),
                true,
            )
            .await
            .map_err(|e| failed(&format!("{what}: subscription"), e))?;
            done.subscriptions += 1;
        }
    }
    let ev = doc.get("events");
    for b in list(ev, "buses")? {
        let (a, r) = loc(&b, "event bus")?;
        let name = text(&b, "name").ok_or("event bus: name is required")?;
        let what = format!("event bus {name} ({a}, {r})");
        let c = ctx(&a, &r);
        let exists = events.engine().bus(&a, &r, Some(&name)).is_ok();
        if !(exists && (skip_existing || name == "default")) {
            let mut input = json!({"Name": name, "Tags": tags_list(b.get("tags"))});
            for (from, to) in [
                ("description", "Description"),
                ("kmsKeyIdentifier", "KmsKeyIdentifier"),
                ("deadLetterConfig", "DeadLetterConfig"),
            ] {
                if let Some(v) = b.get(from) {
                    input[to] = v.clone();
                }
            }
            events
                .handle(&c, "CreateEventBus", input)
                .map_err(|e| failed(&what, e))?;
            if let Some(policy) = b.get("policy") {
                events
                    .handle(
                        &c,
                        "PutPermission",
                        json!({"EventBusName": name, "Policy": policy}),
                    )
                    .map_err(|e| failed(&what, e))?;
            }
            done.buses += 1;
        }
        for rule in b.get("rules").and_then(Value::as_array).unwrap_or(&empty) {
            let rule_name = text(rule, "name").ok_or(format!("{what}: rule name is required"))?;
            let what = format!("{what}: rule {rule_name}");
            if skip_existing
                && events
                    .engine()
                    .bus(&a, &r, Some(&name))
                    .is_ok_and(|bus| bus.rule(&rule_name).is_ok())
            {
                continue;
            }
            let mut input = json!({"Name": rule_name, "EventBusName": name,
                "Tags": tags_list(rule.get("tags"))});
            for (from, to) in [
                ("eventPattern", "EventPattern"),
                ("scheduleExpression", "ScheduleExpression"),
                ("state", "State"),
                ("description", "Description"),
                ("roleArn", "RoleArn"),
            ] {
                if let Some(v) = rule.get(from) {
                    input[to] = v.clone();
                }
            }
            events
                .handle(&c, "PutRule", input)
                .map_err(|e| failed(&what, e))?;
            let targets = rule.get("targets").cloned().unwrap_or(json!([]));
            if targets.as_array().is_some_and(|t| !t.is_empty()) {
                let out = events
                    .handle(
                        &c,
                        "PutTargets",
                        json!({"Rule": rule_name, "EventBusName": name, "Targets": targets}),
                    )
                    .map_err(|e| failed(&what, e))?;
                if out.get("FailedEntryCount").and_then(Value::as_u64) != Some(0) {
                    return Err(format!("{what}: targets refused: {}", out["FailedEntries"]));
                }
            }
            done.rules += 1;
        }
    }
    for archive in list(ev, "archives")? {
        let (a, r) = loc(&archive, "archive")?;
        let name = text(&archive, "name").ok_or("archive: name is required")?;
        let what = format!("archive {name} ({a}, {r})");
        if skip_existing && events.engine().archive(&a, &r, &name).is_ok() {
            continue;
        }
        let mut input =
            json!({"ArchiveName": name, "EventSourceArn": archive.get("eventSourceArn")});
        for (from, to) in [
            ("description", "Description"),
            ("eventPattern", "EventPattern"),
            ("retentionDays", "RetentionDays"),
        ] {
            if let Some(v) = archive.get(from) {
                input[to] = v.clone();
            }
        }
        events
            .handle(&ctx(&a, &r), "CreateArchive", input)
            .map_err(|e| failed(&what, e))?;
        done.archives += 1;
    }
    Ok(done)
}

/// Checks the document's SNS and EventBridge parts by running them on scratch engines.
pub(crate) async fn validate(doc: &Value, clock: Arc<dyn Clock>) -> Result<(), String> {
    let (sns, events) = scratch_services(clock);
    apply(&sns, &events, doc, false).await.map(|_| ())
}

/// SNS and EventBridge over fresh engines, with no access checks and no background OAuth
/// authorization (no token is fetched for a connection that only exists to be checked).
fn scratch_services(clock: Arc<dyn Clock>) -> (Sns, Events) {
    let sqs = Arc::new(SqsEngine::new(clock.clone()));
    let (sns, _) = Sns::new(
        Arc::new(SnsEngine::new(clock.clone())),
        sqs.clone(),
        ferrybridge_sns::Signer::shared(),
    );
    let sns = sns.with_access_checks(false);
    let (events, _) = Events::new(
        Arc::new(EventsEngine::new(clock)),
        sqs,
        sns.clone(),
        Arc::from("http://localhost"),
    );
    let events = events
        .with_access_checks(false)
        .with_background_authorization(false);
    (sns, events)
}

/// Applies the document's SNS and EventBridge parts (after [`validate`]), keeping what exists.
pub(crate) async fn import(sns: &Sns, events: &Events, doc: &Value) -> Result<Applied, String> {
    apply(sns, events, doc, true).await
}

#[cfg(test)]
mod integrations_tests;
