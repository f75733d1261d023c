//! Replays: StartReplay, DescribeReplay, ListReplays, CancelReplay. The replays themselves run
//! in the background ([`crate::replayer`]).

use std::sync::Arc;

use ferrybridge_engine::events::replay::{Replay, ReplayRequest};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_protocol::value::field;
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{epoch_seconds, opt_str, opt_time_ms, opt_usize, req_str, service_error};
use crate::with_next;

/// `StartReplay`.
pub(crate) fn start_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let destination = field(input, "Destination").cloned().unwrap_or(Value::Null);
    let request = ReplayRequest {
        name: req_str(input, "ReplayName")?.to_owned(),
        description: opt_str(input, "Description").map(str::to_owned),
        event_source_arn: req_str(input, "EventSourceArn")?.to_owned(),
        event_start_ms: opt_time_ms(input, "EventStartTime").unwrap_or(0),
        event_end_ms: opt_time_ms(input, "EventEndTime").unwrap_or(0),
        destination_arn: opt_str(&destination, "Arn").unwrap_or_default().to_owned(),
        filter_arns: field(&destination, "FilterArns")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let replay = e
        .start_replay(&ctx.account_id, &ctx.region, request)
        .map_err(service_error)?;
    let progress = replay.progress();
    Ok(json!({
        "ReplayArn": replay.arn,
        "State": progress.state.as_str(),
        "ReplayStartTime": epoch_seconds(replay.replay_start_ms),
    }))
}

/// `DescribeReplay`.
pub(crate) fn describe_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let replay = e
        .replay(&ctx.account_id, &ctx.region, req_str(input, "ReplayName")?)
        .map_err(service_error)?;
    let mut out = Map::new();
    out.insert("ReplayName".into(), json!(replay.name()));
    out.insert("ReplayArn".into(), json!(replay.arn));
    if let Some(d) = &replay.request.description {
        out.insert("Description".into(), json!(d));
    }
    let mut destination = Map::new();
    destination.insert("Arn".into(), json!(replay.request.destination_arn));
    if !replay.request.filter_arns.is_empty() {
        destination.insert("FilterArns".into(), json!(replay.request.filter_arns));
    }
    out.insert("Destination".into(), Value::Object(destination));
    common_fields(&replay, &mut out);
    Ok(Value::Object(out))
}

/// The fields `DescribeReplay` and `ListReplays` both show.
fn common_fields(replay: &Replay, out: &mut Map<String, Value>) {
    let progress = replay.progress();
    out.insert(
        "EventSourceArn".into(),
        json!(replay.request.event_source_arn),
    );
    out.insert("State".into(), json!(progress.state.as_str()));
    if let Some(reason) = &progress.state_reason {
        out.insert("StateReason".into(), json!(reason));
    }
    out.insert(
        "EventStartTime".into(),
        epoch_seconds(replay.request.event_start_ms),
    );
    out.insert(
        "EventEndTime".into(),
        epoch_seconds(replay.request.event_end_ms),
    );
    if let Some(t) = progress.event_last_replayed_ms {
        out.insert("EventLastReplayedTime".into(), epoch_seconds(t));
    }
    out.insert(
        "ReplayStartTime".into(),
        epoch_seconds(replay.replay_start_ms),
    );
    if let Some(t) = progress.replay_end_ms {
        out.insert("ReplayEndTime".into(), epoch_seconds(t));
    }
}

/// `ListReplays`.
pub(crate) fn list_replays(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let page = e
        .list_replays(
            &ctx.account_id,
            &ctx.region,
            opt_str(input, "NamePrefix"),
            opt_str(input, "State"),
            opt_str(input, "EventSourceArn"),
            opt_str(input, "NextToken"),
            opt_usize(input, "Limit"),
        )
        .map_err(service_error)?;
    let replays: Vec<Value> = page
        .items
        .iter()
        .map(|replay: &Arc<Replay>| {
            let mut out = Map::new();
            out.insert("ReplayName".into(), json!(replay.name()));
            common_fields(replay, &mut out);
            Value::Object(out)
        })
        .collect();
    Ok(with_next(json!({ "Replays": replays }), page.next_token))
}

/// `CancelReplay`.
pub(crate) fn cancel_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let replay = e
        .replay(&ctx.account_id, &ctx.region, req_str(input, "ReplayName")?)
        .map_err(service_error)?;
    let state = e.cancel_replay(&replay).map_err(service_error)?;
    Ok(json!({ "ReplayArn": replay.arn, "State": state.as_str() }))
}
