"""Helpers for policy tests: build the SDK's validation arguments and run one policy of the pack.

Properties go through the SDK's own unknown-checking proxy, as the analyzer hands them to rules,
so a test can put the engine's unknown sentinel (`UNKNOWN`) anywhere a preview would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from platform_rules import all_policies
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

UNKNOWN = UNKNOWN_STRING_VALUE
POLICIES = {policy.name: policy for policy in all_policies()}


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::platform::{resource_type}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resource_args(
    resource_type: str,
    props: Mapping[str, Any],
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn(resource_type, name),
        name,
        _options(),
        None,
        dict(config) if config is not None else None,
    )


def resource(
    resource_type: str,
    name: str,
    props: Mapping[str, Any] | None = None,
    depends: Mapping[str, list[PolicyResource]] | None = None,
) -> PolicyResource:
    """A stack resource; `depends` maps a property to the resources its value came from."""
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(dict(props or {})),
        urn(resource_type, name),
        name,
        _options(),
        None,
        None,
        [item for items in (depends or {}).values() for item in items],
        {key: list(value) for key, value in (depends or {}).items()},
    )


def run_resource_policy(
    policy: str, resource_type: str, props: Mapping[str, Any], **kwargs: Any
) -> list[str]:
    """Messages the resource policy reports (exemption uses are drained and returned too)."""
    target = POLICIES[policy]
    assert isinstance(target, ResourceValidationPolicy)
    args = resource_args(resource_type, props, **kwargs)
    messages: list[str] = []
    target.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def exemption_messages_for(args_urn: str) -> list[str]:
    reporter = POLICIES["exemptions-used"]
    assert isinstance(reporter, ResourceValidationPolicy)
    messages: list[str] = []
    args = ResourceValidationArgs("t", {}, args_urn, "n", _options(), None)
    reporter.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def run_stack_policy(
    policy: str, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """(message, urn) for each violation the stack policy reports."""
    target = POLICIES[policy]
    assert isinstance(target, StackValidationPolicy)
    found: list[tuple[str, str | None]] = []
    target.validate(
        StackValidationArgs(resources, dict(config) if config is not None else None),
        lambda message, urn=None: found.append((message, urn)),
    )
    return found


def stack_exemption_messages() -> list[tuple[str, str | None]]:
    return run_stack_policy("stack-exemptions-used", [])


def bucket_policy_document(
    bucket: str,
    *,
    effect: str = "Deny",
    algorithms: list[str] | None = None,
    resource_bucket: str | None = None,
    actions: str | list[str] = "s3:PutObject",
    tls: bool = True,
) -> str:
    """The policy EncryptedBucket writes (or a variation of it)."""
    arn = f"arn:aws:s3:::{resource_bucket or bucket}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyUnencryptedObjectUploads",
            "Effect": effect,
            "Principal": "*",
            "Action": actions,
            "Resource": f"{arn}/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        },
        {
            "Sid": "DenyIncorrectEncryptionHeader",
            "Effect": effect,
            "Principal": "*",
            "Action": actions,
            "Resource": f"{arn}/*",
            "Condition": {
                "StringNotEquals": {"s3:x-amz-server-side-encryption": algorithms or ["AES256"]}
            },
        },
    ]
    if tls:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def run_stack_policy_on(
    policy: str,
    resource_type: str,
    props: Mapping[str, Any],
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Messages a stack policy reports for a stack of this one resource."""
    return [
        message
        for message, _ in run_stack_policy(policy, [resource(resource_type, name, props)], config)
    ]


# The rules that block a deploy: the pack's catalogue and its gRPC info must both say exactly these.
MANDATORY_RULES = frozenset(
    {
        "rds-not-publicly-accessible",
        "security-group-no-public-database-ports",
        "rds-subnets-private",
        "s3-deny-unencrypted-uploads",
        "s3-block-public-access",
        "s3-no-public-grants",
        "sqs-queue-encrypted",
        "sns-topic-encrypted",
        "kinesis-stream-encrypted",
        "firehose-encrypted",
        "ec2-imdsv2-required",
        "ec2-ebs-encrypted",
        "alb-http-redirects-when-https",
        "storage-encrypted",
        "network-acl-no-public-database-ports",
        "iam-no-users-or-access-keys",
        "iam-no-admin-managed-policies",
        "lambda-no-plain-secrets-in-environment",
        "lambda-runtime-not-deprecated",
        "production-stack-resilience",
        "cloudfront-viewer-https-only",
        "cloudfront-s3-origin-access-control",
        "cloudfront-viewer-tls12",
    }
)


def judge(policy: str, resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    """(message, urn) for each violation the policy reports on these resources, whether it is a
    resource policy (run on each resource) or a stack policy (run once on all of them)."""
    target = POLICIES[policy]
    if isinstance(target, StackValidationPolicy):
        return run_stack_policy(policy, resources)
    assert isinstance(target, ResourceValidationPolicy)
    found: list[tuple[str, str | None]] = []
    for item in resources:
        args = ResourceValidationArgs(
            item.resource_type, item.props, item.urn, item.name, _options(), None, None
        )
        target.validate(args, lambda message, urn=None, at=item.urn: found.append((message, at)))
    return found
