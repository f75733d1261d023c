"""SigV4 verification with boto3/botocore: a ferrybridge started with `--credentials FILE`
(AWS shared-credentials format) verifies every request signed with a configured key: right and
wrong secrets, the 15-minute clock-skew window (botocore signing at a shifted time), presigned
URLs (valid, forged, expired), a body changed after signing (raw HTTP), and aws-chunked bodies
with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
"""

import contextlib
import os
import datetime
import hashlib
import hmac
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ROOT, _free_port

KEY = "AKIAFERRYBRIDGEPY001"
SECRET = "pySecret/K7MDENG+bPxRfiCYzzzzzzzzzzzzzzz"
ACCOUNT = "444455556666"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    creds = tmp_path_factory.mktemp("sigv4") / "credentials"
    creds.write_text(
        "# ferrybridge test credentials\n"
        "[default]\n"
        f"aws_access_key_id = {KEY}\n"
        f"aws_secret_access_key = {SECRET}\n"
        f"aws_account_id = {ACCOUNT}\n"
        "region = us-east-1\n"
    )
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--log-level", "warn", "--credentials", str(creds)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url + "/_ferrybridge/health", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ferrybridge did not start: " + proc.stderr.read().decode())
            time.sleep(0.02)
    yield url
    proc.terminate()
    assert proc.wait(timeout=30) == 0


def client(endpoint, service, secret=SECRET, key=KEY):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


@contextlib.contextmanager
def signing_clock_shifted(by):
    """botocore signs as if its clock were `by` (a timedelta) off."""
    real = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    shifted = real + by
    if hasattr(botocore.auth, "get_current_datetime"):
        with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: shifted):
            yield
    else:  # botocore 1.31 reads datetime.datetime.utcnow()
        fake = mock.MagicMock(wraps=datetime)
        fake.datetime = mock.MagicMock(wraps=datetime.datetime)
        fake.datetime.utcnow.return_value = shifted
        with mock.patch.object(botocore.auth, "datetime", fake):
            yield


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def error(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_right_secret_is_accepted_on_every_service_and_acts_in_the_configured_account(endpoint):
    url = client(endpoint, "sqs").create_queue(QueueName="sig-" + uuid.uuid4().hex[:8])["QueueUrl"]
    assert f"/{ACCOUNT}/" in url
    client(endpoint, "sns").list_topics()
    client(endpoint, "events").list_event_buses()
    assert client(endpoint, "sts").get_caller_identity()["Account"] == ACCOUNT


def test_wrong_secret_is_refused_with_each_protocols_error(endpoint):
    with pytest.raises(ClientError) as e:
        client(endpoint, "sqs", secret="wrong").list_queues()
    assert error(e) == ("SignatureDoesNotMatch", MISMATCH, 403)
    with pytest.raises(ClientError) as e:
        client(endpoint, "sns", secret="wrong").list_topics()
    assert error(e) == ("SignatureDoesNotMatch", MISMATCH, 403)
    with pytest.raises(ClientError) as e:
        client(endpoint, "events", secret="wrong").list_event_buses()
    assert error(e) == ("InvalidSignatureException", MISMATCH, 400)


def test_unknown_keys_are_refused_and_test_credentials_stay_accepted(endpoint):
    with pytest.raises(ClientError) as e:
        client(endpoint, "sqs", key="AKIAUNKNOWNKEY000000").list_queues()
    assert error(e) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    with pytest.raises(ClientError) as e:
        client(endpoint, "events", key="AKIAUNKNOWNKEY000000").list_event_buses()
    assert error(e)[0] == "UnrecognizedClientException"
    client(endpoint, "sqs", key="test", secret="test").list_queues()
    client(endpoint, "sns", key="123456789012", secret="anything").list_topics()


def test_clock_skew_beyond_15_minutes_is_refused(endpoint):
    sqs = client(endpoint, "sqs")
    with signing_clock_shifted(datetime.timedelta(minutes=14)):
        sqs.list_queues()
    with signing_clock_shifted(datetime.timedelta(minutes=-14)):
        sqs.list_queues()
    with signing_clock_shifted(datetime.timedelta(minutes=-16)):
        with pytest.raises(ClientError) as e:
            sqs.list_queues()
    code, message, status = error(e)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)"), message
    assert " is now earlier than " in message
    with signing_clock_shifted(datetime.timedelta(minutes=16)):
        with pytest.raises(ClientError) as e:
            client(endpoint, "events").list_event_buses()
    code, message, status = error(e)
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature not yet current: "), message


def test_presigned_urls_valid_forged_and_expired(endpoint):
    sns = client(endpoint, "sns")
    url = sns.generate_presigned_url("list_topics", ExpiresIn=300, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    status, body = http("GET", url)
    assert status == 200, body
    assert "<ListTopicsResponse" in body

    forged = url.replace("Action=ListTopics", "Action=CreateTopic&Name=evil")
    status, body = http("GET", forged)
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body

    with signing_clock_shifted(datetime.timedelta(minutes=-10)):
        expired = sns.generate_presigned_url("list_topics", ExpiresIn=60, HttpMethod="GET")
    status, body = http("GET", expired)
    assert status == 400, body
    assert "<Code>RequestExpired</Code>" in body


def _signed_sqs_send(endpoint, queue_url, message, headers=None):
    body = json.dumps({"QueueUrl": queue_url, "MessageBody": message}).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.SendMessage",
            **(headers or {}),
        },
    )
    botocore.auth.SigV4Auth(Credentials(KEY, SECRET), "sqs", "us-east-1").add_auth(request)
    return request


def test_a_body_changed_after_signing_is_refused(endpoint):
    queue_url = client(endpoint, "sqs").create_queue(QueueName="tamper")["QueueUrl"]
    request = _signed_sqs_send(endpoint, queue_url, "pay 10 EUR")
    status, body = http("POST", request.url, request.body, dict(request.headers))
    assert status == 200, body

    request = _signed_sqs_send(endpoint, queue_url, "pay 10 EUR")
    tampered = request.body.replace(b"10 EUR", b"99 EUR")
    status, body = http("POST", request.url, tampered, dict(request.headers))
    assert status == 403, body
    assert json.loads(body)["message"] == MISMATCH

    # UNSIGNED-PAYLOAD: the client chose not to sign the body, so a changed body passes.
    request = _signed_sqs_send(
        endpoint, queue_url, "pay 10 EUR", {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    status, body = http("POST", request.url, request.body.replace(b"10", b"11"), dict(request.headers))
    assert status == 200, body
    got = client(endpoint, "sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in got["Messages"]) == ["pay 10 EUR", "pay 11 EUR"]


def _chunked(payload, seed_signature, key, amz_date, scope, chunk_size, tamper=False):
    """The aws-chunked framing with each chunk's signature chained from the seed's."""
    out, previous = b"", seed_signature
    chunks = [payload[i : i + chunk_size] for i in range(0, len(payload), chunk_size)] + [b""]
    for n, data in enumerate(chunks):
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope,
                previous,
                hashlib.sha256(b"").hexdigest(),
                hashlib.sha256(data).hexdigest(),
            ]
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if tamper and n == 1:
            data = data.upper()
        out += f"{len(data):x};chunk-signature={signature}\r\n".encode() + data + b"\r\n"
        previous = signature
    return out


def _signing_key(date):
    key = ("AWS4" + SECRET).encode()
    for part in (date, "us-east-1", "sns", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _chunked_publish(endpoint, topic_arn, message, tamper=False):
    payload = (
        "Action=Publish&Version=2010-03-31&TopicArn="
        + urllib.parse.quote(topic_arn, safe="")
        + "&Message="
        + urllib.parse.quote(message, safe="")
    ).encode()
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Encoding": "aws-chunked",
            "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "X-Amz-Decoded-Content-Length": str(len(payload)),
        },
    )
    botocore.auth.SigV4Auth(Credentials(KEY, SECRET), "sns", "us-east-1").add_auth(request)
    amz_date = request.headers["X-Amz-Date"]
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    scope = f"{amz_date[:8]}/us-east-1/sns/aws4_request"
    body = _chunked(payload, seed, _signing_key(amz_date[:8]), amz_date, scope, 64, tamper)
    headers = dict(request.headers)
    headers["Content-Length"] = str(len(body))
    return http("POST", request.url, body, headers)


def test_chunked_payload_signing(endpoint):
    sns = client(endpoint, "sns")
    sqs = client(endpoint, "sqs")
    topic = sns.create_topic(Name="chunked")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="chunked-sink")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    message = "chunk " * 40  # 240 bytes: four 64-byte chunks and the final empty one
    status, body = _chunked_publish(endpoint, topic, message)
    assert status == 200, body
    assert "<PublishResponse" in body
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)
    assert [m["Body"] for m in got["Messages"]] == [message]

    status, body = _chunked_publish(endpoint, topic, message, tamper=True)
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_incomplete_and_missing_signatures(endpoint):
    def send(target, content_type, headers):
        return http(
            "POST",
            endpoint + "/",
            b"{}",
            {"Content-Type": content_type, "X-Amz-Target": target, **headers},
        )

    status, body = send(
        "AmazonSQS.ListQueues",
        "application/x-amz-json-1.0",
        {
            "X-Amz-Date": "20240101T000000Z",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20240101/us-east-1/sqs/"
            "aws4_request, SignedHeaders=host;x-amz-date",
        },
    )
    assert status == 400, body
    assert json.loads(body)["message"].startswith(
        "Authorization header requires 'Signature' parameter."
    ), body
    status, body = send(
        "AWSEvents.ListEventBuses",
        "application/x-amz-json-1.1",
        {
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20240101/us-east-1/events/"
            "aws4_request, SignedHeaders=host, Signature=" + "0" * 64,
        },
    )
    assert status == 400, body
    assert json.loads(body) == {
        "__type": "IncompleteSignatureException",
        "message": "Authorization header requires existence of either a 'X-Amz-Date' or a "
        "'Date' header.",
    }
    status, body = send("AmazonSQS.ListQueues", "application/x-amz-json-1.0", {})
    assert status == 403, body
    assert json.loads(body)["message"] == "Request is missing Authentication Token"
