//! SNS state in the journal (`--data-dir`). See [`crate::persist`] and docs/persistence.md.
//!
//! SNS state is configuration (topics, subscriptions, platform applications and endpoints, SMS
//! settings), small next to SQS messages and changed rarely, so it is journaled as one
//! *image*: after a request changed SNS state, [`SnsEngine::journal_state`] writes the whole
//! state as one `SNS_STATE` record, and replay keeps the last one. Images are taken and
//! appended under one mutex (`journal_order`), so the last image in the journal is never older
//! than a change that was acknowledged: every change is followed by an image taken after it.
//!
//! `SNS_STATE` body: count of regions, then per region: account region, topics (name fifo
//! attributes tags data-protection-policy fifo-sequence subscriptions), platform applications,
//! platform endpoints, SMS attributes, opted-out numbers, sandbox numbers. Subscriptions carry
//! their ARN, owner, principal, protocol, endpoint, confirmation token, confirmation state and
//! their settings as the attribute strings that set them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::delivery_policy::{StoredPolicy, StoredTopicPolicy};
use super::mobile::{PlatformApplication, PlatformEndpoint, SandboxNumber, SmsState};
use super::subscription::{self, Protocol, Subscription, SubscriptionSettings};
use super::topic::{Topic, TopicAttributes};
use super::{Region, SnsEngine};
use crate::persist::{self, kind, Dec, Enc};

fn map(e: &mut Enc, m: &BTreeMap<String, String>) {
    e.u32(m.len() as u32);
    for (k, v) in m {
        e.str(k).str(v);
    }
}

fn read_map(d: &mut Dec) -> Result<BTreeMap<String, String>, String> {
    let n = d.u32()?;
    let mut m = BTreeMap::new();
    for _ in 0..n {
        let k = d.str()?.to_string();
        m.insert(k, d.str()?.to_string());
    }
    Ok(m)
}

fn opt(d: &mut Dec) -> Result<Option<String>, String> {
    Ok(d.opt_str()?.map(str::to_string))
}

fn encode_attributes(e: &mut Enc, a: &TopicAttributes) {
    e.str(&a.display_name)
        .str(&a.policy)
        .opt_str(a.delivery_policy.as_ref().map(StoredPolicy::text))
        .opt_str(a.kms_master_key_id.as_deref())
        .opt_str(a.signature_version.as_deref())
        .opt_str(a.tracing_config.as_deref())
        .u8(a.content_based_deduplication as u8)
        .opt_str(a.archive_policy.as_deref())
        .opt_str(a.fifo_throughput_scope.as_deref());
    map(e, &a.feedback);
}

fn decode_attributes(d: &mut Dec) -> Result<TopicAttributes, String> {
    let display_name = d.str()?.to_string();
    let policy = d.str()?.to_string();
    // The text is the source of truth: the parsed policy is made again from it.
    let delivery_policy = opt(d)?
        .map(|text| StoredTopicPolicy::topic(&text))
        .transpose()
        .map_err(|e| format!("topic DeliveryPolicy: {e}"))?;
    let mut a = TopicAttributes {
        display_name,
        delivery_policy,
        kms_master_key_id: opt(d)?,
        signature_version: opt(d)?,
        tracing_config: opt(d)?,
        content_based_deduplication: d.u8()? == 1,
        archive_policy: opt(d)?,
        fifo_throughput_scope: opt(d)?,
        feedback: read_map(d)?,
        ..TopicAttributes::default()
    };
    a.set_policy(policy);
    Ok(a)
}

/// A subscription's settings as the attributes that set them, scope first.
fn settings_attributes(s: &SubscriptionSettings) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(scope) = s.filter_policy_scope {
        out.push(("FilterPolicyScope", scope.as_str().to_string()));
    }
    if let Some((text, _)) = &s.filter_policy {
        out.push(("FilterPolicy", text.clone()));
    }
    if s.raw_message_delivery {
        out.push(("RawMessageDelivery", "true".to_string()));
    }
    if let Some(policy) = &s.delivery_policy {
        out.push(("DeliveryPolicy", policy.text().to_owned()));
    }
    let optional = [
        ("RedrivePolicy", &s.redrive_policy),
        ("SubscriptionRoleArn", &s.subscription_role_arn),
        ("ReplayPolicy", &s.replay_policy),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            out.push((name, v.clone()));
        }
    }
    out
}

fn encode_subscription(e: &mut Enc, s: &Subscription) {
    e.str(&s.arn)
        .str(&s.owner)
        .str(&s.principal)
        .str(s.protocol.as_str())
        .str(&s.endpoint)
        .str(&s.token)
        .u8(s.is_pending() as u8)
        .u8(s.confirmation_was_authenticated() as u8);
    let attrs = settings_attributes(&s.settings.read());
    e.u32(attrs.len() as u32);
    for (k, v) in attrs {
        e.str(k).str(&v);
    }
}

fn decode_subscription(d: &mut Dec, topic: &Topic) -> Result<Subscription, String> {
    let arn = d.str()?.to_string();
    let owner = d.str()?.to_string();
    let principal = d.str()?.to_string();
    let protocol_text = d.str()?;
    let protocol =
        Protocol::parse(protocol_text).ok_or_else(|| format!("bad protocol {protocol_text}"))?;
    let endpoint = d.str()?.to_string();
    let token = d.str()?.to_string();
    let pending = d.u8()? == 1;
    let authenticated = d.u8()? == 1;
    let n = d.u32()?;
    let mut settings = SubscriptionSettings::default();
    for _ in 0..n {
        let name = d.str()?;
        let value = d.str()?;
        subscription::apply_attribute(&mut settings, protocol, topic.is_fifo(), name, value, false)
            .map_err(|e| format!("subscription {arn}: attribute {name}: {e:?}"))?;
    }
    let sub = Subscription::new(
        arn,
        topic.arn().to_owned(),
        (owner, principal),
        protocol,
        endpoint,
        token,
        settings,
    );
    sub.restore_confirmation(pending, authenticated);
    Ok(sub)
}

impl SnsEngine {
    /// Encodes the whole SNS state (see the module doc).
    fn encode_state(&self) -> Vec<u8> {
        let regions: Vec<((String, String), Arc<Region>)> = {
            let regions = self.regions.read();
            let mut all: Vec<_> = regions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all
        };
        let mut e = Enc::default();
        e.u32(regions.len() as u32);
        for ((account, region), r) in regions {
            e.str(&account).str(&region);
            let topics: Vec<Arc<Topic>> = r.topics.read().values().cloned().collect();
            e.u32(topics.len() as u32);
            for t in topics {
                e.str(t.name()).u8(t.is_fifo() as u8);
                encode_attributes(&mut e, &t.attributes.read());
                map(&mut e, &t.tags.read());
                e.opt_str(t.data_protection_policy.read().as_deref())
                    .u128(t.fifo_sequence());
                let subs = t.subscriptions();
                e.u32(subs.len() as u32);
                for s in subs {
                    encode_subscription(&mut e, &s);
                }
            }
            let apps: Vec<PlatformApplication> = r.applications.read().values().cloned().collect();
            e.u32(apps.len() as u32);
            for a in apps {
                e.str(&a.arn).str(&a.platform).str(&a.name);
                map(&mut e, &a.attributes);
                map(&mut e, &a.credentials);
            }
            let endpoints: Vec<PlatformEndpoint> = r.endpoints.read().values().cloned().collect();
            e.u32(endpoints.len() as u32);
            for p in endpoints {
                e.str(&p.arn).str(&p.application_arn);
                map(&mut e, &p.attributes);
            }
            let sms = r.sms.lock();
            map(&mut e, &sms.attributes);
            e.u32(sms.opted_out.len() as u32);
            for n in &sms.opted_out {
                e.str(n);
            }
            e.u32(sms.sandbox.len() as u32);
            for (n, s) in &sms.sandbox {
                e.str(n).u8(s.verified as u8).str(&s.one_time_password);
            }
        }
        e.0
    }

    /// Journals the whole SNS state (after a change; at a checkpoint). A no-op without
    /// `--data-dir`. Takes the state's locks one at a time, then the journal's (a leaf).
    pub fn journal_state(&self) {
        let Some(j) = &self.journal else { return };
        let _order = self.journal_order.lock();
        let body = self.encode_state();
        let mut buf = Vec::with_capacity(body.len() + 16);
        persist::frame(&mut buf, kind::SNS_STATE, &body);
        persist::append(&**j, &buf);
    }

    /// Replaces the state with a journaled image (`SNS_STATE`); `Ok(false)` for another kind.
    pub fn replay(&self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        if record_kind != kind::SNS_STATE {
            return Ok(false);
        }
        let mut d = Dec(data);
        let mut regions = std::collections::HashMap::new();
        for _ in 0..d.u32()? {
            let account = d.str()?.to_string();
            let region = d.str()?.to_string();
            let r = Region::default();
            for _ in 0..d.u32()? {
                let name = d.str()?.to_string();
                let fifo = d.u8()? == 1;
                let attributes = decode_attributes(&mut d)?;
                let tags = read_map(&mut d)?;
                let dpp = opt(&mut d)?;
                let sequence = d.u128()?;
                let topic = Arc::new(Topic::new(
                    name,
                    account.clone(),
                    region.clone(),
                    fifo,
                    attributes,
                    tags,
                    dpp,
                ));
                // Sequence numbers never go back: those handed out after the image was taken
                // are below this floor unless more than 1,000 were published per millisecond.
                let floor =
                    10_000_000_000_000_000_000u128 + u128::from(self.clock.now_millis()) * 1000;
                topic.set_fifo_sequence(sequence.max(floor));
                for _ in 0..d.u32()? {
                    let sub = Arc::new(decode_subscription(&mut d, &topic)?);
                    topic.subscriptions.write().push(sub.clone());
                    r.index(&sub);
                }
                r.topics.write().insert(topic.arn().to_owned(), topic);
            }
            for _ in 0..d.u32()? {
                let app = PlatformApplication {
                    arn: d.str()?.to_string(),
                    platform: d.str()?.to_string(),
                    name: d.str()?.to_string(),
                    attributes: read_map(&mut d)?,
                    credentials: read_map(&mut d)?,
                };
                r.applications.write().insert(app.arn.clone(), app);
            }
            for _ in 0..d.u32()? {
                let p = PlatformEndpoint {
                    arn: d.str()?.to_string(),
                    application_arn: d.str()?.to_string(),
                    attributes: read_map(&mut d)?,
                };
                r.endpoints.write().insert(p.arn.clone(), p);
            }
            let mut sms = SmsState {
                attributes: read_map(&mut d)?,
                ..SmsState::default()
            };
            for _ in 0..d.u32()? {
                sms.opted_out.insert(d.str()?.to_string());
            }
            for _ in 0..d.u32()? {
                let number = d.str()?.to_string();
                let verified = d.u8()? == 1;
                let one_time_password = d.str()?.to_string();
                sms.sandbox.insert(
                    number,
                    SandboxNumber {
                        verified,
                        one_time_password,
                    },
                );
            }
            *r.sms.lock() = sms;
            regions.insert((account, region), Arc::new(r));
        }
        *self.regions.write() = regions;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;

    use parking_lot::Mutex;

    use super::*;
    use crate::clock::ManualClock;
    use crate::persist::Journal;

    /// A journal that keeps the records in memory.
    #[derive(Default)]
    struct Memory(Mutex<Vec<u8>>);

    impl Journal for Memory {
        fn append(&self, framed: &[u8]) -> u64 {
            self.0.lock().extend_from_slice(framed);
            1
        }
        fn wait(&self, _: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
            Box::pin(async { Ok(()) })
        }
    }

    /// Replays every record of `bytes` into a new engine.
    fn restored(bytes: &[u8]) -> SnsEngine {
        let e = SnsEngine::new(Arc::new(ManualClock::default()));
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let kind = bytes[at + 4];
            assert!(e.replay(kind, &bytes[at + 9..at + 9 + len]).unwrap());
            at += 9 + len;
        }
        e
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_restored_engine_has_the_same_topics_subscriptions_and_mobile_state() {
        let journal = Arc::new(Memory::default());
        let mut a = SnsEngine::new(Arc::new(ManualClock::default()));
        a.set_journal(journal.clone());
        let (acct, region) = ("000000000000", "us-east-1");
        let t = a
            .create_topic(
                acct,
                region,
                "orders",
                &pairs(&[
                    ("DisplayName", "Orders"),
                    ("DeliveryPolicy", "{\"http\":{}}"),
                ]),
                &pairs(&[("team", "a")]),
                Some("{\"Name\":\"p\"}"),
            )
            .unwrap();
        t.set_attribute("SignatureVersion", "2").unwrap();
        let f = a
            .create_topic(
                acct,
                region,
                "f.fifo",
                &pairs(&[("FifoTopic", "true")]),
                &[],
                None,
            )
            .unwrap();
        let sqs = a
            .subscribe(
                acct,
                "p",
                &t,
                "sqs",
                "arn:aws:sqs:us-east-1:000000000000:q",
                &pairs(&[
                    ("RawMessageDelivery", "true"),
                    ("FilterPolicyScope", "MessageBody"),
                    ("FilterPolicy", "{\"kind\":[\"a\"]}"),
                ]),
            )
            .unwrap()
            .subscription;
        let http = a
            .subscribe(acct, "p", &t, "http", "http://localhost:1/x", &[])
            .unwrap()
            .subscription;
        assert!(http.is_pending());
        a.subscribe(
            acct,
            "p",
            &f,
            "sqs",
            "arn:aws:sqs:us-east-1:000000000000:q.fifo",
            &[],
        )
        .unwrap();
        let app = a
            .create_platform_application(
                acct,
                region,
                "app",
                "GCM",
                &pairs(&[("PlatformCredential", "secret")]),
            )
            .unwrap();
        let ep = a
            .create_platform_endpoint(&app.arn, "device-1", Some("data"), &[])
            .unwrap();
        a.set_sms_attributes(acct, region, &pairs(&[("DefaultSMSType", "Transactional")]))
            .unwrap();
        a.journal_state();

        let b = restored(&journal.0.lock());
        let t2 = b.topic(region, t.arn()).unwrap();
        assert_eq!(t2.attributes(), t.attributes());
        assert_eq!(t2.tags(), t.tags());
        assert_eq!(t2.data_protection_policy(), t.data_protection_policy());
        assert!(b.topic(region, f.arn()).unwrap().is_fifo());
        let s2 = b.subscription(&sqs.arn).unwrap();
        assert!(s2.raw_message_delivery());
        assert_eq!(
            s2.settings().filter_policy.map(|p| p.0),
            sqs.settings().filter_policy.map(|p| p.0)
        );
        assert_eq!(s2.settings().scope(), sqs.settings().scope());
        let h2 = b.subscription(&http.arn).unwrap();
        assert!(h2.is_pending());
        // The confirmation token sent before the restart still confirms.
        b.confirm_subscription(t.arn(), &http.token, false).unwrap();
        assert!(!b.subscription(&http.arn).unwrap().is_pending());
        assert_eq!(b.platform_application(&app.arn).unwrap(), app);
        assert_eq!(b.platform_endpoint(&ep.arn).unwrap(), ep);
        assert_eq!(
            b.sms_attributes(acct, region, &[])["DefaultSMSType"],
            "Transactional"
        );

        // A deletion is in the next image.
        a.delete_topic(region, t.arn()).unwrap();
        a.journal_state();
        let c = restored(&journal.0.lock());
        assert!(c.topic(region, t.arn()).is_err());
        assert!(c.subscription(&sqs.arn).is_err());
        assert!(c.topic(region, f.arn()).is_ok());
    }

    #[test]
    fn delivery_policies_are_parsed_again_from_their_text_on_restore() {
        let journal = Arc::new(Memory::default());
        let mut a = SnsEngine::new(Arc::new(ManualClock::default()));
        a.set_journal(journal.clone());
        let (acct, region) = ("000000000000", "us-east-1");
        let topic_text = r#"{"http": {"defaultThrottlePolicy":{"maxReceivesPerSecond":4},"defaultRequestPolicy":{"headerContentType":"application/json"}}}"#;
        let sub_text =
            r#"{"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":5,"maxDelayTarget":5.0}}"#;
        let t = a
            .create_topic(
                acct,
                region,
                "orders",
                &pairs(&[("DeliveryPolicy", topic_text)]),
                &[],
                None,
            )
            .unwrap();
        let sub = a
            .subscribe(
                acct,
                "p",
                &t,
                "https",
                "https://localhost:1/x",
                &pairs(&[("DeliveryPolicy", sub_text)]),
            )
            .unwrap()
            .subscription;
        let before = a.effective_delivery_policy(&sub);
        assert_ne!(before, super::super::DeliveryPolicy::default());
        a.journal_state();

        let b = restored(&journal.0.lock());
        let t2 = b.topic(region, t.arn()).unwrap();
        let stored = t2.attributes().delivery_policy.expect("restored");
        assert_eq!(stored.text(), topic_text, "the text exactly as set");
        assert_eq!(Some(stored.policy().clone()), t.delivery_policy());
        let s2 = b.subscription(&sub.arn).unwrap();
        assert_eq!(
            s2.settings()
                .delivery_policy
                .as_ref()
                .map(StoredPolicy::text),
            Some(sub_text)
        );
        assert_eq!(s2.delivery_policy(), sub.delivery_policy());
        let after = b.effective_delivery_policy(&s2);
        assert_eq!(after, before);
        assert_eq!(
            after.retry_delays(),
            [5, 5, 5].map(std::time::Duration::from_secs)
        );
        assert_eq!(after.max_receives_per_second(), Some(4));
        assert_eq!(after.header_content_type(), "application/json");
    }
}
