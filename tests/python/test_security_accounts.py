"""Accounts are boundaries, as on AWS: a caller of another account needs a grant in the
resource's policy (SQS queue policy / AddPermission, SNS topic policy / AddPermission,
EventBridge bus policy / PutPermission), an explicit Deny wins over every Allow, and service
deliveries (SNS -> SQS, EventBridge -> SQS/SNS) obey the target's policy under
--enforce-policies (a warning, once per subscription/target, without it).

Two accounts: access key 111111111111 owns the resources, 222222222222 calls across.
Sources for the behaviour and the texts: IAM User Guide "Cross-account policy evaluation
logic"; SQS Developer Guide "Troubleshoot an access denied error" (Query wording) and
"Limitations of Amazon SQS custom policies"; the IAM-style `User: ... is not authorized to
perform: ... because no resource-based policy allows the ... action` texts AWS answers over
JSON, SNS (AuthorizationError) and EventBridge (AccessDeniedException); EventBridge's
NO_PERMISSIONS dead-letter error code.
"""

import contextlib
import json
import os
import subprocess
import tempfile
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import PROTOCOL, ROOT, _free_port, make_client

A, B, C = "111111111111", "222222222222", "333333333333"
REGION = "us-east-1"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextlib.contextmanager
def server(*args, env=None, log=None):
    """A ferrybridge of its own (flags `args`, extra environment `env`, stderr into `log`)."""
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--log-level", "warn", *args],
        stdout=subprocess.DEVNULL,
        stderr=log if log is not None else subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/_ferrybridge/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("ferrybridge did not start")
                time.sleep(0.02)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def clients(endpoint, account):
    return (
        make_client(endpoint, "sqs", account),
        make_client(endpoint, "sns", account),
        make_client(endpoint, "events", account),
    )


def error(call, *args, **kwargs):
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    e = exc.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def new_queue(sqs, name=None):
    url = sqs.create_queue(QueueName=name or unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def set_policy(sqs, url, *statements):
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}
    )


def receive(sqs, url, n, timeout=5.0):
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        out = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        got.extend(out.get("Messages", []))
    return got


def sqs_denied(caller, action, arn, explicit=False):
    """AWS's AccessDenied for `action` (lower-cased, as AWS writes it) in the protocol in use."""
    if PROTOCOL == "query":
        return ("AccessDenied", f"Access to the resource https://sqs.{REGION}.amazonaws.com/ is denied.", 403)
    reason = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else f"because no resource-based policy allows the {action} action"
    )
    return ("AccessDenied", f"User: {caller} is not authorized to perform: {action} on resource: {arn} {reason}", 403)


def root(account):
    return f"arn:aws:iam::{account}:root"


# ---------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------


def sqs_operations(sqs, url):
    """Every queue operation a queue policy can grant, as another account calls it, with the
    action AWS names (the batch operations by their single form)."""
    return [
        ("sqs:sendmessage", lambda: sqs.send_message(QueueUrl=url, MessageBody="x")),
        ("sqs:sendmessage", lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])),
        ("sqs:receivemessage", lambda: sqs.receive_message(QueueUrl=url)),
        ("sqs:deletemessage", lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle="bogus")),
        (
            "sqs:deletemessage",
            lambda: sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": "bogus"}]),
        ),
        (
            "sqs:changemessagevisibility",
            lambda: sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="bogus", VisibilityTimeout=1),
        ),
        ("sqs:getqueueattributes", lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])),
        ("sqs:purgequeue", lambda: sqs.purge_queue(QueueUrl=url)),
        ("sqs:listdeadlettersourcequeues", lambda: sqs.list_dead_letter_source_queues(QueueUrl=url)),
    ]


def test_sqs_every_action_is_denied_across_accounts_without_a_policy(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    url, arn = new_queue(owner)
    owner.send_message(QueueUrl=url, MessageBody="mine")
    for action, call in sqs_operations(other, url):
        assert error(call) == sqs_denied(root(B), action, arn), action
    # Nothing happened to the queue.
    assert [m["Body"] for m in receive(owner, url, 1)] == ["mine"]
    # The owner needs no policy.
    owner.purge_queue(QueueUrl=url)


def test_sqs_get_queue_url_of_another_account_hides_the_queue_without_a_grant(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    name = unique("hidden")
    url, _ = new_queue(owner, name)
    code, message, _ = error(other.get_queue_url, QueueName=name, QueueOwnerAWSAccountId=A)
    assert code == "AWS.SimpleQueueService.NonExistentQueue"
    assert message == "The specified queue does not exist or you do not have access to it."
    owner.add_permission(QueueUrl=url, Label="lookup", AWSAccountIds=[B], Actions=["GetQueueUrl"])
    assert other.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=A)["QueueUrl"] == url


def test_sqs_add_permission_grants_exactly_its_actions(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    url, arn = new_queue(owner)
    owner.add_permission(
        QueueUrl=url, Label="partner", AWSAccountIds=[B], Actions=["SendMessage", "ReceiveMessage", "DeleteMessage"]
    )
    other.send_message(QueueUrl=url, MessageBody="from B")
    other.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "batch from B"}])
    got = receive(other, url, 2)
    assert sorted(m["Body"] for m in got) == ["batch from B", "from B"]
    other.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    other.delete_message_batch(QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": got[1]["ReceiptHandle"]}])
    assert error(other.purge_queue, QueueUrl=url) == sqs_denied(root(B), "sqs:purgequeue", arn)
    # A third account is still a stranger.
    stranger, _, _ = clients(endpoint, C)
    assert error(stranger.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(
        root(C), "sqs:sendmessage", arn
    )
    # RemovePermission takes the grant back.
    owner.remove_permission(QueueUrl=url, Label="partner")
    assert error(other.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(root(B), "sqs:sendmessage", arn)


def test_sqs_policy_wildcards_conditions_not_action_and_owner_only_operations(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    stranger, _, _ = clients(endpoint, C)
    url, arn = new_queue(owner, unique("orders"))
    set_policy(
        owner,
        url,
        # Everyone whose account is B, every action but PurgeQueue, on the orders-* queues.
        {
            "Effect": "Allow",
            "Principal": "*",
            "NotAction": "sqs:PurgeQueue",
            "Resource": f"arn:aws:sqs:*:{A}:orders-*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": B}},
        },
    )
    other.send_message(QueueUrl=url, MessageBody="ok")
    assert other.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] == arn
    assert error(other.purge_queue, QueueUrl=url) == sqs_denied(root(B), "sqs:purgequeue", arn)
    assert error(stranger.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(root(C), "sqs:sendmessage", arn)
    # A queue the Resource pattern does not cover.
    other_url, other_arn = new_queue(owner, unique("invoices"))
    set_policy(
        owner,
        other_url,
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sqs:*", "Resource": f"arn:aws:sqs:*:{A}:orders-*"},
    )
    assert error(other.send_message, QueueUrl=other_url, MessageBody="x") == sqs_denied(
        root(B), "sqs:sendmessage", other_arn
    )
    # Even `sqs:*` never opens the owner-only operations to another account.
    set_policy(owner, other_url, {"Effect": "Allow", "Principal": {"AWS": root(B)}, "Action": "sqs:*", "Resource": "*"})
    other.send_message(QueueUrl=other_url, MessageBody="now ok")
    owner_only = {
        "sqs:setqueueattributes": lambda: other.set_queue_attributes(
            QueueUrl=other_url, Attributes={"DelaySeconds": "1"}
        ),
        "sqs:deletequeue": lambda: other.delete_queue(QueueUrl=other_url),
        "sqs:addpermission": lambda: other.add_permission(
            QueueUrl=other_url, Label="x", AWSAccountIds=[B], Actions=["SendMessage"]
        ),
        "sqs:removepermission": lambda: other.remove_permission(QueueUrl=other_url, Label="x"),
        "sqs:tagqueue": lambda: other.tag_queue(QueueUrl=other_url, Tags={"a": "b"}),
        "sqs:untagqueue": lambda: other.untag_queue(QueueUrl=other_url, TagKeys=["a"]),
        "sqs:listqueuetags": lambda: other.list_queue_tags(QueueUrl=other_url),
    }
    for action, call in owner_only.items():
        assert error(call) == sqs_denied(root(B), action, other_arn), action


def test_sqs_role_principals_match_the_sessions_of_that_role(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    url, arn = new_queue(owner)
    set_policy(
        owner,
        url,
        {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{B}:role/consumer"]},
            "Action": ["sqs:ReceiveMessage", "sqs:SendMessage"],
            "Resource": arn,
        },
    )
    creds = make_client(endpoint, "sts", B).assume_role(
        RoleArn=f"arn:aws:iam::{B}:role/consumer", RoleSessionName="worker-1"
    )["Credentials"]
    role_sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    role_sqs.send_message(QueueUrl=url, MessageBody="from the role")
    assert [m["Body"] for m in receive(role_sqs, url, 1)] == ["from the role"]
    # The account's root is not the role.
    assert error(other.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(root(B), "sqs:sendmessage", arn)
    # Another role of B is not that role either.
    creds = make_client(endpoint, "sts", B).assume_role(
        RoleArn=f"arn:aws:iam::{B}:role/intruder", RoleSessionName="worker-1"
    )["Credentials"]
    intruder = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    caller = f"arn:aws:sts::{B}:assumed-role/intruder/worker-1"
    assert error(intruder.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(caller, "sqs:sendmessage", arn)


def test_sqs_explicit_deny_wins_even_for_the_owner(endpoint):
    owner, _, _ = clients(endpoint, A)
    other, _, _ = clients(endpoint, B)
    url, arn = new_queue(owner)
    set_policy(
        owner,
        url,
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": arn},
        {"Effect": "Deny", "Principal": {"AWS": [B]}, "Action": "sqs:SendMessage", "Resource": arn},
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:PurgeQueue", "Resource": arn},
    )
    assert error(other.send_message, QueueUrl=url, MessageBody="x") == sqs_denied(
        root(B), "sqs:sendmessage", arn, explicit=True
    )
    assert other.receive_message(QueueUrl=url).get("Messages", []) == []
    assert error(owner.purge_queue, QueueUrl=url) == sqs_denied(root(A), "sqs:purgequeue", arn, explicit=True)
    owner.send_message(QueueUrl=url, MessageBody="owner still sends")


# ---------------------------------------------------------------------------------------------
# SNS
# ---------------------------------------------------------------------------------------------


def sns_denied(caller, action, arn, explicit=False):
    reason = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else f"because no resource-based policy allows the {action} action"
    )
    return ("AuthorizationError", f"User: {caller} is not authorized to perform: {action} on resource: {arn} {reason}", 403)


def test_sns_every_topic_action_is_denied_across_accounts_by_the_default_policy(endpoint):
    owner_sqs, owner, _ = clients(endpoint, A)
    other_sqs, other, _ = clients(endpoint, B)
    topic = owner.create_topic(Name=unique("t"))["TopicArn"]
    _, queue_arn = new_queue(other_sqs)
    calls = [
        ("SNS:Publish", lambda: other.publish(TopicArn=topic, Message="x")),
        (
            "SNS:Publish",
            lambda: other.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "x"}]),
        ),
        ("SNS:Subscribe", lambda: other.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)),
        ("SNS:DeleteTopic", lambda: other.delete_topic(TopicArn=topic)),
        ("SNS:GetTopicAttributes", lambda: other.get_topic_attributes(TopicArn=topic)),
        (
            "SNS:SetTopicAttributes",
            lambda: other.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="x"),
        ),
        ("SNS:ListSubscriptionsByTopic", lambda: other.list_subscriptions_by_topic(TopicArn=topic)),
        (
            "SNS:AddPermission",
            lambda: other.add_permission(TopicArn=topic, Label="x", AWSAccountId=[B], ActionName=["Publish"]),
        ),
        ("SNS:RemovePermission", lambda: other.remove_permission(TopicArn=topic, Label="x")),
    ]
    for action, call in calls:
        assert error(call) == sns_denied(root(B), action, topic), action
    assert error(other.list_tags_for_resource, ResourceArn=topic)[0] == "AuthorizationError"
    assert owner.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic


def test_sns_add_permission_lets_another_account_publish_and_subscribe(endpoint):
    owner_sqs, owner, _ = clients(endpoint, A)
    other_sqs, other, _ = clients(endpoint, B)
    topic = owner.create_topic(Name=unique("shared"))["TopicArn"]
    owner.add_permission(TopicArn=topic, Label="partner", AWSAccountId=[B], ActionName=["Publish", "Subscribe"])
    url, queue_arn = new_queue(other_sqs)
    other.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    other.publish(TopicArn=topic, Message="hello across")
    (got,) = receive(other_sqs, url, 1)
    assert json.loads(got["Body"])["Message"] == "hello across"
    assert error(other.delete_topic, TopicArn=topic) == sns_denied(root(B), "SNS:DeleteTopic", topic)
    owner.remove_permission(TopicArn=topic, Label="partner")
    assert error(other.publish, TopicArn=topic, Message="x") == sns_denied(root(B), "SNS:Publish", topic)


def test_sns_explicit_deny_in_the_topic_policy_wins(endpoint):
    _, owner, _ = clients(endpoint, A)
    _, other, _ = clients(endpoint, B)
    topic = owner.create_topic(Name=unique("guarded"))["TopicArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["SNS:Publish", "SNS:GetTopicAttributes"], "Resource": topic},
            {"Effect": "Deny", "Principal": {"AWS": root(B)}, "Action": "sns:Publish", "Resource": topic},
            {"Effect": "Deny", "Principal": "*", "Action": "SNS:DeleteTopic", "Resource": "*"},
        ],
    }
    owner.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    assert other.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
    assert error(other.publish, TopicArn=topic, Message="x") == sns_denied(root(B), "SNS:Publish", topic, explicit=True)
    assert error(owner.delete_topic, TopicArn=topic) == sns_denied(root(A), "SNS:DeleteTopic", topic, explicit=True)
    owner.publish(TopicArn=topic, Message="the owner still publishes")


# ---------------------------------------------------------------------------------------------
# EventBridge
# ---------------------------------------------------------------------------------------------


def events_denied(caller, action, arn, explicit=False):
    reason = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else f"because no resource-based policy allows the {action} action"
    )
    return ("AccessDeniedException", f"User: {caller} is not authorized to perform: {action} on resource: {arn} {reason}", 400)


def test_events_rules_on_another_accounts_bus_need_its_policy(endpoint):
    owner_sqs, _, owner = clients(endpoint, A)
    _, _, other = clients(endpoint, B)
    bus = unique("shared")
    bus_arn = owner.create_event_bus(Name=bus)["EventBusArn"]
    rule_arn = f"arn:aws:events:{REGION}:{A}:rule/{bus}/from-b"
    pattern = json.dumps({"source": ["partner"]})
    assert error(other.put_rule, Name="from-b", EventBusName=bus_arn, EventPattern=pattern) == events_denied(
        root(B), "events:PutRule", rule_arn
    )
    assert error(other.describe_event_bus, Name=bus_arn) == events_denied(root(B), "events:DescribeEventBus", bus_arn)
    assert error(other.list_rules, EventBusName=bus_arn) == events_denied(root(B), "events:ListRules", bus_arn)

    # The EventBridge User Guide's example: another account manages only the rules it created.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageOwnRules",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": ["events:PutRule", "events:PutTargets", "events:DescribeRule", "events:DeleteRule", "events:RemoveTargets"],
                "Resource": f"arn:aws:events:{REGION}:{A}:rule/{bus}/*",
                "Condition": {"StringEqualsIfExists": {"events:creatorAccount": "${aws:PrincipalAccount}"}},
            },
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Principal": {"AWS": B},
                "Action": "events:DeleteRule",
                "Resource": "*",
            },
        ],
    }
    owner.put_permission(EventBusName=bus, Policy=json.dumps(policy))
    assert other.put_rule(Name="from-b", EventBusName=bus_arn, EventPattern=pattern)["RuleArn"] == rule_arn
    assert other.describe_rule(Name="from-b", EventBusName=bus_arn)["Arn"] == rule_arn
    _, queue_arn = new_queue(owner_sqs)
    out = other.put_targets(Rule="from-b", EventBusName=bus_arn, Targets=[{"Id": "q", "Arn": queue_arn}])
    assert out["FailedEntryCount"] == 0
    assert error(other.delete_rule, Name="from-b", EventBusName=bus_arn) == events_denied(
        root(B), "events:DeleteRule", rule_arn, explicit=True
    )
    # A rule the owner created is not B's to change (events:creatorAccount is A).
    owner.put_rule(Name="owners", EventBusName=bus, EventPattern=pattern)
    owners_arn = f"arn:aws:events:{REGION}:{A}:rule/{bus}/owners"
    assert error(
        other.put_targets, Rule="owners", EventBusName=bus_arn, Targets=[{"Id": "q", "Arn": queue_arn}]
    ) == events_denied(root(B), "events:PutTargets", owners_arn)


def test_events_put_events_into_another_accounts_bus_follows_its_policy(endpoint):
    owner_sqs, _, owner = clients(endpoint, A)
    _, _, other = clients(endpoint, B)
    bus = unique("inbox")
    bus_arn = owner.create_event_bus(Name=bus)["EventBusArn"]
    url, queue_arn = new_queue(owner_sqs)
    owner.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["partner"]}))
    owner.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    entry = {"Source": "partner", "DetailType": "t", "Detail": "{}", "EventBusName": bus_arn}
    # Without a grant the entry is answered but goes nowhere.
    assert other.put_events(Entries=[{**entry, "Detail": json.dumps({"n": 1})}])["FailedEntryCount"] == 0
    assert receive(owner_sqs, url, 1, timeout=1.5) == []
    owner.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=B, StatementId="partner")
    other.put_events(Entries=[{**entry, "Detail": json.dumps({"n": 2})}])
    (got,) = receive(owner_sqs, url, 1)
    event = json.loads(got["Body"])
    assert event["detail"] == {"n": 2} and event["account"] == B


def test_events_bus_to_bus_forwarding_can_be_limited_to_one_rule(endpoint):
    """EventBridge User Guide, "Send events only from a specific rule": the receiving bus's
    policy names the sender's rule in aws:SourceArn; another rule of the same account is
    refused with NO_PERMISSIONS (to the target's DLQ)."""
    sender_sqs, _, sender = clients(endpoint, A)
    receiver_sqs, _, receiver = clients(endpoint, B)
    bus = unique("gate")
    bus_arn = receiver.create_event_bus(Name=bus)["EventBusArn"]
    url, queue_arn = new_queue(receiver_sqs)
    receiver.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["shop"]}))
    receiver.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    dlq_url, dlq_arn = new_queue(sender_sqs)
    role = f"arn:aws:iam::{A}:role/forwarder"
    rules = {}
    for name in (unique("chosen"), unique("other")):
        rules[name] = sender.put_rule(Name=name, EventPattern=json.dumps({"source": ["shop"], "detail-type": [name]}))["RuleArn"]
        sender.put_targets(
            Rule=name, Targets=[{"Id": "gate", "Arn": bus_arn, "RoleArn": role, "DeadLetterConfig": {"Arn": dlq_arn}}]
        )
    chosen, other = list(rules)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": A},
                "Action": "events:PutEvents",
                "Resource": bus_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rules[chosen]}},
            }
        ],
    }
    receiver.put_permission(EventBusName=bus, Policy=json.dumps(policy))
    for name in (chosen, other):
        sender.put_events(Entries=[{"Source": "shop", "DetailType": name, "Detail": "{}"}])
    (got,) = receive(receiver_sqs, url, 1)
    assert json.loads(got["Body"])["detail-type"] == chosen
    (dead,) = receive(sender_sqs, dlq_url, 1)
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS" and attrs["RULE_ARN"] == rules[other]
    assert receive(receiver_sqs, url, 1, timeout=0.5) == []


# ---------------------------------------------------------------------------------------------
# Switching the checks off
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_cross_account_checks_restores_the_open_behaviour(how):
    args, env = (["--no-cross-account-checks"], None) if how == "flag" else ([], {"FERRYBRIDGE_CROSS_ACCOUNT_CHECKS": "false"})
    with server(*args, env=env) as url:
        owner_sqs, owner_sns, owner_events = clients(url, A)
        other_sqs, other_sns, other_events = clients(url, B)
        queue_url, _ = new_queue(owner_sqs)
        other_sqs.send_message(QueueUrl=queue_url, MessageBody="open")
        other_sqs.purge_queue(QueueUrl=queue_url)
        topic = owner_sns.create_topic(Name="t")["TopicArn"]
        other_sns.publish(TopicArn=topic, Message="open")
        bus_arn = owner_events.create_event_bus(Name="b")["EventBusArn"]
        other_events.put_rule(Name="r", EventBusName=bus_arn, EventPattern=json.dumps({"source": ["x"]}))
    with server(env={"FERRYBRIDGE_CROSS_ACCOUNT_CHECKS": "true"}) as url:
        owner_sqs, _, _ = clients(url, A)
        other_sqs, _, _ = clients(url, B)
        queue_url, _ = new_queue(owner_sqs)
        assert error(other_sqs.send_message, QueueUrl=queue_url, MessageBody="x")[0] == "AccessDenied"


# ---------------------------------------------------------------------------------------------
# Service deliveries
# ---------------------------------------------------------------------------------------------


def allow_service(service, source_arn, action="sqs:SendMessage"):
    return {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": action,
        "Resource": "*",
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
    }


@pytest.fixture(scope="module")
def enforcing():
    with server("--enforce-policies") as url:
        yield url


def test_enforced_sns_to_sqs_needs_the_queue_policy(enforcing):
    sqs, sns, _ = clients(enforcing, A)
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, arn = new_queue(sqs)
    dlq_url, dlq_arn = new_queue(sqs)
    set_policy(sqs, dlq_url, allow_service("sns.amazonaws.com", topic))
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
    )
    sns.publish(TopicArn=topic, Message="refused")
    (dead,) = receive(sqs, dlq_url, 1)
    assert json.loads(dead["Body"])["Message"] == "refused"
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["ErrorCode"] == "AccessDenied"
    assert attrs["ErrorMessage"] == f"Access to the resource https://sqs.{REGION}.amazonaws.com/{A}/{arn.rsplit(':', 1)[1]} is denied."
    assert receive(sqs, url, 1, timeout=1) == []
    # A policy for another topic does not help; the topic's own does.
    set_policy(sqs, url, allow_service("sns.amazonaws.com", topic + "-other"))
    sns.publish(TopicArn=topic, Message="still refused")
    assert len(receive(sqs, dlq_url, 1)) == 1
    set_policy(sqs, url, allow_service("sns.amazonaws.com", topic))
    sns.publish(TopicArn=topic, Message="admitted")
    (got,) = receive(sqs, url, 1)
    assert json.loads(got["Body"])["Message"] == "admitted"


def test_enforced_eventbridge_to_sqs_and_sns_dead_letters_with_no_permissions(enforcing):
    sqs, sns, events = clients(enforcing, A)
    url, arn = new_queue(sqs)
    dlq_url, dlq_arn = new_queue(sqs)
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    inbox_url, inbox_arn = new_queue(sqs)
    set_policy(sqs, inbox_url, allow_service("sns.amazonaws.com", topic))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    rule_arn = events.put_rule(Name=unique("r"), EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    rule = rule_arn.rsplit("/", 1)[1]
    set_policy(sqs, dlq_url, allow_service("events.amazonaws.com", rule_arn))
    dlq = {"Arn": dlq_arn}
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "queue", "Arn": arn, "DeadLetterConfig": dlq},
            {"Id": "topic", "Arn": topic, "DeadLetterConfig": dlq},
        ],
    )
    entry = {"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": 1})}
    events.put_events(Entries=[entry])
    dead = receive(sqs, dlq_url, 2)
    by_target = {m["MessageAttributes"]["TARGET_ARN"]["StringValue"]: m["MessageAttributes"] for m in dead}
    assert set(by_target) == {arn, topic}
    for attrs in by_target.values():
        assert attrs["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
        assert attrs["RULE_ARN"]["StringValue"] == rule_arn
    assert receive(sqs, url, 1, timeout=1) == [] and receive(sqs, inbox_url, 1, timeout=0.5) == []

    set_policy(sqs, url, allow_service("events.amazonaws.com", rule_arn))
    topic_policy = {
        "Version": "2012-10-17",
        "Statement": [allow_service("events.amazonaws.com", rule_arn, "sns:Publish")],
    }
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(topic_policy))
    events.put_events(Entries=[{**entry, "Detail": json.dumps({"n": 2})}])
    (got,) = receive(sqs, url, 1)
    assert json.loads(got["Body"])["detail"] == {"n": 2}
    (note,) = receive(sqs, inbox_url, 1)
    assert json.loads(json.loads(note["Body"])["Message"])["detail"] == {"n": 2}
    assert receive(sqs, dlq_url, 1, timeout=0.5) == []


def test_enforced_dead_letter_queue_needs_its_own_policy(enforcing):
    sqs, _, events = clients(enforcing, A)
    url, arn = new_queue(sqs)
    dlq_url, dlq_arn = new_queue(sqs)
    rule_arn = events.put_rule(Name=unique("r"), EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    events.put_targets(
        Rule=rule_arn.rsplit("/", 1)[1], Targets=[{"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}]
    )
    events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
    assert receive(sqs, url, 1, timeout=1) == [] and receive(sqs, dlq_url, 1, timeout=0.5) == []


def test_without_enforcement_deliveries_go_through_with_one_warning_each():
    with tempfile.TemporaryFile() as log:
        with server(log=log) as url:
            sqs, sns, events = clients(url, A)
            topic = sns.create_topic(Name="t")["TopicArn"]
            queue_url, queue_arn = new_queue(sqs, "plain")
            sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
            rule_arn = events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
            events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": queue_arn}])
            for n in range(3):
                sns.publish(TopicArn=topic, Message=f"m{n}")
                events.put_events(Entries=[{"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": n})}])
            assert len(receive(sqs, queue_url, 6)) == 6
            # A queue that allows SNS: no warning for it.
            ok_url, ok_arn = new_queue(sqs, "allowed")
            set_policy(sqs, ok_url, allow_service("sns.amazonaws.com", topic))
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=ok_arn)
            sns.publish(TopicArn=topic, Message="to both")
            assert len(receive(sqs, ok_url, 1)) == 1
        log.seek(0)
        lines = [line for line in log.read().decode().splitlines() if "AWS would refuse this delivery" in line]
    assert len(lines) == 2, lines
    assert sum(sub in line for line in lines) == 1
    assert sum(f"{rule_arn}#q" in line for line in lines) == 1
    assert not any(ok_arn in line for line in lines)
