"""Browser safety, the admin token and bounds (issue 17), through raw HTTP (http.client) and
boto3, as a browser, an attacker's page or an SDK would send them.

* A cross-site browser request (an ``Origin`` that is not configured, ``Sec-Fetch-Site:
  cross-site``) is refused with an AWS-shaped 403 in the protocol of the request; SDK requests
  (no Origin) and same-origin / typed-in requests pass.
* DNS rebinding: a ``Host`` the emulator does not answer to is refused.
* CORS headers and preflights only for ``--cors-origins``.
* Admin calls that change state or reveal data need the admin token.
* Bounds: rendered inputs, recordings (ring buffer, pages), request bodies, URL schemes,
  outbound hosts.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ADMIN_TOKEN, make_client
from test_dropin import BINARY, Emulator, _free_port

EVIL = "http://evil.example"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def raw(endpoint, method, path, body=b"", headers=None, host=None):
    """One request over a fresh connection; (status, headers as a lower-case dict, body)."""
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or parsed.netloc)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def sqs_json(endpoint, operation, payload, headers=None, host=None):
    """An SQS request over AWS JSON 1.0 (not really signed)."""
    all_headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": f"AmazonSQS.{operation}",
        # Signatures are not verified unless configured; the credential scope names the
        # account, region and service.
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=00",
    }
    all_headers.update(headers or {})
    return raw(endpoint, "POST", "/", json.dumps(payload).encode(), all_headers, host)


def admin(endpoint, method, path, token=ADMIN_TOKEN, header="Authorization"):
    headers = {}
    if token is not None:
        headers[header] = f"Bearer {token}" if header == "Authorization" else token
    status, _, body = raw(endpoint, method, path, b"", headers)
    return status, json.loads(body) if body else None


def with_header(client, name, value):
    """The client sends `name: value` on every request (after signing, as a browser adds it)."""

    def add(request, **_):
        request.headers[name] = value

    client.meta.events.register("before-send.*.*", add)
    return client


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


# ---------------------------------------------------------------------------------------------
# Cross-site requests (CSRF)
# ---------------------------------------------------------------------------------------------


def test_cross_site_origin_post_is_refused_and_changes_nothing(endpoint, sqs):
    name = unique("csrf")
    status, headers, body = sqs_json(endpoint, "CreateQueue", {"QueueName": name}, {"Origin": EVIL})
    assert status == 403
    error = json.loads(body)
    assert error["__type"].endswith("AccessDenied"), error
    assert "evil.example" in error["message"] and "--cors-origins" in error["message"]
    assert headers["x-amzn-query-error"] == "AccessDenied;Sender"
    assert "access-control-allow-origin" not in headers
    # Nothing was created.
    assert sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", []) == []


def test_cross_site_get_is_refused_in_the_query_protocol(endpoint):
    # A top-level navigation or <img> to a Query URL: the Origin or, without one,
    # Sec-Fetch-Site says it comes from another site.
    for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Referer": EVIL + "/page"}):
        status, _, body = raw(endpoint, "GET", "/?Action=ListQueues&Version=2012-11-05", b"", headers)
        assert status == 403, headers
        text = body.decode()
        assert "<ErrorResponse" in text and "<Code>AccessDenied</Code>" in text, text
        assert "<Type>Sender</Type>" in text


def test_same_origin_typed_in_and_sdk_requests_pass(endpoint, sqs):
    own = endpoint  # http://127.0.0.1:port: the emulator's own origin
    for headers in (
        {},
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "same-origin", "Origin": own},
        {"Origin": own},
    ):
        status, _, body = sqs_json(endpoint, "ListQueues", {}, headers)
        assert status == 200, (headers, body)
    # boto3 sends no Origin.
    sqs.list_queues()


def test_each_service_refuses_a_cross_site_sdk_call_with_its_own_error(endpoint):
    sqs = with_header(make_client(endpoint, "sqs"), "Origin", EVIL)
    sns = with_header(make_client(endpoint, "sns"), "Origin", EVIL)
    events = with_header(make_client(endpoint, "events"), "Sec-Fetch-Site", "cross-site")
    sts = with_header(make_client(endpoint, "sts"), "Origin", EVIL)
    assert error_code(sqs.list_queues) == ("AccessDenied", 403)
    assert error_code(sns.list_topics) == ("AuthorizationError", 403)
    assert error_code(events.list_event_buses) == ("AccessDeniedException", 403)
    assert error_code(sts.get_caller_identity) == ("AccessDenied", 403)


def test_admin_api_refuses_cross_site_browsers_even_with_the_token(endpoint):
    status, _, body = raw(
        endpoint,
        "POST",
        "/_ferrybridge/reset?account=999999999999",
        b"",
        {"Origin": EVIL, "Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert status == 403 and json.loads(body)["error"] == "Forbidden"
    # Health is open, but not to another site's page either.
    assert raw(endpoint, "GET", "/_ferrybridge/health", b"", {"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert raw(endpoint, "GET", "/_ferrybridge/health")[0] == 200


# ---------------------------------------------------------------------------------------------
# DNS rebinding (Host)
# ---------------------------------------------------------------------------------------------


def test_unknown_host_is_refused_known_names_pass(endpoint):
    port = urllib.parse.urlsplit(endpoint).port
    status, _, body = sqs_json(endpoint, "ListQueues", {}, host=f"evil.example:{port}")
    assert status == 403
    assert "evil.example" in json.loads(body)["message"]
    assert raw(endpoint, "GET", "/_ferrybridge/health", host="rebound.evil.example")[0] == 403
    for host in (
        f"localhost:{port}",
        f"127.0.0.1:{port}",
        f"[::1]:{port}",
        f"localhost.localstack.cloud:{port}",
        f"sqs.us-east-1.localhost.localstack.cloud:{port}",
        f"sqs.us-east-1.localhost:{port}",
        f"ferrybridge:{port}",
    ):
        status, _, body = sqs_json(endpoint, "ListQueues", {}, host=host)
        assert status == 200, (host, body)


def test_allowed_hosts_configures_more_names():
    e = Emulator(args=["--allowed-hosts", "emulator.corp.test,*.dev.test"])
    try:
        assert sqs_json(e.url, "ListQueues", {}, host="emulator.corp.test")[0] == 200
        assert sqs_json(e.url, "ListQueues", {}, host="a.b.dev.test:4566")[0] == 200
        assert sqs_json(e.url, "ListQueues", {}, host="dev.test")[0] == 403
        assert sqs_json(e.url, "ListQueues", {}, host="evil.example")[0] == 403
    finally:
        assert e.stop() == 0
    anything = Emulator(env={"FERRYBRIDGE_ALLOWED_HOSTS": "*"})
    try:
        assert sqs_json(anything.url, "ListQueues", {}, host="evil.example")[0] == 200
    finally:
        assert anything.stop() == 0


# ---------------------------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------------------------


def test_cors_only_for_configured_origins(endpoint):
    app = "http://localhost:3000"
    preflight = {
        "Origin": app,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,authorization",
    }
    # Not configured on the session's emulator: no CORS, the preflight is refused.
    status, headers, _ = raw(endpoint, "OPTIONS", "/", b"", preflight)
    assert status == 403 and "access-control-allow-origin" not in headers

    e = Emulator(args=["--cors-origins", app])
    try:
        status, headers, _ = raw(e.url, "OPTIONS", "/", b"", preflight)
        assert status in (200, 204)
        assert headers["access-control-allow-origin"] == app
        assert "POST" in headers["access-control-allow-methods"]
        allowed = headers["access-control-allow-headers"].lower()
        assert {"content-type", "x-amz-target", "authorization"} <= set(map(str.strip, allowed.split(",")))
        status, headers, body = sqs_json(
            e.url, "ListQueues", {}, {"Origin": app, "Sec-Fetch-Site": "same-site"}
        )
        assert status == 200, body
        assert headers["access-control-allow-origin"] == app
        assert "x-amzn-requestid" in headers["access-control-expose-headers"].lower()
        # Another origin still gets nothing.
        status, headers, _ = raw(e.url, "OPTIONS", "/", b"", dict(preflight, Origin=EVIL))
        assert status == 403 and "access-control-allow-origin" not in headers
        assert sqs_json(e.url, "ListQueues", {}, {"Origin": EVIL})[0] == 403
    finally:
        assert e.stop() == 0


# ---------------------------------------------------------------------------------------------
# The admin token
# ---------------------------------------------------------------------------------------------


def test_admin_calls_need_the_token(endpoint, sqs):
    account = "%012d" % (uuid.uuid4().int % 10**12)
    reset = f"/_ferrybridge/reset?account={account}"
    status, body = admin(endpoint, "POST", reset, token=None)
    assert status == 401 and body["error"] == "Unauthorized"
    assert admin(endpoint, "POST", reset, token="wrong")[0] == 403
    assert admin(endpoint, "POST", reset)[0] == 200
    assert admin(endpoint, "POST", reset, header="X-Ferrybridge-Admin-Token")[0] == 200
    # Reading state, recordings and confirmation tokens needs it too.
    for path in (
        "/_ferrybridge/state",
        "/_ferrybridge/sns/messages",
        "/_ferrybridge/events/invocations",
        "/_ferrybridge/sns/subscription-token?SubscriptionArn=x",
    ):
        assert admin(endpoint, "GET", path, token=None)[0] == 401, path
    assert admin(endpoint, "GET", "/_ferrybridge/state")[0] == 200
    # Health and LocalStack's init status stay open.
    for path in ("/_ferrybridge/health", "/_localstack/health", "/_localstack/init"):
        assert admin(endpoint, "GET", path, token=None)[0] == 200, path


def test_localstack_and_moto_resets_work_without_a_token():
    e = Emulator()
    try:
        sqs = e.client("sqs")
        sqs.create_queue(QueueName="kept-until-reset")
        status, _, body = raw(e.url, "POST", "/_localstack/state/reset")
        assert status == 200 and json.loads(body) == {}
        assert sqs.list_queues().get("QueueUrls", []) == []
        sqs.create_queue(QueueName="again")
        assert raw(e.url, "POST", "/_localstack/state/sqs/reset")[0] == 200
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert raw(e.url, "POST", "/moto-api/reset")[0] == 200
        # A web page cannot: browsers send Origin with every POST.
        assert raw(e.url, "POST", "/_localstack/state/reset", b"", {"Origin": EVIL})[0] == 403
    finally:
        assert e.stop() == 0


def test_admin_token_off_switch_and_generated_token():
    off = Emulator(args=["--admin-token", "none"])
    try:
        assert admin(off.url, "GET", "/_ferrybridge/state", token=None)[0] == 200
        assert admin(off.url, "POST", "/_ferrybridge/reset", token=None)[0] == 200
    finally:
        assert off.stop() == 0
    # No token configured: one is generated and printed at start, whatever the log level.
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "FERRYBRIDGE_ADMIN_TOKEN"}
    proc = subprocess.Popen(
        [BINARY, "--log-level", "error", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        match = re.search(r"admin token .*: ([0-9a-f]{32})$", line.strip())
        assert match, line
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                raw(url, "GET", "/_ferrybridge/health")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert admin(url, "GET", "/_ferrybridge/state", token=None)[0] == 401
        assert admin(url, "GET", "/_ferrybridge/state", token=match.group(1))[0] == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        proc.stderr.close()


# ---------------------------------------------------------------------------------------------
# Bounds
# ---------------------------------------------------------------------------------------------


def test_input_transformer_output_is_capped_and_the_event_goes_to_the_dlq(endpoint, sqs):
    events = make_client(endpoint, "events")
    target_url = sqs.create_queue(QueueName=unique("target"))["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
    arn = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # noqa: E731
    bus = unique("big")
    events.create_event_bus(Name=bus)
    rule_arn = events.put_rule(Name="amplify", EventBusName=bus, EventPattern=json.dumps({"source": ["big.test"]}))["RuleArn"]
    # 7 copies of a 40 KB value: 280 KB, over the 256 KiB a target accepts. (A longer template
    # would render megabytes; rendering stops at the cap.)
    events.put_targets(
        Rule="amplify",
        EventBusName=bus,
        Targets=[
            {
                "Id": "q",
                "Arn": arn(target_url),
                "DeadLetterConfig": {"Arn": arn(dlq_url)},
                "InputTransformer": {"InputPathsMap": {"v": "$.detail.big"}, "InputTemplate": "<v>" * 7},
            }
        ],
    )
    put = events.put_events(
        Entries=[{"EventBusName": bus, "Source": "big.test", "DetailType": "t", "Detail": json.dumps({"big": "x" * 40_000})}]
    )
    assert put["FailedEntryCount"] == 0
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=["All"])["Messages"]
    attrs = dead[0]["MessageAttributes"]
    assert attrs["RULE_ARN"]["StringValue"] == rule_arn
    assert attrs["ERROR_CODE"]["StringValue"] == "INVALID_PARAMETER"
    assert "262144" in attrs["ERROR_MESSAGE"]["StringValue"]
    assert json.loads(dead[0]["Body"])["id"] == put["Entries"][0]["EventId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=target_url, WaitTimeSeconds=0)


def test_recordings_are_paginated_and_a_ring_buffer():
    e = Emulator()
    try:
        sns = e.client("sns")
        topic = sns.create_topic(Name="fanout")["TopicArn"]
        for i in range(100):
            sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"arn:aws:lambda:us-east-1:000000000000:function:f{i}")
        # 10 messages to 100 functions = 1,000 recordings a call; 11 calls = 11,000 > 10,000.
        for batch in range(11):
            entries = [{"Id": str(i), "Message": f"m-{batch}-{i}"} for i in range(10)]
            assert not sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)["Failed"]
        deadline = time.monotonic() + 10
        seen, token = [], None
        while True:
            query = "protocol=lambda&max=4000" + (f"&next={token}" if token else "")
            status, page = admin(e.url, "GET", f"/_ferrybridge/sns/messages?{query}", token=e.token)
            assert status == 200 and len(page["messages"]) <= 4000
            seen += page["messages"]
            token = page.get("next")
            if token is None:
                if len(seen) >= 10_000 or time.monotonic() > deadline:
                    break
                seen = []  # deliveries still in flight: read again from the start
                time.sleep(0.1)
        # The oldest 1,000 were dropped.
        assert len(seen) == 10_000
        texts = {json.loads(m["message"])["Records"][0]["Sns"]["Message"] for m in seen}
        assert texts == {f"m-{b}-{i}" for b in range(1, 11) for i in range(10)}
        assert admin(e.url, "GET", "/_ferrybridge/sns/messages?max=0", token=e.token)[0] == 400
        assert admin(e.url, "GET", "/_ferrybridge/sns/messages?next=x", token=e.token)[0] == 400
    finally:
        assert e.stop() == 0


def test_oversized_request_body_gets_an_aws_error_the_sdk_parses(endpoint, queue):
    client = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    code, status = error_code(client.send_message, QueueUrl=queue, MessageBody="x" * (9 * 1024 * 1024))
    assert (code, status) == ("RequestEntityTooLarge", 413)
    # Over the raw protocols too.
    big = b"{" + b" " * (9 * 1024 * 1024) + b"}"
    status, headers, body = raw(
        endpoint, "POST", "/", big,
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"},
    )
    assert status == 413 and json.loads(body)["__type"].endswith("RequestEntityTooLarge")


def test_bad_chunk_size_is_400_not_413(endpoint):
    parsed = urllib.parse.urlsplit(endpoint)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: " + parsed.netloc.encode() + b"\r\n"
            b"Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        )
        answer = b""
        while b"IncompleteBody" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"IncompleteBody" in answer


def test_api_destination_and_http_subscription_need_http_urls(endpoint):
    events = make_client(endpoint, "events")
    conn = events.create_connection(
        Name=unique("c"),
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
    )["ConnectionArn"]
    for url in ("gopher://127.0.0.1:6379/_FLUSHALL", "file:///etc/passwd", "https://"):
        with pytest.raises(ClientError) as info:
            events.create_api_destination(
                Name=unique("d"), ConnectionArn=conn, InvocationEndpoint=url, HttpMethod="POST"
            )
        assert info.value.response["Error"]["Code"] == "ValidationException", url
    events.create_api_destination(
        Name=unique("d"), ConnectionArn=conn, InvocationEndpoint="https://hooks.example.com/x", HttpMethod="POST"
    )
    with pytest.raises(ClientError) as info:
        events.create_connection(
            Name=unique("o"),
            AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
            AuthParameters={
                "OAuthParameters": {
                    "AuthorizationEndpoint": "file:///etc/shadow",
                    "HttpMethod": "POST",
                    "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
                }
            },
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    sns = make_client(endpoint, "sns")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    with pytest.raises(ClientError) as info:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="gopher://127.0.0.1/x")
    assert info.value.response["Error"]["Code"] == "InvalidParameter"


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


@pytest.mark.parametrize("allow, reached", [("127.0.0.1", True), ("hooks.example.com", False)])
def test_outbound_allow_restricts_deliveries(allow, reached):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    e = Emulator(args=["--outbound-allow", allow])
    try:
        sns = e.client("sns")
        topic = sns.create_topic(Name="hooks")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"http://127.0.0.1:{server.server_port}/hook")
        deadline = time.monotonic() + (5 if reached else 2)
        while not server.bodies and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bool(server.bodies) == reached
        if reached:
            assert json.loads(server.bodies[0])["Type"] == "SubscriptionConfirmation"
    finally:
        assert e.stop() == 0
        server.shutdown()
        server.server_close()
