//! Rule operations: PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
//! ListRuleNamesByTarget, TestEventPattern.

use ferrybridge_api::events::{
    DeleteRuleRequest, DescribeRuleRequest, DescribeRuleResponse, DisableRuleRequest,
    EnableRuleRequest, ListRuleNamesByTargetRequest, ListRuleNamesByTargetResponse,
    ListRulesRequest, ListRulesResponse, PutRuleRequest, PutRuleResponse, Rule as RuleEntry,
    TestEventPatternRequest, TestEventPatternResponse,
};
use ferrybridge_engine::events::{EventsEngine, PutRuleInput, Rule, RuleState};
use ferrybridge_pattern::EventPattern;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::Value;

use crate::input::{bus, limit, rule, service_error, tags, validation};

pub(crate) fn put_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: PutRuleRequest,
) -> Result<PutRuleResponse, ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    // The model's enum has already refused any other State.
    let state = input.state.as_deref().and_then(RuleState::parse);
    let rule = e
        .put_rule(
            &ctx.account_id,
            &bus,
            PutRuleInput {
                name: input.name,
                // An empty EventPattern is no pattern: AWS accepts `ScheduleExpression` with
                // `EventPattern=""`, as SDK wrappers and deployment scripts send it (issue 15).
                event_pattern: input.event_pattern.filter(|p| !p.is_empty()),
                schedule_expression: input.schedule_expression,
                state,
                description: input.description,
                role_arn: input.role_arn,
                tags: tags(input.tags)?,
            },
        )
        .map_err(service_error)?;
    Ok(PutRuleResponse {
        rule_arn: Some(rule.arn.clone()),
    })
}

/// A rule as `DescribeRule` shows it (`ListRules` shows the same without `CreatedBy`).
fn describe(rule: &Rule) -> DescribeRuleResponse {
    let config = rule.config();
    DescribeRuleResponse {
        name: Some(rule.name.clone()),
        arn: Some(rule.arn.clone()),
        event_pattern: config.event_pattern.as_ref().map(|(text, _)| text.clone()),
        schedule_expression: config.schedule.as_ref().map(|s| s.expression.clone()),
        state: Some(config.state.as_str().to_owned()),
        description: config.description,
        role_arn: config.role_arn,
        managed_by: rule.managed_by.clone(),
        event_bus_name: Some(rule.event_bus_name.clone()),
        created_by: Some(rule.created_by.clone()),
    }
}

pub(crate) fn describe_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeRuleRequest,
) -> Result<DescribeRuleResponse, ServiceError> {
    let rule = rule(e, ctx, input.event_bus_name.as_deref(), &input.name)?;
    Ok(describe(&rule))
}

pub(crate) fn list_rules(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListRulesRequest,
) -> Result<ListRulesResponse, ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    let page = e
        .list_rules(
            &bus,
            input.name_prefix.as_deref(),
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    let rules = page
        .items
        .iter()
        .map(|r| {
            let d = describe(r);
            RuleEntry {
                name: d.name,
                arn: d.arn,
                event_pattern: d.event_pattern,
                state: d.state,
                description: d.description,
                schedule_expression: d.schedule_expression,
                role_arn: d.role_arn,
                managed_by: d.managed_by,
                event_bus_name: d.event_bus_name,
            }
        })
        .collect();
    Ok(ListRulesResponse {
        rules: Some(rules),
        next_token: page.next_token,
    })
}

fn set_state(
    e: &EventsEngine,
    ctx: &RequestContext,
    bus_name: Option<&str>,
    name: &str,
    state: RuleState,
) -> Result<(), ServiceError> {
    let bus = bus(e, ctx, bus_name)?;
    e.set_rule_state(&bus, name, state).map_err(service_error)
}

pub(crate) fn enable_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: EnableRuleRequest,
) -> Result<(), ServiceError> {
    let bus_name = input.event_bus_name.as_deref();
    set_state(e, ctx, bus_name, &input.name, RuleState::Enabled)
}

pub(crate) fn disable_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DisableRuleRequest,
) -> Result<(), ServiceError> {
    let bus_name = input.event_bus_name.as_deref();
    set_state(e, ctx, bus_name, &input.name, RuleState::Disabled)
}

pub(crate) fn delete_rule(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeleteRuleRequest,
) -> Result<(), ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    e.delete_rule(&bus, &input.name, input.force.unwrap_or(false))
        .map_err(service_error)
}

pub(crate) fn list_rule_names_by_target(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListRuleNamesByTargetRequest,
) -> Result<ListRuleNamesByTargetResponse, ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    let page = e
        .list_rule_names_by_target(
            &bus,
            &input.target_arn,
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    Ok(ListRuleNamesByTargetResponse {
        rule_names: Some(page.items),
        next_token: page.next_token,
    })
}

/// The fields `TestEventPattern` insists on in its `Event`.
const REQUIRED_EVENT_FIELDS: [&str; 6] =
    ["id", "account", "source", "time", "region", "detail-type"];

pub(crate) fn test_event_pattern(
    input: TestEventPatternRequest,
) -> Result<TestEventPatternResponse, ServiceError> {
    let pattern = EventPattern::parse(&input.event_pattern)
        .map_err(|err| ServiceError::new("InvalidEventPatternException", err.to_string()))?;
    let event: Value = serde_json::from_str(&input.event)
        .map_err(|_| validation("Parameter Event is not valid."))?;
    let Value::Object(map) = &event else {
        return Err(validation("Parameter Event is not valid."));
    };
    for field in REQUIRED_EVENT_FIELDS {
        if map.get(field).is_none_or(Value::is_null) {
            return Err(validation("Parameter Event is not valid."));
        }
    }
    Ok(TestEventPatternResponse {
        result: Some(pattern.matches(&event)),
    })
}
