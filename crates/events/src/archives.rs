//! Archives: CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives.

use ferrybridge_api::events::{
    Archive as ArchiveEntry, CreateArchiveRequest, CreateArchiveResponse, DeleteArchiveRequest,
    DeleteArchiveResponse, DescribeArchiveRequest, DescribeArchiveResponse, ListArchivesRequest,
    ListArchivesResponse, UpdateArchiveRequest, UpdateArchiveResponse,
};
use ferrybridge_engine::events::archive::{ArchiveSettings, ArchiveView, ListFilter};
use ferrybridge_engine::events::{EventsEngine, EventsError};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{limit, service_error, timestamp};

/// `RetentionDays` (the model's range has refused negative ones).
fn retention_days(days: Option<i32>) -> Option<u32> {
    days.map(|d| u32::try_from(d).unwrap_or(0))
}

fn count(n: u64) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

fn days(view: &ArchiveView) -> Option<i32> {
    Some(i32::try_from(view.settings.retention_days).unwrap_or(i32::MAX))
}

pub(crate) fn create_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: CreateArchiveRequest,
) -> Result<CreateArchiveResponse, ServiceError> {
    let settings = ArchiveSettings {
        description: input.description,
        event_pattern: input.event_pattern,
        retention_days: retention_days(input.retention_days).unwrap_or(0),
        kms_key_identifier: input.kms_key_identifier,
    };
    let archive = e
        .create_archive(
            &ctx.account_id,
            &ctx.region,
            &input.archive_name,
            &input.event_source_arn,
            settings,
        )
        .map_err(service_error)?;
    let view = e.describe_archive(&archive);
    Ok(CreateArchiveResponse {
        archive_arn: Some(view.arn),
        state: Some(view.state.to_owned()),
        state_reason: None,
        creation_time: Some(timestamp(view.created_ms)),
    })
}

pub(crate) fn describe_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeArchiveRequest,
) -> Result<DescribeArchiveResponse, ServiceError> {
    let archive = e
        .archive(&ctx.account_id, &ctx.region, &input.archive_name)
        .map_err(service_error)?;
    let view = e.describe_archive(&archive);
    Ok(DescribeArchiveResponse {
        retention_days: days(&view),
        size_bytes: count(view.size_bytes),
        event_count: count(view.event_count),
        creation_time: Some(timestamp(view.created_ms)),
        state: Some(view.state.to_owned()),
        state_reason: None,
        archive_arn: Some(view.arn),
        archive_name: Some(view.name),
        event_source_arn: Some(view.event_source_arn),
        description: view.settings.description,
        event_pattern: view.settings.event_pattern,
        kms_key_identifier: view.settings.kms_key_identifier,
    })
}

pub(crate) fn update_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: UpdateArchiveRequest,
) -> Result<UpdateArchiveResponse, ServiceError> {
    let archive = e
        .archive(&ctx.account_id, &ctx.region, &input.archive_name)
        .map_err(|_| {
            service_error(EventsError::Internal(
                "Service encountered unexpected problem. Please try again.".into(),
            ))
        })?;
    let view = e
        .update_archive(
            &archive,
            input.description,
            input.event_pattern,
            retention_days(input.retention_days),
            input.kms_key_identifier,
        )
        .map_err(service_error)?;
    Ok(UpdateArchiveResponse {
        archive_arn: Some(view.arn),
        state: Some(view.state.to_owned()),
        state_reason: None,
        creation_time: Some(timestamp(view.created_ms)),
    })
}

pub(crate) fn delete_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DeleteArchiveRequest,
) -> Result<DeleteArchiveResponse, ServiceError> {
    e.delete_archive(&ctx.account_id, &ctx.region, &input.archive_name)
        .map_err(service_error)?;
    Ok(DeleteArchiveResponse {})
}

pub(crate) fn list_archives(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListArchivesRequest,
) -> Result<ListArchivesResponse, ServiceError> {
    let page = e
        .list_archives(
            &ctx.account_id,
            &ctx.region,
            ListFilter {
                name_prefix: input.name_prefix.as_deref(),
                source_arn: input.event_source_arn.as_deref(),
                state: input.state.as_deref(),
            },
            input.next_token.as_deref(),
            limit(input.limit),
        )
        .map_err(service_error)?;
    Ok(ListArchivesResponse {
        archives: Some(page.items.iter().map(list_entry).collect()),
        next_token: page.next_token,
    })
}

fn list_entry(view: &ArchiveView) -> ArchiveEntry {
    ArchiveEntry {
        archive_name: Some(view.name.clone()),
        event_source_arn: Some(view.event_source_arn.clone()),
        state: Some(view.state.to_owned()),
        state_reason: None,
        retention_days: days(view),
        size_bytes: count(view.size_bytes),
        event_count: count(view.event_count),
        creation_time: Some(timestamp(view.created_ms)),
    }
}
