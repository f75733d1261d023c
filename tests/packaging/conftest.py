"""Shared helpers of the packaging tests: each artefact of scripts/dist is installed and run as a
user would (run by scripts/test-packaging after `scripts/dist`)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path

import shutil

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
# chroot's own path: the processes run with the bare environment of an image (no PATH).
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


def version() -> str:
    return re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}")
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on {port} after {timeout} s")
            time.sleep(0.02)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sqs_round_trip(endpoint: str, queue: str = "packaging") -> None:
    """A real SDK call through the emulator: create, send, receive."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    assert url == f"{endpoint}/000000000000/{queue}"
    sqs.send_message(QueueUrl=url, MessageBody="from outside")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [m["Body"] for m in messages] == ["from outside"]


@pytest.fixture(scope="session")
def binary() -> Path:
    path = DIST / "ferrybridge"
    assert os.access(path, os.X_OK), "run scripts/dist binary first"
    return path


# projects/ holds the small user projects the tests install the artefacts into and run.
collect_ignore = ["projects"]
