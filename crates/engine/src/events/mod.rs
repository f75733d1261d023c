//! Amazon EventBridge: event buses, rules, targets, and what a matched event becomes.
//!
//! * [`EventsEngine`]: every account's and region's buses (the `default` bus exists from the
//!   first look), the operations on them, and routing: an event put on a bus becomes one
//!   [`Invocation`] per target of every enabled rule whose pattern matches it.
//! * [`bus`], [`rule`], [`target`]: the resources, each with its own locks.
//! * [`event`]: `PutEvents` entries checked as AWS checks them, and the event envelope.
//! * [`schedule`]: `rate(...)` and `cron(...)` schedule expressions and when they fire.
//! * [`transform`]: a target's `Input`, `InputPath` or `InputTransformer` applied to an event.
//!
//! The engine decides *what* goes where; the events service's background workers deliver,
//! retry, and dead-letter.

pub mod api_destination;
pub mod archive;
pub mod bus;
pub mod connection;
pub mod error;
pub mod event;
pub mod persist;
pub mod replay;
pub mod rule;
pub mod schedule;
pub mod target;
#[cfg(test)]
mod tests;
pub mod transform;

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrybridge_pattern::EventPattern;
use parking_lot::{Mutex, RwLock};
use serde_json::Value;

pub use api_destination::{ApiDestination, ApiDestinationConfig, ApiDestinationState};
pub use bus::{bus_arn, BusSettings, EventBus};
pub use connection::{Connection, ConnectionState};
pub use error::EventsError;
pub use event::{EntryError, EntryInput, Event, Invocation};
pub use rule::{rule_arn, Rule, RuleConfig, RuleSchedule, RuleState};
pub use target::{RetryPolicy, Target, TargetKind};

use crate::clock::Clock;
use crate::reset::{Resets, Service};
use crate::scope::{ScopeMap, ScopeRef};

/// Most invocations of recorded target types kept for inspection (oldest dropped first): a
/// ring buffer of 10,000, as SNS's recordings (each input is at most 256 KiB, see
/// `transform::MAX_RENDERED_INPUT`).
pub const MAX_RECORDED: usize = 10_000;
/// Most bytes of inputs the recorded invocations keep (the oldest are dropped first beyond
/// it, whatever their number).
pub const MAX_RECORDED_BYTES: usize = 64 * 1024 * 1024;

/// The recorded invocations ring buffer and the bytes of their inputs.
#[derive(Debug, Default)]
struct Recorded {
    all: std::collections::VecDeque<RecordedInvocation>,
    bytes: usize,
}

pub use crate::page::Page;

/// Why an event could not be sent on to another bus; [`ForwardFailure::code`] is the
/// `ERROR_CODE` AWS gives the event in the target's dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardFailure {
    #[error("Event bus {0} does not exist.")]
    NoBus(String),
    #[error("User: arn:aws:iam::{account}:root is not authorized to perform: events:PutEvents on resource: {bus_arn} because no resource-based policy allows the events:PutEvents action")]
    NotAllowed { account: String, bus_arn: String },
    #[error("The event was already sent across accounts and cannot be sent on to {0}.")]
    ThirdAccountHop(String),
    #[error("The event was already sent across regions and cannot be sent on to {0}.")]
    ThirdRegionHop(String),
}

impl ForwardFailure {
    pub fn code(&self) -> &'static str {
        match self {
            ForwardFailure::NoBus(_) => "NO_RESOURCE",
            ForwardFailure::NotAllowed { .. } => "NO_PERMISSIONS",
            ForwardFailure::ThirdAccountHop(_) => "THIRD_ACCOUNT_HOP_DETECTED",
            ForwardFailure::ThirdRegionHop(_) => "THIRD_REGION_HOP_DETECTED",
        }
    }
}

/// One target `PutTargets` or `RemoveTargets` could not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEntry {
    pub target_id: String,
    pub error_code: String,
    pub error_message: String,
}

/// What a target of a type the emulator does not run (Lambda, Step Functions, Kinesis, ...)
/// would have received, kept for tests (`/_ferrybridge/events/invocations`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedInvocation {
    pub account_id: String,
    pub region: String,
    pub rule_arn: String,
    pub target_id: String,
    pub target_arn: String,
    /// The service of the target ARN (`lambda`, `states`, `kinesis`, ...).
    pub service: String,
    pub event_id: String,
    /// The payload, after Input/InputPath/InputTransformer.
    pub input: String,
    /// The target as `PutTargets` stored it (its parameters).
    pub target: Value,
    pub timestamp_ms: u64,
}

/// One account's buses in one region.
#[derive(Debug, Default)]
struct Region {
    buses: RwLock<BTreeMap<String, Arc<EventBus>>>,
    /// Connections and API destinations (issue #7, connections worker).
    connectivity: connection::Connectivity,
    archives: RwLock<BTreeMap<String, Arc<archive::Archive>>>,
    replays: RwLock<BTreeMap<String, Arc<replay::Replay>>>,
}

/// Every account's and region's EventBridge resources.
pub struct EventsEngine {
    clock: Arc<dyn Clock>,
    regions: RwLock<ScopeMap<Arc<Region>>>,
    recorded: Mutex<Recorded>,
    /// Woken whenever a scheduled rule is added, changed or removed.
    schedules_changed: tokio::sync::Notify,
    /// Replays started and not yet taken by the replayer, which this wakes.
    pending_replays: Mutex<Vec<Arc<replay::Replay>>>,
    replays_changed: tokio::sync::Notify,
    resets: Arc<Resets>,
    /// `--data-dir`: where the state's images go (see `persist`).
    journal: Option<Arc<dyn crate::persist::Journal>>,
    /// Orders the journaled pieces: taken, compared and appended under it.
    journal_order: Mutex<crate::persist::Pieces>,
}

/// A rule in a summary: name, state, number of targets.
pub type RuleSummary = (String, RuleState, usize);

/// What `/_ferrybridge/state` shows of one account's EventBridge resources in one region.
#[derive(Debug, Clone, Default)]
pub struct EventsSummary {
    /// Each bus with its rules (name, state, number of targets).
    pub buses: Vec<(String, Vec<RuleSummary>)>,
    pub archives: Vec<String>,
    pub replays: Vec<(String, &'static str)>,
    pub connections: Vec<String>,
    pub api_destinations: Vec<String>,
}

impl std::fmt::Debug for EventsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsEngine").finish_non_exhaustive()
    }
}

/// The part of a `PutRule` request the engine acts on.
#[derive(Debug, Clone, Default)]
pub struct PutRuleInput {
    pub name: String,
    pub event_pattern: Option<String>,
    pub schedule_expression: Option<String>,
    pub state: Option<RuleState>,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub tags: Vec<(String, String)>,
}

impl EventsEngine {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        EventsEngine {
            clock,
            regions: RwLock::new(ScopeMap::default()),
            recorded: Mutex::new(Recorded::default()),
            schedules_changed: tokio::sync::Notify::new(),
            pending_replays: Mutex::new(Vec::new()),
            replays_changed: tokio::sync::Notify::new(),
            resets: Arc::new(Resets::new()),
            journal: None,
            journal_order: Mutex::new(crate::persist::Pieces::default()),
        }
    }

    /// Journals buses, rules and targets after every change to `journal` (`--data-dir`).
    pub fn set_journal(&mut self, journal: Arc<dyn crate::persist::Journal>) {
        self.journal = Some(journal);
    }

    /// The same engine, sharing `resets` with the server's other engines.
    pub fn with_resets(mut self, resets: Arc<Resets>) -> Self {
        self.resets = resets;
        self
    }

    pub fn resets(&self) -> &Arc<Resets> {
        &self.resets
    }

    /// Whether EventBridge state of `account`/`region` was reset after `generation`.
    pub fn reset_since(&self, generation: u64, account: &str, region: &str) -> bool {
        self.resets
            .since(generation, Service::Events, account, region)
    }

    /// Drops the buses, rules, targets, archives, replays, connections and API destinations of
    /// the matching accounts and regions (`None`: all; the `default` bus comes back empty on
    /// first use). Running replays end; scheduled rules stop. Call before [`Resets::record`].
    /// Returns the number of (account, region) stores dropped.
    pub fn reset(&self, account: Option<&str>, region: Option<&str>) -> usize {
        let matches =
            |a: &str, r: &str| account.is_none_or(|x| x == a) && region.is_none_or(|x| x == r);
        let removed: Vec<Arc<Region>> = {
            let mut regions = self.regions.write();
            let keys: Vec<(String, String)> = regions
                .keys()
                .filter(|(a, r)| matches(a, r))
                .cloned()
                .collect();
            keys.iter().filter_map(|k| regions.remove(k)).collect()
        };
        let now = self.now();
        let mut replays: Vec<Arc<replay::Replay>> = removed
            .iter()
            .flat_map(|r| r.replays.read().values().cloned().collect::<Vec<_>>())
            .collect();
        let pending = std::mem::take(&mut *self.pending_replays.lock());
        let (hit, kept): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|p| matches(&p.account_id, &p.region));
        self.pending_replays.lock().extend(kept);
        replays.extend(hit);
        for replay in replays {
            if !replay.progress().state.is_finished() {
                replay.finish(replay::ReplayState::Cancelled, Some("Reset".into()), now);
            }
        }
        {
            let mut recorded = self.recorded.lock();
            recorded
                .all
                .retain(|rec| !matches(&rec.account_id, &rec.region));
            recorded.bytes = recorded.all.iter().map(|r| r.input.len()).sum();
        }
        self.schedules_changed.notify_waiters();
        self.replays_changed.notify_waiters();
        if !removed.is_empty() {
            self.journal_state();
        }
        removed.len()
    }

    /// Every (account, region) with EventBridge state, sorted.
    pub fn locations(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self.regions.read().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// A summary of one account's resources in one region.
    pub fn summary(&self, account: &str, region: &str) -> EventsSummary {
        let Some(store) = self.regions.read().get(&ScopeRef(account, region)).cloned() else {
            return EventsSummary::default();
        };
        let buses: Vec<Arc<EventBus>> = store.buses.read().values().cloned().collect();
        let archives: Vec<String> = store.archives.read().keys().cloned().collect();
        let replays: Vec<Arc<replay::Replay>> = store.replays.read().values().cloned().collect();
        let api_destinations: Vec<String> = store
            .connectivity
            .api_destinations
            .read()
            .keys()
            .cloned()
            .collect();
        EventsSummary {
            buses: buses
                .iter()
                .map(|b| {
                    let rules = b
                        .rules()
                        .iter()
                        .map(|r| (r.name.clone(), r.state(), r.targets().len()))
                        .collect();
                    (b.name.clone(), rules)
                })
                .collect(),
            archives,
            replays: replays
                .iter()
                .map(|r| (r.name().to_owned(), r.progress().state.as_str()))
                .collect(),
            connections: store.connectivity.connection_names(),
            api_destinations,
        }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// The region's store, with its `default` bus created on first use.
    fn region(&self, account: &str, region: &str) -> Arc<Region> {
        if let Some(r) = self.regions.read().get(&ScopeRef(account, region)) {
            return r.clone();
        }
        let key = (account.to_owned(), region.to_owned());
        let mut regions = self.regions.write();
        regions
            .entry(key)
            .or_insert_with(|| {
                let r = Region::default();
                r.buses.write().insert(
                    "default".into(),
                    Arc::new(EventBus::new(
                        account,
                        region,
                        "default",
                        BusSettings::default(),
                        self.now(),
                    )),
                );
                Arc::new(r)
            })
            .clone()
    }

    // ---- buses ----

    /// The bus named (or with the ARN) `name_or_arn`, `None` = `default`. An ARN may name a
    /// bus in another account or region.
    pub fn bus(
        &self,
        account: &str,
        region: &str,
        name_or_arn: Option<&str>,
    ) -> Result<Arc<EventBus>, EventsError> {
        let (account, region, name) =
            resolve_bus(account, region, name_or_arn.unwrap_or("default"));
        self.region(account, region)
            .buses
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| EventsError::bus_not_found(name))
    }

    /// The bus with ARN `arn`, if it exists.
    pub fn bus_by_arn(&self, arn: &str) -> Option<Arc<EventBus>> {
        let (account, region, name) = events_resource(arn, "event-bus/")?;
        self.region(account, region).buses.read().get(name).cloned()
    }

    /// `CreateEventBus`.
    pub fn create_event_bus(
        &self,
        account: &str,
        region: &str,
        name: &str,
        settings: BusSettings,
        tags: &[(String, String)],
    ) -> Result<Arc<EventBus>, EventsError> {
        if let Some(source) = &settings.event_source_name {
            if source != name {
                return Err(EventsError::validation(
                    "Event source name must match the event bus name.",
                ));
            }
            return Err(EventsError::ResourceNotFound(format!(
                "Event source {source} does not exist."
            )));
        }
        // "Custom event bus names can't contain the / character" (CreateEventBus API
        // reference); the wording is moto's, no AWS recording found.
        if name.contains('/') {
            return Err(EventsError::validation(
                "Event bus name must not contain '/'.",
            ));
        }
        let store = self.region(account, region);
        let mut buses = store.buses.write();
        if buses.contains_key(name) {
            return Err(EventsError::ResourceAlreadyExists(format!(
                "Event bus {name} already exists."
            )));
        }
        let bus = Arc::new(EventBus::new(account, region, name, settings, self.now()));
        bus.state.write().tags.extend(tags.iter().cloned());
        buses.insert(name.to_owned(), bus.clone());
        Ok(bus)
    }

    /// `UpdateEventBus`: the given settings replace the bus's (`None` leaves one as it is).
    pub fn update_event_bus(
        &self,
        account: &str,
        region: &str,
        name: Option<&str>,
        update: BusSettings,
    ) -> Result<Arc<EventBus>, EventsError> {
        let bus = self.bus(account, region, name)?;
        {
            let mut state = bus.state.write();
            let s = &mut state.settings;
            if update.description.is_some() {
                s.description = update.description;
            }
            if update.kms_key_identifier.is_some() {
                s.kms_key_identifier = update.kms_key_identifier.filter(|k| !k.is_empty());
            }
            if update.dead_letter_arn.is_some() {
                s.dead_letter_arn = update.dead_letter_arn.filter(|k| !k.is_empty());
            }
            if update.log_config.is_some() {
                s.log_config = update.log_config;
            }
            state.last_modified_ms = self.now();
        }
        Ok(bus)
    }

    /// `DeleteEventBus`: the bus and its rules. Deleting a bus that does not exist succeeds.
    pub fn delete_event_bus(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(), EventsError> {
        if name == "default" {
            return Err(EventsError::validation("Cannot delete event bus default."));
        }
        let removed = self.region(account, region).buses.write().remove(name);
        if removed.is_some_and(|b| b.rules().iter().any(|r| r.config.read().schedule.is_some())) {
            self.schedules_changed.notify_one();
        }
        Ok(())
    }

    /// `ListEventBuses`, by name.
    pub fn list_event_buses(
        &self,
        account: &str,
        region: &str,
        prefix: Option<&str>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<EventBus>>, EventsError> {
        let all: Vec<Arc<EventBus>> = self
            .region(account, region)
            .buses
            .read()
            .values()
            .filter(|b| prefix.is_none_or(|p| b.name.starts_with(p)))
            .cloned()
            .collect();
        page(all, token, limit)
    }

    /// `PutPermission` with `Action`, `Principal`, `StatementId` and an optional `Condition`
    /// (`Type`, `Key`, `Value`).
    pub fn put_permission(
        &self,
        bus: &EventBus,
        action: &str,
        principal: &str,
        statement_id: &str,
        condition: Option<(&str, &str, &str)>,
    ) -> Result<(), EventsError> {
        if action != "events:PutEvents" {
            return Err(EventsError::validation(
                "Provided value in parameter 'action' is not supported.",
            ));
        }
        // The model's pattern has already held `principal` to an account id or "*".
        let principal_value = if principal == "*" {
            Value::from("*")
        } else {
            serde_json::json!({"AWS": format!("arn:aws:iam::{principal}:root")})
        };
        let mut statement = serde_json::Map::new();
        statement.insert("Sid".into(), Value::from(statement_id));
        statement.insert("Effect".into(), Value::from("Allow"));
        statement.insert("Principal".into(), principal_value);
        statement.insert("Action".into(), Value::from(action));
        statement.insert("Resource".into(), Value::from(bus.arn.as_str()));
        if let Some((kind, key, value)) = condition {
            statement.insert(
                "Condition".into(),
                serde_json::json!({ kind: { key: value } }),
            );
        }
        bus.add_statement(Value::Object(statement), self.now());
        Ok(())
    }

    /// `PutPermission` with `Policy`: the whole resource policy.
    pub fn put_policy(&self, bus: &EventBus, policy_text: &str) -> Result<(), EventsError> {
        let policy: Value = serde_json::from_str(policy_text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| EventsError::validation("The policy is not valid JSON."))?;
        bus.set_policy(policy, self.now());
        Ok(())
    }

    /// `RemovePermission`.
    pub fn remove_permission(
        &self,
        bus: &EventBus,
        statement_id: Option<&str>,
        remove_all: bool,
    ) -> Result<(), EventsError> {
        bus.remove_statement(statement_id, remove_all, self.now())
    }

    // ---- rules ----

    /// `PutRule`: creates the rule or replaces its settings (its targets and tags stay).
    pub fn put_rule(
        &self,
        account: &str,
        bus: &Arc<EventBus>,
        input: PutRuleInput,
    ) -> Result<Arc<Rule>, EventsError> {
        self.put_rule_managed_by(account, bus, input, None)
    }

    /// A rule as an AWS service creates it on a customer's behalf (`ManagedBy` = the service's
    /// principal, e.g. `sns.amazonaws.com`): users may only change or delete it with `Force`.
    /// No EventBridge operation makes one; the emulator's admin API does, for tests.
    pub fn put_managed_rule(
        &self,
        account: &str,
        bus: &Arc<EventBus>,
        input: PutRuleInput,
        managed_by: &str,
    ) -> Result<Arc<Rule>, EventsError> {
        if bus.rules.read().by_name.contains_key(&input.name) {
            return Err(EventsError::ResourceAlreadyExists(format!(
                "Rule {} already exists on EventBus {}.",
                input.name, bus.name
            )));
        }
        self.put_rule_managed_by(account, bus, input, Some(managed_by))
    }

    fn put_rule_managed_by(
        &self,
        account: &str,
        bus: &Arc<EventBus>,
        input: PutRuleInput,
        managed_by: Option<&str>,
    ) -> Result<Arc<Rule>, EventsError> {
        let pattern = match &input.event_pattern {
            Some(text) => Some((
                text.clone(),
                Arc::new(
                    EventPattern::parse(text)
                        .map_err(|e| EventsError::InvalidEventPattern(e.to_string()))?,
                ),
            )),
            None => None,
        };
        // Even an empty ScheduleExpression is refused on a custom bus (AWS, as reported in
        // aws-controllers-k8s/community#1984); on the default bus it counts as absent.
        if input.schedule_expression.as_deref() == Some("") && !bus.is_default() {
            return Err(EventsError::validation(
                "ScheduleExpression is supported only on the default event bus.",
            ));
        }
        let schedule = match input
            .schedule_expression
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            Some(expression) => {
                if !bus.is_default() {
                    return Err(EventsError::validation(
                        "ScheduleExpression is supported only on the default event bus.",
                    ));
                }
                let schedule = schedule::Schedule::parse(expression)
                    .map_err(|e| EventsError::validation(e.to_string()))?;
                Some(RuleSchedule {
                    expression: expression.to_owned(),
                    schedule,
                    anchor_ms: self.now(),
                    since_ms: self.now(),
                })
            }
            None => None,
        };
        if pattern.is_none() && schedule.is_none() {
            return Err(EventsError::validation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified.",
            ));
        }
        let mut rules = bus.rules.write();
        let existing = rules.by_name.get(&input.name).cloned();
        let config = RuleConfig {
            event_pattern: pattern,
            schedule,
            // Putting a rule again without State keeps it as it was (AWS: ENABLED by default).
            state: input
                .state
                .or_else(|| existing.as_ref().map(|r| r.state()))
                .unwrap_or(RuleState::Enabled),
            description: input.description,
            role_arn: input.role_arn,
        };
        let rule = match existing {
            Some(rule) => {
                if rule.managed_by.is_some() {
                    return Err(managed_rule_error(&rule));
                }
                *rule.config.write() = config;
                rule
            }
            None => {
                let rule = Arc::new(Rule {
                    arn: rule_arn(&bus.region, &bus.account_id, &bus.name, &input.name),
                    name: input.name.clone(),
                    event_bus_name: bus.name.clone(),
                    created_by: account.to_owned(),
                    managed_by: managed_by.map(str::to_owned),
                    config: RwLock::new(config),
                    targets: RwLock::new(Vec::new()),
                    tags: RwLock::new(BTreeMap::new()),
                });
                rules.by_name.insert(input.name.clone(), rule.clone());
                rule
            }
        };
        rule.tags.write().extend(input.tags);
        reindex(&mut rules, &rule);
        drop(rules);
        self.schedules_changed.notify_one();
        Ok(rule)
    }

    /// `EnableRule` / `DisableRule`.
    pub fn set_rule_state(
        &self,
        bus: &EventBus,
        name: &str,
        state: RuleState,
    ) -> Result<(), EventsError> {
        let mut rules = bus.rules.write();
        let rule = rules
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| EventsError::rule_not_found(name, &bus.name))?;
        if rule.managed_by.is_some() {
            return Err(managed_rule_error(&rule));
        }
        {
            let mut config = rule.config.write();
            if !config.state.is_enabled() && state.is_enabled() {
                if let Some(schedule) = config.schedule.as_mut() {
                    schedule.since_ms = self.now();
                }
            }
            config.state = state;
        }
        reindex(&mut rules, &rule);
        drop(rules);
        self.schedules_changed.notify_one();
        Ok(())
    }

    /// `DeleteRule`: refused while the rule has targets; deleting a missing rule succeeds.
    pub fn delete_rule(&self, bus: &EventBus, name: &str, force: bool) -> Result<(), EventsError> {
        let mut rules = bus.rules.write();
        let Some(rule) = rules.by_name.get(name).cloned() else {
            return Ok(());
        };
        if rule.managed_by.is_some() && !force {
            return Err(managed_rule_error(&rule));
        }
        if !rule.targets.read().is_empty() {
            return Err(EventsError::validation(
                "Rule can't be deleted since it has targets.",
            ));
        }
        rules.by_name.remove(name);
        rules.matcher.remove(&Arc::from(name));
        drop(rules);
        self.schedules_changed.notify_one();
        Ok(())
    }

    /// `ListRules`, by name.
    pub fn list_rules(
        &self,
        bus: &EventBus,
        prefix: Option<&str>,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<Rule>>, EventsError> {
        let all: Vec<Arc<Rule>> = bus
            .rules()
            .into_iter()
            .filter(|r| prefix.is_none_or(|p| r.name.starts_with(p)))
            .collect();
        page(all, token, limit)
    }

    /// `ListRuleNamesByTarget`.
    pub fn list_rule_names_by_target(
        &self,
        bus: &EventBus,
        target_arn: &str,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<String>, EventsError> {
        let all: Vec<String> = bus
            .rules()
            .into_iter()
            .filter(|r| r.targets.read().iter().any(|t| t.arn == target_arn))
            .map(|r| r.name.clone())
            .collect();
        page(all, token, limit)
    }

    // ---- targets ----

    /// `PutTargets`: adds targets or replaces those with the same `Id`. A rule holds at most
    /// [`rule::MAX_TARGETS_PER_RULE`].
    pub fn put_targets(&self, rule: &Rule, targets: Vec<Target>) -> Result<(), EventsError> {
        if rule.managed_by.is_some() {
            return Err(managed_rule_error(rule));
        }
        let mut current = rule.targets.write();
        let new_ids = targets
            .iter()
            .filter(|t| !current.iter().any(|c| c.id == t.id))
            .map(|t| &t.id)
            .collect::<std::collections::HashSet<_>>()
            .len();
        if current.len() + new_ids > rule::MAX_TARGETS_PER_RULE {
            return Err(EventsError::LimitExceeded(
                "The requested resource exceeds the maximum number allowed.".into(),
            ));
        }
        for target in targets {
            let target = Arc::new(target);
            match current.iter_mut().find(|c| c.id == target.id) {
                Some(slot) => *slot = target,
                None => current.push(target),
            }
        }
        Ok(())
    }

    /// `ListTargetsByRule`, in the order the targets were first put.
    pub fn list_targets_by_rule(
        &self,
        rule: &Rule,
        token: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<Arc<Target>>, EventsError> {
        page(rule.targets(), token, limit)
    }

    /// `RemoveTargets`: the ids that were not targets of the rule come back as failures.
    pub fn remove_targets(
        &self,
        rule: &Rule,
        ids: &[String],
        force: bool,
    ) -> Result<Vec<FailedEntry>, EventsError> {
        if rule.managed_by.is_some() && !force {
            return Err(managed_rule_error(rule));
        }
        let mut current = rule.targets.write();
        let mut failed = Vec::new();
        for id in ids {
            match current.iter().position(|t| &t.id == id) {
                Some(i) => {
                    current.remove(i);
                }
                None => failed.push(FailedEntry {
                    target_id: id.clone(),
                    error_code: "ResourceNotFoundException".into(),
                    // LocalStack's wording; no AWS recording found.
                    error_message: format!(
                        "Rule '{}' does not have a target with the Id '{id}'.",
                        rule.name
                    ),
                }),
            }
        }
        Ok(failed)
    }

    // ---- tags ----

    /// `TagResource` / `UntagResource` / `ListTagsForResource` on the bus or rule with ARN
    /// `arn`: applies `change` and answers the tags after it. (A change, not a closure, so
    /// that nothing but the tag map is touched while the resource's lock is held.)
    pub fn change_tags(
        &self,
        arn: &str,
        change: TagChange,
    ) -> Result<BTreeMap<String, String>, EventsError> {
        let not_found = || EventsError::ResourceNotFound(format!("Resource {arn} not found."));
        let parts = crate::arn::parse(arn).ok_or_else(not_found)?;
        if parts.service != "events" {
            return Err(not_found());
        }
        if let Some(name) = parts.resource.strip_prefix("event-bus/") {
            let bus = self.bus(parts.account, parts.region, Some(name))?;
            let mut state = bus.state.write();
            change.apply(&mut state.tags);
            return Ok(state.tags.clone());
        }
        if let Some(rest) = parts.resource.strip_prefix("rule/") {
            let (bus_name, rule_name) = rest.rsplit_once('/').unwrap_or(("default", rest));
            let bus = self.bus(parts.account, parts.region, Some(bus_name))?;
            let rule = bus.rule(rule_name)?;
            if rule.managed_by.is_some() {
                return Err(managed_rule_error(&rule));
            }
            let mut tags = rule.tags.write();
            change.apply(&mut tags);
            return Ok(tags.clone());
        }
        Err(not_found())
    }

    // ---- events ----

    /// `PutEvents` from `account` in `region`: each entry's event id or error, and the
    /// invocations the accepted events cause.
    pub fn put_events(
        &self,
        account: &str,
        region: &str,
        entries: &[EntryInput],
    ) -> (Vec<Result<String, EntryError>>, Vec<Invocation>) {
        let caller = format!("arn:aws:iam::{account}:root");
        self.put_events_as(account, &caller, region, entries)
    }

    /// [`EventsEngine::put_events`] by the identity `caller_arn` of `account`: a bus of
    /// another account takes the events only if its policy allows `events:PutEvents` to that
    /// identity (the evaluator of [`crate::policy`]).
    pub fn put_events_as(
        &self,
        account: &str,
        caller_arn: &str,
        region: &str,
        entries: &[EntryInput],
    ) -> (Vec<Result<String, EntryError>>, Vec<Invocation>) {
        let now = self.now();
        let mut results = Vec::with_capacity(entries.len());
        let mut invocations = Vec::new();
        for entry in entries {
            let detail = match event::check_entry(entry) {
                Ok(detail) => detail,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            let id = uuid::Uuid::new_v4().to_string();
            // AWS accepts an event for a bus that does not exist (it answers an EventId and
            // the event goes nowhere), and likewise one the bus's policy does not admit.
            let allowed = |bus: &EventBus| {
                let req = crate::policy::Request {
                    principal: crate::policy::Principal::Aws {
                        account,
                        arn: caller_arn,
                    },
                    action: "events:PutEvents",
                    resource: &bus.arn,
                    context: &[],
                };
                bus.authorize(&req) == crate::policy::Decision::Allow
            };
            let bus = match self.bus(account, region, entry.event_bus_name.as_deref()) {
                Ok(bus) if allowed(&bus) => bus,
                _ => {
                    results.push(Ok(id));
                    continue;
                }
            };
            let json = event::envelope_json(
                &id,
                entry.detail_type.as_deref().unwrap_or_default(),
                entry.source.as_deref().unwrap_or_default(),
                account,
                entry.time_ms.unwrap_or(now),
                &bus.region,
                &entry.resources,
                &Value::Object(detail),
            );
            let event = Arc::new(Event::from_json(
                json,
                &id,
                account,
                &bus.region,
                now,
                entry.trace_header.clone(),
                0,
            ));
            self.route(&bus, &event, &mut invocations);
            results.push(Ok(id));
        }
        (results, invocations)
    }

    /// The invocations `event`, arriving on `bus`, causes.
    pub fn route(&self, bus: &EventBus, event: &Arc<Event>, out: &mut Vec<Invocation>) {
        for rule in bus.matching_rules(&event.json) {
            for target in rule.targets() {
                if let TargetKind::Archive(archive_arn) = &target.kind {
                    self.archive_event(archive_arn, event);
                    continue;
                }
                out.push(Invocation {
                    event: event.clone(),
                    rule: rule.clone(),
                    target,
                    account_id: bus.account_id.clone(),
                    region: bus.region.clone(),
                });
            }
        }
    }

    /// An event sent by a bus target of a rule on a bus in `from_account`/`from_region`, routed
    /// on the bus with ARN `bus_arn`: the invocations it causes there.
    ///
    /// As on AWS, the receiving bus's policy must admit the sending account; an event goes from
    /// bus to bus only once (a further hop into another account or region is refused with
    /// AWS's THIRD_ACCOUNT/THIRD_REGION_HOP_DETECTED, one within the account and region goes
    /// nowhere); it keeps its id within a region and gets a new one across regions, and its
    /// `account` and `region` stay those of the original sender.
    pub fn forward_to_bus(
        &self,
        bus_arn: &str,
        event: &Event,
        from_account: &str,
        from_region: &str,
    ) -> Result<Vec<Invocation>, ForwardFailure> {
        self.forward_to_bus_by_rule(bus_arn, event, from_account, from_region, None)
    }

    /// [`EventsEngine::forward_to_bus`] by the rule `rule_arn`: the receiving bus's policy sees
    /// it as `aws:SourceArn` (the EventBridge User Guide's "send events only from a specific
    /// rule" policy) and the sending account as `aws:SourceAccount`.
    pub fn forward_to_bus_by_rule(
        &self,
        bus_arn: &str,
        event: &Event,
        from_account: &str,
        from_region: &str,
        rule_arn: Option<&str>,
    ) -> Result<Vec<Invocation>, ForwardFailure> {
        let bus = self
            .bus_by_arn(bus_arn)
            .ok_or_else(|| ForwardFailure::NoBus(bus_arn.to_owned()))?;
        let original_account = Some(event.account.as_str());
        let original_region = Some(event.region.as_str());
        let crosses_account = bus.account_id != from_account;
        let crosses_region = bus.region != from_region;
        if crosses_account && (event.hops >= 1 || original_account != Some(from_account)) {
            return Err(ForwardFailure::ThirdAccountHop(bus.arn.clone()));
        }
        if crosses_region && (event.hops >= 1 || original_region != Some(from_region)) {
            return Err(ForwardFailure::ThirdRegionHop(bus.arn.clone()));
        }
        if event.hops >= 1 {
            // "EventBridge can't route events received from a sender event bus to a third
            // event bus": within an account and region the event simply goes no further (AWS
            // names no error for it and dead-letters nothing).
            return Ok(Vec::new());
        }
        if !bus.allows_forward_from(from_account, rule_arn) {
            return Err(ForwardFailure::NotAllowed {
                account: from_account.to_owned(),
                bus_arn: bus.arn.clone(),
            });
        }
        let forwarded = if bus.region != from_region {
            let mut envelope = event.envelope().clone();
            envelope["id"] = Value::from(uuid::Uuid::new_v4().to_string());
            Event::new(
                envelope,
                event.ingestion_ms,
                event.trace_header.clone(),
                event.hops + 1,
            )
        } else {
            Event::from_json(
                event.json.clone(),
                &event.id,
                &event.account,
                &event.region,
                event.ingestion_ms,
                event.trace_header.clone(),
                event.hops + 1,
            )
        };
        let forwarded = Arc::new(forwarded);
        let mut out = Vec::new();
        self.route(&bus, &forwarded, &mut out);
        Ok(out)
    }

    // ---- schedules ----

    /// Every rule with a schedule, with its bus.
    pub fn scheduled_rules(&self) -> Vec<(Arc<EventBus>, Arc<Rule>)> {
        let regions: Vec<Arc<Region>> = self.regions.read().values().cloned().collect();
        let mut out = Vec::new();
        for region in regions {
            for bus in region.buses.read().values() {
                for rule in bus.rules() {
                    if rule.config.read().schedule.is_some() {
                        out.push((bus.clone(), rule));
                    }
                }
            }
        }
        out
    }

    /// Completes when a scheduled rule may have been added, changed or removed.
    pub async fn schedules_changed(&self) {
        self.schedules_changed.notified().await
    }

    /// The `Scheduled Event` a scheduled rule sends when it fires at `at_ms`.
    pub fn scheduled_event(&self, bus: &EventBus, rule: &Rule, at_ms: u64) -> Arc<Event> {
        let id = uuid::Uuid::new_v4().to_string();
        let json = event::envelope_json(
            &id,
            "Scheduled Event",
            "aws.events",
            &bus.account_id,
            at_ms,
            &bus.region,
            std::slice::from_ref(&rule.arn),
            &Value::Object(serde_json::Map::new()),
        );
        Arc::new(Event::from_json(
            json,
            &id,
            &bus.account_id,
            &bus.region,
            at_ms,
            None,
            0,
        ))
    }

    // ---- recordings ----

    /// Keeps an invocation of a target the emulator does not run: the last [`MAX_RECORDED`]
    /// and at most [`MAX_RECORDED_BYTES`] of inputs, oldest dropped first.
    pub fn record(&self, invocation: RecordedInvocation) {
        let mut recorded = self.recorded.lock();
        recorded.bytes += invocation.input.len();
        recorded.all.push_back(invocation);
        while recorded.all.len() > MAX_RECORDED
            || (recorded.bytes > MAX_RECORDED_BYTES && recorded.all.len() > 1)
        {
            if let Some(old) = recorded.all.pop_front() {
                recorded.bytes = recorded.bytes.saturating_sub(old.input.len());
            }
        }
    }

    /// Recorded invocations, oldest first, optionally of one target ARN only.
    pub fn recordings(&self, target_arn: Option<&str>) -> Vec<RecordedInvocation> {
        self.recordings_page(target_arn, None, 0, usize::MAX).0
    }

    /// At most `max` recorded invocations from position `start` of those of `target_arn`
    /// and `rule_arn` (each if given), oldest first, and how many match in all. Only the
    /// page is copied.
    pub fn recordings_page(
        &self,
        target_arn: Option<&str>,
        rule_arn: Option<&str>,
        start: usize,
        max: usize,
    ) -> (Vec<RecordedInvocation>, usize) {
        let recorded = self.recorded.lock();
        let mut total = 0;
        let mut page = Vec::new();
        for r in recorded.all.iter().filter(|r| {
            target_arn.is_none_or(|a| r.target_arn == a) && rule_arn.is_none_or(|a| r.rule_arn == a)
        }) {
            if total >= start && page.len() < max {
                page.push(r.clone());
            }
            total += 1;
        }
        (page, total)
    }

    /// Forgets recorded invocations (of one target ARN only, if given); returns how many.
    pub fn clear_recordings(&self, target_arn: Option<&str>) -> usize {
        let mut recorded = self.recorded.lock();
        let before = recorded.all.len();
        recorded
            .all
            .retain(|r| target_arn.is_some_and(|a| r.target_arn != a));
        recorded.bytes = recorded.all.iter().map(|r| r.input.len()).sum();
        before - recorded.all.len()
    }
}

/// Puts `rule` into (or takes it out of) its bus's matcher, as its state and pattern say.
/// What `TagResource` / `UntagResource` do to a resource's tags (`Keep` reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    Keep,
    Add(Vec<(String, String)>),
    Remove(Vec<String>),
}

impl TagChange {
    fn apply(self, tags: &mut BTreeMap<String, String>) {
        match self {
            TagChange::Keep => {}
            TagChange::Add(new) => tags.extend(new),
            TagChange::Remove(keys) => {
                for key in keys {
                    tags.remove(&key);
                }
            }
        }
    }
}

fn reindex(rules: &mut bus::RuleSet, rule: &Rule) {
    let key: Arc<str> = Arc::from(rule.name.as_str());
    let config = rule.config.read();
    match (&config.event_pattern, config.state.is_enabled()) {
        (Some((_, pattern)), true) => rules.matcher.add(key, &**pattern),
        _ => {
            rules.matcher.remove(&key);
        }
    }
}

fn managed_rule_error(rule: &Rule) -> EventsError {
    EventsError::ManagedRule(format!(
        // Best wording: AWS's documentation describes the error, no recording shows its text.
        "Rule {} is managed by {} and can only be modified with Force.",
        rule.name,
        rule.managed_by.as_deref().unwrap_or("an AWS service")
    ))
}

/// `(account, region, rest)` of an EventBridge ARN whose resource starts with `prefix`
/// (`event-bus/`, `archive/`, `connection/`, ...); `rest` is what follows the prefix.
pub(crate) fn events_resource<'a>(
    arn: &'a str,
    prefix: &str,
) -> Option<(&'a str, &'a str, &'a str)> {
    let parts = crate::arn::parse(arn)?;
    if parts.service != "events" {
        return None;
    }
    let rest = parts.resource.strip_prefix(prefix)?;
    Some((parts.account, parts.region, rest))
}

/// Splits a bus name or ARN into (account, region, name); a plain name is in the caller's
/// account and region.
fn resolve_bus<'a>(
    account: &'a str,
    region: &'a str,
    name_or_arn: &'a str,
) -> (&'a str, &'a str, &'a str) {
    match crate::arn::parse(name_or_arn) {
        Some(parts) if parts.service == "events" => match parts.resource.strip_prefix("event-bus/")
        {
            Some(name) => (parts.account, parts.region, name),
            None => (account, region, name_or_arn),
        },
        _ => (account, region, name_or_arn),
    }
}

/// One page of `all`: `token` from an earlier page, `limit` at most 100 (the default).
fn page<T>(all: Vec<T>, token: Option<&str>, limit: Option<usize>) -> Result<Page<T>, EventsError> {
    let limit = limit.unwrap_or(100).clamp(1, 100);
    crate::page::page(all, token, limit)
        .ok_or_else(|| EventsError::validation("The NextToken provided is not valid."))
}
