"""Amazon SNS through boto3 and the AWS CLI (SNS speaks the Query protocol in every botocore),
delivering into SQS queues, to a local HTTP endpoint, and to the admin recordings. Signatures are
checked by an independent validator from PyPI (aws-sns-message-validator) and, for
SignatureVersion 2, with the `cryptography` package directly."""

import base64
import json
import os
import queue as queue_module
import re
import ssl
import subprocess
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from sns_message_validator import SNSMessageValidator, SignatureVerificationFailureException

from conftest import ROOT, admin_request, make_client
from test_cli import aws

# Our certificate is served by the emulator itself on 127.0.0.1: over https, since the emulator
# serves TLS too (with a certificate from its local CA), as AWS's validators require.
CERT_URL_PATTERN = r"^https://127\.0\.0\.1:\d+/_ferrybridge/sns/"


@pytest.fixture(scope="module")
def ca_bundle(endpoint, tmp_path_factory):
    """The emulator's local CA (`ferrybridge ca print`, the same --ca-dir / FERRYBRIDGE_CA_DIR)."""
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    pem = subprocess.run([binary, "ca", "print"], check=True, capture_output=True, text=True).stdout
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_text(pem)
    return path


@pytest.fixture
def trust_ca(ca_bundle, monkeypatch):
    """The validator fetches the signing certificate with requests: trust the emulator's CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
    return ca_bundle


@pytest.fixture
def sns(endpoint):
    return make_client(endpoint, "sns")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_queue(sqs, name=None, **attributes):
    name = name or unique("q")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url, n, timeout=5):
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        out = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        for m in out.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m)
    return got


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_fan_out_with_filter_policies_in_both_scopes(sns, sqs):
    topic = sns.create_topic(Name=unique("orders"))["TopicArn"]
    queues = {name: make_queue(sqs) for name in ("all", "eu", "big", "not-cancelled")}
    policies = {
        "all": {},
        "eu": {"FilterPolicy": json.dumps({"region": [{"prefix": "eu-"}]})},
        "big": {
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"total": [{"numeric": [">=", 100]}]}),
        },
        "not-cancelled": {
            "FilterPolicy": json.dumps({"status": [{"anything-but": ["cancelled"]}]}),
            "RawMessageDelivery": "true",
        },
    }
    for name, (_, arn) in queues.items():
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=policies[name])
    orders = [
        ({"total": 150}, "eu-west-1", "placed"),
        ({"total": 20}, "us-east-1", "cancelled"),
        ({"total": 500}, "us-west-2", "placed"),
    ]
    for body, region, status in orders:
        sns.publish(
            TopicArn=topic,
            Message=json.dumps(body),
            MessageAttributes={
                "region": {"DataType": "String", "StringValue": region},
                "status": {"DataType": "String", "StringValue": status},
            },
        )
    expected = {"all": 3, "eu": 1, "big": 2, "not-cancelled": 2}
    for name, count in expected.items():
        url = queues[name][0]
        got = receive(sqs, url, count)
        assert len(got) == count, name
        assert receive(sqs, url, 1, timeout=1) == [], name
        if name == "not-cancelled":
            assert {m["MessageAttributes"]["status"]["StringValue"] for m in got} == {"placed"}
            assert all(m["Body"].startswith('{"total"') for m in got)
        else:
            assert all(json.loads(m["Body"])["Type"] == "Notification" for m in got)


def test_envelope_signatures_verify_with_an_independent_validator(sns, sqs, trust_ca):
    topic = sns.create_topic(Name=unique("signed"))["TopicArn"]
    url, arn = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="héllo \"world\"\n", Subject="greetings")
    sns.publish(TopicArn=topic, Message="no subject")
    envelopes = [json.loads(m["Body"]) for m in receive(sqs, url, 2)]
    assert len(envelopes) == 2
    validator = SNSMessageValidator(cert_url_regex=CERT_URL_PATTERN)
    for envelope in envelopes:
        validator.validate_message(envelope)
    # A changed message no longer verifies.
    tampered = dict(envelopes[0], Message="something else")
    with pytest.raises(SignatureVerificationFailureException):
        validator.validate_message(tampered)

    # SignatureVersion 2 is SHA256withRSA over the same canonical string.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SignatureVersion"] == "2"
    sns.publish(TopicArn=topic, Message="v2", Subject="s")
    envelope = json.loads(receive(sqs, url, 1)[0]["Body"])
    assert envelope["SignatureVersion"] == "2"
    context = ssl.create_default_context(cafile=str(trust_ca))
    pem = urllib.request.urlopen(envelope["SigningCertURL"], context=context).read()
    key = x509.load_pem_x509_certificate(pem).public_key()
    canonical = "".join(
        f"{k}\n{envelope[k]}\n" for k in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    )
    key.verify(base64.b64decode(envelope["Signature"]), canonical.encode(), PKCS1v15(), SHA256())


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.server.received.put((dict((k.lower(), v) for k, v in self.headers.items()), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = queue_module.Queue()
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def next_post(server, kind, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        headers, body = server.received.get(timeout=max(0.01, deadline - time.monotonic()))
        if headers.get("x-amz-sns-message-type") == kind:
            return headers, body


def test_http_subscription_confirmation_and_notifications(sns, http_endpoint, trust_ca):
    topic = sns.create_topic(Name=unique("web"))["TopicArn"]
    url = f"http://127.0.0.1:{http_endpoint.server_port}/hook"
    out = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    assert out["SubscriptionArn"] == "pending confirmation"
    validator = SNSMessageValidator(cert_url_regex=CERT_URL_PATTERN)
    headers, body = next_post(http_endpoint, "SubscriptionConfirmation")
    confirmation = json.loads(body)
    validator.validate_message(confirmation)
    assert headers["x-amz-sns-topic-arn"] == topic
    # Visiting the SubscribeURL confirms, as for a real endpoint.
    with urllib.request.urlopen(confirmation["SubscribeURL"]) as resp:
        xml = resp.read().decode()
    arn = re.search(r"<SubscriptionArn>(.*)</SubscriptionArn>", xml).group(1)
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"

    published = sns.publish(
        TopicArn=topic,
        Message="to the web",
        MessageAttributes={"n": {"DataType": "Number", "StringValue": "42"}},
    )
    headers, body = next_post(http_endpoint, "Notification")
    notification = json.loads(body)
    validator.validate_message(notification)
    assert headers["x-amz-sns-message-id"] == published["MessageId"]
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert notification["MessageAttributes"] == {"n": {"Type": "Number", "Value": "42"}}
    assert notification["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={arn}")


def test_raw_delivery_maps_attributes_to_sqs_attributes(sns, sqs):
    topic = sns.create_topic(Name=unique("raw"))["TopicArn"]
    url, arn = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    sns.publish(
        TopicArn=topic,
        Message="raw body",
        MessageAttributes={
            "s": {"DataType": "String", "StringValue": "text"},
            "n": {"DataType": "Number.int", "StringValue": "7"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
            "arr": {"DataType": "String.Array", "StringValue": '["a", 1]'},
        },
    )
    (m,) = receive(sqs, url, 1)
    assert m["Body"] == "raw body"
    attrs = m["MessageAttributes"]
    assert attrs["s"] == {"StringValue": "text", "DataType": "String"}
    assert attrs["n"] == {"StringValue": "7", "DataType": "Number.int"}
    assert attrs["b"] == {"BinaryValue": b"\x00\x01\x02", "DataType": "Binary"}
    assert attrs["arr"]["StringValue"] == '["a", 1]'


def test_fifo_topic_delivers_in_order_to_fifo_queue(sns, sqs):
    topic = sns.create_topic(
        Name=unique("orders") + ".fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    url, arn = make_queue(sqs, unique("q") + ".fifo", FifoQueue="true")
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    sequence = []
    for batch in range(5):
        out = sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": f"e{i}", "Message": f"m{batch * 10 + i}", "MessageGroupId": "g"}
                for i in range(10)
            ],
        )
        assert not out["Failed"]
        sequence += [e["SequenceNumber"] for e in out["Successful"]]
    assert sequence == sorted(sequence) and len(set(sequence)) == 50
    bodies = [m["Body"] for m in receive(sqs, url, 50)]
    assert bodies == [f"m{i}" for i in range(50)]


def test_validation_errors(sns):
    topic = sns.create_topic(Name=unique("v"))["TopicArn"]
    cases = [
        (sns.create_topic, {"Name": "has space"}, "InvalidParameter", "Invalid parameter: Topic Name"),
        (sns.publish, {"TopicArn": topic, "Message": ""}, "InvalidParameter", "Invalid parameter: Empty message"),
        (
            sns.publish,
            {"TopicArn": topic, "Message": "x", "MessageStructure": "json"},
            "InvalidParameter",
            "Invalid parameter: Message Structure - JSON message body failed to parse",
        ),
        (
            sns.publish,
            {"TopicArn": topic + "-missing", "Message": "x"},
            "NotFound",
            "Topic does not exist",
        ),
        (
            sns.subscribe,
            {"TopicArn": topic, "Protocol": "carrier-pigeon", "Endpoint": "x"},
            "InvalidParameter",
            "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
        ),
        (
            sns.subscribe,
            {"TopicArn": topic, "Protocol": "sqs", "Endpoint": "arn:aws:sqs:us-east-1:000000000000:q",
             "Attributes": {"FilterPolicy": "{\"a\": \"b\"}"}},
            "InvalidParameter",
            None,
        ),
        (
            sns.publish,
            {"TopicArn": topic, "Message": "x",
             "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "ten"}}},
            "ParameterValueInvalid",
            "Could not cast message attribute 'n' value to number.",
        ),
        (
            sns.publish_batch,
            {"TopicArn": topic, "PublishBatchRequestEntries": [
                {"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}]},
            "BatchEntryIdsNotDistinct",
            "Two or more batch entries in the request have the same Id.",
        ),
        (
            sns.get_subscription_attributes,
            {"SubscriptionArn": topic + ":8a21d249-4329-4871-acc6-7be709c6ea7f"},
            "NotFound",
            "Subscription does not exist",
        ),
    ]
    for call, kwargs, code, message in cases:
        got_code, got_message = error_of(call, **kwargs)
        assert got_code == code, (kwargs, got_message)
        if message is not None:
            assert got_message == message
        else:
            assert got_message.startswith("Invalid parameter: Attributes Reason: FilterPolicy: ")


def test_sms_and_email_are_recorded_for_inspection(sns, endpoint):
    topic = sns.create_topic(Name=unique("alerts"))["TopicArn"]
    phone = "+1555" + str(uuid.uuid4().int)[:7]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=phone)
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    published = sns.publish(TopicArn=topic, Message="server down")
    sns.publish(PhoneNumber=phone, Message="direct text")
    deadline = time.monotonic() + 5
    while True:
        with urllib.request.urlopen(admin_request(
            f"{endpoint}/_ferrybridge/sns/messages?protocol=sms&endpoint={urllib.parse.quote(phone)}"
        )) as resp:
            messages = json.load(resp)["messages"]
        if len(messages) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert sorted(m["message"] for m in messages) == ["direct text", "server down"]
    assert published["MessageId"] in {m["messageId"] for m in messages}
    # The email subscription is pending: its confirmation mail was recorded instead.
    with urllib.request.urlopen(admin_request(f"{endpoint}/_ferrybridge/sns/messages?protocol=email")) as resp:
        mails = [m for m in json.load(resp)["messages"] if m["topicArn"] == topic]
    assert len(mails) == 1 and "ConfirmSubscription" in mails[0]["message"]


def test_cli_topic_subscribe_publish(endpoint, sqs):
    name = unique("cli-topic")
    created = aws(endpoint, "sns", "create-topic", "--name", name)
    assert created.returncode == 0, created.stderr
    topic = json.loads(created.stdout)["TopicArn"]
    assert topic == f"arn:aws:sns:us-east-1:000000000000:{name}"
    url, arn = make_queue(sqs)
    sub = aws(endpoint, "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
              "--notification-endpoint", arn)
    assert sub.returncode == 0, sub.stderr
    listed = aws(endpoint, "sns", "list-subscriptions-by-topic", "--topic-arn", topic)
    assert json.loads(listed.stdout)["Subscriptions"][0]["Endpoint"] == arn
    pub = aws(endpoint, "sns", "publish", "--topic-arn", topic, "--message", "from the cli")
    assert pub.returncode == 0, pub.stderr
    (m,) = receive(sqs, url, 1)
    assert json.loads(m["Body"])["Message"] == "from the cli"
    missing = aws(endpoint, "sns", "get-topic-attributes", "--topic-arn", topic + "-nope")
    assert missing.returncode != 0 and "NotFound" in missing.stderr
