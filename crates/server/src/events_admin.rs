//! EventBridge admin endpoints under `/_ferrybridge/events/`:
//!
//! * `GET /_ferrybridge/events/invocations[?targetArn=..&ruleArn=..]`: what targets the
//!   emulator does not run (Lambda, Step Functions, Kinesis, Firehose, ECS, Batch, CloudWatch
//!   Logs, ...) would have received, oldest first, as `{"invocations": [...]}`: each with the
//!   rule and target, the event id and the input after Input/InputPath/InputTransformer.
//! * `DELETE /_ferrybridge/events/invocations[?targetArn=..]`: forgets them; `{"cleared": n}`.

use bytes::Bytes;
use ferrybridge_engine::events::RecordedInvocation;
use ferrybridge_events::Events;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::dispatch::json_response;
use crate::sns_admin::{param, query_params};

fn invocation_json(r: &RecordedInvocation) -> Value {
    json!({
        "accountId": r.account_id,
        "region": r.region,
        "ruleArn": r.rule_arn,
        "targetId": r.target_id,
        "targetArn": r.target_arn,
        "service": r.service,
        "eventId": r.event_id,
        "input": r.input,
        "target": r.target,
        "timestamp": r.timestamp_ms,
    })
}

pub(crate) fn handle(
    events: &Events,
    method: &str,
    rest: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let params = query_params(query);
    let target = param(&params, "targetArn");
    match (method, rest) {
        ("GET", "invocations") => {
            let rule = param(&params, "ruleArn");
            let list: Vec<Value> = events
                .engine()
                .recordings(target)
                .iter()
                .filter(|r| rule.is_none_or(|a| r.rule_arn == a))
                .map(invocation_json)
                .collect();
            json_response(StatusCode::OK, &json!({"invocations": list}))
        }
        ("DELETE", "invocations") => {
            let cleared = events.engine().clear_recordings(target);
            json_response(StatusCode::OK, &json!({"cleared": cleared}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no admin endpoint {method} /_ferrybridge/events/{rest}")}),
        ),
    }
}
