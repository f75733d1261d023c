//! The durability contract of `--data-dir` (issue #18, docs/persistence.md), proved without
//! crashes: a request that changed state is not answered before its change is durable.
//!
//! Killing the process at a random moment cannot prove this for every call: the window between
//! "changed in memory" and "answered" is far too short for a SIGKILL to hit. Here the emulator
//! runs on a real data directory whose journal is wrapped (`EmulatorBuilder::wrap_journal`) in a
//! [`Gate`]: it passes every record on to the real journal and records the tickets, but holds
//! `Journal::wait` back while the test keeps it closed. For each state-changing call the test
//! then sees, in this order: the server waits for the journal with a ticket that covers every
//! record appended so far (all of the call's changes, including those made by the first
//! delivery attempts of Publish and PutEvents), the answer does not arrive while the gate is
//! closed, and once it opens the answer arrives and the change is there. Reads answer while the
//! gate is closed, without waiting for the journal at all.
//!
//! Nothing here measures speed: the short window in which the answer must *not* arrive only
//! gives a call that does not wait the chance to show it; the proof that it waits is that the
//! server is seen inside `wait` with the call's ticket.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_eventbridge::types::{DeadLetterConfig, PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use ferrybridge_server::{Emulator, EmulatorHandle, Journal};
use ferrybridge_tests::{events_client, sns_client, sqs_client, watch_for_deadlocks};
use tokio::sync::watch;

/// How long an answer gets to show that it did not wait (it must not arrive).
const NOT_YET: Duration = Duration::from_millis(250);
/// How long anything that should happen gets (generous: the machine is shared).
const PATIENCE: Duration = Duration::from_secs(30);

/// A [`Journal`] around the real one: appends go through (their tickets remembered); `wait`
/// is recorded, then held until the gate is open, then left to the real journal.
struct Gate {
    inner: Arc<dyn Journal>,
    open: watch::Sender<bool>,
    /// The tickets `wait` was called with, in order.
    waits: watch::Sender<Vec<u64>>,
    /// The highest ticket an append returned.
    appended: AtomicU64,
}

impl Journal for Gate {
    fn append(&self, framed: &[u8]) -> u64 {
        let ticket = self.inner.append(framed);
        self.appended.fetch_max(ticket, Ordering::SeqCst);
        ticket
    }

    fn wait(&self, ticket: u64) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            self.waits.send_modify(|w| w.push(ticket));
            let mut open = self.open.subscribe();
            if open.wait_for(|o| *o).await.is_err() {
                return Err("the gate is gone".into());
            }
            self.inner.wait(ticket).await
        })
    }
}

impl Gate {
    fn close(&self) {
        self.open.send_replace(false);
    }

    fn open(&self) {
        self.open.send_replace(true);
    }

    fn wait_count(&self) -> usize {
        self.waits.borrow().len()
    }
}

/// An emulator on a fresh data directory with its journal behind a [`Gate`].
struct Env {
    emulator: EmulatorHandle,
    gate: Arc<Gate>,
    dir: PathBuf,
    account: String,
}

impl Env {
    async fn start(name: &str) -> Env {
        watch_for_deadlocks();
        let dir = std::env::temp_dir().join(format!(
            "ferrybridge-durability-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("make the data directory");
        let (emulator, gate) = Self::on(&dir).await;
        let account = emulator.fresh_account();
        Env {
            emulator,
            gate,
            dir,
            account,
        }
    }

    /// An emulator on `dir` with a gated journal (open).
    async fn on(dir: &PathBuf) -> (EmulatorHandle, Arc<Gate>) {
        let slot: Arc<OnceLock<Arc<Gate>>> = Arc::new(OnceLock::new());
        let set = slot.clone();
        let emulator = Emulator::builder()
            .data_dir(dir)
            .wrap_journal(move |inner| {
                let gate = Arc::new(Gate {
                    inner,
                    open: watch::channel(true).0,
                    waits: watch::channel(Vec::new()).0,
                    appended: AtomicU64::new(0),
                });
                let _ = set.set(gate.clone());
                gate
            })
            .start()
            .await
            .expect("the emulator starts on a data directory");
        let gate = slot.get().expect("the journal was wrapped").clone();
        (emulator, gate)
    }

    fn sqs(&self) -> aws_sdk_sqs::Client {
        sqs_client(&self.emulator.endpoint(), &self.account, "us-east-1")
    }

    fn sns(&self) -> aws_sdk_sns::Client {
        sns_client(&self.emulator.endpoint(), &self.account, "us-east-1")
    }

    fn events(&self) -> aws_sdk_eventbridge::Client {
        events_client(&self.emulator.endpoint(), &self.account, "us-east-1")
    }

    /// Runs a state-changing `call` with the gate closed and proves that its answer waits for
    /// the journal: the server reaches `wait` with a ticket covering every record appended so
    /// far, and no answer comes while the gate stays closed. Then opens the gate and returns
    /// the answer.
    async fn held<T, F>(&self, what: &str, call: F) -> T
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.gate.close();
        let before = self.gate.wait_count();
        let mut waits = self.gate.waits.subscribe();
        let mut task = tokio::spawn(call);
        let ticket = tokio::select! {
            _ = &mut task => {
                self.gate.open();
                panic!("{what} was answered without waiting for the journal");
            }
            seen = tokio::time::timeout(PATIENCE, waits.wait_for(|w| w.len() > before)) => {
                let seen = seen.unwrap_or_else(|_| panic!("{what}: neither answered nor waited for the journal"));
                seen.expect("the gate is alive")[before]
            }
        };
        let appended = self.gate.appended.load(Ordering::SeqCst);
        assert!(
            ticket >= appended,
            "{what} waits for ticket {ticket}, but records were appended up to ticket {appended}"
        );
        assert!(
            tokio::time::timeout(NOT_YET, &mut task).await.is_err(),
            "{what} was answered while its journal wait was held"
        );
        self.gate.open();
        tokio::time::timeout(PATIENCE, task)
            .await
            .unwrap_or_else(|_| panic!("{what} is answered once the journal lets it"))
            .expect("the call does not panic")
    }

    /// Runs a read with the gate closed: it answers, and never waits for the journal.
    async fn read<T>(&self, what: &str, call: impl Future<Output = T>) -> T {
        self.gate.close();
        let before = self.gate.wait_count();
        let out = tokio::time::timeout(PATIENCE, call)
            .await
            .unwrap_or_else(|_| panic!("{what} (a read) is answered while the journal is held"));
        assert_eq!(
            self.gate.wait_count(),
            before,
            "{what} (a read) waited for the journal"
        );
        self.gate.open();
        out
    }

    async fn stop(self) {
        self.emulator.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn queue_count(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("GetQueueAttributes");
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .cloned()
        .unwrap_or_default()
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .expect("QueueArn")
}

/// Receives (up to 10) messages waiting in `url`, with their message attributes.
async fn receive(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .expect("ReceiveMessage")
        .messages
        .unwrap_or_default()
}

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("QueueUrl");
    let arn = queue_arn(sqs, &url).await;
    (url, arn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_changes_are_durable_before_their_answer_and_reads_do_not_wait() {
    let env = Env::start("sqs").await;
    let sqs = env.sqs();

    let c = sqs.clone();
    let url = env
        .held("CreateQueue", async move {
            c.create_queue().queue_name("orders").send().await
        })
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("QueueUrl");
    let listed = env
        .read("ListQueues", sqs.list_queues().send())
        .await
        .expect("ListQueues");
    assert_eq!(listed.queue_urls(), std::slice::from_ref(&url));

    let (c, u) = (sqs.clone(), url.clone());
    env.held("SetQueueAttributes", async move {
        c.set_queue_attributes()
            .queue_url(u)
            .attributes(QueueAttributeName::VisibilityTimeout, "45")
            .send()
            .await
    })
    .await
    .expect("SetQueueAttributes");
    let attributes = env
        .read(
            "GetQueueAttributes",
            sqs.get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::VisibilityTimeout)
                .send(),
        )
        .await
        .expect("GetQueueAttributes");
    assert_eq!(
        attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::VisibilityTimeout))
            .map(String::as_str),
        Some("45")
    );

    // A receive that finds nothing changes nothing: it is a read.
    let empty = env
        .read(
            "ReceiveMessage (empty queue)",
            sqs.receive_message().queue_url(&url).send(),
        )
        .await
        .expect("ReceiveMessage");
    assert!(empty.messages().is_empty());

    let (c, u) = (sqs.clone(), url.clone());
    env.held("SendMessage", async move {
        c.send_message()
            .queue_url(u)
            .message_body("one")
            .send()
            .await
    })
    .await
    .expect("SendMessage");
    assert_eq!(queue_count(&sqs, &url).await, "1");

    let (c, u) = (sqs.clone(), url.clone());
    let batch = env
        .held("SendMessageBatch", async move {
            let entry = |id: &str| {
                SendMessageBatchRequestEntry::builder()
                    .id(id)
                    .message_body(id)
                    .build()
                    .expect("entry")
            };
            c.send_message_batch()
                .queue_url(u)
                .entries(entry("two"))
                .entries(entry("three"))
                .send()
                .await
        })
        .await
        .expect("SendMessageBatch");
    assert_eq!(batch.successful().len(), 2);
    assert_eq!(queue_count(&sqs, &url).await, "3");

    // A receive that returns messages changes them (receive count, visibility): it waits.
    let (c, u) = (sqs.clone(), url.clone());
    let received = env
        .held("ReceiveMessage (with messages)", async move {
            c.receive_message()
                .queue_url(u)
                .max_number_of_messages(10)
                .send()
                .await
        })
        .await
        .expect("ReceiveMessage")
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 3);
    let handle = |i: usize| received[i].receipt_handle().expect("handle").to_owned();

    let (c, u, h) = (sqs.clone(), url.clone(), handle(0));
    env.held("ChangeMessageVisibility", async move {
        c.change_message_visibility()
            .queue_url(u)
            .receipt_handle(h)
            .visibility_timeout(0)
            .send()
            .await
    })
    .await
    .expect("ChangeMessageVisibility");
    // Visible again at once: the change took effect.
    let again = receive(&sqs, &url).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id(), received[0].message_id());

    let (c, u, h) = (sqs.clone(), url.clone(), handle(1));
    env.held("DeleteMessage", async move {
        c.delete_message()
            .queue_url(u)
            .receipt_handle(h)
            .send()
            .await
    })
    .await
    .expect("DeleteMessage");
    let in_flight = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes");
    let get = |name: QueueAttributeName| {
        in_flight
            .attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .unwrap_or_default()
    };
    // Three were sent, one deleted: two left, both received and in flight.
    assert_eq!(
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        "2"
    );
    assert_eq!(get(QueueAttributeName::ApproximateNumberOfMessages), "0");

    let (c, u) = (sqs.clone(), url.clone());
    env.held("DeleteQueue", async move {
        c.delete_queue().queue_url(u).send().await
    })
    .await
    .expect("DeleteQueue");
    let listed = env
        .read("ListQueues", sqs.list_queues().send())
        .await
        .expect("ListQueues");
    assert!(listed.queue_urls().is_empty());

    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_assume_role_is_durable_before_its_answer() {
    let env = Env::start("sts").await;
    let sts = |creds: Credentials| {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .endpoint_url(env.emulator.endpoint())
                .region(aws_sdk_sts::config::Region::new("us-east-1"))
                .credentials_provider(creds)
                .build(),
        )
    };
    let caller = sts(Credentials::new(&env.account, "test", None, None, "test"));
    let role = format!("arn:aws:iam::{}:role/deployer", env.account);
    let issued = env
        .held("AssumeRole", async move {
            caller
                .assume_role()
                .role_arn(role)
                .role_session_name("durable")
                .send()
                .await
        })
        .await
        .expect("AssumeRole");
    let c = issued.credentials().expect("credentials");
    let temporary = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "sts",
    );
    let identity = env
        .read(
            "GetCallerIdentity",
            sts(temporary).get_caller_identity().send(),
        )
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:sts::{}:assumed-role/deployer/durable", env.account).as_str())
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_changes_and_deliveries_are_durable_before_their_answer() {
    let env = Env::start("sns").await;
    let (sqs, sns) = (env.sqs(), env.sns());
    let (queue_url, queue) = create_queue(&sqs, "inbox").await;
    let (dlq_url, dlq) = create_queue(&sqs, "inbox-dlq").await;
    let (_, gone) = create_queue(&sqs, "gone").await;

    let s = sns.clone();
    let topic = env
        .held("CreateTopic", async move {
            s.create_topic().name("orders").send().await
        })
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("TopicArn");
    let topics = env
        .read("ListTopics", sns.list_topics().send())
        .await
        .expect("ListTopics");
    assert_eq!(topics.topics().len(), 1);
    assert_eq!(topics.topics()[0].topic_arn(), Some(topic.as_str()));

    let (s, t, q) = (sns.clone(), topic.clone(), queue.clone());
    let subscription = env
        .held("Subscribe", async move {
            s.subscribe()
                .topic_arn(t)
                .protocol("sqs")
                .endpoint(q)
                .send()
                .await
        })
        .await
        .expect("Subscribe")
        .subscription_arn
        .expect("SubscriptionArn");
    let listed = env
        .read(
            "ListSubscriptionsByTopic",
            sns.list_subscriptions_by_topic().topic_arn(&topic).send(),
        )
        .await
        .expect("ListSubscriptionsByTopic");
    assert_eq!(listed.subscriptions().len(), 1);

    let (s, a) = (sns.clone(), subscription.clone());
    env.held("SetSubscriptionAttributes", async move {
        s.set_subscription_attributes()
            .subscription_arn(a)
            .attribute_name("RawMessageDelivery")
            .attribute_value("true")
            .send()
            .await
    })
    .await
    .expect("SetSubscriptionAttributes");
    let attributes = env
        .read(
            "GetSubscriptionAttributes",
            sns.get_subscription_attributes()
                .subscription_arn(&subscription)
                .send(),
        )
        .await
        .expect("GetSubscriptionAttributes");
    assert_eq!(
        attributes
            .attributes()
            .and_then(|a| a.get("RawMessageDelivery"))
            .map(String::as_str),
        Some("true")
    );

    // Publish: the message its first attempt put into the queue is durable before the answer.
    let (s, t) = (sns.clone(), topic.clone());
    env.held("Publish (into a queue)", async move {
        s.publish().topic_arn(t).message("hello").send().await
    })
    .await
    .expect("Publish");
    let got = receive(&sqs, &queue_url).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some("hello"));

    // A delivery that fails (its queue is gone) goes to the subscription's DLQ within the
    // first attempt: that message too is durable before Publish answers.
    let s = sns.clone();
    let lost = env
        .held("CreateTopic", async move {
            s.create_topic().name("lost").send().await
        })
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("TopicArn");
    let doomed = sns
        .subscribe()
        .topic_arn(&lost)
        .protocol("sqs")
        .endpoint(&gone)
        .attributes(
            "RedrivePolicy",
            serde_json::json!({ "deadLetterTargetArn": dlq }).to_string(),
        )
        .send()
        .await
        .expect("Subscribe");
    assert!(doomed.subscription_arn().is_some());
    let gone_url = sqs
        .get_queue_url()
        .queue_name("gone")
        .send()
        .await
        .expect("GetQueueUrl")
        .queue_url
        .expect("QueueUrl");
    sqs.delete_queue()
        .queue_url(gone_url)
        .send()
        .await
        .expect("DeleteQueue");
    let (s, t) = (sns.clone(), lost.clone());
    env.held("Publish (into a DLQ)", async move {
        s.publish().topic_arn(t).message("nobody home").send().await
    })
    .await
    .expect("Publish");
    let dead = receive(&sqs, &dlq_url).await;
    assert_eq!(dead.len(), 1, "the failed delivery is in the DLQ");
    assert!(
        dead[0].body().unwrap_or_default().contains("nobody home"),
        "{:?}",
        dead[0].body()
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventbridge_changes_and_deliveries_are_durable_before_their_answer() {
    let env = Env::start("events").await;
    let (sqs, events) = (env.sqs(), env.events());
    let (queue_url, queue) = create_queue(&sqs, "events-inbox").await;
    let (dlq_url, dlq) = create_queue(&sqs, "events-dlq").await;

    let e = events.clone();
    let bus = env
        .held("CreateEventBus", async move {
            e.create_event_bus().name("shop").send().await
        })
        .await
        .expect("CreateEventBus")
        .event_bus_arn
        .expect("EventBusArn");
    let described = env
        .read(
            "DescribeEventBus",
            events.describe_event_bus().name("shop").send(),
        )
        .await
        .expect("DescribeEventBus");
    assert_eq!(described.arn(), Some(bus.as_str()));

    let e = events.clone();
    env.held("PutRule", async move {
        e.put_rule()
            .name("orders")
            .event_bus_name("shop")
            .event_pattern(r#"{"source":["shop.orders"]}"#)
            .send()
            .await
    })
    .await
    .expect("PutRule");
    let rules = env
        .read(
            "ListRules",
            events.list_rules().event_bus_name("shop").send(),
        )
        .await
        .expect("ListRules");
    assert_eq!(rules.rules().len(), 1);

    let (e, q) = (events.clone(), queue.clone());
    let put = env
        .held("PutTargets", async move {
            e.put_targets()
                .rule("orders")
                .event_bus_name("shop")
                .targets(
                    Target::builder()
                        .id("inbox")
                        .arn(q)
                        .build()
                        .expect("target"),
                )
                .send()
                .await
        })
        .await
        .expect("PutTargets");
    assert_eq!(put.failed_entry_count(), 0);

    let (e, b) = (events.clone(), bus.clone());
    env.held("CreateArchive", async move {
        e.create_archive()
            .archive_name("shop-archive")
            .event_source_arn(b)
            .send()
            .await
    })
    .await
    .expect("CreateArchive");

    // PutEvents: the event its first attempt put into the queue, and the event archived,
    // are durable before the answer.
    let entry = |detail: &str| {
        PutEventsRequestEntry::builder()
            .event_bus_name("shop")
            .source("shop.orders")
            .detail_type("OrderPlaced")
            .detail(detail)
            .build()
    };
    let (e, one) = (events.clone(), entry(r#"{"order":1}"#));
    let out = env
        .held("PutEvents (into a queue and an archive)", async move {
            e.put_events().entries(one).send().await
        })
        .await
        .expect("PutEvents");
    assert_eq!(out.failed_entry_count(), 0);
    let got = receive(&sqs, &queue_url).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].body().unwrap_or_default().contains(r#""order":1"#));
    let archive = env
        .read(
            "DescribeArchive",
            events
                .describe_archive()
                .archive_name("shop-archive")
                .send(),
        )
        .await
        .expect("DescribeArchive");
    assert_eq!(archive.event_count(), 1);

    // A bus whose only rule targets a queue that does not exist, with a DLQ: the failure is
    // not retried, the event goes to the DLQ within the first attempt, and that message is
    // durable before PutEvents answers. Nothing else is stored by this call (no archive on
    // this bus), so an answer that did not wait for the DLQ would not wait at all.
    events
        .create_event_bus()
        .name("misrouted")
        .send()
        .await
        .expect("CreateEventBus");
    events
        .put_rule()
        .name("to-nowhere")
        .event_bus_name("misrouted")
        .event_pattern(r#"{"source":["shop.orders"]}"#)
        .send()
        .await
        .expect("PutRule");
    let nowhere = format!("arn:aws:sqs:us-east-1:{}:no-such-queue", env.account);
    let put = events
        .put_targets()
        .rule("to-nowhere")
        .event_bus_name("misrouted")
        .targets(
            Target::builder()
                .id("nowhere")
                .arn(nowhere)
                .dead_letter_config(DeadLetterConfig::builder().arn(dlq).build())
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("PutTargets");
    assert_eq!(put.failed_entry_count(), 0);
    let e = events.clone();
    let two = PutEventsRequestEntry::builder()
        .event_bus_name("misrouted")
        .source("shop.orders")
        .detail_type("OrderPlaced")
        .detail(r#"{"order":2}"#)
        .build();
    let out = env
        .held("PutEvents (into the target's DLQ)", async move {
            e.put_events().entries(two).send().await
        })
        .await
        .expect("PutEvents");
    assert_eq!(out.failed_entry_count(), 0);
    let dead = receive(&sqs, &dlq_url).await;
    assert_eq!(dead.len(), 1, "the failed invocation is in the DLQ");
    let code = dead[0]
        .message_attributes()
        .and_then(|a| a.get("ERROR_CODE"))
        .and_then(|v| v.string_value());
    assert_eq!(code, Some("NO_RESOURCE"));
    assert!(dead[0].body().unwrap_or_default().contains(r#""order":2"#));
    env.stop().await;
}
