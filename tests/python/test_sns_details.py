"""SNS details recorded on AWS (issue 15, items 9-13), through boto3 in both venvs. Most expected
texts come from LocalStack's AWS-validated snapshot tests/aws/services/sns/test_sns.snapshot.json
(named per test below)."""

import base64
import hashlib
import json
import time
import urllib.parse
import urllib.request

import pytest

from conftest import admin_request, make_client
from test_sns import error_of, http_endpoint, make_queue, next_post, receive, unique  # noqa: F401

ACCOUNT = "000000000000"


@pytest.fixture
def sns(endpoint):
    return make_client(endpoint, "sns")


def test_subscription_principal(sns, sqs):
    # source: snapshot test_create_subscriptions_with_attributes ("SubscriptionPrincipal":
    # "arn:aws:iam::111111111111:user/..."): the identity that called Subscribe, as STS
    # GetCallerIdentity names it: long-term keys are the account root.
    topic = sns.create_topic(Name=unique("p"))["TopicArn"]
    _, queue_arn = make_queue(sqs)
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["SubscriptionPrincipal"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert attrs["Owner"] == ACCOUNT
    # Another account's subscription names its own principal.
    other = make_client(sns.meta.endpoint_url, "sns", access_key="111122223333")
    other_topic = other.create_topic(Name=unique("p"))["TopicArn"]
    other_arn = other.subscribe(TopicArn=other_topic, Protocol="sms", Endpoint="+15550100")["SubscriptionArn"]
    assert other.get_subscription_attributes(SubscriptionArn=other_arn)["Attributes"][
        "SubscriptionPrincipal"] == "arn:aws:iam::111122223333:root"
    # Credentials of an assumed role subscribe as that role's session.
    sts = make_client(sns.meta.endpoint_url, "sts")
    assumed = sts.assume_role(
        RoleArn="arn:aws:iam::444455556666:role/subscriber", RoleSessionName="ci"
    )
    creds = assumed["Credentials"]
    import boto3

    role_sns = boto3.client(
        "sns",
        endpoint_url=sns.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    role_topic = role_sns.create_topic(Name=unique("p"))["TopicArn"]
    assert role_topic.startswith("arn:aws:sns:us-east-1:444455556666:")
    role_arn = role_sns.subscribe(TopicArn=role_topic, Protocol="sms", Endpoint="+15550101")[
        "SubscriptionArn"]
    role_attrs = role_sns.get_subscription_attributes(SubscriptionArn=role_arn)["Attributes"]
    assert role_attrs["SubscriptionPrincipal"] == assumed["AssumedRoleUser"]["Arn"]
    assert role_attrs["SubscriptionPrincipal"] == "arn:aws:sts::444455556666:assumed-role/subscriber/ci"


def test_several_http_subscriptions_confirm_and_unsubscribe_each(sns, http_endpoint):  # noqa: F811
    # source: snapshot test_http_subscription_response ("pending confirmation", then the ARN with
    # ReturnSubscriptionArn) and test_subscribe_external_http_endpoint (ConfirmSubscription
    # answers the subscription's ARN); LocalStack's test_multiple_subscriptions_http_endpoint
    # (PendingConfirmation "true" until confirmed, "false" after, per subscription).
    topic = sns.create_topic(Name=unique("hooks"))["TopicArn"]
    base = f"http://127.0.0.1:{http_endpoint.server_port}"
    arns, tokens = [], {}
    for i in range(3):
        out = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{base}/hook{i}",
                            ReturnSubscriptionArn=True)
        arns.append(out["SubscriptionArn"])
    for _ in arns:
        _, body = next_post(http_endpoint, "SubscriptionConfirmation")
        message = json.loads(body)
        tokens[message["Token"]] = message
    assert len(tokens) == 3
    for arn in arns:
        assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"] * 3
    confirmed = {sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] for token in tokens}
    assert confirmed == set(arns)
    for arn in arns:
        attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        assert attrs["PendingConfirmation"] == "false"
        assert attrs["ConfirmationWasAuthenticated"] == "true"
    # Each one can be unsubscribed on its own; the others stay.
    for i, arn in enumerate(arns):
        sns.unsubscribe(SubscriptionArn=arn)
        left = {s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
        assert left == set(arns[i + 1:])
        assert error_of(sns.get_subscription_attributes, SubscriptionArn=arn) == (
            "NotFound", "Subscription does not exist")


def confirmed_http_subscription(sns, server, topic, path, **attributes):
    url = f"http://127.0.0.1:{server.server_port}{path}"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url, Attributes=attributes)
    _, body = next_post(server, "SubscriptionConfirmation")
    return sns.confirm_subscription(TopicArn=topic, Token=json.loads(body)["Token"])["SubscriptionArn"]


def test_delivery_policy_header_content_type_is_honoured_and_validated(sns, http_endpoint):  # noqa: F811
    # source: snapshot test_subscribe_external_http_endpoint_content_type: a subscription's
    # requestPolicy.headerContentType (text/csv) and a topic's defaultRequestPolicy
    # (application/json) are the notifications' Content-Type; confirmations stay text/plain.
    topic = sns.create_topic(Name=unique("csv"))["TopicArn"]
    policy = {"healthyRetryPolicy": None, "sicklyRetryPolicy": None, "throttlePolicy": None,
              "requestPolicy": {"headerContentType": "text/csv"}, "guaranteed": False}
    confirmed_http_subscription(sns, http_endpoint, topic, "/csv", RawMessageDelivery="true",
                                DeliveryPolicy=json.dumps(policy))
    sns.publish(TopicArn=topic, Message="a,b,c")
    headers, body = next_post(http_endpoint, "Notification")
    assert headers["content-type"] == "text/csv"
    assert headers["x-amz-sns-rawdelivery"] == "true"
    assert body == "a,b,c"

    topic = sns.create_topic(Name=unique("json"), Attributes={"DeliveryPolicy": json.dumps(
        {"http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}})})["TopicArn"]
    confirmed_http_subscription(sns, http_endpoint, topic, "/json")
    sns.publish(TopicArn=topic, Message="hello")
    headers, body = next_post(http_endpoint, "Notification")
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["Message"] == "hello"

    code, message = error_of(sns.subscribe, TopicArn=topic, Protocol="http",
                             Endpoint=f"http://127.0.0.1:{http_endpoint.server_port}/bad",
                             Attributes={"DeliveryPolicy": json.dumps(
                                 {"requestPolicy": {"headerContentType": "no content type"}})})
    assert code == "InvalidParameter"
    assert "headerContentType" in message and "no content type" in message


def test_failing_http_endpoint_dead_letters_to_the_redrive_policy_queue(sns, sqs, http_endpoint):  # noqa: F811
    # source: AWS's SNS developer guide (sns-dead-letter-queues): a message that cannot be
    # delivered after the retries of the delivery policy goes to the subscription's DLQ;
    # LocalStack's test_redrive_policy_http_subscription checks it through a failing endpoint.
    topic = sns.create_topic(Name=unique("flaky"))["TopicArn"]
    dlq_url, dlq_arn = make_queue(sqs)
    arn = confirmed_http_subscription(
        sns, http_endpoint, topic, "/down",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}),
        DeliveryPolicy=json.dumps({"healthyRetryPolicy": {
            "minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 0}}))
    http_endpoint.status = 500
    published = sns.publish(TopicArn=topic, Message="lost?")
    next_post(http_endpoint, "Notification")
    (dead,) = receive(sqs, dlq_url, 1, timeout=10)
    envelope = json.loads(dead["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == published["MessageId"]
    assert envelope["Message"] == "lost?"
    assert envelope["UnsubscribeURL"].endswith(f"SubscriptionArn={arn}")
    assert set(dead["MessageAttributes"]) >= {"ErrorCode", "ErrorMessage", "RequestID"}


def test_subscribe_is_idempotent_for_equal_attributes(sns, sqs):
    # source: snapshot test_subscribe_idempotency.
    topic = sns.create_topic(Name=unique("idem"))["TopicArn"]
    _, queue_arn = make_queue(sqs)

    def subscribe(**kwargs):
        return sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True,
                             **kwargs)["SubscriptionArn"]

    arn = subscribe(Attributes={"RawMessageDelivery": "true"})
    assert subscribe(Attributes={"RawMessageDelivery": "true"}) == arn
    assert subscribe() == arn
    assert subscribe(Attributes={}) == arn
    assert subscribe(Attributes={"FilterPolicyScope": "MessageAttributes"}) == arn
    assert error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                    Attributes={"RawMessageDelivery": "false"}) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 1


def test_message_attribute_names(sns):
    # source: aws/aws-sdk-js#3110 (AWS's answer to a name starting with "AWS." that is not one of
    # the reserved attributes) and snapshot test_empty_or_wrong_message_attributes.
    topic = sns.create_topic(Name=unique("names"))["TopicArn"]

    def publish(name):
        return sns.publish(TopicArn=topic, Message="m",
                           MessageAttributes={name: {"DataType": "String", "StringValue": "v"}})

    reserved = "Message attribute names starting with 'AWS.' or 'Amazon.' are reserved for use by Amazon."
    for name in ["AWS.custom", "aws.lower", "Amazon.thing", "AMAZON.upper", "AWS.SNS.SMS.SenderId"]:
        assert error_of(publish, name=name) == ("ParameterValueInvalid", reserved), name
    for name in ["AWS.SNS.SMS.SMSType", "AWS.SNS.SMS.SenderID", "AWS.SNS.MOBILE.APNS.PRIORITY",
                 "AWSish", "Amazonian.name"]:
        assert publish(name)["MessageId"]
    assert error_of(publish, name="a^b") == (
        "ParameterValueInvalid",
        "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include "
        "alphanumeric characters, hyphens, underscores, or dots.")
    assert error_of(publish, name="a..b") == (
        "ParameterValueInvalid", "Message attribute name can not have successive '.' character.")
    # PublishBatch refuses the whole batch, as for the other name errors (recorded "batch-invalid_name").
    assert error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "m", "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}}},
    ]) == ("ParameterValueInvalid", reserved)


def test_publish_batch_validation_errors(sns):
    # source: snapshot test_publish_batch_exceptions and test_publish_batch_too_long_message.
    topic = sns.create_topic(Name=unique("b") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    cases = [
        ([{"Id": "1", "Message": "m"}], "InvalidParameter",
         "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
        ([{"Id": str(i), "Message": "m", "MessageGroupId": "g"} for i in range(11)],
         "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."),
        ([{"Id": "1", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "a"},
          {"Id": "1", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "b"}],
         "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."),
        ([{"Id": "1", "Message": "m", "MessageGroupId": "g"}], "InvalidParameter",
         "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
         "MessageDeduplicationId provided explicitly"),
        ([{"Id": "1", "Message": json.dumps({"sqs": "x"}), "MessageStructure": "json", "MessageGroupId": "g",
           "MessageDeduplicationId": "d"}], "InvalidParameter",
         "Invalid parameter: Message Structure - No default entry in JSON message body"),
        ([{"Id": str(i), "Message": "x" * 30000, "MessageGroupId": "g", "MessageDeduplicationId": str(i)}
          for i in range(10)], "BatchRequestTooLong",
         "The length of all the messages put together is more than the limit."),
    ]
    for entries, code, message in cases:
        assert error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries) == (code, message)
    # Nothing of a refused batch was published: a valid batch starts the sequence.
    out = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"}])
    assert [e["Id"] for e in out["Successful"]] == ["ok"] and out["Failed"] == []


def test_fifo_topic_sequence_numbers_reach_fifo_and_standard_queues(sns, sqs):
    # source: snapshots test_message_to_fifo_sqs[False] and test_fifo_topic_to_regular_sqs: the
    # notification carries the topic's SequenceNumber (the one Publish answered) and no
    # signature; the FIFO queue gives the message its own SequenceNumber; the content-based
    # deduplication id is the SHA-256 of the message ("Test" ->
    # 532eaabd9574880dbf76b9b8cc00832c20a6ec113d682299550d7a6e0f345e25, recorded).
    topic = sns.create_topic(Name=unique("seq") + ".fifo",
                             Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    fifo_url = sqs.create_queue(QueueName=unique("q") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    fifo_arn = sqs.get_queue_attributes(QueueUrl=fifo_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    std_url, std_arn = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo_arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=std_arn)
    published = sns.publish(TopicArn=topic, Message="Test", MessageGroupId="message-group-id-1")
    out = sqs.receive_message(QueueUrl=fifo_url, AttributeNames=["All"], WaitTimeSeconds=5)
    (m,) = out["Messages"]
    body = json.loads(m["Body"])
    assert body["SequenceNumber"] == published["SequenceNumber"]
    assert body["MessageId"] == published["MessageId"]
    assert "Signature" not in body and "SigningCertURL" not in body
    assert m["Attributes"]["MessageGroupId"] == "message-group-id-1"
    assert m["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"Test").hexdigest()
    assert m["Attributes"]["MessageDeduplicationId"] == (
        "532eaabd9574880dbf76b9b8cc00832c20a6ec113d682299550d7a6e0f345e25")
    assert len(m["Attributes"]["SequenceNumber"]) == 20
    (s,) = receive(sqs, std_url, 1)
    assert json.loads(s["Body"])["SequenceNumber"] == published["SequenceNumber"]
    # A FIFO topic needs the .fifo suffix; AWS words it as any bad name (awsdocs/
    # aws-cloudformation-user-guide#860, cloudformation-coverage-roadmap#681).
    assert error_of(sns.create_topic, Name=unique("plain"), Attributes={"FifoTopic": "true"}) == (
        "InvalidParameter", "Invalid parameter: Topic Name")


def is_opaque_base64(token):
    decoded = base64.b64decode(token, validate=True)
    return not token.isdigit() and len(decoded) >= 8


def test_next_tokens_are_opaque_base64(sns):
    # source: snapshot test_subscription_paging ("NextToken": "AAHrokS2B2V0PGIaX/pqx/9+0pHV1+5YQl4a3nOvPI7q5A==")
    # and test_list_subscriptions_by_topic_pagination (100 a page).
    client = make_client(sns.meta.endpoint_url, "sns", access_key="444455556666")
    topic = client.create_topic(Name=unique("paged"))["TopicArn"]
    for i in range(101):
        client.subscribe(TopicArn=topic, Protocol="sms", Endpoint=f"+1555010{i:04d}")
        client.create_topic(Name=f"t-{i:03d}")
    for call, key, kwargs in [
        (client.list_topics, "Topics", {}),
        (client.list_subscriptions, "Subscriptions", {}),
        (client.list_subscriptions_by_topic, "Subscriptions", {"TopicArn": topic}),
    ]:
        first = call(**kwargs)
        assert len(first[key]) == 100
        assert is_opaque_base64(first["NextToken"]), first["NextToken"]
        second = call(NextToken=first["NextToken"], **kwargs)
        assert second[key] and "NextToken" not in second
        seen = first[key] + second[key]
        assert len({json.dumps(x, sort_keys=True) for x in seen}) == len(seen)
    code, _ = error_of(client.list_topics, NextToken="12")
    assert code == "InvalidParameter"


def test_platform_application_needs_its_principal(sns):
    # source: the CreatePlatformApplication API reference: for APNS and APNS_SANDBOX the
    # PlatformPrincipal (certificate) goes with the PlatformCredential (private key); FCM takes
    # the credential alone.
    code, _ = error_of(sns.create_platform_application, Name=unique("ios"), Platform="APNS",
                       Attributes={"PlatformCredential": "private-key"})
    assert code == "InvalidParameter"
    code, _ = error_of(sns.create_platform_application, Name=unique("ios"), Platform="APNS_SANDBOX",
                       Attributes={"PlatformPrincipal": "certificate"})
    assert code == "InvalidParameter"
    arn = sns.create_platform_application(Name=unique("ios"), Platform="APNS", Attributes={
        "PlatformCredential": "private-key", "PlatformPrincipal": "certificate"})["PlatformApplicationArn"]
    assert "private-key" not in json.dumps(sns.get_platform_application_attributes(PlatformApplicationArn=arn))
    assert sns.create_platform_application(Name=unique("android"), Platform="GCM",
                                           Attributes={"PlatformCredential": "api-key"})["PlatformApplicationArn"]


def test_sms_opt_out_and_opt_in(sns, endpoint):
    # source: the SNS API reference: CheckIfPhoneNumberIsOptedOut tells whether a number replied
    # STOP; OptInPhoneNumber opts it back in; ListPhoneNumbersOptedOut lists the opted-out ones.
    phone = "+1555" + str(int(time.time() * 1000))[-7:]
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is False
    request = admin_request(
        f"{endpoint}/_ferrybridge/sns/opt-out?phoneNumber={urllib.parse.quote(phone)}", method="POST")
    urllib.request.urlopen(request).read()
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is True
    assert phone in sns.list_phone_numbers_opted_out()["phoneNumbers"]
    sns.opt_in_phone_number(phoneNumber=phone)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is False
    assert phone not in sns.list_phone_numbers_opted_out()["phoneNumbers"]
    code, _ = error_of(sns.check_if_phone_number_is_opted_out, phoneNumber="+44742LALALA")
    assert code == "InvalidParameter"

