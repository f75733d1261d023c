//! Engine tests for EventBridge: what AWS does, on a manual clock.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::clock::ManualClock;
use transform::TargetInput;

const ACCOUNT: &str = "000000000000";
const OTHER: &str = "111111111111";
const REGION: &str = "us-east-1";

/// The envelope built as a value, field by field in AWS's order: what
/// [`event::envelope_json`] must write.
#[allow(clippy::too_many_arguments)]
fn envelope_value(
    id: &str,
    detail_type: &str,
    source: &str,
    account: &str,
    time_ms: u64,
    region: &str,
    resources: &[String],
    detail: Value,
) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("version".into(), json!("0"));
    map.insert("id".into(), json!(id));
    map.insert("detail-type".into(), json!(detail_type));
    map.insert("source".into(), json!(source));
    map.insert("account".into(), json!(account));
    map.insert("time".into(), json!(event::format_time(time_ms)));
    map.insert("region".into(), json!(region));
    map.insert("resources".into(), json!(resources));
    map.insert("detail".into(), detail);
    Value::Object(map)
}

fn engine() -> EventsEngine {
    EventsEngine::new(Arc::new(ManualClock::default()))
}

fn rule_input(name: &str, pattern: &str) -> PutRuleInput {
    PutRuleInput {
        name: name.into(),
        event_pattern: Some(pattern.into()),
        ..PutRuleInput::default()
    }
}

fn target(id: &str, arn: &str) -> Target {
    Target {
        id: id.into(),
        arn: arn.into(),
        kind: TargetKind::of(arn).expect("an ARN"),
        input: TargetInput::Event,
        retry_policy: RetryPolicy::default(),
        dead_letter_arn: None,
        message_group_id: None,
        description: json!({"Id": id, "Arn": arn}),
    }
}

fn entry(bus: Option<&str>, detail_type: &str, detail: &str) -> EntryInput {
    EntryInput {
        source: Some("shop".into()),
        detail_type: Some(detail_type.into()),
        detail: Some(detail.into()),
        event_bus_name: bus.map(str::to_owned),
        ..EntryInput::default()
    }
}

#[test]
fn every_account_and_region_has_a_default_bus_that_cannot_be_deleted() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("default bus");
    assert_eq!(
        bus.arn,
        "arn:aws:events:us-east-1:000000000000:event-bus/default"
    );
    let other = e
        .bus(OTHER, "eu-west-1", Some("default"))
        .expect("default bus");
    assert_eq!(
        other.arn,
        "arn:aws:events:eu-west-1:111111111111:event-bus/default"
    );
    assert_eq!(
        e.delete_event_bus(ACCOUNT, REGION, "default"),
        Err(EventsError::Validation(
            "Cannot delete event bus default.".into()
        ))
    );
}

#[test]
fn buses_are_created_once_listed_by_name_and_deleted_idempotently() {
    let e = engine();
    e.create_event_bus(ACCOUNT, REGION, "orders", BusSettings::default(), &[])
        .expect("created");
    let again = e.create_event_bus(ACCOUNT, REGION, "orders", BusSettings::default(), &[]);
    assert_eq!(
        again.err(),
        Some(EventsError::ResourceAlreadyExists(
            "Event bus orders already exists.".into()
        ))
    );
    for name in ["billing", "shipping"] {
        e.create_event_bus(ACCOUNT, REGION, name, BusSettings::default(), &[])
            .expect("created");
    }
    let first = e
        .list_event_buses(ACCOUNT, REGION, None, None, Some(2))
        .expect("page");
    let names: Vec<&str> = first.items.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["billing", "default"]);
    let second = e
        .list_event_buses(ACCOUNT, REGION, None, first.next_token.as_deref(), Some(2))
        .expect("page");
    let names: Vec<&str> = second.items.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["orders", "shipping"]);
    assert!(second.next_token.is_none());
    assert!(matches!(
        e.list_event_buses(ACCOUNT, REGION, None, Some("garbage"), None),
        Err(EventsError::Validation(_))
    ));
    e.delete_event_bus(ACCOUNT, REGION, "orders")
        .expect("deleted");
    e.delete_event_bus(ACCOUNT, REGION, "orders")
        .expect("deleting again succeeds");
    assert_eq!(
        e.bus(ACCOUNT, REGION, Some("orders")).err(),
        Some(EventsError::ResourceNotFound(
            "Event bus orders does not exist.".into()
        ))
    );
}

#[test]
fn put_rule_needs_a_pattern_or_a_schedule_and_schedules_only_on_the_default_bus() {
    let e = engine();
    let default = e.bus(ACCOUNT, REGION, None).expect("bus");
    let custom = e
        .create_event_bus(ACCOUNT, REGION, "orders", BusSettings::default(), &[])
        .expect("bus");
    let neither = e.put_rule(
        ACCOUNT,
        &default,
        PutRuleInput {
            name: "r".into(),
            ..PutRuleInput::default()
        },
    );
    assert_eq!(
        neither.err(),
        Some(EventsError::Validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.".into()
        ))
    );
    let scheduled = |bus: &Arc<EventBus>, expr: &str| {
        e.put_rule(
            ACCOUNT,
            bus,
            PutRuleInput {
                name: "s".into(),
                schedule_expression: Some(expr.into()),
                ..PutRuleInput::default()
            },
        )
    };
    assert_eq!(
        scheduled(&custom, "rate(5 minutes)").err(),
        Some(EventsError::Validation(
            "ScheduleExpression is supported only on the default event bus.".into()
        ))
    );
    assert_eq!(
        scheduled(&default, "rate(5 minute)").err(),
        Some(EventsError::Validation(
            "Parameter ScheduleExpression is not valid.".into()
        ))
    );
    let rule = scheduled(&default, "rate(5 minutes)").expect("scheduled rule");
    assert_eq!(rule.arn, "arn:aws:events:us-east-1:000000000000:rule/s");
    let bad = e.put_rule(ACCOUNT, &custom, rule_input("p", r#"{"source": "x"}"#));
    match bad {
        Err(EventsError::InvalidEventPattern(m)) => {
            assert!(m.starts_with("Event pattern is not valid. Reason: "), "{m}")
        }
        other => panic!("expected InvalidEventPattern, got {other:?}"),
    }
    let on_custom = e
        .put_rule(ACCOUNT, &custom, rule_input("p", r#"{"source": ["x"]}"#))
        .expect("rule");
    assert_eq!(
        on_custom.arn,
        "arn:aws:events:us-east-1:000000000000:rule/orders/p"
    );
    assert_eq!(on_custom.created_by, ACCOUNT);
}

#[test]
fn events_reach_the_targets_of_enabled_matching_rules_only() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let placed = e
        .put_rule(
            ACCOUNT,
            &bus,
            rule_input("placed", r#"{"detail-type": ["OrderPlaced"]}"#),
        )
        .expect("rule");
    let big = e
        .put_rule(
            ACCOUNT,
            &bus,
            rule_input("big", r#"{"detail": {"total": [{"numeric": [">", 100]}]}}"#),
        )
        .expect("rule");
    e.put_targets(
        &placed,
        vec![target("q", "arn:aws:sqs:us-east-1:000000000000:placed")],
    )
    .expect("targets");
    e.put_targets(
        &big,
        vec![
            target("q", "arn:aws:sqs:us-east-1:000000000000:big"),
            target("f", "arn:aws:lambda:us-east-1:000000000000:function:audit"),
        ],
    )
    .expect("targets");

    let (results, invocations) = e.put_events(
        ACCOUNT,
        REGION,
        &[
            entry(None, "OrderPlaced", r#"{"total": 500}"#),
            entry(None, "OrderPlaced", r#"{"total": 5}"#),
            entry(None, "OrderShipped", r#"{"total": 5}"#),
        ],
    );
    assert!(results.iter().all(Result::is_ok));
    let arns: Vec<(String, &str)> = invocations
        .iter()
        .map(|i| (i.event.id.clone(), i.target.arn.as_str()))
        .collect();
    let first = results[0].clone().expect("id");
    let second = results[1].clone().expect("id");
    assert_eq!(arns.len(), 4, "{arns:?}");
    assert!(arns.contains(&(first.clone(), "arn:aws:sqs:us-east-1:000000000000:placed")));
    assert!(arns.contains(&(first.clone(), "arn:aws:sqs:us-east-1:000000000000:big")));
    assert!(arns.contains(&(
        first,
        "arn:aws:lambda:us-east-1:000000000000:function:audit"
    )));
    assert!(arns.contains(&(second, "arn:aws:sqs:us-east-1:000000000000:placed")));

    e.set_rule_state(&bus, "big", RuleState::Disabled)
        .expect("disabled");
    let (_, invocations) = e.put_events(
        ACCOUNT,
        REGION,
        &[entry(None, "OrderShipped", r#"{"total": 500}"#)],
    );
    assert!(invocations.is_empty());
    e.set_rule_state(&bus, "big", RuleState::Enabled)
        .expect("enabled");
    let (_, invocations) = e.put_events(
        ACCOUNT,
        REGION,
        &[entry(None, "OrderShipped", r#"{"total": 500}"#)],
    );
    assert_eq!(invocations.len(), 2);
}

#[test]
fn the_envelope_is_built_in_aws_order_with_whole_second_times() {
    let e = engine();
    let mut with_time = entry(None, "OrderPlaced", r#"{"b": 1, "a": [1, 2]}"#);
    with_time.time_ms = Some(1_640_995_200_500);
    with_time.resources = vec!["arn:aws:s3:::bucket".into()];
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let rule = e
        .put_rule(ACCOUNT, &bus, rule_input("all", r#"{"source": ["shop"]}"#))
        .expect("rule");
    e.put_targets(
        &rule,
        vec![target("q", "arn:aws:sqs:us-east-1:000000000000:q")],
    )
    .expect("targets");
    let (results, invocations) = e.put_events(ACCOUNT, REGION, &[with_time]);
    let id = results[0].clone().expect("id");
    assert_eq!(
        invocations[0].event.json,
        format!(
            r#"{{"version":"0","id":"{id}","detail-type":"OrderPlaced","source":"shop","account":"000000000000","time":"2022-01-01T00:00:00Z","region":"us-east-1","resources":["arn:aws:s3:::bucket"],"detail":{{"b":1,"a":[1,2]}}}}"#
        )
    );
}

#[test]
fn put_events_checks_each_entry_and_accepts_events_for_a_missing_bus() {
    let e = engine();
    let missing_source = EntryInput {
        source: None,
        ..entry(None, "T", "{}")
    };
    let empty_type = entry(None, "", "{}");
    let no_detail = EntryInput {
        detail: None,
        ..entry(None, "T", "{}")
    };
    let (results, invocations) = e.put_events(
        ACCOUNT,
        REGION,
        &[
            missing_source,
            empty_type,
            no_detail,
            entry(None, "T", "[]"),
            entry(None, "T", "\"text\""),
            entry(None, "T", "{{}"),
            entry(Some("nowhere"), "T", "{}"),
        ],
    );
    let err = |i: usize| results[i].clone().err().map(|e| (e.code, e.message));
    assert_eq!(
        err(0),
        Some((
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.".into()
        ))
    );
    assert_eq!(
        err(1),
        Some((
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.".into()
        ))
    );
    assert_eq!(
        err(2),
        Some((
            "InvalidArgument",
            "Parameter Detail is not valid. Reason: Detail is a required argument.".into()
        ))
    );
    for i in 3..6 {
        assert_eq!(
            err(i),
            Some(("MalformedDetail", "Detail is malformed.".into()))
        );
    }
    assert!(
        results[6].is_ok(),
        "AWS answers an EventId for a bus that does not exist"
    );
    assert!(invocations.is_empty());
}

#[test]
fn a_rule_takes_at_most_five_targets_and_cannot_be_deleted_while_it_has_any() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let rule = e
        .put_rule(ACCOUNT, &bus, rule_input("r", r#"{"source": ["shop"]}"#))
        .expect("rule");
    let queue = |i: usize| {
        target(
            &format!("t{i}"),
            &format!("arn:aws:sqs:us-east-1:000000000000:q{i}"),
        )
    };
    e.put_targets(&rule, (0..4).map(queue).collect())
        .expect("four targets");
    // Replacing an existing id does not count against the limit.
    e.put_targets(&rule, vec![queue(0), queue(4)])
        .expect("five targets");
    assert_eq!(
        e.put_targets(&rule, vec![queue(5)]),
        Err(EventsError::LimitExceeded(
            "The requested resource exceeds the maximum number allowed.".into()
        ))
    );
    assert_eq!(
        e.delete_rule(&bus, "r", false),
        Err(EventsError::Validation(
            "Rule can't be deleted since it has targets.".into()
        ))
    );
    let ids: Vec<String> = (0..5)
        .map(|i| format!("t{i}"))
        .chain(["nope".to_owned()])
        .collect();
    let failed = e.remove_targets(&rule, &ids, false).expect("removed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].target_id, "nope");
    assert_eq!(failed[0].error_code, "ResourceNotFoundException");
    e.delete_rule(&bus, "r", false).expect("deleted");
    e.delete_rule(&bus, "r", false)
        .expect("deleting a missing rule succeeds");
    assert_eq!(
        bus.rule("r").err(),
        Some(EventsError::ResourceNotFound(
            "Rule r does not exist on EventBus default.".into()
        ))
    );
}

#[test]
fn putting_a_rule_again_replaces_its_settings_but_keeps_targets_and_state() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let rule = e
        .put_rule(ACCOUNT, &bus, rule_input("r", r#"{"source": ["a"]}"#))
        .expect("rule");
    e.put_targets(
        &rule,
        vec![target("q", "arn:aws:sqs:us-east-1:000000000000:q")],
    )
    .expect("targets");
    e.set_rule_state(&bus, "r", RuleState::Disabled)
        .expect("disabled");
    let again = e
        .put_rule(ACCOUNT, &bus, rule_input("r", r#"{"source": ["b"]}"#))
        .expect("rule");
    assert!(Arc::ptr_eq(&rule, &again));
    assert_eq!(again.targets().len(), 1);
    assert_eq!(again.state(), RuleState::Disabled);
    let mut b = entry(None, "T", "{}");
    b.source = Some("b".into());
    e.set_rule_state(&bus, "r", RuleState::Enabled)
        .expect("enabled");
    let (_, invocations) = e.put_events(ACCOUNT, REGION, &[b]);
    assert_eq!(invocations.len(), 1, "the new pattern is in force");
}

#[test]
fn permissions_build_aws_policy_statements_and_admit_other_accounts() {
    let e = engine();
    let bus = e
        .create_event_bus(ACCOUNT, REGION, "shared", BusSettings::default(), &[])
        .expect("bus");
    assert!(!bus.allows_put_events_from(OTHER));
    e.put_permission(&bus, "events:PutEvents", OTHER, "s1", None)
        .expect("permission");
    e.put_permission(&bus, "events:PutEvents", "*", "s2", None)
        .expect("permission");
    e.put_permission(&bus, "events:PutEvents", "*", "s2", None)
        .expect("same sid replaces");
    let policy = bus.policy().expect("policy");
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "s1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
             "Action": "events:PutEvents", "Resource": bus.arn},
            {"Sid": "s2", "Effect": "Allow", "Principal": "*",
             "Action": "events:PutEvents", "Resource": bus.arn},
        ]})
    );
    assert!(bus.allows_put_events_from(OTHER));
    assert_eq!(
        e.remove_permission(&bus, Some("nope"), false),
        Err(EventsError::ResourceNotFound(
            "Statement with the provided id does not exist.".into()
        ))
    );
    e.remove_permission(&bus, Some("s2"), false)
        .expect("removed");
    assert!(
        bus.allows_put_events_from(OTHER),
        "s1 still admits the other account"
    );
    e.remove_permission(&bus, None, true).expect("all removed");
    assert!(bus.policy().is_none());
    assert!(!bus.allows_put_events_from(OTHER));
    assert_eq!(
        e.remove_permission(&bus, Some("s1"), false),
        Err(EventsError::ResourceNotFound(
            "Statement with the provided id does not exist.".into()
        ))
    );
}

fn forwarding_setup(e: &EventsEngine, to_account: &str, to_region: &str) -> (Arc<Event>, String) {
    let target_bus = e
        .create_event_bus(
            to_account,
            to_region,
            "gatekeeper",
            BusSettings::default(),
            &[],
        )
        .expect("bus");
    let rule = e
        .put_rule(
            to_account,
            &target_bus,
            rule_input("in", r#"{"source": ["shop"]}"#),
        )
        .expect("rule");
    e.put_targets(
        &rule,
        vec![target(
            "q",
            &format!("arn:aws:sqs:{to_region}:{to_account}:inbox"),
        )],
    )
    .expect("targets");
    let envelope = envelope_value("e-1", "T", "shop", ACCOUNT, 0, REGION, &[], json!({}));
    (
        Arc::new(Event::new(envelope, 0, None, 0)),
        target_bus.arn.clone(),
    )
}

#[test]
fn forwarding_keeps_the_id_within_a_region_and_needs_the_receiving_bus_policy() {
    let e = engine();
    let (event, arn) = forwarding_setup(&e, OTHER, REGION);
    assert_eq!(
        e.forward_to_bus(&arn, &event, ACCOUNT, REGION)
            .err()
            .map(|f| f.code()),
        Some("NO_PERMISSIONS")
    );
    let bus = e.bus_by_arn(&arn).expect("bus");
    e.put_permission(&bus, "events:PutEvents", ACCOUNT, "sender", None)
        .expect("permission");
    let invocations = e
        .forward_to_bus(&arn, &event, ACCOUNT, REGION)
        .expect("forwarded");
    assert_eq!(invocations.len(), 1);
    let forwarded = &invocations[0].event;
    assert_eq!(forwarded.id, "e-1");
    assert_eq!(forwarded.envelope()["account"], ACCOUNT);
    assert_eq!(invocations[0].account_id, OTHER);
    // The receiving account may not send it on to a third account.
    e.create_event_bus("222222222222", REGION, "third", BusSettings::default(), &[])
        .expect("bus");
    let third = "arn:aws:events:us-east-1:222222222222:event-bus/third";
    assert_eq!(
        e.forward_to_bus(third, forwarded, OTHER, REGION)
            .err()
            .map(|f| f.code()),
        Some("THIRD_ACCOUNT_HOP_DETECTED")
    );
    assert_eq!(
        e.forward_to_bus(
            "arn:aws:events:us-east-1:111111111111:event-bus/none",
            &event,
            ACCOUNT,
            REGION
        )
        .err()
        .map(|f| f.code()),
        Some("NO_RESOURCE")
    );
}

#[test]
fn forwarding_across_regions_gives_a_new_id_and_keeps_the_sender_region() {
    let e = engine();
    let (event, arn) = forwarding_setup(&e, ACCOUNT, "eu-west-1");
    let invocations = e
        .forward_to_bus(&arn, &event, ACCOUNT, REGION)
        .expect("forwarded");
    let forwarded = &invocations[0].event;
    assert_ne!(forwarded.id, "e-1");
    assert_eq!(forwarded.envelope()["region"], REGION);
    assert_eq!(invocations[0].region, "eu-west-1");
    e.create_event_bus(ACCOUNT, "ap-south-1", "far", BusSettings::default(), &[])
        .expect("bus");
    assert_eq!(
        e.forward_to_bus(
            "arn:aws:events:ap-south-1:000000000000:event-bus/far",
            forwarded,
            ACCOUNT,
            "eu-west-1"
        )
        .err()
        .map(|f| f.code()),
        Some("THIRD_REGION_HOP_DETECTED")
    );
}

#[test]
fn tags_live_on_buses_and_rules_by_arn() {
    let e = engine();
    let bus = e
        .create_event_bus(
            ACCOUNT,
            REGION,
            "orders",
            BusSettings::default(),
            &[("team".into(), "a".into())],
        )
        .expect("bus");
    let rule = e
        .put_rule(ACCOUNT, &bus, rule_input("r", r#"{"source": ["a"]}"#))
        .expect("rule");
    e.change_tags(&rule.arn, TagChange::Add(vec![("k".into(), "v".into())]))
        .expect("tagged");
    assert_eq!(
        e.change_tags(&bus.arn, TagChange::Keep)
            .expect("tags")
            .get("team")
            .map(String::as_str),
        Some("a")
    );
    assert_eq!(rule.tags().get("k").map(String::as_str), Some("v"));
    assert_eq!(
        e.change_tags(
            "arn:aws:events:us-east-1:000000000000:rule/orders/none",
            TagChange::Keep
        )
        .err(),
        Some(EventsError::ResourceNotFound(
            "Rule none does not exist on EventBus orders.".into()
        ))
    );
    assert_eq!(
        e.change_tags(
            "arn:aws:events:us-east-1:000000000000:event-bus/none",
            TagChange::Keep
        )
        .err(),
        Some(EventsError::ResourceNotFound(
            "Event bus none does not exist.".into()
        ))
    );
}

#[test]
fn a_scheduled_event_names_its_rule_and_fires_at_the_scheduled_instant() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let rule = e
        .put_rule(
            ACCOUNT,
            &bus,
            PutRuleInput {
                name: "tick".into(),
                schedule_expression: Some("cron(0/15 * * * ? *)".into()),
                ..PutRuleInput::default()
            },
        )
        .expect("rule");
    let schedule = rule.config().schedule.expect("schedule");
    let now = e.clock().now_millis();
    let next = schedule
        .schedule
        .next_fire_after(now, schedule.anchor_ms)
        .expect("fires");
    assert_eq!(
        next - now,
        15 * 60 * 1000,
        "the manual clock starts on the hour"
    );
    let event = e.scheduled_event(&bus, &rule, next);
    let v: Value = serde_json::from_str(&event.json).expect("json");
    assert_eq!(v["detail-type"], "Scheduled Event");
    assert_eq!(v["source"], "aws.events");
    assert_eq!(v["resources"], json!([rule.arn]));
    assert_eq!(v["detail"], json!({}));
    assert_eq!(v["time"], "2024-01-01T00:15:00Z");
    assert_eq!(e.scheduled_rules().len(), 1);
}

#[test]
fn recordings_are_kept_per_target_and_cleared() {
    let e = engine();
    let rec = |arn: &str| RecordedInvocation {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        rule_arn: "r".into(),
        target_id: "t".into(),
        target_arn: arn.into(),
        service: "lambda".into(),
        event_id: "e".into(),
        input: "{}".into(),
        target: Value::Null,
        timestamp_ms: 0,
    };
    e.record(rec("a"));
    e.record(rec("b"));
    assert_eq!(e.recordings(Some("a")).len(), 1);
    assert_eq!(e.clear_recordings(Some("a")), 1);
    assert_eq!(e.recordings(None).len(), 1);
    assert_eq!(e.clear_recordings(None), 1);
}

#[test]
fn managed_rules_change_only_with_force() {
    let e = engine();
    let bus = e.bus(ACCOUNT, REGION, None).expect("bus");
    let rule = e
        .put_managed_rule(
            ACCOUNT,
            &bus,
            rule_input("m", r#"{"source": ["aws.s3"]}"#),
            "sns.amazonaws.com",
        )
        .expect("managed rule");
    assert_eq!(rule.managed_by.as_deref(), Some("sns.amazonaws.com"));
    let refused = |r: Result<(), EventsError>| matches!(r, Err(EventsError::ManagedRule(_)));
    assert!(refused(
        e.put_rule(ACCOUNT, &bus, rule_input("m", r#"{"source": ["x"]}"#))
            .map(|_| ())
    ));
    assert!(refused(e.set_rule_state(&bus, "m", RuleState::Disabled)));
    assert!(refused(e.put_targets(
        &rule,
        vec![target("q", "arn:aws:sqs:us-east-1:000000000000:q")]
    )));
    assert!(refused(
        e.change_tags(&rule.arn, TagChange::Keep).map(|_| ())
    ));
    assert!(refused(
        e.remove_targets(&rule, &["q".into()], false).map(|_| ())
    ));
    assert!(refused(e.delete_rule(&bus, "m", false)));
    e.remove_targets(&rule, &[], true).expect("with force");
    e.delete_rule(&bus, "m", true).expect("deleted with force");
    assert!(bus.rule("m").is_err());
}

#[test]
fn an_event_goes_from_bus_to_bus_only_once() {
    let e = engine();
    let (event, arn) = forwarding_setup(&e, ACCOUNT, REGION);
    let invocations = e
        .forward_to_bus(&arn, &event, ACCOUNT, REGION)
        .expect("first hop");
    let forwarded = invocations[0].event.clone();
    e.create_event_bus(ACCOUNT, REGION, "third", BusSettings::default(), &[])
        .expect("bus");
    let third = "arn:aws:events:us-east-1:000000000000:event-bus/third";
    let again = e
        .forward_to_bus(third, &forwarded, ACCOUNT, REGION)
        .expect("not an error");
    assert!(
        again.is_empty(),
        "a second hop within the account goes nowhere"
    );
    e.create_event_bus(ACCOUNT, "eu-west-1", "far", BusSettings::default(), &[])
        .expect("bus");
    assert_eq!(
        e.forward_to_bus(
            "arn:aws:events:eu-west-1:000000000000:event-bus/far",
            &forwarded,
            ACCOUNT,
            REGION
        )
        .err()
        .map(|f| f.code()),
        Some("THIRD_REGION_HOP_DETECTED")
    );
}

#[test]
fn the_envelope_text_is_written_exactly_as_its_value_serializes() {
    let detail = json!({"quote": "a \"b\" \\ c", "unicode": "é→😀", "n": 1.5, "big": 12345678901234u64,
                        "nested": {"list": [1, null, true, {"k": "\u{1}"}]}});
    let resources = vec!["arn:aws:s3:::b\"x".to_owned(), "r2".to_owned()];
    for (detail_type, source) in [("Order \"Placed\"", "shop/ü"), ("T", "s")] {
        let value = envelope_value(
            "id-1",
            detail_type,
            source,
            ACCOUNT,
            1_704_067_261_999,
            REGION,
            &resources,
            detail.clone(),
        );
        let text = event::envelope_json(
            "id-1",
            detail_type,
            source,
            ACCOUNT,
            1_704_067_261_999,
            REGION,
            &resources,
            &detail,
        );
        assert_eq!(text, value.to_string());
        let event = Event::from_json(text, "id-1", ACCOUNT, REGION, 0, None, 0);
        assert_eq!(event.envelope(), &value);
    }
    assert_eq!(
        event::format_time(1_704_067_261_999),
        "2024-01-01T00:01:01Z"
    );
    assert_eq!(event::format_time(951_782_400_000), "2000-02-29T00:00:00Z");
}

#[test]
fn a_bus_policy_can_admit_forwarding_from_one_rule_only() {
    // EventBridge User Guide, "Send events only from a specific rule to the bus in a different
    // Region": a condition on aws:SourceArn naming the sender's rule.
    let e = engine();
    let bus = e
        .create_event_bus(ACCOUNT, REGION, "gate", BusSettings::default(), &[])
        .expect("bus");
    let rule = format!("arn:aws:events:{REGION}:{OTHER}:rule/send-orders");
    bus.set_policy(
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "events:PutEvents",
            "Resource": bus.arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule}}}]}),
        0,
    );
    assert!(bus.allows_forward_from(OTHER, Some(&rule)));
    let other_rule = format!("arn:aws:events:{REGION}:{OTHER}:rule/other");
    assert!(!bus.allows_forward_from(OTHER, Some(&other_rule)));
    assert!(
        !bus.allows_put_events_from(OTHER),
        "PutEvents by the account itself has no source rule"
    );
}
