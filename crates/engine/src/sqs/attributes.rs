//! Queue attributes: parsing and validating the string map clients send (`CreateQueue`,
//! `SetQueueAttributes`) and rendering them back (`GetQueueAttributes`).

use super::error::SqsError;

/// Every attribute name `GetQueueAttributes` knows, in the order AWS lists them for `All`.
pub const ALL_ATTRIBUTE_NAMES: &[&str] = &[
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "ReceiveMessageWaitTimeSeconds",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Attributes computed by the queue that a client can read but never set.
pub const READ_ONLY_ATTRIBUTE_NAMES: &[&str] = &[
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
];

/// A parsed `RedrivePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// The canonical JSON AWS returns: `{"deadLetterTargetArn":"...","maxReceiveCount":5}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }
}

/// The configurable attributes of a queue, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAttributes {
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub message_retention_period: u32,
    pub receive_message_wait_time_seconds: u32,
    pub visibility_timeout: u32,
    pub policy: Option<String>,
    /// `policy`, parsed once when it is set (every cross-account request and, with
    /// `--enforce-policies`, every service delivery evaluates it).
    pub parsed_policy: Option<std::sync::Arc<crate::policy::Policy>>,
    pub redrive_policy: Option<RedrivePolicy>,
    pub redrive_allow_policy: Option<String>,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: u32,
    pub sqs_managed_sse_enabled: bool,
    /// Fixed when the queue is created.
    pub fifo_queue: bool,
    pub content_based_deduplication: bool,
    /// `messageGroup` or `queue`.
    pub deduplication_scope: String,
    /// `perQueue` or `perMessageGroupId`.
    pub fifo_throughput_limit: String,
}

/// Largest message AWS accepts (and the default `MaximumMessageSize`): 1 MiB.
pub const MAX_MESSAGE_SIZE: u32 = 1_048_576;

impl Default for QueueAttributes {
    fn default() -> Self {
        Self {
            delay_seconds: 0,
            maximum_message_size: MAX_MESSAGE_SIZE,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            visibility_timeout: 30,
            policy: None,
            parsed_policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: 300,
            sqs_managed_sse_enabled: true,
            fifo_queue: false,
            content_based_deduplication: false,
            deduplication_scope: "queue".to_string(),
            fifo_throughput_limit: "perQueue".to_string(),
        }
    }
}

fn parse_int(name: &str, value: &str, min: u32, max: u32) -> Result<u32, SqsError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= i64::from(min) && n <= i64::from(max) => Ok(n as u32),
        _ => Err(SqsError::invalid_attribute_value(name)),
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, SqsError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(SqsError::invalid_attribute_value(name))
    }
}

fn parse_redrive_policy(value: &str) -> Result<Option<RedrivePolicy>, SqsError> {
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = |reason: &str| {
        SqsError::invalid_parameter_value(format!(
            "Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
        ))
    };
    let json: serde_json::Value = serde_json::from_str(value).map_err(|_| {
        SqsError::new(
            "InvalidAttributeValue",
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
        )
    })?;
    let Some(map) = json.as_object() else {
        return Err(SqsError::new(
            "InvalidAttributeValue",
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.",
        ));
    };
    for key in map.keys() {
        if key != "deadLetterTargetArn" && key != "maxReceiveCount" {
            return Err(invalid(&format!("Only following keys are allowed in redrive policy: deadLetterTargetArn, maxReceiveCount. Unknown key: {key}.")));
        }
    }
    let arn = match map.get("deadLetterTargetArn") {
        Some(serde_json::Value::String(s)) => s.clone(),
        None => {
            return Err(invalid(
                "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
            ))
        }
        Some(_) => return Err(invalid("Invalid value for deadLetterTargetArn.")),
    };
    let count = match map.get("maxReceiveCount") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<i64>().ok(),
        None => {
            return Err(invalid(
                "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
            ))
        }
        _ => None,
    };
    let raw_count = map
        .get("maxReceiveCount")
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    match count {
        // AWS rejects a target that is not an SQS queue ARN before looking it up.
        Some(n) if (1..=1000).contains(&n) && !is_sqs_arn(&arn) => {
            Err(invalid("Invalid value for deadLetterTargetArn."))
        }
        Some(n) if (1..=1000).contains(&n) => Ok(Some(RedrivePolicy {
            dead_letter_target_arn: arn,
            max_receive_count: n as u32,
        })),
        _ => Err(invalid(&format!(
            "Invalid value for maxReceiveCount: {raw_count}, valid values are from 1 to 1000 both inclusive."
        ))),
    }
}

/// `arn:{partition}:sqs:{region}:{account}:{name}` with every part present.
fn is_sqs_arn(arn: &str) -> bool {
    crate::arn::parse(arn).is_some_and(|a| a.service == "sqs" && a.is_complete())
}

/// Whether a DLQ's `RedriveAllowPolicy` (as stored: validated JSON) lets `source_arn` use
/// it as its dead-letter queue. No policy allows every queue of the account.
pub fn redrive_allows(policy: Option<&str>, source_arn: &str) -> bool {
    let Some(policy) = policy else { return true };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(policy) else {
        return true;
    };
    match json.get("redrivePermission").and_then(|p| p.as_str()) {
        Some("denyAll") => false,
        Some("byQueue") => json
            .get("sourceQueueArns")
            .and_then(|a| a.as_array())
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}

fn parse_redrive_allow_policy(value: &str) -> Result<Option<String>, SqsError> {
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = |reason: &str| {
        SqsError::invalid_parameter_value(format!(
            "Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}"
        ))
    };
    let json: serde_json::Value = serde_json::from_str(value)
        .map_err(|_| invalid("Redrive allow policy is not a valid JSON map."))?;
    let Some(map) = json.as_object() else {
        return Err(invalid("Redrive allow policy is not a valid JSON map."));
    };
    let permission = match map.get("redrivePermission") {
        Some(serde_json::Value::String(s)) => s.as_str(),
        _ => {
            return Err(invalid(
                "Redrive allow policy does not contain mandatory attribute: redrivePermission.",
            ))
        }
    };
    match permission {
        "allowAll" | "denyAll" => {
            if map.contains_key("sourceQueueArns") {
                return Err(invalid("Only byQueue redrivePermission allows to specify sourceQueueArns."));
            }
        }
        "byQueue" => match map.get("sourceQueueArns") {
            Some(serde_json::Value::Array(arns))
                if !arns.is_empty() && arns.len() <= 10 && arns.iter().all(|a| a.is_string()) => {}
            _ => return Err(invalid("Specify from 1 to 10 source queue ARNs when redrivePermission is byQueue.")),
        },
        other => {
            return Err(invalid(&format!(
                "Invalid value for redrivePermission: {other}. Valid values are allowAll, denyAll, byQueue."
            )))
        }
    }
    Ok(Some(json.to_string()))
}

impl QueueAttributes {
    /// Stores the queue's access policy and its parsed form.
    pub fn set_policy(&mut self, text: Option<String>) {
        self.parsed_policy = text
            .as_deref()
            .and_then(crate::policy::Policy::parse_lenient);
        self.policy = text;
    }

    /// Applies one client-supplied attribute, validating it with AWS's limits and messages.
    pub fn apply(&mut self, name: &str, value: &str) -> Result<(), SqsError> {
        match name {
            "DelaySeconds" => self.delay_seconds = parse_int(name, value, 0, 900)?,
            "MaximumMessageSize" => {
                self.maximum_message_size = parse_int(name, value, 1024, MAX_MESSAGE_SIZE)?
            }
            "MessageRetentionPeriod" => {
                self.message_retention_period = parse_int(name, value, 60, 1_209_600)?
            }
            "ReceiveMessageWaitTimeSeconds" => {
                self.receive_message_wait_time_seconds = parse_int(name, value, 0, 20)?
            }
            "VisibilityTimeout" => self.visibility_timeout = parse_int(name, value, 0, 43_200)?,
            "Policy" => {
                if value.is_empty() {
                    self.set_policy(None);
                } else {
                    match serde_json::from_str::<serde_json::Value>(value) {
                        Ok(serde_json::Value::Object(_)) => {
                            self.set_policy(Some(value.to_string()))
                        }
                        _ => return Err(SqsError::invalid_attribute_value(name)),
                    }
                }
            }
            "RedrivePolicy" => self.redrive_policy = parse_redrive_policy(value)?,
            "RedriveAllowPolicy" => self.redrive_allow_policy = parse_redrive_allow_policy(value)?,
            "KmsMasterKeyId" => {
                self.kms_master_key_id = (!value.is_empty()).then(|| value.to_string());
                if self.kms_master_key_id.is_some() {
                    // SSE-KMS replaces SSE-SQS.
                    self.sqs_managed_sse_enabled = false;
                }
            }
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = parse_int(name, value, 60, 86_400)?
            }
            "SqsManagedSseEnabled" => {
                self.sqs_managed_sse_enabled = parse_bool(name, value)?;
                if self.sqs_managed_sse_enabled {
                    // SSE-SQS replaces SSE-KMS (both in one request is refused in
                    // `with_applied`); a queue never reports both.
                    self.kms_master_key_id = None;
                }
            }
            // The rest, `FifoQueue` included, are valid only on FIFO queues: AWS rejects even
            // `FifoQueue=false` on a standard queue as an unknown attribute, and words the two
            // high-throughput settings differently (as AWS's answers quoted in public issues).
            "DeduplicationScope" | "FifoThroughputLimit" if !self.fifo_queue => {
                return Err(SqsError::new(
                    "InvalidAttributeName",
                    format!("You can specify the {name} only when FifoQueue is set to true."),
                ))
            }
            _ if !self.fifo_queue => return Err(SqsError::unknown_attribute(name)),
            "FifoQueue" => {
                if !parse_bool(name, value)? {
                    return Err(SqsError::new(
                        "InvalidAttributeValue",
                        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                    ));
                }
            }
            "ContentBasedDeduplication" => {
                self.content_based_deduplication = parse_bool(name, value)?
            }
            "DeduplicationScope" => match value {
                "messageGroup" | "queue" => self.deduplication_scope = value.to_string(),
                _ => return Err(SqsError::invalid_attribute_value(name)),
            },
            "FifoThroughputLimit" => match value {
                "perQueue" | "perMessageGroupId" => self.fifo_throughput_limit = value.to_string(),
                _ => return Err(SqsError::invalid_attribute_value(name)),
            },
            _ => return Err(SqsError::unknown_attribute(name)),
        }
        Ok(())
    }

    /// The value `GetQueueAttributes` returns for a configurable attribute, if it has one.
    pub fn get(&self, name: &str) -> Option<String> {
        match name {
            "DelaySeconds" => Some(self.delay_seconds.to_string()),
            "MaximumMessageSize" => Some(self.maximum_message_size.to_string()),
            "MessageRetentionPeriod" => Some(self.message_retention_period.to_string()),
            "ReceiveMessageWaitTimeSeconds" => {
                Some(self.receive_message_wait_time_seconds.to_string())
            }
            "VisibilityTimeout" => Some(self.visibility_timeout.to_string()),
            "Policy" => self.policy.clone(),
            "RedrivePolicy" => self.redrive_policy.as_ref().map(RedrivePolicy::to_json),
            "RedriveAllowPolicy" => self.redrive_allow_policy.clone(),
            "KmsMasterKeyId" => self.kms_master_key_id.clone(),
            "KmsDataKeyReusePeriodSeconds" => self
                .kms_master_key_id
                .as_ref()
                .map(|_| self.kms_data_key_reuse_period_seconds.to_string()),
            "SqsManagedSseEnabled" => Some(self.sqs_managed_sse_enabled.to_string()),
            "FifoQueue" => self.fifo_queue.then(|| "true".to_string()),
            "ContentBasedDeduplication" => self
                .fifo_queue
                .then(|| self.content_based_deduplication.to_string()),
            "DeduplicationScope" => self.fifo_queue.then(|| self.deduplication_scope.clone()),
            "FifoThroughputLimit" => self.fifo_queue.then(|| self.fifo_throughput_limit.clone()),
            _ => None,
        }
    }

    /// Defaults of a FIFO queue.
    pub fn fifo() -> Self {
        Self {
            fifo_queue: true,
            ..Self::default()
        }
    }

    /// Validates and applies a whole attribute map, all or nothing.
    pub fn with_applied<'a>(
        &self,
        attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SqsError> {
        let mut next = self.clone();
        let (mut kms_key, mut sqs_sse) = (false, false);
        for (name, value) in attrs {
            if READ_ONLY_ATTRIBUTE_NAMES.contains(&name) {
                return Err(SqsError::unknown_attribute(name));
            }
            next.apply(name, value)?;
            match name {
                "KmsMasterKeyId" => kms_key = !value.is_empty(),
                "SqsManagedSseEnabled" => sqs_sse = next.sqs_managed_sse_enabled,
                _ => {}
            }
        }
        // Asking for both kinds of encryption in one request is an error on AWS, whatever the
        // order (applying them one after the other would silently keep both).
        if kms_key && sqs_sse {
            return Err(SqsError::new(
                "InvalidAttributeName",
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
            ));
        }
        // AWS documents that perMessageGroupId is allowed only with a messageGroup
        // deduplication scope (high-throughput FIFO). The wording is ours: no public recording
        // of AWS's answer.
        if next.fifo_throughput_limit == "perMessageGroupId"
            && next.deduplication_scope != "messageGroup"
        {
            return Err(SqsError::invalid_parameter_value(
                "Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.",
            ));
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_enforced() {
        let a = QueueAttributes::default();
        assert_eq!(
            a.with_applied([("DelaySeconds", "901")]).unwrap_err(),
            SqsError::new(
                "InvalidAttributeValue",
                "Invalid value for the parameter DelaySeconds."
            )
        );
        assert!(a.with_applied([("MaximumMessageSize", "1048576")]).is_ok());
        assert!(a.with_applied([("MaximumMessageSize", "1048577")]).is_err());
        assert!(a.with_applied([("MaximumMessageSize", "1023")]).is_err());
        assert!(a.with_applied([("MessageRetentionPeriod", "59")]).is_err());
        assert!(a.with_applied([("VisibilityTimeout", "abc")]).is_err());
        assert_eq!(
            a.with_applied([("Foo", "1")]).unwrap_err().message,
            "Unknown Attribute Foo."
        );
        assert_eq!(
            a.with_applied([("QueueArn", "x")]).unwrap_err().code,
            "InvalidAttributeName"
        );
    }

    #[test]
    fn per_message_group_throughput_needs_message_group_deduplication() {
        let fifo = QueueAttributes::fifo();
        let err = fifo
            .with_applied([("FifoThroughputLimit", "perMessageGroupId")])
            .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        let high = fifo
            .with_applied([
                ("FifoThroughputLimit", "perMessageGroupId"),
                ("DeduplicationScope", "messageGroup"),
            ])
            .unwrap();
        assert_eq!(high.fifo_throughput_limit, "perMessageGroupId");
        // Going back to queue scope while the limit is per group is refused too.
        assert!(high
            .with_applied([("DeduplicationScope", "queue")])
            .is_err());
    }

    #[test]
    fn redrive_policy_is_normalised() {
        let a = QueueAttributes::default()
            .with_applied([(
                "RedrivePolicy",
                r#"{"maxReceiveCount":"5","deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq"}"#,
            )])
            .unwrap();
        assert_eq!(
            a.get("RedrivePolicy").unwrap(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":5}"#
        );
        let e = QueueAttributes::default()
            .with_applied([(
                "RedrivePolicy",
                r#"{"deadLetterTargetArn":"a","maxReceiveCount":0}"#,
            )])
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.ends_with("Reason: Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive."));
        assert_eq!(
            QueueAttributes::default()
                .with_applied([("RedrivePolicy", "nope")])
                .unwrap_err()
                .code,
            "InvalidAttributeValue"
        );
        let raw = r#"{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}"#;
        assert_eq!(
            QueueAttributes::default()
                .with_applied([("RedrivePolicy", raw)])
                .unwrap_err()
                .message,
            format!("Value {raw} for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.")
        );
    }

    #[test]
    fn sse_kinds_are_exclusive_in_either_order() {
        let a = QueueAttributes::default();
        for attrs in [
            [("KmsMasterKeyId", "k"), ("SqsManagedSseEnabled", "true")],
            [("SqsManagedSseEnabled", "true"), ("KmsMasterKeyId", "k")],
        ] {
            assert_eq!(
                a.with_applied(attrs).unwrap_err().code,
                "InvalidAttributeName"
            );
        }
        let kms = a
            .with_applied([("KmsMasterKeyId", "k"), ("SqsManagedSseEnabled", "false")])
            .unwrap();
        assert!(!kms.sqs_managed_sse_enabled);
        // Switching to SSE-SQS later drops the KMS key.
        let sqs = kms
            .with_applied([("SqsManagedSseEnabled", "true")])
            .unwrap();
        assert_eq!(sqs.get("KmsMasterKeyId"), None);
        assert_eq!(sqs.get("KmsDataKeyReusePeriodSeconds"), None);
        assert_eq!(sqs.get("SqsManagedSseEnabled").as_deref(), Some("true"));
    }

    #[test]
    fn fifo_only_attributes_on_a_standard_queue() {
        let standard = QueueAttributes::default();
        assert_eq!(
            standard
                .with_applied([("ContentBasedDeduplication", "true")])
                .unwrap_err(),
            SqsError::unknown_attribute("ContentBasedDeduplication")
        );
        for (name, value) in [
            ("DeduplicationScope", "messageGroup"),
            ("FifoThroughputLimit", "perQueue"),
        ] {
            assert_eq!(
                standard.with_applied([(name, value)]).unwrap_err(),
                SqsError::new(
                    "InvalidAttributeName",
                    format!("You can specify the {name} only when FifoQueue is set to true.")
                )
            );
        }
    }

    #[test]
    fn fifo_queue_attribute() {
        let standard = QueueAttributes::default();
        for v in ["true", "false"] {
            assert_eq!(
                standard.with_applied([("FifoQueue", v)]).unwrap_err(),
                SqsError::unknown_attribute("FifoQueue")
            );
        }
        let fifo = QueueAttributes::fifo();
        assert!(fifo.with_applied([("FifoQueue", "true")]).is_ok());
        assert!(fifo
            .with_applied([("FifoQueue", "false")])
            .unwrap_err()
            .message
            .ends_with("Reason: Modifying queue type is not supported."));
    }
}
