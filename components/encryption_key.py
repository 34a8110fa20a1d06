"""`EncryptionKey`: a customer managed KMS key with yearly rotation and the default key policy
(the account's IAM policies decide who uses it), for resources whose writers must name the key
they encrypt with (the stream and its bucket, the uptime monitor's alert topic).
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html

`service_users` adds, per AWS service principal, the statement SNS documents for an AWS service
that publishes to a topic encrypted with the key (kms:GenerateDataKey* and kms:Decrypt, Resource
"*"), scoped to requests made on behalf of this account's resources in this region
(aws:SourceAccount, aws:SourceArn):
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.lambda_parts import named_tags

MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30
# What an AWS service publishing to an SNS topic encrypted with the key needs (SNS developer
# guide, "Enable compatibility between event sources from AWS services and encrypted topics").
SERVICE_USER_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
SERVICE_PRINCIPAL_SUFFIX = ".amazonaws.com"


@dataclass(frozen=True)
class EncryptionKeyArgs:
    description: str = "Platform data key"
    # Days a deleted key can still be recovered (7 to 30).
    deletion_window_days: int = MAX_DELETION_WINDOW_DAYS
    # AWS service principals (`cloudwatch.amazonaws.com`) that may use the key to publish to an
    # SNS topic it encrypts, on behalf of this account's resources in this region; () = the
    # default key policy only.
    service_users: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for service in self.service_users:
            prefix = service.removesuffix(SERVICE_PRINCIPAL_SUFFIX)
            if not prefix or prefix == service or not re.fullmatch(r"[a-z0-9.-]+", prefix):
                raise ValueError(
                    f"service_users: {service!r} is not an AWS service principal "
                    "(like cloudwatch.amazonaws.com)"
                )
        if not MIN_DELETION_WINDOW_DAYS <= self.deletion_window_days <= MAX_DELETION_WINDOW_DAYS:
            raise ValueError(
                f"deletion_window_days: {self.deletion_window_days!r} must be between "
                f"{MIN_DELETION_WINDOW_DAYS} and {MAX_DELETION_WINDOW_DAYS}"
            )


def key_policy(
    account_id: str, partition: str, region: str, service_users: tuple[str, ...]
) -> dict[str, Any]:
    """The default key policy statement (the account's IAM policies decide for its own
    principals), then one statement per service user, as SNS documents it for AWS services
    that publish to encrypted topics, limited to this account's resources in this region."""
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


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with rotation, and an alias `alias/<name>-<stack>`."""

    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:encryption_key:EncryptionKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy: pulumi.Output[str] | None = None
        if args.service_users:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            policy = pulumi.Output.all(
                aws.get_caller_identity_output(opts=invoke).account_id,
                aws.get_partition_output(opts=invoke).partition,
                aws.get_region_output(opts=invoke).region,
            ).apply(
                lambda values: json.dumps(
                    key_policy(values[0], values[1], values[2], args.service_users)
                )
            )
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            policy=policy,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            tags=named_tags(args.tags, f"{name}-key"),
            opts=child,
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}-{pulumi.get_stack()}",
            target_key_id=key.key_id,
            opts=child,
        )
        self.arn = key.arn
        self.alias_name = alias.name
        self.register_outputs({"arn": self.arn, "alias_name": self.alias_name})
