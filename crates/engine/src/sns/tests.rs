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

// ---- DeliveryPolicy: parsed once where it is stored ----

const ACCOUNT: &str = "000000000000";

fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn topic_with(
    e: &SnsEngine,
    name: &str,
    attributes: &[(&str, &str)],
) -> Result<Arc<Topic>, SnsError> {
    e.create_topic(ACCOUNT, "us-east-1", name, &attrs(attributes), &[], None)
}

fn http_subscription(
    e: &SnsEngine,
    t: &Arc<Topic>,
    attributes: &[(&str, &str)],
) -> Result<Arc<Subscription>, SnsError> {
    e.subscribe(
        ACCOUNT,
        PRINCIPAL,
        t,
        "http",
        "http://localhost:1/x",
        &attrs(attributes),
    )
    .map(|s| s.subscription)
}

/// The invalid shapes of a retry section and AWS's reason for each (the first one recorded
/// from AWS), relative to the section's path.
const INVALID_RETRY_SECTIONS: &[(&str, &str)] = &[
    (
        r#"{"minDelayTarget":10,"maxDelayTarget":20,"numRetries":300}"#,
        "numRetries must be less than or equal to 100",
    ),
    (
        r#"{"minDelayTarget":5,"maxDelayTarget":3,"numRetries":3}"#,
        "maxDelayTarget must be greater than or equal to minDelayTarget",
    ),
    (
        r#"{"minDelayTarget":0,"maxDelayTarget":3,"numRetries":3}"#,
        "minDelayTarget must be greater than or equal to 1",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3601,"numRetries":3}"#,
        "maxDelayTarget must be less than or equal to 3600",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":-1}"#,
        "numRetries must be greater than or equal to 0",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"numMinDelayRetries":-1}"#,
        "numMinDelayRetries must be greater than or equal to 0",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"numNoDelayRetries":2,"numMaxDelayRetries":2}"#,
        "numRetries must be greater than or equal to total of numMinDelayRetries, numNoDelayRetries and numMaxDelayRetries",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":3,"backoffFunction":"cubic"}"#,
        "backoffFunction: the value [cubic] is not a valid backoff function",
    ),
    (
        r#"{"maxDelayTarget":3,"numRetries":3}"#,
        "minDelayTarget must be specified",
    ),
    (
        r#"{"minDelayTarget":1,"numRetries":3}"#,
        "maxDelayTarget must be specified",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3}"#,
        "numRetries must be specified",
    ),
    (
        r#"{"minDelayTarget":1,"maxDelayTarget":3,"numRetries":"three"}"#,
        "numRetries must be an integer",
    ),
    (
        r#"{"minDelayTarget":1.5,"maxDelayTarget":3,"numRetries":1}"#,
        "minDelayTarget must be an integer",
    ),
    (r#"[1]"#, "must be a JSON object"),
];

#[test]
fn every_invalid_topic_delivery_policy_is_refused_with_awss_text_where_it_is_stored() {
    let (e, _) = engine();
    let t = topic_with(&e, "t", &[]).unwrap();
    for (section, reason) in INVALID_RETRY_SECTIONS {
        let policy = format!(r#"{{"http":{{"defaultHealthyRetryPolicy":{section}}}}}"#);
        let path = if reason.starts_with("must") {
            "http.defaultHealthyRetryPolicy "
        } else {
            "http.defaultHealthyRetryPolicy."
        };
        // SetTopicAttributes words it without `Attributes Reason:`, CreateTopic with it.
        assert_eq!(
            t.set_attribute("DeliveryPolicy", &policy).unwrap_err(),
            SnsError::InvalidParameter(format!(
                "Invalid parameter: DeliveryPolicy: {path}{reason}"
            )),
            "{section}"
        );
        assert_eq!(
            topic_with(&e, "u", &[("DeliveryPolicy", &policy)]).unwrap_err(),
            SnsError::InvalidParameter(format!(
                "Invalid parameter: Attributes Reason: DeliveryPolicy: {path}{reason}"
            )),
            "{section}"
        );
    }
    for (policy, reason) in [
        ("not json", "failed to parse JSON"),
        ("[1]", "failed to parse JSON"),
        (" ", "failed to parse JSON"),
        (r#"{"sqs":{}}"#, "Unexpected JSON member: sqs"),
        (
            r#"{"http":{"throttlePolicy":{"maxReceivesPerSecond":1}}}"#,
            "Unexpected JSON member: throttlePolicy",
        ),
        (
            r#"{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":0}}}"#,
            "http.defaultThrottlePolicy.maxReceivesPerSecond must be >= 1",
        ),
        (
            r#"{"http":{"defaultRequestPolicy":{"headerContentType":"bogus"}}}"#,
            "http.defaultRequestPolicy.headerContentType: the value [bogus] is not a valid content type",
        ),
        (
            r#"{"http":{"disableSubscriptionOverrides":"yes"}}"#,
            "http.disableSubscriptionOverrides must be a boolean",
        ),
    ] {
        assert_eq!(
            t.set_attribute("DeliveryPolicy", policy).unwrap_err().message(),
            format!("Invalid parameter: DeliveryPolicy: {reason}"),
            "{policy}"
        );
    }
    assert_eq!(
        t.attributes().delivery_policy,
        None,
        "nothing refused was stored"
    );
    assert!(e
        .topics(ACCOUNT, "us-east-1")
        .iter()
        .all(|t| t.name() != "u"));
}

#[test]
fn every_invalid_subscription_delivery_policy_is_refused_with_awss_text_where_it_is_stored() {
    let (e, _) = engine();
    let t = topic_with(&e, "t", &[]).unwrap();
    let sub = http_subscription(&e, &t, &[]).unwrap();
    for (section, reason) in INVALID_RETRY_SECTIONS {
        let policy = format!(r#"{{"healthyRetryPolicy":{section}}}"#);
        let path = if reason.starts_with("must") {
            "healthyRetryPolicy "
        } else {
            "healthyRetryPolicy."
        };
        assert_eq!(
            sub.set_attribute(false, "DeliveryPolicy", &policy)
                .unwrap_err()
                .message(),
            format!("Invalid parameter: DeliveryPolicy: {path}{reason}"),
            "{section}"
        );
        // Subscribe words it with `Attributes Reason:`, before it looks at the endpoint.
        let refused = e
            .subscribe(
                ACCOUNT,
                PRINCIPAL,
                &t,
                "http",
                "not-a-url",
                &attrs(&[("DeliveryPolicy", &policy)]),
            )
            .unwrap_err();
        assert_eq!(
            refused.message(),
            format!("Invalid parameter: Attributes Reason: DeliveryPolicy: {path}{reason}"),
            "{section}"
        );
    }
    for (policy, reason) in [
        (
            r#"{"defaultHealthyRetryPolicy":{}}"#,
            "Unexpected JSON member: defaultHealthyRetryPolicy",
        ),
        (
            r#"{"throttlePolicy":{"maxReceivesPerSecond":0}}"#,
            "throttlePolicy.maxReceivesPerSecond must be >= 1",
        ),
        (
            r#"{"throttlePolicy":{}}"#,
            "throttlePolicy.maxReceivesPerSecond must be specified",
        ),
        (
            r#"{"requestPolicy":{"headerContentType":"text/"}}"#,
            "requestPolicy.headerContentType: the value [text/] is not a valid content type",
        ),
        (r#"{"guaranteed":"yes"}"#, "guaranteed must be a boolean"),
        ("  ", "failed to parse JSON"),
    ] {
        assert_eq!(
            sub.set_attribute(false, "DeliveryPolicy", policy)
                .unwrap_err()
                .message(),
            format!("Invalid parameter: DeliveryPolicy: {reason}"),
            "{policy}"
        );
    }
    assert_eq!(
        sub.settings().delivery_policy,
        None,
        "nothing refused was stored"
    );
    assert_eq!(t.subscriptions().len(), 1, "nothing refused was subscribed");
}

#[test]
fn a_valid_delivery_policy_keeps_its_text_exactly_and_its_parsed_form() {
    let (e, _) = engine();
    // Keys out of AWS's order, blanks, a float: the text comes back exactly as set.
    let text = r#"{ "http": {"defaultThrottlePolicy":{"maxReceivesPerSecond":5},
        "defaultHealthyRetryPolicy": {"numRetries": 6.0, "maxDelayTarget": 20, "minDelayTarget": 10, "backoffFunction": "geometric"}}}"#;
    let t = topic_with(&e, "t", &[("DeliveryPolicy", text)]).unwrap();
    let stored = t.attributes().delivery_policy.expect("stored");
    assert_eq!(stored.text(), text);
    let parsed = t.delivery_policy().expect("parsed");
    let http = parsed.http.as_ref().expect("http section");
    let retry = http
        .default_healthy_retry_policy
        .as_ref()
        .expect("retry section");
    assert_eq!(
        (
            retry.min_delay_target,
            retry.max_delay_target,
            retry.num_retries
        ),
        (10, 20, 6)
    );
    assert_eq!(
        retry.backoff_function,
        delivery_policy::BackoffFunction::Geometric
    );
    assert_eq!(
        http.default_throttle_policy
            .as_ref()
            .map(|p| p.max_receives_per_second),
        Some(5)
    );
    assert_eq!(&parsed, stored.policy());

    // The same attributes again: the same topic (CreateTopic is idempotent on the text).
    assert!(Arc::ptr_eq(
        &t,
        &topic_with(&e, "t", &[("DeliveryPolicy", text)]).unwrap()
    ));
    // An empty value removes it.
    t.set_attribute("DeliveryPolicy", "").unwrap();
    assert_eq!(t.attributes().delivery_policy, None);
    assert_eq!(t.delivery_policy(), None);

    let sub_text = r#"{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":2},"guaranteed":true}"#;
    let sub = http_subscription(&e, &t, &[("DeliveryPolicy", sub_text)]).unwrap();
    assert_eq!(
        sub.settings()
            .delivery_policy
            .as_ref()
            .map(StoredPolicy::text),
        Some(sub_text)
    );
    assert!(sub.delivery_policy().expect("parsed").guaranteed);
    sub.set_attribute(false, "DeliveryPolicy", "").unwrap();
    assert_eq!(sub.delivery_policy(), None);
}

#[test]
fn the_effective_policy_merges_the_topics_parsed_policy_with_the_subscriptions() {
    let (e, _) = engine();
    let t = topic_with(&e, "t", &[]).unwrap();
    let sub = http_subscription(&e, &t, &[]).unwrap();
    assert_eq!(e.effective_delivery_policy(&sub), DeliveryPolicy::default());
    assert_eq!(
        e.effective_delivery_policy(&sub).retry_delays(),
        [20, 20, 20].map(Duration::from_secs)
    );

    t.set_attribute(
        "DeliveryPolicy",
        r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1},"defaultThrottlePolicy":{"maxReceivesPerSecond":3},"defaultRequestPolicy":{"headerContentType":"application/xml"}}}"#,
    )
    .unwrap();
    let from_topic = e.effective_delivery_policy(&sub);
    assert_eq!(from_topic.retry_delays(), [Duration::from_secs(1)]);
    assert_eq!(from_topic.max_receives_per_second(), Some(3));
    assert_eq!(from_topic.header_content_type(), "application/xml");

    // The subscription's sections win; the ones it leaves out come from the topic.
    sub.set_attribute(
        false,
        "DeliveryPolicy",
        r#"{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":2},"requestPolicy":{"headerContentType":"application/json"}}"#,
    )
    .unwrap();
    let merged = e.effective_delivery_policy(&sub);
    assert_eq!(merged.retry_delays(), [2, 2].map(Duration::from_secs));
    assert_eq!(merged.max_receives_per_second(), Some(3), "from the topic");
    assert_eq!(merged.header_content_type(), "application/json");
    assert_eq!(
        merged.to_json(),
        r#"{"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":2,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"sicklyRetryPolicy":null,"throttlePolicy":{"maxReceivesPerSecond":3},"requestPolicy":{"headerContentType":"application/json"},"guaranteed":false}"#
    );

    // A topic that disables overrides wins, as soon as it is set.
    t.set_attribute(
        "DeliveryPolicy",
        r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1},"disableSubscriptionOverrides":true}}"#,
    )
    .unwrap();
    let locked = e.effective_delivery_policy(&sub);
    assert_eq!(locked.retry_delays(), [Duration::from_secs(1)]);
    assert_eq!(locked.header_content_type(), "text/plain; charset=UTF-8");

    // Once the topic is gone the subscription's own policy is all there is.
    e.delete_topic("us-east-1", t.arn()).unwrap();
    assert_eq!(
        e.effective_delivery_policy(&sub).retry_delays(),
        [2, 2].map(Duration::from_secs)
    );
}

/// The default topic policy CreateTopic writes (AWS's, `AWS:SourceOwner` = the owner) admits
/// the owner account only; another account and EventBridge need a grant of their own. (With
/// the policy evaluator's case table in `policy/tests.rs`, which cannot use the SNS engine.)
#[test]
fn default_topic_policy_admits_only_the_owner() {
    use crate::policy::{authorize, Decision, Policy, Principal, Request};
    const A: &str = "111111111111";
    const T: &str = "arn:aws:sns:us-east-1:111111111111:alerts";
    let policy = Policy::parse(&topic::default_policy(T, A)).expect("default policy parses");
    let cases = [
        (
            "owner",
            Principal::Aws {
                account: A,
                arn: "arn:aws:iam::111111111111:root",
            },
            "SNS:Publish",
            &[][..],
            Decision::Allow,
        ),
        (
            "other account",
            Principal::Aws {
                account: "222222222222",
                arn: "arn:aws:iam::222222222222:root",
            },
            "sns:Publish",
            &[][..],
            Decision::ImplicitDeny,
        ),
        (
            "EventBridge needs its own grant",
            Principal::Service("events.amazonaws.com"),
            "sns:Publish",
            &[("aws:SourceAccount", A)][..],
            Decision::ImplicitDeny,
        ),
    ];
    for (name, principal, action, context, want) in cases {
        let req = Request {
            principal,
            action,
            resource: T,
            context,
        };
        assert_eq!(authorize(Some(&policy), A, &req), want, "{name}");
    }
}
