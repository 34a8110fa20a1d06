"""The notes' remaining advice as rules: network ACLs, IAM users and keys, AWS-managed admin
policies, secrets in Lambda environments, Lambda runtimes, production stacks, encryption.

Each test names the AWS page the rule follows.
"""

from __future__ import annotations

import pytest

from tests.support.policy_support import (
    UNKNOWN,
    exemption_messages_for,
    resource,
    run_resource_policy,
    run_stack_policy,
    urn,
)

ACL = "aws:ec2/networkAcl:NetworkAcl"
DEFAULT_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"
ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NACL = "network-acl-no-public-database-ports"


def _entry(number, low, high, protocol="tcp", cidr="0.0.0.0/0", action="allow"):
    return {
        "ruleNo": number,
        "action": action,
        "protocol": protocol,
        "cidrBlock": cidr,
        "fromPort": low,
        "toPort": high,
    }


# --- network ACLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "port"),
    [
        ([_entry(100, 3306, 3306)], 3306),
        ([_entry(100, 2049, 2049)], 2049),
        ([_entry(100, 0, 0, protocol="-1")], 3306),
        ([_entry(100, 5000, 6000, cidr="0.0.0.0/0")], 5432),
        ([_entry(90, 3306, 3306, cidr="10.0.0.0/8", action="deny"), _entry(100, 3306, 3306)], 3306),
    ],
)
def test_acl_admitting_a_database_port_from_the_internet_is_blocked(entries, port):
    # https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html: rules are evaluated in
    # rule-number order and the first match decides; protocol -1 is every protocol and port.
    found = run_stack_policy(NACL, [resource(ACL, "acl", {"ingress": entries})])
    assert len(found) == 1 and f"port {port}" in found[0][0] and "acl" in found[0][0]


@pytest.mark.parametrize(
    "entries",
    [
        [_entry(100, 3306, 3306, cidr="10.0.0.0/16")],
        [_entry(90, 0, 65535, action="deny"), _entry(100, 0, 0, protocol="-1")],
        [_entry(100, 0, 0, protocol="icmp")],
        [_entry(140, 1024, 65535)],  # return traffic: NACLs are stateless
        [_entry(100, UNKNOWN, UNKNOWN)],
    ],
)
def test_private_denied_return_traffic_or_unknown_acl_entries_pass(entries):
    # nacl-rules.html: "ephemeral ports" inbound 1024-65535 from anywhere carry the replies of
    # outbound connections; AWS's own example ACLs admit them.
    assert run_stack_policy(NACL, [resource(ACL, "acl", {"ingress": entries})]) == []


def test_standalone_acl_rules_join_their_acl_in_number_order():
    acl = resource(ACL, "acl", {"ingress": [_entry(200, 3306, 3306)]})
    deny = resource(
        ACL_RULE,
        "deny-mysql",
        {
            "networkAclId": UNKNOWN,
            "ruleNumber": 100,
            "egress": False,
            "ruleAction": "deny",
            "protocol": "tcp",
            "cidrBlock": "0.0.0.0/0",
            "fromPort": 3306,
            "toPort": 3306,
        },
        {"networkAclId": [acl]},
    )
    assert run_stack_policy(NACL, [acl, deny]) == []
    allow = resource(
        ACL_RULE,
        "allow-nfs",
        {
            "networkAclId": UNKNOWN,
            "ruleNumber": 50,
            "egress": False,
            "ruleAction": "allow",
            "protocol": "6",
            "ipv6CidrBlock": "::/0",
            "fromPort": 2049,
            "toPort": 2049,
        },
        {"networkAclId": [acl]},
    )
    found = run_stack_policy(NACL, [acl, deny, allow])
    assert [resource_urn for _, resource_urn in found] == [urn(ACL_RULE, "allow-nfs")]


def test_default_acl_is_judged_and_ports_are_configurable():
    acl = resource(DEFAULT_ACL, "default-acl", {"ingress": [_entry(100, 9200, 9200)]})
    assert run_stack_policy(NACL, [acl]) == []
    assert len(run_stack_policy(NACL, [acl], {"ports": [9200]})) == 1


# --- IAM users, access keys, AWS-managed admin policies ---------------------------------------

USER = "aws:iam/user:User"
ACCESS_KEY = "aws:iam/accessKey:AccessKey"
NO_USERS = "iam-no-users-or-access-keys"
ADMIN = "iam-no-admin-managed-policies"


@pytest.mark.parametrize("resource_type", [USER, ACCESS_KEY])
def test_iam_users_and_access_keys_are_blocked(resource_type):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html: "Require workloads
    # to use temporary credentials with IAM roles to access AWS".
    found = run_resource_policy(NO_USERS, resource_type, {"user": "ci"}, name="ci")
    assert len(found) == 1 and "ci" in found[0] and "role" in found[0]


def test_an_exempted_user_is_reported_as_an_exemption():
    config = {"exemptions": [{"resource": "ci", "reason": "legacy CI, ticket 9"}]}
    assert run_resource_policy(NO_USERS, USER, {}, name="ci", config=config) == []
    assert "ticket 9" in exemption_messages_for(urn(USER, "ci"))[0]


ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"policyArn": ADMIN_ARN}),
        ("aws:iam/userPolicyAttachment:UserPolicyAttachment", {"policyArn": S3_FULL}),
        ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", {"policyArn": ADMIN_ARN}),
        ("aws:iam/policyAttachment:PolicyAttachment", {"policyArn": S3_FULL, "roles": ["r"]}),
        ("aws:iam/role:Role", {"managedPolicyArns": ["x", S3_FULL]}),
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"policyArn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"},
        ),
    ],
)
def test_aws_managed_admin_and_full_access_policies_are_blocked_anywhere(resource_type, props):
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html and
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html ("Apply
    # least-privilege permissions"): AWS-managed policies live under arn:<partition>:iam::aws:policy/.
    found = run_resource_policy(ADMIN, resource_type, props, name="attach")
    assert len(found) == 1 and ("AdministratorAccess" in found[0] or "FullAccess" in found[0])


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::123456789012:policy/MyFullAccess",  # the account's own, judged elsewhere
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        UNKNOWN,
    ],
)
def test_narrow_own_or_unknown_policies_pass(arn):
    props = {"policyArn": arn}
    assert (
        run_resource_policy(ADMIN, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", props) == []
    )


# --- Lambda: secrets in the environment, runtimes ---------------------------------------------

FUNCTION = "aws:lambda/function:Function"
SECRETS = "lambda-no-plain-secrets-in-environment"


def _function(variables, runtime="python3.13"):
    return {"runtime": runtime, "environment": {"variables": variables}}


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "api_key", "SECRET", "GITHUB_TOKEN", "STRIPE_SECRET_KEY", "KEY"]
)
def test_secret_like_variables_with_a_literal_value_are_blocked(name):
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html: environment
    # variables are readable by anyone who may read the function's configuration; keep secrets
    # in Secrets Manager (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html).
    found = run_resource_policy(SECRETS, FUNCTION, _function({name: "hunter2"}), name="fn")
    assert len(found) == 1 and name in found[0] and "hunter2" not in found[0]


@pytest.mark.parametrize(
    "variables",
    [
        {"TABLE_NAME": "t", "KEYBOARD": "us"},
        {"DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:db"},
        {"DB_PASSWORD": UNKNOWN},
        {"DB_PASSWORD": ""},
        {"KMS_KEY_ID": "arn:aws:kms:us-east-1:1:key/abc"},
    ],
)
def test_references_unknown_and_ordinary_variables_pass(variables):
    assert run_resource_policy(SECRETS, FUNCTION, _function(variables)) == []


RUNTIME = "lambda-runtime-not-deprecated"
RUNTIME_SOON = "lambda-runtime-deprecation-soon"


@pytest.mark.parametrize("runtime", ["python3.8", "nodejs16.x", "go1.x", "python3.9"])
def test_deprecated_runtimes_are_blocked(runtime):
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (deprecated runtimes).
    found = run_resource_policy(
        RUNTIME, FUNCTION, {"runtime": runtime}, name="fn", config={"asOf": "2026-11-30"}
    )
    assert len(found) == 1 and runtime in found[0] and "deprecated" in found[0]


def test_a_runtime_is_deprecated_from_its_date_on():
    props = {"runtime": "python3.10"}  # deprecated on 2026-10-31
    assert run_resource_policy(RUNTIME, FUNCTION, props, config={"asOf": "2026-10-30"}) == []
    assert run_resource_policy(RUNTIME, FUNCTION, props, config={"asOf": "2026-10-31"})
    soon = run_resource_policy(RUNTIME_SOON, FUNCTION, props, config={"asOf": "2026-06-01"})
    assert len(soon) == 1 and "2026-10-31" in soon[0]
    later = {"asOf": "2026-01-01", "warnDays": 30}
    assert run_resource_policy(RUNTIME_SOON, FUNCTION, props, config=later) == []


@pytest.mark.parametrize("runtime", ["python3.13", UNKNOWN, None, "provided.al2023"])
def test_current_unknown_or_image_functions_pass(runtime):
    props = {"runtime": runtime} if runtime is not None else {"packageType": "Image"}
    for rule in (RUNTIME, RUNTIME_SOON):
        assert run_resource_policy(rule, FUNCTION, props, config={"asOf": "2026-11-30"}) == []


# --- storage encryption is mandatory ----------------------------------------------------------


def test_storage_encryption_is_mandatory():
    from platform_rules import RULES
    from pulumi_policy import EnforcementLevel

    (spec,) = [spec for spec in RULES if spec.name == "storage-encrypted"]
    assert spec.level == EnforcementLevel.MANDATORY
