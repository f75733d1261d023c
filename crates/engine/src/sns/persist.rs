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
use super::topic::{DedupEntry, Topic, TopicAttributes};
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

const PIECE_TOPIC: u8 = 1;
const PIECE_REGION: u8 = 2;

/// SNS records read at start (see [`SnsEngine::restore`]).
#[derive(Default)]
pub struct SnsReplay {
    /// The last whole image (written by earlier versions; pieces after it apply on top).
    image: Option<Vec<u8>>,
    /// The last record of each piece.
    pieces: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// FIFO deduplication ids, in journal order.
    dedup: Vec<Vec<u8>>,
}

fn frame_dedup(buf: &mut Vec<u8>, t: &Topic, entry: &DedupEntry) {
    let mut e = Enc::default();
    e.str(t.account_id())
        .str(t.region())
        .str(t.name())
        .u64(t.uid)
        .str(&entry.0)
        .str(&entry.1)
        .str(&entry.2)
        .u64(entry.3);
    persist::frame(buf, kind::SNS_DEDUP, &e.0);
}

impl SnsReplay {
    /// Takes one SNS record; `Ok(false)` for another service's.
    pub fn apply(&mut self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        match record_kind {
            kind::SNS_STATE => {
                self.image = Some(data.to_vec());
                self.pieces.clear();
            }
            kind::SNS_PIECE => {
                let (key, body) = persist::read_piece(data)?;
                self.pieces.insert(key, body);
            }
            kind::SNS_DEDUP => self.dedup.push(data.to_vec()),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A topic with its subscriptions (its name is in the piece's key).
fn encode_topic(e: &mut Enc, t: &Topic) {
    e.u8(t.is_fifo() as u8).u64(t.uid);
    encode_attributes(e, &t.attributes.read());
    map(e, &t.tags.read());
    e.opt_str(t.data_protection_policy.read().as_deref())
        .u128(t.fifo_sequence());
    let subs = t.subscriptions();
    e.u32(subs.len() as u32);
    for s in subs {
        encode_subscription(e, &s);
    }
}

/// A region's platform applications, endpoints and SMS settings.
fn encode_region(e: &mut Enc, r: &Region) {
    let apps: Vec<PlatformApplication> = r.applications.read().values().cloned().collect();
    e.u32(apps.len() as u32);
    for a in apps {
        e.str(&a.arn).str(&a.platform).str(&a.name);
        map(e, &a.attributes);
        map(e, &a.credentials);
    }
    let endpoints: Vec<PlatformEndpoint> = r.endpoints.read().values().cloned().collect();
    e.u32(endpoints.len() as u32);
    for p in endpoints {
        e.str(&p.arn).str(&p.application_arn);
        map(e, &p.attributes);
    }
    let sms = r.sms.lock();
    map(e, &sms.attributes);
    e.u32(sms.opted_out.len() as u32);
    for n in &sms.opted_out {
        e.str(n);
    }
    e.u32(sms.sandbox.len() as u32);
    for (n, s) in &sms.sandbox {
        e.str(n).u8(s.verified as u8).str(&s.one_time_password);
    }
}

fn decode_region(d: &mut Dec, r: &Region) -> Result<(), String> {
    let mut apps = Vec::new();
    for _ in 0..d.u32()? {
        apps.push(PlatformApplication {
            arn: d.str()?.to_string(),
            platform: d.str()?.to_string(),
            name: d.str()?.to_string(),
            attributes: read_map(d)?,
            credentials: read_map(d)?,
        });
    }
    let mut endpoints = Vec::new();
    for _ in 0..d.u32()? {
        endpoints.push(PlatformEndpoint {
            arn: d.str()?.to_string(),
            application_arn: d.str()?.to_string(),
            attributes: read_map(d)?,
        });
    }
    let mut sms = SmsState {
        attributes: read_map(d)?,
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
    {
        let mut a = r.applications.write();
        a.clear();
        a.extend(apps.into_iter().map(|x| (x.arn.clone(), x)));
    }
    {
        let mut e = r.endpoints.write();
        e.clear();
        e.extend(endpoints.into_iter().map(|x| (x.arn.clone(), x)));
    }
    *r.sms.lock() = sms;
    Ok(())
}

impl SnsEngine {
    /// The state as pieces (see [`persist::Pieces`]): each topic with its subscriptions, and
    /// per region its platform applications, endpoints and SMS settings.
    fn visit_pieces(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        let regions: Vec<((String, String), Arc<Region>)> = self
            .regions
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (mut key, mut e) = (Enc::default(), Enc::default());
        for ((account, region), r) in regions {
            let topics: Vec<Arc<Topic>> = r.topics.read().values().cloned().collect();
            for t in topics {
                e.0.clear();
                encode_topic(&mut e, &t);
                persist::piece_key_into(&mut key, PIECE_TOPIC, &[&account, &region, t.name()]);
                f(&key.0, &e.0);
            }
            e.0.clear();
            encode_region(&mut e, &r);
            persist::piece_key_into(&mut key, PIECE_REGION, &[&account, &region]);
            f(&key.0, &e.0);
        }
    }

    /// The state as pieces (see [`persist::Pieces`]).
    fn pieces(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        persist::collect_pieces(|f| self.visit_pieces(f))
    }

    /// Journals what changed in the SNS state since the last call (after a request changed
    /// it). A no-op without `--data-dir`. Takes the state's locks one at a time, then the
    /// journal's (a leaf).
    /// Lock order: see [`persist::journal_pieces`].
    pub fn journal_state(&self) {
        self.journal_pieces(false)
    }

    /// Journals the whole SNS state (at a checkpoint), with the deduplication ids in force.
    pub fn journal_checkpoint(&self) {
        self.journal_pieces(true);
        self.journal_dedup_ids();
    }

    fn journal_pieces(&self, full: bool) {
        persist::journal_pieces(
            self.journal.as_ref(),
            &self.journal_order,
            kind::SNS_PIECE,
            full,
            |f| self.visit_pieces(f),
        );
    }

    /// Restores what the journal holds: the last whole image (earlier versions), then the
    /// last record of each piece.
    pub fn restore_journal(&self, replay: SnsReplay) -> Result<(), String> {
        if let Some(image) = &replay.image {
            self.replay(kind::SNS_STATE, image)?;
        }
        // What the journal holds of each piece (the next changes are compared with it).
        let live = persist::live_pieces(&replay.pieces);
        let legacy = replay.image.is_some();
        self.restore_pieces(replay.pieces)?;
        // After an image of an earlier version, all pieces are compared with the restored
        // state (a removal then journals a removal of its piece).
        let primed = if legacy { self.pieces() } else { live };
        self.journal_order.lock().prime(primed);
        // FIFO deduplication ids still in force, into the topics they were journaled for.
        let now = self.clock.now_millis();
        for data in replay.dedup {
            let mut d = Dec(&data);
            let (account, region, name) = (d.str()?, d.str()?, d.str()?);
            let uid = d.u64()?;
            let entry = (
                d.str()?.to_owned(),
                d.str()?.to_owned(),
                d.str()?.to_owned(),
                d.u64()?,
            );
            let arn = format!("arn:aws:sns:{region}:{account}:{name}");
            let store = self
                .regions
                .read()
                .get(&(account.to_owned(), region.to_owned()))
                .cloned();
            let topic = store.and_then(|r| r.topics.read().get(&arn).cloned());
            if let Some(topic) = topic.filter(|t| t.uid == uid) {
                topic.restore_dedup_id(entry, now);
            }
        }
        Ok(())
    }

    /// Journals a FIFO deduplication id taken by a publish (`--data-dir`).
    pub(crate) fn journal_dedup_id(&self, topic: &Topic, entry: &DedupEntry) {
        let Some(j) = &self.journal else { return };
        let mut buf = Vec::new();
        frame_dedup(&mut buf, topic, entry);
        persist::append(&**j, &buf);
    }

    /// Journals every FIFO deduplication id in force (at a checkpoint, after the pieces).
    fn journal_dedup_ids(&self) {
        let Some(j) = &self.journal else { return };
        let now = self.clock.now_millis();
        let stores: Vec<Arc<Region>> = self.regions.read().values().cloned().collect();
        let mut buf = Vec::new();
        for r in stores {
            let topics: Vec<Arc<Topic>> = r.topics.read().values().cloned().collect();
            for t in topics.iter().filter(|t| t.is_fifo()) {
                for entry in t.fifo_dedup_ids(now) {
                    frame_dedup(&mut buf, t, &entry);
                }
            }
        }
        persist::append(&**j, &buf);
    }

    fn restore_pieces(&self, pieces: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<(), String> {
        for (key, body) in pieces {
            let (tag, parts) = persist::key_parts(&key)?;
            let [account, region, rest @ ..] = parts.as_slice() else {
                return Err("bad piece key".into());
            };
            let key = (account.clone(), region.clone());
            let r = if body.is_some() {
                self.regions.write().entry(key).or_default().clone()
            } else {
                match self.regions.read().get(&key).cloned() {
                    Some(r) => r,
                    None => continue,
                }
            };
            let mut d = Dec(body.as_deref().unwrap_or_default());
            match (tag, rest, body.is_some()) {
                (PIECE_TOPIC, [name], true) => {
                    let topic = self
                        .decode_topic(&mut d, &r, name, account, region)
                        .map_err(|e| format!("topic {name}: {e}"))?;
                    r.topics.write().insert(topic.arn().to_owned(), topic);
                }
                (PIECE_TOPIC, [name], false) => {
                    let arn = format!("arn:aws:sns:{region}:{account}:{name}");
                    r.topics.write().remove(&arn);
                }
                (PIECE_REGION, [], true) => decode_region(&mut d, &r)?,
                (PIECE_REGION, [], false) => {}
                _ => return Err(format!("bad piece key (tag {tag})")),
            }
        }
        Ok(())
    }

    fn decode_topic(
        &self,
        d: &mut Dec,
        r: &Region,
        name: &str,
        account: &str,
        region: &str,
    ) -> Result<Arc<Topic>, String> {
        let fifo = d.u8()? == 1;
        let uid = d.u64()?;
        let attributes = decode_attributes(d)?;
        let tags = read_map(d)?;
        let dpp = opt(d)?;
        let sequence = d.u128()?;
        let mut topic = Topic::new(
            name.to_owned(),
            account.to_owned(),
            region.to_owned(),
            fifo,
            attributes,
            tags,
            dpp,
        );
        topic.uid = uid;
        let topic = Arc::new(topic);
        // Sequence numbers never go back: those handed out after the piece was written are
        // below this floor unless more than 1,000 were published per millisecond.
        let floor = 10_000_000_000_000_000_000u128 + u128::from(self.clock.now_millis()) * 1000;
        topic.set_fifo_sequence(sequence.max(floor));
        for _ in 0..d.u32()? {
            let sub = Arc::new(decode_subscription(d, &topic)?);
            topic.subscriptions.write().push(sub.clone());
            r.index(&sub);
        }
        Ok(topic)
    }

    /// Replaces the state with a journaled image (`SNS_STATE`); `Ok(false)` for another kind.
    pub fn replay(&self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        if record_kind != kind::SNS_STATE {
            return Ok(false);
        }
        let mut d = Dec(data);
        let mut regions = crate::scope::ScopeMap::default();
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
            // Then the region's platform applications, endpoints and SMS settings, laid out
            // as a region piece is.
            decode_region(&mut d, &r)?;
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
        let mut replay = SnsReplay::default();
        let mut at = 0;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let kind = bytes[at + 4];
            assert!(replay.apply(kind, &bytes[at + 9..at + 9 + len]).unwrap());
            at += 9 + len;
        }
        e.restore_journal(replay).unwrap();
        e
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn fifo_deduplication_ids_are_restored_for_their_topic_only() {
        let journal = Arc::new(Memory::default());
        let mut a = SnsEngine::new(Arc::new(ManualClock::default()));
        a.set_journal(journal.clone());
        let fifo = pairs(&[("FifoTopic", "true"), ("ContentBasedDeduplication", "true")]);
        let create = |e: &SnsEngine| {
            e.create_topic("000000000000", "us-east-1", "t.fifo", &fifo, &[], None)
                .unwrap()
        };
        let message = || super::super::publish::PublishInput {
            message: "x".into(),
            message_group_id: Some("g".into()),
            ..Default::default()
        };
        let t = create(&a);
        a.journal_state();
        let first = a.publish(&t, message(), |_| {}).unwrap();

        let b = restored(&journal.0.lock());
        let t2 = b.topic("us-east-1", t.arn()).unwrap();
        let dup = b
            .publish(&t2, message(), |d| assert!(d.is_empty()))
            .unwrap();
        assert_eq!(
            (dup.message_id, dup.sequence_number),
            (first.message_id.clone(), first.sequence_number.clone())
        );

        // Deleted and made again: the first topic's ids are not the new one's.
        a.delete_topic("us-east-1", t.arn()).unwrap();
        create(&a);
        a.journal_state();
        let c = restored(&journal.0.lock());
        let t3 = c.topic("us-east-1", t.arn()).unwrap();
        let fresh = c.publish(&t3, message(), |_| {}).unwrap();
        assert_ne!(fresh.message_id, first.message_id);
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
