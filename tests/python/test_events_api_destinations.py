"""EventBridge connections and API destinations through boto3 and the AWS CLI, in both venvs,
against a real HTTP server started in the test (http.server in a thread) that plays the
third-party API and the OAuth token endpoint.

Expected values are AWS's: shapes and texts recorded against AWS (LocalStack's AWS-validated
snapshot test_api_destinations_and_connection.snapshot.json) and the AWS documentation (the
headers EventBridge sends, which statuses are retried, OAuth refresh on 401/407); sources in
/work/notes/i7-py-facts.md. One deliberate difference: AWS only calls https:// endpoints; the
tests use http://127.0.0.1, which the emulator must accept.
"""

import base64
import json
import os
import re
import select
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, make_client
from test_cli import aws
from test_events import UUID, error_of, events_client, make_queue, receive, unique

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eventbridge-api-destinations"
SHOP = {"source": ["shop.orders"]}
CONNECTION_ARN = re.compile(rf"^arn:aws:events:{REGION}:{ACCOUNT}:connection/(?P<name>[\w.-]+)/(?P<id>[0-9a-f-]{{36}})$")
DESTINATION_ARN = re.compile(
    rf"^arn:aws:events:{REGION}:{ACCOUNT}:api-destination/(?P<name>[\w.-]+)/(?P<id>[0-9a-f-]{{36}})$")
SECRET_ARN = re.compile(
    rf"^arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/(?P<name>[\w.-]+)/"
    r"[0-9a-f-]{36}-[A-Za-z0-9]{6}$")
#: The DLQ ERROR_CODE values the EventBridge user guide lists (eb-rule-dlq).
DLQ_ERROR_CODES = {
    "CONNECTION_FAILURE", "CROSS_ACCOUNT_INGESTION_FAILED", "CROSS_REGION_INGESTION_FAILED", "ERROR_FROM_TARGET",
    "EVENTS_IN_BATCH_REQUEST_REJECTED", "FAILED_TO_ASSUME_ROLE", "INTERNAL_ERROR", "INVALID_JSON",
    "INVALID_PARAMETER", "NO_PERMISSIONS", "NO_RESOURCE", "RESOURCE_ALREADY_EXISTS", "RESOURCE_LIMIT_EXCEEDED",
    "RESOURCE_MODIFICATION_COLLISION", "SDK_CLIENT_ERROR", "THIRD_ACCOUNT_HOP_DETECTED",
    "THIRD_REGION_HOP_DETECTED", "THROTTLING", "TIMEOUT", "TRANSIENT_ASSUME_ROLE", "UNKNOWN",
}


@pytest.fixture
def events(endpoint):
    return events_client(endpoint)


@pytest.fixture
def raw_events(endpoint):
    return events_client(endpoint, validate=False)


def keys(response):
    return {k for k in response if k != "ResponseMetadata"}


def wait_for(probe, timeout=10, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


# ---------------------------------------------------------------------------------------------
# The third-party API: records every request, answers what the test tells it to
# ---------------------------------------------------------------------------------------------


class Api:
    """A local HTTP server. `statuses` is a list of status codes answered in turn to requests
    outside /oauth (200 once it is empty, or `down` while set); /oauth/token hands out tokens
    tok-1, tok-2, ... and the API answers `revoked[token]` (401 or 407) to a revoked bearer token."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.statuses = []
        self.down = None
        self.tokens = 0
        self.revoked = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                record = {
                    "method": self.command,
                    "path": parsed.path,
                    "query": urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode(),
                    "at": time.monotonic(),
                }
                with api.lock:
                    api.requests.append(record)
                    if parsed.path == "/oauth/token":
                        api.tokens += 1
                        status = 200
                        answer = json.dumps({"access_token": f"tok-{api.tokens}", "token_type": "Bearer",
                                             "expires_in": 3600})
                    else:
                        auth = record["headers"].get("authorization", "")
                        if auth.startswith("Bearer ") and auth[7:] in api.revoked:
                            status = api.revoked[auth[7:]]
                        elif api.down is not None:
                            status = api.down
                        elif api.statuses:
                            status = api.statuses.pop(0)
                        else:
                            status = 200
                        answer = json.dumps({"ok": status < 300})
                data = answer.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any

            def do_HEAD(self):
                self.handle_any()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, path_prefix="/", n=0, timeout=10):
        """The requests whose path starts with `path_prefix`, once there are at least `n`."""
        def probe():
            with self.lock:
                got = [r for r in self.requests if r["path"].startswith(path_prefix)]
            return got if len(got) >= n else None
        return wait_for(probe, timeout) or [r for r in list(self.requests) if r["path"].startswith(path_prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api():
    server = Api()
    yield server
    server.close()


def connection(events, auth_type, auth, name=None, **extra):
    name = name or unique("conn")
    out = events.create_connection(Name=name, AuthorizationType=auth_type, AuthParameters=auth, **extra)
    return name, out


def authorized(events, name, timeout=10):
    return wait_for(lambda: (d := events.describe_connection(Name=name))["ConnectionState"] == "AUTHORIZED" and d,
                    timeout)


def destination(events, conn_arn, endpoint_url, method="POST", **extra):
    name = unique("dest")
    out = events.create_api_destination(Name=name, ConnectionArn=conn_arn, InvocationEndpoint=endpoint_url,
                                        HttpMethod=method, **extra)
    return name, out


def rule_to(events, dest_arn, bus=None, **target):
    """A rule for shop.orders on `bus` (a new one by default) whose one target is the API
    destination; returns (bus, rule ARN)."""
    bus = bus or unique("api-bus")
    events.create_event_bus(Name=bus)
    rule = unique("to-api")
    rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(SHOP))["RuleArn"]
    out = events.put_targets(Rule=rule, EventBusName=bus,
                             Targets=[{"Id": "api", "Arn": dest_arn, "RoleArn": ROLE, **target}])
    assert out["FailedEntryCount"] == 0, out
    return bus, rule_arn


def order(order_id, bus):
    return {"Source": "shop.orders", "DetailType": "OrderPlaced", "EventBusName": bus,
            "Detail": json.dumps({"orderId": order_id, "total": 42})}


def assert_default_headers(headers):
    # Documented (eb-api-destinations "Headers included in requests to API destinations").
    assert headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["range"] == "bytes=0-1048575"
    assert headers["accept-encoding"] == "gzip,deflate"
    assert headers["connection"] == "close"
    assert "host" in headers and "content-length" in headers


# ---------------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------------


def test_api_key_and_basic_connections_are_authorized_and_never_show_secrets(events):
    name, created = connection(events, "API_KEY", {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-s3cr3t"},
        "InvocationHttpParameters": {
            "HeaderParameters": [{"Key": "x-tenant", "Value": "acme", "IsValueSecret": False},
                                 {"Key": "x-signing", "Value": "hdr-s3cr3t", "IsValueSecret": True}],
            "QueryStringParameters": [{"Key": "source", "Value": "eventbridge", "IsValueSecret": False}],
        }}, Description="the orders API")
    # Recorded: {ConnectionArn, ConnectionState, CreationTime, LastModifiedTime}, AUTHORIZED.
    assert keys(created) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime"}
    assert created["ConnectionState"] == "AUTHORIZED"
    match = CONNECTION_ARN.match(created["ConnectionArn"])
    assert match and match["name"] == name and UUID.match(match["id"])

    described = events.describe_connection(Name=name)
    assert keys(described) == {"AuthParameters", "AuthorizationType", "ConnectionArn", "ConnectionState",
                               "CreationTime", "Description", "LastAuthorizedTime", "LastModifiedTime", "Name",
                               "SecretArn"}
    assert described["AuthorizationType"] == "API_KEY" and described["Name"] == name
    assert described["ConnectionArn"] == created["ConnectionArn"]
    assert described["Description"] == "the orders API"
    secret = SECRET_ARN.match(described["SecretArn"])
    assert secret and secret["name"] == name
    auth = described["AuthParameters"]
    assert auth["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    headers = {h["Key"]: h for h in auth["InvocationHttpParameters"]["HeaderParameters"]}
    assert headers["x-tenant"]["Value"] == "acme"
    assert headers["x-signing"]["IsValueSecret"] is True
    text = json.dumps(described, default=str)
    assert "key-s3cr3t" not in text and "hdr-s3cr3t" not in text

    basic, created = connection(events, "BASIC", {"BasicAuthParameters": {"Username": "shop", "Password": "pw-s3cr3t"}})
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=basic)
    # Recorded: no InvocationHttpParameters key when none were given.
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "shop"}}
    assert "pw-s3cr3t" not in json.dumps(described, default=str)
    assert "Description" not in described

    # Recorded (test_create_connection): an empty InvocationHttpParameters is echoed as given.
    empty, _ = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "secret"},
                                              "InvocationHttpParameters": {}})
    assert events.describe_connection(Name=empty)["AuthParameters"] == {
        "ApiKeyAuthParameters": {"ApiKeyName": "ApiKey"}, "InvocationHttpParameters": {}}

    updated = events.update_connection(Name=basic, AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "new-user", "Password": "new-pw"}})
    # Recorded: UpdateConnection adds LastAuthorizedTime.
    assert keys(updated) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastAuthorizedTime",
                             "LastModifiedTime"}
    assert updated["ConnectionState"] == "AUTHORIZED"
    assert events.describe_connection(Name=basic)["AuthParameters"] == {"BasicAuthParameters": {"Username": "new-user"}}


def test_oauth_connection_fetches_a_token_then_is_authorized(events, api):
    name, created = connection(events, "OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
        "AuthorizationEndpoint": f"{api.url}/oauth/token",
        "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "shop-client", "ClientSecret": "client-s3cr3t"},
        "OAuthHttpParameters": {
            "BodyParameters": [{"Key": "scope", "Value": "orders/write", "IsValueSecret": False}],
            "HeaderParameters": [{"Key": "x-oauth", "Value": "yes", "IsValueSecret": False}],
            "QueryStringParameters": [{"Key": "audience", "Value": "orders-api", "IsValueSecret": False}],
        }}})
    # Recorded: OAuth connections start AUTHORIZING.
    assert created["ConnectionState"] == "AUTHORIZING"
    described = authorized(events, name)
    assert described, events.describe_connection(Name=name)
    assert described["AuthParameters"]["OAuthParameters"]["ClientParameters"] == {"ClientID": "shop-client"}
    assert described["AuthParameters"]["OAuthParameters"]["AuthorizationEndpoint"] == f"{api.url}/oauth/token"
    assert described["AuthParameters"]["OAuthParameters"]["HttpMethod"] == "POST"
    assert described["AuthParameters"]["OAuthParameters"]["OAuthHttpParameters"]["QueryStringParameters"] == [
        {"Key": "audience", "Value": "orders-api", "IsValueSecret": False}]
    assert "client-s3cr3t" not in json.dumps(described, default=str)

    (token,) = api.calls("/oauth/token", 1)
    assert token["method"] == "POST"
    assert token["query"]["audience"] == ["orders-api"]
    assert token["headers"]["x-oauth"] == "yes"
    # The client credentials go either as HTTP Basic or in the form body (client_credentials grant).
    form = urllib.parse.parse_qs(token["body"])
    basic = "Basic " + base64.b64encode(b"shop-client:client-s3cr3t").decode()
    assert token["headers"].get("authorization") == basic or (
        form.get("client_id") == ["shop-client"] and form.get("client_secret") == ["client-s3cr3t"])
    assert form.get("scope") == ["orders/write"] or json.loads(token["body"] or "{}").get("scope") == "orders/write"


def test_connection_states_deauthorize_delete_and_list(events):
    prefix = unique("states")
    names = [f"{prefix}-{i}" for i in range(3)]
    for n in names:
        connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}, name=n)

    listed = events.list_connections(NamePrefix=prefix)["Connections"]
    assert [c["Name"] for c in listed] == names
    for c in listed:
        # Recorded entry shape: no AuthParameters, no SecretArn.
        assert set(c) == {"AuthorizationType", "ConnectionArn", "ConnectionState", "CreationTime",
                          "LastAuthorizedTime", "LastModifiedTime", "Name"}
        assert c["AuthorizationType"] == "API_KEY" and c["ConnectionState"] == "AUTHORIZED"

    deauthorized = events.deauthorize_connection(Name=names[0])
    assert keys(deauthorized) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastAuthorizedTime",
                                  "LastModifiedTime"}
    assert deauthorized["ConnectionState"] == "DEAUTHORIZING"
    assert wait_for(lambda: events.describe_connection(Name=names[0])["ConnectionState"] == "DEAUTHORIZED")
    after_deauthorize = events.describe_connection(Name=names[0])
    assert [c["Name"] for c in events.list_connections(NamePrefix=prefix, ConnectionState="DEAUTHORIZED")[
        "Connections"]] == names[:1]
    assert [c["Name"] for c in events.list_connections(NamePrefix=prefix, ConnectionState="AUTHORIZED")[
        "Connections"]] == names[1:]
    # Authorizing it again is an UpdateConnection with new parameters.
    again = events.update_connection(Name=names[0], AuthorizationType="API_KEY",
                                     AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "w"}})
    assert again["ConnectionState"] in ("AUTHORIZING", "AUTHORIZED")
    assert wait_for(lambda: events.describe_connection(Name=names[0])["ConnectionState"] == "AUTHORIZED")

    page = events.list_connections(NamePrefix=prefix, Limit=2)
    assert [c["Name"] for c in page["Connections"]] == names[:2] and page["NextToken"]
    rest = events.list_connections(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
    assert [c["Name"] for c in rest["Connections"]] == names[2:] and "NextToken" not in rest

    deleted = events.delete_connection(Name=names[1])
    # Recorded: DeleteConnection answers DELETING.
    assert keys(deleted) == {"ConnectionArn", "ConnectionState", "CreationTime", "LastAuthorizedTime",
                             "LastModifiedTime"}
    assert deleted["ConnectionState"] == "DELETING"

    def gone():
        try:
            events.describe_connection(Name=names[1])
        except events.exceptions.ResourceNotFoundException as e:
            return e.response
        return None

    error = wait_for(gone)
    assert error and error["Error"]["Message"] == (
        f"Failed to describe the connection(s). Connection '{names[1]}' does not exist.")
    assert [c["Name"] for c in events.list_connections(NamePrefix=prefix)["Connections"]] == [names[0], names[2]]
    # Docs (eb-api-destinations, "De-authorizing connections"): "When you de-authorize a
    # connection, it removes all authorization parameters."
    assert "ApiKeyAuthParameters" not in after_deauthorize.get("AuthParameters", {}), after_deauthorize


def test_connection_errors(events, raw_events):
    name, _ = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    assert error_of(events.create_connection, Name=name, AuthorizationType="API_KEY", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})[0] == "ResourceAlreadyExistsException"
    missing = unique("missing")
    assert error_of(events.describe_connection, Name=missing) == (
        "ResourceNotFoundException", f"Failed to describe the connection(s). Connection '{missing}' does not exist.")
    for call in (events.delete_connection, events.deauthorize_connection):
        assert error_of(call, Name=missing)[0] == "ResourceNotFoundException"
    assert error_of(events.update_connection, Name=missing, Description="x")[0] == "ResourceNotFoundException"
    # Recorded texts.
    assert error_of(raw_events.create_connection, Name=unique("c"), AuthorizationType="INVALID_AUTH_TYPE",
                    AuthParameters={}) == (
        "ValidationException",
        "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]")
    assert error_of(raw_events.create_connection, Name="Invalid Name With Spaces!", AuthorizationType="API_KEY",
                    AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "secret"},
                                    "InvocationHttpParameters": {}}) == (
        "ValidationException",
        "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")


# ---------------------------------------------------------------------------------------------
# API destinations as resources
# ---------------------------------------------------------------------------------------------


def test_api_destination_lifecycle(events, api):
    _, conn = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    name, created = destination(events, conn["ConnectionArn"], f"{api.url}/orders", Description="orders")
    # Recorded: {ApiDestinationArn, ApiDestinationState, CreationTime, LastModifiedTime}, ACTIVE.
    assert keys(created) == {"ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"}
    assert created["ApiDestinationState"] == "ACTIVE"
    match = DESTINATION_ARN.match(created["ApiDestinationArn"])
    assert match and match["name"] == name

    described = events.describe_api_destination(Name=name)
    assert keys(described) == {"ApiDestinationArn", "ApiDestinationState", "ConnectionArn", "CreationTime",
                               "Description", "HttpMethod", "InvocationEndpoint", "InvocationRateLimitPerSecond",
                               "LastModifiedTime", "Name"}
    assert described["ConnectionArn"] == conn["ConnectionArn"]
    assert described["InvocationEndpoint"] == f"{api.url}/orders" and described["HttpMethod"] == "POST"
    # Recorded: the default rate limit is 300 per second.
    assert described["InvocationRateLimitPerSecond"] == 300

    listed = events.list_api_destinations(NamePrefix=name)["ApiDestinations"]
    assert [d["Name"] for d in listed] == [name]
    assert set(listed[0]) == {"ApiDestinationArn", "ApiDestinationState", "ConnectionArn", "CreationTime",
                              "HttpMethod", "InvocationEndpoint", "InvocationRateLimitPerSecond",
                              "LastModifiedTime", "Name"}
    by_connection = events.list_api_destinations(ConnectionArn=conn["ConnectionArn"])["ApiDestinations"]
    assert [d["Name"] for d in by_connection] == [name]

    updated = events.update_api_destination(Name=name, HttpMethod="PUT", InvocationEndpoint=f"{api.url}/v2/orders",
                                            InvocationRateLimitPerSecond=5, Description="orders v2")
    assert keys(updated) == {"ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime"}
    described = events.describe_api_destination(Name=name)
    assert (described["HttpMethod"], described["InvocationEndpoint"], described["InvocationRateLimitPerSecond"],
            described["Description"]) == ("PUT", f"{api.url}/v2/orders", 5, "orders v2")

    assert keys(events.delete_api_destination(Name=name)) == set()
    assert error_of(events.describe_api_destination, Name=name) == (
        "ResourceNotFoundException",
        f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist.")


def test_api_destination_on_an_unauthorized_oauth_connection_is_inactive(events):
    # Recorded: an OAuth connection whose endpoint cannot be reached stays AUTHORIZING and an API
    # destination on it is INACTIVE.
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    _, conn = connection(events, "OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
        "AuthorizationEndpoint": f"http://127.0.0.1:{port}/oauth/token", "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"}}})
    assert conn["ConnectionState"] == "AUTHORIZING"
    _, created = destination(events, conn["ConnectionArn"], "http://127.0.0.1:9/orders")
    assert created["ApiDestinationState"] == "INACTIVE"


def test_api_destination_errors(events, raw_events):
    _, conn = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    name, _ = destination(events, conn["ConnectionArn"], "http://127.0.0.1:9/x")
    assert error_of(events.create_api_destination, Name=name, ConnectionArn=conn["ConnectionArn"],
                    InvocationEndpoint="http://127.0.0.1:9/x", HttpMethod="POST")[0] == "ResourceAlreadyExistsException"
    missing_conn = f"arn:aws:events:{REGION}:{ACCOUNT}:connection/nope/{uuid.uuid4()}"
    assert error_of(events.create_api_destination, Name=unique("d"), ConnectionArn=missing_conn,
                    InvocationEndpoint="http://127.0.0.1:9/x", HttpMethod="POST")[0] == "ResourceNotFoundException"
    for call in (events.describe_api_destination, events.delete_api_destination):
        assert error_of(call, Name=unique("missing"))[0] == "ResourceNotFoundException"
    assert error_of(raw_events.create_api_destination, Name="Invalid Name With Spaces!",
                    ConnectionArn=conn["ConnectionArn"], HttpMethod="POST",
                    InvocationEndpoint="https://example.com/api") == (
        "ValidationException",
        "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
    # Recorded text, with AWS's order of the method enum (not the model's).
    assert error_of(raw_events.create_api_destination, Name=unique("d"), ConnectionArn="invalid-connection-arn",
                    HttpMethod="INVALID_METHOD", InvocationEndpoint="invalid-endpoint") == (
        "ValidationException",
        "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$; "
        "Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must satisfy enum value set: "
        "[HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]")


# ---------------------------------------------------------------------------------------------
# Invocations: the real HTTP requests
# ---------------------------------------------------------------------------------------------


def test_api_key_invocation_headers_query_path_and_body_on_the_wire(events, api):
    _, conn = connection(events, "API_KEY", {
        "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-1"},
        "InvocationHttpParameters": {
            "HeaderParameters": [{"Key": "x-tenant", "Value": "acme", "IsValueSecret": False},
                                 {"Key": "x-signing", "Value": "sig", "IsValueSecret": True}],
            "QueryStringParameters": [{"Key": "source", "Value": "eventbridge", "IsValueSecret": False}],
        }})
    _, dest = destination(events, conn["ConnectionArn"], f"{api.url}/orders/*/items", method="POST")
    # HttpParameters docs: merged with the connection's, "with any values from the Connection
    # taking precedence".
    bus, _ = rule_to(events, dest["ApiDestinationArn"], HttpParameters={
        "PathParameterValues": ["o-1"],
        "HeaderParameters": {"x-order-source": "shop", "x-tenant": "from-target"},
        "QueryStringParameters": {"priority": "high", "source": "from-target"},
    })
    put = events.put_events(Entries=[order("o-1", bus)])
    (call,) = api.calls("/orders", 1)
    assert call["method"] == "POST" and call["path"] == "/orders/o-1/items"
    assert call["query"] == {"source": ["eventbridge"], "priority": ["high"]}
    headers = call["headers"]
    assert_default_headers(headers)
    assert headers["x-api-key"] == "key-1"
    assert headers["x-tenant"] == "acme" and headers["x-signing"] == "sig"
    assert headers["x-order-source"] == "shop"
    body = json.loads(call["body"])
    # The event itself, as every target gets it.
    assert list(body) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"]
    assert body["id"] == put["Entries"][0]["EventId"] and body["detail"]["orderId"] == "o-1"
    assert int(headers["content-length"]) == len(call["body"].encode())


def test_basic_invocation_with_an_input_transformer(events, api):
    _, conn = connection(events, "BASIC", {"BasicAuthParameters": {"Username": "shop", "Password": "pw"}})
    _, dest = destination(events, conn["ConnectionArn"], f"{api.url}/hooks/orders", method="PUT")
    bus, _ = rule_to(events, dest["ApiDestinationArn"], InputTransformer={
        "InputPathsMap": {"id": "$.detail.orderId"}, "InputTemplate": '{"order": <id>, "via": "eventbridge"}'})
    events.put_events(Entries=[order("o-9", bus)])
    (call,) = api.calls("/hooks", 1)
    assert call["method"] == "PUT"
    assert call["headers"]["authorization"] == "Basic " + base64.b64encode(b"shop:pw").decode()
    assert json.loads(call["body"]) == {"order": "o-9", "via": "eventbridge"}
    assert_default_headers(call["headers"])


def test_oauth_token_is_cached_and_refreshed_on_401_and_407(events, api):
    name, conn = connection(events, "OAUTH_CLIENT_CREDENTIALS", {"OAuthParameters": {
        "AuthorizationEndpoint": f"{api.url}/oauth/token", "HttpMethod": "POST",
        "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"}}})
    assert authorized(events, name)
    dest_name, dest = destination(events, conn["ConnectionArn"], f"{api.url}/orders")
    assert events.describe_api_destination(Name=dest_name)["ApiDestinationState"] == "ACTIVE"
    # Docs recommend a retry policy > 0 with OAuth: the retry uses the refreshed token.
    bus, _ = rule_to(events, dest["ApiDestinationArn"], RetryPolicy={"MaximumRetryAttempts": 2})
    events.put_events(Entries=[order("o-1", bus)])
    events.put_events(Entries=[order("o-2", bus)])
    calls = api.calls("/orders", 2)
    assert [c["headers"]["authorization"] for c in calls] == ["Bearer tok-1", "Bearer tok-1"]
    assert api.tokens == 1, "the token is cached"

    # The API stops accepting tok-1: EventBridge refreshes the token on a 401 or 407 (docs).
    api.revoked["tok-1"] = 401
    events.put_events(Entries=[order("o-3", bus)])
    calls = api.calls("/orders", 4)
    assert [c["headers"]["authorization"] for c in calls[2:4]] == ["Bearer tok-1", "Bearer tok-2"]
    assert json.loads(calls[3]["body"])["detail"]["orderId"] == "o-3"
    assert api.tokens == 2
    # ...and on a 407 the same way.
    api.revoked["tok-2"] = 407
    events.put_events(Entries=[order("o-4", bus)])
    calls = api.calls("/orders", 6)
    assert [c["headers"]["authorization"] for c in calls[4:6]] == ["Bearer tok-2", "Bearer tok-3"]
    assert api.tokens == 3


def test_rate_limit_is_honoured(events, api):
    _, conn = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    _, dest = destination(events, conn["ConnectionArn"], f"{api.url}/slow", InvocationRateLimitPerSecond=5)
    bus, _ = rule_to(events, dest["ApiDestinationArn"])
    for i in range(0, 10, 5):
        events.put_events(Entries=[order(f"o-{j}", bus) for j in range(i, i + 5)])
    calls = api.calls("/slow", 10, timeout=15)
    assert len(calls) == 10
    at = sorted(c["at"] for c in calls)
    # At most 5 calls in any second: call i+5 comes a second or more after call i (a little
    # slack for the two clocks' granularity).
    gaps = [at[i + 5] - at[i] for i in range(5)]
    assert min(gaps) >= 0.95, gaps
    # ...and the limit does not slow the calls down much more than that.
    assert at[-1] - at[0] < 6, at[-1] - at[0]
    assert sorted(json.loads(c["body"])["detail"]["orderId"] for c in calls) == sorted(f"o-{i}" for i in range(10))


def test_4xx_goes_to_the_dlq_at_once_and_5xx_after_the_retries(events, api, endpoint):
    sqs = make_client(endpoint)
    dlq_url, dlq_arn = make_queue(sqs)
    _, conn = connection(events, "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
    _, dest = destination(events, conn["ConnectionArn"], f"{api.url}/orders")
    bus, rule_arn = rule_to(events, dest["ApiDestinationArn"], DeadLetterConfig={"Arn": dlq_arn},
                            RetryPolicy={"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60})

    # 400: not retried (docs: 4xx other than 429 are not retried).
    api.statuses = [400]
    put = events.put_events(Entries=[order("bad", bus)])
    assert put["FailedEntryCount"] == 0
    (dead,) = receive(sqs, dlq_url, 1)
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == rule_arn and attrs["TARGET_ARN"] == dest["ApiDestinationArn"]
    assert attrs["ERROR_CODE"] in DLQ_ERROR_CODES and attrs["ERROR_MESSAGE"]
    assert attrs["RETRY_ATTEMPTS"] == "0"
    assert json.loads(dead["Body"])["id"] == put["Entries"][0]["EventId"]
    assert len(api.calls("/orders", 1)) == 1

    # 503 then 429 then 500: retried twice, then the DLQ.
    api.statuses = [503, 429, 500]
    put = events.put_events(Entries=[order("down", bus)])
    (dead,) = receive(sqs, dlq_url, 1, timeout=15)
    attrs = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["ERROR_CODE"] in DLQ_ERROR_CODES
    assert len(api.calls("/orders", 4)) == 4

    # A 503 followed by a 200 is delivered: nothing dead-lettered.
    api.statuses = [503]
    events.put_events(Entries=[order("flaky", bus)])
    calls = api.calls("/orders", 6, timeout=15)
    assert [json.loads(c["body"])["detail"]["orderId"] for c in calls[4:6]] == ["flaky", "flaky"]
    assert receive(sqs, dlq_url, 1, timeout=1.5) == []


# ---------------------------------------------------------------------------------------------
# The AWS CLI
# ---------------------------------------------------------------------------------------------


def cli(endpoint, *args):
    out = aws(endpoint, "events", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_cli_connections_and_api_destinations(endpoint):
    name = unique("cli-conn")
    created = cli(endpoint, "create-connection", "--name", name, "--authorization-type", "BASIC",
                  "--auth-parameters", json.dumps({"BasicAuthParameters": {"Username": "shop", "Password": "pw-cli"}}))
    assert created["ConnectionState"] == "AUTHORIZED" and CONNECTION_ARN.match(created["ConnectionArn"])
    described = cli(endpoint, "describe-connection", "--name", name)
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "shop"}}
    assert "pw-cli" not in json.dumps(described)
    listed = cli(endpoint, "list-connections", "--name-prefix", name, "--connection-state", "AUTHORIZED")
    assert [c["Name"] for c in listed["Connections"]] == [name]
    # --cli-input-json: AWS CLI v1 fetches an http(s):// URL given as a parameter value.
    dest = unique("cli-dest")
    made = cli(endpoint, "create-api-destination", "--cli-input-json", json.dumps({
        "Name": dest, "ConnectionArn": created["ConnectionArn"], "HttpMethod": "POST",
        "InvocationEndpoint": "https://api.example.com/orders"}))
    assert made["ApiDestinationState"] == "ACTIVE"
    listed = cli(endpoint, "list-api-destinations", "--connection-arn", created["ConnectionArn"])
    assert [d["Name"] for d in listed["ApiDestinations"]] == [dest]
    assert listed["ApiDestinations"][0]["InvocationEndpoint"] == "https://api.example.com/orders"
    assert cli(endpoint, "deauthorize-connection", "--name", name)["ConnectionState"] == "DEAUTHORIZING"
    assert cli(endpoint, "delete-api-destination", "--name", dest) is None
    assert cli(endpoint, "delete-connection", "--name", name)["ConnectionState"] == "DELETING"
    missing = aws(endpoint, "events", "describe-connection", "--name", name)
    assert missing.returncode != 0
    assert ("An error occurred (ResourceNotFoundException) when calling the DescribeConnection operation: "
            f"Failed to describe the connection(s). Connection '{name}' does not exist.") in missing.stderr


# ---------------------------------------------------------------------------------------------
# README: "Call an HTTP API from a rule, then replay after an outage", run verbatim
# ---------------------------------------------------------------------------------------------

README_SECTION = "### Call an HTTP API from a rule, then replay after an outage"


def readme_blocks():
    text = (ROOT / "README.md").read_text()
    start = text.index(README_SECTION)
    end = text.find("\n## ", start)
    section = text[start:end if end != -1 else len(text)]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def json_documents(text):
    """Every JSON object printed in `text` (the CLI prints one per command)."""
    decoder, docs, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) != -1:
        try:
            doc, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        docs.append(doc)
        i = end
    return docs


class Shell:
    """One bash session running README blocks in turn (variables carry over), with the
    emulator's and the API's URLs put in for http://localhost:4566 and http://localhost:8080."""

    def __init__(self, endpoint, api_url):
        self.endpoint, self.api_url = endpoint, api_url
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1)

    def run(self, block, timeout=60):
        script = block.replace("http://localhost:4566", self.endpoint).replace("http://localhost:8080", self.api_url)
        marker = f"__done_{uuid.uuid4().hex}__"
        self.proc.stdin.write(f"set -e\n{script}\necho {marker}\n")
        self.proc.stdin.flush()
        out, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                self.close()
                raise AssertionError("README block timed out:\n" + script + "\n--- output ---\n" + "".join(out))
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("README block failed:\n" + script + "\n--- output ---\n" + "".join(out))
            if line.strip() == marker:
                return "".join(out)
            out.append(line)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def test_readme_story_call_an_api_then_replay_after_an_outage(endpoint, api):
    blocks = readme_blocks()
    assert len(blocks) == 3, "setup, outage, recovery"
    shell = Shell(endpoint, api.url)
    try:
        # 1. The API works: connection, API destination, rule with a DLQ, archive; one order arrives.
        shell.run(blocks[0])
        (first,) = api.calls("/orders", 1)
        assert first["headers"]["x-api-key"] == "my-api-key"
        assert "replay-name" not in json.loads(first["body"])

        # 2. The API is down: the events fail with 503, are retried once, and land in the DLQ.
        # (A reader's outage lasts longer than a second: the first order stays out of the window.)
        time.sleep(1.1)
        api.down = 503
        out = shell.run(blocks[1])
        (dead,) = [d["Messages"] for d in json_documents(out) if "Messages" in d]
        assert len(dead) == 2
        for m in dead:
            assert m["MessageAttributes"]["RETRY_ATTEMPTS"]["StringValue"] == "1"
            assert m["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumRetryAttempts"
        assert len(api.calls("/orders", 5)) == 5  # 1 + 2 events x (1 attempt + 1 retry)

        # 3. The API is back: replay the outage window into the rule; the API gets both orders,
        # marked with the replay's name.
        api.down = None
        out = shell.run(blocks[2])
        assert "COMPLETED" in out
        replayed = [json.loads(c["body"]) for c in api.calls("/orders", 7)[5:]]
        assert sorted(b["detail"]["orderId"] for b in replayed) == ["o-2", "o-3"]
        assert {b["replay-name"] for b in replayed} == {"after-outage"}
    finally:
        shell.close()
