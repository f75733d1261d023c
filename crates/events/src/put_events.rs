//! `PutEvents`: per-entry results, and the invocations handed to the delivery workers.

use ferrybridge_engine::events::event::MAX_PUT_EVENTS_BYTES;
use ferrybridge_engine::events::{EntryInput, EventsEngine};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Value};

use crate::delivery::Dispatcher;
use crate::input::{opt_str, opt_time_ms, validation};

fn entry(v: &Value) -> EntryInput {
    EntryInput {
        source: opt_str(v, "Source").map(str::to_owned),
        detail_type: opt_str(v, "DetailType").map(str::to_owned),
        detail: opt_str(v, "Detail").map(str::to_owned),
        resources: ferrybridge_protocol::value::str_list(v, "Resources"),
        time_ms: opt_time_ms(v, "Time"),
        event_bus_name: opt_str(v, "EventBusName").map(str::to_owned),
        trace_header: opt_str(v, "TraceHeader").map(str::to_owned),
    }
}

pub(crate) fn put_events(
    e: &EventsEngine,
    d: &Dispatcher,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let entries: Vec<EntryInput> = ferrybridge_protocol::value::entries(input, "Entries")
        .into_iter()
        .map(entry)
        .collect();
    if entries.iter().map(EntryInput::size).sum::<usize>() > MAX_PUT_EVENTS_BYTES {
        return Err(validation(
            "Total size of the entries in the request is over the limit.",
        ));
    }
    let (results, invocations) =
        e.put_events_as(&ctx.account_id, &ctx.caller_arn, &ctx.region, &entries);
    d.dispatch(invocations);
    let failed = results.iter().filter(|r| r.is_err()).count();
    let entries: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(id) => json!({"EventId": id}),
            Err(err) => json!({"ErrorCode": err.code, "ErrorMessage": err.message}),
        })
        .collect();
    Ok(json!({"Entries": entries, "FailedEntryCount": failed}))
}
