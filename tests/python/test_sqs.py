"""Amazon SQS standard queues through boto3 (JSON or Query protocol, see conftest.PROTOCOL)."""

import hashlib
import json
import struct
import threading
import time
import uuid

import botocore
import pytest
from botocore.exceptions import ClientError

from conftest import PROTOCOL, make_client


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def md5_of_attributes(attrs):
    buf = b""
    for name in sorted(attrs):
        value = attrs[name]
        data_type = value["DataType"]
        buf += struct.pack(">I", len(name.encode())) + name.encode()
        buf += struct.pack(">I", len(data_type.encode())) + data_type.encode()
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            buf += b"\x02" + struct.pack(">I", len(raw)) + raw
        else:
            raw = value["StringValue"].encode()
            buf += b"\x01" + struct.pack(">I", len(raw)) + raw
    return hashlib.md5(buf).hexdigest()


def test_protocol_is_what_the_suite_expects():
    # botocore 1.31.62 is the last release whose SQS model speaks Query; later ones speak JSON.
    legacy = tuple(int(p) for p in botocore.__version__.split(".")[:3]) <= (1, 31, 62)
    assert PROTOCOL == ("query" if legacy else "json")


def test_create_is_idempotent_and_conflicts_on_different_attributes(sqs, endpoint):
    name = "orders-" + uuid.uuid4().hex[:8]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{endpoint}/000000000000/{name}"
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "99"})
    assert error_code(exc) == "QueueAlreadyExists"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_missing_queue(sqs, endpoint):
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_url(QueueName="does-not-exist")
    assert error_code(exc) == "AWS.SimpleQueueService.NonExistentQueue"
    # The legacy Query front end words it differently from the JSON one.
    wording = {
        "json": "The specified queue does not exist.",
        "query": "The specified queue does not exist for this wsdl version.",
    }
    assert exc.value.response["Error"]["Message"] == wording[PROTOCOL]
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=f"{endpoint}/000000000000/nope", MessageBody="x")
    assert error_code(exc) == "AWS.SimpleQueueService.NonExistentQueue"


def test_invalid_attribute_value(sqs):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="bad-attr", Attributes={"MessageRetentionPeriod": "10"})
    assert error_code(exc) == "InvalidAttributeValue"


def test_list_queues_prefix_and_paging(sqs):
    prefix = "list-" + uuid.uuid4().hex[:6]
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i}")["QueueUrl"] for i in range(5))
    assert sorted(sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]) == urls
    seen, token = [], None
    while True:
        kwargs = {"QueueNamePrefix": prefix, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = sqs.list_queues(**kwargs)
        seen += page.get("QueueUrls", [])
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == urls
    paginator = sqs.get_paginator("list_queues")
    pages = list(paginator.paginate(QueueNamePrefix=prefix, PaginationConfig={"PageSize": 3}))
    assert sorted(u for p in pages for u in p.get("QueueUrls", [])) == urls


def test_send_receive_delete_with_attributes_and_md5(sqs, queue):
    body = "héllo <xml> & \"quotes\" \r\n\t 🎉"
    attrs = {
        "kind": {"DataType": "String", "StringValue": "order"},
        "amount": {"DataType": "Number", "StringValue": "12.5"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "custom": {"DataType": "String.custom", "StringValue": "c"},
    }
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    uuid.UUID(sent["MessageId"])

    got = sqs.receive_message(
        QueueUrl=queue, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["Body"] == body
    assert m["MessageId"] == sent["MessageId"]
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert m["Attributes"]["SenderId"] == "000000000000"
    assert abs(int(m["Attributes"]["SentTimestamp"]) - time.time() * 1000) < 60_000
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_receive_only_named_attributes(sqs, queue):
    attrs = {
        "alpha.one": {"DataType": "String", "StringValue": "1"},
        "alpha.two": {"DataType": "String", "StringValue": "2"},
        "beta": {"DataType": "String", "StringValue": "3"},
    }
    sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=attrs)
    m = sqs.receive_message(
        QueueUrl=queue,
        MessageAttributeNames=["alpha.*"],
        AttributeNames=["SentTimestamp"],
        VisibilityTimeout=0,
    )["Messages"][0]
    assert set(m["MessageAttributes"]) == {"alpha.one", "alpha.two"}
    assert m["MD5OfMessageAttributes"] == md5_of_attributes(
        {k: attrs[k] for k in ("alpha.one", "alpha.two")}
    )
    assert set(m["Attributes"]) == {"SentTimestamp"}


def test_batch_operations(sqs, queue):
    result = sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "bad \x00"},
            {"Id": "c", "MessageBody": "three", "DelaySeconds": 0},
        ],
    )
    assert sorted(e["Id"] for e in result["Successful"]) == ["a", "c"]
    assert result["Failed"][0]["Id"] == "b"
    assert result["Failed"][0]["SenderFault"] is True
    assert result["Failed"][0]["Code"] == "InvalidMessageContents"

    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=queue, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}]
        )
    assert error_code(exc) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=queue, Entries=[{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]
        )
    assert error_code(exc) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"

    msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in msgs) == ["one", "three"]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": f"v{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60}
            for i, m in enumerate(msgs)
        ],
    )
    assert len(changed["Successful"]) == 2
    deleted = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]
        + [{"Id": "bad", "ReceiptHandle": "garbage"}],
    )
    assert len(deleted["Successful"]) == 2
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_receive_validation(sqs, queue):
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=11)
    assert error_code(exc) == "InvalidParameterValue"
    assert "MaxNumberOfMessages" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=21)
    assert error_code(exc) == "InvalidParameterValue"


def test_visibility_timeout_and_receive_count(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="v")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    time.sleep(1.2)
    second = sqs.receive_message(QueueUrl=queue, AttributeNames=["ApproximateReceiveCount"])[
        "Messages"
    ][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]


def test_long_poll_wakes_on_send(sqs, queue):
    def later():
        time.sleep(0.3)
        make_client(sqs.meta.endpoint_url).send_message(QueueUrl=queue, MessageBody="wake")

    threading.Thread(target=later).start()
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"]
    assert got[0]["Body"] == "wake"
    assert time.monotonic() - started < 5

    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
    assert time.monotonic() - started >= 0.95


def test_purge_tags_permissions(sqs):
    name = "misc-" + uuid.uuid4().hex[:8]
    url = sqs.create_queue(QueueName=name, tags={"team": "payments"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(exc) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "payments", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}

    sqs.add_permission(
        QueueUrl=url, Label="partner", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert policy["Statement"][0]["Sid"] == "partner"
    assert policy["Statement"][0]["Resource"] == f"arn:aws:sqs:us-east-1:000000000000:{name}"
    sqs.remove_permission(QueueUrl=url, Label="partner")
    with pytest.raises(ClientError) as exc:
        sqs.remove_permission(QueueUrl=url, Label="partner")
    assert error_code(exc) == "InvalidParameterValue"


def test_get_and_set_queue_attributes(sqs, queue):
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"VisibilityTimeout": "77", "DelaySeconds": "3"}
    )
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "77"
    assert attrs["DelaySeconds"] == "3"
    assert attrs["QueueArn"].startswith("arn:aws:sqs:us-east-1:000000000000:q-")
    for key in (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "SqsManagedSseEnabled",
    ):
        assert key in attrs, key
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Nope"])
    assert error_code(exc) == "InvalidAttributeName"


def test_account_from_access_key_and_region_from_scope(endpoint):
    other = make_client(endpoint, access_key="111122223333", region="eu-west-1")
    name = "acct-" + uuid.uuid4().hex[:6]
    url = other.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/111122223333/{name}")
    arn = other.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == f"arn:aws:sqs:eu-west-1:111122223333:{name}"
    with pytest.raises(ClientError):
        make_client(endpoint).get_queue_url(QueueName=name)


def test_dead_letter_source_queues(sqs):
    suffix = uuid.uuid4().hex[:6]
    dlq = sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    src = sqs.create_queue(QueueName=f"src-{suffix}", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    stored = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(stored["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={"RedrivePolicy": "{not json"})
    assert error_code(exc) == "InvalidAttributeValue"


# --- Conformance with AWS (messages and shapes recorded against AWS) -----------------------


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]


def test_receive_message_attribute_name_wildcards(sqs, queue):
    attrs = {
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "General": {"DataType": "String", "StringValue": "Kenobi"},
    }
    sqs.send_message(QueueUrl=queue, MessageBody="msg", MessageAttributes=attrs)

    def names(selector):
        m = sqs.receive_message(
            QueueUrl=queue, MessageAttributeNames=selector, VisibilityTimeout=0
        )["Messages"][0]
        return set(m.get("MessageAttributes", {}))

    assert names(["*"]) == set(attrs)
    assert names([".*"]) == set(attrs)
    # The prefix is what precedes ".*": "Hel.*" selects "Hello" as well as "Help.Me".
    assert names(["Hel.*"]) == {"Hello", "Help.Me"}
    assert names(["Foo", "Hello"]) == {"Hello"}
    assert names(["AWS."]) == set()


def test_message_attribute_validation_messages(sqs, queue):
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=queue,
            MessageBody="test",
            MessageAttributes={"ErrorDetails": {"StringValue": "", "DataType": "String"}},
        )
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == (
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    )
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=queue,
            MessageBody="test",
            MessageAttributes={"invalidAttribute": {"StringValue": "v", "DataType": "InvalidType"}},
        )
    assert error_message(exc) == (
        "The type of message (user) attribute 'invalidAttribute' is invalid. "
        "You must use only the following supported type prefixes: Binary, Number, String."
    )
    # Letters beyond ASCII are alphanumeric too.
    attrs = {"attr.1øßä": {"StringValue": "Valida", "DataType": "String"}}
    sent = sqs.send_message(QueueUrl=queue, MessageBody="test", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)


def test_batch_entry_without_body_fails_alone(sqs, queue):
    result = sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "1", "MessageBody": "Valid message"}, {"Id": "2", "MessageBody": ""}],
    )
    assert [e["Id"] for e in result["Successful"]] == ["1"]
    assert result["Failed"][0]["Id"] == "2"
    assert result["Failed"][0]["Code"] == "EmptyValue"
    assert result["Failed"][0]["SenderFault"] is True


def test_tag_key_length_message(sqs, queue):
    with pytest.raises(ClientError) as exc:
        sqs.tag_queue(QueueUrl=queue, Tags={"": "production"})
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == "Tag keys must be between 1 and 128 characters in length."
    with pytest.raises(ClientError) as exc:
        sqs.untag_queue(QueueUrl=queue, TagKeys=[])
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == "Tag keys must be between 1 and 128 characters in length."


def test_too_many_tags_names_the_queue(sqs, queue):
    name = queue.rsplit("/", 1)[1]
    sqs.tag_queue(QueueUrl=queue, Tags={"keep": "x"})
    with pytest.raises(ClientError) as exc:
        sqs.tag_queue(QueueUrl=queue, Tags={f"k{i}": "v" for i in range(51)})
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == f"Too many tags added for queue {name}."
    assert sqs.list_queue_tags(QueueUrl=queue)["Tags"] == {"keep": "x"}


def test_add_permission_policy_document(sqs, queue):
    sqs.add_permission(
        QueueUrl=queue, Label="perm", AWSAccountIds=["000000000000"], Actions=["ReceiveMessage"]
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert policy == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {
                "Sid": "perm",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                "Action": "SQS:ReceiveMessage",
                "Resource": arn,
            }
        ],
    }


def test_add_permission_without_principal(sqs, queue):
    with pytest.raises(ClientError) as exc:
        sqs.add_permission(QueueUrl=queue, Label="l", AWSAccountIds=[], Actions=["SendMessage"])
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == (
        "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify."
    )


SSE_BOTH = (
    "You can use one type of server-side encryption (SSE) at one time. "
    "You can either enable KMS SSE or SQS SSE."
)


def test_sse_kms_and_sqs_are_mutually_exclusive(sqs, queue):
    both = {"KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "true"}
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes=both)
    assert error_code(exc) == "InvalidAttributeName"
    assert error_message(exc) == SSE_BOTH
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="sse-" + uuid.uuid4().hex[:8], Attributes=both)
    assert error_message(exc) == SSE_BOTH
    # One kind at a time is fine.
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "KmsMasterKeyId": "testKeyId",
            "KmsDataKeyReusePeriodSeconds": "6000",
            "SqsManagedSseEnabled": "false",
        },
    )
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"],
    )["Attributes"]
    assert attrs == {
        "KmsMasterKeyId": "testKeyId",
        "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false",
    }


def test_fifo_queue_attribute_on_either_queue_type(sqs, queue):
    # A standard queue knows no FifoQueue attribute, not even "false".
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="std-" + uuid.uuid4().hex[:8], Attributes={"FifoQueue": "false"})
    assert error_code(exc) == "InvalidAttributeName"
    assert error_message(exc) == "Unknown Attribute FifoQueue."
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"FifoQueue": "true"})
    assert error_message(exc) == "Unknown Attribute FifoQueue."
    for name, value in (("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")):
        with pytest.raises(ClientError) as exc:
            sqs.set_queue_attributes(QueueUrl=queue, Attributes={name: value})
        assert error_code(exc) == "InvalidAttributeName"
        assert error_message(exc) == f"You can specify the {name} only when FifoQueue is set to true."
    # A FIFO queue accepts "true" and refuses to become standard.
    fifo = sqs.create_queue(
        QueueName="f-" + uuid.uuid4().hex[:8] + ".fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "false"})
    assert error_code(exc) == "InvalidAttributeValue"
    assert error_message(exc) == (
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    )


def test_redrive_policy_errors_quote_the_policy_as_sent(sqs, queue):
    sent = json.dumps({"deadLetterTargetArn": "dummy", "maxReceiveCount": 42})
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="rp-" + uuid.uuid4().hex[:8], Attributes={"RedrivePolicy": sent})
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == (
        f"Value {sent} for parameter RedrivePolicy is invalid. "
        "Reason: Invalid value for deadLetterTargetArn."
    )
    missing = json.dumps(
        {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope", "maxReceiveCount": 3}
    )
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": missing})
    assert error_message(exc) == (
        f"Value {missing} for parameter RedrivePolicy is invalid. "
        "Reason: Dead letter target does not exist."
    )


def test_change_visibility_with_an_expired_handle_is_accepted(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0]
    time.sleep(1.2)
    # AWS answers OK (no MessageNotInflight) and the message stays visible.
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=30
    )
    again = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert again["MessageId"] == first["MessageId"]


def test_fifo_batch_missing_ids_fail_the_whole_batch(sqs):
    url = sqs.create_queue(
        QueueName="fb-" + uuid.uuid4().hex[:8] + ".fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    good = {"Id": "a", "MessageBody": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[good, {"Id": "b", "MessageBody": "m", "MessageGroupId": "g"}]
        )
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == (
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[good, {"Id": "b", "MessageBody": "m", "MessageDeduplicationId": "d2"}],
        )
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == "The request must contain the parameter MessageGroupId."
    # Nothing of either batch was sent.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_empty_queue_name_and_empty_attribute_map(sqs, queue):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="")
    assert error_code(exc) == "InvalidParameterValue"
    assert error_message(exc) == (
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name."
    )
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={})
    assert error_code(exc) == "MissingParameter"
    assert error_message(exc) == "The request must contain the parameter Attribute.Name."


def test_sse_sqs_replaces_a_kms_key(sqs, queue):
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    names = ["SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    assert attrs == {
        "SqsManagedSseEnabled": "false",
        "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "300",
    }
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"SqsManagedSseEnabled": "true"})
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    assert attrs == {"SqsManagedSseEnabled": "true"}
