//! Event bus operations: CreateEventBus, DescribeEventBus, UpdateEventBus, DeleteEventBus,
//! ListEventBuses, PutPermission, RemovePermission, and tagging of buses and rules.

use ferrybridge_engine::events::{BusSettings, EventBus, EventsEngine, TagChange};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{
    bus, epoch_seconds, opt_bool, opt_str, opt_usize, req_str, service_error, tags, validation,
};
use crate::{empty, with_next};

fn settings(input: &Value) -> BusSettings {
    BusSettings {
        description: opt_str(input, "Description").map(str::to_owned),
        kms_key_identifier: opt_str(input, "KmsKeyIdentifier").map(str::to_owned),
        dead_letter_arn: input
            .get("DeadLetterConfig")
            .and_then(|d| d.get("Arn"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        log_config: input.get("LogConfig").filter(|v| !v.is_null()).cloned(),
        event_source_name: opt_str(input, "EventSourceName").map(str::to_owned),
    }
}

fn check_dead_letter_arn(settings: &BusSettings) -> Result<(), ServiceError> {
    if let Some(arn) = &settings.dead_letter_arn {
        crate::targets::check_dead_letter_arn(arn)?;
    }
    Ok(())
}

pub(crate) fn create_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let settings = settings(input);
    check_dead_letter_arn(&settings)?;
    let tags = tags(input)?;
    let bus = e
        .create_event_bus(&ctx.account_id, &ctx.region, name, settings, &tags)
        .map_err(service_error)?;
    let s = bus.settings();
    let mut out = json!({"EventBusArn": bus.arn});
    if let Some(d) = s.description {
        out["Description"] = Value::String(d);
    }
    if let Some(k) = s.kms_key_identifier {
        out["KmsKeyIdentifier"] = Value::String(k);
    }
    if let Some(arn) = s.dead_letter_arn {
        out["DeadLetterConfig"] = json!({"Arn": arn});
    }
    if let Some(l) = s.log_config {
        out["LogConfig"] = l;
    }
    Ok(out)
}

/// A bus as `DescribeEventBus` and `ListEventBuses` show it.
fn describe(bus: &EventBus, with_arn_key: &str) -> Value {
    let s = bus.settings();
    let mut out = Map::new();
    out.insert("Name".into(), Value::from(bus.name.as_str()));
    out.insert(with_arn_key.into(), Value::from(bus.arn.as_str()));
    if let Some(d) = s.description {
        out.insert("Description".into(), Value::String(d));
    }
    if let Some(k) = s.kms_key_identifier {
        out.insert("KmsKeyIdentifier".into(), Value::String(k));
    }
    if let Some(arn) = s.dead_letter_arn {
        out.insert("DeadLetterConfig".into(), json!({"Arn": arn}));
    }
    if let Some(p) = bus.policy() {
        out.insert("Policy".into(), Value::String(p.to_string()));
    }
    if let Some(l) = s.log_config {
        out.insert("LogConfig".into(), l);
    }
    out.insert("CreationTime".into(), epoch_seconds(bus.created_ms));
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(bus.last_modified_ms()),
    );
    Value::Object(out)
}

pub(crate) fn describe_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let bus = bus(e, ctx, input, "Name")?;
    Ok(describe(&bus, "Arn"))
}

pub(crate) fn update_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let update = settings(input);
    check_dead_letter_arn(&update)?;
    let bus = e
        .update_event_bus(&ctx.account_id, &ctx.region, opt_str(input, "Name"), update)
        .map_err(service_error)?;
    let mut out = describe(&bus, "Arn");
    if let Value::Object(map) = &mut out {
        map.remove("Policy");
        map.remove("CreationTime");
        map.remove("LastModifiedTime");
    }
    Ok(out)
}

pub(crate) fn delete_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    e.delete_event_bus(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_event_buses(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let page = e
        .list_event_buses(
            &ctx.account_id,
            &ctx.region,
            opt_str(input, "NamePrefix"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let buses: Vec<Value> = page.items.iter().map(|b| describe(b, "Arn")).collect();
    Ok(with_next(json!({"EventBuses": buses}), page.next_token))
}

pub(crate) fn put_permission(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let bus = bus(e, ctx, input, "EventBusName")?;
    if let Some(policy) = opt_str(input, "Policy") {
        e.put_policy(&bus, policy).map_err(service_error)?;
        return Ok(empty());
    }
    let (Some(action), Some(principal), Some(sid)) = (
        opt_str(input, "Action"),
        opt_str(input, "Principal"),
        opt_str(input, "StatementId"),
    ) else {
        return Err(validation(
            "One or more parameters are missing: Action, Principal, StatementId or Policy.",
        ));
    };
    let condition = input.get("Condition").filter(|c| c.is_object()).map(|c| {
        (
            c.get("Type").and_then(Value::as_str).unwrap_or_default(),
            c.get("Key").and_then(Value::as_str).unwrap_or_default(),
            c.get("Value").and_then(Value::as_str).unwrap_or_default(),
        )
    });
    e.put_permission(&bus, action, principal, sid, condition)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn remove_permission(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let bus = bus(e, ctx, input, "EventBusName")?;
    e.remove_permission(
        &bus,
        opt_str(input, "StatementId"),
        opt_bool(input, "RemoveAllPermissions"),
    )
    .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn tag_resource(
    e: &EventsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "ResourceARN")?;
    let new = tags(input)?;
    e.change_tags(arn, TagChange::Add(new))
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn untag_resource(
    e: &EventsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "ResourceARN")?;
    let keys = ferrybridge_protocol::value::str_list(input, "TagKeys");
    e.change_tags(arn, TagChange::Remove(keys))
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_tags_for_resource(
    e: &EventsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "ResourceARN")?;
    let tags = e.change_tags(arn, TagChange::Keep).map_err(service_error)?;
    let list: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": list}))
}
