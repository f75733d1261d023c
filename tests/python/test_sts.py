"""AWS STS through boto3 and the AWS CLI: caller identity, temporary credentials, and the
account rule seen by SQS, SNS and EventBridge (keys from AssumeRole act as the role's account).
"""

import base64
import json
import os
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import make_client


def role_client(endpoint, service, creds, region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def unvalidated_sts(endpoint):
    """An STS client that leaves validation to the server (as LocalStack's recorded tests do)."""
    return boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=False),
    )


def test_get_caller_identity_root_of_key_account(endpoint):
    ident = make_client(endpoint, "sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["UserId"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    # A 12-digit key is that account; the regional form answers the same.
    ident = make_client(endpoint, "sts", access_key="123456789012", region="eu-central-1").get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"


def test_assume_role_then_every_service_acts_in_the_role_account(endpoint):
    account = "555566667777"
    out = make_client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/service-role/app", RoleSessionName="py-session"
    )
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["Expiration"].tzinfo is not None
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/app/py-session"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":py-session")
    assert "PackedPolicySize" not in out

    ident = role_client(endpoint, "sts", creds).get_caller_identity()
    assert ident["Account"] == account
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]

    name = "role-q-" + uuid.uuid4().hex[:8]
    url = role_client(endpoint, "sqs", creds).create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/{account}/{name}")
    default_urls = make_client(endpoint).list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert default_urls == []
    owner_urls = make_client(endpoint, access_key=account).list_queues(QueueNamePrefix=name)["QueueUrls"]
    assert owner_urls == [url]

    topic = role_client(endpoint, "sns", creds).create_topic(Name=name)["TopicArn"]
    assert topic == f"arn:aws:sns:us-east-1:{account}:{name}"
    rule = role_client(endpoint, "events", creds).put_rule(
        Name=name, EventPattern=json.dumps({"source": ["app"]})
    )["RuleArn"]
    assert rule == f"arn:aws:events:us-east-1:{account}:rule/{name}"
    with pytest.raises(ClientError) as e:
        make_client(endpoint, "events").describe_rule(Name=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_session_and_federation_tokens(endpoint):
    sts = make_client(endpoint, "sts", access_key="888877776666")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session = role_client(endpoint, "sts", creds)
    assert session.get_caller_identity()["Arn"] == "arn:aws:iam::888877776666:root"
    with pytest.raises(ClientError) as e:
        session.get_session_token()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert e.value.response["Error"]["Message"] == "Cannot call GetSessionToken with session credentials"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    out = sts.get_federation_token(Name="bob")
    # source: LocalStack test_get_federation_token, recorded against AWS 2024-06-05.
    assert out["FederatedUser"] == {
        "Arn": "arn:aws:sts::888877776666:federated-user/bob",
        "FederatedUserId": "888877776666:bob",
    }
    assert out["PackedPolicySize"] == 0
    fed = role_client(endpoint, "sts", out["Credentials"])
    assert fed.get_caller_identity()["Arn"] == "arn:aws:sts::888877776666:federated-user/bob"


def _jwt(claims):
    enc = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode().rstrip("=")
    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJl"


def test_web_identity_is_accepted_unsigned(endpoint):
    # No credentials at all: botocore sends AssumeRoleWithWebIdentity unsigned.
    from botocore import UNSIGNED

    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    token = _jwt({"sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
                  "iss": "https://token.actions.githubusercontent.com"})
    out = sts.assume_role_with_web_identity(
        RoleArn="arn:aws:iam::777766665555:role/gha", RoleSessionName="gha-run", WebIdentityToken=token
    )
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::777766665555:assumed-role/gha/gha-run"
    assert out["SubjectFromWebIdentityToken"] == "repo:org/app:ref:refs/heads/main"
    assert out["Audience"] == "sts.amazonaws.com"
    assert out["Provider"] == "https://token.actions.githubusercontent.com"
    ident = role_client(endpoint, "sts", out["Credentials"]).get_caller_identity()
    assert ident["Account"] == "777766665555"
    # Other operations still need a signature.
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "MissingAuthenticationToken"


SAML = """<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"
 Version="2.0"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">http://localhost/</Issuer><Assertion
 xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_2" Version="2.0"><Issuer>http://idp.example/</Issuer>
 <Subject><NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">user-42</NameID>
 <SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData
 Recipient="https://signin.aws.amazon.com/saml"/></SubjectConfirmation></Subject><AttributeStatement>
 <Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><AttributeValue>alice</AttributeValue>
 </Attribute></AttributeStatement></Assertion></samlp:Response>"""


def test_saml_is_accepted_unsigned(endpoint):
    from botocore import UNSIGNED

    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )
    out = sts.assume_role_with_saml(
        RoleArn="arn:aws:iam::121212121212:role/admins",
        PrincipalArn="arn:aws:iam::121212121212:saml-provider/corp",
        SAMLAssertion=base64.b64encode(SAML.encode()).decode(),
    )
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::121212121212:assumed-role/admins/alice"
    assert out["Subject"] == "user-42"
    assert out["SubjectType"] == "transient"
    assert out["Issuer"] == "http://idp.example/"
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    assert len(base64.b64decode(out["NameQualifier"])) == 20


@pytest.mark.parametrize(
    "kwargs,message",
    [
        # source: LocalStack test_sts_invalid_parameters, recorded against AWS 2025-07-21.
        ({"RoleArn": "nothing-valid-in-here", "RoleSessionName": "Session1"}, "nothing-valid-in-here is invalid"),
        ({"RoleArn": "arn:a:a::aaaaaaaaaa:", "RoleSessionName": "Session1"}, "arn:a:a::aaaaaaaaaa: is invalid"),
        (
            {"RoleArn": "arn:a:b:::something/test-role", "RoleSessionName": "Session1:2"},
            "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ),
        # source: LocalStack test_assume_role_session_name_too_long, recorded 2026-02-09.
        (
            {"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "s" * 65},
            f"1 validation error detected: Value '{'s' * 65}' at 'roleSessionName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64",
        ),
        (
            {"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "s1", "DurationSeconds": 43201},
            "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 43200",
        ),
    ],
)
def test_assume_role_validation(endpoint, kwargs, message):
    with pytest.raises(ClientError) as e:
        unvalidated_sts(endpoint).assume_role(**kwargs)
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"], err["Type"]) == ("ValidationError", message, "Sender")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def aws(endpoint, *args, env=None):
    full_env = {k: v for k, v in os.environ.items() if k != "AWS_SESSION_TOKEN"}
    full_env.update(
        {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_PAGER": "",
            **(env or {}),
        }
    )
    return subprocess.run(
        ["aws", "--endpoint-url", endpoint, "--output", "json", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_get_caller_identity_and_assume_role(endpoint):
    out = aws(endpoint, "sts", "get-caller-identity")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "UserId": "000000000000",
        "Account": "000000000000",
        "Arn": "arn:aws:iam::000000000000:root",
    }
    account = "246813579024"
    out = aws(endpoint, "sts", "assume-role", "--role-arn", f"arn:aws:iam::{account}:role/cli",
              "--role-session-name", "cli-session")
    assert out.returncode == 0, out.stderr
    creds = json.loads(out.stdout)["Credentials"]
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    ident = aws(endpoint, "sts", "get-caller-identity", env=env)
    assert ident.returncode == 0, ident.stderr
    assert json.loads(ident.stdout)["Arn"] == f"arn:aws:sts::{account}:assumed-role/cli/cli-session"

    name = "cli-role-" + uuid.uuid4().hex[:6]
    q = aws(endpoint, "sqs", "create-queue", "--queue-name", name, env=env)
    assert q.returncode == 0, q.stderr
    assert json.loads(q.stdout)["QueueUrl"].endswith(f"/{account}/{name}")
    t = aws(endpoint, "sns", "create-topic", "--name", name, env=env)
    assert t.returncode == 0, t.stderr
    assert json.loads(t.stdout)["TopicArn"] == f"arn:aws:sns:us-east-1:{account}:{name}"
    r = aws(endpoint, "events", "put-rule", "--name", name, "--schedule-expression", "rate(5 minutes)", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["RuleArn"] == f"arn:aws:events:us-east-1:{account}:rule/{name}"
    # The default account does not see them.
    listed = aws(endpoint, "sqs", "list-queues", "--queue-name-prefix", name)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout or "{}").get("QueueUrls", []) == []


def test_cli_validation_error(endpoint):
    out = aws(endpoint, "sts", "assume-role", "--role-arn", "nothing-valid-in-here", "--role-session-name", "s1")
    assert out.returncode != 0
    assert "(ValidationError)" in out.stderr
    assert "nothing-valid-in-here is invalid" in out.stderr
