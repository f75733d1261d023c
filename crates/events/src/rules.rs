//! Rule operations: PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
//! ListRuleNamesByTarget, TestEventPattern.

use ferrybridge_engine::events::{EventsEngine, PutRuleInput, Rule, RuleState};
use ferrybridge_pattern::EventPattern;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{
    bus, opt_bool, opt_str, opt_usize, req_str, rule, service_error, tags, validation,
};
use crate::{empty, with_next};

pub(crate) fn put_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let bus = bus(e, ctx, input, "EventBusName")?;
    // The model's enum has already refused any other State.
    let state = opt_str(input, "State").and_then(RuleState::parse);
    let rule = e
        .put_rule(
            &ctx.account_id,
            &bus,
            PutRuleInput {
                name: name.to_owned(),
                // An empty EventPattern is no pattern: AWS accepts `ScheduleExpression` with
                // `EventPattern=""`, as SDK wrappers and deployment scripts send it (issue 15).
                event_pattern: opt_str(input, "EventPattern")
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
                schedule_expression: opt_str(input, "ScheduleExpression").map(str::to_owned),
                state,
                description: opt_str(input, "Description").map(str::to_owned),
                role_arn: opt_str(input, "RoleArn").map(str::to_owned),
                tags: tags(input)?,
            },
        )
        .map_err(service_error)?;
    Ok(json!({"RuleArn": rule.arn}))
}

/// A rule as `DescribeRule` and `ListRules` show it.
fn describe(rule: &Rule, describe_rule: bool) -> Value {
    let config = rule.config();
    let mut out = Map::new();
    out.insert("Name".into(), Value::from(rule.name.as_str()));
    out.insert("Arn".into(), Value::from(rule.arn.as_str()));
    if let Some((text, _)) = &config.event_pattern {
        out.insert("EventPattern".into(), Value::from(text.as_str()));
    }
    if let Some(s) = &config.schedule {
        out.insert(
            "ScheduleExpression".into(),
            Value::from(s.expression.as_str()),
        );
    }
    out.insert("State".into(), Value::from(config.state.as_str()));
    if let Some(d) = config.description {
        out.insert("Description".into(), Value::String(d));
    }
    if let Some(r) = config.role_arn {
        out.insert("RoleArn".into(), Value::String(r));
    }
    if let Some(m) = &rule.managed_by {
        out.insert("ManagedBy".into(), Value::from(m.as_str()));
    }
    out.insert(
        "EventBusName".into(),
        Value::from(rule.event_bus_name.as_str()),
    );
    if describe_rule {
        out.insert("CreatedBy".into(), Value::from(rule.created_by.as_str()));
    }
    Value::Object(out)
}

pub(crate) fn describe_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let rule = rule(e, ctx, input, "Name")?;
    Ok(describe(&rule, true))
}

pub(crate) fn list_rules(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let bus = bus(e, ctx, input, "EventBusName")?;
    let page = e
        .list_rules(
            &bus,
            opt_str(input, "NamePrefix"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let rules: Vec<Value> = page.items.iter().map(|r| describe(r, false)).collect();
    Ok(with_next(json!({"Rules": rules}), page.next_token))
}

fn set_state(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
    state: RuleState,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let bus = bus(e, ctx, input, "EventBusName")?;
    e.set_rule_state(&bus, name, state).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn enable_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    set_state(e, ctx, input, RuleState::Enabled)
}

pub(crate) fn disable_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    set_state(e, ctx, input, RuleState::Disabled)
}

pub(crate) fn delete_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let bus = bus(e, ctx, input, "EventBusName")?;
    e.delete_rule(&bus, name, opt_bool(input, "Force"))
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_rule_names_by_target(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let target_arn = req_str(input, "TargetArn")?;
    let bus = bus(e, ctx, input, "EventBusName")?;
    let page = e
        .list_rule_names_by_target(
            &bus,
            target_arn,
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    Ok(with_next(json!({"RuleNames": page.items}), page.next_token))
}

/// The fields `TestEventPattern` insists on in its `Event`.
const REQUIRED_EVENT_FIELDS: [&str; 6] =
    ["id", "account", "source", "time", "region", "detail-type"];

pub(crate) fn test_event_pattern(
    _e: &EventsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let pattern_text = req_str(input, "EventPattern")?;
    let event_text = req_str(input, "Event")?;
    let pattern = EventPattern::parse(pattern_text)
        .map_err(|err| ServiceError::new("InvalidEventPatternException", err.to_string()))?;
    let event: Value = serde_json::from_str(event_text)
        .map_err(|_| validation("Parameter Event is not valid."))?;
    let Value::Object(map) = &event else {
        return Err(validation("Parameter Event is not valid."));
    };
    for field in REQUIRED_EVENT_FIELDS {
        if map.get(field).is_none_or(Value::is_null) {
            return Err(validation("Parameter Event is not valid."));
        }
    }
    Ok(json!({"Result": pattern.matches(&event)}))
}
