"""Documents AWS itself supplies on a path (never the program): a key's default policy, the
policies of AWS managed keys, a function policy as Lambda writes it from AddPermission, and the
Elastic Load Balancing log writer's own account. Each follows the AWS page cited beside it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.iam_judge import Document
from tools.offline import aws_managed_key_arn

DEFAULT_KEY_POLICY_DOC = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
)
AWS_MANAGED_KEY_DOC = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key"
)
LAMBDA_RESOURCE_POLICY_DOC = (
    "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
)
# AWS managed keys the program uses, by the service that uses them (alias/aws/<service>).
MANAGED_KEY_SERVICES = ("sns", "secretsmanager")


def default_key_policy(account: str, name: str) -> Document:
    """A key created without a policy: the account root gets kms:*, so IAM policies decide."""
    return Document(
        f"key policy (AWS default): {name}",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
    )


def managed_key_service(key_arn: str) -> str | None:
    """`sns` for the ARN of alias/aws/sns's key (offline ARNs), and so on; None otherwise."""
    region = key_arn.split(":")[3] if key_arn.count(":") >= 5 else ""
    for service in MANAGED_KEY_SERVICES:
        if key_arn == aws_managed_key_arn(region, f"alias/aws/{service}"):
            return service
    return None


def aws_managed_key_policy(account: str, region: str, service: str) -> Document:
    """The policy AWS gives its managed key `aws/<service>`: every principal of the account may
    use it through that service (kms:CallerAccount and kms:ViaService), and only so."""
    return Document(
        f"key policy (AWS managed aws/{service})",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                    "Resource": "*",
                },
            ],
        },
    )


def lambda_permission_statement(
    sid: str, inputs: Mapping[str, Any], resource: str
) -> dict[str, Any]:
    """A function policy statement as Lambda writes it for AddPermission: the principal, the
    action, the (qualified) function, AWS:SourceArn with ArnLike, AWS:SourceAccount with
    StringEquals."""
    condition: dict[str, Any] = {}
    if inputs.get("sourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": inputs["sourceArn"]}
    if inputs.get("sourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": inputs["sourceAccount"]}
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": inputs["principal"]},
        "Action": inputs["action"],
        "Resource": resource,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def elb_writer_identity() -> Document:
    """The Elastic Load Balancing account's own side of a cross-account log write: outside this
    stack, modelled as allowing the write, so the bucket policy alone decides."""
    return Document(
        "identity: Elastic Load Balancing log writer (AWS's account, assumed to allow)",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
        },
    )
