//! `PutEvents`: per-entry results, and the invocations handed to the delivery workers.

use ferrybridge_api::events::{
    PutEventsRequest, PutEventsRequestEntry, PutEventsResponse, PutEventsResultEntry,
};
use ferrybridge_engine::events::event::MAX_PUT_EVENTS_BYTES;
use ferrybridge_engine::events::{EntryInput, EventsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::dispatch::Dispatcher;
use crate::input::{time_ms, validation};

fn entry(v: PutEventsRequestEntry) -> EntryInput {
    EntryInput {
        source: v.source,
        detail_type: v.detail_type,
        detail: v.detail,
        resources: v.resources.unwrap_or_default(),
        time_ms: v.time.filter(|t| t.0 >= 0.0).map(time_ms),
        event_bus_name: v.event_bus_name,
        trace_header: v.trace_header,
    }
}

pub(crate) fn put_events(
    e: &EventsEngine,
    d: &Dispatcher,
    ctx: &RequestContext,
    input: PutEventsRequest,
) -> Result<PutEventsResponse, ServiceError> {
    let entries: Vec<EntryInput> = input.entries.into_iter().map(entry).collect();
    if entries.iter().map(EntryInput::size).sum::<usize>() > MAX_PUT_EVENTS_BYTES {
        return Err(validation(
            "Total size of the entries in the request is over the limit.",
        ));
    }
    let (results, invocations) =
        e.put_events_as(&ctx.account_id, &ctx.caller_arn, &ctx.region, &entries);
    d.dispatch(invocations);
    let failed = results.iter().filter(|r| r.is_err()).count();
    let entries = results
        .into_iter()
        .map(|r| match r {
            Ok(id) => PutEventsResultEntry {
                event_id: Some(id),
                ..Default::default()
            },
            Err(err) => PutEventsResultEntry {
                error_code: Some(err.code.to_owned()),
                error_message: Some(err.message),
                ..Default::default()
            },
        })
        .collect();
    Ok(PutEventsResponse {
        failed_entry_count: Some(i32::try_from(failed).unwrap_or(i32::MAX)),
        entries: Some(entries),
    })
}
