//! EventBridge admin endpoints under `/_ferrybridge/events/`:
//!
//! * `GET /_ferrybridge/events/invocations[?targetArn=..&ruleArn=..]`: what targets the
//!   emulator does not run (Lambda, Step Functions, Kinesis, Firehose, ECS, Batch, CloudWatch
//!   Logs, ...) would have received, oldest first, as `{"invocations": [...]}`: each with the
//!   rule and target, the event id and the input after Input/InputPath/InputTransformer. At
//!   most `max` (default 1000) per answer; `next` (present when more follow) asks for the
//!   following page. A ring buffer of the last 10,000
//!   (`ferrybridge_engine::events::MAX_RECORDED`), at most 64 MiB of inputs
//!   (`MAX_RECORDED_BYTES`).
//! * `DELETE /_ferrybridge/events/invocations[?targetArn=..]`: forgets them; `{"cleared": n}`.
//! * `POST /_ferrybridge/events/managed-rules?name=..&managedBy=..&eventPattern=..[&eventBusName=..&accountId=..&region=..]`:
//!   creates a rule as an AWS service would on a customer's behalf (`ManagedBy`), which users
//!   can then only delete or strip of targets with `Force`; `{"ruleArn": ..}`.

use bytes::Bytes;
use ferrybridge_engine::events::{PutRuleInput, RecordedInvocation};
use ferrybridge_events::Events;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::admin_common::{json_response, param, query_params};

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
    (default_account, default_region): (&str, &str),
) -> Response<Full<Bytes>> {
    let params = query_params(query);
    let target = param(&params, "targetArn");
    match (method, rest) {
        ("GET", "invocations") => {
            let rule = param(&params, "ruleArn");
            let (start, max) = match crate::admin_page::bounds(&params) {
                Ok(found) => found,
                Err(message) => return crate::admin_page::bad(message),
            };
            let (page, total) = events.engine().recordings_page(target, rule, start, max);
            let next = crate::admin_page::next_token(start, page.len(), total);
            let list: Vec<Value> = page.iter().map(invocation_json).collect();
            json_response(
                StatusCode::OK,
                &crate::admin_page::body("invocations", list, next),
            )
        }
        ("DELETE", "invocations") => {
            let cleared = events.engine().clear_recordings(target);
            json_response(StatusCode::OK, &json!({"cleared": cleared}))
        }
        ("POST", "managed-rules") => {
            let (Some(name), Some(managed_by), Some(pattern)) = (
                param(&params, "name"),
                param(&params, "managedBy"),
                param(&params, "eventPattern"),
            ) else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": "name, managedBy and eventPattern are required"}),
                );
            };
            let account = param(&params, "accountId").unwrap_or(default_account);
            let region = param(&params, "region").unwrap_or(default_region);
            let engine = events.engine();
            let result = engine
                .bus(account, region, param(&params, "eventBusName"))
                .and_then(|bus| {
                    engine.put_managed_rule(
                        account,
                        &bus,
                        PutRuleInput {
                            name: name.to_owned(),
                            event_pattern: Some(pattern.to_owned()),
                            ..PutRuleInput::default()
                        },
                        managed_by,
                    )
                });
            match result {
                Ok(rule) => json_response(StatusCode::OK, &json!({"ruleArn": rule.arn})),
                Err(e) => json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": e.code(), "message": e.message()}),
                ),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no admin endpoint {method} /_ferrybridge/events/{rest}")}),
        ),
    }
}
