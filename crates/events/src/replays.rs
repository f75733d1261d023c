//! Replays: StartReplay, DescribeReplay, ListReplays, CancelReplay. The replays themselves run
//! in the background ([`crate::replayer`]).

use ferrybridge_api::events::{
    CancelReplayRequest, CancelReplayResponse, DescribeReplayRequest, DescribeReplayResponse,
    ListReplaysRequest, ListReplaysResponse, Replay as ReplayEntry, ReplayDestination,
    StartReplayRequest, StartReplayResponse,
};
use ferrybridge_engine::events::archive::ListFilter;
use ferrybridge_engine::events::replay::{Replay, ReplayRequest};
use ferrybridge_engine::events::EventsEngine;
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{limit, service_error, time_ms, timestamp};

pub(crate) fn start_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: StartReplayRequest,
) -> Result<StartReplayResponse, ServiceError> {
    let request = ReplayRequest {
        name: input.replay_name,
        description: input.description,
        event_source_arn: input.event_source_arn,
        event_start_ms: time_ms(input.event_start_time),
        event_end_ms: time_ms(input.event_end_time),
        destination_arn: input.destination.arn,
        filter_arns: input.destination.filter_arns.unwrap_or_default(),
    };
    let replay = e
        .start_replay(&ctx.account_id, &ctx.region, request)
        .map_err(service_error)?;
    let progress = replay.progress();
    Ok(StartReplayResponse {
        replay_arn: Some(replay.arn.clone()),
        state: Some(progress.state.as_str().to_owned()),
        state_reason: None,
        replay_start_time: Some(timestamp(replay.replay_start_ms)),
    })
}

/// A replay as `ListReplays` shows it; `DescribeReplay` adds ARN, description, destination.
fn entry(replay: &Replay) -> ReplayEntry {
    let progress = replay.progress();
    ReplayEntry {
        replay_name: Some(replay.name().to_owned()),
        event_source_arn: Some(replay.request.event_source_arn.clone()),
        state: Some(progress.state.as_str().to_owned()),
        state_reason: progress.state_reason.clone(),
        event_start_time: Some(timestamp(replay.request.event_start_ms)),
        event_end_time: Some(timestamp(replay.request.event_end_ms)),
        event_last_replayed_time: progress.event_last_replayed_ms.map(timestamp),
        replay_start_time: Some(timestamp(replay.replay_start_ms)),
        replay_end_time: progress.replay_end_ms.map(timestamp),
    }
}

pub(crate) fn describe_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: DescribeReplayRequest,
) -> Result<DescribeReplayResponse, ServiceError> {
    let replay = e
        .replay(&ctx.account_id, &ctx.region, &input.replay_name)
        .map_err(service_error)?;
    let filters = &replay.request.filter_arns;
    let ReplayEntry {
        replay_name,
        event_source_arn,
        state,
        state_reason,
        event_start_time,
        event_end_time,
        event_last_replayed_time,
        replay_start_time,
        replay_end_time,
    } = entry(&replay);
    Ok(DescribeReplayResponse {
        replay_name,
        replay_arn: Some(replay.arn.clone()),
        description: replay.request.description.clone(),
        state,
        state_reason,
        event_source_arn,
        destination: Some(ReplayDestination {
            arn: replay.request.destination_arn.clone(),
            filter_arns: (!filters.is_empty()).then(|| filters.clone()),
        }),
        event_start_time,
        event_end_time,
        event_last_replayed_time,
        replay_start_time,
        replay_end_time,
    })
}

pub(crate) fn list_replays(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: ListReplaysRequest,
) -> Result<ListReplaysResponse, ServiceError> {
    let page = e
        .list_replays(
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
    Ok(ListReplaysResponse {
        replays: Some(page.items.iter().map(|r| entry(r)).collect()),
        next_token: page.next_token,
    })
}

pub(crate) fn cancel_replay(
    e: &EventsEngine,
    ctx: &RequestContext,
    input: CancelReplayRequest,
) -> Result<CancelReplayResponse, ServiceError> {
    let replay = e
        .replay(&ctx.account_id, &ctx.region, &input.replay_name)
        .map_err(service_error)?;
    let state = e.cancel_replay(&replay).map_err(service_error)?;
    Ok(CancelReplayResponse {
        replay_arn: Some(replay.arn.clone()),
        state: Some(state.as_str().to_owned()),
        state_reason: None,
    })
}
