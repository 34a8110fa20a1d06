"""Customer managed KMS keys, for `EncryptionKey` and for components that keep a key of their own
(the uptime monitor's alert topic): yearly rotation, an alias `alias/<name>-<stack>`, and either
the default key policy or, with `service_users`, the default statement plus what SNS documents
for an AWS service that publishes to a topic encrypted with the key.

- Default key policy (the account root gets kms:*, so IAM policies decide for the account's own
  principals): https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- AWS services publishing to encrypted topics (kms:GenerateDataKey* and kms:Decrypt for the
  service principal, Resource "*"):
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  Each such statement is limited to requests made on behalf of this account's resources in this
  region (aws:SourceAccount, aws:SourceArn; IAM User Guide, "The confused deputy problem":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.common.tags import named_tags

MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30
# What an AWS service publishing to an SNS topic encrypted with the key needs (SNS developer
# guide, "Enable compatibility between event sources from AWS services and encrypted topics").
SERVICE_USER_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
SERVICE_PRINCIPAL_SUFFIX = ".amazonaws.com"


def service_user_problem(service: str) -> str | None:
    """Why `service` is not an AWS service principal like `cloudwatch.amazonaws.com`, or None."""
    prefix = service.removesuffix(SERVICE_PRINCIPAL_SUFFIX)
    if not prefix or prefix == service or not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", prefix):
        return "is not an AWS service principal (like cloudwatch.amazonaws.com)"
    return None


def deletion_window_problem(days: int) -> str | None:
    if not MIN_DELETION_WINDOW_DAYS <= days <= MAX_DELETION_WINDOW_DAYS:
        return f"must be between {MIN_DELETION_WINDOW_DAYS} and {MAX_DELETION_WINDOW_DAYS}"
    return None


def key_policy(
    account_id: str, partition: str, region: str, service_users: Sequence[str]
) -> dict[str, Any]:
    """The default key policy statement, then one statement per service user, as SNS documents
    it for AWS services that publish to encrypted topics, limited to this account's resources in
    this region."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for service in service_users:
        prefix = service.removesuffix(SERVICE_PRINCIPAL_SUFFIX)
        statements.append(
            {
                "Sid": "AllowServiceUse" + "".join(p.title() for p in re.split(r"[.-]", prefix)),
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": list(SERVICE_USER_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:{prefix}:{region}:{account_id}:*"
                    },
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass(frozen=True)
class CustomerKey:
    key: aws.kms.Key
    alias: aws.kms.Alias


def customer_key(
    name: str,
    *,
    description: str,
    deletion_window_days: int,
    service_users: Sequence[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
    policy: pulumi.Input[str] | None = None,
) -> CustomerKey:
    """`<name>-key` (symmetric, rotated yearly) and `<name>-alias` (`alias/<name>-<stack>`),
    children of `parent`; the default key policy unless `service_users` or a whole `policy`
    (a JSON document, like an encrypted bucket's: bucket_grants.py) are given."""
    if service_users and policy is not None:
        raise ValueError("policy: give service_users or a whole policy, not both")
    for service in service_users:
        if (reason := service_user_problem(service)) is not None:
            raise ValueError(f"service_users: {service!r} {reason}")
    if (reason := deletion_window_problem(deletion_window_days)) is not None:
        raise ValueError(f"deletion_window_days: {deletion_window_days!r} {reason}")
    child = pulumi.ResourceOptions(parent=parent)
    if service_users:
        users = tuple(service_users)
        invoke = pulumi.InvokeOutputOptions(parent=parent)
        policy = pulumi.Output.all(
            aws.get_caller_identity_output(opts=invoke).account_id,
            aws.get_partition_output(opts=invoke).partition,
            aws.get_region_output(opts=invoke).region,
        ).apply(lambda values: json.dumps(key_policy(values[0], values[1], values[2], users)))
    key = aws.kms.Key(
        f"{name}-key",
        description=description,
        policy=policy,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        tags=named_tags(tags, f"{name}-key"),
        opts=child,
    )
    alias = aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{name}-{pulumi.get_stack()}",
        target_key_id=key.key_id,
        opts=child,
    )
    return CustomerKey(key, alias)
