"""HTTPS: the port also speaks TLS with a certificate from a local CA kept in --ca-dir.

boto3 over https with verify=<ca.pem> for SQS, SNS and EventBridge; plain HTTP keeps working
on the same port; `ferrybridge ca print` prints the CA that signed the served certificate; a
restart reuses the CA; --https-port is TLS only; SNS envelopes name an https SigningCertURL
that serves the signing certificate over TLS.

Each test starts its own ferrybridge binary (from $FERRYBRIDGE_BIN)."""

import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import ROOT, _free_port, make_client

BINARY = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))


def start(*flags):
    port = _free_port()
    proc = subprocess.Popen(
        [BINARY, "--port", str(port), "--log-level", "warn", *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_ferrybridge/health", timeout=1):
                return proc, port
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)


@pytest.fixture
def server():
    started = []

    def run(*flags):
        proc, port = start(*flags)
        started.append(proc)
        return proc, port

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def ca_dir(tmp_path):
    return tmp_path / "ca"


def ca_print(ca_dir):
    return subprocess.run(
        [BINARY, "ca", "print", "--ca-dir", str(ca_dir)], check=True, capture_output=True, text=True
    ).stdout


def get_https(url, cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    with urllib.request.urlopen(url, context=ctx, timeout=5) as resp:
        return resp.read().decode()


def test_boto3_over_https_with_the_local_ca(server, ca_dir, tmp_path):
    _, port = server("--ca-dir", str(ca_dir))
    ca = tmp_path / "printed-ca.pem"
    ca.write_text(ca_print(ca_dir))
    https = f"https://localhost:{port}"

    def client(service):
        return make_client_verified(https, service, str(ca))

    sqs = client("sqs")
    url = sqs.create_queue(QueueName="tls-" + uuid.uuid4().hex[:8])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="over tls")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["over tls"]

    sns = client("sns")
    topic = sns.create_topic(Name="tls-topic")["TopicArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message="fan-out over tls")
    envelope = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    assert envelope["Message"] == "fan-out over tls"
    # AWS's validators require https; the certificate is served over TLS at that URL.
    cert_url = envelope["SigningCertURL"]
    assert cert_url.startswith(f"https://localhost:{port}/"), cert_url
    assert get_https(cert_url, ca).startswith("-----BEGIN CERTIFICATE-----")

    events = client("events")
    sqs.purge_queue(QueueUrl=url)
    events.put_rule(Name="tls-rule", EventPattern=json.dumps({"source": ["tls.test"]}))
    events.put_targets(Rule="tls-rule", Targets=[{"Id": "q", "Arn": queue_arn}])
    out = events.put_events(
        Entries=[{"Source": "tls.test", "DetailType": "t", "Detail": json.dumps({"a": 1})}]
    )
    assert out["FailedEntryCount"] == 0
    event = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    assert event["source"] == "tls.test"

    # Plain HTTP on the same port keeps working.
    plain = make_client(f"http://127.0.0.1:{port}", "sqs")
    name = url.rsplit("/", 1)[1]
    assert [u.rsplit("/", 1)[1] for u in plain.list_queues()["QueueUrls"]] == [name]


def make_client_verified(endpoint, service, cafile):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        verify=cafile,
    )


def test_an_untrusted_ca_is_refused(server, ca_dir, tmp_path):
    """The check can fail: another CA's certificate does not verify the served one."""
    _, port = server("--ca-dir", str(ca_dir))
    other = tmp_path / "other"
    other_ca = tmp_path / "other.pem"
    other_ca.write_text(ca_print(other))
    with pytest.raises(urllib.error.URLError) as err:
        get_https(f"https://localhost:{port}/_ferrybridge/health", other_ca)
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value)


def test_ca_print_is_the_signing_ca_and_a_restart_reuses_it(server, ca_dir, tmp_path):
    proc, port = server("--ca-dir", str(ca_dir))
    printed = ca_print(ca_dir)
    assert printed == (ca_dir / "ca.pem").read_text()
    assert oct((ca_dir / "ca.pem").stat().st_mode & 0o777) == "0o600"
    assert oct((ca_dir / "ca-key.pem").stat().st_mode & 0o777) == "0o600"
    ca = tmp_path / "ca.pem"
    ca.write_text(printed)
    health = json.loads(get_https(f"https://localhost:{port}/_ferrybridge/health", ca))
    assert health["status"] == "running"
    # The served chain verifies with the printed CA, and its leaf names what the clients use.
    ctx = ssl.create_default_context(cafile=str(ca))
    for host in ["localhost", "127.0.0.1", "sqs.us-east-1.localhost"]:
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
    proc.terminate()
    assert proc.wait(timeout=10) == 0

    _, port = server("--ca-dir", str(ca_dir))
    assert ca_print(ca_dir) == printed, "a restart reuses the CA"
    assert json.loads(get_https(f"https://localhost:{port}/_ferrybridge/health", ca))["status"] == "running"


def test_https_port_is_tls_only(server, ca_dir, tmp_path):
    https_port = _free_port()
    _, port = server("--ca-dir", str(ca_dir), "--https-port", str(https_port))
    ca = tmp_path / "ca.pem"
    ca.write_text(ca_print(ca_dir))
    assert json.loads(get_https(f"https://localhost:{https_port}/_ferrybridge/health", ca))["status"] == "running"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{https_port}/_ferrybridge/health", timeout=5).read()
    # SNS links name the TLS-only port for the signing certificate.
    sqs = make_client(f"http://localhost:{port}", "sqs")
    sns = make_client(f"http://localhost:{port}", "sns")
    url = sqs.create_queue(QueueName="tls-port")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="tls-port")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="m")
    envelope = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    assert envelope["SigningCertURL"].startswith(f"https://localhost:{https_port}/")
    assert get_https(envelope["SigningCertURL"], ca).startswith("-----BEGIN CERTIFICATE-----")


def test_no_https_keeps_plain_http_and_http_cert_urls(server, ca_dir):
    _, port = server("--no-https", "--ca-dir", str(ca_dir))
    assert not ca_dir.exists(), "--no-https makes no CA"
    sqs = make_client(f"http://localhost:{port}", "sqs")
    sns = make_client(f"http://localhost:{port}", "sns")
    url = sqs.create_queue(QueueName="no-tls")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="no-tls")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="m")
    envelope = json.loads(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]["Body"])
    assert envelope["SigningCertURL"].startswith(f"http://localhost:{port}/")
