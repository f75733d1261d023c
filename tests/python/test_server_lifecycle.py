"""The process around the services: slow clients are dropped, and a stop is quick even with
long polls parked (docker stop gives 10 s, CI teardowns less).

Each test starts its own ferrybridge binary (from $FERRYBRIDGE_BIN) so it can stop it."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT, _free_port, make_client


def start(*flags):
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--log-level", "warn", *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url + "/_ferrybridge/health", timeout=1):
                return proc, port, url
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)


@pytest.fixture
def server():
    started = []

    def run(*flags):
        proc, port, url = start(*flags)
        started.append(proc)
        return proc, port, url

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_client_that_sends_half_a_request_head_is_dropped(server):
    _, port, url = server("--header-timeout", "1")
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: appli")
    slow.settimeout(10)
    started = time.monotonic()
    # Whatever hyper answers first (nothing, or a 408), the server closes the connection.
    while slow.recv(65536):
        pass
    assert time.monotonic() - started < 5
    slow.close()
    # An idle keep-alive connection is closed the same way; the server still serves others.
    idle = socket.create_connection(("127.0.0.1", port))
    idle.settimeout(10)
    started = time.monotonic()
    assert idle.recv(65536) == b""
    assert time.monotonic() - started < 5
    # And so is a keep-alive connection left idle after a request.
    kept = socket.create_connection(("127.0.0.1", port))
    kept.settimeout(10)
    kept.sendall(b"GET /_ferrybridge/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    while kept.recv(65536):
        pass
    assert time.monotonic() - started < 5
    sqs = make_client(url)
    assert "QueueUrl" in sqs.create_queue(QueueName="after-slowloris")


def receive_request(port, queue_url, wait=20):
    body = json.dumps({"QueueUrl": queue_url, "WaitTimeSeconds": wait}).encode()
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        "X-Amz-Target: AmazonSQS.ReceiveMessage\r\n"
        "X-Amz-Date: 20260101T000000Z\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_until_closed(sock):
    """Everything the server sends until it closes the connection, and how long that took."""
    sock.settimeout(10)
    started = time.monotonic()
    raw = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return raw, time.monotonic() - started
        raw += chunk


def test_idle_http2_and_half_sent_preface_connections_are_closed_long_polls_are_not(server):
    _, port, url = server("--header-timeout", "1")
    # HTTP/2 by prior knowledge: the preface and an empty SETTINGS frame, then no stream. hyper
    # has no idle timeout of its own for HTTP/2: without the server's, this stays open.
    h2 = socket.create_connection(("127.0.0.1", port))
    h2.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
    raw, took = read_until_closed(h2)
    assert raw[3] == 4, "the server answered with its SETTINGS frame"
    assert 0.5 < took < 5, took
    # A few bytes of the HTTP/2 preface, then nothing (hyper waits for the rest).
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"PRI * HT")
    raw, took = read_until_closed(half)
    assert took < 5, took
    # A long poll longer than the timeout: a request in flight is not idle.
    queue_url = make_client(url).create_queue(QueueName="idle-long-poll")["QueueUrl"]
    poll = socket.create_connection(("127.0.0.1", port))
    poll.sendall(receive_request(port, queue_url, wait=3))
    poll.settimeout(10)
    started = time.monotonic()
    answer = poll.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert time.monotonic() - started > 2.5
    poll.close()


def test_sigterm_with_a_thousand_parked_long_polls_exits_within_two_seconds(server):
    proc, port, url = server()
    queue_url = make_client(url).create_queue(QueueName="parked")["QueueUrl"]
    polls = []
    for _ in range(1000):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(receive_request(port, queue_url))
        polls.append(s)
    # Every poll is parked: nothing answered yet.
    time.sleep(0.5)
    for s in polls[:10]:
        s.setblocking(False)
        with pytest.raises(BlockingIOError):
            s.recv(1)
        s.setblocking(True)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    elapsed = time.monotonic() - started
    print(f"shutdown with 1000 parked polls: {elapsed:.3f} s")
    assert elapsed < 2.0, f"shutdown took {elapsed:.2f} s"
    # Each poll was answered as a poll whose wait ended: 200 with no messages.
    answered = 0
    for s in polls:
        s.settimeout(5)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
        s.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), raw[:200]
        assert json.loads(body) == {}
        answered += 1
    assert answered == 1000


def test_a_second_signal_exits_at_once(server):
    proc, port, url = server()
    queue_url = make_client(url).create_queue(QueueName="held")["QueueUrl"]
    # A request that never finishes sending its body holds the graceful shutdown's grace time.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(receive_request(port, queue_url)[:-5])
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=10)
    assert time.monotonic() - started < 1.0
    assert code in (0, 130)
    s.close()
