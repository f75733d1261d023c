//! The JSON documents SNS delivers: notifications (to SQS, HTTP, email-json, Firehose),
//! subscription and unsubscribe confirmations, and Lambda events — with AWS's field order and
//! its pretty-printed layout (`"Type" : "Notification",` on lines of their own).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ferrybridge_engine::sns::{Notification, Subscription};
use ferrybridge_engine::sqs::AttributePayload;
use serde_json::{json, Map, Value};

use crate::signing::MessageType;

/// `SignatureVersion`, `Signature` and `SigningCertURL` of a signed message.
#[derive(Debug, Clone)]
pub struct SignatureFields {
    pub version: String,
    pub signature: String,
    pub cert_url: String,
}

/// Where the emulator serves its signing certificate.
pub const CERT_PATH: &str = "/_ferrybridge/sns/SimpleNotificationService-ferrybridge.pem";

/// `2024-01-02T03:04:05.678Z` for milliseconds since the epoch.
pub fn timestamp(ms: u64) -> String {
    ferrybridge_protocol::timestamp::format_iso8601(ms as f64 / 1000.0)
}

/// `http://host/?Action=Unsubscribe&SubscriptionArn=...` (unencoded, as AWS writes it).
pub fn unsubscribe_url(base: &str, subscription_arn: &str) -> String {
    format!("{base}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")
}

/// `http://host/?Action=ConfirmSubscription&TopicArn=...&Token=...`.
pub fn subscribe_url(base: &str, topic_arn: &str, token: &str) -> String {
    format!("{base}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}")
}

pub fn cert_url(base: &str) -> String {
    format!("{base}{CERT_PATH}")
}

/// Where the signing certificate is served over HTTPS, when the server serves TLS: on the
/// same port as `base` (`None`) or on a TLS-only port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsCert {
    pub port: Option<u16>,
}

/// `SigningCertURL` for links based on `base` (`http://host[:port]`): `https://` when the
/// server serves TLS (`https`), because AWS's validators (npm `sns-validator`, the SDKs'
/// message validators) refuse any other scheme; the same host, on the TLS-only port if any.
pub fn signing_cert_url(base: &str, https: Option<HttpsCert>) -> String {
    let Some(https) = https else {
        return cert_url(base);
    };
    let host = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"))
        .unwrap_or(base);
    match https.port {
        None => format!("https://{host}{CERT_PATH}"),
        Some(port) => format!("https://{}:{port}{CERT_PATH}", without_port(host)),
    }
}

/// `host` (`[v6]` kept in brackets) of `host[:port]`.
fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod cert_url_tests {
    use super::*;

    #[test]
    fn signing_cert_url_follows_https() {
        let base = "http://localhost:4566";
        assert_eq!(signing_cert_url(base, None), format!("{base}{CERT_PATH}"));
        assert_eq!(
            signing_cert_url(base, Some(HttpsCert { port: None })),
            format!("https://localhost:4566{CERT_PATH}")
        );
        assert_eq!(
            signing_cert_url(base, Some(HttpsCert { port: Some(4567) })),
            format!("https://localhost:4567{CERT_PATH}")
        );
        assert_eq!(
            signing_cert_url("http://[::1]:1", Some(HttpsCert { port: Some(2) })),
            format!("https://[::1]:2{CERT_PATH}")
        );
        assert_eq!(
            signing_cert_url("http://h.test", Some(HttpsCert { port: Some(2) })),
            format!("https://h.test:2{CERT_PATH}")
        );
    }
}

fn quoted(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// Jackson's pretty printer as SNS uses it: two-space indent, `" : "` separators.
struct Pretty {
    out: String,
    first: bool,
}

impl Pretty {
    fn new() -> Self {
        Pretty {
            out: String::from("{"),
            first: true,
        }
    }

    fn raw(&mut self, name: &str, value: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str("\n  ");
        self.out.push_str(&quoted(name));
        self.out.push_str(" : ");
        self.out.push_str(value);
    }

    fn field(&mut self, name: &str, value: &str) {
        self.raw(name, &quoted(value));
    }

    fn finish(mut self) -> String {
        self.out.push_str("\n}");
        self.out
    }
}

/// Whether the message's attributes travel with it: not for `MessageStructure=json` ("message
/// attributes are sent only when the message structure is String, not JSON", AWS docs).
pub fn delivers_attributes(n: &Notification) -> bool {
    n.per_protocol.is_none() && !n.attributes.is_empty()
}

/// The `MessageAttributes` object of envelopes: `{"Type":"String","Value":"..."}` per name.
pub fn attributes_json(n: &Notification) -> Map<String, Value> {
    n.attributes
        .iter()
        .map(|(name, v)| {
            let value = match &v.value {
                AttributePayload::String(s) => s.clone(),
                AttributePayload::Binary(b) => STANDARD.encode(b),
            };
            (name.clone(), json!({"Type": v.data_type, "Value": value}))
        })
        .collect()
}

fn attributes_pretty(n: &Notification) -> String {
    let mut out = String::from("{");
    for (i, (name, v)) in attributes_json(n).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n    ");
        out.push_str(&quoted(name));
        out.push_str(" : ");
        out.push_str(&v.to_string());
    }
    out.push_str("\n  }");
    out
}

/// The notification JSON a subscription receives when raw delivery is off.
/// `signature` is `None` for FIFO topics, whose notifications carry `SequenceNumber` instead.
pub fn notification(
    n: &Notification,
    sub: &Subscription,
    base: &str,
    timestamp_text: &str,
    signature: Option<&SignatureFields>,
) -> String {
    let mut p = Pretty::new();
    p.field("Type", MessageType::Notification.as_str());
    p.field("MessageId", &n.message_id);
    if let Some(seq) = &n.sequence_number {
        p.field("SequenceNumber", seq);
    }
    p.field("TopicArn", &n.topic_arn);
    if let Some(subject) = &n.subject {
        p.field("Subject", subject);
    }
    p.field("Message", n.message_for(sub.protocol));
    p.field("Timestamp", timestamp_text);
    if let Some(sig) = signature {
        p.field("SignatureVersion", &sig.version);
        p.field("Signature", &sig.signature);
        p.field("SigningCertURL", &sig.cert_url);
    }
    p.field("UnsubscribeURL", &unsubscribe_url(base, &sub.arn));
    if delivers_attributes(n) {
        p.raw("MessageAttributes", &attributes_pretty(n));
    }
    p.finish()
}

/// A `SubscriptionConfirmation` or `UnsubscribeConfirmation` document.
#[allow(clippy::too_many_arguments)]
pub fn confirmation(
    kind: MessageType,
    message_id: &str,
    token: &str,
    topic_arn: &str,
    message: &str,
    subscribe_url: &str,
    timestamp_text: &str,
    signature: &SignatureFields,
) -> String {
    let mut p = Pretty::new();
    p.field("Type", kind.as_str());
    p.field("MessageId", message_id);
    p.field("Token", token);
    p.field("TopicArn", topic_arn);
    p.field("Message", message);
    p.field("SubscribeURL", subscribe_url);
    p.field("Timestamp", timestamp_text);
    p.field("SignatureVersion", &signature.version);
    p.field("Signature", &signature.signature);
    p.field("SigningCertURL", &signature.cert_url);
    p.finish()
}

/// The event a Lambda function subscribed to a topic is invoked with.
pub fn lambda_event(
    n: &Notification,
    sub: &Subscription,
    base: &str,
    timestamp_text: &str,
    signature: Option<&SignatureFields>,
) -> String {
    let mut sns = Map::new();
    let mut put = |k: &str, v: Value| {
        sns.insert(k.to_owned(), v);
    };
    put("Type", json!("Notification"));
    put("MessageId", json!(n.message_id));
    put("TopicArn", json!(n.topic_arn));
    put(
        "Subject",
        n.subject.as_ref().map_or(Value::Null, |s| json!(s)),
    );
    put("Message", json!(n.message_for(sub.protocol)));
    put("Timestamp", json!(timestamp_text));
    if let Some(sig) = signature {
        put("SignatureVersion", json!(sig.version));
        put("Signature", json!(sig.signature));
        put("SigningCertUrl", json!(sig.cert_url));
    }
    put("UnsubscribeUrl", json!(unsubscribe_url(base, &sub.arn)));
    let attributes = if delivers_attributes(n) {
        attributes_json(n)
    } else {
        Map::new()
    };
    put("MessageAttributes", Value::Object(attributes));
    json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": sub.arn,
        "Sns": Value::Object(sns),
    }]})
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601_with_milliseconds() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(1_704_067_200_123), "2024-01-01T00:00:00.123Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(timestamp(1_335_920_046_655), "2012-05-02T00:54:06.655Z");
    }
}
