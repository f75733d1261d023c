//! Liveness under operations that touch two resources at once.
//!
//! One `SetQueueAttributes` naming the queue itself as its dead-letter queue once froze the
//! whole server (a check of the target queue ran under the queue's own write lock), and two
//! queues that were each other's dead-letter queue froze it under concurrent updates (lock
//! order A->B against B->A). These tests drive such operations through the real SDKs and
//! prove the server keeps answering: the health endpoint within 100 ms all along, every request
//! within seconds, and parking_lot's deadlock detector (see `watch_for_deadlocks`) finding no
//! cycle.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::types::{PutEventsRequestEntry, Target};
use aws_sdk_sqs::types::QueueAttributeName;
use ferrybridge_engine::clock::SystemClock;
use ferrybridge_server::{start_with_clock, Config};
use ferrybridge_tests::Emulator;

/// How long the mixed workload runs.
const STRESS_FOR: Duration = Duration::from_secs(6);
/// Concurrent clients of the mixed workload.
const CLIENTS: u64 = 12;
/// No request may take longer than this, even on a loaded 2-core machine.
const REQUEST_LIMIT: Duration = Duration::from_secs(10);

/// `GET /_ferrybridge/health` over a fresh blocking connection; how long the answer took.
fn health_latency(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET /_ferrybridge/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("health answers");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    started.elapsed()
}

/// Probes the health endpoint every 20 ms on its own OS thread (so that a stalled async
/// runtime cannot hide behind a stalled client) until `stop`; the slowest answer.
fn probe_health(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut worst = Duration::ZERO;
        while !stop.load(Ordering::Relaxed) {
            worst = worst.max(health_latency(addr));
            std::thread::sleep(Duration::from_millis(20));
        }
        worst
    })
}

fn redrive(target_arn: &str, max_receive_count: u32) -> String {
    format!(r#"{{"deadLetterTargetArn":"{target_arn}","maxReceiveCount":"{max_receive_count}"}}"#)
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("QueueArn")
}

/// The reported freeze, exactly: a queue set as its own dead-letter queue. The call answers,
/// the server keeps answering, and a message that exceeds maxReceiveCount is not lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_can_be_its_own_dead_letter_queue() {
    let emulator = Emulator::start().await;
    let sqs = emulator.sqs();
    let url = ferrybridge_tests::create_queue(&sqs, "self").await;
    let arn = queue_arn(&sqs, &url).await;
    tokio::time::timeout(
        REQUEST_LIMIT,
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::RedrivePolicy, redrive(&arn, 3))
            .send(),
    )
    .await
    .expect("SetQueueAttributes answers")
    .expect("AWS accepts a queue as its own dead-letter queue");
    let addr = emulator.server.addr;
    let latency = tokio::task::spawn_blocking(move || health_latency(addr))
        .await
        .expect("probe");
    assert!(
        latency < Duration::from_millis(100),
        "health took {latency:?}"
    );

    let policy = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::RedrivePolicy))
        .expect("RedrivePolicy");
    assert_eq!(
        policy,
        format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":3}}"#)
    );

    // Received more often than maxReceiveCount allows: the message stays receivable (moving
    // it into the queue it is in would only hide it), with every receive counted.
    sqs.send_message()
        .queue_url(&url)
        .message_body("poison")
        .send()
        .await
        .expect("send");
    for expected_count in 1..=6 {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .visibility_timeout(0)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        assert_eq!(
            received.len(),
            1,
            "receive {expected_count} finds the message"
        );
        let count = received[0]
            .attributes
            .as_ref()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            })
            .cloned();
        assert_eq!(count, Some(expected_count.to_string()));
        assert_eq!(received[0].body.as_deref(), Some("poison"));
    }
    emulator.server.shutdown().await;
}

/// Distinct bodies for the FIFO topic (content-based deduplication), and how many of its
/// publishes succeeded.
static FIFO_BODIES: AtomicU64 = AtomicU64::new(0);
static FIFO_PUBLISHED: AtomicU64 = AtomicU64::new(0);

/// A tiny deterministic generator: the workload is random but repeatable.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Real SDK clients of the three services, pointed at one endpoint.
struct Clients {
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    events: aws_sdk_eventbridge::Client,
}

impl Clients {
    fn new(endpoint: &str) -> Self {
        Clients {
            sqs: ferrybridge_tests::sqs_client(endpoint, "test", "us-east-1"),
            sns: ferrybridge_tests::sns_client(endpoint, "test", "us-east-1"),
            events: ferrybridge_tests::events_client(endpoint, "test", "us-east-1"),
        }
    }
}

/// An emulator on a runtime of its own (two workers, like the machine), so that the load the
/// test's own clients put on the test runtime cannot delay the server's answers: what the
/// health probe measures is the server alone.
struct DedicatedServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DedicatedServer {
    fn start() -> Self {
        ferrybridge_tests::watch_for_deadlocks();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let server = start_with_clock(Config::ephemeral(), Arc::new(SystemClock))
                    .await
                    .expect("start");
                addr_tx.send(server.addr).expect("report the address");
                let _ = stopped.await;
                server.shutdown().await;
            });
        });
        let addr = addr_rx.recv().expect("the server starts");
        DedicatedServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DedicatedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Everything the mixed workload works on: two of each kind, wired to each other.
struct Resources {
    queue_urls: [String; 2],
    queue_arns: [String; 2],
    topic_arns: [String; 2],
    fifo_topic_arn: String,
    fifo_queue_url: String,
    bus_names: [String; 2],
    bus_arns: [String; 2],
}

async fn set_up(c: &Clients) -> Resources {
    let (sqs, sns, events) = (&c.sqs, &c.sns, &c.events);
    let mut queue_urls = Vec::new();
    let mut queue_arns = Vec::new();
    for name in ["stress-a", "stress-b"] {
        let url = ferrybridge_tests::create_queue(sqs, name).await;
        queue_arns.push(queue_arn(sqs, &url).await);
        queue_urls.push(url);
    }
    let fifo_queue_url = sqs
        .create_queue()
        .queue_name("stress.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .expect("fifo queue")
        .queue_url
        .expect("url");
    let fifo_queue_arn = queue_arn(sqs, &fifo_queue_url).await;
    let mut topic_arns = Vec::new();
    for name in ["stress-t1", "stress-t2"] {
        let arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .expect("topic")
            .topic_arn
            .expect("arn");
        // Each topic delivers into both queues: two topics, two queues, crossed.
        for queue in &queue_arns {
            sns.subscribe()
                .topic_arn(&arn)
                .protocol("sqs")
                .endpoint(queue)
                .send()
                .await
                .expect("subscribe");
        }
        topic_arns.push(arn);
    }
    let fifo_topic_arn = sns
        .create_topic()
        .name("stress.fifo")
        .attributes("FifoTopic", "true")
        .attributes("ContentBasedDeduplication", "true")
        .send()
        .await
        .expect("fifo topic")
        .topic_arn
        .expect("arn");
    sns.subscribe()
        .topic_arn(&fifo_topic_arn)
        .protocol("sqs")
        .endpoint(&fifo_queue_arn)
        .send()
        .await
        .expect("subscribe fifo");
    let mut bus_names = Vec::new();
    let mut bus_arns = Vec::new();
    for name in ["stress-x", "stress-y"] {
        let arn = events
            .create_event_bus()
            .name(name)
            .send()
            .await
            .expect("bus")
            .event_bus_arn
            .expect("arn");
        bus_names.push(name.to_owned());
        bus_arns.push(arn);
    }
    let queue_urls: [String; 2] = queue_urls.try_into().expect("two");
    let queue_arns: [String; 2] = queue_arns.try_into().expect("two");
    let topic_arns: [String; 2] = topic_arns.try_into().expect("two");
    let bus_names: [String; 2] = bus_names.try_into().expect("two");
    let bus_arns: [String; 2] = bus_arns.try_into().expect("two");
    // Each bus forwards to the other and delivers into a queue and a topic.
    for i in 0..2 {
        events
            .put_rule()
            .name("cross")
            .event_bus_name(&bus_names[i])
            .event_pattern(r#"{"source": ["stress"]}"#)
            .send()
            .await
            .expect("rule");
        events
            .put_targets()
            .rule("cross")
            .event_bus_name(&bus_names[i])
            .targets(
                Target::builder()
                    .id("other-bus")
                    .arn(&bus_arns[1 - i])
                    .role_arn("arn:aws:iam::000000000000:role/events")
                    .build()
                    .expect("target"),
            )
            .targets(
                Target::builder()
                    .id("queue")
                    .arn(&queue_arns[i])
                    .build()
                    .expect("target"),
            )
            .targets(
                Target::builder()
                    .id("topic")
                    .arn(&topic_arns[1 - i])
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");
    }
    Resources {
        queue_urls,
        queue_arns,
        topic_arns,
        fifo_topic_arn,
        fifo_queue_url,
        bus_names,
        bus_arns,
    }
}

/// One random operation that touches two resources (or one resource and a reference to
/// another). Errors AWS would answer (a move task already running, a source that is no DLQ)
/// are fine; only a request that does not answer is not.
async fn one_operation(c: &Clients, r: &Resources, rng: &mut XorShift) {
    let sqs = &c.sqs;
    let (i, j) = (rng.below(2) as usize, rng.below(2) as usize);
    match rng.below(12) {
        // Redrive to itself or to the other queue: A->A, A->B, B->A, B->B.
        0 | 1 => {
            let _ = sqs
                .set_queue_attributes()
                .queue_url(&r.queue_urls[i])
                .attributes(
                    QueueAttributeName::RedrivePolicy,
                    redrive(&r.queue_arns[j], 1),
                )
                .send()
                .await;
        }
        2 => {
            let _ = sqs
                .set_queue_attributes()
                .queue_url(&r.queue_urls[i])
                .attributes(
                    QueueAttributeName::RedriveAllowPolicy,
                    r#"{"redrivePermission":"allowAll"}"#,
                )
                .attributes(QueueAttributeName::VisibilityTimeout, "0")
                .send()
                .await;
        }
        3 => {
            let _ = sqs
                .send_message()
                .queue_url(&r.queue_urls[i])
                .message_body("m")
                .send()
                .await;
        }
        // Receives move messages over maxReceiveCount between the two queues.
        4 => {
            let _ = sqs
                .receive_message()
                .queue_url(&r.queue_urls[i])
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .send()
                .await;
        }
        // Move tasks in both directions.
        5 => {
            let _ = sqs
                .start_message_move_task()
                .source_arn(&r.queue_arns[i])
                .destination_arn(&r.queue_arns[1 - i])
                .send()
                .await;
        }
        6 => {
            let _ = c
                .sns
                .publish()
                .topic_arn(&r.topic_arns[i])
                .message("fan-out")
                .send()
                .await;
        }
        7 => {
            let n = FIFO_BODIES.fetch_add(1, Ordering::Relaxed);
            let published = c
                .sns
                .publish()
                .topic_arn(&r.fifo_topic_arn)
                .message(format!("fifo {n}"))
                .message_group_id(format!("g{j}"))
                .send()
                .await;
            if published.is_ok() {
                FIFO_PUBLISHED.fetch_add(1, Ordering::Relaxed);
            }
        }
        8 => {
            let sub = c
                .sns
                .subscribe()
                .topic_arn(&r.topic_arns[i])
                .protocol("sqs")
                .endpoint(&r.queue_arns[j])
                .attributes("RawMessageDelivery", "true")
                .send()
                .await;
            if let Some(arn) = sub.ok().and_then(|s| s.subscription_arn) {
                let _ = c.sns.unsubscribe().subscription_arn(arn).send().await;
            }
        }
        9 => {
            let _ = c
                .events
                .put_events()
                .entries(
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&r.bus_arns[i])
                        .source("stress")
                        .detail_type("tick")
                        .detail("{}")
                        .build(),
                )
                .send()
                .await;
        }
        10 => {
            let _ = c
                .events
                .put_rule()
                .name(format!("churn-{j}"))
                .event_bus_name(&r.bus_names[i])
                .event_pattern(r#"{"source": ["stress"]}"#)
                .send()
                .await;
            let _ = c
                .events
                .put_targets()
                .rule(format!("churn-{j}"))
                .event_bus_name(&r.bus_names[i])
                .targets(
                    Target::builder()
                        .id("q")
                        .arn(&r.queue_arns[j])
                        .build()
                        .expect("target"),
                )
                .send()
                .await;
        }
        _ => {
            let name = format!("stress-archive-{i}{j}");
            let _ = c
                .events
                .create_archive()
                .archive_name(&name)
                .event_source_arn(&r.bus_arns[i])
                .send()
                .await;
            let _ = c.events.delete_archive().archive_name(&name).send().await;
        }
    }
}

/// The two-resource stress test of the lock rules: many clients, a random mix of operations
/// that each touch two resources, for a bounded time; health answers within 100 ms throughout
/// and every request answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_resource_operations_never_stall_the_server() {
    let server = DedicatedServer::start();
    let clients = Arc::new(Clients::new(&server.endpoint()));
    let resources = Arc::new(set_up(&clients).await);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe_health(server.addr, stop.clone());
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + STRESS_FOR;
    let mut tasks = Vec::new();
    for seed in 0..CLIENTS {
        let (clients, resources, done) = (clients.clone(), resources.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (seed + 1));
            while Instant::now() < deadline {
                tokio::time::timeout(REQUEST_LIMIT, one_operation(&clients, &resources, &mut rng))
                    .await
                    .expect("every request answers");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    stop.store(true, Ordering::Relaxed);
    let worst = tokio::task::spawn_blocking(move || prober.join().expect("prober"))
        .await
        .expect("join");
    let operations = done.load(Ordering::Relaxed);
    assert!(
        operations > CLIENTS,
        "the workload ran ({operations} operations)"
    );
    assert!(
        worst < Duration::from_millis(100),
        "the health endpoint took {worst:?} at worst during {operations} operations"
    );
    // The FIFO topic's ordered hand-on (batches queued under its lock, handed on after it)
    // lost nothing: every acknowledged publish reaches its FIFO queue.
    let published = FIFO_PUBLISHED.load(Ordering::Relaxed);
    assert!(published > 0, "the workload published to the FIFO topic");
    let mut in_queue = 0;
    for _ in 0..100 {
        in_queue = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&resources.fifo_queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("attributes")
            .attributes
            .unwrap_or_default()
            .values()
            .map(|v| v.parse::<u64>().expect("a count"))
            .sum();
        if in_queue == published {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(in_queue, published, "FIFO messages delivered");
    drop(server);
}
