"""SQS behaviour recorded against AWS (issue 15): FIFO group visibility and ordering, receipt
handles, purges, trace headers, the Query protocol's details, queue URLs per region, batch
sizes, high-throughput FIFO settings. Each test names its source.

Runs with both boto3 flavours (JSON and Query protocol, see conftest.PROTOCOL).
"""

import time
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import PROTOCOL, make_client

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def fifo_queue(sqs, visibility="30", **attributes):
    name = "f-" + uuid.uuid4().hex[:12] + ".fifo"
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": visibility}
    attrs.update(attributes)
    return sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]


def send_all(sqs, url, messages):
    for body, group in messages:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)


def bodies(response):
    return [m["Body"] for m in response.get("Messages", [])]


def with_trace_header(client, operation):
    """Makes `client` send `X-Amzn-Trace-Id: TRACE` on `operation`, as the X-Ray SDK does."""

    def add(request, **_):
        request.headers["X-Amzn-Trace-Id"] = TRACE

    client.meta.events.register(f"before-sign.{client.meta.service_model.endpoint_prefix}.{operation}", add)
    return client


# ---- 1. FIFO message-group visibility -------------------------------------------------------


def test_fifo_zero_visibility_receives_keep_groups_together_and_rotate_them(sqs):
    # source: LocalStack test_sqs.py::test_fifo_receive_message_with_zero_visibility_timeout
    # (recorded against AWS).
    url = fifo_queue(sqs)
    send_all(sqs, url, [("g1-m1", "g1"), ("g2-m1", "g2"), ("g2-m2", "g2"), ("g3-m1", "g3"), ("g1-m2", "g1")])
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert bodies(first) == ["g1-m1", "g1-m2", "g2-m1"]
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert bodies(second) == ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_fifo_terminated_visibility_unlocks_the_group_for_its_visible_messages(sqs):
    # source: LocalStack test_sqs.py::
    # test_fifo_message_group_visibility_after_terminate_visibility_timeout (AWS-validated).
    url = fifo_queue(sqs)
    send_all(sqs, url, [("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert bodies(got) == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"], VisibilityTimeout=0
    )
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, WaitTimeSeconds=2)
    assert bodies(again) == ["g2-m1", "g1-m1"]


def test_fifo_shortened_visibility_unlocks_the_group_when_it_ends(sqs):
    # source: LocalStack test_sqs.py::
    # test_fifo_message_group_visibility_after_change_message_visibility (AWS-validated).
    url = fifo_queue(sqs)
    send_all(sqs, url, [("g1-m1", "g1"), ("g1-m2", "g1"), ("g2-m1", "g2")])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"], VisibilityTimeout=1
    )
    time.sleep(2)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)
    assert bodies(again) == ["g2-m1", "g1-m1"]


def test_fifo_group_unlocks_when_its_received_messages_are_deleted(sqs):
    # source: LocalStack test_sqs.py::test_fifo_message_group_visibility_after_delete, whose
    # AWS-recorded ordering is g2-m1, g2-m2, g1-m3, g1-m4, g3-m1.
    url = fifo_queue(sqs)
    send_all(
        sqs,
        url,
        [
            ("g1-m1", "group-1"),
            ("g2-m1", "group-2"),
            ("g1-m2", "group-1"),
            ("g2-m2", "group-2"),
            ("g1-m2", "group-1"),  # deduplicated (content-based)
            ("g1-m3", "group-1"),
            ("g1-m4", "group-1"),
            ("g3-m1", "group-3"),
        ],
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert bodies(got) == ["g1-m1", "g1-m2"]
    for m in got["Messages"]:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert bodies(rest) == ["g2-m1", "g2-m2", "g1-m3", "g1-m4", "g3-m1"]


def test_fifo_group_stays_locked_while_any_received_message_is_in_flight(sqs):
    # source: LocalStack test_sqs.py::test_fifo_receive_message_visibility_timeout_shared_in_group
    # (AWS ordering after the timeout: g3-m1, g1-m1..m4, g2-m1).
    url = fifo_queue(sqs, visibility="1")
    send_all(
        sqs,
        url,
        [("g1-m1", "g1"), ("g1-m2", "g1"), ("g1-m3", "g1"), ("g1-m4", "g1"), ("g2-m1", "g2"), ("g3-m1", "g3")],
    )
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)) == ["g1-m1", "g1-m2"]
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)) == ["g2-m1"]
    time.sleep(2)
    everything = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert bodies(everything) == ["g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"]


# ---- 2. ChangeMessageVisibility to 0 with an earlier receipt ---------------------------------


def test_terminate_visibility_with_the_receipt_of_an_earlier_receive(sqs, queue):
    # source: LocalStack test_sqs.py::test_terminate_visibility_timeout_after_receive
    # (AWS-validated): the first receipt still terminates the second receive's timeout.
    sqs.send_message(QueueUrl=queue, MessageBody="test")
    first = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2, VisibilityTimeout=0)
    receipt_1 = first["Messages"][0]["ReceiptHandle"]
    assert len(sqs.receive_message(QueueUrl=queue, VisibilityTimeout=3)["Messages"]) == 1
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=receipt_1, VisibilityTimeout=0)
    assert len(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]) == 1


# ---- 3. FIFO DeleteMessage with an expired receipt -------------------------------------------


def test_fifo_delete_with_an_expired_receipt_handle_fails(sqs):
    # source: LocalStack test_sqs.py::test_fifo_delete_message_with_expired_receipt_handle
    # (AWS-validated); wording from AWS's knowledge center article on ReceiptHandle errors.
    url = fifo_queue(sqs, visibility="1")
    sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(2)
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    error = exc.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"] == (
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    )
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The message is still there.
    assert bodies(sqs.receive_message(QueueUrl=url)) == ["g1-m1"]


# ---- 4. PurgeQueue clears the FIFO deduplication cache ---------------------------------------


def test_purge_forgets_fifo_deduplication_ids(sqs):
    # source: issue 15 item 4 (AWS: a purged FIFO queue accepts the same deduplication id again).
    url = fifo_queue(sqs, ContentBasedDeduplication="false")
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d")
    dup = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d")
    assert dup["MessageId"] == first["MessageId"]
    sqs.purge_queue(QueueUrl=url)
    again = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d")
    assert again["MessageId"] != first["MessageId"]
    assert bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["a"]


# ---- 5. AWSTraceHeader -----------------------------------------------------------------------


def test_trace_header_becomes_the_aws_trace_header_attribute(endpoint, queue):
    # source: AWS X-Ray developer guide, "Amazon SQS and AWS X-Ray": the X-Amzn-Trace-Id header
    # applies to every message of a SendMessage/SendMessageBatch; the AWSTraceHeader message
    # system attribute overrides it.
    sqs = with_trace_header(make_client(endpoint), "SendMessage")
    sqs = with_trace_header(sqs, "SendMessageBatch")
    sqs.send_message(QueueUrl=queue, MessageBody="one")
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "a", "MessageBody": "two"},
            {
                "Id": "b",
                "MessageBody": "three",
                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-own"}},
            },
        ],
    )
    got = make_client(endpoint).receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["AWSTraceHeader"]
    )
    traces = {m["Body"]: m.get("Attributes", {}).get("AWSTraceHeader") for m in got["Messages"]}
    assert traces == {"one": TRACE, "two": TRACE, "three": "Root=1-own"}


def test_sns_passes_the_publishers_trace_header_to_sqs(endpoint, sqs, queue):
    # source: issue 15 item 5 (SNS -> SQS deliveries keep the publisher's X-Ray trace header).
    sns = with_trace_header(make_client(endpoint, "sns"), "Publish")
    topic = sns.create_topic(Name="t-" + uuid.uuid4().hex[:8])["TopicArn"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="traced")
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5, AttributeNames=["All"])
    assert bodies(got) == ["traced"]
    assert got["Messages"][0]["Attributes"]["AWSTraceHeader"] == TRACE


# ---- 8. Batch sizes, high-throughput FIFO, sequence numbers ----------------------------------


def test_send_message_batch_honours_a_raised_maximum_message_size(sqs):
    # source: LocalStack test_sqs.py::
    # test_send_batch_message_size / ..._with_updated_maximum_message_size (AWS-recorded):
    # entries are held to the queue's current MaximumMessageSize.
    url = sqs.create_queue(
        QueueName="m-" + uuid.uuid4().hex[:8], Attributes={"MaximumMessageSize": "1024"}
    )["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "2048"})
    response = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "fits", "MessageBody": "a" * 2000},
            {"Id": "too-big", "MessageBody": "b" * 2049},
        ],
    )
    assert [e["Id"] for e in response["Successful"]] == ["fits"]
    assert response["Failed"] == [
        {
            "Id": "too-big",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "One or more parameters are invalid. Reason: Message must be shorter than 2048 bytes.",
        }
    ]


def test_high_throughput_settings_changed_after_creation_apply_to_the_next_messages(sqs):
    # source: AWS SQS developer guide, "High throughput for FIFO queues": DeduplicationScope
    # messageGroup deduplicates per message group; it can be set on an existing queue.
    url = fifo_queue(sqs, ContentBasedDeduplication="false")
    first = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d1")
    same_queue = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2", MessageDeduplicationId="d1")
    assert same_queue["MessageId"] == first["MessageId"]
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    )
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["DeduplicationScope"] == "messageGroup"
    assert attrs["FifoThroughputLimit"] == "perMessageGroupId"
    other_group = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g3", MessageDeduplicationId="d2")
    other_group_again = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g4", MessageDeduplicationId="d2"
    )
    assert other_group_again["MessageId"] != other_group["MessageId"]
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 3


def test_sequence_numbers_are_20_digits_without_the_account_id(endpoint):
    # source: AWS SQS API reference, SendMessage: "SequenceNumber ... The length of
    # SequenceNumber is 128 bits"; values recorded on AWS are 20 decimal digits.
    sqs = make_client(endpoint, access_key="123456789012")
    url = fifo_queue(sqs)
    numbers = [
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")["SequenceNumber"] for i in range(3)
    ]
    for n in numbers:
        assert len(n) == 20 and n.isdigit(), n
        assert "123456789012" not in n
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 3
