"""Start one ferrybridge binary for the session and hand out real boto3 clients.

The binary comes from $FERRYBRIDGE_BIN (scripts/test builds it); the suite runs once with
current boto3/awscli (SQS over AWS JSON 1.0) and once with boto3 1.28.62/awscli 1.29.62 (SQS
over the Query protocol): `PROTOCOL` tells a test which one it is exercising.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import botocore
import pytest

ROOT = Path(__file__).resolve().parents[2]

# The emulators the tests start serve HTTPS too, with a local CA made on first start: keep it in
# a directory of this run (servers and `ferrybridge ca print` read the variable), not in $HOME.
os.environ.setdefault("FERRYBRIDGE_CA_DIR", tempfile.mkdtemp(prefix="ferrybridge-ca-"))

#: The admin token of the session's emulator (passed as --admin-token): admin endpoints other
#: than health need it.
ADMIN_TOKEN = "test-" + uuid.uuid4().hex


def admin_request(url, method=None, token=None):
    """A urllib Request for an admin endpoint (``/_ferrybridge/...``) carrying the admin token."""
    return urllib.request.Request(
        url, method=method, headers={"Authorization": f"Bearer {token or ADMIN_TOKEN}"}
    )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint():
    binary = os.environ.get("FERRYBRIDGE_BIN", str(ROOT / "target" / "release" / "ferrybridge"))
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--log-level", "warn", "--admin-token", ADMIN_TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url + "/_ferrybridge/health", timeout=1) as resp:
                assert json.load(resp)["services"]["sqs"] == "running"
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ferrybridge did not start: " + proc.stderr.read().decode())
            time.sleep(0.02)
    yield url
    proc.terminate()
    assert proc.wait(timeout=30) == 0, "ferrybridge must shut down cleanly on SIGTERM"


def make_client(endpoint, service="sqs", access_key="test", region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
    )


@pytest.fixture
def sqs(endpoint):
    return make_client(endpoint)


@pytest.fixture
def queue(sqs):
    """A fresh queue with a unique name; its URL."""
    return sqs.create_queue(QueueName="q-" + uuid.uuid4().hex[:12])["QueueUrl"]


#: "json" for current botocore, "query" for botocore 1.31.62 and older.
PROTOCOL = botocore.session.get_session().get_service_model("sqs").metadata["protocol"]
