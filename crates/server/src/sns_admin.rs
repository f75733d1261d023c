//! SNS parts of the server: the admin endpoints under `/_ferrybridge/sns/` and the
//! credential-free links SNS messages carry.
//!
//! * `GET /_ferrybridge/sns/SimpleNotificationService-ferrybridge.pem`: the certificate whose
//!   key signs messages (the `SigningCertURL` of every signed message).
//! * `GET /_ferrybridge/sns/messages[?protocol=sms&endpoint=+15550100]`: what was sent to
//!   endpoints the emulator cannot reach (sms, email, email-json, lambda, firehose,
//!   application), oldest first, as `{"messages": [...], "next": ".."}`: at most `max` (default
//!   1000) per answer, `next` (present when more follow) asks for the following page. A ring
//!   buffer of the last 10,000 (`ferrybridge_engine::sns::MAX_RECORDINGS`), at most 64 MiB
//!   (`MAX_RECORDING_BYTES`).
//! * `DELETE /_ferrybridge/sns/messages[?protocol=sms]`: forgets them; `{"cleared": n}`.
//! * `GET /_ferrybridge/sns/subscription-token?SubscriptionArn=..`: a subscription's
//!   confirmation token (for endpoints a test cannot receive HTTP on).
//! * `POST /_ferrybridge/sns/opt-out?phoneNumber=..&accountId=..&region=..`: opts a number out
//!   of SMS, as a recipient replying STOP would.

use base64::Engine as _;
use bytes::Bytes;
use ferrybridge_engine::sns::Recorded;
use ferrybridge_engine::sqs::AttributePayload;
use ferrybridge_protocol::DecodedRequest;
use ferrybridge_protocol::ServiceName;
use ferrybridge_sns::envelope;
use ferrybridge_sns::Sns;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::admin_common::{json_response, param, query_params};

/// Account and region for an unsigned `ConfirmSubscription` or `Unsubscribe` (the GET links in
/// SNS messages): those of the ARN it names.
pub(crate) fn unsigned_sns_link(decoded: &DecodedRequest) -> Option<(String, String)> {
    if decoded.service != ServiceName::Sns {
        return None;
    }
    let member = match decoded.operation.as_str() {
        "ConfirmSubscription" => "TopicArn",
        "Unsubscribe" => "SubscriptionArn",
        _ => return None,
    };
    let arn = decoded.input.get(member)?.as_str()?;
    let parsed = ferrybridge_engine::sns::arn::parse(arn)?;
    Some((parsed.account.to_owned(), parsed.region.to_owned()))
}

fn recorded_json(r: &Recorded) -> Value {
    let attributes: Map<String, Value> = r
        .attributes
        .iter()
        .map(|(name, v)| {
            let value = match &v.value {
                AttributePayload::String(s) => s.clone(),
                AttributePayload::Binary(b) => base64::engine::general_purpose::STANDARD.encode(b),
            };
            (name.clone(), json!({"Type": v.data_type, "Value": value}))
        })
        .collect();
    json!({
        "protocol": r.protocol,
        "endpoint": r.endpoint,
        "accountId": r.account_id,
        "region": r.region,
        "topicArn": r.topic_arn,
        "subscriptionArn": r.subscription_arn,
        "messageId": r.message_id,
        "subject": r.subject,
        "message": r.message,
        "messageAttributes": attributes,
        "timestamp": envelope::timestamp(r.timestamp_ms),
    })
}

/// Serves `/_ferrybridge/sns/{rest}`.
pub(crate) fn handle(
    sns: &Sns,
    method: &str,
    rest: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let params = query_params(query);
    let cert_file = envelope::CERT_PATH.trim_start_matches("/_ferrybridge/sns/");
    match (method, rest) {
        ("GET", file) if file == cert_file => {
            let mut response =
                Response::new(Full::new(Bytes::from(sns.signer().certificate_pem())));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/x-pem-file"),
            );
            response
        }
        ("GET", "messages") => {
            let protocol = param(&params, "protocol");
            let endpoint = param(&params, "endpoint");
            let (start, max) = match crate::admin_page::bounds(&params) {
                Ok(found) => found,
                Err(message) => return crate::admin_page::bad(message),
            };
            let (page, total) = sns.engine().recordings_page(protocol, endpoint, start, max);
            let next = crate::admin_page::next_token(start, page.len(), total);
            let messages: Vec<Value> = page.iter().map(recorded_json).collect();
            json_response(
                StatusCode::OK,
                &crate::admin_page::body("messages", messages, next),
            )
        }
        ("DELETE", "messages") => {
            let cleared = sns.engine().clear_recordings(param(&params, "protocol"));
            json_response(StatusCode::OK, &json!({"cleared": cleared}))
        }
        ("GET", "subscription-token") => {
            let arn = param(&params, "SubscriptionArn").unwrap_or("");
            match sns.engine().subscription(arn) {
                Ok(sub) => json_response(
                    StatusCode::OK,
                    &json!({"subscriptionArn": sub.arn, "topicArn": sub.topic_arn, "token": sub.token}),
                ),
                Err(e) => json_response(StatusCode::NOT_FOUND, &json!({"error": e.message()})),
            }
        }
        ("POST", "opt-out") => {
            let Some(phone) = param(&params, "phoneNumber") else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": "phoneNumber is required"}),
                );
            };
            let account = param(&params, "accountId").unwrap_or("000000000000");
            let region = param(&params, "region").unwrap_or("us-east-1");
            sns.engine().opt_out(account, region, phone);
            json_response(StatusCode::OK, &json!({"optedOut": phone}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no admin endpoint {method} /_ferrybridge/sns/{rest}")}),
        ),
    }
}
