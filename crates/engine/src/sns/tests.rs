use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::clock::ManualClock;
use crate::sqs::MessageAttributeValue;

const PRINCIPAL: &str = "arn:aws:iam::000000000000:root";

fn engine() -> (SnsEngine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (SnsEngine::new(clock.clone()), clock)
}

fn fifo_topic(e: &SnsEngine, content_dedup: bool) -> Arc<Topic> {
    e.create_topic(
        "000000000000",
        "us-east-1",
        "t.fifo",
        &[
            ("FifoTopic".into(), "true".into()),
            (
                "ContentBasedDeduplication".into(),
                content_dedup.to_string(),
            ),
        ],
        &[],
        None,
    )
    .expect("fifo topic")
}

fn message(body: &str, group: Option<&str>) -> PublishInput {
    PublishInput {
        message: body.into(),
        message_group_id: group.map(str::to_owned),
        ..PublishInput::default()
    }
}

#[test]
fn fifo_deduplication_lasts_exactly_five_minutes() {
    let (e, clock) = engine();
    let t = fifo_topic(&e, true);
    let first = e.publish(&t, message("a", Some("g")), |_| {}).unwrap();
    clock.advance(Duration::from_millis(topic::DEDUPLICATION_WINDOW_MS - 1));
    let dup = e
        .publish(&t, message("a", Some("g")), |d| assert!(d.is_empty()))
        .unwrap();
    assert_eq!(dup.message_id, first.message_id);
    assert_eq!(dup.sequence_number, first.sequence_number);
    clock.advance(Duration::from_millis(1));
    let fresh = e.publish(&t, message("a", Some("g")), |_| {}).unwrap();
    assert_ne!(fresh.message_id, first.message_id);
    assert!(fresh.sequence_number > first.sequence_number);
}

#[test]
fn pending_and_filtered_subscriptions_receive_nothing() {
    let (e, _) = engine();
    let t = e
        .create_topic("000000000000", "us-east-1", "t", &[], &[], None)
        .unwrap();
    let sqs = e
        .subscribe(
            "000000000000",
            PRINCIPAL,
            &t,
            "sqs",
            "arn:aws:sqs:us-east-1:000000000000:q",
            &[("FilterPolicy".into(), r#"{"kind": ["a"]}"#.into())],
        )
        .unwrap()
        .subscription;
    let http = e
        .subscribe(
            "000000000000",
            PRINCIPAL,
            &t,
            "http",
            "http://localhost/",
            &[],
        )
        .unwrap()
        .subscription;
    assert!(!sqs.is_pending());
    assert!(http.is_pending());
    assert_eq!(t.subscription_counts(), (1, 1, 0));

    let mut with_attr = message("m", None);
    with_attr.attributes = vec![("kind".into(), MessageAttributeValue::string("String", "a"))];
    let mut seen = Vec::new();
    e.publish(&t, with_attr, |d| seen = d).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].subscription.arn, sqs.arn);
    e.publish(&t, message("m", None), |d| seen = d).unwrap();
    assert!(seen.is_empty(), "no attributes: the filter does not match");

    // Confirming makes the http subscription a recipient.
    let confirmed = e.confirm_subscription(t.arn(), &http.token, false).unwrap();
    assert_eq!(confirmed.arn, http.arn);
    e.publish(&t, message("m", None), |d| seen = d).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].subscription.arn, http.arn);
    assert_eq!(t.subscription_counts(), (2, 0, 0));

    e.unsubscribe(&sqs.arn).unwrap();
    assert_eq!(t.subscription_counts(), (1, 0, 1));
    assert!(sqs.is_deleted());
}

#[test]
fn message_structure_json_picks_the_protocols_message() {
    let (e, _) = engine();
    let t = e
        .create_topic("000000000000", "us-east-1", "t", &[], &[], None)
        .unwrap();
    e.subscribe("000000000000", PRINCIPAL, &t, "sms", "+15550100", &[])
        .unwrap();
    let mut input = message(r#"{"default": "d", "sms": "s", "lambda": 1}"#, None);
    input.structure_json = true;
    let mut seen = Vec::new();
    e.publish(&t, input, |d| seen = d).unwrap();
    let n = &seen[0].notification;
    assert_eq!(n.message, "d");
    assert_eq!(n.message_for(Protocol::Sms), "s");
    assert_eq!(
        n.message_for(Protocol::Lambda),
        "d",
        "non-string entries are ignored"
    );
}

#[test]
fn topic_names_and_fifo_rules() {
    let (e, _) = engine();
    let err = e
        .create_topic("000000000000", "us-east-1", "x.fifo", &[], &[], None)
        .unwrap_err();
    assert_eq!(err, SnsError::invalid("Topic Name"));
    let t = fifo_topic(&e, false);
    let err = e.publish(&t, message("a", None), |_| {}).unwrap_err();
    assert_eq!(
        err.message(),
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
    let err = e.publish(&t, message("a", Some("g")), |_| {}).unwrap_err();
    assert!(err.message().contains("ContentBasedDeduplication"));
    assert_eq!(
        e.list_topics("000000000000", "us-east-1", None)
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(e
        .list_topics("000000000000", "us-east-1", Some("bogus"))
        .is_err());
}

#[test]
fn recordings_are_a_ring_buffer() {
    let (e, _) = engine();
    for i in 0..MAX_RECORDINGS + 5 {
        e.record(Recorded {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            protocol: "sms".into(),
            endpoint: format!("+1555{i:07}"),
            topic_arn: None,
            subscription_arn: None,
            message_id: i.to_string(),
            subject: None,
            message: "m".into(),
            attributes: Default::default(),
            timestamp_ms: 0,
        });
    }
    let all = e.recordings(None);
    assert_eq!(all.len(), MAX_RECORDINGS);
    assert_eq!(all[0].endpoint, "+15550000005");
}

/// Issue 17: the recordings also keep at most MAX_RECORDING_BYTES (300 KB messages: a few
/// hundred, not 10,000), and a page copies only its part.
#[test]
fn recordings_are_bounded_in_bytes_and_paged() {
    let (e, _) = engine();
    let big = "x".repeat(300 * 1024);
    for i in 0..400 {
        e.record(Recorded {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            protocol: if i % 2 == 0 { "sms" } else { "lambda" }.into(),
            endpoint: format!("e{i}"),
            topic_arn: None,
            subscription_arn: None,
            message_id: i.to_string(),
            subject: None,
            message: big.clone(),
            attributes: Default::default(),
            timestamp_ms: 0,
        });
    }
    let kept = e.recordings(None);
    let bytes: usize = kept.iter().map(Recorded::size).sum();
    assert!(bytes <= MAX_RECORDING_BYTES, "{bytes}");
    assert_eq!(kept.len(), MAX_RECORDING_BYTES / (300 * 1024));
    assert_eq!(kept.last().map(|r| r.endpoint.as_str()), Some("e399"));
    let (page, total) = e.recordings_page(Some("sms"), None, 10, 5);
    assert_eq!(total, kept.iter().filter(|r| r.protocol == "sms").count());
    assert_eq!(page.len(), 5);
    assert!(page.iter().all(|r| r.protocol == "sms"));
    let (one, total) = e.recordings_page(None, Some("e399"), 0, 10);
    assert_eq!((one.len(), total), (1, 1));
}

/// Page tokens are opaque base64 (AWS's are: `AAHrokS2B2V0PGIaX/pqx/9+0pHV1+5YQl4a3nOvPI7q5A==`,
/// recorded in LocalStack's test_subscription_paging), and only ours are taken back.
#[test]
fn page_tokens_are_opaque_base64() {
    use base64::Engine as _;
    let all: Vec<usize> = (0..250).collect();
    let first = page(&all, None).unwrap();
    assert_eq!(first.items, (0..100).collect::<Vec<_>>());
    let token = first.next_token.expect("a second page");
    assert!(token.parse::<u64>().is_err());
    assert!(base64::engine::general_purpose::STANDARD
        .decode(&token)
        .is_ok());
    let second = page(&all, Some(&token)).unwrap();
    assert_eq!(second.items, (100..200).collect::<Vec<_>>());
    let third = page(&all, second.next_token.as_deref()).unwrap();
    assert_eq!(third.items, (200..250).collect::<Vec<_>>());
    assert!(third.next_token.is_none());
    for bad in ["100", "AAAA", "not base64!", "AAH7XgAAAAAAAAPo"] {
        assert_eq!(
            page(&all, Some(bad)).unwrap_err(),
            SnsError::invalid("NextToken"),
            "{bad}"
        );
    }
}
