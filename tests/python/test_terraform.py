"""Terraform's AWS provider with its DEFAULT settings (no skip_* flags: it validates the
credentials with STS GetCallerIdentity and reads the account id at start), only the endpoints
pointed at ferrybridge. Needs terraform on PATH and the provider in a local filesystem mirror
(TF_PLUGIN_MIRROR, default /opt/tf-plugins); skipped with a clear message otherwise.
"""

import json
import os
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from conftest import PROTOCOL, make_client

MIRROR = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")


def _skip_reason():
    if PROTOCOL == "query":
        # Terraform does not use boto3: one run (with the current venv's checks) is enough.
        return "Terraform runs once, in the current-boto3 pass of the suite"
    if TERRAFORM is None:
        return "terraform is not on PATH"
    if not (MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        return f"no hashicorp/aws provider in the filesystem mirror {MIRROR} (set TF_PLUGIN_MIRROR)"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _terraform(workdir, env, *args):
    out = subprocess.run(
        [TERRAFORM, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, f"terraform {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def test_terraform_apply_and_destroy_with_default_provider_settings(endpoint, tmp_path):
    name = "tf-" + uuid.uuid4().hex[:8]
    (tmp_path / "terraform.rc").write_text(
        textwrap.dedent(
            f"""
            provider_installation {{
              filesystem_mirror {{
                path = "{MIRROR}"
              }}
            }}
            """
        )
    )
    (tmp_path / "main.tf").write_text(
        textwrap.dedent(
            f"""
            terraform {{
              required_providers {{
                aws = {{ source = "hashicorp/aws" }}
              }}
            }}

            provider "aws" {{
              region     = "us-east-1"
              access_key = "test"
              secret_key = "test"
              endpoints {{
                sts    = "{endpoint}"
                iam    = "{endpoint}"
                sqs    = "{endpoint}"
                sns    = "{endpoint}"
                events = "{endpoint}"
              }}
            }}

            data "aws_caller_identity" "me" {{}}

            resource "aws_sqs_queue" "q" {{
              name = "{name}"
              tags = {{ team = "tf" }}
            }}

            resource "aws_sns_topic" "t" {{
              name = "{name}"
            }}

            resource "aws_sns_topic_subscription" "s" {{
              topic_arn            = aws_sns_topic.t.arn
              protocol             = "sqs"
              endpoint             = aws_sqs_queue.q.arn
              raw_message_delivery = true
            }}

            resource "aws_cloudwatch_event_rule" "r" {{
              name          = "{name}"
              event_pattern = jsonencode({{ source = ["tf.test"] }})
            }}

            output "account_id" {{
              value = data.aws_caller_identity.me.account_id
            }}
            """
        )
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(tmp_path / "terraform.rc"),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        # Nothing from the machine's AWS set-up may leak in.
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(var, None)

    _terraform(tmp_path, env, "init", "-input=false", "-no-color")
    _terraform(tmp_path, env, "apply", "-auto-approve", "-input=false", "-no-color")
    try:
        outputs = json.loads(_terraform(tmp_path, env, "output", "-json").stdout)
        assert outputs["account_id"]["value"] == "000000000000"

        sqs = make_client(endpoint)
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "tf"}
        sns = make_client(endpoint, "sns")
        topic_arn = f"arn:aws:sns:us-east-1:000000000000:{name}"
        subs = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
        assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [
            ("sqs", f"arn:aws:sqs:us-east-1:000000000000:{name}")
        ]
        attrs = sns.get_subscription_attributes(SubscriptionArn=subs[0]["SubscriptionArn"])["Attributes"]
        assert attrs["RawMessageDelivery"] == "true"
        rule = make_client(endpoint, "events").describe_rule(Name=name)
        assert json.loads(rule["EventPattern"]) == {"source": ["tf.test"]}
    finally:
        _terraform(tmp_path, env, "destroy", "-auto-approve", "-input=false", "-no-color")

    assert name not in json.dumps(make_client(endpoint).list_queues(QueueNamePrefix=name))
    assert make_client(endpoint, "events").list_rules(NamePrefix=name)["Rules"] == []
