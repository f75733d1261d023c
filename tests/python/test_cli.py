"""The AWS CLI from PyPI (its protocol follows its botocore: JSON now, Query for 1.29.62)."""

import json
import os
import subprocess
import uuid


def aws(endpoint, *args):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
    }
    out = subprocess.run(
        ["aws", "--endpoint-url", endpoint, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out


def test_cli_create_send_receive(endpoint):
    name = "cli-" + uuid.uuid4().hex[:6]
    created = aws(endpoint, "sqs", "create-queue", "--queue-name", name)
    assert created.returncode == 0, created.stderr
    url = json.loads(created.stdout)["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    sent = aws(endpoint, "sqs", "send-message", "--queue-url", url, "--message-body", "hi")
    assert sent.returncode == 0, sent.stderr
    got = aws(endpoint, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "5")
    assert got.returncode == 0, got.stderr
    messages = json.loads(got.stdout)["Messages"]
    assert messages[0]["Body"] == "hi"
    assert messages[0]["MessageId"] == json.loads(sent.stdout)["MessageId"]


def test_cli_error(endpoint):
    out = aws(endpoint, "sqs", "get-queue-url", "--queue-name", "no-such-queue-cli")
    assert out.returncode != 0
    assert "AWS.SimpleQueueService.NonExistentQueue" in out.stderr
