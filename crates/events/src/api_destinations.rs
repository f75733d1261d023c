//! API destination operations: CreateApiDestination, DescribeApiDestination,
//! UpdateApiDestination, DeleteApiDestination, ListApiDestinations.

use ferrybridge_api::events::{
    ApiDestination as ApiDestinationEntry, CreateApiDestinationRequest,
    CreateApiDestinationResponse, DeleteApiDestinationRequest, DeleteApiDestinationResponse,
    DescribeApiDestinationRequest, DescribeApiDestinationResponse, ListApiDestinationsRequest,
    ListApiDestinationsResponse, UpdateApiDestinationRequest, UpdateApiDestinationResponse,
};
use ferrybridge_api::Timestamp;
use ferrybridge_engine::events::api_destination::{
    ApiDestinationUpdate, DEFAULT_RATE_LIMIT_PER_SECOND,
};
use ferrybridge_engine::events::{ApiDestination, ApiDestinationConfig, EventsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{limit, service_error, timestamp};

/// `InvocationRateLimitPerSecond` (the model's range has refused anything below 1).
fn rate(n: Option<i32>) -> Option<u32> {
    n.map(|n| u32::try_from(n).unwrap_or(0))
}

/// What Create- and UpdateApiDestination answer: ARN, state and times.
struct Short {
    arn: Option<String>,
    state: Option<String>,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
}

fn short(e: &EventsEngine, d: &ApiDestination) -> Short {
    Short {
        arn: Some(d.arn.clone()),
        state: Some(e.api_destination_state(d).as_str().to_owned()),
        created: Some(timestamp(d.created_ms)),
        modified: Some(timestamp(d.last_modified_ms())),
    }
}

/// A destination as `DescribeApiDestination` shows it (`ListApiDestinations` shows the same
/// without `Description`).
fn describe(e: &EventsEngine, d: &ApiDestination) -> DescribeApiDestinationResponse {
    let config = d.config();
    DescribeApiDestinationResponse {
        api_destination_arn: Some(d.arn.clone()),
        name: Some(d.name.clone()),
        description: config.description.clone(),
        api_destination_state: Some(e.api_destination_state(d).as_str().to_owned()),
        connection_arn: Some(config.connection_arn.clone()),
        invocation_endpoint: Some(config.invocation_endpoint.clone()),
        http_method: Some(config.http_method.clone()),
        invocation_rate_limit_per_second: Some(
            i32::try_from(config.invocation_rate_limit_per_second).unwrap_or(i32::MAX),
        ),
        creation_time: Some(timestamp(d.created_ms)),
        last_modified_time: Some(timestamp(d.last_modified_ms())),
    }
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
    input: CreateApiDestinationRequest,
) -> Result<CreateApiDestinationResponse, ServiceError> {
    check_http_url("InvocationEndpoint", &input.invocation_endpoint)?;
    let config = ApiDestinationConfig {
        description: input.description,
        connection_arn: input.connection_arn,
        invocation_endpoint: input.invocation_endpoint,
        http_method: input.http_method,
        invocation_rate_limit_per_second: rate(input.invocation_rate_limit_per_second)
            .unwrap_or(DEFAULT_RATE_LIMIT_PER_SECOND),
    };
    let destination = e
        .create_api_destination(&ctx.account_id, &ctx.region, &input.name, config)
        .map_err(service_error)?;
    let s = short(e, &destination);
    Ok(CreateApiDestinationResponse {
        api_destination_arn: s.arn,
        api_destination_state: s.state,
        creation_time: s.created,
        last_modified_time: s.modified,
    })
}

pub(crate) fn describe_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeApiDestinationRequest,
) -> Result<DescribeApiDestinationResponse, ServiceError> {
    let destination = e
        .api_destination(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)?;
    Ok(describe(e, &destination))
}

pub(crate) fn update_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: UpdateApiDestinationRequest,
) -> Result<UpdateApiDestinationResponse, ServiceError> {
    if let Some(url) = &input.invocation_endpoint {
        check_http_url("InvocationEndpoint", url)?;
    }
    let update = ApiDestinationUpdate {
        description: input.description,
        connection_arn: input.connection_arn,
        invocation_endpoint: input.invocation_endpoint,
        http_method: input.http_method,
        invocation_rate_limit_per_second: rate(input.invocation_rate_limit_per_second),
    };
    let destination = e
        .update_api_destination(&ctx.account_id, &ctx.region, &input.name, update)
        .map_err(service_error)?;
    let s = short(e, &destination);
    Ok(UpdateApiDestinationResponse {
        api_destination_arn: s.arn,
        api_destination_state: s.state,
        creation_time: s.created,
        last_modified_time: s.modified,
    })
}

pub(crate) fn delete_api_destination(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeleteApiDestinationRequest,
) -> Result<DeleteApiDestinationResponse, ServiceError> {
    e.delete_api_destination(&ctx.account_id, &ctx.region, &input.name)
        .map_err(service_error)?;
    Ok(DeleteApiDestinationResponse {})
}

pub(crate) fn list_api_destinations(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListApiDestinationsRequest,
) -> Result<ListApiDestinationsResponse, ServiceError> {
    let page = e
        .list_api_destinations(
            &ctx.account_id,
            &ctx.region,
            input.name_prefix.as_deref(),
            input.connection_arn.as_deref(),
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    let items = page
        .items
        .iter()
        .map(|d| {
            let d = describe(e, d);
            ApiDestinationEntry {
                api_destination_arn: d.api_destination_arn,
                name: d.name,
                api_destination_state: d.api_destination_state,
                connection_arn: d.connection_arn,
                invocation_endpoint: d.invocation_endpoint,
                http_method: d.http_method,
                invocation_rate_limit_per_second: d.invocation_rate_limit_per_second,
                creation_time: d.creation_time,
                last_modified_time: d.last_modified_time,
            }
        })
        .collect();
    Ok(ListApiDestinationsResponse {
        api_destinations: Some(items),
        next_token: page.next_token,
    })
}
