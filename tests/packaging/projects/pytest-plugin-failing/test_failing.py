"""A failing test: the report shows the emulator's log, and the emulator still stops."""

import os

import boto3


def test_fails_with_the_emulator_log(ferrybridge, ferrybridge_server):
    with open(os.environ["PID_FILE"], "w") as f:
        f.write(str(ferrybridge_server.process.pid))
    sqs = boto3.client("sqs")
    try:
        sqs.get_queue_url(QueueName="missing-queue-for-the-log")
    except sqs.exceptions.QueueDoesNotExist:
        pass
    assert False, "this test fails on purpose"
