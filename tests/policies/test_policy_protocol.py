"""The policy pack as the Pulumi CLI runs it: a process spoken to over the analyzer protocol.

One pack process serves this whole module. The real program's plans must pass (update and
preview); insecure twins of it, small programs built from the real components and raw
`pulumi_aws` resources, must each be blocked by the right rule.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterator

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.proto import analyzer_pb2

from components.network.args import NetworkArgs
from components.network.network import Network
from tests.policies.test_multi_az_cluster import multi_az_cluster
from tests.support.policy_support import MANDATORY_RULES
from tools import plan as plan_command
from tools.offline import Plan, run_program
from tools.policy_gate import (
    POLICY_PACK_DIR,
    GateResult,
    PolicyAnalyzer,
    PolicyGateError,
    reconcile_config,
    run_gate,
)

ZONES = ["us-east-1a", "us-east-1b"]


@pytest.fixture(scope="module")
def analyzer() -> Iterator[PolicyAnalyzer]:
    with PolicyAnalyzer() as started:
        yield started


@pytest.fixture(scope="module")
def gate(analyzer) -> Callable[..., GateResult]:
    def run(plan: Plan, config=None) -> GateResult:
        return run_gate(plan, analyzer, config)

    return run


def test_analyzer_info_lists_every_rule_with_its_level_and_schema(analyzer):
    info = analyzer.info()
    assert info.name == "platform-security"
    levels = {policy.name: policy.enforcementLevel for policy in info.policies}
    mandatory = {name for name, level in levels.items() if level == analyzer_pb2.MANDATORY}
    assert mandatory == MANDATORY_RULES
    assert {
        "lambda-runtime-deprecation-soon",
        "security-group-no-public-admin-ports",
        "vpc-flow-logs-enabled",
        "s3-deny-insecure-transport",
        "lambda-role-no-admin-wildcard",
        "log-group-retention-set",
        "sqs-queue-dead-letter-queue",
        "event-source-mapping-failure-handling",
        "exemptions-used",
        "stack-exemptions-used",
    } <= {name for name, level in levels.items() if level == analyzer_pb2.ADVISORY}
    for policy in info.policies:
        assert policy.description and policy.remediation_steps and policy.url
    ports = next(p for p in info.policies if p.name == "security-group-no-public-database-ports")
    assert list(ports.configSchema.properties["ports"]["default"]) == [
        1433,
        1521,
        2049,
        3306,
        5432,
        6379,
        11211,
        27017,
    ]


@pytest.mark.parametrize("preview", [False, True])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_stacks_pass_with_no_mandatory_violation(stack_plan, gate, stack, preview):
    result = gate(stack_plan(stack, preview=preview))
    assert result.mandatory == [], result.render()
    # No rule gave up on an unknown value (the SDK reports that as "can't run policy").
    assert not [v for v in result.violations if "can't run policy" in v.message]
    assert result.render().endswith("0 mandatory violations")


PRODUCTION = {"production-stack-resilience": {"properties": {"production": True}}}


@pytest.mark.parametrize("preview", [False, True])
def test_the_prod_stack_passes_when_marked_production(stack_plan, gate, preview):
    result = gate(stack_plan("prod", preview=preview), PRODUCTION)
    assert result.mandatory == [], result.render()


def test_the_dev_stack_marked_production_is_blocked_for_each_gap(stack_plan, gate):
    # The dev stack is prod's twin without HA: a single-AZ database without deletion protection,
    # and one NAT gateway for every AZ.
    result = gate(stack_plan("dev"), PRODUCTION)
    blocking = result.by_policy("production-stack-resilience")
    messages = " ".join(violation.message for violation in blocking)
    assert "multiAz" in messages and "deletionProtection" in messages
    assert "NAT gateway" in messages
    assert {violation.policy for violation in result.mandatory} == {"production-stack-resilience"}


def test_invalid_policy_config_is_refused_naming_the_key(analyzer):
    bad = {"rds-not-publicly-accessible": {"properties": {"exemptions": [{"resource": "db"}]}}}
    with pytest.raises(PolicyGateError, match=r"exemptions\[0\]\.reason is required"):
        reconcile_config(analyzer.info(), bad)


# --- insecure twins --------------------------------------------------------------------------


def _network() -> Network:
    return Network(
        "twin",
        NetworkArgs(
            vpc_cidr="10.0.0.0/16",
            availability_zones=ZONES,
            public_subnet_cidrs=["10.0.0.0/24", "10.0.1.0/24"],
            private_subnet_cidrs=["10.0.16.0/20", "10.0.32.0/20"],
        ),
    )


def _raw_database(
    network: Network, *, public: bool = False, encrypted: bool = True
) -> aws.rds.Instance:
    group = aws.rds.SubnetGroup("twin-db-subnets", subnet_ids=network.private_subnet_ids)
    return aws.rds.Instance(
        "twin-db",
        engine="mysql",
        instance_class="db.t3.micro",
        allocated_storage=20,
        storage_encrypted=encrypted,
        db_subnet_group_name=group.name,
        vpc_security_group_ids=[network.database_security_group_id],
        publicly_accessible=public,
        manage_master_user_password=True,
        username="admin",
    )


def _private_bucket(name: str) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(name, bucket=f"{name}-bucket")
    aws.s3.BucketPublicAccessBlock(
        f"{name}-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    return bucket


def _sse_policy(arn: pulumi.Output[str], effect: str = "Deny") -> pulumi.Output[str]:
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyUnencryptedObjectUploads",
                    "Effect": effect,
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(arn, "/*"),
                    "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
                },
                {
                    "Sid": "DenyIncorrectEncryptionHeader",
                    "Effect": effect,
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(arn, "/*"),
                    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
                },
            ],
        }
    )


def twin_secure() -> None:
    network = _network()
    _raw_database(network)
    bucket = _private_bucket("data")
    aws.s3.BucketPolicy("data-policy", bucket=bucket.id, policy=_sse_policy(bucket.arn))


def twin_public_database() -> None:
    _raw_database(_network(), public=True)


def twin_database_port_open() -> None:
    network = _network()
    _raw_database(network)
    aws.ec2.SecurityGroupRule(
        "twin-mysql-world",
        type="ingress",
        security_group_id=network.database_security_group_id,
        protocol="tcp",
        from_port=3306,
        to_port=3306,
        cidr_blocks=["0.0.0.0/0"],
    )
    aws.vpc.SecurityGroupIngressRule(
        "twin-all-ipv6",
        security_group_id=network.database_security_group_id,
        ip_protocol="-1",
        cidr_ipv6="::/0",
    )


def twin_raw_database_in_public_subnets() -> None:
    network = _network()
    group = aws.rds.SubnetGroup("twin-db-subnets", subnet_ids=network.public_subnet_ids)
    aws.rds.Instance(
        "twin-db",
        engine="mysql",
        instance_class="db.t3.micro",
        allocated_storage=20,
        storage_encrypted=True,
        db_subnet_group_name=group.name,
        manage_master_user_password=True,
        username="admin",
    )


def twin_database_in_public_subnets() -> None:
    # The real Database component (components/database.py), given the public subnets.
    from components.data.database import Database, DatabaseArgs

    network = _network()
    Database(
        "twin-db",
        DatabaseArgs(
            subnet_ids=network.public_subnet_ids,
            subnet_availability_zones=ZONES,
            security_group_ids=[network.database_security_group_id],
        ),
    )


def twin_bucket_without_sse_policy() -> None:
    _private_bucket("data")


def twin_sse_statement_as_allow() -> None:
    bucket = _private_bucket("data")
    aws.s3.BucketPolicy("data-policy", bucket=bucket.id, policy=_sse_policy(bucket.arn, "Allow"))


def twin_policy_on_the_wrong_bucket() -> None:
    data, other = _private_bucket("data"), _private_bucket("other")
    # The policy is attached to data, but its statements deny uploads to the other bucket.
    aws.s3.BucketPolicy("data-policy", bucket=data.id, policy=_sse_policy(other.arn))


def twin_policy_attached_to_another_bucket() -> None:
    data, other = _private_bucket("data"), _private_bucket("other")
    aws.s3.BucketPolicy("other-policy", bucket=other.id, policy=_sse_policy(other.arn))
    del data


def twin_unencrypted_database() -> None:
    _raw_database(_network(), encrypted=False)


def twin_public_multi_az_cluster() -> None:
    multi_az_cluster(_network().private_subnet_ids, public=True)


def twin_acl_admits_mysql() -> None:
    network = _network()
    _raw_database(network)
    aws.ec2.NetworkAclRule(
        "twin-acl-mysql",
        network_acl_id=network.private_network_acl.id,
        rule_number=50,
        egress=False,
        protocol="tcp",
        rule_action="allow",
        cidr_block="0.0.0.0/0",
        from_port=3306,
        to_port=3306,
    )


def twin_iam_user_with_key() -> None:
    user = aws.iam.User("twin-user")
    aws.iam.AccessKey("twin-key", user=user.name)


def _lambda_role() -> aws.iam.Role:
    return aws.iam.Role(
        "twin-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )


def twin_admin_policy_attached() -> None:
    aws.iam.RolePolicyAttachment(
        "twin-admin",
        role=_lambda_role().name,
        policy_arn="arn:aws:iam::aws:policy/AdministratorAccess",
    )


def _function(runtime: str, variables: dict[str, str]) -> None:
    aws.lambda_.Function(
        "twin-fn",
        role=_lambda_role().arn,
        runtime=runtime,
        handler="app.handler",
        code=pulumi.AssetArchive({"app.py": pulumi.StringAsset("def handler(e, c): pass")}),
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=variables),
    )


def twin_lambda_with_plain_secret() -> None:
    _function("python3.13", {"DB_PASSWORD": "hunter2", "TABLE_NAME": "t"})


def twin_lambda_on_deprecated_runtime() -> None:
    _function("python3.8", {"TABLE_NAME": "t"})


def test_secure_twin_passes(gate):
    assert gate(run_program("dev", program=twin_secure)).mandatory == []


@pytest.mark.parametrize(
    ("program", "policy", "resource", "mentions"),
    [
        (twin_public_database, "rds-not-publicly-accessible", "twin-db", "publiclyAccessible=True"),
        (
            twin_database_port_open,
            "security-group-no-public-database-ports",
            "twin-mysql-world",
            "0.0.0.0/0",
        ),
        (
            twin_database_port_open,
            "security-group-no-public-database-ports",
            "twin-all-ipv6",
            "::/0",
        ),
        (twin_raw_database_in_public_subnets, "rds-subnets-private", "twin-db", "twin-public-"),
        (twin_database_in_public_subnets, "rds-subnets-private", None, "twin-public-"),
        (twin_bucket_without_sse_policy, "s3-deny-unencrypted-uploads", "data", "no bucket policy"),
        (twin_sse_statement_as_allow, "s3-deny-unencrypted-uploads", "data", "'Allow'"),
        (twin_policy_on_the_wrong_bucket, "s3-deny-unencrypted-uploads", "data", "other-bucket"),
        (
            twin_policy_attached_to_another_bucket,
            "s3-deny-unencrypted-uploads",
            "data",
            "no bucket policy",
        ),
        (twin_unencrypted_database, "storage-encrypted", "twin-db", "storageEncrypted"),
        (
            twin_public_multi_az_cluster,
            "rds-not-publicly-accessible",
            "twin-cluster",
            "publiclyAccessible=True",
        ),
        (twin_acl_admits_mysql, "network-acl-no-public-database-ports", "twin-acl-mysql", "3306"),
        (twin_iam_user_with_key, "iam-no-users-or-access-keys", "twin-user", "IAM user"),
        (twin_iam_user_with_key, "iam-no-users-or-access-keys", "twin-key", "access key"),
        (
            twin_admin_policy_attached,
            "iam-no-admin-managed-policies",
            "twin-admin",
            "AdministratorAccess",
        ),
        (
            twin_lambda_with_plain_secret,
            "lambda-no-plain-secrets-in-environment",
            "twin-fn",
            "DB_PASSWORD",
        ),
        (
            twin_lambda_on_deprecated_runtime,
            "lambda-runtime-not-deprecated",
            "twin-fn",
            "python3.8",
        ),
    ],
)
def test_insecure_twin_is_blocked_by_the_right_rule(gate, program, policy, resource, mentions):
    if program is twin_database_in_public_subnets:
        pytest.importorskip("components.data.database")
    plan = run_program("dev", program=program)
    if resource is None:  # the RDS instance the Database component names
        (resource,) = [r.name for r in plan.of_type("aws:rds/instance:Instance")]
    result = gate(plan)
    blocking = [v for v in result.mandatory if v.policy == policy]
    assert [v.resource_name for v in blocking].count(resource) >= 1, result.render()
    violation = next(v for v in blocking if v.resource_name == resource)
    assert mentions in violation.message
    assert f"{len(result.mandatory)} mandatory violation" in result.render()


def test_database_component_twin_is_blocked_only_for_its_subnets(gate):
    pytest.importorskip("components.data.database")
    result = gate(run_program("dev", program=twin_database_in_public_subnets))
    assert {v.policy for v in result.mandatory} == {"rds-subnets-private"}


def test_preview_decides_what_it_can_and_leaves_unknown_documents_to_the_update(gate):
    # The SSE document embeds the bucket ARN: unknown in a preview, decided at the update.
    assert (
        gate(run_program("dev", preview=True, program=twin_sse_statement_as_allow)).by_policy(
            "s3-deny-unencrypted-uploads"
        )
        == []
    )
    # A bucket with no policy at all is known to be unprotected even in a preview.
    preview = gate(run_program("dev", preview=True, program=twin_bucket_without_sse_policy))
    assert [v.policy for v in preview.mandatory] == ["s3-deny-unencrypted-uploads"]
    # A public database or an open port does not depend on unknown values either.
    preview = gate(run_program("dev", preview=True, program=twin_database_port_open))
    assert {v.resource_name for v in preview.mandatory} == {"twin-mysql-world", "twin-all-ipv6"}


def test_exemption_turns_the_block_into_an_advisory_report(gate):
    config = {
        "rds-not-publicly-accessible": {
            "properties": {"exemptions": [{"resource": "twin-db", "reason": "demo, ticket 7"}]}
        }
    }
    result = gate(run_program("dev", program=twin_public_database), config)
    assert result.mandatory == []
    used = result.by_policy("stack-exemptions-used")
    assert len(used) == 1 and used[0].level == "advisory" and "ticket 7" in used[0].message
    assert used[0].resource_name == "twin-db"


def test_advisory_rule_can_be_made_mandatory(gate):
    def log_group_kept_forever() -> None:
        aws.cloudwatch.LogGroup("twin-logs")

    plan = run_program("dev", program=log_group_kept_forever)
    assert gate(plan).mandatory == []
    strict = gate(plan, {"log-group-retention-set": {"enforcementLevel": "mandatory"}})
    assert [v.policy for v in strict.mandatory] == ["log-group-retention-set"]


def test_plan_command_exits_non_zero_on_a_twin(monkeypatch, capsys):
    twin = run_program("dev", program=twin_public_database)
    monkeypatch.setattr(plan_command, "run_program", lambda *args, **kwargs: twin)
    assert plan_command.main(["dev"]) == 1
    out = capsys.readouterr().out
    assert "[mandatory]  rds-not-publicly-accessible" in out
    assert out.rstrip().endswith("1 mandatory violation")


def test_plan_command_reads_a_policy_config_file(monkeypatch, capsys, tmp_path):
    twin = run_program("dev", program=twin_public_database)
    monkeypatch.setattr(plan_command, "run_program", lambda *args, **kwargs: twin)
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"rds-not-publicly-accessible": "advisory"}))
    assert plan_command.main(["dev", "--policy-config", str(config)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 mandatory violations")
    config.write_text(
        json.dumps({"rds-not-publicly-accessible": {"exemptions": [{"resource": "x"}]}})
    )
    assert plan_command.main(["dev", "--policy-config", str(config)]) == 2


def test_pack_entry_point_holds_only_imports_and_one_policy_pack_call():
    # PolicyPack(...) serves gRPC and never returns, so nothing else may run in __main__.py.
    tree = ast.parse((POLICY_PACK_DIR / "__main__.py").read_text())
    statements = [node for node in tree.body if not _is_docstring(node)]
    calls = [node for node in statements if not isinstance(node, ast.Import | ast.ImportFrom)]
    assert len(calls) == 1
    [call] = calls
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert isinstance(call.value.func, ast.Name) and call.value.func.id == "PolicyPack"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def test_a_packs_own_initial_config_applies_before_the_users():
    # As the CLI: a Node.js pack such as AWSGuard declares `all: mandatory` in its initialConfig.
    info = analyzer_pb2.AnalyzerInfo(
        name="p",
        policies=[analyzer_pb2.PolicyInfo(name="a", enforcementLevel=analyzer_pb2.ADVISORY)],
    )
    info.initialConfig["all"].enforcementLevel = analyzer_pb2.MANDATORY
    assert reconcile_config(info)["a"]["enforcementLevel"] == "mandatory"
    assert (
        reconcile_config(info, {"a": {"enforcementLevel": "advisory"}})["a"]["enforcementLevel"]
        == "advisory"
    )
