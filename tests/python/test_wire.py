"""The bytes on the wire, checked without an SDK in between (both SQS protocols, errors)."""

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def post(endpoint, body, headers):
    req = urllib.request.Request(endpoint + "/", data=body, headers={"Authorization": AUTH, **headers})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def query(endpoint, **params):
    params.setdefault("Version", "2012-11-05")
    return post(
        endpoint,
        urllib.parse.urlencode(params).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def json_call(endpoint, operation, payload):
    return post(
        endpoint,
        json.dumps(payload).encode(),
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{operation}"},
    )


def test_query_create_queue_xml(endpoint):
    name = "wire-" + uuid.uuid4().hex[:6]
    status, headers, body = query(endpoint, Action="CreateQueue", QueueName=name)
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == NS + "CreateQueueResponse"
    assert root.find(f"{NS}CreateQueueResult/{NS}QueueUrl").text.endswith(f"/000000000000/{name}")
    request_id = root.find(f"{NS}ResponseMetadata/{NS}RequestId").text
    assert headers.get("x-amzn-requestid") == request_id


def test_query_error_xml(endpoint):
    status, headers, body = query(endpoint, Action="GetQueueUrl", QueueName="nope-nope")
    assert status == 400
    root = ET.fromstring(body)
    assert root.tag == NS + "ErrorResponse"
    err = root.find(NS + "Error")
    assert err.find(NS + "Type").text == "Sender"
    assert err.find(NS + "Code").text == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.find(NS + "Message").text == "The specified queue does not exist for this wsdl version."
    assert root.find(NS + "RequestId").text == headers.get("x-amzn-requestid")


def test_query_flattened_attributes(endpoint):
    name = "wire-" + uuid.uuid4().hex[:6]
    _, _, body = query(
        endpoint,
        Action="CreateQueue",
        QueueName=name,
        **{"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "42"},
    )
    url = ET.fromstring(body).find(f"{NS}CreateQueueResult/{NS}QueueUrl").text
    status, _, body = query(
        endpoint, Action="GetQueueAttributes", QueueUrl=url, **{"AttributeName.1": "VisibilityTimeout"}
    )
    assert status == 200
    attrs = ET.fromstring(body).findall(f"{NS}GetQueueAttributesResult/{NS}Attribute")
    assert [(a.find(NS + "Name").text, a.find(NS + "Value").text) for a in attrs] == [
        ("VisibilityTimeout", "42")
    ]


def test_json_error_shape_and_query_error_header(endpoint):
    status, headers, body = json_call(endpoint, "GetQueueUrl", {"QueueName": "nope-nope"})
    assert status == 400
    assert headers.get("x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    doc = json.loads(body)
    assert doc["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert doc["message"] == "The specified queue does not exist."
    assert headers.get("x-amzn-requestid")
    assert headers.get("content-type") == "application/x-amz-json-1.0"


def test_json_unknown_operation(endpoint):
    status, _, body = json_call(endpoint, "NoSuchThing", {})
    assert status == 400
    assert "__type" in json.loads(body)


def test_garbled_and_missing_auth_are_errors_not_crashes(endpoint):
    req = urllib.request.Request(
        endpoint + "/",
        data=b"Action=ListQueues&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "AWS4-HMAC-SHA256 garbage"},
    )
    try:
        urllib.request.urlopen(req)
        raise AssertionError("garbled auth must fail")
    except urllib.error.HTTPError as err:
        assert 400 <= err.code < 500
        assert b"<Code>" in err.read()
    req = urllib.request.Request(
        endpoint + "/",
        data=b"Action=ListQueues&Version=2012-11-05",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        urllib.request.urlopen(req)
        raise AssertionError("missing auth must fail")
    except urllib.error.HTTPError as err:
        assert err.code == 403
        assert b"MissingAuthenticationToken" in err.read()


def test_health(endpoint):
    with urllib.request.urlopen(endpoint + "/_ferrybridge/health") as resp:
        doc = json.load(resp)
    assert doc["services"]["sqs"] == "running"
    assert doc["version"]
    assert doc["uptime_seconds"] >= 0
    # Nothing was shed from the (bounded) delivery queues.
    assert doc["deliveriesShed"] == {"sns": 0, "events": 0}


def test_json_common_errors_use_the_json_names(endpoint):
    # Over JSON, SQS names these two common errors differently from their Query codes; the
    # x-amzn-query-error header keeps the Query code the SDKs surface.
    _, _, created = json_call(endpoint, "CreateQueue", {"QueueName": "wire-" + uuid.uuid4().hex[:6]})
    url = json.loads(created)["QueueUrl"]
    status, headers, body = json_call(endpoint, "ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 11})
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazonaws.sqs#InvalidParameterValueException"
    assert headers.get("x-amzn-query-error") == "InvalidParameterValue;Sender"
    status, headers, body = json_call(endpoint, "SendMessage", {"QueueUrl": url})
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazonaws.sqs#MissingRequiredParameterException"
    assert headers.get("x-amzn-query-error") == "MissingParameter;Sender"


def test_query_posted_to_the_queue_url_addresses_that_queue(endpoint):
    # The AWS SDK for Java 1.x and other Query clients post to the queue URL without QueueUrl.
    name = "path-" + uuid.uuid4().hex[:6]
    query(endpoint, Action="CreateQueue", QueueName=name)
    req = urllib.request.Request(
        f"{endpoint}/000000000000/{name}",
        data=urllib.parse.urlencode({"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "by path"}).encode(),
        headers={"Authorization": AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
    status, _, body = query(
        endpoint, Action="ReceiveMessage", QueueUrl=f"{endpoint}/000000000000/{name}"
    )
    assert status == 200
    assert ET.fromstring(body).find(f"{NS}ReceiveMessageResult/{NS}Message/{NS}Body").text == "by path"


def test_presigned_get_request(endpoint):
    # Credentials in the query string (a presigned URL) instead of an Authorization header.
    name = "presigned-" + uuid.uuid4().hex[:6]
    query(endpoint, Action="CreateQueue", QueueName=name)
    params = urllib.parse.urlencode({
        "Action": "SendMessage",
        "Version": "2012-11-05",
        "MessageBody": "presigned",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "111122223333/20240101/eu-west-1/sqs/aws4_request",
        "X-Amz-Date": "20240101T000000Z",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": "0" * 64,
    })
    # The credential scope selects account 111122223333 in eu-west-1: the queue is not there.
    try:
        urllib.request.urlopen(f"{endpoint}/000000000000/{name}?{params}")
        raise AssertionError("the default account's queue is not in eu-west-1")
    except urllib.error.HTTPError as err:
        assert b"AWS.SimpleQueueService.NonExistentQueue" in err.read()
    params = params.replace("111122223333", "test").replace("eu-west-1", "us-east-1")
    with urllib.request.urlopen(f"{endpoint}/000000000000/{name}?{params}") as resp:
        assert resp.status == 200
        assert b"<MD5OfMessageBody>" in resp.read()
