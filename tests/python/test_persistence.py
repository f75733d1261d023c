"""`--data-dir`: what was acknowledged survives `kill -9`, and a restart finds everything as it was.

Each test starts its own ferrybridge binary (from $FERRYBRIDGE_BIN) on a temporary data
directory, kills it with SIGKILL and starts it again on the same directory.
"""

import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.config import Config

from conftest import ROOT, _free_port, make_client

BINARY = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))


class Server:
    def __init__(self, data_dir, *flags, env=None):
        self.data_dir = str(data_dir)
        self.env = {**os.environ, **(env or {})}
        self.flags = flags
        self.port = _free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--log-level", "warn",
             "--data-dir", self.data_dir, *self.flags],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_ferrybridge/health", timeout=1):
                    return self
            except OSError:
                assert self.proc.poll() is None, self.proc.stderr.read().decode()
                assert time.monotonic() < deadline, "ferrybridge did not start"
                time.sleep(0.01)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def client(self):
        return make_client(self.url)

    def fast_client(self):
        # No retries: a request cut by the kill must fail, not be sent again to the new process.
        import boto3
        return boto3.client(
            "sqs", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1, "mode": "standard"},
                          connect_timeout=2, read_timeout=5),
        )


@pytest.fixture
def server(tmp_path):
    started = []

    def run(*flags, data_dir=None, env=None):
        s = Server(data_dir or tmp_path / "data", *flags, env=env).start()
        started.append(s)
        return s

    yield run
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def drain(sqs, url, fifo=False):
    """Every message now receivable, each received once (a long visibility timeout; on a FIFO
    queue each is deleted once received, which unlocks its group for the next)."""
    got = []
    empty = 0
    while empty < 3:
        kw = {"AttributeNames": ["All"]} if fifo else {}
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                VisibilityTimeout=600, WaitTimeSeconds=0, **kw)
        msgs = r.get("Messages", [])
        empty = 0 if msgs else empty + 1
        got.extend(msgs)
        if fifo and msgs:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
    return got


def crash_run(server, fifo, seed):
    """A producer (threads sending batches) and a consumer (receive + delete) run against a
    server that is SIGKILLed at a random moment; after a restart on the same directory every
    acknowledged message is there exactly once and no acknowledged delete is undone."""
    rnd = random.Random(seed)
    s = server()
    admin = s.client()
    name = f"crash-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    attrs = {"VisibilityTimeout": "1"}
    if fifo:
        attrs.update(FifoQueue="true", ContentBasedDeduplication="false")
    url = admin.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]

    lock = threading.Lock()
    sent = {}         # body -> message id (acknowledged sends)
    deleted = set()   # bodies whose delete was acknowledged
    deleting = set()  # bodies whose delete was sent but not (yet) acknowledged
    stop = threading.Event()
    counter = iter(range(10**9))

    def producer(n):
        c = s.fast_client()
        while not stop.is_set():
            with lock:
                batch = [f"m-{next(counter)}" for _ in range(10)]
            entries = []
            for i, body in enumerate(batch):
                e = {"Id": str(i), "MessageBody": body}
                if fifo:
                    e.update(MessageGroupId=f"g{n}-{i % 3}", MessageDeduplicationId=body)
                entries.append(e)
            try:
                r = c.send_message_batch(QueueUrl=url, Entries=entries)
            except Exception:
                return
            with lock:
                for ok in r.get("Successful", []):
                    sent[batch[int(ok["Id"])]] = ok["MessageId"]

    def consumer():
        c = s.fast_client()
        while not stop.is_set():
            try:
                r = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)
                for m in r.get("Messages", [])[:5]:
                    with lock:
                        deleting.add(m["Body"])
                    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    with lock:
                        deleted.add(m["Body"])
            except Exception:
                return

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(8)]
    threads.append(threading.Thread(target=consumer))
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(rnd.uniform(0.8, 1.6))
    with lock:
        acked_at_kill = len(sent)
    elapsed = time.monotonic() - started
    s.kill()
    stop.set()
    for t in threads:
        t.join()
    rate = acked_at_kill / elapsed
    assert rate >= 2000, f"producer reached only {rate:.0f} messages/s"

    s.start()
    sqs = s.client()
    time.sleep(1.2)  # messages in flight at the kill return when their deadline passes
    got = drain(sqs, url, fifo)
    bodies = [m["Body"] for m in got]
    assert len(bodies) == len(set(bodies)), "a message was received twice"
    uncertain = deleting - deleted
    expected = set(sent) - deleted
    missing = expected - uncertain - set(bodies)
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
    back = deleted & set(bodies)
    assert not back, f"deleted messages came back: {sorted(back)[:5]}"
    for m in got:
        if m["Body"] in sent:
            assert m["MessageId"] == sent[m["Body"]]
    if fifo:
        by_group = {}
        for m in got:
            by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(
                int(m["Attributes"]["SequenceNumber"]))
        for group, seqs in by_group.items():
            assert seqs == sorted(seqs), f"group {group} out of order"
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    if not fifo:
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == str(len(got))
    s.kill()
    return len(sent), len(deleted), len(got)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_during_standard_workload_loses_nothing_acknowledged(server, seed):
    sent, deleted, restored = crash_run(server, fifo=False, seed=seed)
    assert sent > 0 and deleted > 0 and restored > 0


def test_kill_during_fifo_workload_keeps_order_and_loses_nothing(server):
    sent, deleted, restored = crash_run(server, fifo=True, seed=7)
    assert sent > 0 and restored > 0


def test_restart_keeps_queues_attributes_in_flight_deadlines_and_receipt_handles(server):
    s = server()
    sqs = s.client()
    url = sqs.create_queue(
        QueueName="kept",
        Attributes={"VisibilityTimeout": "37", "MaximumMessageSize": "2048",
                    "MessageRetentionPeriod": "7200"},
        tags={"team": "a"},
    )["QueueUrl"]
    sqs.add_permission(QueueUrl=url, Label="p1", AWSAccountIds=["111122223333"],
                       Actions=["SendMessage"])
    fifo = sqs.create_queue(QueueName="kept.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    f1 = sqs.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g",
                          MessageDeduplicationId="d1")
    sqs.send_message(QueueUrl=fifo, MessageBody="f2", MessageGroupId="g",
                     MessageDeduplicationId="d2")
    sqs.send_message(
        QueueUrl=url, MessageBody="hello",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=4)
    sent_at = time.time()
    r = sqs.receive_message(QueueUrl=url, VisibilityTimeout=3, AttributeNames=["All"],
                            MessageAttributeNames=["All"])
    first = r["Messages"][0]
    fr = sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"])["Messages"][0]
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    s.kill()

    s.start()
    sqs = s.client()
    assert sorted(sqs.list_queues()["QueueUrls"]) == sorted([url, fifo])
    after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    for k in ["VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "Policy",
              "CreatedTimestamp", "LastModifiedTimestamp", "QueueArn"]:
        assert after[k] == before[k], k
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    # In flight until its deadline; delayed until its delay ends.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert after["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert after["ApproximateNumberOfMessagesDelayed"] == "1"
    # The FIFO group stays locked while its message is in flight; a duplicate is still one.
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo)
    dup = sqs.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="g",
                           MessageDeduplicationId="d1")
    assert dup["MessageId"] == f1["MessageId"]
    assert dup["SequenceNumber"] == f1["SequenceNumber"]
    # Receipt handles issued before the restart still work.
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["All"],
                                MessageAttributeNames=["All"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["MD5OfBody"] == first["MD5OfBody"]
    assert again["MD5OfMessageAttributes"] == first["MD5OfMessageAttributes"]
    assert again["Attributes"]["SentTimestamp"] == first["Attributes"]["SentTimestamp"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=fr["ReceiptHandle"])
    nxt = sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"])["Messages"][0]
    assert nxt["Body"] == "f2"
    assert int(nxt["Attributes"]["SequenceNumber"]) > int(fr["Attributes"]["SequenceNumber"])
    time.sleep(max(0, sent_at + 4.2 - time.time()))
    later = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]
    assert later["Body"] == "later"
    s.kill()

    # A deleted queue stays deleted; a graceful stop keeps everything too.
    s.start()
    sqs = s.client()
    sqs.delete_queue(QueueUrl=fifo)
    s.proc.terminate()
    assert s.proc.wait(timeout=10) == 0
    s.start()
    assert s.client().list_queues()["QueueUrls"] == [url]


def test_torn_tail_is_repaired_and_corruption_is_a_clear_error(server, tmp_path):
    s = server()
    sqs = s.client()
    url = sqs.create_queue(QueueName="t")["QueueUrl"]
    for i in range(50):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}" * 50)
    s.kill()
    data = tmp_path / "data"
    [log] = sorted(data.glob("journal-*.log"))
    raw = log.read_bytes()
    end = len(raw.rstrip(b"\0"))
    # A torn tail: half a record after the last complete group.
    with open(log, "r+b") as f:
        f.seek(end + 16)  # `end` may have lost the zero bytes that end the last commit record
        f.write(b"\x40\x00\x00\x00\x0d\x11\x22\x33\x44partial")
    s.start()
    sqs = s.client()
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "50"
    s.kill()
    # Garbled in the middle: the start fails and names the file.
    raw = bytearray(log.read_bytes())
    raw[len(raw.rstrip(b"\0")) // 2] ^= 0xFF
    log.write_bytes(bytes(raw))
    proc = subprocess.run(
        [BINARY, "--port", "0", "--data-dir", str(data)],
        capture_output=True, timeout=10,
    )
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert str(log) in err and "corrupt" in err, err


def test_compaction_under_load_keeps_exactly_the_live_messages(server, tmp_path):
    """With a tiny compaction threshold the journal is rewritten many times while messages are
    sent and deleted; a kill and restart afterwards finds exactly the live ones."""
    s = server(env={"FERRYBRIDGE_COMPACT_BYTES": "100000"})
    sqs = s.client()
    url = sqs.create_queue(QueueName="compact")["QueueUrl"]
    fifo = sqs.create_queue(QueueName="compact.fifo",
                            Attributes={"FifoQueue": "true"})["QueueUrl"]
    # SNS and EventBridge images are rewritten by every compaction.
    topic = make_client(s.url, "sns").create_topic(Name="compacted")["TopicArn"]
    events = make_client(s.url, "events")
    bus_arn = events.create_event_bus(Name="compacted")["EventBusArn"]
    # Archived events are rewritten by every compaction too.
    events.create_archive(ArchiveName="compacted", EventSourceArn=bus_arn)
    archived = 0
    kept = set()
    deadline = time.monotonic() + 3.5
    n = 0
    while time.monotonic() < deadline:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"c{n}-{i}" + "x" * 200} for i in range(10)])
        kept.update(f"c{n}-{i}" for i in range(10))
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=6, VisibilityTimeout=300)
        for m in r.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            kept.discard(m["Body"][: m["Body"].index("x")])
        sqs.send_message(QueueUrl=fifo, MessageBody=f"f{n}", MessageGroupId="g",
                         MessageDeduplicationId=f"f{n}")
        if n % 5 == 0:
            events.put_events(Entries=[{"EventBusName": "compacted", "Source": "c",
                                        "DetailType": "t", "Detail": json.dumps({"n": n})}])
            archived += 1
        n += 1
    segments = sorted((tmp_path / "data").glob("journal-*.log"))
    assert int(segments[-1].name[8:16]) > 1, "no compaction happened"
    s.kill()
    s.start()
    sqs = s.client()
    got = {m["Body"][: m["Body"].index("x")] for m in drain(sqs, url)}
    assert got == kept
    bodies = [m["Body"] for m in drain(sqs, fifo, fifo=True)]
    assert bodies == [f"f{i}" for i in range(n)]
    # A duplicate of the last FIFO message is still recognised.
    dup = sqs.send_message(QueueUrl=fifo, MessageBody="again", MessageGroupId="g",
                           MessageDeduplicationId=f"f{n - 1}")
    assert "MessageId" in dup
    assert "Messages" not in sqs.receive_message(QueueUrl=fifo)
    assert [t["TopicArn"] for t in make_client(s.url, "sns").list_topics()["Topics"]] == [topic]
    events = make_client(s.url, "events")
    events.describe_event_bus(Name="compacted")
    assert events.describe_archive(ArchiveName="compacted")["EventCount"] == archived


def test_sts_credentials_issued_before_a_restart_keep_their_identity(server):
    import boto3
    s = server()
    sts = make_client(s.url, "sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/app",
                            RoleSessionName="kept")["Credentials"]
    s.kill()
    s.start()
    who = boto3.client(
        "sts", endpoint_url=s.url, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/app/kept"
    assert who["Account"] == "123456789012"


def test_state_export_import_round_trip_and_state_file(server, tmp_path):
    s = server()
    sqs = s.client()
    dlq = sqs.create_queue(QueueName="fx-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="fx", tags={"team": "a"}, Attributes={
        "VisibilityTimeout": "45",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
    })["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one",
                     MessageAttributes={"k": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    sqs.send_message(QueueUrl=url, MessageBody="two")
    s.proc.terminate()
    assert s.proc.wait(timeout=10) == 0

    data = tmp_path / "data"
    out = subprocess.run([BINARY, "state", "export", "--data-dir", str(data)],
                         capture_output=True, timeout=20, check=True)
    doc = json.loads(out.stdout)
    assert doc["format"] == "ferrybridge-state" and doc["version"] == 2
    [fx] = [q for q in doc["sqs"]["queues"] if q["name"] == "fx"]
    assert fx["attributes"]["VisibilityTimeout"] == "45"
    assert fx["tags"] == {"team": "a"}
    assert [m["body"] for m in fx["messages"]] == ["one", "two"]
    state = tmp_path / "state.json"
    state.write_text(json.dumps(doc))

    # An invalid file changes nothing.
    bad = json.loads(json.dumps(doc))
    bad["sqs"]["queues"].append({"accountId": "000000000000", "region": "us-east-1",
                                 "name": "new-one", "attributes": {}})
    bad["sqs"]["queues"].append({"accountId": "000000000000", "region": "us-east-1",
                                 "name": "bad name!", "attributes": {}})
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    other = tmp_path / "other"
    proc = subprocess.run([BINARY, "state", "import", str(tmp_path / "bad.json"),
                           "--data-dir", str(other)], capture_output=True, timeout=20)
    assert proc.returncode != 0 and b"bad name!" in proc.stderr, proc.stderr
    subprocess.run([BINARY, "state", "import", str(state), "--data-dir", str(other)],
                   capture_output=True, timeout=20, check=True)
    t = server(data_dir=other)
    sqs = t.client()
    names = sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"])
    assert names == ["fx", "fx-dlq"]
    fx_url = sqs.get_queue_url(QueueName="fx")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=fx_url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 3
    got = sqs.receive_message(QueueUrl=fx_url, MaxNumberOfMessages=10,
                              MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["one", "two"]
    [one] = [m for m in got if m["Body"] == "one"]
    assert one["MessageAttributes"]["k"]["BinaryValue"] == b"\x00\x01"
    t.kill()

    # --state-file at start, twice: the second start does not duplicate the messages.
    for _ in range(2):
        u = server("--state-file", str(state), data_dir=tmp_path / "third")
        sqs = u.client()
        fx_url = sqs.get_queue_url(QueueName="fx")["QueueUrl"]
        n = sqs.get_queue_attributes(QueueUrl=fx_url,
                                     AttributeNames=["ApproximateNumberOfMessages"])
        assert n["Attributes"]["ApproximateNumberOfMessages"] == "2"
        u.kill()


def _verify_envelope(envelope, pem):
    """The envelope's signature checks against the certificate `pem` (SignatureVersion 1 or 2)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA1, SHA256
    import base64
    key = x509.load_pem_x509_certificate(pem).public_key()
    fields = ["Message", "MessageId"] + (["Subject"] if "Subject" in envelope else []) + [
        "Timestamp", "TopicArn", "Type"]
    canonical = "".join(f"{k}\n{envelope[k]}\n" for k in fields)
    digest = SHA256() if envelope["SignatureVersion"] == "2" else SHA1()
    key.verify(base64.b64decode(envelope["Signature"]), canonical.encode(), PKCS1v15(), digest)


def _fetch(url):
    import ssl
    # The certificate's URL names the emulator's own TLS port; its CA is not what this checks.
    return urllib.request.urlopen(url, context=ssl._create_unverified_context(), timeout=5).read()


def test_sns_topics_subscriptions_and_signing_key_survive_a_restart(server, tmp_path):
    s = server()
    sns = make_client(s.url, "sns")
    sqs = s.client()
    url = sqs.create_queue(QueueName="sns-target")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    raw_url = sqs.create_queue(QueueName="sns-raw")["QueueUrl"]
    raw_arn = sqs.get_queue_attributes(QueueUrl=raw_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="kept", Attributes={"DisplayName": "Kept"},
                             Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    delivery_policy = json.dumps({"http": {"defaultHealthyRetryPolicy": {
        "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 5,
        "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
        "numMinDelayRetries": 0, "backoffFunction": "linear"}}})
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy",
                             AttributeValue=delivery_policy)
    fifo = sns.create_topic(Name="kept.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    raw = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn,
                        ReturnSubscriptionArn=True, Attributes={
                            "RawMessageDelivery": "true",
                            "FilterPolicy": json.dumps({"kind": ["wanted"]})})["SubscriptionArn"]
    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com",
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
    app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={
        "PlatformCredential": "server-key"})["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app,
                                            Token="device-1")["EndpointArn"]
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
    sns.publish(TopicArn=topic, Message="before")
    before = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    pem_before = _fetch(before["SigningCertURL"])
    _verify_envelope(before, pem_before)
    key_file = tmp_path / "data" / "sns-signing-key.pem"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    for log in (tmp_path / "data").glob("journal-*.log"):
        assert (log.stat().st_mode & 0o777) == 0o600, log
    s.kill()

    s.start()
    sns = make_client(s.url, "sns")
    sqs = s.client()
    arns = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert sorted(arns) == sorted([topic, fifo])
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attrs["DisplayName"] == "Kept"
    assert attrs["DeliveryPolicy"] == delivery_policy, "the text exactly as set"
    # The parsed policy is made again from the journaled text.
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])
    assert effective["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    assert attrs["SubscriptionsConfirmed"] == "2" and attrs["SubscriptionsPending"] == "1"
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "a"}]
    fattrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert fattrs["FifoTopic"] == "true" and fattrs["ContentBasedDeduplication"] == "true"
    rattrs = sns.get_subscription_attributes(SubscriptionArn=raw)["Attributes"]
    assert rattrs["RawMessageDelivery"] == "true"
    assert json.loads(rattrs["FilterPolicy"]) == {"kind": ["wanted"]}
    assert sns.get_subscription_attributes(SubscriptionArn=pending)["Attributes"][
        "PendingConfirmation"] == "true"
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["Token"] == "device-1"
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"][
        "Enabled"] == "true"
    assert sns.get_sms_attributes()["attributes"]["DefaultSMSType"] == "Transactional"

    # Publishing after the restart reaches the queues the subscriptions name.
    sns.publish(TopicArn=topic, Message="after",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "wanted"}})
    after = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    assert after["Message"] == "after"
    assert sqs.receive_message(QueueUrl=raw_url, WaitTimeSeconds=2)["Messages"][0]["Body"] == "after"
    # The signing key is the same: the envelope signed before the restart still verifies
    # against the certificate its SigningCertURL serves now.
    assert after["SigningCertURL"] == before["SigningCertURL"]
    pem_after = _fetch(before["SigningCertURL"])
    assert pem_after == pem_before
    _verify_envelope(before, pem_after)
    _verify_envelope(after, pem_after)

    # Deletions are kept too.
    sns.unsubscribe(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=fifo)
    s.kill()
    s.start()
    sns = make_client(s.url, "sns")
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [topic]
    subs = {x["SubscriptionArn"] for x in sns.list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"]}
    assert sub not in subs and raw in subs


def test_kill_during_sns_to_sqs_publishing_keeps_every_acknowledged_message_once(server):
    """Publish answers after the SQS deliveries it made are durable (deterministic delivery):
    after a SIGKILL every acknowledged publish is in the subscribed queue exactly once."""
    import boto3
    s = server()
    sns = make_client(s.url, "sns")
    sqs = s.client()
    url = sqs.create_queue(QueueName="fanout")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="fanout")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    lock = threading.Lock()
    acked = {}
    stop = threading.Event()
    counter = iter(range(10**9))

    def publisher():
        c = boto3.client("sns", endpoint_url=s.url, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test",
                         config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                       connect_timeout=2, read_timeout=5))
        while not stop.is_set():
            with lock:
                body = f"p-{next(counter)}"
            try:
                r = c.publish(TopicArn=topic, Message=body)
            except Exception:
                return
            with lock:
                acked[body] = r["MessageId"]

    threads = [threading.Thread(target=publisher) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    s.kill()
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 50, f"only {len(acked)} publishes acknowledged"

    s.start()
    bodies = [m["Body"] for m in drain(s.client(), url)]
    assert len(bodies) == len(set(bodies)), "a message is in the queue twice"
    missing = set(acked) - set(bodies)
    assert not missing, f"{len(missing)} acknowledged publishes lost, e.g. {sorted(missing)[:5]}"


def test_eventbridge_buses_rules_and_targets_survive_a_restart(server):
    s = server()
    events = make_client(s.url, "events")
    sqs = s.client()
    url = sqs.create_queue(QueueName="eb-target")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    # Event bus descriptions came to the API in 2024; legacy botocore cannot send one, so the
    # description is checked under the current client only (the suite runs under both).
    bus_args = {"Name": "orders", "Tags": [{"Key": "team", "Value": "a"}]}
    input_shape = events.meta.service_model.operation_model("CreateEventBus").input_shape
    if "Description" in input_shape.members:
        bus_args["Description"] = "the orders"
    bus_arn = events.create_event_bus(**bus_args)["EventBusArn"]
    events.put_permission(EventBusName="orders", Action="events:PutEvents",
                          Principal="111111111111", StatementId="partner")
    rule_arn = events.put_rule(Name="placed", EventBusName="orders", Description="placed orders",
                               EventPattern=json.dumps({"detail-type": ["placed"]}),
                               Tags=[{"Key": "k", "Value": "v"}])["RuleArn"]
    events.put_targets(Rule="placed", EventBusName="orders", Targets=[{
        "Id": "q", "Arn": qarn,
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"},
                             "InputTemplate": "{\"order\": <id>}"},
        "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
    }])
    events.put_rule(Name="off", EventBusName="orders", State="DISABLED",
                    EventPattern=json.dumps({"source": ["x"]}))
    events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")
    events.put_rule(Name="gone", EventBusName="orders", EventPattern=json.dumps({"source": ["y"]}))
    events.delete_rule(Name="gone", EventBusName="orders")
    conn = events.create_connection(Name="api", AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret-value"}})
    dest = events.create_api_destination(Name="hook", ConnectionArn=conn["ConnectionArn"],
                                         InvocationEndpoint="https://example.com/hook",
                                         HttpMethod="POST", InvocationRateLimitPerSecond=5)
    before = events.describe_connection(Name="api")
    s.kill()
    from pathlib import Path
    for log in Path(s.data_dir).glob("journal-*.log"):
        assert (log.stat().st_mode & 0o777) == 0o600, log

    s.start()
    events = make_client(s.url, "events")
    sqs = s.client()
    bus = events.describe_event_bus(Name="orders")
    assert bus["Arn"] == bus_arn and bus.get("Description") == bus_args.get("Description")
    assert json.loads(bus["Policy"])["Statement"][0]["Sid"] == "partner"
    assert events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"] == [
        {"Key": "team", "Value": "a"}]
    names = sorted(r["Name"] for r in events.list_rules(EventBusName="orders")["Rules"])
    assert names == ["off", "placed"]
    rule = events.describe_rule(Name="placed", EventBusName="orders")
    assert rule["Arn"] == rule_arn and rule["State"] == "ENABLED"
    assert rule["Description"] == "placed orders"
    assert events.describe_rule(Name="off", EventBusName="orders")["State"] == "DISABLED"
    assert events.describe_rule(Name="tick")["ScheduleExpression"] == "rate(5 minutes)"
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [
        {"Key": "k", "Value": "v"}]
    targets = events.list_targets_by_rule(Rule="placed", EventBusName="orders")["Targets"]
    assert [t["Id"] for t in targets] == ["q"]
    assert targets[0]["RetryPolicy"]["MaximumRetryAttempts"] == 3
    after = events.describe_connection(Name="api")
    for key in ("ConnectionArn", "SecretArn", "ConnectionState", "AuthorizationType",
                "AuthParameters", "CreationTime"):
        assert after[key] == before[key], key
    assert events.describe_api_destination(Name="hook")["ApiDestinationArn"] == dest[
        "ApiDestinationArn"]

    # PutEvents after the restart is routed into the target queue, transformed as before.
    r = events.put_events(Entries=[{"EventBusName": "orders", "Source": "shop",
                                    "DetailType": "placed", "Detail": json.dumps({"id": 7})}])
    assert r["FailedEntryCount"] == 0
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(got[0]["Body"]) == {"order": 7}


def events_fast_client(s):
    import boto3
    return boto3.client("events", endpoint_url=s.url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                      connect_timeout=2, read_timeout=5))


def replayed_into(s, archive, bus_name, rule_name, queue_name, start, end):
    """Every event of `archive` (one bus), replayed into a fresh queue through a rule of its
    own (FilterArns: no other rule gets them); the `n`s of their details."""
    events = make_client(s.url, "events")
    sqs = s.client()
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    rule = events.put_rule(Name=rule_name, EventBusName=bus_name,
                           EventPattern=json.dumps({"replay-name": [{"exists": True}]}))["RuleArn"]
    events.put_targets(Rule=rule_name, EventBusName=bus_name, Targets=[
        {"Id": "q", "Arn": qarn, "InputPath": "$.detail"}])
    bus = events.describe_event_bus(Name=bus_name)["Arn"]
    name = f"r-{uuid.uuid4().hex[:8]}"
    events.start_replay(ReplayName=name, EventSourceArn=events.describe_archive(
        ArchiveName=archive)["ArchiveArn"], EventStartTime=start, EventEndTime=end,
        Destination={"Arn": bus, "FilterArns": [rule]})
    deadline = time.monotonic() + 30
    while events.describe_replay(ReplayName=name)["State"] != "COMPLETED":
        assert time.monotonic() < deadline, "the replay did not complete"
        time.sleep(0.1)
    return [json.loads(m["Body"])["n"] for m in drain(sqs, url)]


def test_kill_during_eventbridge_deliveries_keeps_every_acknowledged_event_once(server):
    """PutEvents answers once its events are durable in the archive and in the SQS target
    (deterministic delivery): after a SIGKILL every acknowledged event is in both, once."""
    import datetime as dt
    s = server()
    events = make_client(s.url, "events")
    sqs = s.client()
    url = sqs.create_queue(QueueName="eb-crash")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name="crash", EventPattern=json.dumps({"source": ["crash"]}))
    events.put_targets(Rule="crash", Targets=[{"Id": "q", "Arn": qarn, "InputPath": "$.detail"}])
    bus = events.describe_event_bus()["Arn"]
    events.create_archive(ArchiveName="crash", EventSourceArn=bus,
                          EventPattern=json.dumps({"source": ["crash"]}))
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    lock = threading.Lock()
    acked = {}
    stop = threading.Event()
    counter = iter(range(10**9))

    def producer():
        c = events_fast_client(s)
        while not stop.is_set():
            with lock:
                ns = [next(counter) for _ in range(5)]
            try:
                r = c.put_events(Entries=[{"Source": "crash", "DetailType": "t",
                                           "Detail": json.dumps({"n": n})} for n in ns])
            except Exception:
                return
            assert r["FailedEntryCount"] == 0
            with lock:
                for n, e in zip(ns, r["Entries"]):
                    acked[n] = e["EventId"]

    threads = [threading.Thread(target=producer) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.8, 1.5))
    s.kill()
    stop.set()
    for t in threads:
        t.join()
    assert len(acked) > 100, f"only {len(acked)} events acknowledged"

    s.start()
    sqs = s.client()
    queued = [json.loads(m["Body"])["n"] for m in drain(sqs, url)]
    assert len(queued) == len(set(queued)), "an event is in the queue twice"
    missing = set(acked) - set(queued)
    assert not missing, f"{len(missing)} acknowledged events not in the queue: {sorted(missing)[:5]}"
    events = make_client(s.url, "events")
    count = events.describe_archive(ArchiveName="crash")["EventCount"]
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    archived = replayed_into(s, "crash", "default", "replayed", "eb-crash-replayed", start, end)
    assert len(archived) == len(set(archived)) == count, "an event is in the archive twice"
    missing = set(acked) - set(archived)
    assert not missing, f"{len(missing)} acknowledged events not archived: {sorted(missing)[:5]}"
    # An event is archived before it is delivered: whatever reached the queue is archived, and
    # at most the requests cut by the kill (8 of 5 events) are archived and not delivered.
    assert set(queued) <= set(archived)
    assert len(archived) - len(queued) <= 40


def test_eventbridge_archives_and_replays_survive_a_restart(server):
    import datetime as dt
    s = server()
    events = make_client(s.url, "events")
    bus = events.create_event_bus(Name="shop")["EventBusArn"]
    arn = events.create_archive(ArchiveName="orders", EventSourceArn=bus, Description="d",
                                EventPattern=json.dumps({"source": ["shop"]}),
                                RetentionDays=7)["ArchiveArn"]
    events.create_archive(ArchiveName="gone", EventSourceArn=bus)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    for n in range(5):
        events.put_events(Entries=[{"EventBusName": "shop", "Source": "shop", "DetailType": "t",
                                    "Detail": json.dumps({"n": n})}])
    events.put_events(Entries=[{"EventBusName": "shop", "Source": "other", "DetailType": "t",
                                "Detail": "{}"}])
    # A deleted archive's events do not come back in a new one of the same name.
    events.delete_archive(ArchiveName="gone")
    events.create_archive(ArchiveName="gone", EventSourceArn=bus)
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    events.start_replay(ReplayName="before", EventSourceArn=arn, EventStartTime=start,
                        EventEndTime=end, Destination={"Arn": bus})
    deadline = time.monotonic() + 30
    while events.describe_replay(ReplayName="before")["State"] != "COMPLETED":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    before = events.describe_replay(ReplayName="before")
    managed = events.describe_rule(Name="Events-Archive-orders", EventBusName="shop")
    s.kill()

    s.start()
    events = make_client(s.url, "events")
    a = events.describe_archive(ArchiveName="orders")
    assert (a["ArchiveArn"], a["Description"], a["RetentionDays"], a["EventCount"]) == (
        arn, "d", 7, 5)
    assert json.loads(a["EventPattern"]) == {"source": ["shop"]}
    assert events.describe_archive(ArchiveName="gone")["EventCount"] == 0
    assert events.describe_rule(Name="Events-Archive-orders", EventBusName="shop")[
        "EventPattern"] == managed["EventPattern"]
    after = events.describe_replay(ReplayName="before")
    for key in ("ReplayArn", "State", "EventStartTime", "EventEndTime", "EventLastReplayedTime",
                "ReplayStartTime", "ReplayEndTime", "EventSourceArn"):
        assert after[key] == before[key], key
    # The archive's rule still archives; the restored events replay.
    events.put_events(Entries=[{"EventBusName": "shop", "Source": "shop", "DetailType": "t",
                                "Detail": json.dumps({"n": 5})}])
    assert events.describe_archive(ArchiveName="orders")["EventCount"] == 6
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    got = replayed_into(s, "orders", "shop", "replayed", "shop-replayed", start, end)
    assert sorted(got) == [0, 1, 2, 3, 4, 5]


def admin_post(s, path, token="persist-admin"):
    req = urllib.request.Request(s.url + path, method="POST",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def test_admin_resets_and_managed_rules_are_journaled(server):
    """Admin calls that change state are durable before they answer: a reset is not undone by
    a restart (nothing of what it dropped comes back), a managed rule made through the admin
    API is kept, and the per-service LocalStack reset drops only its service."""
    import boto3
    s = server("--admin-token", "persist-admin")
    sqs = s.client()
    sns = make_client(s.url, "sns")
    events = make_client(s.url, "events")
    sts = make_client(s.url, "sts")

    def populate(tag):
        url = sqs.create_queue(QueueName=f"q-{tag}")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m")
        sns.create_topic(Name=f"t-{tag}")
        bus = events.create_event_bus(Name=f"b-{tag}")["EventBusArn"]
        events.put_rule(Name=f"r-{tag}", EventBusName=f"b-{tag}",
                        EventPattern=json.dumps({"source": ["x"]}))
        events.create_archive(ArchiveName=f"a-{tag}", EventSourceArn=bus)
        events.put_events(Entries=[{"EventBusName": f"b-{tag}", "Source": "x",
                                    "DetailType": "t", "Detail": "{}"}])
        return sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/r",
                               RoleSessionName=tag)["Credentials"]

    creds = populate("one")
    assert admin_post(s, "/_ferrybridge/reset")["reset"]["services"]
    s.kill()
    s.start()
    sqs, sns, events = s.client(), make_client(s.url, "sns"), make_client(s.url, "events")
    assert sqs.list_queues().get("QueueUrls", []) == []
    assert sns.list_topics()["Topics"] == []
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    assert events.list_archives()["Archives"] == []
    who = boto3.client("sts", endpoint_url=s.url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"]).get_caller_identity()
    assert ":assumed-role/" not in who["Arn"], who["Arn"]

    # A managed rule (admin API) survives; a LocalStack per-service reset drops its service only.
    sts = make_client(s.url, "sts")
    populate("two")
    rule = admin_post(s, "/_ferrybridge/events/managed-rules?name=managed&managedBy=svc.amazonaws.com"
                         "&eventPattern=" + urllib.parse.quote(json.dumps({"source": ["y"]})))
    admin_post(s, "/_localstack/state/sns/reset")
    s.kill()
    s.start()
    sqs, sns, events = s.client(), make_client(s.url, "sns"), make_client(s.url, "events")
    assert sns.list_topics()["Topics"] == []
    assert len(sqs.list_queues()["QueueUrls"]) == 1
    managed = events.describe_rule(Name="managed")
    assert (managed["Arn"], managed["ManagedBy"]) == (rule["ruleArn"], "svc.amazonaws.com")
    assert events.describe_archive(ArchiveName="a-two")["EventCount"] == 1
    admin_post(s, "/_localstack/state/events/reset")
    s.kill()
    s.start()
    events = make_client(s.url, "events")
    assert events.list_rules()["Rules"] == []
    assert events.list_archives()["Archives"] == []
    assert len(s.client().list_queues()["QueueUrls"]) == 1


def test_state_document_carries_sns_and_eventbridge_through_the_cli(server, tmp_path):
    """`state export`/`import` cover topics with subscriptions, buses with rules and targets,
    and archives: offline on a data directory and through --endpoint on a running server (with
    the admin token); an invalid document applies nothing."""
    token = "persist-admin"
    s = server("--admin-token", token)
    sqs, sns, events = s.client(), make_client(s.url, "sns"), make_client(s.url, "events")
    url = sqs.create_queue(QueueName="doc-q")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="doc-topic", Attributes={"DisplayName": "Doc"},
                             Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={
        "RawMessageDelivery": "true", "FilterPolicy": json.dumps({"k": ["v"]})})
    # Legacy botocore has no bus Description (see test_eventbridge_buses_rules_and_targets_survive_a_restart).
    bus_args = {"Name": "doc-bus", "Tags": [{"Key": "t", "Value": "1"}]}
    if "Description" in events.meta.service_model.operation_model("CreateEventBus").input_shape.members:
        bus_args["Description"] = "the bus"
    bus = events.create_event_bus(**bus_args)["EventBusArn"]
    events.put_rule(Name="doc-rule", EventBusName="doc-bus", State="DISABLED",
                    EventPattern=json.dumps({"source": ["doc"]}), Description="r")
    events.put_targets(Rule="doc-rule", EventBusName="doc-bus", Targets=[
        {"Id": "q", "Arn": qarn, "InputPath": "$.detail"}])
    events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")
    events.create_archive(ArchiveName="doc-archive", EventSourceArn=bus, RetentionDays=3)

    def cli(*args, check=True):
        r = subprocess.run([BINARY, "state", *args], capture_output=True, timeout=60,
                           env={**os.environ, "FERRYBRIDGE_ADMIN_TOKEN": token})
        assert not check or r.returncode == 0, r.stderr.decode()
        return r

    # Through the running server's admin API: the token is required.
    refused = subprocess.run([BINARY, "state", "export", "--endpoint", s.url],
                             capture_output=True, timeout=60,
                             env={k: v for k, v in os.environ.items()
                                  if k != "FERRYBRIDGE_ADMIN_TOKEN"})
    assert refused.returncode != 0 and b"401" in refused.stderr, refused.stderr
    doc = json.loads(cli("export", "--endpoint", s.url, "--no-messages").stdout)
    assert doc["version"] == 2
    [t] = doc["sns"]["topics"]
    assert (t["name"], t["attributes"]["DisplayName"], t["tags"]) == ("doc-topic", "Doc", {"team": "a"})
    [sub] = t["subscriptions"]
    assert sub["protocol"] == "sqs" and sub["attributes"]["RawMessageDelivery"] == "true"
    [b] = [b for b in doc["events"]["buses"] if b["name"] == "doc-bus"]
    [rule] = b["rules"]
    assert (rule["state"], rule["targets"][0]["InputPath"]) == ("DISABLED", "$.detail")
    assert [a["name"] for a in doc["events"]["archives"]] == ["doc-archive"]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))

    # Into a new data directory offline, then into another running server.
    cli("import", str(path), "--data-dir", str(tmp_path / "offline"))
    t2 = server("--admin-token", token, data_dir=tmp_path / "online")
    out = cli("import", str(path), "--endpoint", t2.url)
    assert b"topics" in out.stderr
    for target, restart in ((server(data_dir=tmp_path / "offline"), False), (t2, True)):
        if restart:  # the import through the endpoint was journaled
            target.kill()
            target.start()
        sns2, events2 = make_client(target.url, "sns"), make_client(target.url, "events")
        [t] = sns2.list_topics()["Topics"]
        assert sns2.get_topic_attributes(TopicArn=t["TopicArn"])["Attributes"]["DisplayName"] == "Doc"
        [sub] = sns2.list_subscriptions_by_topic(TopicArn=t["TopicArn"])["Subscriptions"]
        attrs = sns2.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
        assert json.loads(attrs["FilterPolicy"]) == {"k": ["v"]}
        r = events2.describe_rule(Name="doc-rule", EventBusName="doc-bus")
        assert (r["State"], r["Description"]) == ("DISABLED", "r")
        assert events2.list_targets_by_rule(Rule="doc-rule", EventBusName="doc-bus")[
            "Targets"][0]["Arn"] == qarn
        assert events2.describe_rule(Name="tick")["ScheduleExpression"] == "rate(5 minutes)"
        assert events2.describe_archive(ArchiveName="doc-archive")["RetentionDays"] == 3
        assert events2.describe_event_bus(Name="doc-bus").get("Description") == bus_args.get("Description")
        target.kill()

    # --state-file at every start: what exists is kept, nothing is doubled.
    for _ in range(2):
        u = server("--state-file", str(path), data_dir=tmp_path / "started")
        sns3, events3 = make_client(u.url, "sns"), make_client(u.url, "events")
        [t] = sns3.list_topics()["Topics"]
        assert len(sns3.list_subscriptions_by_topic(TopicArn=t["TopicArn"])["Subscriptions"]) == 1
        assert len(events3.list_targets_by_rule(Rule="doc-rule", EventBusName="doc-bus")["Targets"]) == 1
        u.kill()

    # A version 1 document (SQS only) is still read.
    v1 = {"format": "ferrybridge-state", "version": 1, "sqs": {"queues": [
        {"accountId": "000000000000", "region": "us-east-1", "name": "from-v1", "attributes": {}}]}}
    (tmp_path / "v1.json").write_text(json.dumps(v1))
    cli("import", str(tmp_path / "v1.json"), "--endpoint", s.url)
    assert any(u.endswith("/from-v1") for u in sqs.list_queues()["QueueUrls"])

    # An invalid document (a bad rule pattern after a good topic) applies nothing.
    bad = json.loads(json.dumps(doc))
    bad["sns"]["topics"][0]["name"] = "fresh-topic"
    bad["events"]["buses"][0]["rules"] = [{"name": "broken", "eventPattern": "{not json"}]
    bad["events"]["buses"][0]["name"] = "fresh-bus"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    r = cli("import", str(tmp_path / "bad.json"), "--endpoint", s.url, check=False)
    assert r.returncode != 0 and b"broken" in r.stderr, r.stderr
    names = [x["TopicArn"].rsplit(":", 1)[1] for x in sns.list_topics()["Topics"]]
    assert names == ["doc-topic"]
    assert "fresh-bus" not in [x["Name"] for x in events.list_event_buses()["EventBuses"]]


def test_sns_fifo_deduplication_ids_survive_a_restart(server):
    """A duplicate published within five minutes after a restart is recognised: the same
    MessageId and sequence number as the original, and no second delivery."""
    s = server()
    sns, sqs = make_client(s.url, "sns"), s.client()
    url = sqs.create_queue(QueueName="dedup.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="dedup.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=topic, Message="one", MessageGroupId="g",
                        MessageDeduplicationId="d-1")
    s.kill()
    s.start()
    sns, sqs = make_client(s.url, "sns"), s.client()
    again = sns.publish(TopicArn=topic, Message="one again", MessageGroupId="g",
                        MessageDeduplicationId="d-1")
    assert (again["MessageId"], again["SequenceNumber"]) == (first["MessageId"], first["SequenceNumber"])
    fresh = sns.publish(TopicArn=topic, Message="two", MessageGroupId="g",
                        MessageDeduplicationId="d-2")
    assert int(fresh["SequenceNumber"]) > int(first["SequenceNumber"])
    bodies = [m["Body"] for m in drain(sqs, url, fifo=True)]
    assert bodies == ["one", "two"]


def test_sqs_message_move_task_resumes_at_its_rate_after_a_restart(server):
    """A move task running at the kill goes on after the restart, at its rate counted from the
    restart, and moves every message back (a message moved just before the kill may be moved
    twice: at least once, never lost); a finished task keeps its status."""
    from test_sqs_redrive import dead_lettered
    s = server()
    sqs = s.client()
    src, src_arn, dlq, dlq_arn = dead_lettered(sqs, 12, prefix="mv")
    handle = sqs.start_message_move_task(SourceArn=dlq_arn,
                                         MaxNumberOfMessagesPerSecond=4)["TaskHandle"]
    time.sleep(1.1)
    s.kill()
    s.start()
    sqs = s.client()
    restarted = time.monotonic()
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["TaskHandle"] == handle and task["Status"] == "RUNNING", task
    moved_before = task["ApproximateNumberOfMessagesMoved"]
    assert 1 <= moved_before < 12, task
    deadline = time.monotonic() + 20
    while (task := sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0])["Status"] == "RUNNING":
        assert time.monotonic() < deadline, task
        time.sleep(0.1)
    took = time.monotonic() - restarted
    assert task["Status"] == "COMPLETED", task
    # The rest went at 4 per second from the restart: not all at once.
    assert took >= (12 - moved_before - 1) / 4 - 0.3, took
    bodies = [m["Body"] for m in drain(sqs, src)]
    assert set(bodies) == {f"message {i}" for i in range(12)}
    assert len(bodies) <= 13
    s.kill()
    s.start()
    [task] = s.client().list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED"
