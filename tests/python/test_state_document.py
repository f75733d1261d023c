"""The state document's integration resources: EventBridge connections (with their secrets)
and API destinations, SNS platform applications with their endpoints, SMS attributes.

`ferrybridge state export` from a running server, `state import` into a fresh one (through the
admin API and offline into a data directory) and into another account, every field checked
through boto3's describes, and an API destination call made with the imported secret. A
document exported with `--redact-secrets` is refused, naming every missing secret, and applies
nothing. Each test starts its own binary ($FERRYBRIDGE_BIN).
"""

import json
import os
import subprocess
import uuid

import pytest

from conftest import make_client
from test_events_api_destinations import Api, wait_for
from test_persistence import BINARY, Server

TOKEN = "state-doc-admin"
OTHER = "111111111111"


@pytest.fixture
def server(tmp_path):
    started = []

    def run(*flags, data_dir=None):
        s = Server(data_dir or tmp_path / uuid.uuid4().hex[:8], "--admin-token", TOKEN, *flags).start()
        started.append(s)
        return s

    yield run
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


@pytest.fixture
def api():
    server = Api()
    yield server
    server.close()


def cli(*args, check=True):
    r = subprocess.run([BINARY, "state", *args], capture_output=True, timeout=60,
                       env={**os.environ, "FERRYBRIDGE_ADMIN_TOKEN": TOKEN})
    assert not check or r.returncode == 0, r.stderr.decode()
    return r


def clients(url, access_key="test"):
    return (make_client(url, "events", access_key), make_client(url, "sns", access_key),
            make_client(url, "sqs", access_key))


def fixtures(url, api):
    """Connections (API key, Basic, OAuth), an API destination, a rule targeting it, a
    platform application with an endpoint subscribed to a topic, SMS attributes."""
    events, sns, _ = clients(url)
    key = events.create_connection(
        Name="key-conn", Description="api key", AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-secret-1"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-team", "Value": "blue", "IsValueSecret": False},
                                     {"Key": "x-hidden", "Value": "hidden-2", "IsValueSecret": True}],
                "QueryStringParameters": [{"Key": "v", "Value": "1", "IsValueSecret": False}]}})
    events.create_connection(
        Name="basic-conn", AuthorizationType="BASIC",
        AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "basic-secret-3"}})
    events.create_connection(
        Name="oauth-conn", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
        AuthParameters={"OAuthParameters": {
            "ClientParameters": {"ClientID": "cid", "ClientSecret": "client-secret-4"},
            "AuthorizationEndpoint": f"{api.url}/oauth/token", "HttpMethod": "POST"}})
    dest = events.create_api_destination(
        Name="hook", Description="the hook", ConnectionArn=key["ConnectionArn"],
        InvocationEndpoint=f"{api.url}/hook", HttpMethod="PUT",
        InvocationRateLimitPerSecond=7)["ApiDestinationArn"]
    events.create_event_bus(Name="doc-bus")
    events.put_rule(Name="to-hook", EventBusName="doc-bus",
                    EventPattern=json.dumps({"source": ["doc"]}))
    assert events.put_targets(Rule="to-hook", EventBusName="doc-bus", Targets=[
        {"Id": "hook", "Arn": dest, "RoleArn": "arn:aws:iam::000000000000:role/api",
         "HttpParameters": {"HeaderParameters": {"x-rule": "r1"}}}])["FailedEntryCount"] == 0
    app = sns.create_platform_application(
        Name="doc-app", Platform="GCM",
        Attributes={"PlatformCredential": "gcm-secret-5", "SuccessFeedbackSampleRate": "50"}
    )["PlatformApplicationArn"]
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=app, Token="device-token-1", CustomUserData="user 7")["EndpointArn"]
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    topic = sns.create_topic(Name="doc-push")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Ferry"})


def check_imported(url, api, access_key="test", account="000000000000"):
    """Every field of the fixtures, as the server at `url` describes them for `access_key`."""
    events, sns, _ = clients(url, access_key)
    c = events.describe_connection(Name="key-conn")
    assert c["ConnectionArn"].startswith(f"arn:aws:events:us-east-1:{account}:connection/key-conn/")
    assert (c["AuthorizationType"], c["Description"], c["ConnectionState"]) == ("API_KEY", "api key", "AUTHORIZED")
    auth = c["AuthParameters"]
    assert auth["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert auth["InvocationHttpParameters"]["HeaderParameters"] == [
        {"Key": "x-team", "Value": "blue", "IsValueSecret": False},
        {"Key": "x-hidden", "IsValueSecret": True}]
    assert auth["InvocationHttpParameters"]["QueryStringParameters"] == [
        {"Key": "v", "Value": "1", "IsValueSecret": False}]
    b = events.describe_connection(Name="basic-conn")
    assert b["AuthParameters"]["BasicAuthParameters"] == {"Username": "u"}
    o = events.describe_connection(Name="oauth-conn")
    assert o["AuthParameters"]["OAuthParameters"]["ClientParameters"] == {"ClientID": "cid"}
    assert o["AuthParameters"]["OAuthParameters"]["AuthorizationEndpoint"] == f"{api.url}/oauth/token"
    d = events.describe_api_destination(Name="hook")
    assert d["ConnectionArn"] == c["ConnectionArn"]
    assert d["ApiDestinationArn"].startswith(f"arn:aws:events:us-east-1:{account}:api-destination/hook/")
    assert (d["Description"], d["InvocationEndpoint"], d["HttpMethod"], d["InvocationRateLimitPerSecond"]) == (
        "the hook", f"{api.url}/hook", "PUT", 7)
    [t] = events.list_targets_by_rule(Rule="to-hook", EventBusName="doc-bus")["Targets"]
    assert t["Arn"] == d["ApiDestinationArn"]
    assert t["RoleArn"] == f"arn:aws:iam::{account}:role/api"
    assert t["HttpParameters"] == {"HeaderParameters": {"x-rule": "r1"}}
    app = f"arn:aws:sns:us-east-1:{account}:app/GCM/doc-app"
    attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    assert attrs["SuccessFeedbackSampleRate"] == "50" and attrs["Enabled"] == "true"
    assert "PlatformCredential" not in attrs
    [e] = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert e["EndpointArn"].startswith(f"arn:aws:sns:us-east-1:{account}:endpoint/GCM/doc-app/")
    assert e["Attributes"] == {"Token": "device-token-1", "CustomUserData": "user 7", "Enabled": "false"}
    topic = f"arn:aws:sns:us-east-1:{account}:doc-push"
    [s] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (s["Protocol"], s["Endpoint"]) == ("application", e["EndpointArn"])
    sms = sns.get_sms_attributes()["attributes"]
    assert (sms["DefaultSMSType"], sms["DefaultSenderID"]) == ("Transactional", "Ferry")
    return events, c


def test_integrations_round_trip_into_a_fresh_server_a_data_dir_and_another_account(server, api, tmp_path):
    a = server()
    fixtures(a.url, api)
    wait_for(lambda: api.tokens >= 1)  # the OAuth connection authorized itself at creation
    doc = json.loads(cli("export", "--endpoint", a.url).stdout)
    assert doc["version"] == 2
    conns = {c["name"]: c for c in doc["events"]["connections"]}
    # Secrets are in the document by default.
    key_auth = conns["key-conn"]["authParameters"]
    assert key_auth["ApiKeyAuthParameters"]["ApiKeyValue"] == "key-secret-1"
    assert key_auth["InvocationHttpParameters"]["HeaderParameters"][1]["Value"] == "hidden-2"
    assert conns["basic-conn"]["authParameters"]["BasicAuthParameters"]["Password"] == "basic-secret-3"
    assert conns["oauth-conn"]["authParameters"]["OAuthParameters"]["ClientParameters"][
        "ClientSecret"] == "client-secret-4"
    [app] = doc["sns"]["platformApplications"]
    assert app["credentials"] == {"PlatformCredential": "gcm-secret-5"}
    [sms] = doc["sns"]["smsAttributes"]
    assert sms["attributes"] == {"DefaultSMSType": "Transactional", "DefaultSenderID": "Ferry"}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))

    # Offline into a data directory: nothing calls out (no OAuth token is fetched).
    tokens = api.tokens
    cli("import", str(path), "--data-dir", str(tmp_path / "offline"))
    assert api.tokens == tokens
    offline = server(data_dir=tmp_path / "offline")
    check_imported(offline.url, api)

    # Into a fresh running server: checked on scratch engines first (no token fetched there),
    # then created; the OAuth connection authorizes itself once, as CreateConnection does.
    b = server()
    tokens = api.tokens
    out = cli("import", str(path), "--endpoint", b.url)
    assert b'"connections":3' in out.stderr.replace(b" ", b""), out.stderr
    events, conn = check_imported(b.url, api)
    assert wait_for(lambda: events.describe_connection(Name="oauth-conn")["ConnectionState"] == "AUTHORIZED")
    assert api.tokens == tokens + 1
    # The imported API key (and secret header) are what the call through the destination sends.
    events.put_events(Entries=[{"Source": "doc", "DetailType": "t", "Detail": "{}", "EventBusName": "doc-bus"}])
    [call] = api.calls("/hook", n=1)
    assert call["method"] == "PUT"
    assert (call["headers"]["x-api-key"], call["headers"]["x-hidden"], call["headers"]["x-team"],
            call["headers"]["x-rule"]) == ("key-secret-1", "hidden-2", "blue", "r1")

    # Into another account of the same server: every ARN the document names moves with it.
    cli("import", str(path), "--endpoint", b.url, "--account", OTHER)
    check_imported(b.url, api, access_key=OTHER, account=OTHER)
    # The imports through the endpoint were journaled: a restart finds them.
    b.kill()
    b.start()
    check_imported(b.url, api)
    check_imported(b.url, api, access_key=OTHER, account=OTHER)
    # Imported again: what exists is kept, nothing doubles.
    cli("import", str(path), "--endpoint", b.url, "--account", OTHER)
    ev, sns, _ = clients(b.url, OTHER)
    assert len(ev.list_connections()["Connections"]) == 3
    app_arn = f"arn:aws:sns:us-east-1:{OTHER}:app/GCM/doc-app"
    assert len(sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"]) == 1


def test_a_redacted_document_names_every_missing_secret_and_applies_nothing(server, api, tmp_path):
    a = server()
    fixtures(a.url, api)
    doc = json.loads(cli("export", "--endpoint", a.url, "--redact-secrets").stdout)
    conns = {c["name"]: c["authParameters"] for c in doc["events"]["connections"]}
    assert conns["key-conn"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key", "ApiKeyValue": None}
    headers = conns["key-conn"]["InvocationHttpParameters"]["HeaderParameters"]
    assert headers == [{"Key": "x-team", "Value": "blue", "IsValueSecret": False},
                       {"Key": "x-hidden", "Value": None, "IsValueSecret": True}]
    assert conns["basic-conn"]["BasicAuthParameters"]["Password"] is None
    assert conns["oauth-conn"]["OAuthParameters"]["ClientParameters"]["ClientSecret"] is None
    assert doc["sns"]["platformApplications"][0]["credentials"] == {"PlatformCredential": None}
    assert "secret-" not in json.dumps(doc)
    path = tmp_path / "redacted.json"
    path.write_text(json.dumps(doc))

    b = server()
    r = cli("import", str(path), "--endpoint", b.url, check=False)
    err = r.stderr.decode()
    assert r.returncode != 0
    for needle in ("connection key-conn (000000000000, us-east-1): authParameters.ApiKeyAuthParameters.ApiKeyValue",
                   "connection key-conn (000000000000, us-east-1): "
                   "authParameters.InvocationHttpParameters.HeaderParameters[1].Value",
                   "connection basic-conn (000000000000, us-east-1): authParameters.BasicAuthParameters.Password",
                   "connection oauth-conn (000000000000, us-east-1): "
                   "authParameters.OAuthParameters.ClientParameters.ClientSecret",
                   "platform application doc-app (000000000000, us-east-1): credentials.PlatformCredential"):
        assert needle in err, err
    # Nothing of the document was applied: no connection, topic, bus or application.
    events, sns, _ = clients(b.url)
    assert events.list_connections()["Connections"] == []
    assert events.list_api_destinations()["ApiDestinations"] == []
    assert [x["Name"] for x in events.list_event_buses()["EventBuses"]] == ["default"]
    assert sns.list_topics()["Topics"] == []
    assert sns.list_platform_applications()["PlatformApplications"] == []
    # Offline, the same.
    r = cli("import", str(path), "--data-dir", str(tmp_path / "offline"), check=False)
    assert r.returncode != 0 and b"ApiKeyValue" in r.stderr, r.stderr

    # With the secrets filled in, it imports.
    conn = next(c for c in doc["events"]["connections"] if c["name"] == "key-conn")["authParameters"]
    conn["ApiKeyAuthParameters"]["ApiKeyValue"] = "filled"
    conn["InvocationHttpParameters"]["HeaderParameters"][1]["Value"] = "filled"
    for c in doc["events"]["connections"]:
        auth = c["authParameters"]
        if "BasicAuthParameters" in auth:
            auth["BasicAuthParameters"]["Password"] = "filled"
        if "OAuthParameters" in auth:
            auth["OAuthParameters"]["ClientParameters"]["ClientSecret"] = "filled"
    doc["sns"]["platformApplications"][0]["credentials"]["PlatformCredential"] = "filled"
    path.write_text(json.dumps(doc))
    cli("import", str(path), "--endpoint", b.url)
    assert len(events.list_connections()["Connections"]) == 3
