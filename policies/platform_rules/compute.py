"""Rules on databases' exposure, Lambda execution roles and log retention."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.values import (
    UNKNOWN,
    PolicyDocumentError,
    as_int,
    as_list,
    effect,
    is_unknown,
    policy_statements,
    truthy,
)

LAMBDA_FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def not_public_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    value = node.get("publiclyAccessible", False)
    if truthy(value) is True:
        kind = node.type.rsplit(":", 1)[-1]
        yield Violation(
            node.urn,
            node.name,
            f"{kind} {node.name} has publiclyAccessible={value!r}: it would get a public DNS name "
            "and address. Set publicly_accessible=False and reach it from the app tier inside "
            "the VPC (or through a bastion or SSM port forwarding).",
        )


def _admin_statements(document: Any) -> list[str]:
    try:
        statements = policy_statements(document)
    except PolicyDocumentError:
        return []
    if statements is UNKNOWN or not isinstance(statements, list):
        return []
    found = []
    for index, statement in enumerate(statements):
        if effect(statement) != "allow":
            continue
        resources = [resource for resource in as_list(statement.get("Resource")) if resource == "*"]
        if not resources:
            continue
        sid = statement.get("Sid") or f"#{index + 1}"
        if "NotAction" in statement:
            # Every action but the few named: as good as '*' for what the function could do.
            found.append(
                f"statement {sid} allows every action but NotAction "
                f"{statement.get('NotAction')!r} on Resource '*'"
            )
        elif any(action in ("*", "*:*") for action in as_list(statement.get("Action"))):
            found.append(f"statement {sid} allows Action '*' on Resource '*'")
    return found


def lambda_roles_check(graph: StackGraph, settings: Mapping[str, Any]) -> Iterator[Violation]:
    roles = graph.of_type(ROLE)
    role_policies = graph.of_type(ROLE_POLICY)
    attachments = graph.of_type(ROLE_POLICY_ATTACHMENT)
    managed = graph.of_type(IAM_POLICY)
    for function in graph.of_type(LAMBDA_FUNCTION):
        for role in graph.targets(function, "role", roles, ("arn",)):
            found: list[str] = []
            inline = role.get("inlinePolicies")
            for entry in as_list(inline) if not is_unknown(inline) else []:
                if isinstance(entry, dict):
                    found += [
                        f"inline policy {entry.get('name')!r}: {item}"
                        for item in _admin_statements(entry.get("policy"))
                    ]
            for policy in graph.sources(role, "role", role_policies, ("name",)):
                found += [
                    f"RolePolicy {policy.name}: {item}"
                    for item in _admin_statements(policy.get("policy"))
                ]
            arns = role.get("managedPolicyArns")
            for arn in as_list(arns) if not is_unknown(arns) else []:
                if arn == ADMINISTRATOR_ACCESS:
                    found.append("managed policy AdministratorAccess")
            for attachment in graph.sources(role, "role", attachments, ("name",)):
                if attachment.get("policyArn") == ADMINISTRATOR_ACCESS:
                    found.append(f"RolePolicyAttachment {attachment.name}: AdministratorAccess")
                for policy in graph.targets(attachment, "policyArn", managed, ("arn",)):
                    found += [
                        f"Policy {policy.name} (attached by {attachment.name}): {item}"
                        for item in _admin_statements(policy.get("policy"))
                    ]
            if found:
                yield Violation(
                    role.urn,
                    role.name,
                    f"Role {role.name} of Lambda function {function.name} may do anything: "
                    f"{'; '.join(found)}. Grant only the actions the function calls, on the "
                    "resources it uses.",
                )


def log_retention_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    value = node.get("retentionInDays")
    if is_unknown(value):
        return
    days = as_int(value)
    if days is None or days <= 0:
        yield Violation(
            node.urn,
            node.name,
            f"LogGroup {node.name} keeps logs forever (retentionInDays is {value!r}). Set "
            "retention_in_days (for example 30, 90 or 365) so logs neither pile up nor cost "
            "without end.",
        )
