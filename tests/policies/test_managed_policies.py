"""AWS managed admin and full-access policies, by AWS's own list, on every resource type that
attaches managed policies (issue 25, 3).

AWS managed policies are arn:<partition>:iam::aws:policy<path><name>
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html); AWS's
job-function and service policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html.
The list is moto's copy of `aws iam list-policies --scope AWS`, locked in policies/requirements.txt.
"""

from __future__ import annotations

import re
from pathlib import Path

import pulumi_aws
import pulumi_aws as aws
import pytest

from tests.support.policy_support import resource, run_resource_policy, run_stack_policy
from tools.offline import PROJECT_ROOT, run_program
from tools.policy_gate import check_plan

POLICY = "iam-no-admin-managed-policies"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
HARMLESS = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
# What the pack must judge, by type, with the property holding the policy ARNs (the SDK's inputs,
# camelCase as the engine sends them).
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
# Types whose policy ARNs are not managed IAM policies granted to a role, user or group.
NOT_GRANTS = {
    "aws:rolesanywhere/profile:Profile": "session policies: they only narrow a role's access",
    "aws:quicksight/iamPolicyAssignment:IamPolicyAssignment": "QuickSight users and groups",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "EKS access policies",
    "aws:bedrock/agentcorePolicy:AgentcorePolicy": "Bedrock AgentCore policies",
    "aws:resiliencehub/v2Service:V2Service": "a resiliency policy",
    "aws:resiliencehub/v2UserJourney:V2UserJourney": "a resiliency policy",
}
_INPUT = re.compile(
    r"^\s+(policy_arn|policy_arns|managed_policy_arn|managed_policy_arns): pulumi\.Input", re.M
)
# The type token a resource class passes to its base class: `).__init__(\n 'aws:iam/...'`.
_TOKEN = re.compile(r"\)\.__init__\(\s*'(aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)'")


def _sdk_types_taking_policy_arns() -> set[str]:
    """Every pulumi-aws resource type with a policy ARN input, read from the installed SDK."""
    root = Path(pulumi_aws.__file__).parent
    found = set()
    for module in root.glob("*/*.py"):
        if module.name.startswith("_"):
            continue
        text = module.read_text(encoding="utf-8")
        if _INPUT.search(text):
            found.update(_TOKEN.findall(text))
    return found


def test_every_type_in_the_sdk_that_attaches_managed_policies_is_judged():
    from platform_rules import identity

    in_sdk = _sdk_types_taking_policy_arns()
    assert set(MANAGED_POLICY_PROPERTIES) | set(NOT_GRANTS) == in_sdk
    assert not set(MANAGED_POLICY_PROPERTIES) & set(NOT_GRANTS)
    assert identity.MANAGED_POLICY_PROPERTIES == MANAGED_POLICY_PROPERTIES


def test_the_list_is_awss_whole_list_from_the_locked_data_package():
    from platform_rules.managed_policies import EVERY_ACTION_EVERYWHERE, catalogue

    policies = catalogue()
    assert len(policies) > 1000
    assert policies[ADMIN].why == EVERY_ACTION_EVERYWHERE
    lock = (PROJECT_ROOT / "policies" / "requirements.txt").read_text()
    assert re.search(r"^moto==[\d.]+ \\\n\s+--hash=sha256:", lock, re.M)


@pytest.mark.parametrize(
    ("arn", "blocked"),
    [
        (ADMIN, True),
        ("arn:aws-cn:iam::aws:policy/AdministratorAccess", True),
        ("arn:aws:iam::aws:policy/PowerUserAccess", True),  # every action but a few (NotAction)
        ("arn:aws:iam::aws:policy/AdministratorAccess-Amplify", True),
        ("arn:aws:iam::aws:policy/AmazonS3FullAccess", True),
        ("arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess", True),
        ("arn:aws:iam::aws:policy/job-function/AWSManagementConsoleAdministratorAccess", True),
        (HARMLESS, False),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", False),
        # Not in AWS's list: a made-up name, the wrong path, a customer managed policy.
        ("arn:aws:iam::aws:policy/TotallyFullAccess", False),
        ("arn:aws:iam::aws:policy/service-role/AdministratorAccess", False),
        ("arn:aws:iam::123456789012:policy/AdministratorAccess", False),
    ],
)
def test_policies_are_matched_by_their_real_arns(arn, blocked):
    attachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    messages = run_resource_policy(POLICY, attachment, {"role": "r", "policyArn": arn})
    assert bool(messages) is blocked


@pytest.mark.parametrize("resource_type", sorted(MANAGED_POLICY_PROPERTIES))
def test_each_type_is_judged_on_its_own_property(resource_type):
    key = MANAGED_POLICY_PROPERTIES[resource_type]
    plural = key.endswith("s")
    for arn, blocked in ((ADMIN, True), (HARMLESS, False)):
        props = {key: [HARMLESS, arn] if plural else arn}
        messages = run_resource_policy(POLICY, resource_type, props, name="subject")
        assert bool(messages) is blocked, (resource_type, arn)
        if blocked:
            assert "AdministratorAccess (allows every action" in messages[0] and key in messages[0]


def _attach_everywhere(arn: str) -> None:
    """One of each type the SDK offers, each attaching `arn`."""
    role = aws.iam.Role(
        "twin-role",
        assume_role_policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}',
        managed_policy_arns=[arn],
    )
    user = aws.iam.User("twin-user")
    group = aws.iam.Group("twin-group")
    aws.iam.RolePolicyAttachment("twin-role-attachment", role=role.name, policy_arn=arn)
    aws.iam.UserPolicyAttachment("twin-user-attachment", user=user.name, policy_arn=arn)
    aws.iam.GroupPolicyAttachment("twin-group-attachment", group=group.name, policy_arn=arn)
    aws.iam.PolicyAttachment("twin-attachment", policy_arn=arn, roles=[role.name])
    aws.iam.RolePolicyAttachmentsExclusive(
        "twin-role-exclusive", role_name=role.name, policy_arns=[arn]
    )
    aws.iam.UserPolicyAttachmentsExclusive(
        "twin-user-exclusive", user_name=user.name, policy_arns=[arn]
    )
    aws.iam.GroupPolicyAttachmentsExclusive(
        "twin-group-exclusive", group_name=group.name, policy_arns=[arn]
    )
    instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
    permission_set = f"{instance.replace(':instance/', ':permissionSet/')}/ps-0123456789abcdef"
    aws.ssoadmin.ManagedPolicyAttachment(
        "twin-permission-set",
        instance_arn=instance,
        permission_set_arn=permission_set,
        managed_policy_arn=arn,
    )
    aws.ssoadmin.ManagedPolicyAttachmentsExclusive(
        "twin-permission-set-exclusive",
        instance_arn=instance,
        permission_set_arn=permission_set,
        managed_policy_arns=[arn],
    )


def test_through_the_analyzer_every_type_is_blocked_for_admin_and_passes_otherwise():
    blocked = check_plan(run_program("dev", program=lambda: _attach_everywhere(ADMIN)))
    types = {v.resource_type for v in blocked.by_policy(POLICY) if v.level == "mandatory"}
    assert types == set(MANAGED_POLICY_PROPERTIES)
    passed = check_plan(run_program("dev", program=lambda: _attach_everywhere(HARMLESS)))
    assert passed.by_policy(POLICY) == []


def test_a_lambda_role_with_power_user_access_is_reported_as_admin_like():
    role = resource("aws:iam/role:Role", "fn-role", {"arn": "arn:aws:iam::1:role/fn", "name": "fn"})
    attachment = resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "fn-power",
        {"role": "fn", "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
    )
    function = resource("aws:lambda/function:Function", "fn", {"role": "arn:aws:iam::1:role/fn"})
    [(message, _)] = run_stack_policy("lambda-role-no-admin-wildcard", [role, attachment, function])
    assert "fn-power: PowerUserAccess" in message
