"""IAM rules: no IAM users or long-term access keys, no AWS-managed admin policies attached."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node
from platform_rules.values import as_list, is_unknown

USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
USER_TYPES = (USER, ACCESS_KEY)
ROLE = "aws:iam/role:Role"
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
MANAGED_POLICY_TYPES = (*ATTACHMENT_TYPES, ROLE)

# AWS-managed policies are arn:<partition>:iam::aws:policy/<path><name>
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).
_AWS_MANAGED_ADMIN = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(?:[^/]+/)*(AdministratorAccess|[A-Za-z0-9]*FullAccess)$"
)


def user_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    kind = "IAM user" if node.type == USER else "IAM access key"
    yield Violation(
        node.urn,
        node.name,
        f"{kind} {node.name}: long-term credentials do not belong in a stack. Give people "
        "access through IAM Identity Center and workloads a role (temporary credentials: "
        "instance profile, Lambda execution role, OIDC for CI).",
    )


def admin_policy_names(arns: Any) -> list[str]:
    """The AWS-managed AdministratorAccess / *FullAccess policies among `arns`."""
    if is_unknown(arns):
        return []
    names = []
    for arn in as_list(arns):
        match = _AWS_MANAGED_ADMIN.match(arn) if isinstance(arn, str) else None
        if match:
            names.append(match.group(1))
    return names


def managed_admin_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    key = "managedPolicyArns" if node.type == ROLE else "policyArn"
    names = admin_policy_names(node.get(key))
    if names:
        kind = node.type.rsplit(":", 1)[-1]
        yield Violation(
            node.urn,
            node.name,
            f"{kind} {node.name} attaches the AWS-managed {', '.join(names)} ({key}): far more "
            "than any one workload needs. Attach a policy that grants only the actions the "
            "principal calls, on the resources it uses.",
        )
