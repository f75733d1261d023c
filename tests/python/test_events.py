"""Amazon EventBridge through boto3, the AWS CLI and raw AWS JSON 1.1 requests (EventBridge speaks
JSON 1.1 in every botocore), routing into SQS queues, SNS topics and other event buses.

Expected values are AWS's: texts recorded against AWS (LocalStack's AWS-validated snapshots, see
/work/notes/events-aws-facts.md) or the AWS documentation; where only the shape is known (DLQ
ERROR_MESSAGE texts, the `__type` prefix) the test says so and checks what is documented.
"""

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import admin_request, make_client
from test_cli import aws

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
RULE_NAME_PATTERN = r"[\.\-_A-Za-z0-9]+"
BUS_NAME_PATTERN = r"[/\.\-_A-Za-z0-9]+"
ROLE = "arn:aws:iam::{}:role/eventbridge-forwarder"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def events_client(endpoint, access_key="test", region="us-east-1", validate=True):
    """An EventBridge client that does not retry (botocore retries LimitExceededException as
    throttling); with `validate=False` it skips botocore's own parameter checks too, so that the
    server's are reached."""
    return boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def events(endpoint):
    return events_client(endpoint)


@pytest.fixture
def raw_events(endpoint):
    return events_client(endpoint, validate=False)


def error_of(call, **kwargs):
    """(code, message) of a call that must fail with HTTP 400."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    return response["Error"]["Code"], response["Error"]["Message"]


def make_queue(sqs, name=None):
    url = sqs.create_queue(QueueName=name or unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url, n, timeout=5):
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        out = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        )
        for m in out.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m)
    return got


def order(order_id, region, total, detail_type="OrderPlaced", bus=None, source="shop.orders"):
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps({"orderId": order_id, "region": region, "total": total}),
    }
    if bus:
        entry["EventBusName"] = bus
    return entry


ORDER_PLACED = {"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}


# ---------------------------------------------------------------------------------------------
# 1. The story with boto3
# ---------------------------------------------------------------------------------------------


def test_order_placed_story_routes_by_content_transforms_and_crosses_accounts(endpoint):
    """Central bus in the platform account; billing (SQS), warehouse (SQS) and analytics (SNS)
    consume OrderPlaced with one input transformer each; the shipping context owns a gatekeeper
    bus in its own account that accepts the central account through its resource policy."""
    central, shipping = "111111111111", "222222222222"
    events = events_client(endpoint, central)
    sqs = make_client(endpoint, "sqs", central)
    sns = make_client(endpoint, "sns", central)
    ship_events = events_client(endpoint, shipping)
    ship_sqs = make_client(endpoint, "sqs", shipping)

    bus = unique("orders")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    assert bus_arn == f"arn:aws:events:us-east-1:{central}:event-bus/{bus}"

    billing_url, billing_arn = make_queue(sqs)
    warehouse_url, warehouse_arn = make_queue(sqs)
    analytics_url, analytics_arn = make_queue(sqs)
    topic = sns.create_topic(Name=unique("analytics"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=analytics_arn)

    # The shipping context's gatekeeper bus lets the central account in, and nobody else.
    gate = unique("shipping")
    gate_arn = ship_events.create_event_bus(Name=gate)["EventBusArn"]
    assert gate_arn == f"arn:aws:events:us-east-1:{shipping}:event-bus/{gate}"
    ship_events.put_permission(
        EventBusName=gate, Action="events:PutEvents", Principal=central, StatementId="central-orders"
    )
    shipped_url, shipped_arn = make_queue(ship_sqs)
    ship_rule = ship_events.put_rule(
        Name="ship-orders", EventBusName=gate, EventPattern=json.dumps(ORDER_PLACED)
    )["RuleArn"]
    assert ship_rule == f"arn:aws:events:us-east-1:{shipping}:rule/{gate}/ship-orders"
    ship_events.put_targets(Rule="ship-orders", EventBusName=gate, Targets=[{"Id": "queue", "Arn": shipped_arn}])

    rules = {
        "eu-orders": {**ORDER_PLACED, "detail": {"region": [{"prefix": "eu-"}]}},
        "big-orders": {**ORDER_PLACED, "detail": {"total": [{"numeric": [">=", 100]}]}},
        "all-orders": ORDER_PLACED,
        "to-shipping": ORDER_PLACED,
    }
    for name, pattern in rules.items():
        arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))["RuleArn"]
        assert arn == f"arn:aws:events:us-east-1:{central}:rule/{bus}/{name}"
    targets = {
        "eu-orders": {
            "Id": "billing",
            "Arn": billing_arn,
            "InputTransformer": {
                "InputPathsMap": {"order": "$.detail.orderId", "total": "$.detail.total"},
                "InputTemplate": '{"order": <order>, "amount": <total>, "currency": "EUR"}',
            },
        },
        "big-orders": {
            "Id": "warehouse",
            "Arn": warehouse_arn,
            "InputTransformer": {
                "InputPathsMap": {"order": "$.detail.orderId", "total": "$.detail.total"},
                "InputTemplate": '"Pick order <order> worth <total>"',
            },
        },
        "all-orders": {
            "Id": "analytics",
            "Arn": topic,
            "InputTransformer": {
                "InputPathsMap": {"order": "$.detail.orderId", "region": "$.detail.region"},
                "InputTemplate": '{"kind": "order-placed", "order": <order>, "region": <region>}',
            },
        },
        "to-shipping": {"Id": "shipping-gate", "Arn": gate_arn, "RoleArn": ROLE.format(central)},
    }
    for rule, target in targets.items():
        out = events.put_targets(Rule=rule, EventBusName=bus, Targets=[target])
        assert out["FailedEntryCount"] == 0 and out["FailedEntries"] == []

    entries = [
        order("o-1", "eu-west-1", 150, bus=bus),
        order("o-2", "us-east-1", 20, bus=bus),
        order("o-3", "eu-central-1", 40, bus=bus),
        order("o-4", "eu-west-1", 999, detail_type="OrderCancelled", bus=bus),
        order("o-5", "eu-west-1", 999, bus=bus, source="shop.returns"),
    ]
    out = events.put_events(Entries=entries)
    assert out["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in out["Entries"]]
    assert all(UUID.match(i) for i in ids) and len(set(ids)) == 5

    billing = sorted(json.loads(m["Body"])["order"] for m in receive(sqs, billing_url, 2))
    assert billing == ["o-1", "o-3"]
    (warehouse,) = receive(sqs, warehouse_url, 1)
    # A template that is a JSON string arrives as that JSON string, quotes included.
    assert warehouse["Body"] == '"Pick order o-1 worth 150"'
    notifications = [json.loads(m["Body"]) for m in receive(sqs, analytics_url, 3)]
    assert all(n["Type"] == "Notification" and n["TopicArn"] == topic for n in notifications)
    assert all("Subject" not in n for n in notifications)
    assert sorted((json.loads(n["Message"])["order"], json.loads(n["Message"])["region"]) for n in notifications) == [
        ("o-1", "eu-west-1"),
        ("o-2", "us-east-1"),
        ("o-3", "eu-central-1"),
    ]
    assert {json.loads(n["Message"])["kind"] for n in notifications} == {"order-placed"}

    # Through the gatekeeper: the envelope arrives unchanged; same account pair, same region,
    # so the id is the PutEvents EventId and account/region are the sender's.
    shipped = sorted((json.loads(m["Body"]) for m in receive(ship_sqs, shipped_url, 3)), key=lambda e: e["detail"]["orderId"])
    assert [e["detail"]["orderId"] for e in shipped] == ["o-1", "o-2", "o-3"]
    for event, event_id, entry in zip(shipped, ids, entries):
        assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
        assert event["id"] == event_id
        assert event["version"] == "0"
        assert event["detail-type"] == "OrderPlaced" and event["source"] == "shop.orders"
        assert event["account"] == central and event["region"] == "us-east-1"
        assert event["resources"] == []
        assert TIME.match(event["time"])
        assert event["detail"] == json.loads(entry["Detail"])

    # Nothing else arrived: cancelled orders and returns matched no rule.
    assert receive(sqs, warehouse_url, 1, timeout=1) == []
    assert receive(sqs, billing_url, 1, timeout=0.5) == []
    assert receive(ship_sqs, shipped_url, 1, timeout=0.5) == []


def test_sns_target_gets_the_event_as_compact_json(endpoint, sqs):
    events = events_client(endpoint)
    sns = make_client(endpoint, "sns")
    url, arn = make_queue(sqs)
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps(ORDER_PLACED))
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic}])
    (entry,) = events.put_events(Entries=[order("o-9", "eu-west-1", 5)])["Entries"]
    (m,) = receive(sqs, url, 1)
    message = json.loads(m["Body"])["Message"]
    event = json.loads(message)
    assert message == json.dumps(event, separators=(",", ":"))
    assert event["id"] == entry["EventId"] and event["account"] == "000000000000"
    events.remove_targets(Rule=rule, Ids=["topic"])
    events.delete_rule(Name=rule)


def test_failed_deliveries_go_to_the_target_dead_letter_queue(endpoint):
    """A queue that does not exist (NO_RESOURCE) and a bus in another account that grants no
    permission (NO_PERMISSIONS) are not retried: the event goes straight to each target's DLQ
    with the documented attributes."""
    account, other = "333333333333", "444444444444"
    events = events_client(endpoint, account)
    sqs = make_client(endpoint, "sqs", account)
    closed_bus = unique("closed")
    closed_arn = events_client(endpoint, other).create_event_bus(Name=closed_bus)["EventBusArn"]
    dlq_url, dlq_arn = make_queue(sqs)
    bus = unique("orders")
    events.create_event_bus(Name=bus)
    rule = "failing"
    rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(ORDER_PLACED))["RuleArn"]
    missing_queue = f"arn:aws:sqs:us-east-1:{account}:{unique('gone')}"
    out = events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[
            {"Id": "gone", "Arn": missing_queue, "DeadLetterConfig": {"Arn": dlq_arn}},
            {
                "Id": "closed",
                "Arn": closed_arn,
                "RoleArn": ROLE.format(account),
                "DeadLetterConfig": {"Arn": dlq_arn},
            },
        ],
    )
    assert out == {"FailedEntries": [], "FailedEntryCount": 0, "ResponseMetadata": out["ResponseMetadata"]}
    put = events.put_events(Entries=[order("o-1", "eu-west-1", 10, bus=bus)])
    # Delivery failures never show in PutEvents.
    assert put["FailedEntryCount"] == 0
    event_id = put["Entries"][0]["EventId"]

    dead = receive(sqs, dlq_url, 2)
    assert len(dead) == 2
    by_target = {m["MessageAttributes"]["TARGET_ARN"]["StringValue"]: m for m in dead}
    assert set(by_target) == {missing_queue, closed_arn}
    for target, code in ((missing_queue, "NO_RESOURCE"), (closed_arn, "NO_PERMISSIONS")):
        m = by_target[target]
        attrs = m["MessageAttributes"]
        assert {name: a["DataType"] for name, a in attrs.items()} == {
            "RULE_ARN": "String",
            "TARGET_ARN": "String",
            "ERROR_CODE": "String",
            "ERROR_MESSAGE": "String",
            "RETRY_ATTEMPTS": "String",
        }
        assert attrs["RULE_ARN"]["StringValue"] == rule_arn
        assert attrs["ERROR_CODE"]["StringValue"] == code
        # AWS documents the attribute, not its text.
        assert attrs["ERROR_MESSAGE"]["StringValue"]
        assert attrs["RETRY_ATTEMPTS"]["StringValue"] == "0"
        body = json.loads(m["Body"])
        assert body["id"] == event_id and body["detail"]["orderId"] == "o-1"
        assert body["account"] == account


def test_non_sqs_targets_are_recorded_for_inspection(endpoint, events):
    rule = unique("lambda")
    events.put_rule(Name=rule, EventPattern=json.dumps(ORDER_PLACED))
    function = f"arn:aws:lambda:us-east-1:000000000000:function:{unique('f')}"
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": function, "InputPath": "$.detail"}])
    (entry,) = events.put_events(Entries=[order("o-7", "eu-west-1", 70)])["Entries"]
    url = f"{endpoint}/_ferrybridge/events/invocations?targetArn={urllib.parse.quote(function)}"
    deadline = time.monotonic() + 5
    while True:
        with urllib.request.urlopen(admin_request(url)) as resp:
            invocations = json.load(resp)["invocations"]
        if invocations or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    (inv,) = invocations
    assert inv["eventId"] == entry["EventId"]
    assert inv["targetId"] == "fn" and inv["service"] == "lambda"
    assert json.loads(inv["input"]) == {"orderId": "o-7", "region": "eu-west-1", "total": 70}
    req = admin_request(url, method="DELETE")
    with urllib.request.urlopen(req) as resp:
        assert json.load(resp) == {"cleared": 1}


# ---------------------------------------------------------------------------------------------
# 2. The same story through the AWS CLI
# ---------------------------------------------------------------------------------------------


def cli_json(endpoint, *args):
    out = aws(endpoint, "events", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_cli_bus_rule_targets_put_events(endpoint, sqs):
    bus = unique("cli-orders")
    created = cli_json(endpoint, "create-event-bus", "--name", bus)
    assert created == {"EventBusArn": f"arn:aws:events:us-east-1:000000000000:event-bus/{bus}"}
    rule = cli_json(
        endpoint,
        "put-rule",
        "--name", "eu-orders",
        "--event-bus-name", bus,
        "--event-pattern", json.dumps({**ORDER_PLACED, "detail": {"region": [{"prefix": "eu-"}]}}),
    )
    assert rule == {"RuleArn": f"arn:aws:events:us-east-1:000000000000:rule/{bus}/eu-orders"}
    url, arn = make_queue(sqs)
    with tempfile.TemporaryDirectory() as tmp:
        targets = os.path.join(tmp, "targets.json")
        with open(targets, "w") as f:
            json.dump(
                [{
                    "Id": "billing",
                    "Arn": arn,
                    "InputTransformer": {
                        "InputPathsMap": {"order": "$.detail.orderId"},
                        "InputTemplate": '{"order": <order>}',
                    },
                }],
                f,
            )
        put = cli_json(endpoint, "put-targets", "--rule", "eu-orders", "--event-bus-name", bus,
                       "--targets", f"file://{targets}")
        assert put == {"FailedEntryCount": 0, "FailedEntries": []}
        entries = os.path.join(tmp, "entries.json")
        with open(entries, "w") as f:
            json.dump([order("o-1", "eu-west-1", 1, bus=bus), order("o-2", "us-west-2", 2, bus=bus)], f)
        sent = cli_json(endpoint, "put-events", "--entries", f"file://{entries}")
    assert sent["FailedEntryCount"] == 0 and len(sent["Entries"]) == 2
    assert all(UUID.match(e["EventId"]) for e in sent["Entries"])
    listed = cli_json(endpoint, "list-targets-by-rule", "--rule", "eu-orders", "--event-bus-name", bus)
    assert listed["Targets"][0]["Id"] == "billing" and listed["Targets"][0]["Arn"] == arn
    described = cli_json(endpoint, "describe-rule", "--name", "eu-orders", "--event-bus-name", bus)
    assert described["State"] == "ENABLED" and described["CreatedBy"] == "000000000000"
    assert described["EventBusName"] == bus
    (m,) = receive(sqs, url, 1)
    assert json.loads(m["Body"]) == {"order": "o-1"}
    missing = aws(endpoint, "events", "describe-event-bus", "--name", bus + "-nope")
    assert missing.returncode != 0
    assert (
        "An error occurred (ResourceNotFoundException) when calling the DescribeEventBus operation: "
        f"Event bus {bus}-nope does not exist." in missing.stderr
    )


# ---------------------------------------------------------------------------------------------
# 3. Validation errors, with the texts AWS answers
# ---------------------------------------------------------------------------------------------


def test_model_constraint_messages(raw_events):
    long_name = "a" * 65
    cases = [
        (
            raw_events.create_event_bus,
            {"Name": "my bus"},
            "1 validation error detected: Value 'my bus' at 'name' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {BUS_NAME_PATTERN}",
        ),
        (
            raw_events.put_rule,
            {"Name": long_name, "EventPattern": json.dumps(ORDER_PLACED), "State": "ON"},
            f"2 validation errors detected: Value '{long_name}' at 'name' failed to satisfy constraint: "
            "Member must have length less than or equal to 64; Value 'ON' at 'state' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ENABLED, DISABLED, "
            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]",
        ),
        (
            raw_events.put_rule,
            {"Name": "bad name!", "EventPattern": json.dumps(ORDER_PLACED)},
            "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {RULE_NAME_PATTERN}",
        ),
        (
            raw_events.list_rules,
            {"Limit": 0},
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            raw_events.list_event_buses,
            {"Limit": 101},
            "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 100",
        ),
        (
            raw_events.put_targets,
            {"Rule": "r", "Targets": [{"Id": "!@#$@!#$", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]},
            "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {RULE_NAME_PATTERN}",
        ),
        (
            raw_events.put_targets,
            {"Rule": "r", "Targets": [
                {"Id": "ok", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
                {"Id": "t" * 65, "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
            ]},
            f"1 validation error detected: Value '{'t' * 65}' at 'targets.2.member.id' failed to satisfy "
            "constraint: Member must have length less than or equal to 64",
        ),
        (
            raw_events.put_permission,
            {"Action": "events:PutEvents", "Principal": "111122223333", "StatementId": "bad sid"},
            "1 validation error detected: Value 'bad sid' at 'statementId' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+",
        ),
    ]
    for call, kwargs, message in cases:
        assert error_of(call, **kwargs) == ("ValidationException", message), kwargs


def test_botocore_catches_some_constraints_itself(events):
    """With parameter validation on (the default), botocore refuses min-length/min-value
    violations before sending anything; the server is the one to catch max and pattern."""
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        events.list_rules(Limit=0)
    with pytest.raises(ParamValidationError):
        events.put_rule(Name="", EventPattern="{}")
    code, _ = error_of(events.list_rules, Limit=101)
    assert code == "ValidationException"


def test_put_events_more_than_ten_entries_is_a_request_error(raw_events):
    detail = '{"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}'
    entry = {"Source": "core.update-account-command", "DetailType": "core.update-account-command",
             "Detail": detail, "EventBusName": "my-bus"}
    one = (
        "PutEventsRequestEntry(time=null, source=core.update-account-command, resources=null, "
        f"detailType=core.update-account-command, detail={detail}, eventBusName=my-bus, "
        "traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)"
    )
    assert error_of(raw_events.put_events, Entries=[entry] * 11) == (
        "ValidationException",
        f"1 validation error detected: Value '[{', '.join([one] * 11)}]' at 'entries' failed to "
        "satisfy constraint: Member must have length less than or equal to 10",
    )


def test_put_events_size_limit(events):
    detail = json.dumps({"payload": ["p" * (256 * 1024 - 17)]})
    assert len(detail) == 256 * 1024
    assert error_of(
        events.put_events, Entries=[{"Source": "s", "DetailType": "d", "Detail": detail}]
    ) == ("ValidationException", "Total size of the entries in the request is over the limit.")
    # Comfortably under the limit is fine.
    small = json.dumps({"payload": ["p" * (256 * 1024 - 17 - 100)]})
    assert events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": small}])["FailedEntryCount"] == 0


def test_put_events_per_entry_errors(raw_events):
    out = raw_events.put_events(
        Entries=[
            {"DetailType": "d", "Detail": "{}"},
            {"Source": "s", "DetailType": "d"},
            {"Source": "s", "DetailType": "", "Detail": "{}"},
            {"Source": "s", "DetailType": "d", "Detail": "NotJSON"},
            {"Source": "s", "DetailType": "d", "Detail": "[]"},
            {"Source": "s", "DetailType": "d", "Detail": "{{}"},
            {"Source": "s", "DetailType": "d", "Detail": '"NotJSON"'},
            {"Source": "s", "DetailType": "d", "Detail": "{}"},
        ]
    )
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["FailedEntryCount"] == 7
    malformed = {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert out["Entries"][:7] == [
        {"ErrorCode": "InvalidArgument",
         "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."},
        {"ErrorCode": "InvalidArgument",
         "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument."},
        {"ErrorCode": "InvalidArgument",
         "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
        malformed, malformed, malformed, malformed,
    ]
    assert list(out["Entries"][7]) == ["EventId"] and UUID.match(out["Entries"][7]["EventId"])


def test_put_events_to_a_missing_bus_is_accepted_and_dropped(events):
    bus = unique("nowhere")
    out = events.put_events(Entries=[order("o-1", "eu-west-1", 1, bus=bus)])
    assert out["FailedEntryCount"] == 0 and UUID.match(out["Entries"][0]["EventId"])
    assert error_of(events.describe_event_bus, Name=bus) == (
        "ResourceNotFoundException", f"Event bus {bus} does not exist.")


def test_rule_errors(events):
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    assert error_of(events.create_event_bus, Name=bus) == (
        "ResourceAlreadyExistsException", f"Event bus {bus} already exists.")
    assert error_of(events.put_rule, Name="no-pattern") == (
        "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    assert error_of(events.put_rule, Name="sched", EventBusName=bus, ScheduleExpression="rate(5 minutes)") == (
        "ValidationException", "ScheduleExpression is supported only on the default event bus.")
    for expression in ("rate(1 minutes)", "rate(10 minute)", "rate(0 minutes)", "rate(10 seconds)",
                       "rate(10 MINUTES)", " rate(10 minutes)", "cron(0 20 * * *)"):
        assert error_of(events.put_rule, Name="sched", ScheduleExpression=expression) == (
            "ValidationException", "Parameter ScheduleExpression is not valid."), expression
    # Accepted as AWS accepts them, and echoed verbatim.
    for expression in ("rate(1 minute)", "rate(10 minutes)", "cron(0/5 8-17 ? * MON-FRI *)"):
        name = unique("sched")
        events.put_rule(Name=name, ScheduleExpression=expression, State="DISABLED")
        assert events.describe_rule(Name=name)["ScheduleExpression"] == expression
        events.delete_rule(Name=name)

    assert error_of(events.describe_rule, Name="nope") == (
        "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
    assert error_of(events.describe_rule, Name="nope", EventBusName=bus) == (
        "ResourceNotFoundException", f"Rule nope does not exist on EventBus {bus}.")
    assert error_of(events.put_targets, Rule="nope", EventBusName=bus,
                    Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]) == (
        "ResourceNotFoundException", f"Rule nope does not exist on EventBus {bus}.")
    assert error_of(events.describe_event_bus, Name=bus + "-nope") == (
        "ResourceNotFoundException", f"Event bus {bus}-nope does not exist.")
    assert error_of(events.put_rule, Name="r", EventBusName=bus + "-nope", EventPattern="{}") == (
        "ResourceNotFoundException", f"Event bus {bus}-nope does not exist.")
    assert error_of(events.delete_event_bus, Name="default") == (
        "ValidationException", "Cannot delete event bus default.")
    # Deleting a bus that does not exist succeeds.
    events.delete_event_bus(Name=bus + "-nope")

    events.put_rule(Name="with-targets", EventBusName=bus, EventPattern=json.dumps(ORDER_PLACED))
    events.put_targets(Rule="with-targets", EventBusName=bus,
                       Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}])
    assert error_of(events.delete_rule, Name="with-targets", EventBusName=bus) == (
        "ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="with-targets", EventBusName=bus, Ids=["t"])
    events.delete_rule(Name="with-targets", EventBusName=bus)
    assert events.list_rules(EventBusName=bus)["Rules"] == []


# Patterns that parse as JSON but break a rule: the reason part of AWS's message, as recorded
# (LocalStack's AWS-validated test_events_patterns.snapshot.json, "MessageRaw"); the location
# Jackson adds after it is checked exactly in crates/pattern/tests/aws_messages.rs and below.
PATTERN_REASONS = {
    '{"int": 42}': 'Event pattern is not valid. Reason: "int" must be an object or an array',
    '{"string": "my-value"}': 'Event pattern is not valid. Reason: "string" must be an object or an array',
    '["not", "a", "dict", "but valid json"]': "Event pattern is not valid. Reason: Filter is not an object",
    '{"resources": []}': "Event pattern is not valid. Reason: Empty arrays are not allowed",
    '{"a": [{"numeric": [">", 0, ">", 0]}]}': "Event pattern is not valid. Reason: Bad numeric range operator: >",
    '{"a": [{"NUMERIC": ["=", 5]}]}': "Event pattern is not valid. Reason: Unrecognized match type NUMERIC",
    '{"a": [{"prefix": 123}]}': "Event pattern is not valid. Reason: prefix match pattern must be a string",
}


def test_invalid_pattern_full_aws_text(events):
    # Recorded from AWS (same source): Jackson's wording for text that is not JSON, and its
    # location of the problem.
    assert error_of(events.put_rule, Name="bad-pattern", EventPattern="this is valid json but not a dict") == (
        "InvalidEventPatternException",
        "Event pattern is not valid. Reason: Unrecognized token 'this': was expecting (JSON String, "
        "Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"this is "
        "valid json but not a dict\"; line: 1, column: 5]")
    assert error_of(events.test_event_pattern, EventPattern='{"int": 42}', Event=json.dumps(EVENT)) == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "int" must be an object or an array\n at [Source: '
        '(String)"{"int": 42}"; line: 1, column: 11]')


def test_invalid_pattern_reasons(events):
    for pattern, reason in PATTERN_REASONS.items():
        code, message = error_of(events.put_rule, Name="bad-pattern", EventPattern=pattern)
        assert (code, message.split("\n")[0]) == ("InvalidEventPatternException", reason), pattern
        code, message = error_of(events.test_event_pattern, EventPattern=pattern, Event=json.dumps(EVENT))
        assert (code, message.split("\n")[0]) == ("InvalidEventPatternException", reason), pattern


def test_target_errors(events):
    rule = unique("targets")
    events.put_rule(Name=rule, EventPattern=json.dumps(ORDER_PLACED))
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    seven = [{"Id": f"test-target-{i}", "Arn": queue} for i in range(7)]
    assert error_of(events.put_targets, Rule=rule, Targets=seven) == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    events.put_targets(Rule=rule, Targets=seven[:5])
    # Replacing an existing target does not count twice; a sixth one does.
    events.put_targets(Rule=rule, Targets=[{"Id": "test-target-0", "Arn": queue, "Input": "{}"}])
    assert error_of(events.put_targets, Rule=rule, Targets=seven[5:6]) == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    page = events.list_targets_by_rule(Rule=rule, Limit=3)
    assert [t["Id"] for t in page["Targets"]] == ["test-target-0", "test-target-1", "test-target-2"]
    rest = events.list_targets_by_rule(Rule=rule, NextToken=page["NextToken"])
    assert [t["Id"] for t in rest["Targets"]] == ["test-target-3", "test-target-4"] and "NextToken" not in rest
    assert page["Targets"][0] == {"Id": "test-target-0", "Arn": queue, "Input": "{}"}

    assert error_of(events.put_targets, Rule=rule, Targets=[{
        "Id": "t1", "Arn": queue,
        "InputTransformer": {"InputPathsMap": {"key": "$.detail.key"},
                             "InputTemplate": '{"value": <notdefinedkey>}'},
    }]) == ("ValidationException", "InputTemplate for target t1 contains invalid placeholder notdefinedkey.")
    assert error_of(events.put_targets, Rule=rule, Targets=[{
        "Id": "t1", "Arn": queue, "InputPath": "$.detail",
        "InputTransformer": {"InputPathsMap": {}, "InputTemplate": '{"a": 1}'},
    }]) == ("ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t1.")
    assert error_of(events.put_targets, Rule=rule, Targets=[{
        "Id": "t1", "Arn": queue, "Input": "{}", "InputPath": "$.detail"}]) == (
        "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t1.")
    # Not an ARN: the wording moto, LocalStack and other emulators share (no AWS recording).
    assert error_of(events.put_targets, Rule=rule, Targets=[{"Id": "t1", "Arn": "not-an-arn"}]) == (
        "ValidationException", "Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.")
    removed = events.remove_targets(Rule=rule, Ids=[f"test-target-{i}" for i in range(5)])
    assert removed["FailedEntryCount"] == 0 and removed["FailedEntries"] == []
    events.delete_rule(Name=rule)


EVENT = {
    "id": "1", "account": "123456789012", "source": "shop.orders", "time": "2024-01-01T00:00:00Z",
    "region": "us-east-1", "detail-type": "OrderPlaced", "resources": [], "detail": {"total": 150},
}


def test_test_event_pattern(events):
    pattern = json.dumps({**ORDER_PLACED, "detail": {"total": [{"numeric": [">", 100]}]}})
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(EVENT))["Result"] is True
    cheap = {**EVENT, "detail": {"total": 10}}
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(cheap))["Result"] is False
    for event in ("plain string", json.dumps({"testEvent": "value"})):
        assert error_of(events.test_event_pattern, EventPattern=pattern, Event=event) == (
            "ValidationException", "Parameter Event is not valid.")


def test_tags_on_buses_and_rules(events):
    bus = unique("tagged")
    arn = events.create_event_bus(Name=bus, Tags=[{"Key": "team", "Value": "orders"}])["EventBusArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
    tags = events.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "orders"}]
    assert all(list(t) == ["Key", "Value"] for t in tags)
    events.untag_resource(ResourceARN=arn, TagKeys=["team", "not-there"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    missing_rule = "arn:aws:events:us-east-1:000000000000:rule/nope"
    assert error_of(events.list_tags_for_resource, ResourceARN=missing_rule) == (
        "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
    missing_bus = "arn:aws:events:us-east-1:000000000000:event-bus/" + bus + "-nope"
    assert error_of(events.tag_resource, ResourceARN=missing_bus, Tags=[{"Key": "a", "Value": "b"}]) == (
        "ResourceNotFoundException", f"Event bus {bus}-nope does not exist.")
    events.delete_event_bus(Name=bus)
    events.create_event_bus(Name=bus)
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    events.delete_event_bus(Name=bus)


def fields(response):
    return {k for k in response if k != "ResponseMetadata"}


def known(client, shape, names):
    """`names` less the members this botocore's model does not have (botocore drops unknown
    members: 1.31.62 has no CreationTime/LastModifiedTime on event buses)."""
    members = client.meta.service_model.shape_for(shape).members
    return {n for n in names if n in members}


def test_rule_lifecycle_and_listing(events):
    bus = unique("life")
    events.create_event_bus(Name=bus)
    # Shapes as AWS recorded them (test_events.snapshot.json): no Policy key without a policy.
    bus_fields = {"Arn", "CreationTime", "LastModifiedTime", "Name"}
    assert fields(events.describe_event_bus(Name=bus)) == known(events, "DescribeEventBusResponse", bus_fields)
    (listed_bus,) = events.list_event_buses(NamePrefix=bus)["EventBuses"]
    assert set(listed_bus) == known(events, "EventBus", bus_fields)
    for i in range(4):
        events.put_rule(Name=f"rule-{i}", EventBusName=bus, EventPattern=json.dumps(ORDER_PLACED))
    page = events.list_rules(EventBusName=bus, Limit=3)
    assert [r["Name"] for r in page["Rules"]] == ["rule-0", "rule-1", "rule-2"]
    rest = events.list_rules(EventBusName=bus, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["rule-3"] and "NextToken" not in rest
    assert all(set(r) == {"Arn", "EventBusName", "EventPattern", "Name", "State"} for r in page["Rules"])
    assert fields(events.describe_rule(Name="rule-1", EventBusName=bus)) == {
        "Arn", "CreatedBy", "EventBusName", "EventPattern", "Name", "State"}
    # Putting a rule again updates it in place and keeps its targets.
    queue0 = "arn:aws:sqs:us-east-1:000000000000:" + unique("q")
    events.put_targets(Rule="rule-0", EventBusName=bus, Targets=[{"Id": "q0", "Arn": queue0}])
    again = events.put_rule(Name="rule-0", EventBusName=bus, EventPattern=json.dumps({"source": ["other"]}))
    assert again["RuleArn"] == f"arn:aws:events:us-east-1:000000000000:rule/{bus}/rule-0"
    assert events.list_targets_by_rule(Rule="rule-0", EventBusName=bus)["Targets"] == [{"Id": "q0", "Arn": queue0}]
    assert len(events.list_rules(EventBusName=bus)["Rules"]) == 4
    events.disable_rule(Name="rule-1", EventBusName=bus)
    described = events.describe_rule(Name="rule-1", EventBusName=bus)
    assert described["State"] == "DISABLED" and described["CreatedBy"] == "000000000000"
    assert json.loads(described["EventPattern"]) == ORDER_PLACED
    events.enable_rule(Name="rule-1", EventBusName=bus)
    assert events.describe_rule(Name="rule-1", EventBusName=bus)["State"] == "ENABLED"
    queue = "arn:aws:sqs:us-east-1:000000000000:" + unique("q")
    events.put_targets(Rule="rule-2", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue}])
    assert events.list_rule_names_by_target(TargetArn=queue, EventBusName=bus)["RuleNames"] == ["rule-2"]
    if hasattr(events, "update_event_bus"):  # UpdateEventBus is newer than botocore 1.31.62
        events.update_event_bus(Name=bus, Description="orders of the shop")
        assert events.describe_event_bus(Name=bus)["Description"] == "orders of the shop"
    listed = events.list_event_buses(NamePrefix=bus)["EventBuses"]
    assert [b["Name"] for b in listed] == [bus]


# ---------------------------------------------------------------------------------------------
# 4. Resource policies
# ---------------------------------------------------------------------------------------------


def statement(sid, principal, resource, action="events:PutEvents"):
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}


@pytest.mark.parametrize("custom", [True, False], ids=["custom", "default"])
def test_put_and_remove_permission(endpoint, custom):
    # A fresh account per run, so the default bus starts without a policy.
    account = str(uuid.uuid4().int)[:12].rjust(12, "5")
    events = events_client(endpoint, account)
    bus = unique("policy") if custom else "default"
    if custom:
        events.create_event_bus(Name=bus)
    arn = f"arn:aws:events:us-east-1:{account}:event-bus/{bus}"
    assert "Policy" not in events.describe_event_bus(Name=bus)
    assert error_of(events.remove_permission, EventBusName=bus, StatementId="nope") == (
        "ResourceNotFoundException", "Statement with the provided id does not exist.")
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="s1")
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*", StatementId="s2")
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*", StatementId="s2")
    described = events.describe_event_bus(Name=bus)
    policy = json.loads(described["Policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            statement("s1", {"AWS": "arn:aws:iam::111122223333:root"}, arn),
            statement("s2", "*", arn),
        ],
    }
    assert [list(s) for s in policy["Statement"]] == [["Sid", "Effect", "Principal", "Action", "Resource"]] * 2
    assert error_of(events.remove_permission, EventBusName=bus, StatementId="nope") == (
        "ResourceNotFoundException", "Statement with the provided id does not exist.")
    events.remove_permission(EventBusName=bus, StatementId="s1")
    assert json.loads(events.describe_event_bus(Name=bus)["Policy"])["Statement"] == [statement("s2", "*", arn)]
    events.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=bus)

    # The Policy form replaces the whole policy, stored as given.
    whole = {
        "Version": "2012-10-17",
        "Statement": [statement("all-rules", {"Service": "events.amazonaws.com"}, "*", action="events:ListRules")],
    }
    events.put_permission(EventBusName=bus, Policy=json.dumps(whole))
    assert json.loads(events.describe_event_bus(Name=bus)["Policy"]) == whole
    events.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=bus)
    if custom:
        missing = bus + "-nope"
        assert error_of(events.put_permission, EventBusName=missing, Action="events:PutEvents",
                        Principal="*", StatementId="s") == (
            "ResourceNotFoundException", f"Event bus {missing} does not exist.")
        events.delete_event_bus(Name=bus)


def test_permission_with_a_condition_and_permission_errors(endpoint):
    account = str(uuid.uuid4().int)[:12].rjust(12, "6")
    events = events_client(endpoint, account)
    bus = unique("org")
    events.create_event_bus(Name=bus)
    arn = f"arn:aws:events:us-east-1:{account}:event-bus/{bus}"
    # The Condition form (an organization), as the PutPermission API reference describes it.
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="*", StatementId="org",
                          Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-1234567"})
    (only,) = json.loads(events.describe_event_bus(Name=bus)["Policy"])["Statement"]
    assert only == {**statement("org", "*", arn), "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1234567"}}}
    # Our wording where no AWS recording exists (moto's for the action).
    assert error_of(events.put_permission, EventBusName=bus, Action="events:ListRules", Principal="*",
                    StatementId="x") == ("ValidationException", "Provided value in parameter 'action' is not supported.")
    # A principal is an account id or "*": the model's pattern says so, with AWS's texts.
    assert error_of(events.put_permission, EventBusName=bus, Action="events:PutEvents", Principal="someone",
                    StatementId="x") == (
        "ValidationException", "1 validation error detected: Value 'someone' at 'principal' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: (\\d{12}|\\*)")
    assert error_of(events.put_permission, EventBusName=bus) == (
        "ValidationException", "One or more parameters are missing: Action, Principal, StatementId or Policy.")
    assert error_of(events.remove_permission, EventBusName=bus) == (
        "ValidationException", "Parameter StatementId is required.")
    assert error_of(events.put_permission, EventBusName=bus, Policy="not json") == (
        "ValidationException", "The policy is not valid JSON.")


def test_bus_names_partner_sources_and_page_tokens(events):
    assert error_of(events.create_event_bus, Name="orders/eu") == (
        "ValidationException", "Event bus name must not contain '/'.")
    # A partner event bus needs its partner event source, which no partner has created here.
    source = "aws.partner/example.com/123/orders"
    assert error_of(events.create_event_bus, Name=source, EventSourceName=source) == (
        "ResourceNotFoundException", f"Event source {source} does not exist.")
    for call, kwargs in [(events.list_rules, {}), (events.list_event_buses, {}),
                         (events.list_rule_names_by_target, {"TargetArn": "arn:aws:sqs:us-east-1:000000000000:q"})]:
        assert error_of(call, NextToken="not-a-token", **kwargs) == (
            "ValidationException", "The NextToken provided is not valid.")


def test_a_template_filled_in_as_invalid_json_is_dead_lettered(endpoint, events, sqs):
    """EventBridge does not escape values placed inside a quoted JSON string ("Transforming
    target input" in the user guide): a value with a quote makes the output invalid JSON and the
    invocation fails; the event goes to the target DLQ with ERROR_CODE INVALID_JSON."""
    url, arn = make_queue(sqs)
    dlq_url, dlq_arn = make_queue(sqs)
    rule = unique("quoted")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps(ORDER_PLACED))["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{
        "Id": "t", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn},
        "InputTransformer": {"InputPathsMap": {"o": "$.detail.orderId"}, "InputTemplate": '{"text": "order <o>"}'},
    }])
    events.put_events(Entries=[order('o-"1"', "eu-west-1", 5), order("o-2", "eu-west-1", 5)])
    (ok,) = receive(sqs, url, 1)
    assert json.loads(ok["Body"]) == {"text": "order o-2"}
    (dead,) = receive(sqs, dlq_url, 1)
    assert json.loads(dead["Body"])["detail"]["orderId"] == 'o-"1"'
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "INVALID_JSON"
    assert attributes["RULE_ARN"] == rule_arn and attributes["RETRY_ATTEMPTS"] == "0"


def test_recorded_invocations_filter_by_rule(endpoint, events):
    function = f"arn:aws:lambda:us-east-1:000000000000:function:{unique('f')}"
    arns = []
    for name in (unique("a"), unique("b")):
        arns.append(events.put_rule(Name=name, EventPattern=json.dumps(ORDER_PLACED))["RuleArn"])
        events.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": function}])
    events.put_events(Entries=[order("o-8", "eu-west-1", 8)])
    base = f"{endpoint}/_ferrybridge/events/invocations?targetArn={urllib.parse.quote(function)}"
    deadline = time.monotonic() + 5
    while True:
        with urllib.request.urlopen(admin_request(base)) as resp:
            both = json.load(resp)["invocations"]
        if len(both) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert sorted(i["ruleArn"] for i in both) == sorted(arns)
    with urllib.request.urlopen(admin_request(f"{base}&ruleArn={urllib.parse.quote(arns[0])}")) as resp:
        (one,) = json.load(resp)["invocations"]
    assert one["ruleArn"] == arns[0]


# ---------------------------------------------------------------------------------------------
# 5. The bytes on the wire (AWS JSON 1.1)
# ---------------------------------------------------------------------------------------------

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/events/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)


def json11(endpoint, operation, payload, content_type="application/x-amz-json-1.1"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    req = urllib.request.Request(endpoint + "/", data=body, headers={
        "Authorization": AUTH,
        "Content-Type": content_type,
        "X-Amz-Target": f"AWSEvents.{operation}",
    })
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def test_wire_put_events(endpoint):
    status, headers, body = json11(endpoint, "PutEvents", {"Entries": [
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": "{\"a\": 1}"},
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": "[]"},
    ]})
    assert status == 200
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert UUID.match(headers["x-amzn-requestid"])
    doc = json.loads(body)
    assert doc["FailedEntryCount"] == 1
    assert list(doc["Entries"][0]) == ["EventId"] and UUID.match(doc["Entries"][0]["EventId"])
    assert doc["Entries"][1] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}


def test_wire_error_shape(endpoint):
    name = unique("wire")
    status, headers, body = json11(endpoint, "DescribeEventBus", {"Name": name})
    assert status == 400
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert UUID.match(headers["x-amzn-requestid"])
    doc = json.loads(body)
    assert set(doc) == {"__type", "message"}
    # botocore keeps what follows '#', if anything.
    assert doc["__type"].split("#")[-1] == "ResourceNotFoundException"
    assert doc["message"] == f"Event bus {name} does not exist."

    status, _, body = json11(endpoint, "PutRule", {"Name": "bad name"})
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"].split("#")[-1] == "ValidationException"
    assert doc["message"] == (
        "1 validation error detected: Value 'bad name' at 'name' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {RULE_NAME_PATTERN}")


def test_wire_timestamps_are_epoch_seconds_and_time_is_honoured(endpoint, sqs):
    name = unique("wire")
    status, _, body = json11(endpoint, "CreateEventBus", {"Name": name})
    assert status == 200 and json.loads(body) == {
        "EventBusArn": f"arn:aws:events:us-east-1:000000000000:event-bus/{name}"}
    _, _, body = json11(endpoint, "DescribeEventBus", {"Name": name})
    doc = json.loads(body)
    assert set(doc) == {"Arn", "CreationTime", "LastModifiedTime", "Name"}
    assert isinstance(doc["CreationTime"], (int, float)) and abs(doc["CreationTime"] - time.time()) < 60
    url, arn = make_queue(sqs)
    json11(endpoint, "PutRule", {"Name": "r", "EventBusName": name, "EventPattern": json.dumps(ORDER_PLACED)})
    json11(endpoint, "PutTargets", {"Rule": "r", "EventBusName": name, "Targets": [{"Id": "q", "Arn": arn}]})
    status, _, _ = json11(endpoint, "PutEvents", {"Entries": [{
        "Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": "{}", "EventBusName": name,
        "Time": 1640995200.75, "Resources": ["arn:aws:s3:::bucket"]}]})
    assert status == 200
    (m,) = receive(sqs, url, 1)
    event = json.loads(m["Body"])
    assert event["time"] == "2022-01-01T00:00:00Z"
    assert event["resources"] == ["arn:aws:s3:::bucket"] and event["detail"] == {}


def test_wire_unknown_operation_and_bad_json(endpoint):
    status, _, body = json11(endpoint, "NoSuchOperation", {})
    assert status == 400 and "__type" in json.loads(body)
    status, _, body = json11(endpoint, "ListRules", b"{not json")
    assert status == 400 and "__type" in json.loads(body)


def test_cross_region_forwarding_gets_a_new_id_and_keeps_the_origin(endpoint):
    """Recorded by AWS (test_events_cross_account_region): across regions the forwarded event
    gets a new id, while account and region stay the original sender's."""
    account = "555555555555"
    east = events_client(endpoint, account, "us-east-1")
    west = events_client(endpoint, account, "eu-west-1")
    west_sqs = make_client(endpoint, "sqs", account, "eu-west-1")
    bus = unique("eu-orders")
    west_arn = west.create_event_bus(Name=bus)["EventBusArn"]
    assert west_arn == f"arn:aws:events:eu-west-1:{account}:event-bus/{bus}"
    url, arn = make_queue(west_sqs)
    west.put_rule(Name="inbox", EventBusName=bus, EventPattern=json.dumps(ORDER_PLACED))
    west.put_targets(Rule="inbox", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    rule = unique("to-eu")
    east.put_rule(Name=rule, EventPattern=json.dumps(ORDER_PLACED))
    east.put_targets(Rule=rule, Targets=[{"Id": "eu", "Arn": west_arn, "RoleArn": ROLE.format(account)}])
    (entry,) = east.put_events(Entries=[order("o-1", "eu-west-1", 1)])["Entries"]
    (m,) = receive(west_sqs, url, 1)
    event = json.loads(m["Body"])
    assert UUID.match(event["id"]) and event["id"] != entry["EventId"]
    assert event["account"] == account and event["region"] == "us-east-1"
    assert event["detail"] == {"orderId": "o-1", "region": "eu-west-1", "total": 1}
    east.remove_targets(Rule=rule, Ids=["eu"])
    east.delete_rule(Name=rule)


def test_input_transformer_predefined_variables_and_missing_paths(endpoint, sqs):
    """Recorded by AWS (test_events_inputs.snapshot.json): a path that matches nothing renders as
    "" in a JSON template and as nothing in a string template; <aws.events.event> is the envelope
    without detail and with camelCase detailType; <aws.events.event.json> is the whole envelope."""
    events = events_client(endpoint)
    url, arn = make_queue(sqs)
    rule = unique("vars")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.vars"]}))["RuleArn"]
    paths = {"missing": "$.detail.nope", "command": "$.detail.command", "type": "$.detail-type"}
    events.put_targets(Rule=rule, Targets=[
        {"Id": "json", "Arn": arn, "InputTransformer": {"InputPathsMap": paths, "InputTemplate": (
            '{"rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, "missing": <missing>, '
            '"event": <aws.events.event>, "full": <aws.events.event.json>, '
            '"ingested": <aws.events.event.ingestion-time>}')}},
        {"Id": "text", "Arn": arn, "InputTransformer": {"InputPathsMap": paths, "InputTemplate": (
            '"Event of <type> type, info extracted from detail <command>, missing <missing>"')}},
    ])
    (entry,) = events.put_events(Entries=[{
        "Source": "shop.vars", "DetailType": "core.update-account-command",
        "Detail": json.dumps({"command": "update-account"})}])["Entries"]
    bodies = [m["Body"] for m in receive(sqs, url, 2)]
    (text,) = [b for b in bodies if b.startswith('"')]
    assert text == '"Event of core.update-account-command type, info extracted from detail update-account, missing "'
    (doc,) = [json.loads(b) for b in bodies if b.startswith("{")]
    assert doc["rule"] == rule and doc["arn"] == rule_arn and doc["missing"] == ""
    assert set(doc["event"]) == {"id", "account", "detailType", "time", "source", "region", "resources", "version"}
    assert doc["event"]["detailType"] == "core.update-account-command" and doc["event"]["id"] == entry["EventId"]
    assert list(doc["full"]) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert doc["full"]["id"] == entry["EventId"] and doc["full"]["detail"] == {"command": "update-account"}
    assert TIME.match(doc["ingested"])
    events.remove_targets(Rule=rule, Ids=["json", "text"])
    events.delete_rule(Name=rule)


def test_put_events_time_is_whole_seconds_in_utc(endpoint, sqs):
    """Recorded by AWS (test_put_events_time): boto3 sends Time as epoch seconds; the event's
    `time` is that instant as YYYY-MM-DDThh:mm:ssZ."""
    import datetime

    events = events_client(endpoint)
    url, arn = make_queue(sqs)
    rule = unique("time")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.time"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    times = ["2022-01-01", datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc), "2022-01-01 00:00:00Z"]
    events.put_events(Entries=[{"Source": "shop.time", "DetailType": "t", "Detail": "{}", "Time": t} for t in times])
    assert [json.loads(m["Body"])["time"] for m in receive(sqs, url, 3)] == ["2022-01-01T00:00:00Z"] * 3
    events.remove_targets(Rule=rule, Ids=["q"])
    events.delete_rule(Name=rule)
