"""Drop-in features for users coming from LocalStack or moto (issue 14): reset and state,
start-up resources (--config), init hooks (--init-dir) and the `Ready.` line, LocalStack's
/_localstack endpoints and environment variables, deterministic local deliveries.

Each test starts its own emulator process (resets and start-up options must not touch the
session's shared one).
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """One ferrybridge process; `lines` collects its standard output."""

    def __init__(self, args=(), env=None, port=None, wait_ready=True):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ)
        # The AWS CLI of this venv, for init hooks.
        full_env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + full_env.get("PATH", "")
        # The admin token (reset, state and the other non-health admin endpoints need it).
        full_env["FERRYBRIDGE_ADMIN_TOKEN"] = "dropin-" + uuid.uuid4().hex
        full_env.update(env or {})
        self.token = full_env["FERRYBRIDGE_ADMIN_TOKEN"]
        cmd = [BINARY, "--log-level", "warn", *args]
        if port is not False:
            cmd += ["--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True
        )
        self.lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if wait_ready:
            if not self.ready.wait(30):
                self.stop()
                raise RuntimeError("no Ready. line: " + self.proc.stderr.read())

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.rstrip("\n") == "Ready.":
                self.ready.set()

    def client(self, service, account="000000000000", region="us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )

    def get(self, path, method="GET"):
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=b"" if method == "POST" else None,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read()
                return resp.status, json.loads(body) if body else None, resp.headers
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, json.loads(body) if body else None, e.headers

    def post(self, path):
        return self.get(path, method="POST")

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.fixture
def emu():
    e = Emulator()
    yield e
    assert e.stop() == 0


def queue_names(sqs):
    return sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", []))


def state_of(emu, account, region):
    _, body, _ = emu.get(f"/_ferrybridge/state?account={account}&region={region}")
    regions = body["regions"]
    return regions[0] if regions else None


# ---- reset and state ----


def test_reset_per_service_account_and_region_then_everything(emu):
    a, b = "111111111111", "222222222222"
    for account in (a, b):
        for region in ("us-east-1", "eu-west-1"):
            emu.client("sqs", account, region).create_queue(QueueName="q")
            emu.client("sns", account, region).create_topic(Name="t")
            emu.client("events", account, region).create_event_bus(Name="bus")

    status, body, _ = emu.post(f"/_ferrybridge/reset?service=sqs&account={a}&region=us-east-1")
    assert status == 200
    assert body["reset"] == {"services": ["sqs"], "accountId": a, "region": "us-east-1"}
    assert queue_names(emu.client("sqs", a, "us-east-1")) == []
    assert queue_names(emu.client("sqs", a, "eu-west-1")) == ["q"]
    assert queue_names(emu.client("sqs", b, "us-east-1")) == ["q"]
    assert len(emu.client("sns", a, "us-east-1").list_topics()["Topics"]) == 1

    emu.post(f"/_ferrybridge/reset?account={b}")
    assert queue_names(emu.client("sqs", b, "us-east-1")) == []
    assert emu.client("sns", b, "eu-west-1").list_topics()["Topics"] == []
    names = [x["Name"] for x in emu.client("events", b, "eu-west-1").list_event_buses()["EventBuses"]]
    assert names == ["default"]
    assert queue_names(emu.client("sqs", a, "eu-west-1")) == ["q"]

    emu.post("/_ferrybridge/reset?service=events&region=eu-west-1")
    names = [x["Name"] for x in emu.client("events", a, "eu-west-1").list_event_buses()["EventBuses"]]
    assert names == ["default"]
    names = [x["Name"] for x in emu.client("events", a, "us-east-1").list_event_buses()["EventBuses"]]
    assert names == ["bus", "default"]

    status, body, _ = emu.post("/_ferrybridge/reset")
    assert status == 200 and sorted(body["reset"]["services"]) == ["events", "sns", "sqs", "sts"]
    assert emu.get("/_ferrybridge/state")[1] == {"regions": []}
    # The names are free at once (no QueueDeletedRecently after a reset).
    emu.client("sqs", a, "eu-west-1").create_queue(QueueName="q")


def test_moto_reset_path_answers_as_moto(emu):
    sqs = emu.client("sqs")
    sqs.create_queue(QueueName="before")
    # source: moto's moto_api responses (reset_response): POST -> {"status": "ok"}, else 400.
    assert emu.get("/moto-api/reset")[:2] == (400, {"Error": "Need to POST to reset Moto"})
    assert queue_names(sqs) == ["before"]
    assert emu.post("/moto-api/reset")[:2] == (200, {"status": "ok"})
    assert queue_names(sqs) == []


def test_reset_ends_long_polls_and_receipt_handles(emu):
    sqs = emu.client("sqs")
    url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="old")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    result = {}

    def poll():
        started = time.monotonic()
        try:
            result["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
        except Exception as e:  # the queue is gone: the poll ends either way
            result["error"] = str(e)
        result["took"] = time.monotonic() - started

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.3)
    emu.post("/_ferrybridge/reset")
    t.join(10)
    assert not t.is_alive() and result["took"] < 5, result
    assert result.get("messages", []) == []
    url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as err:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert "ReceiptHandleIsInvalid" in str(err.value) or "InvalidParameterValue" in str(err.value)


def test_state_summarises_every_account_and_region(emu):
    sqs = emu.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})},
        tags={"team": "a"},
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="1")
    sqs.send_message(QueueUrl=url, MessageBody="2")
    sqs.send_message(QueueUrl=url, MessageBody="3", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    sns = emu.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=dlq_arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"a": ["b"]}'},
    )
    events = emu.client("events")
    events.create_event_bus(Name="shop")
    events.put_rule(Name="r", EventBusName="shop", EventPattern='{"source": ["x"]}')
    events.put_targets(Rule="r", EventBusName="shop", Targets=[{"Id": "1", "Arn": dlq_arn}])
    events.create_archive(
        ArchiveName="arch", EventSourceArn="arn:aws:events:us-east-1:000000000000:event-bus/shop"
    )
    emu.client("sqs", "333333333333", "ap-south-1").create_queue(QueueName="other")

    _, body, _ = emu.get("/_ferrybridge/state")
    locations = [(r["accountId"], r["region"]) for r in body["regions"]]
    assert locations == [("000000000000", "us-east-1"), ("333333333333", "ap-south-1")]
    here = body["regions"][0]
    work = next(q for q in here["sqs"]["queues"] if q["name"] == "work")
    assert work["messages"] == {"visible": 1, "inFlight": 1, "delayed": 1}
    assert work["deadLetterTargetArn"] == dlq_arn and work["tags"] == {"team": "a"}
    assert work["arn"] == "arn:aws:sqs:us-east-1:000000000000:work" and work["fifo"] is False
    (t,) = here["sns"]["topics"]
    assert t["name"] == "news" and t["arn"] == topic
    (sub,) = t["subscriptions"]
    assert sub["protocol"] == "sqs" and sub["endpoint"] == dlq_arn
    assert sub["rawMessageDelivery"] is True and sub["filterPolicy"] == '{"a": ["b"]}'
    buses = {b["name"]: b for b in here["events"]["buses"]}
    rules = {r["name"]: r for r in buses["shop"]["rules"]}
    assert rules["r"] == {"name": "r", "state": "ENABLED", "targets": 1}
    assert "Events-Archive-arch" in rules  # the archive's managed rule, as on AWS
    assert here["events"]["archives"] == ["arch"]
    assert state_of(emu, "333333333333", "ap-south-1")["sqs"]["queues"][0]["name"] == "other"


def test_unknown_admin_paths_and_methods(emu):
    status, body, _ = emu.get("/_ferrybridge/nothing-here")
    assert status == 404 and body["error"] == "NotFound"
    status, body, _ = emu.get("/_localstack/nothing")
    assert status == 404
    status, body, headers = emu.get("/_ferrybridge/reset")
    assert status == 405 and headers["Allow"] == "POST" and body["error"] == "MethodNotAllowed"
    status, _, headers = emu.post("/_ferrybridge/state")
    assert status == 405 and headers["Allow"] == "GET"
    status, _, _ = emu.post("/_ferrybridge/reset?service=s3")
    assert status == 400


# ---- reset under load ----


@pytest.mark.parametrize("mode", ["default", "async"])
def test_no_message_from_before_a_reset_lands_after_it(mode):
    e = Emulator(args=["--async-delivery"] if mode == "async" else [])
    try:
        sqs, sns, events = e.client("sqs"), e.client("sns"), e.client("events")

        def create():
            urls = {n: sqs.create_queue(QueueName=n)["QueueUrl"] for n in ("from-sns", "from-events", "direct")}
            arn = lambda n: f"arn:aws:sqs:us-east-1:000000000000:{n}"  # noqa: E731
            topic = sns.create_topic(Name="load")["TopicArn"]
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn("from-sns"),
                          Attributes={"RawMessageDelivery": "true"})
            events.put_rule(Name="load", EventPattern='{"source": ["load"]}')
            events.put_targets(Rule="load", Targets=[{"Id": "q", "Arn": arn("from-events")}])
            return urls, topic

        urls, topic = create()
        stop = threading.Event()
        # body -> (request started, request answered), on the monotonic clock. A message whose
        # request was answered before the reset started is "before the reset"; one whose request
        # overlapped the reset may count as either (the server may have read it after).
        timings = {}

        def load(kind):
            s, n, ev = e.client("sqs"), e.client("sns"), e.client("events")
            i = 0
            while not stop.is_set():
                body = f"m-{kind}-{i}"
                i += 1
                started = time.monotonic()
                try:
                    if kind == "sns":
                        n.publish(TopicArn=topic, Message=body)
                    elif kind == "events":
                        ev.put_events(Entries=[{"Source": "load", "DetailType": "t", "Detail": json.dumps({"b": body})}])
                    else:
                        s.send_message(QueueUrl=urls["direct"], MessageBody=body)
                    timings[body] = (started, time.monotonic())
                except Exception:
                    pass  # resources are missing between the reset and their re-creation

        threads = [threading.Thread(target=load, args=(k,)) for k in ("sns", "events", "sqs")]
        for t in threads:
            t.start()
        time.sleep(1.5)
        reset_started = time.monotonic()
        status, _, _ = e.post("/_ferrybridge/reset")
        assert status == 200
        urls, topic = create()
        recreated = time.monotonic()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join()
        before = [b for b, (_, end) in timings.items() if end < reset_started]
        after = [b for b, (start, _) in timings.items() if start > recreated]
        assert len(before) > 100 and len(after) > 100, (len(before), len(after))
        time.sleep(0.5)
        received = []
        for url in urls.values():
            while True:
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not msgs:
                    break
                received += [re.search(r"m-[a-z]+-[0-9]+", m["Body"]).group(0) for m in msgs]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
                )
        landed_after = set(received) & set(before)
        assert not landed_after, sorted(landed_after)[:10]
        assert set(after) <= set(received), "every message sent after the re-creation arrives"
    finally:
        assert e.stop() == 0


# ---- deterministic deliveries ----


def test_publish_then_receive_at_once_200_times(emu):
    sqs, sns, events = emu.client("sqs"), emu.client("sns"), emu.client("events")
    url = sqs.create_queue(QueueName="now")["QueueUrl"]
    arn = "arn:aws:sqs:us-east-1:000000000000:now"
    topic = sns.create_topic(Name="now")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)  # the signed envelope
    for i in range(200):
        sns.publish(TopicArn=topic, Message=f"m{i}")
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        assert len(msgs) == 1 and json.loads(msgs[0]["Body"])["Message"] == f"m{i}", (i, msgs)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    sns.unsubscribe(SubscriptionArn=sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"])
    events.put_rule(Name="now", EventPattern='{"source": ["now"]}')
    events.put_targets(Rule="now", Targets=[{"Id": "q", "Arn": arn}])
    for i in range(200):
        events.put_events(Entries=[{"Source": "now", "DetailType": "t", "Detail": json.dumps({"i": i})}])
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        assert len(msgs) == 1 and json.loads(msgs[0]["Body"])["detail"] == {"i": i}, (i, msgs)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])


def test_events_to_topic_to_queue_is_delivered_before_put_events_answers(emu):
    sqs, sns, events = emu.client("sqs"), emu.client("sns"), emu.client("events")
    url = sqs.create_queue(QueueName="chain")["QueueUrl"]
    topic = sns.create_topic(Name="chain")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:chain",
                  Attributes={"RawMessageDelivery": "true"})
    events.create_event_bus(Name="second")
    events.put_rule(Name="hop", EventPattern='{"source": ["chain"]}')
    events.put_targets(Rule="hop", Targets=[
        {"Id": "bus", "Arn": "arn:aws:events:us-east-1:000000000000:event-bus/second",
         "RoleArn": "arn:aws:iam::000000000000:role/r"}])
    events.put_rule(Name="to-topic", EventBusName="second", EventPattern='{"source": ["chain"]}')
    events.put_targets(Rule="to-topic", EventBusName="second", Targets=[{"Id": "t", "Arn": topic}])
    for i in range(20):
        events.put_events(Entries=[{"Source": "chain", "DetailType": "t", "Detail": json.dumps({"i": i})}])
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
        assert len(msgs) == 1 and json.loads(msgs[0]["Body"])["detail"] == {"i": i}, (i, msgs)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])


def test_async_delivery_still_delivers():
    e = Emulator(args=["--async-delivery"])
    try:
        sqs, sns, events = e.client("sqs"), e.client("sns"), e.client("events")
        url = sqs.create_queue(QueueName="later")["QueueUrl"]
        arn = "arn:aws:sqs:us-east-1:000000000000:later"
        topic = sns.create_topic(Name="later")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        events.put_rule(Name="later", EventPattern='{"source": ["later"]}')
        events.put_targets(Rule="later", Targets=[{"Id": "q", "Arn": arn, "InputPath": "$.detail"}])
        sns.publish(TopicArn=topic, Message="from-sns")
        events.put_events(Entries=[{"Source": "later", "DetailType": "t", "Detail": '{"from": "events"}'}])
        bodies = []
        deadline = time.monotonic() + 10
        while len(bodies) < 2 and time.monotonic() < deadline:
            for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", []):
                bodies.append(m["Body"])
        assert sorted(bodies) == sorted(["from-sns", '{"from":"events"}']), bodies
    finally:
        assert e.stop() == 0


# ---- start-up config ----


def readme_example(fmt):
    text = (ROOT / "README.md").read_text()
    pattern = r"<!-- config-example: " + fmt + r"[^>]*-->\n```" + fmt + r"\n(.*?)```"
    blocks = re.findall(pattern, text, re.S)
    assert len(blocks) == 1, f"one {fmt} example in README.md"
    return blocks[0]


@pytest.mark.parametrize("fmt", ["toml", "yaml"])
def test_the_readme_examples_create_their_resources(tmp_path, fmt):
    path = tmp_path / f"ferrybridge.{fmt}"
    path.write_text(readme_example(fmt))
    e = Emulator(args=["--config", str(path)])
    try:
        sqs = e.client("sqs")
        assert queue_names(sqs) == ["billing.fifo", "orders", "orders-dlq"]
        url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "60"
        assert json.loads(attrs["RedrivePolicy"]) == {
            "deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:orders-dlq", "maxReceiveCount": 3}
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "shop"}
        fifo = sqs.get_queue_url(QueueName="billing.fifo")["QueueUrl"]
        fifo_attrs = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
        assert fifo_attrs["ContentBasedDeduplication"] == "true"
        assert queue_names(e.client("sqs", "111111111111", "eu-west-1")) == ["audit"]

        sns = e.client("sns")
        topic = "arn:aws:sns:us-east-1:000000000000:order-events"
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "Orders"
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "shop"}]
        (sub,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        sub_attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
        assert sub_attrs["RawMessageDelivery"] == "true"
        assert json.loads(sub_attrs["FilterPolicy"]) == {"region": [{"prefix": "eu-"}]}
        # The filter policy works: only eu- messages reach the queue.
        sns.publish(TopicArn=topic, Message="us", MessageAttributes={"region": {"DataType": "String", "StringValue": "us-east-1"}})
        sns.publish(TopicArn=topic, Message="eu", MessageAttributes={"region": {"DataType": "String", "StringValue": "eu-west-1"}})
        (m,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert m["Body"] == "eu"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

        events = e.client("events")
        assert events.describe_archive(ArchiveName="shop-archive")["RetentionDays"] == 7
        assert events.describe_connection(Name="orders-api")["ConnectionState"] == "AUTHORIZED"
        dest = events.describe_api_destination(Name="orders-api")
        assert dest["InvocationEndpoint"] == "http://localhost:8080/orders"
        assert dest["ConnectionArn"].startswith("arn:aws:events:us-east-1:000000000000:connection/orders-api/")
        targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule="orders-to-queue", EventBusName="shop")["Targets"]}
        assert targets["queue"]["Arn"] == "arn:aws:sqs:us-east-1:000000000000:orders"
        assert targets["api"]["Arn"] == dest["ApiDestinationArn"]
        assert targets["api"]["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:000000000000:orders-dlq"}
        nightly = events.describe_rule(Name="nightly")
        assert nightly["State"] == "DISABLED" and nightly["ScheduleExpression"] == "cron(0 2 * * ? *)"
        # The rule and its InputTransformer work (the API target fails: nothing listens on 8080).
        events.put_events(Entries=[{"EventBusName": "shop", "Source": "shop.orders", "DetailType": "t",
                                    "Detail": '{"orderId": 7}'}])
        (m,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert json.loads(m["Body"]) == {"order": 7}
    finally:
        assert e.stop() == 0


BAD_CONFIGS = [
    # (file name, text, line, words the message must contain)
    (
        "bad-field.yaml",
        "regions:\n  - queues:\n      - QueueName: fine\n      - QueueName: typo\n        Atributes: {VisibilityTimeout: 5}\n",
        5,
        ["Atributes", "typo"],
    ),
    (
        "bad-value.toml",
        '[[regions]]\n[[regions.queues]]\nQueueName = "first"\n\n[[regions.queues]]\nQueueName = "second"\n'
        'Attributes = { DelaySeconds = 5 }\n\n[[regions.queues]]\nQueueName = "bad"\nAttributes = { VisibilityTimeout = 99999 }\n',
        11,
        ["VisibilityTimeout", "bad", "CreateQueue"],
    ),
    (
        "bad-syntax.toml",
        '[[regions]]\nregion = "us-east-1"\n[[regions.queues]]\nQueueName = \n',
        4,
        [],
    ),
    (
        "bad-pattern.yaml",
        "regions:\n  - queues:\n      - QueueName: q\n    rules:\n      - Name: r\n        EventPattern: {source: 42}\n",
        6,
        ["EventPattern", "PutRule"],
    ),
]


@pytest.mark.parametrize("name,text,line,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_a_bad_config_stops_the_start_and_names_file_line_and_field(tmp_path, name, text, line, words):
    path = tmp_path / name
    path.write_text(text)
    port = _free_port()
    proc = subprocess.run(
        [BINARY, "--port", str(port), "--config", str(path)],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0
    assert "Ready." not in proc.stdout
    message = proc.stderr
    assert f"{path}:{line}:" in message, message
    for w in words:
        assert w in message, message
    # Nothing answered (so nothing of the file was ever visible).
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_ferrybridge/health", timeout=1)


def test_config_from_the_environment_variable(tmp_path):
    path = tmp_path / "env.yaml"
    path.write_text("regions:\n  - queues:\n      - QueueName: from-env\n")
    e = Emulator(env={"FERRYBRIDGE_CONFIG": str(path)})
    try:
        assert queue_names(e.client("sqs")) == ["from-env"]
    finally:
        assert e.stop() == 0


# ---- init hooks, Ready., LocalStack endpoints and variables ----


def test_init_hooks_create_resources_before_ready(tmp_path):
    hooks = tmp_path / "ready.d"
    hooks.mkdir()
    (hooks / "01-queue.sh").write_text(
        '#!/bin/sh\nset -e\naws --endpoint-url "$AWS_ENDPOINT_URL" sqs create-queue --queue-name from-init\n'
        'echo "$AWS_DEFAULT_REGION $AWS_REGION $AWS_ACCESS_KEY_ID" > "$(dirname "$0")/../env.txt"\n'
    )
    (hooks / "02-fails.sh").write_text("#!/bin/sh\nexit 3\n")
    (hooks / "03-topic.sh").write_text(
        '#!/bin/sh\naws --endpoint-url "$AWS_ENDPOINT_URL" sns create-topic --name from-init\n'
    )
    (hooks / "README.txt").write_text("not executable: skipped\n")
    for f in ("01-queue.sh", "02-fails.sh", "03-topic.sh"):
        (hooks / f).chmod(0o755)
    e = Emulator(args=["--init-dir", str(hooks), "--default-region", "eu-central-1"])
    try:
        # Ready. is printed once the hooks ran: their resources exist now.
        assert e.lines[-1] == "Ready."
        assert queue_names(e.client("sqs", region="eu-central-1")) == ["from-init"]
        topics = e.client("sns", region="eu-central-1").list_topics()["Topics"]
        assert [t["TopicArn"] for t in topics] == ["arn:aws:sns:eu-central-1:000000000000:from-init"]
        assert (tmp_path / "env.txt").read_text().split() == ["eu-central-1", "eu-central-1", "test"]
        status, body, _ = e.get("/_localstack/init")
        assert status == 200
        # source: LocalStack's init hooks docs ("Querying stages") and InitScriptsResource.
        assert body == {
            "completed": {"BOOT": True, "START": True, "READY": True, "SHUTDOWN": False},
            "scripts": [
                {"stage": "READY", "name": "01-queue.sh", "state": "SUCCESSFUL"},
                {"stage": "READY", "name": "02-fails.sh", "state": "ERROR"},
                {"stage": "READY", "name": "03-topic.sh", "state": "SUCCESSFUL"},
            ],
        }
        status, ready, _ = e.get("/_localstack/init/ready")
        assert status == 200 and ready["completed"] is True and len(ready["scripts"]) == 3
        assert e.get("/_localstack/init/boot")[1] == {"completed": True, "scripts": []}
        assert e.get("/_localstack/init/nope")[0] == 404
    finally:
        assert e.stop() == 0


def test_localstack_health_shape_and_head(emu):
    status, body, _ = emu.get("/_localstack/health")
    assert status == 200
    # source: LocalStack's HealthResource: services map merged with state, edition, version.
    assert body["services"]["sqs"] == "running"
    assert body["services"]["sns"] == "running"
    assert body["services"]["events"] == "running"
    assert body["edition"] == "community" and isinstance(body["version"], str)
    assert body["features"] == {"initScripts": "initialized"}
    status, _, _ = emu.get("/_localstack/health", method="HEAD")
    assert status == 200
    status, body, _ = emu.get("/_ferrybridge/health")
    assert status == 200 and body["status"] == "running"


def test_localstack_environment_variables(tmp_path):
    port = _free_port()
    env = {
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "DEFAULT_REGION": "ap-southeast-2",
        "LOCALSTACK_HOST": "localhost.localstack.cloud:4566",
        "SERVICES": "sqs,eventbridge",
    }
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "region.sh").write_text('#!/bin/sh\necho "$AWS_REGION" > "$(dirname "$0")/../region.txt"\n')
    (hooks / "region.sh").chmod(0o755)
    e = Emulator(args=["--init-dir", str(hooks)], env=env, port=False)
    e.port, e.url = port, f"http://127.0.0.1:{port}"
    try:
        status, body, _ = e.get("/_localstack/health")
        assert status == 200
        assert body["services"] == {"sqs": "running", "sns": "disabled", "events": "running", "sts": "disabled"}
        sqs = e.client("sqs", region="ap-southeast-2")
        url = sqs.create_queue(QueueName="hosted")["QueueUrl"]
        assert url == "http://localhost.localstack.cloud:4566/000000000000/hosted"
        with pytest.raises(Exception) as err:
            e.client("sns").list_topics()
        assert "Service 'sns' is not enabled. Please check your 'SERVICES' configuration variable." in str(err.value)
        assert "InternalFailure" in str(err.value)
        e.client("events").list_event_buses()
        # DEFAULT_REGION is the default region (that of init hooks and unsigned requests).
        assert (tmp_path / "region.txt").read_text().strip() == "ap-southeast-2"
    finally:
        assert e.stop() == 0
