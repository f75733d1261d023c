//! EventBridge state in the journal (`--data-dir`), as SNS's (see `crate::sns::persist`): an
//! image of every bus with its settings, policy and tags, and its rules with their pattern,
//! schedule, state, tags and targets, written after every change (`EVENTS_STATE`); replay keeps
//! the last one.
//!
//! Scheduled rules: instants missed while the server was stopped are **skipped**. A restored
//! schedule is in force from the restart (`since_ms` = the start), so its first occurrence is
//! the first one after the start; rate schedules keep counting from when they were set.
//!
//! Not in the image (yet): connections, API destinations, archives and replays; a rule an
//! archive manages is left out with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde_json::Value;

use super::bus::{BusSettings, EventBus};
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
        }
        e.0
    }

    /// Journals the buses, rules and targets (after a change; at a checkpoint). A no-op
    /// without `--data-dir`.
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
            regions.insert((account, region), Arc::new(r));
        }
        *self.regions.write() = regions;
        self.schedules_changed.notify_waiters();
        Ok(true)
    }
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
        // Rate schedules keep counting from when they were set.
        assert_eq!(schedule.anchor_ms, set_at);
    }
}
