"""Service roles, built the same way by every system: who may assume them, and their tags."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.common.owner import Owner

Conditions = Mapping[str, Mapping[str, pulumi.Input[str]]]


def service_trust_policy(service: str, conditions: Conditions | None = None) -> dict:
    """Only `service` (like `lambda.amazonaws.com`) may assume the role, under `conditions`
    (the confused-deputy guards its service documents: source account, ARN, external id)."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = {key: dict(value) for key, value in conditions.items()}
    return {"Version": "2012-10-17", "Statement": [statement]}


def service_role(
    resource_name: str,
    owner: Owner,
    service: str,
    *,
    description: str | None = None,
    conditions: Conditions | None = None,
) -> aws.iam.Role:
    """A role only `service` may assume (under `conditions`); its permissions are the caller's."""
    return aws.iam.Role(
        resource_name,
        description=description,
        assume_role_policy=pulumi.Output.json_dumps(service_trust_policy(service, conditions)),
        tags=owner.tags_for(resource_name),
        opts=owner.opts,
    )
