"""The uptime monitor's alert topic is encrypted with a customer managed key CloudWatch alarms
can publish through, and the pack blocks a monitor whose topic is not encrypted.

AWS facts the tests follow:
- an AWS service that publishes to an encrypted topic (CloudWatch alarms do) needs, in the key
  policy of a customer managed key, kms:GenerateDataKey* and kms:Decrypt for its service
  principal; alias/aws/sns cannot admit it (SNS developer guide, "Enable compatibility between
  event sources from AWS services and encrypted topics"):
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
- a principal of the account that publishes needs kms:GenerateDataKey and kms:Decrypt on the key
  (same page, "Allow a user to send messages to a topic with SSE"):
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#send-to-encrypted-topic
- the default key policy statement gives the account root kms:* so IAM policies decide for the
  account's own principals:
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- aws:SourceAccount and aws:SourceArn carry the account and the ARN of the resource a service
  acts for (IAM User Guide, "AWS global condition context keys"; "The confused deputy problem"):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.common.kms import key_policy
from components.data.keys import EncryptionKey, EncryptionKeyArgs
from components.monitor.args import UptimeMonitorArgs
from components.monitor.uptime_monitor import UptimeMonitor
from tests.support.iam_eval import Request, allowed_by, caller_context, denied_by
from tools.offline import ACCOUNT_ID, Plan, run_program
from tools.policy_gate import PolicyAnalyzer, run_gate

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
TOPIC = "aws:sns/topic:Topic"
REGION = "us-east-1"
CLOUDWATCH = "cloudwatch.amazonaws.com"
OTHER_ACCOUNT = "210987654321"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SITES = ("https://example.com",)


def alarm_arn(account: str = ACCOUNT_ID, region: str = REGION) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:uptime-monitor-errors-alarm-1a2b3c"


def kms(
    action: str,
    *,
    service: str | None = None,
    source_account: str | None = None,
    source_arn: str | None = None,
    account: str | None = None,
) -> Request:
    """A KMS request on the key: by a service principal (with the source of its request) or by a
    principal of `account`."""
    context = caller_context(
        service=service, source_arn=source_arn, source_account=source_account, account=account
    )
    return Request(action, KEY_ARN, context, service)


def monitor_program(build_dir: Path, transformations: list | None = None):
    def program() -> None:
        UptimeMonitor(
            "uptime-monitor",
            UptimeMonitorArgs(sites=SITES, build_dir=build_dir),
            opts=pulumi.ResourceOptions(transformations=transformations or []),
        )

    return program


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("alert-key-build")


@pytest.fixture(scope="module")
def plan(build_dir: Path) -> Plan:
    return run_program("dev", program=monitor_program(build_dir), secrets={"alertPhoneNumber": ""})


@pytest.fixture(scope="module")
def analyzer() -> Iterator[PolicyAnalyzer]:
    with PolicyAnalyzer() as started:
        yield started


def the_key_policy(plan: Plan) -> dict[str, Any]:
    [key] = plan.of_type(KEY)
    return json.loads(key.inputs["policy"])


# --- the key policy, judged the way KMS judges it --------------------------------------------

POLICY = key_policy(ACCOUNT_ID, "aws", REGION, (CLOUDWATCH,))


@pytest.mark.parametrize("action", ["kms:GenerateDataKey", "kms:Decrypt"])
def test_cloudwatch_alarms_of_this_account_and_region_may_use_the_key(action):
    request = kms(action, service=CLOUDWATCH, source_account=ACCOUNT_ID, source_arn=alarm_arn())
    assert allowed_by(POLICY, request) == ["AllowServiceUseCloudwatch"]
    assert denied_by(POLICY, request) == []


@pytest.mark.parametrize(
    ("service", "source_account", "source_arn"),
    [
        # Another service, even on behalf of this account's resources.
        ("events.amazonaws.com", ACCOUNT_ID, f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/r"),
        ("sns.amazonaws.com", ACCOUNT_ID, alarm_arn()),
        # CloudWatch on behalf of another account's alarm (the confused deputy).
        (CLOUDWATCH, OTHER_ACCOUNT, alarm_arn(OTHER_ACCOUNT)),
        (CLOUDWATCH, ACCOUNT_ID, alarm_arn(OTHER_ACCOUNT)),
        # An alarm of another region.
        (CLOUDWATCH, ACCOUNT_ID, alarm_arn(region="eu-west-1")),
        # A request without the source keys.
        (CLOUDWATCH, None, None),
    ],
)
def test_no_other_service_or_source_may_use_the_key(service, source_account, source_arn):
    request = kms(
        "kms:GenerateDataKey", service=service, source_account=source_account, source_arn=source_arn
    )
    assert allowed_by(POLICY, request) == []


def test_cloudwatch_gets_only_the_documented_actions():
    for action in (
        "kms:Encrypt",
        "kms:ReEncryptFrom",
        "kms:CreateGrant",
        "kms:ScheduleKeyDeletion",
    ):
        request = kms(action, service=CLOUDWATCH, source_account=ACCOUNT_ID, source_arn=alarm_arn())
        assert allowed_by(POLICY, request) == [], action
    [statement] = [s for s in POLICY["Statement"] if s["Principal"] == {"Service": CLOUDWATCH}]
    assert statement["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert statement["Resource"] == "*"


def test_the_account_keeps_the_default_statement_so_iam_policies_decide():
    [root] = [s for s in POLICY["Statement"] if "AWS" in s["Principal"]]
    assert root == {
        "Sid": "EnableIamPolicies",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert allowed_by(POLICY, kms("kms:Decrypt", account=ACCOUNT_ID)) == ["EnableIamPolicies"]
    assert allowed_by(POLICY, kms("kms:Decrypt", account=OTHER_ACCOUNT)) == []


def test_service_users_must_be_service_principals():
    for bad in (
        "cloudwatch",
        "arn:aws:iam::123456789012:root",
        ".amazonaws.com",
        "a b.amazonaws.com",
    ):
        with pytest.raises(ValueError, match="service_users"):
            EncryptionKeyArgs(service_users=(bad,))


def test_a_key_without_service_users_keeps_the_default_policy():
    def program() -> None:
        EncryptionKey("plain", EncryptionKeyArgs())

    [key] = run_program("dev", program=program).of_type(KEY)
    assert "policy" not in key.inputs or not key.inputs["policy"]


# --- the monitor under mocks ------------------------------------------------------------------


def test_the_alert_topic_is_encrypted_with_the_monitors_own_key(plan: Plan):
    [key] = plan.of_type(KEY)
    [topic] = plan.of_type(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    [alias] = plan.of_type(ALIAS)
    assert alias.inputs["name"] == "alias/uptime-monitor-alert-dev"


def test_the_planned_key_policy_is_the_documented_one(plan: Plan):
    assert the_key_policy(plan) == POLICY


# --- the pack ---------------------------------------------------------------------------------


def test_the_monitor_passes_the_pack_without_an_exemption(analyzer, plan: Plan):
    result = run_gate(plan, analyzer)
    assert result.mandatory == [], result.render()
    assert result.by_policy("exemptions-used") == []


def _drop_topic_key(args: pulumi.ResourceTransformationArgs):
    if args.type_ != TOPIC:
        return None
    props = {
        k: v for k, v in args.props.items() if k not in ("kms_master_key_id", "kmsMasterKeyId")
    }
    return pulumi.ResourceTransformationResult(props, args.opts)


def test_a_twin_monitor_with_an_unencrypted_topic_is_blocked(analyzer, build_dir: Path):
    twin = run_program(
        "dev",
        program=monitor_program(build_dir, [_drop_topic_key]),
        secrets={"alertPhoneNumber": ""},
    )
    [topic] = twin.of_type(TOPIC)
    assert not topic.inputs.get("kmsMasterKeyId")
    result = run_gate(twin, analyzer)
    assert [(v.policy, v.resource_name) for v in result.mandatory] == [
        ("sns-topic-encrypted", "uptime-monitor-alerts")
    ]
    assert result.by_policy("exemptions-used") == []
