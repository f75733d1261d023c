"""EventBridge details recorded on AWS (issue 15, items 14-16), through boto3 in both venvs:
PutRule with an empty EventPattern beside a schedule, InputTransformer text templates that
render arrays and objects, the OAuth HttpMethod of a connection in lower case, and the order of
several violations of one member in a ValidationException."""

import json

from test_events import error_of, events_client, make_queue, receive, unique
from test_events_api_destinations import api, authorized  # noqa: F401 (the `api` fixture)

import pytest


@pytest.fixture
def events(endpoint):
    return events_client(endpoint)


@pytest.fixture
def raw_events(endpoint):
    return events_client(endpoint, validate=False)


def test_put_rule_with_a_schedule_and_an_empty_event_pattern(events):
    # source: deployment scripts run against AWS send EventPattern="" beside a schedule
    # (put_rule(ScheduleExpression='rate(1 minute)', EventPattern="") then put_targets), and
    # moto's test_update_rule_with_targets does the same: AWS takes "" as no pattern.
    name = unique("tick")
    arn = events.put_rule(Name=name, ScheduleExpression="rate(5 minutes)", EventPattern="")["RuleArn"]
    described = events.describe_rule(Name=name)
    assert described["Arn"] == arn
    assert described["ScheduleExpression"] == "rate(5 minutes)"
    assert "EventPattern" not in described
    # Updating it the same way keeps it a scheduled rule.
    events.put_rule(Name=name, ScheduleExpression="rate(1 minute)", EventPattern="")
    assert events.describe_rule(Name=name)["ScheduleExpression"] == "rate(1 minute)"
    # An empty pattern alone is no rule at all.
    assert error_of(events.put_rule, Name=unique("nothing"), EventPattern="") == (
        "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")


def test_an_empty_schedule_expression_is_refused_on_a_custom_bus(events):
    # source: AWS's answer reported in aws-controllers-k8s/community#1984 (ScheduleExpression ""
    # sent with an event pattern to a custom bus).
    bus = unique("custom")
    events.create_event_bus(Name=bus)
    assert error_of(events.put_rule, Name=unique("r"), EventBusName=bus, ScheduleExpression="",
                    EventPattern=json.dumps({"source": ["shop"]})) == (
        "ValidationException", "ScheduleExpression is supported only on the default event bus.")


def test_text_template_renders_arrays_and_objects_without_json_quotes(events, sqs):
    # source: issue 15, recorded on AWS: inside a text (non-JSON) InputTemplate an array is
    # `[ACTIVE,INACTIVE]`, an object `{acc_id:0a78,sf_id:baz}`; JSON templates keep JSON.
    url, arn = make_queue(sqs)
    rule = unique("states")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["inventory"]}))
    events.put_targets(Rule=rule, Targets=[
        {"Id": "text", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"states": "$.detail.states", "payload": "$.detail.payload",
                              "severity": "$.detail.severity"},
            "InputTemplate": '"states <states> payload <payload> severity <severity>"'}},
        {"Id": "json", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"states": "$.detail.states", "payload": "$.detail.payload"},
            "InputTemplate": '{"states": <states>, "payload": <payload>}'}},
    ])
    detail = {"states": ["ACTIVE", "INACTIVE"], "payload": {"acc_id": "0a78", "sf_id": "baz"},
              "severity": ["HIGH"]}
    out = events.put_events(Entries=[{"Source": "inventory", "DetailType": "Changed",
                                      "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0
    bodies = sorted(m["Body"] for m in receive(sqs, url, 2))
    assert bodies == sorted([
        '"states [ACTIVE,INACTIVE] payload {acc_id:0a78,sf_id:baz} severity [HIGH]"',
        '{"states":["ACTIVE","INACTIVE"],"payload":{"acc_id":"0a78","sf_id":"baz"}}',
    ])


def test_oauth_http_method_in_lower_case_is_accepted(events, raw_events, api):  # noqa: F811
    # source: issue 15, recorded on AWS: CreateConnection takes `put` for the OAuth HttpMethod,
    # while the API destination's HttpMethod enum stays strict (LocalStack's AWS-validated
    # snapshot test_create_api_destination_invalid_parameters lists AWS's enum order).
    name = unique("conn")
    created = raw_events.create_connection(
        Name=name, AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "AuthorizationEndpoint": f"{api.url}/oauth/token", "HttpMethod": "put",
            "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"}}})
    assert created["ConnectionState"] == "AUTHORIZING"
    assert authorized(events, name), events.describe_connection(Name=name)
    (token_request,) = api.calls("/oauth/token", 1)
    assert token_request["method"] == "PUT"
    code, message = error_of(raw_events.create_api_destination, Name=unique("dest"),
                             ConnectionArn=created["ConnectionArn"], InvocationEndpoint=f"{api.url}/x",
                             HttpMethod="put")
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'put' at 'httpMethod' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]")


def test_violations_of_one_member_pattern_before_length(raw_events):
    # source: LocalStack's AWS-validated test_create_connection_validations (issue 15): the
    # pattern violation of `name` is listed before its length violation.
    name = "This should fail with two errors 123467890123412341234123412341234"
    assert error_of(raw_events.create_connection, Name=name, AuthorizationType="INVALID",
                    AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pass"}}) == (
        "ValidationException",
        f"3 validation errors detected: Value '{name}' at 'name' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal "
        "to 64; Value 'INVALID' at 'authorizationType' failed to satisfy constraint: Member must satisfy "
        "enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]")
