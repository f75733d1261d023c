//! Archives: CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives.

use ferrybridge_engine::events::archive::{ArchiveSettings, ArchiveView};
use ferrybridge_engine::events::{EventsEngine, EventsError};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{epoch_seconds, opt_str, opt_usize, req_str, service_error};
use crate::{empty, with_next};

fn retention_days(input: &Value) -> Option<u32> {
    ferrybridge_protocol::value::field(input, "RetentionDays")
        .and_then(Value::as_u64)
        .map(|d| d.min(u64::from(u32::MAX)) as u32)
}

/// `CreateArchive`.
pub(crate) fn create_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "ArchiveName")?;
    let source = req_str(input, "EventSourceArn")?;
    let settings = ArchiveSettings {
        description: opt_str(input, "Description").map(str::to_owned),
        event_pattern: opt_str(input, "EventPattern").map(str::to_owned),
        retention_days: retention_days(input).unwrap_or(0),
        kms_key_identifier: opt_str(input, "KmsKeyIdentifier").map(str::to_owned),
    };
    let archive = e
        .create_archive(&ctx.account_id, &ctx.region, name, source, settings)
        .map_err(service_error)?;
    let view = e.describe_archive(&archive);
    Ok(json!({
        "ArchiveArn": view.arn,
        "State": view.state,
        "CreationTime": epoch_seconds(view.created_ms),
    }))
}

/// `DescribeArchive`.
pub(crate) fn describe_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "ArchiveName")?;
    let archive = e
        .archive(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    let view = e.describe_archive(&archive);
    let mut out = Map::new();
    out.insert("ArchiveArn".into(), json!(view.arn));
    out.insert("ArchiveName".into(), json!(view.name));
    out.insert("EventSourceArn".into(), json!(view.event_source_arn));
    if let Some(d) = &view.settings.description {
        out.insert("Description".into(), json!(d));
    }
    if let Some(p) = &view.settings.event_pattern {
        out.insert("EventPattern".into(), json!(p));
    }
    if let Some(k) = &view.settings.kms_key_identifier {
        out.insert("KmsKeyIdentifier".into(), json!(k));
    }
    out.insert("State".into(), json!(view.state));
    out.insert("RetentionDays".into(), json!(view.settings.retention_days));
    out.insert("SizeBytes".into(), json!(view.size_bytes));
    out.insert("EventCount".into(), json!(view.event_count));
    out.insert("CreationTime".into(), epoch_seconds(view.created_ms));
    Ok(Value::Object(out))
}

/// `UpdateArchive`.
pub(crate) fn update_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "ArchiveName")?;
    // AWS answers an update of an archive that does not exist with an internal error
    // (recorded: InternalException "Service encountered unexpected problem. Please try
    // again."), not ResourceNotFoundException.
    let archive = e.archive(&ctx.account_id, &ctx.region, name).map_err(|_| {
        service_error(EventsError::Internal(
            "Service encountered unexpected problem. Please try again.".into(),
        ))
    })?;
    let view = e
        .update_archive(
            &archive,
            opt_str(input, "Description").map(str::to_owned),
            opt_str(input, "EventPattern").map(str::to_owned),
            retention_days(input),
            opt_str(input, "KmsKeyIdentifier").map(str::to_owned),
        )
        .map_err(service_error)?;
    Ok(json!({
        "ArchiveArn": view.arn,
        "State": view.state,
        "CreationTime": epoch_seconds(view.created_ms),
    }))
}

/// `DeleteArchive`.
pub(crate) fn delete_archive(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "ArchiveName")?;
    e.delete_archive(&ctx.account_id, &ctx.region, name)
        .map_err(service_error)?;
    Ok(empty())
}

/// `ListArchives`.
pub(crate) fn list_archives(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let page = e
        .list_archives(
            &ctx.account_id,
            &ctx.region,
            opt_str(input, "NamePrefix"),
            opt_str(input, "EventSourceArn"),
            opt_str(input, "State"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let archives: Vec<Value> = page.items.iter().map(list_entry).collect();
    Ok(with_next(json!({ "Archives": archives }), page.next_token))
}

/// An archive as `ListArchives` shows it (AWS's field set: no ARN, pattern or description).
fn list_entry(view: &ArchiveView) -> Value {
    json!({
        "ArchiveName": view.name,
        "EventSourceArn": view.event_source_arn,
        "State": view.state,
        "RetentionDays": view.settings.retention_days,
        "SizeBytes": view.size_bytes,
        "EventCount": view.event_count,
        "CreationTime": epoch_seconds(view.created_ms),
    })
}
