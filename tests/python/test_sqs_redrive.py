"""SQS FIFO queues, dead-letter queues and message move tasks through boto3 and the AWS CLI.

The suite runs once per protocol (see conftest.PROTOCOL): current botocore speaks AWS JSON 1.0,
botocore 1.31.62 the Query protocol. Every error checked here has the same code in both (the
JSON answers carry the Query code in x-amzn-query-error, which botocore reports), so the
assertions do not branch on the protocol.

Real time is kept short: behaviour that needs minutes (the 5-minute deduplication and
receive-attempt windows, retention) is covered by the Rust tests on a manual clock.
"""

import base64
import hashlib
import json
import random
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client
from test_cli import aws

ACCOUNT = "000000000000"
REGION = "us-east-1"

FIFO_NAME_RULES = (
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
    "underscores, must end with .fifo suffix and be 1 to 80 in length."
)
STANDARD_NAME_RULES = (
    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
)
NOT_VALID_FOR_QUEUE_TYPE = "The request include parameter that is not valid for this queue type."
DEDUP_ID_REQUIRED = (
    "The queue should either have ContentBasedDeduplication enabled or "
    "MessageDeduplicationId provided explicitly"
)
TASK_ALREADY_RUNNING = (
    "There is already a task running. Only one active task is allowed for a source queue "
    "arn at a given time."
)


# --- helpers -------------------------------------------------------------------------------


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def arn_of(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def redrive_policy(dlq_arn, max_receive_count):
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


def create_fifo(sqs, prefix="f", **attributes):
    attrs = {"FifoQueue": "true", **{k: str(v) for k, v in attributes.items()}}
    return sqs.create_queue(QueueName=unique(prefix) + ".fifo", Attributes=attrs)["QueueUrl"]


def counts(sqs, url):
    """(visible, in flight, delayed) as GetQueueAttributes reports them."""
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return tuple(int(attrs[n]) for n in names)


def expect_error(call, code, message, status=400):
    """`call()` must fail with exactly this code, message and HTTP status."""
    with pytest.raises(ClientError) as exc:
        call()
    error = exc.value.response["Error"]
    assert (error["Code"], error["Message"]) == (code, message)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def receive(sqs, url, **kwargs):
    kwargs.setdefault("MaxNumberOfMessages", 10)
    return sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])


def latest_task(sqs, source_arn):
    return sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0]


def wait_for_task(sqs, source_arn, done, timeout=10.0):
    """Poll ListMessageMoveTasks until `done(task)`; returns the task."""
    deadline = time.monotonic() + timeout
    while True:
        task = latest_task(sqs, source_arn)
        if done(task):
            return task
        assert time.monotonic() < deadline, f"move task never got there: {task}"
        time.sleep(0.02)


def dead_lettered(sqs, count, prefix="dl", **source_attrs):
    """A standard source queue with RedrivePolicy maxReceiveCount 1 and a DLQ holding `count`
    messages that came from it. Returns (source url, source arn, dlq url, dlq arn)."""
    dlq = sqs.create_queue(QueueName=unique(prefix + "-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    attrs = {"RedrivePolicy": redrive_policy(dlq_arn, 1), **source_attrs}
    src = sqs.create_queue(QueueName=unique(prefix + "-src"), Attributes=attrs)["QueueUrl"]
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=src,
            Entries=[
                {"Id": f"m{i}", "MessageBody": f"message {i}"}
                for i in range(start, min(count, start + 10))
            ],
        )
    # One receive each (visibility 0: back at once), then the next attempt dead-letters them.
    while receive(sqs, src, VisibilityTimeout=0):
        pass
    assert counts(sqs, dlq) == (count, 0, 0)
    return src, arn_of(sqs, src), dlq, dlq_arn


# --- the redrive story of the issue --------------------------------------------------------

ORDERS = [
    ("order-1001", "19.99", b"\x01\x02"),
    ("order-1002", "5.00", b"\xff"),
    ("order-1003", "120.50", b"\x00"),
]


def order_attributes(order_id, amount, blob):
    return {
        "order_id": {"DataType": "String", "StringValue": order_id},
        "amount": {"DataType": "Number", "StringValue": amount},
        "signature": {"DataType": "Binary", "BinaryValue": blob},
    }


def test_redrive_story_payment_down_then_back_at_one_message_per_second(sqs):
    # The orders queue dead-letters a message received three times without being deleted.
    dlq = sqs.create_queue(QueueName=unique("orders-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    orders = sqs.create_queue(
        QueueName=unique("orders"), Attributes={"RedrivePolicy": redrive_policy(dlq_arn, 3)}
    )["QueueUrl"]
    orders_arn = arn_of(sqs, orders)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [orders]

    sent = {}
    for order_id, amount, blob in ORDERS:
        attrs = order_attributes(order_id, amount, blob)
        r = sqs.send_message(QueueUrl=orders, MessageBody=f'{{"order":"{order_id}"}}',
                             MessageAttributes=attrs)
        sent[r["MessageId"]] = (order_id, attrs, r["MD5OfMessageAttributes"])
    original_sent_at = {}

    # The payment system is down: every attempt fails and hands the message back at once.
    receives = {}
    while True:
        got = receive(sqs, orders, WaitTimeSeconds=1, AttributeNames=["All"])
        if not got:
            break
        for m in got:
            receives[m["MessageId"]] = receives.get(m["MessageId"], 0) + 1
            assert m["Attributes"]["ApproximateReceiveCount"] == str(receives[m["MessageId"]])
            original_sent_at[m["MessageId"]] = m["Attributes"]["SentTimestamp"]
            sqs.change_message_visibility(
                QueueUrl=orders, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )
    assert receives == {mid: 3 for mid in sent}, "each order is tried maxReceiveCount times"
    assert counts(sqs, orders) == (0, 0, 0)

    # All three are in the DLQ, with where they came from.
    assert counts(sqs, dlq) == (3, 0, 0)
    parked = receive(sqs, dlq, VisibilityTimeout=0, AttributeNames=["All"],
                     MessageAttributeNames=["All"])
    assert sorted(m["MessageId"] for m in parked) == sorted(sent)
    for m in parked:
        assert m["Attributes"]["DeadLetterQueueSourceArn"] == orders_arn
        # A standard DLQ keeps the original enqueue time; the receive count carries on.
        assert m["Attributes"]["SentTimestamp"] == original_sent_at[m["MessageId"]]
        assert m["Attributes"]["ApproximateReceiveCount"] == "4"
        assert m["MessageAttributes"] == sent[m["MessageId"]][1]

    # The payment system is healthy again: redrive to the source at one message per second.
    started_at = time.monotonic()
    started_ms = int(time.time() * 1000)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]
    running = latest_task(sqs, dlq_arn)
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesToMove"] == 3
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    assert "DestinationArn" not in running

    arrivals, processed = [], []
    while len(processed) < 3 and time.monotonic() - started_at < 10:
        for m in receive(sqs, orders, WaitTimeSeconds=2, AttributeNames=["All"],
                         MessageAttributeNames=["All"]):
            arrivals.append(time.monotonic() - started_at)
            processed.append(m)
            sqs.delete_message(QueueUrl=orders, ReceiptHandle=m["ReceiptHandle"])
    assert len(processed) == 3
    by_order = {v[0]: v for v in sent.values()}
    for m in processed:
        order_id = m["MessageAttributes"]["order_id"]["StringValue"]
        _, attrs, md5 = by_order[order_id]
        assert m["Body"] == f'{{"order":"{order_id}"}}'
        assert m["MessageAttributes"] == attrs
        assert m["MD5OfMessageAttributes"] == md5
        # A redriven message is a new message.
        assert m["MessageId"] not in sent
        assert m["Attributes"]["ApproximateReceiveCount"] == "1"
        assert int(m["Attributes"]["SentTimestamp"]) >= started_ms - 1000
        assert "DeadLetterQueueSourceArn" not in m["Attributes"]
    assert sorted(m["MessageAttributes"]["order_id"]["StringValue"] for m in processed) == [
        o[0] for o in ORDERS
    ]

    # One message per second: the first at once, then one a second.
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    print(f"\nredrive arrivals after StartMessageMoveTask: {[round(a, 2) for a in arrivals]} s,"
          f" {rate:.2f} msg/s")
    assert arrivals[0] < 0.5
    for i, at in enumerate(arrivals):
        assert i - 0.05 <= at <= i + 0.6, arrivals
    assert 0.8 <= rate <= 1.25

    done = wait_for_task(sqs, dlq_arn, lambda t: t["Status"] == "COMPLETED")
    assert "TaskHandle" not in done
    assert done["ApproximateNumberOfMessagesMoved"] == 3
    assert done["ApproximateNumberOfMessagesToMove"] == 3
    assert done["SourceArn"] == dlq_arn
    assert abs(done["StartedTimestamp"] - started_ms) < 5_000
    assert counts(sqs, dlq) == (0, 0, 0)
    assert counts(sqs, orders) == (0, 0, 0)


def test_redrive_story_with_the_aws_cli(sqs, endpoint):
    def cli(*args):
        out = aws(endpoint, "sqs", *args)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else None

    dlq = sqs.create_queue(QueueName=unique("cli-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    # The policy is a JSON string inside the attribute map, as users write it for the CLI.
    attributes = json.dumps({"RedrivePolicy": redrive_policy(dlq_arn, 1)})
    src = cli("create-queue", "--queue-name", unique("cli-orders"), "--attributes",
              attributes)["QueueUrl"]
    src_arn = arn_of(sqs, src)
    sqs.send_message(QueueUrl=src, MessageBody="order-7",
                     MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    assert receive(sqs, src, VisibilityTimeout=0)
    assert not receive(sqs, src)

    parked = cli("receive-message", "--queue-url", dlq, "--attribute-names", "All",
                 "--visibility-timeout", "0")["Messages"]
    assert parked[0]["Attributes"]["DeadLetterQueueSourceArn"] == src_arn

    handle = cli("start-message-move-task", "--source-arn", dlq_arn,
                 "--max-number-of-messages-per-second", "1")["TaskHandle"]
    decoded = json.loads(base64.b64decode(handle))
    assert decoded["sourceArn"] == dlq_arn
    back = receive(sqs, src, WaitTimeSeconds=5, MessageAttributeNames=["All"])
    assert back[0]["Body"] == "order-7"
    assert back[0]["MessageAttributes"] == {"k": {"DataType": "String", "StringValue": "v"}}
    wait_for_task(sqs, dlq_arn, lambda t: t["Status"] == "COMPLETED")
    tasks = cli("list-message-move-tasks", "--source-arn", dlq_arn, "--max-results", "10")
    assert [(t["Status"], t["ApproximateNumberOfMessagesMoved"]) for t in tasks["Results"]] == [
        ("COMPLETED", 1)
    ]
    out = aws(endpoint, "sqs", "cancel-message-move-task", "--task-handle", handle)
    assert out.returncode != 0
    assert "InvalidParameterValue" in out.stderr
    assert "Only active tasks can be cancelled." in out.stderr


# --- dead-letter queues --------------------------------------------------------------------


def test_fifo_dead_letter_queue_restarts_enqueue_time_and_dedups_by_message_id(sqs):
    dlq = create_fifo(sqs, "fdlq")
    dlq_arn = arn_of(sqs, dlq)
    src = create_fifo(sqs, "fsrc", RedrivePolicy=redrive_policy(dlq_arn, 1))
    src_arn = arn_of(sqs, src)
    first = sqs.send_message(QueueUrl=src, MessageBody="a", MessageGroupId="g",
                             MessageDeduplicationId="dedup-a")
    sqs.send_message(QueueUrl=src, MessageBody="b", MessageGroupId="g",
                     MessageDeduplicationId="dedup-b")
    got = receive(sqs, src, MaxNumberOfMessages=1, VisibilityTimeout=0, AttributeNames=["All"])
    assert got[0]["Body"] == "a"
    sent_at = int(got[0]["Attributes"]["SentTimestamp"])
    time.sleep(0.05)
    # "a" was received maxReceiveCount times: this attempt dead-letters it and gets "b".
    got = receive(sqs, src)
    assert [m["Body"] for m in got] == ["b"]

    dead = receive(sqs, dlq, VisibilityTimeout=0, AttributeNames=["All"])
    assert len(dead) == 1
    attrs = dead[0]["Attributes"]
    assert dead[0]["MessageId"] == first["MessageId"]
    assert attrs["DeadLetterQueueSourceArn"] == src_arn
    assert attrs["MessageGroupId"] == "g"
    # In a FIFO DLQ the message id is the deduplication id, and the enqueue time restarts.
    assert attrs["MessageDeduplicationId"] == first["MessageId"]
    assert int(attrs["SentTimestamp"]) > sent_at
    assert len(attrs["SequenceNumber"]) == 20

    # Redriven back (no rate: as fast as it goes), it keeps its group.
    sqs.delete_message(QueueUrl=src, ReceiptHandle=got[0]["ReceiptHandle"])
    sqs.start_message_move_task(SourceArn=dlq_arn)
    back = receive(sqs, src, WaitTimeSeconds=5, AttributeNames=["All"])
    assert [m["Body"] for m in back] == ["a"]
    assert back[0]["MessageId"] != first["MessageId"]
    assert back[0]["Attributes"]["MessageGroupId"] == "g"
    assert "DeadLetterQueueSourceArn" not in back[0]["Attributes"]


def test_deleted_dead_letter_queue_leaves_messages_in_the_source(sqs):
    dlq = sqs.create_queue(QueueName=unique("gone-dlq"))["QueueUrl"]
    src = sqs.create_queue(
        QueueName=unique("gone-src"),
        Attributes={"RedrivePolicy": redrive_policy(arn_of(sqs, dlq), 1)},
    )["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="stays")
    sqs.delete_queue(QueueUrl=dlq)
    for attempt in (1, 2, 3):
        got = receive(sqs, src, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        assert [m["Body"] for m in got] == ["stays"]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(attempt)


def test_redrive_allow_policy(sqs):
    source_name = unique("rap-src")
    source_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{source_name}"
    deny = sqs.create_queue(
        QueueName=unique("rap-deny"),
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )["QueueUrl"]
    by_queue = sqs.create_queue(
        QueueName=unique("rap-byqueue"),
        Attributes={"RedriveAllowPolicy": json.dumps(
            {"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]})},
    )["QueueUrl"]
    other = sqs.create_queue(QueueName=unique("rap-other"))["QueueUrl"]

    for dlq in (deny, by_queue):
        policy = redrive_policy(arn_of(sqs, dlq), 3)
        message = (f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Queue is not "
                   "allowed to use the dead letter target by its RedriveAllowPolicy.")
        expect_error(lambda: sqs.set_queue_attributes(
            QueueUrl=other, Attributes={"RedrivePolicy": policy}), "InvalidParameterValue", message)
        expect_error(lambda: sqs.create_queue(
            QueueName=unique("rap-new"), Attributes={"RedrivePolicy": policy}),
            "InvalidParameterValue", message)
    # The queue byQueue names may use it.
    src = sqs.create_queue(
        QueueName=source_name,
        Attributes={"RedrivePolicy": redrive_policy(arn_of(sqs, by_queue), 3)},
    )["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=by_queue)["queueUrls"] == [src]
    stored = sqs.get_queue_attributes(QueueUrl=by_queue, AttributeNames=["RedriveAllowPolicy"])
    assert json.loads(stored["Attributes"]["RedriveAllowPolicy"]) == {
        "redrivePermission": "byQueue", "sourceQueueArns": [source_arn]}

    eleven = json.dumps({"redrivePermission": "byQueue",
                         "sourceQueueArns": [f"{source_arn}{i}" for i in range(11)]})
    expect_error(lambda: sqs.set_queue_attributes(
        QueueUrl=other, Attributes={"RedriveAllowPolicy": eleven}), "InvalidParameterValue",
        f"Value {eleven} for parameter RedriveAllowPolicy is invalid. Reason: Specify from 1 "
        "to 10 source queue ARNs when redrivePermission is byQueue.")


def test_redrive_policy_validation(sqs):
    dlq = sqs.create_queue(QueueName=unique("rpv-dlq"))["QueueUrl"]
    dlq_arn = arn_of(sqs, dlq)
    src = sqs.create_queue(QueueName=unique("rpv-src"))["QueueUrl"]
    for count in (0, 1001):
        policy = redrive_policy(dlq_arn, count)
        expect_error(
            lambda: sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": policy}),
            "InvalidParameterValue",
            f"Value {policy} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            f"maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive.",
        )
    for count in (1, 1000):
        sqs.set_queue_attributes(
            QueueUrl=src, Attributes={"RedrivePolicy": redrive_policy(dlq_arn, count)})

    missing = redrive_policy(f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('nowhere')}", 3)
    expect_error(
        lambda: sqs.create_queue(QueueName=unique("rpv"), Attributes={"RedrivePolicy": missing}),
        "InvalidParameterValue",
        f"Value {missing} for parameter RedrivePolicy is invalid. "
        "Reason: Dead letter target does not exist.",
    )

    # Source and DLQ must be of the same type, both ways round.
    fifo_dlq = create_fifo(sqs, "rpv-fdlq")
    to_standard = redrive_policy(dlq_arn, 3)
    expect_error(
        lambda: create_fifo(sqs, "rpv-fsrc", RedrivePolicy=to_standard),
        "InvalidParameterValue",
        f"Value {to_standard} for parameter RedrivePolicy is invalid. "
        "Reason: Dead-letter queue must be same type of queue as the source.",
    )
    to_fifo = redrive_policy(arn_of(sqs, fifo_dlq), 3)
    expect_error(
        lambda: sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": to_fifo}),
        "InvalidParameterValue",
        f"Value {to_fifo} for parameter RedrivePolicy is invalid. "
        "Reason: Dead-letter queue must be same type of queue as the source.",
    )


# --- FIFO queues ---------------------------------------------------------------------------


def test_fifo_queue_name_rules(sqs):
    base = unique("names")
    # Without FifoQueue=true the name is a standard queue's, and "." is not allowed there.
    expect_error(lambda: sqs.create_queue(QueueName=base + ".fifo"),
                 "InvalidParameterValue", STANDARD_NAME_RULES)
    for name in (base, base + "!.fifo", "a" * 76 + ".fifo", ".fifo"):
        expect_error(
            lambda: sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"}),
            "InvalidParameterValue", FIFO_NAME_RULES)
    url = sqs.create_queue(QueueName="a" * 75 + ".fifo", Attributes={"FifoQueue": "true"})
    assert url["QueueUrl"].endswith("/" + "a" * 75 + ".fifo")
    attrs = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["FifoQueue"] == "true"
    assert attrs["Attributes"]["ContentBasedDeduplication"] == "false"
    assert attrs["Attributes"]["DeduplicationScope"] == "queue"
    assert attrs["Attributes"]["FifoThroughputLimit"] == "perQueue"


def test_fifo_send_validation(sqs):
    url = create_fifo(sqs, "fsv")
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d"),
        "MissingParameter", "The request must contain the parameter MessageGroupId.")
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g"),
        "InvalidParameterValue", DEDUP_ID_REQUIRED)
    expect_error(
        lambda: sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g",
                                 MessageDeduplicationId="d", DelaySeconds=5),
        "InvalidParameterValue",
        f"Value 5 for parameter DelaySeconds is invalid. Reason: {NOT_VALID_FOR_QUEUE_TYPE}")
    # In a batch a per-message delay fails that entry alone.
    result = sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "delayed", "MessageBody": "x", "MessageGroupId": "g",
         "MessageDeduplicationId": "d1", "DelaySeconds": 3},
        {"Id": "fine", "MessageBody": "y", "MessageGroupId": "g", "MessageDeduplicationId": "d2"},
    ])
    assert [e["Id"] for e in result["Successful"]] == ["fine"]
    assert result["Failed"] == [{
        "Id": "delayed", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": f"Value 3 for parameter DelaySeconds is invalid. Reason: {NOT_VALID_FOR_QUEUE_TYPE}",
    }]
    assert [m["Body"] for m in receive(sqs, url)] == ["y"]


# AWS accepts DelaySeconds=0 on a FIFO queue: localstack/localstack#6612,
# softwaremill/elasticmq#273.
def test_fifo_accepts_a_zero_per_message_delay(sqs):
    url = create_fifo(sqs, "fzero")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g",
                     MessageDeduplicationId="d", DelaySeconds=0)
    assert [m["Body"] for m in receive(sqs, url)] == ["x"]


def test_standard_queue_accepts_message_group_id_and_returns_it(sqs, queue):
    sent = sqs.send_message(QueueUrl=queue, MessageBody="fair", MessageGroupId="tenant-1")
    assert "SequenceNumber" not in sent
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "b", "MessageBody": "fair too", "MessageGroupId": "tenant-2"}])
    got = receive(sqs, queue, AttributeNames=["All"])
    groups = {m["Body"]: m["Attributes"].get("MessageGroupId") for m in got}
    assert groups == {"fair": "tenant-1", "fair too": "tenant-2"}
    assert all("SequenceNumber" not in m["Attributes"] for m in got)
    # Deduplication ids are for FIFO queues only.
    expect_error(
        lambda: sqs.send_message(QueueUrl=queue, MessageBody="x", MessageDeduplicationId="d"),
        "InvalidParameterValue",
        "Value d for parameter MessageDeduplicationId is invalid. Reason: The request includes "
        "a parameter that is not valid for this queue type.")


def test_fifo_deduplication(sqs):
    url = create_fifo(sqs, "dedup")
    first = sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g",
                             MessageDeduplicationId="order-1")
    again = sqs.send_message(QueueUrl=url, MessageBody="second", MessageGroupId="g",
                             MessageDeduplicationId="order-1")
    # Accepted, with the original message's id, and not enqueued again.
    assert again["MessageId"] == first["MessageId"]
    assert counts(sqs, url) == (1, 0, 0)
    got = receive(sqs, url)
    assert [m["Body"] for m in got] == ["first"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    # The deduplication interval outlives the message.
    late = sqs.send_message(QueueUrl=url, MessageBody="third", MessageGroupId="g",
                            MessageDeduplicationId="order-1")
    assert late["MessageId"] == first["MessageId"]
    assert counts(sqs, url) == (0, 0, 0)

    # Content-based: the SHA-256 of the body is the deduplication id.
    cbd = create_fifo(sqs, "cbd", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=cbd, MessageBody="same body", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=cbd, MessageBody="same body", MessageGroupId="other-group")
    c = sqs.send_message(QueueUrl=cbd, MessageBody="another body", MessageGroupId="g")
    d = sqs.send_message(QueueUrl=cbd, MessageBody="same body", MessageGroupId="g",
                         MessageDeduplicationId="explicit")
    assert b["MessageId"] == a["MessageId"]
    assert len({a["MessageId"], c["MessageId"], d["MessageId"]}) == 3
    got = receive(sqs, cbd, AttributeNames=["All"])
    dedup_ids = {m["MessageId"]: m["Attributes"]["MessageDeduplicationId"] for m in got}
    assert dedup_ids == {
        a["MessageId"]: hashlib.sha256(b"same body").hexdigest(),
        c["MessageId"]: hashlib.sha256(b"another body").hexdigest(),
        d["MessageId"]: "explicit",
    }

    # A duplicate inside one batch is a success with the first entry's id.
    batch = create_fifo(sqs, "dbatch")
    result = sqs.send_message_batch(QueueUrl=batch, Entries=[
        {"Id": "1", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
        {"Id": "2", "MessageBody": "y", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
    ])
    ids = {e["Id"]: e["MessageId"] for e in result["Successful"]}
    assert ids["1"] == ids["2"]
    assert counts(sqs, batch) == (1, 0, 0)

    # DeduplicationScope messageGroup: the same id in another group is another message.
    scoped = create_fifo(sqs, "dscope", DeduplicationScope="messageGroup",
                         FifoThroughputLimit="perMessageGroupId")
    g1 = sqs.send_message(QueueUrl=scoped, MessageBody="x", MessageGroupId="g1",
                          MessageDeduplicationId="d")
    g2 = sqs.send_message(QueueUrl=scoped, MessageBody="x", MessageGroupId="g2",
                          MessageDeduplicationId="d")
    g1_again = sqs.send_message(QueueUrl=scoped, MessageBody="x", MessageGroupId="g1",
                                MessageDeduplicationId="d")
    assert g1["MessageId"] != g2["MessageId"]
    assert g1_again["MessageId"] == g1["MessageId"]
    assert counts(sqs, scoped) == (2, 0, 0)
    # High throughput per message group needs messageGroup deduplication (AWS documents it).
    expect_error(
        lambda: create_fifo(sqs, "dthroughput", FifoThroughputLimit="perMessageGroupId"),
        "InvalidParameterValue",
        "Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId "
        "value is allowed only when the value for DeduplicationScope is messageGroup.")


def test_fifo_sequence_numbers_are_increasing_20_digit_strings(sqs):
    url = create_fifo(sqs, "seq", ContentBasedDeduplication="true")
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i % 2}")
        for i in range(6)
    ]
    numbers = [s["SequenceNumber"] for s in sent]
    assert all(len(n) == 20 and n.isdigit() for n in numbers), numbers
    assert [int(n) for n in numbers] == sorted({int(n) for n in numbers})
    got = receive(sqs, url, AttributeNames=["All"])
    assert {m["MessageId"]: m["Attributes"]["SequenceNumber"] for m in got} == {
        s["MessageId"]: s["SequenceNumber"] for s in sent
    }
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"g0", "g1"}


def test_fifo_batch_send_keeps_order(sqs):
    url = create_fifo(sqs, "border")
    entries = [
        {"Id": f"e{i}", "MessageBody": f"{group}{i // 2}", "MessageGroupId": group,
         "MessageDeduplicationId": f"{group}{i}"}
        for i, group in enumerate(["a", "b"] * 5)
    ]
    result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert "Failed" not in result or result["Failed"] == []
    by_id = {e["Id"]: e for e in result["Successful"]}
    sequence = [int(by_id[e["Id"]]["SequenceNumber"]) for e in entries]
    assert sequence == sorted(sequence) and len(set(sequence)) == 10

    bodies = {"a": [], "b": []}
    deadline = time.monotonic() + 10
    while sum(map(len, bodies.values())) < 10:
        assert time.monotonic() < deadline
        got = receive(sqs, url, AttributeNames=["All"])
        for m in got:
            bodies[m["Attributes"]["MessageGroupId"]].append(m["Body"])
        if got:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert bodies == {"a": [f"a{i}" for i in range(5)], "b": [f"b{i}" for i in range(5)]}


def test_fifo_group_is_locked_while_a_message_is_in_flight(sqs):
    url = create_fifo(sqs, "lock", ContentBasedDeduplication="true")
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    a1 = receive(sqs, url, MaxNumberOfMessages=1)
    assert [m["Body"] for m in a1] == ["a1"]
    # While a1 is in flight, nothing of group A is delivered; group B is.
    assert [m["Body"] for m in receive(sqs, url)] == ["b1"]
    assert receive(sqs, url) == []
    # Handing a1 back keeps the order: a1 again, not a2.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=a1[0]["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = receive(sqs, url, MaxNumberOfMessages=1)
    assert [m["Body"] for m in again] == ["a1"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    assert [m["Body"] for m in receive(sqs, url)] == ["a2"]


# Many groups spread over a few consumers; and a few groups fought over by more consumers
# than groups, where a group handed out while locked would show at once.
@pytest.mark.parametrize("groups,per_group,consumers", [(25, 12, 4), (2, 60, 6)])
def test_fifo_order_per_group_with_concurrent_consumers(sqs, endpoint, groups, per_group,
                                                        consumers):
    url = create_fifo(sqs, "many", VisibilityTimeout=30)
    entries = [
        {"Id": f"{g}-{i}", "MessageBody": json.dumps([g, i]), "MessageGroupId": f"group-{g}",
         "MessageDeduplicationId": f"{g}-{i}"}
        for i in range(per_group) for g in range(groups)
    ]
    for start in range(0, len(entries), 10):
        result = sqs.send_message_batch(QueueUrl=url, Entries=entries[start:start + 10])
        assert len(result["Successful"]) == 10

    lock = threading.Lock()
    holder = {}           # group -> consumer currently holding some of its messages
    received = {g: [] for g in range(groups)}   # group -> indexes in delivery order
    sequence = {g: [] for g in range(groups)}
    per_consumer = [0] * consumers
    violations = []
    done = threading.Event()
    total = groups * per_group

    def consume(me):
        client = make_client(endpoint)
        rng = random.Random(me)
        deadline = time.monotonic() + 30
        while not done.is_set() and time.monotonic() < deadline:
            # Taking part of a group leaves the rest of it locked.
            got = client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=rng.randint(1, 10), WaitTimeSeconds=1,
                AttributeNames=["All"]).get("Messages", [])
            if not got:
                continue
            mine = set()
            with lock:
                for m in got:
                    g, i = json.loads(m["Body"])
                    if holder.get(g, me) != me:
                        violations.append(f"group {g} delivered to {me} while {holder[g]} holds it")
                    holder[g] = me
                    mine.add(g)
                    received[g].append(i)
                    sequence[g].append(int(m["Attributes"]["SequenceNumber"]))
                per_consumer[me] += len(got)
            time.sleep(rng.uniform(0, 0.01))  # processing
            # Release our claim before deleting: until the delete the server must not hand
            # the group to anyone else, so a claim seen by another consumer is a violation.
            with lock:
                for g in mine:
                    del holder[g]
                if sum(per_consumer) >= total:
                    done.set()
            client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)])

    threads = [threading.Thread(target=consume, args=(n,)) for n in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert violations == []
    assert received == {g: list(range(per_group)) for g in range(groups)}
    assert all(s == sorted(s) for s in sequence.values())
    assert sum(per_consumer) == total
    assert sum(1 for n in per_consumer if n) >= 2, per_consumer
    assert counts(sqs, url) == (0, 0, 0)


def test_fifo_receive_request_attempt_id_retry(sqs):
    url = create_fifo(sqs, "attempt", ContentBasedDeduplication="true")
    for body in ("1", "2", "3"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert [m["Body"] for m in first] == ["1", "2"]
    # A retry (say the answer was lost) gets the same messages and receipt handles.
    retry = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in retry] == [
        (m["MessageId"], m["ReceiptHandle"]) for m in first]
    # Another attempt id is a new receive: the group is locked.
    assert receive(sqs, url, ReceiveRequestAttemptId="attempt-2") == []
    # Once its messages were deleted, the attempt is over: the same id receives anew.
    sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(first)])
    after = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert [m["Body"] for m in after] == ["3"]


# --- message move tasks --------------------------------------------------------------------


def test_cancel_a_move_task_midway(sqs):
    src, src_arn, dlq, dlq_arn = dead_lettered(sqs, 6, prefix="cancel")
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"]
    running = wait_for_task(sqs, dlq_arn, lambda t: t["ApproximateNumberOfMessagesMoved"] >= 2)
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    expect_error(lambda: sqs.start_message_move_task(SourceArn=dlq_arn),
                 "InvalidParameterValue", TASK_ALREADY_RUNNING)

    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert 2 <= moved < 6
    cancelled = wait_for_task(sqs, dlq_arn, lambda t: t["Status"] == "CANCELLED")
    assert "TaskHandle" not in cancelled
    assert cancelled["ApproximateNumberOfMessagesToMove"] == 6
    final = cancelled["ApproximateNumberOfMessagesMoved"]
    assert moved <= final < 6
    time.sleep(1.1)  # past the next slot: nothing more moves after the cancel
    assert counts(sqs, src) == (final, 0, 0)
    assert counts(sqs, dlq) == (6 - final, 0, 0)
    expect_error(lambda: sqs.cancel_message_move_task(TaskHandle=handle),
                 "InvalidParameterValue", "Only active tasks can be cancelled.")

    # A new task may start now; to an explicit destination, unthrottled.
    dest = sqs.create_queue(QueueName=unique("cancel-dest"))["QueueUrl"]
    dest_arn = arn_of(sqs, dest)
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn)
    done = wait_for_task(sqs, dlq_arn, lambda t: t["Status"] == "COMPLETED")
    assert done["DestinationArn"] == dest_arn
    assert done["ApproximateNumberOfMessagesMoved"] == 6 - final
    assert "MaxNumberOfMessagesPerSecond" not in done
    assert counts(sqs, dest) == (6 - final, 0, 0)
    assert counts(sqs, dlq) == (0, 0, 0)
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [t["Status"] for t in tasks] == ["COMPLETED", "CANCELLED"]
    # The default is the most recent task only.
    assert len(sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]) == 1


def test_move_task_errors(sqs):
    src, src_arn, dlq, dlq_arn = dead_lettered(sqs, 1, prefix="mte")
    missing_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('missing')}"
    expect_error(lambda: sqs.start_message_move_task(SourceArn=src_arn),
                 "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
    expect_error(lambda: sqs.start_message_move_task(SourceArn=missing_arn),
                 "ResourceNotFoundException",
                 "The resource that you specified for the SourceArn parameter doesn't exist.", 404)
    expect_error(lambda: sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=missing_arn),
                 "ResourceNotFoundException",
                 "The resource that you specified for the DestinationArn parameter doesn't exist.",
                 404)
    expect_error(lambda: sqs.start_message_move_task(SourceArn="not-an-arn"),
                 "InvalidParameterValue",
                 "You must use this format to specify the SourceArn: "
                 "arn:<partition>:<service>:<region>:<account-id>:<resource-id>")
    fifo = create_fifo(sqs, "mte")
    expect_error(lambda: sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dlq_arn),
                 "InvalidParameterValue",
                 "Source queue arn and destination queue arn cannot be the same.")
    expect_error(lambda: sqs.start_message_move_task(SourceArn=dlq_arn,
                                                     DestinationArn=arn_of(sqs, fifo)),
                 "InvalidParameterValue",
                 "The source queue and destination queue must be of the same queue type.")
    for rate in (0, 501):
        expect_error(
            lambda: sqs.start_message_move_task(SourceArn=dlq_arn,
                                                MaxNumberOfMessagesPerSecond=rate),
            "InvalidParameterValue",
            f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
            "Reason: MaxNumberOfMessagesPerSecond must be between 1 and 500.")
    for max_results in (0, 11):
        expect_error(
            lambda: sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=max_results),
            "InvalidParameterValue",
            f"Value {max_results} for parameter MaxResults is invalid. "
            "Reason: MaxResults must be between 1 and 10.")
    expect_error(lambda: sqs.list_message_move_tasks(SourceArn=missing_arn),
                 "ResourceNotFoundException",
                 "The resource that you specified for the SourceArn parameter doesn't exist.", 404)
    # No task yet (Query's XML then has no Results element at all).
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn).get("Results", []) == []
    expect_error(lambda: sqs.cancel_message_move_task(TaskHandle="not-a-handle"),
                 "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
    unknown = base64.b64encode(json.dumps(
        {"taskId": str(uuid.uuid4()), "sourceArn": dlq_arn}).encode()).decode()
    expect_error(lambda: sqs.cancel_message_move_task(TaskHandle=unknown),
                 "ResourceNotFoundException", "Task does not exist.", 404)


def test_move_task_fails_when_its_destination_disappears(sqs):
    src, src_arn, dlq, dlq_arn = dead_lettered(sqs, 3, prefix="vanish")
    dest = sqs.create_queue(QueueName=unique("vanish-dest"))["QueueUrl"]
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(sqs, dest),
                                MaxNumberOfMessagesPerSecond=1)
    wait_for_task(sqs, dlq_arn, lambda t: t["ApproximateNumberOfMessagesMoved"] >= 1)
    sqs.delete_queue(QueueUrl=dest)
    failed = wait_for_task(sqs, dlq_arn, lambda t: t["Status"] == "FAILED", timeout=5)
    assert failed["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert "TaskHandle" not in failed
    assert counts(sqs, dlq)[0] == 3 - failed["ApproximateNumberOfMessagesMoved"]


# AWS fails a redrive to the source of a message sent straight to the DLQ with FailureReason
# CouldNotDetermineMessageSource (SQS developer guide, troubleshooting DLQ redrive).
def test_move_task_cannot_redrive_a_message_sent_directly_to_the_dlq(sqs):
    src, src_arn, dlq, dlq_arn = dead_lettered(sqs, 0, prefix="direct")
    sqs.send_message(QueueUrl=dlq, MessageBody="never dead-lettered")
    sqs.start_message_move_task(SourceArn=dlq_arn)
    failed = wait_for_task(sqs, dlq_arn, lambda t: t["Status"] != "RUNNING", timeout=5)
    assert (failed["Status"], failed.get("FailureReason")) == (
        "FAILED", "CouldNotDetermineMessageSource")


# --- a queue that is its own dead-letter queue (it once froze the whole server) ------------


def test_cli_sets_a_queue_as_its_own_dead_letter_queue(endpoint, sqs):
    """The command of the freeze report, verbatim through the AWS CLI: AWS accepts it, and the
    server keeps answering every service afterwards."""
    name = unique("self")
    created = aws(endpoint, "sqs", "create-queue", "--queue-name", name)
    assert created.returncode == 0, created.stderr
    url = json.loads(created.stdout)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "3"})
    out = aws(
        endpoint,
        "sqs",
        "set-queue-attributes",
        "--queue-url",
        url,
        "--attributes",
        json.dumps({"RedrivePolicy": policy}),
    )
    assert out.returncode == 0, out.stderr
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert json.loads(got["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": arn,
        "maxReceiveCount": 3,
    }
    # Every service still answers, and the health endpoint too.
    assert make_client(endpoint, "sns").list_topics()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert make_client(endpoint, "events").list_event_buses()["EventBuses"]
    import urllib.request

    with urllib.request.urlopen(endpoint + "/_ferrybridge/health", timeout=2) as resp:
        assert json.load(resp)["status"] == "running"


def test_a_message_over_max_receive_count_on_a_self_dead_letter_queue_is_not_lost(sqs):
    """What AWS does with such a message is not documented; moving it into the queue it is in
    would change nothing, so it stays receivable and its receive count keeps growing."""
    url = sqs.create_queue(QueueName=unique("self"))["QueueUrl"]
    arn = arn_of(sqs, url)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive_policy(arn, 1)})
    sent = sqs.send_message(QueueUrl=url, MessageBody="poison")["MessageId"]
    for count in range(1, 5):
        got = receive(sqs, url, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        assert [m["MessageId"] for m in got] == [sent]
        assert got[0]["Attributes"]["ApproximateReceiveCount"] == str(count)
    assert counts(sqs, url) == (1, 0, 0)


def test_two_queues_that_are_each_others_dead_letter_queue_under_concurrent_updates(sqs, endpoint):
    """The second freeze: A's DLQ is B and B's DLQ is A, both set from concurrent clients."""
    a = sqs.create_queue(QueueName=unique("ping"))["QueueUrl"]
    b = sqs.create_queue(QueueName=unique("pong"))["QueueUrl"]
    arns = {a: arn_of(sqs, a), b: arn_of(sqs, b)}
    errors = []

    def hammer(source, target):
        client = make_client(endpoint)
        try:
            for _ in range(40):
                client.set_queue_attributes(
                    QueueUrl=source, Attributes={"RedrivePolicy": redrive_policy(arns[target], 2)}
                )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=pair) for pair in [(a, b), (b, a)] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "SetQueueAttributes stalled"
    assert errors == []
    for source, target in [(a, b), (b, a)]:
        got = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
        assert json.loads(got["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == arns[target]
