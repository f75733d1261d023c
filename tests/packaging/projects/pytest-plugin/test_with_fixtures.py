"""A user's test suite with the ferrybridge wheel's pytest plugin: no set-up code at all."""

import os

import boto3


def test_plain_boto3_client_reaches_the_emulator(ferrybridge):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url == f"{ferrybridge.endpoint}/{ferrybridge.account_id}/orders"
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hello"


def test_each_test_starts_clean(ferrybridge):
    # The queue of the test above is not visible: this test has an account of its own.
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert ferrybridge.account_id.isdigit() and len(ferrybridge.account_id) == 12


def test_session_environment(ferrybridge_server):
    assert os.environ["AWS_ENDPOINT_URL"] == ferrybridge_server.endpoint
    assert os.environ["AWS_DEFAULT_REGION"] == os.environ["AWS_REGION"] == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"] and os.environ["AWS_SECRET_ACCESS_KEY"]
    sns = boto3.client("sns")
    assert sns.create_topic(Name="t")["TopicArn"] == "arn:aws:sns:us-east-1:000000000000:t"


def test_client_helper_and_events(ferrybridge):
    events = ferrybridge.client("events")
    arn = events.create_event_bus(Name="orders")["EventBusArn"]
    assert arn == f"arn:aws:events:us-east-1:{ferrybridge.account_id}:event-bus/orders"


def test_same_process_for_the_session(ferrybridge, ferrybridge_server):
    pid_file = os.environ.get("PID_FILE")
    if pid_file:
        with open(pid_file, "a") as f:
            f.write(f"{ferrybridge_server.process.pid}\n")
    assert ferrybridge.server is ferrybridge_server
