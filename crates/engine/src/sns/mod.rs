//! Amazon SNS: topics, subscriptions, publishing and what each subscription receives.
//!
//! * [`SnsEngine`]: every account's and region's topics, subscriptions, platform applications
//!   and SMS settings; the operations that span them (subscribe, publish, confirm).
//! * [`Topic`]: one topic (attributes, tags, policy, its subscriptions, FIFO ordering).
//! * [`Subscription`]: one subscription (protocol, endpoint, filter policy, raw delivery...).
//! * [`Published`]: a publish's answer and the [`Delivery`]s it causes. The engine decides
//!   *who* gets a message (filter policies, pending confirmations, FIFO deduplication); the
//!   server's background workers do the delivering and hand undeliverable messages back
//!   through [`SnsEngine::record`].
//! * [`delivery_policy`]: HTTP/S `DeliveryPolicy` documents, parsed once where they are stored.
//!
//! The operations on platform applications and endpoints are in [`mobile`], those on SMS
//! state in `sms.rs`, the journal images in `persist.rs`.
//!
//! Each topic has its own locks; publishing to one topic never waits for another.

pub mod arn;
pub mod delivery_policy;
pub mod error;
pub mod mobile;
pub mod persist;
pub mod publish;
mod sms;
pub mod subscription;
pub mod topic;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

pub use delivery_policy::{DeliveryPolicy, StoredPolicy};
pub use error::SnsError;
pub use mobile::{PlatformApplication, PlatformEndpoint, SandboxNumber, SmsState};
pub use publish::{Delivery, Notification, PublishInput, Published};
pub use subscription::{Protocol, Subscription, SubscriptionSettings};
pub use topic::{Topic, TopicAttributes};

use crate::clock::Clock;
use crate::reset::{Resets, Service};
use crate::scope::{ScopeMap, ScopeRef};
use crate::sqs::MessageAttributes;
use topic::FifoOutcome;

/// Most entries on one page of a `List*` answer.
pub const PAGE_SIZE: usize = 100;

/// What the emulator would have sent to an endpoint it cannot reach (SMS, email, Lambda,
/// Firehose, mobile push), kept for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub account_id: String,
    pub region: String,
    /// `sms`, `email`, `email-json`, `lambda`, `firehose`, `application`.
    pub protocol: String,
    /// Phone number, address, function/stream ARN or platform endpoint ARN.
    pub endpoint: String,
    pub topic_arn: Option<String>,
    pub subscription_arn: Option<String>,
    pub message_id: String,
    pub subject: Option<String>,
    /// The payload as it would have been delivered.
    pub message: String,
    pub attributes: MessageAttributes,
    pub timestamp_ms: u64,
}

/// Most recordings kept (SMS, email, Lambda, Firehose, mobile push deliveries): a ring buffer,
/// so that a long-running emulator's memory stays bounded (10,000 messages of up to 256 KB).
pub const MAX_RECORDINGS: usize = 10_000;
/// Most bytes of messages and attributes the recordings keep (the oldest are dropped first
/// beyond it, whatever their number): 10,000 messages of 256 KiB would be 2.5 GB.
pub const MAX_RECORDING_BYTES: usize = 64 * 1024 * 1024;

impl Recorded {
    /// Bytes counted against [`MAX_RECORDING_BYTES`]: the message, subject and attributes.
    pub fn size(&self) -> usize {
        self.message.len()
            + self.subject.as_ref().map_or(0, String::len)
            + self
                .attributes
                .iter()
                .map(|(n, v)| v.size(n))
                .sum::<usize>()
    }
}

/// The recordings ring buffer and the bytes it holds.
#[derive(Debug, Default)]
struct Recordings {
    all: VecDeque<Recorded>,
    bytes: usize,
}

/// One account's resources in one region.
#[derive(Default)]
struct Region {
    topics: RwLock<BTreeMap<String, Arc<Topic>>>,
    /// Subscription ARN -> subscription, for the topics of this account and region.
    subscriptions: RwLock<HashMap<String, Arc<Subscription>>>,
    /// Confirmation token -> subscription ARN.
    tokens: Mutex<HashMap<String, String>>,
    /// Tokens of `UnsubscribeConfirmation` messages: visiting their SubscribeURL restores the
    /// deleted HTTP/S subscription.
    restore_tokens: Mutex<HashMap<String, Arc<Subscription>>>,
    applications: RwLock<BTreeMap<String, PlatformApplication>>,
    endpoints: RwLock<BTreeMap<String, PlatformEndpoint>>,
    sms: Mutex<SmsState>,
}

impl Region {
    /// Makes a subscription findable by its ARN and its confirmation token.
    fn index(&self, sub: &Arc<Subscription>) {
        self.subscriptions
            .write()
            .insert(sub.arn.clone(), sub.clone());
        self.tokens
            .lock()
            .insert(sub.token.clone(), sub.arn.clone());
    }
}

pub use crate::page::Page;

/// The page of `all` that `token` (from an earlier page, or none for the first) designates,
/// `PAGE_SIZE` items long.
pub fn page<T: Clone>(all: &[T], token: Option<&str>) -> Result<Page<T>, SnsError> {
    crate::page::page_of_slice(all, token, PAGE_SIZE).ok_or_else(|| SnsError::invalid("NextToken"))
}

/// What `Unsubscribe` removed.
#[derive(Debug, Clone)]
pub struct Unsubscribed {
    pub subscription: Arc<Subscription>,
    /// For HTTP/S subscriptions: the token whose SubscribeURL restores the subscription.
    pub restore_token: Option<String>,
}

/// What `Subscribe` did.
#[derive(Debug, Clone)]
pub struct Subscribed {
    pub subscription: Arc<Subscription>,
    /// `false`: an identical subscription existed and is returned.
    pub created: bool,
}

/// The SNS engine.
pub struct SnsEngine {
    clock: Arc<dyn Clock>,
    regions: RwLock<ScopeMap<Arc<Region>>>,
    recordings: Mutex<Recordings>,
    resets: Arc<Resets>,
    /// `--data-dir`: where the state's images go (see `persist`).
    journal: Option<Arc<dyn crate::persist::Journal>>,
    /// Orders the images: taken and appended under it.
    journal_order: Mutex<crate::persist::Pieces>,
}

impl std::fmt::Debug for SnsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsEngine").finish_non_exhaustive()
    }
}

fn is_valid_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A confirmation token: 288 hex characters, as AWS's are.
fn new_token() -> String {
    let mut s = String::with_capacity(288);
    while s.len() < 288 {
        s.push_str(&format!("{:032x}", rand::random::<u128>()));
    }
    s.truncate(288);
    s
}

impl SnsEngine {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        SnsEngine {
            clock,
            regions: RwLock::new(ScopeMap::default()),
            recordings: Mutex::new(Recordings::default()),
            resets: Arc::new(Resets::new()),
            journal: None,
            journal_order: Mutex::new(crate::persist::Pieces::default()),
        }
    }

    /// Journals the state after every change to `journal` (`--data-dir`).
    pub fn set_journal(&mut self, journal: Arc<dyn crate::persist::Journal>) {
        self.journal = Some(journal);
    }

    /// The same engine, sharing `resets` with the server's other engines.
    pub fn with_resets(mut self, resets: Arc<Resets>) -> Self {
        self.resets = resets;
        self
    }

    pub fn resets(&self) -> &Arc<Resets> {
        &self.resets
    }

    /// Whether SNS state of the account and region of `arn` (a topic or subscription ARN)
    /// was reset after `generation` (see [`crate::reset`]).
    pub fn reset_since(&self, generation: u64, arn: &str) -> bool {
        let (account, region) = arn::parse(arn)
            .map(|a| (a.account, a.region))
            .unwrap_or(("", ""));
        self.resets.since(generation, Service::Sns, account, region)
    }

    /// Drops the topics, subscriptions, platform applications, SMS settings and recordings of
    /// the matching accounts and regions (`None`: all); deliveries still queued for their
    /// subscriptions are skipped. Call before [`Resets::record`]. Returns the topics dropped.
    pub fn reset(&self, account: Option<&str>, region: Option<&str>) -> usize {
        let matches =
            |a: &str, r: &str| account.is_none_or(|x| x == a) && region.is_none_or(|x| x == r);
        let removed: Vec<Arc<Region>> = {
            let mut regions = self.regions.write();
            let keys: Vec<(String, String)> = regions
                .keys()
                .filter(|(a, r)| matches(a, r))
                .cloned()
                .collect();
            keys.iter().filter_map(|k| regions.remove(k)).collect()
        };
        let mut topics = 0;
        for r in &removed {
            let subscriptions: Vec<Arc<Subscription>> =
                r.subscriptions.read().values().cloned().collect();
            for sub in subscriptions {
                sub.mark_deleted();
            }
            topics += r.topics.read().len();
        }
        {
            let mut rec = self.recordings.lock();
            rec.all.retain(|r| !matches(&r.account_id, &r.region));
            rec.bytes = rec.all.iter().map(Recorded::size).sum();
        }
        if !removed.is_empty() {
            self.journal_state();
        }
        topics
    }

    /// Every (account, region) with SNS state, sorted.
    pub fn locations(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = self.regions.read().keys().cloned().collect();
        keys.sort();
        keys
    }

    /// The topics of an account and region, by name.
    pub fn topics(&self, account: &str, region: &str) -> Vec<Arc<Topic>> {
        self.existing_region(account, region)
            .map(|r| r.topics.read().values().cloned().collect())
            .unwrap_or_default()
    }

    /// The platform applications of an account and region (name, ARN).
    pub fn application_count(&self, account: &str, region: &str) -> usize {
        self.existing_region(account, region)
            .map(|r| r.applications.read().len())
            .unwrap_or_default()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn region(&self, account: &str, region: &str) -> Arc<Region> {
        if let Some(r) = self.regions.read().get(&ScopeRef(account, region)) {
            return r.clone();
        }
        let key = (account.to_owned(), region.to_owned());
        self.regions.write().entry(key).or_default().clone()
    }

    fn existing_region(&self, account: &str, region: &str) -> Option<Arc<Region>> {
        self.regions.read().get(&ScopeRef(account, region)).cloned()
    }

    // ---- topics ----

    /// `CreateTopic`: idempotent for the same attributes and tags.
    pub fn create_topic(
        &self,
        account: &str,
        region: &str,
        name: &str,
        attributes: &[(String, String)],
        tags: &[(String, String)],
        data_protection_policy: Option<&str>,
    ) -> Result<Arc<Topic>, SnsError> {
        delivery_policy::check_attributes(attributes, true)?;
        let fifo = attributes
            .iter()
            .filter(|(k, _)| k == "FifoTopic")
            .map(|(_, v)| v.eq_ignore_ascii_case("true"))
            .next_back()
            .unwrap_or(false);
        let valid = match name.strip_suffix(".fifo") {
            Some(base) if fifo => is_valid_topic_name(base) && name.len() <= 256,
            _ if fifo => false,
            _ => is_valid_topic_name(name),
        };
        if !valid {
            // AWS words a FIFO topic without `.fifo` like any bad name (reported from AWS in
            // awsdocs/aws-cloudformation-user-guide#860 and cloudformation-coverage-roadmap#681).
            return Err(SnsError::invalid("Topic Name"));
        }
        let arn = arn::topic_arn(region, account, name);
        let mut attrs = TopicAttributes::default();
        attrs.set_policy(topic::default_policy(&arn, account));
        for (k, v) in attributes {
            if k == "FifoTopic" {
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                    return Err(SnsError::invalid(format!(
                        "Attributes Reason: Invalid value [{v}] for FifoTopic. Must be true or false."
                    )));
                }
                continue;
            }
            topic::apply_attribute(&mut attrs, fifo, k, v, true)?;
        }
        topic::validate_tags(tags)?;
        let store = self.region(account, region);
        let mut topics = store.topics.write();
        if let Some(existing) = topics.get(&arn) {
            let current = existing.attributes();
            if attrs != current {
                let mut wanted = current.clone();
                for (k, v) in attributes.iter().filter(|(k, _)| k != "FifoTopic") {
                    topic::apply_attribute(&mut wanted, fifo, k, v, true)?;
                }
                if wanted != current || existing.is_fifo() != fifo {
                    return Err(SnsError::invalid(
                        "Attributes Reason: Topic already exists with different attributes",
                    ));
                }
            }
            let current_tags = existing.tags();
            if tags
                .iter()
                .any(|(k, v)| current_tags.get(k).is_none_or(|c| c != v))
            {
                return Err(SnsError::invalid(
                    "Tags Reason: Topic already exists with different tags",
                ));
            }
            return Ok(existing.clone());
        }
        let topic = Arc::new(Topic::new(
            name.to_owned(),
            account.to_owned(),
            region.to_owned(),
            fifo,
            attrs,
            tags.iter().cloned().collect(),
            data_protection_policy
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        ));
        topics.insert(arn, topic.clone());
        Ok(topic)
    }

    /// The topic with this ARN. Topics are addressed in the caller's region only (AWS answers
    /// `Invalid parameter: TopicArn` for another region); other accounts' topics are reachable.
    pub fn topic(&self, caller_region: &str, topic_arn: &str) -> Result<Arc<Topic>, SnsError> {
        let (account, region, _) = arn::topic_parts(topic_arn)?;
        if region != caller_region {
            return Err(SnsError::invalid("TopicArn"));
        }
        self.topic_anywhere(account, region, topic_arn)
            .ok_or_else(SnsError::topic_not_found)
    }

    fn topic_anywhere(&self, account: &str, region: &str, arn: &str) -> Option<Arc<Topic>> {
        self.existing_region(account, region)?
            .topics
            .read()
            .get(arn)
            .cloned()
    }

    /// `DeleteTopic`: also deletes its subscriptions. Deleting a missing topic succeeds.
    pub fn delete_topic(&self, caller_region: &str, topic_arn: &str) -> Result<(), SnsError> {
        let (account, region, _) = arn::parse_topic(topic_arn)?;
        if region != caller_region {
            return Err(SnsError::invalid("TopicArn"));
        }
        let Some(store) = self.existing_region(&account, &region) else {
            return Ok(());
        };
        let Some(topic) = store.topics.write().remove(topic_arn) else {
            return Ok(());
        };
        let subs = std::mem::take(&mut *topic.subscriptions.write());
        let mut index = store.subscriptions.write();
        let mut tokens = store.tokens.lock();
        for s in subs {
            s.mark_deleted();
            index.remove(&s.arn);
            tokens.remove(&s.token);
        }
        Ok(())
    }

    /// `ListTopics`: the caller's topics in ARN order, 100 a page.
    pub fn list_topics(
        &self,
        account: &str,
        region: &str,
        token: Option<&str>,
    ) -> Result<Page<Arc<Topic>>, SnsError> {
        let all: Vec<Arc<Topic>> = self
            .existing_region(account, region)
            .map(|r| r.topics.read().values().cloned().collect())
            .unwrap_or_default();
        page(&all, token)
    }

    // ---- subscriptions ----

    /// `Subscribe`. Validates the endpoint for the protocol and the attributes; returns an
    /// existing subscription of the same protocol and endpoint when the attributes agree.
    /// `principal`: the caller's identity ARN, reported as `SubscriptionPrincipal`.
    pub fn subscribe(
        &self,
        caller_account: &str,
        principal: &str,
        topic: &Arc<Topic>,
        protocol: &str,
        endpoint: &str,
        attributes: &[(String, String)],
    ) -> Result<Subscribed, SnsError> {
        delivery_policy::check_attributes(attributes, false)?;
        let proto = Protocol::parse(protocol).ok_or_else(|| {
            SnsError::invalid(format!(
                "Amazon SNS does not support this protocol string: {protocol}"
            ))
        })?;
        if topic.is_fifo() && proto != Protocol::Sqs {
            return Err(SnsError::invalid(format!(
                "Invalid protocol type: {protocol}"
            )));
        }
        check_endpoint(proto, endpoint)?;
        if proto == Protocol::Sqs && endpoint.ends_with(".fifo") && !topic.is_fifo() {
            return Err(SnsError::invalid(
                "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
            ));
        }
        let mut settings = SubscriptionSettings::default();
        // The scope first: a policy is validated for the scope given alongside it.
        let ordered = attributes
            .iter()
            .filter(|(k, _)| k == "FilterPolicyScope")
            .chain(attributes.iter().filter(|(k, _)| k != "FilterPolicyScope"));
        for (k, v) in ordered {
            subscription::apply_attribute(&mut settings, proto, topic.is_fifo(), k, v, true)?;
        }
        let store = self.region(topic.account_id(), topic.region());
        let mut subs = topic.subscriptions.write();
        if let Some(existing) = subs
            .iter()
            .find(|s| s.protocol == proto && s.endpoint == endpoint)
        {
            let mut wanted = existing.settings();
            for (k, v) in attributes {
                subscription::apply_attribute(&mut wanted, proto, topic.is_fifo(), k, v, true)?;
            }
            if !same_settings(&wanted, &existing.settings()) {
                return Err(SnsError::invalid(
                    "Attributes Reason: Subscription already exists with different attributes",
                ));
            }
            return Ok(Subscribed {
                subscription: existing.clone(),
                created: false,
            });
        }
        let sub = Arc::new(Subscription::new(
            format!("{}:{}", topic.arn(), uuid::Uuid::new_v4()),
            topic.arn().to_owned(),
            (caller_account.to_owned(), principal.to_owned()),
            proto,
            endpoint.to_owned(),
            new_token(),
            settings,
        ));
        subs.push(sub.clone());
        store.index(&sub);
        Ok(Subscribed {
            subscription: sub,
            created: true,
        })
    }

    /// The subscription with this ARN.
    pub fn subscription(&self, subscription_arn: &str) -> Result<Arc<Subscription>, SnsError> {
        let parsed = arn::parse_member("SubscriptionArn", subscription_arn)?;
        self.existing_region(parsed.account, parsed.region)
            .and_then(|r| r.subscriptions.read().get(subscription_arn).cloned())
            .ok_or_else(SnsError::subscription_not_found)
    }

    /// The topic a subscription belongs to (if it still exists).
    pub fn topic_of(&self, sub: &Subscription) -> Option<Arc<Topic>> {
        let (account, region, _) = arn::parse_topic(&sub.topic_arn).ok()?;
        self.topic_anywhere(&account, &region, &sub.topic_arn)
    }

    /// The delivery policy an HTTP/S subscription's deliveries follow (and its
    /// `EffectiveDeliveryPolicy`): its topic's parsed `DeliveryPolicy` with the subscription's
    /// own on top. No JSON is read: both were parsed when they were set.
    pub fn effective_delivery_policy(&self, sub: &Subscription) -> DeliveryPolicy {
        let topic = self.topic_of(sub).and_then(|t| t.delivery_policy());
        let own = sub.delivery_policy();
        delivery_policy::effective_subscription_policy(topic.as_ref(), own.as_ref())
    }

    /// `Unsubscribe`: idempotent for a well-formed ARN. An HTTP/S subscription can be restored
    /// with the token returned alongside it (AWS sends it in an `UnsubscribeConfirmation`).
    pub fn unsubscribe(&self, subscription_arn: &str) -> Result<Option<Unsubscribed>, SnsError> {
        let parsed = arn::parse_member("SubscriptionArn", subscription_arn)?;
        if parsed.service != "sns" || !parsed.resource.contains(':') {
            return Err(SnsError::invalid("SubscriptionId"));
        }
        let Some(store) = self.existing_region(parsed.account, parsed.region) else {
            return Ok(None);
        };
        let Some(sub) = store.subscriptions.write().remove(subscription_arn) else {
            return Ok(None);
        };
        store.tokens.lock().remove(&sub.token);
        sub.mark_deleted();
        if let Some(topic) = store.topics.read().get(&sub.topic_arn) {
            topic.subscriptions.write().retain(|s| s.arn != sub.arn);
            topic.deleted_subscriptions.fetch_add(1, Ordering::Relaxed);
        }
        let restore_token = sub.protocol.is_http().then(|| {
            let token = new_token();
            store
                .restore_tokens
                .lock()
                .insert(token.clone(), sub.clone());
            token
        });
        Ok(Some(Unsubscribed {
            subscription: sub,
            restore_token,
        }))
    }

    /// `ConfirmSubscription`: the subscription the token was sent for, now confirmed.
    pub fn confirm_subscription(
        &self,
        topic_arn: &str,
        token: &str,
        authenticated: bool,
    ) -> Result<Arc<Subscription>, SnsError> {
        let (account, region, _) =
            arn::parse_topic(topic_arn).map_err(|_| SnsError::invalid("Topic"))?;
        let store = self
            .existing_region(&account, &region)
            .ok_or_else(|| SnsError::invalid("Token"))?;
        if !store.topics.read().contains_key(topic_arn) {
            return Err(SnsError::topic_not_found());
        }
        if let Some(sub) = self.restore(&store, topic_arn, token) {
            self.journal_state();
            return Ok(sub);
        }
        let arn = store
            .tokens
            .lock()
            .get(token)
            .cloned()
            .ok_or_else(|| SnsError::invalid("Token"))?;
        let sub = store
            .subscriptions
            .read()
            .get(&arn)
            .cloned()
            .filter(|s| s.topic_arn == topic_arn)
            .ok_or_else(|| SnsError::invalid("Token"))?;
        if sub.is_pending() {
            sub.confirm(authenticated);
            // Also confirmed by the delivery workers (no request to journal it otherwise).
            self.journal_state();
        }
        Ok(sub)
    }

    /// Restores a subscription deleted by `Unsubscribe` whose `UnsubscribeConfirmation` token
    /// this is, if its topic still exists.
    fn restore(&self, store: &Region, topic_arn: &str, token: &str) -> Option<Arc<Subscription>> {
        let sub = {
            let mut restorable = store.restore_tokens.lock();
            let sub = restorable
                .get(token)
                .filter(|s| s.topic_arn == topic_arn)?
                .clone();
            restorable.remove(token);
            sub
        };
        let topic = store.topics.read().get(topic_arn).cloned()?;
        sub.mark_restored();
        topic.subscriptions.write().push(sub.clone());
        store.index(&sub);
        Some(sub)
    }

    /// `ListSubscriptions`: the requester's subscriptions in the region (those it created,
    /// whichever account's topic they are on), topic by topic in ARN order, 100 a page.
    pub fn list_subscriptions(
        &self,
        account: &str,
        region: &str,
        token: Option<&str>,
    ) -> Result<Page<Arc<Subscription>>, SnsError> {
        let mut stores: Vec<((String, String), Arc<Region>)> = self
            .regions
            .read()
            .iter()
            .filter(|((_, r), _)| r == region)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        stores.sort_by(|a, b| a.0.cmp(&b.0));
        let all: Vec<Arc<Subscription>> = stores
            .iter()
            .flat_map(|(_, r)| {
                r.topics
                    .read()
                    .values()
                    .flat_map(|t| t.subscriptions())
                    .filter(|s| s.owner == account)
                    .collect::<Vec<_>>()
            })
            .collect();
        page(&all, token)
    }

    /// `ListSubscriptionsByTopic`.
    pub fn list_subscriptions_by_topic(
        &self,
        topic: &Topic,
        token: Option<&str>,
    ) -> Result<Page<Arc<Subscription>>, SnsError> {
        page(&topic.subscriptions(), token)
    }

    // ---- publishing ----

    /// `Publish` to a topic. `hand_on` receives the deliveries, always with no engine lock
    /// held. A FIFO topic sequences each message and queues its deliveries under its ordering
    /// lock, then hands queued batches on in sequence order after releasing it.
    pub fn publish(
        &self,
        topic: &Arc<Topic>,
        input: PublishInput,
        mut hand_on: impl FnMut(Vec<Delivery>),
    ) -> Result<Published, SnsError> {
        let (message, per_protocol) = publish::check_message(&input, true)?;
        let dedup_id = if topic.is_fifo() {
            if input.message_group_id.as_deref().is_none_or(str::is_empty) {
                return Err(SnsError::invalid(
                    "The MessageGroupId parameter is required for FIFO topics",
                ));
            }
            check_fifo_id("MessageGroupId", input.message_group_id.as_deref())?;
            check_fifo_id(
                "MessageDeduplicationId",
                input.message_deduplication_id.as_deref(),
            )?;
            match (&input.message_deduplication_id, topic.attributes().content_based_deduplication) {
                (Some(id), _) => Some(id.clone()),
                (None, true) => {
                    use sha2::Digest as _;
                    Some(hex::encode(sha2::Sha256::digest(input.message.as_bytes())))
                }
                (None, false) => {
                    return Err(SnsError::invalid(
                        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ))
                }
            }
        } else {
            if input.message_deduplication_id.is_some() {
                return Err(SnsError::invalid(
                    "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
                ));
            }
            None
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut attributes = input.attributes;
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        let signature_version = topic.attributes().signature_version().to_owned();
        // FIFO: sequencing and queueing the deliveries happen under one hold of the ordering
        // lock, so batches are queued in sequence order. Only this topic's own fields are
        // touched while it is held.
        let mut outbox = topic.is_fifo().then(|| topic.order.lock());
        let published = {
            let sequence_number = match &dedup_id {
                Some(id) => match topic.fifo_admit(id, &message_id, self.clock.now_millis()) {
                    FifoOutcome::Fresh(seq, expiry) => {
                        // `--data-dir`: the id is durable before Publish answers.
                        self.journal_dedup_id(
                            topic,
                            &(id.clone(), message_id.clone(), seq.clone(), expiry),
                        );
                        Some(seq)
                    }
                    FifoOutcome::Duplicate {
                        message_id,
                        sequence,
                    } => {
                        return Ok(Published {
                            message_id,
                            sequence_number: Some(sequence),
                            deliveries: Vec::new(),
                        })
                    }
                },
                None => None,
            };
            let notification = Arc::new(Notification {
                message_id: message_id.clone(),
                topic_arn: topic.arn().to_owned(),
                subject: input.subject,
                message,
                per_protocol,
                attributes,
                timestamp_ms: self.clock.now_millis(),
                message_group_id: input.message_group_id,
                message_deduplication_id: dedup_id.clone(),
                sequence_number: sequence_number.clone(),
                signature_version,
                trace_header: input.trace_header,
            });
            let deliveries: Vec<Delivery> = topic
                .subscriptions
                .read()
                .iter()
                .filter(|s| !s.is_pending())
                .filter(|s| {
                    s.accepts(
                        notification.message_for(s.protocol),
                        notification.string_attributes(),
                    )
                })
                .map(|s| Delivery {
                    subscription: s.clone(),
                    notification: notification.clone(),
                })
                .collect();
            let published = Published {
                message_id,
                sequence_number,
                deliveries: deliveries.clone(),
            };
            match outbox.as_mut() {
                Some(outbox) => outbox.batches.push_back(deliveries),
                None => {
                    drop(outbox);
                    hand_on(deliveries);
                    return Ok(published);
                }
            }
            published
        };
        drop(outbox);
        topic.drain_outbox(hand_on);
        Ok(published)
    }

    /// A message for a single target (phone number or platform endpoint): validated, with a
    /// fresh id, not yet recorded.
    pub fn direct_message(
        &self,
        target_arn: &str,
        input: PublishInput,
        require_default: bool,
    ) -> Result<Notification, SnsError> {
        if input.message_deduplication_id.is_some() {
            return Err(SnsError::invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        let (message, per_protocol) = publish::check_message(&input, require_default)?;
        let mut attributes = input.attributes;
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Notification {
            message_id: uuid::Uuid::new_v4().to_string(),
            topic_arn: target_arn.to_owned(),
            subject: input.subject,
            message,
            per_protocol,
            attributes,
            timestamp_ms: self.clock.now_millis(),
            message_group_id: input.message_group_id,
            message_deduplication_id: None,
            sequence_number: None,
            signature_version: "1".into(),
            trace_header: input.trace_header,
        })
    }

    // ---- recordings ----

    /// Keeps what would have been sent to an endpoint the emulator cannot reach: the last
    /// [`MAX_RECORDINGS`] and at most [`MAX_RECORDING_BYTES`], oldest dropped first.
    pub fn record(&self, r: Recorded) {
        let mut rec = self.recordings.lock();
        rec.bytes += r.size();
        rec.all.push_back(r);
        while rec.all.len() > MAX_RECORDINGS
            || (rec.bytes > MAX_RECORDING_BYTES && rec.all.len() > 1)
        {
            if let Some(old) = rec.all.pop_front() {
                rec.bytes = rec.bytes.saturating_sub(old.size());
            }
        }
    }

    /// Recordings, optionally only one protocol's (`sms`, `email`...).
    pub fn recordings(&self, protocol: Option<&str>) -> Vec<Recorded> {
        self.recordings_page(protocol, None, 0, usize::MAX).0
    }

    /// At most `max` recordings from position `start` of those of `protocol` (if given) and
    /// `endpoint` (if given), oldest first, and how many match in all. Only the page is
    /// copied.
    pub fn recordings_page(
        &self,
        protocol: Option<&str>,
        endpoint: Option<&str>,
        start: usize,
        max: usize,
    ) -> (Vec<Recorded>, usize) {
        let rec = self.recordings.lock();
        let matching = rec.all.iter().filter(|r| {
            protocol.is_none_or(|p| r.protocol == p) && endpoint.is_none_or(|e| r.endpoint == e)
        });
        let mut total = 0;
        let mut page = Vec::new();
        for r in matching {
            if total >= start && page.len() < max {
                page.push(r.clone());
            }
            total += 1;
        }
        (page, total)
    }

    /// Forgets recordings (one protocol's or all); returns how many.
    pub fn clear_recordings(&self, protocol: Option<&str>) -> usize {
        let mut rec = self.recordings.lock();
        let before = rec.all.len();
        rec.all
            .retain(|r| protocol.is_some_and(|p| r.protocol != p));
        rec.bytes = rec.all.iter().map(Recorded::size).sum();
        before - rec.all.len()
    }
}

fn is_arn_of(text: &str, service: &str) -> bool {
    arn::parse(text).is_some_and(|a| a.service == service)
}

/// The endpoint must suit the protocol.
fn check_endpoint(proto: Protocol, endpoint: &str) -> Result<(), SnsError> {
    match proto {
        Protocol::Http | Protocol::Https => {
            let scheme = format!("{}://", proto.as_str());
            if !endpoint
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(&scheme))
            {
                return Err(SnsError::invalid(
                    "Endpoint must match the specified protocol",
                ));
            }
        }
        Protocol::Sqs => {
            if !is_arn_of(endpoint, "sqs") {
                return Err(SnsError::invalid("SQS endpoint ARN"));
            }
        }
        Protocol::Lambda => {
            if !is_arn_of(endpoint, "lambda") {
                return Err(SnsError::invalid("Lambda endpoint ARN"));
            }
        }
        Protocol::Firehose => {
            if !is_arn_of(endpoint, "firehose") {
                return Err(SnsError::invalid("Firehose endpoint ARN"));
            }
        }
        Protocol::Application => {
            if !arn::parse(endpoint).is_some_and(|a| a.resource.starts_with("endpoint/")) {
                return Err(SnsError::invalid("ApplicationEndpoint ARN"));
            }
        }
        Protocol::Sms => {
            if !mobile::is_e164(endpoint) {
                return Err(SnsError::invalid(format!("SMS endpoint: {endpoint}")));
            }
        }
        Protocol::Email | Protocol::EmailJson => {
            let ok = endpoint
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
            if !ok {
                return Err(SnsError::invalid("Email address"));
            }
        }
    }
    Ok(())
}

/// MessageGroupId / MessageDeduplicationId: up to 128 of `[A-Za-z0-9]` and punctuation.
fn check_fifo_id(name: &str, value: Option<&str>) -> Result<(), SnsError> {
    let Some(v) = value else { return Ok(()) };
    let ok = (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(SnsError::invalid(format!(
            "{name} Reason: {name} must be made up of alphanumeric characters and punctuation, 1 to 128 characters long"
        )))
    }
}

fn same_settings(a: &SubscriptionSettings, b: &SubscriptionSettings) -> bool {
    a.raw_message_delivery == b.raw_message_delivery
        && a.filter_policy.as_ref().map(|p| &p.0) == b.filter_policy.as_ref().map(|p| &p.0)
        // The scope as it applies: naming the default `MessageAttributes` changes nothing.
        && a.scope() == b.scope()
        && a.delivery_policy.as_ref().map(StoredPolicy::text)
            == b.delivery_policy.as_ref().map(StoredPolicy::text)
        && a.redrive_policy == b.redrive_policy
        && a.subscription_role_arn == b.subscription_role_arn
}

#[cfg(test)]
mod tests;
