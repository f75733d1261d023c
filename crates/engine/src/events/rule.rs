//! A rule: an event pattern or a schedule, its state, and its targets.

use std::collections::BTreeMap;

use ferrybridge_pattern::EventPattern;
use parking_lot::RwLock;
use std::sync::Arc;

use super::schedule::Schedule;
use super::target::Target;

/// Most targets a rule may have (an AWS quota).
pub const MAX_TARGETS_PER_RULE: usize = 5;

/// `State` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    Enabled,
    Disabled,
    EnabledWithAllCloudtrailManagementEvents,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
            RuleState::EnabledWithAllCloudtrailManagementEvents => {
                "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
            }
        }
    }

    pub fn parse(text: &str) -> Option<RuleState> {
        Some(match text {
            "ENABLED" => RuleState::Enabled,
            "DISABLED" => RuleState::Disabled,
            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" => {
                RuleState::EnabledWithAllCloudtrailManagementEvents
            }
            _ => return None,
        })
    }

    pub fn is_enabled(self) -> bool {
        self != RuleState::Disabled
    }
}

/// A rule's schedule: the expression as given, parsed, and the instant rate schedules count from.
#[derive(Debug, Clone)]
pub struct RuleSchedule {
    pub expression: String,
    pub schedule: Schedule,
    /// When the schedule was set (ms since the epoch): rate schedules count from it.
    pub anchor_ms: u64,
    /// Since when the schedule has been in force: when it was set or the rule last enabled.
    /// Occurrences before it never fire.
    pub since_ms: u64,
}

/// Everything `PutRule` sets; replaced as a whole when the rule is put again.
#[derive(Debug, Clone)]
pub struct RuleConfig {
    /// The pattern as given (answered verbatim by `DescribeRule`) and parsed.
    pub event_pattern: Option<(String, Arc<EventPattern>)>,
    pub schedule: Option<RuleSchedule>,
    pub state: RuleState,
    pub description: Option<String>,
    pub role_arn: Option<String>,
}

/// One rule on one event bus.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub arn: String,
    pub event_bus_name: String,
    /// The account that created the rule (`CreatedBy`).
    pub created_by: String,
    /// The AWS service that manages this rule, if any (`ManagedBy`).
    pub managed_by: Option<String>,
    pub(crate) config: RwLock<RuleConfig>,
    /// Targets in the order they were first put.
    pub(crate) targets: RwLock<Vec<Arc<Target>>>,
    pub(crate) tags: RwLock<BTreeMap<String, String>>,
}

impl Rule {
    pub fn config(&self) -> RuleConfig {
        self.config.read().clone()
    }

    pub fn state(&self) -> RuleState {
        self.config.read().state
    }

    pub fn targets(&self) -> Vec<Arc<Target>> {
        self.targets.read().clone()
    }

    pub fn tags(&self) -> BTreeMap<String, String> {
        self.tags.read().clone()
    }
}

/// The ARN of rule `name` on bus `bus` (the default bus's rules have no bus segment).
pub fn rule_arn(region: &str, account: &str, bus: &str, name: &str) -> String {
    if bus == "default" {
        format!("arn:aws:events:{region}:{account}:rule/{name}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
    }
}
