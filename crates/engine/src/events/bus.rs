//! An event bus: its settings, its resource policy, and its rules with their matcher.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrybridge_pattern::Matcher;
use parking_lot::RwLock;
use serde_json::{json, Value};

use super::error::EventsError;
use super::rule::Rule;
use crate::policy::{self, Policy};

/// What `CreateEventBus`/`UpdateEventBus` set on a bus.
#[derive(Debug, Clone, Default)]
pub struct BusSettings {
    pub description: Option<String>,
    pub kms_key_identifier: Option<String>,
    /// `DeadLetterConfig.Arn`.
    pub dead_letter_arn: Option<String>,
    /// `LogConfig` as given (stored, answered back).
    pub log_config: Option<Value>,
    /// `EventSourceName` of a partner event bus.
    pub event_source_name: Option<String>,
}

/// Mutable parts of a bus.
#[derive(Debug, Default)]
pub(crate) struct BusState {
    pub settings: BusSettings,
    /// The resource policy (`PutPermission`), a JSON policy document.
    pub policy: Option<Value>,
    /// `policy`, parsed once when it changes.
    pub parsed_policy: Option<Arc<Policy>>,
    pub last_modified_ms: u64,
    pub tags: BTreeMap<String, String>,
}

/// The rules of a bus and the matcher over the patterns of its enabled rules.
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    pub by_name: BTreeMap<String, Arc<Rule>>,
    pub matcher: Matcher<Arc<str>>,
}

/// One event bus.
#[derive(Debug)]
pub struct EventBus {
    pub name: String,
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub created_ms: u64,
    pub(crate) state: RwLock<BusState>,
    pub(crate) rules: RwLock<RuleSet>,
}

impl EventBus {
    pub(crate) fn new(
        account_id: &str,
        region: &str,
        name: &str,
        settings: BusSettings,
        now_ms: u64,
    ) -> Self {
        EventBus {
            arn: bus_arn(region, account_id, name),
            name: name.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            created_ms: now_ms,
            state: RwLock::new(BusState {
                settings,
                policy: None,
                parsed_policy: None,
                last_modified_ms: now_ms,
                tags: BTreeMap::new(),
            }),
            rules: RwLock::new(RuleSet::default()),
        }
    }

    pub fn settings(&self) -> BusSettings {
        self.state.read().settings.clone()
    }

    pub fn policy(&self) -> Option<Value> {
        self.state.read().policy.clone()
    }

    pub fn last_modified_ms(&self) -> u64 {
        self.state.read().last_modified_ms
    }

    pub fn tags(&self) -> BTreeMap<String, String> {
        self.state.read().tags.clone()
    }

    pub fn is_default(&self) -> bool {
        self.name == "default"
    }

    /// The rule named `name` on this bus.
    pub fn rule(&self, name: &str) -> Result<Arc<Rule>, EventsError> {
        self.rules
            .read()
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| EventsError::rule_not_found(name, &self.name))
    }

    /// All rules, by name.
    pub fn rules(&self) -> Vec<Arc<Rule>> {
        self.rules.read().by_name.values().cloned().collect()
    }

    /// The enabled rules whose pattern matches `event` (its JSON text).
    pub fn matching_rules(&self, event: &str) -> Vec<Arc<Rule>> {
        let rules = self.rules.read();
        if rules.matcher.is_empty() {
            return Vec::new();
        }
        // The engine only routes events it wrote itself: their JSON is always valid.
        let mut names = rules.matcher.matching_json(event).unwrap_or_default();
        names.sort();
        names
            .iter()
            .filter_map(|n| rules.by_name.get(&**n).cloned())
            .collect()
    }

    /// Whether the bus's resource policy lets `account` (another account's root) put events on
    /// it. A bus always accepts events from its own account unless its policy denies them.
    pub fn allows_put_events_from(&self, account: &str) -> bool {
        self.allows_forward_from(account, None)
    }

    /// [`EventBus::allows_put_events_from`] for events a rule (`rule_arn`, the policy's
    /// `aws:SourceArn`) of `account` forwards.
    pub fn allows_forward_from(&self, account: &str, rule_arn: Option<&str>) -> bool {
        let arn = format!("arn:aws:iam::{account}:root");
        let mut context = vec![("aws:SourceAccount", account)];
        if let Some(rule) = rule_arn {
            context.push(("aws:SourceArn", rule));
        }
        let req = policy::Request {
            principal: policy::Principal::Aws { account, arn: &arn },
            action: "events:PutEvents",
            resource: &self.arn,
            context: &context,
        };
        self.authorize(&req) == policy::Decision::Allow
    }

    /// The decision of the bus's resource policy (and the same-account rule) on `req`.
    pub fn authorize(&self, req: &policy::Request<'_>) -> policy::Decision {
        let parsed = self.state.read().parsed_policy.clone();
        policy::authorize(parsed.as_deref(), &self.account_id, req)
    }

    /// `PutPermission` with `Action`/`Principal`/`StatementId`/`Condition`: adds (or replaces)
    /// one statement.
    pub(crate) fn add_statement(&self, statement: Value, now_ms: u64) {
        let mut state = self.state.write();
        let sid = statement.get("Sid").cloned();
        let policy = state
            .policy
            .get_or_insert_with(|| json!({"Version": "2012-10-17", "Statement": []}));
        if let Some(Value::Array(list)) = policy.get_mut("Statement") {
            list.retain(|s| s.get("Sid") != sid.as_ref());
            list.push(statement);
        }
        state.parsed_policy = state.policy.as_ref().map(parse);
        state.last_modified_ms = now_ms;
    }

    /// `PutPermission` with `Policy`: replaces the whole policy.
    pub(crate) fn set_policy(&self, policy: Value, now_ms: u64) {
        let mut state = self.state.write();
        state.parsed_policy = Some(parse(&policy));
        state.policy = Some(policy);
        state.last_modified_ms = now_ms;
    }

    /// `RemovePermission`.
    pub(crate) fn remove_statement(
        &self,
        statement_id: Option<&str>,
        all: bool,
        now_ms: u64,
    ) -> Result<(), EventsError> {
        let mut state = self.state.write();
        if all {
            state.policy = None;
            state.parsed_policy = None;
            state.last_modified_ms = now_ms;
            return Ok(());
        }
        let Some(sid) = statement_id else {
            return Err(EventsError::validation(
                "Parameter StatementId is required.",
            ));
        };
        let Some(policy) = state.policy.as_mut() else {
            return Err(EventsError::ResourceNotFound(
                "Statement with the provided id does not exist.".into(),
            ));
        };
        let Some(Value::Array(list)) = policy.get_mut("Statement") else {
            return Err(EventsError::ResourceNotFound(
                "Statement with the provided id does not exist.".into(),
            ));
        };
        let before = list.len();
        list.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(sid));
        if list.len() == before {
            return Err(EventsError::ResourceNotFound(
                "Statement with the provided id does not exist.".into(),
            ));
        }
        if list.is_empty() {
            state.policy = None;
        }
        state.parsed_policy = state.policy.as_ref().map(parse);
        state.last_modified_ms = now_ms;
        Ok(())
    }
}

fn parse(policy: &Value) -> Arc<Policy> {
    Arc::new(Policy::from_value_lenient(policy))
}

/// The ARN of bus `name`.
pub fn bus_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{name}")
}
