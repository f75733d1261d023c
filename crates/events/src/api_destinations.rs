//! API destination operations: CreateApiDestination, DescribeApiDestination,
//! UpdateApiDestination, DeleteApiDestination, ListApiDestinations.

use ferrybridge_engine::events::api_destination::{
    ApiDestinationUpdate, DEFAULT_RATE_LIMIT_PER_SECOND,
};
use ferrybridge_engine::events::{ApiDestination, ApiDestinationConfig, EventsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{Map, Value};

use crate::input::{epoch_seconds, opt_str, opt_usize, req_str, service_error};
use crate::{empty, with_next};

fn rate(input: &Value) -> Option<u32> {
    input
        .get("InvocationRateLimitPerSecond")
        .and_then(Value::as_u64)
        .map(|n| n.min(u64::from(u32::MAX)) as u32)
}

/// The answer of Create/UpdateApiDestination.
fn short(e: &EventsEngine, d: &ApiDestination) -> Value {
    let mut out = Map::new();
    out.insert("ApiDestinationArn".into(), Value::from(d.arn.as_str()));
    out.insert(
        "ApiDestinationState".into(),
        Value::from(e.api_destination_state(d).as_str()),
    );
    out.insert("CreationTime".into(), epoch_seconds(d.created_ms));
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(d.last_modified_ms()),
    );
    Value::Object(out)
}

/// A destination as DescribeApiDestination (with its description) and ListApiDestinations
/// (without) show it.
fn describe(e: &EventsEngine, d: &ApiDestination, with_description: bool) -> Value {
    let config = d.config();
    let mut out = Map::new();
    out.insert("ApiDestinationArn".into(), Value::from(d.arn.as_str()));
    out.insert(
        "ApiDestinationState".into(),
        Value::from(e.api_destination_state(d).as_str()),
    );
    out.insert(
        "ConnectionArn".into(),
        Value::from(config.connection_arn.as_str()),
    );
    out.insert("CreationTime".into(), epoch_seconds(d.created_ms));
    if with_description {
        if let Some(desc) = &config.description {
            out.insert("Description".into(), Value::from(desc.as_str()));
        }
    }
    out.insert(
        "HttpMethod".into(),
        Value::from(config.http_method.as_str()),
    );
    out.insert(
        "InvocationEndpoint".into(),
        Value::from(config.invocation_endpoint.as_str()),
    );
    out.insert(
        "InvocationRateLimitPerSecond".into(),
        Value::from(config.invocation_rate_limit_per_second),
    );
    out.insert(
        "LastModifiedTime".into(),
        epoch_seconds(d.last_modified_ms()),
    );
    out.insert("Name".into(), Value::from(d.name.as_str()));
    Value::Object(out)
}

/// An API destination calls its endpoint over HTTP: `file://`, `gopher://` and other schemes
/// are refused (issue 17). AWS only accepts `https://`; the emulator also takes `http://`, so
/// that local endpoints without TLS can be used.
pub(crate) fn check_http_url(member: &str, url: &str) -> Result<(), ServiceError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let host = url.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    if matches!(scheme.as_deref(), Some("http" | "https")) && !host.is_empty() {
        return Ok(());
    }
    Err(ServiceError::new(
        "ValidationException",
        format!("Invalid {member}: {url:?} is not an http:// or https:// URL with a host."),
    ))
}

pub(crate) fn create_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    check_http_url("InvocationEndpoint", req_str(input, "InvocationEndpoint")?)?;
    let config = ApiDestinationConfig {
        description: opt_str(input, "Description").map(str::to_owned),
        connection_arn: req_str(input, "ConnectionArn")?.to_owned(),
        invocation_endpoint: req_str(input, "InvocationEndpoint")?.to_owned(),
        http_method: req_str(input, "HttpMethod")?.to_owned(),
        invocation_rate_limit_per_second: rate(input).unwrap_or(DEFAULT_RATE_LIMIT_PER_SECOND),
    };
    let destination = e
        .create_api_destination(&ctx.account_id, &ctx.region, name, config)
        .map_err(service_error)?;
    Ok(short(e, &destination))
}

pub(crate) fn describe_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let destination = e
        .api_destination(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(describe(e, &destination, true))
}

pub(crate) fn update_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    if let Some(url) = opt_str(input, "InvocationEndpoint") {
        check_http_url("InvocationEndpoint", url)?;
    }
    let update = ApiDestinationUpdate {
        description: opt_str(input, "Description").map(str::to_owned),
        connection_arn: opt_str(input, "ConnectionArn").map(str::to_owned),
        invocation_endpoint: opt_str(input, "InvocationEndpoint").map(str::to_owned),
        http_method: opt_str(input, "HttpMethod").map(str::to_owned),
        invocation_rate_limit_per_second: rate(input),
    };
    let destination = e
        .update_api_destination(&ctx.account_id, &ctx.region, name, update)
        .map_err(service_error)?;
    Ok(short(e, &destination))
}

pub(crate) fn delete_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    e.delete_api_destination(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_api_destinations(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let page = e
        .list_api_destinations(
            &ctx.account_id,
            &ctx.region,
            opt_str(input, "NamePrefix"),
            opt_str(input, "ConnectionArn"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let items: Vec<Value> = page.items.iter().map(|d| describe(e, d, false)).collect();
    Ok(with_next(
        serde_json::json!({"ApiDestinations": items}),
        page.next_token,
    ))
}
