"""ferrybridge_clean_state = reset: the emulator is reset before each test where it has
POST /_ferrybridge/reset, and each test gets a fresh account where it has not."""

import boto3


def test_first_leaves_a_queue(ferrybridge):
    boto3.client("sqs").create_queue(QueueName="left-over")
    assert ferrybridge.reset_done == ferrybridge.server.reset_supported


def test_second_sees_none(ferrybridge):
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    if ferrybridge.reset_done:
        assert ferrybridge.account_id == "000000000000"
    else:
        assert ferrybridge.access_key_id == ferrybridge.account_id != "000000000000"
