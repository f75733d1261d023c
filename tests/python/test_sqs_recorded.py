"""SQS behaviour recorded against AWS (issue 15): FIFO group visibility and ordering, receipt
handles, purges, trace headers, the Query protocol's details, queue URLs per region, batch
sizes, high-throughput FIFO settings. Each test names its source.

Runs with both boto3 flavours (JSON and Query protocol, see conftest.PROTOCOL).
"""

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

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


# ---- 6. Query protocol details ---------------------------------------------------------------


def raw(endpoint, method, path, body=None, headers=None, sign=True, host=None):
    """A hand-made SQS request (signed with SigV4 like an SDK's); (status, headers, text)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = dict(headers or {})
    if body is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    if host:
        headers["Host"] = host
    data = body.encode() if body is not None else None
    request = AWSRequest(method=method, url=endpoint + path, data=data, headers=headers)
    if sign:
        SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers.items()), method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def test_get_on_a_queue_url_without_action_is_unknown_operation(endpoint, queue):
    # source: LocalStack TestSqsQueryApi::test_get_queue_without_action_returns_unknown_operation
    # (AWS-validated): 404 and an <UnknownOperationException body, even unsigned.
    path = queue[len(endpoint):]
    status, _, text = raw(endpoint, "GET", path, sign=False)
    assert status == 404
    assert text == "<UnknownOperationException/>"


def test_actions_that_do_not_act_on_a_queue_are_refused_on_its_url(endpoint, queue):
    # source: LocalStack's AWS-validated query API handler: CreateQueue and ListQueues sent to a
    # queue URL are InvalidAction "The action X is not valid for this endpoint."
    path = queue[len(endpoint):]
    for action in ["ListQueues", "CreateQueue"]:
        status, _, text = raw(endpoint, "GET", f"{path}?Action={action}&QueueName=x")
        assert status == 400
        assert "<Code>InvalidAction</Code>" in text
        assert f"<Message>The action {action} is not valid for this endpoint.</Message>" in text
    # A queue action over GET on the queue URL works.
    status, _, text = raw(endpoint, "GET", f"{path}?Action=GetQueueAttributes&AttributeName.1=QueueArn")
    assert status == 200
    assert "<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:000000000000:" in text


def test_unknown_action_is_not_valid_for_this_endpoint(endpoint):
    # source: LocalStack's AWS-validated query API handler (InvalidAction wording).
    status, _, text = raw(endpoint, "POST", "/", body="Action=FooBar&Version=2012-11-05")
    assert status == 400
    assert "<Code>InvalidAction</Code>" in text
    assert "<Message>The action FooBar is not valid for this endpoint.</Message>" in text


def test_empty_receive_result_is_one_empty_element(endpoint, queue):
    # source: issue 15 item 6: AWS writes an empty ReceiveMessage result as <ReceiveMessageResult/>.
    body = "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=" + urllib.parse.quote(queue, safe="")
    status, _, text = raw(endpoint, "POST", "/", body=body)
    assert status == 200
    assert "<ReceiveMessageResult/>" in text


def test_query_request_accepting_json_gets_json(endpoint, sqs, queue):
    # source: issue 15 item 6; JSON form as AWS answers Query APIs in JSON (response and result
    # wrappers, absent members as null: AWS.jl#127 recorded ListQueues that way).
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    quoted = urllib.parse.quote(queue, safe="")
    status, headers, text = raw(
        endpoint,
        "POST",
        "/",
        body=f"Action=ReceiveMessage&Version=2012-11-05&QueueUrl={quoted}",
        headers={"Accept": "application/json"},
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    doc = json.loads(text)
    result = doc["ReceiveMessageResponse"]["ReceiveMessageResult"]
    assert [m["Body"] for m in result["Messages"]] == ["hello"]
    assert doc["ReceiveMessageResponse"]["ResponseMetadata"]["RequestId"]
    status, _, text = raw(
        endpoint,
        "POST",
        "/",
        body="Action=GetQueueUrl&Version=2012-11-05&QueueName=does-not-exist",
        headers={"Accept": "application/json"},
    )
    assert status == 400
    error = json.loads(text)["ErrorResponse"]["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"


# ---- 7. Queue URLs that tell regions apart ---------------------------------------------------


@pytest.fixture(scope="module", params=["host", "path"])
def styled(request):
    """A second server handing out queue URLs in the `host` or `path` style."""
    import os
    import socket
    import subprocess

    from conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--log-level", "warn", "--queue-url-style", request.param],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(url + "/_ferrybridge/health", timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
    yield request.param, url, port
    proc.terminate()
    assert proc.wait(timeout=30) == 0


def test_queue_urls_tell_regions_apart(styled):
    # source: AWS SQS developer guide, "Amazon SQS queue and message identifiers": a queue URL is
    # https://sqs.<region>.amazonaws.com/<account>/<name>; issue 15 item 7 for the local forms.
    style, url, port = styled
    east = make_client(url, region="us-east-1")
    west = make_client(url, region="eu-west-1")
    name = "same-" + uuid.uuid4().hex[:8]
    east_url = east.create_queue(QueueName=name)["QueueUrl"]
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    if style == "host":
        assert east_url == f"http://sqs.us-east-1.localhost:{port}/000000000000/{name}"
        assert west_url == f"http://sqs.eu-west-1.localhost:{port}/000000000000/{name}"
    else:
        assert east_url == f"{url}/queue/us-east-1/000000000000/{name}"
        assert west_url == f"{url}/queue/eu-west-1/000000000000/{name}"
    assert west.get_queue_url(QueueName=name)["QueueUrl"] == west_url
    assert west_url in west.list_queues(QueueNamePrefix=name)["QueueUrls"]
    # The URL decides the region, whichever region the client signs for.
    east.send_message(QueueUrl=west_url, MessageBody="to the west")
    assert bodies(west.receive_message(QueueUrl=west_url)) == ["to the west"]
    assert bodies(east.receive_message(QueueUrl=east_url)) == []
    # Every form is accepted on input: the plain one (caller's region) and the other style.
    plain = f"{url}/000000000000/{name}"
    west.send_message(QueueUrl=plain, MessageBody="plain")
    other = (
        f"{url}/queue/eu-west-1/000000000000/{name}"
        if style == "host"
        else f"http://sqs.eu-west-1.localhost:{port}/000000000000/{name}"
    )
    assert bodies(east.receive_message(QueueUrl=other)) == ["plain"]
    arn = west.get_queue_attributes(QueueUrl=west_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == f"arn:aws:sqs:eu-west-1:000000000000:{name}"


def test_query_calls_to_a_host_style_queue_url(styled):
    # source: AWS SQS developer guide, "Making Query API requests": a Query request may be sent to
    # the queue URL itself (Host sqs.<region>.localhost here: *.localhost is loopback).
    style, url, port = styled
    west = make_client(url, region="eu-west-1")
    name = "hosted-" + uuid.uuid4().hex[:8]
    queue_url = west.create_queue(QueueName=name)["QueueUrl"]
    west.send_message(QueueUrl=queue_url, MessageBody="via host")
    if style == "host":
        status, _, text = raw(
            url,
            "GET",
            f"/000000000000/{name}?Action=ReceiveMessage",
            host=f"sqs.eu-west-1.localhost:{port}",
        )
    else:
        status, _, text = raw(url, "GET", f"/queue/eu-west-1/000000000000/{name}?Action=ReceiveMessage")
    assert status == 200, text
    assert "<Body>via host</Body>" in text
