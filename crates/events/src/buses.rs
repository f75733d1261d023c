//! Event bus operations: CreateEventBus, DescribeEventBus, UpdateEventBus, DeleteEventBus,
//! ListEventBuses, PutPermission, RemovePermission, and tagging of buses and rules.

use ferrybridge_api::events::{
    CreateEventBusRequest, CreateEventBusResponse, DeadLetterConfig, DeleteEventBusRequest,
    DescribeEventBusRequest, DescribeEventBusResponse, EventBus as BusEntry, ListEventBusesRequest,
    ListEventBusesResponse, ListTagsForResourceRequest, ListTagsForResourceResponse, LogConfig,
    PutPermissionRequest, RemovePermissionRequest, Tag, TagResourceRequest, TagResourceResponse,
    UntagResourceRequest, UntagResourceResponse, UpdateEventBusRequest, UpdateEventBusResponse,
};
use ferrybridge_api::{FromValue, IntoValue};
use ferrybridge_engine::events::{BusSettings, EventBus, EventsEngine, TagChange};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{bus, limit, service_error, tags, timestamp, validation};

/// The settings a bus is created or updated with.
fn settings(
    description: Option<String>,
    kms_key_identifier: Option<String>,
    dead_letter_config: Option<DeadLetterConfig>,
    log_config: Option<LogConfig>,
    event_source_name: Option<String>,
) -> Result<BusSettings, ServiceError> {
    let dead_letter_arn = dead_letter_config.and_then(|d| d.arn);
    if let Some(arn) = &dead_letter_arn {
        crate::targets::check_dead_letter_arn(arn)?;
    }
    Ok(BusSettings {
        description,
        kms_key_identifier,
        dead_letter_arn,
        log_config: log_config.map(IntoValue::into_value),
        event_source_name,
    })
}

/// A bus's `DeadLetterConfig` and `LogConfig` as answered.
fn answered_configs(s: &BusSettings) -> (Option<DeadLetterConfig>, Option<LogConfig>) {
    (
        s.dead_letter_arn
            .clone()
            .map(|arn| DeadLetterConfig { arn: Some(arn) }),
        s.log_config
            .as_ref()
            .and_then(|v| LogConfig::from_value(v, "LogConfig").ok()),
    )
}

pub(crate) fn create_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: CreateEventBusRequest,
) -> Result<CreateEventBusResponse, ServiceError> {
    let settings = settings(
        input.description,
        input.kms_key_identifier,
        input.dead_letter_config,
        input.log_config,
        input.event_source_name,
    )?;
    let tags = tags(input.tags)?;
    let bus = e
        .create_event_bus(&ctx.account_id, &ctx.region, &input.name, settings, &tags)
        .map_err(service_error)?;
    let s = bus.settings();
    let (dead_letter_config, log_config) = answered_configs(&s);
    Ok(CreateEventBusResponse {
        event_bus_arn: Some(bus.arn.clone()),
        description: s.description,
        kms_key_identifier: s.kms_key_identifier,
        dead_letter_config,
        log_config,
    })
}

pub(crate) fn describe_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeEventBusRequest,
) -> Result<DescribeEventBusResponse, ServiceError> {
    let bus = bus(e, ctx, input.name.as_deref())?;
    let s = bus.settings();
    let (dead_letter_config, log_config) = answered_configs(&s);
    Ok(DescribeEventBusResponse {
        name: Some(bus.name.clone()),
        arn: Some(bus.arn.clone()),
        description: s.description,
        kms_key_identifier: s.kms_key_identifier,
        dead_letter_config,
        policy: bus.policy().map(|p| p.to_string()),
        log_config,
        creation_time: Some(timestamp(bus.created_ms)),
        last_modified_time: Some(timestamp(bus.last_modified_ms())),
        managed_by: None,
    })
}

pub(crate) fn update_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: UpdateEventBusRequest,
) -> Result<UpdateEventBusResponse, ServiceError> {
    let update = settings(
        input.description,
        input.kms_key_identifier,
        input.dead_letter_config,
        input.log_config,
        None,
    )?;
    let bus = e
        .update_event_bus(&ctx.account_id, &ctx.region, input.name.as_deref(), update)
        .map_err(service_error)?;
    let s = bus.settings();
    let (dead_letter_config, log_config) = answered_configs(&s);
    Ok(UpdateEventBusResponse {
        arn: Some(bus.arn.clone()),
        name: Some(bus.name.clone()),
        kms_key_identifier: s.kms_key_identifier,
        description: s.description,
        dead_letter_config,
        log_config,
    })
}

pub(crate) fn delete_event_bus(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeleteEventBusRequest,
) -> Result<(), ServiceError> {
    e.delete_event_bus(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)
}

/// A bus as `ListEventBuses` shows it.
fn entry(bus: &EventBus) -> BusEntry {
    BusEntry {
        name: Some(bus.name.clone()),
        arn: Some(bus.arn.clone()),
        description: bus.settings().description,
        policy: bus.policy().map(|p| p.to_string()),
        creation_time: Some(timestamp(bus.created_ms)),
        last_modified_time: Some(timestamp(bus.last_modified_ms())),
        managed_by: None,
    }
}

pub(crate) fn list_event_buses(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListEventBusesRequest,
) -> Result<ListEventBusesResponse, ServiceError> {
    let page = e
        .list_event_buses(
            &ctx.account_id,
            &ctx.region,
            input.name_prefix.as_deref(),
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    Ok(ListEventBusesResponse {
        event_buses: Some(page.items.iter().map(|b| entry(b)).collect()),
        next_token: page.next_token,
    })
}

pub(crate) fn put_permission(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: PutPermissionRequest,
) -> Result<(), ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    if let Some(policy) = &input.policy {
        return e.put_policy(&bus, policy).map_err(service_error);
    }
    let (Some(action), Some(principal), Some(sid)) =
        (&input.action, &input.principal, &input.statement_id)
    else {
        return Err(validation(
            "One or more parameters are missing: Action, Principal, StatementId or Policy.",
        ));
    };
    let condition = input
        .condition
        .as_ref()
        .map(|c| (c.r#type.as_str(), c.key.as_str(), c.value.as_str()));
    e.put_permission(&bus, action, principal, sid, condition)
        .map_err(service_error)
}

pub(crate) fn remove_permission(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: RemovePermissionRequest,
) -> Result<(), ServiceError> {
    let bus = bus(e, ctx, input.event_bus_name.as_deref())?;
    e.remove_permission(
        &bus,
        input.statement_id.as_deref(),
        input.remove_all_permissions.unwrap_or(false),
    )
    .map_err(service_error)
}

pub(crate) fn tag_resource(
    e: &EventsEngine,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, ServiceError> {
    let new = tags(Some(input.tags))?;
    e.change_tags(&input.resource_arn, TagChange::Add(new))
        .map_err(service_error)?;
    Ok(TagResourceResponse {})
}

pub(crate) fn untag_resource(
    e: &EventsEngine,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, ServiceError> {
    e.change_tags(&input.resource_arn, TagChange::Remove(input.tag_keys))
        .map_err(service_error)?;
    Ok(UntagResourceResponse {})
}

pub(crate) fn list_tags_for_resource(
    e: &EventsEngine,
    input: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse, ServiceError> {
    let tags = e
        .change_tags(&input.resource_arn, TagChange::Keep)
        .map_err(service_error)?;
    Ok(ListTagsForResourceResponse {
        tags: Some(
            tags.into_iter()
                .map(|(key, value)| Tag { key, value })
                .collect(),
        ),
    })
}
