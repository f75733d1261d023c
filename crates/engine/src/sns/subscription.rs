//! One subscription: where a topic's messages go, and how (filter, raw delivery, policies).

use std::sync::atomic::{AtomicBool, Ordering};

use ferrybridge_pattern::{FilterPolicy, FilterPolicyScope};
use parking_lot::RwLock;
use serde_json::Value;

use super::delivery_policy::{StoredSubscriptionPolicy, SubscriptionDeliveryPolicy};
use super::error::SnsError;

/// The delivery protocols SNS knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Https,
    Email,
    EmailJson,
    Sms,
    Sqs,
    Application,
    Lambda,
    Firehose,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Protocol> {
        Some(match s {
            "http" => Protocol::Http,
            "https" => Protocol::Https,
            "email" => Protocol::Email,
            "email-json" => Protocol::EmailJson,
            "sms" => Protocol::Sms,
            "sqs" => Protocol::Sqs,
            "application" => Protocol::Application,
            "lambda" => Protocol::Lambda,
            "firehose" => Protocol::Firehose,
            _ => return None,
        })
    }

    /// The protocol string, also the key of a `MessageStructure=json` message.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Email => "email",
            Protocol::EmailJson => "email-json",
            Protocol::Sms => "sms",
            Protocol::Sqs => "sqs",
            Protocol::Application => "application",
            Protocol::Lambda => "lambda",
            Protocol::Firehose => "firehose",
        }
    }

    /// Whether `RawMessageDelivery` applies to this protocol.
    pub fn supports_raw(self) -> bool {
        matches!(
            self,
            Protocol::Http | Protocol::Https | Protocol::Sqs | Protocol::Firehose
        )
    }

    /// Whether a new subscription waits for the endpoint to confirm it.
    pub fn needs_confirmation(self) -> bool {
        matches!(
            self,
            Protocol::Http | Protocol::Https | Protocol::Email | Protocol::EmailJson
        )
    }

    /// Whether subscription attributes include `EffectiveDeliveryPolicy`.
    pub fn is_http(self) -> bool {
        matches!(self, Protocol::Http | Protocol::Https)
    }
}

/// The names `Subscribe` and `SetSubscriptionAttributes` accept.
pub const ATTRIBUTE_NAMES: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// A subscription's mutable settings.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionSettings {
    pub raw_message_delivery: bool,
    /// The policy text as set, and its compiled form.
    pub filter_policy: Option<(String, FilterPolicy)>,
    /// `None` until set (AWS then reports it only alongside a filter policy).
    pub filter_policy_scope: Option<FilterPolicyScope>,
    /// The `DeliveryPolicy`: the text as set, and parsed.
    pub delivery_policy: Option<StoredSubscriptionPolicy>,
    pub redrive_policy: Option<String>,
    /// The DLQ ARN of `redrive_policy`.
    pub dead_letter_target_arn: Option<String>,
    pub subscription_role_arn: Option<String>,
    pub replay_policy: Option<String>,
}

impl SubscriptionSettings {
    pub fn scope(&self) -> FilterPolicyScope {
        self.filter_policy_scope.unwrap_or_default()
    }
}

/// Applies one attribute to `s` for `protocol`. `subscribe` selects AWS's wording for
/// `Subscribe` (`Invalid parameter: Attributes Reason: ...`).
pub fn apply_attribute(
    s: &mut SubscriptionSettings,
    protocol: Protocol,
    topic_fifo: bool,
    name: &str,
    value: &str,
    subscribe: bool,
) -> Result<(), SnsError> {
    let prefix = if subscribe { "Attributes Reason: " } else { "" };
    match name {
        "RawMessageDelivery" => {
            let raw = match value.to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(SnsError::invalid(format!(
                    "{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )))
                }
            };
            if raw && !protocol.supports_raw() {
                return Err(SnsError::invalid(format!(
                    "Delivery protocol [{}] does not support raw message delivery.",
                    protocol.as_str()
                )));
            }
            s.raw_message_delivery = raw;
        }
        "FilterPolicy" => {
            if value.trim().is_empty() {
                s.filter_policy = None;
            } else {
                let policy = FilterPolicy::parse(value, s.scope()).map_err(|e| {
                    SnsError::InvalidParameter(if subscribe {
                        e.subscribe_message()
                    } else {
                        e.to_string()
                    })
                })?;
                s.filter_policy = Some((value.to_owned(), policy));
            }
        }
        "FilterPolicyScope" => {
            let scope = FilterPolicyScope::from_attribute(value).ok_or_else(|| {
                SnsError::invalid(format!(
                    "{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
                ))
            })?;
            // The policy in place must be valid for the new scope.
            if let Some((text, _)) = &s.filter_policy {
                let policy = FilterPolicy::parse(text, scope).map_err(|e| {
                    SnsError::InvalidParameter(if subscribe {
                        e.subscribe_message()
                    } else {
                        e.to_string()
                    })
                })?;
                s.filter_policy = Some((text.clone(), policy));
            }
            s.filter_policy_scope = Some(scope);
        }
        "RedrivePolicy" => {
            if value.trim().is_empty() {
                s.redrive_policy = None;
                s.dead_letter_target_arn = None;
                return Ok(());
            }
            let parsed: Value = serde_json::from_str(value).map_err(|_| {
                SnsError::invalid(format!("{prefix}RedrivePolicy: failed to parse JSON."))
            })?;
            let target = parsed
                .get("deadLetterTargetArn")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(arn) = super::arn::parse(target).filter(|a| a.service == "sqs") else {
                return Err(SnsError::invalid(format!(
                    "{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn"
                )));
            };
            if topic_fifo && !arn.resource.ends_with(".fifo") {
                return Err(SnsError::invalid(format!(
                    "{prefix}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
                )));
            }
            s.dead_letter_target_arn = Some(target.to_owned());
            s.redrive_policy = Some(value.to_owned());
        }
        "DeliveryPolicy" => {
            // Only the empty string removes it: blanks are a policy that fails to parse.
            s.delivery_policy = if value.is_empty() {
                None
            } else {
                Some(
                    StoredSubscriptionPolicy::subscription(value)
                        .map_err(|e| e.into_sns_error(subscribe))?,
                )
            };
        }
        "SubscriptionRoleArn" => {
            if protocol != Protocol::Firehose {
                return Err(SnsError::invalid(format!(
                    "{prefix}SubscriptionRoleArn: only applies to firehose subscriptions"
                )));
            }
            s.subscription_role_arn = Some(value.to_owned());
        }
        "ReplayPolicy" => {
            if !topic_fifo {
                return Err(SnsError::invalid(format!(
                    "{prefix}ReplayPolicy: Replay is only supported for FIFO topics"
                )));
            }
            s.replay_policy = (!value.trim().is_empty()).then(|| value.to_owned());
        }
        _ => return Err(SnsError::invalid(format!("{prefix}AttributeName"))),
    }
    Ok(())
}

/// One subscription.
#[derive(Debug)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub owner: String,
    /// The identity ARN of the caller of `Subscribe` (`SubscriptionPrincipal`).
    pub principal: String,
    pub protocol: Protocol,
    pub endpoint: String,
    /// The confirmation token sent to the endpoint (http/https/email).
    pub token: String,
    pending: AtomicBool,
    authenticated: AtomicBool,
    deleted: AtomicBool,
    pub(crate) settings: RwLock<SubscriptionSettings>,
}

impl Subscription {
    /// `(owner, principal)`: the subscriber's account and identity ARN.
    pub(crate) fn new(
        arn: String,
        topic_arn: String,
        (owner, principal): (String, String),
        protocol: Protocol,
        endpoint: String,
        token: String,
        settings: SubscriptionSettings,
    ) -> Self {
        let pending = protocol.needs_confirmation();
        Subscription {
            arn,
            topic_arn,
            owner,
            principal,
            protocol,
            endpoint,
            token,
            pending: AtomicBool::new(pending),
            authenticated: AtomicBool::new(!pending),
            deleted: AtomicBool::new(false),
            settings: RwLock::new(settings),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    pub fn confirmation_was_authenticated(&self) -> bool {
        self.authenticated.load(Ordering::Acquire)
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    pub(crate) fn confirm(&self, authenticated: bool) {
        self.pending.store(false, Ordering::Release);
        self.authenticated.store(authenticated, Ordering::Release);
    }

    /// Restored from the journal: its confirmation state as it was.
    pub(crate) fn restore_confirmation(&self, pending: bool, authenticated: bool) {
        self.pending.store(pending, Ordering::Release);
        self.authenticated.store(authenticated, Ordering::Release);
    }

    pub(crate) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::Release);
    }

    pub(crate) fn mark_restored(&self) {
        self.deleted.store(false, Ordering::Release);
    }

    pub fn settings(&self) -> SubscriptionSettings {
        self.settings.read().clone()
    }

    pub fn raw_message_delivery(&self) -> bool {
        self.settings.read().raw_message_delivery
    }

    /// The subscription's own `DeliveryPolicy`, parsed.
    pub fn delivery_policy(&self) -> Option<SubscriptionDeliveryPolicy> {
        self.settings
            .read()
            .delivery_policy
            .as_ref()
            .map(|p| p.policy().clone())
    }

    /// The DLQ of the subscription's `RedrivePolicy`, if any.
    pub fn dead_letter_target_arn(&self) -> Option<String> {
        self.settings.read().dead_letter_target_arn.clone()
    }

    /// Whether a message with this (protocol-specific) body and attributes passes the filter.
    pub fn accepts<'a>(
        &self,
        body: &str,
        attributes: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> bool {
        let settings = self.settings.read();
        match &settings.filter_policy {
            None => true,
            Some((_, policy)) => policy.matches_message(body, attributes),
        }
    }

    /// `SetSubscriptionAttributes`.
    pub fn set_attribute(&self, topic_fifo: bool, name: &str, value: &str) -> Result<(), SnsError> {
        let mut settings = self.settings.write();
        let mut next = settings.clone();
        apply_attribute(&mut next, self.protocol, topic_fifo, name, value, false)?;
        *settings = next;
        Ok(())
    }

    /// The ARN as listings show it: `PendingConfirmation` until confirmed.
    pub fn listed_arn(&self) -> &str {
        if self.is_pending() {
            "PendingConfirmation"
        } else {
            &self.arn
        }
    }
}
