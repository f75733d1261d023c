//! One SNS topic: its attributes, tags, access policy, subscriptions and (FIFO) ordering state.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde_json::{json, Value};

use super::delivery_policy::{StoredTopicPolicy, TopicDeliveryPolicy};
use super::error::SnsError;
use super::publish::Delivery;
use super::subscription::Subscription;

/// The FIFO deduplication interval: 5 minutes.
pub const DEDUPLICATION_WINDOW_MS: u64 = 300_000;
/// Most tags a resource may carry.
pub const MAX_TAGS: usize = 50;

/// The actions `AddPermission` accepts.
pub const POLICY_ACTIONS: &[&str] = &[
    "GetTopicAttributes",
    "SetTopicAttributes",
    "AddPermission",
    "RemovePermission",
    "DeleteTopic",
    "Subscribe",
    "ListSubscriptionsByTopic",
    "Publish",
    "Receive",
];

/// Delivery-status logging attributes: stored and returned as given.
const FEEDBACK_ATTRIBUTES: &[&str] = &[
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
];

/// Settable topic attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicAttributes {
    pub display_name: String,
    /// The access policy document, as AWS renders it (compact JSON).
    pub policy: String,
    /// `policy`, parsed once when it is set (cross-account requests evaluate it).
    pub parsed_policy: Option<std::sync::Arc<crate::policy::Policy>>,
    /// The topic's `DeliveryPolicy`: the text as the client set it, and parsed.
    pub delivery_policy: Option<StoredTopicPolicy>,
    pub kms_master_key_id: Option<String>,
    /// `1` (SHA1withRSA, the default) or `2` (SHA256withRSA); `None` until set.
    pub signature_version: Option<String>,
    pub tracing_config: Option<String>,
    pub content_based_deduplication: bool,
    pub archive_policy: Option<String>,
    pub fifo_throughput_scope: Option<String>,
    /// Delivery-status logging attributes.
    pub feedback: BTreeMap<String, String>,
}

impl TopicAttributes {
    /// Stores the topic's access policy and its parsed form.
    pub fn set_policy(&mut self, text: String) {
        self.parsed_policy = crate::policy::Policy::parse_lenient(&text);
        self.policy = text;
    }

    /// The signature version notifications of this topic are signed with.
    pub fn signature_version(&self) -> &str {
        self.signature_version.as_deref().unwrap_or("1")
    }
}

/// The default access policy AWS gives a new topic.
pub fn default_policy(topic_arn: &str, owner: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish"
            ],
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": owner}}
        }]
    })
    .to_string()
}

fn parse_bool(name: &str, value: &str) -> Result<bool, SnsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SnsError::invalid(format!(
            "{name} Reason: Invalid value [{value}] for {name}. Must be true or false."
        ))),
    }
}

/// Applies one attribute as `SetTopicAttributes` (or `CreateTopic`) sets it. `fifo` is the
/// topic's type. `create` selects `CreateTopic`'s wording where AWS's differs
/// (`Attributes Reason: ...`). `FifoTopic` itself is handled by the caller.
pub fn apply_attribute(
    attrs: &mut TopicAttributes,
    fifo: bool,
    name: &str,
    value: &str,
    create: bool,
) -> Result<(), SnsError> {
    match name {
        "DisplayName" => {
            // AWS: up to 100 printable ASCII characters.
            if value.len() > 100 || !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                return Err(SnsError::invalid("DisplayName"));
            }
            attrs.display_name = value.into();
        }
        "Policy" => {
            let parsed: Value = serde_json::from_str(value).map_err(|_| {
                // Best wording: AWS reports its policy parser's message here.
                SnsError::invalid("Policy Error: null")
            })?;
            if !parsed.is_object() {
                return Err(SnsError::invalid("Policy Error: null"));
            }
            attrs.set_policy(value.into());
        }
        "DeliveryPolicy" => {
            attrs.delivery_policy = if value.is_empty() {
                None
            } else {
                Some(StoredTopicPolicy::topic(value).map_err(|e| e.into_sns_error(create))?)
            };
        }
        "KmsMasterKeyId" => {
            attrs.kms_master_key_id = (!value.is_empty()).then(|| value.into());
        }
        "SignatureVersion" => {
            if value != "1" && value != "2" {
                return Err(SnsError::invalid(
                    "SignatureVersion Reason: Invalid value for SignatureVersion: must be 1 or 2",
                ));
            }
            attrs.signature_version = Some(value.into());
        }
        "TracingConfig" => {
            if value != "PassThrough" && value != "Active" {
                return Err(SnsError::invalid(
                    "TracingConfig Reason: Invalid value for TracingConfig: must be PassThrough or Active",
                ));
            }
            attrs.tracing_config = Some(value.into());
        }
        "ContentBasedDeduplication" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics",
                ));
            }
            attrs.content_based_deduplication = parse_bool(name, value)?;
        }
        "ArchivePolicy" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "ArchivePolicy Reason: The archive policy can only be set for FIFO topics.",
                ));
            }
            if value.is_empty() || value == "{}" {
                attrs.archive_policy = None;
            } else {
                let parsed: Value = serde_json::from_str(value)
                    .map_err(|_| SnsError::invalid("ArchivePolicy Reason: failed to parse JSON"))?;
                let days = parsed.get("MessageRetentionPeriod").and_then(|v| {
                    v.as_u64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                });
                match days {
                    Some(1..=365) => attrs.archive_policy = Some(value.into()),
                    _ => {
                        return Err(SnsError::invalid(
                            "ArchivePolicy Reason: MessageRetentionPeriod must be an integer between 1 and 365",
                        ))
                    }
                }
            }
        }
        "FifoThroughputScope" => {
            if !fifo {
                return Err(SnsError::invalid(
                    "FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics",
                ));
            }
            if value != "Topic" && value != "MessageGroup" {
                return Err(SnsError::invalid(
                    "FifoThroughputScope Reason: Invalid value for FifoThroughputScope: must be Topic or MessageGroup",
                ));
            }
            attrs.fifo_throughput_scope = Some(value.into());
        }
        other if FEEDBACK_ATTRIBUTES.contains(&other) => {
            if other.ends_with("SampleRate") {
                let ok = value.parse::<u32>().is_ok_and(|r| r <= 100);
                if !ok {
                    return Err(SnsError::invalid(format!(
                        "Attributes Reason: {other}: must be an integer between 0 and 100"
                    )));
                }
            }
            attrs.feedback.insert(other.into(), value.into());
        }
        _ => return Err(SnsError::invalid("AttributeName")),
    }
    Ok(())
}

/// FIFO ordering state: deduplication ids seen in the last five minutes and the sequence.
#[derive(Default)]
struct FifoState {
    /// dedup id -> (message id, sequence number, expiry).
    seen: HashMap<String, (String, String, u64)>,
    expiries: VecDeque<(u64, String)>,
    sequence: u128,
}

/// What a FIFO publish is, after deduplication.
pub enum FifoOutcome {
    /// New: deliver with this sequence number (its deduplication id is in force until the
    /// given time).
    Fresh(String, u64),
    /// A duplicate within five minutes: answer with the first message's id and sequence.
    Duplicate {
        message_id: String,
        sequence: String,
    },
}

/// One topic.
pub struct Topic {
    name: String,
    arn: String,
    account_id: String,
    region: String,
    fifo: bool,
    pub(crate) attributes: RwLock<TopicAttributes>,
    pub(crate) tags: RwLock<BTreeMap<String, String>>,
    pub(crate) data_protection_policy: RwLock<Option<String>>,
    /// Subscriptions in creation order (the fan-out list).
    pub(crate) subscriptions: RwLock<Vec<Arc<Subscription>>>,
    pub(crate) deleted_subscriptions: AtomicU64,
    fifo_state: Mutex<FifoState>,
    /// A FIFO topic's sequencing lock and the deliveries waiting to be handed on in sequence
    /// order. Held only to sequence one message and queue its deliveries; they are handed on
    /// after it is released (see [`Topic::drain_outbox`]).
    pub(crate) order: Mutex<Outbox>,
    /// A random id, told apart from an earlier topic of the same name in the journal
    /// (`--data-dir`): deduplication ids journaled for a deleted topic never reach a new one.
    pub(crate) uid: u64,
}

/// One FIFO deduplication id in force: (id, message id, sequence number, expiry).
pub(crate) type DedupEntry = (String, String, String, u64);

impl std::fmt::Debug for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topic")
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

impl Topic {
    pub(crate) fn new(
        name: String,
        account_id: String,
        region: String,
        fifo: bool,
        attributes: TopicAttributes,
        tags: BTreeMap<String, String>,
        data_protection_policy: Option<String>,
    ) -> Self {
        Topic {
            arn: super::arn::topic_arn(&region, &account_id, &name),
            name,
            account_id,
            region,
            fifo,
            attributes: RwLock::new(attributes),
            tags: RwLock::new(tags),
            data_protection_policy: RwLock::new(data_protection_policy),
            subscriptions: RwLock::new(Vec::new()),
            deleted_subscriptions: AtomicU64::new(0),
            fifo_state: Mutex::new(FifoState {
                sequence: 10_000_000_000_000_000_000,
                ..FifoState::default()
            }),
            order: Mutex::new(Outbox::default()),
            uid: rand::random(),
        }
    }

    /// The deduplication ids in force at `now` (`--data-dir` checkpoints).
    pub(crate) fn fifo_dedup_ids(&self, now: u64) -> Vec<DedupEntry> {
        let st = self.fifo_state.lock();
        st.seen
            .iter()
            .filter(|(_, e)| e.2 > now)
            .map(|(id, (m, s, at))| (id.clone(), m.clone(), s.clone(), *at))
            .collect()
    }

    /// Restores a journaled deduplication id (if still in force at `now`).
    pub(crate) fn restore_dedup_id(&self, entry: DedupEntry, now: u64) {
        let (id, message_id, seq, expiry) = entry;
        if expiry <= now {
            return;
        }
        let mut st = self.fifo_state.lock();
        st.seen.insert(id.clone(), (message_id, seq, expiry));
        st.expiries.push_back((expiry, id));
        st.expiries.make_contiguous().sort_by_key(|e| e.0);
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn arn(&self) -> &str {
        &self.arn
    }
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    pub fn region(&self) -> &str {
        &self.region
    }
    pub fn is_fifo(&self) -> bool {
        self.fifo
    }

    pub fn attributes(&self) -> TopicAttributes {
        self.attributes.read().clone()
    }

    /// The topic's `DeliveryPolicy`, parsed (what its HTTP/S deliveries start from).
    pub fn delivery_policy(&self) -> Option<TopicDeliveryPolicy> {
        self.attributes
            .read()
            .delivery_policy
            .as_ref()
            .map(|p| p.policy().clone())
    }

    /// The topic's access policy, parsed.
    pub fn access_policy(&self) -> Option<std::sync::Arc<crate::policy::Policy>> {
        self.attributes.read().parsed_policy.clone()
    }

    pub fn tags(&self) -> BTreeMap<String, String> {
        self.tags.read().clone()
    }

    pub fn data_protection_policy(&self) -> Option<String> {
        self.data_protection_policy.read().clone()
    }

    pub fn set_data_protection_policy(&self, policy: &str) {
        *self.data_protection_policy.write() = (!policy.is_empty()).then(|| policy.to_owned());
    }

    /// The subscriptions, in creation order.
    pub fn subscriptions(&self) -> Vec<Arc<Subscription>> {
        self.subscriptions.read().clone()
    }

    /// (confirmed, pending, deleted) subscription counts.
    pub fn subscription_counts(&self) -> (usize, usize, u64) {
        let subs = self.subscriptions.read();
        let pending = subs.iter().filter(|s| s.is_pending()).count();
        (
            subs.len() - pending,
            pending,
            self.deleted_subscriptions.load(Ordering::Relaxed),
        )
    }

    /// The last sequence number handed out (FIFO topics), journaled so that it never goes back.
    pub(crate) fn fifo_sequence(&self) -> u128 {
        self.fifo_state.lock().sequence
    }

    pub(crate) fn set_fifo_sequence(&self, sequence: u128) {
        let mut state = self.fifo_state.lock();
        state.sequence = state.sequence.max(sequence);
    }

    /// `SetTopicAttributes`.
    pub fn set_attribute(&self, name: &str, value: &str) -> Result<(), SnsError> {
        if name == "FifoTopic" {
            return Err(SnsError::invalid("AttributeName"));
        }
        let mut attrs = self.attributes.write();
        let mut next = attrs.clone();
        apply_attribute(&mut next, self.fifo, name, value, false)?;
        *attrs = next;
        Ok(())
    }

    /// `TagResource`: adds or replaces tags, at most [`MAX_TAGS`] in all.
    pub fn tag(&self, tags: &[(String, String)]) -> Result<(), SnsError> {
        validate_tags(tags)?;
        let mut current = self.tags.write();
        let mut next = current.clone();
        next.extend(tags.iter().cloned());
        if next.len() > MAX_TAGS {
            return Err(SnsError::TagLimitExceeded(
                "Could not complete request: tag quota of per resource exceeded".into(),
            ));
        }
        *current = next;
        Ok(())
    }

    /// `UntagResource`.
    pub fn untag(&self, keys: &[String]) {
        let mut tags = self.tags.write();
        for k in keys {
            tags.remove(k);
        }
    }

    /// `AddPermission`: a statement `label` allowing `accounts` the `actions`.
    pub fn add_permission(
        &self,
        label: &str,
        accounts: &[String],
        actions: &[String],
    ) -> Result<(), SnsError> {
        if actions
            .iter()
            .any(|a| !POLICY_ACTIONS.contains(&a.as_str()) && a != "*")
        {
            return Err(SnsError::invalid(
                "Policy statement action out of service scope!",
            ));
        }
        let mut attrs = self.attributes.write();
        let mut policy: Value =
            serde_json::from_str(&attrs.policy).unwrap_or_else(|_| json!({"Statement": []}));
        if !policy["Statement"].is_array() {
            policy["Statement"] = json!([]);
        }
        let statements = policy["Statement"].as_array_mut();
        let Some(statements) = statements else {
            return Err(SnsError::invalid("Policy"));
        };
        if statements.iter().any(|s| s["Sid"] == label) {
            return Err(SnsError::invalid("Statement already exists"));
        }
        let principals: Vec<Value> = accounts
            .iter()
            .map(|a| Value::String(format!("arn:aws:iam::{a}:root")))
            .collect();
        let actions: Vec<Value> = actions
            .iter()
            .map(|a| Value::String(format!("SNS:{a}")))
            .collect();
        let one_or_many = |mut v: Vec<Value>| {
            if v.len() == 1 {
                v.remove(0)
            } else {
                Value::Array(v)
            }
        };
        statements.push(json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(principals)},
            "Action": one_or_many(actions),
            "Resource": self.arn,
        }));
        attrs.set_policy(policy.to_string());
        Ok(())
    }

    /// `RemovePermission`: removes the statement `label`, if any.
    pub fn remove_permission(&self, label: &str) -> Result<(), SnsError> {
        let mut attrs = self.attributes.write();
        let Ok(mut policy) = serde_json::from_str::<Value>(&attrs.policy) else {
            return Ok(());
        };
        if let Some(statements) = policy["Statement"].as_array_mut() {
            statements.retain(|s| s["Sid"] != label);
        }
        attrs.set_policy(policy.to_string());
        Ok(())
    }

    /// FIFO deduplication at time `now`: the message's sequence number, or the original of a
    /// duplicate seen within the last five minutes.
    pub(crate) fn fifo_admit(&self, dedup_id: &str, message_id: &str, now: u64) -> FifoOutcome {
        let mut st = self.fifo_state.lock();
        while let Some((at, _)) = st.expiries.front() {
            if *at > now {
                break;
            }
            if let Some((at, key)) = st.expiries.pop_front() {
                if st.seen.get(&key).is_some_and(|e| e.2 == at) {
                    st.seen.remove(&key);
                }
            }
        }
        if let Some((id, seq, _)) = st.seen.get(dedup_id) {
            return FifoOutcome::Duplicate {
                message_id: id.clone(),
                sequence: seq.clone(),
            };
        }
        st.sequence += 1;
        let seq = format!("{:020}", st.sequence);
        let expiry = now + DEDUPLICATION_WINDOW_MS;
        st.seen.insert(
            dedup_id.to_owned(),
            (message_id.to_owned(), seq.clone(), expiry),
        );
        st.expiries.push_back((expiry, dedup_id.to_owned()));
        FifoOutcome::Fresh(seq, expiry)
    }

    /// Hands on the queued deliveries of this FIFO topic, oldest first, with no lock held
    /// while `hand_on` runs. Only one caller drains at a time (the others leave their batch
    /// to it), so batches leave in sequence order even when publishers race.
    pub(crate) fn drain_outbox(&self, mut hand_on: impl FnMut(Vec<Delivery>)) {
        {
            let mut outbox = self.order.lock();
            if outbox.draining {
                return;
            }
            outbox.draining = true;
        }
        // Clears `draining` however the loop ends (a panicking `hand_on` included), so that
        // the topic never stops delivering.
        struct Draining<'a>(&'a Mutex<Outbox>);
        impl Drop for Draining<'_> {
            fn drop(&mut self) {
                self.0.lock().draining = false;
            }
        }
        let _draining = Draining(&self.order);
        loop {
            let Some(batch) = self.order.lock().batches.pop_front() else {
                return;
            };
            hand_on(batch);
        }
    }
}

/// A FIFO topic's deliveries in sequence order, waiting to be handed on. It only holds what
/// publishers queued while another publisher was handing on earlier batches.
#[derive(Default)]
pub(crate) struct Outbox {
    pub(crate) batches: VecDeque<Vec<Delivery>>,
    draining: bool,
}

/// Tag keys 1-128 characters, values up to 256, no duplicate keys in one request.
pub fn validate_tags(tags: &[(String, String)]) -> Result<(), SnsError> {
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        if !seen.insert(k.as_str()) {
            return Err(SnsError::invalid("Duplicated keys are not allowed."));
        }
        if k.is_empty() || k.chars().count() > 128 {
            return Err(SnsError::invalid(format!(
                "Tag Reason: Invalid tag key length {}, must be between 1 and 128",
                k.chars().count()
            )));
        }
        if v.chars().count() > 256 {
            return Err(SnsError::invalid(format!(
                "Tag Reason: Invalid tag value length {}, must be between 0 and 256",
                v.chars().count()
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(SnsError::TagLimitExceeded(
            "Could not complete request: tag quota of per resource exceeded".into(),
        ));
    }
    Ok(())
}
