"""IAM rules: no IAM users or long-term access keys, no AWS managed admin policies attached."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_rules.framework import Violation
from platform_rules.graph import Node
from platform_rules.managed_policies import ManagedPolicy, admin_policy
from platform_rules.values import as_list, is_unknown

USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
USER_TYPES = (USER, ACCESS_KEY)
# Every pulumi-aws resource type that attaches managed policies to a role, a user or a group
# (pulumi_aws 7: iam/*_policy_attachment*.py, iam/role.py, and ssoadmin/managed_policy_attachment*
# for permission sets, which IAM Identity Center provisions as roles), with the property that
# holds the policy ARNs. Not here: rolesanywhere Profile.managedPolicyArns (session policies,
# which only narrow what a role may do), QuickSight's IAM policy assignments (QuickSight users),
# EKS access policies and Bedrock AgentCore policies (not IAM policies).
MANAGED_POLICY_PROPERTIES = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/role:Role": "managedPolicyArns",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "managedPolicyArn",
    "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive": (
        "managedPolicyArns"
    ),
}
MANAGED_POLICY_TYPES = tuple(MANAGED_POLICY_PROPERTIES)


def user_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    kind = "IAM user" if node.type == USER else "IAM access key"
    yield Violation(
        node.urn,
        node.name,
        f"{kind} {node.name}: long-term credentials do not belong in a stack. Give people "
        "access through IAM Identity Center and workloads a role (temporary credentials: "
        "instance profile, Lambda execution role, OIDC for CI).",
    )


def admin_policies(arns: Any) -> list[ManagedPolicy]:
    """The AWS managed admin and full-access policies among `arns` (AWS's list, by ARN)."""
    if is_unknown(arns):
        return []
    found = (admin_policy(arn) for arn in as_list(arns) if not is_unknown(arn))
    return [policy for policy in found if policy is not None]


def managed_admin_check(node: Node, settings: Mapping[str, Any]) -> Iterator[Violation]:
    key = MANAGED_POLICY_PROPERTIES[node.type]
    found = admin_policies(node.get(key))
    if found:
        kind = node.type.rsplit(":", 1)[-1]
        listed = ", ".join(f"{policy.name} ({policy.why})" for policy in found)
        yield Violation(
            node.urn,
            node.name,
            f"{kind} {node.name} attaches the AWS managed {listed} ({key}): far more than any "
            "one workload needs. Attach a policy that grants only the actions the principal "
            "calls, on the resources it uses.",
        )
