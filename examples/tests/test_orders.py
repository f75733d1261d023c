"""The test suite the CI recipes run: plain boto3, configured only by the environment."""

import boto3


def test_send_and_receive():
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ci-orders")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="order 1")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [m["Body"] for m in messages] == ["order 1"]


def test_topic_fans_out_to_queue():
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName="ci-fanout")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="ci-orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="shipped")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert messages[0]["Body"] == "shipped"
