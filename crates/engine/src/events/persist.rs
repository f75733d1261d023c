//! EventBridge state in the journal (`--data-dir`), as SNS's (see `crate::sns::persist`): an
//! image of every bus with its settings, policy and tags, and its rules with their pattern,
//! schedule, state, tags and targets, connections and API destinations, written after every change (`EVENTS_STATE`); replay keeps
//! the last one.
//!
//! Scheduled rules: instants missed while the server was stopped are **skipped**. A restored
//! schedule is in force from the restart (`since_ms` = the start), so its first occurrence is
//! the first one after the start; rate schedules keep counting from when they were set.
//!
//! Connections are in the image with their secrets (the journal files are 0600), without
//! their OAuth token (fetched again when first needed); API destinations too.
//!
//! Not in the image (yet): archives and replays; a rule an archive manages is left out with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

use super::api_destination::{ApiDestination, ApiDestinationConfig};
use super::bus::{BusSettings, EventBus};
use super::connection::{
    Auth, Connection, ConnectionConfig, ConnectionState, ConnectionStatus, HttpParameters,
    OAuthSettings, Parameter,
};
use super::rule::{Rule, RuleConfig, RuleSchedule, RuleState};
use super::schedule::Schedule;
use super::target::{RetryPolicy, Target, TargetKind};
use super::transform::TargetInput;
use super::{reindex, EventsEngine, Region};
use crate::persist::{self, kind, Dec, Enc};

fn map(e: &mut Enc, m: &BTreeMap<String, String>) {
    e.u32(m.len() as u32);
    for (k, v) in m {
        e.str(k).str(v);
    }
}

fn read_map(d: &mut Dec) -> Result<BTreeMap<String, String>, String> {
    let n = d.u32()?;
    let mut m = BTreeMap::new();
    for _ in 0..n {
        let k = d.str()?.to_string();
        m.insert(k, d.str()?.to_string());
    }
    Ok(m)
}

fn opt(d: &mut Dec) -> Result<Option<String>, String> {
    Ok(d.opt_str()?.map(str::to_string))
}

fn opt_json(d: &mut Dec) -> Result<Option<Value>, String> {
    opt(d)?
        .map(|t| serde_json::from_str(&t).map_err(|e| format!("bad JSON in record: {e}")))
        .transpose()
}

fn is_archive_rule(rule: &Rule) -> bool {
    rule.targets
        .read()
        .iter()
        .any(|t| matches!(t.kind, TargetKind::Archive(_)))
}

fn encode_rule(e: &mut Enc, rule: &Rule) {
    let config = rule.config.read().clone();
    e.str(&rule.name)
        .str(&rule.created_by)
        .opt_str(rule.managed_by.as_deref())
        .opt_str(config.event_pattern.as_ref().map(|(t, _)| t.as_str()))
        .opt_str(config.schedule.as_ref().map(|s| s.expression.as_str()))
        .u64(config.schedule.as_ref().map_or(0, |s| s.anchor_ms))
        .str(config.state.as_str())
        .opt_str(config.description.as_deref())
        .opt_str(config.role_arn.as_deref());
    map(e, &rule.tags.read());
    let targets = rule.targets.read().clone();
    e.u32(targets.len() as u32);
    for t in targets {
        e.str(&t.id)
            .str(&t.arn)
            .u32(t.retry_policy.maximum_retry_attempts)
            .u32(t.retry_policy.maximum_event_age_seconds)
            .opt_str(t.dead_letter_arn.as_deref())
            .opt_str(t.message_group_id.as_deref())
            .str(&t.description.to_string());
    }
}

/// A target as `PutTargets` made it, from its journaled fields and description.
fn decode_target(d: &mut Dec) -> Result<Target, String> {
    let id = d.str()?.to_string();
    let arn = d.str()?.to_string();
    let retry_policy = RetryPolicy {
        maximum_retry_attempts: d.u32()?,
        maximum_event_age_seconds: d.u32()?,
    };
    let dead_letter_arn = opt(d)?;
    let message_group_id = opt(d)?;
    let description: Value =
        serde_json::from_str(d.str()?).map_err(|e| format!("target {id}: {e}"))?;
    let kind = TargetKind::of(&arn).ok_or_else(|| format!("target {id}: bad ARN {arn}"))?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let transformer = description.get("InputTransformer").map(|tr| {
        let paths: Vec<(String, String)> = tr
            .get("InputPathsMap")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        (paths, text(tr.get("InputTemplate")).unwrap_or_default())
    });
    let input = TargetInput::from_put_targets(
        &id,
        text(description.get("Input")).as_deref(),
        text(description.get("InputPath")).as_deref(),
        transformer
            .as_ref()
            .map(|(paths, template)| (paths.as_slice(), template.as_str())),
    )
    .map_err(|e| format!("target {id}: {e}"))?;
    Ok(Target {
        id,
        arn,
        kind,
        input,
        retry_policy,
        dead_letter_arn,
        message_group_id,
        description,
    })
}

impl EventsEngine {
    fn encode_state(&self) -> Vec<u8> {
        let mut regions: Vec<((String, String), Arc<Region>)> = self
            .regions
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        regions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut e = Enc::default();
        e.u32(regions.len() as u32);
        for ((account, region), r) in regions {
            e.str(&account).str(&region);
            let buses: Vec<Arc<EventBus>> = r.buses.read().values().cloned().collect();
            e.u32(buses.len() as u32);
            for bus in buses {
                e.str(&bus.name).u64(bus.created_ms);
                {
                    let state = bus.state.read();
                    let s = &state.settings;
                    e.opt_str(s.description.as_deref())
                        .opt_str(s.kms_key_identifier.as_deref())
                        .opt_str(s.dead_letter_arn.as_deref())
                        .opt_str(s.log_config.as_ref().map(Value::to_string).as_deref())
                        .opt_str(s.event_source_name.as_deref())
                        .opt_str(state.policy.as_ref().map(Value::to_string).as_deref())
                        .u64(state.last_modified_ms);
                    map(&mut e, &state.tags);
                }
                let rules: Vec<Arc<Rule>> = bus
                    .rules()
                    .into_iter()
                    .filter(|r| !is_archive_rule(r))
                    .collect();
                e.u32(rules.len() as u32);
                for rule in rules {
                    encode_rule(&mut e, &rule);
                }
            }
            let connections: Vec<Arc<Connection>> = r
                .connectivity
                .connections
                .read()
                .values()
                .cloned()
                .collect();
            e.u32(connections.len() as u32);
            for c in connections {
                encode_connection(&mut e, &c);
            }
            let destinations: Vec<Arc<ApiDestination>> = r
                .connectivity
                .api_destinations
                .read()
                .values()
                .cloned()
                .collect();
            e.u32(destinations.len() as u32);
            for a in destinations {
                let config = a.config();
                e.str(&a.name)
                    .str(&a.arn)
                    .u64(a.created_ms)
                    .u64(a.last_modified_ms())
                    .opt_str(config.description.as_deref())
                    .str(&config.connection_arn)
                    .str(&config.invocation_endpoint)
                    .str(&config.http_method)
                    .u32(config.invocation_rate_limit_per_second);
            }
        }
        e.0
    }

    /// Journals the buses, rules and targets (after a change; at a checkpoint). A no-op
    /// without `--data-dir`.
    ///
    /// Lock order: `journal_order` (so that images reach the journal in the order they were
    /// taken: the last one wins at replay) -> the state's read locks, one at a time ->
    /// the journal's buffer (a leaf: `append` only buffers and returns a ticket; the wait
    /// for the disk happens after every lock is released, before the answer).
    pub fn journal_state(&self) {
        let Some(j) = &self.journal else { return };
        let _order = self.journal_order.lock();
        let body = self.encode_state();
        let mut buf = Vec::with_capacity(body.len() + 16);
        persist::frame(&mut buf, kind::EVENTS_STATE, &body);
        persist::append(&**j, &buf);
    }

    /// Replaces the buses, rules and targets with a journaled image; `Ok(false)` for another
    /// record kind.
    pub fn replay_record(&self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        if record_kind != kind::EVENTS_STATE {
            return Ok(false);
        }
        let now = self.now();
        let mut d = Dec(data);
        let mut regions = std::collections::HashMap::new();
        for _ in 0..d.u32()? {
            let account = d.str()?.to_string();
            let region = d.str()?.to_string();
            let r = Region::default();
            for _ in 0..d.u32()? {
                let name = d.str()?.to_string();
                let created_ms = d.u64()?;
                let settings = BusSettings {
                    description: opt(&mut d)?,
                    kms_key_identifier: opt(&mut d)?,
                    dead_letter_arn: opt(&mut d)?,
                    log_config: opt_json(&mut d)?,
                    event_source_name: opt(&mut d)?,
                };
                let bus = Arc::new(EventBus::new(
                    &account, &region, &name, settings, created_ms,
                ));
                if let Some(policy) = opt_json(&mut d)? {
                    bus.set_policy(policy, created_ms);
                }
                let last_modified_ms = d.u64()?;
                {
                    let mut state = bus.state.write();
                    state.last_modified_ms = last_modified_ms;
                    state.tags = read_map(&mut d)?;
                }
                for _ in 0..d.u32()? {
                    let rule = decode_rule(&mut d, &bus, now)?;
                    let mut rules = bus.rules.write();
                    rules.by_name.insert(rule.name.clone(), rule.clone());
                    reindex(&mut rules, &rule);
                }
                r.buses.write().insert(name, bus);
            }
            for _ in 0..d.u32()? {
                let c = decode_connection(&mut d, &account, &region)?;
                r.connectivity
                    .connections
                    .write()
                    .insert(c.name.clone(), Arc::new(c));
            }
            for _ in 0..d.u32()? {
                let name = d.str()?.to_string();
                let arn = d.str()?.to_string();
                let created_ms = d.u64()?;
                let last_modified_ms = d.u64()?;
                let config = ApiDestinationConfig {
                    description: opt(&mut d)?,
                    connection_arn: d.str()?.to_string(),
                    invocation_endpoint: d.str()?.to_string(),
                    http_method: d.str()?.to_string(),
                    invocation_rate_limit_per_second: d.u32()?,
                };
                let a = ApiDestination::restored(
                    name.clone(),
                    arn,
                    account.clone(),
                    region.clone(),
                    created_ms,
                    config,
                    last_modified_ms,
                );
                r.connectivity
                    .api_destinations
                    .write()
                    .insert(name, Arc::new(a));
            }
            regions.insert((account, region), Arc::new(r));
        }
        *self.regions.write() = regions;
        self.schedules_changed.notify_waiters();
        Ok(true)
    }
}

fn encode_parameters(e: &mut Enc, p: Option<&HttpParameters>) {
    let Some(p) = p else {
        e.u8(0);
        return;
    };
    e.u8(1);
    for list in [&p.header, &p.query, &p.body] {
        match list {
            None => {
                e.u8(0);
            }
            Some(list) => {
                e.u8(1).u32(list.len() as u32);
                for x in list {
                    e.str(&x.key).str(&x.value).u8(x.is_value_secret as u8);
                }
            }
        }
    }
}

fn decode_parameters(d: &mut Dec) -> Result<Option<HttpParameters>, String> {
    if d.u8()? == 0 {
        return Ok(None);
    }
    let mut lists = Vec::with_capacity(3);
    for _ in 0..3 {
        lists.push(if d.u8()? == 0 {
            None
        } else {
            let mut list = Vec::new();
            for _ in 0..d.u32()? {
                list.push(Parameter {
                    key: d.str()?.to_string(),
                    value: d.str()?.to_string(),
                    is_value_secret: d.u8()? == 1,
                });
            }
            Some(list)
        });
    }
    let body = lists.pop().flatten();
    let query = lists.pop().flatten();
    let header = lists.pop().flatten();
    Ok(Some(HttpParameters {
        header,
        query,
        body,
    }))
}

/// A connection with its secrets (the journal is its owner's only, see docs/persistence.md).
fn encode_connection(e: &mut Enc, c: &Connection) {
    let config = c.config();
    let status = c.status();
    e.str(&c.name)
        .str(&c.arn)
        .str(&c.secret_arn)
        .u64(c.created_ms)
        .opt_str(config.description.as_deref())
        .opt_str(config.kms_key_identifier.as_deref());
    match &config.auth {
        Auth::Basic { username, password } => {
            e.u8(0).str(username).str(password);
        }
        Auth::ApiKey { name, value } => {
            e.u8(1).str(name).str(value);
        }
        Auth::OAuth(o) => {
            e.u8(2)
                .str(&o.client_id)
                .str(&o.client_secret)
                .str(&o.authorization_endpoint)
                .str(&o.http_method);
            encode_parameters(e, o.http_parameters.as_ref());
        }
    }
    encode_parameters(e, config.invocation_parameters.as_ref());
    let state = ConnectionState::ALL
        .iter()
        .position(|s| *s == status.state)
        .unwrap_or(0);
    e.u8(state as u8)
        .opt_str(status.state_reason.as_deref())
        .u64(status.last_modified_ms)
        .u64(status.last_authorized_ms)
        .u8(status.parameters_removed as u8);
}

fn decode_connection(d: &mut Dec, account: &str, region: &str) -> Result<Connection, String> {
    let name = d.str()?.to_string();
    let arn = d.str()?.to_string();
    let secret_arn = d.str()?.to_string();
    let created_ms = d.u64()?;
    let description = opt(d)?;
    let kms_key_identifier = opt(d)?;
    let auth = match d.u8()? {
        0 => Auth::Basic {
            username: d.str()?.to_string(),
            password: d.str()?.to_string(),
        },
        1 => Auth::ApiKey {
            name: d.str()?.to_string(),
            value: d.str()?.to_string(),
        },
        2 => Auth::OAuth(OAuthSettings {
            client_id: d.str()?.to_string(),
            client_secret: d.str()?.to_string(),
            authorization_endpoint: d.str()?.to_string(),
            http_method: d.str()?.to_string(),
            http_parameters: decode_parameters(d)?,
        }),
        t => return Err(format!("connection {name}: bad auth tag {t}")),
    };
    let invocation_parameters = decode_parameters(d)?;
    let state = *ConnectionState::ALL
        .get(usize::from(d.u8()?))
        .ok_or_else(|| format!("connection {name}: bad state"))?;
    let status = ConnectionStatus {
        state,
        state_reason: opt(d)?,
        last_modified_ms: d.u64()?,
        last_authorized_ms: d.u64()?,
        token: None,
        generation: 0,
        parameters_removed: d.u8()? == 1,
    };
    Ok(Connection::restored(
        name,
        arn,
        secret_arn,
        account.to_owned(),
        region.to_owned(),
        created_ms,
        ConnectionConfig {
            description,
            auth,
            invocation_parameters,
            kms_key_identifier,
        },
        status,
    ))
}

fn decode_rule(d: &mut Dec, bus: &EventBus, now: u64) -> Result<Arc<Rule>, String> {
    let name = d.str()?.to_string();
    let created_by = d.str()?.to_string();
    let managed_by = opt(d)?;
    let event_pattern = match opt(d)? {
        Some(text) => {
            let pattern = ferrybridge_pattern::EventPattern::parse(&text)
                .map_err(|e| format!("rule {name}: {e}"))?;
            Some((text, Arc::new(pattern)))
        }
        None => None,
    };
    let expression = opt(d)?;
    let anchor_ms = d.u64()?;
    let schedule = match expression {
        Some(expression) => Some(RuleSchedule {
            schedule: Schedule::parse(&expression).map_err(|e| format!("rule {name}: {e}"))?,
            expression,
            anchor_ms,
            // Instants missed while stopped are skipped (see the module doc).
            since_ms: now,
        }),
        None => None,
    };
    let state_text = d.str()?;
    let state = RuleState::parse(state_text)
        .ok_or_else(|| format!("rule {name}: bad state {state_text}"))?;
    let config = RuleConfig {
        event_pattern,
        schedule,
        state,
        description: opt(d)?,
        role_arn: opt(d)?,
    };
    let tags = read_map(d)?;
    let mut targets = Vec::new();
    for _ in 0..d.u32()? {
        targets.push(Arc::new(decode_target(d)?));
    }
    Ok(Arc::new(Rule {
        arn: super::rule_arn(&bus.region, &bus.account_id, &bus.name, &name),
        name,
        event_bus_name: bus.name.clone(),
        created_by,
        managed_by,
        config: RwLock::new(config),
        targets: RwLock::new(targets),
        tags: RwLock::new(tags),
    }))
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use parking_lot::Mutex;
    use serde_json::json;

    use super::super::{EntryInput, PutRuleInput, TagChange};
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::persist::Journal;

    #[derive(Default)]
    struct Memory(Mutex<Vec<u8>>);

    impl Journal for Memory {
        fn append(&self, framed: &[u8]) -> u64 {
            self.0.lock().extend_from_slice(framed);
            1
        }
        fn wait(&self, _: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn restored(bytes: &[u8], clock: Arc<ManualClock>) -> EventsEngine {
        let e = EventsEngine::new(clock);
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            assert!(e
                .replay_record(bytes[at + 4], &bytes[at + 9..at + 9 + len])
                .unwrap());
            at += 9 + len;
        }
        e
    }

    const A: &str = "000000000000";
    const R: &str = "us-east-1";

    #[test]
    fn a_restored_engine_routes_as_before_and_skips_missed_schedule_instants() {
        let clock = Arc::new(ManualClock::default());
        let journal = Arc::new(Memory::default());
        let mut a = EventsEngine::new(clock.clone());
        a.set_journal(journal.clone());
        let settings = BusSettings {
            description: Some("orders bus".into()),
            ..BusSettings::default()
        };
        let bus = a.create_event_bus(A, R, "orders", settings, &[]).unwrap();
        a.put_policy(&bus, r#"{"Version":"2012-10-17","Statement":[]}"#)
            .unwrap();
        let rule = a
            .put_rule(
                A,
                &bus,
                PutRuleInput {
                    name: "placed".into(),
                    event_pattern: Some(r#"{"detail-type":["placed"]}"#.into()),
                    description: Some("d".into()),
                    ..PutRuleInput::default()
                },
            )
            .unwrap();
        let q = "arn:aws:sqs:us-east-1:000000000000:q";
        let description = json!({"Id": "t1", "Arn": q, "InputTransformer": {
            "InputPathsMap": {"t": "$.detail-type"}, "InputTemplate": "\"<t>\""}});
        let input = TargetInput::from_put_targets(
            "t1",
            None,
            None,
            Some((&[("t".to_string(), "$.detail-type".to_string())], "\"<t>\"")),
        )
        .unwrap();
        a.put_targets(
            &rule,
            vec![Target {
                id: "t1".into(),
                arn: q.into(),
                kind: TargetKind::Sqs,
                input,
                retry_policy: RetryPolicy {
                    maximum_retry_attempts: 3,
                    maximum_event_age_seconds: 60,
                },
                dead_letter_arn: None,
                message_group_id: None,
                description,
            }],
        )
        .unwrap();
        a.change_tags(&rule.arn, TagChange::Add(vec![("team".into(), "a".into())]))
            .unwrap();
        let default = a.bus(A, R, None).unwrap();
        a.put_rule(
            A,
            &default,
            PutRuleInput {
                name: "tick".into(),
                schedule_expression: Some("rate(1 minute)".into()),
                ..PutRuleInput::default()
            },
        )
        .unwrap();
        let connection = a
            .create_connection(
                A,
                R,
                super::super::connection::NewConnection {
                    name: "api".into(),
                    description: Some("c".into()),
                    authorization_type: super::super::connection::AuthorizationType::ApiKey,
                    auth: super::super::connection::AuthInput {
                        api_key_name: Some("x-key".into()),
                        api_key_value: Some("s3cret".into()),
                        invocation_parameters: Some(HttpParameters {
                            header: Some(vec![Parameter {
                                key: "h".into(),
                                value: "v".into(),
                                is_value_secret: true,
                            }]),
                            query: None,
                            body: Some(vec![]),
                        }),
                        ..Default::default()
                    },
                    kms_key_identifier: None,
                },
            )
            .unwrap();
        let destination = a
            .create_api_destination(
                A,
                R,
                "hook",
                ApiDestinationConfig {
                    description: None,
                    connection_arn: connection.arn.clone(),
                    invocation_endpoint: "https://example.com/*".into(),
                    http_method: "POST".into(),
                    invocation_rate_limit_per_second: 5,
                },
            )
            .unwrap();
        a.journal_state();
        let set_at = clock.now_millis();

        clock.advance(std::time::Duration::from_secs(3600));
        let b = restored(&journal.0.lock(), clock.clone());
        let bus2 = b.bus(A, R, Some("orders")).unwrap();
        assert_eq!(bus2.settings().description.as_deref(), Some("orders bus"));
        assert!(bus2.policy().is_some());
        let rule2 = bus2.rule("placed").unwrap();
        assert_eq!(rule2.tags().get("team").map(String::as_str), Some("a"));
        assert_eq!(rule2.targets()[0].retry_policy.maximum_retry_attempts, 3);
        let (_, invocations) = b.put_events(
            A,
            R,
            &[EntryInput {
                source: Some("shop".into()),
                detail_type: Some("placed".into()),
                detail: Some("{}".into()),
                event_bus_name: Some("orders".into()),
                ..EntryInput::default()
            }],
        );
        assert_eq!(invocations.len(), 1);
        assert_eq!(invocations[0].target.id, "t1");
        let tick = b.bus(A, R, None).unwrap().rule("tick").unwrap();
        let schedule = tick.config().schedule.unwrap();
        assert_eq!(schedule.since_ms, clock.now_millis());
        let c2 = b.connection(A, R, "api").unwrap();
        assert_eq!(c2.arn, connection.arn);
        assert_eq!(c2.secret_arn, connection.secret_arn);
        assert_eq!(c2.config().auth, connection.config().auth);
        assert_eq!(
            c2.config().invocation_parameters,
            connection.config().invocation_parameters
        );
        assert_eq!(c2.state(), ConnectionState::Authorized);
        let d2 = b.api_destination(A, R, "hook").unwrap();
        assert_eq!(d2.arn, destination.arn);
        assert_eq!(d2.config(), destination.config());
        // Rate schedules keep counting from when they were set.
        assert_eq!(schedule.anchor_ms, set_at);
    }
}
