//! Whether a service delivery (SNS -> SQS, EventBridge -> SQS, EventBridge -> SNS) may go into
//! its target, by the target's resource policy, as AWS decides it.
//!
//! On AWS a topic can deliver into a queue only if the queue's policy allows
//! `sns.amazonaws.com` `sqs:SendMessage` (usually with an `aws:SourceArn` condition naming the
//! topic), even when topic and queue are in one account; EventBridge likewise needs
//! `events.amazonaws.com` in the queue's or topic's policy (SNS Developer Guide, "Subscribing
//! an Amazon SQS queue to an Amazon SNS topic"; EventBridge User Guide, "Using resource-based
//! policies for Amazon EventBridge", SQS and SNS permissions).
//!
//! Most local set-ups omit these policies, so the gate only refuses when `--enforce-policies`
//! is on. Off (the default), it lets the delivery through and logs a warning, once per
//! subscription or target, that AWS would refuse it. The set of subscriptions/targets already
//! warned about is bounded ([`MAX_WARNED`]): when full it starts over (a warning may then be
//! repeated, memory never grows).

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use ferrybridge_engine::policy::{self, Decision, Policy, Principal, Request};

/// Most subscriptions/targets remembered as already warned about.
pub const MAX_WARNED: usize = 4096;

/// One delivery to authorize.
pub struct Delivery<'a> {
    /// `sns.amazonaws.com` or `events.amazonaws.com`.
    pub service: &'a str,
    /// `sqs:SendMessage` or `sns:Publish`.
    pub action: &'a str,
    /// The target's ARN and owner account.
    pub resource: &'a str,
    pub owner: &'a str,
    /// `aws:SourceArn` (the topic or rule) and `aws:SourceAccount` (its account).
    pub source_arn: &'a str,
    pub source_account: &'a str,
    /// What the warning is remembered by (the subscription or rule target), in parts that
    /// are joined only for the warning: every delivery passes here.
    pub key: &'a [&'a str],
}

/// The gate: enforcing or warning.
#[derive(Debug, Default)]
pub struct PolicyGate {
    enforce: AtomicBool,
    /// Hashes of the keys warned about (a collision only drops a repeated warning).
    warned: Mutex<HashSet<u64>>,
    hasher: RandomState,
}

impl PolicyGate {
    pub fn new(enforce: bool) -> Self {
        PolicyGate {
            enforce: AtomicBool::new(enforce),
            warned: Mutex::new(HashSet::new()),
            hasher: RandomState::new(),
        }
    }

    pub fn set_enforce(&self, on: bool) {
        self.enforce.store(on, Ordering::Relaxed);
    }

    pub fn enforcing(&self) -> bool {
        self.enforce.load(Ordering::Relaxed)
    }

    /// The decision of `policy` (the target's, `None` if it has none) on `d`.
    pub fn decide(policy: Option<&Policy>, d: &Delivery<'_>) -> Decision {
        let context = [
            ("aws:SourceArn", d.source_arn),
            ("aws:SourceAccount", d.source_account),
        ];
        let req = Request {
            principal: Principal::Service(d.service),
            action: d.action,
            resource: d.resource,
            context: &context,
        };
        policy::authorize(policy, d.owner, &req)
    }

    /// Whether the delivery may proceed: `Ok` when the policy allows it or the gate only
    /// warns; `Err(decision)` when enforcing and the policy does not allow it.
    pub fn admit(&self, policy: Option<&Policy>, d: &Delivery<'_>) -> Result<(), Decision> {
        let decision = Self::decide(policy, d);
        if decision == Decision::Allow {
            return Ok(());
        }
        if self.enforcing() {
            return Err(decision);
        }
        let key = self.hasher.hash_one(d.key);
        let first = {
            let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
            if warned.contains(&key) {
                false
            } else {
                if warned.len() >= MAX_WARNED {
                    warned.clear();
                }
                warned.insert(key);
                true
            }
        };
        if first {
            tracing::warn!(
                target: "ferrybridge::policy",
                delivery = %d.key.concat(),
                principal = d.service,
                action = d.action,
                resource = d.resource,
                source_arn = d.source_arn,
                "AWS would refuse this delivery: the target's resource policy does not allow {} {} from {} (delivered anyway; --enforce-policies refuses it as AWS does)",
                d.service,
                d.action,
                d.source_arn,
            );
        }
        Ok(())
    }

    /// How many deliveries are remembered as warned about (for tests).
    pub fn warned_len(&self) -> usize {
        self.warned.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery<'a>(key: &'a [&'a str]) -> Delivery<'a> {
        Delivery {
            service: "sns.amazonaws.com",
            action: "sqs:SendMessage",
            resource: "arn:aws:sqs:us-east-1:111111111111:q",
            owner: "111111111111",
            source_arn: "arn:aws:sns:us-east-1:111111111111:t",
            source_account: "111111111111",
            key,
        }
    }

    #[test]
    fn enforcing_refuses_without_policy_and_admits_with_one() {
        let gate = PolicyGate::new(true);
        assert_eq!(
            gate.admit(None, &delivery(&["s"])),
            Err(Decision::ImplicitDeny)
        );
        let policy = Policy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},
            "Action":"sqs:SendMessage","Resource":"*",
            "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:t"}}}]}"#,
        )
        .unwrap();
        assert_eq!(gate.admit(Some(&policy), &delivery(&["s"])), Ok(()));
    }

    #[test]
    fn warning_mode_admits_and_remembers_boundedly() {
        let gate = PolicyGate::new(false);
        for i in 0..(MAX_WARNED + 10) {
            assert_eq!(gate.admit(None, &delivery(&[&format!("sub-{i}")])), Ok(()));
        }
        assert!(gate.warned_len() <= MAX_WARNED);
        let before = gate.warned_len();
        assert_eq!(
            gate.admit(None, &delivery(&[&format!("sub-{}", MAX_WARNED + 9)])),
            Ok(())
        );
        assert_eq!(
            gate.warned_len(),
            before,
            "already warned: not remembered twice"
        );
    }
}
