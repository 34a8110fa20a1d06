"""Rules on databases' exposure, Lambda functions (roles, environment, runtimes) and logs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node, StackGraph
from platform_rules.identity import admin_policies
from platform_rules.lambda_environment import SECRET_WORDS, plain_secrets
from platform_rules.managed_policies import EVERY_ACTION_EVERYWHERE
from platform_rules.values import (
    UNKNOWN,
    PolicyDocumentError,
    as_int,
    as_list,
    effect,
    is_unknown,
    policy_statements,
)

LAMBDA_FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _admin_statements(where: str, document: Any) -> list[str]:
    """What the policy `document` (named `where` in the findings) allows on Resource '*'."""
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
                f"{where}: statement {sid} allows every action but NotAction "
                f"{statement.get('NotAction')!r} on Resource '*'"
            )
        elif any(action in ("*", "*:*") for action in as_list(statement.get("Action"))):
            found.append(f"{where}: statement {sid} allows Action '*' on Resource '*'")
    return found


def _everything(arns: Any) -> list[str]:
    """The AWS managed policies among `arns` that allow every action on every resource."""
    return [policy.name for policy in admin_policies(arns) if policy.why == EVERY_ACTION_EVERYWHERE]


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
                    where = f"inline policy {entry.get('name')!r}"
                    found += _admin_statements(where, entry.get("policy"))
            for policy in graph.sources(role, "role", role_policies, ("name",)):
                found += _admin_statements(f"RolePolicy {policy.name}", policy.get("policy"))
            found += [
                f"managed policy {name}" for name in _everything(role.get("managedPolicyArns"))
            ]
            for attachment in graph.sources(role, "role", attachments, ("name",)):
                found += [
                    f"RolePolicyAttachment {attachment.name}: {name}"
                    for name in _everything(attachment.get("policyArn"))
                ]
                for policy in graph.targets(attachment, "policyArn", managed, ("arn",)):
                    where = f"Policy {policy.name} (attached by {attachment.name})"
                    found += _admin_statements(where, policy.get("policy"))
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


# --- Lambda environment and runtimes ---------------------------------------------------------


def lambda_secrets_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    found = plain_secrets(node, settings.get("secretWords") or SECRET_WORDS)
    if found:
        listed = ", ".join(f"{name} ({why})" for name, why in found)
        yield Violation(
            node.urn,
            node.name,
            f"Function {node.name} keeps secrets in plain text in its environment: {listed} "
            "(values not shown). Lambda stores environment variables with the function's "
            "configuration: anyone allowed lambda:GetFunctionConfiguration reads them, a Pulumi "
            "secret too. Store the secret in Secrets Manager or SSM Parameter Store, pass its ARN "
            "or name, and read it at run time with the function's role.",
        )


# Lambda's deprecation dates (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html,
# "Supported runtimes" and "Deprecated runtimes"), as listed on 2026-11-30. From its date on a
# runtime gets no security patches; function create and update are blocked later.
RUNTIME_DEPRECATION = {
    "python2.7": "2021-07-15",
    "python3.6": "2022-07-18",
    "python3.7": "2023-12-04",
    "python3.8": "2024-10-14",
    "python3.9": "2025-12-15",
    "python3.10": "2026-10-31",
    "nodejs10.x": "2021-07-30",
    "nodejs12.x": "2023-03-31",
    "nodejs14.x": "2023-12-04",
    "nodejs16.x": "2024-06-12",
    "nodejs18.x": "2025-09-01",
    "nodejs20.x": "2026-04-30",
    "nodejs22.x": "2027-04-30",
    "ruby2.7": "2023-12-07",
    "ruby3.2": "2026-03-31",
    "ruby3.3": "2027-03-31",
    "java8": "2024-01-08",
    "go1.x": "2024-01-08",
    "provided": "2024-01-08",
    "dotnet6": "2024-12-20",
    "dotnet7": "2024-05-14",
    "dotnet8": "2026-11-10",
}


def _as_of(settings: Mapping[str, Any]) -> date:
    given = settings.get("asOf")
    return date.fromisoformat(given) if isinstance(given, str) and given else date.today()


def _deprecation(node: Node) -> tuple[str, date] | None:
    runtime = node.get("runtime")
    if not isinstance(runtime, str) or is_unknown(runtime):
        return None
    deprecated = RUNTIME_DEPRECATION.get(runtime)
    return (runtime, date.fromisoformat(deprecated)) if deprecated else None


def runtime_deprecated_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    found = _deprecation(node)
    if found is not None and found[1] <= _as_of(settings):
        yield Violation(
            node.urn,
            node.name,
            f"Function {node.name} runs on {found[0]}, deprecated by Lambda since {found[1]}: "
            "no more security patches, and creating or updating such functions gets blocked. "
            "Move it to a supported runtime (e.g. python3.13, nodejs22.x).",
        )


def runtime_soon_deprecated_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    found = _deprecation(node)
    today = _as_of(settings)
    window = as_int(settings.get("warnDays")) or 0
    if found is not None and today < found[1] <= today + timedelta(days=window):
        yield Violation(
            node.urn,
            node.name,
            f"Function {node.name} runs on {found[0]}, which Lambda deprecates on {found[1]} "
            f"(within {window} days). Plan the move to a newer runtime.",
        )
